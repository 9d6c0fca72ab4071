//! The create and edit form. Its checks are the core's rules, kept in the form's state; whether
//! the name is taken is asked of the vault by apply.rs when the Name field changes, never while
//! drawing.

use egui::{Align, Key, Layout, Modifiers, RichText, Ui};

use crate::ui::command::Command;
use crate::ui::session::{SecretForm, typed_path};
use crate::ui::style::{self, weak};
use crate::ui::widgets::{SecretField, dialog_body, dialog_buttons, dialog_title_in, secret_form_name_id};
use crate::vault::ValueKind;
use crate::vault::generate::{MAX_GENERATED_LENGTH, MIN_GENERATED_LENGTH};

/// The Create or Edit dialog: where the secret is (or goes) under the title, what saving does
/// beyond that place under the fields.
pub(crate) fn show(ui: &mut Ui, form: &mut SecretForm, commands: &mut Vec<Command>) {
    let edit = form.is_edit();
    let title = if edit { "Edit Environment Secret" } else { "Create Environment Secret" };
    dialog_title_in(ui, title, &form.place);
    let (name, description) = dialog_body(ui, |ui| fields(ui, form, commands));
    let check = &form.check;
    let ready = check.ok() && form.changed_anything();
    let submit = if edit { Command::SubmitEdit } else { Command::SubmitCreate };
    dialog_buttons(ui, |ui| {
        let label = if edit { "Save" } else { "Create Environment Secret" };
        if style::primary(ui, ready, label).clicked() {
            commands.push(if edit { Command::SubmitEdit } else { Command::SubmitCreate });
        }
        if style::secondary(ui, "Cancel").clicked() {
            commands.push(Command::CloseDialog);
        }
        ui.label(weak("Enter to save · Ctrl+Enter in the value").small());
    });
    // Enter submits from the one-line fields; in the multi-line value Enter is a new line and
    // Ctrl+Enter submits.
    let enter_in_line = (name.lost_focus() || description.lost_focus()) && ui.input(|i| i.key_pressed(Key::Enter));
    let ctrl_enter = ui.input_mut(|i| i.consume_key(Modifiers::COMMAND, Key::Enter));
    if ready && (enter_in_line || ctrl_enter) {
        commands.push(submit);
    } else if enter_in_line || ctrl_enter {
        // Never a silent Enter: say at the fields what is missing or wrong.
        form.explain_why_not_ready();
    }
}

/// The form's fields, with their checks and what saving does; returns the Name and Description
/// fields (Enter in them submits).
fn fields(ui: &mut Ui, form: &mut SecretForm, commands: &mut Vec<Command>) -> (egui::Response, egui::Response) {
    let edit = form.is_edit();
    let mut changed = false;

    let name_label = ui.label(RichText::new("Name").strong());
    let name = ui
        .add(
            egui::TextEdit::singleline(&mut form.name)
                .id(secret_form_name_id())
                .hint_text("e.g. OPENAI_API_KEY")
                .font(egui::TextStyle::Monospace)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(name_label.id);
    if form.focus_first {
        name.request_focus();
        form.focus_first = false;
    }
    let name_changed = name.changed();
    if let Some((count, _)) = &form.pasted_import
        && !edit
    {
        ui.horizontal(|ui| {
            ui.label(weak(if *count == 1 {
                "The pasted text holds a secret.".to_owned()
            } else {
                format!("The pasted text holds {count} secrets.")
            }));
            let label = if *count == 1 {
                "Import 1 secret from the pasted text".to_owned()
            } else {
                format!("Import {count} secrets from the pasted text")
            };
            if ui.button(label).clicked() {
                commands.push(Command::ImportPasted);
            }
        });
    }
    let check = &form.check;
    match (&check.name, &check.name_hint) {
        (Some(e), _) if !e.is_empty() => style::error_text(ui, e),
        (None, Some(hint)) => {
            ui.label(weak(hint).small());
        }
        _ => {}
    }
    let mut use_suggestion = None;
    if let Some(suggestion) = &check.name_suggestion
        && ui.button(RichText::new(format!("Use {suggestion}")).monospace()).clicked()
    {
        use_suggestion = Some(suggestion.clone());
    }
    let name_changed = match use_suggestion {
        Some(suggestion) => {
            form.name = suggestion;
            true
        }
        None => name_changed,
    };
    if edit && form.original().is_some_and(|m| m.name.as_str() != form.name) && check.name.is_none() {
        match &form.rename_note {
            Some(note) => style::warning_as_written(ui, note),
            None => {
                let note = "Saving renames the secret; programs that read the old name will no longer find it.";
                ui.label(weak(note).small());
            }
        }
    }
    // What saving does beyond this place: an override, the environments that see a shared value
    // (in a scope of its own: the fields after it keep their ids as it changes).
    ui.push_id("reach", |ui| {
        for line in &form.reach {
            ui.label(format!("• {line}"));
        }
    });

    let description_label = ui
        .horizontal(|ui| {
            let label = ui.label(RichText::new("Description").strong());
            ui.label(weak("optional"));
            label
        })
        .inner;
    let description = ui
        .add(
            egui::TextEdit::singleline(&mut form.description)
                .hint_text("What it is for, e.g. GPT calls from the CLI")
                .desired_width(f32::INFINITY),
        )
        .labelled_by(description_label.id);
    changed |= description.changed();
    if let Some(e) = &check.description {
        style::error_text(ui, e);
    }

    let value_label = ui.horizontal(|ui| {
        let label = ui.label(RichText::new("Value").strong());
        if edit {
            ui.label(weak("leave empty to keep the current value"));
        }
        // The show/hide toggle's place; the button itself is added after the field, so that Tab
        // goes from the value to the toggle, not through the toggle into the value.
        let toggle = ui
            .with_layout(Layout::right_to_left(Align::Center), |ui| {
                ui.allocate_exact_size(egui::vec2(56.0, ui.spacing().interact_size.y - 4.0), egui::Sense::hover()).0
            })
            .inner;
        (label, toggle)
    });
    let (value_label, toggle) = value_label.inner;
    let value = ui
        .add(
            egui::TextEdit::multiline(&mut form.value)
                .id(SecretField::Value.id())
                .password(!form.show_value)
                .font(egui::TextStyle::Monospace)
                .desired_rows(3)
                .hint_text(if edit { "New value" } else { "Paste the key or token" })
                .desired_width(f32::INFINITY),
        )
        .labelled_by(value_label.id);
    let (text, toggle_name) = if form.show_value { ("Hide", "Hide value") } else { ("Show", "Show value") };
    // A child Ui over the reserved place: draws there without moving this Ui's cursor.
    let mut toggle_ui =
        ui.new_child(egui::UiBuilder::new().max_rect(toggle).layout(Layout::right_to_left(Align::Center)));
    if toggle_ui
        .add(egui::Button::new(RichText::new(text).small()).wrap_mode(egui::TextWrapMode::Extend))
        .accessible_name(toggle_name)
        .clicked()
    {
        form.show_value = !form.show_value;
    }
    if value.changed() {
        form.value_touched = true;
        changed = true;
        // An offer made for a pasted block goes when the value is edited further (a paste that
        // makes an offer sets it again after this frame).
        form.pasted_import = None;
        // No longer as it came from a file or the generator.
        form.tools.origin = None;
        form.tools.error = None;
    }
    value_tools(ui, form, &value, commands);
    let check = &form.check;
    if let Some(e) = &check.value
        && !e.is_empty()
    {
        style::error_text(ui, e);
    }
    for warning in &check.warnings {
        style::warning_text(ui, warning);
    }
    let mut trimmed = false;
    if form.value.has_surrounding_whitespace()
        && ui
            .button("Trim spaces and line breaks at the ends")
            .on_hover_text("Keys and tokens rarely start or end with whitespace; a copy often adds it")
            .clicked()
    {
        form.value.trim();
        form.tools.origin = None;
        trimmed = true;
    }
    if let Some(e) = &form.error {
        style::error_text(ui, e);
    }
    if trimmed {
        form.revalidate();
    }
    if name_changed {
        // Whether the new name is taken is the vault's to say: apply.rs asks it, then checks
        // every field again.
        form.error = None;
        commands.push(Command::CheckName);
    } else if changed {
        form.error = None;
        form.revalidate();
    }
    (name, description)
}

/// Under the Value field: "Load from file…" (and its path field where there is no file dialog),
/// Generate with its length and kind, then where the value came from or why a file was refused.
/// A file dragged over the window is outlined onto the field: dropped, it is the value's.
fn value_tools(ui: &mut Ui, form: &mut SecretForm, value: &egui::Response, commands: &mut Vec<Command>) {
    let tools = &mut form.tools;
    if ui.input(|i| !i.raw.hovered_files.is_empty()) {
        let stroke = egui::Stroke::new(2.0, style::ACCENT);
        ui.painter().rect_stroke(value.rect.expand(2.0), 4.0, stroke, egui::StrokeKind::Outside);
        ui.label(RichText::new("Drop the file to use its text as the value").color(style::ACCENT));
    }
    ui.horizontal_wrapped(|ui| {
        let load = ui.add_enabled(tools.picking.is_none(), egui::Button::new("Load from file…")).on_hover_text(
            "Use a file's exact text as the value, e.g. a PEM key or a JSON key file; or drop the file here",
        );
        if load.clicked() {
            commands.push(Command::PickValueFile);
        }
        ui.separator();
        let rule = &mut tools.rule;
        ui.add(
            egui::DragValue::new(&mut rule.length)
                .range(MIN_GENERATED_LENGTH..=MAX_GENERATED_LENGTH)
                .speed(0.25)
                .suffix(" characters"),
        )
        .on_hover_text(format!("{MIN_GENERATED_LENGTH} to {MAX_GENERATED_LENGTH}; type a number or drag"))
        .accessible_name("Length to generate");
        egui::ComboBox::from_id_salt("generate kind")
            .selected_text(rule.kind.label())
            .show_ui(ui, |ui| {
                for kind in ValueKind::ALL {
                    ui.selectable_value(&mut rule.kind, kind, kind.label());
                }
            })
            .response
            .accessible_name("Kind to generate");
        let tip = format!(
            "A new random value of {} bits from the system's random generator, hidden until you choose Show",
            rule.bits()
        );
        if ui.button("Generate").on_hover_text(tip).clicked() {
            commands.push(Command::GenerateValue);
        }
    });
    if let Some(path) = &mut tools.path {
        if let Some(note) = &tools.path_note {
            ui.label(weak(note).small());
        }
        ui.horizontal(|ui| {
            let label = ui.label("File to load");
            let load_width = 60.0;
            let field = egui::TextEdit::singleline(path)
                .hint_text("e.g. ~/keys/service-account.json")
                .desired_width(ui.available_width() - load_width);
            let field = ui.add(field).labelled_by(label.id);
            if std::mem::take(&mut tools.focus_path) {
                field.request_focus();
            }
            let typed = typed_path(path);
            let enter = field.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
            let load = ui.add_enabled(typed.is_some(), egui::Button::new("Load")).accessible_name("Load this file");
            if let Some(typed) = typed
                && (load.clicked() || enter)
            {
                commands.push(Command::LoadValueFile(typed));
            }
            if field.changed() {
                tools.error = None;
            }
        });
    }
    let message = ui.scope(|ui| {
        if let Some(error) = &tools.error {
            style::error_text(ui, error);
        } else if let Some(origin) = &tools.origin {
            ui.label(weak(origin).small());
        }
    });
    if std::mem::take(&mut tools.show_message) {
        message.response.scroll_to_me(None);
    }
}

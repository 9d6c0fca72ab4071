//! The View dialog: where the secret lives, its value — masked until the user reveals it (Reveal,
//! Enter or Space on it, or a click on the dots), unless the preference shows it at once; hidden
//! again after [`REVEAL_SECONDS`] — copy buttons, details, and earlier versions to restore.

use egui::{Align, Layout, RichText, Ui};

use crate::ui::a11y;
use crate::ui::command::Command;
use crate::ui::session::{REVEAL_SECONDS, ViewState};
use crate::ui::style::{self, weak};
use crate::ui::widgets::{dialog_body, dialog_buttons, inner_scroll_height};
use crate::vault::{HISTORY_LIMIT, Timestamp, VersionInfo};

/// The View dialog.
pub(crate) fn show(ui: &mut Ui, view: &ViewState, now: Timestamp, commands: &mut Vec<Command>) {
    let meta = &view.meta;
    // The title: the secret's name, wrapped if long (never scrolled away).
    let title = ui.add(egui::Label::new(RichText::new(meta.name.as_str()).size(18.0).strong().monospace()).wrap());
    a11y::heading(&title, 1);
    dialog_body(ui, |ui| body(ui, view, now, commands));
    dialog_buttons(ui, |ui| {
        if style::secondary(ui, "Close").clicked() {
            commands.push(Command::CloseDialog);
        }
    });
}

fn body(ui: &mut Ui, view: &ViewState, now: Timestamp, commands: &mut Vec<Command>) {
    let meta = &view.meta;
    if !view.place.is_empty() {
        ui.label(weak(format!("In {}", view.place)));
    }
    if !meta.description.is_empty() {
        ui.label(&meta.description);
    }
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        ui.label(RichText::new("Value").strong());
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| match &view.value {
            Some(_) => {
                if ui.small_button("Hide").accessible_name("Hide value").clicked() {
                    commands.push(Command::HideValue);
                }
                let left = REVEAL_SECONDS - (now.0 - view.revealed_at.0) / 1000;
                ui.label(weak(format!("hides in {left} s")).small());
            }
            None => {
                // The dialog's first control: Enter or Space reveals.
                let reveal = ui
                    .small_button("👁 Reveal")
                    .accessible_name("Reveal value")
                    .on_hover_text(format!("Show the value for {REVEAL_SECONDS} seconds"));
                if reveal.clicked() {
                    commands.push(Command::RevealAgain);
                }
            }
        });
    });
    let frame = egui::Frame::new().fill(ui.visuals().extreme_bg_color).corner_radius(6);
    let boxed = frame.inner_margin(egui::Margin::same(10)).show(ui, |ui| {
        ui.set_width(ui.available_width());
        // Lines as they are, never wrapped (a PEM key wrapped at "/" looks corrupted): the
        // area scrolls sideways instead.
        let height = inner_scroll_height(ui, 180.0);
        egui::ScrollArea::both().id_salt("value").max_height(height).show(ui, |ui| match &view.value {
            Some(value) => {
                // Read out as it is while it is shown (a label is read by its text); described.
                let shown = ui.add(
                    egui::Label::new(RichText::new(value.expose()).monospace())
                        .selectable(false)
                        .wrap_mode(egui::TextWrapMode::Extend),
                );
                shown.ctx.accesskit_node_builder(shown.id, |node| node.set_description("revealed value"));
            }
            None => {
                ui.horizontal(|ui| {
                    let masked = ui.label(RichText::new("••••••••••••").monospace().weak());
                    a11y::spoken(&masked, "hidden value");
                    ui.label(weak("Reveal to see it").small());
                });
            }
        });
    });
    // A click on the dots reveals too (not a Tab stop: Reveal is).
    if view.value.is_none()
        && ui
            .interact(boxed.response.rect, egui::Id::unique("tresor view reveal by click"), egui::Sense::CLICK)
            .clicked()
    {
        commands.push(Command::RevealAgain);
    }
    if let Some(e) = &view.error {
        style::error_text(ui, e);
    }
    ui.horizontal_wrapped(|ui| {
        if ui.button("🗐 Copy value").accessible_name("Copy value").clicked() {
            commands.push(Command::Copy { id: view.id, as_assignment: false });
        }
        let as_line = format!("Copy as {}=value", meta.name);
        if ui.button(&as_line).accessible_name(&as_line).clicked() {
            commands.push(Command::Copy { id: view.id, as_assignment: true });
        }
        if ui.button("✏ Edit").accessible_name("Edit this secret").clicked() {
            commands.push(Command::OpenEdit(view.id));
        }
    });
    ui.horizontal(|ui| {
        if ui.button("Copy to…").on_hover_text("Copy it to another project or environment").clicked() {
            commands.push(Command::AskCopyMove(view.id, false));
        }
        if ui.button("Move to…").on_hover_text("Move it, with its history, to another project or environment").clicked()
        {
            commands.push(Command::AskCopyMove(view.id, true));
        }
    });
    ui.add_space(4.0);
    egui::Grid::new("view_details").num_columns(2).spacing([16.0, 4.0]).show(ui, |ui| {
        ui.label(weak("Version"));
        ui.label(meta.version.to_string());
        ui.end_row();
        ui.label(weak("Created"));
        ui.label(style::exact(meta.created));
        ui.end_row();
        ui.label(weak("Modified"));
        ui.label(style::exact(meta.modified));
        ui.end_row();
    });
    let older: Vec<&VersionInfo> = view.history.iter().filter(|v| v.replaced.is_some()).collect();
    ui.add_space(6.0);
    ui.label(RichText::new("Earlier versions").strong());
    if older.is_empty() {
        ui.label(weak(format!(
            "None yet. Each change of the value keeps the previous one here (the last {HISTORY_LIMIT})."
        )));
    }
    // Newest first, as the core lists them.
    for v in &older {
        ui.horizontal(|ui| {
            ui.label(format!("v{}", v.version));
            ui.label(weak(format!("set {}", style::relative(now, v.created)))).on_hover_text(style::exact(v.created));
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                if ui
                    .small_button("Copy")
                    .accessible_name(format!("Copy version {}", v.version))
                    .on_hover_text("Copy this earlier value (cleared like any copy)")
                    .clicked()
                {
                    commands.push(Command::CopyVersion(view.id, v.version));
                }
                if ui
                    .small_button("Restore")
                    .accessible_name(format!("Restore version {}", v.version))
                    .on_hover_text("Make this value current again (as a new version)")
                    .clicked()
                {
                    commands.push(Command::RestoreVersion(view.id, v.version));
                }
            });
        });
    }
}

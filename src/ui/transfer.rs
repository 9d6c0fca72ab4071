//! The Import and export section of Vault settings: a file path (typed, or picked with the
//! system's file dialog) and a format, then Review import… or Export…. The review and the
//! confirmation are dialogs/transfer.rs; the rules come from the core's import plan.

use egui::{RichText, Ui};

use super::command::Command;
use super::session::Pick;
use super::session::{TransferForm, typed_path};
use super::style::{self, weak};
use super::widgets::{SecretField, format_label, passphrase_field};
use crate::interchange::Format;

/// A labelled path field after a Browse… button (the system's file dialog). True when the typed
/// text changed. `focus`: give the field the keyboard (once).
fn path_row(
    ui: &mut Ui,
    label: &str,
    text: &mut String,
    hint: &str,
    pick: Pick,
    focus: &mut bool,
    commands: &mut Vec<Command>,
) -> bool {
    let label = ui.label(label);
    ui.horizontal(|ui| {
        let (name, tip) = match pick {
            Pick::Import => ("Browse for a file to import", "Choose the file with the system's file dialog"),
            Pick::Export => ("Browse for where to export", "Choose where to save with the system's file dialog"),
            Pick::Value => ("Browse for a value's file", "Choose the file with the system's file dialog"),
        };
        if ui.button("Browse…").on_hover_text(tip).accessible_name(name).clicked() {
            commands.push(Command::Pick(pick));
        }
        let field = egui::TextEdit::singleline(text).hint_text(hint).desired_width(ui.available_width());
        let field = ui.add(field).labelled_by(label.id);
        if std::mem::take(focus) {
            field.request_focus();
        }
        field.changed()
    })
    .inner
}

/// Whether the typed path names a KeePass file (the passphrase field shows for it).
fn is_keepass_path(path: &str) -> bool {
    path.trim().to_ascii_lowercase().ends_with(".kdbx")
}

/// The section in Vault settings.
pub(crate) fn section(ui: &mut Ui, form: &mut TransferForm, secrets: usize, place: &str, commands: &mut Vec<Command>) {
    ui.label(weak(
        "Bring secrets in from a .env, TOML or JSON file or a KeePass, Bitwarden or 1Password export, or write them all out to one. You see what will happen to every \
         entry before anything is written.",
    ));
    // Both act on the place the Secrets page shows last.
    ui.label(format!("Into and from: {place} (choose another on the Secrets page)"));
    ui.add_space(6.0);

    let heading = ui.label(RichText::new("Import a file").strong());
    // "Import a file…" on the empty Secrets page: this card into view, its top at the top.
    if std::mem::take(&mut form.show_import) {
        heading.scroll_to_me(Some(egui::Align::TOP));
    }
    let hint = "e.g. ~/projects/app/.env";
    if path_row(ui, "File to import", &mut form.import_path, hint, Pick::Import, &mut form.focus_import_path, commands)
    {
        form.import_error = None;
    }
    ui.horizontal(|ui| {
        ui.label("Format");
        egui::ComboBox::from_id_salt("import format")
            .selected_text(format_label(form.import_format))
            .show_ui(ui, |ui| {
                for format in [None, Some(Format::Env), Some(Format::Toml), Some(Format::Json)] {
                    ui.selectable_value(&mut form.import_format, format, format_label(format));
                }
            })
            .response
            .accessible_name("Import format");
        ui.checkbox(&mut form.flatten, "Flatten nested tables")
            .on_hover_text("Import [section] key (TOML) or {\"section\": {\"key\": …}} (JSON) as SECTION_KEY");
    });
    if is_keepass_path(&form.import_path) {
        passphrase_field(ui, SecretField::KeepassPassphrase, &mut form.source_passphrase, false);
        let label = ui.label("Key file (optional)");
        let field = egui::TextEdit::singleline(&mut form.key_file).desired_width(ui.available_width());
        ui.add(field).labelled_by(label.id);
    }
    let can_review = typed_path(&form.import_path).is_some();
    if style::primary(ui, can_review, "Review import…").clicked()
        && let Some(path) = typed_path(&form.import_path)
    {
        commands.push(Command::PlanImport(path));
    }
    if let Some(error) = &form.import_error {
        style::error_text(ui, error);
    }

    ui.add_space(10.0);
    ui.label(RichText::new("Export all secrets").strong());
    let hint = "e.g. ~/Desktop/secrets.env";
    if path_row(ui, "Export to file", &mut form.export_path, hint, Pick::Export, &mut false, commands) {
        form.export_error = None;
        if let Some(format) = typed_path(&form.export_path).as_deref().and_then(Format::from_path) {
            form.export_format = format;
        }
    }
    ui.horizontal(|ui| {
        ui.label("Format");
        egui::ComboBox::from_id_salt("export format")
            .selected_text(format_label(Some(form.export_format)))
            .show_ui(ui, |ui| {
                for format in [Format::Env, Format::Toml, Format::Json] {
                    ui.selectable_value(&mut form.export_format, format, format_label(Some(format)));
                }
            })
            .response
            .accessible_name("Export format");
    });
    let can_export = secrets > 0 && typed_path(&form.export_path).is_some();
    if style::secondary_enabled(ui, can_export, "Export…").clicked()
        && let Some(path) = typed_path(&form.export_path)
    {
        commands.push(Command::AskExport(path, form.export_format));
    }
    if secrets == 0 {
        ui.label(weak("There is nothing to export yet.").small());
    }
    if let Some(error) = &form.export_error {
        style::error_text(ui, error);
    }
}

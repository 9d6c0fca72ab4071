//! Import and export in Vault settings: a file path (typed, or picked with the system's file
//! dialog), then the core's import plan as a table, or an export confirmation. The rules — what
//! is added, updated, skipped and why — come from the core's `plan_import`; this is only a view.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, channel};

use egui::{Align, Color32, Layout, RichText, Ui};

use super::Command;
use super::style::{self, weak};
use crate::interchange::export::{self, ExportError};
use crate::interchange::import::{ImportError, ImportFile, ImportFileError, PreparedImport, Source};
use crate::interchange::{Finding, Format, ParseOptions};
use crate::vault::{ConflictPolicy, ImportPlan, ImportReport, PlanAction, SecretMeta, Vault};

/// The Import and export section's fields.
pub(crate) struct TransferForm {
    pub import_path: String,
    /// `None`: from the file name.
    pub import_format: Option<Format>,
    pub flatten: bool,
    pub export_path: String,
    pub export_format: Format,
    pub error: Option<String>,
    /// A file dialog running on its own thread, and what it is for.
    picking: Option<(Pick, Receiver<Option<PathBuf>>)>,
}

impl Default for TransferForm {
    fn default() -> Self {
        TransferForm {
            import_path: String::new(),
            import_format: None,
            flatten: false,
            export_path: String::new(),
            export_format: Format::Env,
            error: None,
            picking: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pick {
    Import,
    Export,
}

impl TransferForm {
    /// Opens the system's file dialog without blocking the window. Where there is none (no
    /// desktop portal, say), nothing happens and the typed path is still there.
    pub fn pick(&mut self, ctx: &egui::Context, what: Pick) {
        if self.picking.is_some() {
            return;
        }
        let (tx, rx) = channel();
        let ctx = ctx.clone();
        let export_name = format!("secrets.{}", self.export_format.name());
        std::thread::spawn(move || {
            let dialog = rfd::AsyncFileDialog::new().add_filter("Secrets files", &["env", "toml", "json"]);
            let picked = match what {
                Pick::Import => pollster::block_on(dialog.set_title("Import secrets from…").pick_file()),
                Pick::Export => {
                    pollster::block_on(dialog.set_title("Export secrets to…").set_file_name(export_name).save_file())
                }
            };
            let _ = tx.send(picked.map(|f| f.path().to_owned()));
            ctx.request_repaint();
        });
        self.picking = Some((what, rx));
    }

    /// Takes the path the file dialog returned, if it has.
    pub fn receive_pick(&mut self) {
        let Some((what, rx)) = &self.picking else { return };
        let Ok(picked) = rx.try_recv() else { return };
        if let Some(path) = picked {
            let text = path.display().to_string();
            match what {
                Pick::Import => self.import_path = text,
                Pick::Export => {
                    if let Some(format) = Format::from_path(&path) {
                        self.export_format = format;
                    }
                    self.export_path = text;
                }
            }
            self.error = None;
        }
        self.picking = None;
    }
}

fn format_label(format: Option<Format>) -> &'static str {
    match format {
        None => "From the file name",
        Some(Format::Env) => ".env",
        Some(Format::Toml) => "TOML",
        Some(Format::Json) => "JSON",
    }
}

/// The path typed in a field: `~/` expanded, surrounding spaces and quotes (from a pasted path)
/// removed.
pub(crate) fn typed_path(text: &str) -> Option<PathBuf> {
    let text = text.trim().trim_matches(|c| c == '"' || c == '\'');
    if text.is_empty() {
        return None;
    }
    if let Some(rest) = text.strip_prefix("~/")
        && let Some(home) = directories::BaseDirs::new()
    {
        return Some(home.home_dir().join(rest));
    }
    Some(PathBuf::from(text))
}

/// A labelled path field after a Browse… button (the system's file dialog). True when the typed
/// text changed.
fn path_row(ui: &mut Ui, label: &str, text: &mut String, hint: &str, pick: Pick, commands: &mut Vec<Command>) -> bool {
    let label = ui.label(label);
    ui.horizontal(|ui| {
        let (name, tip) = match pick {
            Pick::Import => ("Browse for a file to import", "Choose the file with the system's file dialog"),
            Pick::Export => ("Browse for where to export", "Choose where to save with the system's file dialog"),
        };
        if ui.button("Browse…").on_hover_text(tip).accessible_name(name).clicked() {
            commands.push(Command::Pick(pick));
        }
        let field = egui::TextEdit::singleline(text).hint_text(hint).desired_width(ui.available_width());
        ui.add(field).labelled_by(label.id).changed()
    })
    .inner
}

/// The section in Vault settings.
pub(crate) fn section(ui: &mut Ui, form: &mut TransferForm, secrets: usize, commands: &mut Vec<Command>) {
    form.receive_pick();
    ui.label(weak(
        "Bring secrets in from a .env, TOML or JSON file, or write them all out to one. You see what will \
         happen to every entry before anything is written.",
    ));
    ui.add_space(6.0);

    ui.label(RichText::new("Import a file").strong());
    if path_row(ui, "File to import", &mut form.import_path, "e.g. ~/projects/app/.env", Pick::Import, commands) {
        form.error = None;
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
    let can_review = typed_path(&form.import_path).is_some();
    if style::primary(ui, can_review, "Review import…").clicked()
        && let Some(path) = typed_path(&form.import_path)
    {
        commands.push(Command::PlanImport(path));
    }

    ui.add_space(10.0);
    ui.label(RichText::new("Export all secrets").strong());
    if path_row(ui, "Export to file", &mut form.export_path, "e.g. ~/Desktop/secrets.env", Pick::Export, commands) {
        form.error = None;
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
    if let Some(error) = &form.error {
        style::error_text(ui, error);
    }
}

/// Reads, parses and plans an import (on a worker thread: big files, many decrypts).
pub(crate) fn plan(
    vault: &Vault,
    path: &Path,
    format: Option<Format>,
    flatten: bool,
) -> Result<PreparedImport, String> {
    ImportFile::read_and_plan(vault, Source::File(path), format, ParseOptions { flatten }, ConflictPolicy::Fail)
        .map_err(|e| match e {
            ImportError::File(e @ ImportFileError::UnknownFormat { .. }) => {
                format!("{}; choose .env, TOML or JSON under Format.", style::capitalized(&e.to_string()))
            }
            e => format!("{}.", style::capitalized(&e.to_string())),
        })
}

/// Writes every secret to `path` (on a worker thread). Returns how many were written.
pub(crate) fn export(vault: &Vault, path: &Path, format: Format, overwrite: bool) -> Result<usize, String> {
    export::to_file(vault, path, format, None, overwrite).map_err(|e| match e {
        ExportError::Exists { .. } => format!("{e}; tick “Replace it” to overwrite it."),
        e => format!("{}.", style::capitalized(&e.to_string())),
    })
}

/// The import review dialog's state.
pub(crate) struct ImportReview {
    pub path: PathBuf,
    pub plan: ImportPlan,
    pub findings: Vec<Finding>,
    pub error: Option<String>,
}

/// The export confirmation's state.
pub(crate) struct ExportConfirm {
    pub path: PathBuf,
    pub format: Format,
    pub count: usize,
    pub overwrite: bool,
    pub exists: bool,
    pub error: Option<String>,
}

fn action_colour(ui: &Ui, action: &PlanAction) -> Color32 {
    let dark = ui.visuals().dark_mode;
    match action {
        PlanAction::Add => {
            if dark {
                Color32::from_rgb(0x4C, 0xC3, 0x7A)
            } else {
                Color32::from_rgb(0x1E, 0x8E, 0x4E)
            }
        }
        PlanAction::Update => style::ACCENT,
        PlanAction::Same => ui.visuals().weak_text_color(),
        PlanAction::Conflict => style::DANGER,
        PlanAction::Skip(_) => {
            if dark {
                Color32::from_rgb(0xE0, 0xA0, 0x40)
            } else {
                Color32::from_rgb(0xA8, 0x65, 0x00)
            }
        }
    }
}

pub(crate) fn import_dialog(ui: &mut Ui, review: &mut ImportReview, commands: &mut Vec<Command>) {
    ui.set_width(680.0);
    let file = review.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    ui.label(RichText::new(format!("Import {file}")).size(18.0).strong());
    ui.label(weak(review.path.display().to_string()).small());
    ui.add_space(4.0);
    let counts = review.plan.counts();
    ui.label(counts.to_string());

    let conflicts = review.plan.items.iter().any(|i| {
        matches!(i.action, PlanAction::Update | PlanAction::Conflict)
            || matches!(i.action, PlanAction::Skip(crate::vault::SkipReason::Conflict))
    });
    if conflicts {
        ui.add_space(4.0);
        ui.label("When a name already exists with a different value:");
        let mut policy = review.plan.policy();
        ui.horizontal(|ui| {
            ui.radio_value(&mut policy, ConflictPolicy::Fail, "Ask me (stop)");
            ui.radio_value(&mut policy, ConflictPolicy::Skip, "Keep the vault's value");
            ui.radio_value(&mut policy, ConflictPolicy::Overwrite, "Replace it (new version)");
        });
        if policy != review.plan.policy() {
            commands.push(Command::SetImportPolicy(policy));
        }
    }

    ui.add_space(6.0);
    let widths = [70.0, 220.0, 40.0];
    let row = |ui: &mut Ui, cells: [RichText; 4]| {
        ui.horizontal(|ui| {
            let [a, b, c, d] = cells;
            for (text, width) in [a, b, c].into_iter().zip(widths) {
                ui.allocate_ui_with_layout(egui::vec2(width, 18.0), Layout::left_to_right(Align::Center), |ui| {
                    ui.set_min_width(width);
                    ui.add(egui::Label::new(text).truncate());
                });
            }
            ui.add(egui::Label::new(d).wrap());
        });
    };
    row(
        ui,
        [
            RichText::new("Action").strong().small(),
            RichText::new("Name").strong().small(),
            RichText::new("Line").strong().small(),
            RichText::new("Details").strong().small(),
        ],
    );
    ui.separator();
    egui::ScrollArea::vertical().max_height(260.0).auto_shrink([false, true]).show(ui, |ui| {
        for item in &review.plan.items {
            let colour = action_colour(ui, &item.action);
            let mut details: Vec<String> = item.reason().into_iter().collect();
            details.extend(item.warnings.iter().map(ToString::to_string));
            row(
                ui,
                [
                    RichText::new(item.action.label()).color(colour).strong(),
                    RichText::new(item.shown_key()).monospace(),
                    RichText::new(item.line.map(|l| l.to_string()).unwrap_or_default()).weak(),
                    RichText::new(details.join("; ")).small(),
                ],
            );
        }
        if review.plan.items.is_empty() {
            ui.label(weak("The file holds no entries."));
        }
    });
    if !review.findings.is_empty() {
        ui.add_space(4.0);
        ui.label(RichText::new("Notes about the file").strong().small());
        for finding in &review.findings {
            ui.label(weak(format!("• {finding}")).small());
        }
    }

    let blocked = review.plan.blocked_conflicts().len();
    if blocked > 0 {
        let names = if blocked == 1 { "name exists" } else { "names exist" };
        style::error_text(
            ui,
            &format!("{blocked} {names} with a different value: choose to keep the vault's value or replace it."),
        );
    }
    if let Some(error) = &review.error {
        style::error_text(ui, error);
    }
    let writes = counts.add + counts.update;
    ui.add_space(8.0);
    ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
        let label = match writes {
            0 => "Import".to_owned(),
            1 => "Import 1 secret".to_owned(),
            n => format!("Import {n} secrets"),
        };
        if style::primary(ui, writes > 0 && blocked == 0, &label).accessible_name("Import").clicked() {
            commands.push(Command::ConfirmImport);
        }
        if style::secondary(ui, "Cancel").clicked() {
            commands.push(Command::CloseDialog);
        }
        if writes == 0 && blocked == 0 {
            ui.label(weak("Nothing to change.").small());
        }
    });
}

pub(crate) fn export_dialog(ui: &mut Ui, confirm: &mut ExportConfirm, commands: &mut Vec<Command>) {
    let what = if confirm.count == 1 { "1 secret".to_owned() } else { format!("{} secrets", confirm.count) };
    ui.label(RichText::new(format!("Export {what} in plain text?")).size(18.0).strong());
    ui.add_space(4.0);
    ui.label(RichText::new(confirm.path.display().to_string()).monospace());
    ui.add_space(4.0);
    ui.label(format!(
        "The {} file holds every value unencrypted: anyone who can read it can use your secrets. It is \
         created readable only by you. Delete it when you no longer need it.",
        format_label(Some(confirm.format))
    ));
    if confirm.exists {
        ui.add_space(4.0);
        style::warning_text(ui, "A file with this name already exists.");
        ui.checkbox(&mut confirm.overwrite, "Replace it");
    }
    if let Some(error) = &confirm.error {
        style::error_text(ui, error);
    }
    ui.add_space(8.0);
    ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
        let ready = !confirm.exists || confirm.overwrite;
        if style::primary(ui, ready, "Export").clicked() {
            commands.push(Command::ConfirmExport);
        }
        if style::secondary(ui, "Cancel").clicked() {
            commands.push(Command::CloseDialog);
        }
    });
}

/// What a finished import shows.
pub(crate) fn imported_text(path: &Path, report: &ImportReport) -> String {
    let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    format!("Imported {file}: {report}.")
}

/// Metadata after an import, for the list.
pub(crate) type Relisted = crate::vault::Listing<SecretMeta>;

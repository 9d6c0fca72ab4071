//! Backups in Vault settings: how many to keep, "Back up now", the list, and restoring one. The
//! rules (when backups are made, what a restore checks) are the core's `vault::backup`.

use std::path::Path;

use egui::{Align, Key, Layout, RichText, Ui};

use super::Command;
use super::screens::passphrase_field;
use super::style::{self, weak};
use super::text::SecretText;
use crate::vault::Timestamp;
use crate::vault::backup::{self, BackupInfo};

/// The choices offered for "Keep the last …" (0 turns backups off).
pub(crate) const KEEP_CHOICES: [usize; 6] = [0, 3, 5, 10, 20, 50];

/// The Backups section's state: the folder's listing, read when the page opens and after every
/// change, not every frame.
#[derive(Default)]
pub(crate) struct BackupsView {
    pub list: Vec<BackupInfo>,
    pub keep: usize,
    pub error: Option<String>,
}

impl BackupsView {
    pub fn reload(&mut self, vault_path: &Path) {
        self.keep = backup::keep(vault_path);
        match backup::list(vault_path) {
            Ok(list) => {
                self.list = list;
                self.error = None;
            }
            Err(e) => {
                self.list.clear();
                self.error = Some(style::sentence(&e.to_string()));
            }
        }
    }
}

/// The restore dialog: which backup, and the passphrase that opens it.
pub(crate) struct RestoreForm {
    pub backup: BackupInfo,
    pub passphrase: SecretText,
    pub error: Option<String>,
    /// Put the cursor in the passphrase field when the dialog opens.
    pub focus: bool,
}

impl RestoreForm {
    pub fn new(backup: BackupInfo) -> Self {
        RestoreForm { backup, passphrase: SecretText::new(), error: None, focus: true }
    }
}

fn keep_label(n: usize) -> String {
    match n {
        0 => "Off".into(),
        1 => "Keep the last backup".into(),
        n => format!("Keep the last {n}"),
    }
}

fn size_label(bytes: u64) -> String {
    match bytes {
        b if b < 1024 * 1024 => format!("{} KiB", b.div_ceil(1024)),
        b => format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)),
    }
}

pub(crate) fn section(
    ui: &mut Ui,
    view: &BackupsView,
    vault_path: &Path,
    now: Timestamp,
    can_write: bool,
    commands: &mut Vec<Command>,
) {
    ui.label(weak(
        "Tresor backs up the vault by itself before an import, a passphrase change, a key rotation or a \
         purge, and once a day when you unlock. Backups are encrypted like the vault and open with your \
         passphrase (a backup older than a key rotation: the passphrase of that time).",
    ));
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        let mut choice = view.keep;
        egui::ComboBox::from_id_salt("backups_keep")
            .selected_text(keep_label(choice))
            .show_ui(ui, |ui| {
                let mut choices = KEEP_CHOICES.to_vec();
                if !choices.contains(&view.keep) {
                    choices.push(view.keep);
                    choices.sort_unstable();
                }
                for option in choices {
                    ui.selectable_value(&mut choice, option, keep_label(option));
                }
            })
            .response
            .accessible_name("Backups to keep");
        if choice != view.keep {
            commands.push(Command::SetBackupKeep(choice));
        }
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            if style::secondary_enabled(ui, can_write && view.keep > 0, "Back up now").clicked() {
                commands.push(Command::BackupNow);
            }
        });
    });
    if view.keep == 0 {
        style::warning_text(ui, "Automatic backups are off. The backups below are kept until you delete them.");
    }
    ui.add_space(4.0);
    if let Some(error) = &view.error {
        style::error_text(ui, error);
    } else if view.list.is_empty() {
        ui.label(weak("No backups yet."));
    }
    if !view.list.is_empty() {
        egui::Grid::new("backups_list").num_columns(4).spacing([18.0, 4.0]).striped(true).min_row_height(30.0).show(
            ui,
            |ui| {
                for item in &view.list {
                    ui.label(style::exact(item.created)).on_hover_text(style::relative(now, item.created));
                    ui.label(weak(style::capitalized(item.reason.describe())));
                    ui.label(weak(size_label(item.bytes)));
                    let name =
                        format!("Restore the backup from {} ({})", style::exact(item.created), item.reason.describe());
                    let button = ui.add_enabled(can_write, egui::Button::new("Restore…"));
                    if button.on_hover_text(&name).accessible_name(&name).clicked() {
                        commands.push(Command::AskRestoreBackup(item.clone()));
                    }
                    ui.end_row();
                }
            },
        );
    }
    ui.add_space(2.0);
    ui.label(weak(format!("Folder: {}", backup::backup_dir(vault_path).display())).small());
}

pub(crate) fn restore_dialog(ui: &mut Ui, form: &mut RestoreForm, commands: &mut Vec<Command>) {
    ui.label(RichText::new("Restore backup").size(18.0).strong());
    ui.add_space(4.0);
    ui.label(format!(
        "Put the vault back to how it was on {} ({}). Changes made since then are undone.",
        style::exact(form.backup.created),
        form.backup.reason.describe()
    ));
    ui.label(weak("The current state is backed up first, so this restore can itself be undone."));
    ui.add_space(6.0);
    let field = passphrase_field(ui, "Backup passphrase", &mut form.passphrase, false);
    if std::mem::take(&mut form.focus) {
        field.request_focus();
    }
    ui.label(
        weak(
            "Your current passphrase, unless the backup is older than a key rotation (then the passphrase of \
             that time). Afterwards the vault opens with it.",
        )
        .small(),
    );
    if field.changed() {
        form.error = None;
    }
    if let Some(e) = &form.error {
        style::error_text(ui, e);
    }
    let entered = field.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
    ui.add_space(8.0);
    ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
        let ready = !form.passphrase.is_empty();
        if style::primary(ui, ready, "Restore").clicked() || (entered && ready) {
            commands.push(Command::SubmitRestoreBackup);
        }
        if style::secondary(ui, "Cancel").clicked() {
            commands.push(Command::CloseDialog);
        }
    });
}

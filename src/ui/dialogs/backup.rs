//! The restore-backup dialog: which backup, and the passphrase that opens it.

use egui::{Key, Ui};

use crate::ui::command::Command;
use crate::ui::session::RestoreForm;
use crate::ui::style::{self, weak};
use crate::ui::widgets::{SecretField, dialog_body, dialog_buttons, dialog_title, passphrase_field};

pub(crate) fn show(ui: &mut Ui, form: &mut RestoreForm, commands: &mut Vec<Command>) {
    dialog_title(ui, "Restore a backup");
    let entered = dialog_body(ui, |ui| body(ui, form));
    dialog_buttons(ui, |ui| {
        let ready = !form.passphrase.is_empty();
        if style::primary(ui, ready, "Restore").clicked() || (entered && ready) {
            commands.push(Command::SubmitRestoreBackup);
        }
        if style::secondary(ui, "Cancel").clicked() {
            commands.push(Command::CloseDialog);
        }
    });
}

/// What the restore does, and the passphrase field; true when Enter was pressed in it.
fn body(ui: &mut Ui, form: &mut RestoreForm) -> bool {
    ui.label(format!(
        "Put the vault back to how it was on {} ({}). Changes made since then are undone.",
        style::exact(form.backup.created),
        form.backup.reason.describe()
    ));
    ui.label(weak("The current state is backed up first, so this restore can itself be undone."));
    ui.add_space(6.0);
    let field = passphrase_field(ui, SecretField::BackupPassphrase, &mut form.passphrase, false);
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
    field.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter))
}

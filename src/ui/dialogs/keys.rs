//! The key dialogs of Vault settings: strengthen the key derivation, rotate the vault key. Both
//! confirm with the current passphrase.

use egui::{Key, Ui};

use crate::ui::command::Command;
use crate::ui::session::PassphraseForm;
use crate::ui::style;
use crate::ui::widgets::{SecretField, dialog_body, dialog_buttons, dialog_title, passphrase_field};

/// Strengthen key derivation.
pub(crate) fn strengthen(ui: &mut Ui, form: &mut PassphraseForm, commands: &mut Vec<Command>) {
    dialog_title(ui, "Strengthen key derivation");
    let about = "Re-derives the key that protects your vault with today's default Argon2id parameters, calibrated \
                 to about one second on this machine. Your passphrase stays the same.";
    passphrase_confirm(ui, form, about, "Strengthen", Command::SubmitStrengthen, commands);
}

/// Rotate the vault key.
pub(crate) fn rotate_key(ui: &mut Ui, form: &mut PassphraseForm, commands: &mut Vec<Command>) {
    dialog_title(ui, "Rotate the vault key");
    let about = "Replaces the key that encrypts every secret with a new random one and re-encrypts everything \
                 under it. Do this after a passphrase that may have leaked: copies of the vault file made before \
                 then hold the old key. Your passphrase stays the same; the vault is backed up first.";
    passphrase_confirm(ui, form, about, "Rotate key", Command::SubmitRotateKey, commands);
}

/// The explanation, the current-passphrase field and the buttons of the strengthen and
/// rotate-key dialogs.
fn passphrase_confirm(
    ui: &mut Ui,
    form: &mut PassphraseForm,
    about: &str,
    action: &str,
    submit: Command,
    commands: &mut Vec<Command>,
) {
    let entered = dialog_body(ui, |ui| {
        ui.label(about);
        // Not "Current passphrase": that field is on the settings page behind this dialog.
        let field = passphrase_field(ui, SecretField::YourPassphrase, &mut form.passphrase, false);
        if let Some(e) = &form.error {
            style::error_text(ui, e);
        }
        field.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter))
    });
    dialog_buttons(ui, |ui| {
        if style::primary(ui, !form.passphrase.is_empty(), action).clicked() || entered {
            commands.push(submit);
        }
        if style::secondary(ui, "Cancel").clicked() {
            commands.push(Command::CloseDialog);
        }
    });
}

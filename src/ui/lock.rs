//! The lock screens: first start (create a vault) and locked (unlock, open or create another
//! vault, restore the latest backup of a damaged vault).

use std::path::{Path, PathBuf};

use egui::{Align, Key, Layout, RichText, Ui};

use super::command::Command;
use super::session::{SetupForm, UnlockForm};
use super::style::{self, weak};
use super::widgets::{SecretField, confirmation_mismatch, passphrase_field, strength_meter};

const CARD_WIDTH: f32 = 440.0;

/// Centers a fixed-width card on the screen.
fn centered_card(ui: &mut Ui, add: impl FnOnce(&mut Ui)) {
    egui::CentralPanel::default().show(ui, |ui| {
        egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
            let top = ((ui.available_height() - 460.0) / 2.0).max(24.0);
            ui.add_space(top);
            ui.vertical_centered(|ui| {
                ui.set_max_width(CARD_WIDTH);
                style::card(ui).show(ui, |ui| {
                    ui.set_width(CARD_WIDTH - 40.0);
                    ui.with_layout(Layout::top_down(Align::Min), add);
                });
            });
        });
    });
}

fn brand(ui: &mut Ui, title: &str) {
    ui.horizontal(|ui| {
        ui.label(RichText::new("🔐").size(26.0));
        ui.label(RichText::new(title).size(22.0).strong());
    });
}

/// The spinner shown while the key is derived, with why it takes a while.
fn working(ui: &mut Ui, caption: &str) {
    ui.horizontal(|ui| {
        ui.spinner();
        ui.label(caption);
    });
    ui.label(weak("This takes about a second, by design: it makes guessing your passphrase slow.").small());
}

/// The first-start screen (and "Create a new vault…").
pub(crate) fn setup(ui: &mut Ui, form: &mut SetupForm, busy: Option<&'static str>, commands: &mut Vec<Command>) {
    if form.join {
        return join(ui, form, busy, commands);
    }
    centered_card(ui, |ui| {
        brand(ui, "Create your vault");
        ui.label(
            "Tresor keeps your secrets in one encrypted file on this computer. Choose a passphrase: it is the only \
             way in, and it cannot be recovered if you forget it.",
        );
        ui.add_space(6.0);
        ui.label(RichText::new("Vault file").strong());
        if form.path_editable {
            ui.add(egui::TextEdit::singleline(&mut form.path_text).desired_width(f32::INFINITY))
                .accessible_name("Vault file");
        } else {
            ui.label(RichText::new(&form.path_text).monospace().weak());
        }
        ui.add_space(4.0);
        let pass = passphrase_field(ui, SecretField::Passphrase, &mut form.passphrase, form.show);
        let pass_entered = pass.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
        if busy.is_none() && !form.path_editable && ui.memory(|m| m.focused().is_none()) {
            pass.request_focus();
        }
        if pass.changed() {
            form.strength = super::strength::strength(form.passphrase.as_str());
            form.error = None;
        }
        strength_meter(ui, &form.strength);
        let confirm = passphrase_field(ui, SecretField::ConfirmPassphrase, &mut form.confirm, form.show);
        ui.checkbox(&mut form.show, "Show passphrase");
        if confirmation_mismatch(form.passphrase.as_str(), form.confirm.as_str(), confirm.has_focus()) {
            style::error_text(ui, "The two passphrases do not match.");
        }
        if let Some(error) = &form.error {
            style::error_text(ui, error);
        }
        ui.add_space(6.0);
        if let Some(caption) = busy {
            working(ui, caption);
            return;
        }
        ui.horizontal(|ui| {
            let submit = style::primary(ui, form.ready(), "Create vault");
            let entered = pass_entered || (confirm.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)));
            if submit.clicked() || (entered && form.ready()) {
                commands.push(Command::CreateVault);
            }
            if form.path_editable && style::secondary(ui, "Back").clicked() {
                commands.push(Command::CancelNewVault);
            }
        });
        ui.add_space(6.0);
        ui.label(weak("Already use Tresor on another device, through a synced folder?"));
        if style::secondary(ui, "Join a synced vault…").clicked() {
            form.join = true;
            form.focus_folder = true;
            form.error = None;
        }
    });
}

/// "Join a synced vault…": this device's vault built from a folder the others sync through.
fn join(ui: &mut Ui, form: &mut SetupForm, busy: Option<&'static str>, commands: &mut Vec<Command>) {
    centered_card(ui, |ui| {
        brand(ui, "Join a synced vault");
        ui.label(
            "Build this device's vault from the folder your other devices sync through (with Syncthing, a cloud \
             drive, a git repository). Use the passphrase of any of them.",
        );
        ui.add_space(6.0);
        let label = ui.label(RichText::new("Sync folder").strong());
        let folder = ui
            .add(
                egui::TextEdit::singleline(&mut form.folder_text)
                    .hint_text("/home/you/Sync/tresor")
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
        if busy.is_none() && (std::mem::take(&mut form.focus_folder) || ui.memory(|m| m.focused().is_none())) {
            folder.request_focus();
        }
        ui.add_space(4.0);
        let pass = passphrase_field(ui, SecretField::Passphrase, &mut form.passphrase, form.show);
        if pass.changed() || folder.changed() {
            form.error = None;
        }
        let entered = pass.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
        ui.checkbox(&mut form.show, "Show passphrase");
        let label = ui.label(RichText::new("This device's name").strong());
        ui.add(
            egui::TextEdit::singleline(&mut form.device_name)
                .hint_text(crate::vault::default_device_name())
                .desired_width(240.0),
        )
        .labelled_by(label.id);
        ui.label(weak(format!("The vault file: {}", form.path_text)).small());
        if let Some(error) = &form.error {
            style::error_text(ui, error);
        }
        ui.add_space(6.0);
        if let Some(caption) = busy {
            working(ui, caption);
            return;
        }
        ui.horizontal(|ui| {
            let ready = form.ready_to_join();
            if style::primary(ui, ready, "Join").clicked() || (entered && ready) {
                commands.push(Command::JoinSyncedVault);
            }
            if style::secondary(ui, "Back").clicked() {
                form.join = false;
                form.error = None;
            }
        });
    });
}

/// The locked screen.
pub(crate) fn locked(
    ui: &mut Ui,
    form: &mut UnlockForm,
    vault_path: &Path,
    waiting: Option<&str>,
    busy: Option<&'static str>,
    commands: &mut Vec<Command>,
) {
    centered_card(ui, |ui| {
        brand(ui, "Tresor is locked");
        ui.label(weak(vault_path.display().to_string()).monospace());
        if let Some(waiting) = waiting {
            // A command line asked the app (unlock once): it waits for this unlock.
            style::note(ui).show(ui, |ui| {
                ui.set_width(ui.available_width());
                let shown = ui.label(waiting);
                crate::ui::a11y::live(&shown, false);
            });
        }
        if let Some(notice) = &form.notice {
            // Announced: a screen-reader user learns why the window changed under them.
            let shown = ui.label(weak(notice));
            crate::ui::a11y::live(&shown, false);
        }
        ui.add_space(6.0);
        let pass = passphrase_field(ui, SecretField::Passphrase, &mut form.passphrase, form.show);
        // Read before any refocusing below: `lost_focus` looks at the focus as it is now.
        let entered = pass.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
        // The only field of the screen: it takes the keyboard whenever nothing else has it
        // (also after the window regains focus).
        let nothing_focused = ui.memory(|m| m.focused().is_none());
        if (form.focus || nothing_focused) && busy.is_none() && form.other_path.is_none() {
            pass.request_focus();
            form.focus = false;
        }
        ui.checkbox(&mut form.show, "Show passphrase");
        if pass.changed()
            && let Some(e) = &form.error
            && !e.damaged
        {
            form.error = None;
        }
        if let Some(error) = &form.error {
            if error.damaged {
                style::card(ui).fill(ui.visuals().error_fg_color.gamma_multiply(0.12)).show(ui, |ui| {
                    ui.label(RichText::new(error.title).strong().color(ui.visuals().error_fg_color));
                    ui.label(&error.message);
                    if form.can_accept_rollback && busy.is_none() {
                        ui.add_space(4.0);
                        if style::secondary_enabled(ui, !form.passphrase.is_empty(), "Use this older copy").clicked() {
                            commands.push(Command::AcceptRollback);
                        }
                    }
                    if form.can_open_read_only && busy.is_none() {
                        ui.add_space(4.0);
                        if style::secondary_enabled(ui, !form.passphrase.is_empty(), "Open read-only").clicked() {
                            commands.push(Command::OpenReadOnly);
                        }
                    }
                    if form.backups > 0 && busy.is_none() {
                        ui.add_space(4.0);
                        let count = match form.backups {
                            1 => "one backup".to_owned(),
                            n => format!("{n} backups"),
                        };
                        ui.label(weak(format!(
                            "This vault has {count}. Type its passphrase above, then restore the latest: the one \
                             holding the newest state (read inside each backup, never from its name). The file \
                             here is kept beside the vault."
                        )));
                        if style::secondary_enabled(ui, !form.passphrase.is_empty(), "Restore the latest backup")
                            .clicked()
                        {
                            commands.push(Command::RestoreLatestBackup);
                        }
                    }
                });
            } else {
                style::error_text(ui, &error.message);
            }
        }
        ui.add_space(6.0);
        // One accessible node for the screen's life, for screen readers and voice control: an id
        // of its own (not one counted after the widgets above it, which come and go with an
        // error), and drawn, disabled, while a job runs (a node removed and added again came
        // back without its action over AT-SPI).
        let can_unlock = !form.passphrase.is_empty() && busy.is_none() && form.slow.is_none();
        let stable = egui::UiBuilder::new().scope_id(egui::Id::unique("lock screen unlock"));
        let unlock = ui.scope_builder(stable, |ui| style::primary(ui, can_unlock, "Unlock")).inner;
        if (unlock.clicked() || entered) && can_unlock {
            commands.push(Command::Unlock);
        }
        if let Some(caption) = busy {
            working(ui, caption);
            return;
        }
        if let Some(slow) = &form.slow {
            style::card(ui).fill(ui.visuals().error_fg_color.gamma_multiply(0.12)).show(ui, |ui| {
                ui.label(RichText::new("This unlock would take very long").strong());
                ui.label(format!(
                    "About {} minutes here: the vault's key-derivation parameters ({}) are far above what Tresor \
                     sets up (about {} s). If you did not choose them, the file was altered.",
                    (slow.time.as_secs_f64() / 60.0).ceil(),
                    slow.kdf,
                    crate::vault::UNLOCK_TARGET.as_secs()
                ));
                ui.horizontal(|ui| {
                    if style::secondary_enabled(ui, true, "Cancel").clicked() {
                        commands.push(Command::CancelSlowUnlock);
                    }
                    if style::secondary_enabled(ui, true, "Unlock anyway").clicked() {
                        commands.push(Command::UnlockAnyway);
                    }
                });
            });
            return;
        }
        ui.add_space(10.0);
        ui.separator();
        match &mut form.other_path {
            None => {
                ui.horizontal(|ui| {
                    if ui.link("Open another vault…").clicked() {
                        form.other_path = Some(String::new());
                    }
                    ui.label(weak("·"));
                    if ui.link("Create a new vault…").clicked() {
                        commands.push(Command::StartNewVault(None));
                    }
                });
            }
            Some(path) => {
                let mut cancel = false;
                ui.label("Path of the vault file to open");
                let field = ui
                    .add(egui::TextEdit::singleline(path).hint_text("/path/to/vault.db").desired_width(f32::INFINITY))
                    .accessible_name("Vault file");
                let entered = field.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
                if field.changed() {
                    form.other_path_error = None;
                    form.missing_path = None;
                }
                if let Some(problem) = &form.other_path_error {
                    style::error_text(ui, problem);
                }
                ui.horizontal(|ui| {
                    let ok = !path.trim().is_empty();
                    if (style::primary(ui, ok, "Open").clicked() || entered) && ok {
                        commands.push(Command::OpenOtherVault(PathBuf::from(path.trim())));
                    }
                    if let Some(missing) = &form.missing_path
                        && style::secondary(ui, "Create a new vault there").clicked()
                    {
                        commands.push(Command::StartNewVault(Some(missing.clone())));
                    }
                    cancel = style::secondary(ui, "Cancel").clicked();
                });
                if cancel {
                    form.other_path = None;
                    form.other_path_error = None;
                    form.missing_path = None;
                }
            }
        }
    });
}

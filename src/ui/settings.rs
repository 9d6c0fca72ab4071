//! The Vault settings page (passphrase, auto-lock, clipboard, key derivation) and the Trash page.

use std::path::Path;

use egui::{Align, Key, Layout, RichText, Ui};

use super::prefs::{self, AUTO_LOCK_CHOICES, CLIPBOARD_CHOICES};
use super::screens::{Strength, passphrase_field, strength};
use super::style::{self, ROW_HEIGHT, weak};
use super::text::SecretText;
use super::{Command, Prefs, Session};
use crate::vault::{KdfParams, Passphrase, Timestamp};

#[derive(Default)]
pub(crate) struct SettingsForm {
    pub current: SecretText,
    pub new: SecretText,
    pub confirm: SecretText,
    pub strength: Option<Strength>,
    pub error: Option<String>,
}

impl SettingsForm {
    /// The passphrases for a change, if the form is complete; wipes the fields.
    pub fn take_change(&mut self) -> Option<(Passphrase, Passphrase)> {
        if self.current.is_empty() || self.new.is_empty() || self.new.as_str() != self.confirm.as_str() {
            return None;
        }
        let pair = (Passphrase::new(self.current.as_str()), Passphrase::new(self.new.as_str()));
        self.current.wipe();
        self.new.wipe();
        self.confirm.wipe();
        self.strength = None;
        self.error = None;
        Some(pair)
    }
}

fn section(ui: &mut Ui, title: &str, add: impl FnOnce(&mut Ui)) {
    style::card(ui).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.label(RichText::new(title).size(16.0).strong());
        ui.add_space(2.0);
        add(ui);
    });
    ui.add_space(10.0);
}

pub(crate) fn settings_page(
    ui: &mut Ui,
    session: &mut Session,
    prefs: &Prefs,
    vault_path: &Path,
    now: Timestamp,
    commands: &mut Vec<Command>,
) {
    ui.heading(RichText::new("Vault settings").strong());
    ui.add_space(6.0);
    egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
        ui.set_max_width(640.0);
        section(ui, "Passphrase", |ui| {
            ui.label(weak(
                "Re-wraps the vault key under the new passphrase (and in the backups); your secrets are not \
                 re-encrypted. If the old passphrase may have leaked, also rotate the vault key (Vault file, below): \
                 a copy of the file made before still opens with it, and holds the same key until you do.",
            ));
            let form = &mut session.settings;
            let current = passphrase_field(ui, "Current passphrase", &mut form.current, false);
            let new = passphrase_field(ui, "New passphrase", &mut form.new, false);
            if new.changed() {
                form.strength = strength(form.new.as_str());
            }
            if let Some(s) = &form.strength
                && s.score < 3
            {
                style::warning_text(ui, "This passphrase is weak: it could be guessed from a stolen vault file.");
            }
            let confirm = passphrase_field(ui, "Confirm new passphrase", &mut form.confirm, false);
            if !form.confirm.is_empty() && form.new.as_str() != form.confirm.as_str() {
                style::error_text(ui, "The two new passphrases do not match.");
            }
            if current.changed() || new.changed() || confirm.changed() {
                form.error = None;
            }
            if let Some(e) = &form.error {
                style::error_text(ui, e);
            }
            let ready = !form.current.is_empty() && !form.new.is_empty() && form.new.as_str() == form.confirm.as_str();
            let entered = confirm.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
            if (style::primary(ui, ready && session.vault.is_some(), "Change passphrase").clicked() || entered) && ready
            {
                commands.push(Command::ChangePassphrase);
            }
        });

        section(ui, "Auto-lock", |ui| {
            ui.horizontal(|ui| {
                ui.label("Lock after");
                let mut choice = prefs.auto_lock_minutes;
                egui::ComboBox::from_id_salt("auto_lock")
                    .selected_text(prefs::minutes_label(choice))
                    .show_ui(ui, |ui| {
                        for option in AUTO_LOCK_CHOICES {
                            ui.selectable_value(&mut choice, option, prefs::minutes_label(option));
                        }
                    })
                    .response
                    .accessible_name("Auto-lock after");
                ui.label(weak("without input"));
                if choice != prefs.auto_lock_minutes {
                    commands.push(Command::SetPrefs(Prefs { auto_lock_minutes: choice, ..prefs.clone() }));
                }
            });
        });

        section(ui, "Clipboard", |ui| {
            ui.horizontal(|ui| {
                ui.label("Clear copied values after");
                let mut choice = prefs.clipboard_clear_seconds;
                egui::ComboBox::from_id_salt("clipboard_clear")
                    .selected_text(prefs::seconds_label(choice))
                    .show_ui(ui, |ui| {
                        for option in CLIPBOARD_CHOICES {
                            ui.selectable_value(&mut choice, option, prefs::seconds_label(option));
                        }
                    })
                    .response
                    .accessible_name("Clear clipboard after");
                if choice != prefs.clipboard_clear_seconds {
                    commands.push(Command::SetPrefs(Prefs { clipboard_clear_seconds: choice, ..prefs.clone() }));
                }
            });
            ui.label(weak(
                "Only if the clipboard still holds the copied value. Copies are also cleared on lock and on quit, \
                 and kept out of clipboard history where the system allows it.",
            ));
        });

        section(ui, "Import and export", |ui| {
            let secrets = session.list.len();
            super::transfer::section(ui, &mut session.transfer, secrets, commands);
        });

        section(ui, "Backups", |ui| {
            let can_write = session.vault.as_ref().is_some_and(|v| !v.is_salvage());
            super::backups::section(ui, &session.backups, vault_path, now, can_write, commands);
        });

        section(ui, "Vault file", |ui| {
            egui::Grid::new("vault_file").num_columns(2).spacing([16.0, 6.0]).show(ui, |ui| {
                ui.label(weak("Path"));
                ui.add(egui::Label::new(RichText::new(vault_path.display().to_string()).monospace()).selectable(true));
                ui.end_row();
                if let Some(vault) = &session.vault {
                    let kdf = vault.kdf_params();
                    ui.label(weak("Key derivation"));
                    ui.label(kdf.to_string());
                    ui.end_row();
                    if kdf.below_default() {
                        ui.label("");
                        ui.horizontal(|ui| {
                            ui.label(weak("Below today's default of 256 MiB."));
                            if ui.button("Strengthen").clicked() {
                                commands.push(Command::AskStrengthen);
                            }
                        });
                        ui.end_row();
                    }
                    if !vault.is_salvage() {
                        ui.label(weak("Vault key"));
                        if ui.button("Rotate key…").on_hover_text("Re-encrypt every secret under a new key").clicked()
                        {
                            commands.push(Command::AskRotateKey);
                        }
                        ui.end_row();
                    }
                }
            });
            ui.label(weak(format!(
                "The floor for any vault is {}; the default is 256 MiB with passes calibrated to about one second.",
                KdfParams::FLOOR
            )));
        });
    });
}

pub(crate) fn trash_page(ui: &mut Ui, session: &mut Session, now: Timestamp, commands: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        ui.heading(RichText::new("Trash").strong());
        if !session.trash.is_empty() {
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                if ui.button("Empty trash").clicked() {
                    commands.push(Command::AskPurge(None));
                }
            });
        }
    });
    ui.label(weak("Deleted secrets stay here for 30 days, then they are erased for good."));
    ui.add_space(8.0);
    if session.trash.is_empty() {
        ui.add_space(30.0);
        ui.vertical_centered(|ui| ui.label(weak("The trash is empty.")));
        return;
    }
    egui::ScrollArea::vertical().auto_shrink(false).show_rows(ui, ROW_HEIGHT, session.trash.len(), |ui, range| {
        for item in &session.trash[range] {
            let name = item.meta.name.as_str();
            ui.push_id(item.meta.id, |ui| {
                ui.horizontal(|ui| {
                    ui.set_height(ROW_HEIGHT);
                    ui.add_sized(
                        [240.0, ROW_HEIGHT],
                        egui::Label::new(RichText::new(name).monospace().strong()).truncate(),
                    );
                    ui.add_sized(
                        [ui.available_width() - 330.0, ROW_HEIGHT],
                        egui::Label::new(weak(if item.meta.description.is_empty() {
                            "—"
                        } else {
                            &item.meta.description
                        }))
                        .truncate(),
                    );
                    ui.label(format!("deleted {}", style::relative(now, item.deleted)))
                        .on_hover_text(style::exact(item.deleted));
                    ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                        if style::icon_button(ui, "✖", &format!("Purge {name}"), "Delete for good").clicked() {
                            commands.push(Command::AskPurge(Some(item.meta.id)));
                        }
                        if style::icon_button(ui, "↺", &format!("Restore {name}"), "Restore").clicked() {
                            commands.push(Command::RestoreFromTrash(item.meta.id));
                        }
                    });
                });
            });
        }
    });
}

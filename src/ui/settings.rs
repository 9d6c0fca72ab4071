//! The Vault settings page and its own sections: passphrase, auto-lock, clipboard, and the vault
//! file (key derivation, rotate key). The Import and export and Backups sections are drawn by
//! transfer.rs and backups.rs; shell.rs puts them in order.

use std::path::Path;

use egui::{Key, RichText, Ui};

use super::command::Command;
use super::prefs::{self, AUTO_LOCK_CHOICES, CLIPBOARD_CHOICES, Prefs, Theme};
use super::session::SettingsForm;
use super::strength::strength;
use super::style::{self, weak};
use super::widgets::{SecretField, confirmation_mismatch, passphrase_field, section, strength_meter};
use crate::vault::KdfParams;

/// The page's title and scrolling column; `sections` fills it.
pub(crate) fn page(ui: &mut Ui, sections: impl FnOnce(&mut Ui)) {
    let title = ui.heading(RichText::new("Vault settings").strong());
    super::a11y::heading(&title, 1);
    ui.add_space(6.0);
    // A scroll position of its own (pages sharing one jumped each other's).
    egui::ScrollArea::vertical().id_salt("settings page").auto_shrink(false).show(ui, |ui| {
        ui.set_max_width(640.0);
        sections(ui);
    });
}

/// Changing the passphrase. `vault_ready`: no worker thread has the vault. Enter goes from one
/// field to the next and submits from the last (or from any, once all three are filled); a
/// wrong current passphrase is said under its field, which gets the focus back.
pub(crate) fn passphrase_section(ui: &mut Ui, form: &mut SettingsForm, vault_ready: bool, commands: &mut Vec<Command>) {
    section(ui, "Passphrase", |ui| {
        ui.label(weak(
            "The passphrase that unlocks this vault and its backups. If the old one may have leaked, also use \
             Rotate key (below): a copy of the vault made before the change still opens with the old passphrase.",
        ));
        let enter = |field: &egui::Response| field.lost_focus() && field.ctx.input(|i| i.key_pressed(Key::Enter));
        let current = passphrase_field(ui, SecretField::CurrentPassphrase, &mut form.current, false);
        if std::mem::take(&mut form.focus_current) {
            current.request_focus();
            current.scroll_to_me(None);
        }
        let current_entered = enter(&current);
        if let Some(e) = &form.current_error {
            style::error_text(ui, e);
        }
        let new = passphrase_field(ui, SecretField::NewPassphrase, &mut form.new, false);
        let new_entered = enter(&new);
        if new.changed() {
            form.strength = strength(form.new.as_str());
        }
        // The same meter as at first start.
        strength_meter(ui, &form.strength);
        let confirm = passphrase_field(ui, SecretField::ConfirmNewPassphrase, &mut form.confirm, false);
        let confirm_entered = enter(&confirm);
        if confirmation_mismatch(form.new.as_str(), form.confirm.as_str(), confirm.has_focus()) {
            style::error_text(ui, "The two new passphrases do not match.");
        }
        if current.changed() {
            form.current_error = None;
        }
        if current.changed() || new.changed() || confirm.changed() {
            form.error = None;
        }
        if let Some(e) = &form.error {
            style::error_text(ui, e);
        }
        let ready = form.ready();
        let submit = style::primary(ui, ready && vault_ready, "Change passphrase").clicked();
        if ready && vault_ready && (submit || confirm_entered || current_entered || new_entered) {
            commands.push(Command::ChangePassphrase);
        } else if current_entered {
            new.request_focus();
        } else if new_entered {
            confirm.request_focus();
        }
    });
}

/// Appearance, auto-lock and clipboard clearing: preferences of the app, not of the vault.
/// The keyboard shortcuts, from the one table that also decides what the keys do.
pub(crate) fn keyboard_section(ui: &mut Ui) {
    section(ui, "Keyboard", |ui| {
        // One line each ("Ctrl+L: lock"), read as one by a screen reader, and not another
        // control's name.
        for shortcut in &super::command::SHORTCUTS {
            ui.label(format!("{}: {}", ui.ctx().format_shortcut(&shortcut.keys), shortcut.label));
        }
        ui.label(weak(
            "In the list: the arrow keys move, Enter views, Ctrl+C copies, Space ticks, Delete deletes. Esc closes a dialog.",
        ));
    });
}

pub(crate) fn preference_sections(ui: &mut Ui, prefs: &Prefs, commands: &mut Vec<Command>) {
    section(ui, "Appearance", |ui| {
        ui.horizontal(|ui| {
            ui.label("Theme");
            for theme in Theme::ALL {
                let chosen = prefs.theme == theme;
                let button = ui.selectable_label(chosen, theme.label()).accessible_name(format!(
                    "{} theme{}",
                    theme.label(),
                    if chosen { ", selected" } else { "" }
                ));
                if button.clicked() && !chosen {
                    commands.push(Command::SetPrefs(Prefs { theme, ..prefs.clone() }));
                }
            }
        });
        ui.label(weak(
            "System follows the desktop's light or dark setting (and its changes); dark where the desktop has none.",
        ));
        ui.add_space(4.0);
        let mut show = prefs.show_values_in_view;
        if ui.checkbox(&mut show, "Show values when View opens").changed() {
            commands.push(Command::SetPrefs(Prefs { show_values_in_view: show, ..prefs.clone() }));
        }
        ui.label(weak("Off: View opens with the value hidden, and Reveal (or Enter on it) shows it for 30 seconds."));
    });
    section(ui, "Auto-lock", |ui| {
        ui.horizontal(|ui| {
            ui.label("Lock after");
            let mut choice = prefs.auto_lock_minutes;
            egui::ComboBox::from_id_salt("auto_lock")
                .height(320.0)
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
                .height(320.0)
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
}

/// The vault file: its path, its key derivation (with Strengthen when below today's default) and
/// Rotate key. `ready`: no worker thread has the vault (the rows stay, disabled, while one has
/// it: the page keeps its layout and its scroll position).
pub(crate) fn vault_file_section(
    ui: &mut Ui,
    kdf: KdfParams,
    read_only: bool,
    ready: bool,
    vault_path: &Path,
    commands: &mut Vec<Command>,
) {
    section(ui, "Vault file", |ui| {
        egui::Grid::new("vault_file").num_columns(2).spacing([16.0, 6.0]).show(ui, |ui| {
            ui.label(weak("Path"));
            ui.add(egui::Label::new(RichText::new(vault_path.display().to_string()).monospace()).selectable(true));
            ui.end_row();
            ui.label(weak("Key derivation"));
            ui.label(kdf.to_string());
            ui.end_row();
            if kdf.below_default() {
                ui.label("");
                ui.horizontal(|ui| {
                    ui.label(weak(format!("Below today's default of {} MiB.", KdfParams::DEFAULT_MEMORY_KIB / 1024)));
                    if ui.add_enabled(ready, egui::Button::new("Strengthen")).clicked() {
                        commands.push(Command::AskStrengthen);
                    }
                });
                ui.end_row();
            }
            if !read_only {
                ui.label(weak("Vault key"));
                let rotate = ui.add_enabled(ready, egui::Button::new("Rotate key…"));
                if rotate.on_hover_text("Re-encrypt every secret under a new key").clicked() {
                    commands.push(Command::AskRotateKey);
                }
                ui.end_row();
            }
        });
        ui.label(weak(format!(
            "The floor for any vault is {}; the default is {} MiB with passes calibrated to about one second.",
            KdfParams::FLOOR,
            KdfParams::DEFAULT_MEMORY_KIB / 1024
        )));
    });
}

//! The lock screens (first start, locked), the unlocked frame (top bar, sidebar) and toasts.

use std::path::{Path, PathBuf};

use egui::{Align, Key, Layout, RichText, Ui};

use super::style::{self, weak};
use super::text::SecretText;
use super::{Command, Page, Prefs, Session, Toast};
use crate::vault::{Error, Timestamp};

const CARD_WIDTH: f32 = 440.0;

/// A passphrase strength hint from zxcvbn: advice, never a refusal.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Strength {
    pub score: u8,
    pub advice: String,
}

pub(crate) fn strength(passphrase: &str) -> Option<Strength> {
    if passphrase.is_empty() {
        return None;
    }
    let entropy = zxcvbn::zxcvbn(passphrase, &["tresor", "vault", "secret", "password", "passphrase"]);
    let score = entropy.score() as u8;
    let advice = entropy
        .feedback()
        .and_then(|f| f.warning().map(|w| w.to_string()).or_else(|| f.suggestions().first().map(|s| s.to_string())))
        .unwrap_or_default();
    Some(Strength { score, advice })
}

/// The first-start form (and "create a new vault" from the lock screen).
pub(crate) struct SetupForm {
    pub path_text: String,
    /// Whether the user picks the path (a second vault) or it is the default one.
    pub path_editable: bool,
    pub passphrase: SecretText,
    pub confirm: SecretText,
    pub show: bool,
    pub strength: Option<Strength>,
    pub error: Option<String>,
}

impl SetupForm {
    pub fn new(path: &Path, path_editable: bool) -> Self {
        SetupForm {
            path_text: path.display().to_string(),
            path_editable,
            passphrase: SecretText::new(),
            confirm: SecretText::new(),
            show: false,
            strength: None,
            error: None,
        }
    }

    pub fn ready(&self) -> bool {
        !self.passphrase.is_empty() && self.passphrase.as_str() == self.confirm.as_str()
    }

    pub fn checked_path(&mut self) -> Option<PathBuf> {
        let text = self.path_text.trim();
        if text.is_empty() {
            self.error = Some("Choose where to keep the vault file.".into());
            return None;
        }
        let path = PathBuf::from(text);
        if path.exists() {
            self.error = Some(format!("{} already exists. Choose another file name.", path.display()));
            return None;
        }
        Some(path)
    }

    pub fn failed(&mut self, error: &Error) {
        self.error = Some(style::sentence(&error.to_string()));
    }
}

/// The locked screen's form.
pub(crate) struct UnlockForm {
    pub passphrase: SecretText,
    pub error: Option<UnlockError>,
    pub other_path: Option<String>,
    pub focus: bool,
    /// When the vault turned out damaged: its newest backup, offered for restoring.
    pub latest_backup: Option<crate::vault::BackupInfo>,
}

pub(crate) struct UnlockError {
    pub message: String,
    /// A damaged or foreign file, not a wrong passphrase: shown differently.
    pub damaged: bool,
}

impl UnlockForm {
    pub fn new() -> Self {
        UnlockForm { passphrase: SecretText::new(), error: None, other_path: None, focus: true, latest_backup: None }
    }

    /// Shows why unlocking failed. For a damaged vault, `vault_path`'s newest backup (if any) is
    /// offered for restoring.
    pub fn failed(&mut self, error: &Error, vault_path: &Path) {
        self.passphrase.wipe();
        self.focus = true;
        self.error = Some(match error {
            Error::WrongPassphrase => UnlockError { message: "Wrong passphrase. Try again.".into(), damaged: false },
            other => {
                self.latest_backup = crate::vault::backup::find(vault_path, "latest").ok();
                let way_out = if self.latest_backup.is_some() {
                    "Restore the latest backup below, or get out what is readable with `tresor --salvage list`."
                } else {
                    "There is no backup to restore; get out what is readable with `tresor --salvage list`."
                };
                UnlockError {
                    message: format!(
                        "{} Your passphrase was not the problem. {way_out}",
                        style::sentence(&other.to_string())
                    ),
                    damaged: true,
                }
            }
        });
    }

    /// A restore from the lock screen failed: the vault is still damaged.
    pub fn restore_failed(&mut self, error: &Error) {
        self.passphrase.wipe();
        self.focus = true;
        let message = match error {
            Error::WrongPassphrase => "That passphrase does not open the backup. Nothing was restored.".to_owned(),
            other => format!("Nothing was restored: {}", style::sentence(&other.to_string())),
        };
        self.error = Some(UnlockError { message, damaged: true });
    }
}

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

/// A masked passphrase field with its visible label, named for screen readers and tests.
pub(crate) fn passphrase_field(ui: &mut Ui, label: &str, text: &mut SecretText, show: bool) -> egui::Response {
    let id = super::secret_field_id(label);
    let label = ui.label(label);
    ui.add(egui::TextEdit::singleline(text).id(id).password(!show).desired_width(f32::INFINITY)).labelled_by(label.id)
}

fn strength_meter(ui: &mut Ui, strength: &Option<Strength>) {
    let Some(s) = strength else { return };
    let (word, color) = match s.score {
        0 | 1 => ("Weak", style::DANGER),
        2 => ("Fair", ui.visuals().warn_fg_color),
        3 => ("Good", egui::Color32::from_rgb(0x2E, 0x9E, 0x5B)),
        _ => ("Strong", egui::Color32::from_rgb(0x2E, 0x9E, 0x5B)),
    };
    ui.horizontal(|ui| {
        let (rect, _) = ui.allocate_exact_size(egui::vec2(160.0, 6.0), egui::Sense::hover());
        ui.painter().rect_filled(rect, 3.0, ui.visuals().extreme_bg_color);
        let filled =
            egui::Rect::from_min_size(rect.min, egui::vec2(rect.width() * (f32::from(s.score) + 1.0) / 5.0, 6.0));
        ui.painter().rect_filled(filled, 3.0, color);
        ui.label(RichText::new(format!("Strength: {word}")).color(color));
    });
    if s.score < 3 {
        let advice = if s.advice.is_empty() { "Add more words to make it harder to guess." } else { &s.advice };
        ui.label(
            RichText::new(format!("A weak passphrase can be guessed from a stolen vault file. {advice}"))
                .small()
                .weak(),
        );
    }
}

fn working(ui: &mut Ui, caption: &str) {
    ui.horizontal(|ui| {
        ui.spinner();
        ui.label(caption);
    });
    ui.label(weak("This takes about a second, by design: it makes guessing your passphrase slow.").small());
}

pub(crate) fn setup(ui: &mut Ui, form: &mut SetupForm, busy: Option<&'static str>, commands: &mut Vec<Command>) {
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
        let pass = passphrase_field(ui, "Passphrase", &mut form.passphrase, form.show);
        let pass_entered = pass.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
        if busy.is_none() && !form.path_editable && ui.memory(|m| m.focused().is_none()) {
            pass.request_focus();
        }
        if pass.changed() {
            form.strength = strength(form.passphrase.as_str());
            form.error = None;
        }
        strength_meter(ui, &form.strength);
        let confirm = passphrase_field(ui, "Confirm passphrase", &mut form.confirm, form.show);
        ui.checkbox(&mut form.show, "Show passphrase");
        let mismatch = !form.confirm.is_empty() && form.passphrase.as_str() != form.confirm.as_str();
        if mismatch {
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
    });
}

pub(crate) fn locked(
    ui: &mut Ui,
    form: &mut UnlockForm,
    vault_path: &Path,
    busy: Option<&'static str>,
    commands: &mut Vec<Command>,
) {
    centered_card(ui, |ui| {
        brand(ui, "Tresor is locked");
        ui.label(weak(vault_path.display().to_string()).monospace());
        ui.add_space(6.0);
        let pass = passphrase_field(ui, "Passphrase", &mut form.passphrase, false);
        // Read before any refocusing below: `lost_focus` looks at the focus as it is now.
        let entered = pass.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
        // The only field of the screen: it takes the keyboard whenever nothing else has it
        // (also after the window regains focus).
        let nothing_focused = ui.memory(|m| m.focused().is_none());
        if (form.focus || nothing_focused) && busy.is_none() && form.other_path.is_none() {
            pass.request_focus();
            form.focus = false;
        }
        if pass.changed()
            && let Some(e) = &form.error
            && !e.damaged
        {
            form.error = None;
        }
        if let Some(error) = &form.error {
            if error.damaged {
                style::card(ui).fill(ui.visuals().error_fg_color.gamma_multiply(0.12)).show(ui, |ui| {
                    ui.label(RichText::new("This vault is damaged").strong().color(ui.visuals().error_fg_color));
                    ui.label(&error.message);
                    if let Some(latest) = &form.latest_backup
                        && busy.is_none()
                    {
                        ui.add_space(4.0);
                        ui.label(weak(format!(
                            "Latest backup: {} ({}). Type its passphrase above, then restore it; the damaged \
                             file is kept beside the vault.",
                            style::exact(latest.created),
                            latest.reason.describe()
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
        if let Some(caption) = busy {
            working(ui, caption);
            return;
        }
        if style::primary(ui, !form.passphrase.is_empty(), "Unlock").clicked()
            || (entered && !form.passphrase.is_empty())
        {
            commands.push(Command::Unlock);
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
                        commands.push(Command::StartNewVault);
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
                ui.horizontal(|ui| {
                    let ok = !path.trim().is_empty();
                    if (style::primary(ui, ok, "Open").clicked() || entered) && ok {
                        commands.push(Command::OpenOtherVault(PathBuf::from(path.trim())));
                    }
                    cancel = style::secondary(ui, "Cancel").clicked();
                });
                if cancel {
                    form.other_path = None;
                }
            }
        }
    });
}

pub(crate) fn unlocked(
    ui: &mut Ui,
    session: &mut Session,
    prefs: &Prefs,
    vault_path: &Path,
    now: Timestamp,
    busy: Option<&'static str>,
    commands: &mut Vec<Command>,
) {
    egui::Panel::top("top_bar").show(ui, |ui| {
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            let toggle = if prefs.sidebar_open { "Hide sidebar" } else { "Show sidebar" };
            if style::icon_button(ui, "☰", toggle, toggle).clicked() {
                commands.push(Command::ToggleSidebar);
            }
            ui.label(RichText::new("🔐 Tresor").strong().size(16.0));
            let file = vault_path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
            ui.label(weak(file)).on_hover_text(vault_path.display().to_string());
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                if ui
                    .add(egui::Button::new("🔒 Lock"))
                    .accessible_name("Lock")
                    .on_hover_text(format!("Lock the vault ({})", ui.ctx().format_shortcut(&super::SHORTCUT_LOCK)))
                    .clicked()
                {
                    commands.push(Command::Lock);
                }
                if let Some(caption) = busy {
                    ui.label(weak(caption));
                    ui.spinner();
                }
            });
        });
        ui.add_space(2.0);
    });
    if prefs.sidebar_open {
        egui::Panel::left("sidebar").resizable(false).exact_size(170.0).show(ui, |ui| {
            ui.add_space(12.0);
            ui.label(RichText::new("SETTINGS").small().strong().weak());
            ui.add_space(2.0);
            for (page, label) in
                [(Page::Secrets, "Secrets"), (Page::Settings, "Vault settings"), (Page::Trash, "Trash")]
            {
                let button = egui::Button::selectable(session.page == page, label).min_size(egui::vec2(170.0, 28.0));
                if ui.add(button).clicked() {
                    commands.push(Command::ShowPage(page));
                }
            }
        });
    }
    egui::CentralPanel::default().show(ui, |ui| {
        egui::Frame::new().inner_margin(egui::Margin::symmetric(16, 10)).show(ui, |ui| match session.page {
            Page::Secrets => super::secrets::page(ui, session, now, commands),
            Page::Trash => super::settings::trash_page(ui, session, now, commands),
            Page::Settings => super::settings::settings_page(ui, session, prefs, vault_path, now, commands),
        });
    });
    super::dialogs::show(ui, session, now, commands);
}

pub(crate) fn toasts(
    ui: &mut Ui,
    toasts: &[Toast],
    clipboard: Option<(&str, Option<Timestamp>)>,
    now: Timestamp,
    commands: &mut Vec<Command>,
) {
    if toasts.is_empty() && clipboard.is_none() {
        return;
    }
    egui::Area::new(egui::Id::unique("tresor_toasts"))
        .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-16.0, -16.0))
        .order(egui::Order::Tooltip)
        .show(ui.ctx(), |ui| {
            ui.set_max_width(360.0);
            let frame =
                |ui: &Ui| egui::Frame::popup(ui.style()).inner_margin(egui::Margin::symmetric(14, 10)).corner_radius(8);
            if let Some((label, clear_at)) = clipboard {
                frame(ui).show(ui, |ui| {
                    let text = match clear_at {
                        Some(at) => format!("🗐 {label} copied · clears in {} s", ((at.0 - now.0 + 999) / 1000).max(1)),
                        None => format!("🗐 {label} copied"),
                    };
                    ui.label(text);
                });
            }
            for toast in toasts {
                frame(ui).show(ui, |ui| {
                    ui.horizontal(|ui| {
                        if toast.is_error {
                            style::error_text(ui, &toast.text);
                        } else {
                            ui.label(&toast.text);
                        }
                        if let Some(ids) = &toast.undo
                            && ui.button("Undo").clicked()
                        {
                            commands.push(Command::Undo(ids.clone()));
                        }
                    });
                });
            }
        });
}

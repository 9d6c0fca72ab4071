//! The desktop app: Setup → Locked → Unlocked, over the same [`Vault`] as the command line.
//!
//! State, view, effects, in that order: screens read the state and push [`Command`]s; one place,
//! [`App::apply`], does the work (database writes, crypto, the clipboard). Slow work (Argon2id,
//! loading a large vault) runs on a worker thread and comes back over a channel.

mod backups;
mod dialogs;
mod prefs;
mod screens;
mod secrets;
mod settings;
mod style;
mod text;
mod transfer;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

use egui::{Key, KeyboardShortcut, Modifiers};

use crate::clipboard::{Clipboard, ClipboardGuard, SystemClipboard};
use crate::interchange::Format;
use crate::vault::{
    BackupInfo, Clock, ConflictPolicy, Error, ImportReport, KdfParams, Listing, Passphrase, Restored, SecretId,
    SecretMeta, SystemClock, Timestamp, TrashedSecret, Vault,
};

pub use prefs::Prefs;
pub use text::SecretText;

use dialogs::Dialog;
use screens::{SetupForm, UnlockForm};
use secrets::SecretList;
use settings::SettingsForm;

/// Keyboard shortcuts, next to what they trigger (Ctrl on Linux and Windows, ⌘ on macOS).
pub const SHORTCUT_CREATE: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::N);
pub const SHORTCUT_SEARCH: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::F);
pub const SHORTCUT_LOCK: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::L);
pub const SHORTCUT_QUIT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Q);

/// How long a revealed value stays visible in the View dialog.
pub const REVEAL_SECONDS: i64 = 30;
/// How long the "Deleted … Undo" toast stays.
const UNDO_SECONDS: i64 = 10;
/// How long a plain message toast stays.
const MESSAGE_SECONDS: i64 = 5;

/// How the app is set up. [`AppOptions::new`] gives the real thing; tests swap in a fake clock,
/// a fake clipboard, inline jobs and cheap key derivation.
pub struct AppOptions {
    pub vault_path: PathBuf,
    /// Where preferences are saved; `None` keeps them in memory only.
    pub prefs_path: Option<PathBuf>,
    pub clock: Arc<dyn Clock>,
    pub clipboard: Box<dyn Clipboard>,
    /// Run slow jobs on a worker thread (the app) or inline (tests, so a spinner never spins).
    pub background_jobs: bool,
    /// Key-derivation parameters for new vaults and "strengthen"; `None` calibrates them on this
    /// machine to about one second. Only tests set this.
    pub kdf_override: Option<KdfParams>,
}

impl AppOptions {
    pub fn new(vault_path: PathBuf) -> Self {
        AppOptions {
            vault_path,
            prefs_path: Prefs::default_path(),
            clock: Arc::new(SystemClock),
            clipboard: Box::new(SystemClipboard::new()),
            background_jobs: true,
            kdf_override: None,
        }
    }
}

/// Everything a screen can ask for. Screens push these; [`App::apply`] carries them out.
#[derive(Debug)]
pub(crate) enum Command {
    CreateVault,
    Unlock,
    /// Switch the Locked screen to another vault file.
    OpenOtherVault(PathBuf),
    /// Go to the Setup screen to create a new vault file at a path of the user's choice.
    StartNewVault,
    /// Back from Setup to the Locked screen of the current vault.
    CancelNewVault,
    Lock,
    Quit,
    ShowPage(Page),
    ToggleSidebar,
    OpenCreate,
    SubmitCreate,
    OpenEdit(SecretId),
    SubmitEdit,
    OpenView(SecretId),
    RevealAgain,
    HideValue,
    Copy {
        id: SecretId,
        as_assignment: bool,
    },
    AskDelete(Vec<SecretId>),
    ConfirmDelete,
    Undo(Vec<SecretId>),
    RestoreVersion(SecretId, u32),
    RestoreFromTrash(SecretId),
    SubmitRestoreAs,
    AskPurge(Option<SecretId>),
    ConfirmPurge,
    ChangePassphrase,
    AskStrengthen,
    SubmitStrengthen,
    AskRotateKey,
    SubmitRotateKey,
    SetPrefs(Prefs),
    /// Open the system's file dialog for the import or export path.
    Pick(transfer::Pick),
    /// Read, parse and plan an import of this file.
    PlanImport(PathBuf),
    SetImportPolicy(ConflictPolicy),
    ConfirmImport,
    AskExport(PathBuf, Format),
    ConfirmExport,
    /// On the lock screen of a damaged vault: restore its newest backup with the typed passphrase.
    RestoreLatestBackup,
    SetBackupKeep(usize),
    BackupNow,
    AskRestoreBackup(BackupInfo),
    SubmitRestoreBackup,
    CloseDialog,
    FocusSearch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Page {
    Secrets,
    Trash,
    Settings,
}

/// A short message at the bottom right; an undo toast carries the ids to restore.
pub(crate) struct Toast {
    pub text: String,
    pub until: Timestamp,
    pub undo: Option<Vec<SecretId>>,
    pub is_error: bool,
}

pub(crate) enum Screen {
    Setup(SetupForm),
    Locked(UnlockForm),
    Unlocked(Box<Session>),
}

/// The unlocked vault and everything shown over it. Dropped on lock: keys, revealed values and
/// form contents go with it.
pub(crate) struct Session {
    /// `None` while a worker thread has the vault (e.g. changing the passphrase).
    pub vault: Option<Vault>,
    pub page: Page,
    pub list: SecretList,
    pub selected: BTreeSet<SecretId>,
    pub dialog: Option<Dialog>,
    /// Which dialog was shown last frame and how many have opened: each opening gets a fresh
    /// window id, so egui sizes it for its own content rather than the previous dialog's.
    pub dialog_shown: Option<std::mem::Discriminant<Dialog>>,
    pub dialog_serial: u64,
    pub trash: Vec<TrashedSecret>,
    pub settings: SettingsForm,
    pub transfer: transfer::TransferForm,
    pub backups: backups::BackupsView,
    pub focus_search: bool,
}

impl Session {
    fn new(vault: Vault, listing: Listing<SecretMeta>) -> Self {
        let damaged = listing.damaged.iter().map(ToString::to_string).collect();
        Session {
            vault: Some(vault),
            page: Page::Secrets,
            list: SecretList::new(listing.items, damaged),
            selected: BTreeSet::new(),
            dialog: None,
            dialog_shown: None,
            dialog_serial: 0,
            trash: Vec::new(),
            settings: SettingsForm::default(),
            transfer: transfer::TransferForm::default(),
            backups: backups::BackupsView::default(),
            focus_search: false,
        }
    }
}

/// Which change of the vault's keys a job made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyChange {
    Passphrase,
    Strengthen,
    RotateKey,
}

/// What a worker thread sends back.
enum JobDone {
    /// A vault was created or unlocked, with its listing (decrypting 100k names takes a while).
    Opened(Result<(Vault, Listing<SecretMeta>), Error>),
    /// A passphrase change (or strengthening) finished; the vault comes back either way.
    PassphraseChanged { vault: Vault, result: Result<(), Error>, change: KeyChange },
    /// A file was read and planned for import; the vault comes back either way.
    ImportPlanned { vault: Vault, path: PathBuf, result: Result<crate::interchange::import::PreparedImport, String> },
    /// An import was written (one transaction), with the new listing.
    Imported { vault: Vault, path: PathBuf, result: Result<(ImportReport, transfer::Relisted), String> },
    /// An export was written.
    Exported { vault: Vault, path: PathBuf, result: Result<usize, String> },
    /// "Back up now" finished; the vault comes back either way.
    BackedUp { vault: Vault, result: Result<Option<BackupInfo>, Error> },
    /// A backup was restored from the lock screen (a damaged vault), or not.
    RestoredWhileLocked(Result<Box<(Restored, Listing<SecretMeta>)>, Error>),
    /// A backup was restored (the new vault, with its listing), or not (the old vault comes back).
    RestoredBackup { old: Vault, result: Result<Box<(Restored, Listing<SecretMeta>)>, Error> },
}

struct Jobs {
    tx: Sender<JobDone>,
    rx: Receiver<JobDone>,
    /// What is running, for the spinner's caption.
    running: Option<&'static str>,
    background: bool,
}

impl Jobs {
    fn spawn(&mut self, ctx: &egui::Context, caption: &'static str, job: impl FnOnce() -> JobDone + Send + 'static) {
        self.running = Some(caption);
        if self.background {
            let tx = self.tx.clone();
            let ctx = ctx.clone();
            std::thread::spawn(move || {
                let _ = tx.send(job());
                ctx.request_repaint();
            });
        } else {
            let _ = self.tx.send(job());
        }
    }
}

/// Labels of the fields that hold a passphrase or a secret value. Their widgets get stable ids
/// so that their state — egui keeps an undo history of every text field, with plaintext copies —
/// can be dropped as soon as a form closes.
const SECRET_FIELDS: [&str; 8] = [
    "Passphrase",
    "Your passphrase",
    "Confirm passphrase",
    "Current passphrase",
    "New passphrase",
    "Confirm new passphrase",
    "Backup passphrase",
    "Value",
];

pub(crate) fn secret_field_id(label: &str) -> egui::Id {
    egui::Id::unique(("tresor secret field", label))
}

/// Drops the widget state (cursor, undo history) of every secret field.
fn forget_secret_fields(ctx: &egui::Context) {
    ctx.data_mut(|d| {
        for label in SECRET_FIELDS {
            d.remove::<egui::text_edit::TextEditState>(secret_field_id(label));
        }
    });
}

/// The Tresor window.
pub struct App {
    pub(crate) vault_path: PathBuf,
    prefs_path: Option<PathBuf>,
    pub(crate) prefs: Prefs,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) clipboard: ClipboardGuard,
    kdf_override: Option<KdfParams>,
    jobs: Jobs,
    pub(crate) screen: Screen,
    pub(crate) toasts: Vec<Toast>,
    last_activity: Timestamp,
    commands: Vec<Command>,
    styled: bool,
}

impl App {
    pub fn new(options: AppOptions) -> Self {
        let prefs = options.prefs_path.as_deref().map(Prefs::load).unwrap_or_default();
        let (tx, rx) = channel();
        let screen = if options.vault_path.exists() {
            Screen::Locked(UnlockForm::new())
        } else {
            Screen::Setup(SetupForm::new(&options.vault_path, false))
        };
        App {
            last_activity: options.clock.now(),
            vault_path: options.vault_path,
            prefs_path: options.prefs_path,
            prefs,
            clock: options.clock,
            clipboard: ClipboardGuard::new(options.clipboard),
            kdf_override: options.kdf_override,
            jobs: Jobs { tx, rx, running: None, background: options.background_jobs },
            screen,
            toasts: Vec::new(),
            commands: Vec::new(),
            styled: false,
        }
    }

    /// Whether a vault is unlocked (for tests and the window title).
    pub fn is_unlocked(&self) -> bool {
        matches!(self.screen, Screen::Unlocked(_))
    }

    fn has_dialog(&self) -> bool {
        matches!(&self.screen, Screen::Unlocked(s) if s.dialog.is_some())
    }

    /// Whether a slow job (key derivation) is running.
    pub fn is_busy(&self) -> bool {
        self.jobs.running.is_some()
    }

    /// Draws one frame and carries out what it asked for. This is all of the app: the eframe
    /// wrapper and the UI tests both call it.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        if !self.styled {
            style::apply(&ctx);
            self.styled = true;
        }
        self.receive_jobs(&ctx);
        let now = self.clock.now();
        if ctx.input(|i| !i.events.is_empty()) {
            self.last_activity = now;
        }
        self.run_timers(&ctx, now);
        self.read_shortcuts(&ctx);

        let had_dialog = self.has_dialog();
        let mut commands = std::mem::take(&mut self.commands);
        let busy = self.jobs.running;
        match &mut self.screen {
            Screen::Setup(form) => screens::setup(ui, form, busy, &mut commands),
            Screen::Locked(form) => screens::locked(ui, form, &self.vault_path, busy, &mut commands),
            Screen::Unlocked(session) => {
                screens::unlocked(ui, session, &self.prefs, &self.vault_path, now, busy, &mut commands)
            }
        }
        screens::toasts(ui, &self.toasts, self.clipboard.pending(), now, &mut commands);
        for command in commands {
            self.apply(&ctx, command);
        }
        if had_dialog && !self.has_dialog() {
            forget_secret_fields(&ctx);
        }
        self.schedule_repaint(&ctx, now);
    }

    /// On quit: clear the clipboard if it still holds our copy.
    pub fn on_exit(&mut self) {
        self.clipboard.clear_ours();
    }

    fn read_shortcuts(&mut self, ctx: &egui::Context) {
        let Screen::Unlocked(session) = &self.screen else {
            if ctx.input_mut(|i| i.consume_shortcut(&SHORTCUT_QUIT)) {
                self.commands.push(Command::Quit);
            }
            return;
        };
        let no_dialog = session.dialog.is_none();
        ctx.input_mut(|i| {
            if i.consume_shortcut(&SHORTCUT_LOCK) {
                self.commands.push(Command::Lock);
            }
            if i.consume_shortcut(&SHORTCUT_QUIT) {
                self.commands.push(Command::Quit);
            }
            if no_dialog && i.consume_shortcut(&SHORTCUT_CREATE) {
                self.commands.push(Command::OpenCreate);
            }
            if no_dialog && i.consume_shortcut(&SHORTCUT_SEARCH) {
                self.commands.push(Command::FocusSearch);
            }
        });
    }

    fn receive_jobs(&mut self, ctx: &egui::Context) {
        while let Ok(done) = self.jobs.rx.try_recv() {
            self.jobs.running = None;
            match done {
                JobDone::Opened(Ok((mut vault, listing))) => {
                    let warning = vault.take_warning();
                    self.enter_session(ctx, vault, listing);
                    if let Some(warning) = warning {
                        self.toast(style::sentence(&warning.to_string()), true);
                    }
                }
                JobDone::RestoredWhileLocked(Ok(done)) => {
                    let (restored, listing) = *done;
                    let text = restored_text("Restored the latest backup.".into(), &restored);
                    self.enter_session(ctx, restored.vault, listing);
                    self.toast(text, false);
                }
                JobDone::BackedUp { vault, result } => {
                    if let Screen::Unlocked(session) = &mut self.screen {
                        session.vault = Some(vault);
                        session.backups.reload(&self.vault_path);
                    }
                    match result {
                        Ok(Some(_)) => self.toast("Backed up.".into(), false),
                        Ok(None) => self.toast("Automatic backups are off.".into(), true),
                        Err(e) => self.toast(style::sentence(&e.to_string()), true),
                    }
                }
                JobDone::RestoredWhileLocked(Err(error)) => {
                    if let Screen::Locked(form) = &mut self.screen {
                        form.restore_failed(&error);
                    }
                }
                JobDone::Opened(Err(error)) => match &mut self.screen {
                    Screen::Locked(form) => form.failed(&error, &self.vault_path),
                    Screen::Setup(form) => form.failed(&error),
                    Screen::Unlocked(_) => {}
                },
                JobDone::ImportPlanned { vault, path, result } => {
                    if let Screen::Unlocked(session) = &mut self.screen {
                        session.vault = Some(vault);
                        match result {
                            Ok(prepared) => {
                                session.dialog = Some(Dialog::Import(transfer::ImportReview {
                                    path,
                                    plan: prepared.plan,
                                    findings: prepared.findings,
                                    error: None,
                                }));
                            }
                            Err(message) => session.transfer.error = Some(message),
                        }
                    }
                }
                JobDone::Imported { vault, path, result } => {
                    if let Screen::Unlocked(session) = &mut self.screen {
                        session.vault = Some(vault);
                        session.backups.reload(&self.vault_path);
                        match result {
                            Ok((report, listing)) => {
                                let damaged = listing.damaged.iter().map(ToString::to_string).collect();
                                session.list.replace_all(listing.items, damaged);
                                session.selected.clear();
                                self.toast(transfer::imported_text(&path, &report), false);
                            }
                            Err(message) => {
                                session.transfer.error = Some(format!("Nothing was imported: {message}"));
                            }
                        }
                    }
                }
                JobDone::Exported { vault, path, result } => {
                    if let Screen::Unlocked(session) = &mut self.screen {
                        session.vault = Some(vault);
                        match result {
                            Ok(n) => {
                                let what = if n == 1 { "1 secret".to_owned() } else { format!("{n} secrets") };
                                self.toast(
                                    format!(
                                        "Exported {what} to {}. Delete the file when you no longer need it.",
                                        path.display()
                                    ),
                                    false,
                                );
                            }
                            Err(message) => session.transfer.error = Some(message),
                        }
                    }
                }
                JobDone::RestoredBackup { old, result } => {
                    let Screen::Unlocked(session) = &mut self.screen else {
                        // Locked while the restore ran: say how it ended.
                        drop(old);
                        let text = match result {
                            Ok(_) => ("The backup was restored. Unlock to see it.".to_owned(), false),
                            Err(e) => (format!("Nothing was restored: {}", style::sentence(&e.to_string())), true),
                        };
                        self.toast(text.0, text.1);
                        continue;
                    };
                    match result {
                        Ok(done) => {
                            let (restored, listing) = *done;
                            let when = match &session.dialog {
                                Some(Dialog::RestoreBackup(form)) => style::exact(form.backup.created),
                                _ => "the backup".into(),
                            };
                            let text = restored_text(format!("Restored the vault as it was on {when}."), &restored);
                            drop(old);
                            ctx.data_mut(|d| d.clear());
                            let mut fresh = Session::new(restored.vault, listing);
                            fresh.page = Page::Settings;
                            fresh.backups.reload(&self.vault_path);
                            **session = fresh;
                            self.toast(text, false);
                        }
                        Err(error) => {
                            session.vault = Some(old);
                            let message = match error {
                                Error::WrongPassphrase => "That passphrase does not open this backup.".to_owned(),
                                other => style::sentence(&other.to_string()),
                            };
                            session.backups.reload(&self.vault_path);
                            if let Some(Dialog::RestoreBackup(form)) = &mut session.dialog {
                                form.error = Some(message);
                                form.focus = true;
                            } else {
                                // The dialog was closed meanwhile.
                                self.toast(format!("Nothing was restored. {message}"), true);
                            }
                        }
                    }
                }
                JobDone::PassphraseChanged { mut vault, result, change } => {
                    let warning = vault.take_warning();
                    if let Screen::Unlocked(session) = &mut self.screen {
                        session.vault = Some(vault);
                        session.backups.reload(&self.vault_path);
                        match result {
                            Ok(()) => {
                                session.settings = SettingsForm::default();
                                session.dialog = None;
                                ctx.data_mut(|d| d.clear());
                                let text = match change {
                                    KeyChange::Strengthen => "Key derivation strengthened.",
                                    KeyChange::RotateKey => "Vault key rotated; every secret is re-encrypted.",
                                    KeyChange::Passphrase => "Passphrase changed. Use the new one from now on.",
                                };
                                match warning {
                                    Some(w) => self.toast(format!("{text} {}", style::sentence(&w.to_string())), true),
                                    None => self.toast(text.into(), false),
                                }
                            }
                            Err(error) => {
                                let message = match error {
                                    Error::WrongPassphrase => "The current passphrase is wrong.".to_owned(),
                                    other => other.to_string(),
                                };
                                if let Some(Dialog::Strengthen(form) | Dialog::RotateKey(form)) = &mut session.dialog {
                                    form.error = Some(message);
                                } else {
                                    session.settings.error = Some(message);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    fn run_timers(&mut self, ctx: &egui::Context, now: Timestamp) {
        if self.clipboard.tick(now) {
            self.toast("Clipboard cleared.".into(), false);
        }
        self.toasts.retain(|t| t.until > now);
        if let Screen::Unlocked(session) = &mut self.screen {
            if let Some(Dialog::View(view)) = &mut session.dialog {
                view.hide_if_due(now);
            }
            if let Some(minutes) = self.prefs.auto_lock_minutes
                && session.vault.is_some()
                && now.0 - self.last_activity.0 >= i64::from(minutes) * 60_000
            {
                self.lock(ctx);
            }
        }
    }

    /// Wakes the idle window only for what is counting down: the clipboard clear, toasts, the
    /// revealed value, the auto-lock.
    fn schedule_repaint(&self, ctx: &egui::Context, now: Timestamp) {
        let mut next: Option<i64> = None;
        let mut at = |t: i64| next = Some(next.map_or(t, |n| n.min(t)));
        if let Some((_, Some(clear_at))) = self.clipboard.pending() {
            at(now.0 + 1000.min(clear_at.0 - now.0));
        }
        if let Some(t) = self.toasts.iter().map(|t| t.until.0).min() {
            at(t.min(now.0 + 1000));
        }
        if let Screen::Unlocked(session) = &self.screen {
            if let Some(Dialog::View(view)) = &session.dialog
                && view.value.is_some()
            {
                at(now.0 + 1000);
            }
            if let Some(minutes) = self.prefs.auto_lock_minutes {
                at(self.last_activity.0 + i64::from(minutes) * 60_000);
            }
        }
        if let Some(t) = next {
            ctx.request_repaint_after(Duration::from_millis((t - now.0).max(10) as u64));
        }
    }

    fn toast(&mut self, text: String, is_error: bool) {
        let until = Timestamp(self.clock.now().0 + MESSAGE_SECONDS * 1000);
        self.toasts.retain(|t| t.undo.is_some());
        self.toasts.push(Toast { text, until, undo: None, is_error });
    }

    /// Opens the unlocked screen on `vault`. The passphrase fields' widget state (and its undo
    /// history, which holds plaintext copies) goes with the forms.
    fn enter_session(&mut self, ctx: &egui::Context, vault: Vault, listing: Listing<SecretMeta>) {
        ctx.data_mut(|d| d.clear());
        self.last_activity = self.clock.now();
        self.screen = Screen::Unlocked(Box::new(Session::new(vault, listing)));
    }

    fn lock(&mut self, ctx: &egui::Context) {
        self.clipboard.clear_ours();
        self.toasts.clear();
        // Drops the vault (its keys are wiped), revealed values and every form.
        self.screen = Screen::Locked(UnlockForm::new());
        ctx.data_mut(|d| d.clear());
    }

    fn save_prefs(&mut self) {
        if let Some(path) = &self.prefs_path
            && let Err(e) = self.prefs.save(path)
        {
            self.toast(format!("Could not save preferences: {e}."), true);
        }
    }

    /// Carries out one command: the only place that writes, decrypts or touches the clipboard.
    fn apply(&mut self, ctx: &egui::Context, command: Command) {
        match command {
            Command::CreateVault => self.create_vault(ctx),
            Command::Unlock => self.unlock(ctx),
            Command::RestoreLatestBackup => self.restore_latest_backup(ctx),
            Command::OpenOtherVault(path) => {
                self.vault_path = path;
                self.screen = if self.vault_path.exists() {
                    Screen::Locked(UnlockForm::new())
                } else {
                    Screen::Setup(SetupForm::new(&self.vault_path, true))
                };
            }
            Command::StartNewVault => {
                let suggested = self.vault_path.with_file_name("new-vault.db");
                self.screen = Screen::Setup(SetupForm::new(&suggested, true));
            }
            Command::CancelNewVault => self.screen = Screen::Locked(UnlockForm::new()),
            Command::Lock => self.lock(ctx),
            Command::Quit => {
                self.clipboard.clear_ours();
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
            Command::SetPrefs(prefs) => {
                self.prefs = prefs;
                self.save_prefs();
            }
            Command::ToggleSidebar => {
                self.prefs.sidebar_open = !self.prefs.sidebar_open;
                self.save_prefs();
            }
            other => self.apply_in_session(ctx, other),
        }
    }

    fn create_vault(&mut self, ctx: &egui::Context) {
        let Screen::Setup(form) = &mut self.screen else { return };
        let Some(path) = form.checked_path() else { return };
        if !form.ready() {
            return;
        }
        let passphrase = Passphrase::new(form.passphrase.as_str());
        self.vault_path = path.clone();
        let kdf = self.kdf_override;
        let clock = self.clock.clone();
        self.jobs.spawn(ctx, "Deriving your key…", move || {
            let kdf = kdf.unwrap_or_else(Vault::calibrate_kdf);
            JobDone::Opened(
                Vault::create_with_clock(&path, &passphrase, kdf, clock)
                    .and_then(|vault| vault.list().map(|listing| (vault, listing))),
            )
        });
    }

    fn unlock(&mut self, ctx: &egui::Context) {
        let Screen::Locked(form) = &mut self.screen else { return };
        if form.passphrase.is_empty() || self.jobs.running.is_some() {
            return;
        }
        form.error = None;
        let passphrase = Passphrase::new(form.passphrase.as_str());
        let path = self.vault_path.clone();
        let clock = self.clock.clone();
        self.jobs.spawn(ctx, "Deriving your key…", move || {
            JobDone::Opened(
                Vault::unlock_with_clock(&path, &passphrase, clock)
                    .and_then(|vault| vault.list().map(|listing| (vault, listing))),
            )
        });
    }

    fn restore_latest_backup(&mut self, ctx: &egui::Context) {
        let Screen::Locked(form) = &mut self.screen else { return };
        let Some(latest) = form.latest_backup.clone() else { return };
        if self.jobs.running.is_some() {
            return;
        }
        let Some(passphrase) = form.passphrase.take_passphrase() else { return };
        let (path, clock) = (self.vault_path.clone(), self.clock.clone());
        self.jobs.spawn(ctx, "Restoring the backup…", move || {
            JobDone::RestoredWhileLocked(
                Vault::restore_backup_with_clock(&path, &latest.path, &passphrase, clock)
                    .and_then(|restored| restored.vault.list().map(|listing| Box::new((restored, listing)))),
            )
        });
    }

    fn apply_in_session(&mut self, ctx: &egui::Context, command: Command) {
        let now = self.clock.now();
        let Screen::Unlocked(session) = &mut self.screen else { return };
        let clear_seconds = self.prefs.clipboard_clear_seconds;
        let mut toast: Option<(String, bool)> = None;
        let mut undo_toast: Option<(String, Vec<SecretId>)> = None;
        match command {
            Command::ShowPage(page) => {
                session.page = page;
                session.dialog = None;
                if page == Page::Trash {
                    session.reload_trash();
                }
                if page == Page::Settings {
                    session.backups.reload(&self.vault_path);
                }
            }
            Command::SetBackupKeep(keep) => {
                toast = Some(match crate::vault::backup::set_keep(&self.vault_path, keep) {
                    Ok(()) if keep == 0 => ("Automatic backups are off. The existing ones are kept.".into(), false),
                    Ok(()) => (format!("Keeping the last {keep} backups."), false),
                    Err(e) => (style::sentence(&e.to_string()), true),
                });
                session.backups.reload(&self.vault_path);
            }
            Command::BackupNow => {
                if let Some(vault) = session.vault.take() {
                    self.jobs.spawn(ctx, "Backing up…", move || {
                        let result = vault.backup_now();
                        JobDone::BackedUp { vault, result }
                    });
                }
            }
            Command::AskRestoreBackup(info) => {
                session.dialog = Some(Dialog::RestoreBackup(backups::RestoreForm::new(info)));
            }
            Command::SubmitRestoreBackup => {
                let Some(Dialog::RestoreBackup(form)) = &mut session.dialog else { return };
                let Some(passphrase) = form.passphrase.take_passphrase() else { return };
                form.error = None;
                forget_secret_fields(ctx);
                let backup = form.backup.path.clone();
                let (path, clock) = (self.vault_path.clone(), self.clock.clone());
                if let Some(old) = session.vault.take() {
                    self.jobs.spawn(ctx, "Restoring the backup…", move || {
                        let result = Vault::restore_backup_with_clock(&path, &backup, &passphrase, clock)
                            .and_then(|restored| restored.vault.list().map(|listing| Box::new((restored, listing))));
                        JobDone::RestoredBackup { old, result }
                    });
                }
            }
            Command::FocusSearch => {
                session.page = Page::Secrets;
                session.focus_search = true;
            }
            Command::CloseDialog => session.dialog = None,
            Command::OpenCreate => {
                session.page = Page::Secrets;
                session.dialog = Some(Dialog::create());
            }
            Command::SubmitCreate => toast = session.submit_create(),
            Command::OpenEdit(id) => {
                if let Some(row) = session.list.get(id) {
                    session.dialog = Some(Dialog::edit(&row.meta));
                }
            }
            Command::SubmitEdit => toast = session.submit_edit(),
            Command::OpenView(id) => toast = session.open_view(id, now),
            Command::RevealAgain => {
                if let (Some(vault), Some(Dialog::View(view))) = (&session.vault, &mut session.dialog) {
                    view.reveal(vault, now);
                }
            }
            Command::HideValue => {
                if let Some(Dialog::View(view)) = &mut session.dialog {
                    view.value = None;
                }
            }
            Command::Copy { id, as_assignment } => {
                toast = match session.copy_text(id, as_assignment) {
                    Ok((name, text)) => {
                        let clear_at = clear_seconds.map(|s| Timestamp(now.0 + i64::from(s) * 1000));
                        self.clipboard.copy(&text, name, clear_at).err().map(|e| (e, true))
                    }
                    Err(e) => Some((e, true)),
                };
            }
            Command::AskDelete(ids) => {
                let names: Vec<(SecretId, String)> = ids
                    .iter()
                    .filter_map(|id| session.list.get(*id).map(|r| (*id, r.meta.name.as_str().to_owned())))
                    .collect();
                if !names.is_empty() {
                    session.dialog = Some(Dialog::ConfirmDelete(names));
                }
            }
            Command::ConfirmDelete => {
                if let Some(Dialog::ConfirmDelete(names)) = session.dialog.take() {
                    let ids: Vec<SecretId> = names.iter().map(|(id, _)| *id).collect();
                    match session.vault_mut().and_then(|v| v.delete(&ids)) {
                        Ok(()) => {
                            for id in &ids {
                                session.list.remove(*id);
                                session.selected.remove(id);
                            }
                            let text = match names.as_slice() {
                                [(_, name)] => format!("Deleted {name}."),
                                many => format!("Deleted {} secrets.", many.len()),
                            };
                            undo_toast = Some((text, ids));
                        }
                        Err(e) => toast = Some((e.to_string(), true)),
                    }
                }
            }
            Command::Undo(ids) => {
                self.toasts.retain(|t| t.undo.as_ref() != Some(&ids));
                let mut restored = 0;
                for id in ids {
                    match session.vault_mut().and_then(|v| v.restore(id, None)) {
                        Ok(meta) => {
                            session.list.upsert(meta);
                            restored += 1;
                        }
                        Err(e) => toast = Some((e.to_string(), true)),
                    }
                }
                if toast.is_none() && restored > 0 {
                    toast = Some(("Restored.".into(), false));
                }
            }
            Command::RestoreVersion(id, version) => {
                match session.vault_mut().and_then(|v| v.restore_version(id, version)) {
                    Ok(saved) => {
                        toast = Some((
                            format!(
                                "Restored version {version} of {} as version {}.",
                                saved.meta.name, saved.meta.version
                            ),
                            false,
                        ));
                        session.list.upsert(saved.meta);
                        session.open_view(id, now);
                    }
                    Err(e) => toast = Some((e.to_string(), true)),
                }
            }
            Command::RestoreFromTrash(id) => match session.vault_mut().and_then(|v| v.restore(id, None)) {
                Ok(meta) => {
                    toast = Some((format!("Restored {}.", meta.name), false));
                    session.list.upsert(meta);
                    session.reload_trash();
                }
                Err(Error::NameTaken { name }) => {
                    session.dialog = Some(Dialog::restore_as(id, &name));
                }
                Err(e) => toast = Some((e.to_string(), true)),
            },
            Command::SubmitRestoreAs => toast = session.submit_restore_as(),
            Command::AskPurge(id) => session.dialog = Some(Dialog::ConfirmPurge(id)),
            Command::ConfirmPurge => {
                if let Some(Dialog::ConfirmPurge(target)) = session.dialog.take() {
                    let result = match target {
                        Some(id) => session.vault_mut().and_then(|v| v.purge(id)).map(|()| 1),
                        None => session.vault_mut().and_then(|v| v.empty_trash()),
                    };
                    toast = Some(match result {
                        Ok(1) => ("Deleted for good.".into(), false),
                        Ok(n) => (format!("{n} secrets deleted for good."), false),
                        Err(e) => (e.to_string(), true),
                    });
                    session.reload_trash();
                }
            }
            Command::ChangePassphrase => {
                if let Some((current, new)) = session.settings.take_change() {
                    forget_secret_fields(ctx);
                    let vault = session.vault.take();
                    if let Some(mut vault) = vault {
                        self.jobs.spawn(ctx, "Deriving your new key…", move || {
                            let result =
                                vault.verify_passphrase(&current).and_then(|()| vault.change_passphrase(&new, None));
                            JobDone::PassphraseChanged { vault, result, change: KeyChange::Passphrase }
                        });
                    }
                }
            }
            Command::AskStrengthen => session.dialog = Some(Dialog::strengthen()),
            Command::Pick(what) => session.transfer.pick(ctx, what),
            Command::PlanImport(path) => {
                session.transfer.error = None;
                let (format, flatten) = (session.transfer.import_format, session.transfer.flatten);
                if let Some(vault) = session.vault.take() {
                    self.jobs.spawn(ctx, "Reading the file…", move || {
                        let result = transfer::plan(&vault, &path, format, flatten);
                        JobDone::ImportPlanned { vault, path, result }
                    });
                }
            }
            Command::SetImportPolicy(policy) => {
                if let Some(Dialog::Import(review)) = &mut session.dialog {
                    review.plan.set_policy(policy);
                    review.error = None;
                }
            }
            Command::ConfirmImport => {
                let Some(Dialog::Import(review)) = session.dialog.take() else { return };
                let transfer::ImportReview { path, plan, .. } = review;
                if let Some(mut vault) = session.vault.take() {
                    self.jobs.spawn(ctx, "Importing…", move || {
                        let result = vault
                            .apply_import(plan)
                            .and_then(|report| vault.list().map(|listing| (report, listing)))
                            .map_err(|e| e.to_string());
                        JobDone::Imported { vault, path, result }
                    });
                }
            }
            Command::AskExport(path, format) => {
                session.transfer.error = None;
                let exists = path.exists();
                session.dialog = Some(Dialog::Export(transfer::ExportConfirm {
                    path,
                    format,
                    count: session.list.len(),
                    overwrite: false,
                    exists,
                    error: None,
                }));
            }
            Command::ConfirmExport => {
                let Some(Dialog::Export(confirm)) = session.dialog.take() else { return };
                let transfer::ExportConfirm { path, format, overwrite, .. } = confirm;
                if let Some(vault) = session.vault.take() {
                    self.jobs.spawn(ctx, "Exporting…", move || {
                        let result = transfer::export(&vault, &path, format, overwrite);
                        JobDone::Exported { vault, path, result }
                    });
                }
            }
            Command::SubmitStrengthen => {
                let Some(Dialog::Strengthen(form)) = &mut session.dialog else { return };
                let Some(passphrase) = form.passphrase.take_passphrase() else { return };
                let kdf = self.kdf_override;
                if let Some(mut vault) = session.vault.take() {
                    self.jobs.spawn(ctx, "Strengthening key derivation…", move || {
                        let kdf = kdf.unwrap_or_else(Vault::calibrate_kdf);
                        let result = vault
                            .verify_passphrase(&passphrase)
                            .and_then(|()| vault.change_passphrase(&passphrase, Some(kdf)));
                        JobDone::PassphraseChanged { vault, result, change: KeyChange::Strengthen }
                    });
                }
            }
            Command::AskRotateKey => session.dialog = Some(Dialog::rotate_key()),
            Command::SubmitRotateKey => {
                let Some(Dialog::RotateKey(form)) = &mut session.dialog else { return };
                let Some(passphrase) = form.passphrase.take_passphrase() else { return };
                if let Some(mut vault) = session.vault.take() {
                    self.jobs.spawn(ctx, "Re-encrypting every secret…", move || {
                        let result = vault.rotate_key(&passphrase);
                        JobDone::PassphraseChanged { vault, result, change: KeyChange::RotateKey }
                    });
                }
            }
            _ => {}
        }
        if let Some((text, ids)) = undo_toast {
            let until = Timestamp(now.0 + UNDO_SECONDS * 1000);
            self.toasts.retain(|t| t.undo.is_none());
            self.toasts.push(Toast { text, until, undo: Some(ids), is_error: false });
        }
        if let Some((text, is_error)) = toast {
            self.toast(text, is_error);
        }
    }

    /// The parameters "strengthen" would use (shown in settings).
    pub fn default_kdf_hint(&self) -> KdfParams {
        self.kdf_override.unwrap_or(KdfParams {
            memory_kib: KdfParams::DEFAULT_MEMORY_KIB,
            iterations: KdfParams::FLOOR.iterations,
            parallelism: KdfParams::DEFAULT_PARALLELISM,
        })
    }
}

impl Session {
    pub(crate) fn vault_mut(&mut self) -> Result<&mut Vault, Error> {
        self.vault.as_mut().ok_or(Error::Io {
            context: "The vault is busy (a passphrase change is running); try again in a moment".into(),
            source: std::io::Error::from(std::io::ErrorKind::WouldBlock),
        })
    }

    fn reload_trash(&mut self) {
        if let Some(vault) = &self.vault {
            match vault.trash() {
                Ok(listing) => self.trash = listing.items,
                Err(_) => self.trash.clear(),
            }
        }
    }
}

impl eframe::App for App {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        App::on_exit(self);
    }
}

/// Opens the window. Returns when it is closed.
pub fn run(vault_path: PathBuf) -> Result<(), String> {
    let icon = eframe::icon_data::from_png_bytes(include_bytes!("../../assets/icon.png")).ok();
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("Tresor")
        .with_app_id("tresor")
        .with_inner_size([1040.0, 680.0])
        .with_min_inner_size([760.0, 500.0]);
    if let Some(icon) = icon {
        viewport = viewport.with_icon(Arc::new(icon));
    }
    let options = eframe::NativeOptions { viewport, ..Default::default() };
    eframe::run_native("Tresor", options, Box::new(move |_cc| Ok(Box::new(App::new(AppOptions::new(vault_path))))))
        .map_err(|e| format!("could not open the window: {e}"))
}

/// What a restore did, after `lead`: whether the replaced state was kept, where a damaged file went.
fn restored_text(lead: String, restored: &Restored) -> String {
    let mut text = lead;
    if restored.previous.is_some() {
        text += " The state before is kept as a backup.";
    }
    if let Some(aside) = &restored.moved_aside {
        text += &format!(" The damaged file was moved to {}.", aside.display());
    }
    text
}

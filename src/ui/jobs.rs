//! Slow work off the frame: [`Jobs`] runs a closure (written in apply.rs) on a worker thread —
//! Argon2id, opening a large vault, import, export, backups — and [`JobDone`] carries its result
//! back over a channel; [`App::receive_jobs`] takes it in at the start of the next frame. Also
//! the system's file dialog, on its own thread, and the small synchronous reads of the backup
//! folder that follow a job (and opening Vault settings).

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};

use super::App;
use super::session::{Dialog, ImportReview, Screen, Session, SettingsForm};
use super::session::{Page, Pick, Picked};
use super::style;
use super::widgets::secrets_count;
use crate::interchange::import::PreparedImport;
use crate::vault::{BackupInfo, Error, ImportReport, Listing, PlacedSecret, Restored, SecretMeta, Vault};

/// Which change of the vault's keys a job made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KeyChange {
    Passphrase,
    Strengthen,
    RotateKey,
}

/// A vault restored from a backup, with its listing.
type RestoredListing = Box<(Restored, Listing<SecretMeta>)>;
/// The latest backup restored from the lock screen, with the listing and which backup it was.
type RestoredLatest = Box<(Restored, Listing<SecretMeta>, BackupInfo)>;

/// What a worker thread sends back. Jobs that borrow the session's vault return it either way.
pub(super) enum JobDone {
    /// A vault was created or unlocked, with its listing (decrypting 100k names takes a while).
    Opened(Result<(Vault, Listing<SecretMeta>), Error>),
    /// The unlock would be unusually slow: not started, the user is asked first.
    SlowUnlock(crate::vault::UnlockEstimate),
    /// A passphrase change, strengthening or key rotation finished.
    KeysChanged { vault: Vault, result: Result<(), Error>, change: KeyChange },
    /// A file was read and planned for import.
    ImportPlanned { vault: Vault, path: PathBuf, result: Result<PreparedImport, String> },
    /// An import was written (one transaction), with the new listing.
    /// `place`: the listing's place; `by_section`: the file went section by section into
    /// several places (else all of it into `place`).
    Imported {
        vault: Vault,
        path: PathBuf,
        place: crate::vault::Place,
        by_section: bool,
        result: Result<(ImportReport, Listing<PlacedSecret>), String>,
    },
    /// An export was written: how many secrets.
    Exported { vault: Vault, path: PathBuf, result: Result<usize, String> },
    /// Every live secret's name and place, for the vault-wide search.
    NamesRead {
        vault: Vault,
        result: Result<Vec<(crate::vault::SecretId, crate::vault::SecretName, crate::vault::PlaceId)>, Error>,
    },
    /// "Back up now" finished.
    BackedUp { vault: Vault, result: Result<Option<BackupInfo>, Error> },
    /// A backup was restored from the lock screen (a damaged vault), or not.
    RestoredWhileLocked(Result<RestoredLatest, Error>),
    /// A backup was restored (the new vault, with its listing), or not (the old vault comes back).
    RestoredBackup { old: Vault, result: Result<RestoredListing, Error> },
    /// A sync (or connecting to a folder) finished; `auto`: the app's own.
    Synced { vault: Vault, result: Result<crate::vault::SyncReport, Error>, auto: bool },
}

/// The worker threads' channel, and what is running (for the spinner's caption).
pub(super) struct Jobs {
    tx: Sender<JobDone>,
    rx: Receiver<JobDone>,
    running: Option<&'static str>,
    /// Run jobs on a worker thread (the app) or inline (tests, so a spinner never spins).
    background: bool,
}

impl Jobs {
    pub fn new(background: bool) -> Self {
        let (tx, rx) = channel();
        Jobs { tx, rx, running: None, background }
    }

    /// The caption of the running job, if one is running.
    pub fn running(&self) -> Option<&'static str> {
        self.running
    }

    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Whether jobs run on worker threads (the app), not inline (tests).
    pub fn in_background(&self) -> bool {
        self.background
    }

    /// Runs `job`, showing `caption` until its result comes back.
    pub fn spawn(
        &mut self,
        ctx: &egui::Context,
        caption: &'static str,
        job: impl FnOnce() -> JobDone + Send + 'static,
    ) {
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

/// Opens the system's file dialog on its own thread, without blocking the window; the path comes
/// back over the returned channel. Where there is none (no desktop portal, say), the answer says
/// so: rfd alone cannot tell that from a cancel.
pub(super) fn pick_file(ctx: &egui::Context, what: Pick, export_name: String) -> Receiver<Picked> {
    let (tx, rx) = channel();
    let ctx = ctx.clone();
    std::thread::spawn(move || {
        if !super::portal::file_dialog_available() {
            let _ = tx.send(Picked::NoDialog);
            ctx.request_repaint();
            return;
        }
        let secrets_files = || rfd::AsyncFileDialog::new().add_filter("Secrets files", &["env", "toml", "json"]);
        let picked = match what {
            Pick::Import => pollster::block_on(secrets_files().set_title("Import secrets from…").pick_file()),
            Pick::Export => pollster::block_on(
                secrets_files().set_title("Export secrets to…").set_file_name(export_name).save_file(),
            ),
            // Any file: a PEM key, a service-account JSON, a token saved by a tool.
            Pick::Value => pollster::block_on(rfd::AsyncFileDialog::new().set_title("Load a value from…").pick_file()),
        };
        let _ = tx.send(picked.map_or(Picked::Cancelled, |f| Picked::Path(f.path().to_owned())));
        ctx.request_repaint();
    });
    rx
}

impl App {
    /// Takes in every finished job (and a file dialog's path), at the start of a frame.
    pub(super) fn receive_jobs(&mut self, ctx: &egui::Context) {
        while let Ok(done) = self.jobs.rx.try_recv() {
            self.jobs.running = None;
            match done {
                JobDone::Opened(result) => self.opened(ctx, result),
                JobDone::SlowUnlock(estimate) => {
                    if let Screen::Locked(form) = &mut self.screen {
                        form.slow = Some(estimate);
                    }
                }
                JobDone::RestoredWhileLocked(result) => self.restored_while_locked(ctx, result),
                JobDone::KeysChanged { vault, result, change } => self.keys_changed(ctx, vault, result, change),
                JobDone::ImportPlanned { vault, path, result } => self.import_planned(vault, path, result),
                JobDone::Imported { vault, path, place, by_section, result } => {
                    self.imported(vault, &path, place, by_section, result)
                }
                JobDone::Exported { vault, path, result } => self.exported(vault, &path, result),
                JobDone::NamesRead { vault, result } => self.names_read(vault, result),
                JobDone::BackedUp { vault, result } => self.backed_up(vault, result),
                JobDone::RestoredBackup { old, result } => self.restored_backup(ctx, old, result),
                JobDone::Synced { vault, result, auto } => self.synced(vault, result, auto),
            }
        }
        if let Some(session) = self.screen.session_mut() {
            session.transfer.receive_pick();
            if let Some(Dialog::Create(form) | Dialog::Edit(form)) = &mut session.dialog
                && let Some(path) = form.receive_pick()
            {
                self.load_value_file(&path);
            }
        }
    }

    fn opened(&mut self, ctx: &egui::Context, result: Result<(Vault, Listing<SecretMeta>), Error>) {
        match result {
            Ok((mut vault, listing)) => {
                let warning = vault.take_warning();
                self.enter_session(ctx, vault, listing);
                if let Some(warning) = warning {
                    self.toast(style::sentence(&warning.to_string()), true);
                }
            }
            Err(error) => match &mut self.screen {
                Screen::Locked(form) => form.failed(&error, || backup_count(&self.vault_path)),
                Screen::Setup(form) => form.failed(&error),
                Screen::Unlocked(_) => {}
            },
        }
    }

    fn restored_while_locked(&mut self, ctx: &egui::Context, result: Result<RestoredLatest, Error>) {
        match result {
            Ok(done) => {
                let (restored, listing, latest) = *done;
                let lead = format!(
                    "Restored the latest backup, made {} ({}).",
                    style::exact(latest.created),
                    latest.reason.describe()
                );
                let text = restored_text(lead, &restored);
                self.enter_session(ctx, restored.vault, listing);
                self.toast(text, false);
            }
            Err(error) => {
                if let Screen::Locked(form) = &mut self.screen {
                    form.restore_failed(&error);
                }
            }
        }
    }

    fn keys_changed(&mut self, ctx: &egui::Context, mut vault: Vault, result: Result<(), Error>, change: KeyChange) {
        let warning = vault.take_warning();
        let Some(session) = self.screen.session_mut() else { return };
        session.kdf = vault.kdf_params();
        session.vault = Some(vault);
        reload_backups(session, &self.vault_path);
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
                let wrong = matches!(error, Error::WrongPassphrase);
                let message = match error {
                    Error::WrongPassphrase => "The current passphrase is wrong.".to_owned(),
                    other => other.to_string(),
                };
                if let Some(Dialog::Strengthen(form) | Dialog::RotateKey(form)) = &mut session.dialog {
                    form.error = Some(message);
                } else if change == KeyChange::Passphrase && wrong {
                    // Under the field that was wrong, which takes the focus (the page stays).
                    session.settings.current_error = Some(message);
                    session.settings.focus_current = true;
                } else {
                    session.settings.error = Some(message);
                }
            }
        }
    }

    fn import_planned(&mut self, vault: Vault, path: PathBuf, result: Result<PreparedImport, String>) {
        let Some(session) = self.screen.session_mut() else { return };
        session.vault = Some(vault);
        match result {
            Ok(prepared) => {
                let into = session.label_of(&prepared.plan.place()).map(|l| super::vocabulary::place_text(&l));
                let review = ImportReview {
                    path,
                    plan: prepared.plan,
                    findings: prepared.findings,
                    into: into.unwrap_or_default(),
                };
                session.dialog = Some(Dialog::Import(review));
            }
            // Under Import in Vault settings; a file dropped on the Secrets page hears it there.
            Err(message) if session.page == Page::Settings => session.transfer.import_error = Some(message),
            Err(message) => self.toast(message, true),
        }
    }

    fn imported(
        &mut self,
        vault: Vault,
        path: &Path,
        place: crate::vault::Place,
        by_section: bool,
        result: Result<(ImportReport, Listing<PlacedSecret>), String>,
    ) {
        let Some(session) = self.screen.session_mut() else { return };
        session.vault = Some(vault);
        reload_backups(session, &self.vault_path);
        match result {
            Ok((report, listing)) => {
                if session.place == place {
                    let damaged = listing.damaged.iter().map(ToString::to_string).collect();
                    session.list.replace_placed(listing.items, damaged);
                } else {
                    session.reload_list();
                }
                session.reload_projects();
                if session.compare.is_some() {
                    session.reload_compare();
                }
                session.selected.clear();
                let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let text = match session.label_of(&place) {
                    Some(_) if by_section => format!("Imported {file} by section: {report}."),
                    Some(label) => format!("Imported {file} into {}: {report}.", super::vocabulary::place_text(&label)),
                    None => format!("Imported {file}: {report}."),
                };
                self.toast(text, false);
            }
            Err(message) if session.page == Page::Settings => {
                session.transfer.import_error = Some(format!("Nothing was imported: {message}"))
            }
            Err(message) => self.toast(format!("Nothing was imported: {message}"), true),
        }
    }

    fn exported(&mut self, vault: Vault, path: &Path, result: Result<usize, String>) {
        let Some(session) = self.screen.session_mut() else { return };
        session.vault = Some(vault);
        let from = session.label_of(&session.place).map(|l| format!(" of {}", super::vocabulary::place_text(&l)));
        match result {
            Ok(n) => self.toast(
                format!(
                    "Exported {}{} to {}. Delete the file when you no longer need it.",
                    secrets_count(n),
                    from.unwrap_or_default(),
                    path.display()
                ),
                false,
            ),
            Err(message) => session.transfer.export_error = Some(message),
        }
    }

    fn backed_up(&mut self, vault: Vault, result: Result<Option<BackupInfo>, Error>) {
        if let Some(session) = self.screen.session_mut() {
            session.vault = Some(vault);
            reload_backups(session, &self.vault_path);
        }
        match result {
            Ok(Some(_)) => self.toast("Backed up.".into(), false),
            Ok(None) => self.toast("Automatic backups are off.".into(), true),
            Err(e) => self.toast(style::sentence(&e.to_string()), true),
        }
    }

    fn restored_backup(&mut self, ctx: &egui::Context, old: Vault, result: Result<RestoredListing, Error>) {
        let Some(session) = self.screen.session_mut() else {
            // Locked while the restore ran: say how it ended.
            drop(old);
            match result {
                Ok(_) => self.toast("The backup was restored. Unlock to see it.".to_owned(), false),
                Err(e) => self.toast(format!("Nothing was restored: {}", style::sentence(&e.to_string())), true),
            }
            return;
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
                reload_backups(&mut fresh, &self.vault_path);
                *session = fresh;
                self.toast(text, false);
            }
            Err(error) => {
                session.vault = Some(old);
                let message = match error {
                    Error::WrongPassphrase => "That passphrase does not open this backup.".to_owned(),
                    other => style::sentence(&other.to_string()),
                };
                reload_backups(session, &self.vault_path);
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
}

/// Reads the backup folder's listing and the keep setting again.
pub(super) fn reload_backups(session: &mut Session, vault_path: &Path) {
    let view = &mut session.backups;
    view.keep = crate::vault::backup::keep(vault_path);
    match crate::vault::backup::list(vault_path) {
        Ok(list) => {
            view.list = list;
            view.error = None;
        }
        Err(e) => {
            view.list.clear();
            view.error = Some(style::sentence(&e.to_string()));
        }
    }
}

/// How many backups the vault at `vault_path` has, offered on the lock screen of a damaged vault.
pub(super) fn backup_count(vault_path: &Path) -> usize {
    crate::vault::backup::list(vault_path).map_or(0, |list| list.len())
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

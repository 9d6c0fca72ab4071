//! Carries out [`Command`]s: the one place in the app that writes to the vault, decrypts a
//! value, touches the clipboard or starts a worker thread. [`App::apply`] is a table from each
//! command to a small function below, grouped by family (the lock screens, moving around,
//! secrets, deleting and the trash, keys, import and export, backups). Slow work is handed to
//! jobs.rs with the closure that does it written here; its result comes back in jobs.rs.
//!
//! The table is here, with the lock screens, moving around, the keys and backups; the families
//! with more to them have a file each: `secrets.rs` (create, edit, view, copy, delete, Undo, the
//! Trash), `transfer.rs` (import and export), `places.rs` (projects and environments, the
//! vault-wide search), `copy_move.rs` (copy, move and their Undo), `values.rs` (a value from a
//! file or the generator), `sync.rs` (the Sync section and the automatic syncs), with `reach.rs`
//! saying what a change touches. Every effect of the
//! app is one jump from the table.

mod copy_move;
mod places;
mod reach;
mod secrets;
mod sync;
mod transfer;
mod values;

pub(super) use secrets::reload_trash;
use secrets::secret_form;
pub(super) use sync::reload_sync;

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::App;
use super::command::{Command, GuardedText};
use super::jobs::{self, JobDone, KeyChange, reload_backups};
use super::prefs::Prefs;
use super::session::{
    DeleteConfirm, Dialog, ExportConfirm, ImportReview, PassphraseForm, RestoreForm, Screen, SecretForm, Session,
    SetupForm, Toast, TrashRow, UndoAction, UnlockForm, ViewState,
};
use super::session::{Page, Pick, SortKey};
use super::style;
use super::vocabulary;
use super::widgets::SecretField;
use crate::interchange::export::{self, ExportError};
use crate::interchange::import::{ImportError, ImportFile, ImportFileError, PreparedImport, Source};
use crate::interchange::{self, Format, ParseOptions};
use crate::vault::{
    ConflictPolicy, Error, Listing, NewSecret, Origin, Passphrase, Place, SecretEdit, SecretId, SecretMeta, SecretName,
    SecretValue, Timestamp, Vault,
};

/// What a command has to say: nothing, a toast, or a toast with Undo (after a delete, a copy,
/// a move).
pub(super) enum Reply {
    Quiet,
    Info(String),
    Error(String),
    Undoable { text: String, undo: UndoAction },
}

impl Reply {
    fn error(e: impl ToString) -> Self {
        Reply::Error(e.to_string())
    }
}

impl App {
    /// Carries out one command.
    pub(super) fn apply(&mut self, ctx: &egui::Context, command: Command) {
        let reply = match command {
            // The lock screens and the app as a whole.
            Command::CreateVault => self.create_vault(ctx),
            Command::JoinSyncedVault => self.join_synced_vault(ctx),
            Command::Unlock => self.unlock(ctx, false),
            Command::UnlockAnyway => self.unlock(ctx, true),
            Command::CancelSlowUnlock => self.cancel_slow_unlock(),
            Command::OpenReadOnly => self.open_read_only(ctx),
            Command::RestoreLatestBackup => self.restore_latest_backup(ctx),
            Command::AcceptRollback => self.accept_rollback(ctx),
            Command::OpenOtherVault(path) => self.open_other_vault(path),
            Command::StartNewVault(at) => self.start_new_vault(at),
            Command::CancelNewVault => self.cancel_new_vault(),
            Command::Lock => self.lock(ctx),
            Command::RevokeApproval(key) => {
                self.serving.revoke(key);
                // The settings page shows it gone in the next frame.
                ctx.request_repaint();
                Reply::Quiet
            }
            Command::Quit => self.quit(ctx),
            Command::SetPrefs(prefs) => self.set_prefs(prefs),
            Command::ToggleSidebar => self.toggle_sidebar(),
            Command::DismissNote => self.dismiss_note(),
            // Moving around the unlocked window.
            Command::ShowPage(page) => self.show_page(page),
            Command::FocusSearch => self.focus_search(),
            Command::CloseDialog => self.close_dialog(),
            Command::SortBy(key) => self.sort_by(key),
            Command::Select(id, on) => self.select(id, on),
            Command::ClearSelection => self.clear_selection(),
            Command::SelectAll(ids) => self.select_all(ids),
            Command::SetCursor(id) => self.set_cursor(id),
            // Secrets.
            Command::OpenCreate => self.open_create(),
            Command::CheckName => self.check_name(),
            Command::SubmitCreate => self.submit_create(),
            Command::OpenEdit(id) => self.open_edit(id),
            Command::SubmitEdit => self.submit_edit(),
            Command::PickValueFile => self.pick_value_file(ctx),
            Command::LoadValueFile(path) => self.load_value_file(&path),
            Command::GenerateValue => self.generate_value(),
            Command::OpenView(id) => self.open_view(id),
            Command::RevealAgain => self.reveal_again(),
            Command::HideValue => self.hide_value(),
            Command::Copy { id, as_assignment } => self.copy(id, as_assignment),
            Command::CopySelection(text) => self.copy_selection(&text.0),
            Command::RestoreVersion(id, version) => self.restore_version(id, version),
            Command::CopyVersion(id, version) => self.copy_version(id, version),
            // Deleting, undo and the trash.
            Command::AskDelete(ids) => self.ask_delete(ids),
            Command::ConfirmDelete => self.confirm_delete(),
            Command::Undo(undo) => self.undo(undo),
            Command::UndoLast => match self.toasts.iter().rev().find_map(|t| t.undo.clone()) {
                Some(undo) => self.undo(undo),
                None => Reply::Quiet,
            },
            Command::RestoreFromTrash(id) => self.restore_from_trash(id),
            Command::SubmitRestoreAs => self.submit_restore_as(),
            Command::AskPurge(target) => self.open_dialog(Dialog::ConfirmPurge(target)),
            Command::ConfirmPurge => self.confirm_purge(),
            // The vault's keys.
            Command::ChangePassphrase => self.change_passphrase(ctx),
            Command::AskStrengthen => self.open_dialog(Dialog::Strengthen(PassphraseForm::default())),
            Command::SubmitStrengthen => self.submit_strengthen(ctx),
            Command::AskRotateKey => self.open_dialog(Dialog::RotateKey(PassphraseForm::default())),
            Command::SubmitRotateKey => self.submit_rotate_key(ctx),
            // Import and export.
            Command::Pick(what) => self.pick(ctx, what),
            Command::ShowImport => self.show_import(ctx),
            Command::PlanImport(path) => self.plan_import(ctx, path),
            Command::ImportDropped(path) => self.import_dropped(ctx, path),
            Command::OfferPastedImport(count, text) => self.offer_pasted_import(count, text),
            Command::ImportPasted => self.import_pasted(),
            Command::SetImportPolicy(policy) => self.set_import_policy(policy),
            Command::ConfirmImport => self.confirm_import(ctx),
            Command::PlanSections(path) => self.plan_sections(path),
            Command::MapSection(index, place) => self.map_section(index, place),
            Command::SetSectionsPolicy(policy) => self.set_sections_policy(policy),
            Command::ConfirmSections => self.confirm_sections(ctx),
            Command::AskExport(path, format) => self.ask_export(path, format),
            Command::ConfirmExport => self.confirm_export(ctx),
            // Projects and environments (apply/places.rs).
            Command::GoTo(place) => self.go_to(place),
            Command::ShowCompare => self.show_compare(),
            Command::SwitchTab(step) => self.switch_tab(step),
            Command::AskNewProject => self.ask_new_project(),
            Command::AskNewEnvironment(project) => self.ask_new_environment(project),
            Command::AskRenamePlace(id) => self.ask_rename_place(id),
            Command::SubmitPlaceName => self.submit_place_name(),
            Command::AskDeletePlace(id) => self.ask_delete_place(id),
            Command::MoveEnvironment(id, step) => self.move_environment(id, step),
            Command::ConfirmDeletePlace => self.confirm_delete_place(),
            Command::RestorePlace(id) => self.restore_place(id),
            Command::AskCopyMove(id, moving) => self.ask_copy_move(id, moving),
            Command::SubmitCopyMove => self.submit_copy_move(),
            Command::PickCopyMoveTarget(to) => self.pick_copy_move_target(to),
            Command::AskCopyInto { id, to } => self.ask_copy_into(id, to),
            Command::ConfirmCopyInto => self.confirm_copy_into(),
            Command::ChooseShared => self.choose_shared(),
            Command::ChooseOverride => self.choose_override(),
            Command::OpenSearchAll => self.open_search_all(ctx),
            Command::SearchAll => self.search_all(),
            Command::GoToSecret(place, id) => self.go_to_secret(place, id),
            // Backups.
            Command::SetBackupKeep(keep) => self.set_backup_keep(keep),
            Command::BackupNow => self.backup_now(ctx),
            Command::AskRestoreBackup(info) => self.open_dialog(Dialog::RestoreBackup(RestoreForm::new(info))),
            Command::SubmitRestoreBackup => self.submit_restore_backup(ctx),
            // Sync.
            Command::SyncConnect => self.sync_connect(ctx),
            Command::SyncNow => self.sync_now(ctx, false),
            Command::SyncDisconnect => self.sync_disconnect(),
            Command::SyncForget(id) => self.sync_forget(ctx, id),
            Command::SyncKeep(id) => self.sync_keep(ctx, id),
        };
        self.reply(reply);
    }

    /// Shows what a command had to say.
    fn reply(&mut self, reply: Reply) {
        match reply {
            Reply::Quiet => {}
            Reply::Info(text) => self.toast(text, false),
            Reply::Error(text) => self.toast(text, true),
            Reply::Undoable { text, undo } => {
                self.toasts.retain(|t| t.undo.is_none());
                self.toasts.push(Toast::undo(text, undo, self.clock.now()));
            }
        }
    }

    // The lock screens and the app as a whole.

    fn create_vault(&mut self, ctx: &egui::Context) -> Reply {
        let Screen::Setup(form) = &mut self.screen else { return Reply::Quiet };
        let Some(path) = form.checked_path() else { return Reply::Quiet };
        if !form.ready() {
            return Reply::Quiet;
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
        Reply::Quiet
    }

    /// Unlocks on the worker. Unless `confirmed`, first estimates how long it will take: an
    /// unusually slow unlock (stored KDF parameters far above what Tresor sets up) is asked about
    /// before it starts.
    fn unlock(&mut self, ctx: &egui::Context, confirmed: bool) -> Reply {
        let Screen::Locked(form) = &mut self.screen else { return Reply::Quiet };
        if form.passphrase.is_empty() || self.jobs.is_running() {
            return Reply::Quiet;
        }
        form.error = None;
        form.slow = None;
        let passphrase = Passphrase::new(form.passphrase.as_str());
        let path = self.vault_path.clone();
        let clock = self.clock.clone();
        self.jobs.spawn(ctx, "Deriving your key…", move || {
            if !confirmed {
                match Vault::unlock_estimate(&path) {
                    Ok(estimate) if estimate.is_unusual() => return JobDone::SlowUnlock(estimate),
                    Err(e) => return JobDone::Opened(Err(e)),
                    Ok(_) => {}
                }
            }
            JobDone::Opened(
                Vault::unlock_with_clock(&path, &passphrase, clock)
                    .and_then(|vault| vault.list().map(|listing| (vault, listing))),
            )
        });
        Reply::Quiet
    }

    fn cancel_slow_unlock(&mut self) -> Reply {
        if let Screen::Locked(form) = &mut self.screen {
            form.slow = None;
            form.passphrase.wipe();
            form.focus = true;
        }
        Reply::Quiet
    }

    /// Opens a vault that failed its integrity check read-only (the core's salvage mode): what
    /// is intact can be seen and copied; every write is refused.
    fn open_read_only(&mut self, ctx: &egui::Context) -> Reply {
        let Screen::Locked(form) = &mut self.screen else { return Reply::Quiet };
        if self.jobs.is_running() {
            return Reply::Quiet;
        }
        let Some(passphrase) = form.passphrase.take_passphrase() else { return Reply::Quiet };
        let path = self.vault_path.clone();
        self.jobs.spawn(ctx, "Opening read-only…", move || {
            JobDone::Opened(
                Vault::unlock_for_salvage(&path, &passphrase).and_then(|vault| vault.list().map(|l| (vault, l))),
            )
        });
        Reply::Quiet
    }

    /// Restores the backup holding the newest state (chosen with the passphrase, on the worker).
    fn restore_latest_backup(&mut self, ctx: &egui::Context) -> Reply {
        let Screen::Locked(form) = &mut self.screen else { return Reply::Quiet };
        if form.backups == 0 || self.jobs.is_running() {
            return Reply::Quiet;
        }
        let Some(passphrase) = form.passphrase.take_passphrase() else { return Reply::Quiet };
        let (path, clock) = (self.vault_path.clone(), self.clock.clone());
        self.jobs.spawn(ctx, "Restoring the backup…", move || {
            JobDone::RestoredWhileLocked(crate::vault::backup::newest(&path, &passphrase).and_then(|latest| {
                let restored = Vault::restore_backup_with_clock(&path, &latest.path, &passphrase, clock)?;
                let listing = restored.vault.list()?;
                Ok(Box::new((restored, listing, latest)))
            }))
        });
        Reply::Quiet
    }

    /// Unlocks a vault file refused as an older copy of itself, taking it as it is now: the user
    /// put it back on purpose.
    fn accept_rollback(&mut self, ctx: &egui::Context) -> Reply {
        let Screen::Locked(form) = &mut self.screen else { return Reply::Quiet };
        if !form.can_accept_rollback || self.jobs.is_running() {
            return Reply::Quiet;
        }
        let Some(passphrase) = form.passphrase.take_passphrase() else { return Reply::Quiet };
        let path = self.vault_path.clone();
        self.jobs.spawn(ctx, "Deriving your key…", move || {
            JobDone::Opened(
                Vault::accept_rollback(&path, &passphrase).and_then(|vault| vault.list().map(|l| (vault, l))),
            )
        });
        Reply::Quiet
    }

    /// Switches the lock screen to another vault file. A path with no file, or a folder, keeps
    /// the current vault and says what is wrong (with the choice to create a vault there).
    fn open_other_vault(&mut self, path: PathBuf) -> Reply {
        let problem = if path.is_dir() {
            Some(format!(
                "{} is a folder: give the vault file's path, e.g. {}.",
                path.display(),
                path.join("vault.db").display()
            ))
        } else if !path.exists() {
            Some(format!("There is no vault at {}. Check the path, or create a new vault there.", path.display()))
        } else {
            None
        };
        match problem {
            Some(problem) => {
                if let Screen::Locked(form) = &mut self.screen {
                    form.other_path_error = Some(problem);
                    form.missing_path = (!path.is_dir()).then_some(path);
                }
            }
            None => {
                self.vault_path = path;
                self.screen = Screen::Locked(UnlockForm::new());
            }
        }
        Reply::Quiet
    }

    fn start_new_vault(&mut self, at: Option<PathBuf>) -> Reply {
        let suggested = at.unwrap_or_else(|| self.vault_path.with_file_name("new-vault.db"));
        self.screen = Screen::Setup(SetupForm::new(&suggested, true));
        Reply::Quiet
    }

    fn cancel_new_vault(&mut self) -> Reply {
        self.screen = Screen::Locked(UnlockForm::new());
        Reply::Quiet
    }

    /// Drops the vault (its keys are wiped), revealed values and every form; clears our copy
    /// from the clipboard.
    pub(super) fn lock(&mut self, ctx: &egui::Context) -> Reply {
        self.clipboard.clear_ours();
        self.toasts.clear();
        self.screen = Screen::Locked(UnlockForm::new());
        ctx.data_mut(|d| d.clear());
        Reply::Quiet
    }

    /// The clipboard's timer: clears our copy when its time is up (if the clipboard still holds it).
    pub(super) fn clear_clipboard_if_due(&mut self, now: Timestamp) {
        if self.clipboard.tick(now) {
            self.toast("Clipboard cleared.".into(), false);
        }
    }

    /// On quit: clears the clipboard if it still holds our copy.
    pub(super) fn clear_our_copy(&mut self) {
        self.clipboard.clear_ours();
    }

    fn quit(&mut self, ctx: &egui::Context) -> Reply {
        self.clipboard.clear_ours();
        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        Reply::Quiet
    }

    fn set_prefs(&mut self, prefs: Prefs) -> Reply {
        self.prefs = prefs;
        self.save_prefs()
    }

    fn dismiss_note(&mut self) -> Reply {
        self.prefs.note_dismissed = true;
        self.save_prefs()
    }

    fn toggle_sidebar(&mut self) -> Reply {
        self.prefs.sidebar_open = !self.prefs.sidebar_open;
        self.save_prefs()
    }

    fn save_prefs(&mut self) -> Reply {
        match &self.prefs_path {
            Some(path) => match self.prefs.save(path) {
                Ok(()) => Reply::Quiet,
                Err(e) => Reply::Error(format!("Could not save preferences: {e}.")),
            },
            None => Reply::Quiet,
        }
    }

    /// Opens the unlocked screen on `vault`. The passphrase fields' widget state (and its undo
    /// history, which holds plaintext copies) goes with the forms.
    pub(super) fn enter_session(&mut self, ctx: &egui::Context, vault: Vault, listing: Listing<SecretMeta>) {
        ctx.data_mut(|d| d.clear());
        self.last_activity = self.clock.now();
        let mut session = Session::new(vault, listing);
        // A synced vault syncs once when it opens.
        reload_sync(&mut session);
        if session.sync.folder.is_some() {
            session.sync.due = Some(self.clock.now());
        }
        // The keyboard starts in the search (↓ goes on into the table), or on Create when
        // there is nothing to search: never nowhere, twenty Tab stops from the list.
        session.focus_search = true;
        self.screen = Screen::Unlocked(Box::new(session));
    }

    // Moving around the unlocked window.

    fn show_page(&mut self, page: Page) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        session.page = page;
        session.dialog = None;
        match page {
            Page::Trash => reload_trash(session),
            Page::Settings => {
                reload_backups(session, &self.vault_path);
                reload_sync(session);
            }
            Page::Secrets => {}
        }
        Reply::Quiet
    }

    fn focus_search(&mut self) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        session.page = Page::Secrets;
        session.focus_search = true;
        Reply::Quiet
    }

    fn open_dialog(&mut self, dialog: Dialog) -> Reply {
        if let Some(session) = self.screen.session_mut() {
            session.dialog = Some(dialog);
        }
        Reply::Quiet
    }

    fn close_dialog(&mut self) -> Reply {
        if let Some(session) = self.screen.session_mut() {
            session.dialog = None;
        }
        Reply::Quiet
    }

    fn sort_by(&mut self, key: SortKey) -> Reply {
        if let Some(session) = self.screen.session_mut() {
            session.list.sort_by(key);
        }
        Reply::Quiet
    }

    fn select_all(&mut self, ids: Vec<SecretId>) -> Reply {
        if let Some(session) = self.screen.session_mut() {
            session.selected.extend(ids);
        }
        Reply::Quiet
    }

    fn set_cursor(&mut self, id: SecretId) -> Reply {
        if let Some(session) = self.screen.session_mut() {
            session.list.cursor = Some(id);
        }
        Reply::Quiet
    }

    fn select(&mut self, id: SecretId, on: bool) -> Reply {
        if let Some(session) = self.screen.session_mut() {
            if on {
                session.selected.insert(id);
            } else {
                session.selected.remove(&id);
            }
        }
        Reply::Quiet
    }

    fn clear_selection(&mut self) -> Reply {
        if let Some(session) = self.screen.session_mut() {
            session.selected.clear();
        }
        Reply::Quiet
    }

    // The vault's keys (on a worker thread: Argon2id takes about a second).

    fn change_passphrase(&mut self, ctx: &egui::Context) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some((current, new)) = session.settings.take_change() else { return Reply::Quiet };
        SecretField::forget_all(ctx);
        if let Some(mut vault) = session.vault.take() {
            self.jobs.spawn(ctx, "Deriving your new key…", move || {
                let result = vault.verify_passphrase(&current).and_then(|()| vault.change_passphrase(&new, None));
                JobDone::KeysChanged { vault, result, change: KeyChange::Passphrase }
            });
        }
        Reply::Quiet
    }

    fn submit_strengthen(&mut self, ctx: &egui::Context) -> Reply {
        let kdf = self.kdf_override;
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(Dialog::Strengthen(form)) = &mut session.dialog else { return Reply::Quiet };
        let Some(passphrase) = form.passphrase.take_passphrase() else { return Reply::Quiet };
        if let Some(mut vault) = session.vault.take() {
            self.jobs.spawn(ctx, "Strengthening key derivation…", move || {
                let kdf = kdf.unwrap_or_else(Vault::calibrate_kdf);
                let result =
                    vault.verify_passphrase(&passphrase).and_then(|()| vault.change_passphrase(&passphrase, Some(kdf)));
                JobDone::KeysChanged { vault, result, change: KeyChange::Strengthen }
            });
        }
        Reply::Quiet
    }

    fn submit_rotate_key(&mut self, ctx: &egui::Context) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(Dialog::RotateKey(form)) = &mut session.dialog else { return Reply::Quiet };
        let Some(passphrase) = form.passphrase.take_passphrase() else { return Reply::Quiet };
        if let Some(mut vault) = session.vault.take() {
            self.jobs.spawn(ctx, "Re-encrypting every secret…", move || {
                let result = vault.rotate_key(&passphrase);
                JobDone::KeysChanged { vault, result, change: KeyChange::RotateKey }
            });
        }
        Reply::Quiet
    }

    // Backups.

    fn set_backup_keep(&mut self, keep: usize) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let reply = match crate::vault::backup::set_keep(&self.vault_path, keep) {
            Ok(()) if keep == 0 => Reply::Info("Automatic backups are off. The existing ones are kept.".into()),
            Ok(()) => Reply::Info(format!("Keeping the last {keep} backups.")),
            Err(e) => Reply::Error(style::sentence(&e.to_string())),
        };
        reload_backups(session, &self.vault_path);
        reply
    }

    fn backup_now(&mut self, ctx: &egui::Context) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        if let Some(vault) = session.vault.take() {
            self.jobs.spawn(ctx, "Backing up…", move || {
                let result = vault.backup_now();
                JobDone::BackedUp { vault, result }
            });
        }
        Reply::Quiet
    }

    fn submit_restore_backup(&mut self, ctx: &egui::Context) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(Dialog::RestoreBackup(form)) = &mut session.dialog else { return Reply::Quiet };
        let Some(passphrase) = form.passphrase.take_passphrase() else { return Reply::Quiet };
        form.error = None;
        SecretField::forget_all(ctx);
        let backup = form.backup.path.clone();
        let (path, clock) = (self.vault_path.clone(), self.clock.clone());
        if let Some(old) = session.vault.take() {
            self.jobs.spawn(ctx, "Restoring the backup…", move || {
                let result = Vault::restore_backup_with_clock(&path, &backup, &passphrase, clock)
                    .and_then(|restored| restored.vault.list().map(|listing| Box::new((restored, listing))));
                JobDone::RestoredBackup { old, result }
            });
        }
        Reply::Quiet
    }
}

/// The place whose id is `id`, among the projects read last.
fn vault_place_of(projects: &[crate::vault::ProjectInfo], id: crate::vault::PlaceId) -> Option<Place> {
    projects.iter().find_map(|p| {
        if p.id == id {
            return Some(Place::shared(p.id));
        }
        p.environments.iter().find(|e| e.id == id).map(|e| Place { project: p.id, env: Some(e.id) })
    })
}

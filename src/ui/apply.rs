//! Carries out [`Command`]s: the one place in the app that writes to the vault, decrypts a
//! value, touches the clipboard or starts a worker thread. [`App::apply`] is a table from each
//! command to a small function below, grouped by family (the lock screens, moving around,
//! secrets, deleting and the trash, keys, import and export, backups). Slow work is handed to
//! jobs.rs with the closure that does it written here; its result comes back in jobs.rs.
//!
//! Longer than the other files on purpose: about fifty commands, each a short function, kept in
//! one file so that every effect of the app can be found from the table in one jump.

mod places;
mod reach;

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::App;
use super::command::{Command, GuardedText, Page, Pick, SortKey};
use super::jobs::{self, JobDone, KeyChange, reload_backups};
use super::prefs::Prefs;
use super::session::{
    DeleteConfirm, Dialog, ExportConfirm, ImportReview, PassphraseForm, RestoreForm, Screen, SecretForm, Session,
    SetupForm, Toast, TrashRow, UndoAction, UnlockForm, ViewState,
};
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
            Page::Settings => reload_backups(session, &self.vault_path),
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

    // Secrets: create, edit, view, copy.

    fn open_create(&mut self) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        session.page = Page::Secrets;
        let place = session.place;
        session.dialog = Some(Dialog::Create(secret_form(session, None, place)));
        Reply::Quiet
    }

    /// The live "name taken" check of the create and edit form: one lookup per change of the
    /// Name field (a blind-index query), never one per frame. Create also says again what the
    /// typed name would do (an override of a shared value, who sees a shared one).
    fn check_name(&mut self) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        // Taken means taken in the secret's place (Edit: where it lives, which for a shared
        // secret edited from an environment is the Shared level); a name only shared here can
        // be overridden.
        let (place, creating) = match &session.dialog {
            Some(Dialog::Create(form) | Dialog::Edit(form)) => match form.original().map(|m| m.place) {
                Some(id) => (vault_place_of(&session.projects, id).unwrap_or(session.place), false),
                None => (session.place, true),
            },
            _ => return Reply::Quiet,
        };
        let Some(Dialog::Create(form) | Dialog::Edit(form)) = &session.dialog else { return Reply::Quiet };
        let parsed = SecretName::parse(&form.name);
        let owner = match (&parsed, &session.vault) {
            (Ok(name), Some(vault)) => vault.find_own_in(&place, name).ok(),
            _ => None,
        };
        let reach = match (&parsed, creating) {
            (Ok(name), true) => Some(reach::creating(session, name, &place)),
            _ => None,
        };
        if let Some(Dialog::Create(form) | Dialog::Edit(form)) = &mut session.dialog {
            if let Some(reach) = reach {
                form.reach = reach;
            }
            form.set_name_owner(owner);
        }
        Reply::Quiet
    }

    fn submit_create(&mut self) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(Dialog::Create(form)) = &mut session.dialog else { return Reply::Quiet };
        let name = match SecretName::parse(&form.name) {
            Ok(n) => n,
            Err(e) => {
                form.error = Some(e.to_string());
                return Reply::Quiet;
            }
        };
        let new =
            NewSecret { name, description: form.description.clone(), value: SecretValue::new(form.value.as_str()) };
        let place = session.place;
        let Some(vault) = session.vault.as_mut() else { return Reply::Quiet };
        let overriding = reach::shared_above(vault, &place, &new.name);
        match vault.create_many_in(&place, vec![new]).map(|mut saved| saved.remove(0)) {
            Ok(saved) => {
                let here = reach::place_of(session, &place);
                let text = if overriding {
                    format!("Created {} in {here}, overriding the shared value.", saved.meta.name)
                } else {
                    format!("Created {} in {here}.", saved.meta.name)
                };
                session.list.cursor = Some(saved.meta.id);
                session.after_write(saved.meta);
                session.dialog = None;
                Reply::Info(text)
            }
            Err(e) => {
                if let Some(Dialog::Create(form)) = &mut session.dialog {
                    form.error = Some(e.to_string());
                }
                Reply::Quiet
            }
        }
    }

    fn open_edit(&mut self, id: SecretId) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        if let Some(row) = session.list.get(id) {
            // A shared row: the shared secret, or an override here? Asked first.
            if row.origin == Origin::Inherited {
                return self.ask_shared(id, false);
            }
            let meta = row.meta.clone();
            let place = vault_place_of(&session.projects, meta.place).unwrap_or(session.place);
            session.dialog = Some(Dialog::Edit(secret_form(session, Some(&meta), place)));
        }
        Reply::Quiet
    }

    /// Saves the Edit form in one transaction: name, description and value together (an empty
    /// value keeps the current one — the core's rule). The core checks everything.
    fn submit_edit(&mut self) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(Dialog::Edit(form)) = &mut session.dialog else { return Reply::Quiet };
        let Some(original) = form.original().cloned() else { return Reply::Quiet };
        let here = form.place.clone();
        let Some(vault) = session.vault.as_mut() else { return Reply::Quiet };
        let result = (|| -> Result<SecretMeta, Error> {
            let edit = SecretEdit {
                name: Some(SecretName::parse(&form.name)?),
                description: Some(form.description.clone()),
                value: SecretEdit::typed_value(SecretValue::new(form.value.as_str())),
            };
            Ok(vault.edit(original.id, edit)?.meta)
        })();
        match result {
            Ok(meta) => {
                let text = if meta.version > original.version {
                    format!("Saved {} in {here}, now version {}.", meta.name, meta.version)
                } else {
                    format!("Saved {} in {here}.", meta.name)
                };
                session.after_write(meta);
                session.dialog = None;
                Reply::Info(text)
            }
            Err(e) => {
                form.error = Some(e.to_string());
                Reply::Quiet
            }
        }
    }

    fn open_view(&mut self, id: SecretId) -> Reply {
        let now = self.clock.now();
        let show = self.prefs.show_values_in_view;
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        open_view(session, id, now, show)
    }

    fn reveal_again(&mut self) -> Reply {
        let now = self.clock.now();
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        if let (Some(vault), Some(Dialog::View(view))) = (&session.vault, &mut session.dialog) {
            reveal(view, vault, now);
        }
        Reply::Quiet
    }

    fn hide_value(&mut self) -> Reply {
        if let Some(session) = self.screen.session_mut()
            && let Some(Dialog::View(view)) = &mut session.dialog
        {
            view.value = None;
        }
        Reply::Quiet
    }

    /// When a copy made now is to be cleared (the chosen delay; `None`: never).
    fn clear_at(&self) -> Option<Timestamp> {
        let now = self.clock.now();
        self.prefs.clipboard_clear_seconds.map(|s| Timestamp(now.0 + i64::from(s) * 1000))
    }

    /// Copies the value (or `NAME=value` as a .env line), to be cleared after the chosen delay.
    fn copy(&mut self, id: SecretId, as_assignment: bool) -> Reply {
        let clear_at = self.clear_at();
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        match copy_text(session, id, as_assignment) {
            Ok((name, text)) => match self.clipboard.copy(&text, name, clear_at) {
                Ok(()) => Reply::Quiet,
                Err(e) => Reply::Error(e),
            },
            Err(e) => Reply::Error(e),
        }
    }

    fn copy_version(&mut self, id: SecretId, version: u32) -> Reply {
        let clear_at = self.clear_at();
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(vault) = session.vault.as_ref() else { return Reply::Error("The vault is busy; try again.".into()) };
        let copied = vault.meta(id).and_then(|meta| Ok((meta.name, vault.reveal_version(id, version)?)));
        match copied {
            Ok((name, value)) => match self.clipboard.copy(value.expose(), format!("{name} v{version}"), clear_at) {
                Ok(()) => Reply::Quiet,
                Err(e) => Reply::Error(e),
            },
            Err(e) => Reply::error(e),
        }
    }

    fn copy_selection(&mut self, text: &str) -> Reply {
        let clear_at = self.clear_at();
        match self.clipboard.copy(text, "Selection".into(), clear_at) {
            Ok(()) => Reply::Quiet,
            Err(e) => Reply::Error(e),
        }
    }

    fn restore_version(&mut self, id: SecretId, version: u32) -> Reply {
        let now = self.clock.now();
        let show = self.prefs.show_values_in_view;
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        // Shown again only if it was shown.
        let shown = show || matches!(&session.dialog, Some(Dialog::View(v)) if v.value.is_some());
        match session.vault_mut().and_then(|v| v.restore_version(id, version)) {
            Ok(saved) => {
                let here = vault_place_of(&session.projects, saved.meta.place)
                    .map(|p| reach::place_of(session, &p))
                    .unwrap_or_default();
                let text = format!(
                    "Restored version {version} of {} in {here} as version {}.",
                    saved.meta.name, saved.meta.version
                );
                session.after_write(saved.meta);
                open_view(session, id, now, shown);
                Reply::Info(text)
            }
            Err(e) => Reply::error(e),
        }
    }

    // Deleting, undo and the trash.

    fn ask_delete(&mut self, ids: Vec<SecretId>) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        // One shared row: it is the Shared level's; asked which is meant first.
        if let [id] = ids.as_slice()
            && session.list.get(*id).is_some_and(|r| r.origin == Origin::Inherited)
        {
            return self.ask_shared(*id, true);
        }
        // Shared rows among several ticked: not deleted from here.
        let ids: Vec<SecretId> =
            ids.into_iter().filter(|id| session.list.get(*id).is_none_or(|r| r.origin != Origin::Inherited)).collect();
        let names: Vec<(SecretId, String)> =
            ids.iter().filter_map(|id| session.list.get(*id).map(|r| (*id, r.meta.name.as_str().to_owned()))).collect();
        if names.is_empty() {
            return Reply::Quiet;
        }
        let place = session.place;
        // What it does beyond this place: an override uncovers the shared value; a shared
        // secret leaves every environment that has none of its own.
        let reach = match names.as_slice() {
            [(id, _)] => match session.list.get(*id) {
                Some(row) if place.env.is_none() || row.origin == Origin::Override => {
                    reach::leaving(session, &row.meta.name.clone(), &place, None)
                }
                _ => Vec::new(),
            },
            _ if place.env.is_none() && session.project().is_some_and(|p| !p.environments.is_empty()) => {
                vec!["Every environment of the project without its own value loses them.".to_owned()]
            }
            _ => Vec::new(),
        };
        let place = reach::place_of(session, &place);
        session.dialog = Some(Dialog::ConfirmDelete(DeleteConfirm { names, place, reach }));
        Reply::Quiet
    }

    fn confirm_delete(&mut self) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(Dialog::ConfirmDelete(confirm)) = session.dialog.take() else { return Reply::Quiet };
        let DeleteConfirm { names, place: here, reach } = confirm;
        let ids: Vec<SecretId> = names.iter().map(|(id, _)| *id).collect();
        match session.vault_mut().and_then(|v| v.delete(&ids)) {
            Ok(()) => {
                // A highlighted row that goes hands the highlight (and the focus the dialog gives
                // back) to the next row shown, or the previous one at the end.
                let cursor = session.list.cursor;
                let neighbour = cursor.filter(|c| ids.contains(c)).and_then(|c| {
                    let indices = session.list.view().to_vec();
                    let view: Vec<SecretId> = indices.iter().map(|&i| session.list.row(i).meta.id).collect();
                    let at = view.iter().position(|v| *v == c)?;
                    view[at + 1..].iter().chain(view[..at].iter().rev()).find(|v| !ids.contains(v)).copied()
                });
                if let (Some(gone), Some(next)) = (cursor, neighbour) {
                    session.list.cursor = Some(next);
                    if self.dialog_opener == Some(super::secrets::row_id(gone)) {
                        self.dialog_opener = Some(super::secrets::row_id(next));
                    }
                }
                for id in &ids {
                    session.list.remove(*id);
                    session.selected.remove(id);
                }
                // In an environment, a deleted override uncovers the shared secret.
                if session.place.env.is_some() {
                    session.reload_list();
                } else {
                    session.reload_projects();
                }
                let mut text = match names.as_slice() {
                    [(_, name)] => format!("Deleted {name} from {here}."),
                    many => format!("Deleted {} from {here}.", vocabulary::count(many.len(), "secret")),
                };
                for line in reach {
                    text = format!("{text} {line}");
                }
                Reply::Undoable { text, undo: UndoAction::Secrets(ids) }
            }
            Err(e) => Reply::error(e),
        }
    }

    fn undo(&mut self, undo: UndoAction) -> Reply {
        self.toasts.retain(|t| t.undo.as_ref() != Some(&undo));
        let ids = match undo {
            UndoAction::Secrets(ids) => ids,
            UndoAction::Place(id) => return self.restore_place(id),
            UndoAction::Copied(id) => return self.undo_copy(id),
            UndoAction::Replaced { id, version, description } => return self.undo_replace(id, version, description),
            UndoAction::Moved { id, from } => return self.undo_move(id, from),
        };
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let mut reply = Reply::Quiet;
        let mut restored = Vec::new();
        let mut last = None;
        for id in ids {
            match session.vault_mut().and_then(|v| v.restore(id, None)) {
                Ok(meta) => {
                    restored.push(meta.clone());
                    if session.place.env.is_some() {
                        last = Some(meta);
                    } else {
                        session.list.upsert(meta);
                    }
                }
                Err(e) => reply = Reply::error(e),
            }
        }
        // The listing and the counts once, not once per secret.
        match last {
            Some(meta) => session.after_write(meta),
            None => session.reload_projects(),
        }
        let here = restored
            .first()
            .and_then(|m| vault_place_of(&session.projects, m.place))
            .map(|p| reach::place_of(session, &p))
            .unwrap_or_default();
        match (reply, restored.as_slice()) {
            (Reply::Quiet, [one]) => Reply::Info(format!("Restored {} in {here}.", one.name)),
            (Reply::Quiet, many) if !many.is_empty() => {
                Reply::Info(format!("Restored {} in {here}.", vocabulary::count(many.len(), "secret")))
            }
            (reply, _) => reply,
        }
    }

    fn restore_from_trash(&mut self, id: SecretId) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        match session.vault_mut().and_then(|v| v.restore(id, None)) {
            Ok(meta) => {
                let text = restored_in(session, "Restored", &meta);
                session.after_write(meta);
                reload_trash(session);
                Reply::Info(text)
            }
            Err(Error::NameTaken { name }) => {
                session.dialog = Some(Dialog::restore_as(id, &name));
                Reply::Quiet
            }
            Err(e) => Reply::error(e),
        }
    }

    fn submit_restore_as(&mut self) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(Dialog::RestoreAs(form)) = &mut session.dialog else { return Reply::Quiet };
        let new_name = match SecretName::parse(form.name.trim()) {
            Ok(n) => n,
            Err(e) => {
                form.error = Some(e.to_string());
                return Reply::Quiet;
            }
        };
        let Some(vault) = session.vault.as_mut() else { return Reply::Quiet };
        match vault.restore(form.id, Some(new_name)) {
            Ok(meta) => {
                let text = restored_in(session, "Restored as", &meta);
                session.after_write(meta);
                session.dialog = None;
                reload_trash(session);
                Reply::Info(text)
            }
            Err(e) => {
                if let Some(Dialog::RestoreAs(form)) = &mut session.dialog {
                    form.error = Some(e.to_string());
                }
                Reply::Quiet
            }
        }
    }

    fn confirm_purge(&mut self) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(Dialog::ConfirmPurge(target)) = session.dialog.take() else { return Reply::Quiet };
        let one = target.and_then(|id| session.trash.iter().find(|t| t.item.meta.id == id));
        let named = one.map(|t| format!("{} from {}", t.item.meta.name, t.place));
        let result = match target {
            Some(id) => session.vault_mut().and_then(|v| v.purge(id)).map(|()| 1),
            None => session.vault_mut().and_then(|v| v.empty_trash()),
        };
        reload_trash(session);
        match (result, named) {
            (Ok(1), Some(named)) => Reply::Info(format!("Deleted {named} for good.")),
            (Ok(n), _) => Reply::Info(format!("{} deleted for good.", vocabulary::count(n, "secret"))),
            (Err(e), _) => Reply::error(e),
        }
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

    // Import and export (on a worker thread: big files, many decrypts).

    fn pick(&mut self, ctx: &egui::Context, what: Pick) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let form = &mut session.transfer;
        if form.picking.is_none() {
            let export_name = format!("secrets.{}", form.export_format.name());
            form.picking = Some((what, jobs::pick_file(ctx, what, export_name)));
        }
        Reply::Quiet
    }

    fn show_import(&mut self, ctx: &egui::Context) -> Reply {
        self.show_page(Page::Settings);
        if let Some(session) = self.screen.session_mut() {
            session.transfer.show_import = true;
        }
        self.pick(ctx, Pick::Import)
    }

    fn plan_import(&mut self, ctx: &egui::Context, path: PathBuf) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        session.transfer.import_error = None;
        let (format, flatten) = (session.transfer.import_format, session.transfer.flatten);
        let place = session.place;
        if let Some(vault) = session.vault.take() {
            self.jobs.spawn(ctx, "Reading the file…", move || {
                let result = read_and_plan(&vault, &place, &path, format, flatten);
                JobDone::ImportPlanned { vault, path, result }
            });
        }
        Reply::Quiet
    }

    fn offer_pasted_import(&mut self, count: usize, text: GuardedText) -> Reply {
        if let Some(session) = self.screen.session_mut()
            && let Some(Dialog::Create(form)) = &mut session.dialog
        {
            form.pasted_import = Some((count, text.0));
        }
        Reply::Quiet
    }

    /// The pasted block's import plan, in place of the create form. Parsed as a `.env` file;
    /// small, so planned at once.
    fn import_pasted(&mut self) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(Dialog::Create(form)) = &mut session.dialog else { return Reply::Quiet };
        let Some((_, text)) = form.pasted_import.take() else { return Reply::Quiet };
        let Some(vault) = session.vault.as_ref() else { return Reply::Error("The vault is busy; try again.".into()) };
        let shown = "the pasted text".to_owned();
        let options = ParseOptions { flatten: false };
        let planned = ImportFile::parse(shown, Format::Env, text.as_bytes(), options)
            .map_err(|e| style::sentence(&e.to_string()))
            .and_then(|file| {
                file.plan_in(vault, &session.place, ConflictPolicy::Fail).map_err(|e| style::sentence(&e.to_string()))
            });
        match planned {
            Ok(prepared) => {
                let into = session.label_of(&prepared.plan.place()).map(|l| super::vocabulary::place_text(&l));
                let review = ImportReview {
                    path: PathBuf::from("the pasted text"),
                    plan: prepared.plan,
                    findings: prepared.findings,
                    into: into.unwrap_or_default(),
                };
                session.dialog = Some(Dialog::Import(review));
                Reply::Quiet
            }
            Err(e) => Reply::Error(e),
        }
    }

    fn import_dropped(&mut self, ctx: &egui::Context, path: PathBuf) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        if session.vault.as_ref().is_some_and(|v| v.is_salvage()) {
            return Reply::Error("This vault is read-only: nothing can be imported into it.".into());
        }
        session.transfer.import_error = None;
        if let Some(vault) = session.vault.take() {
            let (flatten, place) = (session.transfer.flatten, session.place);
            self.jobs.spawn(ctx, "Reading the file…", move || {
                let result = read_and_plan(&vault, &place, &path, None, flatten);
                JobDone::ImportPlanned { vault, path, result }
            });
        }
        Reply::Quiet
    }

    fn set_import_policy(&mut self, policy: ConflictPolicy) -> Reply {
        if let Some(session) = self.screen.session_mut()
            && let Some(Dialog::Import(review)) = &mut session.dialog
        {
            review.plan.set_policy(policy);
        }
        Reply::Quiet
    }

    fn confirm_import(&mut self, ctx: &egui::Context) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(Dialog::Import(review)) = session.dialog.take() else { return Reply::Quiet };
        let ImportReview { path, plan, .. } = review;
        let place = plan.place();
        if let Some(mut vault) = session.vault.take() {
            self.jobs.spawn(ctx, "Importing…", move || {
                let result = vault
                    .apply_import(plan)
                    .and_then(|report| vault.list_in(&place).map(|listing| (report, listing)))
                    .map_err(|e| e.to_string());
                JobDone::Imported { vault, path, place, result }
            });
        }
        Reply::Quiet
    }

    fn ask_export(&mut self, path: PathBuf, format: Format) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        session.transfer.export_error = None;
        let exists = path.exists();
        let count = session.list.len();
        session.dialog = Some(Dialog::Export(ExportConfirm { path, format, count, overwrite: false, exists }));
        Reply::Quiet
    }

    fn confirm_export(&mut self, ctx: &egui::Context) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(Dialog::Export(confirm)) = session.dialog.take() else { return Reply::Quiet };
        let ExportConfirm { path, format, overwrite, .. } = confirm;
        let place = session.place;
        if let Some(vault) = session.vault.take() {
            self.jobs.spawn(ctx, "Exporting…", move || {
                let result = export_to_file(&vault, &place, &path, format, overwrite);
                JobDone::Exported { vault, path, result }
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

/// Opens the View dialog on `id`: masked, or its value decrypted if `show` (the preference "Show
/// values when View opens"). A toast if the secret cannot be read.
fn open_view(session: &mut Session, id: SecretId, now: Timestamp, show: bool) -> Reply {
    let Some(vault) = &session.vault else { return Reply::Quiet };
    let meta = match vault.meta(id) {
        Ok(m) => m,
        Err(e) => return Reply::error(e),
    };
    let history = vault.history(id).unwrap_or_default();
    let place = view_place(session, &meta);
    let Some(vault) = &session.vault else { return Reply::Quiet };
    let mut view = ViewState { id, meta, place, value: None, revealed_at: now, history, error: None };
    if show {
        reveal(&mut view, vault, now);
    }
    session.dialog = Some(Dialog::View(view));
    Reply::Quiet
}

/// Where the viewed secret lives, and how the place shown sees it: `shop / production ·
/// override of the shared value`, `shop (shared) · production uses this shared value`.
fn view_place(session: &Session, meta: &SecretMeta) -> String {
    let Some(place) = vault_place_of(&session.projects, meta.place) else { return String::new() };
    let text = reach::place_of(session, &place);
    let origin = session.list.get(meta.id).map(|r| r.origin);
    match origin {
        Some(Origin::Override) => format!("{text} · override of the shared value"),
        Some(Origin::Inherited) => match session.label_of(&session.place).and_then(|l| l.env) {
            Some(env) => format!("{text} · {env} uses this shared value"),
            None => text,
        },
        _ if place.env.is_none() && session.project().is_some_and(|p| !p.environments.is_empty()) => {
            let project = session.label_of(&place).map(|l| l.project.to_string()).unwrap_or_default();
            format!("{text} · shared by every environment of {project}")
        }
        _ => text,
    }
}

/// The create or edit form over `place`: where the secret is or goes, and (Edit) what saving
/// does beyond it. Create learns its reach when a name is typed.
fn secret_form(session: &Session, original: Option<&SecretMeta>, place: Place) -> SecretForm {
    let mut form = SecretForm::new(original);
    form.place = reach::place_of(session, &place);
    if let Some(meta) = original {
        form.reach = reach::editing(session, &meta.name, &place);
    }
    form
}

/// Decrypts the View dialog's value; it hides itself [`REVEAL_SECONDS`](super::session::REVEAL_SECONDS) later.
fn reveal(view: &mut ViewState, vault: &Vault, now: Timestamp) {
    match vault.reveal(view.id) {
        Ok(value) => {
            view.value = Some(value);
            view.revealed_at = now;
            view.error = None;
        }
        Err(e) => view.error = Some(e.to_string()),
    }
}

/// The text to copy, with how the "copied" notice names it: the value, or `NAME=value` quoted as
/// a .env line.
fn copy_text(session: &Session, id: SecretId, as_assignment: bool) -> Result<(String, Zeroizing<String>), String> {
    let vault = session.vault.as_ref().ok_or("The vault is busy; try again in a moment.")?;
    let meta = vault.meta(id).map_err(|e| e.to_string())?;
    let value = vault.reveal(id).map_err(|e| e.to_string())?;
    let name = meta.name.as_str().to_owned();
    if as_assignment {
        let mut line = interchange::write(Format::Env, &[(name.as_str(), &value)]);
        while line.ends_with('\n') {
            line.pop();
        }
        Ok((format!("{name}=…"), line))
    } else {
        Ok((name, Zeroizing::new(value.expose().to_owned())))
    }
}

/// Reads the trash's listing again (names only, each with where it lived), with the projects
/// and environments in it.
pub(super) fn reload_trash(session: &mut Session) {
    if let Some(vault) = &session.vault {
        let items = vault.trash().map(|listing| listing.items).unwrap_or_default();
        // A place deleted with its secrets is still named (the core keeps its row).
        let mut labels = std::collections::HashMap::new();
        session.trash = items
            .into_iter()
            .map(|item| {
                let place = labels
                    .entry(item.meta.place)
                    .or_insert_with(|| {
                        vault.place_label_of(item.meta.place).map(|l| vocabulary::place_text(&l)).unwrap_or_default()
                    })
                    .clone();
                TrashRow { item, place }
            })
            .collect();
        session.trashed_places = vault.trashed_places().unwrap_or_default();
    }
}

/// "Restored NAME in shop / production." (`verb`: "Restored", "Restored as").
fn restored_in(session: &Session, verb: &str, meta: &SecretMeta) -> String {
    match vault_place_of(&session.projects, meta.place) {
        Some(place) => format!("{verb} {} in {}.", meta.name, reach::place_of(session, &place)),
        None => format!("{verb} {}.", meta.name),
    }
}

/// Reads, parses and plans an import: the shared pipeline, with the app's advice on errors.
fn read_and_plan(
    vault: &Vault,
    place: &Place,
    path: &Path,
    format: Option<Format>,
    flatten: bool,
) -> Result<PreparedImport, String> {
    ImportFile::read_and_plan(vault, place, Source::File(path), format, ParseOptions { flatten }, ConflictPolicy::Fail)
        .map_err(|e| match e {
            ImportError::File(e @ ImportFileError::UnknownFormat { .. }) => {
                format!("{}; choose .env, TOML or JSON under Format.", style::capitalized(&e.to_string()))
            }
            e => format!("{}.", style::capitalized(&e.to_string())),
        })
}

/// Writes every secret to `path`: the shared pipeline, with the app's advice on errors. Returns
/// how many were written.
fn export_to_file(vault: &Vault, place: &Place, path: &Path, format: Format, overwrite: bool) -> Result<usize, String> {
    export::to_file(vault, place, path, format, None, overwrite).map_err(|e| match e {
        ExportError::Exists { .. } => format!("{e}; tick “Replace it” to overwrite it."),
        e => format!("{}.", style::capitalized(&e.to_string())),
    })
}

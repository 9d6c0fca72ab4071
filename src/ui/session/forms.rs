//! The state of every form and dialog: what the user typed, the last verdict on it, and the
//! error to show. Plain data with pure checks; no I/O here (apply.rs and jobs.rs read the vault
//! and the backup folder, and store what they found here).

use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;

use crate::interchange::{Finding, Format};
use crate::ui::style;
use crate::ui::text::SecretText;
use crate::vault::backup::BackupInfo;
use crate::vault::secret::check_description;
use crate::vault::{
    Error, GenerateRule, ImportPlan, Passphrase, SecretId, SecretMeta, SecretName, SecretValue, Timestamp, VersionInfo,
};

/// How long a revealed value stays visible in the View dialog.
pub const REVEAL_SECONDS: i64 = 30;

/// What a file dialog is picking a path for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pick {
    Import,
    Export,
    /// A file whose text becomes the secret form's value.
    Value,
}

/// What the system's file dialog gave back.
pub(crate) enum Picked {
    Path(PathBuf),
    /// Closed without a choice.
    Cancelled,
    /// There is no file dialog to open: no desktop portal on the session bus.
    NoDialog,
}

/// The first-start form (and "create a new vault" from the lock screen).
pub(crate) struct SetupForm {
    pub path_text: String,
    /// Whether the user picks the path (a second vault) or it is the default one.
    pub path_editable: bool,
    pub passphrase: SecretText,
    pub confirm: SecretText,
    pub show: bool,
    pub strength: Option<crate::ui::strength::Strength>,
    pub error: Option<String>,
    /// "Join a synced vault…": build the vault from a synced folder instead of creating it.
    pub join: bool,
    /// The folder field takes the keyboard when the join form opens.
    pub focus_folder: bool,
    pub folder_text: String,
    pub device_name: String,
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
            join: false,
            focus_folder: false,
            folder_text: String::new(),
            device_name: String::new(),
        }
    }

    /// Joining needs the folder and a passphrase (any device's: nothing to confirm).
    pub fn ready_to_join(&self) -> bool {
        !self.passphrase.is_empty() && !self.folder_text.trim().is_empty()
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
    /// Why the path typed in "Open another vault…" cannot be opened.
    pub other_path_error: Option<String>,
    /// That path, when no file is there (a new vault can be created at it).
    pub missing_path: Option<PathBuf>,
    pub focus: bool,
    /// When the vault turned out damaged: how many backups it has (the one restored is the one
    /// holding the newest state, which only the passphrase can tell).
    pub backups: usize,
    /// The vault failed its record-set check: it can be opened read-only.
    pub can_open_read_only: bool,
    /// The file is an older copy of itself: the user may accept it (they put it back).
    pub can_accept_rollback: bool,
    /// The unlock was found to be unusually slow before it started: asking whether to go on.
    pub slow: Option<crate::vault::UnlockEstimate>,
    /// Show the passphrase as typed.
    pub show: bool,
    /// Why the vault locked, when it was not the user's doing (the idle timeout).
    pub notice: Option<String>,
}

pub(crate) struct UnlockError {
    /// The card's title for a damaged or rolled-back file.
    pub title: &'static str,
    pub message: String,
    /// A damaged or foreign file, not a wrong passphrase: shown differently.
    pub damaged: bool,
}

impl UnlockForm {
    pub fn new() -> Self {
        UnlockForm {
            passphrase: SecretText::new(),
            error: None,
            other_path: None,
            other_path_error: None,
            missing_path: None,
            focus: true,
            backups: 0,
            can_open_read_only: false,
            can_accept_rollback: false,
            slow: None,
            show: false,
            notice: None,
        }
    }

    /// Shows why unlocking failed. For a damaged vault, its backups (`backups`: how many) are
    /// offered for restoring. The core's message says what happened; the advice after it names
    /// this screen's buttons.
    pub fn failed(&mut self, error: &Error, backups: impl FnOnce() -> usize) {
        // The passphrase was right for a vault that failed its integrity check, or for an older
        // copy of it: keep it for "Open read-only", "Use this older copy" and the restore.
        self.can_open_read_only = matches!(error, Error::RecordSetTampered);
        self.can_accept_rollback = matches!(error, Error::RolledBack { .. } | Error::FormatRolledBack { .. });
        if !self.can_open_read_only && !self.can_accept_rollback {
            self.passphrase.wipe();
        }
        self.slow = None;
        self.focus = true;
        self.error = Some(match error {
            Error::WrongPassphrase => {
                UnlockError { title: "", message: "Wrong passphrase. Try again.".into(), damaged: false }
            }
            Error::RolledBack { seen, found } => {
                self.backups = backups();
                let restore =
                    if self.backups > 0 { " Or restore the backup holding the newest state below." } else { "" };
                UnlockError {
                    title: "This vault went back to an older copy",
                    message: format!(
                        "The file was at write {}, and is now at write {}: it was replaced by an older copy of \
                         itself (a backup, a sync tool's history, or someone else's doing). An older copy can bring \
                         back deleted secrets or a key you rotated, so Tresor does not use it. If you put it back on \
                         purpose, choose “Use this older copy”.{restore}",
                        crate::vault::error::thousands(*seen),
                        crate::vault::error::thousands(*found)
                    ),
                    damaged: true,
                }
            }
            Error::FormatRolledBack { found, seen } => {
                self.backups = backups();
                UnlockError {
                    title: "This vault went back to an older copy",
                    message: format!(
                        "The file is in format {found}, but Tresor has already seen it in format {seen}: it was put \
                         back from an older copy (whose integrity check is weaker), and it was not upgraded. If you \
                         put it back on purpose, choose “Use this older copy”."
                    ),
                    damaged: true,
                }
            }
            other => {
                self.backups = backups();
                let has_backup = self.backups > 0;
                let way_out = match (other, has_backup) {
                    (Error::NoVault { .. }, _) => {
                        "Choose “Open another vault…” if it was moved, or “Create a new vault…” below."
                    }
                    (Error::RecordSetTampered, true) => {
                        "Open it read-only to see and copy what is intact, or restore the latest backup below; \
                         the damaged file is kept beside the vault."
                    }
                    (Error::RecordSetTampered, false) => {
                        "Open it read-only to see and copy what is intact. There is no backup to restore."
                    }
                    (_, true) => "Restore the latest backup below; the damaged file is kept beside the vault.",
                    (_, false) => {
                        "There is no backup to restore. The file is left as it is; choose “Open another vault…” \
                         or “Create a new vault…” below."
                    }
                };
                UnlockError {
                    title: "This vault is damaged",
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
        self.error = Some(UnlockError { title: "This vault is damaged", message, damaged: true });
    }
}

/// The passphrase section of Vault settings.
#[derive(Default)]
pub(crate) struct SettingsForm {
    pub current: SecretText,
    pub new: SecretText,
    pub confirm: SecretText,
    pub strength: Option<crate::ui::strength::Strength>,
    /// The current passphrase was wrong: said under its field, which gets the focus back.
    pub current_error: Option<String>,
    pub focus_current: bool,
    pub error: Option<String>,
}

impl SettingsForm {
    pub fn ready(&self) -> bool {
        !self.current.is_empty() && !self.new.is_empty() && self.new.as_str() == self.confirm.as_str()
    }

    /// The passphrases for a change, if the form is complete. Wipes the current passphrase; the
    /// new one stays in its (zeroizing) fields until the change succeeds, so that a mistyped
    /// current passphrase does not cost the user both new ones.
    pub fn take_change(&mut self) -> Option<(Passphrase, Passphrase)> {
        if !self.ready() {
            return None;
        }
        let pair = (Passphrase::new(self.current.as_str()), Passphrase::new(self.new.as_str()));
        self.current.wipe();
        self.error = None;
        self.current_error = None;
        Some(pair)
    }
}

/// The Import and export section's fields.
pub(crate) struct TransferForm {
    pub import_path: String,
    /// `None`: from the file name.
    pub import_format: Option<Format>,
    pub flatten: bool,
    /// A KeePass file's passphrase and key file (shown when the path is a `.kdbx`); the
    /// passphrase is wiped when a review starts.
    pub source_passphrase: crate::ui::text::SecretText,
    pub key_file: String,
    pub export_path: String,
    pub export_format: Format,
    /// What went wrong with the import (shown under Import) or the export (under Export).
    pub import_error: Option<String>,
    pub export_error: Option<String>,
    /// A file dialog running on its own thread, and what it is for.
    pub picking: Option<(Pick, Receiver<Picked>)>,
    /// Bring the Import card into view (and its path field into focus, if no file dialog
    /// opens): "Import a file…" on the empty Secrets page asked for it.
    pub show_import: bool,
    pub focus_import_path: bool,
}

impl Default for TransferForm {
    fn default() -> Self {
        TransferForm {
            import_path: String::new(),
            import_format: None,
            flatten: false,
            source_passphrase: crate::ui::text::SecretText::new(),
            key_file: String::new(),
            export_path: String::new(),
            export_format: Format::Env,
            import_error: None,
            export_error: None,
            picking: None,
            show_import: false,
            focus_import_path: false,
        }
    }
}

impl TransferForm {
    /// Takes the path the file dialog returned, if it has.
    pub fn receive_pick(&mut self) {
        let Some((what, rx)) = &self.picking else { return };
        let Ok(picked) = rx.try_recv() else { return };
        match picked {
            Picked::Path(path) => self.set_picked(*what, &path),
            Picked::Cancelled => {}
            Picked::NoDialog => {
                let message = "This system has no file dialog (no desktop portal is running). Type the file's path \
                               in the field instead."
                    .to_owned();
                match what {
                    Pick::Import => {
                        self.import_error = Some(message);
                        self.focus_import_path = true;
                    }
                    Pick::Export => self.export_error = Some(message),
                    // The secret form keeps its own file dialog (ValueTools).
                    Pick::Value => {}
                }
            }
        }
        self.picking = None;
    }

    fn set_picked(&mut self, what: Pick, path: &Path) {
        let text = path.display().to_string();
        match what {
            Pick::Import => {
                self.import_path = text;
                self.import_error = None;
            }
            Pick::Export => {
                if let Some(format) = Format::from_path(path) {
                    self.export_format = format;
                }
                self.export_path = text;
                self.export_error = None;
            }
            Pick::Value => {}
        }
    }
}

/// The path typed in a field: `~/` expanded, surrounding spaces and quotes (from a pasted path)
/// removed.
pub(crate) fn typed_path(text: &str) -> Option<PathBuf> {
    let text = text.trim().trim_matches(|c| c == '"' || c == '\'');
    if text.is_empty() {
        return None;
    }
    if let Some(rest) = text.strip_prefix("~/")
        && let Some(home) = directories::BaseDirs::new()
    {
        return Some(home.home_dir().join(rest));
    }
    Some(PathBuf::from(text))
}

/// The Backups section's state: the folder's listing, read (by apply.rs) when the page opens and
/// after every change, not every frame.
#[derive(Default)]
pub(crate) struct BackupsView {
    pub list: Vec<BackupInfo>,
    pub keep: usize,
    pub error: Option<String>,
}

/// The Sync section's state: the folder and its devices (read when the page opens and after each
/// sync), the connect form, what the last sync did, and when the next automatic one is due.
#[derive(Default)]
pub(crate) struct SyncView {
    /// The folder this vault syncs through; `None`: not connected.
    pub folder: Option<std::path::PathBuf>,
    pub devices: Vec<crate::vault::DeviceInfo>,
    /// The connect form: the folder's path and this device's name.
    pub folder_text: String,
    pub name_text: String,
    /// Secrets changed on two devices (id, "place NAME"), until kept or edited.
    pub flagged: Vec<(crate::vault::SecretId, String)>,
    /// The device whose Forget was clicked, waiting for the confirmation.
    pub confirm_forget: Option<crate::vault::sync::DeviceId>,
    /// What the last sync did, or why it failed (`true`: an error).
    pub last: Option<(String, bool)>,
    /// When an automatic sync is due (after a change to the vault or to the folder).
    pub due: Option<crate::vault::Timestamp>,
    /// The folders a sync watches (see `Vault::sync_watch_dirs`), and the watch of them (the
    /// app only) with the folders it was started on.
    pub dirs: Vec<std::path::PathBuf>,
    pub watch: Option<(Vec<std::path::PathBuf>, super::super::watch::Watch)>,
}

/// The create and edit form. For edit, `original` is the secret being edited and an empty value
/// means "keep the current value".
pub(crate) struct SecretForm {
    original: Option<SecretMeta>,
    pub name: String,
    pub description: String,
    pub value: SecretText,
    pub show_value: bool,
    pub value_touched: bool,
    /// Which secret holds the typed name, as the vault said when the name last changed
    /// ([`Command::CheckName`](crate::ui::command::Command::CheckName)); drawing never asks it.
    name_owner: Option<SecretId>,
    /// The verdict on the fields as they are; [`SecretForm::revalidate`] renews it.
    pub check: FormCheck,
    pub error: Option<String>,
    pub focus_first: bool,
    /// A pasted block of `NAME=value` lines (how many, and the text, wiped when dropped),
    /// offered as an import.
    pub pasted_import: Option<(usize, zeroize::Zeroizing<String>)>,
    /// Where the secret is (or goes), as shown: `shop / production`, `shop (shared)`.
    pub place: String,
    /// What saving does beyond this place (an override, the environments that see a shared
    /// value), from apply.rs when the form opens and when the name changes.
    pub reach: Vec<String>,
    /// What renaming does, when it does more than change the name (an override renamed
    /// uncovers the shared value).
    pub rename_note: Option<String>,
    /// The value's ways in besides typing: a file, the generator.
    pub tools: ValueTools,
}

/// "Load from file…" (the file dialog, or a path field where there is none; a file dropped on
/// the dialog goes the same way) and "Generate" of the secret form. The rules are the core's
/// (`SecretValue::read_file`, `GenerateRule`); apply.rs reads the file and draws the value.
#[derive(Default)]
pub(crate) struct ValueTools {
    /// The system's file dialog, open on its own thread.
    pub picking: Option<Receiver<Picked>>,
    /// The path field, offered where there is no file dialog (`None`: not shown).
    pub path: Option<String>,
    /// Give the path field the keyboard (once).
    pub focus_path: bool,
    /// Why there is a path field: no file dialog on this system.
    pub path_note: Option<String>,
    /// Why the last file (or the generator) gave no value: the core's message, shown under the
    /// Value field. The value is left as it was.
    pub error: Option<String>,
    /// Where the value came from, while it is as it came: "The exact text of key.pem …".
    pub origin: Option<String>,
    /// The kind and length Generate uses.
    pub rule: GenerateRule,
    /// Bring the message above into view (once): in a small window the body scrolls, and a
    /// file refused out of sight would look like nothing happened.
    pub show_message: bool,
}

/// The message where Load from file… finds no file dialog to open.
pub const NO_FILE_DIALOG: &str =
    "This system has no file dialog (no desktop portal is running). Type the file's path instead:";

/// The core's verdict on the form's fields, kept until a field changes.
#[derive(Default)]
pub(crate) struct FormCheck {
    pub name: Option<String>,
    pub name_hint: Option<String>,
    /// A valid name to offer with one click, for a name that is not valid as typed.
    pub name_suggestion: Option<String>,
    pub description: Option<String>,
    pub value: Option<String>,
    pub warnings: Vec<String>,
}

impl FormCheck {
    pub fn ok(&self) -> bool {
        self.name.is_none() && self.description.is_none() && self.value.is_none()
    }
}

impl SecretForm {
    pub fn new(original: Option<&SecretMeta>) -> Self {
        let mut form = SecretForm {
            name: original.map(|m| m.name.as_str().to_owned()).unwrap_or_default(),
            description: original.map(|m| m.description.clone()).unwrap_or_default(),
            original: original.cloned(),
            value: SecretText::new(),
            show_value: false,
            value_touched: false,
            name_owner: original.map(|m| m.id),
            check: FormCheck::default(),
            error: None,
            focus_first: true,
            pasted_import: None,
            place: String::new(),
            reach: Vec::new(),
            rename_note: None,
            tools: ValueTools::default(),
        };
        form.revalidate();
        form
    }

    /// A value from a file or the generator in place of the typed one (masked as any value is,
    /// unless the user chose Show); `origin` says where it came from.
    pub fn fill_value(&mut self, value: &SecretValue, origin: String) {
        use egui::TextBuffer as _;
        self.value.replace_with(value.expose());
        self.value_touched = true;
        self.pasted_import = None;
        self.error = None;
        self.tools.error = None;
        self.tools.origin = Some(origin);
        self.tools.show_message = true;
        self.revalidate();
    }

    /// A file or the generator gave no value: why, under the Value field; the value stays.
    pub fn refuse_value(&mut self, why: String) {
        self.tools.error = Some(why);
        self.tools.show_message = true;
    }

    /// Takes what the file dialog gave back, if it has: a path to read (apply.rs reads it), or
    /// nothing (cancelled; or no dialog, and the path field is offered instead).
    pub fn receive_pick(&mut self) -> Option<PathBuf> {
        let rx = self.tools.picking.as_ref()?;
        let picked = rx.try_recv().ok()?;
        self.tools.picking = None;
        match picked {
            Picked::Path(path) => Some(path),
            Picked::Cancelled => None,
            Picked::NoDialog => {
                self.tools.path_note = Some(NO_FILE_DIALOG.to_owned());
                self.tools.path.get_or_insert_with(String::new);
                self.tools.focus_path = true;
                None
            }
        }
    }

    pub fn is_edit(&self) -> bool {
        self.original.is_some()
    }

    /// The secret being edited.
    pub fn original(&self) -> Option<&SecretMeta> {
        self.original.as_ref()
    }

    /// Records which secret (if any) holds the typed name, then checks every field again.
    pub fn set_name_owner(&mut self, owner: Option<SecretId>) {
        self.name_owner = owner;
        self.revalidate();
    }

    /// Asks the core's rules about every field: name rules, description rules, value rules and
    /// warnings; uniqueness from the owner found when the name last changed. No I/O.
    pub fn revalidate(&mut self) {
        let mut check = FormCheck::default();
        match SecretName::parse(&self.name) {
            Ok(name) => {
                let own = self.original.as_ref().map(|m| m.id);
                if let Some(existing) = self.name_owner
                    && Some(existing) != own
                {
                    check.name = Some(format!("A secret named {name} already exists."));
                }
                if let Some(conventional) = name.conventional_form() {
                    check.name_hint =
                        Some(format!("Tip: environment variables are usually UPPER_SNAKE_CASE, e.g. {conventional}."));
                }
            }
            Err(_) if self.name.is_empty() && !self.value_touched => check.name = Some(String::new()),
            Err(e) => {
                check.name_suggestion = e.suggestion().map(str::to_owned);
                check.name = Some(e.to_string());
            }
        }
        if let Err(e) = check_description(&self.description) {
            check.description = Some(e.to_string());
        }
        let keep_value = self.is_edit() && self.value.is_empty();
        if !keep_value {
            match SecretValue::new(self.value.as_str()).check() {
                Ok(warnings) => check.warnings = warnings.iter().map(ToString::to_string).collect(),
                // An untouched empty value blocks the button without scolding the user yet.
                Err(_) if !self.value_touched => check.value = Some(String::new()),
                Err(e) => check.value = Some(e.to_string()),
            }
        }
        self.check = check;
    }

    /// A submit the form is not ready for (Enter, Ctrl+Enter): shows every field's error, even
    /// for fields not touched yet, or says that nothing changed.
    pub fn explain_why_not_ready(&mut self) {
        self.value_touched = true;
        self.revalidate();
        if self.check.ok() && !self.changed_anything() {
            self.error = Some("Nothing to save: nothing was changed.".into());
        }
    }

    pub fn changed_anything(&self) -> bool {
        match &self.original {
            None => true,
            Some(m) => m.name.as_str() != self.name || m.description != self.description || !self.value.is_empty(),
        }
    }
}

/// The View dialog's state: the value is decrypted when the user reveals it (or on open, if the
/// preference says so) and dropped after [`REVEAL_SECONDS`], on close and on lock.
pub(crate) struct ViewState {
    pub id: SecretId,
    pub meta: SecretMeta,
    /// Where it lives and how this place sees it: `shop / production · override`.
    pub place: String,
    pub value: Option<SecretValue>,
    pub revealed_at: Timestamp,
    pub history: Vec<VersionInfo>,
    pub error: Option<String>,
}

impl ViewState {
    pub fn hide_if_due(&mut self, now: Timestamp) {
        if self.value.is_some() && now.0 - self.revealed_at.0 >= REVEAL_SECONDS * 1000 {
            self.value = None;
        }
    }
}

/// The one-field dialogs that confirm a key change with the current passphrase (strengthen,
/// rotate key).
#[derive(Default)]
pub(crate) struct PassphraseForm {
    pub passphrase: SecretText,
    pub error: Option<String>,
}

/// The restore-backup dialog: which backup, and the passphrase that opens it.
pub(crate) struct RestoreForm {
    pub backup: BackupInfo,
    pub passphrase: SecretText,
    pub error: Option<String>,
    /// Put the cursor in the passphrase field when the dialog opens.
    pub focus: bool,
}

impl RestoreForm {
    pub fn new(backup: BackupInfo) -> Self {
        RestoreForm { backup, passphrase: SecretText::new(), error: None, focus: true }
    }
}

/// The restore-under-another-name dialog (the trashed secret's name is taken).
pub(crate) struct RestoreAsForm {
    pub id: SecretId,
    pub taken: String,
    pub name: String,
    pub error: Option<String>,
}

/// The import review dialog's state.
pub(crate) struct ImportReview {
    pub path: PathBuf,
    pub plan: ImportPlan,
    pub findings: Vec<Finding>,
    /// Where it imports to, as shown ("shop · production"); set when the dialog opens.
    pub into: String,
}

/// The export confirmation's state.
pub(crate) struct ExportConfirm {
    pub path: PathBuf,
    pub format: Format,
    pub count: usize,
    pub overwrite: bool,
    pub exists: bool,
}

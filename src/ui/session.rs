//! The app's state: which screen shows (Setup, Locked, Unlocked), and for an unlocked vault the
//! [`Session`] — the vault, the list, the page, the open dialog, the forms. Views read it (and
//! edit their own text fields); apply.rs and jobs.rs change the rest.

mod forms;
mod list;

use std::collections::BTreeSet;

pub use forms::REVEAL_SECONDS;
pub(crate) use forms::{
    BackupsView, ExportConfirm, ImportReview, PassphraseForm, RestoreAsForm, RestoreForm, SecretForm, SettingsForm,
    SetupForm, Strength, TransferForm, UnlockForm, ViewState, strength, typed_path,
};
pub(crate) use list::SecretList;

use super::command::Page;
use crate::vault::{Error, Listing, SecretId, SecretMeta, Timestamp, TrashedSecret, Vault};

/// Which screen shows: first start, locked, or an unlocked vault.
pub(crate) enum Screen {
    Setup(SetupForm),
    Locked(UnlockForm),
    Unlocked(Box<Session>),
}

impl Screen {
    /// The session, if the vault is unlocked.
    pub fn session_mut(&mut self) -> Option<&mut Session> {
        match self {
            Screen::Unlocked(session) => Some(session),
            _ => None,
        }
    }
}

/// How long the "Deleted … Undo" toast stays, in seconds.
const UNDO_SECONDS: i64 = 10;
/// How long a plain message toast stays, in seconds.
const MESSAGE_SECONDS: i64 = 5;

/// A short message at the bottom right; an undo toast carries the ids to restore.
pub(crate) struct Toast {
    pub text: String,
    pub until: Timestamp,
    pub undo: Option<Vec<SecretId>>,
    pub is_error: bool,
}

impl Toast {
    pub fn message(text: String, is_error: bool, now: Timestamp) -> Self {
        Toast { text, until: Timestamp(now.0 + MESSAGE_SECONDS * 1000), undo: None, is_error }
    }

    pub fn undo(text: String, ids: Vec<SecretId>, now: Timestamp) -> Self {
        Toast { text, until: Timestamp(now.0 + UNDO_SECONDS * 1000), undo: Some(ids), is_error: false }
    }
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
    /// The Trash page's listing, read when the page opens and after every change.
    pub trash: Vec<TrashedSecret>,
    pub settings: SettingsForm,
    pub transfer: TransferForm,
    pub backups: BackupsView,
    pub focus_search: bool,
}

impl Session {
    pub fn new(vault: Vault, listing: Listing<SecretMeta>) -> Self {
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
            transfer: TransferForm::default(),
            backups: BackupsView::default(),
            focus_search: false,
        }
    }

    /// The vault, unless a worker thread has it.
    pub fn vault_mut(&mut self) -> Result<&mut Vault, Error> {
        self.vault.as_mut().ok_or(Error::Io {
            context: "The vault is busy (a passphrase change is running); try again in a moment".into(),
            source: std::io::Error::from(std::io::ErrorKind::WouldBlock),
        })
    }
}

/// The modal dialog over the unlocked window, with its state.
pub(crate) enum Dialog {
    Create(SecretForm),
    Edit(SecretForm),
    View(ViewState),
    ConfirmDelete(Vec<(SecretId, String)>),
    /// `None`: empty the whole trash.
    ConfirmPurge(Option<SecretId>),
    RestoreAs(RestoreAsForm),
    Strengthen(PassphraseForm),
    RotateKey(PassphraseForm),
    Import(ImportReview),
    Export(ExportConfirm),
    RestoreBackup(RestoreForm),
}

impl Dialog {
    pub fn restore_as(id: SecretId, taken: &str) -> Self {
        Dialog::RestoreAs(RestoreAsForm { id, taken: taken.to_owned(), name: format!("{taken}_RESTORED"), error: None })
    }
}

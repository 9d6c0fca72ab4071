//! Every way a vault operation can fail, one variant per thing the user can act on.

use std::path::PathBuf;

use super::kdf::KdfParams;
use super::secret::{DescriptionError, NameError, ValueError};

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How long a write waits for another process that holds the vault before giving up with
/// [`Error::Busy`] (the connections' busy timeout, `store.rs`, and the backup's copy use it).
pub const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A count for people: `1,204`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("there is no vault at {path}")]
    NoVault { path: PathBuf },

    #[error("a file already exists at {path}; refusing to overwrite it")]
    AlreadyExists { path: PathBuf },

    #[error("refusing to use {path}: {reason}")]
    UnsafeFile { path: PathBuf, reason: String },

    #[error("{path} is not a Tresor vault ({reason})")]
    NotAVault { path: PathBuf, reason: String },

    #[error("this vault uses format version {found}, but this Tresor only knows up to {supported}; update Tresor")]
    NewerFormat { found: i64, supported: i64 },

    #[error("wrong passphrase")]
    WrongPassphrase,

    #[error("the vault header is damaged ({detail}); the vault cannot be unlocked")]
    CorruptHeader { detail: String },

    #[error("the vault file is damaged ({detail})")]
    CorruptFile { detail: String },

    #[error("the vault file's tables are not Tresor's ({detail}): the file was altered or is damaged")]
    UnexpectedSchema { detail: String },

    #[error("record {record} is damaged or was tampered with ({field} does not decrypt)")]
    CorruptRecord { record: String, field: &'static str },

    #[error(
        "the vault's records do not match their authenticated record set: a record or a ciphertext was \
         altered, removed, added, or put back from an older copy of the file"
    )]
    RecordSetTampered,

    #[error(
        "the vault file's index {index} does not match the record it points at ({record}): the file was \
         altered behind Tresor's back (its rows are intact; an index is not authenticated)"
    )]
    IndexTampered { index: &'static str, record: String },

    #[error(
        "this vault file is in format {found}, but Tresor has seen it in format {seen}: it was put back from an \
         older copy of the file (format {found}'s integrity check is weaker), and it was not upgraded; if you put \
         it back on purpose, accept it with `tresor accept-rollback`"
    )]
    FormatRolledBack { found: i64, seen: i64 },

    #[error(
        "this vault went back from write {} to write {}: the file was replaced by an older copy of itself (a \
         backup, a sync tool's history, or someone else's doing); Tresor does not use an older copy, which can \
         bring back deleted secrets or a key you rotated; if you put it back on purpose, accept it with \
         `tresor accept-rollback`", thousands(*seen), thousands(*found)
    )]
    RolledBack { seen: u64, found: u64 },

    #[error(
        "this file is an older copy of the vault at {} (at write {}, that one at write {})", of.display(),
        thousands(*found), thousands(*seen)
    )]
    OlderCopy { of: PathBuf, seen: u64, found: u64 },

    #[error(
        "Tresor could not remember this vault's state ({detail}): an older copy of the file put in its place would \
         not be noticed"
    )]
    StateNotRecorded { detail: String },

    #[error(
        "the stored key-derivation parameters ({params}) are outside the accepted range; the file is damaged or was tampered with"
    )]
    KdfOutOfRange { params: KdfParams },

    #[error(
        "the key-derivation parameters ({params}) need more memory than this machine can give \
         ({usable_mib} MiB usable); the file was altered, or made with parameters for a larger machine"
    )]
    KdfTooDemanding { params: KdfParams, usable_mib: u64 },

    #[error("key-derivation parameters {requested} are below the minimum of {floor}")]
    KdfTooWeak { requested: KdfParams, floor: KdfParams },

    #[error("the passphrase must not be empty")]
    EmptyPassphrase,

    #[error("{0}")]
    InvalidName(#[from] NameError),

    #[error("{0}")]
    InvalidDescription(#[from] DescriptionError),

    #[error("{0}")]
    InvalidValue(#[from] ValueError),

    #[error("a secret named {name} already exists")]
    NameTaken { name: String },

    #[error("no secret named {name}")]
    NotFound { name: String },

    #[error("{0}")]
    InvalidPlaceName(#[from] super::place::PlaceNameError),

    #[error("no project named {name:?} (projects: {known})")]
    ProjectNotFound { name: String, known: String },

    #[error("project {project:?} has no environment named {name:?} (environments: {known})")]
    EnvironmentNotFound { name: String, project: String, known: String },

    #[error("a project named {name:?} already exists (names ignore case)")]
    ProjectTaken { name: String },

    #[error("project {project:?} already has an environment named {name:?} (names ignore case)")]
    EnvironmentTaken { name: String, project: String },

    #[error(
        "{name:?} is the default project (where secrets go when no project is named); it cannot be deleted, but it can be renamed"
    )]
    DefaultProject { name: String },

    #[error(
        "{name} is not set in {project}/{env}: it is one of {project}'s shared secrets, which every environment \
         of {project} sees; remove it from the shared secrets, or set a value in {env} to override it"
    )]
    Inherited { name: String, project: String, env: String },

    #[error("that project or environment no longer exists (it was deleted, perhaps by another Tresor process)")]
    PlaceGone,

    #[error("its place, {label}, is in the trash; restore that first (it brings back its secrets)")]
    PlaceInTrash { label: String },

    #[error("{name} has no version {version}")]
    VersionNotFound { name: String, version: u32 },

    #[error("{}", conflicts_sentence(names))]
    ImportConflicts { names: Vec<String> },

    #[error("{name} changed in the vault after the import plan was made; nothing was imported; review the plan again")]
    ImportOutdated { name: String },

    #[error(
        "two parts of the import go to the same place; map each section to a place of its own; nothing was imported"
    )]
    ImportIntoOnePlaceTwice,

    #[error("this import plan was made for another vault; nothing was imported")]
    PlanForAnotherVault,

    #[error("that secret is not in the trash")]
    NotInTrash,

    #[error("no secret named {name} in the trash")]
    NotFoundInTrash { name: String },

    #[error("this vault was opened for salvage after failing its integrity check; it is read-only")]
    SalvageReadOnly,

    #[error("the vault key was rotated by another Tresor process; lock and unlock again")]
    KeyRotatedElsewhere,

    #[error("another file has taken the vault's place (a restore by another Tresor process); lock and unlock again")]
    Replaced,

    #[error("the disk is full; nothing was changed")]
    DiskFull,

    #[error("the vault is busy: another Tresor process has held it for more than {} seconds; try again", BUSY_TIMEOUT.as_secs())]
    Busy,

    #[error("could not back up the vault {occasion} ({detail}); nothing was changed")]
    BackupFailed { occasion: &'static str, detail: String },

    #[error("no backup called {name} in {dir}")]
    NoSuchBackup { name: String, dir: PathBuf },

    #[error(
        "the passphrase was changed, but {count} backup(s) in {dir} could not be updated and still open with \
         the old passphrase; delete them"
    )]
    BackupsKeepOldPassphrase { count: usize, dir: PathBuf },

    #[error("that backup belongs to another vault; nothing was restored")]
    BackupOfAnotherVault,

    #[error("cannot keep {requested} backups; the most is {max} (0 turns backups off)")]
    KeepOutOfRange { requested: usize, max: usize },

    #[error("this vault is not connected to a synced folder; connect it with `tresor sync init FOLDER`")]
    NotSynced,

    #[error("this vault already syncs through {}; `tresor sync disconnect` first to use another folder", folder.display())]
    AlreadySynced { folder: PathBuf },

    #[error("cannot sync through {}: {detail}", path.display())]
    SyncFolder { path: PathBuf, detail: String },

    #[error("{} holds no synced Tresor vault (no tresor-… folder with a device's key file)", folder.display())]
    NoSyncedVault { folder: PathBuf },

    #[error("{} holds {count} synced vaults; join one from a folder that holds only it", folder.display())]
    SeveralSyncedVaults { folder: PathBuf, count: usize },

    #[error("a device name is 1 to 64 characters, without control characters")]
    InvalidDeviceName,

    #[error("Tresor could not keep this device's sync state: {detail}")]
    SyncState { detail: String },

    #[error(
        "device {device}'s change files in the synced folder went back from {seen} to {found}: files were removed          or replaced by older copies; nothing was synced (an edit of that device's would be lost)"
    )]
    SyncRolledBack { device: String, seen: u64, found: u64 },

    #[error("no other device named {name:?} writes to the synced folder (see `tresor sync status`)")]
    NoSuchDevice { name: String },

    #[error("{count} devices match {name:?}; name one by the start of its id (see `tresor sync status`)")]
    AmbiguousDevice { name: String, count: usize },

    #[error(
        "another device forgot this one: its changes are no longer taken in; `tresor sync disconnect`, then join \
         the folder again as a new device"
    )]
    SyncForgotten,

    #[error(
        "device \"{announcer}\" moved the vault to a new key (a passphrase change or key rotation), but \"{forgetters}\" \
         forgot it before that: one of them may be someone who kept the old passphrase (or holds a lost device); \
         nothing was synced or published. Open this vault with the passphrase you set last (if you \
         changed none, change it on a device you trust first): it then moves to that passphrase's key"
    )]
    SyncKeyDisputed { announcer: String, forgetters: String },

    #[error(
        "this device's own key for the synced folder is sealed under a vault key this file no longer has (a \
         backup from before a passphrase change or key rotation was put back); nothing was synced: `tresor sync \
         disconnect`, then `tresor sync init FOLDER` connects this vault again as a new device"
    )]
    SyncSecretLost,

    #[error(
        "a change from another device cannot be applied here: {detail} (a newer Tresor wrote it?); nothing was \
         synced"
    )]
    SyncBadRecord { detail: String },

    #[error("the vault kept changing while it synced; run the sync again")]
    ChangedDuringSync,

    #[error("database error: {0}")]
    Database(rusqlite::Error),

    #[error("{context}: {source}")]
    Io { context: String, source: std::io::Error },
}

impl Error {
    /// Whether this error means the file or one of its records is damaged or was tampered with.
    pub fn is_integrity_failure(&self) -> bool {
        matches!(
            self,
            Error::CorruptHeader { .. }
                | Error::CorruptFile { .. }
                | Error::UnexpectedSchema { .. }
                | Error::CorruptRecord { .. }
                | Error::RecordSetTampered
                | Error::IndexTampered { .. }
                | Error::FormatRolledBack { .. }
                | Error::RolledBack { .. }
                | Error::SyncRolledBack { .. }
                | Error::SyncKeyDisputed { .. }
                | Error::KdfOutOfRange { .. }
        )
    }

    /// This error, as the reason a backup failed; `occasion` says when, as
    /// `BackupReason::occasion` words it ("before an import").
    pub(crate) fn backup_failed(self, occasion: &'static str) -> Self {
        let detail = match self {
            Error::DiskFull => "the disk is full".to_owned(),
            other => other.to_string(),
        };
        Error::BackupFailed { occasion, detail }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io { context: context.into(), source }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ffi::{self, ErrorCode};
        let extended = e.sqlite_error().map(|f| f.extended_code);
        match e.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => Error::DiskFull,
            Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => Error::Busy,
            // "No space" for the WAL's shared-memory index (-shm) comes as an I/O error.
            _ if extended == Some(ffi::SQLITE_IOERR_SHMSIZE) => Error::DiskFull,
            // A page beyond the end of the file: the file was cut short.
            _ if extended == Some(ffi::SQLITE_IOERR_SHORT_READ) => {
                Error::CorruptFile { detail: "the file is shorter than its contents say; it was cut short".into() }
            }
            Some(ErrorCode::DatabaseCorrupt) | Some(ErrorCode::NotADatabase) => {
                Error::CorruptFile { detail: format!("SQLite reports: {e}") }
            }
            _ => Error::Database(e),
        }
    }
}

/// "2 secrets already exist with a different value (A, B); …", naming at most ten of them. Front
/// ends add how to choose another policy in their own words.
fn conflicts_sentence(names: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut list = names.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    if names.len() > SHOWN {
        list += &format!(" and {} more", names.len() - SHOWN);
    }
    let (count, verb) = match names.len() {
        1 => ("1 secret".to_owned(), "exists"),
        n => (format!("{n} secrets"), "exist"),
    };
    format!("{count} already {verb} with a different value ({list}); nothing was imported")
}

//! The vault core. No UI, no clipboard, no terminal, no file formats: the app and the command
//! line are thin front ends over [`Vault`], and every rule lives here once.
//!
//! This file holds the vault's life: create, unlock (with its integrity check and housekeeping),
//! lock, and the read and write transactions every operation runs in. The modules, from the
//! leaves up (each uses only those above it in this table; `tests/structure.rs` checks it):
//!
//! | layer | file | holds |
//! | --- | --- | --- |
//! | values | `place.rs`, `secret.rs`, `generate.rs`, `kdf.rs`, `held.rs` | places, names, values, ids, times; the KDF's parameters; the descriptors this process keeps of open vault files |
//! | errors | `error.rs` | every way an operation fails |
//! | crypto | `crypto.rs` | keys, sealing, key derivation and wrapping |
//! | format | `store/` | the file format's specification, schema, header, opening and creating files |
//! | sync | `sync/` | change files for a synced folder and the record-by-record merge (not yet wired to the vault) |
//! | rows | `records/` | every row's SQL, sealing and term, the record set, and the one write context ([`records::Write`]) |
//! | keys and state | `wrap.rs`, `seen.rs` | the vault key under the passphrase; the newest state seen of each file |
//! | operations | `secrets.rs`, `places/`, `import.rs`, `keys.rs`, `backup.rs`, `migrate.rs` | what a user does, as methods of [`Vault`] |

pub mod backup;
pub mod crypto;
pub mod error;
pub mod generate;
pub mod held;
pub mod import;
pub mod kdf;
mod keys;
mod migrate;
pub mod ops;
pub mod place;
mod places;
mod records;
pub mod secret;
mod secrets;
pub mod seen;
pub mod store;
pub mod sync;
mod synced;
mod wrap;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

pub use backup::{BackupInfo, BackupReason, Restored};
pub use crypto::Passphrase;
pub use error::{Error, Result};
pub use generate::{GenerateError, GenerateRule, ValueKind};
pub use import::{
    ConflictPolicy, EntryContent, ImportEntry, ImportPlan, ImportReport, PlanAction, PlanCounts, PlanItem, SkipReason,
};
pub use kdf::KdfParams;
pub use secret::{
    Clock, DescriptionError, NameError, Saved, SecretId, SecretMeta, SecretName, SecretValue, SystemClock, Timestamp,
    TrashedSecret, ValueError, ValueFileError, ValueWarning, VersionInfo,
};

pub use keys::{UNUSUAL_UNLOCK, UnlockEstimate};
pub use place::{
    DEFAULT_ENVIRONMENTS, DEFAULT_PROJECT, EnvironmentInfo, Origin, Place, PlaceId, PlaceLabel, PlaceName,
    PlaceNameError, ProjectInfo,
};
pub use places::{ComparedCell, ComparedName, PlacedSecret, TrashedPlace};
pub use secrets::{Listing, NewSecret, SecretEdit, SetOutcome, name_order};

use crypto::{Key32, VaultKeys};
pub use records::Changes;
use records::{Records, Write};
use store::Header;
pub use synced::{DeviceInfo, SyncReport, default_device_name};
use wrap::{boxed_keys, unwrap_keys, wrapped_header};

/// How long unlocking a new vault should take on the machine that creates it: the KDF's passes
/// are calibrated to it (KeePassXC's approach).
pub const UNLOCK_TARGET: Duration = Duration::from_secs(1);
/// How many earlier values of each secret are kept.
pub const HISTORY_LIMIT: usize = 20;
/// Secrets in the trash longer than this are purged when the vault is unlocked.
pub const TRASH_RETENTION_DAYS: i64 = 30;

/// What `tresor info` shows: readable without the passphrase, and nothing secret.
#[derive(Debug, Clone)]
pub struct VaultInfo {
    pub path: PathBuf,
    pub format_version: i64,
    pub kdf: KdfParams,
    pub created: Timestamp,
    pub secrets: u64,
    pub trashed: u64,
    pub history_entries: u64,
    pub file_bytes: u64,
    /// Said without the passphrase, from what Tresor remembers of this file: an older format or
    /// an older key than it was seen with (an older copy put in its place). `info` warns only.
    pub warning: Option<String>,
}

/// Which file and key a [`Vault`] handle reads (see [`Vault::handle_id`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandleId {
    file: Option<(u64, u64)>,
    key_id: [u8; 16],
}

/// An unlocked vault. Dropping it (or [`Vault::lock`]) wipes its keys from memory.
pub struct Vault {
    path: PathBuf,
    conn: store::Db,
    header: Header,
    /// Boxed: the keys stay at one address for the vault's life, and moving a `Vault` around
    /// copies a pointer, not key bytes that nothing would wipe.
    keys: Box<VaultKeys>,
    clock: Arc<dyn Clock>,
    /// Set when the vault was opened despite a failed record-set check: reads only, so that
    /// the readable secrets can be got out of a damaged vault, and nothing is written on top.
    salvage: bool,
    /// Something the front end should say although the operation succeeded: why the automatic
    /// backup or trash purge on unlock did not happen, or backups a passphrase change could not
    /// update.
    warning: Option<Error>,
    /// Where this file's newest state is remembered (`seen.rs`); `None` for a copy in memory.
    seen: Option<seen::Record>,
    /// Whether failing to update that record was already said (once per unlock is enough).
    seen_warned: bool,
    /// SQLite's `data_version` when last asked (see [`Vault::changed_elsewhere`]).
    data_version: std::cell::Cell<Option<i64>>,
    /// What this vault's writes changed since [`Vault::take_changes`] was last called.
    changes: Changes,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault").field("path", &self.path).field("keys", &"[redacted]").finish()
    }
}

impl Vault {
    /// The default vault location: the platform's data folder, e.g.
    /// `~/.local/share/tresor/vault.db` on Linux.
    pub fn default_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "tresor").map(|d| d.data_dir().join("vault.db"))
    }

    /// Creates a new vault at `path` (which must not exist yet). Runs the KDF once.
    pub fn create(path: &Path, passphrase: &Passphrase, kdf: KdfParams) -> Result<Vault> {
        Self::create_with_clock(path, passphrase, kdf, Arc::new(SystemClock))
    }

    pub fn create_with_clock(
        path: &Path,
        passphrase: &Passphrase,
        kdf: KdfParams,
        clock: Arc<dyn Clock>,
    ) -> Result<Vault> {
        if passphrase.is_empty() {
            return Err(Error::EmptyPassphrase);
        }
        kdf.check_for_new_vault()?;
        if path.exists() {
            return Err(Error::AlreadyExists { path: path.to_owned() });
        }
        crypto::with_stack_scrubbed(|| {
            let vault_key = Key32::random();
            let template = Header {
                vault_id: crypto::random_bytes(),
                key_id: crypto::random_bytes(),
                kdf,
                salt: Vec::new(),
                wrapped_key: Vec::new(),
                created: clock.now(),
                lineage: Some(Vec::new()),
            };
            let (header, _) = wrapped_header(template, passphrase, &vault_key)?;
            let keys = boxed_keys(vault_key);
            let records = Records { keys: &keys, vault_id: &header.vault_id };
            // The default project and its environments, in the file's first transaction.
            let places = places::default_project_rows(&records, clock.now().0);
            let rows = |tx: &Connection| {
                let mut write = Write::rebuild(tx, Records { keys: &keys, vault_id: &header.vault_id });
                places.iter().try_for_each(|row| write.insert_place(row))?;
                Ok(write.sealed_for_new_file(&header.key_id))
            };
            let conn = store::create(path, &header, rows)?;
            let mut vault = Vault::opened(path, conn, header, keys, clock, false);
            vault.remember(0, false);
            Ok(vault)
        })
    }

    /// A vault just opened or created: no warning yet, its state remembered by path.
    pub(super) fn opened(
        path: &Path,
        conn: store::Db,
        header: Header,
        keys: Box<VaultKeys>,
        clock: Arc<dyn Clock>,
        salvage: bool,
    ) -> Vault {
        let seen = Some(seen::Record::of(header.vault_id, path));
        Vault {
            path: path.to_owned(),
            conn,
            header,
            keys,
            clock,
            salvage,
            warning: None,
            seen,
            seen_warned: false,
            data_version: std::cell::Cell::new(None),
            changes: Changes::default(),
        }
    }

    /// Unlocks the vault at `path`. Runs the KDF once, then checks the whole record set, migrates
    /// a file of an older format (after a backup; see `migrate.rs`), purges trash older than
    /// [`TRASH_RETENTION_DAYS`] (after a backup), and makes the daily backup if the newest one is
    /// older than a day. If a backup fails, unlocking still succeeds (except before a migration):
    /// the purge waits, and [`Vault::take_warning`] says why.
    pub fn unlock(path: &Path, passphrase: &Passphrase) -> Result<Vault> {
        Self::unlock_with_clock(path, passphrase, Arc::new(SystemClock))
    }

    pub fn unlock_with_clock(path: &Path, passphrase: &Passphrase, clock: Arc<dyn Clock>) -> Result<Vault> {
        Self::unlock_checked(path, passphrase, clock, false)
    }

    /// Unlocks a vault file that Tresor refused as an older copy of itself ([`Error::RolledBack`],
    /// [`Error::FormatRolledBack`]) because the user put it back on purpose: from now on its
    /// state is the one remembered (see `seen.rs`). Needs the passphrase, like any unlock.
    pub fn accept_rollback(path: &Path, passphrase: &Passphrase) -> Result<Vault> {
        Self::unlock_checked(path, passphrase, Arc::new(SystemClock), true)
    }

    /// [`Vault::unlock_with_clock`]; `accept`: a file behind its remembered state is taken as it is.
    fn unlock_checked(path: &Path, passphrase: &Passphrase, clock: Arc<dyn Clock>, accept: bool) -> Result<Vault> {
        crypto::with_stack_scrubbed(|| {
            let conn = store::open(path)?;
            let mut header = store::read_header(&conn)?;
            // Read before the file's own state: another process raises the record only after its
            // commit, so a record read first is never ahead of the snapshot read after it.
            let record = seen::Record::of(header.vault_id, path);
            let (remembered, record_error) = match record.read() {
                Ok(remembered) => (remembered, None),
                Err(e) => (None, Some(e)),
            };
            let format = store::format_version(&conn)?;
            // A passphrase this file's header does not take may be the one set since on another
            // device, while this one slept through the change (see `synced::newer_key_for`): it
            // opens the later key, which holds this file's, and the vault moves to it below.
            let (keys, kek, newer) = match unwrap_keys(&header, passphrase) {
                Ok((keys, kek)) => (keys, Some(kek), None),
                Err(Error::WrongPassphrase) if format == store::FORMAT_VERSION => {
                    let (keys, newer) =
                        synced::newer_key_for(&header, path, passphrase).ok_or(Error::WrongPassphrase)?;
                    (keys, None, Some(newer))
                }
                Err(e) => return Err(e),
            };
            if let Some(seen) = remembered.filter(|seen| seen.format > format && !accept) {
                return Err(Error::FormatRolledBack { found: format, seen: seen.format });
            }
            if format < store::FORMAT_VERSION {
                // A file whose own backups are of a newer format was put back from an older copy
                // (format 1's record set can be forged from old copies): not migrated, refused.
                if !accept && backup::newer_format_backup_exists(path, &header.vault_id, format) {
                    return Err(Error::FormatRolledBack { found: format, seen: store::FORMAT_VERSION });
                }
                // Its own format's check first: a tampered file is reported as such, not migrated.
                if format == 1 {
                    migrate::verify_v1(&conn, &header, &keys)?;
                } else {
                    migrate::verify_v2(&conn, &header, &keys)?;
                }
                backup::create(&conn, path, BackupReason::FormatUpgrade, clock.now())
                    .map_err(|e| e.backup_failed(BackupReason::FormatUpgrade.occasion()))?;
                let kek = kek.as_ref().expect("a file of an older format opens only with its own passphrase");
                header = migrate::upgrade(&conn, &header, &keys, kek, true, clock.now().0)?;
                store::checkpoint(&conn);
            }
            let mut vault = Vault::opened(path, conn, header, keys, clock, false);
            // A key found through a key file in the folder that does not open this file's sealed
            // record set (junk sealed under a planted key file's key): the passphrase typed opens
            // nothing here. (One that opens it checks the rows as any unlock does: a file
            // tampered with says so.)
            if newer.is_some() && !vault.key_opens_record_set() {
                return Err(Error::WrongPassphrase);
            }
            let writes = vault.verify_record_set()?;
            match remembered {
                Some(seen) if seen.writes > writes && !accept => {
                    return Err(Error::RolledBack { seen: seen.writes, found: writes });
                }
                // Never seen here: an older copy of a vault seen elsewhere (a backup opened as a
                // vault, say) is said, not refused.
                None => {
                    if let Some((newer, seen)) = record.newer_elsewhere(writes) {
                        vault.warning = Some(Error::OlderCopy { of: newer, seen: seen.writes, found: writes });
                    }
                }
                Some(_) => {}
            }
            if let Some(e) = record_error {
                vault.warning = Some(e);
                vault.seen_warned = true;
            }
            vault.remember(writes, accept);
            // A passphrase change that stopped after its commit left its backups to re-wrap (once
            // the file is known to be whole and current).
            let stuck = kek.map_or(0, |kek| backup::finish_rewrap(path, &vault.header, &kek));
            if stuck > 0 {
                vault.warning = Some(Error::BackupsKeepOldPassphrase { count: stuck, dir: backup::backup_dir(path) });
            }
            vault.after_unlock()?;
            if let Some(newer) = newer {
                vault.take_newer_key(newer)?;
            }
            Ok(vault)
        })
    }

    /// Raises (or with `replace`, sets) the remembered state of this file to its write counter
    /// `writes` now. A state folder that cannot be written is said once, and stops nothing.
    pub(super) fn remember(&mut self, writes: u64, replace: bool) {
        let Some(record) = &self.seen else { return };
        let now = seen::Seen { writes, key_id: self.header.key_id, format: store::FORMAT_VERSION };
        let result = if replace { record.replace(now) } else { record.raise(now) };
        if let Err(e) = result
            && !self.seen_warned
        {
            self.seen_warned = true;
            self.warning.get_or_insert(e);
        }
    }

    /// Opens a vault whose record-set check fails ([`Error::RecordSetTampered`]) so that what
    /// still decrypts can be read and copied out. Every write is refused with
    /// [`Error::SalvageReadOnly`]; the right passphrase is still required. A file of an older
    /// format is not migrated: a migrated copy in memory is read instead.
    pub fn unlock_for_salvage(path: &Path, passphrase: &Passphrase) -> Result<Vault> {
        crypto::with_stack_scrubbed(|| {
            let mut conn = store::open(path)?;
            let mut header = store::read_header(&conn)?;
            let (keys, kek) = unwrap_keys(&header, passphrase)?;
            if store::format_version(&conn)? < store::FORMAT_VERSION {
                conn = store::copy_to_memory(&conn)?;
                header = migrate::upgrade(&conn, &header, &keys, &kek, false, SystemClock.now().0)?;
            }
            drop(kek);
            let mut vault = Vault::opened(path, conn, header, keys, Arc::new(SystemClock), true);
            // Read-only: an older copy is said, never refused, and nothing is remembered.
            let record = vault.seen.take().expect("just opened");
            if let (Ok(writes), Ok(Some(seen))) = (vault.writes(), record.read())
                && seen.writes > writes
            {
                vault.warning = Some(Error::RolledBack { seen: seen.writes, found: writes });
            }
            Ok(vault)
        })
    }

    /// A second handle of this unlocked vault: a connection of its own to the same file, with the
    /// same keys, for the app's server (which answers the command line without waiting for the
    /// window). It is used to read; it is dropped, and its keys wiped, when the app locks.
    /// `Err(Error::Replaced)` when the file at the path is no longer this handle's file (a
    /// restore or a key rotation put another in its place): unlock that one.
    pub fn second_handle(&self) -> Result<Vault> {
        if self.salvage {
            return Err(Error::SalvageReadOnly);
        }
        let conn = store::open(&self.path)?;
        if conn.file_key() != self.conn.file_key() {
            return Err(Error::Replaced);
        }
        if store::read_key_id(&conn)? != self.header.key_id {
            return Err(Error::KeyRotatedElsewhere);
        }
        crypto::with_stack_scrubbed(|| {
            let keys = boxed_keys(self.keys.vault_key().clone());
            Ok(Vault::opened(&self.path, conn, self.header.clone(), keys, self.clock.clone(), false))
        })
    }

    /// Whether this vault was opened with [`Vault::unlock_for_salvage`] (read-only).
    pub fn is_salvage(&self) -> bool {
        self.salvage
    }

    /// What the last unlock or passphrase change could not do although it succeeded (the daily
    /// backup, the purge of old trash, updating a backup): once, `None` afterwards.
    pub fn take_warning(&mut self) -> Option<Error> {
        self.warning.take()
    }

    /// Locks the vault: the keys are wiped and the file is closed.
    pub fn lock(self) {
        drop(self)
    }

    /// Facts about the vault at `path`, without unlocking it (nor migrating it).
    pub fn info(path: &Path) -> Result<VaultInfo> {
        let conn = store::open(path)?;
        let header = store::read_header(&conn)?;
        let counts = records::RowCounts::read(&conn)?;
        let format = store::format_version(&conn)?;
        let warning = match seen::Record::of(header.vault_id, path).read() {
            Ok(Some(seen)) if seen.format > format => {
                Some(Error::FormatRolledBack { found: format, seen: seen.format }.to_string())
            }
            Ok(Some(seen)) if seen.key_id != header.key_id => Some(
                "this vault file holds another vault key than Tresor last saw in it: it may be an older copy put back \
                 (from before a key rotation); unlocking will tell"
                    .to_owned(),
            ),
            Ok(_) => None,
            Err(e) => Some(e.to_string()),
        };
        Ok(VaultInfo {
            warning,
            path: path.to_owned(),
            format_version: format,
            kdf: header.kdf,
            created: header.created,
            secrets: counts.live,
            trashed: counts.trashed,
            history_entries: counts.history,
            file_bytes: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
        })
    }

    /// Which file and key this handle reads (no I/O): a front end that gave a
    /// [`Vault::second_handle`] away compares it to know when to give a new one.
    pub fn handle_id(&self) -> HandleId {
        HandleId { file: self.conn.file_key(), key_id: self.header.key_id }
    }

    /// Whether the file at the vault's path is still the one this handle has open, under the
    /// same key (a stat and one row read): not after a restore or a key rotation elsewhere.
    pub fn is_current(&self) -> bool {
        let Ok(meta) = std::fs::metadata(&self.path) else { return false };
        #[cfg(unix)]
        let at_path = {
            use std::os::unix::fs::MetadataExt;
            Some((meta.dev(), meta.ino()))
        };
        #[cfg(not(unix))]
        let at_path = {
            let _ = meta;
            self.conn.file_key()
        };
        at_path == self.conn.file_key()
            && store::read_key_id(&self.conn).is_ok_and(|id| id[..] == self.header.key_id[..])
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether another connection (the command line, another window) committed a change to the
    /// file since the last call: what a front end asks before reading again what it shows. One
    /// `PRAGMA data_version`, which reads no page; this connection's own writes do not count.
    /// The first call only takes the value in.
    pub fn changed_elsewhere(&self) -> bool {
        let Ok(now) = self.conn.query_row("PRAGMA data_version", [], |r| r.get::<_, i64>(0)) else { return false };
        self.data_version.replace(Some(now)).is_some_and(|before| before != now)
    }

    pub fn kdf_params(&self) -> KdfParams {
        self.header.kdf
    }

    pub(super) fn records(&self) -> Records<'_> {
        Records { keys: &self.keys, vault_id: &self.header.vault_id }
    }

    /// Runs `read` in a read transaction: whatever it reads, in however many statements, comes
    /// from one snapshot of the file, even while another process commits (WAL readers do not
    /// block writers). Refused once another process has rotated the vault key, so that its newer
    /// ciphertext is never reported as damaged records. The stack is scrubbed afterwards, since
    /// decrypting leaves AES round keys there.
    fn read<T>(&self, read: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        crypto::with_stack_scrubbed(|| {
            let snapshot = self.conn.unchecked_transaction()?;
            let stored: Vec<u8> = store::read_key_id(&snapshot)?;
            if stored != self.header.key_id {
                return Err(Error::KeyRotatedElsewhere);
            }
            read(&snapshot)
        })
    }

    /// Runs `change` in one `BEGIN IMMEDIATE` transaction, through the write context
    /// ([`records::Write`]: every row change goes through it, and it keeps the record set in
    /// step). Nothing is written unless everything succeeds. After the commit, what changed is
    /// handed to [`Vault::committed`].
    fn write<T>(&mut self, change: impl FnOnce(&Vault, &mut Write<'_>) -> Result<T>) -> Result<T> {
        self.write_sealing_with(None, change)
    }

    /// [`Vault::write`] for a key rotation: the write counts every row under `new` (the new keys
    /// and key id: [`Write::rekey`]) and seals the record set under them; the change re-seals
    /// every row.
    fn write_sealing_with<T>(
        &mut self,
        new: Option<(&VaultKeys, &[u8; 16])>,
        change: impl FnOnce(&Vault, &mut Write<'_>) -> Result<T>,
    ) -> Result<T> {
        if self.salvage {
            return Err(Error::SalvageReadOnly);
        }
        // Sealing leaves AES round keys on the stack, as opening does (see `read`).
        let (result, changes) = crypto::with_stack_scrubbed(|| {
            let vault = &*self;
            let tx = rusqlite::Transaction::new_unchecked(&vault.conn, TransactionBehavior::Immediate)?;
            if store::read_key_id(&tx)? != vault.header.key_id {
                return Err(Error::KeyRotatedElsewhere);
            }
            let mut write = Write::begin(&tx, vault.records(), &vault.header.key_id)?;
            if let Some((keys, _)) = new {
                write.rekey(Records { keys, vault_id: &vault.header.vault_id });
            }
            let result = change(vault, &mut write)?;
            let changes = write.seal(new.map_or(&vault.header.key_id, |(_, key_id)| key_id))?;
            tx.commit()?;
            Ok((result, changes))
        })?;
        self.committed(&changes);
        Ok(result)
    }

    /// After every commit of this vault's: what followers of writes need. The file's state is
    /// remembered (`seen.rs`), and the changes kept for [`Vault::take_changes`].
    fn committed(&mut self, changes: &Changes) {
        self.remember(changes.writes, false);
        let pending = &mut self.changes;
        pending.secrets.extend(changes.secrets.iter().copied());
        pending.places.extend(changes.places.iter().copied());
        pending.header |= changes.header;
        pending.writes = changes.writes;
        if !changes.purged.is_empty() {
            self.sync_note_purged(&changes.purged);
        }
    }

    /// What this vault's own writes changed since the last call (a front end refreshing after
    /// its writes, a change log).
    pub fn take_changes(&mut self) -> Changes {
        std::mem::take(&mut self.changes)
    }

    /// The write counter sealed in the file's record set now.
    pub(super) fn writes(&self) -> Result<u64> {
        self.read(|snapshot| {
            Ok(self.records().open_record_set(&store::read_record_set(snapshot)?, &self.header.key_id)?.writes)
        })
    }

    /// Recomputes the record set over every secret row and the number of history rows, and
    /// compares it with the stored one. They are read from one snapshot: a write another process
    /// commits between two of these reads would otherwise look exactly like tampering.
    /// Returns the file's write counter, from the same snapshot.
    fn verify_record_set(&self) -> Result<u64> {
        self.read(|snapshot| self.check_record_set(snapshot))
    }

    /// [`Vault::verify_record_set`], and every secret's history against the sum its row holds:
    /// the whole file, for a restore (which the next unlock would otherwise check only in part).
    fn verify_every_record(&self) -> Result<()> {
        self.read(|snapshot| {
            self.check_record_set(snapshot)?;
            let mut found = records::history_sums_of_rows(snapshot, &self.records())?;
            for (id, stored) in records::stored_history_sums(snapshot)? {
                if found.remove(&id).unwrap_or_default().as_slice() != stored.as_slice() {
                    return Err(Error::RecordSetTampered);
                }
            }
            // What is left: history rows of no secret.
            if !found.is_empty() {
                return Err(Error::RecordSetTampered);
            }
            Ok(())
        })
    }

    /// Whether this handle's key opens the file's sealed record set (whatever the rows hold).
    fn key_opens_record_set(&self) -> bool {
        self.read(|snapshot| {
            let sealed = store::read_record_set(snapshot)?;
            Ok(self.records().open_record_set(&sealed, &self.header.key_id).is_ok())
        })
        .unwrap_or(false)
    }

    /// The stored record set's write counter, once the rows are found to match it.
    fn check_record_set(&self, snapshot: &Connection) -> Result<u64> {
        let records = self.records();
        let stored = records.open_record_set(&store::read_record_set(snapshot)?, &self.header.key_id)?;
        if !records::record_set_of_rows(snapshot, &records, store::FORMAT_VERSION)?.same_rows(&stored) {
            return Err(Error::RecordSetTampered);
        }
        Ok(stored.writes)
    }

    /// The housekeeping of [`Vault::unlock`]: the purge of old trash and the daily backup. A
    /// backup that fails is a warning, not a failed unlock (the purge then waits for a backup).
    fn after_unlock(&mut self) -> Result<()> {
        let cutoff = self.clock.now().plus_days(-TRASH_RETENTION_DAYS);
        match self.purge_trashed_before(Some(cutoff)) {
            Err(e @ Error::BackupFailed { .. }) => self.warning = Some(e),
            result => {
                result?;
            }
        }
        if self.warning.is_none()
            && backup::daily_due(&self.path, self.clock.now())
            && let Err(e) = self.backup_before(BackupReason::Daily)
        {
            self.warning = Some(e);
        }
        Ok(())
    }

    /// For tests only, not part of the API: caps the vault file at `pages` SQLite pages (`None`:
    /// SQLite's maximum), so that writes fail as they do on a full disk, without filling one. A
    /// cap below the file's size is raised to its size. Returns the cap in effect.
    #[cfg(feature = "test-support")]
    pub fn limit_file_pages_for_tests(&self, pages: Option<u32>) -> Result<u32> {
        // SQLite takes 0 as a question, not a cap.
        let pages = pages.unwrap_or(u32::MAX - 1).max(1);
        Ok(self.conn.pragma_update_and_check(None, "max_page_count", pages, |r| r.get(0))?)
    }
}

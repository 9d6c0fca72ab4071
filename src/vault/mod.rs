//! The vault core: create, unlock, lock, and every operation on secrets. No UI, no clipboard,
//! no terminal: the app and the command line are thin front ends over [`Vault`].

pub mod backup;
pub mod crypto;
pub mod error;
pub mod import;
mod records;
pub mod secret;
pub mod store;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

pub use backup::{BackupInfo, BackupReason};
pub use crypto::{KdfParams, Passphrase};
pub use error::{Error, Result};
pub use import::{ConflictPolicy, ImportPlan, ImportReport, PlanAction, PlanCounts, PlanItem, SkipReason};
pub use secret::{
    Clock, DescriptionError, NameError, Saved, SecretId, SecretMeta, SecretName, SecretValue, SystemClock, Timestamp,
    TrashedSecret, ValueError, ValueWarning, VersionInfo,
};

use crypto::{Key32, VaultKeys};
use records::{HistoryRow, Records, SecretRow};
use store::Header;

/// How many earlier values of each secret are kept.
pub const HISTORY_LIMIT: usize = 20;
/// Secrets in the trash longer than this are purged when the vault is unlocked.
pub const TRASH_RETENTION_DAYS: i64 = 30;

/// A secret to create.
#[derive(Debug, Clone)]
pub struct NewSecret {
    pub name: SecretName,
    pub description: String,
    pub value: SecretValue,
}

/// A change to a secret: `None` leaves that part as it is.
#[derive(Debug, Clone, Default)]
pub struct SecretUpdate {
    pub description: Option<String>,
    pub value: Option<SecretValue>,
}

/// Items that decrypted, plus the records that did not (each error names its record). One
/// damaged record never hides the others.
#[derive(Debug)]
pub struct Listing<T> {
    pub items: Vec<T>,
    pub damaged: Vec<Error>,
}

/// A vault put back to a backup's state by [`Vault::restore_backup`].
#[derive(Debug)]
pub struct Restored {
    /// The restored vault, unlocked.
    pub vault: Vault,
    /// The backup of the state it replaced (`None` if backups are off or there was no vault).
    pub previous: Option<BackupInfo>,
    /// Where a vault file too damaged to open was moved.
    pub moved_aside: Option<PathBuf>,
}

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
}

/// An unlocked vault. Dropping it (or [`Vault::lock`]) wipes its keys from memory.
pub struct Vault {
    path: PathBuf,
    conn: Connection,
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

    /// Argon2id parameters for a new vault on this machine: 256 MiB, 4 lanes, and as many passes
    /// as fit in about `target` (never fewer than the floor's 3).
    pub fn calibrate_kdf(target: Duration) -> KdfParams {
        let probe = KdfParams {
            memory_kib: KdfParams::DEFAULT_MEMORY_KIB,
            iterations: 1,
            parallelism: KdfParams::DEFAULT_PARALLELISM,
        };
        let salt: [u8; crypto::SALT_LEN] = crypto::random_bytes();
        let started = Instant::now();
        let _ = crypto::derive_kek(&Passphrase::new("calibration"), &salt, probe);
        let per_pass = started.elapsed().max(Duration::from_millis(1));
        let passes = (target.as_secs_f64() / per_pass.as_secs_f64()).round() as u32;
        KdfParams { iterations: passes.clamp(KdfParams::FLOOR.iterations, 64), ..probe }
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
            let header = wrapped_header(
                crypto::random_bytes(),
                crypto::random_bytes(),
                passphrase,
                kdf,
                &vault_key,
                clock.now(),
            )?;
            let conn = store::create(path, &header)?;
            let keys = boxed_keys(vault_key);
            Ok(Vault { path: path.to_owned(), conn, header, keys, clock, salvage: false, warning: None })
        })
    }

    /// Unlocks the vault at `path`. Runs the KDF once, then checks the whole record set against
    /// its MAC, purges trash older than 30 days (after a backup), and makes the daily backup if
    /// the newest one is older than a day. If a backup fails, unlocking still succeeds: the purge
    /// waits, and [`Vault::take_warning`] says why.
    pub fn unlock(path: &Path, passphrase: &Passphrase) -> Result<Vault> {
        Self::unlock_with_clock(path, passphrase, Arc::new(SystemClock))
    }

    pub fn unlock_with_clock(path: &Path, passphrase: &Passphrase, clock: Arc<dyn Clock>) -> Result<Vault> {
        crypto::with_stack_scrubbed(|| {
            let conn = store::open(path)?;
            let header = store::read_header(&conn)?;
            let keys = unwrap_keys(&header, passphrase)?;
            let mut vault = Vault { path: path.to_owned(), conn, header, keys, clock, salvage: false, warning: None };
            vault.verify_record_set()?;
            vault.after_unlock()?;
            Ok(vault)
        })
    }

    /// Opens a vault whose record-set check fails ([`Error::RecordSetTampered`]) so that what
    /// still decrypts can be read and copied out. Every write is refused with
    /// [`Error::SalvageReadOnly`]; the right passphrase is still required.
    pub fn unlock_for_salvage(path: &Path, passphrase: &Passphrase) -> Result<Vault> {
        crypto::with_stack_scrubbed(|| {
            let conn = store::open(path)?;
            let header = store::read_header(&conn)?;
            let keys = unwrap_keys(&header, passphrase)?;
            Ok(Vault {
                path: path.to_owned(),
                conn,
                header,
                keys,
                clock: Arc::new(SystemClock),
                salvage: true,
                warning: None,
            })
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

    /// Facts about the vault at `path`, without unlocking it.
    pub fn info(path: &Path) -> Result<VaultInfo> {
        let conn = store::open(path)?;
        let header = store::read_header(&conn)?;
        let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).map(|n| n as u64);
        Ok(VaultInfo {
            path: path.to_owned(),
            format_version: store::FORMAT_VERSION,
            kdf: header.kdf,
            created: header.created,
            secrets: count("SELECT count(*) FROM secrets WHERE deleted IS NULL")?,
            trashed: count("SELECT count(*) FROM secrets WHERE deleted IS NOT NULL")?,
            history_entries: count("SELECT count(*) FROM history")?,
            file_bytes: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn kdf_params(&self) -> KdfParams {
        self.header.kdf
    }

    fn records(&self) -> Records<'_> {
        Records { keys: &self.keys, vault_id: &self.header.vault_id }
    }

    // ---- reading -------------------------------------------------------------------------

    /// Every live secret's name, description and bookkeeping (never values), sorted by name.
    pub fn list(&self) -> Result<Listing<SecretMeta>> {
        self.read(|snapshot| {
            let mut stmt = snapshot
                .prepare_cached(&format!("SELECT {} FROM secrets WHERE deleted IS NULL", SecretRow::COLUMNS))?;
            let rows = stmt.query_map([], SecretRow::from_row)?;
            let mut listing = Listing { items: Vec::new(), damaged: Vec::new() };
            for row in rows {
                match self.records().meta(&row?) {
                    Ok(meta) => listing.items.push(meta),
                    Err(e) => listing.damaged.push(e),
                }
            }
            // Names are unique among live secrets, so an unstable sort loses nothing.
            listing.items.sort_unstable_by(|a, b| name_order(&a.name, &b.name));
            Ok(listing)
        })
    }

    /// The id of the live secret called `name`: one index lookup, no decryption.
    pub fn find(&self, name: &SecretName) -> Result<SecretId> {
        self.read(|snapshot| {
            let index = self.keys.name_index(name.as_str());
            snapshot
                .query_row(
                    "SELECT id FROM secrets WHERE name_index = ?1 AND deleted IS NULL",
                    [index.as_slice()],
                    |r| r.get::<_, Vec<u8>>(0),
                )
                .optional()?
                .and_then(|id| id.try_into().ok().map(SecretId))
                .ok_or_else(|| Error::NotFound { name: name.to_string() })
        })
    }

    /// A live secret's name, description and bookkeeping.
    pub fn meta(&self, id: SecretId) -> Result<SecretMeta> {
        self.read(|snapshot| self.records().meta(&self.live_row(snapshot, id)?))
    }

    /// Decrypts a live secret's current value.
    pub fn reveal(&self, id: SecretId) -> Result<SecretValue> {
        self.read(|snapshot| self.records().value(&self.live_row(snapshot, id)?))
    }

    /// Decrypts the value a secret had at `version` (the current one or one from its history).
    pub fn reveal_version(&self, id: SecretId, version: u32) -> Result<SecretValue> {
        self.read(|snapshot| {
            let row = self.live_row(snapshot, id)?;
            if version == row.version {
                return self.records().value(&row);
            }
            let history = HistoryRow::load(snapshot, id, version)?.ok_or_else(|| Error::VersionNotFound {
                name: self.records().name(&row).map(|n| n.to_string()).unwrap_or_else(|_| id.to_string()),
                version,
            })?;
            self.records().history_value(&history)
        })
    }

    /// The versions of a secret, newest (current) first.
    pub fn history(&self, id: SecretId) -> Result<Vec<VersionInfo>> {
        self.read(|snapshot| {
            let row = self.live_row(snapshot, id)?;
            let mut versions =
                vec![VersionInfo { version: row.version, created: Timestamp(row.value_set), replaced: None }];
            versions.extend(HistoryRow::all_for(snapshot, id)?.into_iter().map(|h| VersionInfo {
                version: h.version,
                created: Timestamp(h.created),
                replaced: Some(Timestamp(h.replaced)),
            }));
            Ok(versions)
        })
    }

    /// Names and current values for an export: every live secret sorted by name, or just the
    /// secrets named in `only` (in that order, each once). A name in `only` that does not exist
    /// fails the whole call with [`Error::NotFound`] naming every missing one; a damaged record
    /// fails it with that record's error, so an export is never silently incomplete.
    pub fn export_entries(&self, only: Option<&[SecretName]>) -> Result<Vec<(SecretName, SecretValue)>> {
        self.read(|snapshot| {
            let records = self.records();
            let Some(only) = only else {
                let mut stmt = snapshot
                    .prepare_cached(&format!("SELECT {} FROM secrets WHERE deleted IS NULL", SecretRow::COLUMNS))?;
                let rows = stmt.query_map([], SecretRow::from_row)?;
                let mut out = Vec::new();
                for row in rows {
                    let row = row?;
                    out.push((records.name(&row)?, records.value(&row)?));
                }
                out.sort_unstable_by(|a, b| name_order(&a.0, &b.0));
                return Ok(out);
            };
            let mut out = Vec::with_capacity(only.len());
            let mut missing = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for name in only.iter().filter(|n| seen.insert(*n)) {
                match live_id_by_index(snapshot, &self.keys.name_index(name.as_str()))? {
                    Some(id) => out.push((name.clone(), records.value(&self.live_row(snapshot, id)?)?)),
                    None => missing.push(name.as_str()),
                }
            }
            if !missing.is_empty() {
                return Err(Error::NotFound { name: missing.join(", ") });
            }
            Ok(out)
        })
    }

    /// Secrets in the trash, most recently deleted first.
    pub fn trash(&self) -> Result<Listing<TrashedSecret>> {
        self.read(|snapshot| {
            let mut stmt = snapshot.prepare_cached(&format!(
                "SELECT {} FROM secrets WHERE deleted IS NOT NULL ORDER BY deleted DESC",
                SecretRow::COLUMNS
            ))?;
            let rows = stmt.query_map([], SecretRow::from_row)?;
            let mut listing = Listing { items: Vec::new(), damaged: Vec::new() };
            for row in rows {
                let row = row?;
                match self.records().meta(&row) {
                    Ok(meta) => {
                        listing.items.push(TrashedSecret { meta, deleted: Timestamp(row.deleted.unwrap_or(0)) })
                    }
                    Err(e) => listing.damaged.push(e),
                }
            }
            Ok(listing)
        })
    }

    // ---- writing -------------------------------------------------------------------------

    /// Creates a secret. Fails if a live secret already has that name.
    pub fn create_secret(&mut self, new: NewSecret) -> Result<Saved> {
        Ok(self.create_many(vec![new])?.remove(0))
    }

    /// Creates several secrets in one transaction: all of them, or none.
    pub fn create_many(&mut self, new: Vec<NewSecret>) -> Result<Vec<Saved>> {
        let mut checked = Vec::with_capacity(new.len());
        for secret in new {
            secret::check_description(&secret.description)?;
            let warnings = secret.value.check()?;
            checked.push((secret, warnings));
        }
        let now = self.clock.now();
        self.write(|vault, tx, mac| {
            let mut saved = Vec::with_capacity(checked.len());
            for (secret, warnings) in checked {
                let meta = vault.insert_secret(tx, mac, &secret, now)?;
                saved.push(Saved { meta, warnings, value_changed: true });
            }
            Ok(saved)
        })
    }

    /// Changes a secret's description and/or value. The version goes up by one only when the
    /// value actually changes; the earlier value goes to the history.
    pub fn update(&mut self, id: SecretId, update: SecretUpdate) -> Result<Saved> {
        if let Some(d) = &update.description {
            secret::check_description(d)?;
        }
        let warnings = match &update.value {
            Some(v) => v.check()?,
            None => Vec::new(),
        };
        let now = self.clock.now();
        self.write(|vault, tx, mac| {
            let (meta, value_changed) = vault.update_secret(tx, mac, id, &update, now)?;
            Ok(Saved { meta, warnings, value_changed })
        })
    }

    /// Brings back the value a secret had at `version`, as a new version.
    pub fn restore_version(&mut self, id: SecretId, version: u32) -> Result<Saved> {
        let value = self.reveal_version(id, version)?;
        self.update(id, SecretUpdate { description: None, value: Some(value) })
    }

    /// Renames a secret. Its id, versions and history stay.
    pub fn rename(&mut self, id: SecretId, new_name: SecretName) -> Result<SecretMeta> {
        let now = self.clock.now();
        self.write(|vault, tx, mac| {
            let old = vault.live_row(tx, id)?;
            vault.rewrite_name(tx, mac, &old, &new_name, now, None)
        })
    }

    /// Moves secrets to the trash, all or none (an unknown id fails the whole call).
    pub fn delete(&mut self, ids: &[SecretId]) -> Result<()> {
        let now = self.clock.now();
        self.write(|vault, tx, mac| {
            for &id in ids {
                let old = vault.live_row(tx, id)?;
                let mut row = old.clone();
                row.deleted = Some(now.0);
                vault.replace_row(tx, mac, &old, &row)?;
            }
            Ok(())
        })
    }

    /// Brings a secret back from the trash, under `new_name` if given. Fails with
    /// [`Error::NameTaken`] if a live secret already uses the name.
    pub fn restore(&mut self, id: SecretId, new_name: Option<SecretName>) -> Result<SecretMeta> {
        let now = self.clock.now();
        self.write(|vault, tx, mac| {
            let old = SecretRow::load(tx, id)?.filter(|r| r.deleted.is_some()).ok_or(Error::NotInTrash)?;
            match new_name {
                Some(name) => vault.rewrite_name(tx, mac, &old, &name, now, Some(None)),
                None => {
                    let name = vault.records().name(&old)?;
                    if live_id_by_index(tx, &old.name_index)?.is_some() {
                        return Err(Error::NameTaken { name: name.to_string() });
                    }
                    let mut row = old.clone();
                    row.deleted = None;
                    vault.replace_row(tx, mac, &old, &row)?;
                    vault.records().meta(&row)
                }
            }
        })
    }

    /// Deletes a trashed secret and its history for good, after a backup.
    pub fn purge(&mut self, id: SecretId) -> Result<()> {
        if !self.salvage {
            self.read(|snapshot| {
                SecretRow::load(snapshot, id)?.filter(|r| r.deleted.is_some()).ok_or(Error::NotInTrash)
            })?;
        }
        self.backup_before(BackupReason::Purge)?;
        self.write(|vault, tx, mac| {
            let row = SecretRow::load(tx, id)?.filter(|r| r.deleted.is_some()).ok_or(Error::NotInTrash)?;
            vault.purge_row(tx, mac, &row)
        })?;
        store::checkpoint(&self.conn);
        Ok(())
    }

    /// Purges everything in the trash, after a backup. Returns how many secrets were purged.
    pub fn empty_trash(&mut self) -> Result<usize> {
        self.purge_trashed_before(None)
    }

    /// Checks `passphrase` against the vault without changing anything (for "current passphrase"
    /// fields). Runs the KDF once.
    pub fn verify_passphrase(&self, passphrase: &Passphrase) -> Result<()> {
        crypto::with_stack_scrubbed(|| {
            let header = store::read_header(&self.conn)?;
            let keys = unwrap_keys(&header, passphrase)?;
            if keys.vault_key().as_bytes() != self.keys.vault_key().as_bytes() {
                return Err(Error::KeyRotatedElsewhere);
            }
            Ok(())
        })
    }

    /// Changes the passphrase: re-wraps the vault key under a new salt (and `kdf`, or the current
    /// parameters), in one transaction. Secret rows are not touched. Runs the KDF once. The
    /// backups holding the same vault key are re-wrapped too (after a backup of the state before),
    /// so that the old passphrase opens nothing that key protects.
    pub fn change_passphrase(&mut self, new: &Passphrase, kdf: Option<KdfParams>) -> Result<()> {
        if new.is_empty() {
            return Err(Error::EmptyPassphrase);
        }
        let kdf = kdf.unwrap_or(self.header.kdf);
        kdf.check_for_new_vault()?;
        self.backup_before(BackupReason::PassphraseChange)?;
        crypto::with_stack_scrubbed(|| {
            let header = wrapped_header(
                self.header.vault_id,
                self.header.key_id,
                new,
                kdf,
                self.keys.vault_key(),
                self.header.created,
            )?;
            self.write(|_, tx, _| store::write_header(tx, &header))?;
            let stuck = backup::rewrap(&self.path, &header);
            if stuck > 0 {
                self.warning =
                    Some(Error::BackupsKeepOldPassphrase { count: stuck, dir: backup::backup_dir(&self.path) });
            }
            self.header = header;
            store::checkpoint(&self.conn);
            Ok(())
        })
    }

    /// Replaces the vault key with a new random one and re-encrypts every record under it, in one
    /// transaction. The passphrase stays the same (`passphrase` is needed to wrap the new key).
    pub fn rotate_key(&mut self, passphrase: &Passphrase) -> Result<()> {
        crypto::with_stack_scrubbed(|| self.rotate_key_unscrubbed(passphrase))
    }

    fn rotate_key_unscrubbed(&mut self, passphrase: &Passphrase) -> Result<()> {
        self.verify_passphrase(passphrase)?;
        self.backup_before(BackupReason::KeyRotation)?;
        let new_key = Key32::random();
        let header = wrapped_header(
            self.header.vault_id,
            crypto::random_bytes(),
            passphrase,
            self.header.kdf,
            &new_key,
            self.header.created,
        )?;
        let new_keys = boxed_keys(new_key);
        let vault_id = self.header.vault_id;
        let new_records = Records { keys: &new_keys, vault_id: &vault_id };
        self.write(|vault, tx, mac| {
            let mut new_mac = records::RecordSetMac::default();
            let old_records = vault.records();
            for old in SecretRow::all(tx)? {
                let name = old_records.name(&old)?;
                let description = old_records.description(&old)?;
                let value = old_records.value(&old)?;
                let mut row = new_records.seal_secret(
                    old.id,
                    &name,
                    &description,
                    &value,
                    RowState {
                        revision: old.revision + 1,
                        version: old.version,
                        created: old.created,
                        modified: old.modified,
                        value_set: old.value_set,
                        deleted: old.deleted,
                    },
                );
                row.name_index = new_keys.name_index(name.as_str());
                row.update(tx)?;
                new_mac.add(new_records.secret_term(&row));
            }
            for old in HistoryRow::all(tx)? {
                let value = old_records.history_value(&old)?;
                let row =
                    new_records.seal_history(old.id, old.secret_id, old.version, old.created, old.replaced, &value);
                row.update(tx)?;
                new_mac.add(new_records.history_term(&row));
            }
            store::write_header(tx, &header)?;
            *mac = new_mac;
            Ok(())
        })?;
        self.header = header;
        self.keys = new_keys;
        store::checkpoint(&self.conn);
        Ok(())
    }

    /// For tests only, not part of the API: caps the vault file at `pages` SQLite pages (`None`:
    /// SQLite's maximum), so that writes fail as they do on a full disk, without filling one. A
    /// cap below the file's size is raised to its size. Returns the cap in effect.
    #[doc(hidden)]
    pub fn limit_file_pages_for_tests(&self, pages: Option<u32>) -> Result<u32> {
        // SQLite takes 0 as a question, not a cap.
        let pages = pages.unwrap_or(u32::MAX - 1).max(1);
        Ok(self.conn.pragma_update_and_check(None, "max_page_count", pages, |r| r.get(0))?)
    }

    // ---- internals -----------------------------------------------------------------------

    /// Inserts a new live secret inside `tx` (checked values only). Fails with
    /// [`Error::NameTaken`] if a live secret already has the name.
    fn insert_secret(
        &self,
        tx: &Connection,
        mac: &mut records::RecordSetMac,
        secret: &NewSecret,
        now: Timestamp,
    ) -> Result<SecretMeta> {
        let name_index = self.keys.name_index(secret.name.as_str());
        if live_id_by_index(tx, &name_index)?.is_some() {
            return Err(Error::NameTaken { name: secret.name.to_string() });
        }
        let row = self.records().seal_secret(
            SecretId(crypto::random_bytes()),
            &secret.name,
            &secret.description,
            &secret.value,
            RowState { revision: 1, version: 1, created: now.0, modified: now.0, value_set: now.0, deleted: None },
        );
        row.insert(tx)?;
        mac.add(self.records().secret_term(&row));
        self.records().meta(&row)
    }

    /// Applies `update` to a live secret inside `tx` (checked values only): the version goes up
    /// and the old value goes to the history only when the value changes. Returns the secret as
    /// stored and whether its value changed.
    fn update_secret(
        &self,
        tx: &Connection,
        mac: &mut records::RecordSetMac,
        id: SecretId,
        update: &SecretUpdate,
        now: Timestamp,
    ) -> Result<(SecretMeta, bool)> {
        let old = self.live_row(tx, id)?;
        let records = self.records();
        let name = records.name(&old)?;
        let old_description = records.description(&old)?;
        let old_value = records.value(&old)?;
        let value_changed = update.value.as_ref().is_some_and(|v| *v != old_value);
        let description = update.description.clone().unwrap_or_else(|| old_description.clone());
        if !value_changed && description == old_description {
            return Ok((records.meta(&old)?, false));
        }
        let value = if value_changed { update.value.as_ref().expect("changed implies present") } else { &old_value };
        let version = if value_changed { old.version + 1 } else { old.version };
        if value_changed {
            self.push_history(tx, mac, &old, &old_value, now)?;
        }
        let row = records.seal_secret(
            id,
            &name,
            &description,
            value,
            RowState {
                revision: old.revision + 1,
                version,
                created: old.created,
                modified: now.0,
                value_set: if value_changed { now.0 } else { old.value_set },
                deleted: None,
            },
        );
        self.replace_row(tx, mac, &old, &row)?;
        Ok((records.meta(&row)?, value_changed))
    }

    /// Runs `change` in one `BEGIN IMMEDIATE` transaction, with the record-set MAC updated by
    /// what it adds and removes. Nothing is written unless everything succeeds.
    fn write<T>(
        &mut self,
        change: impl FnOnce(&Vault, &rusqlite::Transaction<'_>, &mut records::RecordSetMac) -> Result<T>,
    ) -> Result<T> {
        if self.salvage {
            return Err(Error::SalvageReadOnly);
        }
        // Sealing leaves AES round keys on the stack, as opening does (see `read`).
        crypto::with_stack_scrubbed(|| self.write_unscrubbed(change))
    }

    fn write_unscrubbed<T>(
        &mut self,
        change: impl FnOnce(&Vault, &rusqlite::Transaction<'_>, &mut records::RecordSetMac) -> Result<T>,
    ) -> Result<T> {
        let vault = &*self;
        let tx = rusqlite::Transaction::new_unchecked(&vault.conn, TransactionBehavior::Immediate)?;
        let stored_key_id: Vec<u8> = tx.query_row("SELECT key_id FROM vault_header WHERE id = 1", [], |r| r.get(0))?;
        if stored_key_id != self.header.key_id {
            return Err(Error::KeyRotatedElsewhere);
        }
        let mut mac = records::RecordSetMac { value: store::read_record_set_mac(&tx)? };
        let result = change(vault, &tx, &mut mac)?;
        store::write_record_set_mac(&tx, &mac.value)?;
        tx.commit()?;
        Ok(result)
    }

    /// Runs `read` in a read transaction: whatever it reads, in however many statements, comes
    /// from one snapshot of the file, even while another process commits (WAL readers do not
    /// block writers). Refused once another process has rotated the vault key, so that its newer
    /// ciphertext is never reported as damaged records. The stack is scrubbed afterwards, since
    /// decrypting leaves AES round keys there.
    fn read<T>(&self, read: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        crypto::with_stack_scrubbed(|| {
            let snapshot = self.conn.unchecked_transaction()?;
            let stored: Vec<u8> =
                snapshot.query_row("SELECT key_id FROM vault_header WHERE id = 1", [], |r| r.get(0))?;
            if stored != self.header.key_id {
                return Err(Error::KeyRotatedElsewhere);
            }
            read(&snapshot)
        })
    }

    fn live_row(&self, conn: &Connection, id: SecretId) -> Result<SecretRow> {
        SecretRow::load(conn, id)?
            .filter(|r| r.deleted.is_none())
            .ok_or_else(|| Error::NotFound { name: format!("with id {id}") })
    }

    fn replace_row(
        &self,
        tx: &Connection,
        mac: &mut records::RecordSetMac,
        old: &SecretRow,
        new: &SecretRow,
    ) -> Result<()> {
        new.update(tx)?;
        mac.remove(self.records().secret_term(old));
        mac.add(self.records().secret_term(new));
        Ok(())
    }

    /// Re-seals a secret under a new name (rename, or restore under a new name).
    /// `deleted`: `Some(state)` sets the trash state, `None` keeps it.
    fn rewrite_name(
        &self,
        tx: &Connection,
        mac: &mut records::RecordSetMac,
        old: &SecretRow,
        new_name: &SecretName,
        now: Timestamp,
        deleted: Option<Option<i64>>,
    ) -> Result<SecretMeta> {
        let records = self.records();
        let deleted = deleted.unwrap_or(old.deleted);
        let index = self.keys.name_index(new_name.as_str());
        if deleted.is_none() && live_id_by_index(tx, &index)?.is_some_and(|other| other != old.id) {
            return Err(Error::NameTaken { name: new_name.to_string() });
        }
        let row = records.seal_secret(
            old.id,
            new_name,
            &records.description(old)?,
            &records.value(old)?,
            RowState {
                revision: old.revision + 1,
                version: old.version,
                created: old.created,
                modified: now.0,
                value_set: old.value_set,
                deleted,
            },
        );
        self.replace_row(tx, mac, old, &row)?;
        records.meta(&row)
    }

    fn push_history(
        &self,
        tx: &Connection,
        mac: &mut records::RecordSetMac,
        current: &SecretRow,
        current_value: &SecretValue,
        now: Timestamp,
    ) -> Result<()> {
        let entry = self.records().seal_history(
            crypto::random_bytes(),
            current.id,
            current.version,
            current.value_set,
            now.0,
            current_value,
        );
        entry.insert(tx)?;
        mac.add(self.records().history_term(&entry));
        let mut all = HistoryRow::all_for(tx, current.id)?;
        // Newest first: everything past the limit is the oldest, and goes.
        for old in all.drain(HISTORY_LIMIT.min(all.len())..) {
            old.delete(tx)?;
            mac.remove(self.records().history_term(&old));
        }
        Ok(())
    }

    fn purge_row(&self, tx: &Connection, mac: &mut records::RecordSetMac, row: &SecretRow) -> Result<()> {
        for entry in HistoryRow::all_for(tx, row.id)? {
            entry.delete(tx)?;
            mac.remove(self.records().history_term(&entry));
        }
        tx.execute("DELETE FROM secrets WHERE id = ?1", [row.id.as_bytes().as_slice()])?;
        mac.remove(self.records().secret_term(row));
        Ok(())
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

    /// Backs the vault up before an operation that cannot be undone. A failure stops that
    /// operation, with [`Error::BackupFailed`] saying why.
    fn backup_before(&self, reason: BackupReason) -> Result<()> {
        if self.salvage {
            return Err(Error::SalvageReadOnly);
        }
        backup::create(&self.conn, &self.path, reason, self.clock.now())
            .map(|_| ())
            .map_err(|e| e.backup_failed(reason))
    }

    /// Makes a backup now. `Ok(None)`: backups are turned off (see [`backup::set_keep`]).
    pub fn backup_now(&self) -> Result<Option<BackupInfo>> {
        if self.salvage {
            return Err(Error::SalvageReadOnly);
        }
        backup::create(&self.conn, &self.path, BackupReason::Manual, self.clock.now())
    }

    /// Puts the vault at `vault_path` back to the state saved in `backup_path`, and returns it
    /// unlocked. `passphrase` is the backup's: the one the vault had when the backup was made.
    ///
    /// The backup is checked first (it must unlock, pass its integrity check, and belong to this
    /// vault); the current state is then backed up ([`BackupReason::Restore`]), so a restore can
    /// itself be undone; then the backup is copied in through SQLite's backup API, in one
    /// transaction that other processes using the vault see at once. A vault file that is
    /// missing is created; one too damaged to open is moved aside to `<vault>.damaged-<time>`.
    pub fn restore_backup(vault_path: &Path, backup_path: &Path, passphrase: &Passphrase) -> Result<Restored> {
        Self::restore_backup_with_clock(vault_path, backup_path, passphrase, Arc::new(SystemClock))
    }

    pub fn restore_backup_with_clock(
        vault_path: &Path,
        backup_path: &Path,
        passphrase: &Passphrase,
        clock: Arc<dyn Clock>,
    ) -> Result<Restored> {
        crypto::with_stack_scrubbed(|| {
            let source = Vault::unlock_for_salvage(backup_path, passphrase)?;
            source.verify_record_set()?;
            let (mut previous, mut moved_aside) = (None, None);
            match store::open(vault_path).and_then(|conn| Ok((store::read_header(&conn)?, conn))) {
                Ok((current, mut dest)) => {
                    if current.vault_id != source.header.vault_id {
                        return Err(Error::BackupOfAnotherVault);
                    }
                    previous = backup::create_unpruned(&dest, vault_path, BackupReason::Restore, clock.now())
                        .map_err(|e| e.backup_failed(BackupReason::Restore))?;
                    // Into the live file, in one transaction: another process using the vault
                    // sees the restored state at once (a file renamed into place, it would not).
                    backup::copy_into(&source.conn, &mut dest)?;
                    store::checkpoint(&dest);
                }
                // No vault, or one too damaged to open: build the restored file beside it, then
                // put it in place with a rename, so that a crash or a full disk midway leaves
                // the damaged file where it was.
                Err(e @ Error::NoVault { .. })
                | Err(e @ (Error::NotAVault { .. } | Error::CorruptFile { .. } | Error::CorruptHeader { .. })) => {
                    let temp = store::sidecar(vault_path, &format!(".restoring-{}", std::process::id()));
                    store::remove_with_sidecars(&temp);
                    let built = (|| {
                        let mut dest = store::create_empty(&temp)?;
                        backup::copy_into(&source.conn, &mut dest)?;
                        store::checkpoint(&dest);
                        dest.close().map_err(|(_, e)| Error::from(e))?;
                        store::sync_file(&temp)
                    })();
                    if let Err(e) = built {
                        store::remove_with_sidecars(&temp);
                        return Err(e);
                    }
                    if !matches!(e, Error::NoVault { .. }) {
                        let suffix = format!("damaged-{}", backup::file_time(clock.now()));
                        moved_aside = Some(store::move_aside(vault_path, &suffix)?);
                    }
                    std::fs::rename(&temp, vault_path).map_err(|e| {
                        Error::io(format!("cannot put the restored vault at {}", vault_path.display()), e)
                    })?;
                }
                Err(e) => return Err(e),
            }
            // Done: the vault file holds the backup. Only now may the oldest backup go (even the
            // one just restored), and never the one of the state it replaced.
            let Vault { header, keys, conn: source_conn, .. } = source;
            drop(source_conn);
            let keep = backup::keep(vault_path);
            if keep > 0 {
                backup::prune(vault_path, keep, previous.as_ref().map(|b| b.path.as_path()));
            }
            let conn = store::open(vault_path)?;
            let vault = Vault { path: vault_path.to_owned(), conn, header, keys, clock, salvage: false, warning: None };
            vault.verify_record_set()?;
            Ok(Restored { vault, previous, moved_aside })
        })
    }

    fn purge_trashed_before(&mut self, cutoff: Option<Timestamp>) -> Result<usize> {
        let cutoff = cutoff.map_or(i64::MAX, |t| t.0);
        let any: Option<i64> = self
            .conn
            .query_row("SELECT 1 FROM secrets WHERE deleted IS NOT NULL AND deleted < ?1 LIMIT 1", [cutoff], |r| {
                r.get(0)
            })
            .optional()?;
        if any.is_none() {
            return Ok(0);
        }
        self.backup_before(BackupReason::Purge)?;
        let purged = self.write(|vault, tx, mac| {
            let rows = SecretRow::all(tx)?;
            let expired: Vec<_> = rows.into_iter().filter(|r| r.deleted.is_some_and(|d| d < cutoff)).collect();
            for row in &expired {
                vault.purge_row(tx, mac, row)?;
            }
            Ok(expired.len())
        })?;
        store::checkpoint(&self.conn);
        Ok(purged)
    }

    /// Recomputes the record-set MAC over every row and compares it with the stored one. The MAC
    /// and the rows are read from one snapshot: a write another process commits between two of
    /// these reads would otherwise look exactly like tampering.
    fn verify_record_set(&self) -> Result<()> {
        self.read(|snapshot| {
            let stored = store::read_record_set_mac(snapshot)?;
            let mut mac = records::RecordSetMac::default();
            let records = self.records();
            records::for_each_term(snapshot, &records, |term| mac.add(term))?;
            if mac.value != stored {
                return Err(Error::RecordSetTampered);
            }
            Ok(())
        })
    }
}

/// Plaintext bookkeeping of a secret row.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowState {
    pub revision: i64,
    pub version: u32,
    pub created: i64,
    pub modified: i64,
    pub value_set: i64,
    pub deleted: Option<i64>,
}

fn live_id_by_index(conn: &Connection, index: &[u8; 32]) -> Result<Option<SecretId>> {
    Ok(conn
        .query_row("SELECT id FROM secrets WHERE name_index = ?1 AND deleted IS NULL", [index.as_slice()], |r| {
            r.get::<_, Vec<u8>>(0)
        })
        .optional()?
        .and_then(|id| id.try_into().ok().map(SecretId)))
}

/// Names sort case-insensitively, with exact order breaking ties, as a person reads a list.
pub fn name_order(a: &SecretName, b: &SecretName) -> std::cmp::Ordering {
    let (a, b) = (a.as_str(), b.as_str());
    for (x, y) in a.bytes().zip(b.bytes()) {
        let (x, y) = (x.to_ascii_lowercase(), y.to_ascii_lowercase());
        if x != y {
            return x.cmp(&y);
        }
    }
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn wrapped_header(
    vault_id: [u8; 16],
    key_id: [u8; 16],
    passphrase: &Passphrase,
    kdf: KdfParams,
    vault_key: &Key32,
    created: Timestamp,
) -> Result<Header> {
    let mut header = Header {
        vault_id,
        key_id,
        kdf,
        salt: crypto::random_bytes::<{ crypto::SALT_LEN }>().to_vec(),
        wrapped_key: Vec::new(),
        created,
    };
    let kek = crypto::derive_kek(passphrase, &header.salt, kdf)?;
    header.wrapped_key = crypto::wrap_key(&kek, vault_key, &header.wrap_aad());
    Ok(header)
}

/// The keys of a vault, in the box they keep for life. Call only under
/// [`crypto::with_stack_scrubbed`]: building them leaves copies on the stack.
fn boxed_keys(vault_key: Key32) -> Box<VaultKeys> {
    Box::new(VaultKeys::from_vault_key(vault_key))
}

fn unwrap_keys(header: &Header, passphrase: &Passphrase) -> Result<Box<VaultKeys>> {
    // Refuse absurd parameters before Argon2 allocates anything.
    header.kdf.check_caps()?;
    let kek = crypto::derive_kek(passphrase, &header.salt, header.kdf)?;
    let vault_key = crypto::unwrap_key(&kek, &header.wrapped_key, &header.wrap_aad()).ok_or(Error::WrongPassphrase)?;
    Ok(boxed_keys(vault_key))
}

//! The vault file: one SQLite database. This comment is the format's specification.
//!
//! ## Format version 3 (`PRAGMA user_version = 3`)
//!
//! ```sql
//! vault_header(id = 1, vault_id, key_id, key_lineage, kdf_memory_kib, kdf_iterations,
//!              kdf_parallelism, kdf_salt, wrapped_key, created, checksum, record_set)
//! projects(id, name_index, revision, position, is_default, created, modified, deleted, name)
//! environments(id, project_id, name_index, revision, position, created, modified, deleted, name)
//! secrets(id, place, name_index, revision, version, created, modified, value_set, deleted,
//!         history_sum, name, description, value)
//! history(id, secret_id, version, created, replaced, value)
//! ```
//! (exactly the tables and indexes of `SCHEMA_V3`: the schema of an opened file is compared with
//! it, byte for byte, before anything runs; a trigger or view planted in a file would run inside
//! Tresor's connection.)
//!
//! * Places. A project's `id` (random, 16 bytes) is also the id of its project level; an
//!   environment has its own. `secrets.place` is the id of the project level or environment a
//!   secret lives in. Exactly one project has `is_default = 1`: where secrets go when no project
//!   is named (held by id, so a rename changes nothing). `position` orders projects and a
//!   project's environments. `deleted` is NULL, or when the place went to the trash (its secrets
//!   went with it, with a `deleted` time no earlier than theirs and later than any of its secrets
//!   trashed on their own). A place's `name` is sealed like a secret's fields, with AAD =
//!   `"tresor v3 field" ‖ vault_id ‖ table ‖ id ‖ "name" ‖ revision`; its `name_index` is
//!   HMAC(index key, `"project"` ‖ lower-cased name), or `"environment"` ‖ project id ‖ lower-cased
//!   name, unique among live places of its scope (names differ by more than case); a trashed
//!   place's is HMAC(index key, `"trashed place"` ‖ id), so its name is free and not shown.
//! * A secret's `name_index` is HMAC(index key, `"name"` ‖ place ‖ name) (`"trashed name"` for a
//!   trashed one): unique names per place, and the file does not show that two places hold the
//!   same name. The place ids are in the clear: the file shows how many secrets each place holds,
//!   not which place is which.
//! * The record set's `sum` covers every row of `projects` and `environments` too (`rows` counts
//!   them): a place row's term is HMAC(manifest key, `"tresor v3 places"` ‖ table ‖ every column
//!   ‖ its name's nonce and tag), and a secret's term (`"tresor v3 secrets"`) covers its `place`.
//!   A secret moved to another place, a place renamed, reordered, deleted, revived or made the
//!   default behind Tresor's back fails the next unlock.
//!
//! * `vault_id` (16 random bytes) names the vault; `key_id` (16 random bytes) names the current
//!   vault key and changes when the key is rotated or the file migrated, so a second process
//!   still holding the old header stops instead of writing records nobody can read.
//!   `key_lineage` lists (16 bytes each) the earlier ids of the same key, so that a passphrase
//!   change can re-wrap backups made before a migration too.
//! * `wrapped_key` = `nonce ‖ AES-256-GCM(KEK, vault key) ‖ tag`, with KEK = Argon2id(passphrase,
//!   `kdf_salt`, m, t, p) and AAD = `"tresor v2 wrap" ‖ vault_id ‖ key_id ‖ m ‖ t ‖ p ‖ salt ‖
//!   key_lineage`: a header whose parameters, salt or lineage were edited does not unlock.
//! * `checksum` = SHA-256 over every other header field except `record_set`. It is not a
//!   security measure (anyone can recompute it); it tells a damaged header ("the file is
//!   damaged") apart from a wrong passphrase, without storing any passphrase hash.
//! * `secrets.id` and `history.id` are random 128-bit record ids (never SQLite rowids, which are
//!   reused). `name_index` is HMAC(index key, `"name"` ‖ place ‖ name) for a live secret: it
//!   enforces unique live names per place without storing the name; a trashed secret's is
//!   HMAC(index key, `"trashed name"` ‖ place ‖ name), so the file does not show that a trashed
//!   secret and a live one share a name (nor, see Places below, that two places do). `deleted` is NULL for a live secret and the time it went to the trash otherwise.
//! * `revision` is 16 random bytes, new whenever a secret's ciphertexts are rewritten (so it
//!   counts nothing, and never repeats for a record: not across restores, not across migrations).
//! * `name`, `description`, `value` (and `history.value`) are each `nonce ‖ ciphertext ‖ tag`
//!   under the record key, with AAD = `"tresor v2 field" ‖ vault_id ‖ table ‖ record id ‖ field ‖
//!   revision` (history: `‖ secret_id ‖ version`), so a field copied to another row or field, or
//!   an older ciphertext put back in place, fails to open and the error names the record. The
//!   plaintext is padded before sealing: `data ‖ 0x80 ‖ 0x00…` to at least 32 bytes, above that to
//!   the Padmé size classes (`crypto::padded_len`), so a ciphertext's size shows only the class
//!   of the plaintext's length.
//! * `record_set` authenticates the set of rows: `nonce ‖ AES-256-GCM(record key, writes ‖ rows ‖
//!   history_rows ‖ sum) ‖ tag`, AAD = `"tresor v2 record set" ‖ vault_id ‖ key_id`. A row's
//!   term is HMAC(manifest key, row), covering all of its plaintext columns and the nonce and tag
//!   of each of its ciphertexts. `secrets.history_sum` is the XOR of the terms of that secret's
//!   `history` rows (zeros for none); `sum` is the XOR of the terms of every `secrets`,
//!   `projects` and `environments` row (so it covers each history sum too); `rows` counts those
//!   rows and `history_rows` the history's; `writes` counts writes. Each write opens it, updates
//!   it in O(1) and seals it again, in the same transaction. Unlocking recomputes `sum` and `rows`
//!   over every secret and place and counts
//!   the history rows; a secret's history is checked against its `history_sum` whenever it is
//!   read (listed, revealed, restored, re-sealed), and a restore checks every one. (Reading the
//!   history rows at every unlock cost a 100,000-secret vault with five earlier values each
//!   about 0.2 s more.) Sealed, the record set can be neither read nor made up without the vault
//!   key, so combining the rows and headers of any number of old copies (the XOR of three
//!   copies' sums certifies their symmetric difference) gives nothing that opens: a secret row
//!   removed, re-inserted from an old copy, rolled back, or a ciphertext swapped in from another
//!   copy, makes unlocking fail, as does a history row removed or added; a history row rolled
//!   back or swapped makes reading that secret's history fail. The whole file replaced by an
//!   older valid copy of itself (its record set is valid for its rows) is detected outside the
//!   file: the state folder remembers the highest `writes` seen per vault id and canonical path
//!   (`seen.rs`), and a file behind it is refused.
//! * Indexes are not authenticated, and SQLite reads the columns an index holds from the index.
//!   Lookups therefore use an index only to find ids: each row is read from its table by primary
//!   key and checked against the lookup (place, name index, `deleted`, project, `secret_id`)
//!   before use; a mismatch is [`Error::IndexTampered`]. Whether a place holds any secret is read
//!   from the table. `rotate-key` and a restore run `PRAGMA integrity_check` first.
//! * Locks: a process holding a connection never opens and closes another descriptor of the file
//!   or its `-wal`/`-shm` (POSIX locks are per process; see `held.rs`).
//! * Timestamps are milliseconds since the Unix epoch, UTC. Everything in the file outside the
//!   ciphertexts is counts, size classes, versions and timestamps.
//!
//! ## Format version 2 (`PRAGMA user_version = 2`)
//!
//! Read only to migrate it (`migrate.rs`, at unlock, after its own record-set check and a backup;
//! `info` and `--salvage` never migrate the file). No places: no `projects`, `environments` or
//! `secrets.place`; names indexed as HMAC(index key, `"name"` ‖ name); secret terms labelled
//! `"tresor v2 secrets"` without a place. Fields are sealed as in v3, so a migration keeps every
//! ciphertext, puts every secret at the level of a new default project (`Personal`, with
//! development, staging and production) and recomputes the name indexes and the record set, in
//! one transaction under a new key id.
//!
//! ## Format version 1 (`PRAGMA user_version = 1`)
//!
//! Read only to migrate it (`migrate.rs`, at unlock — through v2 to v3 in one transaction;
//! `info` and `--salvage` never migrate the file). Differences from v2: no `key_lineage`;
//! `record_set_mac` instead of `record_set`, in the clear: the plain XOR of HMAC(manifest key,
//! row) with terms that cover no ciphertext (so three old copies forged it); `revision` an integer that went up by one per rewrite (so it
//! repeated after a restore); fields sealed without padding, with `"tresor v1 field"` AADs and a
//! `"tresor v1 wrap"` key-wrap AAD without lineage; live and trashed names under one blind index.
//!
//! Durability: WAL (set when the file is created; an existing file's journal mode is never
//! switched, since that writes to it) with `synchronous=FULL` (a commit that returned survives power loss),
//! `secure_delete=ON` and a checkpoint after purges (deleted ciphertext does not linger in free
//! pages or the WAL), `busy_timeout` so the app and the CLI can share a vault, and every change is
//! one `BEGIN IMMEDIATE` transaction. On a disk too full for the WAL's shared-memory file, a vault
//! is opened with `locking_mode=EXCLUSIVE` instead (no -shm; other processes wait meanwhile), so
//! that it still reads.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use super::crypto;
use super::error::{Error, Result};
use super::held::{self, Hold};
use super::kdf::KdfParams;
use super::secret::Timestamp;

/// The format this build writes and understands.
pub const FORMAT_VERSION: i64 = 3;

pub use super::error::BUSY_TIMEOUT;

/// Format v1's schema, as its files hold it (the schema check compares with it, byte for byte).
pub(crate) const SCHEMA_V1: &str = "
CREATE TABLE vault_header (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    vault_id         BLOB NOT NULL,
    key_id           BLOB NOT NULL,
    kdf_memory_kib   INTEGER NOT NULL,
    kdf_iterations   INTEGER NOT NULL,
    kdf_parallelism  INTEGER NOT NULL,
    kdf_salt         BLOB NOT NULL,
    wrapped_key      BLOB NOT NULL,
    created          INTEGER NOT NULL,
    checksum         BLOB NOT NULL,
    record_set_mac   BLOB NOT NULL
);
CREATE TABLE secrets (
    id           BLOB PRIMARY KEY,
    name_index   BLOB NOT NULL,
    revision     INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    created      INTEGER NOT NULL,
    modified     INTEGER NOT NULL,
    value_set    INTEGER NOT NULL,
    deleted      INTEGER,
    name         BLOB NOT NULL,
    description  BLOB NOT NULL,
    value        BLOB NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX secrets_live_name ON secrets(name_index) WHERE deleted IS NULL;
CREATE INDEX secrets_trash ON secrets(deleted) WHERE deleted IS NOT NULL;
CREATE TABLE history (
    id         BLOB PRIMARY KEY,
    secret_id  BLOB NOT NULL REFERENCES secrets(id),
    version    INTEGER NOT NULL,
    created    INTEGER NOT NULL,
    replaced   INTEGER NOT NULL,
    value      BLOB NOT NULL,
    UNIQUE (secret_id, version)
) WITHOUT ROWID;
";

/// Format v2's schema.
pub(crate) const SCHEMA_V2: &str = "
CREATE TABLE vault_header (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    vault_id         BLOB NOT NULL,
    key_id           BLOB NOT NULL,
    key_lineage      BLOB NOT NULL,
    kdf_memory_kib   INTEGER NOT NULL,
    kdf_iterations   INTEGER NOT NULL,
    kdf_parallelism  INTEGER NOT NULL,
    kdf_salt         BLOB NOT NULL,
    wrapped_key      BLOB NOT NULL,
    created          INTEGER NOT NULL,
    checksum         BLOB NOT NULL,
    record_set       BLOB NOT NULL
);
CREATE TABLE secrets (
    id           BLOB PRIMARY KEY,
    name_index   BLOB NOT NULL,
    revision     BLOB NOT NULL,
    version      INTEGER NOT NULL,
    created      INTEGER NOT NULL,
    modified     INTEGER NOT NULL,
    value_set    INTEGER NOT NULL,
    deleted      INTEGER,
    history_sum  BLOB NOT NULL,
    name         BLOB NOT NULL,
    description  BLOB NOT NULL,
    value        BLOB NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX secrets_live_name ON secrets(name_index) WHERE deleted IS NULL;
CREATE INDEX secrets_trash ON secrets(deleted) WHERE deleted IS NOT NULL;
CREATE INDEX secrets_trash_name ON secrets(name_index) WHERE deleted IS NOT NULL;
CREATE TABLE history (
    id         BLOB PRIMARY KEY,
    secret_id  BLOB NOT NULL REFERENCES secrets(id),
    version    INTEGER NOT NULL,
    created    INTEGER NOT NULL,
    replaced   INTEGER NOT NULL,
    value      BLOB NOT NULL,
    UNIQUE (secret_id, version)
) WITHOUT ROWID;
";

/// Format v3's schema: v2's, with places (projects and their environments) and each secret's.
pub(crate) const SCHEMA_V3: &str = "
CREATE TABLE vault_header (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    vault_id         BLOB NOT NULL,
    key_id           BLOB NOT NULL,
    key_lineage      BLOB NOT NULL,
    kdf_memory_kib   INTEGER NOT NULL,
    kdf_iterations   INTEGER NOT NULL,
    kdf_parallelism  INTEGER NOT NULL,
    kdf_salt         BLOB NOT NULL,
    wrapped_key      BLOB NOT NULL,
    created          INTEGER NOT NULL,
    checksum         BLOB NOT NULL,
    record_set       BLOB NOT NULL
);
CREATE TABLE projects (
    id           BLOB PRIMARY KEY,
    name_index   BLOB NOT NULL,
    revision     BLOB NOT NULL,
    position     INTEGER NOT NULL,
    is_default   INTEGER NOT NULL,
    created      INTEGER NOT NULL,
    modified     INTEGER NOT NULL,
    deleted      INTEGER,
    name         BLOB NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX projects_name ON projects(name_index);
CREATE TABLE environments (
    id           BLOB PRIMARY KEY,
    project_id   BLOB NOT NULL REFERENCES projects(id),
    name_index   BLOB NOT NULL,
    revision     BLOB NOT NULL,
    position     INTEGER NOT NULL,
    created      INTEGER NOT NULL,
    modified     INTEGER NOT NULL,
    deleted      INTEGER,
    name         BLOB NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX environments_name ON environments(name_index);
CREATE TABLE secrets (
    id           BLOB PRIMARY KEY,
    place        BLOB NOT NULL,
    name_index   BLOB NOT NULL,
    revision     BLOB NOT NULL,
    version      INTEGER NOT NULL,
    created      INTEGER NOT NULL,
    modified     INTEGER NOT NULL,
    value_set    INTEGER NOT NULL,
    deleted      INTEGER,
    history_sum  BLOB NOT NULL,
    name         BLOB NOT NULL,
    description  BLOB NOT NULL,
    value        BLOB NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX secrets_live_name ON secrets(name_index) WHERE deleted IS NULL;
CREATE INDEX secrets_place ON secrets(place, deleted);
CREATE INDEX secrets_trash ON secrets(deleted) WHERE deleted IS NOT NULL;
CREATE INDEX secrets_trash_name ON secrets(name_index) WHERE deleted IS NOT NULL;
CREATE TABLE history (
    id         BLOB PRIMARY KEY,
    secret_id  BLOB NOT NULL REFERENCES secrets(id),
    version    INTEGER NOT NULL,
    created    INTEGER NOT NULL,
    replaced   INTEGER NOT NULL,
    value      BLOB NOT NULL,
    UNIQUE (secret_id, version)
) WITHOUT ROWID;
";

/// The vault header as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub vault_id: [u8; 16],
    pub key_id: [u8; 16],
    pub kdf: KdfParams,
    pub salt: Vec<u8>,
    pub wrapped_key: Vec<u8>,
    pub created: Timestamp,
    /// Format v2: the key ids the same vault key had before (a format migration gives the key a
    /// new id), so that a passphrase change also re-wraps the backups made before it. `None`: a
    /// format v1 header, which has no such field and its own wrap AAD and checksum.
    pub lineage: Option<Vec<[u8; 16]>>,
}

impl Header {
    fn lineage_bytes(&self) -> Vec<u8> {
        self.lineage.iter().flatten().flatten().copied().collect()
    }

    /// The AAD of the wrapped vault key: every parameter that shapes the KEK (and, in v2, the
    /// lineage), so that none of them can be altered without the unwrap failing.
    pub fn wrap_aad(&self) -> Vec<u8> {
        let mut aad = if self.lineage.is_some() { b"tresor v2 wrap".to_vec() } else { b"tresor v1 wrap".to_vec() };
        aad.extend_from_slice(&self.vault_id);
        aad.extend_from_slice(&self.key_id);
        for n in [self.kdf.memory_kib, self.kdf.iterations, self.kdf.parallelism] {
            aad.extend_from_slice(&n.to_le_bytes());
        }
        aad.extend_from_slice(&self.salt);
        if self.lineage.is_some() {
            aad.extend_from_slice(&self.lineage_bytes());
        }
        aad
    }

    pub fn checksum(&self) -> [u8; 32] {
        let (label, lineage): (&[u8], Vec<u8>) = match &self.lineage {
            None => (b"tresor v1 header", Vec::new()),
            Some(_) => (b"tresor v2 header", self.lineage_bytes()),
        };
        let (m, t, p) =
            (self.kdf.memory_kib.to_le_bytes(), self.kdf.iterations.to_le_bytes(), self.kdf.parallelism.to_le_bytes());
        let mut parts: Vec<&[u8]> =
            vec![label, &self.vault_id, &self.key_id, &m, &t, &p, &self.salt, &self.wrapped_key];
        let created = self.created.0.to_le_bytes();
        parts.push(&created);
        if self.lineage.is_some() {
            parts.push(&lineage);
        }
        crypto::sha256(&parts)
    }

    /// Whether a file with this header holds the same vault key (same vault, and a key id this
    /// key has or had).
    pub fn same_key_as(&self, other: &Header) -> bool {
        self.vault_id == other.vault_id
            && (self.key_id == other.key_id || self.lineage.iter().flatten().any(|id| *id == other.key_id))
    }
}

/// Creates the vault file (0600, in a 0700 folder on Unix) and its schema, with its first rows
/// (`rows` writes them — the default project and its environments — and returns their sealed
/// record set), in one transaction. Refuses to touch an existing file.
pub(crate) fn create(path: &Path, header: &Header, rows: impl FnOnce(&Connection) -> Result<Vec<u8>>) -> Result<Db> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_private_dir(parent)?;
    }
    check_folder_of(path)?;
    // SQLite would create the file 0644; creating it ourselves first fixes the mode, and SQLite
    // gives its -wal and -shm files the mode of the database. The descriptor is this process's
    // hold on the file (`held.rs`).
    let hold = adopt(path, create_private_file(path)?)?;
    let result = (|| {
        let mut conn = connect(path, false, false)?;
        configure(&conn)?;
        use_wal(&conn)?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(SCHEMA_V3)?;
        let record_set = rows(&tx)?;
        insert_header(&tx, header, &record_set)?;
        tx.pragma_update(None, "user_version", FORMAT_VERSION)?;
        tx.commit()?;
        Ok(conn)
    })();
    match result {
        Ok(conn) => Ok(Db { conn, hold: Some(hold) }),
        Err(e) => {
            // Nothing of value is in a vault that failed to be created: do not leave a half-made
            // file.
            remove_with_sidecars(path);
            Err(e)
        }
    }
}

/// Keeps the descriptor of a file this process just created (see `held.rs`).
fn adopt(path: &Path, file: std::fs::File) -> Result<Hold> {
    held::adopt(path, file).map_err(|e| Error::io(format!("cannot read {}", path.display()), e))
}

/// Writes the v2 header row (a new file, or a migrated one).
pub(crate) fn insert_header(tx: &Connection, header: &Header, record_set: &[u8]) -> Result<()> {
    tx.execute(
        "INSERT INTO vault_header (id, vault_id, key_id, key_lineage, kdf_memory_kib, kdf_iterations,
             kdf_parallelism, kdf_salt, wrapped_key, created, checksum, record_set)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            header.vault_id,
            header.key_id,
            header.lineage_bytes(),
            header.kdf.memory_kib,
            header.kdf.iterations,
            header.kdf.parallelism,
            header.salt,
            header.wrapped_key,
            header.created.0,
            header.checksum(),
            record_set,
        ],
    )?;
    Ok(())
}

/// Refuses a vault in a folder that others can write to, unless it is sticky (like `/tmp`).
fn check_folder_of(path: &Path) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match crate::fs::check_vault_folder(dir) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(crate::fs::Unsafe(reason))) => Err(Error::UnsafeFile { path: path.to_owned(), reason }),
        Err(e) => Err(Error::io(format!("cannot read the folder {}", dir.display()), e)),
    }
}

/// A folder of Tresor's own (the backups folder): created 0700 if missing; refused if it is a
/// symlink, another user's, or writable by others.
pub(crate) fn private_dir(dir: &Path) -> Result<()> {
    create_private_dir(dir)?;
    check_private_dir(dir)
}

/// [`private_dir`]'s check of an existing folder.
pub(crate) fn check_private_dir(dir: &Path) -> Result<()> {
    match crate::fs::check_private_dir(dir) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(crate::fs::Unsafe(reason))) => Err(Error::UnsafeFile { path: dir.to_owned(), reason }),
        Err(e) => Err(Error::io(format!("cannot open the folder {}", dir.display()), e)),
    }
}

/// Creates `dir` (and its parents) 0700 on Unix when it does not exist yet.
pub(crate) fn create_private_dir(dir: &Path) -> Result<()> {
    crate::fs::create_private_dir(dir).map_err(|e| Error::io(format!("cannot create the folder {}", dir.display()), e))
}

/// Creates a new empty file, 0600 on Unix. Fails with [`Error::AlreadyExists`] if there is one.
pub(crate) fn create_private_file(path: &Path) -> Result<std::fs::File> {
    crate::fs::create_private_file(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Error::AlreadyExists { path: path.to_owned() }
        } else {
            Error::io(format!("cannot create {}", path.display()), e)
        }
    })
}

/// A new, empty 0600 database file at `path` in WAL mode, for a backup to be restored into.
pub(crate) fn create_empty(path: &Path) -> Result<Db> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_private_dir(parent)?;
    }
    let hold = adopt(path, create_private_file(path)?)?;
    let conn = connect(path, false, false)?;
    configure(&conn)?;
    use_wal(&conn)?;
    Ok(Db { conn, hold: Some(hold) })
}

/// Renames the file at `path` (and its -wal, if any) to `<path>.<suffix>`, keeping it.
pub(crate) fn move_aside(path: &Path, suffix: &str) -> Result<PathBuf> {
    let aside = sidecar(path, &format!(".{suffix}"));
    std::fs::rename(path, &aside).map_err(|e| Error::io(format!("cannot move {} aside", path.display()), e))?;
    let wal = sidecar(path, "-wal");
    if wal.exists() {
        let _ = std::fs::rename(&wal, sidecar(&aside, "-wal"));
    }
    let _ = std::fs::remove_file(sidecar(path, "-shm"));
    Ok(aside)
}

/// Flushes a file's contents to the disk.
pub(crate) fn sync_file(path: &Path) -> Result<()> {
    crate::fs::sync_file(path).map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
}

pub(crate) fn remove_with_sidecars(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(sidecar(path, suffix));
    }
}

pub(crate) use super::held::sidecar;

/// An open vault file: its SQLite connection, and this process's hold on the file (see
/// `held.rs`: no other descriptor of the file is closed while a connection is open). The fields
/// drop in this order, so the connection closes before the hold lets go of the file.
pub struct Db {
    conn: Connection,
    hold: Option<Hold>,
}

impl std::ops::Deref for Db {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl std::ops::DerefMut for Db {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("hold", &self.hold).finish()
    }
}

impl Db {
    /// Closes the connection (reporting what SQLite says), then lets go of the file. A
    /// connection that fails to close is still open: its hold is kept for the process's life,
    /// since closing the descriptor would drop that connection's locks.
    pub(crate) fn close(self) -> Result<()> {
        let Db { conn, hold } = self;
        match conn.close() {
            Ok(()) => {
                drop(hold);
                Ok(())
            }
            Err((conn, e)) => {
                std::mem::forget(conn);
                std::mem::forget(hold);
                Err(Error::from(e))
            }
        }
    }
}

/// The first `n` bytes of `file`, read at offset 0 without moving its offset.
fn read_prefix(file: &std::fs::File, n: usize) -> std::io::Result<Vec<u8>> {
    let mut buf = vec![0u8; n];
    let mut filled = 0;
    while filled < n {
        #[cfg(unix)]
        let read = std::os::unix::fs::FileExt::read_at(file, &mut buf[filled..], filled as u64)?;
        #[cfg(windows)]
        let read = std::os::windows::fs::FileExt::seek_read(file, &mut buf[filled..], filled as u64)?;
        if read == 0 {
            break;
        }
        filled += read;
    }
    buf.truncate(filled);
    Ok(buf)
}

/// Opens an existing vault file, after making sure it is one, without modifying anything that
/// is not a Tresor vault.
pub fn open(path: &Path) -> Result<Db> {
    // The descriptor checked here is the one this process keeps while any connection has the
    // file open (`held.rs`): a vault this process has open already is not opened again.
    let hold = match held::hold(path) {
        Ok(Ok(hold)) => hold,
        Ok(Err(crate::fs::Unsafe(reason))) => return Err(Error::UnsafeFile { path: path.to_owned(), reason }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Error::NoVault { path: path.to_owned() }),
        Err(e) => return Err(Error::io(format!("cannot open {}", path.display()), e)),
    };
    check_folder_of(path)?;
    let magic = read_prefix(hold.file(), 16).map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    let not_a_vault = |reason: &str| Error::NotAVault { path: path.to_owned(), reason: reason.to_owned() };
    if magic.is_empty() {
        return Err(not_a_vault("the file is empty"));
    }
    if magic.as_slice() != b"SQLite format 3\0" {
        return Err(not_a_vault("it is not an SQLite database"));
    }
    // A -wal file already beside the database (another program's, or left by a crash) holds
    // committed pages, and closing the last connection would checkpoint them into the main file.
    // Until the file is known to be a vault this build may write, closing must not do that: a
    // file that is refused is left exactly as it was.
    // SQLite's files beside the vault are used as they are (a -wal is applied, a hot -journal
    // rolled back): in a shared sticky folder, one planted by another user must not be. They are
    // checked with lstat, never opened here: closing a descriptor of the -shm would drop the
    // locks of this process's other connections to the vault.
    for suffix in ["-wal", "-journal", "-shm"] {
        let side = sidecar(path, suffix);
        if let Ok(Err(crate::fs::Unsafe(reason))) = crate::fs::check_private_entry(&side) {
            return Err(Error::UnsafeFile { path: side, reason });
        }
    }
    let existing_wal = sidecar(path, "-wal").exists();
    let mut conn = connect(path, existing_wal, false)?;
    let has_header = match has_vault_header(&conn) {
        Err(e) if no_room_for_shared_memory(&e) => {
            drop(conn);
            conn = connect(path, existing_wal, true)?;
            has_vault_header(&conn)?
        }
        result => result?,
    };
    let version = format_version(&conn)?;
    if !has_header {
        return Err(not_a_vault("it is an SQLite database without Tresor's tables"));
    }
    if version > FORMAT_VERSION {
        return Err(Error::NewerFormat { found: version, supported: FORMAT_VERSION });
    }
    if version < 1 {
        return Err(Error::CorruptFile { detail: format!("unknown format version {version}") });
    }
    // Before anything else runs in this connection: a trigger or view planted in the file would
    // run inside it.
    check_schema(&conn, version)?;
    // The file SQLite opened by path is the one checked above, not one swapped in meanwhile.
    let checked = hold.file().metadata().map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    match std::fs::symlink_metadata(path) {
        Ok(now) if crate::fs::same_file(&checked, &now) => {}
        _ => {
            return Err(Error::UnsafeFile {
                path: path.to_owned(),
                reason: "it was replaced while being opened".into(),
            });
        }
    }
    if existing_wal {
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, false)?;
    }
    configure(&conn)?;
    // Older formats migrate at unlock (migrate.rs), which needs the vault key.
    Ok(Db { conn, hold: Some(hold) })
}

/// A copy of the database behind `conn` in memory (to read a file of an older format through
/// a migrated copy, without writing to the file).
pub(crate) fn copy_to_memory(conn: &Connection) -> Result<Db> {
    let mut memory = Connection::open_in_memory()?;
    harden(&memory)?;
    rusqlite::backup::Backup::new(conn, &mut memory)?.run_to_completion(i32::MAX, Duration::ZERO, None)?;
    configure(&memory)?;
    Ok(Db { conn: memory, hold: None })
}

/// The format version the file says it has (`PRAGMA user_version`).
pub fn format_version(conn: &Connection) -> Result<i64> {
    Ok(conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
}

/// One table or index as SQLite records it: (type, name, table, SQL text).
type SchemaEntry = (String, String, String, Option<String>);

/// Every table and index of a schema.
fn schema_entries(conn: &Connection) -> Result<Vec<SchemaEntry>> {
    let mut stmt = conn.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Compares the file's schema with the one its format version has, entry for entry and byte for
/// byte: an extra trigger, view, table, index or column is refused before anything runs.
fn check_schema(conn: &Connection, version: i64) -> Result<()> {
    let expected_sql = match version {
        1 => SCHEMA_V1,
        2 => SCHEMA_V2,
        _ => SCHEMA_V3,
    };
    let reference = Connection::open_in_memory()?;
    reference.execute_batch(expected_sql)?;
    let expected = schema_entries(&reference)?;
    let found = schema_entries(conn)?;
    if found != expected {
        let unexpected: Vec<String> = found
            .iter()
            .filter(|e| !expected.contains(e))
            .map(|(kind, name, ..)| format!("{kind} {name}"))
            .chain(expected.iter().filter(|e| !found.contains(e)).map(|(kind, name, ..)| format!("no {kind} {name}")))
            .collect();
        return Err(Error::UnexpectedSchema { detail: unexpected.join(", ") });
    }
    Ok(())
}

/// A connection to an existing file. `keep_wal`: closing it must not checkpoint a -wal file
/// that was already there (see [`open`]).
///
/// `exclusive`: without the shared-memory index (-shm) through which processes share a WAL
/// database, for when the disk is too full to create it. Without this, a full disk would make
/// the vault unreadable, not just unwritable. The price: until this connection closes, no other
/// process can open the vault (it waits, then gives up).
fn connect(path: &Path, keep_wal: bool, exclusive: bool) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_NOFOLLOW,
    )?;
    if keep_wal {
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)?;
    }
    if exclusive {
        // Only effective before the first read: SQLite then keeps the WAL index in memory.
        conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
    }
    harden(&conn)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(conn)
}

/// Settings that must be in force before the first query on a file that may be hostile:
/// functions with side effects may not run from the schema (triggers, views), and the schema
/// itself may not be written through pragmas that bypass SQLite's checks.
pub(crate) fn harden(conn: &Connection) -> Result<()> {
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    Ok(())
}

/// The first read of a connection, which opens the WAL and its shared-memory index.
fn has_vault_header(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'vault_header'", [], |r| {
        r.get::<_, i64>(0)
    })
    .map(|n| n == 1)
}

/// Whether SQLite could not create or grow the -shm file (on Unix: no space left for it).
fn no_room_for_shared_memory(e: &rusqlite::Error) -> bool {
    use rusqlite::ffi;
    matches!(e.sqlite_error(), Some(f) if [ffi::SQLITE_IOERR_SHMSIZE, ffi::SQLITE_IOERR_SHMOPEN, ffi::SQLITE_IOERR_SHMMAP]
        .contains(&f.extended_code))
}

/// Puts a new file in WAL mode, which SQLite then records in the file itself. An existing file is
/// never switched: that writes its header, and a file must not be written before it is known to
/// be a vault this build may write. (A vault someone switched to a rollback journal keeps
/// working in it, as durably, just with less concurrency.)
fn use_wal(conn: &Connection) -> Result<()> {
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::CorruptFile { detail: format!("cannot switch the journal to WAL (got {mode})") });
    }
    Ok(())
}

/// The pragmas every connection runs with (see the module docs for why). None writes to the file.
fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Up to 64 MiB of page cache (ciphertext only), allocated as pages are read: a 100k-secret
    // vault's pages stay in memory, so listing it twice does not read the file twice, and an
    // import that updates half of them does not read a page twice (7 % of its time).
    conn.pragma_update(None, "cache_size", -64 * 1024)?;
    Ok(())
}

/// Reads and checks the header (of either format). A header that does not match its checksum is
/// damaged.
pub fn read_header(conn: &Connection) -> Result<Header> {
    let v1 = format_version(conn)? == 1;
    let lineage_column = if v1 { "NULL" } else { "key_lineage" };
    let row = conn
        .query_row(
            &format!(
                "SELECT vault_id, key_id, kdf_memory_kib, kdf_iterations, kdf_parallelism, kdf_salt, wrapped_key,
                        created, checksum, {lineage_column}
                 FROM vault_header WHERE id = 1"
            ),
            [],
            |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, Vec<u8>>(5)?,
                    r.get::<_, Vec<u8>>(6)?,
                    r.get::<_, i64>(7)?,
                    r.get::<_, Vec<u8>>(8)?,
                    r.get::<_, Option<Vec<u8>>>(9)?,
                ))
            },
        )
        .optional()
        .map_err(|e| match Error::from(e) {
            // A busy file, a full disk or an I/O error is not a damaged header.
            Error::Database(e) => Error::CorruptHeader { detail: format!("unreadable: {e}") },
            other => other,
        })?
        .ok_or_else(|| Error::CorruptHeader { detail: "the header row is missing".into() })?;
    let (vault_id, key_id, m, t, p, salt, wrapped_key, created, checksum, lineage) = row;
    let damaged = |what: &str| Error::CorruptHeader { detail: what.to_owned() };
    let to_u32 = |n: i64, what: &str| u32::try_from(n).map_err(|_| damaged(what));
    let header = Header {
        vault_id: vault_id.try_into().map_err(|_| damaged("bad vault id"))?,
        key_id: key_id.try_into().map_err(|_| damaged("bad key id"))?,
        kdf: KdfParams {
            memory_kib: to_u32(m, "bad KDF memory")?,
            iterations: to_u32(t, "bad KDF iterations")?,
            parallelism: to_u32(p, "bad KDF parallelism")?,
        },
        salt,
        wrapped_key,
        created: Timestamp(created),
        lineage: match lineage {
            None if v1 => None,
            None => return Err(damaged("bad key lineage")),
            Some(bytes) if bytes.len() % 16 != 0 => return Err(damaged("bad key lineage")),
            Some(bytes) => Some(bytes.chunks(16).map(|c| c.try_into().expect("16 bytes")).collect()),
        },
    };
    if header.checksum().as_slice() != checksum.as_slice() {
        return Err(damaged("checksum mismatch"));
    }
    Ok(header)
}

/// Replaces the key-related header fields (passphrase change, key rotation) in `tx`, in the
/// header's own format.
pub fn write_header(tx: &Connection, header: &Header) -> Result<()> {
    if header.lineage.is_some() {
        tx.execute("UPDATE vault_header SET key_lineage = ?1 WHERE id = 1", [header.lineage_bytes()])?;
    }
    tx.execute(
        "UPDATE vault_header SET key_id = ?1, kdf_memory_kib = ?2, kdf_iterations = ?3, kdf_parallelism = ?4,
             kdf_salt = ?5, wrapped_key = ?6, checksum = ?7 WHERE id = 1",
        params![
            header.key_id,
            header.kdf.memory_kib,
            header.kdf.iterations,
            header.kdf.parallelism,
            header.salt,
            header.wrapped_key,
            header.checksum(),
        ],
    )?;
    Ok(())
}

/// SQLite's own check of the whole file: every page, and every index against its table (an
/// edited index entry, which nothing else authenticates, shows here). Slow on a large file (it
/// reads everything): run before operations that re-seal or copy the whole file.
pub fn integrity_check(conn: &Connection) -> Result<()> {
    let mut stmt = conn.prepare("PRAGMA integrity_check(5)")?;
    let lines: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    if lines.len() == 1 && lines[0] == "ok" {
        return Ok(());
    }
    Err(Error::CorruptFile { detail: format!("SQLite's integrity check: {}", lines.join("; ")) })
}

/// The id of the key the file's records are sealed under (changes when the key is rotated).
pub fn read_key_id(conn: &Connection) -> Result<Vec<u8>> {
    Ok(conn.query_row("SELECT key_id FROM vault_header WHERE id = 1", [], |r| r.get(0))?)
}

/// The sealed record set (format v2; see `records::RecordSet`).
pub fn read_record_set(conn: &Connection) -> Result<Vec<u8>> {
    let value: rusqlite::types::Value =
        conn.query_row("SELECT record_set FROM vault_header WHERE id = 1", [], |r| r.get(0))?;
    match value {
        rusqlite::types::Value::Blob(bytes) => Ok(bytes),
        _ => Err(Error::RecordSetTampered),
    }
}

pub fn write_record_set(conn: &Connection, sealed: &[u8]) -> Result<()> {
    conn.execute("UPDATE vault_header SET record_set = ?1 WHERE id = 1", [sealed])?;
    Ok(())
}

/// Moves everything in the WAL into the database and truncates the WAL, so that purged
/// ciphertext does not linger there. Best effort: a reader elsewhere may hold the WAL open.
pub fn checkpoint(conn: &Connection) {
    let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
}

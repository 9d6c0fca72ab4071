//! Opening and creating vault files: [`Db`] (a connection and this process's hold on the file),
//! the checks made before SQLite opens a file, and the pragmas every connection runs with.

use std::path::Path;
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};

use super::super::error::{BUSY_TIMEOUT, Error, Result};
use super::super::held::{self, Hold};
use super::FORMAT_VERSION;
use super::files::{check_folder_of, create_private_dir, create_private_file, remove_with_sidecars, sidecar};
use super::header::{Header, insert_header};
use super::schema::{SCHEMA_V3, check_schema, format_version};

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
    /// The device and inode numbers of the file it has open (`None` for a database in memory).
    pub(crate) fn file_key(&self) -> Option<held::FileKey> {
        self.hold.as_ref().map(Hold::key)
    }

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
    if magic.as_slice() != crate::vault::held::SQLITE_MAGIC {
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

/// A copy of the database behind `conn` in memory (to read a file of an older format through
/// a migrated copy, without writing to the file).
pub(crate) fn copy_to_memory(conn: &Connection) -> Result<Db> {
    let mut memory = Connection::open_in_memory()?;
    harden(&memory)?;
    rusqlite::backup::Backup::new(conn, &mut memory)?.run_to_completion(i32::MAX, Duration::ZERO, None)?;
    configure(&memory)?;
    Ok(Db { conn: memory, hold: None })
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
pub(super) fn harden(conn: &Connection) -> Result<()> {
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

/// Moves everything in the WAL into the database and truncates the WAL, so that purged
/// ciphertext does not linger there. Best effort: a reader elsewhere may hold the WAL open.
pub fn checkpoint(conn: &Connection) {
    let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
}

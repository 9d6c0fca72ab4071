//! The vault files this process has open, and the one descriptor it keeps of each.
//!
//! SQLite's locks on a database file and on its shared-memory file (`-shm`) are POSIX record
//! locks, and those belong to the *process*: closing any descriptor of the file in the process
//! drops every lock the process holds on it, those of connections still open included
//! (sqlite.org/howtocorrupt.html, section 2.2). Another process then believes it is alone with
//! the file: its closing connection checkpoints and deletes the WAL that this one still writes
//! to, or it rebuilds the shared memory under it, and from then on each side loses the other's
//! writes.
//!
//! So, while a connection to a vault file is open in this process, nothing here opens and closes
//! another descriptor of it:
//! - the descriptor that was checked before SQLite opened the file (a regular file, this user's,
//!   not a symlink) is kept in this registry, shared by every connection of the process to that
//!   file (found by device and inode), and closed only once the last of them has closed;
//! - the files beside it (`-wal`, `-shm`, `-journal`) are only looked at with `lstat`, never
//!   opened outside SQLite;
//! - other code that reads or replaces files a user names (an import, an export) asks
//!   [`is_open_vault_file`] first and refuses such a file.

use std::collections::HashMap;
use std::fs::{File, Metadata};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::fs::Unsafe;

/// A file is known by its device and inode: a second path to it (a hard link, `..`) is the same.
pub(crate) type FileKey = (u64, u64);

struct Entry {
    file: Arc<File>,
    connections: usize,
    path: PathBuf,
    /// Descriptors of the same file opened by a race (the path pointed elsewhere when it was
    /// looked up): kept, never closed while the file is held, closed with `file`.
    extra: Vec<File>,
}

static HELD: Mutex<Option<HashMap<FileKey, Entry>>> = Mutex::new(None);

fn held() -> std::sync::MutexGuard<'static, Option<HashMap<FileKey, Entry>>> {
    // A panic elsewhere while the lock was taken leaves the map as it was: still right.
    HELD.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(unix)]
fn key_of(meta: &Metadata) -> FileKey {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn key_of(_: &Metadata) -> FileKey {
    (0, 0)
}

/// One connection's share of this process's descriptor of a vault file. Dropping the last one
/// closes the descriptor: drop it only after the connection has closed.
pub(crate) struct Hold {
    key: FileKey,
    /// Always `Some` until dropped (taken under the registry's lock, see `Drop`).
    file: Option<Arc<File>>,
}

impl std::fmt::Debug for Hold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hold").field("key", &self.key).finish()
    }
}

impl Hold {
    /// The file's device and inode numbers.
    pub fn key(&self) -> FileKey {
        self.key
    }

    /// The checked descriptor (read it with positioned reads: its offset is shared).
    pub fn file(&self) -> &File {
        self.file.as_deref().expect("held until dropped")
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        // Everything under the lock: a thread opening the same file meanwhile must not get a
        // new descriptor and its locks before this one is closed (closing it would drop them).
        let mut map = held();
        drop(self.file.take());
        let Some(map) = map.as_mut() else { return };
        if let Some(entry) = map.get_mut(&self.key) {
            entry.connections -= 1;
            if entry.connections == 0 {
                map.remove(&self.key);
            }
        }
    }
}

/// A share of this process's descriptor of the existing file at `path`: the one already held if
/// any connection of this process has the file open (nothing is opened then), else a new one,
/// opened without following a symlink and checked ([`crate::fs::open_private_file`]).
/// `Ok(Err(_))`: the file is there but unsafe.
pub(crate) fn hold(path: &Path) -> io::Result<Result<Hold, Unsafe>> {
    let mut map = held();
    let map = map.get_or_insert_with(HashMap::new);
    if let Ok(meta) = std::fs::symlink_metadata(path)
        && let Some(entry) = map.get_mut(&key_of(&meta))
    {
        entry.connections += 1;
        return Ok(Ok(Hold { key: key_of(&meta), file: Some(entry.file.clone()) }));
    }
    let file = match crate::fs::open_private_file(path)? {
        Ok(file) => file,
        Err(reason) => return Ok(Err(reason)),
    };
    Ok(Ok(register(map, path, file)?))
}

/// Keeps `file`, just created at `path` by this process, as the descriptor its connections share.
pub(crate) fn adopt(path: &Path, file: File) -> io::Result<Hold> {
    let mut map = held();
    register(map.get_or_insert_with(HashMap::new), path, file)
}

fn register(map: &mut HashMap<FileKey, Entry>, path: &Path, file: File) -> io::Result<Hold> {
    let key = key_of(&file.metadata()?);
    match map.get_mut(&key) {
        // Held already (the path named another file when `hold` looked): closing this new
        // descriptor would drop the locks of the connections that hold the file.
        Some(entry) => {
            entry.extra.push(file);
            entry.connections += 1;
            Ok(Hold { key, file: Some(entry.file.clone()) })
        }
        None => {
            let file = Arc::new(file);
            let entry = Entry { file: file.clone(), connections: 1, path: path.to_owned(), extra: Vec::new() };
            map.insert(key, entry);
            Ok(Hold { key, file: Some(file) })
        }
    }
}

/// The first 16 bytes of every SQLite database, hence of every vault file.
pub const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Whether `path` names a vault file that a connection of this process has open, or one of
/// SQLite's files beside it (`-wal`, `-shm`, `-journal`): reading or replacing it through
/// another descriptor would break that connection's locks. Both the entry itself (`lstat`) and
/// the file a symbolic link leads to (`stat`, which opens nothing) are compared.
pub fn is_open_vault_file(path: &Path) -> bool {
    let wanted: Vec<_> = [std::fs::symlink_metadata(path), std::fs::metadata(path)]
        .into_iter()
        .flatten()
        .map(|meta| key_of(&meta))
        .collect();
    if wanted.is_empty() {
        return false;
    }
    let map = held();
    let Some(map) = map.as_ref() else { return false };
    map.iter().any(|(key, entry)| {
        wanted.contains(key)
            || ["-wal", "-shm", "-journal"].iter().any(|suffix| {
                std::fs::symlink_metadata(sidecar(&entry.path, suffix))
                    .is_ok_and(|side| wanted.contains(&key_of(&side)))
            })
    })
}

/// How many connections of this process hold the file at `path` (for tests).
#[cfg(feature = "test-support")]
pub fn connections_to(path: &Path) -> usize {
    let Ok(meta) = std::fs::symlink_metadata(path) else { return 0 };
    held().as_ref().and_then(|map| map.get(&key_of(&meta))).map_or(0, |e| e.connections)
}

/// The path of one of SQLite's files beside the database: `-wal`, `-shm`, `-journal`.
pub(crate) fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

//! The per-user state folder: what Tresor remembers outside every vault's folder, so that
//! someone who can write only there (a synced folder, a cloned repository, a backup drive) can
//! neither forge it nor wind it back. It holds, one small file each:
//! - `vaults/`: for each vault file (vault id and canonical path), the newest state Tresor has
//!   seen it in (see `vault/seen.rs`), so that an older copy put in its place is noticed;
//! - `trusted/`: the `tresor.toml` files the user has trusted (path and content hash).
//!
//! Where: `$TRESOR_STATE_DIR` if set, else the platform's state folder (`$XDG_STATE_HOME/tresor`,
//! by default `~/.local/state/tresor`; the local data folder where a platform has no state
//! folder). Created 0700; refused if it is a symlink, another user's, or writable by others.
//! Files are written whole (temporary file, fsync, rename); read-modify-write sequences take the
//! folder's lock file (`flock`), since the app and any number of commands share it.

use std::io;
use std::path::{Path, PathBuf};

/// The variable that puts the state folder elsewhere (tests set it; so can a user).
pub const ENV: &str = "TRESOR_STATE_DIR";

/// Why the state folder cannot be used, in words for a warning.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("there is no state folder for Tresor on this system (set {ENV})")]
    NoFolder,
    /// Test builds only, without a folder named: nothing is remembered (see [`dir`]).
    #[error("this test build keeps no state (set {ENV})")]
    Disabled,
    #[error("cannot use the state folder {}: {reason}", path.display())]
    Unsafe { path: PathBuf, reason: String },
    #[error("cannot use the state folder {}: {}", path.display(), crate::fs::io_reason(source))]
    Io { path: PathBuf, source: io::Error },
}

/// The state folder's path (not created).
///
/// Test builds (the `test-support` feature) never touch the real home: without a folder named by
/// [`use_folder_for_tests`] or `TRESOR_STATE_DIR`, they keep no state at all
/// ([`StateError::Disabled`], which callers take as "nothing remembered", silently), so that the
/// many tests that copy one vault do not see each other's records.
pub fn dir() -> Result<PathBuf, StateError> {
    #[cfg(feature = "test-support")]
    if let Some(dir) = TEST_FOLDER.lock().unwrap_or_else(|p| p.into_inner()).clone() {
        return Ok(dir);
    }
    if let Some(dir) = std::env::var_os(ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    #[cfg(feature = "test-support")]
    return Err(StateError::Disabled);
    #[allow(unreachable_code)] // after the test builds' early return above
    directories::ProjectDirs::from("", "", "tresor")
        .map(|d| d.state_dir().map_or_else(|| d.data_local_dir().join("state"), Path::to_path_buf))
        .ok_or(StateError::NoFolder)
}

#[cfg(feature = "test-support")]
static TEST_FOLDER: std::sync::Mutex<Option<PathBuf>> = std::sync::Mutex::new(None);

/// For tests only, not part of the API: the state folder of this whole process (tests that run
/// in one process cannot safely set an environment variable).
#[cfg(feature = "test-support")]
pub fn use_folder_for_tests(dir: Option<PathBuf>) {
    *TEST_FOLDER.lock().unwrap_or_else(|p| p.into_inner()) = dir;
}

/// The state folder's sub-folder `name` (`vaults`, `trusted`), created 0700 and checked.
pub fn folder(name: &str) -> Result<PathBuf, StateError> {
    let root = dir()?;
    for dir in [root.clone(), root.join(name)] {
        crate::fs::create_private_dir(&dir).map_err(|source| StateError::Io { path: dir.clone(), source })?;
        match crate::fs::check_private_dir(&dir) {
            Ok(Ok(())) => {}
            Ok(Err(crate::fs::Unsafe(reason))) => return Err(StateError::Unsafe { path: dir, reason }),
            Err(source) => return Err(StateError::Io { path: dir, source }),
        }
    }
    Ok(root.join(name))
}

/// The contents of the file at `path` in the state folder; `None` if there is none. A file that
/// is not the user's own (a symlink, another user's, writable by others) is an error.
pub fn read(path: &Path) -> Result<Option<Vec<u8>>, StateError> {
    use std::io::Read;
    let mut file = match crate::fs::open_private_file(path) {
        Ok(Ok(file)) => file,
        Ok(Err(crate::fs::Unsafe(reason))) => return Err(StateError::Unsafe { path: path.to_owned(), reason }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(StateError::Io { path: path.to_owned(), source }),
    };
    let mut bytes = Vec::new();
    // Records are small; a huge file is not one of ours.
    file.by_ref()
        .take(1 << 20)
        .read_to_end(&mut bytes)
        .map_err(|source| StateError::Io { path: path.to_owned(), source })?;
    Ok(Some(bytes))
}

/// Replaces the file at `path` in the state folder with `bytes`, whole or not at all, durably
/// (flushed to the disk before it takes the old one's place).
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), StateError> {
    crate::fs::write_private_file(path, bytes, true).map_err(|source| StateError::Io { path: path.to_owned(), source })
}

/// [`write`] without waiting for the disk: whole or not at all (a rename), but a crash may lose
/// it. For a record that only ever goes up, where losing the last raise is safe (it is then
/// merely behind) and waiting for the disk at every write of the vault is not worth it.
pub fn write_soon(path: &Path, bytes: &[u8]) -> Result<(), StateError> {
    crate::fs::replace_private_file_unsynced(path, bytes)
        .map_err(|source| StateError::Io { path: path.to_owned(), source })
}

/// Removes the file at `path` in the state folder (none there: nothing to do).
pub fn remove(path: &Path) -> Result<(), StateError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(StateError::Io { path: path.to_owned(), source: e }),
        _ => Ok(()),
    }
}

/// The state folder's lock, held while it lives: read-modify-write sequences of the app and of
/// commands running at once do not lose each other's updates.
pub struct Lock {
    _file: Option<std::fs::File>,
    /// A named lock ([`lock_named`]): its name, to count down on drop.
    name: Option<String>,
    /// Counted in the thread that took it: dropped there too.
    _here: std::marker::PhantomData<*const ()>,
}

thread_local! {
    /// The named locks this thread holds: each one's file and how many [`Lock`]s stand for it.
    static HELD: std::cell::RefCell<std::collections::HashMap<String, (std::fs::File, usize)>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

impl Drop for Lock {
    fn drop(&mut self) {
        if let Some(name) = self.name.take() {
            HELD.with(|held| {
                let mut held = held.borrow_mut();
                if let Some((_, count)) = held.get_mut(&name) {
                    *count -= 1;
                    if *count == 0 {
                        // Closing the file lets the lock go.
                        held.remove(&name);
                    }
                }
            });
        }
    }
}

/// Takes the state folder's lock (waits for another process holding it).
pub fn lock() -> Result<Lock, StateError> {
    Ok(Lock { _file: Some(lock_file("lock")?), name: None, _here: std::marker::PhantomData })
}

/// Takes a lock of its own, `NAME.lock` (a sync of one vault: long, and taking the folder's lock
/// inside it). Re-entrant in one thread: a step that takes it inside another holding it (a sync
/// run by a passphrase change that holds it from before its commit) goes on; another thread or
/// process waits.
pub fn lock_named(name: &str) -> Result<Lock, StateError> {
    let name = format!("{name}.lock");
    let again = HELD.with(|held| match held.borrow_mut().get_mut(&name) {
        Some((_, count)) => {
            *count += 1;
            true
        }
        None => false,
    });
    if !again {
        let file = lock_file(&name)?;
        HELD.with(|held| held.borrow_mut().insert(name.clone(), (file, 1)));
    }
    Ok(Lock { _file: None, name: Some(name), _here: std::marker::PhantomData })
}

fn lock_file(name: &str) -> Result<std::fs::File, StateError> {
    let root = dir()?;
    folder("")?;
    let path = root.join(name);
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    let file = options.open(&path).map_err(|source| StateError::Io { path: path.clone(), source })?;
    #[cfg(unix)]
    {
        use std::os::unix::io::AsRawFd;
        // SAFETY: flock on a descriptor this function owns; no memory is involved.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(StateError::Io { path, source: io::Error::last_os_error() });
        }
    }
    Ok(file)
}

/// Lower-case hexadecimal, for file names made of ids and hashes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

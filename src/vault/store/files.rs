//! The vault's folder, and Tresor's own files beside the vault (backups, temporary copies): made
//! private from the first byte, moved aside, removed with SQLite's files beside them.

use std::path::{Path, PathBuf};

use super::super::error::{Error, Result};

/// Refuses a vault in a folder that others can write to, unless it is sticky (like `/tmp`).
pub(super) fn check_folder_of(path: &Path) -> Result<()> {
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
pub(super) fn create_private_dir(dir: &Path) -> Result<()> {
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

pub(crate) use super::super::held::sidecar;

//! The export pipeline both front ends use: the vault's entries, checked for the format, written
//! as text, and, when asked, to a private file (see [`crate::fs::write_private_file`]).

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::{Format, WriteError};
use crate::vault::{Place, SecretName, SecretValue, Vault};

/// The text of an export and how many secrets it holds. The text holds plaintext values.
pub struct Exported {
    pub text: Zeroizing<String>,
    pub count: usize,
}

impl std::fmt::Debug for Exported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exported").field("text", &"[redacted]").field("count", &self.count).finish()
    }
}

/// Why an export did not happen. Messages say what happened; each front end adds its advice.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Vault(#[from] crate::vault::Error),
    #[error(transparent)]
    CannotHold(#[from] WriteError),
    #[error("{} already exists", path.display())]
    Exists { path: PathBuf },
    #[error("{} is a Tresor vault (or one of SQLite's files beside one); an export never replaces it", path.display())]
    WouldReplaceVault { path: PathBuf },
    #[error("cannot write {}: {}; nothing was written", path.display(), crate::fs::io_reason(source))]
    Write { path: PathBuf, source: std::io::Error },
}

/// Every live secret (or those named in `only`, in that order) as the text of a `format` file.
/// Fails, writing nothing, when the format cannot hold a value exactly. What `place` resolves to
/// (in an environment: its own secrets over the project level's).
pub fn render(
    vault: &Vault,
    place: &Place,
    format: Format,
    only: Option<&[SecretName]>,
) -> Result<Exported, ExportError> {
    let entries = vault.export_entries(place, only)?;
    let pairs: Vec<(&str, &SecretValue)> = entries.iter().map(|(n, v)| (n.as_str(), v)).collect();
    super::check_writable(format, &pairs)?;
    Ok(Exported { text: super::write(format, &pairs), count: entries.len() })
}

/// [`render`], written to a new private file at `path` (replacing one only with `overwrite`).
/// Returns how many secrets were written.
pub fn to_file(
    vault: &Vault,
    place: &Place,
    path: &Path,
    format: Format,
    only: Option<&[SecretName]>,
    overwrite: bool,
) -> Result<usize, ExportError> {
    check_target(path, overwrite)?;
    let exported = render(vault, place, format, only)?;
    write_file(path, exported.text.as_bytes(), overwrite)?;
    Ok(exported.count)
}

/// Whether `path` may receive plaintext: never a vault file, and an existing file only with
/// `overwrite`. Checked before the vault is unlocked, and again by [`write_file`].
pub fn check_target(path: &Path, overwrite: bool) -> Result<(), ExportError> {
    if is_vault_file(path) {
        return Err(ExportError::WouldReplaceVault { path: path.to_owned() });
    }
    if !overwrite && path.symlink_metadata().is_ok() {
        return Err(ExportError::Exists { path: path.to_owned() });
    }
    Ok(())
}

/// Writes plaintext (an export, a filled template) to a new private file at `path` (0600, whole
/// or not at all), replacing one only with `overwrite` and never a vault file.
pub fn write_file(path: &Path, bytes: &[u8], overwrite: bool) -> Result<(), ExportError> {
    check_target(path, overwrite)?;
    crate::fs::write_private_file(path, bytes, overwrite).map_err(|source| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            ExportError::Exists { path: path.to_owned() }
        } else {
            ExportError::Write { path: path.to_owned(), source }
        }
    })
}

/// Whether `path` is a vault file (open in this process, or any SQLite database) or a file beside
/// an open one: `--force` must not turn an export into the loss of a vault. An open vault is
/// recognised without opening it (see `vault::held`); any other file is safe to read here.
pub fn is_vault_file(path: &Path) -> bool {
    if crate::vault::held::is_open_vault_file(path) {
        return true;
    }
    // Only a regular file is read (a FIFO or a terminal would block or swallow input), and
    // without waiting. A link is followed: the held vault it might lead to was ruled out above.
    let Ok(meta) = std::fs::metadata(path) else { return false };
    if !meta.is_file() {
        return false;
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let mut magic = [0u8; 16];
    options.open(path).and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic)).is_ok()
        && &magic == crate::vault::held::SQLITE_MAGIC
}

//! What Tresor has seen of each vault file: the record that stops an older copy of the whole
//! file from passing for the current one.
//!
//! Rows, indexes and headers cannot be mixed from old copies (the record set is sealed), but an
//! older copy of the whole file is a valid vault in itself: a backup, a sync tool's history, a
//! file put back by someone who can write to the vault's folder. It can bring back a key the
//! user rotated after a leak, or secrets they deleted. So for each vault file — its vault id and
//! its canonical path (backups, copies and moved files share the vault id, not the path) —
//! Tresor keeps, in the user's state folder (`state.rs`, outside every vault's folder), the
//! newest state it has seen the file in:
//!
//! - `writes`: the record set's write counter, sealed inside the file (it only goes up: every
//!   write adds one, and a restore made through Tresor continues past the highest count seen);
//! - `key_id`: the vault key's id then (readable without the passphrase);
//! - `format`: the file format then.
//!
//! The record is raised after a commit succeeded, as a maximum, under the state folder's lock
//! (the app and any number of commands write it). A file behind its record is refused at unlock
//! ([`Error::RolledBack`], [`Error::FormatRolledBack`]) unless the user accepts it
//! ([`Vault::accept_rollback`](super::Vault::accept_rollback)), which sets the record to the
//! file's state. Read-only opens warn instead. When the state folder cannot be written, Tresor
//! warns and goes on: a full disk must not lock anyone out of their secrets.
//!
//! One small JSON file per vault file: `vaults/<vault id>-<hash of the path>.json`.

use std::path::{Path, PathBuf};

use super::crypto;
use super::error::{Error, Result};
use crate::state::{self, StateError};

/// A vault file's newest state, as Tresor saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub writes: u64,
    pub key_id: [u8; 16],
    pub format: i64,
}

/// Where the record of one vault file is kept, and which file it is about.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    vault_id: [u8; 16],
    /// The vault file's canonical path.
    pub path: PathBuf,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    vault_id: String,
    path: PathBuf,
    writes: u64,
    key_id: String,
    format: i64,
}

fn unhex16(text: &str) -> Option<[u8; 16]> {
    if text.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Why the state folder failed, as the warning a front end shows.
fn not_recorded(e: StateError) -> Error {
    Error::StateNotRecorded { detail: e.to_string() }
}

/// Whether a state folder is in use at all (a test build may keep none: see [`state::dir`]).
fn kept() -> bool {
    !matches!(state::dir(), Err(StateError::Disabled))
}

impl Record {
    /// The record of the vault file at `path` (which exists) with this vault id.
    pub fn of(vault_id: [u8; 16], path: &Path) -> Record {
        // A file not there yet (a restore creates it) is named by its canonical folder.
        let canonical = std::fs::canonicalize(path).ok().or_else(|| {
            let folder = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            Some(std::fs::canonicalize(folder).ok()?.join(path.file_name()?))
        });
        Record { vault_id, path: canonical.unwrap_or_else(|| path.to_owned()) }
    }

    fn file(&self) -> std::result::Result<PathBuf, StateError> {
        let path_hash = crypto::sha256(&[self.path.as_os_str().as_encoded_bytes()]);
        let name = format!("{}-{}.json", state::hex(&self.vault_id), state::hex(&path_hash[..16]));
        Ok(state::folder("vaults")?.join(name))
    }

    /// What was seen of this file; `None` if it never was (or the record is unreadable, which
    /// only a crash while it was written can make: the state folder is the user's alone).
    pub fn read(&self) -> Result<Option<Seen>> {
        if !kept() {
            return Ok(None);
        }
        let Some(bytes) = state::read(&self.file().map_err(not_recorded)?).map_err(not_recorded)? else {
            return Ok(None);
        };
        Ok(parse(&bytes).filter(|(vault_id, path, _)| *vault_id == self.vault_id && *path == self.path).map(|r| r.2))
    }

    /// Raises the record to `now` where `now` is newer (a maximum: another process may have
    /// raised it further meanwhile).
    pub fn raise(&self, now: Seen) -> Result<()> {
        if !kept() {
            return Ok(());
        }
        let _lock = state::lock().map_err(not_recorded)?;
        let old = self.read()?;
        let newest = match old {
            Some(old) if old.writes > now.writes => Seen { format: old.format.max(now.format), ..old },
            Some(old) => Seen { format: old.format.max(now.format), ..now },
            None => now,
        };
        if old == Some(newest) {
            return Ok(());
        }
        self.write(newest)
    }

    /// Sets the record to `now`, newer or not: the user accepted an older copy.
    pub fn replace(&self, now: Seen) -> Result<()> {
        if !kept() {
            return Ok(());
        }
        let _lock = state::lock().map_err(not_recorded)?;
        self.write(now)
    }

    fn write(&self, seen: Seen) -> Result<()> {
        let stored = Stored {
            vault_id: state::hex(&self.vault_id),
            path: self.path.clone(),
            writes: seen.writes,
            key_id: state::hex(&seen.key_id),
            format: seen.format,
        };
        let bytes = serde_json::to_vec_pretty(&stored).expect("plain data serializes");
        // Not flushed to the disk at every write of the vault: a crash can only leave the record
        // behind (or unreadable: then taken as none), which never refuses a good file.
        state::write_soon(&self.file().map_err(not_recorded)?, &bytes).map_err(not_recorded)
    }

    /// The newest state seen of the same vault at another path, if it is newer than `writes`:
    /// the file here is an older copy of that one (a backup opened as a vault, say).
    pub fn newer_elsewhere(&self, writes: u64) -> Option<(PathBuf, Seen)> {
        if !kept() {
            return None;
        }
        let dir = state::folder("vaults").ok()?;
        let prefix = format!("{}-", state::hex(&self.vault_id));
        std::fs::read_dir(dir)
            .ok()?
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
            .filter_map(|e| parse(&state::read(&e.path()).ok()??))
            .filter(|(vault_id, path, seen)| *vault_id == self.vault_id && *path != self.path && seen.writes > writes)
            .max_by_key(|(_, _, seen)| seen.writes)
            .map(|(_, path, seen)| (path, seen))
    }
}

fn parse(bytes: &[u8]) -> Option<([u8; 16], PathBuf, Seen)> {
    let stored: Stored = serde_json::from_slice(bytes).ok()?;
    let seen = Seen { writes: stored.writes, key_id: unhex16(&stored.key_id)?, format: stored.format };
    Some((unhex16(&stored.vault_id)?, stored.path, seen))
}

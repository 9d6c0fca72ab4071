//! What the last sync merged, kept beside the connection in the state folder, so that a sync
//! that only receives reads the new change files alone (`quick.rs`): every change in use,
//! sealed under the vault's change key, by record, and what that sync found of each device.
//! Only a cache: anything missing, unreadable or made for another state of the connection is
//! ignored, and the next full sync writes it again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::super::crypto::VaultKeys;
use super::super::sync::merge::{Change, RecordId};
use super::super::sync::{DeviceId, Hlc};

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS changes (
        record BLOB NOT NULL, clock BLOB NOT NULL, sealed BLOB NOT NULL,
        PRIMARY KEY (record, clock)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS meta (id INTEGER PRIMARY KEY CHECK (id = 1), sealed BLOB NOT NULL);";

/// What the sync that wrote the cache found, and when it is the state of the connection.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(super) struct Meta {
    /// The vault key (hex) the sync ran under.
    pub(super) key_id: String,
    /// The connection's `read` and `synced_at` after that sync.
    pub(super) read: BTreeMap<DeviceId, (u64, String)>,
    pub(super) synced_at: i64,
    /// The SHA-256 (hex) of the vault's sealed record set after that sync: any write since
    /// (an edit, a restored backup, an import) changes it, and leaves the sync to the full one.
    /// Empty (matching nothing) when another process wrote between that sync's write and its
    /// reading the set back.
    pub(super) record_set: String,
    /// Each device: its name, how many of its files verify, its newest change (ms), whether
    /// it is forgotten.
    pub(super) devices: Vec<(DeviceId, String, u64, Option<i64>, bool)>,
    /// The forgotten devices, each with the last of its files in use.
    pub(super) forgotten: BTreeMap<DeviceId, u64>,
    /// Nothing that the quick path leaves to a full sync: no chain stopped or held back, no
    /// name given up, no project or environment kept for its contents.
    pub(super) simple: bool,
}

/// How [`Cache::store`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Write {
    /// Every state there is: what was there goes.
    Anew,
    /// Each record's states, all of them (what was there of the record goes).
    Records,
    /// States added to what is there (one with the same clock replaced).
    Add,
}

/// The cache of the connection kept in `connection_file`.
pub(super) struct Cache {
    conn: Connection,
}

fn clock_bytes(clock: &Hlc) -> [u8; 28] {
    let mut out = [0u8; 28];
    out[..8].copy_from_slice(&clock.millis.to_be_bytes());
    out[8..12].copy_from_slice(&clock.counter.to_be_bytes());
    out[12..].copy_from_slice(&clock.device.0);
    out
}

fn aad(vault: &[u8; 16], parts: &[&[u8]]) -> Vec<u8> {
    let mut out = b"tresor v1 sync cache".to_vec();
    out.extend_from_slice(vault);
    for part in parts {
        out.extend_from_slice(&(part.len() as u32).to_be_bytes());
        out.extend_from_slice(part);
    }
    out
}

fn path_of(connection_file: &Path) -> PathBuf {
    connection_file.with_extension("cache")
}

/// Removes the cache of the connection kept in `connection_file` (and a journal left beside it).
pub(super) fn remove(connection_file: &Path) {
    let path = path_of(connection_file);
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(path.with_extension("cache-journal"));
}

impl Cache {
    /// Opens (or makes) the cache; `None` when it cannot be used.
    pub(super) fn open(connection_file: &Path) -> Option<Cache> {
        let path = path_of(connection_file);
        // Yours alone, as everything in the state folder (SQLite gives its journal the same).
        let mut options = std::fs::OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
            options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
            let file = options.open(&path).ok()?;
            if file.metadata().ok()?.permissions().mode() & 0o077 != 0 {
                file.set_permissions(std::fs::Permissions::from_mode(0o600)).ok()?;
            }
        }
        #[cfg(not(unix))]
        options.open(&path).ok()?;
        let conn = Connection::open(&path).ok()?;
        // Synced at each commit: after a crash, the cache is the last sync's or the one before,
        // never a mix (its meta would then vouch for states it does not hold).
        conn.execute_batch("PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL;").ok()?;
        conn.execute_batch(SCHEMA).ok()?;
        Some(Cache { conn })
    }

    /// What the sync that wrote it found, if it opens under `keys`.
    pub(super) fn meta(&self, keys: &VaultKeys, vault: &[u8; 16]) -> Option<Meta> {
        let sealed: Vec<u8> =
            self.conn.query_row("SELECT sealed FROM meta WHERE id = 1", [], |r| r.get(0)).optional().ok()??;
        let plain = keys.open_change(&sealed, &aad(vault, &[b"meta"]))?;
        serde_json::from_slice(&plain).ok()
    }

    /// Every state of `record`, if all of them open.
    pub(super) fn load(&self, keys: &VaultKeys, vault: &[u8; 16], record: &RecordId) -> Option<Vec<Change>> {
        let mut stmt = self.conn.prepare_cached("SELECT clock, sealed FROM changes WHERE record = ?1").ok()?;
        let rows: Vec<(Vec<u8>, Vec<u8>)> = stmt
            .query_map([record.0.as_slice()], |r| Ok((r.get(0)?, r.get(1)?)))
            .ok()?
            .collect::<rusqlite::Result<_>>()
            .ok()?;
        let mut out = Vec::new();
        for (clock, sealed) in rows {
            let plain = keys.open_change(&sealed, &aad(vault, &[&record.0, &clock]))?;
            let change: Change = serde_json::from_slice(&plain).ok()?;
            if change.record != *record || clock_bytes(&change.clock).as_slice() != clock.as_slice() {
                return None;
            }
            out.push(change);
        }
        Some(out)
    }

    /// Writes `records`' states and `meta`, in one transaction (see [`Write`]).
    pub(super) fn store<'c>(
        &mut self,
        keys: &VaultKeys,
        vault: &[u8; 16],
        how: Write,
        records: impl Iterator<Item = (RecordId, Vec<&'c Change>)>,
        meta: &Meta,
    ) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        if how == Write::Anew {
            tx.execute("DELETE FROM changes", [])?;
        }
        {
            let mut remove = tx.prepare_cached("DELETE FROM changes WHERE record = ?1")?;
            let mut insert =
                tx.prepare_cached("INSERT OR REPLACE INTO changes (record, clock, sealed) VALUES (?1, ?2, ?3)")?;
            for (record, changes) in records {
                if how == Write::Records {
                    remove.execute([record.0.as_slice()])?;
                }
                for change in changes {
                    let clock = clock_bytes(&change.clock);
                    let plain = zeroize::Zeroizing::new(serde_json::to_vec(change).expect("a change serializes"));
                    let sealed = keys.seal_change(&plain, &aad(vault, &[&record.0, &clock]));
                    insert.execute(params![record.0.as_slice(), clock.as_slice(), sealed])?;
                }
            }
        }
        let plain = serde_json::to_vec(meta).expect("meta serializes");
        let sealed = keys.seal_change(&plain, &aad(vault, &[b"meta"]));
        tx.execute("INSERT OR REPLACE INTO meta (id, sealed) VALUES (1, ?1)", [sealed])?;
        tx.commit()
    }
}

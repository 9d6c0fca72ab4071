//! What a synced vault keeps outside its file: this device's connection in the state folder,
//! and in the synced folder the change files' bodies and each device's key file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::super::crypto::{self, DeviceSecret};
use super::super::error::{Error, Result};
use super::super::kdf::KdfParams;
use super::super::secret::Timestamp;
use super::super::store::Header;
use super::super::sync::file::{self, Chain};
use super::super::sync::folder::SyncFolder;
use super::super::sync::merge::Change;
use super::super::sync::{DeviceId, Hlc, KeyRing, hex, unhex};
use super::keyring::{Rekey, Sealed};
use crate::state;

/// This device's connection of one vault file to a synced folder, as kept in the state folder.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Connection {
    pub(super) folder: PathBuf,
    pub(super) device: DeviceId,
    pub(super) name: String,
    /// Per device: the number and digest (hex) of the last change file read.
    pub(super) read: BTreeMap<DeviceId, (u64, String)>,
    /// The vault's clock (ms) when the last sync read the vault: a record changed at or before
    /// it was not edited since (a restored backup's rows are older: not edits to publish).
    #[serde(default)]
    pub(super) synced_at: i64,
    /// The records (hex ids) the last sync left flagged "changed on two devices".
    #[serde(default)]
    pub(super) flagged: Vec<String>,
    /// This device's X25519 secret, sealed under the vault key (see `keyring.rs`).
    #[serde(default)]
    pub(super) secrets: Vec<Sealed>,
    /// The earlier vault keys this device holds, sealed under the current one.
    #[serde(default)]
    pub(super) earlier: Vec<Sealed>,
    /// A key made here that the other devices are yet to be told of: the id of the key before it
    /// (the rekey is sealed under that one).
    #[serde(default)]
    pub(super) pending_rekey: Option<String>,
    /// (key, under): the keys this device has announced under older ones.
    #[serde(default)]
    pub(super) announced: Vec<(String, String)>,
    /// The current key (hex id) and when it was made (`None`: the vault's first key), as this
    /// device learnt it when it made or took the key (or, for a key it joined on or had before
    /// this was kept, at its first sync since): never read from the folder again, where anyone
    /// who holds the key could announce it anew with a later clock, so that every real
    /// announcement under it would look older than it.
    #[serde(default)]
    pub(super) key_clock: Option<(String, Option<Hlc>)>,
    /// Records (hex ids) purged here since the last sync: their deletion is published even if
    /// the sync never saw them trashed (a purge leaves no row to compare).
    #[serde(default)]
    pub(super) purged: Vec<String>,
    /// The rows the last sync wrote (hex id → the first 16 bytes of the SHA-256 of the row's
    /// term, hex): one still so was not edited since, though changed after `synced_at` (none
    /// kept when a sync wrote more than [`APPLIED_KEPT`]).
    #[serde(default)]
    pub(super) applied: BTreeMap<String, String>,
}

/// The most rows a connection remembers as written by the last sync.
pub(super) const APPLIED_KEPT: usize = 20_000;

/// How a connection remembers a row's term.
pub(super) fn applied_mark(term: &[u8; 32]) -> String {
    hex(&crypto::sha256(&[term])[..16])
}

impl Connection {
    /// A new device's connection to `folder` (canonical): nothing read yet.
    pub(super) fn new(folder: PathBuf, name: String) -> Connection {
        Connection {
            folder,
            device: DeviceId::random(),
            name,
            read: BTreeMap::new(),
            synced_at: 0,
            flagged: Vec::new(),
            secrets: Vec::new(),
            earlier: Vec::new(),
            pending_rekey: None,
            announced: Vec::new(),
            key_clock: None,
            purged: Vec::new(),
            applied: BTreeMap::new(),
        }
    }
}

/// A change file's body.
#[derive(Serialize, Deserialize)]
pub(super) struct Body {
    /// The writing device's name, as its owner gave it.
    pub(super) device_name: String,
    /// The device's X25519 public key (the first its chain names is the one used).
    #[serde(default)]
    pub(super) device_key: Option<String>,
    pub(super) changes: Vec<Change>,
    /// A new vault key made on this device (a file with a rekey holds no changes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) rekey: Option<Rekey>,
    /// What the writer had merged of each other device when it wrote: how many of its files,
    /// and the last one's digest (hex). Under a key later than a device's files, it vouches for
    /// them (see [`hold_back`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(super) merged: BTreeMap<DeviceId, (u64, String)>,
}

/// What the folder keeps of a device's key wrap: the header's key fields, under which the
/// vault key opens with that device's passphrase (`join` tries each), and the earlier keys
/// sealed under it (a joining device reads the files written before the last rekey with them).
#[derive(Serialize, Deserialize, Clone)]
pub(super) struct KeyFile {
    vault_id: String,
    key_id: String,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    salt: String,
    wrapped_key: String,
    created: i64,
    lineage: Vec<String>,
    #[serde(default)]
    pub(super) earlier: Vec<Sealed>,
}

pub(super) const KEY_FILE: &str = "key.json";

pub(super) fn state_error(e: state::StateError) -> Error {
    Error::SyncState { detail: e.to_string() }
}

/// Where this device's connection of the vault file at `path` (canonical) is kept.
pub(super) fn connection_file(vault_id: &[u8; 16], path: &Path) -> Result<PathBuf> {
    let record = super::super::seen::Record::of(*vault_id, path);
    let path_hash = crypto::sha256(&[record.path.as_os_str().as_encoded_bytes()]);
    let name = format!("{}-{}.json", hex(vault_id), hex(&path_hash[..16]));
    Ok(state::folder("sync").map_err(state_error)?.join(name))
}

pub(super) fn load_connection(file: &Path) -> Result<Option<Connection>> {
    match state::read(file).map_err(state_error)? {
        None => Ok(None),
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::SyncState { detail: format!("{} cannot be read: {e}", file.display()) }),
    }
}

pub(super) fn save_connection(file: &Path, connection: &Connection) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(connection).expect("a connection serializes");
    state::write(file, &bytes).map_err(state_error)
}

pub(super) fn key_file_of(header: &Header) -> KeyFile {
    KeyFile {
        vault_id: hex(&header.vault_id),
        key_id: hex(&header.key_id),
        memory_kib: header.kdf.memory_kib,
        iterations: header.kdf.iterations,
        parallelism: header.kdf.parallelism,
        salt: hex(&header.salt),
        wrapped_key: hex(&header.wrapped_key),
        created: header.created.0,
        lineage: header.lineage.iter().flatten().map(|id| hex(id)).collect(),
        earlier: Vec::new(),
    }
}

pub(super) fn unhex_vec(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

pub(super) fn header_of(key: &KeyFile) -> Option<Header> {
    Some(Header {
        vault_id: unhex(&key.vault_id)?,
        key_id: unhex(&key.key_id)?,
        kdf: KdfParams::new(key.memory_kib, key.iterations, key.parallelism).ok()?,
        salt: unhex_vec(&key.salt)?,
        wrapped_key: unhex_vec(&key.wrapped_key)?,
        created: Timestamp(key.created),
        lineage: Some(key.lineage.iter().map(|id| unhex(id)).collect::<Option<Vec<_>>>()?),
    })
}

/// A header as a key file's JSON (no earlier keys), for a note kept outside the vault file.
pub(in crate::vault) fn header_json(header: &Header) -> Vec<u8> {
    serde_json::to_vec(&key_file_of(header)).unwrap_or_default()
}

/// [`header_json`] read back; `None` for anything else.
pub(in crate::vault) fn header_from_json(bytes: &[u8]) -> Option<Header> {
    header_of(&serde_json::from_slice(bytes).ok()?)
}

/// The vault folders (`tresor-<id>`) in a synced folder.
pub(super) fn vaults_in(folder: &Path) -> Result<Vec<[u8; 16]>> {
    let entries = std::fs::read_dir(folder).map_err(folder_error(folder))?;
    let mut out = Vec::new();
    for entry in entries.flatten() {
        if let Some(id) = entry.file_name().to_str().and_then(|n| n.strip_prefix("tresor-")).and_then(unhex::<16>) {
            out.push(id);
        }
    }
    out.sort();
    Ok(out)
}

/// Every device's chain in the folder, with each verified file's body.
pub(super) struct Read {
    pub(super) chains: BTreeMap<DeviceId, Chain>,
    /// The bodies in use: each device's chain up to where [`hold_back`] stops it.
    pub(super) bodies: BTreeMap<DeviceId, Vec<Body>>,
    /// The bodies held back, per device (they follow its bodies in use).
    pub(super) held: BTreeMap<DeviceId, Vec<Body>>,
}

impl Read {
    /// The last file of `device` in use, if any.
    pub(super) fn last_used(&self, device: &DeviceId) -> Option<&file::Opened> {
        let used = self.bodies.get(device).map_or(0, Vec::len);
        self.chains.get(device).and_then(|c| c.files.get(used.wrapping_sub(1)))
    }

    /// What this device has merged of each other one (`me` left out): the number of files in
    /// use (at most `cut`'s, for a forgotten device) and the last one's digest.
    pub(super) fn merged_marks(
        &self,
        me: DeviceId,
        cut: &BTreeMap<DeviceId, u64>,
    ) -> BTreeMap<DeviceId, (u64, String)> {
        let mut out = BTreeMap::new();
        for (device, chain) in self.chains.iter().filter(|(d, _)| **d != me) {
            let used = self.bodies[device].len().min(cut.get(device).map_or(usize::MAX, |n| *n as usize));
            if let Some(last) = used.checked_sub(1).and_then(|i| chain.files.get(i)) {
                out.insert(*device, (used as u64, hex(&last.digest)));
            }
        }
        out
    }
}

/// Holds back what no trusted key vouches for. `trusted`: the keys this device uses files under
/// as they are (see `trusted_keys` in mod.rs). Every other key a file can be sealed under is one
/// of its earlier keys, and someone who kept one (an old passphrase and yesterday's key file)
/// can still seal files under it — in a device folder of their own making, or after a real
/// device's last file. So a device's files under such a key are used only up to the last one
/// vouched for by a file under a trusted key: the device's own later file (its chain names the
/// ones before), or any device's file that says it had merged that far (`Body::merged`, with
/// the digest), or `remembered` (what this device merged at its last sync, never taken back).
/// What is held back is used as soon as something vouches for it (its device takes the current
/// key and writes under it).
pub(super) fn hold_back(read: &mut Read, trusted: &BTreeSet<[u8; 16]>, remembered: &BTreeMap<DeviceId, (u64, String)>) {
    let old = |f: &file::Opened| !trusted.contains(&f.header.key);
    let mut vouched: BTreeMap<DeviceId, usize> = BTreeMap::new();
    let chains = &read.chains;
    let mut vouch = |device: &DeviceId, count: u64, digest: &str| {
        let at = chains.get(device).and_then(|c| c.files.get((count as usize).wrapping_sub(1)));
        if at.is_some_and(|f| hex(&f.digest) == digest) {
            let v = vouched.entry(*device).or_insert(0);
            *v = (*v).max(count as usize);
        }
    };
    for (device, (count, digest)) in remembered {
        vouch(device, *count, digest);
    }
    for (device, chain) in chains {
        if let Some(last) = chain.files.iter().rposition(|f| !old(f)) {
            vouch(device, last as u64 + 1, &hex(&chain.files[last].digest));
        }
        for (file, body) in chain.files.iter().zip(&read.bodies[device]) {
            if !old(file) {
                body.merged.iter().for_each(|(other, (count, digest))| vouch(other, *count, digest));
            }
        }
    }
    for (device, chain) in &read.chains {
        let vouched = vouched.get(device).copied().unwrap_or(0);
        let used = chain.files.iter().enumerate().position(|(i, f)| old(f) && i >= vouched);
        let bodies = read.bodies.get_mut(device).expect("a body per file");
        if let Some(used) = used.filter(|u| *u < bodies.len()) {
            read.held.insert(*device, bodies.split_off(used));
        }
    }
}

/// The folder as this device uses it: every chain read; of this device's own, only the files it
/// wrote (those it had read at its last sync, then those sealed with the nonce only it can make,
/// [`file::written_by`]: anyone else's, even under the current key, is left out, and the sync
/// sets it aside); and what no trusted key vouches for held back ([`hold_back`], its own files
/// vouched for by its knowing them).
pub(super) fn read_in_use(
    (keys, trusted): (&KeyRing, &BTreeSet<[u8; 16]>),
    vault_id: &[u8; 16],
    folder: &SyncFolder,
    connection: &Connection,
    owner: &DeviceSecret,
) -> Result<Read> {
    let mut read = read_folder(keys, vault_id, folder)?;
    let me = connection.device;
    let mut remembered = connection.read.clone();
    if let Some(chain) = read.chains.get(&me) {
        let recorded = connection.read.get(&me).map_or(0, |r| r.0 as usize).min(chain.files.len());
        let wrote = recorded + chain.files[recorded..].iter().take_while(|f| file::written_by(f, owner)).count();
        if let Some(last) = wrote.checked_sub(1).map(|i| &chain.files[i]) {
            remembered.insert(me, (wrote as u64, hex(&last.digest)));
        }
        read.bodies.get_mut(&me).expect("a body per file").truncate(wrote);
    }
    hold_back(&mut read, trusted, &remembered);
    Ok(read)
}

fn read_folder(keys: &KeyRing, vault_id: &[u8; 16], folder: &SyncFolder) -> Result<Read> {
    let candidates = folder.scan().map_err(folder_error(folder.root()))?;
    let mut chains = BTreeMap::new();
    let mut bodies = BTreeMap::new();
    for (device, files) in &candidates {
        let mut chain = file::read_chain(keys, vault_id, *device, files);
        // Parsing is most of the reading: the files shared out among the cores.
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
        let per_thread = chain.files.len().div_ceil(threads).max(1);
        let results: Vec<serde_json::Result<Body>> = std::thread::scope(|scope| {
            let parts: Vec<_> = chain
                .files
                .chunks(per_thread)
                .map(|part| {
                    scope
                        .spawn(move || part.iter().map(|f| serde_json::from_slice::<Body>(&f.body)).collect::<Vec<_>>())
                })
                .collect();
            parts.into_iter().flat_map(|part| part.join().expect("parsing a body does not panic")).collect()
        });
        let mut parsed = Vec::new();
        for (i, result) in results.into_iter().enumerate() {
            match result {
                Ok(body) => parsed.push(body),
                Err(_) => {
                    // Authentic but not understood (a newer Tresor's body): the chain stops here.
                    chain.stopped =
                        Some(file::ChainError::Bad { seq: i as u64 + 1, why: file::FileError::NotAChangeFile });
                    chain.files.truncate(i);
                    break;
                }
            }
        }
        chains.insert(*device, chain);
        bodies.insert(*device, parsed);
    }
    Ok(Read { chains, bodies, held: BTreeMap::new() })
}

/// An I/O failure in the synced folder at `path`.
pub(super) fn folder_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |e| Error::SyncFolder { path: path.to_owned(), detail: crate::fs::io_reason(&e) }
}

//! A device's key file in the synced folder: written by each sync, read by a join, which builds
//! a new device's vault from the folder.

use std::collections::BTreeSet;
use std::path::Path;

use super::super::crypto::{self, Key32, Passphrase, VaultKeys};
use super::super::error::{Error, Result};
use super::super::records::{self, Write};
use super::super::secret::SystemClock;
use super::super::store::{self, Header};
use super::super::sync::file;
use super::super::sync::folder::SyncFolder;
use super::super::sync::{DeviceId, KeyRing, hex, unhex};
use super::super::{Vault, wrap};
use super::stored::{
    self, Connection, KEY_FILE, KeyFile, connection_file, folder_error, header_of, key_file_of, save_connection,
    vaults_in,
};
use super::{SyncReport, check_device_name, default_device_name, keyring};
use crate::state;

impl Vault {
    /// Builds a new vault at `path` from the synced vault in `folder`, opened with `passphrase`
    /// (any device's passphrase), as a new device named `name`. Returns it unlocked, synced.
    pub fn sync_join(
        path: &Path,
        folder: &Path,
        passphrase: &Passphrase,
        name: Option<&str>,
    ) -> Result<(Vault, SyncReport)> {
        let name = check_device_name(name.map_or_else(default_device_name, str::to_owned).as_str())?;
        if path.exists() {
            return Err(Error::AlreadyExists { path: path.to_owned() });
        }
        // The vaults of the folder that a device's key file opens the way to (an empty or
        // planted `tresor-…` folder does not count).
        let mut found: Vec<([u8; 16], Vec<KeyWrap>)> = Vec::new();
        for vault_id in vaults_in(folder)? {
            let headers = key_files(&folder.join(file::vault_folder_name(&vault_id)), vault_id);
            if !headers.is_empty() {
                found.push((vault_id, headers));
            }
        }
        let mut headers = match found.len() {
            0 => return Err(Error::NoSyncedVault { folder: folder.to_owned() }),
            1 => found.remove(0).1,
            count => return Err(Error::SeveralSyncedVaults { folder: folder.to_owned(), count }),
        };
        // The cheapest key derivation first (a planted key file cannot make the join slow
        // before a genuine one is tried).
        headers.sort_by_key(|(h, _)| u64::from(h.kdf.memory_kib) * u64::from(h.kdf.iterations));
        let (header, earlier, keys) = crypto::with_stack_scrubbed(|| {
            let mut last = Error::WrongPassphrase;
            for (header, earlier) in headers {
                match wrap::unwrap_keys(&header, passphrase) {
                    Ok((keys, _)) => return Ok((header, earlier, keys)),
                    Err(e) => last = e,
                }
            }
            Err(last)
        })?;
        let clock = std::sync::Arc::new(SystemClock);
        let conn = store::create(path, &header, |tx| {
            let write = Write::rebuild(tx, records::Records { keys: &keys, vault_id: &header.vault_id });
            Ok(write.sealed_for_new_file(&header.key_id))
        })?;
        let mut vault = Vault::opened(path, conn, header, keys, clock, false);
        vault.remember(0, false);
        let canonical = std::fs::canonicalize(folder).map_err(folder_error(folder))?;
        let file = connection_file(&vault.header.vault_id, path)?;
        // The earlier keys the key file holds, sealed under the key it opened: the files written
        // before the last passphrase change or key rotation are read with them.
        let current = (&vault.header.key_id, vault.keys.vault_key());
        let earlier = keyring::seal_earlier(
            &vault.header.vault_id,
            current,
            &keyring::open_earlier(&vault.header.vault_id, current, &earlier),
        );
        save_connection(&file, &Connection { earlier, ..Connection::new(canonical, name) })?;
        match vault.sync_now() {
            Ok(report) => Ok((vault, report)),
            Err(e) => {
                // Nothing half-made stays: the next join starts afresh.
                drop(vault);
                store::remove_with_sidecars(path);
                let _ = state::remove(&file);
                Err(e)
            }
        }
    }

    /// Writes this device's key file (its header's key fields and the earlier keys sealed under
    /// its key) when the folder's differs.
    pub(super) fn publish_key_file(&self, folder: &SyncFolder, me: DeviceId, ring: &KeyRing) -> Result<()> {
        let dir = folder.own_dir(me).map_err(folder_error(folder.root()))?;
        let path = dir.join(KEY_FILE);
        let current = (&self.header.key_id, self.keys.vault_key());
        let earlier_ids = |sealed: &[keyring::Sealed]| -> BTreeSet<String> {
            sealed.iter().filter(|s| s.under == hex(current.0)).map(|s| s.id.clone()).collect()
        };
        let wanted: BTreeSet<String> = ring.keys().filter(|id| *id != current.0).map(|id| hex(id)).collect();
        let there = read_small_file(&path).and_then(|b| serde_json::from_slice::<KeyFile>(&b).ok());
        if let Some(there) = there
            && header_of(&there).is_some_and(|h| h == self.header)
            && earlier_ids(&there.earlier) == wanted
        {
            return Ok(());
        }
        let mut key_file = key_file_of(&self.header);
        key_file.earlier = keyring::seal_earlier(&self.header.vault_id, current, ring);
        let bytes = serde_json::to_vec_pretty(&key_file).expect("a key file serializes");
        crate::fs::write_private_file(&path, &bytes, true).map_err(folder_error(&dir))
    }
}

/// A regular file's bytes, if it is one and at most 64 KiB (a key file; never a symlink).
pub(in crate::vault) fn read_small_file(path: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() || meta.len() > 64 << 10 {
        return None;
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path).ok()?.take(64 << 10).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// A device's key wrap as its key file holds it: the header it makes, and the earlier keys
/// sealed under the key it wraps.
type KeyWrap = (Header, Vec<keyring::Sealed>);

/// The key files of a vault's folder in a synced folder that parse and name this vault.
fn key_files(root: &Path, vault_id: [u8; 16]) -> Vec<KeyWrap> {
    key_files_by_device(root, vault_id).into_iter().map(|(_, wrap)| wrap).collect()
}

/// [`key_files`], each with the device folder it is in.
fn key_files_by_device(root: &Path, vault_id: [u8; 16]) -> Vec<(DeviceId, KeyWrap)> {
    let Ok(entries) = std::fs::read_dir(root) else { return Vec::new() };
    let mut headers = Vec::new();
    for entry in entries.flatten() {
        let Some(device) = unhex::<16>(&entry.file_name().to_string_lossy()) else { continue };
        // Anyone who can write the folder wrote this, maybe: at most 64 KiB of a plain file (a
        // sync engine or git gives it whatever mode it likes), then checked by the unwrap.
        if let Some(key_file) =
            read_small_file(&entry.path().join(KEY_FILE)).and_then(|b| serde_json::from_slice::<KeyFile>(&b).ok())
            && let Some(header) = header_of(&key_file).filter(|h| h.vault_id == vault_id)
        {
            headers.push((DeviceId(device), (header, key_file.earlier)));
        }
    }
    headers
}

/// A later vault key of a synced vault, opened with a passphrase its own header does not take:
/// the vault slept through a passphrase change on another device, and is opened with the new
/// passphrase.
pub(in crate::vault) struct NewerKey {
    key: Key32,
    header: Header,
    earlier: KeyRing,
}

/// How many key files a passphrase that opens nothing here is tried on, at most, and how much
/// key derivation those of devices this one never merged from may cost in all, in times this
/// file's own: a device that slept through changes finds one or two, and key files planted to
/// make a typo slow cost little more.
const NEWER_KEY_TRIES: usize = 4;
const NEWER_KEY_COST: u64 = 4;

/// The later key that `passphrase` opens for the synced vault at `path` (whose own header,
/// `header`, it does not open): a device's key file in the synced folder that `passphrase`
/// unwraps and that holds this vault's key among its earlier ones — made by someone who held
/// this vault's key *and* knows `passphrase`: the user, who changed it on another device. Only
/// key files that name this vault's key as an earlier one are tried (none, on a device that is
/// not behind, unless someone planted them), those of the devices this one merged from first
/// (junk planted in other folders cannot crowd them out), then the cheapest, within
/// [`NEWER_KEY_TRIES`] and (for the others) [`NEWER_KEY_COST`]. `None` when there is none (a wrong passphrase, a
/// folder out of reach, a vault not synced). With it, this vault's own keys, which the later
/// key's earlier keys hold (unchecked: the caller checks them against the file).
pub(in crate::vault) fn newer_key_for(
    header: &Header,
    path: &Path,
    passphrase: &Passphrase,
) -> Option<(Box<VaultKeys>, NewerKey)> {
    if matches!(state::dir(), Err(state::StateError::Disabled)) {
        return None;
    }
    let connection = stored::load_connection(&connection_file(&header.vault_id, path).ok()?).ok()??;
    let root = connection.folder.join(file::vault_folder_name(&header.vault_id));
    let ours = hex(&header.key_id);
    let cost = |h: &Header| u64::from(h.kdf.memory_kib) * u64::from(h.kdf.iterations);
    let mut candidates: Vec<(bool, u64, KeyWrap)> = key_files_by_device(&root, header.vault_id)
        .into_iter()
        .filter(|(_, (h, earlier))| {
            h.key_id != header.key_id && earlier.iter().any(|s| s.id == ours && s.under == hex(&h.key_id))
        })
        .map(|(device, wrap)| (!connection.read.contains_key(&device), cost(&wrap.0), wrap))
        .collect();
    candidates.sort_by_key(|(unknown, cost, (h, _))| (*unknown, *cost, h.key_id));
    candidates.dedup_by(|a, b| a.2.0 == b.2.0);
    let mut budget = NEWER_KEY_COST * cost(header);
    crypto::with_stack_scrubbed(|| {
        for (unknown, cost, (newer, earlier)) in candidates.into_iter().take(NEWER_KEY_TRIES) {
            // The key file of a device this one merged from is tried whatever it costs (within
            // the limits every key derivation has): the passphrase may have been changed on a
            // faster machine, which sets a costlier derivation.
            if unknown {
                let Some(left) = budget.checked_sub(cost) else { continue };
                budget = left;
            }
            let Ok((keys, _)) = wrap::unwrap_keys(&newer, passphrase) else { continue };
            let earlier = keyring::open_earlier(&header.vault_id, (&newer.key_id, keys.vault_key()), &earlier);
            if let Some(local) = earlier.get(&header.key_id) {
                let local = Box::new(local.clone());
                return Some((local, NewerKey { key: keys.vault_key().clone(), header: newer, earlier }));
            }
        }
        None
    })
}

impl Vault {
    /// Moves this vault, opened with its own keys as [`newer_key_for`] found them, to the later
    /// key: as a sync does when it takes a key announced to it, with the earlier keys the key
    /// file holds (to read what was written under each). The key's date is taken from the
    /// folder at the next sync (see `Connection::key_clock`).
    pub(in crate::vault) fn take_newer_key(&mut self, newer: NewerKey) -> Result<()> {
        let _lock = self.sync_lock_if_synced()?;
        let file = connection_file(&self.header.vault_id, &self.path)?;
        let Some(mut connection) = stored::load_connection(&file)? else { return Ok(()) };
        let mut ring = self.sync_ring(&connection);
        ring.extend(newer.earlier);
        ring.insert(newer.header.key_id, VaultKeys::from_vault_key(newer.key.clone()));
        connection.earlier =
            keyring::seal_earlier(&self.header.vault_id, (&self.header.key_id, self.keys.vault_key()), &ring);
        save_connection(&file, &connection)?;
        self.adopt_key(newer.key, newer.header)
    }
}

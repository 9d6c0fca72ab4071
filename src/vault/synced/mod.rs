//! A vault connected to a synced folder: this device, what it has read of every device, and a
//! sync — this device's edits published, every device's merged, the result applied to the file.
//! The folder's format and the merge are in `sync/`; this is where they meet the vault.
//!
//! # What a device keeps
//!
//! In the state folder (`state.rs`, outside the synced folder, so that nobody who can write only
//! there can wind it back), per vault file: the folder, this device's id and name, and for every
//! device the number and digest of the last of its change files this device has read. That is
//! also the anti-rollback record: a device whose chain in the folder is now shorter, or whose
//! file at that number is another, stops the sync ([`Error::SyncRolledBack`]) before anything is
//! written.
//!
//! # A sync
//!
//! 1. Every device's chain is read and verified (`sync/file.rs`); a chain stops at its first
//!    bad file, and nothing of that device past it is used (the report says which and why).
//! 2. The *base* is what this device had merged at its last sync: its own files and the others'
//!    up to what it had read. The vault's records (secrets, trashed ones as deletions, projects
//!    and environments) are compared with what the base shows; each difference is an edit made
//!    here since, published as one change file. Its version vector is the base's, so an edit
//!    made on another device meanwhile is concurrent with it, and both are kept.
//! 3. Everything is merged, and the vault is made to show the result in one transaction: rows
//!    created, changed (the replaced value goes to the secret's history, as for any edit), or
//!    moved to the trash (never purged: a deletion from another device is undone from the trash).
//! 4. What was read is recorded.
//!
//! A sync that only receives starts instead from a cache of what the last one merged
//! (`cache.rs`, `quick.rs`), and leaves anything else to the steps above.
//!
//! A crash between any two steps loses nothing: the change file is immutable and the vault's
//! transaction all or nothing, and a repeated step yields the same state (an edit seen twice is
//! the same edit: identical concurrent states are no conflict).

mod apply;
mod cache;
mod keyfile;
mod keyring;
mod quick;
mod stored;
pub(in crate::vault) use keyfile::{newer_key_for, read_small_file};
pub(in crate::vault) use stored::{header_from_json, header_json};

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::Vault;
use super::crypto::VaultKeys;
use super::error::{Error, Result};
use super::records::{PlaceRow, SecretRow};
use super::secret::{SecretId, Timestamp};
use super::store;
use super::sync::file;
use super::sync::folder::SyncFolder;
use super::sync::merge::{Change, Merged, RecordId, Shown, State};
use super::sync::{DeviceId, KeyRing, hex, unhex};
use crate::state;
use apply::target_states;
use stored::{
    Body, Connection, connection_file, folder_error, load_connection, read_in_use, save_connection, state_error,
};

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub folder: PathBuf,
    pub device_name: String,
    /// Edits made here, published in this sync.
    pub published: usize,
    /// Other devices' edits read for the first time.
    pub received: usize,
    pub created: usize,
    pub updated: usize,
    pub trashed: usize,
    /// Secrets edited on two devices without either seeing the other (place label and name):
    /// the later edit shows, the other value is in the secret's history.
    pub conflicts: Vec<String>,
    /// Names one record had to give up: (what it was, what it shows as now).
    pub renamed: Vec<(String, String)>,
    /// Devices whose change files stop early, and why (nothing of theirs past that is used).
    pub stopped: Vec<String>,
    /// The devices writing to the folder, as this sync found them (a dry run leaves it empty).
    pub devices: Vec<DeviceInfo>,
    /// The device whose passphrase change (or key rotation) this one took on in this sync: the
    /// vault now opens with the passphrase set there.
    pub rekeyed_by: Option<String>,
}

/// A device that writes to the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    pub id: DeviceId,
    pub name: String,
    /// How many change files of its verify.
    pub files: u64,
    /// When its newest change was made.
    pub last_change: Option<Timestamp>,
    pub this_device: bool,
    pub stopped: Option<String>,
    /// Forgotten by a device: its later change files are not used.
    pub forgotten: bool,
}

/// The name a device gets unless given one: the machine's host name.
pub fn default_device_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "this device".to_owned())
}

fn check_device_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(Error::InvalidDeviceName);
    }
    Ok(name.to_owned())
}

/// What a sync does besides syncing.
#[derive(Clone, Copy)]
enum Extra {
    Nothing,
    /// Forget this device after that many of its files.
    Forget(DeviceId, u64),
    /// Publish what this record shows as an edit that has seen all its values.
    Keep(RecordId),
    /// Only say what would happen.
    DryRun,
}

/// What the vault holds now, as the merge's states: each secret (a trashed one as deleted), each
/// project and environment (a deleted one as deleted), with the time it was last changed.
pub(super) type Snapshot = BTreeMap<RecordId, (State, i64)>;

impl Vault {
    /// Connects this vault to `folder` (which must exist: the folder a sync engine keeps in
    /// step) as a new device named `name`, and syncs once: everything in the vault is published.
    /// A vault already connected is refused ([`Error::AlreadySynced`]).
    pub fn sync_init(&mut self, folder: &Path, name: Option<&str>) -> Result<SyncReport> {
        let name = check_device_name(name.map_or_else(default_device_name, str::to_owned).as_str())?;
        let file = connection_file(&self.header.vault_id, &self.path)?;
        let _lock = self.sync_lock()?;
        if let Some(existing) = load_connection(&file)? {
            return Err(Error::AlreadySynced { folder: existing.folder });
        }
        if !folder.is_dir() {
            return Err(Error::SyncFolder { path: folder.to_owned(), detail: "there is no folder there".into() });
        }
        let folder = std::fs::canonicalize(folder).map_err(folder_error(folder))?;
        save_connection(&file, &Connection::new(folder, name))?;
        self.sync_now()
    }

    /// The folder this vault syncs through, if it is connected.
    pub fn sync_folder(&self) -> Result<Option<PathBuf>> {
        Ok(self.sync_connection()?.map(|(_, c)| c.folder))
    }

    /// This vault file's connection and where it is kept, if it is connected.
    fn sync_connection(&self) -> Result<Option<(PathBuf, Connection)>> {
        // A test build that keeps no state connects nothing.
        if matches!(state::dir(), Err(state::StateError::Disabled)) {
            return Ok(None);
        }
        let file = connection_file(&self.header.vault_id, &self.path)?;
        Ok(load_connection(&file)?.map(|c| (file, c)))
    }

    /// The folders to watch for other devices' changes: the synced folder, the vault's folder in
    /// it and each device's (none while not connected). Reads folder names only.
    pub fn sync_watch_dirs(&self) -> Result<Vec<PathBuf>> {
        let Some(folder) = self.sync_folder()? else { return Ok(Vec::new()) };
        let root = SyncFolder::new(&folder, self.header.vault_id).root().to_owned();
        let mut dirs = vec![folder];
        if let Ok(entries) = std::fs::read_dir(&root) {
            let mut devices: Vec<PathBuf> = entries
                .flatten()
                .filter(|e| unhex::<16>(&e.file_name().to_string_lossy()).is_some() && e.path().is_dir())
                .map(|e| e.path())
                .collect();
            devices.sort();
            dirs.push(root);
            dirs.extend(devices);
        }
        Ok(dirs)
    }

    /// Disconnects this vault from its folder (the folder and the vault keep everything; a later
    /// `sync_init` joins as a new device).
    pub fn sync_disconnect(&mut self) -> Result<PathBuf> {
        let file = connection_file(&self.header.vault_id, &self.path)?;
        // Not while a sync in another process runs: it would write the record back.
        let _lock = self.sync_lock()?;
        let connection = load_connection(&file)?.ok_or(Error::NotSynced)?;
        state::remove(&file).map_err(state_error)?;
        cache::remove(&file);
        Ok(connection.folder)
    }

    /// The devices writing to this vault's folder.
    pub fn sync_devices(&self) -> Result<Vec<DeviceInfo>> {
        let file = connection_file(&self.header.vault_id, &self.path)?;
        let connection = load_connection(&file)?.ok_or(Error::NotSynced)?;
        let folder = SyncFolder::new(&connection.folder, self.header.vault_id);
        let ring = self.sync_ring(&connection);
        let earlier: BTreeSet<[u8; 16]> = ring.keys().filter(|k| **k != self.header.key_id).copied().collect();
        let trusted = trusted_keys(&ring, &earlier, &connection);
        let secret = self.sync_device_secret(&mut connection.clone())?;
        let read = read_in_use((&ring, &trusted), &self.header.vault_id, &folder, &connection, &secret)?;
        Ok(devices_of(&read, &connection, &forgotten_devices(&read)))
    }

    /// Forgets a device (a lost or retired one), named by its name or the start of its id (at
    /// least 4 hex digits): every device stops using its change files after the ones there are
    /// now. Published with a sync. Returns the device's name. A device cannot forget itself.
    pub fn sync_forget(&mut self, which: &str) -> Result<(String, SyncReport)> {
        let file = connection_file(&self.header.vault_id, &self.path)?;
        let devices = self.sync_devices()?;
        let wanted = which.trim().to_lowercase();
        let matches: Vec<&DeviceInfo> = devices
            .iter()
            .filter(|d| !d.this_device && !d.forgotten)
            .filter(|d| d.name.to_lowercase() == wanted || (wanted.len() >= 4 && d.id.hex().starts_with(&wanted)))
            .collect();
        let device = match matches.as_slice() {
            [one] => (*one).clone(),
            [] => return Err(Error::NoSuchDevice { name: which.to_owned() }),
            _ => return Err(Error::AmbiguousDevice { name: which.to_owned(), count: matches.len() }),
        };
        let _lock = self.sync_lock()?;
        let report = self.sync_once(&file, Extra::Forget(device.id, device.files))?;
        Ok((device.name, report))
    }

    /// The lock one vault's syncs and every other write of its sync record take (the app's and
    /// the commands' in turn; re-entrant in one thread).
    fn sync_lock(&self) -> Result<state::Lock> {
        state::lock_named(&format!("sync-{}", hex(&self.header.vault_id))).map_err(state_error)
    }

    /// [`Vault::sync_lock`] when this vault is connected to a folder.
    pub(in crate::vault) fn sync_lock_if_synced(&self) -> Result<Option<state::Lock>> {
        match self.sync_connection()? {
            Some(_) => self.sync_lock().map(Some),
            None => Ok(None),
        }
    }

    /// Syncs: publishes the edits made here since the last sync, merges every device's, and
    /// applies the result (see the module's documentation). Refused while not connected.
    pub fn sync_now(&mut self) -> Result<SyncReport> {
        if self.salvage {
            return Err(Error::SalvageReadOnly);
        }
        let file = connection_file(&self.header.vault_id, &self.path)?;
        let _lock = self.sync_lock()?;
        // Another process (the app, a command) may write between reading the vault and applying
        // the merge; the apply then stops, and the sync starts over with that write in it.
        let mut attempts = 0;
        loop {
            match self.sync_once(&file, Extra::Nothing) {
                Err(Error::ChangedDuringSync) if attempts < 5 => attempts += 1,
                result => return result,
            }
        }
    }

    /// What a sync would do, without doing it: nothing is published, written or remembered
    /// (`tresor sync --dry-run`). The report's counts are what a sync would do now.
    pub fn sync_dry_run(&mut self) -> Result<SyncReport> {
        let file = connection_file(&self.header.vault_id, &self.path)?;
        self.sync_once(&file, Extra::DryRun)
    }

    /// The secrets flagged "changed on two devices" (as the last sync left them): each with its
    /// place and name, "shop/production DATABASE_URL". An edit of one ends its flag at the next
    /// sync, and so does [`Vault::sync_keep`].
    pub fn sync_flagged(&self) -> Result<Vec<(SecretId, String)>> {
        let file = connection_file(&self.header.vault_id, &self.path)?;
        let Some(connection) = load_connection(&file)? else { return Ok(Vec::new()) };
        let mut out = Vec::new();
        for id in connection.flagged.iter().filter_map(|h| unhex::<16>(h)) {
            let id = SecretId(id);
            if let Ok(meta) = self.meta(id) {
                let place = self.place_label_of(meta.place).map(|l| l.to_string()).unwrap_or_default();
                out.push((id, format!("{place} {}", meta.name)));
            }
        }
        Ok(out)
    }

    /// Keeps what a secret flagged "changed on two devices" shows: an edit that has seen every
    /// value, published (after a sync, so that it has seen all there is). The flag ends on every
    /// device; the other values stay in the history.
    pub fn sync_keep(&mut self, id: SecretId) -> Result<SyncReport> {
        let _lock = self.sync_lock()?;
        self.sync_now()?;
        let file = connection_file(&self.header.vault_id, &self.path)?;
        self.sync_once(&file, Extra::Keep(RecordId(id.0)))
    }

    /// Remembers records purged here (after the purge's commit), so that the next sync
    /// publishes their deletion. Best effort: if this fails, a purged record that no sync saw
    /// trashed comes back from the other devices, as in the trash.
    pub(super) fn sync_note_purged(&self, purged: &BTreeSet<[u8; 16]>) {
        let Ok(Some(_lock)) = self.sync_lock_if_synced() else { return };
        if let Ok(Some((file, mut connection))) = self.sync_connection() {
            connection.purged.extend(purged.iter().map(|id| hex(id)));
            connection.purged.sort();
            connection.purged.dedup();
            let _ = save_connection(&file, &connection);
        }
    }

    /// One sync, and what else it does (see [`Extra`]).
    fn sync_once(&mut self, file: &Path, extra: Extra) -> Result<SyncReport> {
        let forget = match extra {
            Extra::Forget(device, after) => Some((device, after)),
            _ => None,
        };
        let dry_run = matches!(extra, Extra::DryRun);
        // The vault file still under the key this vault holds (not moved by another process
        // since it was unlocked): what follows keeps and seals things under that key.
        self.read(|_| Ok(()))?;
        let mut connection = load_connection(file)?.ok_or(Error::NotSynced)?;
        // A key noted to announce before the move to it (`sync_before_rekey`) that the vault
        // never moved to (it stopped before): nothing to announce.
        if connection.pending_rekey.as_deref() == Some(hex(&self.header.key_id).as_str()) {
            connection.pending_rekey = None;
        }
        if !connection.folder.is_dir() {
            return Err(Error::SyncFolder {
                path: connection.folder.clone(),
                detail: "the folder is not there".into(),
            });
        }
        let folder = SyncFolder::new(&connection.folder, self.header.vault_id);
        // A new device's id is its signing key's: made before anything uses it.
        if connection.secrets.is_empty() && connection.read.is_empty() {
            self.sync_device_secret(&mut connection)?;
            if !dry_run {
                save_connection(file, &connection)?;
            }
        }
        let me = connection.device;
        if !dry_run {
            // This device's own folder first: one replaced by a link (whose files then seem
            // gone) is refused as such.
            folder.own_dir(me).map_err(folder_error(folder.root()))?;
        }
        // A sync that only receives starts from what the last one merged (`quick.rs`).
        if matches!(extra, Extra::Nothing)
            && let Some(report) = self.sync_quick(file, &connection)?
        {
            if cfg!(debug_assertions) {
                // The full merge would change nothing more (every test that syncs checks this).
                let full = self.sync_once(file, Extra::DryRun)?;
                assert!(
                    (full.created, full.updated, full.trashed, full.published) == (0, 0, 0, 0),
                    "the quick sync left the vault other than the full merge shows: {full:?}"
                );
            }
            return Ok(report);
        }
        let cached = cache::Cache::open(file)
            .and_then(|c| c.meta(&self.keys, &self.header.vault_id))
            .filter(|m| m.read == connection.read && m.synced_at == connection.synced_at);
        let vault_id = self.header.vault_id;
        let secrets_before = connection.secrets.clone();
        let secret = self.sync_device_secret(&mut connection)?;
        if !dry_run && secrets_before.is_empty() {
            // Made now: kept before anything sealed with its nonce is published (a sync that
            // stops, or starts over, after publishing must know those files for its own). (One
            // kept under another key only — a vault put back from an older backup — is not
            // replaced: a signing device's sync stops with `SyncSecretLost`.)
            save_connection(file, &connection)?;
        }
        // Read with every key this device holds, and again with each key granted to it in what
        // was read (a rekey is sealed under the key before it: a chain of them reads in turn).
        let mut ring = self.sync_ring(&connection);
        let earlier: BTreeSet<[u8; 16]> = ring.keys().filter(|k| **k != self.header.key_id).copied().collect();
        // Of what is read, only what a trusted key vouches for is used (`stored::hold_back`), for
        // keys as for the rest: so someone who kept an old key cannot forget a device or withhold
        // a key's announcement. (A grant held back is read: only its sender could seal it.)
        let mut read = loop {
            let trusted = trusted_keys(&ring, &earlier, &connection);
            let read = read_in_use((&ring, &trusted), &vault_id, &folder, &connection, &secret)?;
            let forgotten = forgotten_devices(&read);
            let mut all = keyring::announced(&read, &forgotten);
            all.extend(keyring::announced_held(&read, &forgotten));
            let public = keyring::public_keys(&read);
            let learned = keyring::granted(&all, (&vault_id, me, &secret), &public, &ring);
            if learned.is_empty() {
                break read;
            }
            for (id, key) in learned {
                ring.insert(id, VaultKeys::from_vault_key(key));
            }
        };

        // Two files under one of this device's own numbers, only one sealed by it (the others
        // re-sealed copies planted beside it, as a sync engine's conflict copies): the others
        // are set aside, and the sync starts over. (Two of its own are a copy of this device
        // writing beside it: refused below.)
        if !dry_run
            && let Some(file::ChainError::Forked { seq }) = read.chains.get(&me).and_then(|c| c.stopped.as_ref())
        {
            let seq = *seq;
            // Two of its own under the number it recorded last (one it published and never
            // recorded, taken away and put back as a conflict copy after it wrote another under
            // that number): the one it recorded.
            let recorded = connection.read.get(&me).filter(|(n, _)| *n == seq).map(|(_, digest)| digest.clone());
            let mine = |bytes: &[u8]| {
                file::open(&ring, &vault_id, bytes).is_ok_and(|f| {
                    f.header.device == me
                        && f.header.seq == seq
                        && file::written_by(&f, &secret)
                        && recorded.as_ref().is_none_or(|digest| *digest == hex(&f.digest))
                })
            };
            let moved = folder.set_aside_copies(me, seq, mine).map_err(folder_error(folder.root()))?;
            if !moved.is_empty() {
                let mut report = self.sync_once(file, extra)?;
                report.stopped.push(format!(
                    "this device's folder held copies of its file {seq} that it did not write; set aside: {}",
                    moved.join(", ")
                ));
                return Ok(report);
            }
        }
        // Nothing this device read before may have gone.
        for (device, (seq, digest)) in &connection.read {
            let chain = read.chains.get(device);
            let now = chain.map_or(0, |c| c.files.len() as u64);
            let same = chain
                .and_then(|c| c.files.get((*seq as usize).wrapping_sub(1)))
                .is_some_and(|f| hex(&f.digest) == *digest);
            if *seq > 0 && !same {
                return Err(Error::SyncRolledBack { device: device.short(), seen: *seq, found: now });
            }
        }

        let mut report = SyncReport {
            folder: connection.folder.clone(),
            device_name: connection.name.clone(),
            ..SyncReport::default()
        };
        // Forgotten devices (a lost or retired one): their files past the point they were
        // forgotten at are not used. This device forgotten by another cannot sync any more —
        // told after it has taken a later key granted to it (below): a forget written under the
        // key it is leaving by someone who kept that key (a device of their own, joined with an
        // old passphrase) is then held back, as everything under that key nothing vouches for.
        let mut forgotten = forgotten_devices(&read);
        if let Some((device, after)) = forget {
            forgotten.insert(device, after);
        }
        // A later key made on another device: this vault moves to it (and to its passphrase),
        // then syncs under it. Not while a key made here is yet to be announced. (`known`: the
        // devices it had merged from before this sync.)
        let known: BTreeSet<DeviceId> = connection.read.iter().filter(|(_, (n, _))| *n > 0).map(|(d, _)| *d).collect();
        // When this device's key was made, as it learnt it then (not as the folder now says).
        let announced_in_use = keyring::announced(&read, &forgotten);
        let current =
            (&self.header.key_id, keyring::current_clock(&connection, &announced_in_use, &self.header.key_id));
        // A device that forgot a device before its announcement of a key this one would move
        // to: someone who kept the old passphrase, with a device of their own (joined after the
        // change, or a lost device of yours they hold, forking its chain), who cut off the
        // announcer to keep this device on the old key; or you, who forgot a lost device, whose
        // holder then announced a key of theirs. Nothing here tells the two apart: nothing is
        // merged or published under the old key until the user opens this vault with the
        // passphrase they set last (`newer_key_for`), which moves it to that passphrase's key.
        // (This device's own forgets, and those it had merged at an earlier sync, are taken as
        // they are: the user's forget of a lost device, once read, is not put in doubt when
        // whoever holds that device announces a key of theirs.) Only announcements that grant
        // their key to this device count, here as for the move below (`granted_to_me`).
        let public = keyring::public_keys(&read);
        let me_ctx = (&vault_id, me, &secret);
        let granted_in_use = keyring::granted_to_me(&announced_in_use, me_ctx, &public);
        // (Each such key, with the key it was announced under and the devices it was given to:
        // see the announcements below.)
        let given: Vec<([u8; 16], String, BTreeSet<DeviceId>)> = granted_in_use
            .iter()
            .map(|a| (a.under, a.rekey.key_id.clone(), a.rekey.grants.keys().copied().collect()))
            .collect();
        if connection.pending_rekey.is_none() {
            // (The keys granted in the files those forgets cut off are opened for this check
            // only: this device reads nothing with them.)
            let merged_before = |d: &DeviceId, i: usize| connection.read.get(d).is_some_and(|(n, _)| (i as u64) < *n);
            let by_me = forgotten_devices_by(&read, |d, i| *d == me || merged_before(d, i));
            let all = keyring::granted_to_me(&keyring::announced(&read, &by_me), me_ctx, &public);
            let mut with_cut_off = ring.clone();
            for (id, key) in keyring::granted(&all, me_ctx, &public, &ring) {
                with_cut_off.insert(id, VaultKeys::from_vault_key(key));
            }
            let now = keyring::to_adopt(&granted_in_use, current, &ring, &known);
            if let Some((announcer, rekey)) = keyring::to_adopt(&all, current, &with_cut_off, &known)
                && now.is_none_or(|(_, r)| r.key_id != rekey.key_id)
                && forgotten.contains_key(&announcer)
            {
                let name = |device: &DeviceId| {
                    read.bodies
                        .get(device)
                        .and_then(|b| b.last())
                        .map_or_else(|| device.short(), |b| b.device_name.clone())
                };
                let forgetters = read
                    .bodies
                    .iter()
                    .filter(|(device, _)| **device != me)
                    .filter(|(_, bodies)| {
                        bodies
                            .iter()
                            .flat_map(|b| &b.changes)
                            .any(|c| c.record == RecordId(announcer.0) && matches!(c.state, State::Forget { .. }))
                    })
                    .map(|(device, _)| name(device))
                    .collect::<Vec<_>>();
                return Err(Error::SyncKeyDisputed {
                    announcer: name(&announcer),
                    forgetters: forgetters.join("\", \""),
                });
            }
        }
        if !dry_run
            && connection.pending_rekey.is_none()
            && let Some((by, rekey)) = keyring::to_adopt(&granted_in_use, current, &ring, &known)
            && let Some(header) = keyring::header_of_rekey(rekey, &vault_id)
        {
            let key = ring[&header.key_id].vault_key().clone();
            connection.earlier = keyring::seal_earlier(&vault_id, (&self.header.key_id, self.keys.vault_key()), &ring);
            connection.key_clock = Some((rekey.key_id.clone(), Some(rekey.clock)));
            save_connection(file, &connection)?;
            self.adopt_key(key, header)?;
            let name = read.bodies.get(&by).and_then(|b| b.last()).map(|b| b.device_name.clone());
            let mut report = self.sync_once(file, extra)?;
            report.rekeyed_by = Some(name.unwrap_or_else(|| by.short()));
            return Ok(report);
        }
        if forgotten.contains_key(&me) {
            return Err(Error::SyncForgotten);
        }
        // Every change in use (`full`); what this device had merged at its last sync (`base`:
        // its own files and the others' up to what it had read) is built below when needed.
        let in_use = |device: &DeviceId, bodies: &[Body]| {
            let known =
                if *device == me { bodies.len() } else { connection.read.get(device).map_or(0, |r| r.0 as usize) };
            let used = forgotten.get(device).map_or(bodies.len(), |after| (*after as usize).min(bodies.len()));
            (known, used)
        };
        let mut full = Merged::default();
        let mut touched: BTreeSet<RecordId> = BTreeSet::new();
        // The changes new to this device (received, then published): what the cache adds.
        let mut fresh: Vec<(RecordId, super::sync::Hlc)> = Vec::new();
        for (device, bodies) in &read.bodies {
            let (known, used) = in_use(device, bodies);
            for (i, body) in bodies.iter().enumerate().take(used) {
                for change in &body.changes {
                    if i >= known {
                        report.received += 1;
                        touched.insert(change.record);
                        fresh.push((change.record, change.clock));
                    }
                    full.apply(change.clone());
                }
            }
            if let Some(why) = &read.chains[device].stopped {
                let held = read.held.get(device).and_then(|h| h.last());
                let name = held.or(bodies.last()).map_or_else(String::new, |b| format!(" ({})", b.device_name));
                report
                    .stopped
                    .push(format!("device {}{name}: {why}; nothing of it from there on is used", device.short()));
            }
        }
        for (device, held) in read.held.iter().filter(|(device, _)| !forgotten.contains_key(device) && **device != me) {
            let name = held.last().map_or_else(String::new, |b| format!(" ({})", b.device_name));
            report.stopped.push(format!("device {}{name}: {}", device.short(), held_back(held.len())));
        }

        // This device's edits since its last sync: records that differ from what the vault showed
        // then and were changed since (a restored backup, an older copy accepted, differ but are
        // older: the merge puts them right instead of publishing them), and that do not already
        // show what the merge says (a sync that applied but could not record it).
        let read_at = self.clock.now().0;
        let (snapshot, stored) = self.sync_snapshot(&connection.applied)?;
        // Only records changed since the last sync, or unknown to it, can be edits: when there
        // are none (a sync that only receives), what the base and the merge show is not needed
        // here (working it out for every record is most of a sync's time).
        let maybe_edited = !connection.purged.is_empty()
            || snapshot.iter().any(|(record, (state, changed))| {
                *changed > connection.synced_at || (!full.knows(record) && *state != State::Deleted)
            });
        let mut base = Merged::default();
        if maybe_edited || !matches!(extra, Extra::Nothing) {
            for (device, bodies) in &read.bodies {
                let (known, used) = in_use(device, bodies);
                bodies.iter().take(used.min(known)).flat_map(|b| &b.changes).for_each(|c| base.apply(c.clone()));
            }
        }
        let (expected, merged_now) =
            if maybe_edited { (expected_states(&base), expected_states(&full)) } else { Default::default() };
        let mut changes = Vec::new();
        let seen_clock = base.latest_clock();
        for (record, (state, changed)) in snapshot.iter().filter(|_| maybe_edited) {
            let known = expected.get(record);
            let edited = match known {
                Some(shown) => shown != state && *changed > connection.synced_at,
                None => *state != State::Deleted,
            };
            let already = merged_now.get(record).map_or(*state == State::Deleted, |s| s == state);
            if edited && !already {
                changes.push(base.edit_after(seen_clock, *record, state.clone(), me, (*changed).max(0) as u64));
            }
        }
        // Records purged here that the other devices still show: their deletion (the rows are
        // gone, so the comparison above cannot see them).
        for record in connection.purged.iter().filter_map(|h| unhex::<16>(h)).map(RecordId) {
            let shown = merged_now.get(&record).is_some_and(|s| *s != State::Deleted);
            if shown && !snapshot.contains_key(&record) && !changes.iter().any(|c| c.record == record) {
                let now = self.clock.now().0.max(0) as u64;
                changes.push(base.edit_after(seen_clock, record, State::Deleted, me, now));
            }
        }
        if let Some((device, after)) = forget {
            let now = self.clock.now().0.max(0) as u64;
            changes.push(base.edit_after(seen_clock, RecordId(device.0), State::Forget { after }, me, now));
        }
        if let Extra::Keep(record) = extra
            && let Some((state, _)) = snapshot.get(&record)
            && !changes.iter().any(|c| c.record == record)
        {
            let now = self.clock.now().0.max(0) as u64;
            changes.push(base.edit_after(seen_clock, record, state.clone(), me, now));
        }
        if dry_run {
            report.published = changes.len();
            for change in changes {
                touched.insert(change.record);
                full.apply(change);
            }
            let shown = full.shown();
            let target = apply::target_states(&full.places_with(&shown), &shown);
            for (record, state) in &target {
                match snapshot.get(record).map(|s| &s.0) {
                    None | Some(State::Deleted) => report.created += 1,
                    Some(now) if now != state => report.updated += 1,
                    Some(_) => {}
                }
            }
            report.trashed = snapshot
                .iter()
                .filter(|(record, (state, _))| *state != State::Deleted && !target.contains_key(record))
                .count();
            report.conflicts = shown
                .iter()
                .filter(|s| s.changed_on_two_devices && touched.contains(&s.record))
                .map(|s| s.name.clone())
                .collect();
            return Ok(report);
        }
        // Files in this device's own folder that it did not write (`stored::read_in_use`: not
        // sealed with its own nonce, or not continuing its chain) are set aside, so that the next
        // file can take their number — and does not vouch for them: someone who holds a vault key,
        // the current one or one this device moved away from, wrote them. Two valid files under
        // one number are a copy of this device writing beside it: refused.
        let own_used = read.bodies.get(&me).map_or(0, Vec::len);
        if let Some(own) = read.chains.get_mut(&me)
            && (own.stopped.is_some() || own.files.len() > own_used)
        {
            let why = own.stopped.as_ref().map_or_else(
                || "not sealed by this device, whatever key they are under".to_owned(),
                ToString::to_string,
            );
            if matches!(own.stopped, Some(file::ChainError::Forked { .. })) {
                return Err(Error::SyncFolder {
                    path: connection.folder.clone(),
                    detail: format!("this device's own change files: {why}"),
                });
            }
            let moved = folder.set_aside(me, own_used as u64 + 1).map_err(folder_error(folder.root()))?;
            report.stopped.push(format!(
                "this device's folder held files it did not write ({why}); set aside: {}",
                moved.join(", ")
            ));
            own.files.truncate(own_used);
            read.held.remove(&me);
        }
        // The key file first: a sync that cannot write it (a folder put in its place) stops
        // before it publishes anything, rather than after publishing files it then never records.
        self.publish_key_file(&folder, me, &ring)?;
        let marks = read.merged_marks(me, &forgotten);
        // Files this device published that no sync recorded (one stopped between the two): the
        // cache, which counts only the files after those recorded as new, is made anew.
        let own_unrecorded = own_used as u64 > connection.read.get(&me).map_or(0, |r| r.0);
        let mut own_files = read.chains.get(&me).map_or(0, |c| c.files.len() as u64);
        let mut published_last = None;
        let mut own_digest = read.chains.get(&me).and_then(|c| c.files.last()).map(|f| f.digest);
        let own_last_key = read.chains.get(&me).and_then(|c| c.files.last()).map(|f| f.header.key);
        let mut under_current = false;
        let mut announced_now = false;
        let mut publish = |body: &Body, keys: &VaultKeys, key_id: [u8; 16]| -> Result<()> {
            let body = Zeroizing::new(serde_json::to_vec(body).expect("a body serializes"));
            let bytes = folder
                .publish((keys, key_id), (me, &secret), own_files + 1, own_digest.unwrap_or([0; 32]), &body)
                .map_err(folder_error(folder.root()))?;
            own_files += 1;
            own_digest = Some(file::digest(&bytes));
            Ok(())
        };
        // The current key announced under older keys (see keyring.rs): a key made here under
        // every key held before it, with a new clock; a key made elsewhere under the older keys
        // learnt since (a device still on one moves on when it reads it).
        let all = keyring::announced(&read, &forgotten);
        let current_id = self.header.key_id;
        let replaced = connection.pending_rekey.take().and_then(|id| unhex::<16>(&id));
        let clock = if replaced.is_some() {
            // Later than every key this device knows of, the one it replaces first (made on a
            // device whose clock ran ahead, say): a key made after seeing another never loses to
            // it.
            let now = self.clock.now().0.max(0) as u64;
            let keys_seen = all.iter().map(|a| a.rekey.clock).chain(connection.key_clock.as_ref().and_then(|k| k.1));
            Some(super::sync::Hlc::tick(full.latest_clock().into_iter().chain(keys_seen).max(), now, me))
        } else {
            current.1
        };
        // Kept from now on (see `Connection::key_clock`); no date yet is kept only for the first
        // key this device knows of (the vault's first: no announcement of it can be real), as a
        // key's announcement may reach a device after the key did (through a key file).
        if clock.is_some() || ring.len() == 1 {
            connection.key_clock = Some((hex(&current_id), clock));
        }
        if let Some(clock) = clock {
            let context = (&read, me, &forgotten);
            let key = (&current_id, clock, replaced);
            for under in keyring::to_announce_under(context, &all, key, &ring, &connection.announced) {
                // Another key announced under `under` to this device (a passphrase changed
                // elsewhere while this device was away, and here too): a device that wrote under
                // `under` that it was not given, and that this device never merged from, joined
                // after that change with the passphrase it replaced — someone who kept it. It is
                // given nothing here either.
                let elsewhere: Vec<_> =
                    given.iter().filter(|(on, key, _)| *on == under && *key != hex(&current_id)).collect();
                let skip: BTreeSet<DeviceId> = if elsewhere.is_empty() {
                    BTreeSet::new()
                } else {
                    read.chains
                        .keys()
                        .filter(|d| !known.contains(d) && !elsewhere.iter().any(|(_, _, to)| to.contains(d)))
                        .copied()
                        .collect()
                };
                let rekey = self.sync_announcement((&read, me, &secret), (&under, &skip), clock);
                publish(
                    &Body { rekey: Some(rekey), ..keyring::body(&connection, &secret, &marks) },
                    &ring[&under],
                    under,
                )?;
                connection.announced.push((hex(&current_id), hex(&under)));
                announced_now = true;
            }
        }
        let current = (&*self.keys, current_id);
        if !changes.is_empty() {
            // In files of at most about 16 MiB of body each (a change file may hold 64 MiB:
            // many large values go out in several).
            for part in in_parts(&changes, 16 << 20) {
                publish(
                    &Body { changes: part.to_vec(), ..keyring::body(&connection, &secret, &marks) },
                    current.0,
                    current.1,
                )?;
                under_current = true;
            }
            report.published = changes.len();
            published_last = changes.iter().map(|c| Timestamp(c.clock.millis as i64)).max();
            for change in changes {
                touched.insert(change.record);
                fresh.push((change.record, change.clock));
                full.apply(change);
            }
        }
        if !under_current && (own_last_key != Some(current_id) || announced_now) {
            // A device says who it is (its name and public key) under each key it moves to,
            // even with nothing to publish: a later key is granted to the devices that wrote
            // under the one it replaces.
            publish(&keyring::body(&connection, &secret, &marks), current.0, current.1)?;
        }
        crate::failpoint("sync-after-publish");

        // The merged vault, applied.
        let secrets = full.shown();
        let places = full.places_with(&secrets);
        let earlier = earlier_values(&full, &secrets, &snapshot, &touched);
        let (written, record_set) =
            self.apply_merged(&places, &secrets, (&snapshot, &stored), &touched, &earlier, &mut report)?;

        // What was read, remembered.
        // (Of each device, what is in use: a file held back is not merged yet.)
        for (device, bodies) in &read.bodies {
            if let Some(last) = read.last_used(device) {
                connection.read.insert(*device, (bodies.len() as u64, hex(&last.digest)));
            }
        }
        if let Some(digest) = own_digest {
            connection.read.insert(me, (own_files, hex(&digest)));
        }
        connection.synced_at = read_at;
        // The rows written here changed after `read_at`, but are no edits: remembered as written
        // (a few; after a large sync the next one only takes longer to tell).
        connection.applied = match written.len() <= stored::APPLIED_KEPT {
            true => written.iter().map(|(id, term)| (hex(id), stored::applied_mark(term))).collect(),
            false => BTreeMap::new(),
        };
        // The purges this sync saw are published; one made meanwhile (another process) waits
        // for the next.
        let seen_purged = std::mem::take(&mut connection.purged);
        if let Some(now) = load_connection(file)? {
            connection.purged = now.purged.into_iter().filter(|id| !seen_purged.contains(id)).collect();
        }
        connection.earlier = keyring::seal_earlier(&vault_id, (&self.header.key_id, self.keys.vault_key()), &ring);
        connection.flagged = secrets.iter().filter(|s| s.changed_on_two_devices).map(|s| hex(&s.record.0)).collect();
        save_connection(file, &connection)?;
        // The devices as this sync found them (no second read of the folder), this one with
        // what it just published.
        report.devices = devices_of(&read, &connection, &forgotten);
        if let Some(this) = report.devices.iter_mut().find(|d| d.this_device) {
            this.files = own_files;
            this.last_change = this.last_change.max(published_last);
        }
        // What was merged, for the next sync to start from: the records this one changed when
        // the cache was that of the sync before (same key, same devices forgotten), else all.
        let shown_places: BTreeSet<[u8; 16]> = places.iter().map(|p| p.record.0).collect();
        let simple = report.stopped.is_empty()
            && read.held.is_empty()
            && secrets.iter().all(|s| s.renamed_from.is_none() && shown_places.contains(&s.place))
            && places.iter().all(|p| p.renamed_from.is_none() && !p.kept_for_contents);
        let meta = cache::Meta {
            key_id: hex(&self.header.key_id),
            read: connection.read.clone(),
            synced_at: connection.synced_at,
            record_set,
            devices: report
                .devices
                .iter()
                .map(|d| (d.id, d.name.clone(), d.files, d.last_change.map(|t| t.0), d.forgotten))
                .collect(),
            forgotten: forgotten.clone(),
            simple,
        };
        // (A forget, or an earlier point to forget a device at, takes changes out of the merge.)
        let rebuild = own_unrecorded || cached.is_none_or(|m| m.key_id != meta.key_id || m.forgotten != meta.forgotten);
        if rebuild {
            // Made anew: a damaged cache heals at the next full sync.
            cache::remove(file);
        }
        if let Some(mut cache) = cache::Cache::open(file) {
            // Not written: the next sync is a full one.
            let _ = if rebuild {
                let states = full.record_ids().map(|r| (*r, full.states(r).collect::<Vec<_>>()));
                cache.store(&self.keys, &vault_id, cache::Write::Anew, states, &meta)
            } else {
                // Of each new change, the state kept (of two with one clock, the merge keeps one).
                let states = fresh
                    .iter()
                    .map(|(r, clock)| (*r, full.states(r).filter(|c| c.clock == *clock).collect::<Vec<_>>()));
                cache.store(&self.keys, &vault_id, cache::Write::Add, states, &meta)
            };
        }
        Ok(report)
    }

    /// The vault's records as the merge's states, and the sealed record set they were read
    /// with (a write since changes it). A row as the last sync wrote it (`applied`) counts as
    /// changed at time 0: it shows what the merge said then, so it is not an edit.
    fn sync_snapshot(&self, applied: &BTreeMap<String, String>) -> Result<(Snapshot, Vec<u8>)> {
        self.read(|conn| {
            let stored = store::read_record_set(conn)?;
            let records = self.records();
            let mut out = Snapshot::new();
            for row in PlaceRow::all(conn)? {
                let state = match row.deleted {
                    Some(_) => State::Deleted,
                    None => State::Place {
                        project: row.project.map(|p| p.0),
                        name: records.place_name(&row)?.as_str().to_owned(),
                        default: row.is_default,
                        position: row.position,
                    },
                };
                let as_written =
                    applied.get(&hex(&row.id.0)).is_some_and(|t| *t == stored::applied_mark(&records.place_term(&row)));
                let changed = if as_written { 0 } else { row.modified.max(row.deleted.unwrap_or(0)) };
                out.insert(RecordId(row.id.0), (state, changed));
            }
            for row in SecretRow::all(conn)? {
                let state = secret_state(&records, &row)?;
                let as_written = applied
                    .get(&hex(&row.id.0))
                    .is_some_and(|t| *t == stored::applied_mark(&records.secret_term(&row)));
                let changed = if as_written { 0 } else { row.modified.max(row.deleted.unwrap_or(0)) };
                out.insert(RecordId(row.id.0), (state, changed));
            }
            Ok((out, stored))
        })
    }
}

/// Values to pass through before the winner, so that they land in the history: for a secret
/// new here, every value it had (a joined device gets the versions too); for one changed on two
/// devices, the values that lost.
fn earlier_values(
    full: &Merged,
    secrets: &[Shown],
    snapshot: &Snapshot,
    touched: &BTreeSet<RecordId>,
) -> BTreeMap<RecordId, Vec<Zeroizing<String>>> {
    let mut earlier: BTreeMap<RecordId, Vec<Zeroizing<String>>> = BTreeMap::new();
    for shown in secrets {
        let values = earlier.entry(shown.record).or_default();
        if !snapshot.contains_key(&shown.record) {
            for change in full.history(&shown.record).into_iter().rev() {
                if let State::Live { value, .. } = &change.state
                    && values.last().map(|v| v.as_str()) != Some(value.as_str())
                {
                    values.push(Zeroizing::new(value.clone()));
                }
            }
            let keep = values.len().saturating_sub(super::HISTORY_LIMIT);
            values.drain(..keep);
        } else if shown.changed_on_two_devices && touched.contains(&shown.record) {
            let winner = full.winner(&shown.record).map(|w| w.clock);
            for head in full.heads(&shown.record) {
                if let State::Live { value, .. } = &head.state
                    && Some(head.clock) != winner
                {
                    values.push(Zeroizing::new(value.clone()));
                }
            }
        }
    }
    earlier.retain(|_, values| !values.is_empty());
    earlier
}

/// The keys whose files are used as they are: every key in `ring` but the earlier ones this
/// device moved away from (whoever kept one of those — an old passphrase and yesterday's key
/// file — can still seal files under it). A key only gets into the ring through a grant read
/// in a file in use, so a key made by someone who holds only an earlier one is not there. The
/// one a key made here replaces stays trusted until the new key is announced: what is under it
/// was written by devices that held it then, and the files published now vouch for them.
fn trusted_keys(ring: &KeyRing, earlier: &BTreeSet<[u8; 16]>, connection: &Connection) -> BTreeSet<[u8; 16]> {
    let replaced = connection.pending_rekey.as_deref().and_then(unhex::<16>);
    ring.keys().filter(|k| !earlier.contains(*k) || Some(**k) == replaced).copied().collect()
}

/// A secret row as the merge's state (a trashed one as deleted).
pub(super) fn secret_state(records: &super::records::Records<'_>, row: &SecretRow) -> Result<State> {
    Ok(match row.deleted {
        Some(_) => State::Deleted,
        None => State::Live {
            place: row.place.0,
            name: records.name(row)?.as_str().to_owned(),
            description: records.description(row)?,
            value: records.value(row)?.expose().to_owned(),
        },
    })
}

/// What the vault showed after the last sync: the states `base` shows (names as renamed), and
/// deletion for every record whose winner is a deletion.
fn expected_states(base: &Merged) -> BTreeMap<RecordId, State> {
    let mut out: BTreeMap<RecordId, State> = base.winners().map(|c| (c.record, State::Deleted)).collect();
    let shown = base.shown();
    out.extend(target_states(&base.places_with(&shown), &shown));
    out
}

/// The forgotten devices and how many of each one's files are still used: what the files in use
/// say, where a forgotten device's later files (which could forget others) are not in use.
fn forgotten_devices(read: &stored::Read) -> BTreeMap<DeviceId, u64> {
    forgotten_devices_by(read, |_, _| true)
}

/// [`forgotten_devices`], by the forgets in the files `by` keeps only (a device, and the index
/// of its file).
fn forgotten_devices_by(read: &stored::Read, by: impl Fn(&DeviceId, usize) -> bool) -> BTreeMap<DeviceId, u64> {
    let mut forgotten: BTreeMap<DeviceId, u64> = BTreeMap::new();
    // Each round can only take files out; a few rounds settle any real folder.
    for _ in 0..4 {
        let mut every = Merged::default();
        for (device, bodies) in &read.bodies {
            let used = forgotten.get(device).map_or(bodies.len(), |after| (*after as usize).min(bodies.len()));
            // Only forgets count (`Merged::forgotten`): the rest is not copied.
            bodies
                .iter()
                .take(used)
                .enumerate()
                .filter(|(i, _)| by(device, *i))
                .map(|(_, b)| b)
                .flat_map(|b| &b.changes)
                .filter(|c| matches!(c.state, State::Forget { .. }))
                .for_each(|c| every.apply(c.clone()));
        }
        let next = every.forgotten();
        if next == forgotten {
            break;
        }
        forgotten = next;
    }
    forgotten
}

/// `changes` cut into runs whose bodies stay near `limit` bytes (a change's size estimated from
/// its texts; one change larger than the limit goes alone).
fn in_parts(changes: &[Change], limit: usize) -> Vec<&[Change]> {
    let size = |c: &Change| match &c.state {
        State::Live { name, description, value, .. } => 2 * (name.len() + description.len() + value.len()) + 512,
        _ => 512,
    };
    let mut parts = Vec::new();
    let (mut start, mut total) = (0, 0);
    for (i, change) in changes.iter().enumerate() {
        let this = size(change);
        if i > start && total + this > limit {
            parts.push(&changes[start..i]);
            (start, total) = (i, 0);
        }
        total += this;
    }
    if start < changes.len() {
        parts.push(&changes[start..]);
    }
    parts
}

/// What is said of a device with `count` files held back ([`stored::hold_back`]).
fn held_back(count: usize) -> String {
    let (files, wait, they, them) = match count {
        1 => ("change file is".to_owned(), "waits", "it", "it"),
        n => (format!("{n} change files are"), "wait", "they", "them"),
    };
    format!(
        "the last {files} sealed under an earlier key that nothing under the current key vouches for: held back, \
         {they} {wait} until that device takes the current key (someone who kept an old passphrase could have \
         written {them})"
    )
}

/// The devices of a folder as read: each writer, and this device even before it wrote.
fn devices_of(read: &stored::Read, connection: &Connection, forgotten: &BTreeMap<DeviceId, u64>) -> Vec<DeviceInfo> {
    let mut out = Vec::new();
    for (device, chain) in &read.chains {
        let bodies = &read.bodies[device];
        let held = read.held.get(device);
        out.push(DeviceInfo {
            id: *device,
            name: held.and_then(|h| h.last()).or(bodies.last()).map_or_else(String::new, |b| b.device_name.clone()),
            files: chain.files.len() as u64,
            last_change: bodies.iter().flat_map(|b| &b.changes).map(|c| Timestamp(c.clock.millis as i64)).max(),
            this_device: *device == connection.device,
            stopped: chain
                .stopped
                .as_ref()
                .map(ToString::to_string)
                .or(held.filter(|_| !forgotten.contains_key(device)).map(|h| held_back(h.len()))),
            forgotten: forgotten.contains_key(device),
        });
    }
    if !out.iter().any(|d| d.this_device) {
        out.push(DeviceInfo {
            id: connection.device,
            name: connection.name.clone(),
            files: 0,
            last_change: None,
            this_device: true,
            stopped: None,
            forgotten: false,
        });
    }
    out
}

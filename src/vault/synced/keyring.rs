//! The vault keys of a synced vault, and how a new one reaches every device.
//!
//! A passphrase change or a key rotation on one device makes a new random vault key (the
//! passphrase change rotates too: a key wrap of the old passphrase, kept in the folder's history
//! or by a sync engine's versioning, must open nothing written after it). The device then
//! publishes a *rekey* file, sealed under the old key, that carries the new key's id, its wrap
//! under the (new) passphrase, and the new key sealed from its own X25519 key to each device's
//! public one ([`crypto::seal_key_to`]) — never under anything the old key or the old
//! passphrase opens.
//! Its later files are sealed under the new key.
//!
//! Every other device opens its grant with its own device secret (kept in its state folder,
//! sealed under its vault key), rotates its own file to the new key and takes the new wrap as its
//! header: from then on it opens with the new passphrase, as the device where it was changed
//! does. Every device keeps the earlier keys it held (sealed under the current one) to read the
//! files written before; a joining device gets them with the current key's wrap (`key.json`).
//!
//! The rules, against someone who holds only an old key (an old passphrase with an old
//! `key.json`):
//! - A device *moves* to a key only if it was announced in a file sealed under the device's
//!   current key, and made later than it ([`to_adopt`]). A key granted in any other file is only
//!   *learnt*: it opens the files sealed under it, nothing more. Of several such keys, it takes
//!   the one announced by the most devices it had merged from before (then the later): a device
//!   that slept through a change can find a later key announced under its current one by a
//!   device of someone who kept that key, which it had never heard of.
//! - Files under a key a device has moved away from are used only as far as a file under a key
//!   it trusts vouches for them (`stored::hold_back`).
//! - A grant is sealed by the device that announces the key as well as to the one it is for
//!   ([`crypto::seal_key_to`]: its device key, named in its files in use, opens it): someone
//!   who holds only an old key cannot make one. So a grant is read even in a file held back: a
//!   device that changed the passphrase at the same time as this one, before either read the
//!   other's change, has its announcement held back here (it is under the key this device moved
//!   away from), and the key it grants opens its later files, which vouch for it.
//! - A key is granted only to the devices that wrote a file under the key it replaces (or under
//!   itself): a device made by someone holding only an older key is given nothing. Devices
//!   forgotten are given nothing: forgetting a lost laptop and then changing the passphrase
//!   shuts it out of everything written after.
//! - A forget that cuts off a device's announcement of a key this device would move to, written
//!   by any device but this one, stops the sync ([`Error::SyncKeyDisputed`]): someone who kept
//!   the old key (with a device of their own, or a lost one whose chain they fork) and the
//!   user's own forget of a lost device (then used by whoever holds it) look the same from here.
//!   Nothing is merged or published under the old key until the vault is opened with the
//!   passphrase set last, which moves it to that passphrase's key (`keyfile::newer_key_for`).
//! - A device dates its current key by what it learnt when it made or took it
//!   (`Connection::key_clock`, [`current_clock`]): whoever holds an old key could announce it
//!   anew in the folder with a later clock.
//! - A device announces its current key under each older key another device is still on (that
//!   device's last file is sealed under it), once ([`to_announce_under`]); after moving, a
//!   device writes a file under its new key. So two rekeys made without seeing each other end on
//!   the one with the later clock on every device.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::super::Vault;
use super::super::crypto::{self, DeviceSecret, Key32, VaultKeys};
use super::super::error::{Error, Result};
use super::super::store::Header;
use super::super::sync::{DeviceId, Hlc, KeyRing, hex, unhex};
use super::stored::{self, Body, Connection, KeyFile, Read};

/// A key (or this device's secret) sealed under a vault key.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(super) struct Sealed {
    /// The id of what is sealed: a key id, or the device id for the device secret.
    pub(super) id: String,
    /// The id of the vault key it is sealed under.
    pub(super) under: String,
    pub(super) sealed: String,
}

/// A new vault key, announced by the device that made it.
#[derive(Serialize, Deserialize, Clone)]
pub(super) struct Rekey {
    pub(super) key_id: String,
    /// Orders rekeys made without seeing each other: the later one is where every device ends.
    pub(super) clock: Hlc,
    /// The new key's wrap under the passphrase: the header every device takes.
    pub(super) key_file: KeyFile,
    /// The new key sealed to each device's public key.
    pub(super) grants: BTreeMap<DeviceId, String>,
}

fn sealed_aad(what: &str, vault: &[u8; 16], id: &str, under: &[u8; 16]) -> Vec<u8> {
    [b"tresor sync sealed ".as_slice(), what.as_bytes(), vault, id.as_bytes(), under].concat()
}

fn grant_aad(vault: &[u8; 16], key_id: &str, device: DeviceId) -> Vec<u8> {
    [b"tresor sync key grant".as_slice(), vault, key_id.as_bytes(), &device.0].concat()
}

/// `keys` (all but `current`) sealed under `current`: what a connection and a key file keep.
pub(super) fn seal_earlier(vault: &[u8; 16], current: (&[u8; 16], &Key32), ring: &KeyRing) -> Vec<Sealed> {
    ring.iter()
        .filter(|(id, _)| *id != current.0)
        .map(|(id, keys)| {
            let id = hex(id);
            let aad = sealed_aad("key", vault, &id, current.0);
            Sealed { sealed: hex(&crypto::wrap_key(current.1, keys.vault_key(), &aad)), id, under: hex(current.0) }
        })
        .collect()
}

/// The earlier keys in `sealed` that open under `current` (others are skipped).
pub(super) fn open_earlier(vault: &[u8; 16], current: (&[u8; 16], &Key32), sealed: &[Sealed]) -> KeyRing {
    let mut ring = KeyRing::new();
    for entry in sealed.iter().filter(|s| s.under == hex(current.0)) {
        let aad = sealed_aad("key", vault, &entry.id, current.0);
        if let (Some(id), Some(bytes)) = (unhex::<16>(&entry.id), stored::unhex_vec(&entry.sealed))
            && let Some(key) = crypto::unwrap_key(current.1, &bytes, &aad)
        {
            ring.insert(id, VaultKeys::from_vault_key(key));
        }
    }
    ring
}

fn seal_secret(vault: &[u8; 16], device: DeviceId, under: (&[u8; 16], &Key32), secret: &DeviceSecret) -> Sealed {
    let id = device.hex();
    let aad = sealed_aad("device", vault, &id, under.0);
    let bytes = crypto::wrap_key(under.1, &Key32::from_bytes(*secret.to_bytes()), &aad);
    Sealed { id, under: hex(under.0), sealed: hex(&bytes) }
}

impl Vault {
    /// Every key this device holds: the vault's own and the earlier ones its connection keeps.
    pub(super) fn sync_ring(&self, connection: &Connection) -> KeyRing {
        let current = (&self.header.key_id, self.keys.vault_key());
        let mut ring = open_earlier(&self.header.vault_id, current, &connection.earlier);
        ring.insert(self.header.key_id, (*self.keys).clone());
        ring
    }

    /// This device's secret: opened from its connection, or made now (the connection is then
    /// changed: the caller saves it). A new device (no secret, nothing read yet) takes the id its
    /// signing key names, so that every reader knows its change files from anyone else's (see
    /// `file::seal_by`). A signing device whose secret this vault cannot open (sealed under a key
    /// the file no longer has: a backup from before a key change put back) is refused
    /// ([`Error::SyncSecretLost`]): a new secret would sign nothing its id vouches for. (A device
    /// set up by an earlier version, which does not sign, is given a new one, as before.)
    pub(super) fn sync_device_secret(&self, connection: &mut Connection) -> Result<DeviceSecret> {
        let current = (&self.header.key_id, self.keys.vault_key());
        let id = connection.device.hex();
        let found = connection.secrets.iter().find(|s| s.id == id && s.under == hex(current.0)).and_then(|entry| {
            let aad = sealed_aad("device", &self.header.vault_id, &id, current.0);
            crypto::unwrap_key(current.1, &stored::unhex_vec(&entry.sealed)?, &aad)
        });
        if let Some(key) = found {
            return Ok(DeviceSecret::from_bytes(*key.as_bytes()));
        }
        let new_device = connection.secrets.is_empty() && connection.read.is_empty();
        if !new_device && crypto::is_signing_id(&connection.device.0) {
            return Err(Error::SyncSecretLost);
        }
        let secret = DeviceSecret::random();
        if new_device {
            connection.device = DeviceId(secret.device_id());
        }
        connection.secrets = vec![seal_secret(&self.header.vault_id, connection.device, current, &secret)];
        Ok(secret)
    }

    /// Before this vault's file moves to `new` (a rotation here, or a key adopted from another
    /// device): the connection keeps this device's secret and every key it holds sealed under
    /// the new key too, so that a crash between the two steps loses neither; and a key made
    /// here (`announce`) is noted as one to announce before it is the vault's (a sync that finds
    /// the note naming the vault's current key knows the move never happened). Returns the ring
    /// as it was (`None` when not synced).
    pub(in crate::vault) fn sync_before_rekey(
        &self,
        new: (&[u8; 16], &Key32),
        announce: bool,
    ) -> Result<Option<KeyRing>> {
        let Some((file, mut connection)) = self.sync_connection()? else { return Ok(None) };
        let secret = self.sync_device_secret(&mut connection)?;
        let ring = self.sync_ring(&connection);
        let vault = &self.header.vault_id;
        connection.secrets.push(seal_secret(vault, connection.device, new, &secret));
        connection.earlier.extend(seal_earlier(vault, new, &ring));
        if announce && connection.pending_rekey.is_none() {
            connection.pending_rekey = Some(hex(&self.header.key_id));
        }
        stored::save_connection(&file, &connection)?;
        Ok(Some(ring))
    }

    /// After the move: only what the new key seals stays; `announce` (a rotation made here)
    /// leaves a rekey to publish under the old key `old` at the next sync.
    pub(in crate::vault) fn sync_after_rekey(&self, old: [u8; 16], announce: bool) -> Result<()> {
        let Some((file, mut connection)) = self.sync_connection()? else { return Ok(()) };
        let current = hex(&self.header.key_id);
        connection.secrets.retain(|s| s.under == current);
        connection.earlier.retain(|s| s.under == current);
        if announce {
            connection.pending_rekey = Some(hex(&old));
        }
        stored::save_connection(&file, &connection)
    }

    /// The announcement of this vault's current key (made at `clock`) for the devices on key
    /// `under`: the new wrap, and the key sealed to each device that wrote a file under `under`
    /// or under the current key (not this one, not the forgotten ones, not those in `skip`). A
    /// device whose files are all under older keys — one made by someone who holds only an old
    /// key — is given nothing.
    pub(super) fn sync_announcement(
        &self,
        (read, me, secret): (&Read, DeviceId, &DeviceSecret),
        (under, skip): (&[u8; 16], &BTreeSet<DeviceId>),
        clock: Hlc,
    ) -> Rekey {
        let key_id = hex(&self.header.key_id);
        let mut grants = BTreeMap::new();
        let public = public_keys(read);
        for (device, chain) in &read.chains {
            // Files in use only: one held back may come from someone who holds the old key alone.
            let used = read.bodies.get(device).map_or(0, Vec::len);
            let wrote_under =
                chain.files.iter().take(used).any(|f| f.header.key == *under || f.header.key == self.header.key_id);
            if *device == me || !wrote_under || skip.contains(device) {
                continue;
            }
            let Some(public) = public.get(device) else { continue };
            let aad = grant_aad(&self.header.vault_id, &key_id, *device);
            if let Some(sealed) = crypto::seal_key_to(secret, public, self.keys.vault_key(), &aad) {
                grants.insert(*device, hex(&sealed));
            }
        }
        Rekey { key_id, clock, key_file: stored::key_file_of(&self.header), grants }
    }
}

/// Each device's public key: the first its chain names (a later file cannot change it).
pub(super) fn public_keys(read: &Read) -> BTreeMap<DeviceId, [u8; 32]> {
    let mut out = BTreeMap::new();
    for (device, bodies) in &read.bodies {
        if let Some(public) = bodies.iter().find_map(|b| b.device_key.as_deref().and_then(unhex::<32>)) {
            out.insert(*device, public);
        }
    }
    out
}

/// A rekey as found in a device's file, with the key that file is sealed under.
#[derive(Clone, Copy)]
pub(super) struct Announced<'r> {
    pub(super) device: DeviceId,
    pub(super) under: [u8; 16],
    pub(super) rekey: &'r Rekey,
}

/// Every rekey in the files in use (a forgotten device's files past the point it was forgotten
/// at are not).
pub(super) fn announced<'r>(read: &'r Read, forgotten: &BTreeMap<DeviceId, u64>) -> Vec<Announced<'r>> {
    let mut out = Vec::new();
    for (device, chain) in &read.chains {
        let used = forgotten.get(device).map_or(usize::MAX, |after| *after as usize);
        for (file, body) in chain.files.iter().zip(&read.bodies[device]).take(used) {
            if let Some(rekey) = &body.rekey {
                out.push(Announced { device: *device, under: file.header.key, rekey });
            }
        }
    }
    out
}

/// Every rekey in the files held back (`stored::hold_back`), as [`announced`] finds them in
/// the files in use: only [`granted`] reads these.
pub(super) fn announced_held<'r>(read: &'r Read, forgotten: &BTreeMap<DeviceId, u64>) -> Vec<Announced<'r>> {
    let mut out = Vec::new();
    for (device, held) in &read.held {
        let used = read.bodies.get(device).map_or(0, Vec::len);
        let cut = forgotten.get(device).map_or(usize::MAX, |after| *after as usize);
        let files = read.chains[device].files.iter().enumerate().skip(used);
        for ((_, file), body) in files.zip(held).take_while(|((i, _), _)| *i < cut) {
            if let Some(rekey) = &body.rekey {
                out.push(Announced { device: *device, under: file.header.key, rekey });
            }
        }
    }
    out
}

/// When `key` was made, as the folder says: the clock of the rekey that announced it (`None`
/// for the vault's first key, older than any). An announcement sealed under the very key it
/// announces is no announcement (only someone who already holds the key could write it).
/// Anyone who holds an older key can announce `key` anew with any clock: a device's own key is
/// dated by what it learnt when it took it ([`current_clock`]).
pub(super) fn clock_of(all: &[Announced], key: &[u8; 16]) -> Option<Hlc> {
    dates_of(all, key).max()
}

/// The dates the announcements of `key` in `all` give it (not those sealed under `key` itself).
fn dates_of<'a>(all: &'a [Announced], key: &'a [u8; 16]) -> impl Iterator<Item = Hlc> + 'a {
    all.iter().filter(move |a| a.rekey.key_id == hex(key) && a.under != *key).map(|a| a.rekey.clock)
}

/// When this device's current key `current` was made: as it learnt it when it made or took the
/// key (`Connection::key_clock`), else (a key it joined on, or one it had before that was kept)
/// as the folder says — the earliest announcement of it (every real one bears the same date; a
/// later one planted by someone who holds an older key would keep this device from moving on).
pub(super) fn current_clock(connection: &Connection, all: &[Announced], current: &[u8; 16]) -> Option<Hlc> {
    match &connection.key_clock {
        Some((key, clock)) if *key == hex(current) => *clock,
        _ => dates_of(all, current).min(),
    }
}

/// The announcements in `all` whose grant to `me` opens with the announcing device's key (as
/// the files in use name it, `public`): made by a device that held the key it announces and
/// gave it to this one. Only these can move this device, or date the key it moves to: anyone
/// who holds an older key can copy an announcement into a file of their own with another date
/// or another key file, but cannot seal a grant of a key they lack.
pub(super) fn granted_to_me<'r>(
    all: &[Announced<'r>],
    (vault, me, secret): (&[u8; 16], DeviceId, &DeviceSecret),
    public: &BTreeMap<DeviceId, [u8; 32]>,
) -> Vec<Announced<'r>> {
    all.iter()
        .filter(|a| {
            let sealed = a.rekey.grants.get(&me).and_then(|s| stored::unhex_vec(s));
            match (public.get(&a.device), sealed) {
                (Some(sender), Some(sealed)) => {
                    secret.open_key(sender, &sealed, &grant_aad(vault, &a.rekey.key_id, me)).is_some()
                }
                _ => false,
            }
        })
        .copied()
        .collect()
}

/// The keys granted to `me` that `ring` lacks, each sealed by the device that announced it:
/// its device key, as the files in use name it (`public`), opens the grant. Any announcement
/// read counts, one held back too (a passphrase changed there at the same time as here): only
/// that device could seal it. A key learnt this way only lets this device read files sealed
/// under it (it moves to a key only as [`to_adopt`] says).
pub(super) fn granted(
    all: &[Announced],
    (vault, me, secret): (&[u8; 16], DeviceId, &DeviceSecret),
    public: &BTreeMap<DeviceId, [u8; 32]>,
    ring: &KeyRing,
) -> Vec<([u8; 16], Key32)> {
    let mut out: Vec<([u8; 16], Key32)> = Vec::new();
    for a in all {
        let Some(id) = unhex::<16>(&a.rekey.key_id) else { continue };
        if ring.contains_key(&id) || out.iter().any(|(known, _)| *known == id) {
            continue;
        }
        let Some(sender) = public.get(&a.device) else { continue };
        let Some(sealed) = a.rekey.grants.get(&me).and_then(|s| stored::unhex_vec(s)) else { continue };
        if let Some(key) = secret.open_key(sender, &sealed, &grant_aad(vault, &a.rekey.key_id, me)) {
            out.push((id, key));
        }
    }
    out
}

/// The key this device should move to, if any: of the keys announced *under its current key*
/// (so someone who holds only an older key cannot move it) and granted to it, the one made
/// latest, when it was made after the current one.
pub(super) fn to_adopt<'r>(
    all: &[Announced<'r>],
    (current, current_clock): (&[u8; 16], Option<Hlc>),
    ring: &KeyRing,
    known: &BTreeSet<DeviceId>,
) -> Option<(DeviceId, &'r Rekey)> {
    // How many of the devices this one had merged from announced the key (under any key).
    let support = |key_id: &str| {
        all.iter()
            .filter(|a| a.rekey.key_id == key_id && known.contains(&a.device))
            .map(|a| a.device)
            .collect::<BTreeSet<_>>()
            .len()
    };
    all.iter()
        .filter(|a| a.under == *current)
        .filter(|a| unhex::<16>(&a.rekey.key_id).is_some_and(|id| ring.contains_key(&id) && id != *current))
        .filter(|a| current_clock.is_none_or(|c| a.rekey.clock > c))
        .max_by_key(|a| (support(&a.rekey.key_id), a.rekey.clock))
        .map(|a| (a.device, a.rekey))
}

/// The older keys in `ring` that this device's current key (made at `clock`) is yet to be
/// announced under and that another device is still on (its last file is sealed under it):
/// that device moves on when it reads the announcement. Two devices that changed the passphrase
/// at once so end on the later change. `replaced`: the key a key made here replaces, always
/// announced under (whatever the folder says of its date: someone who holds an older key could
/// have announced it anew with a later clock, to keep the devices on it there).
pub(super) fn to_announce_under(
    (read, me, forgotten): (&Read, DeviceId, &BTreeMap<DeviceId, u64>),
    all: &[Announced],
    (current, clock, replaced): (&[u8; 16], Hlc, Option<[u8; 16]>),
    ring: &KeyRing,
    done: &[(String, String)],
) -> Vec<[u8; 16]> {
    let still_on: Vec<[u8; 16]> = read
        .chains
        .iter()
        .filter(|(device, _)| **device != me && !forgotten.contains_key(device))
        .filter_map(|(device, _)| read.last_used(device).map(|f| f.header.key))
        .collect();
    ring.keys()
        .filter(|id| *id != current && still_on.contains(id))
        .filter(|id| Some(**id) == replaced || clock_of(all, id).is_none_or(|c| c < clock))
        .filter(|id| !done.contains(&(hex(current), hex(*id))))
        .copied()
        .collect()
}

/// The header a rekey's key file makes, checked against the vault and the key it names.
pub(super) fn header_of_rekey(rekey: &Rekey, vault: &[u8; 16]) -> Option<Header> {
    stored::header_of(&rekey.key_file).filter(|h| h.vault_id == *vault && hex(&h.key_id) == rekey.key_id)
}

/// A body this device publishes: its name, its public key, and `changes` or a rekey.
pub(super) fn body(connection: &Connection, secret: &DeviceSecret, merged: &BTreeMap<DeviceId, (u64, String)>) -> Body {
    Body {
        merged: merged.clone(),
        device_name: connection.name.clone(),
        device_key: Some(hex(&secret.public())),
        changes: Vec::new(),
        rekey: None,
    }
}

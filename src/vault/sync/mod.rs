//! Synchronisation through a folder that a sync engine keeps in step (Syncthing, a cloud drive, a
//! git repository, a USB stick) — the format and the merge, below any file system or vault
//! handle. The SQLite file itself is never synced: each device writes small, immutable change
//! files that only it ever writes, and every device merges all of them, record by record.
//!
//! This module is the format and the merge: the change files ([`file`]), the folder ([`folder`])
//! and the merge ([`merge`]), each tested on its own (a convergence property test in
//! `tests/sync.rs`). Where they meet a vault — this device's state, a sync, applying the merge —
//! is `vault/synced/`; `tresor sync` drives it (`tests/cli_sync.rs`); docs/sync.md is the user's
//! page.
//!
//! # The folder
//!
//! ```text
//! FOLDER/tresor-<vault id, 32 hex>/<device id, 32 hex>/<sequence, 16 hex>.tchange
//! ```
//!
//! Per device, a numbered series starting at 1. A device writes `.<name>.<random>.tmp` in its
//! own folder, syncs it to disk and renames it into place; a file is never rewritten. Readers
//! ([`file::classify`]) take only names of that form, ignore temporary and placeholder files
//! (anything starting with `.` or `~`, ending in `.tmp`, `.part`, `.partial`), and treat a sync
//! engine's conflict copies (`….sync-conflict-….tchange` from Syncthing, `… (conflicted copy …)`
//! from Dropbox and Nextcloud) as extra *candidates* for the sequence number in their name —
//! never as authors: a copy is used only if it verifies as that device's file.
//!
//! # A change file
//!
//! | bytes | field |
//! | --- | --- |
//! | 8 | magic `TRSYNC\0\x01` |
//! | 2 | format version, big-endian (2: signed; 1: the same without the last two fields) |
//! | 16 | vault id |
//! | 16 | device id |
//! | 16 | key id: which vault key seals the body |
//! | 8 | sequence number, big-endian, from 1 |
//! | 32 | SHA-256 of the device's previous file, whole (zeros for number 1) |
//! | 4 | body length, big-endian |
//! | n | body: AES-256-GCM (`nonce ‖ ciphertext ‖ tag`) under the change key of the vault key the key id names (HKDF of that vault key, label `tresor v1 sync change key`), with the 102 header bytes above as associated data |
//! | 32 | format 2: the device's Ed25519 public key |
//! | 64 | format 2: its signature of SHA-256(`tresor sync change file signature` ‖ every byte above) |
//!
//! **Signatures.** A device's signing key is derived from its own X25519 secret (HKDF, label
//! `tresor v1 device signing key`), and a device set up by this version takes as its id the
//! first 12 bytes of SHA-256(`tresor v1 device id` ‖ that public key) followed by the mark
//! `sig\x01` ([`crate::vault::crypto::device_id_of`]). A format-2 file whose key does not name
//! the header's device id, or whose signature fails, is refused
//! ([`file::FileError::NotSignedByDevice`]) before its body is opened; and a device whose id
//! bears the mark signs every file, so an unsigned file in its name is someone else's — told by
//! the id alone, never by which of its files are in the folder (signed ones can be removed). So
//! nobody — not even someone who holds the current vault key — can write a file a device running
//! this version takes as another signing device's: a change, a forget or a key announcement (an
//! earlier version does not know the mark). A device set up by an earlier version (a random id)
//! goes on writing format 1, with the protections that had: its own nonce, and the chain.
//!
//! So what anyone holding the folder sees is the vault id, the device ids (and signing devices'
//! public keys, from whose hash their ids are made), the key ids, the
//! sequence numbers and the sizes. The body's nonce is the writing device's: a MAC of the 102
//! header bytes and the body under a key derived from that device's own X25519 secret
//! (`DeviceSecret::own_nonce`, HKDF label `tresor v1 own change file`), truncated to 12 bytes —
//! unique per file like a random one (SIV-like: equal only for the same header and body), and
//! made by no one else, so a device tells its own files from any planted in its folder, whatever
//! vault key sealed them. Other readers ignore it. The header is authenticated with the body: a file renamed to another number
//! or device, or moved to another vault's folder, fails as surely as a flipped byte. The chain
//! (each file names its predecessor's digest) makes a removed, reordered, replaced or truncated
//! file a break at that number; two different files that both verify under one number are a
//! cloned device ([`file::ChainError::Forked`]). Nothing of a device past a break is applied.
//!
//! The body is JSON: `{"changes": [Change…]}` ([`merge::Change`]), each the whole new state of
//! one record — a secret's place, name, description and value, or its deletion — with the
//! version vector it carries and its hybrid logical clock. Beside them (`vault/synced/stored.rs`,
//! `Body`): the writer's device name and public key, a new vault key it announces (`rekey`),
//! and how far it had merged each other device (`merged`: a count and the last file's digest,
//! which vouches for files under a key the reader has moved away from).
//!
//! # The merge
//!
//! See [`merge`]: per record, the states that no other state received supersedes (by version
//! vector) are its *heads*; the winner is chosen by a fixed rule (a live state over a deletion,
//! then the later clock, then the greater device id); when several live heads differ, each field
//! (value, description, place with name) comes from the head that changed it against their
//! common ancestor (the later clock where two changed one field, flagged "changed on two
//! devices" until someone edits or keeps it), and every other state stays as history. The result
//! depends only on the set of changes received, not on their order or repetitions.

pub mod file;
pub mod folder;
pub mod merge;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::crypto::VaultKeys;

/// The vault keys a device holds, by key id: the current one and every earlier one it was given
/// (change files written before a passphrase change or a key rotation stay readable).
pub type KeyRing = BTreeMap<[u8; 16], VaultKeys>;

/// A device's id: its signing key's ([`crate::vault::crypto::device_id_of`]), fixed at its first
/// sync (random for a device set up by an earlier version). Written as 32 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeviceId(pub [u8; 16]);

impl Serialize for DeviceId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.hex())
    }
}

impl<'de> Deserialize<'de> for DeviceId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        unhex(&text).map(DeviceId).ok_or_else(|| serde::de::Error::custom("a device id is 32 lower-case hex digits"))
    }
}

impl DeviceId {
    pub fn random() -> DeviceId {
        DeviceId(super::crypto::random_bytes())
    }

    /// 32 lower-case hex digits, as in the folder's names.
    pub fn hex(&self) -> String {
        hex(&self.0)
    }

    /// The first 8 hex digits: how a person tells devices apart (a renamed conflict's suffix).
    pub fn short(&self) -> String {
        self.hex()[..8].to_owned()
    }
}

impl fmt::Debug for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceId({})", self.short())
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != 2 * N || !text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return None;
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// A hybrid logical clock reading: wall-clock milliseconds, a counter for events within one
/// millisecond (or while the wall clock lags behind a clock already seen), and the device, so
/// that two readings are never equal. Ordered in that order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Hlc {
    pub millis: u64,
    pub counter: u32,
    pub device: DeviceId,
}

impl Hlc {
    /// The next reading on `device` after `last` (its own previous reading, or the greatest one
    /// it has received), at wall-clock time `now_millis`: never behind either, so a device whose
    /// clock is slow still orders its edits after what it has seen.
    pub fn tick(last: Option<Hlc>, now_millis: u64, device: DeviceId) -> Hlc {
        match last {
            Some(last) if last.millis >= now_millis => {
                Hlc { millis: last.millis, counter: last.counter.saturating_add(1), device }
            }
            _ => Hlc { millis: now_millis, counter: 0, device },
        }
    }
}

/// What a device had seen of each device's edits of one record when it wrote a state: a count
/// per device. A state whose vector is greater or equal everywhere (and not equal) supersedes the
/// other; when each is greater somewhere, the two were written without seeing each other.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VersionVector(pub BTreeMap<DeviceId, u64>);

impl VersionVector {
    pub fn get(&self, device: &DeviceId) -> u64 {
        self.0.get(device).copied().unwrap_or(0)
    }

    /// This vector with `device`'s count one higher: the vector of an edit made on `device`
    /// after seeing `self`.
    pub fn bumped(&self, device: DeviceId) -> VersionVector {
        let mut next = self.clone();
        *next.0.entry(device).or_insert(0) += 1;
        next
    }

    /// The least vector at or above both: what a device has seen after receiving both.
    pub fn joined(&self, other: &VersionVector) -> VersionVector {
        let mut out = self.clone();
        for (device, count) in &other.0 {
            let mine = out.0.entry(*device).or_insert(0);
            *mine = (*mine).max(*count);
        }
        out
    }

    /// Whether every count here is at least the other's: `self` has seen all `other` saw.
    pub fn covers(&self, other: &VersionVector) -> bool {
        other.0.iter().all(|(device, count)| self.get(device) >= *count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(n: u8) -> DeviceId {
        DeviceId([n; 16])
    }

    #[test]
    fn a_clock_never_goes_back_and_orders_one_millisecond() {
        let a = Hlc::tick(None, 1_000, device(1));
        let b = Hlc::tick(Some(a), 1_000, device(1));
        let c = Hlc::tick(Some(b), 900, device(1)); // the wall clock went back
        let d = Hlc::tick(Some(c), 2_000, device(1));
        assert!(a < b && b < c && c < d, "{a:?} {b:?} {c:?} {d:?}");
        assert_eq!((c.millis, c.counter), (1_000, 2));
        assert_eq!((d.millis, d.counter), (2_000, 0));
    }

    #[test]
    fn vectors_say_which_state_saw_which() {
        let start = VersionVector::default();
        let a = start.bumped(device(1));
        let b = start.bumped(device(2));
        assert!(a.covers(&start) && !a.covers(&b) && !b.covers(&a), "concurrent");
        let merged = a.joined(&b).bumped(device(1));
        assert!(merged.covers(&a) && merged.covers(&b));
        assert_eq!(merged.get(&device(1)), 2);
    }

    #[test]
    fn ids_and_vectors_are_json_with_hex_ids() {
        let vector = VersionVector::default().bumped(DeviceId([0xab; 16]));
        let json = serde_json::to_string(&vector).unwrap();
        assert_eq!(json, format!("{{\"{}\":1}}", "ab".repeat(16)));
        assert_eq!(serde_json::from_str::<VersionVector>(&json).unwrap(), vector);
        assert!(serde_json::from_str::<DeviceId>("\"AB\"").is_err());
    }

    #[test]
    fn hex_round_trips_and_refuses_what_is_not_lower_case_hex() {
        let id = DeviceId([0xab; 16]);
        assert_eq!(unhex::<16>(&id.hex()), Some(id.0));
        assert_eq!(id.short(), "abababab");
        assert_eq!(unhex::<2>("ABCD"), None);
        assert_eq!(unhex::<2>("abc"), None);
        assert_eq!(unhex::<2>("zzzz"), None);
    }
}

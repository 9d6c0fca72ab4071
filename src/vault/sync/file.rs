//! Change files: sealing one, opening one, their names in the folder, and reading a device's
//! chain of them (see the module above for the layout).

use std::collections::BTreeMap;

use zeroize::Zeroizing;

use super::{DeviceId, KeyRing, hex, unhex};
use crate::vault::crypto::{self, DeviceSecret, NONCE_LEN, TAG_LEN, VaultKeys, sha256};

pub const MAGIC: &[u8; 8] = b"TRSYNC\0\x01";
/// The format of the files this version writes: signed by their device.
pub const FORMAT: u16 = 2;
/// The format before: the same file without the signature, still read (a device whose id is not
/// its signing key's — one set up by an earlier version — goes on writing it).
pub const UNSIGNED_FORMAT: u16 = 1;
/// What follows a signed file's sealed body: the device's Ed25519 public key and its signature.
pub const SIGNATURE_LEN: usize = 32 + 64;
/// The header's length: magic, format, vault id, device id, key id, sequence, previous digest,
/// length.
pub const HEADER_LEN: usize = 8 + 2 + 16 + 16 + 16 + 8 + 32 + 4;
/// The most a change file may hold (a body of many 4 MiB values would be a bug or an attack).
pub const MAX_FILE_LEN: usize = 64 << 20;
pub const EXTENSION: &str = "tchange";

/// What a change file's header says: where it belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub vault: [u8; 16],
    pub device: DeviceId,
    /// The id of the vault key whose change key seals the body.
    pub key: [u8; 16],
    pub seq: u64,
    /// SHA-256 of the device's previous file (zeros before the first).
    pub prev: [u8; 32],
}

/// A change file that verified: its header, its digest (what the next file names) and its body.
#[derive(Debug)]
pub struct Opened {
    pub header: Header,
    pub digest: [u8; 32],
    pub body: Zeroizing<Vec<u8>>,
    /// The body's nonce: what tells the device that wrote the file that it did ([`written_by`]).
    pub nonce: [u8; NONCE_LEN],
    /// Signed by the device its header names (format 2); `false`: an unsigned file (format 1).
    pub signed: bool,
}

/// Why a file is not a change file of this vault. None of its content is applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("not a Tresor change file")]
    NotAChangeFile,
    #[error("written by a newer Tresor (change file format {0})")]
    NewerFormat(u16),
    #[error("belongs to another vault")]
    ForeignVault,
    #[error("cut short or with bytes added")]
    Truncated,
    #[error("larger than any change file Tresor writes")]
    TooLarge,
    #[error("fails authentication: changed, or sealed by another key")]
    Unauthentic,
    #[error("fails authentication: not signed by the device it names (changed, or written by someone else)")]
    NotSignedByDevice,
    #[error(
        "is sealed under a vault key this device was not given (the passphrase or the key was \
         changed on a device that did not know this one, or that forgot it)"
    )]
    UnknownKey,
}

/// The digest a file is named by in its successor.
pub fn digest(bytes: &[u8]) -> [u8; 32] {
    sha256(&[b"tresor sync change file", bytes])
}

fn header_bytes(header: &Header, format: u16, body_len: u32) -> [u8; HEADER_LEN] {
    let mut out = [0u8; HEADER_LEN];
    let mut at = 0;
    let mut put = |bytes: &[u8]| {
        out[at..at + bytes.len()].copy_from_slice(bytes);
        at += bytes.len();
    };
    put(MAGIC);
    put(&format.to_be_bytes());
    put(&header.vault);
    put(&header.device.0);
    put(&header.key);
    put(&header.seq.to_be_bytes());
    put(&header.prev);
    put(&body_len.to_be_bytes());
    out
}

/// A whole unsigned change file (format 1): the header, then `body` sealed under the change key
/// of `keys` (the vault key the header's key id names) with the header as associated data. What
/// a device set up by an earlier version wrote; and what anyone else who holds the key can make.
pub fn seal(keys: &VaultKeys, header: &Header, body: &[u8]) -> Vec<u8> {
    let head = head_of(header, UNSIGNED_FORMAT, body.len());
    let mut out = head.to_vec();
    out.extend_from_slice(&keys.seal_change(body, &head));
    out
}

/// A change file by the device whose secret is `owner`: sealed with the nonce only it can make,
/// so that it knows the file for its own when it reads its folder again ([`written_by`]); and,
/// when the header's device id is the owner's signing key's (every device set up by this
/// version), signed (format 2), so that every reader knows it for that device's.
pub fn seal_by(keys: &VaultKeys, header: &Header, body: &[u8], owner: &DeviceSecret) -> Vec<u8> {
    let signed = owner.device_id() == header.device.0;
    let head = head_of(header, if signed { FORMAT } else { UNSIGNED_FORMAT }, body.len());
    let mut out = head.to_vec();
    out.extend_from_slice(&keys.seal_change_with(body, &head, owner.own_nonce(&head, body)));
    if signed {
        out.extend_from_slice(&owner.signing_public());
        let signature = owner.sign(&signed_message(&out));
        out.extend_from_slice(&signature);
    }
    out
}

/// What a signed file's signature is made on: a digest of its header, sealed body and public key.
fn signed_message(signed: &[u8]) -> [u8; 32] {
    sha256(&[b"tresor sync change file signature", signed])
}

/// Whether `bytes` are a signed change file (format 2) whose signature verifies under a public
/// key that is `device`'s: only that device can make one.
fn signed_by(bytes: &[u8], device: DeviceId) -> bool {
    if bytes.len() < HEADER_LEN + SIGNATURE_LEN {
        return false;
    }
    // The signature is made on everything before it, the public key included.
    let (signed, signature) = bytes.split_at(bytes.len() - 64);
    let public: [u8; 32] = signed[signed.len() - 32..].try_into().expect("32 bytes");
    let signature: [u8; 64] = signature.try_into().expect("64 bytes");
    bytes[8..10] == FORMAT.to_be_bytes()
        && crypto::device_id_of(&public) == device.0
        && crypto::verify_signature(&public, &signed_message(signed), &signature)
}

/// Whether the device whose secret is `owner` sealed this file ([`seal_by`]): nobody else can
/// make its nonce, whatever vault key they hold.
pub fn written_by(file: &Opened, owner: &DeviceSecret) -> bool {
    let format = if file.signed { FORMAT } else { UNSIGNED_FORMAT };
    owner.own_nonce(&head_of(&file.header, format, file.body.len()), &file.body) == file.nonce
}

fn head_of(header: &Header, format: u16, body_len: usize) -> [u8; HEADER_LEN] {
    let sealed_len = body_len + NONCE_LEN + TAG_LEN;
    header_bytes(header, format, u32::try_from(sealed_len).expect("a change file's body fits in 4 GiB"))
}

/// Opens a change file of vault `vault` with the key its header names, checking everything but
/// its place in a chain.
pub fn open(keys: &KeyRing, vault: &[u8; 16], bytes: &[u8]) -> Result<Opened, FileError> {
    if bytes.len() > MAX_FILE_LEN {
        return Err(FileError::TooLarge);
    }
    if bytes.len() < 10 || &bytes[..8] != MAGIC {
        return Err(FileError::NotAChangeFile);
    }
    let format = u16::from_be_bytes([bytes[8], bytes[9]]);
    if format != FORMAT && format != UNSIGNED_FORMAT {
        return Err(if format > FORMAT { FileError::NewerFormat(format) } else { FileError::NotAChangeFile });
    }
    let trailer = if format == FORMAT { SIGNATURE_LEN } else { 0 };
    if bytes.len() < HEADER_LEN {
        return Err(FileError::Truncated);
    }
    let field = |from: usize, len: usize| &bytes[from..from + len];
    let header = Header {
        vault: field(10, 16).try_into().expect("16 bytes"),
        device: DeviceId(field(26, 16).try_into().expect("16 bytes")),
        key: field(42, 16).try_into().expect("16 bytes"),
        seq: u64::from_be_bytes(field(58, 8).try_into().expect("8 bytes")),
        prev: field(66, 32).try_into().expect("32 bytes"),
    };
    if &header.vault != vault {
        return Err(FileError::ForeignVault);
    }
    let body_len = u32::from_be_bytes(field(98, 4).try_into().expect("4 bytes")) as usize;
    if bytes.len() != HEADER_LEN + body_len + trailer {
        return Err(FileError::Truncated);
    }
    // The signature first: a file someone else wrote in a device's folder is that, whatever key
    // it is under.
    if trailer > 0 && !signed_by(bytes, header.device) {
        return Err(FileError::NotSignedByDevice);
    }
    let keys = keys.get(&header.key).ok_or(FileError::UnknownKey)?;
    let sealed = &bytes[HEADER_LEN..HEADER_LEN + body_len];
    let body = keys.open_change(sealed, &bytes[..HEADER_LEN]).ok_or(FileError::Unauthentic)?;
    if header.seq == 0 {
        return Err(FileError::Unauthentic);
    }
    let nonce = bytes[HEADER_LEN..HEADER_LEN + NONCE_LEN].try_into().expect("an authentic body holds its nonce");
    Ok(Opened { header, digest: digest(bytes), body, nonce, signed: trailer > 0 })
}

/// The folder a vault's devices write in, inside the synced folder.
pub fn vault_folder_name(vault: &[u8; 16]) -> String {
    format!("tresor-{}", hex(vault))
}

/// A change file's name in its device's folder.
pub fn file_name(seq: u64) -> String {
    format!("{seq:016x}.{EXTENSION}")
}

/// What a name found in a device's folder is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// The device's file number `seq`.
    File(u64),
    /// A sync engine's conflict copy of file number `seq`: a candidate, never an author.
    ConflictCopy(u64),
    /// A temporary, placeholder or unrelated file: ignored.
    Ignored,
}

/// Classifies a file name found in a device's folder.
pub fn classify(name: &str) -> Found {
    let ignored = name.starts_with('.')
        || name.starts_with('~')
        || [".tmp", ".part", ".partial", ".crdownload"].iter().any(|end| name.ends_with(end));
    if ignored {
        return Found::Ignored;
    }
    let seq_of = |stem: &str| unhex::<8>(stem).map(u64::from_be_bytes).filter(|seq| *seq > 0);
    let Some(stem) = name.strip_suffix(&format!(".{EXTENSION}")) else { return Found::Ignored };
    if let Some(seq) = seq_of(stem) {
        return Found::File(seq);
    }
    // Syncthing: NAME.sync-conflict-DATE-TIME-DEVICE.EXT; Dropbox, Nextcloud: NAME (conflicted copy …).EXT
    let base = stem.split_once(".sync-conflict-").or_else(|| stem.split_once(" (")).map(|(base, _)| base);
    match base.and_then(seq_of) {
        Some(seq) => Found::ConflictCopy(seq),
        None => Found::Ignored,
    }
}

/// Why a device's chain stops where it does. Nothing from that number on is applied, and the
/// device and the number are said.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("file {seq} is missing (later ones are there)")]
    Missing { seq: u64 },
    #[error("file {seq} {why}")]
    Bad { seq: u64, why: FileError },
    #[error("file {seq} is signed for another device or number")]
    Misplaced { seq: u64 },
    #[error("file {seq} does not follow file {}: removed, reordered or replaced", seq - 1)]
    Broken { seq: u64 },
    #[error("two different files {seq}: a copied device writes beside the original")]
    Forked { seq: u64 },
}

/// A device's chain as far as it verifies, and why it stops there if it stops early.
#[derive(Debug)]
pub struct Chain {
    pub files: Vec<Opened>,
    pub stopped: Option<ChainError>,
}

/// Reads a device's chain from its candidates (each number's file and conflict copies, in any
/// order), from number 1 up: each must open, name this device and number, and name its
/// predecessor's digest. Identical copies count once; two that differ and both verify are a
/// fork. Candidates that fail are skipped when another candidate of the number verifies. A
/// device whose id says it signs ([`crypto::is_signing_id`]) signs every file: an unsigned
/// candidate of its chain is someone else's ([`FileError::NotSignedByDevice`]) — told by the
/// id, never by which files are there (signed ones can be removed).
pub fn read_chain(
    keys: &KeyRing,
    vault: &[u8; 16],
    device: DeviceId,
    candidates: &BTreeMap<u64, Vec<Vec<u8>>>,
) -> Chain {
    read_chain_after(keys, vault, device, candidates, (0, [0u8; 32]))
}

/// [`read_chain`] from the file after `(seq, digest)` (one already verified, whose digest the
/// next must name): `files` holds the chain's files from `seq + 1` on.
pub fn read_chain_after(
    keys: &KeyRing,
    vault: &[u8; 16],
    device: DeviceId,
    candidates: &BTreeMap<u64, Vec<Vec<u8>>>,
    (after, digest): (u64, [u8; 32]),
) -> Chain {
    let mut files: Vec<Opened> = Vec::new();
    let last = candidates.keys().next_back().copied().unwrap_or(0);
    let signs = crypto::is_signing_id(&device.0);
    for seq in after + 1..=last {
        let prev = files.last().map_or(digest, |f| f.digest);
        let Some(found) = candidates.get(&seq) else {
            return Chain { files, stopped: Some(ChainError::Missing { seq }) };
        };
        let mut good: Vec<Opened> = Vec::new();
        let mut first_error = None;
        for bytes in found {
            let why = match open(keys, vault, bytes) {
                Ok(opened) if opened.header.device != device || opened.header.seq != seq => {
                    ChainError::Misplaced { seq }
                }
                Ok(opened) if signs && !opened.signed => ChainError::Bad { seq, why: FileError::NotSignedByDevice },
                Ok(opened) if opened.header.prev != prev => ChainError::Broken { seq },
                Ok(opened) => {
                    if !good.iter().any(|g| g.digest == opened.digest) {
                        good.push(opened);
                    }
                    continue;
                }
                Err(why) => ChainError::Bad { seq, why },
            };
            first_error.get_or_insert(why);
        }
        match good.len() {
            1 => files.push(good.pop().expect("one")),
            0 => return Chain { files, stopped: first_error },
            _ => return Chain { files, stopped: Some(ChainError::Forked { seq }) },
        }
    }
    Chain { files, stopped: None }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::crypto::Key32;

    const VAULT: [u8; 16] = [7; 16];

    const KEY: [u8; 16] = [5; 16];

    fn ring_of(key: u8, id: [u8; 16]) -> KeyRing {
        KeyRing::from([(id, VaultKeys::from_vault_key(Key32::from_bytes([key; 32])))])
    }

    fn keys() -> KeyRing {
        ring_of(1, KEY)
    }

    fn header(device: DeviceId, seq: u64, prev: [u8; 32]) -> Header {
        Header { vault: VAULT, device, key: KEY, seq, prev }
    }

    fn chain_of(keys: &KeyRing, device: DeviceId, bodies: &[&str]) -> Vec<Vec<u8>> {
        let mut prev = [0u8; 32];
        let mut out = Vec::new();
        for (i, body) in bodies.iter().enumerate() {
            let bytes = seal(&keys[&KEY], &header(device, i as u64 + 1, prev), body.as_bytes());
            prev = digest(&bytes);
            out.push(bytes);
        }
        out
    }

    fn candidates(files: &[Vec<u8>]) -> BTreeMap<u64, Vec<Vec<u8>>> {
        files.iter().enumerate().map(|(i, f)| (i as u64 + 1, vec![f.clone()])).collect()
    }

    #[test]
    fn a_file_round_trips_and_shows_only_its_header() {
        let keys = keys();
        let device = DeviceId([2; 16]);
        let bytes = seal(&keys[&KEY], &header(device, 1, [0; 32]), b"{\"secret\":\"sk-123\"}");
        assert!(!bytes.windows(6).any(|w| w == b"sk-123"), "the body is ciphertext");
        let opened = open(&keys, &VAULT, &bytes).unwrap();
        assert_eq!(opened.body.as_slice(), b"{\"secret\":\"sk-123\"}");
        assert_eq!((opened.header.device, opened.header.seq), (device, 1));
    }

    #[test]
    fn every_flipped_byte_and_every_cut_is_refused() {
        let keys = keys();
        let bytes = seal(&keys[&KEY], &header(DeviceId([2; 16]), 1, [0; 32]), b"body");
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x01;
            assert!(open(&keys, &VAULT, &bad).is_err(), "byte {i} flipped");
        }
        for len in 0..bytes.len() {
            assert!(open(&keys, &VAULT, &bytes[..len]).is_err(), "cut at {len}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(open(&keys, &VAULT, &longer).unwrap_err(), FileError::Truncated);
        // Another key under the same id; a key id this device was not given.
        assert_eq!(open(&ring_of(9, KEY), &VAULT, &bytes).unwrap_err(), FileError::Unauthentic);
        assert_eq!(open(&ring_of(1, [6; 16]), &VAULT, &bytes).unwrap_err(), FileError::UnknownKey);
        assert_eq!(open(&keys, &[8; 16], &bytes).unwrap_err(), FileError::ForeignVault);
        let mut newer = bytes.clone();
        newer[9] = 3;
        assert_eq!(open(&keys, &VAULT, &newer).unwrap_err(), FileError::NewerFormat(3));
    }

    /// A device whose id is its signing key's, and a file of its chain it signs.
    fn signed_file(owner: &DeviceSecret, seq: u64, prev: [u8; 32], body: &str) -> Vec<u8> {
        seal_by(&keys()[&KEY], &header(DeviceId(owner.device_id()), seq, prev), body.as_bytes(), owner)
    }

    #[test]
    fn a_devices_signed_file_opens_as_its_own_and_no_byte_of_it_can_change() {
        let owner = DeviceSecret::random();
        let device = DeviceId(owner.device_id());
        let bytes = signed_file(&owner, 1, [0; 32], "body");
        let opened = open(&keys(), &VAULT, &bytes).unwrap();
        assert!(opened.signed && written_by(&opened, &owner));
        assert_eq!(bytes.len(), HEADER_LEN + 4 + NONCE_LEN + TAG_LEN + SIGNATURE_LEN);
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x01;
            assert!(open(&keys(), &VAULT, &bad).is_err(), "byte {i} flipped");
        }
        // The signature's part (anything after the header's fields a reader checks first).
        let mut bad = bytes.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert_eq!(open(&keys(), &VAULT, &bad).unwrap_err(), FileError::NotSignedByDevice);
        // A device set up by an earlier version (its id is not its key's) writes unsigned files.
        let legacy = seal_by(&keys()[&KEY], &header(DeviceId([3; 16]), 1, [0; 32]), b"body", &owner);
        assert!(!open(&keys(), &VAULT, &legacy).unwrap().signed);
        // Someone else's key and signature, on a file in this device's name: refused, whatever
        // key the body is sealed under.
        let thief = DeviceSecret::random();
        let unsigned = seal(&keys()[&KEY], &header(device, 1, [0; 32]), b"body");
        let mut forged = unsigned.clone();
        forged[8..10].copy_from_slice(&FORMAT.to_be_bytes());
        forged.extend_from_slice(&thief.signing_public());
        let signature = thief.sign(&signed_message(&forged));
        forged.extend_from_slice(&signature);
        assert_eq!(open(&keys(), &VAULT, &forged).unwrap_err(), FileError::NotSignedByDevice);
    }

    #[test]
    fn a_signing_devices_chain_takes_no_unsigned_file() {
        let owner = DeviceSecret::random();
        let device = DeviceId(owner.device_id());
        let first = signed_file(&owner, 1, [0; 32], "one");
        let planted = seal(&keys()[&KEY], &header(device, 2, digest(&first)), b"planted");
        let chain = read_chain(&keys(), &VAULT, device, &candidates(&[first.clone(), planted]));
        assert_eq!(chain.files.len(), 1);
        assert_eq!(chain.stopped, Some(ChainError::Bad { seq: 2, why: FileError::NotSignedByDevice }));
        // Beside its own file 2, an unsigned copy is no second file 2 (no fork), just not used.
        let second = signed_file(&owner, 2, digest(&first), "two");
        let copy = seal(&keys()[&KEY], &header(device, 2, digest(&first)), b"two");
        let mut found = candidates(&[first, second]);
        found.get_mut(&2).unwrap().push(copy);
        let chain = read_chain(&keys(), &VAULT, device, &found);
        assert_eq!((chain.files.len(), chain.stopped), (2, None));
        // Its signed files removed, an unsigned chain in its name is still no chain of its: its
        // id says it signs.
        let forged = chain_of(&keys(), device, &["one", "two"]);
        let chain = read_chain(&keys(), &VAULT, device, &candidates(&forged));
        assert_eq!(chain.files.len(), 0);
        assert_eq!(chain.stopped, Some(ChainError::Bad { seq: 1, why: FileError::NotSignedByDevice }));
        // A chain of unsigned files (a device set up by an earlier version) reads as before.
        let legacy = DeviceId([4; 16]);
        let chain = read_chain(&keys(), &VAULT, legacy, &candidates(&chain_of(&keys(), legacy, &["a", "b"])));
        assert_eq!((chain.files.len(), chain.stopped), (2, None));
    }

    #[test]
    fn names_are_files_conflict_copies_or_ignored() {
        assert_eq!(file_name(26), "000000000000001a.tchange");
        assert_eq!(classify("000000000000001a.tchange"), Found::File(26));
        assert_eq!(classify("000000000000001a.sync-conflict-20261204-101500-ABCDEFG.tchange"), Found::ConflictCopy(26));
        assert_eq!(classify("000000000000001a (conflicted copy 2026-12-04).tchange"), Found::ConflictCopy(26));
        for ignored in [
            ".000000000000001a.tchange.x1y2.tmp",
            ".syncthing.000000000000001a.tchange.tmp",
            "~000000000000001a.tchange",
            "000000000000001a.tchange.part",
            "0000000000000000.tchange",
            "1a.tchange",
            "notes.txt",
            "000000000000001A.tchange",
        ] {
            assert_eq!(classify(ignored), Found::Ignored, "{ignored}");
        }
    }

    #[test]
    fn a_chain_reads_whole_and_stops_at_each_kind_of_break() {
        let keys = keys();
        let device = DeviceId([2; 16]);
        let files = chain_of(&keys, device, &["one", "two", "three"]);
        let chain = read_chain(&keys, &VAULT, device, &candidates(&files));
        assert_eq!((chain.files.len(), chain.stopped), (3, None));

        // Withheld: file 2 gone, 3 there.
        let mut gap = candidates(&files);
        gap.remove(&2);
        let chain = read_chain(&keys, &VAULT, device, &gap);
        assert_eq!((chain.files.len(), chain.stopped), (1, Some(ChainError::Missing { seq: 2 })));

        // Reordered: 2 and 3 swapped (each keeps its signed number: misplaced).
        let mut swapped = candidates(&files);
        let two = swapped.remove(&2).unwrap();
        let three = swapped.insert(3, two).unwrap();
        swapped.insert(2, three);
        let chain = read_chain(&keys, &VAULT, device, &swapped);
        assert_eq!(chain.stopped, Some(ChainError::Misplaced { seq: 2 }));

        // Replaced: another chain's file 2 (same device, same number, another predecessor).
        let other = chain_of(&keys, device, &["uno", "dos"]);
        let mut replaced = candidates(&files);
        replaced.insert(2, vec![other[1].clone()]);
        let chain = read_chain(&keys, &VAULT, device, &replaced);
        assert_eq!(chain.stopped, Some(ChainError::Broken { seq: 2 }));

        // Truncated file 3.
        let mut cut = candidates(&files);
        cut.insert(3, vec![files[2][..files[2].len() - 1].to_vec()]);
        let chain = read_chain(&keys, &VAULT, device, &cut);
        assert_eq!(chain.files.len(), 2);
        assert_eq!(chain.stopped, Some(ChainError::Bad { seq: 3, why: FileError::Truncated }));

        // Another device's file under this device's folder.
        let stranger = chain_of(&keys, DeviceId([3; 16]), &["x"]);
        let mut planted = BTreeMap::new();
        planted.insert(1, vec![stranger[0].clone()]);
        let chain = read_chain(&keys, &VAULT, device, &planted);
        assert_eq!(chain.stopped, Some(ChainError::Misplaced { seq: 1 }));
    }

    #[test]
    fn conflict_copies_are_candidates_and_a_cloned_device_is_a_fork() {
        let keys = keys();
        let device = DeviceId([2; 16]);
        let files = chain_of(&keys, device, &["one", "two"]);
        // A damaged original with a good conflict copy: the copy serves; an identical copy counts once.
        let mut with_copies = candidates(&files);
        with_copies.insert(2, vec![b"garbage".to_vec(), files[1].clone(), files[1].clone()]);
        let chain = read_chain(&keys, &VAULT, device, &with_copies);
        assert_eq!((chain.files.len(), chain.stopped), (2, None));
        // A clone of the device wrote its own file 2 after the same file 1.
        let clone = seal(&keys[&KEY], &header(device, 2, digest(&files[0])), b"clone");
        let mut forked = candidates(&files);
        forked.get_mut(&2).unwrap().push(clone);
        let chain = read_chain(&keys, &VAULT, device, &forked);
        assert_eq!((chain.files.len(), chain.stopped), (1, Some(ChainError::Forked { seq: 2 })));
    }
}

//! Key derivation, sealing and key wrapping.
//!
//! The key hierarchy (see `store.rs` for where each piece lives in the file):
//!
//! ```text
//! passphrase ──Argon2id(salt, m, t, p)──▶ key-encryption key (KEK)
//! KEK ──AES-256-GCM unwrap (AAD = header)──▶ vault key (random, 256 bit)
//! vault key ──HKDF-SHA256──▶ record key   (AES-256-GCM for every user-entered field)
//!                         ├─▶ index key    (HMAC-SHA256 blind index of names)
//!                         └─▶ manifest key (HMAC-SHA256 terms of the record-set MAC)
//! ```
//!
//! Changing the passphrase re-wraps the vault key only; rotating the vault key re-encrypts every
//! record. Nothing here touches the disk.

use std::fmt;

use aes_gcm::aead::AeadInOut;
use aes_gcm::{Aes256Gcm, KeyInit};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::error::Error;
use super::kdf::KdfParams;

/// Length of every AES-GCM nonce: 96 bits, fresh from the OS for each seal.
pub const NONCE_LEN: usize = 12;
/// Length of the AES-GCM authentication tag appended to each ciphertext.
pub const TAG_LEN: usize = 16;
/// Length of the Argon2id salt we generate.
pub const SALT_LEN: usize = 32;

type HmacSha256 = Hmac<Sha256>;

/// Fills `buf` from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // The OS generator failing is not something a vault can recover from: continuing with a
    // predictable nonce or key would be far worse than stopping.
    getrandom::fill(&mut buf).expect("the operating system's random generator failed");
    buf
}

/// The smallest padded length: every name, description and value below it looks alike.
pub const MIN_PADDED_LEN: usize = 32;

/// The length `len` bytes are padded to before sealing (format v2): at least
/// [`MIN_PADDED_LEN`], and above it the Padmé size classes (a length rounded up so that its
/// lowest bits are zero; at most about 12% larger), so a ciphertext's size tells only the class of
/// its plaintext's length, not the length itself. The `+ 1` is the padding's end mark.
pub fn padded_len(len: usize) -> usize {
    let l = (len + 1).max(MIN_PADDED_LEN);
    let e = usize::BITS - 1 - l.leading_zeros(); // floor(log2 l)
    let s = u32::BITS - e.leading_zeros(); // floor(log2 e) + 1
    let mask = (1usize << (e - s)) - 1;
    (l + mask) & !mask
}

/// `data ‖ 0x80 ‖ 0x00…` up to [`padded_len`]: reversible whatever `data` ends with (ISO/IEC
/// 7816-4 padding).
pub fn pad(data: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(padded_len(data.len())));
    out.extend_from_slice(data);
    out.push(0x80);
    out.resize(padded_len(data.len()), 0);
    out
}

/// The data [`pad`] padded; `None` if `padded` does not end in a mark and zeros.
pub fn unpad(padded: &[u8]) -> Option<&[u8]> {
    let end = padded.iter().rposition(|&b| b != 0)?;
    (padded[end] == 0x80).then(|| &padded[..end])
}

/// A passphrase as typed by the user. Zeroized on drop, never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Passphrase(String);

impl Passphrase {
    pub fn new(text: impl Into<String>) -> Self {
        Passphrase(text.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase([redacted])")
    }
}

impl KdfParams {
    /// Parameters for a new vault: refused below [`KdfParams::FLOOR`] or above the caps.
    pub fn new(memory_kib: u32, iterations: u32, parallelism: u32) -> Result<Self, Error> {
        let params = KdfParams { memory_kib, iterations, parallelism };
        params.check_for_new_vault()?;
        Ok(params)
    }

    /// The check every new wrap of a vault key passes (create, passphrase change): within the
    /// caps, runnable here, and not below the floor. The one exception is
    /// [`KdfParams::insecure_for_tests`].
    pub(crate) fn check_for_new_vault(&self) -> Result<(), Error> {
        self.check_caps()?;
        check_runnable(*self)?;
        if self.below_floor() {
            return Err(Error::KdfTooWeak { requested: *self, floor: Self::FLOOR });
        }
        Ok(())
    }

    /// Sanity caps checked on every unlock, before allocating anything.
    pub(crate) fn check_caps(&self) -> Result<(), Error> {
        if self.within_caps() { Ok(()) } else { Err(Error::KdfOutOfRange { params: *self }) }
    }
}

/// Refuses KDF parameters whose memory this machine (or the process's control group) cannot give:
/// more than half of what there is. Before anything is allocated.
pub(crate) fn check_runnable(kdf: KdfParams) -> Result<(), Error> {
    check_runnable_with(kdf, super::kdf::memory_available())
}

fn check_runnable_with(kdf: KdfParams, available: Option<u64>) -> Result<(), Error> {
    let Some(available) = available else { return Ok(()) };
    let needed = u64::from(kdf.memory_kib) * 1024;
    if needed > available / 2 {
        return Err(Error::KdfTooDemanding { params: kdf, usable_mib: available / 2 / (1024 * 1024) });
    }
    Ok(())
}

/// A 256-bit key held in memory that is wiped when dropped.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Key32([u8; 32]);

impl Key32 {
    pub fn random() -> Self {
        Key32(random_bytes())
    }
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Key32(bytes)
    }
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for Key32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key32([redacted])")
    }
}

/// How much stack [`with_stack_scrubbed`] overwrites: well beyond the deepest call chain that
/// handles keys (Argon2, AES key expansion, HKDF, SQLite under a write), which stays under 48 KiB.
const STACK_SCRUB_BYTES: usize = 128 * 1024;

/// Runs `f`, then overwrites the stack that `f` and everything it called used.
///
/// Zeroize-on-drop wipes a key where it ends up, not the copies left on the way: Rust moves are
/// byte copies, a key schedule is built in locals, and a function's frame is not wiped when it
/// returns. Those bytes stay on the stack until something happens to overwrite them; in a thread
/// that goes idle, or whose stack is kept for reuse, that can be forever. `f`'s result must not
/// hold key material inline (keys live in a `Box`), since it is returned by copy.
pub(crate) fn with_stack_scrubbed<T>(f: impl FnOnce() -> T) -> T {
    let result = call_below(f);
    scrub_stack();
    result
}

/// Gives `f` a frame of its own, below the caller's, which [`scrub_stack`] then covers.
#[inline(never)]
fn call_below<T>(f: impl FnOnce() -> T) -> T {
    f()
}

#[inline(never)]
fn scrub_stack() {
    // One memset. The area's address escapes into `black_box`, so the compiler must assume the
    // zeroes are read and cannot leave them out. (`Zeroize` writes byte by byte, volatile: 100
    // times slower in a debug build, for no gain here.)
    let area = [0u8; STACK_SCRUB_BYTES];
    std::hint::black_box(&area);
}

/// Runs Argon2id: passphrase + salt → key-encryption key. Slow by design (about a second).
pub fn derive_kek(passphrase: &Passphrase, salt: &[u8], params: KdfParams) -> Result<Key32, Error> {
    params.check_caps()?;
    let argon_params = argon2::Params::new(params.memory_kib, params.iterations, params.parallelism, Some(32))
        .map_err(|_| Error::KdfOutOfRange { params })?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, argon_params);
    let mut out = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(passphrase.expose().as_bytes(), salt, out.as_mut())
        .map_err(|_| Error::KdfOutOfRange { params })?;
    Ok(Key32::from_bytes(*out))
}

/// The keys of an unlocked vault. Dropping this (locking) wipes them all.
#[derive(Clone)]
pub struct VaultKeys {
    vault_key: Key32,
    record_cipher: Aes256Gcm,
    /// HMACs keyed once; each use clones the keyed state instead of re-hashing the key.
    index_mac: HmacSha256,
    manifest_mac: HmacSha256,
    /// Seals the change files a device writes to a synced folder (`vault::sync`): a key of its
    /// own, so that nothing sealed for the file can be passed off as a change, or the reverse.
    change_cipher: Aes256Gcm,
}

impl fmt::Debug for VaultKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VaultKeys([redacted])")
    }
}

impl VaultKeys {
    pub fn from_vault_key(vault_key: Key32) -> Self {
        let hk = hkdf::Hkdf::<Sha256>::from_prk(vault_key.as_bytes()).expect("32 bytes is a valid PRK length");
        let sub = |label: &[u8]| {
            let mut out = [0u8; 32];
            hk.expand(label, &mut out).expect("32 bytes is a valid HKDF output length");
            let key = Key32::from_bytes(out);
            out.zeroize();
            key
        };
        let record_key = sub(b"tresor v1 record key");
        let change_key = sub(b"tresor v1 sync change key");
        VaultKeys {
            record_cipher: Aes256Gcm::new(&(*record_key.as_bytes()).into()),
            change_cipher: Aes256Gcm::new(&(*change_key.as_bytes()).into()),
            index_mac: keyed_hmac(&sub(b"tresor v1 name index key")),
            manifest_mac: keyed_hmac(&sub(b"tresor v1 manifest key")),
            vault_key,
        }
    }

    pub fn vault_key(&self) -> &Key32 {
        &self.vault_key
    }

    /// Encrypts one field: `nonce ‖ ciphertext ‖ tag`.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        seal_with(&self.record_cipher, plaintext, aad)
    }

    /// Decrypts one field sealed by [`VaultKeys::seal`] with the same AAD. `None` means the
    /// ciphertext, its nonce or its context (the AAD) is not what was sealed.
    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        open_with(&self.record_cipher, sealed, aad)
    }

    /// Encrypts a change file's body for a synced folder (`nonce ‖ ciphertext ‖ tag`), bound to
    /// `aad` (the file's header).
    pub fn seal_change(&self, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        seal_with(&self.change_cipher, plaintext, aad)
    }

    /// [`VaultKeys::seal_change`] with the nonce given: one that only the writing device can
    /// make ([`DeviceSecret::own_nonce`]), unique to the header and the body.
    pub fn seal_change_with(&self, plaintext: &[u8], aad: &[u8], nonce: [u8; NONCE_LEN]) -> Vec<u8> {
        seal_with_nonce(&self.change_cipher, nonce, plaintext, aad)
    }

    /// Decrypts a body sealed by [`VaultKeys::seal_change`] under the same header; `None` when
    /// the body or the header is not what was sealed, or another vault key sealed it.
    pub fn open_change(&self, sealed: &[u8], aad: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        open_with(&self.change_cipher, sealed, aad)
    }

    /// The keyed blind index of a live secret's name in a place (a project level or an
    /// environment): equal names in one place give equal indexes; the same name in two places
    /// gives two unrelated ones, and without the key an index says nothing about the name.
    pub fn name_index(&self, place: &[u8; 16], name: &str) -> [u8; 32] {
        hmac(&self.index_mac, &[b"name", place, name.as_bytes()])
    }

    /// The blind index of a trashed secret's name: another value than [`VaultKeys::name_index`],
    /// so the file does not show that a secret in the trash has the name of a live one.
    pub fn trashed_name_index(&self, place: &[u8; 16], name: &str) -> [u8; 32] {
        hmac(&self.index_mac, &[b"trashed name", place, name.as_bytes()])
    }

    /// An HMAC under the index key over `parts` (format v2's name indexes, for its migration).
    pub(crate) fn index_of(&self, parts: &[&[u8]]) -> [u8; 32] {
        hmac(&self.index_mac, parts)
    }

    /// The blind index of a live project's name (`folded`: lower-cased, so that names differing
    /// only in case collide).
    pub fn project_index(&self, folded: &str) -> [u8; 32] {
        hmac(&self.index_mac, &[b"project", folded.as_bytes()])
    }

    /// The blind index of a live environment's name within its project.
    pub fn environment_index(&self, project: &[u8; 16], folded: &str) -> [u8; 32] {
        hmac(&self.index_mac, &[b"environment", project, folded.as_bytes()])
    }

    /// A trashed project's or environment's index: one of its own (from its id), so that its
    /// name is free again and the file does not show which live name it had.
    pub fn trashed_place_index(&self, id: &[u8; 16]) -> [u8; 32] {
        hmac(&self.index_mac, &[b"trashed place", id])
    }

    /// One term of the record-set MAC (an XOR-MAC): see `store.rs`.
    pub fn manifest_term(&self, parts: &[&[u8]]) -> [u8; 32] {
        hmac_gathered(&self.manifest_mac, parts)
    }
}

fn keyed_hmac(key: &Key32) -> HmacSha256 {
    HmacSha256::new_from_slice(key.as_bytes()).expect("HMAC takes any key length")
}

fn hmac(keyed: &HmacSha256, parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = keyed.clone();
    for part in parts {
        // Length-prefix every part so that ("ab", "c") and ("a", "bc") differ.
        mac.update(&(part.len() as u64).to_le_bytes());
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// [`hmac`] of short parts gathered first and hashed in one call (the same bytes, so the same
/// result): an unlock computes one record-set term per row. Only for inputs that hold nothing
/// secret — row bookkeeping and ciphertext nonces and tags — since the gathered copy sits on the
/// stack.
fn hmac_gathered(keyed: &HmacSha256, parts: &[&[u8]]) -> [u8; 32] {
    let total: usize = parts.iter().map(|p| p.len() + 8).sum();
    if total > 512 {
        return hmac(keyed, parts);
    }
    let mut buf = [0u8; 512];
    let mut at = 0;
    for part in parts {
        buf[at..at + 8].copy_from_slice(&(part.len() as u64).to_le_bytes());
        buf[at + 8..at + 8 + part.len()].copy_from_slice(part);
        at += 8 + part.len();
    }
    let mut mac = keyed.clone();
    mac.update(&buf[..at]);
    mac.finalize().into_bytes().into()
}

fn seal_with(cipher: &Aes256Gcm, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
    seal_with_nonce(cipher, random_bytes(), plaintext, aad)
}

fn seal_with_nonce(cipher: &Aes256Gcm, nonce: [u8; NONCE_LEN], plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(NONCE_LEN + plaintext.len() + TAG_LEN);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(plaintext);
    let tag = cipher
        .encrypt_inout_detached(&nonce.into(), aad, (&mut out[NONCE_LEN..]).into())
        .expect("AES-GCM accepts messages far larger than any vault field");
    out.extend_from_slice(&tag);
    out
}

fn open_with(cipher: &Aes256Gcm, sealed: &[u8], aad: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if sealed.len() < NONCE_LEN + TAG_LEN {
        return None;
    }
    let (nonce, rest) = sealed.split_at(NONCE_LEN);
    let (ciphertext, tag) = rest.split_at(rest.len() - TAG_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
    let tag: [u8; TAG_LEN] = tag.try_into().ok()?;
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    cipher.decrypt_inout_detached(&nonce.into(), aad, buf.as_mut_slice().into(), &tag.into()).ok()?;
    Some(buf)
}

/// Wraps the vault key under the key-encryption key.
pub fn wrap_key(kek: &Key32, vault_key: &Key32, aad: &[u8]) -> Vec<u8> {
    seal_with(&Aes256Gcm::new(&(*kek.as_bytes()).into()), vault_key.as_bytes(), aad)
}

/// Unwraps the vault key. `None` when the passphrase (hence the KEK) is wrong.
pub fn unwrap_key(kek: &Key32, wrapped: &[u8], aad: &[u8]) -> Option<Key32> {
    let plain = open_with(&Aes256Gcm::new(&(*kek.as_bytes()).into()), wrapped, aad)?;
    let bytes: [u8; 32] = plain.as_slice().try_into().ok()?;
    Some(Key32::from_bytes(bytes))
}

/// A device's X25519 key pair in a synced vault: other devices seal a new vault key to its public
/// half (a passphrase change or a key rotation elsewhere), so that nothing in the synced folder —
/// nor an old key wrap kept in its history — opens the new key. Wiped when dropped.
pub struct DeviceSecret(x25519_dalek::StaticSecret);

impl DeviceSecret {
    pub fn random() -> Self {
        DeviceSecret(x25519_dalek::StaticSecret::from(random_bytes::<32>()))
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        DeviceSecret(x25519_dalek::StaticSecret::from(bytes))
    }

    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    pub fn public(&self) -> [u8; 32] {
        x25519_dalek::PublicKey::from(&self.0).to_bytes()
    }

    /// The nonce this device seals one of its change files with: a MAC of the file's header
    /// (`head`) and body under a key derived from this secret, so that the device can tell the
    /// files it wrote from any other in its folder (someone who holds the vault key, even the
    /// current one, cannot make it), and the nonce is still unique per file (SIV-like: equal
    /// only for the same header and body, which are the same file).
    pub fn own_nonce(&self, head: &[u8], body: &[u8]) -> [u8; NONCE_LEN] {
        let keyed = keyed_hmac(&self.derived(b"tresor v1 own change file"));
        let mac = hmac(&keyed, &[head, &sha256(&[body])]);
        mac[..NONCE_LEN].try_into().expect("a MAC is longer than a nonce")
    }

    /// A key of its own for `purpose`, derived from this secret (HKDF-SHA256).
    fn derived(&self, purpose: &[u8]) -> Key32 {
        let secret = self.to_bytes();
        let hk = hkdf::Hkdf::<Sha256>::new(None, secret.as_slice());
        let mut key = Zeroizing::new([0u8; 32]);
        hk.expand(purpose, key.as_mut()).expect("32 bytes is a valid HKDF output length");
        Key32::from_bytes(*key)
    }

    /// The device's Ed25519 signing key, derived from this secret: its change files are signed
    /// with it, and its public half names the device ([`DeviceSecret::device_id`]).
    fn signing_key(&self) -> ed25519_dalek::SigningKey {
        ed25519_dalek::SigningKey::from_bytes(self.derived(b"tresor v1 device signing key").as_bytes())
    }

    /// The public half of the device's signing key.
    pub fn signing_public(&self) -> [u8; 32] {
        self.signing_key().verifying_key().to_bytes()
    }

    /// The id of the device this secret belongs to: its signing key's ([`device_id_of`]).
    pub fn device_id(&self) -> [u8; 16] {
        device_id_of(&self.signing_public())
    }

    /// An Ed25519 signature of `message` by the device's signing key.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        use ed25519_dalek::Signer;
        self.signing_key().sign(message).to_bytes()
    }

    /// Opens a key sealed to this device by [`seal_key_to`] by the device whose public key is
    /// `sender`, with the same `aad`; `None` when it was sealed to another device or by another
    /// one, changed, or bound to another context.
    pub fn open_key(&self, sender: &[u8; 32], sealed: &[u8], aad: &[u8]) -> Option<Key32> {
        let (ephemeral, wrapped) = sealed.split_at_checked(32)?;
        let ephemeral: [u8; 32] = ephemeral.try_into().ok()?;
        let shared = self.0.diffie_hellman(&x25519_dalek::PublicKey::from(ephemeral));
        let static_shared = self.0.diffie_hellman(&x25519_dalek::PublicKey::from(*sender));
        if !shared.was_contributory() || !static_shared.was_contributory() {
            return None;
        }
        let kek = grant_kek((shared.as_bytes(), static_shared.as_bytes()), &ephemeral, &self.public(), sender);
        unwrap_key(&kek, wrapped, aad)
    }
}

/// Seals `key` from the device `sender` to the device whose public key is `public`, as HPKE's
/// authenticated mode does: X25519 with a fresh ephemeral key and with the sender's own key,
/// HKDF-SHA256 over both, AES-256-GCM bound to `aad`: `ephemeral public key ‖ nonce ‖
/// ciphertext ‖ tag`. Only the holder of `sender`'s secret (or of the recipient's) can make a
/// grant that opens with `sender`'s public key. `None` for a public key that would make the
/// shared secret predictable (a low-order point).
/// The last 4 bytes of every signing device's id ([`device_id_of`]): what tells, from the id
/// alone, that every file of that device must be signed. (A device set up by an earlier version
/// has a random id: one in 2^32 ends so, and would have to join again.)
pub const SIGNING_ID_MARK: [u8; 4] = *b"sig\x01";

/// The device id a signing public key names: 12 bytes of its SHA-256 (with a label), then
/// [`SIGNING_ID_MARK`]. Nobody can make a key for a given id (2^96 work), so a file signed by a
/// key whose id is the one its header names was written by that device.
pub fn device_id_of(public: &[u8; 32]) -> [u8; 16] {
    let mut id = [0u8; 16];
    id[..12].copy_from_slice(&sha256(&[b"tresor v1 device id", public])[..12]);
    id[12..].copy_from_slice(&SIGNING_ID_MARK);
    id
}

/// Whether the device with this id signs its files (its id is its signing key's): then a file in
/// its name that it did not sign is someone else's, whatever else the folder holds.
pub fn is_signing_id(id: &[u8; 16]) -> bool {
    id[12..] == SIGNING_ID_MARK
}

/// Whether `signature` is `public`'s Ed25519 signature of `message` (strict: no malleable or
/// small-order forms).
pub fn verify_signature(public: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    ed25519_dalek::VerifyingKey::from_bytes(public)
        .is_ok_and(|key| key.verify_strict(message, &ed25519_dalek::Signature::from_bytes(signature)).is_ok())
}

pub fn seal_key_to(sender: &DeviceSecret, public: &[u8; 32], key: &Key32, aad: &[u8]) -> Option<Vec<u8>> {
    let ephemeral = x25519_dalek::StaticSecret::from(random_bytes::<32>());
    let ephemeral_public = x25519_dalek::PublicKey::from(&ephemeral).to_bytes();
    let shared = ephemeral.diffie_hellman(&x25519_dalek::PublicKey::from(*public));
    let static_shared = sender.0.diffie_hellman(&x25519_dalek::PublicKey::from(*public));
    if !shared.was_contributory() || !static_shared.was_contributory() {
        return None;
    }
    let kek = grant_kek((shared.as_bytes(), static_shared.as_bytes()), &ephemeral_public, public, &sender.public());
    let mut out = ephemeral_public.to_vec();
    out.extend_from_slice(&wrap_key(&kek, key, aad));
    Some(out)
}

fn grant_kek(shared: (&[u8; 32], &[u8; 32]), ephemeral: &[u8; 32], recipient: &[u8; 32], sender: &[u8; 32]) -> Key32 {
    let ikm = Zeroizing::new([shared.0.as_slice(), shared.1].concat());
    let hk = hkdf::Hkdf::<Sha256>::new(None, &ikm);
    let info = [b"tresor v1 sync key grant".as_slice(), ephemeral, recipient, sender].concat();
    let mut out = Zeroizing::new([0u8; 32]);
    hk.expand(&info, out.as_mut()).expect("32 bytes is a valid HKDF output length");
    Key32::from_bytes(*out)
}

/// HMAC-SHA256 of `data` under a one-off `key`: a fingerprint that tells equal texts apart from
/// others, and that nobody without the key can test guesses against (a dump that holds it
/// without the key shows nothing).
pub fn keyed_digest(key: &[u8; 32], data: &[u8]) -> [u8; 32] {
    hmac(&keyed_hmac(&Key32::from_bytes(*key)), &[data])
}

/// SHA-256, for the header checksum that tells a damaged header from a wrong passphrase.
pub fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    use sha2::Digest;
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_sealed_to_a_device_opens_only_with_its_secret_its_senders_key_and_context() {
        let (laptop, desktop, phone) = (DeviceSecret::random(), DeviceSecret::random(), DeviceSecret::random());
        let key = Key32::random();
        let sealed = seal_key_to(&desktop, &laptop.public(), &key, b"context").unwrap();
        let from = desktop.public();
        assert_eq!(laptop.open_key(&from, &sealed, b"context").unwrap().as_bytes(), key.as_bytes());
        assert!(desktop.open_key(&from, &sealed, b"context").is_none(), "another device");
        assert!(laptop.open_key(&phone.public(), &sealed, b"context").is_none(), "said to be from another device");
        assert!(laptop.open_key(&from, &sealed, b"other").is_none(), "another context");
        // Someone without the desktop's secret cannot make a grant that opens as the desktop's.
        let forged = seal_key_to(&phone, &laptop.public(), &key, b"context").unwrap();
        assert!(laptop.open_key(&from, &forged, b"context").is_none(), "a grant from another sender");
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 1;
            assert!(laptop.open_key(&from, &bad, b"context").is_none(), "byte {i} flipped");
        }
        assert!(seal_key_to(&desktop, &[0; 32], &key, b"context").is_none(), "a low-order public key");
        assert!(laptop.open_key(&[0; 32], &sealed, b"context").is_none(), "a low-order sender key");
        let again = DeviceSecret::from_bytes(*laptop.to_bytes());
        assert_eq!(again.public(), laptop.public());
    }

    #[test]
    fn parameters_needing_more_than_half_the_memory_are_refused() {
        let four_gib = KdfParams { memory_kib: 4 * 1024 * 1024, iterations: 3, parallelism: 4 };
        let gib = 1024 * 1024 * 1024;
        assert!(check_runnable_with(four_gib, Some(16 * gib)).is_ok());
        let refused = check_runnable_with(four_gib, Some(6 * gib)).unwrap_err();
        assert!(matches!(refused, Error::KdfTooDemanding { usable_mib: 3072, .. }), "{refused:?}");
        assert!(refused.to_string().contains("3072 MiB usable"), "{refused}");
        assert!(check_runnable_with(four_gib, None).is_ok(), "unknown: not refused");
    }

    #[test]
    fn sealed_field_opens_only_with_its_own_context() {
        let keys = VaultKeys::from_vault_key(Key32::random());
        let sealed = keys.seal(b"sk-123", b"ctx-a");
        assert_eq!(keys.open(&sealed, b"ctx-a").unwrap().as_slice(), b"sk-123");
        assert!(keys.open(&sealed, b"ctx-b").is_none());
        let other = VaultKeys::from_vault_key(Key32::random());
        assert!(other.open(&sealed, b"ctx-a").is_none());
    }

    #[test]
    fn padding_is_reversible_and_hides_the_exact_length() {
        for data in [&b""[..], b"a", b"OPENAI_API_KEY", b"ends with NULs\0\0\0", b"\x80", &[0x80, 0][..], &[7u8; 1000]]
        {
            let padded = pad(data);
            assert_eq!(padded.len(), padded_len(data.len()));
            assert_eq!(unpad(&padded), Some(data), "{data:?}");
        }
        assert_eq!(padded_len(0), MIN_PADDED_LEN);
        assert_eq!(padded_len(14), padded_len(20), "short names share one size");
        for len in [0, 1, 31, 32, 33, 100, 1000, 4096, 100_000, 4 * 1024 * 1024] {
            let p = padded_len(len);
            assert!(p > len && p <= (len + 1).max(MIN_PADDED_LEN) * 113 / 100 + 1, "{len} -> {p}");
        }
        assert_eq!(unpad(b"no mark"), None);
        assert_eq!(unpad(&[0, 0]), None);
    }

    #[test]
    fn two_seals_of_the_same_value_differ() {
        let keys = VaultKeys::from_vault_key(Key32::random());
        assert_ne!(keys.seal(b"same", b"ctx"), keys.seal(b"same", b"ctx"));
    }

    #[test]
    fn weak_parameters_are_refused_for_new_vaults() {
        assert!(matches!(KdfParams::new(32 * 1024, 3, 4), Err(Error::KdfTooWeak { .. })));
        assert!(matches!(KdfParams::new(64 * 1024, 2, 4), Err(Error::KdfTooWeak { .. })));
        assert!(KdfParams::new(64 * 1024, 3, 4).is_ok());
        assert!(matches!(KdfParams::new(8 * 1024 * 1024, 3, 4), Err(Error::KdfOutOfRange { .. })));
    }

    #[test]
    fn debug_output_never_shows_key_material() {
        let p = Passphrase::new("hunter2");
        assert!(!format!("{p:?}").contains("hunter2"));
        let k = Key32::from_bytes([0xAB; 32]);
        assert!(!format!("{k:?}").to_lowercase().contains("ab, "));
    }
}

//! The vault key under the passphrase: wrapping it into a header (a new vault, a passphrase
//! change, a migration's new key id, a backup re-wrapped) and unwrapping it at unlock. Below every
//! operation (`keys.rs`, `backup.rs`, `migrate.rs`, unlock), above the format (`store.rs`).

use super::crypto::{self, Key32, Passphrase, VaultKeys};
use super::error::{Error, Result};
use super::store::Header;

/// `template` with the vault key wrapped under `passphrase` and a new salt (its own salt and
/// wrapped key are replaced). Returns the KEK too: re-wrapping backups needs it. Runs the KDF once.
pub(crate) fn wrapped_header(template: Header, passphrase: &Passphrase, vault_key: &Key32) -> Result<(Header, Key32)> {
    let salt = crypto::random_bytes::<{ crypto::SALT_LEN }>().to_vec();
    let kek = crypto::derive_kek(passphrase, &salt, template.kdf)?;
    let header = wrap_under(&kek, Header { salt, ..template }, vault_key);
    Ok((header, kek))
}

/// `header` with `vault_key` wrapped under `kek` (which must be derived from `header`'s salt
/// and parameters), for the header's own format and key id.
pub(crate) fn wrap_under(kek: &Key32, mut header: Header, vault_key: &Key32) -> Header {
    header.wrapped_key = crypto::wrap_key(kek, vault_key, &header.wrap_aad());
    header
}

/// The keys of a vault, in the box they keep for life. Call only under
/// [`crypto::with_stack_scrubbed`]: building them leaves copies on the stack.
pub(crate) fn boxed_keys(vault_key: Key32) -> Box<VaultKeys> {
    Box::new(VaultKeys::from_vault_key(vault_key))
}

/// The vault's keys, and the KEK they were unwrapped with (a format migration re-wraps the key
/// under a new key id with it, without running the KDF again).
pub(crate) fn unwrap_keys(header: &Header, passphrase: &Passphrase) -> Result<(Box<VaultKeys>, Key32)> {
    // Refuse absurd parameters, and ones this machine cannot run, before Argon2 allocates
    // anything.
    header.kdf.check_caps()?;
    crypto::check_runnable(header.kdf)?;
    let kek = crypto::derive_kek(passphrase, &header.salt, header.kdf)?;
    let vault_key = crypto::unwrap_key(&kek, &header.wrapped_key, &header.wrap_aad()).ok_or(Error::WrongPassphrase)?;
    Ok((boxed_keys(vault_key), kek))
}

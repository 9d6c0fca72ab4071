//! Keys: the passphrase check and change, vault-key rotation, strengthening the key derivation
//! (a passphrase change with new parameters), and calibrating it for a new vault.

use std::time::{Duration, Instant};

use super::crypto::{self, Key32, VaultKeys};
use super::records::{self, HistoryRow, Records, RowState, SecretRow};
use super::store::{self, Header};
use super::{BackupReason, Error, KdfParams, Passphrase, Result, UNLOCK_TARGET, Vault, backup};

impl Vault {
    /// Argon2id parameters for a new vault on this machine: 256 MiB, 4 lanes, and as many passes
    /// as fit in about [`UNLOCK_TARGET`] (never fewer than the floor's 3).
    pub fn calibrate_kdf() -> KdfParams {
        Self::calibrate_kdf_for(UNLOCK_TARGET)
    }

    /// [`Vault::calibrate_kdf`] for another unlock time.
    pub fn calibrate_kdf_for(target: Duration) -> KdfParams {
        let probe = KdfParams {
            memory_kib: KdfParams::DEFAULT_MEMORY_KIB,
            iterations: 1,
            parallelism: KdfParams::DEFAULT_PARALLELISM,
        };
        let salt: [u8; crypto::SALT_LEN] = crypto::random_bytes();
        let started = Instant::now();
        let _ = crypto::derive_kek(&Passphrase::new("calibration"), &salt, probe);
        let per_pass = started.elapsed().max(Duration::from_millis(1));
        let passes = (target.as_secs_f64() / per_pass.as_secs_f64()).round() as u32;
        KdfParams { iterations: passes.clamp(KdfParams::FLOOR.iterations, 64), ..probe }
    }

    /// Checks `passphrase` against the vault without changing anything (for "current passphrase"
    /// fields). Runs the KDF once.
    pub fn verify_passphrase(&self, passphrase: &Passphrase) -> Result<()> {
        crypto::with_stack_scrubbed(|| {
            let header = store::read_header(&self.conn)?;
            let (keys, _) = unwrap_keys(&header, passphrase)?;
            if keys.vault_key().as_bytes() != self.keys.vault_key().as_bytes() {
                return Err(Error::KeyRotatedElsewhere);
            }
            Ok(())
        })
    }

    /// Changes the passphrase: re-wraps the vault key under a new salt (and `kdf`, or the current
    /// parameters), in one transaction. Secret rows are not touched. Runs the KDF once. The
    /// backups holding the same vault key are re-wrapped too (after a backup of the state before),
    /// so that the old passphrase opens nothing that key protects.
    pub fn change_passphrase(&mut self, new: &Passphrase, kdf: Option<KdfParams>) -> Result<()> {
        if new.is_empty() {
            return Err(Error::EmptyPassphrase);
        }
        let kdf = kdf.unwrap_or(self.header.kdf);
        kdf.check_for_new_vault()?;
        self.backup_before(BackupReason::PassphraseChange)?;
        crypto::with_stack_scrubbed(|| {
            let template = Header { kdf, ..self.header.clone() };
            let (header, kek) = wrapped_header(template, new, self.keys.vault_key())?;
            self.write(|_, tx, _| store::write_header(tx, &header))?;
            let stuck = backup::rewrap(&self.path, &header, &kek, self.keys.vault_key());
            if stuck > 0 {
                self.warning =
                    Some(Error::BackupsKeepOldPassphrase { count: stuck, dir: backup::backup_dir(&self.path) });
            }
            self.header = header;
            store::checkpoint(&self.conn);
            Ok(())
        })
    }

    /// Replaces the vault key with a new random one and re-encrypts every record under it, in one
    /// transaction. The passphrase stays the same (`passphrase` is needed to wrap the new key).
    pub fn rotate_key(&mut self, passphrase: &Passphrase) -> Result<()> {
        crypto::with_stack_scrubbed(|| self.rotate_key_unscrubbed(passphrase))
    }

    pub(super) fn rotate_key_unscrubbed(&mut self, passphrase: &Passphrase) -> Result<()> {
        self.verify_passphrase(passphrase)?;
        self.backup_before(BackupReason::KeyRotation)?;
        let new_key = Key32::random();
        // A new key has no earlier ids: backups made under the old key keep their passphrase.
        let template = Header { key_id: crypto::random_bytes(), lineage: Some(Vec::new()), ..self.header.clone() };
        let (header, _) = wrapped_header(template, passphrase, &new_key)?;
        let new_keys = boxed_keys(new_key);
        let vault_id = self.header.vault_id;
        let new_records = Records { keys: &new_keys, vault_id: &vault_id };
        let key_id = header.key_id;
        self.write_sealing_with(Some((&new_keys, &key_id)), |vault, tx, set| {
            let mut new_set = records::RecordSet::default();
            let old_records = vault.records();
            for old in SecretRow::all(tx)? {
                let name = old_records.name(&old)?;
                let description = old_records.description(&old)?;
                let value = old_records.value(&old)?;
                let mut row = new_records.seal_secret(
                    old.id,
                    &name,
                    &description,
                    &value,
                    RowState {
                        revision: records::new_revision(),
                        version: old.version,
                        created: old.created,
                        modified: old.modified,
                        value_set: old.value_set,
                        deleted: old.deleted,
                    },
                );
                row.name_index = new_keys.name_index(name.as_str());
                row.update(tx)?;
                new_set.add(new_records.secret_term(&row));
            }
            for old in HistoryRow::all(tx)? {
                let value = old_records.history_value(&old)?;
                let row =
                    new_records.seal_history(old.id, old.secret_id, old.version, old.created, old.replaced, &value);
                row.update(tx)?;
                new_set.add(new_records.history_term(&row));
            }
            store::write_header(tx, &header)?;
            new_set.writes = set.writes;
            *set = new_set;
            Ok(())
        })?;
        self.header = header;
        self.keys = new_keys;
        store::checkpoint(&self.conn);
        Ok(())
    }
}

/// `template` with the vault key wrapped under `passphrase` and a new salt (its own salt and
/// wrapped key are replaced). Returns the KEK too: re-wrapping backups needs it. Runs the KDF once.
pub(super) fn wrapped_header(template: Header, passphrase: &Passphrase, vault_key: &Key32) -> Result<(Header, Key32)> {
    let salt = crypto::random_bytes::<{ crypto::SALT_LEN }>().to_vec();
    let kek = crypto::derive_kek(passphrase, &salt, template.kdf)?;
    let header = wrap_under(&kek, Header { salt, ..template }, vault_key);
    Ok((header, kek))
}

/// `header` with `vault_key` wrapped under `kek` (which must be derived from `header`'s salt
/// and parameters), for the header's own format and key id.
pub(super) fn wrap_under(kek: &Key32, mut header: Header, vault_key: &Key32) -> Header {
    header.wrapped_key = crypto::wrap_key(kek, vault_key, &header.wrap_aad());
    header
}

/// The keys of a vault, in the box they keep for life. Call only under
/// [`crypto::with_stack_scrubbed`]: building them leaves copies on the stack.
pub(super) fn boxed_keys(vault_key: Key32) -> Box<VaultKeys> {
    Box::new(VaultKeys::from_vault_key(vault_key))
}

/// The vault's keys, and the KEK they were unwrapped with (a format migration re-wraps the key
/// under a new key id with it, without running the KDF again).
pub(super) fn unwrap_keys(header: &Header, passphrase: &Passphrase) -> Result<(Box<VaultKeys>, Key32)> {
    // Refuse absurd parameters before Argon2 allocates anything.
    header.kdf.check_caps()?;
    let kek = crypto::derive_kek(passphrase, &header.salt, header.kdf)?;
    let vault_key = crypto::unwrap_key(&kek, &header.wrapped_key, &header.wrap_aad()).ok_or(Error::WrongPassphrase)?;
    Ok((boxed_keys(vault_key), kek))
}

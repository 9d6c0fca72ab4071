//! Keys: the passphrase check and change, vault-key rotation, strengthening the key derivation
//! (a passphrase change with new parameters), and calibrating it for a new vault.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use super::crypto::{self, Key32};
use super::records::{self, HistoryRow, PlaceRow, Records, RowState, SecretRow};
use super::store::{self, Header};
use super::wrap::{boxed_keys, unwrap_keys, wrap_under, wrapped_header};
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
            if self.sync_folder()?.is_some() {
                // A synced vault also moves to a new key (under the same new wrap's salt), in the
                // same transaction as the new wrap: the old passphrase's wrap, kept in the
                // folder's history or by a sync engine's versioning, opens nothing written from
                // now on, and a crash leaves either both or neither. The other devices get the
                // key sealed to each of them, and take this passphrase. The backups (under the
                // key the vault had: `header`) are re-wrapped right after the commit.
                let new_key = Key32::random();
                let template = Header { key_id: crypto::random_bytes(), lineage: Some(Vec::new()), ..header.clone() };
                let moved = wrap_under(&kek, template, &new_key);
                self.read(store::integrity_check)?;
                backup::note_rewrap(&self.path, &header)?;
                self.move_to_key(new_key, moved, true, Some((&header, &kek)))?;
            } else {
                backup::note_rewrap(&self.path, &header)?;
                crate::failpoint("before-passphrase-commit");
                self.write(|_, w| w.write_header(&header))?;
                crate::failpoint("after-passphrase-commit");
                self.header = header.clone();
                store::checkpoint(&self.conn);
                if let Some(warning) = self.rewrap_backups(&header, &kek, &self.keys.vault_key().clone()) {
                    self.warning = Some(warning);
                }
            }
            Ok(())
        })
    }

    /// After a passphrase change: the backups under the vault key `old_key` re-wrapped under
    /// `kek` (`header`: that key under the new wrap); the warning to give if some cannot be.
    fn rewrap_backups(&self, header: &Header, kek: &Key32, old_key: &Key32) -> Option<Error> {
        let stuck = backup::rewrap(&self.path, header, kek, old_key);
        backup::clear_rewrap_note(&self.path);
        (stuck > 0).then(|| Error::BackupsKeepOldPassphrase { count: stuck, dir: backup::backup_dir(&self.path) })
    }

    /// Replaces the vault key with a new random one and re-encrypts every record under it, in one
    /// transaction. The passphrase stays the same (`passphrase` is needed to wrap the new key).
    pub fn rotate_key(&mut self, passphrase: &Passphrase) -> Result<()> {
        crypto::with_stack_scrubbed(|| self.rotate_key_unscrubbed(passphrase))
    }

    pub(super) fn rotate_key_unscrubbed(&mut self, passphrase: &Passphrase) -> Result<()> {
        self.verify_passphrase(passphrase)?;
        // Every row is about to be re-sealed under the new key as genuine: first the whole file,
        // indexes included (an edited index would otherwise have steered what gets re-sealed).
        self.read(store::integrity_check)?;
        self.backup_before(BackupReason::KeyRotation)?;
        let new_key = Key32::random();
        // A new key has no earlier ids: backups made under the old key keep their passphrase.
        let template = Header { key_id: crypto::random_bytes(), lineage: Some(Vec::new()), ..self.header.clone() };
        let (header, _) = wrapped_header(template, passphrase, &new_key)?;
        self.move_to_key(new_key, header, true, None)
    }

    /// Moves this vault to a key made on another device of its synced folder, with that device's
    /// wrap of it as the header (the passphrase set there): every record re-sealed, as for a
    /// rotation. The sync that found the key calls it.
    pub(super) fn adopt_key(&mut self, new_key: Key32, header: Header) -> Result<()> {
        crypto::with_stack_scrubbed(|| {
            self.read(store::integrity_check)?;
            self.backup_before(BackupReason::KeyRotation)?;
            self.move_to_key(new_key, header, false, None)
        })
    }

    /// Re-seals every record under `new_key` and writes `header` (which wraps it), in one
    /// transaction. A synced vault keeps its keys across the move, and a key made here
    /// (`announce`) is announced to the other devices: at once if the folder is there, else at
    /// the next sync.
    /// `backups`: after a passphrase change, the backups to re-wrap under its KEK as soon as the
    /// move is committed (the old key's header under the new wrap, and the KEK).
    fn move_to_key(
        &mut self,
        new_key: Key32,
        header: Header,
        announce: bool,
        backups: Option<(&Header, &Key32)>,
    ) -> Result<()> {
        let old_id = self.header.key_id;
        let old_key = self.keys.vault_key().clone();
        // A synced vault's record of its keys is written before the move and after it: no sync
        // of this vault in another process (which would write its own copy over it) runs
        // between (taken again, in this thread, by the sync that adopts a key and by the one
        // that announces it).
        let _lock = self.sync_lock_if_synced()?;
        let synced = self.sync_before_rekey((&header.key_id, &new_key), announce)?.is_some();
        crate::failpoint("before-rekey-commit");
        let new_keys = boxed_keys(new_key);
        let vault_id = self.header.vault_id;
        let new_records = Records { keys: &new_keys, vault_id: &vault_id };
        let key_id = header.key_id;
        self.write_sealing_with(Some((&new_keys, &key_id)), |vault, w| {
            // What is re-sealed must be what the stored record set certifies: rows put back
            // or removed while the vault was open are refused, not laundered under the new key.
            let mut old_set = records::RecordSet::default();
            let old_records = vault.records();
            // The history first, so that each secret's row is re-sealed with its new sum (and
            // checked against its old one).
            let (mut old_sums, mut new_sums) = (HashMap::new(), HashMap::new());
            for old in HistoryRow::all(w.conn())? {
                records::fold(old_sums.entry(old.secret_id).or_default(), old_records.history_term(&old));
                let value = old_records.history_value(&old)?;
                let row =
                    new_records.seal_history(old.id, old.secret_id, old.version, old.created, old.replaced, &value);
                w.replace_history(&old, &row)?;
                records::fold(new_sums.entry(row.secret_id).or_default(), new_records.history_term(&row));
                old_set.history_rows += 1;
            }
            for old in SecretRow::all(w.conn())? {
                old_set.add(old_records.secret_term(&old));
                if old_sums.remove(&old.id).unwrap_or_default() != old.history {
                    return Err(Error::RecordSetTampered);
                }
                let name = old_records.name(&old)?;
                let description = old_records.description(&old)?;
                let value = old_records.value(&old)?;
                let row = new_records.seal_secret(
                    old.id,
                    old.place,
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
                        history: new_sums.get(&old.id).copied().unwrap_or_default(),
                    },
                );
                w.replace_secret(&old, &row)?;
            }
            for old in PlaceRow::all(w.conn())? {
                old_set.add(old_records.place_term(&old));
                let name = old_records.place_name(&old)?;
                let row = new_records.seal_place(
                    old.id,
                    old.project,
                    &name,
                    old.position,
                    old.is_default,
                    old.created,
                    old.modified,
                    old.deleted,
                );
                w.replace_place(&old, &row)?;
            }
            // Left over: history rows of no secret.
            if !old_sums.is_empty() || !old_set.same_rows(w.previous_set()) {
                return Err(Error::RecordSetTampered);
            }
            w.write_header(&header)
        })?;
        crate::failpoint("after-rekey-commit");
        self.header = header;
        self.keys = new_keys;
        // The write above was remembered under the old key's id: again under the new one.
        if let Ok(writes) = self.writes() {
            self.remember(writes, false);
        }
        store::checkpoint(&self.conn);
        let backups_warning = backups.and_then(|(old_header, kek)| self.rewrap_backups(old_header, kek, &old_key));
        if synced {
            self.sync_after_rekey(old_id, announce)?;
            if announce && let Err(e) = self.sync_now() {
                // The key is made; the other devices hear of it at the next sync that reaches
                // the folder.
                self.warning = Some(e);
            }
        }
        // A warning about the backups goes before one about the sync.
        if let Some(warning) = backups_warning {
            self.warning = Some(warning);
        }
        Ok(())
    }
}

/// An unlock that takes longer than this on this machine is unusual: Tresor calibrates new vaults
/// to about [`UNLOCK_TARGET`]. Parameters far above it were chosen by hand on a faster machine, or
/// written into the file by someone who wants the next unlock to hang.
pub const UNUSUAL_UNLOCK: Duration = Duration::from_secs(20);

/// How long unlocking a vault will take on this machine, told before it starts.
#[derive(Debug, Clone, Copy)]
pub struct UnlockEstimate {
    pub kdf: KdfParams,
    /// The estimated time of the key derivation here.
    pub time: Duration,
}

impl UnlockEstimate {
    /// Whether the unlock will take far longer than Tresor ever sets up ([`UNUSUAL_UNLOCK`]):
    /// front ends say so first, and offer not to start.
    pub fn is_unusual(&self) -> bool {
        self.time > UNUSUAL_UNLOCK
    }
}

impl Vault {
    /// How long unlocking the vault at `path` will take here, from its stored KDF parameters and
    /// this machine's Argon2 speed (measured once per process, in a few milliseconds, and only
    /// for parameters above any that calibration produces). Refuses parameters this machine
    /// cannot run at all ([`Error::KdfTooDemanding`]) or outside the caps.
    pub fn unlock_estimate(path: &Path) -> Result<UnlockEstimate> {
        let conn = store::open(path)?;
        let kdf = store::read_header(&conn)?.kdf;
        kdf.check_caps()?;
        crypto::check_runnable(kdf)?;
        let work = u64::from(kdf.memory_kib) * u64::from(kdf.iterations);
        // Calibration never goes past 64 passes of the default memory: below a quarter of that,
        // no need to measure anything.
        let calibrated_max = u64::from(KdfParams::DEFAULT_MEMORY_KIB) * 16;
        if work <= calibrated_max {
            return Ok(UnlockEstimate { kdf, time: UNLOCK_TARGET });
        }
        let per_kib_pass = argon2_speed(kdf.parallelism);
        Ok(UnlockEstimate { kdf, time: per_kib_pass.mul_f64(work as f64) })
    }
}

/// This machine's Argon2id time per KiB of memory per pass, with `lanes` lanes (measured once).
fn argon2_speed(lanes: u32) -> Duration {
    static SPEED: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();
    *SPEED.get_or_init(|| {
        const PROBE_KIB: u32 = 16 * 1024;
        let probe = KdfParams { memory_kib: PROBE_KIB, iterations: 1, parallelism: lanes.clamp(1, 4) };
        let started = Instant::now();
        let _ = crypto::derive_kek(&Passphrase::new("probe"), &[0u8; crypto::SALT_LEN], probe);
        started.elapsed().div_f64(f64::from(PROBE_KIB))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unusual_unlock_is_one_far_above_what_tresor_sets_up() {
        let estimate = UnlockEstimate { kdf: KdfParams::FLOOR, time: UNUSUAL_UNLOCK + Duration::from_secs(1) };
        assert!(estimate.is_unusual());
        assert!(!UnlockEstimate { kdf: KdfParams::FLOOR, time: UNLOCK_TARGET }.is_unusual());
    }
}

//! Keys: the passphrase check and change, vault-key rotation, strengthening the key derivation
//! (a passphrase change with new parameters), and calibrating it for a new vault.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use super::crypto::{self, Key32, VaultKeys};
use super::records::{self, HistoryRow, PlaceRow, Records, RowState, SecretRow};
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
        // Every row is about to be re-sealed under the new key as genuine: first the whole file,
        // indexes included (an edited index would otherwise have steered what gets re-sealed).
        self.read(store::integrity_check)?;
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
            // What is re-sealed must be what the stored record set certifies: rows put back
            // or removed while the vault was open are refused, not laundered under the new key.
            let mut old_set = records::RecordSet::default();
            let old_records = vault.records();
            // The history first, so that each secret's row is re-sealed with its new sum (and
            // checked against its old one).
            let (mut old_sums, mut new_sums) = (HashMap::new(), HashMap::new());
            for old in HistoryRow::all(tx)? {
                records::fold(old_sums.entry(old.secret_id).or_default(), old_records.history_term(&old));
                let value = old_records.history_value(&old)?;
                let row =
                    new_records.seal_history(old.id, old.secret_id, old.version, old.created, old.replaced, &value);
                row.update(tx)?;
                records::fold(new_sums.entry(row.secret_id).or_default(), new_records.history_term(&row));
                old_set.history_rows += 1;
            }
            new_set.history_rows = old_set.history_rows;
            for old in SecretRow::all(tx)? {
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
                row.update(tx)?;
                new_set.add(new_records.secret_term(&row));
            }
            for old in PlaceRow::all(tx)? {
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
                row.update(tx)?;
                new_set.add(new_records.place_term(&row));
            }
            // Left over: history rows of no secret.
            if !old_sums.is_empty() || !old_set.same_rows(set) {
                return Err(Error::RecordSetTampered);
            }
            store::write_header(tx, &header)?;
            new_set.writes = set.writes;
            *set = new_set;
            Ok(())
        })?;
        self.header = header;
        self.keys = new_keys;
        // The write above was remembered under the old key's id.
        if let Ok(writes) = self.writes() {
            self.remember(writes, false);
        }
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
    // Refuse absurd parameters, and ones this machine cannot run, before Argon2 allocates
    // anything.
    header.kdf.check_caps()?;
    check_runnable(header.kdf)?;
    let kek = crypto::derive_kek(passphrase, &header.salt, header.kdf)?;
    let vault_key = crypto::unwrap_key(&kek, &header.wrapped_key, &header.wrap_aad()).ok_or(Error::WrongPassphrase)?;
    Ok((boxed_keys(vault_key), kek))
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
        check_runnable(kdf)?;
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

/// Refuses KDF parameters whose memory this machine (or the process's control group) cannot give:
/// more than half of what there is. Before anything is allocated.
pub(super) fn check_runnable(kdf: KdfParams) -> Result<()> {
    check_runnable_with(kdf, memory_available())
}

fn check_runnable_with(kdf: KdfParams, available: Option<u64>) -> Result<()> {
    let Some(available) = available else { return Ok(()) };
    let needed = u64::from(kdf.memory_kib) * 1024;
    if needed > available / 2 {
        return Err(Error::KdfTooDemanding { params: kdf, usable_mib: available / 2 / (1024 * 1024) });
    }
    Ok(())
}

/// The memory this process may use: the machine's, or its control group's limit if lower.
fn memory_available() -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        let total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok().map(|kib| kib * 1024)
        });
        let mut limits: Vec<u64> = total.into_iter().collect();
        if let Ok(groups) = std::fs::read_to_string("/proc/self/cgroup") {
            for line in groups.lines() {
                let mut parts = line.splitn(3, ':');
                let (Some(_), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
                    continue;
                };
                let file = match controllers {
                    "" => format!("/sys/fs/cgroup{path}/memory.max"),
                    c if c.split(',').any(|c| c == "memory") => {
                        format!("/sys/fs/cgroup/memory{path}/memory.limit_in_bytes")
                    }
                    _ => continue,
                };
                if let Some(limit) = std::fs::read_to_string(file).ok().and_then(|t| t.trim().parse::<u64>().ok()) {
                    limits.push(limit);
                }
            }
        }
        limits.into_iter().min()
    }
    #[cfg(not(target_os = "linux"))]
    None
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn this_machine_reports_its_memory() {
        #[cfg(target_os = "linux")]
        assert!(memory_available().is_some_and(|m| m > 64 * 1024 * 1024));
    }
}

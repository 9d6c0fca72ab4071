//! Automatic encrypted backups of a vault file.
//!
//! A backup is a whole vault file, copied page by page through SQLite's online backup API (never
//! a plain file copy, which could catch a half-written page or miss what is still in the WAL). It
//! holds the same ciphertext as the vault, so it is exactly as safe, and it opens with the
//! passphrase the vault had when the backup was made.
//!
//! Backups live in a 0700 folder beside the vault, named after it (`vault.db` →
//! `vault.db.backups/`), one 0600 file per backup, named by its UTC time and reason:
//! `2026-11-23T10-15-00.123Z-import.db`. How many are kept (default [`DEFAULT_KEEP`]) is stored
//! in that folder's `keep` file, so the app and the command line agree; 0 turns backups off.
//! A backup is first written under a temporary name and renamed when complete, so a crash never
//! leaves a partial file that looks like a backup.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use std::sync::Arc;

use super::crypto::Key32;
use super::error::{Error, Result};
use super::secret::{Clock, SystemClock, Timestamp};
use super::{Passphrase, Vault, crypto, store};

/// How many backups are kept unless the user says otherwise.
pub const DEFAULT_KEEP: usize = 5;
/// The most backups that can be kept.
pub const MAX_KEEP: usize = 100;
/// A daily backup is made on unlock when the newest backup is older than this.
pub const DAILY: Duration = Duration::from_secs(24 * 60 * 60);

const KEEP_FILE: &str = "keep";
const TEMP_PREFIX: &str = ".partial-";

/// Why a backup was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BackupReason {
    /// The first unlock of a day.
    Daily,
    /// Before secrets were imported.
    Import,
    /// Before the passphrase (or the KDF parameters) changed.
    PassphraseChange,
    /// Before the vault key was replaced.
    KeyRotation,
    /// Before trashed secrets were deleted for good.
    Purge,
    /// Before a backup was restored over the vault.
    Restore,
    /// Asked for by the user.
    Manual,
    /// Before the file was migrated to a newer format.
    FormatUpgrade,
}

impl BackupReason {
    const ALL: [BackupReason; 8] = [
        BackupReason::Daily,
        BackupReason::Import,
        BackupReason::PassphraseChange,
        BackupReason::KeyRotation,
        BackupReason::Purge,
        BackupReason::Restore,
        BackupReason::Manual,
        BackupReason::FormatUpgrade,
    ];

    /// The word used in file names.
    pub fn slug(self) -> &'static str {
        match self {
            BackupReason::Daily => "daily",
            BackupReason::Import => "import",
            BackupReason::PassphraseChange => "passphrase",
            BackupReason::KeyRotation => "rotate-key",
            BackupReason::Purge => "purge",
            BackupReason::Restore => "restore",
            BackupReason::Manual => "manual",
            BackupReason::FormatUpgrade => "format-upgrade",
        }
    }

    /// When it was made, in a sentence: "could not back up the vault {occasion}".
    pub fn occasion(self) -> &'static str {
        match self {
            BackupReason::Daily => "for the day",
            BackupReason::Manual => "now",
            other => other.describe(),
        }
    }

    /// For people: "before an import", "daily".
    pub fn describe(self) -> &'static str {
        match self {
            BackupReason::Daily => "daily",
            BackupReason::Import => "before an import",
            BackupReason::PassphraseChange => "before a passphrase change",
            BackupReason::KeyRotation => "before a key rotation",
            BackupReason::Purge => "before a purge",
            BackupReason::Restore => "before a restore",
            BackupReason::Manual => "made by hand",
            BackupReason::FormatUpgrade => "before a format upgrade",
        }
    }
}

/// One backup file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupInfo {
    pub path: PathBuf,
    pub created: Timestamp,
    pub reason: BackupReason,
    pub bytes: u64,
    /// Orders backups made in the same millisecond (`…-import-2.db` is newer than `…-import.db`).
    seq: u32,
}

impl BackupInfo {
    /// The file name, which is also how the command line names a backup.
    pub fn name(&self) -> String {
        self.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    }
}

/// The folder holding the backups of the vault at `vault_path`: `<vault file name>.backups`
/// beside it.
pub fn backup_dir(vault_path: &Path) -> PathBuf {
    let mut name = vault_path.file_name().map(|n| n.to_owned()).unwrap_or_else(|| "vault".into());
    name.push(".backups");
    vault_path.with_file_name(name)
}

/// The backups of the vault at `vault_path`, newest first. No folder yet: none.
pub fn list(vault_path: &Path) -> Result<Vec<BackupInfo>> {
    let dir = backup_dir(vault_path);
    match std::fs::symlink_metadata(&dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        _ => store::check_private_dir(&dir)?,
    }
    let entries = std::fs::read_dir(&dir)
        .map_err(|e| Error::io(format!("cannot read the backup folder {}", dir.display()), e))?;
    let mut backups = Vec::new();
    for entry in entries.flatten() {
        let Some((created, reason, seq)) = entry.file_name().to_str().and_then(parse_name) else { continue };
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.is_file() {
            continue;
        }
        backups.push(BackupInfo { path: entry.path(), created, reason, bytes: meta.len(), seq });
    }
    backups.sort_by(|a, b| b.created.cmp(&a.created).then(b.seq.cmp(&a.seq)).then_with(|| b.path.cmp(&a.path)));
    Ok(backups)
}

/// Finds a backup by file name (as [`list`] shows it) or by path. (`latest` needs the
/// passphrase: see [`newest`].)
pub fn find(vault_path: &Path, name_or_path: &str) -> Result<BackupInfo> {
    let all = list(vault_path)?;
    let wanted = Path::new(name_or_path);
    all.into_iter()
        .find(|b| b.name() == name_or_path || (wanted.components().count() > 1 && same_file(&b.path, wanted)))
        .ok_or_else(|| Error::NoSuchBackup { name: name_or_path.to_owned(), dir: backup_dir(vault_path) })
}

/// The backup that holds the newest state of the vault at `vault_path`: the highest write
/// counter sealed inside a backup that `passphrase` opens (the newest by name among equals).
/// Never the newest by name alone: anyone who can write to the backups folder can give a file
/// any name, and a planted old copy named in the future must not be what "latest" restores.
/// Runs the key derivation once per distinct salt (backups share the vault's).
pub fn newest(vault_path: &Path, passphrase: &Passphrase) -> Result<BackupInfo> {
    let none = || Error::NoSuchBackup { name: "latest".into(), dir: backup_dir(vault_path) };
    let all = list(vault_path)?;
    if all.is_empty() {
        return Err(none());
    }
    // The vault's own id when its file still reads: a backup of another vault is not a candidate.
    let vault_id = store::open(vault_path).and_then(|conn| store::read_header(&conn)).ok().map(|h| h.vault_id);
    let mut keks: Vec<(Vec<u8>, super::KdfParams, Key32)> = Vec::new();
    let mut best: Option<(u64, BackupInfo)> = None;
    let mut opened_any = false;
    crypto::with_stack_scrubbed(|| -> Result<()> {
        for backup in all {
            let Ok(conn) = store::open(&backup.path) else { continue };
            let Ok(header) = store::read_header(&conn) else { continue };
            if vault_id.is_some_and(|id| id != header.vault_id) || header.kdf.check_caps().is_err() {
                continue;
            }
            let cached = keks.iter().position(|(salt, kdf, _)| *salt == header.salt && *kdf == header.kdf);
            let index = match cached {
                Some(i) => i,
                None => {
                    let kek = crypto::derive_kek(passphrase, &header.salt, header.kdf)?;
                    keks.push((header.salt.clone(), header.kdf, kek));
                    keks.len() - 1
                }
            };
            let Some(vault_key) = crypto::unwrap_key(&keks[index].2, &header.wrapped_key, &header.wrap_aad()) else {
                continue;
            };
            opened_any = true;
            // Format 1 seals no counter: older than any backup that has one.
            let writes = if store::format_version(&conn)? < 2 {
                0
            } else {
                let keys = super::wrap::boxed_keys(vault_key);
                let records = super::records::Records { keys: &keys, vault_id: &header.vault_id };
                match store::read_record_set(&conn).and_then(|sealed| records.open_record_set(&sealed, &header.key_id))
                {
                    Ok(set) => set.writes,
                    Err(_) => continue,
                }
            };
            // `list` is newest by name first: among equal counters, the first stays.
            if best.as_ref().is_none_or(|(most, _)| writes > *most) {
                best = Some((writes, backup));
            }
        }
        Ok(())
    })?;
    match best {
        Some((_, backup)) => Ok(backup),
        None if !opened_any => Err(Error::WrongPassphrase),
        None => Err(none()),
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// How many backups are kept for the vault at `vault_path`.
/// A setting file that is not the user's own (a symlink, another user's, writable by others)
/// is ignored: nobody else decides that backups stop.
pub fn keep(vault_path: &Path) -> usize {
    use std::io::Read;
    let dir = backup_dir(vault_path);
    if store::check_private_dir(&dir).is_err() {
        return DEFAULT_KEEP;
    }
    let mut text = String::new();
    let Ok(Ok(file)) = crate::fs::open_private_file(&dir.join(KEEP_FILE)) else { return DEFAULT_KEEP };
    if file.take(32).read_to_string(&mut text).is_err() {
        return DEFAULT_KEEP;
    }
    text.trim().parse::<usize>().map_or(DEFAULT_KEEP, |n| n.min(MAX_KEEP))
}

/// Sets how many backups to keep and deletes the oldest beyond that. 0 turns automatic backups
/// off and deletes none: the existing ones stay until deleted by hand.
pub fn set_keep(vault_path: &Path, keep: usize) -> Result<()> {
    if keep > MAX_KEEP {
        return Err(Error::KeepOutOfRange { requested: keep, max: MAX_KEEP });
    }
    let dir = backup_dir(vault_path);
    store::private_dir(&dir)?;
    let file = dir.join(KEEP_FILE);
    let temp = dir.join(format!("{TEMP_PREFIX}{}-{KEEP_FILE}", std::process::id()));
    let _ = std::fs::remove_file(&temp);
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut f = store::create_private_file(&temp).map_err(std::io::Error::other)?;
        writeln!(f, "{keep}")?;
        f.sync_all()?;
        std::fs::rename(&temp, &file)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        Error::io(format!("cannot write {}", file.display()), e)
    })?;
    if keep > 0 {
        prune(vault_path, keep, None);
    }
    Ok(())
}

/// Deletes the oldest backups until at most `keep` are left, never `spare` (the one just made,
/// whatever its name says about its time). Best effort: a backup that cannot be deleted now is
/// deleted by a later prune, and stops nothing.
pub(crate) fn prune(vault_path: &Path, keep: usize, spare: Option<&Path>) {
    let Ok(all) = list(vault_path) else { return };
    // The spared backup counts as one of those kept.
    let mut kept = usize::from(spare.is_some());
    for backup in all {
        if Some(backup.path.as_path()) == spare {
            continue;
        }
        if kept < keep {
            kept += 1;
        } else {
            store::remove_with_sidecars(&backup.path);
        }
    }
}

/// Whether the newest backup is older than a day (or there is none) and backups are on.
pub(crate) fn daily_due(vault_path: &Path, now: Timestamp) -> bool {
    if keep(vault_path) == 0 {
        return false;
    }
    match list(vault_path) {
        // A newest backup "in the future" (the clock was set back) does not stop the daily one.
        Ok(backups) => backups.first().is_none_or(|b| (now.0 - b.created.0).abs() >= DAILY.as_millis() as i64),
        Err(_) => true,
    }
}

/// Backs up the database behind `conn` (the vault at `vault_path`), then deletes the oldest
/// backups beyond the number to keep. `Ok(None)`: backups are turned off.
pub(crate) fn create(
    conn: &Connection,
    vault_path: &Path,
    reason: BackupReason,
    now: Timestamp,
) -> Result<Option<BackupInfo>> {
    let info = create_unpruned(conn, vault_path, reason, now)?;
    if let Some(info) = &info {
        prune(vault_path, keep(vault_path), Some(&info.path));
    }
    Ok(info)
}

/// [`create`] without deleting old backups (a restore must not delete the backup it restores
/// before it has copied it); call [`prune`] afterwards.
pub(crate) fn create_unpruned(
    conn: &Connection,
    vault_path: &Path,
    reason: BackupReason,
    now: Timestamp,
) -> Result<Option<BackupInfo>> {
    // With backups off, a restore still keeps the state it replaces: that is its undo.
    if keep(vault_path) == 0 && reason != BackupReason::Restore {
        return Ok(None);
    }
    let dir = backup_dir(vault_path);
    store::private_dir(&dir)?;
    remove_stale_partials(&dir);
    let temp = dir.join(format!("{TEMP_PREFIX}{}-{}-{}", std::process::id(), file_time(now), reason.slug()));
    let result = (|| -> Result<BackupInfo> {
        store::create_private_file(&temp)?;
        copy_database(conn, &temp)?;
        // A hard link never replaces an existing file: another process's backup made in the
        // same millisecond keeps its name, and this one takes the next.
        for seq in 1..1000 {
            let name = match seq {
                1 => format!("{}-{}.db", file_time(now), reason.slug()),
                n => format!("{}-{}-{n}.db", file_time(now), reason.slug()),
            };
            let final_path = dir.join(&name);
            match std::fs::hard_link(&temp, &final_path) {
                Ok(()) => {
                    crate::fs::sync_dir(&dir);
                    let bytes = std::fs::metadata(&final_path).map(|m| m.len()).unwrap_or(0);
                    return Ok(BackupInfo { path: final_path, created: now, reason, bytes, seq });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::io(format!("cannot name the backup {}", final_path.display()), e)),
            }
        }
        Err(Error::io("cannot name the backup", std::io::Error::from(std::io::ErrorKind::AlreadyExists)))
    })();
    store::remove_with_sidecars(&temp);
    result.map(Some)
}

/// Copies the whole database behind `from` into the (new, empty) file at `to`, in one step, so
/// that the copy is one consistent snapshot.
fn copy_database(from: &Connection, to: &Path) -> Result<()> {
    let mut dest =
        Connection::open_with_flags(to, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    copy_into(from, &mut dest)?;
    // The copy keeps the vault's WAL mode; leave it as one self-contained file.
    store::checkpoint(&dest);
    dest.close().map_err(|(_, e)| Error::from(e))?;
    store::sync_file(to)
}

/// After a passphrase change: every backup that holds the same vault key (same vault, and a key
/// id the key has or had: see [`store::Header::same_key_as`]) gets its header re-wrapped under
/// `kek` (the new passphrase's, with `header`'s salt and parameters), in its own format and with
/// its own key id, so the old passphrase opens none of them — otherwise it would unwrap the key
/// that still protects the vault. A backup that cannot be rewritten is deleted. Returns how many
/// backups could be neither (left as they were, and still open with the old passphrase).
pub(crate) fn rewrap(vault_path: &Path, header: &store::Header, kek: &Key32, vault_key: &Key32) -> usize {
    let Ok(all) = list(vault_path) else { return 0 };
    let mut stuck = 0;
    for backup in all {
        // A file that cannot be a restorable backup (not a vault, or damaged) is removed, so
        // nothing is left behind that might open with the old passphrase. One that is only
        // unusable now (busy, a newer format, a file mode to fix) is left and counted.
        let opened = store::open(&backup.path).and_then(|conn| Ok((store::read_header(&conn)?, conn)));
        let (old, mut conn) = match opened {
            Ok(opened) => opened,
            Err(Error::NotAVault { .. } | Error::CorruptFile { .. } | Error::CorruptHeader { .. }) => {
                store::remove_with_sidecars(&backup.path);
                stuck += usize::from(backup.path.exists());
                continue;
            }
            Err(_) => {
                stuck += 1;
                continue;
            }
        };
        if !header.same_key_as(&old) {
            continue;
        }
        let new = store::Header { kdf: header.kdf, salt: header.salt.clone(), ..old };
        let new = super::wrap::wrap_under(kek, new, vault_key);
        let rewrapped = (|| -> Result<()> {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            store::write_header(&tx, &new)?;
            tx.commit()?;
            store::checkpoint(&conn);
            Ok(())
        })();
        drop(conn);
        // It holds this key under the old passphrase and cannot be updated: it goes.
        if rewrapped.is_err() {
            store::remove_with_sidecars(&backup.path);
            if backup.path.exists() {
                stuck += 1;
            }
        }
    }
    stuck
}

/// The note a passphrase change leaves in the backups folder from before its commit until the
/// backups are re-wrapped (see [`note_rewrap`]). Not a backup's name: [`list`] skips it.
const REWRAP_NOTE: &str = "rewrap-pending.json";

/// Before a passphrase change commits: notes, durably, what re-wrapping the backups will take
/// (`header`: the vault key they hold, wrapped under the new passphrase), so that if the change
/// stops after its commit and before [`rewrap`], the next unlock with the new passphrase does
/// it ([`finish_rewrap`]). No backups folder: no backups, nothing to note.
pub(crate) fn note_rewrap(vault_path: &Path, header: &store::Header) -> Result<()> {
    let dir = backup_dir(vault_path);
    if std::fs::symlink_metadata(&dir).is_err() {
        return Ok(());
    }
    let path = dir.join(REWRAP_NOTE);
    crate::fs::write_private_file(&path, &super::synced::header_json(header), true)
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
}

/// The backups are re-wrapped (or said to be stuck): the note goes.
pub(crate) fn clear_rewrap_note(vault_path: &Path) {
    let _ = std::fs::remove_file(backup_dir(vault_path).join(REWRAP_NOTE));
}

/// How long a note under another wrap than the vault's is left alone: the passphrase change that
/// wrote it may still be on its way to its commit (in another process).
const REWRAP_NOTE_IN_FLIGHT: std::time::Duration = std::time::Duration::from_secs(600);

/// At unlock (`header` and `kek`: the vault's, just opened): a re-wrap that a passphrase change
/// noted and never finished is done now, and the note goes. A note under another wrap than the
/// vault's, or that the KEK does not open (not ours), is dropped once it is older than
/// [`REWRAP_NOTE_IN_FLIGHT`] (the change never committed, or it is not ours). Returns how many
/// backups stay under the old passphrase.
pub(crate) fn finish_rewrap(vault_path: &Path, header: &store::Header, kek: &Key32) -> usize {
    let path = backup_dir(vault_path).join(REWRAP_NOTE);
    let Ok(meta) = std::fs::symlink_metadata(&path) else { return 0 };
    // A note is a few hundred bytes: anything else (a folder, a link, a huge file) is not ours.
    let bytes = super::synced::read_small_file(&path).unwrap_or_default();
    let noted = super::synced::header_from_json(&bytes)
        .filter(|n| n.vault_id == header.vault_id && n.salt == header.salt && n.kdf == header.kdf);
    let old_key = noted.as_ref().and_then(|n| crypto::unwrap_key(kek, &n.wrapped_key, &n.wrap_aad()));
    let (Some(noted), Some(old_key)) = (&noted, old_key) else {
        let age = meta.modified().ok().and_then(|m| m.elapsed().ok());
        if age.is_some_and(|age| age >= REWRAP_NOTE_IN_FLIGHT) {
            let _ = std::fs::remove_file(&path);
        }
        return 0;
    };
    let stuck = rewrap(vault_path, noted, kek, &old_key);
    let _ = std::fs::remove_file(&path);
    stuck
}

/// Whether the backups folder holds a backup of this vault (`vault_id`) in a newer format than
/// the file at `vault_path` has: then the vault was upgraded, and an older-format file in its
/// place was put back from an older copy.
pub(crate) fn newer_format_backup_exists(vault_path: &Path, vault_id: &[u8; 16], format: i64) -> bool {
    let Ok(all) = list(vault_path) else { return false };
    all.iter().any(|b| {
        store::open(&b.path).is_ok_and(|conn| {
            store::format_version(&conn).is_ok_and(|v| v > format)
                && store::read_header(&conn).is_ok_and(|h| h.vault_id == *vault_id)
        })
    })
}

/// Copies every page of `from` into `dest` through SQLite's backup API, as one write
/// transaction on `dest`. Waits up to the usual busy timeout for other processes.
pub(crate) fn copy_into(from: &Connection, dest: &mut Connection) -> Result<()> {
    let backup = Backup::new(from, dest)?;
    let deadline = Instant::now() + store::BUSY_TIMEOUT;
    loop {
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            StepResult::More => continue,
            _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => return Err(Error::Busy),
        }
    }
}

/// Partial files older than an hour were left by a crash (younger ones may be another process's
/// backup in progress).
fn remove_stale_partials(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > Duration::from_secs(3600));
        if stale && entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// `2026-11-23T10-15-00.123Z`: sortable, and legal in file names everywhere.
pub(crate) fn file_time(t: Timestamp) -> String {
    let Ok(dt) = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.0) * 1_000_000) else {
        return format!("{:024}", t.0);
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}-{:02}-{:02}.{:03}Z",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.millisecond()
    )
}

/// The time, reason and sequence number in a backup's file name; `None` for any other file.
fn parse_name(name: &str) -> Option<(Timestamp, BackupReason, u32)> {
    let stem = name.strip_suffix(".db")?;
    let (time, rest) = (stem.get(..24)?, stem.get(24..)?.strip_prefix('-')?);
    let (reason, seq) = BackupReason::ALL.into_iter().find_map(|r| {
        if rest == r.slug() {
            return Some((r, 1));
        }
        let n = rest.strip_prefix(r.slug())?.strip_prefix('-')?;
        n.parse::<u32>().ok().filter(|&v| v >= 2 && v.to_string() == n).map(|v| (r, v))
    })?;
    let num = |range: std::ops::Range<usize>| time.get(range)?.parse::<u32>().ok();
    let b = time.as_bytes();
    if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b'-' || b[16] != b'-' || b[19] != b'.' || b[23] != b'Z'
    {
        return None;
    }
    let date = time::Date::from_calendar_date(
        num(0..4)? as i32,
        time::Month::try_from(num(5..7)? as u8).ok()?,
        num(8..10)? as u8,
    )
    .ok()?;
    let clock =
        time::Time::from_hms_milli(num(11..13)? as u8, num(14..16)? as u8, num(17..19)? as u8, num(20..23)? as u16)
            .ok()?;
    let ms = date.with_time(clock).assume_utc().unix_timestamp_nanos() / 1_000_000;
    Some((Timestamp(i64::try_from(ms).ok()?), reason, seq))
}

/// A vault put back to a backup's state by [`Vault::restore_backup`].
#[derive(Debug)]
pub struct Restored {
    /// The restored vault, unlocked.
    pub vault: Vault,
    /// The backup of the state it replaced (`None` if backups are off or there was no vault).
    pub previous: Option<BackupInfo>,
    /// Where a vault file too damaged to open was moved.
    pub moved_aside: Option<PathBuf>,
}

impl Vault {
    /// Backs the vault up before an operation that cannot be undone. A failure stops that
    /// operation, with [`Error::BackupFailed`] saying why.
    pub(super) fn backup_before(&self, reason: BackupReason) -> Result<()> {
        if self.salvage {
            return Err(Error::SalvageReadOnly);
        }
        create(&self.conn, &self.path, reason, self.clock.now())
            .map(|_| ())
            .map_err(|e| e.backup_failed(reason.occasion()))
    }

    /// Makes a backup now. `Ok(None)`: backups are turned off (see [`set_keep`]).
    pub fn backup_now(&self) -> Result<Option<BackupInfo>> {
        if self.salvage {
            return Err(Error::SalvageReadOnly);
        }
        create(&self.conn, &self.path, BackupReason::Manual, self.clock.now())
    }

    /// Puts the vault at `vault_path` back to the state saved in `backup_path`, and returns it
    /// unlocked. `passphrase` is the backup's: the one the vault had when the backup was made.
    ///
    /// The backup is checked first (it must unlock, pass its integrity check, and belong to this
    /// vault); the current state is then backed up ([`BackupReason::Restore`]), so a restore can
    /// itself be undone; then the backup is copied in through SQLite's backup API, in one
    /// transaction that other processes using the vault see at once. A vault file that is
    /// missing is created; one too damaged to open is moved aside to `<vault>.damaged-<time>`.
    pub fn restore_backup(vault_path: &Path, backup_path: &Path, passphrase: &Passphrase) -> Result<Restored> {
        Self::restore_backup_with_clock(vault_path, backup_path, passphrase, Arc::new(SystemClock))
    }

    pub fn restore_backup_with_clock(
        vault_path: &Path,
        backup_path: &Path,
        passphrase: &Passphrase,
        clock: Arc<dyn Clock>,
    ) -> Result<Restored> {
        crypto::with_stack_scrubbed(|| {
            let source = Vault::unlock_for_salvage(backup_path, passphrase)?;
            // The backup as SQLite sees it (its indexes too, which nothing else authenticates),
            // then as Tresor does.
            store::integrity_check(&source.conn)?;
            source.verify_every_record()?;
            // What is copied in continues past every write Tresor has seen of this vault file: a
            // restore made through Tresor is not taken for an older copy put back (`seen.rs`).
            let record = super::seen::Record::of(source.header.vault_id, vault_path);
            let seen_writes = record.read().ok().flatten().map_or(0, |seen| seen.writes);
            // The file in place too, when the backup's key opens its counter (the same key): the
            // record may lag behind it (a state folder that could not be written).
            let current_writes = store::open(vault_path)
                .and_then(|conn| {
                    let header = store::read_header(&conn)?;
                    source.records().open_record_set(&store::read_record_set(&conn)?, &header.key_id)
                })
                .map_or(0, |set| set.writes);
            let restored_writes = seen_writes.max(current_writes).max(source.writes()?) + 1;
            let prepared = store::copy_to_memory(&source.conn)?;
            let tx = prepared.unchecked_transaction()?;
            let key_id = source.header.key_id;
            super::records::Write::begin(&tx, source.records(), &key_id)?.seal_as(&key_id, restored_writes)?;
            tx.commit()?;
            let (mut previous, mut moved_aside) = (None, None);
            match store::open(vault_path).and_then(|conn| Ok((store::read_header(&conn)?, conn))) {
                Ok((current, mut dest)) => {
                    if current.vault_id != source.header.vault_id {
                        return Err(Error::BackupOfAnotherVault);
                    }
                    previous = create_unpruned(&dest, vault_path, BackupReason::Restore, clock.now())
                        .map_err(|e| e.backup_failed(BackupReason::Restore.occasion()))?;
                    // Into the live file, in one transaction: another process using the vault
                    // sees the restored state at once (a file renamed into place, it would not).
                    copy_into(&prepared, &mut dest)?;
                    store::checkpoint(&dest);
                }
                // No vault, or one too damaged to open: build the restored file beside it, then
                // put it in place with a rename, so that a crash or a full disk midway leaves
                // the damaged file where it was.
                Err(e @ Error::NoVault { .. })
                | Err(e @ (Error::NotAVault { .. } | Error::CorruptFile { .. } | Error::CorruptHeader { .. })) => {
                    let temp = store::sidecar(vault_path, &format!(".restoring-{}", std::process::id()));
                    store::remove_with_sidecars(&temp);
                    let built = (|| {
                        let mut dest = store::create_empty(&temp)?;
                        copy_into(&prepared, &mut dest)?;
                        store::checkpoint(&dest);
                        dest.close()?;
                        store::sync_file(&temp)
                    })();
                    if let Err(e) = built {
                        store::remove_with_sidecars(&temp);
                        return Err(e);
                    }
                    if !matches!(e, Error::NoVault { .. }) {
                        let suffix = format!("damaged-{}", file_time(clock.now()));
                        moved_aside = Some(store::move_aside(vault_path, &suffix)?);
                    }
                    std::fs::rename(&temp, vault_path).map_err(|e| {
                        Error::io(format!("cannot put the restored vault at {}", vault_path.display()), e)
                    })?;
                }
                Err(e) => return Err(e),
            }
            // Done: the vault file holds the backup. Only now may the oldest backup go (even the
            // one just restored), and never the one of the state it replaced.
            drop(prepared);
            let Vault { header, keys, conn: source_conn, .. } = source;
            drop(source_conn);
            let keep = keep(vault_path);
            if keep > 0 {
                prune(vault_path, keep, previous.as_ref().map(|b| b.path.as_path()));
            }
            let conn = store::open(vault_path)?;
            let mut vault = Vault::opened(vault_path, conn, header, keys, clock, false);
            vault.verify_every_record()?;
            vault.remember(restored_writes, false);
            Ok(Restored { vault, previous, moved_aside })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (ms, reason) in [(0, BackupReason::Daily), (1_700_000_000_123, BackupReason::KeyRotation)] {
            let name = format!("{}-{}.db", file_time(Timestamp(ms)), reason.slug());
            assert_eq!(parse_name(&name), Some((Timestamp(ms), reason, 1)), "{name}");
        }
        assert_eq!(file_time(Timestamp(1_700_000_000_123)), "2023-11-14T22-13-20.123Z");
        assert_eq!(
            parse_name("2023-11-14T22-13-20.123Z-import-2.db"),
            Some((Timestamp(1_700_000_000_123), BackupReason::Import, 2))
        );
        for other in ["keep", "notes.txt", "2023-11-14T22-13-20.123Z-unknown.db", "2023-13-14T22-13-20.123Z-import.db"]
        {
            assert_eq!(parse_name(other), None, "{other}");
        }
        assert_eq!(parse_name(&format!("{TEMP_PREFIX}1-2023-11-14T22-13-20.123Z-import.db")), None);
    }

    #[test]
    fn the_folder_sits_beside_the_vault() {
        assert_eq!(backup_dir(Path::new("/a/b/vault.db")), Path::new("/a/b/vault.db.backups"));
        assert_eq!(backup_dir(Path::new("v.db")), Path::new("v.db.backups"));
    }
}

//! Automatic encrypted backups: when they are made, how many are kept, and that restoring one
//! gives back exactly the state it saved.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tresor::interchange::{self, Format, ParseOptions};
use tresor::vault::backup::{self, BackupReason, DEFAULT_KEEP, MAX_KEEP};
use tresor::vault::import::ConflictPolicy;
use tresor::{Error, KdfParams, NewSecret, Passphrase, SecretEdit, SecretName, SecretValue, Vault};

mod common;
use common::{TestClock, plan_of};

const PASS: &str = "correct horse battery staple";
const NEW_PASS: &str = "a different passphrase entirely";
/// 2026-11-23 10:00 UTC.
const START: i64 = 1_795_428_000_000;
const DAY: i64 = 86_400_000;

fn pass(text: &str) -> Passphrase {
    Passphrase::new(text)
}

fn name(text: &str) -> SecretName {
    SecretName::parse(text).unwrap()
}

fn new_vault(clock: &Arc<TestClock>) -> (tempfile::TempDir, PathBuf, Vault) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.db");
    let vault = Vault::create_with_clock(&path, &pass(PASS), KdfParams::insecure_for_tests(), clock.clone()).unwrap();
    (dir, path, vault)
}

fn add(vault: &mut Vault, key: &str, value: &str) {
    vault
        .create_secret(NewSecret {
            name: name(key),
            description: format!("about {key}"),
            value: SecretValue::new(value),
        })
        .unwrap();
}

fn set(vault: &mut Vault, key: &str, value: &str) {
    let id = vault.find(&vault.default_place().unwrap(), &name(key)).unwrap().0;
    vault.edit(id, SecretEdit { name: None, description: None, value: Some(SecretValue::new(value)) }).unwrap();
}

fn reasons(path: &Path) -> Vec<BackupReason> {
    let mut all: Vec<_> = backup::list(path).unwrap().into_iter().map(|b| b.reason).collect();
    all.reverse();
    all
}

/// A live secret: name, description, value, version, and every (version, value) of its history.
type Live = (String, String, String, u32, Vec<(u32, String)>);

/// Everything a user can see in a vault, values and history included.
#[derive(Debug, PartialEq)]
struct State {
    live: Vec<Live>,
    trash: Vec<String>,
}

fn state(vault: &Vault) -> State {
    let listing = vault.list().unwrap();
    assert!(listing.damaged.is_empty());
    let live = listing
        .items
        .iter()
        .map(|m| {
            let history = vault
                .history(m.id)
                .unwrap()
                .into_iter()
                .map(|v| (v.version, vault.reveal_version(m.id, v.version).unwrap().expose().to_owned()))
                .collect();
            (
                m.name.to_string(),
                m.description.clone(),
                vault.reveal(m.id).unwrap().expose().to_owned(),
                m.version,
                history,
            )
        })
        .collect();
    let trash = vault.trash().unwrap().items.into_iter().map(|t| t.meta.name.to_string()).collect();
    State { live, trash }
}

#[test]
fn a_backup_is_made_before_every_change_that_cannot_be_undone() {
    let clock = TestClock::ticking_at(START);
    let (_dir, path, mut vault) = new_vault(&clock);
    add(&mut vault, "A", "1");
    add(&mut vault, "B", "2");
    assert!(reasons(&path).is_empty(), "ordinary edits make no backup");

    let parsed = interchange::parse(Format::Env, b"C=3\n", ParseOptions::default()).unwrap();
    let plan = plan_of(&vault, parsed, ConflictPolicy::Fail);
    vault.apply_import(plan).unwrap();
    // An import that writes nothing needs no backup.
    let parsed = interchange::parse(Format::Env, b"C=3\n", ParseOptions::default()).unwrap();
    let plan = plan_of(&vault, parsed, ConflictPolicy::Fail);
    vault.apply_import(plan).unwrap();
    vault.change_passphrase(&pass(NEW_PASS), None).unwrap();
    vault.rotate_key(&pass(NEW_PASS)).unwrap();
    let a = vault.find(&vault.default_place().unwrap(), &name("A")).unwrap().0;
    vault.delete(&[a]).unwrap();
    vault.purge(a).unwrap();
    let b = vault.find(&vault.default_place().unwrap(), &name("B")).unwrap().0;
    vault.delete(&[b]).unwrap();
    assert_eq!(vault.empty_trash().unwrap(), 1);
    assert_eq!(vault.empty_trash().unwrap(), 0, "nothing to purge: no backup");

    assert_eq!(
        reasons(&path),
        [
            BackupReason::Import,
            BackupReason::PassphraseChange,
            BackupReason::KeyRotation,
            BackupReason::Purge,
            BackupReason::Purge
        ]
    );
    let info = vault.backup_now().unwrap().expect("backups are on");
    assert_eq!(info.reason, BackupReason::Manual);
    assert_eq!(backup::list(&path).unwrap().len(), DEFAULT_KEEP, "the oldest went");
    assert_eq!(reasons(&path)[0], BackupReason::PassphraseChange);
}

#[test]
fn restoring_a_backup_gives_back_the_state_it_saved() {
    let clock = TestClock::ticking_at(START);
    let (_dir, path, mut vault) = new_vault(&clock);
    add(&mut vault, "OPENAI_API_KEY", "sk-1");
    set(&mut vault, "OPENAI_API_KEY", "sk-2");
    add(&mut vault, "HF_TOKEN", "hf-1");
    add(&mut vault, "OLD", "old-1");
    let old = vault.find(&vault.default_place().unwrap(), &name("OLD")).unwrap().0;
    vault.delete(&[old]).unwrap();
    let saved_state = state(&vault);
    let saved = vault.backup_now().unwrap().unwrap();

    // Then a lot changes, including the passphrase and the key.
    set(&mut vault, "OPENAI_API_KEY", "sk-3");
    let hf = vault.find(&vault.default_place().unwrap(), &name("HF_TOKEN")).unwrap().0;
    vault.delete(&[hf]).unwrap();
    add(&mut vault, "NEW", "new-1");
    vault.empty_trash().unwrap();
    vault.change_passphrase(&pass(NEW_PASS), None).unwrap();
    vault.rotate_key(&pass(NEW_PASS)).unwrap();
    let later_state = state(&vault);
    assert_ne!(later_state, saved_state);
    drop(vault);

    let saved_bytes = std::fs::read(&saved.path).unwrap();
    // The passphrase change re-wrapped the backup's key: the old passphrase opens nothing.
    let err = Vault::restore_backup(&path, &saved.path, &pass(PASS)).unwrap_err();
    assert!(matches!(err, Error::WrongPassphrase), "{err}");
    let restored = Vault::restore_backup_with_clock(&path, &saved.path, &pass(NEW_PASS), clock.clone()).unwrap().vault;
    assert_eq!(state(&restored), saved_state);
    drop(restored);
    assert_eq!(std::fs::read(&saved.path).unwrap(), saved_bytes, "restoring leaves the backup as it was");
    let reopened = Vault::unlock_with_clock(&path, &pass(NEW_PASS), clock.clone()).unwrap();
    assert_eq!(state(&reopened), saved_state, "the restore is on disk");
    assert!(matches!(Vault::unlock(&path, &pass(PASS)), Err(Error::WrongPassphrase)));
    drop(reopened);

    // The state it replaced was backed up first: the restore can itself be undone.
    let before_restore = backup::list(&path).unwrap().into_iter().find(|b| b.reason == BackupReason::Restore).unwrap();
    let undone = Vault::restore_backup(&path, &before_restore.path, &pass(NEW_PASS)).unwrap().vault;
    assert_eq!(state(&undone), later_state);
}

#[test]
fn the_oldest_backup_can_be_restored_when_the_folder_is_full() {
    let clock = TestClock::ticking_at(START);
    let (_dir, path, mut vault) = new_vault(&clock);
    add(&mut vault, "FIRST", "1");
    let oldest = vault.backup_now().unwrap().unwrap();
    for i in 0..DEFAULT_KEEP - 1 {
        add(&mut vault, &format!("MORE_{i}"), "x");
        vault.backup_now().unwrap();
    }
    drop(vault);
    // The backup made before the restore pushes the oldest out, but only after it was copied in.
    let restored = Vault::restore_backup(&path, &oldest.path, &pass(PASS)).unwrap();
    assert_eq!(restored.previous.as_ref().map(|b| b.reason), Some(BackupReason::Restore));
    let restored = restored.vault;
    let names: Vec<_> = restored.list().unwrap().items.into_iter().map(|m| m.name.to_string()).collect();
    assert_eq!(names, ["FIRST"]);
    assert_eq!(backup::list(&path).unwrap().len(), DEFAULT_KEEP);
    assert_eq!(backup::list(&path).unwrap()[0].reason, BackupReason::Restore);
}

#[test]
fn the_daily_backup_is_made_on_the_first_unlock_of_a_day() {
    let clock = TestClock::ticking_at(START);
    let (_dir, path, mut vault) = new_vault(&clock);
    add(&mut vault, "A", "1");
    drop(vault);
    Vault::unlock_with_clock(&path, &pass(PASS), clock.clone()).unwrap();
    assert_eq!(reasons(&path), [BackupReason::Daily]);
    clock.advance(DAY - 10_000);
    Vault::unlock_with_clock(&path, &pass(PASS), clock.clone()).unwrap();
    assert_eq!(reasons(&path), [BackupReason::Daily], "less than a day later: none");
    clock.advance(10_000);
    Vault::unlock_with_clock(&path, &pass(PASS), clock.clone()).unwrap();
    assert_eq!(reasons(&path), [BackupReason::Daily, BackupReason::Daily]);
}

#[test]
fn old_trash_is_purged_on_unlock_only_after_a_backup() {
    let clock = TestClock::ticking_at(START);
    let (_dir, path, mut vault) = new_vault(&clock);
    add(&mut vault, "GONE", "1");
    let id = vault.find(&vault.default_place().unwrap(), &name("GONE")).unwrap().0;
    vault.delete(&[id]).unwrap();
    drop(vault);
    clock.advance(31 * DAY);

    // A file where the backup folder should be: every backup fails.
    std::fs::write(backup::backup_dir(&path), "not a folder").unwrap();
    let mut vault = Vault::unlock_with_clock(&path, &pass(PASS), clock.clone()).unwrap();
    let warning = vault.take_warning().expect("the failed backup is reported");
    assert!(matches!(warning, Error::BackupFailed { .. }), "{warning}");
    assert!(warning.to_string().contains("before a purge"), "{warning}");
    assert_eq!(vault.trash().unwrap().items.len(), 1, "no backup, no purge");
    assert!(vault.take_warning().is_none());
    // An explicit purge stops too, and says why.
    let err = vault.empty_trash().unwrap_err();
    assert!(matches!(err, Error::BackupFailed { .. }), "{err}");
    assert_eq!(vault.trash().unwrap().items.len(), 1);
    let err = vault.change_passphrase(&pass(NEW_PASS), None).unwrap_err();
    assert!(err.to_string().contains("nothing was changed"), "{err}");
    drop(vault);
    Vault::unlock_with_clock(&path, &pass(PASS), clock.clone()).unwrap();

    std::fs::remove_file(backup::backup_dir(&path)).unwrap();
    let vault = Vault::unlock_with_clock(&path, &pass(PASS), clock.clone()).unwrap();
    assert!(vault.trash().unwrap().items.is_empty(), "purged once the backup worked");
    assert_eq!(reasons(&path), [BackupReason::Purge], "the purge's backup is today's");
    // The backup still has the purged secret.
    let restored = Vault::restore_backup(&path, &backup::list(&path).unwrap()[0].path, &pass(PASS)).unwrap().vault;
    assert_eq!(restored.trash().unwrap().items.len(), 1);
}

#[test]
fn how_many_backups_are_kept_is_configurable_and_zero_turns_them_off() {
    let clock = TestClock::ticking_at(START);
    let (_dir, path, vault) = new_vault(&clock);
    assert_eq!(backup::keep(&path), DEFAULT_KEEP);
    let made: Vec<_> = (0..7).map(|_| vault.backup_now().unwrap().unwrap()).collect();
    let left: Vec<_> = backup::list(&path).unwrap().into_iter().map(|b| b.path).collect();
    let newest: Vec<_> = made.iter().rev().take(DEFAULT_KEEP).map(|b| b.path.clone()).collect();
    assert_eq!(left, newest, "the newest five, newest first");

    backup::set_keep(&path, 2).unwrap();
    assert_eq!(backup::keep(&path), 2);
    assert_eq!(backup::list(&path).unwrap().len(), 2);
    let err = backup::set_keep(&path, MAX_KEEP + 1).unwrap_err();
    assert!(matches!(err, Error::KeepOutOfRange { .. }), "{err}");
    assert_eq!(backup::keep(&path), 2, "a refused setting changes nothing");

    backup::set_keep(&path, 0).unwrap();
    assert_eq!(backup::list(&path).unwrap().len(), 2, "turning backups off deletes none");
    assert!(vault.backup_now().unwrap().is_none());
    drop(vault);
    let mut vault = Vault::unlock_with_clock(&path, &pass(PASS), clock.clone()).unwrap();
    vault.change_passphrase(&pass(NEW_PASS), None).unwrap();
    assert_eq!(backup::list(&path).unwrap().len(), 2, "off means off");
}

#[test]
fn a_backup_is_found_by_its_name_or_path() {
    let clock = TestClock::ticking_at(START);
    let (_dir, path, vault) = new_vault(&clock);
    let info = vault.backup_now().unwrap().unwrap();
    assert_eq!(backup::find(&path, &info.name()).unwrap(), info);
    assert_eq!(backup::find(&path, info.path.to_str().unwrap()).unwrap(), info);
    let err = backup::find(&path, "2020-01-01T00-00-00.000Z-daily.db").unwrap_err();
    assert!(matches!(err, Error::NoSuchBackup { .. }), "{err}");
}

#[test]
fn a_backup_of_another_vault_or_a_wrong_passphrase_restores_nothing() {
    let clock = TestClock::ticking_at(START);
    let (_dir, path, mut vault) = new_vault(&clock);
    add(&mut vault, "MINE", "1");
    let mine = vault.backup_now().unwrap().unwrap();
    let (_other_dir, _other_path, other) = new_vault(&clock);
    let theirs = other.backup_now().unwrap().unwrap();
    drop(vault);
    let before = std::fs::read(&path).unwrap();

    let err = Vault::restore_backup(&path, &theirs.path, &pass(PASS)).unwrap_err();
    assert!(matches!(err, Error::BackupOfAnotherVault), "{err}");
    let err = Vault::restore_backup(&path, &mine.path, &pass("wrong")).unwrap_err();
    assert!(matches!(err, Error::WrongPassphrase), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before, "the vault is untouched");
    assert_eq!(reasons(&path), [BackupReason::Manual], "and no restore backup was made");
}

#[test]
fn a_backup_restores_over_a_missing_or_damaged_vault() {
    let clock = TestClock::ticking_at(START);
    let (dir, path, mut vault) = new_vault(&clock);
    add(&mut vault, "KEEP_ME", "precious");
    let saved = vault.backup_now().unwrap().unwrap();
    drop(vault);

    std::fs::remove_file(&path).unwrap();
    let restored = Vault::restore_backup(&path, &saved.path, &pass(PASS)).unwrap();
    assert!(restored.previous.is_none() && restored.moved_aside.is_none());
    let restored = restored.vault;
    assert_eq!(restored.list().unwrap().items[0].name.as_str(), "KEEP_ME");
    drop(restored);

    std::fs::write(&path, b"this is not a database any more").unwrap();
    let restored = Vault::restore_backup(&path, &saved.path, &pass(PASS)).unwrap();
    let moved = restored.moved_aside.clone().expect("moved aside");
    let restored = restored.vault;
    assert_eq!(restored.list().unwrap().items[0].name.as_str(), "KEEP_ME");
    let aside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("vault.db.damaged-"))
        .collect();
    assert_eq!(aside.len(), 1, "the damaged file is kept aside: {aside:?}");
    assert_eq!(moved, dir.path().join(&aside[0]));
    assert_eq!(std::fs::read(dir.path().join(&aside[0])).unwrap(), b"this is not a database any more");
}

#[test]
fn another_process_using_the_vault_sees_the_restore() {
    let clock = TestClock::ticking_at(START);
    let (_dir, path, mut vault) = new_vault(&clock);
    add(&mut vault, "A", "1");
    let saved = vault.backup_now().unwrap().unwrap();
    add(&mut vault, "B", "2");
    let mut open_elsewhere = Vault::unlock(&path, &pass(PASS)).unwrap();
    drop(vault);

    Vault::restore_backup(&path, &saved.path, &pass(PASS)).unwrap();
    let names: Vec<_> = open_elsewhere.list().unwrap().items.into_iter().map(|m| m.name.to_string()).collect();
    assert_eq!(names, ["A"]);
    // And it keeps working: its next write lands on top of the restored state.
    add(&mut open_elsewhere, "C", "3");
    drop(open_elsewhere);
    let vault = Vault::unlock(&path, &pass(PASS)).unwrap();
    let names: Vec<_> = vault.list().unwrap().items.into_iter().map(|m| m.name.to_string()).collect();
    assert_eq!(names, ["A", "C"]);
}

#[cfg(unix)]
#[test]
fn backups_are_private_self_contained_files() {
    use std::os::unix::fs::PermissionsExt;
    let clock = TestClock::ticking_at(START);
    let (_dir, path, vault) = new_vault(&clock);
    let info = vault.backup_now().unwrap().unwrap();
    let dir = backup::backup_dir(&path);
    assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
    assert_eq!(std::fs::metadata(&info.path).unwrap().permissions().mode() & 0o777, 0o600);
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(files, [info.path.file_name().unwrap()], "no -wal, -shm or partial file beside it");
    assert_eq!(info.bytes, std::fs::metadata(&info.path).unwrap().len());
    assert!(info.bytes > 0);
}

#[test]
fn a_passphrase_change_rewraps_the_backups_that_hold_the_same_key() {
    let clock = TestClock::ticking_at(START);
    let (_dir, path, mut vault) = new_vault(&clock);
    add(&mut vault, "A", "1");
    let before_rotation = vault.backup_now().unwrap().unwrap();
    vault.rotate_key(&pass(PASS)).unwrap();
    let same_key = vault.backup_now().unwrap().unwrap();
    let unreadable = backup::backup_dir(&path).join("2020-01-01T00-00-00.000Z-manual.db");
    std::fs::write(&unreadable, b"not a vault").unwrap();

    vault.change_passphrase(&pass(NEW_PASS), None).unwrap();
    assert!(vault.take_warning().is_none(), "{:?}", vault.take_warning());
    let opens_with = |backup: &Path, passphrase: &str| Vault::unlock_for_salvage(backup, &pass(passphrase)).is_ok();
    // The backups of the current key, including the one made just before the change, follow
    // the passphrase: the old one no longer unwraps the key that protects the vault.
    let before_change = backup::list(&path).unwrap().into_iter().find(|b| b.reason == BackupReason::PassphraseChange);
    for backup in [&same_key.path, &before_change.unwrap().path] {
        assert!(opens_with(backup, NEW_PASS) && !opens_with(backup, PASS), "{}", backup.display());
    }
    // A backup older than the key rotation holds a key that protects nothing current: untouched.
    assert!(opens_with(&before_rotation.path, PASS) && !opens_with(&before_rotation.path, NEW_PASS));
    // A file that could not be updated is not left behind still opening with the old passphrase.
    assert!(!unreadable.exists());
}

#[test]
fn a_new_backup_is_never_pruned_even_when_another_claims_a_later_time() {
    let clock = TestClock::ticking_at(START);
    let (_dir, path, vault) = new_vault(&clock);
    backup::set_keep(&path, 2).unwrap();
    let first = vault.backup_now().unwrap().unwrap();
    // Made while the clock was years ahead.
    std::fs::copy(&first.path, backup::backup_dir(&path).join("2099-01-01T00-00-00.000Z-manual.db")).unwrap();
    let made = vault.backup_now().unwrap().unwrap();
    assert!(made.path.exists(), "the backup just made was kept");
    let left: Vec<_> = backup::list(&path).unwrap().into_iter().map(|b| b.path).collect();
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left.contains(&made.path) && !left.contains(&first.path), "{left:?}");
}

//! Vaults of every file format Tresor has written, kept in `tests/fixtures/vN/`, and what opening
//! them must give: each later format migrates from all of them, and nothing is lost.
//!
//! The fixtures are made by the code of their time, with `make_fixture` below (ignored: run by
//! hand when a format version is added, then commit the files). They use the cheap test KDF.

use std::path::{Path, PathBuf};

use tresor::vault::store::FORMAT_VERSION;
use tresor::{KdfParams, NewSecret, Passphrase, SecretEdit, SecretName, SecretValue, Vault};

mod common;
use common::TestClock;

const PASSPHRASE: &str = "fixture passphrase";
/// The value with NUL bytes at its end must come back exactly (padding is reversible).
const NUL_TAIL: &str = "ends with NULs\0\0\0";
/// When the fixtures were made: tests open them at this time, so that the trash is not yet old
/// enough to be purged.
const MADE_AT: i64 = 1_780_000_000_000;
const PEM: &str =
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n";

fn fixture_dir(version: i64) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(format!("v{version}"))
}

fn name(text: &str) -> SecretName {
    SecretName::parse(text).unwrap()
}

/// What every fixture holds, whatever its format: (name, description, current value, version,
/// earlier values newest first), and one secret in the trash.
fn expected() -> Vec<(&'static str, &'static str, &'static str, u32, Vec<&'static str>)> {
    vec![
        ("ANTHROPIC_API_KEY", "renamed from CLAUDE_KEY", "sk-ant-1", 1, vec![]),
        ("EMPTY_DESCRIPTION", "", NUL_TAIL, 1, vec![]),
        ("OPENAI_API_KEY", "GPT calls", "sk-proj-3", 3, vec!["sk-proj-2", "sk-proj-1"]),
        ("TLS_KEY", "a multi-line value", PEM, 2, vec!["old pem"]),
    ]
}

#[test]
#[ignore = "writes tests/fixtures/vN for the current format; run by hand when the format changes"]
fn make_fixture() {
    let version = FORMAT_VERSION;
    let dir = fixture_dir(version);
    assert!(!dir.exists(), "{} exists: fixtures of a released format never change", dir.display());
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("vault.db");
    let clock = TestClock::ticking_at(MADE_AT);
    let mut vault =
        Vault::create_with_clock(&path, &Passphrase::new(PASSPHRASE), KdfParams::insecure_for_tests(), clock.clone())
            .unwrap();
    let new =
        |n: &str, d: &str, v: &str| NewSecret { name: name(n), description: d.into(), value: SecretValue::new(v) };
    let openai = vault.create_secret(new("OPENAI_API_KEY", "GPT calls", "sk-proj-1")).unwrap().meta.id;
    for v in ["sk-proj-2", "sk-proj-3"] {
        vault.edit(openai, SecretEdit { value: Some(SecretValue::new(v)), ..SecretEdit::default() }).unwrap();
    }
    let claude = vault.create_secret(new("CLAUDE_KEY", "renamed from CLAUDE_KEY", "sk-ant-1")).unwrap().meta.id;
    vault.edit(claude, SecretEdit { name: Some(name("ANTHROPIC_API_KEY")), ..SecretEdit::default() }).unwrap();
    let tls = vault.create_secret(new("TLS_KEY", "a multi-line value", "old pem")).unwrap().meta.id;
    vault.edit(tls, SecretEdit { value: Some(SecretValue::new(PEM)), ..SecretEdit::default() }).unwrap();
    vault.create_secret(new("EMPTY_DESCRIPTION", "", NUL_TAIL)).unwrap();
    let gone = vault.create_secret(new("TRASHED_KEY", "in the trash", "trashed-value")).unwrap().meta.id;
    vault.delete(&[gone]).unwrap();
    vault.backup_now().unwrap().expect("backups are on");
    drop(vault);
    eprintln!("wrote {}", dir.display());
}

/// A larger vault of the same format (2,000 secrets, each with one earlier value), for the kill
/// test of the migration: big enough that a migration takes long enough to be killed midway.
#[test]
#[ignore = "writes tests/fixtures/vN-large for the current format; run by hand when the format changes"]
fn make_large_fixture() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(format!("v{FORMAT_VERSION}-large"));
    assert!(!dir.exists(), "{} exists: fixtures of a released format never change", dir.display());
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("vault.db");
    let clock = TestClock::ticking_at(MADE_AT);
    let mut vault =
        Vault::create_with_clock(&path, &Passphrase::new(PASSPHRASE), KdfParams::insecure_for_tests(), clock).unwrap();
    let new = (0..2000)
        .map(|i| NewSecret {
            name: name(&format!("KEY_{i:04}")),
            description: format!("secret number {i}"),
            value: SecretValue::new(format!("value-{i}-v1")),
        })
        .collect();
    let ids: Vec<_> =
        vault.create_many(&vault.default_place().unwrap(), new).unwrap().into_iter().map(|s| s.meta.id).collect();
    for (i, id) in ids.into_iter().enumerate() {
        vault
            .edit(id, SecretEdit { value: Some(SecretValue::new(format!("value-{i}-v2"))), ..SecretEdit::default() })
            .unwrap();
    }
    drop(vault);
}

/// Copies the fixture (vault and backups) into a temporary folder: opening may migrate it.
fn copy_of(version: i64) -> (tempfile::TempDir, PathBuf) {
    let from = fixture_dir(version);
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&from, dir.path());
    let path = dir.path().join("vault.db");
    assert!(path.exists(), "the fixture {} has a vault.db", from.display());
    (dir, path)
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o700)).unwrap();
            }
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
            }
        }
    }
}

/// Every secret of the fixture reads back as it was written, with its history and the trash.
fn assert_holds_everything(vault: &Vault) {
    let listing = vault.list().unwrap();
    assert!(listing.damaged.is_empty(), "{:?}", listing.damaged);
    let names: Vec<&str> = listing.items.iter().map(|m| m.name.as_str()).collect();
    let expected = expected();
    assert_eq!(names, expected.iter().map(|e| e.0).collect::<Vec<_>>());
    for (meta, (n, description, value, version, earlier)) in listing.items.iter().zip(&expected) {
        assert_eq!(meta.name.as_str(), *n);
        assert_eq!(meta.description, *description, "{n}");
        assert_eq!(meta.version, *version, "{n}");
        assert_eq!(vault.reveal(meta.id).unwrap().expose(), *value, "{n}");
        let history = vault.history(meta.id).unwrap();
        let older: Vec<String> = history[1..]
            .iter()
            .map(|v| vault.reveal_version(meta.id, v.version).unwrap().expose().to_owned())
            .collect();
        assert_eq!(older, *earlier, "{n}");
    }
    let trash = vault.trash().unwrap();
    assert_eq!(trash.items.len(), 1);
    assert_eq!(trash.items[0].meta.name.as_str(), "TRASHED_KEY");
    assert_eq!(
        vault.find_in_trash(&vault.default_place().unwrap(), &name("TRASHED_KEY")).unwrap(),
        trash.items[0].meta.id
    );
}

#[test]
fn every_fixture_opens_with_everything_in_it() {
    for version in 1..=FORMAT_VERSION {
        let (_dir, path) = copy_of(version);
        let clock = TestClock::ticking_at(MADE_AT + 60_000);
        let vault = Vault::unlock_with_clock(&path, &Passphrase::new(PASSPHRASE), clock).unwrap();
        assert_holds_everything(&vault);
    }
}

fn file_bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

fn backups_of(path: &Path) -> Vec<tresor::vault::BackupInfo> {
    tresor::vault::backup::list(path).unwrap()
}

/// Older formats: each migrates to the current one.
const OLDER: std::ops::Range<i64> = 1..FORMAT_VERSION;

#[test]
fn an_older_vault_is_backed_up_then_migrated_at_unlock_and_its_backups_stay_restorable() {
    for format in OLDER {
        backed_up_then_migrated(format);
    }
}

fn backed_up_then_migrated(format: i64) {
    let (_dir, path) = copy_of(format);
    let pass = Passphrase::new(PASSPHRASE);
    let before = file_bytes(&path);

    // Reading facts or salvaging never migrates the file.
    assert_eq!(Vault::info(&path).unwrap().format_version, format);
    let salvage = Vault::unlock_for_salvage(&path, &pass).unwrap();
    assert_holds_everything(&salvage);
    drop(salvage);
    assert_eq!(file_bytes(&path), before, "info and salvage leave an old file as it was");

    let clock = TestClock::ticking_at(MADE_AT + 60_000);
    let vault = Vault::unlock_with_clock(&path, &pass, clock.clone()).unwrap();
    assert_holds_everything(&vault);
    // Everything went to the default project's level; the project has the usual environments.
    let projects = vault.projects().unwrap();
    assert_eq!(projects.len(), 1);
    assert_eq!(projects[0].name.as_str(), "Personal");
    assert!(projects[0].is_default);
    assert_eq!(projects[0].shared_secrets, expected().len());
    let envs: Vec<&str> = projects[0].environments.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(envs, ["development", "staging", "production"]);
    drop(vault);
    assert_eq!(Vault::info(&path).unwrap().format_version, FORMAT_VERSION);
    let backups = backups_of(&path);
    let upgrade = backups.iter().find(|b| b.reason == tresor::vault::BackupReason::FormatUpgrade).unwrap();
    assert_eq!(
        Vault::info(&upgrade.path).unwrap().format_version,
        format,
        "the backup before the upgrade is the old file"
    );
    assert_eq!(backups.len(), 2, "the fixture's own backup is kept: {backups:?}");

    // A passphrase change re-wraps the old-format backups too: the old passphrase opens none of them.
    let mut vault = Vault::unlock_with_clock(&path, &pass, clock.clone()).unwrap();
    let new_pass = Passphrase::new("a new passphrase after the upgrade");
    vault.change_passphrase(&new_pass, None).unwrap();
    assert!(vault.take_warning().is_none());
    drop(vault);
    for backup in backups_of(&path) {
        assert!(
            matches!(Vault::unlock_for_salvage(&backup.path, &pass), Err(tresor::Error::WrongPassphrase)),
            "{} still opens with the old passphrase",
            backup.name()
        );
        let opened = Vault::unlock_for_salvage(&backup.path, &new_pass).unwrap();
        drop(opened);
    }

    // Restoring the old-format backup brings its state back into the (current format) vault.
    let restored = Vault::restore_backup_with_clock(&path, &upgrade.path, &new_pass, clock.clone()).unwrap();
    assert_holds_everything(&restored.vault);
    drop(restored);
    assert_eq!(Vault::info(&path).unwrap().format_version, FORMAT_VERSION);
    let vault = Vault::unlock_with_clock(&path, &new_pass, clock).unwrap();
    assert_holds_everything(&vault);
}

#[test]
fn a_tampered_older_vault_is_refused_not_migrated() {
    for format in OLDER {
        tampered_is_refused(format);
    }
}

fn tampered_is_refused(format: i64) {
    let (_dir, path) = copy_of(format);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("UPDATE secrets SET modified = modified + 1").unwrap();
    }
    let before = file_bytes(&path);
    let clock = TestClock::ticking_at(MADE_AT + 60_000);
    let result = Vault::unlock_with_clock(&path, &Passphrase::new(PASSPHRASE), clock);
    assert!(matches!(result, Err(tresor::Error::RecordSetTampered)), "{result:?}");
    assert_eq!(file_bytes(&path), before);
    assert_eq!(Vault::info(&path).unwrap().format_version, format);
    // Salvage still reads what decrypts, from a migrated copy in memory.
    let salvage = Vault::unlock_for_salvage(&path, &Passphrase::new(PASSPHRASE)).unwrap();
    assert_eq!(salvage.list().unwrap().items.len(), expected().len());
}

#[test]
fn an_older_file_put_back_over_an_upgraded_vault_is_refused() {
    for format in OLDER {
        put_back_is_refused(format);
    }
}

fn put_back_is_refused(format: i64) {
    let (_dir, path) = copy_of(format);
    let old_v1 = file_bytes(&path);
    let clock = TestClock::ticking_at(MADE_AT + 60_000);
    let vault = Vault::unlock_with_clock(&path, &Passphrase::new(PASSPHRASE), clock.clone()).unwrap();
    vault.backup_now().unwrap().expect("a backup in the current format");
    drop(vault);
    // Someone puts the old file back (format 1's record set can be forged from old copies).
    std::fs::write(&path, &old_v1).unwrap();
    let result = Vault::unlock_with_clock(&path, &Passphrase::new(PASSPHRASE), clock);
    assert!(matches!(result, Err(tresor::Error::FormatRolledBack { .. })), "{result:?}");
    assert_eq!(file_bytes(&path), old_v1, "not upgraded");
}

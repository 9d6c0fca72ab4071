//! The vault's behaviour through its public API: the rules a user relies on.

use std::path::PathBuf;

use tresor::vault::secret::{DescriptionError, NameError, ValueError};
use tresor::vault::{HISTORY_LIMIT, TRASH_RETENTION_DAYS};
use tresor::{Error, KdfParams, NewSecret, Passphrase, SecretEdit, SecretName, SecretValue, ValueWarning, Vault};

const PASS: &str = "correct horse battery staple";

mod common;
use common::TestClock;

fn new_vault() -> (tempfile::TempDir, PathBuf, Vault) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.db");
    let vault = Vault::create(&path, &Passphrase::new(PASS), KdfParams::insecure_for_tests()).unwrap();
    (dir, path, vault)
}

fn secret(name: &str, description: &str, value: &str) -> NewSecret {
    NewSecret {
        name: SecretName::parse(name).unwrap(),
        description: description.into(),
        value: SecretValue::new(value),
    }
}

fn value_of(vault: &Vault, name: &str) -> String {
    let id = vault.find(&vault.default_place().unwrap(), &SecretName::parse(name).unwrap()).unwrap().0;
    vault.reveal(id).unwrap().expose().to_owned()
}

#[test]
fn a_created_secret_survives_lock_and_unlock() {
    let (_dir, path, mut vault) = new_vault();
    let saved = vault.create_secret(secret("OPENAI_API_KEY", "GPT calls", "sk-proj-123")).unwrap();
    assert_eq!(saved.meta.version, 1);
    assert!(saved.warnings.is_empty());
    vault.lock();

    let vault = Vault::unlock(&path, &Passphrase::new(PASS)).unwrap();
    let listing = vault.list().unwrap();
    assert!(listing.damaged.is_empty());
    assert_eq!(listing.items.len(), 1);
    let meta = &listing.items[0];
    assert_eq!(meta.name.as_str(), "OPENAI_API_KEY");
    assert_eq!(meta.description, "GPT calls");
    assert_eq!(meta.version, 1);
    assert_eq!(meta.created, meta.modified);
    assert_eq!(value_of(&vault, "OPENAI_API_KEY"), "sk-proj-123");
}

#[test]
fn wrong_passphrase_is_refused() {
    let (_dir, path, vault) = new_vault();
    drop(vault);
    assert!(matches!(Vault::unlock(&path, &Passphrase::new("nope")), Err(Error::WrongPassphrase)));
}

#[test]
fn missing_vault_and_existing_file_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.db");
    assert!(matches!(Vault::unlock(&missing, &Passphrase::new(PASS)), Err(Error::NoVault { .. })));
    assert!(!missing.exists(), "unlocking must never create a file");

    let (_dir, path, vault) = new_vault();
    drop(vault);
    let again = Vault::create(&path, &Passphrase::new(PASS), KdfParams::insecure_for_tests());
    assert!(matches!(again, Err(Error::AlreadyExists { .. })));
    assert!(Vault::unlock(&path, &Passphrase::new(PASS)).is_ok(), "the existing vault is untouched");
}

#[test]
fn an_empty_passphrase_cannot_create_a_vault() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.db");
    let result = Vault::create(&path, &Passphrase::new(""), KdfParams::insecure_for_tests());
    assert!(matches!(result, Err(Error::EmptyPassphrase)));
    assert!(!path.exists());
}

#[test]
fn kdf_parameters_below_the_floor_are_refused() {
    assert!(matches!(KdfParams::new(32 * 1024, 3, 4), Err(Error::KdfTooWeak { .. })));
    assert!(matches!(KdfParams::new(64 * 1024, 1, 4), Err(Error::KdfTooWeak { .. })));
    assert!(matches!(KdfParams::new(64 * 1024, 3, 1), Err(Error::KdfTooWeak { .. })));
    assert_eq!(KdfParams::new(64 * 1024, 3, 4).unwrap(), KdfParams::FLOOR);
}

#[test]
fn the_core_itself_refuses_to_create_a_vault_below_the_floor() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.db");
    let weak = KdfParams { memory_kib: 1024, iterations: 3, parallelism: 4 };
    assert!(matches!(Vault::create(&path, &Passphrase::new(PASS), weak), Err(Error::KdfTooWeak { .. })));
    assert!(!path.exists());
    let (_dir, _path, mut vault) = new_vault();
    let result = vault.change_passphrase(&Passphrase::new("new"), Some(weak));
    assert!(matches!(result, Err(Error::KdfTooWeak { .. })));
}

#[test]
fn a_vault_created_at_the_floor_unlocks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.db");
    Vault::create(&path, &Passphrase::new(PASS), KdfParams::FLOOR).unwrap();
    let vault = Vault::unlock(&path, &Passphrase::new(PASS)).unwrap();
    assert_eq!(vault.kdf_params(), KdfParams::FLOOR);
    assert_eq!(Vault::info(&path).unwrap().kdf, KdfParams::FLOOR);
}

#[test]
fn calibration_never_goes_below_the_floor() {
    let params = Vault::calibrate_kdf_for(std::time::Duration::from_millis(1));
    assert_eq!(params.memory_kib, KdfParams::DEFAULT_MEMORY_KIB);
    assert_eq!(params.parallelism, KdfParams::DEFAULT_PARALLELISM);
    assert!(params.iterations >= KdfParams::FLOOR.iterations);
    assert!(KdfParams::new(params.memory_kib, params.iterations, params.parallelism).is_ok());
}

#[test]
fn names_must_be_environment_variable_names() {
    assert_eq!(SecretName::parse(""), Err(NameError::Empty));
    assert!(matches!(SecretName::parse("9LIVES"), Err(NameError::StartsWithDigit { .. })));
    assert!(matches!(SecretName::parse("OPENAI API KEY"), Err(NameError::InvalidCharacter { ch: ' ', .. })));
    assert!(matches!(SecretName::parse("a.b"), Err(NameError::InvalidCharacter { ch: '.', .. })));
    assert!(matches!(SecretName::parse("ключ"), Err(NameError::InvalidCharacter { .. })));
    let err = SecretName::parse("my-key").unwrap_err();
    assert!(err.to_string().contains("try MY_KEY"), "the error suggests a valid name, in UPPER_SNAKE_CASE: {err}");
}

#[test]
fn names_are_unique_and_case_sensitive() {
    let (_dir, _path, mut vault) = new_vault();
    vault.create_secret(secret("API_KEY", "", "one")).unwrap();
    let taken = vault.create_secret(secret("API_KEY", "", "two"));
    assert!(matches!(taken, Err(Error::NameTaken { ref name }) if name == "API_KEY"));
    vault.create_secret(secret("api_key", "", "three")).unwrap();
    assert_eq!(value_of(&vault, "API_KEY"), "one");
    assert_eq!(value_of(&vault, "api_key"), "three");
    assert!(matches!(
        vault.find(&vault.default_place().unwrap(), &SecretName::parse("Api_Key").unwrap()).map(|(id, _)| id),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn values_must_be_non_empty_and_descriptions_one_short_line() {
    let (_dir, _path, mut vault) = new_vault();
    assert!(matches!(vault.create_secret(secret("A", "", "")), Err(Error::InvalidValue(ValueError::Empty))));
    assert!(matches!(
        vault.create_secret(secret("A", "two\nlines", "v")),
        Err(Error::InvalidDescription(DescriptionError::MultiLine))
    ));
    assert!(matches!(
        vault.create_secret(secret("A", &"d".repeat(501), "v")),
        Err(Error::InvalidDescription(DescriptionError::TooLong { len: 501 }))
    ));
    assert!(vault.list().unwrap().items.is_empty(), "nothing half-written");
    vault.create_secret(secret("A", &"d".repeat(500), "v")).unwrap();
}

#[test]
fn long_and_multi_line_values_round_trip_exactly() {
    let (_dir, path, mut vault) = new_vault();
    let big: String = (0..1024 * 1024).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
    let json = "{\n  \"type\": \"service_account\",\n  \"private_key\": \"-----BEGIN KEY-----\\nabc\\n\"\n}\n";
    let unicode = "pässwörd — 鍵 🔑 \t end";
    vault.create_secret(secret("BIG", "", &big)).unwrap();
    vault.create_secret(secret("GCP_JSON", "", json)).unwrap();
    vault.create_secret(secret("UNI", "", unicode)).unwrap();
    drop(vault);
    let vault = Vault::unlock(&path, &Passphrase::new(PASS)).unwrap();
    assert_eq!(value_of(&vault, "BIG"), big);
    assert_eq!(value_of(&vault, "GCP_JSON"), json);
    assert_eq!(value_of(&vault, "UNI"), unicode);
}

#[test]
fn paste_mistakes_come_back_as_warnings_and_the_value_is_kept_exactly() {
    let (_dir, _path, mut vault) = new_vault();
    let saved = vault.create_secret(secret("HF_TOKEN", "", "hf_abc\n")).unwrap();
    assert_eq!(saved.warnings, vec![ValueWarning::TrailingWhitespace]);
    assert_eq!(value_of(&vault, "HF_TOKEN"), "hf_abc\n", "never silently stripped");
    let saved = vault.create_secret(secret("ZW", "", "sk\u{200B}abc")).unwrap();
    assert!(matches!(saved.warnings[..], [ValueWarning::InvisibleCharacter { code: 0x200B, position: 3 }]));
}

#[test]
fn the_version_goes_up_only_when_the_value_changes() {
    let clock = TestClock::at(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.db");
    let mut vault =
        Vault::create_with_clock(&path, &Passphrase::new(PASS), KdfParams::insecure_for_tests(), clock.clone())
            .unwrap();
    let id = vault.create_secret(secret("K", "first", "v1")).unwrap().meta.id;

    clock.advance_days(1);
    let saved = vault.edit(id, SecretEdit { name: None, description: Some("second".into()), value: None }).unwrap();
    assert!(!saved.value_changed);
    assert_eq!((saved.meta.version, saved.meta.description.as_str()), (1, "second"));
    assert!(saved.meta.modified > saved.meta.created);

    let same =
        vault.edit(id, SecretEdit { name: None, description: None, value: Some(SecretValue::new("v1")) }).unwrap();
    assert!(!same.value_changed);
    assert_eq!(same.meta.version, 1);

    clock.advance_days(1);
    let changed =
        vault.edit(id, SecretEdit { name: None, description: None, value: Some(SecretValue::new("v2")) }).unwrap();
    assert!(changed.value_changed);
    assert_eq!(changed.meta.version, 2);
    assert_eq!(changed.meta.description, "second");
    assert_eq!(vault.reveal(id).unwrap().expose(), "v2");
}

#[test]
fn earlier_values_are_kept_and_can_be_restored_as_a_new_version() {
    let (_dir, _path, mut vault) = new_vault();
    let id = vault.create_secret(secret("K", "", "v1")).unwrap().meta.id;
    for v in 2..=3 {
        vault
            .edit(id, SecretEdit { name: None, description: None, value: Some(SecretValue::new(format!("v{v}"))) })
            .unwrap();
    }
    let history = vault.history(id).unwrap();
    assert_eq!(history.iter().map(|h| h.version).collect::<Vec<_>>(), vec![3, 2, 1]);
    assert!(history[0].replaced.is_none());
    assert!(history[1].replaced.is_some());
    assert_eq!(vault.reveal_version(id, 1).unwrap().expose(), "v1");
    assert_eq!(vault.reveal_version(id, 3).unwrap().expose(), "v3");
    assert!(matches!(vault.reveal_version(id, 9), Err(Error::VersionNotFound { version: 9, .. })));

    let restored = vault.restore_version(id, 1).unwrap();
    assert_eq!(restored.meta.version, 4);
    assert_eq!(vault.reveal(id).unwrap().expose(), "v1");
    assert_eq!(vault.reveal_version(id, 3).unwrap().expose(), "v3");
}

#[test]
fn history_keeps_the_last_twenty_values() {
    let (_dir, path, mut vault) = new_vault();
    let id = vault.create_secret(secret("K", "", "v1")).unwrap().meta.id;
    for v in 2..=30 {
        vault
            .edit(id, SecretEdit { name: None, description: None, value: Some(SecretValue::new(format!("v{v}"))) })
            .unwrap();
    }
    let history = vault.history(id).unwrap();
    assert_eq!(history.len(), 1 + HISTORY_LIMIT);
    assert_eq!(history.last().unwrap().version, 30 - HISTORY_LIMIT as u32);
    assert!(matches!(vault.reveal_version(id, 1), Err(Error::VersionNotFound { .. })));
    assert_eq!(vault.reveal_version(id, 10).unwrap().expose(), "v10");
    drop(vault);
    // Dropping old history keeps the record-set MAC in step: the vault still unlocks.
    assert_eq!(Vault::info(&path).unwrap().history_entries, HISTORY_LIMIT as u64);
    Vault::unlock(&path, &Passphrase::new(PASS)).unwrap();
}

#[test]
fn rename_keeps_id_version_and_history() {
    let (_dir, path, mut vault) = new_vault();
    let id = vault.create_secret(secret("OLD", "desc", "v1")).unwrap().meta.id;
    vault.edit(id, SecretEdit { name: None, description: None, value: Some(SecretValue::new("v2")) }).unwrap();
    vault.create_secret(secret("OTHER", "", "x")).unwrap();

    let taken = vault
        .edit(id, SecretEdit { name: Some(SecretName::parse("OTHER").unwrap()), ..SecretEdit::default() })
        .map(|s| s.meta);
    assert!(matches!(taken, Err(Error::NameTaken { .. })));

    let meta = vault
        .edit(id, SecretEdit { name: Some(SecretName::parse("NEW").unwrap()), ..SecretEdit::default() })
        .map(|s| s.meta)
        .unwrap();
    assert_eq!((meta.id, meta.version, meta.description.as_str()), (id, 2, "desc"));
    drop(vault);
    let vault = Vault::unlock(&path, &Passphrase::new(PASS)).unwrap();
    assert!(matches!(
        vault.find(&vault.default_place().unwrap(), &SecretName::parse("OLD").unwrap()).map(|(id, _)| id),
        Err(Error::NotFound { .. })
    ));
    assert_eq!(vault.find(&vault.default_place().unwrap(), &SecretName::parse("NEW").unwrap()).unwrap().0, id);
    assert_eq!(vault.reveal_version(id, 1).unwrap().expose(), "v1");
}

#[test]
fn delete_goes_to_the_trash_and_restore_brings_it_back() {
    let (_dir, _path, mut vault) = new_vault();
    let id = vault.create_secret(secret("K", "d", "v1")).unwrap().meta.id;
    vault.delete(&[id]).unwrap();
    assert!(vault.list().unwrap().items.is_empty());
    assert!(matches!(vault.reveal(id), Err(Error::NotFound { .. })));
    let trash = vault.trash().unwrap().items;
    assert_eq!(trash.len(), 1);
    assert_eq!(trash[0].meta.name.as_str(), "K");

    let meta = vault.restore(id, None).unwrap();
    assert_eq!(meta.name.as_str(), "K");
    assert_eq!(vault.reveal(id).unwrap().expose(), "v1");
    assert!(vault.trash().unwrap().items.is_empty());
    assert!(matches!(vault.restore(id, None), Err(Error::NotInTrash)));
}

#[test]
fn a_trashed_name_can_be_reused_and_restoring_then_needs_a_new_name() {
    let (_dir, _path, mut vault) = new_vault();
    let old = vault.create_secret(secret("K", "", "old")).unwrap().meta.id;
    vault.delete(&[old]).unwrap();
    let new = vault.create_secret(secret("K", "", "new")).unwrap().meta.id;
    assert_ne!(old, new);

    assert!(matches!(vault.restore(old, None), Err(Error::NameTaken { ref name }) if name == "K"));
    let meta = vault.restore(old, Some(SecretName::parse("K_OLD").unwrap())).unwrap();
    assert_eq!(meta.name.as_str(), "K_OLD");
    assert_eq!(value_of(&vault, "K_OLD"), "old");
    assert_eq!(value_of(&vault, "K"), "new");
}

#[test]
fn deleting_several_is_all_or_nothing() {
    let (_dir, _path, mut vault) = new_vault();
    let a = vault.create_secret(secret("A", "", "1")).unwrap().meta.id;
    let b = vault.create_secret(secret("B", "", "2")).unwrap().meta.id;
    vault.delete(&[b]).unwrap();
    // B is already in the trash: the whole call fails and A stays.
    assert!(matches!(vault.delete(&[a, b]), Err(Error::NotFound { .. })));
    assert_eq!(vault.list().unwrap().items.len(), 1);
    let c = vault.create_secret(secret("C", "", "3")).unwrap().meta.id;
    vault.delete(&[a, c]).unwrap();
    assert!(vault.list().unwrap().items.is_empty());
    assert_eq!(vault.trash().unwrap().items.len(), 3);
}

#[test]
fn purge_deletes_a_secret_and_its_history_for_good() {
    let (_dir, path, mut vault) = new_vault();
    let id = vault.create_secret(secret("K", "", "v1")).unwrap().meta.id;
    vault.edit(id, SecretEdit { name: None, description: None, value: Some(SecretValue::new("v2")) }).unwrap();
    vault.create_secret(secret("KEEP", "", "k")).unwrap();
    assert!(matches!(vault.purge(id), Err(Error::NotInTrash)), "only trashed secrets can be purged");
    vault.delete(&[id]).unwrap();
    vault.purge(id).unwrap();
    assert!(vault.trash().unwrap().items.is_empty());
    drop(vault);
    let info = Vault::info(&path).unwrap();
    assert_eq!((info.secrets, info.trashed, info.history_entries), (1, 0, 0));
    let vault = Vault::unlock(&path, &Passphrase::new(PASS)).unwrap();
    assert_eq!(value_of(&vault, "KEEP"), "k");
}

#[test]
fn trash_older_than_thirty_days_is_purged_on_unlock() {
    let clock = TestClock::at(1_700_000_000_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.db");
    let pass = Passphrase::new(PASS);
    let mut vault = Vault::create_with_clock(&path, &pass, KdfParams::insecure_for_tests(), clock.clone()).unwrap();
    let old = vault.create_secret(secret("OLD", "", "1")).unwrap().meta.id;
    let recent = vault.create_secret(secret("RECENT", "", "2")).unwrap().meta.id;
    vault.delete(&[old]).unwrap();
    clock.advance_days(TRASH_RETENTION_DAYS - 5);
    vault.delete(&[recent]).unwrap();
    drop(vault);

    clock.advance_days(6);
    let vault = Vault::unlock_with_clock(&path, &pass, clock.clone()).unwrap();
    let trash = vault.trash().unwrap().items;
    assert_eq!(trash.iter().map(|t| t.meta.name.as_str()).collect::<Vec<_>>(), vec!["RECENT"]);
    drop(vault);
    Vault::unlock_with_clock(&path, &pass, clock).unwrap();
}

#[test]
fn creating_many_is_one_transaction() {
    let (_dir, _path, mut vault) = new_vault();
    vault.create_secret(secret("TAKEN", "", "x")).unwrap();
    let batch = vec![secret("A", "", "1"), secret("TAKEN", "", "2"), secret("B", "", "3")];
    assert!(matches!(vault.create_many(&vault.default_place().unwrap(), batch), Err(Error::NameTaken { .. })));
    assert_eq!(vault.list().unwrap().items.len(), 1, "none of the batch was written");
    let batch = vec![secret("A", "", "1"), secret("B", "", "")];
    assert!(matches!(
        vault.create_many(&vault.default_place().unwrap(), batch),
        Err(Error::InvalidValue(ValueError::Empty))
    ));
    assert_eq!(vault.list().unwrap().items.len(), 1);
}

#[test]
fn list_is_sorted_by_name_as_a_person_reads_it() {
    let (_dir, _path, mut vault) = new_vault();
    for name in ["b", "B", "a_key", "C", "A"] {
        vault.create_secret(secret(name, "", "v")).unwrap();
    }
    let names: Vec<String> = vault.list().unwrap().items.iter().map(|m| m.name.to_string()).collect();
    assert_eq!(names, ["A", "a_key", "B", "b", "C"]);
}

#[test]
fn changing_the_passphrase_keeps_every_secret() {
    let (_dir, path, mut vault) = new_vault();
    vault.create_secret(secret("K", "", "v")).unwrap();
    assert!(matches!(vault.verify_passphrase(&Passphrase::new("wrong")), Err(Error::WrongPassphrase)));
    vault.verify_passphrase(&Passphrase::new(PASS)).unwrap();
    vault.change_passphrase(&Passphrase::new("new passphrase"), None).unwrap();
    assert_eq!(value_of(&vault, "K"), "v", "the open vault keeps working");
    drop(vault);
    assert!(matches!(Vault::unlock(&path, &Passphrase::new(PASS)), Err(Error::WrongPassphrase)));
    let vault = Vault::unlock(&path, &Passphrase::new("new passphrase")).unwrap();
    assert_eq!(value_of(&vault, "K"), "v");
}

#[test]
fn two_open_handles_see_each_others_writes() {
    let (_dir, path, mut first) = new_vault();
    let mut second = Vault::unlock(&path, &Passphrase::new(PASS)).unwrap();
    first.create_secret(secret("FROM_FIRST", "", "1")).unwrap();
    second.create_secret(secret("FROM_SECOND", "", "2")).unwrap();
    assert_eq!(value_of(&first, "FROM_SECOND"), "2");
    assert_eq!(value_of(&second, "FROM_FIRST"), "1");
    assert!(matches!(second.create_secret(secret("FROM_FIRST", "", "x")), Err(Error::NameTaken { .. })));
    drop((first, second));
    Vault::unlock(&path, &Passphrase::new(PASS)).unwrap();
}

#[test]
fn a_handle_with_a_rotated_away_key_stops_instead_of_writing_garbage() {
    let (_dir, path, mut first) = new_vault();
    first.create_secret(secret("K", "", "v")).unwrap();
    let mut second = Vault::unlock(&path, &Passphrase::new(PASS)).unwrap();
    first.rotate_key(&Passphrase::new(PASS)).unwrap();
    assert!(matches!(second.create_secret(secret("X", "", "x")), Err(Error::KeyRotatedElsewhere)));
    assert!(matches!(second.list(), Err(Error::KeyRotatedElsewhere)));
    assert_eq!(value_of(&first, "K"), "v");
    drop((first, second));
    let vault = Vault::unlock(&path, &Passphrase::new(PASS)).unwrap();
    assert_eq!(value_of(&vault, "K"), "v");
}

#[test]
fn rotating_the_key_needs_the_right_passphrase() {
    let (_dir, path, mut vault) = new_vault();
    vault.create_secret(secret("K", "", "v")).unwrap();
    assert!(matches!(vault.rotate_key(&Passphrase::new("wrong")), Err(Error::WrongPassphrase)));
    vault.rotate_key(&Passphrase::new(PASS)).unwrap();
    drop(vault);
    let vault = Vault::unlock(&path, &Passphrase::new(PASS)).unwrap();
    assert_eq!(value_of(&vault, "K"), "v");
}

#[test]
fn info_needs_no_passphrase_and_shows_only_counts() {
    let (_dir, path, mut vault) = new_vault();
    let a = vault.create_secret(secret("A", "", "1")).unwrap().meta.id;
    vault.create_secret(secret("B", "", "2")).unwrap();
    vault.edit(a, SecretEdit { name: None, description: None, value: Some(SecretValue::new("1b")) }).unwrap();
    vault.delete(&[a]).unwrap();
    let info = Vault::info(&path).unwrap();
    assert_eq!((info.secrets, info.trashed, info.history_entries), (1, 1, 1));
    assert_eq!(info.kdf, KdfParams::insecure_for_tests());
    assert!(info.file_bytes > 0);
}

#[test]
fn a_trashed_secret_is_found_by_name_after_a_key_rotation() {
    let (_dir, path, mut vault) = new_vault();
    let id = vault
        .create_secret(NewSecret {
            name: SecretName::parse("OLD").unwrap(),
            description: String::new(),
            value: SecretValue::new("v"),
        })
        .unwrap()
        .meta
        .id;
    vault.delete(&[id]).unwrap();
    vault.rotate_key(&Passphrase::new(PASS)).unwrap();
    assert_eq!(vault.find_in_trash(&vault.default_place().unwrap(), &SecretName::parse("OLD").unwrap()).unwrap(), id);
    vault.restore(id, None).unwrap();
    drop(vault);
    let vault = Vault::unlock(&path, &Passphrase::new(PASS)).unwrap();
    assert_eq!(vault.find(&vault.default_place().unwrap(), &SecretName::parse("OLD").unwrap()).unwrap().0, id);
}

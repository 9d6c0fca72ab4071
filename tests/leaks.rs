//! What a vault leaves behind: nothing the user typed may reach the disk in the clear (in the
//! database, its -wal or its -shm, its backups, whatever was done to the secrets), the files are
//! private, a
//! passphrase change touches only the header, and no `Debug` output or error message shows a
//! passphrase or a value.

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use rusqlite::types::Value;
use tresor::interchange::{self, Format, ParseOptions};
use tresor::vault::backup::{self, BackupReason};
use tresor::vault::crypto::{Key32, VaultKeys};
use tresor::vault::import::ConflictPolicy;
use tresor::{
    Error, KdfParams, NewSecret, Passphrase, Place, PlaceName, SecretEdit, SecretId, SecretName, SecretValue, Vault,
};

mod common;
use common::plan_of;

const NAME_MARKER: &str = "MARKERNAME7Q";
const DESCRIPTION_MARKER: &str = "MARKERDESC4Z";
const VALUE_MARKER: &str = "MARKERVALUE9K";
const PROJECT_MARKER: &str = "MARKERPROJ5T";
const ENV_MARKER: &str = "MARKERENV2X";
const PASS: &str = "old MARKERPASS3W passphrase";
const NEW_PASS: &str = "new MARKERPASS8V passphrase";

fn name(suffix: &str) -> SecretName {
    SecretName::parse(&format!("{NAME_MARKER}_{suffix}")).unwrap()
}

fn new_secret(suffix: &str, value: &str) -> NewSecret {
    NewSecret {
        name: name(suffix),
        description: format!("{DESCRIPTION_MARKER} {suffix}"),
        value: SecretValue::new(value),
    }
}

fn set_value(vault: &mut Vault, id: SecretId, value: &str) {
    vault.edit(id, SecretEdit { name: None, description: None, value: Some(SecretValue::new(value)) }).unwrap();
}

/// 100 KiB of letters and digits that repeat nowhere, with the value marker at both ends.
fn big_value() -> String {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let body: String = (0..100 * 1024)
        .map(|_| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            char::from(alphabet[(state >> 33) as usize % alphabet.len()])
        })
        .collect();
    format!("{VALUE_MARKER}{body}{VALUE_MARKER}")
}

fn multi_line_value() -> String {
    format!(
        "-----BEGIN PRIVATE KEY-----\nline one\n{VALUE_MARKER} in the middle\nlast line\n-----END PRIVATE KEY-----\n"
    )
}

/// What must never be found in a vault's files: every marker, as UTF-8 and as UTF-16LE, plus a
/// stretch from the middle of the big value (no marker there, so a partial leak shows too).
fn needles() -> Vec<(String, Vec<u8>)> {
    let big = big_value();
    let middle = big[50 * 1024..50 * 1024 + 24].to_owned();
    let mut needles = Vec::new();
    for text in [
        NAME_MARKER,
        DESCRIPTION_MARKER,
        VALUE_MARKER,
        PROJECT_MARKER,
        ENV_MARKER,
        "MARKERPASS3W",
        "MARKERPASS8V",
        &middle,
    ] {
        needles.push((format!("{text} (UTF-8)"), text.as_bytes().to_vec()));
        let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        needles.push((format!("{text} (UTF-16LE)"), utf16));
    }
    needles
}

/// Every file in the vault's folder and its subfolders (the backups), with the needles found in it.
fn leaks_in(folder: &Path) -> Vec<String> {
    let needles = needles();
    let mut found = Vec::new();
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(leaks_in(&path));
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        for (what, needle) in &needles {
            if bytes.windows(needle.len()).any(|w| w == needle.as_slice()) {
                found.push(format!("{what} in {}", path.display()));
            }
        }
    }
    found
}

fn files_in(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(folder).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn the_scan_finds_a_marker_that_is_there() {
    // The leak checks below prove something only if this one can fail.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("plain"), format!("x{VALUE_MARKER}x")).unwrap();
    let utf16: Vec<u8> = NAME_MARKER.encode_utf16().flat_map(u16::to_le_bytes).collect();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("sub/wide"), utf16).unwrap();
    let found = leaks_in(dir.path());
    assert_eq!(found.len(), 2, "{found:?}");
}

#[test]
fn nothing_typed_reaches_the_disk_through_a_whole_life_of_edits() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("vault");
    let path = folder.join("vault.db");
    let mut vault = Vault::create(&path, &Passphrase::new(PASS), KdfParams::insecure_for_tests()).unwrap();

    let a = vault.create_secret(new_secret("A", &format!("{VALUE_MARKER}_a1"))).unwrap().meta.id;
    let big = vault.create_secret(new_secret("BIG", &big_value())).unwrap().meta.id;
    let multi = vault.create_secret(new_secret("MULTI", &multi_line_value())).unwrap().meta.id;
    let gone = vault.create_secret(new_secret("GONE", &format!("{VALUE_MARKER}_gone"))).unwrap().meta.id;
    for v in 2..=5 {
        set_value(&mut vault, a, &format!("{VALUE_MARKER}_a{v}"));
    }
    set_value(&mut vault, big, &format!("{}{VALUE_MARKER}", big_value()));
    vault
        .edit(a, SecretEdit { name: None, description: Some(format!("{DESCRIPTION_MARKER} edited")), value: None })
        .unwrap();
    vault.edit(a, SecretEdit { name: Some(name("RENAMED")), ..SecretEdit::default() }).map(|s| s.meta).unwrap();
    vault.delete(&[gone]).unwrap();
    vault.restore(gone, None).unwrap();
    vault.delete(&[gone]).unwrap();
    vault.purge(gone).unwrap();
    // Projects and environments: named, renamed, filled, deleted, restored, deleted for good.
    let project = vault.create_project(&PlaceName::parse(&format!("{PROJECT_MARKER} shop")).unwrap()).unwrap();
    let env = vault.create_environment(project, &PlaceName::parse(&format!("{ENV_MARKER} qa")).unwrap()).unwrap();
    vault.rename_place(env, &PlaceName::parse(&format!("{ENV_MARKER} qa renamed")).unwrap()).unwrap();
    let in_env = Place { project, env: Some(env) };
    vault.set(&in_env, name("IN_ENV"), None, Some(SecretValue::new(format!("{VALUE_MARKER}_env")))).unwrap();
    let shared = Place::shared(project);
    vault.set(&shared, name("IN_ENV"), None, Some(SecretValue::new(format!("{VALUE_MARKER}_shared")))).unwrap();
    vault.delete_place(env).unwrap();
    vault.restore_place(env).unwrap();
    let other = vault.create_project(&PlaceName::parse(&format!("{PROJECT_MARKER} gone")).unwrap()).unwrap();
    vault.set(&Place::shared(other), name("GONE_TOO"), None, Some(SecretValue::new(VALUE_MARKER))).unwrap();
    vault.delete_place(other).unwrap();
    vault.delete(&[multi]).unwrap();
    assert_eq!(vault.empty_trash().unwrap(), 2, "MULTI, and the deleted project's secret");
    assert_eq!(vault.trashed_places().unwrap(), vec![], "and the project");
    vault.create_secret(new_secret("AFTER", &format!("{VALUE_MARKER}_after"))).unwrap();
    let file =
        format!("{NAME_MARKER}_IMPORTED=\"{VALUE_MARKER} imported\"\n{NAME_MARKER}_AFTER={VALUE_MARKER}_changed\n");
    let parsed = interchange::parse(Format::Env, file.as_bytes(), ParseOptions::default()).unwrap();
    let plan = plan_of(&vault, parsed, ConflictPolicy::Overwrite);
    vault.apply_import(plan).unwrap();
    vault.backup_now().unwrap().unwrap();
    vault.rotate_key(&Passphrase::new(PASS)).unwrap();
    vault.change_passphrase(&Passphrase::new(NEW_PASS), None).unwrap();
    set_value(&mut vault, big, &format!("{VALUE_MARKER} small again"));
    let backups = backup::list(&path).unwrap();
    let reasons: Vec<BackupReason> = backups.iter().map(|b| b.reason).collect();
    assert_eq!(
        reasons,
        [
            BackupReason::PassphraseChange,
            BackupReason::KeyRotation,
            BackupReason::Manual,
            BackupReason::Import,
            BackupReason::Purge,
        ],
        "the scans below cover a backup of every kind"
    );

    // Still open: the latest pages are in the -wal.
    let open_files = files_in(&folder);
    assert!(open_files.contains(&"vault.db-wal".to_owned()), "{open_files:?}");
    assert_eq!(leaks_in(&folder), Vec::<String>::new(), "while open");
    let wal = std::fs::metadata(folder.join("vault.db-wal")).unwrap().len();
    assert!(wal > 0, "the scan above saw WAL content");

    drop(vault);
    assert_eq!(leaks_in(&folder), Vec::<String>::new(), "after closing");

    // A restore, and the backup it makes first.
    let restored = Vault::restore_backup(&path, &backups[0].path, &Passphrase::new(NEW_PASS)).unwrap();
    assert!(restored.previous.is_some());
    restored.vault.lock();
    assert_eq!(leaks_in(&folder), Vec::<String>::new(), "after a restore");

    // And everything is still there to read.
    let vault = Vault::unlock(&path, &Passphrase::new(NEW_PASS)).unwrap();
    assert_eq!(vault.reveal_version(a, 1).unwrap().expose(), format!("{VALUE_MARKER}_a1"));
    assert_eq!(vault.reveal_version(big, 1).unwrap().expose(), big_value());
    assert_eq!(vault.find(&vault.default_place().unwrap(), &name("RENAMED")).unwrap().0, a);
}

/// Every column of every row of `table`, ordered by record id.
fn all_rows(conn: &Connection, table: &str) -> Vec<Vec<Value>> {
    let mut stmt = conn.prepare(&format!("SELECT * FROM {table} ORDER BY id")).unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| (0..n).map(|i| r.get(i)).collect()).unwrap().collect::<Result<_, _>>().unwrap()
}

fn header(conn: &Connection, column: &str) -> Value {
    conn.query_row(&format!("SELECT {column} FROM vault_header"), [], |r| r.get(0)).unwrap()
}

/// Every value in `values` reads back (a trashed secret is restored first, to be read).
fn assert_values(vault: &mut Vault, values: &[(SecretId, u32, String)]) {
    for trashed in vault.trash().unwrap().items {
        vault.restore(trashed.meta.id, None).unwrap();
    }
    for (id, version, value) in values {
        assert_eq!(vault.reveal_version(*id, *version).unwrap().expose(), value);
    }
}

/// A vault with three secrets, each with some history, one of them in the trash.
fn populated_vault() -> (tempfile::TempDir, PathBuf, Vault, Vec<(SecretId, u32, String)>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.db");
    let mut vault = Vault::create(&path, &Passphrase::new(PASS), KdfParams::insecure_for_tests()).unwrap();
    let mut values = Vec::new();
    for (suffix, versions) in [("X", 3), ("Y", 2), ("TRASHED", 2)] {
        let first = format!("{suffix}-v1");
        let id = vault.create_secret(new_secret(suffix, &first)).unwrap().meta.id;
        values.push((id, 1, first));
        for v in 2..=versions {
            let value = format!("{suffix}-v{v}");
            set_value(&mut vault, id, &value);
            values.push((id, v, value));
        }
        if suffix == "TRASHED" {
            vault.delete(&[id]).unwrap();
        }
    }
    (dir, path, vault, values)
}

#[test]
fn a_passphrase_change_rewrites_only_the_header() {
    let (_dir, path, mut vault, values) = populated_vault();
    let conn = Connection::open(&path).unwrap();
    let (secrets, history) = (all_rows(&conn, "secrets"), all_rows(&conn, "history"));
    assert_eq!((secrets.len(), history.len()), (3, 4));
    let before: Vec<Value> = ["vault_id", "key_id", "created", "record_set", "kdf_salt", "wrapped_key", "checksum"]
        .iter()
        .map(|c| header(&conn, c))
        .collect();

    vault.change_passphrase(&Passphrase::new(NEW_PASS), None).unwrap();

    assert_eq!(all_rows(&conn, "secrets"), secrets, "secret rows are byte-identical");
    assert_eq!(all_rows(&conn, "history"), history, "history rows are byte-identical");
    let after: Vec<Value> = ["vault_id", "key_id", "created", "record_set", "kdf_salt", "wrapped_key", "checksum"]
        .iter()
        .map(|c| header(&conn, c))
        .collect();
    assert_eq!(before[..3], after[..3], "ids and creation time stay");
    // The record set is sealed again by every write (its write counter goes up), rows unchanged.
    for (i, column) in ["record_set", "kdf_salt", "wrapped_key", "checksum"].iter().enumerate() {
        assert_ne!(before[3 + i], after[3 + i], "{column} is new");
    }
    drop((conn, vault));

    assert!(matches!(Vault::unlock(&path, &Passphrase::new(PASS)), Err(Error::WrongPassphrase)));
    let mut vault = Vault::unlock(&path, &Passphrase::new(NEW_PASS)).unwrap();
    assert_values(&mut vault, &values);
}

#[test]
fn rotating_the_key_rewrites_every_ciphertext_and_keeps_every_value() {
    let (_dir, path, mut vault, values) = populated_vault();
    let conn = Connection::open(&path).unwrap();
    let (secrets, history) = (all_rows(&conn, "secrets"), all_rows(&conn, "history"));
    let places: std::collections::HashMap<&str, _> =
        ["projects", "environments"].into_iter().map(|t| (t, all_rows(&conn, t))).collect();
    assert_eq!(places["environments"].len(), 3, "the default project's environments are covered");
    let key_id = header(&conn, "key_id");

    vault.rotate_key(&Passphrase::new(PASS)).unwrap();

    let (new_secrets, new_history) = (all_rows(&conn, "secrets"), all_rows(&conn, "history"));
    assert_eq!((new_secrets.len(), new_history.len()), (secrets.len(), history.len()));
    // secrets: id 0, place 1, name_index 2, …, name 10, description 11, value 12. history: id
    // 0, value 5. projects: id 0, name_index 1, …, name 8; environments: id 0, name_index 2, …,
    // name 8.
    for (old, new) in secrets.iter().zip(&new_secrets) {
        assert_eq!(old[0], new[0], "same record");
        assert_eq!(old[1], new[1], "same place");
        for (column, what) in [(2, "name_index"), (10, "name"), (11, "description"), (12, "value")] {
            assert_ne!(old[column], new[column], "{what} was not rewritten");
        }
    }
    for (table, index) in [("projects", 1), ("environments", 2)] {
        for (old, new) in places[table].iter().zip(&all_rows(&conn, table)) {
            assert_eq!(old[0], new[0], "same {table} record");
            assert_ne!(old[index], new[index], "{table} name_index was not rewritten");
            assert_ne!(old[8], new[8], "{table} name was not rewritten");
        }
    }
    for (old, new) in history.iter().zip(&new_history) {
        assert_eq!(old[0], new[0], "same record");
        assert_ne!(old[5], new[5], "history value was not rewritten");
    }
    assert_ne!(header(&conn, "key_id"), key_id);
    drop(conn);

    drop(vault);
    let mut vault = Vault::unlock(&path, &Passphrase::new(PASS)).unwrap();
    assert_eq!(vault.trash().unwrap().items.len(), 1, "the trashed secret is still in the trash");
    assert_values(&mut vault, &values);
}

#[cfg(unix)]
#[test]
fn the_vault_folder_and_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let outer = dir.path().join("new");
    let folder = outer.join("deeper");
    let path = folder.join("vault.db");
    let mut vault = Vault::create(&path, &Passphrase::new(PASS), KdfParams::insecure_for_tests()).unwrap();
    vault.create_secret(new_secret("K", "v")).unwrap();
    assert_eq!(mode(&outer), 0o700, "every folder the vault created");
    assert_eq!(mode(&folder), 0o700);
    assert_eq!(mode(&path), 0o600);
    let sidecars: Vec<PathBuf> =
        ["vault.db-wal", "vault.db-shm"].iter().map(|s| folder.join(s)).filter(|p| p.exists()).collect();
    assert!(!sidecars.is_empty(), "an open WAL vault has its -wal and -shm");
    for p in &sidecars {
        assert_eq!(mode(p) & 0o077, 0, "{} is readable by others: {:o}", p.display(), mode(p));
    }
    drop(vault);
    // Reopening keeps it so.
    let vault = Vault::unlock(&path, &Passphrase::new(PASS)).unwrap();
    for p in ["vault.db", "vault.db-wal", "vault.db-shm"].iter().map(|s| folder.join(s)).filter(|p| p.exists()) {
        assert_eq!(mode(&p) & 0o077, 0, "{}: {:o}", p.display(), mode(&p));
    }
    drop(vault);
}

// ---- what is printed -----------------------------------------------------------------------

#[test]
fn debug_output_of_secrets_and_keys_is_redacted() {
    let value = format!("{VALUE_MARKER}-value");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.db");
    let mut vault = Vault::create(&path, &Passphrase::new(PASS), KdfParams::insecure_for_tests()).unwrap();
    vault.create_secret(new_secret("K", &value)).unwrap();
    let key_bytes = [0xAB; 32];
    let printed = [
        format!("{:?}", Passphrase::new(PASS)),
        format!("{:?}", SecretValue::new(value.clone())),
        format!("{vault:?}"),
        format!("{:?}", Key32::from_bytes(key_bytes)),
        format!("{:?}", VaultKeys::from_vault_key(Key32::from_bytes(key_bytes))),
    ];
    for p in &printed {
        assert!(p.contains("[redacted]"), "{p}");
    }
    let composite = [
        format!("{:?}", new_secret("K", &value)),
        format!("{:?}", SecretEdit { name: None, description: None, value: Some(SecretValue::new(value.clone())) }),
        format!("{:#?}", vault.reveal(vault.find(&vault.default_place().unwrap(), &name("K")).unwrap().0).unwrap()),
    ];
    for p in printed.iter().chain(&composite) {
        assert!(!p.contains(VALUE_MARKER) && !p.contains("MARKERPASS3W"), "{p}");
    }
    for p in &printed[3..] {
        // 0xAB is 171: neither spelling of the key bytes may show.
        assert!(!p.contains("171") && !p.to_lowercase().contains("ab"), "key bytes in {p}");
    }
}

#[test]
fn no_error_message_contains_a_value_or_a_passphrase() {
    let value = format!("{VALUE_MARKER}-in-an-error");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.db");
    let mut vault = Vault::create(&path, &Passphrase::new(PASS), KdfParams::insecure_for_tests()).unwrap();
    let k = vault.create_secret(new_secret("K", &value)).unwrap().meta.id;
    set_value(&mut vault, k, &format!("{value}-2"));
    let mut errors: Vec<Error> = Vec::new();

    errors.push(vault.create_secret(new_secret("K", &value)).unwrap_err());
    let too_big = format!("{value}{}", "x".repeat(4 * 1024 * 1024));
    errors.push(vault.create_secret(new_secret("BIG", &too_big)).unwrap_err());
    errors.push(vault.create_secret(new_secret("EMPTY", "")).unwrap_err());
    let multi_line = NewSecret { description: format!("{value}\nsecond line"), ..new_secret("D", &value) };
    errors.push(vault.create_secret(multi_line).unwrap_err());
    errors.push(vault.find(&vault.default_place().unwrap(), &name("MISSING")).map(|(id, _)| id).unwrap_err());
    errors.push(vault.reveal_version(k, 9).unwrap_err());
    errors.push(vault.purge(k).unwrap_err());
    errors.push(vault.verify_passphrase(&Passphrase::new(format!("{value} as a passphrase"))).unwrap_err());
    errors.push(vault.rotate_key(&Passphrase::new(format!("{value} wrong"))).unwrap_err());
    errors.push(vault.change_passphrase(&Passphrase::new(""), None).unwrap_err());
    let weak = KdfParams { memory_kib: 1024, iterations: 1, parallelism: 1 };
    errors.push(vault.change_passphrase(&Passphrase::new(value.clone()), Some(weak)).unwrap_err());
    drop(vault);
    errors.push(Vault::unlock(&path, &Passphrase::new(value.clone())).unwrap_err());
    errors.push(Vault::create(&path, &Passphrase::new(PASS), KdfParams::insecure_for_tests()).unwrap_err());
    errors.push(Vault::unlock(&dir.path().join("none.db"), &Passphrase::new(PASS)).unwrap_err());

    // Damaged records: the current value and the history entry (one flipped byte in the body
    // of each ciphertext, past its nonce).
    {
        let conn = Connection::open(&path).unwrap();
        for table in ["secrets", "history"] {
            let rows: Vec<(Vec<u8>, Vec<u8>)> = {
                let mut stmt = conn.prepare(&format!("SELECT id, value FROM {table}")).unwrap();
                stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
            };
            for (id, mut value) in rows {
                value[tresor::vault::crypto::NONCE_LEN] ^= 1;
                conn.execute(&format!("UPDATE {table} SET value = ?1 WHERE id = ?2"), rusqlite::params![value, id])
                    .unwrap();
            }
        }
    }
    let vault = Vault::unlock(&path, &Passphrase::new(PASS)).unwrap();
    errors.push(vault.reveal(k).unwrap_err());
    errors.push(vault.reveal_version(k, 1).unwrap_err());
    drop(vault);
    // A tampered record set, salvage's refusal to write, and a damaged header.
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("UPDATE secrets SET modified = modified + 1").unwrap();
    }
    errors.push(Vault::unlock(&path, &Passphrase::new(PASS)).unwrap_err());
    let mut salvage = Vault::unlock_for_salvage(&path, &Passphrase::new(PASS)).unwrap();
    errors.push(salvage.create_secret(new_secret("NEW", &value)).unwrap_err());
    drop(salvage);
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("UPDATE vault_header SET created = created + 1").unwrap();
    }
    errors.push(Vault::unlock(&path, &Passphrase::new(PASS)).unwrap_err());

    let kinds: Vec<String> =
        errors.iter().map(|e| format!("{e:?}").split([' ', '(', '{']).next().unwrap().to_owned()).collect();
    for expected in [
        "NameTaken",
        "InvalidValue",
        "InvalidDescription",
        "NotFound",
        "VersionNotFound",
        "NotInTrash",
        "WrongPassphrase",
        "EmptyPassphrase",
        "KdfTooWeak",
        "AlreadyExists",
        "NoVault",
        "CorruptRecord",
        "RecordSetTampered",
        "SalvageReadOnly",
        "CorruptHeader",
    ] {
        assert!(kinds.iter().any(|k| k == expected), "no {expected} among {kinds:?}");
    }
    for e in &errors {
        for text in [e.to_string(), format!("{e:?}")] {
            assert!(!text.contains(VALUE_MARKER), "a value leaked: {text}");
            assert!(!text.contains("MARKERPASS3W"), "the passphrase leaked: {text}");
        }
    }
}

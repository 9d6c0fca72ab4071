//! An attacker who can write the vault file and holds old copies of it — Tresor's own backups,
//! a sync tool's history, file-system snapshots — but not the passphrase. Whatever rows and
//! header values of any number of those copies are combined into the live file, the next unlock
//! must fail with the tamper error (exit 5 from the real binary), never print an old value.
//!
//! Each attack works on the real files with plain SQL, generically: it reads whole rows (every
//! column) and header values from the copies, so it does not depend on the format's details.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use rusqlite::Connection;
use rusqlite::types::Value;
use tresor::vault::HISTORY_LIMIT;
use tresor::vault::store::FORMAT_VERSION;
use tresor::{KdfParams, Passphrase, SecretName, SecretValue, Vault};

const PASS: &str = "correct horse battery staple";

/// A folder with the victim's vault, its passphrase file and the attacker's copies.
struct Scene {
    dir: tempfile::TempDir,
    copies: Vec<PathBuf>,
}

impl Scene {
    fn new() -> (Scene, Vault) {
        let dir = tempfile::tempdir().unwrap();
        let vault =
            Vault::create(&dir.path().join("vault.db"), &Passphrase::new(PASS), KdfParams::insecure_for_tests())
                .unwrap();
        let pass = dir.path().join("pass");
        std::fs::write(&pass, format!("{PASS}\n")).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        (Scene { dir, copies: Vec::new() }, vault)
    }

    fn vault_path(&self) -> PathBuf {
        self.dir.path().join("vault.db")
    }

    /// Closes the vault (SQLite folds its WAL into the file) and keeps a copy of the file, as a
    /// sync tool or a backup would; reopens it.
    fn snapshot(&mut self, vault: Vault) -> Vault {
        drop(vault);
        let copy = self.dir.path().join(format!("copy-{}.db", self.copies.len()));
        std::fs::copy(self.vault_path(), &copy).unwrap();
        self.copies.push(copy);
        Vault::unlock(&self.vault_path(), &Passphrase::new(PASS)).unwrap()
    }

    /// Runs the real binary on the vault: (exit code, stdout, stderr).
    fn tresor(&self, args: &[&str]) -> (Option<i32>, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_tresor"))
            .arg("--vault")
            .arg(self.vault_path())
            .arg("--passphrase-file")
            .arg(self.dir.path().join("pass"))
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

fn set(vault: &mut Vault, name: &str, value: &str) {
    vault
        .set(&vault.default_place().unwrap(), SecretName::parse(name).unwrap(), None, Some(SecretValue::new(value)))
        .unwrap();
}

/// Every row of `table` as the tuple of all its columns.
type Row = Vec<ValueKey>;

/// A column value that can be compared and put in a set.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum ValueKey {
    Null,
    Integer(i64),
    Text(String),
    Blob(Vec<u8>),
}

impl From<Value> for ValueKey {
    fn from(v: Value) -> Self {
        match v {
            Value::Null => ValueKey::Null,
            Value::Integer(i) => ValueKey::Integer(i),
            Value::Real(r) => ValueKey::Integer(r as i64),
            Value::Text(t) => ValueKey::Text(t),
            Value::Blob(b) => ValueKey::Blob(b),
        }
    }
}

impl From<&ValueKey> for Value {
    fn from(v: &ValueKey) -> Self {
        match v {
            ValueKey::Null => Value::Null,
            ValueKey::Integer(i) => Value::Integer(*i),
            ValueKey::Text(t) => Value::Text(t.clone()),
            ValueKey::Blob(b) => Value::Blob(b.clone()),
        }
    }
}

/// The record tables: every table but the header.
fn record_tables(conn: &Connection) -> Vec<String> {
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'vault_header' ORDER BY name")
        .unwrap();
    stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

fn rows(path: &Path, table: &str) -> BTreeSet<Row> {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn.prepare(&format!("SELECT * FROM {table}")).unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| (0..n).map(|i| r.get::<_, Value>(i).map(ValueKey::from)).collect())
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// The header's columns and values.
fn header(path: &Path) -> Vec<(String, ValueKey)> {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn.prepare("SELECT * FROM vault_header").unwrap();
    let names: Vec<String> = stmt.column_names().map(str::to_owned).collect();
    let values: Vec<ValueKey> =
        stmt.query_row([], |r| (0..names.len()).map(|i| r.get::<_, Value>(i).map(ValueKey::from)).collect()).unwrap();
    names.into_iter().zip(values).collect()
}

fn xor(a: &ValueKey, b: &ValueKey) -> ValueKey {
    match (a, b) {
        (ValueKey::Blob(a), ValueKey::Blob(b)) if a.len() == b.len() => {
            ValueKey::Blob(a.iter().zip(b).map(|(x, y)| x ^ y).collect())
        }
        _ => a.clone(),
    }
}

/// Writes into the vault file, for every record table, the symmetric difference of the rows of
/// the copies `use_copies` (what a linear set MAC would certify), and sets each header column in
/// which those copies differ to `header_value(values of the copies)`. `false`: that set of rows
/// cannot be put in one file (two rows with one primary key), so there is nothing to try.
fn forge(scene: &Scene, use_copies: &[usize], header_value: impl Fn(&[ValueKey]) -> ValueKey) -> bool {
    let live = scene.vault_path();
    let conn = Connection::open(&live).unwrap();
    conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
    for table in record_tables(&conn) {
        let mut target: BTreeSet<Row> = BTreeSet::new();
        for &i in use_copies {
            target = target.symmetric_difference(&rows(&scene.copies[i], &table)).cloned().collect();
        }
        conn.execute(&format!("DELETE FROM {table}"), []).unwrap();
        for row in &target {
            let marks = vec!["?"; row.len()].join(", ");
            let values: Vec<Value> = row.iter().map(Value::from).collect();
            if conn
                .execute(&format!("INSERT INTO {table} VALUES ({marks})"), rusqlite::params_from_iter(values))
                .is_err()
            {
                return false;
            }
        }
    }
    let headers: Vec<Vec<(String, ValueKey)>> = use_copies.iter().map(|&i| header(&scene.copies[i])).collect();
    for (column, _) in &headers[0] {
        let values: Vec<ValueKey> =
            headers.iter().map(|h| h.iter().find(|(c, _)| c == column).unwrap().1.clone()).collect();
        if values.windows(2).any(|w| w[0] != w[1]) {
            let value = Value::from(&header_value(&values));
            conn.execute(&format!("UPDATE vault_header SET {column} = ?1"), [value]).unwrap();
        }
    }
    true
}

/// Every way an attacker may fill in the header from the copies: the XOR of their values (a
/// linear MAC's forgery), or any one copy's values as they are.
/// How a header column is made from the copies' values.
type HeaderStrategy = Box<dyn Fn(&[ValueKey]) -> ValueKey>;

fn header_strategies(n: usize) -> Vec<(String, HeaderStrategy)> {
    let mut out: Vec<(String, HeaderStrategy)> =
        vec![("xor".into(), Box::new(|v: &[ValueKey]| v[1..].iter().fold(v[0].clone(), |acc, x| xor(&acc, x))))];
    for i in 0..n {
        out.push((format!("copy {i}"), Box::new(move |v: &[ValueKey]| v[i].clone())));
    }
    out
}

/// Runs one forgery per header strategy on a fresh copy of the live file, and checks that the
/// binary refuses each with the tamper error and prints nothing.
fn assert_every_forgery_is_refused(scene: &Scene, use_copies: &[usize], reads: &[&[&str]]) {
    let live = scene.vault_path();
    let original = std::fs::read(&live).unwrap();
    let mut tried = 0;
    for (strategy, value) in header_strategies(use_copies.len()) {
        std::fs::write(&live, &original).unwrap();
        if !forge(scene, use_copies, value) {
            continue;
        }
        tried += 1;
        for args in reads {
            let (code, out, err) = scene.tresor(args);
            assert_eq!(
                (code, out.as_str()),
                (Some(5), ""),
                "format v{FORMAT_VERSION}: copies {use_copies:?}, header by {strategy}: `tresor {}` must fail as \
                 tampered; stderr: {err}",
                args.join(" ")
            );
        }
    }
    std::fs::write(&live, &original).unwrap();
    assert!(tried > 0, "no forgery could be built from copies {use_copies:?}: the test would prove nothing");
}

#[test]
fn three_copies_cannot_bring_back_a_rotated_value_nor_delete_its_history_rows() {
    let (mut scene, mut vault) = Scene::new();
    set(&mut vault, "A", "a-leaked-v1");
    set(&mut vault, "B", "b-v1");
    vault = scene.snapshot(vault);
    set(&mut vault, "A", "a-rotated-v2");
    vault = scene.snapshot(vault);
    set(&mut vault, "B", "b-v2");
    vault = scene.snapshot(vault);
    drop(vault);
    // copy0 Δ copy1 Δ copy2 = {A at v1, B at v2, B's history}: A rolled back to the leaked value,
    // and A's history rows deleted (`history A` would show version 1 only).
    assert_every_forgery_is_refused(&scene, &[0, 1, 2], &[&["get", "A"], &["get", "B"], &["history", "A"]]);
    assert_eq!(scene.tresor(&["get", "A"]).1, "a-rotated-v2", "the untouched vault still reads");
}

#[test]
fn copies_cannot_bring_back_a_purged_secret() {
    let (mut scene, mut vault) = Scene::new();
    set(&mut vault, "KEEP", "keep-v1");
    set(&mut vault, "PURGED", "purged-value");
    vault = scene.snapshot(vault);
    let id = vault.find(&vault.default_place().unwrap(), &SecretName::parse("PURGED").unwrap()).unwrap().0;
    vault.delete(&[id]).unwrap();
    vault.purge(id).unwrap();
    vault = scene.snapshot(vault);
    set(&mut vault, "LATER", "later-v1");
    vault = scene.snapshot(vault);
    drop(vault);
    // copy0 Δ copy1 Δ copy2 = {KEEP, PURGED, LATER}: the purged secret is back beside the newer one.
    assert_every_forgery_is_refused(&scene, &[0, 1, 2], &[&["get", "PURGED"], &["list"]]);
}

#[test]
fn a_value_from_the_backup_made_before_a_restore_does_not_open_in_the_restored_vault() {
    let (mut scene, mut vault) = Scene::new();
    set(&mut vault, "A", "a-v1");
    let first = vault.backup_now().unwrap().unwrap();
    set(&mut vault, "A", "a-v2-leaked");
    drop(vault);
    // Restoring backs the current state (v2) up first: the attacker's copy of v2.
    let restored = Vault::restore_backup(&scene.vault_path(), &first.path, &Passphrase::new(PASS)).unwrap();
    let pre_restore = restored.previous.clone().expect("the state before the restore was backed up");
    let mut vault = restored.vault;
    set(&mut vault, "A", "a-v3");
    drop(vault);
    scene.copies.push(pre_restore.path.clone());

    // Swap every ciphertext column of A's row for the pre-restore backup's (same record id).
    let live = scene.vault_path();
    let original = std::fs::read(&live).unwrap();
    let old = Connection::open(&pre_restore.path).unwrap();
    let columns: Vec<String> = {
        let conn = Connection::open(&live).unwrap();
        let mut stmt = conn.prepare("SELECT name, type FROM pragma_table_info('secrets')").unwrap();
        stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .filter(|(name, kind)| kind == "BLOB" && name != "id")
            .map(|(name, _)| name)
            .collect()
    };
    let ids: Vec<Vec<u8>> = {
        let mut stmt = old.prepare("SELECT id FROM secrets").unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    let mut swapped = 0;
    for column in &columns {
        std::fs::write(&live, &original).unwrap();
        let conn = Connection::open(&live).unwrap();
        for id in &ids {
            let blob: Vec<u8> =
                old.query_row(&format!("SELECT {column} FROM secrets WHERE id = ?1"), [id], |r| r.get(0)).unwrap();
            let now: Vec<u8> =
                conn.query_row(&format!("SELECT {column} FROM secrets WHERE id = ?1"), [id], |r| r.get(0)).unwrap();
            if now == blob {
                continue; // the same bytes in both (the name's blind index): nothing to swap
            }
            swapped += 1;
            conn.execute(&format!("UPDATE secrets SET {column} = ?1 WHERE id = ?2"), rusqlite::params![blob, id])
                .unwrap();
        }
        drop(conn);
        if swapped == 0 {
            continue;
        }
        let (code, out, err) = scene.tresor(&["get", "A"]);
        assert_eq!((code, out.as_str()), (Some(5), ""), "swapped column {column}: {err}");
        swapped = 0;
    }
    std::fs::write(&live, &original).unwrap();
    let (code, out, err) = scene.tresor(&["get", "A"]);
    assert_eq!((code, out.as_str()), (Some(0), "a-v3"), "{err}");
}

#[test]
fn rotating_the_key_does_not_launder_rows_put_back_while_the_vault_was_open() {
    let (mut scene, mut vault) = Scene::new();
    set(&mut vault, "A", "a-leaked-v1");
    vault = scene.snapshot(vault);
    set(&mut vault, "A", "a-rotated-v2");
    // While this vault stays open (its check ran at unlock), someone puts A's old row back.
    let old = Connection::open(&scene.copies[0]).unwrap();
    let old_row: Vec<Value> = {
        let mut stmt = old.prepare("SELECT * FROM secrets").unwrap();
        let n = stmt.column_count();
        stmt.query_row([], |r| (0..n).map(|i| r.get(i)).collect()).unwrap()
    };
    let live = Connection::open(scene.vault_path()).unwrap();
    live.execute_batch("PRAGMA foreign_keys = OFF; DELETE FROM history; DELETE FROM secrets").unwrap();
    let marks = vec!["?"; old_row.len()].join(", ");
    live.execute(&format!("INSERT INTO secrets VALUES ({marks})"), rusqlite::params_from_iter(&old_row)).unwrap();
    drop(live);
    // Rotating the key re-seals every row: it must refuse rows its record set does not certify.
    let rotated = vault.rotate_key(&Passphrase::new(PASS));
    assert!(matches!(rotated, Err(tresor::Error::RecordSetTampered)), "{rotated:?}");
    drop(vault);
    let (code, out, _) = scene.tresor(&["get", "A"]);
    assert_eq!((code, out.as_str()), (Some(5), ""));
}

#[test]
fn a_pruned_history_entry_put_back_from_an_old_copy_is_refused_when_the_history_is_read() {
    let (mut scene, mut vault) = Scene::new();
    // Versions 1 to 21: the history holds 1 to 20.
    for v in 1..=HISTORY_LIMIT + 1 {
        set(&mut vault, "A", &format!("a-v{v}"));
    }
    vault = scene.snapshot(vault);
    // Version 22 pushes 21 into the history and prunes 1 (say, a key that later leaked).
    set(&mut vault, "A", "a-v22");
    drop(vault);
    let live = scene.vault_path();
    let original = std::fs::read(&live).unwrap();

    // The attacker deletes the newest history row and puts version 1's row back from the copy:
    // as many rows as before, every ciphertext genuine and under the current key.
    let pruned: Vec<Value> = {
        let old = Connection::open(&scene.copies[0]).unwrap();
        let mut stmt = old.prepare("SELECT * FROM history WHERE version = 1").unwrap();
        let n = stmt.column_count();
        stmt.query_row([], |r| (0..n).map(|i| r.get(i)).collect()).unwrap()
    };
    let conn = Connection::open(&live).unwrap();
    let newest = (HISTORY_LIMIT + 1) as i64;
    assert_eq!(conn.execute("DELETE FROM history WHERE version = ?1", [newest]).unwrap(), 1);
    let marks = vec!["?"; pruned.len()].join(", ");
    conn.execute(&format!("INSERT INTO history VALUES ({marks})"), rusqlite::params_from_iter(&pruned)).unwrap();
    drop(conn);

    // The history rows are counted at unlock, and checked against A's row when they are read:
    // the current value still reads, the history and every earlier value are refused.
    assert_eq!(scene.tresor(&["get", "A"]).0, Some(0));
    for args in [&["get", "A", "--version", "1"][..], &["get", "A", "--version", "2"], &["history", "A"]] {
        let (code, out, err) = scene.tresor(args);
        assert_eq!((code, out.as_str()), (Some(5), ""), "`tresor {}`: {err}", args.join(" "));
    }
    // A restore checks every history: the forged file is refused as a backup too.
    let forged = scene.dir.path().join("forged.db");
    std::fs::copy(&live, &forged).unwrap();
    std::fs::write(&live, &original).unwrap();
    let restored = Vault::restore_backup(&live, &forged, &Passphrase::new(PASS));
    assert!(matches!(restored, Err(tresor::Error::RecordSetTampered)), "{:?}", restored.map(|_| ()));
    assert_eq!(scene.tresor(&["get", "A", "--version", "2"]).1, "a-v2", "the untouched vault still reads");
}

//! Someone edits the vault file behind Tresor's back: a flipped bit on disk, a swapped or
//! rolled-back row, a doctored header, or a file that is no vault at all. Every case must be
//! detected and reported as the error that says what happened, through the API and the binary.
//!
//! Each case works on a fresh copy of one template vault's bytes (no Argon2 run per case), edited
//! with plain SQL, as an attacker with write access to the file would.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rusqlite::{Connection, params};
use sha2::{Digest, Sha256};
use tresor::vault::crypto::{NONCE_LEN, TAG_LEN};
use tresor::{Error, KdfParams, NewSecret, Passphrase, SecretEdit, SecretId, SecretName, SecretValue, Vault};

mod common;
use common::{checksum_of, write_private};

const PASS: &str = "correct horse battery staple";
const ALPHA_V1: &str = "alpha-value-1-S3CRETMARK";
const ALPHA_V2: &str = "alpha-value-2-S3CRETMARK";
const BETA_V1: &str = "beta-value-1-S3CRETMARK";
const BETA_V2: &str = "beta-value-2-S3CRETMARK";

// ---- the template vault -------------------------------------------------------------------

/// ALPHA and BETA each have a current value (revision 2) and one history entry (version 1);
/// BIG has a 100 KiB value that spans SQLite overflow pages.
struct Template {
    bytes: Vec<u8>,
    alpha: SecretId,
    beta: SecretId,
    big: SecretId,
    alpha_history: [u8; 16],
    beta_history: [u8; 16],
    /// ALPHA's value ciphertext as it was before its update (revision 1).
    alpha_value_rev1: Vec<u8>,
    big_value: String,
}

fn template() -> &'static Template {
    static TEMPLATE: OnceLock<Template> = OnceLock::new();
    TEMPLATE.get_or_init(build_template)
}

fn build_template() -> Template {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.db");
    let mut vault = Vault::create(&path, &Passphrase::new(PASS), KdfParams::insecure_for_tests()).unwrap();
    let big_value: String = (0..100 * 1024).map(|i| char::from(b'a' + (i * 7 % 26) as u8)).collect();
    let alpha = vault.create_secret(new_secret("ALPHA", "first description", ALPHA_V1)).unwrap().meta.id;
    let alpha_value_rev1 = {
        let conn = Connection::open(&path).unwrap();
        get_blob(&conn, Cell::secret(alpha, "value"))
    };
    vault.edit(alpha, SecretEdit { name: None, description: None, value: Some(SecretValue::new(ALPHA_V2)) }).unwrap();
    let beta = vault.create_secret(new_secret("BETA", "second description", BETA_V1)).unwrap().meta.id;
    vault.edit(beta, SecretEdit { name: None, description: None, value: Some(SecretValue::new(BETA_V2)) }).unwrap();
    let big = vault.create_secret(new_secret("BIG", "", &big_value)).unwrap().meta.id;
    drop(vault);
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    assert!(!Path::new(&wal).exists(), "closing the last connection checkpoints: the main file is the whole vault");
    let conn = Connection::open(&path).unwrap();
    let history_of = |id: SecretId| -> [u8; 16] {
        let v: Vec<u8> = conn
            .query_row("SELECT id FROM history WHERE secret_id = ?1 AND version = 1", [id.as_bytes().as_slice()], |r| {
                r.get(0)
            })
            .unwrap();
        v.try_into().unwrap()
    };
    let (alpha_history, beta_history) = (history_of(alpha), history_of(beta));
    drop(conn);
    Template {
        bytes: std::fs::read(&path).unwrap(),
        alpha,
        beta,
        big,
        alpha_history,
        beta_history,
        alpha_value_rev1,
        big_value,
    }
}

fn new_secret(name: &str, description: &str, value: &str) -> NewSecret {
    NewSecret {
        name: SecretName::parse(name).unwrap(),
        description: description.into(),
        value: SecretValue::new(value),
    }
}

/// A fresh copy of the template in its own folder.
struct Copy {
    dir: tempfile::TempDir,
    path: PathBuf,
}

fn fresh_copy() -> Copy {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.db");
    std::fs::write(&path, &template().bytes).unwrap();
    Copy { dir, path }
}

/// Edits the file with plain SQL, as anyone with write access to it could.
fn edit(path: &Path, change: impl FnOnce(&Connection)) {
    let conn = Connection::open(path).unwrap();
    conn.pragma_update(None, "synchronous", "OFF").unwrap();
    // An attacker's SQLite does not enforce Tresor's foreign keys either.
    conn.pragma_update(None, "foreign_keys", "OFF").unwrap();
    change(&conn);
}

/// One ciphertext or key cell: a column of the row whose `id` is `id`.
#[derive(Clone, Copy, Debug)]
struct Cell {
    table: &'static str,
    column: &'static str,
    id: [u8; 16],
}

impl Cell {
    fn secret(id: SecretId, column: &'static str) -> Cell {
        Cell { table: "secrets", column, id: *id.as_bytes() }
    }
    fn history(id: [u8; 16]) -> Cell {
        Cell { table: "history", column: "value", id }
    }
}

fn get_blob(conn: &Connection, cell: Cell) -> Vec<u8> {
    let sql = format!("SELECT {} FROM {} WHERE id = ?1", cell.column, cell.table);
    conn.query_row(&sql, [cell.id.as_slice()], |r| r.get(0)).unwrap()
}

fn set_blob(conn: &Connection, cell: Cell, bytes: &[u8]) {
    let sql = format!("UPDATE {} SET {} = ?1 WHERE id = ?2", cell.table, cell.column);
    assert_eq!(conn.execute(&sql, params![bytes, cell.id.as_slice()]).unwrap(), 1);
}

fn header_blob(conn: &Connection, column: &str) -> Vec<u8> {
    conn.query_row(&format!("SELECT {column} FROM vault_header WHERE id = 1"), [], |r| r.get(0)).unwrap()
}

fn set_header(conn: &Connection, column: &str, value: impl rusqlite::ToSql) {
    let sql = format!("UPDATE vault_header SET {column} = ?1 WHERE id = 1");
    assert_eq!(conn.execute(&sql, [value]).unwrap(), 1);
}

/// Flips one bit of byte `position` (a different bit for neighbouring positions).
fn flip(bytes: &mut [u8], position: usize) {
    bytes[position] ^= 1 << (position % 8);
}

fn unlock(path: &Path) -> tresor::Result<Vault> {
    Vault::unlock(path, &Passphrase::new(PASS))
}

/// A ciphertext moved, swapped or replaced changes its nonce and tag, which its row's term in the
/// record set covers (format v2): the vault refuses to unlock as tampered. Opened read-only for
/// salvage, the field that was hit then names its record when it is read.
#[track_caller]
fn refused_then_salvaged(path: &Path) -> Vault {
    match unlock(path) {
        Err(Error::RecordSetTampered) => {}
        other => panic!("expected the tamper error at unlock, got {other:?}"),
    }
    Vault::unlock_for_salvage(path, &Passphrase::new(PASS)).unwrap()
}

/// A history row changed in place (rolled back, swapped, damaged in its nonce or tag): the vault
/// unlocks, since an unlock counts the history rows but reads only the secrets, and reading that
/// secret's history is refused as tampered, however it is read. Opened read-only for salvage,
/// the field that was hit then names its record when it is read.
#[track_caller]
fn history_refused_then_salvaged(path: &Path, secret: SecretId) -> Vault {
    let vault = unlock(path).unwrap_or_else(|e| panic!("a history row changed in place still unlocks: {e}"));
    assert!(matches!(vault.history(secret), Err(Error::RecordSetTampered)), "history");
    assert!(matches!(vault.reveal_version(secret, 1), Err(Error::RecordSetTampered)), "reveal_version");
    drop(vault);
    Vault::unlock_for_salvage(path, &Passphrase::new(PASS)).unwrap()
}

/// The secret a history row belongs to.
fn owner_of_history(path: &Path, history: [u8; 16]) -> SecretId {
    let conn = Connection::open(path).unwrap();
    let owner: Vec<u8> =
        conn.query_row("SELECT secret_id FROM history WHERE id = ?1", [history.as_slice()], |r| r.get(0)).unwrap();
    let t = template();
    [t.alpha, t.beta, t.big].into_iter().find(|id| id.as_bytes().as_slice() == owner).expect("a secret of the template")
}

/// The record and field a [`Error::CorruptRecord`] names; panics on any other outcome.
#[track_caller]
fn corrupt_record<T: std::fmt::Debug>(result: tresor::Result<T>) -> (String, &'static str) {
    match result {
        Err(Error::CorruptRecord { record, field }) => (record, field),
        other => panic!("expected a damaged-record error, got {other:?}"),
    }
}

/// `CorruptRecord` naming ALPHA by name and id, for `field`.
#[track_caller]
fn assert_alpha_damaged<T: std::fmt::Debug>(result: tresor::Result<T>, field: &str) {
    let t = template();
    let (record, got_field) = corrupt_record(result);
    assert_eq!(got_field, field);
    assert!(record.contains("ALPHA") && record.contains(&t.alpha.to_hex()), "record named {record:?}");
}

/// The stored length of a sealed field holding `len` bytes: nonce, padded plaintext, tag.
fn sealed_len(len: usize) -> usize {
    NONCE_LEN + tresor::vault::crypto::padded_len(len) + TAG_LEN
}

/// Every byte position of a ciphertext `len` bytes long, or for a big one a spread that still
/// takes every nonce and tag byte and the first and last ciphertext bytes.
fn positions(len: usize) -> Vec<usize> {
    if len <= 256 {
        return (0..len).collect();
    }
    let mut p: Vec<usize> = (0..NONCE_LEN + 16).collect();
    p.extend((NONCE_LEN + 16..len - TAG_LEN - 16).step_by(4099));
    p.extend(len - TAG_LEN - 16..len);
    p
}

/// Runs `check` on a fresh copy with byte `position` of `cell` flipped, for every position.
/// Returns how many positions were tried.
fn each_flipped_byte(cell: Cell, check: impl Fn(&Vault, usize)) -> usize {
    let len = {
        let copy = fresh_copy();
        let conn = Connection::open(&copy.path).unwrap();
        get_blob(&conn, cell).len()
    };
    assert!(len > NONCE_LEN + TAG_LEN, "{cell:?} holds a sealed field");
    let positions = positions(len);
    for &position in &positions {
        let copy = fresh_copy();
        edit(&copy.path, |conn| {
            let mut bytes = get_blob(conn, cell);
            flip(&mut bytes, position);
            set_blob(conn, cell, &bytes);
        });
        // A flipped byte in the body of a ciphertext (damage): the vault unlocks, and the one field
        // that was hit says so when it is read. In its nonce or tag, which the record set covers:
        // the vault refuses to unlock as tampered (a history row: its secret's history is
        // refused), and salvage names the field.
        let in_body = (NONCE_LEN..len - TAG_LEN).contains(&position);
        let vault = if in_body {
            unlock(&copy.path).unwrap_or_else(|e| panic!("{cell:?} byte {position}: {e}"))
        } else if cell.table == "history" {
            history_refused_then_salvaged(&copy.path, owner_of_history(&copy.path, cell.id))
        } else {
            refused_then_salvaged(&copy.path)
        };
        check(&vault, position);
    }
    positions.len()
}

// ---- flipped bytes in record ciphertexts ---------------------------------------------------

#[test]
fn every_flipped_byte_of_a_secret_name_is_detected_and_the_record_is_named_by_its_id() {
    let t = template();
    let tried = each_flipped_byte(Cell::secret(t.alpha, "name"), |vault, position| {
        let (record, field) = corrupt_record(vault.meta(t.alpha));
        assert_eq!(field, "name", "byte {position}");
        assert!(record.contains(&t.alpha.to_hex()), "byte {position}: {record}");
        let listing = vault.list().unwrap();
        let names: Vec<_> = listing.items.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["BETA", "BIG"], "the other records stay readable");
        assert_eq!(listing.damaged.len(), 1);
        assert!(matches!(&listing.damaged[0], Error::CorruptRecord { field: "name", .. }));
    });
    assert_eq!(tried, sealed_len("ALPHA".len()));
}

#[test]
fn every_flipped_byte_of_a_description_is_detected_and_named() {
    let t = template();
    let tried = each_flipped_byte(Cell::secret(t.alpha, "description"), |vault, _| {
        assert_alpha_damaged(vault.meta(t.alpha), "description");
        assert_eq!(vault.list().unwrap().damaged.len(), 1);
        assert_eq!(vault.reveal(t.alpha).unwrap().expose(), ALPHA_V2, "the value is a separate field");
    });
    assert_eq!(tried, sealed_len("first description".len()));
}

#[test]
fn every_flipped_byte_of_a_value_is_detected_and_named() {
    let t = template();
    let tried = each_flipped_byte(Cell::secret(t.alpha, "value"), |vault, _| {
        assert_alpha_damaged(vault.reveal(t.alpha), "value");
        assert_eq!(vault.meta(t.alpha).unwrap().name.as_str(), "ALPHA");
        assert_eq!(vault.reveal_version(t.alpha, 1).unwrap().expose(), ALPHA_V1);
        assert_eq!(vault.reveal(t.beta).unwrap().expose(), BETA_V2);
    });
    assert_eq!(tried, sealed_len(ALPHA_V2.len()));
}

#[test]
fn every_flipped_byte_of_a_history_value_is_detected_and_names_the_version() {
    let t = template();
    let tried = each_flipped_byte(Cell::history(t.alpha_history), |vault, position| {
        let (record, field) = corrupt_record(vault.reveal_version(t.alpha, 1));
        assert_eq!(field, "value");
        assert!(record.contains("version 1") && record.contains(&t.alpha.to_hex()), "byte {position}: {record}");
        assert_eq!(vault.reveal(t.alpha).unwrap().expose(), ALPHA_V2);
        assert_eq!(vault.reveal_version(t.beta, 1).unwrap().expose(), BETA_V1);
    });
    assert_eq!(tried, sealed_len(ALPHA_V1.len()));
}

#[test]
fn flipped_bytes_across_a_100_kib_value_are_detected() {
    let t = template();
    let len = sealed_len(t.big_value.len());
    let tried = each_flipped_byte(Cell::secret(t.big, "value"), |vault, _| {
        let (record, field) = corrupt_record(vault.reveal(t.big));
        assert_eq!(field, "value");
        assert!(record.contains("BIG"), "{record}");
    });
    // All 12 nonce bytes, the first and last 16 ciphertext bytes, all 16 tag bytes, and a byte
    // every 4 KiB in between.
    assert!(positions(len).contains(&0) && positions(len).contains(&(len - 1)));
    assert_eq!(tried, positions(len).len());
    assert!(tried > 60, "{tried}");
}

#[test]
fn a_sealed_field_stored_as_text_is_a_damaged_record_not_a_database_error() {
    // One flipped bit in SQLite's record header turns a BLOB of n bytes into TEXT of n bytes
    // (serial types 2n+12 and 2n+13); CAST does the same from SQL. It must read as that one
    // record being damaged, and the rest of the vault must stay readable.
    let t = template();
    for column in ["name", "description", "value"] {
        let copy = fresh_copy();
        edit(&copy.path, |conn| {
            let sql = format!("UPDATE secrets SET {column} = CAST({column} AS TEXT) WHERE id = ?1");
            conn.execute(&sql, [t.alpha.as_bytes().as_slice()]).unwrap();
        });
        let vault = refused_then_salvaged(&copy.path);
        let listing = vault.list().unwrap_or_else(|e| panic!("{column}: one bad row hides the rest: {e}"));
        if column == "value" {
            assert_eq!(listing.items.len(), 3);
            assert_alpha_damaged(vault.reveal(t.alpha), "value");
        } else {
            assert_eq!(listing.items.len(), 2, "{column}");
            let (record, field) = corrupt_record(vault.meta(t.alpha));
            assert_eq!(field, column);
            assert!(record.contains(&t.alpha.to_hex()), "{record}");
        }
        assert_eq!(vault.reveal(t.beta).unwrap().expose(), BETA_V2);
    }
    let copy = fresh_copy();
    edit(&copy.path, |conn| {
        conn.execute("UPDATE history SET value = CAST(value AS TEXT) WHERE id = ?1", [t.alpha_history.as_slice()])
            .unwrap();
    });
    let vault = history_refused_then_salvaged(&copy.path, t.alpha);
    let (_, field) = corrupt_record(vault.reveal_version(t.alpha, 1));
    assert_eq!(field, "value");
    assert_eq!(vault.reveal_version(t.beta, 1).unwrap().expose(), BETA_V1);
}

// ---- moved ciphertexts ---------------------------------------------------------------------

/// Swaps the contents of two cells on a fresh copy.
fn swapped(a: Cell, b: Cell) -> Copy {
    let copy = fresh_copy();
    edit(&copy.path, |conn| {
        let (x, y) = (get_blob(conn, a), get_blob(conn, b));
        set_blob(conn, a, &y);
        set_blob(conn, b, &x);
    });
    copy
}

#[test]
fn values_swapped_between_two_secrets_do_not_open() {
    let t = template();
    let copy = swapped(Cell::secret(t.alpha, "value"), Cell::secret(t.beta, "value"));
    let vault = refused_then_salvaged(&copy.path);
    assert_alpha_damaged(vault.reveal(t.alpha), "value");
    let (record, field) = corrupt_record(vault.reveal(t.beta));
    assert_eq!(field, "value");
    assert!(record.contains("BETA"), "{record}");
}

#[test]
fn names_swapped_between_two_secrets_do_not_open() {
    let t = template();
    let copy = swapped(Cell::secret(t.alpha, "name"), Cell::secret(t.beta, "name"));
    let vault = refused_then_salvaged(&copy.path);
    let listing = vault.list().unwrap();
    assert_eq!(listing.items.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["BIG"]);
    assert_eq!(listing.damaged.len(), 2);
    for e in &listing.damaged {
        assert!(matches!(e, Error::CorruptRecord { field: "name", .. }), "{e:?}");
    }
}

#[test]
fn swapping_names_together_with_their_blind_index_is_caught_by_the_record_set_mac() {
    // The attack that would make `get ALPHA` print BETA's value: swap the names and the lookup
    // index. The index is part of the authenticated row, so the vault refuses to unlock.
    let t = template();
    let copy = fresh_copy();
    edit(&copy.path, |conn| {
        for column in ["name", "name_index"] {
            let (a, b) = (Cell::secret(t.alpha, column), Cell::secret(t.beta, column));
            let (x, y) = (get_blob(conn, a), get_blob(conn, b));
            // The unique index on live names forbids a direct swap: go through a placeholder.
            set_blob(conn, a, b"placeholder");
            set_blob(conn, b, &x);
            set_blob(conn, a, &y);
        }
    });
    assert!(matches!(unlock(&copy.path), Err(Error::RecordSetTampered)));
}

#[test]
fn salvage_does_not_trust_a_blind_index_that_points_at_another_name() {
    // Salvage runs without the record-set check; a lookup by name must still not hand out the
    // value of the row that the (swapped) index points at.
    let t = template();
    let copy = fresh_copy();
    edit(&copy.path, |conn| {
        let (a, b) = (Cell::secret(t.alpha, "name_index"), Cell::secret(t.beta, "name_index"));
        let (x, y) = (get_blob(conn, a), get_blob(conn, b));
        set_blob(conn, a, b"placeholder");
        set_blob(conn, b, &x);
        set_blob(conn, a, &y);
    });
    let vault = refused_then_salvaged(&copy.path);
    for name in ["ALPHA", "BETA"] {
        let found = vault.find(&vault.default_place().unwrap(), &SecretName::parse(name).unwrap()).map(|(id, _)| id);
        assert!(matches!(found, Err(Error::CorruptRecord { field: "name index", .. })), "{name}: {found:?}");
    }
    let out = tresor(&copy, &["--salvage", "get", "ALPHA"]);
    assert_eq!((out.status.code(), out.stdout.as_slice()), (Some(5), &b""[..]));
}

#[test]
fn fields_swapped_within_one_secret_do_not_open() {
    let t = template();
    let copy = swapped(Cell::secret(t.alpha, "name"), Cell::secret(t.alpha, "description"));
    let vault = refused_then_salvaged(&copy.path);
    let (_, field) = corrupt_record(vault.meta(t.alpha));
    assert_eq!(field, "name");

    let copy = swapped(Cell::secret(t.alpha, "value"), Cell::secret(t.alpha, "description"));
    let vault = refused_then_salvaged(&copy.path);
    assert_alpha_damaged(vault.meta(t.alpha), "description");
    assert_alpha_damaged(vault.reveal(t.alpha), "value");
}

#[test]
fn history_values_swapped_between_two_secrets_do_not_open() {
    let t = template();
    let copy = swapped(Cell::history(t.alpha_history), Cell::history(t.beta_history));
    history_refused_then_salvaged(&copy.path, t.beta);
    let vault = history_refused_then_salvaged(&copy.path, t.alpha);
    for id in [t.alpha, t.beta] {
        let (record, field) = corrupt_record(vault.reveal_version(id, 1));
        assert_eq!(field, "value");
        assert!(record.contains(&id.to_hex()), "{record}");
    }
    assert_eq!(vault.reveal(t.alpha).unwrap().expose(), ALPHA_V2);
}

#[test]
fn an_old_value_put_back_in_place_does_not_open() {
    let t = template();
    // The current value replaced by the history entry's ciphertext …
    let copy = fresh_copy();
    edit(&copy.path, |conn| {
        let old = get_blob(conn, Cell::history(t.alpha_history));
        set_blob(conn, Cell::secret(t.alpha, "value"), &old);
    });
    assert_alpha_damaged(refused_then_salvaged(&copy.path).reveal(t.alpha), "value");
    // … or by the ciphertext this very field held before the last update (revision 1).
    let copy = fresh_copy();
    edit(&copy.path, |conn| set_blob(conn, Cell::secret(t.alpha, "value"), &t.alpha_value_rev1));
    assert_alpha_damaged(refused_then_salvaged(&copy.path).reveal(t.alpha), "value");
}

// ---- whole rows: rolled back, removed, inserted, bookkeeping edited ----------------------

/// Every column of a row, as stored.
fn whole_row(conn: &Connection, table: &str, id: &[u8]) -> Vec<rusqlite::types::Value> {
    let mut stmt = conn.prepare(&format!("SELECT * FROM {table} WHERE id = ?1")).unwrap();
    let n = stmt.column_count();
    stmt.query_row([id], |r| (0..n).map(|i| r.get(i)).collect()).unwrap()
}

fn insert_row(conn: &Connection, table: &str, row: &[rusqlite::types::Value]) {
    let marks = vec!["?"; row.len()].join(", ");
    conn.execute(&format!("INSERT INTO {table} VALUES ({marks})"), rusqlite::params_from_iter(row)).unwrap();
}

#[test]
fn a_secret_rolled_back_to_an_older_row_refuses_to_unlock() {
    let t = template();
    let copy = fresh_copy();
    let old_row = whole_row(&Connection::open(&copy.path).unwrap(), "secrets", t.alpha.as_bytes());
    let mut vault = unlock(&copy.path).unwrap();
    vault
        .edit(t.alpha, SecretEdit { name: None, description: None, value: Some(SecretValue::new("alpha-v3")) })
        .unwrap();
    drop(vault);
    edit(&copy.path, |conn| {
        conn.execute("DELETE FROM secrets WHERE id = ?1", [t.alpha.as_bytes().as_slice()]).unwrap();
        insert_row(conn, "secrets", &old_row);
    });
    // Every ciphertext of the old row opens (it is a genuine older row): only the record-set
    // MAC can see this, and it does.
    assert!(matches!(unlock(&copy.path), Err(Error::RecordSetTampered)));
    // Salvage still gets the readable records out, read-only.
    let salvage = Vault::unlock_for_salvage(&copy.path, &Passphrase::new(PASS)).unwrap();
    assert_eq!(salvage.reveal(t.beta).unwrap().expose(), BETA_V2);
}

#[test]
fn a_removed_row_refuses_to_unlock() {
    let t = template();
    for (table, id) in [("secrets", t.big.as_bytes().as_slice()), ("history", t.alpha_history.as_slice())] {
        let copy = fresh_copy();
        edit(&copy.path, |conn| {
            assert_eq!(conn.execute(&format!("DELETE FROM {table} WHERE id = ?1"), [id]).unwrap(), 1);
        });
        assert!(matches!(unlock(&copy.path), Err(Error::RecordSetTampered)), "{table}");
    }
}

#[test]
fn an_inserted_copy_of_a_row_refuses_to_unlock() {
    let t = template();
    // A copy of a history row under a new id and version: no field of an existing row changed,
    // only the set of rows did.
    let copy = fresh_copy();
    edit(&copy.path, |conn| {
        let mut row = whole_row(conn, "history", &t.alpha_history);
        row[0] = rusqlite::types::Value::Blob(vec![7; 16]);
        row[2] = rusqlite::types::Value::Integer(9);
        insert_row(conn, "history", &row);
    });
    assert!(matches!(unlock(&copy.path), Err(Error::RecordSetTampered)));

    // A purged secret put back from an earlier copy of its row.
    let copy = fresh_copy();
    let purged = whole_row(&Connection::open(&copy.path).unwrap(), "secrets", t.big.as_bytes());
    let mut vault = unlock(&copy.path).unwrap();
    vault.delete(&[t.big]).unwrap();
    vault.purge(t.big).unwrap();
    drop(vault);
    edit(&copy.path, |conn| insert_row(conn, "secrets", &purged));
    assert!(matches!(unlock(&copy.path), Err(Error::RecordSetTampered)));
}

#[test]
fn edited_bookkeeping_columns_refuse_to_unlock() {
    let t = template();
    let secret_columns =
        ["id", "name_index", "revision", "version", "created", "modified", "value_set", "deleted", "history_sum"];
    let history_columns = ["id", "secret_id", "version", "created", "replaced"];
    let cases = secret_columns.iter().map(|c| ("secrets", *c, t.alpha.as_bytes().to_vec()));
    let cases = cases.chain(history_columns.iter().map(|c| ("history", *c, t.alpha_history.to_vec())));
    for (table, column, id) in cases {
        let copy = fresh_copy();
        edit(&copy.path, |conn| {
            // Integers move by one, blobs get one bit flipped, NULL (`deleted`) becomes a time.
            let sql = format!(
                "UPDATE {table} SET {column} = CASE typeof({column})
                     WHEN 'integer' THEN {column} + 1
                     WHEN 'null' THEN 1700000000000
                     ELSE ?2 END WHERE id = ?1"
            );
            let current: rusqlite::types::Value =
                conn.query_row(&format!("SELECT {column} FROM {table} WHERE id = ?1"), [&id], |r| r.get(0)).unwrap();
            let flipped = match current {
                rusqlite::types::Value::Blob(mut b) => {
                    flip(&mut b, 3);
                    b
                }
                _ => Vec::new(),
            };
            assert_eq!(conn.execute(&sql, params![id, flipped]).unwrap(), 1);
        });
        if table == "history" {
            // Checked against the sum in ALPHA's row when ALPHA's history is read.
            history_refused_then_salvaged(&copy.path, t.alpha);
            continue;
        }
        let result = unlock(&copy.path);
        assert!(matches!(result, Err(Error::RecordSetTampered)), "{table}.{column}: {result:?}");
    }
}

// ---- the header ----------------------------------------------------------------------------

const HEADER_BLOBS: [&str; 5] = ["vault_id", "key_id", "kdf_salt", "wrapped_key", "checksum"];

#[test]
fn every_flipped_header_byte_is_a_damaged_header_never_a_wrong_passphrase() {
    let mut tried = 0;
    for column in HEADER_BLOBS {
        let len = header_blob(&Connection::open(&fresh_copy().path).unwrap(), column).len();
        for position in 0..len {
            let copy = fresh_copy();
            edit(&copy.path, |conn| {
                let mut bytes = header_blob(conn, column);
                flip(&mut bytes, position);
                set_header(conn, column, bytes);
            });
            assert_damaged_header(&copy.path, &format!("{column} byte {position}"));
            tried += 1;
        }
    }
    // 16 + 16 + 32 salt + 60 wrapped key (nonce, key, tag) + 32 checksum.
    assert_eq!(tried, 16 + 16 + 32 + NONCE_LEN + 32 + TAG_LEN + 32);
}

#[test]
fn every_flipped_bit_of_a_kdf_parameter_or_the_creation_time_is_a_damaged_header() {
    for column in ["kdf_memory_kib", "kdf_iterations", "kdf_parallelism", "created"] {
        for bit in 0..64 {
            let copy = fresh_copy();
            edit(&copy.path, |conn| {
                let n: i64 = conn
                    .query_row(&format!("SELECT {column} FROM vault_header WHERE id = 1"), [], |r| r.get(0))
                    .unwrap();
                set_header(conn, column, n ^ (1i64 << bit));
            });
            assert_damaged_header(&copy.path, &format!("{column} bit {bit}"));
        }
    }
}

/// Both the right and a wrong passphrase get "damaged header": the damage is found before any
/// passphrase is tried, so it is never mistaken for a typo.
#[track_caller]
fn assert_damaged_header(path: &Path, what: &str) {
    for pass in [PASS, "not the passphrase"] {
        let result = Vault::unlock(path, &Passphrase::new(pass));
        assert!(matches!(result, Err(Error::CorruptHeader { .. })), "{what}, passphrase {pass:?}: {result:?}");
    }
}

#[test]
fn every_flipped_byte_of_the_sealed_record_set_refuses_to_unlock() {
    let len = header_blob(&Connection::open(fresh_copy().path).unwrap(), "record_set").len();
    assert_eq!(len, NONCE_LEN + 56 + TAG_LEN, "writes, rows, history rows and the 32-byte sum, sealed");
    for position in 0..len {
        let copy = fresh_copy();
        edit(&copy.path, |conn| {
            let mut set = header_blob(conn, "record_set");
            flip(&mut set, position);
            set_header(conn, "record_set", set);
        });
        assert!(matches!(unlock(&copy.path), Err(Error::RecordSetTampered)), "byte {position}");
    }
    // Cut short, emptied, or stored as text: tampered, not a database error.
    for value in [
        rusqlite::types::Value::Blob(vec![1, 2, 3]),
        rusqlite::types::Value::Blob(Vec::new()),
        rusqlite::types::Value::Text("x".into()),
    ] {
        let copy = fresh_copy();
        edit(&copy.path, |conn| set_header(conn, "record_set", value.clone()));
        assert!(matches!(unlock(&copy.path), Err(Error::RecordSetTampered)), "{value:?}");
    }
}

#[test]
fn a_missing_header_row_is_a_damaged_header() {
    let copy = fresh_copy();
    edit(&copy.path, |conn| {
        conn.execute("DELETE FROM vault_header", []).unwrap();
    });
    assert!(matches!(unlock(&copy.path), Err(Error::CorruptHeader { .. })));
}

/// Found by the `open_vault` fuzz target: opening used to switch an existing file to WAL before
/// knowing it was a readable vault, which writes the file's header — so a refused file was
/// modified. Now an existing file's journal mode is left as it is.
#[test]
fn a_refused_vault_in_another_journal_mode_is_not_switched_to_wal() {
    let copy = fresh_copy();
    edit(&copy.path, |conn| {
        conn.execute("DELETE FROM vault_header", []).unwrap();
        let mode: String = conn.pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get(0)).unwrap();
        assert_eq!(mode, "delete");
    });
    assert_refused_untouched(&copy.path, |e| matches!(e, Error::CorruptHeader { .. }));
}

#[test]
fn a_vault_someone_switched_to_a_rollback_journal_still_works() {
    let copy = fresh_copy();
    edit(&copy.path, |conn| {
        conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    });
    let mut vault = unlock(&copy.path).unwrap();
    vault.create_secret(new_secret("GAMMA", "", "gamma-value")).unwrap();
    drop(vault);
    let vault = unlock(&copy.path).unwrap();
    let gamma = vault.find(&vault.default_place().unwrap(), &SecretName::parse("GAMMA").unwrap()).unwrap().0;
    assert_eq!(vault.reveal(gamma).unwrap().expose(), "gamma-value");
    let conn = Connection::open(&copy.path).unwrap();
    let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
    assert_eq!(mode, "delete", "left in the mode it was given");
}

/// Applies `change` to the header and recomputes its checksum, as a deliberate attacker would.
fn forged_header(change: impl FnOnce(&Connection)) -> Copy {
    let copy = fresh_copy();
    edit(&copy.path, |conn| {
        change(conn);
        let sum = checksum_of(conn);
        set_header(conn, "checksum", sum);
    });
    copy
}

#[test]
fn the_tests_checksum_matches_the_one_tresor_writes() {
    // Without this, "the forged header does not unlock" could just mean our forgery is wrong.
    let copy = fresh_copy();
    let conn = Connection::open(&copy.path).unwrap();
    assert_eq!(checksum_of(&conn), header_blob(&conn, "checksum"));
    drop(conn);
    let copy = forged_header(|_| {});
    unlock(&copy.path).unwrap();
}

/// A header edited with its checksum recomputed does not unlock: the salt, the KDF parameters,
/// the ids and the wrapped key are all in the wrapped key's AAD or shape its KEK. With the
/// checksum forged, nothing unkeyed tells this apart from a mistyped passphrase (the file stores
/// no passphrase hash, by design), so the error is [`Error::WrongPassphrase`]; what matters is
/// that the edited header never opens.
#[track_caller]
fn assert_forged_header_does_not_unlock(copy: &Copy, what: &str) {
    let result = unlock(&copy.path);
    assert!(matches!(result, Err(Error::WrongPassphrase)), "{what}: {result:?}");
}

#[test]
fn a_forged_header_with_an_edited_salt_or_wrapped_key_does_not_unlock() {
    let mut tried = 0;
    for column in ["kdf_salt", "wrapped_key", "vault_id", "key_id"] {
        let len = header_blob(&Connection::open(&fresh_copy().path).unwrap(), column).len();
        for position in 0..len {
            let copy = forged_header(|conn| {
                let mut bytes = header_blob(conn, column);
                flip(&mut bytes, position);
                set_header(conn, column, bytes);
            });
            assert_forged_header_does_not_unlock(&copy, &format!("{column} byte {position}"));
            tried += 1;
        }
    }
    assert_eq!(tried, 32 + (NONCE_LEN + 32 + TAG_LEN) + 16 + 16);
    // A shorter salt, and a wrapped key cut short.
    for (column, keep) in [("kdf_salt", 16), ("wrapped_key", NONCE_LEN + TAG_LEN)] {
        let copy = forged_header(|conn| {
            let bytes = header_blob(conn, column);
            set_header(conn, column, bytes[..keep].to_vec());
        });
        assert_forged_header_does_not_unlock(&copy, column);
    }
}

#[test]
fn a_forged_header_with_other_valid_kdf_parameters_does_not_unlock() {
    // Cheaper parameters would help a brute-force attack if the vault re-wrapped under them; they
    // are in the AAD, so the unwrap fails instead.
    for (column, value) in [("kdf_memory_kib", 128), ("kdf_iterations", 2), ("kdf_parallelism", 2)] {
        let copy = forged_header(|conn| set_header(conn, column, value));
        assert_forged_header_does_not_unlock(&copy, column);
    }
}

#[test]
fn absurd_kdf_parameters_are_refused_before_anything_is_allocated() {
    let started = Instant::now();
    let cases: [(&str, i64); 8] = [
        ("kdf_memory_kib", 1 << 30), // 1 TiB
        ("kdf_memory_kib", (KdfParams::MAX_MEMORY_KIB as i64) + 1),
        ("kdf_memory_kib", u32::MAX as i64),
        ("kdf_iterations", 1 << 31),
        ("kdf_iterations", (KdfParams::MAX_ITERATIONS as i64) + 1),
        ("kdf_parallelism", 0),
        ("kdf_parallelism", 255),
        ("kdf_iterations", 0),
    ];
    for (column, value) in cases {
        let copy = forged_header(|conn| set_header(conn, column, value));
        for pass in [PASS, "not the passphrase"] {
            match Vault::unlock(&copy.path, &Passphrase::new(pass)) {
                Err(Error::KdfOutOfRange { params }) => {
                    let stored = match column {
                        "kdf_memory_kib" => params.memory_kib,
                        "kdf_iterations" => params.iterations,
                        _ => params.parallelism,
                    };
                    assert_eq!(i64::from(stored), value, "the error shows the stored parameters");
                }
                other => panic!("{column} = {value}: {other:?}"),
            }
        }
        // `info` needs no passphrase and still describes the file.
        assert_eq!(Vault::info(&copy.path).unwrap().secrets, 3);
    }
    // Values that do not even fit the parameter type are a damaged header.
    for (column, value) in [("kdf_memory_kib", 1i64 << 40), ("kdf_parallelism", -1)] {
        let copy = forged_header(|conn| set_header(conn, column, value));
        assert!(matches!(unlock(&copy.path), Err(Error::CorruptHeader { .. })), "{column} = {value}");
    }
    // Argon2 with 1 TiB or 2^31 passes would not finish at all.
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
}

// ---- files that are not (this version's) vaults -------------------------------------------

fn sha256_of(path: &Path) -> Vec<u8> {
    Sha256::digest(std::fs::read(path).unwrap()).to_vec()
}

fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

/// Unlocking `path` gives the error `expected` accepts, and leaves the file as it was, with no
/// journal files left beside it.
#[track_caller]
fn assert_refused_untouched(path: &Path, expected: impl Fn(&Error) -> bool) {
    let before = sha256_of(path);
    let sidecars_before: Vec<bool> = ["-wal", "-shm", "-journal"].iter().map(|s| sidecar(path, s).exists()).collect();
    match Vault::unlock(path, &Passphrase::new(PASS)) {
        Err(e) if expected(&e) => {}
        other => panic!("{}: unexpected {other:?}", path.display()),
    }
    assert!(matches!(Vault::info(path), Err(ref e) if expected(e)), "info agrees");
    assert_eq!(sha256_of(path), before, "{} was modified", path.display());
    for (suffix, existed) in ["-wal", "-shm", "-journal"].iter().zip(sidecars_before) {
        assert_eq!(sidecar(path, suffix).exists(), existed, "{suffix} of {}", path.display());
    }
}

#[test]
fn an_empty_file_is_not_a_vault_and_stays_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.db");
    std::fs::write(&path, b"").unwrap();
    assert_refused_untouched(&path, |e| matches!(e, Error::NotAVault { reason, .. } if reason.contains("empty")));
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
}

#[test]
fn random_bytes_are_not_a_vault_and_are_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("random.db");
    let bytes: Vec<u8> = (0u32..8192).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(&path, &bytes).unwrap();
    assert_refused_untouched(&path, |e| matches!(e, Error::NotAVault { .. }));
}

#[test]
fn garbage_behind_an_sqlite_signature_is_a_damaged_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.db");
    let mut bytes = b"SQLite format 3\0".to_vec();
    bytes.extend((0u32..8192).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8));
    std::fs::write(&path, &bytes).unwrap();
    assert_refused_untouched(&path, |e| matches!(e, Error::CorruptFile { .. }));
}

#[test]
fn an_sqlite_database_of_another_program_is_not_a_vault_and_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("places.sqlite");
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE bookmarks (url TEXT); INSERT INTO bookmarks VALUES ('https://example.org');")
            .unwrap();
    }
    assert_refused_untouched(&path, |e| matches!(e, Error::NotAVault { reason, .. } if reason.contains("tables")));
}

#[test]
fn a_crashed_wal_database_of_another_program_is_left_alone() {
    // Another program's database in WAL mode, as a crash leaves it: committed pages still in
    // the -wal file. Opening and closing it read-write would checkpoint them into the main file.
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live.sqlite");
    let conn = Connection::open(&live).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;
         CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('not a vault');",
    )
    .unwrap();
    let path = dir.path().join("crashed.sqlite");
    for suffix in ["", "-wal", "-shm"] {
        std::fs::copy(sidecar(&live, suffix), sidecar(&path, suffix)).unwrap();
    }
    drop(conn);
    let wal_before = std::fs::read(sidecar(&path, "-wal")).unwrap();
    assert!(!wal_before.is_empty());
    assert_refused_untouched(&path, |e| matches!(e, Error::NotAVault { .. }));
    assert_eq!(std::fs::read(sidecar(&path, "-wal")).unwrap(), wal_before, "the other program's WAL is kept");
}

#[test]
fn forged_parameters_that_would_run_for_ages_are_announced_before_the_unlock_starts() {
    let normal = Vault::unlock_estimate(&fresh_copy().path).unwrap();
    assert!(!normal.is_unusual(), "{normal:?}");
    // Within the caps, so a plain unlock would try them: 4 GiB, 1,000 passes.
    let copy = forged_header(|conn| {
        set_header(conn, "kdf_memory_kib", 4i64 * 1024 * 1024);
        set_header(conn, "kdf_iterations", 1000i64);
    });
    let started = Instant::now();
    let estimate = Vault::unlock_estimate(&copy.path).unwrap();
    assert!(started.elapsed() < Duration::from_secs(5), "estimating is quick: {:?}", started.elapsed());
    assert!(estimate.is_unusual(), "{estimate:?}");
    assert!(estimate.time > Duration::from_secs(60), "{estimate:?}");
    // The binary says so at once instead of hanging, and (without a terminal to ask) stops.
    let started = Instant::now();
    let out = tresor(&copy, &["list"]);
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    assert_failure(&out, 1, &["would take about", "t=1000", "the file was altered"]);
}

#[test]
fn a_vault_from_a_newer_format_is_refused_and_left_alone() {
    let copy = fresh_copy();
    let newer = tresor::vault::store::FORMAT_VERSION + 1;
    edit(&copy.path, |conn| conn.pragma_update(None, "user_version", newer).unwrap());
    assert_refused_untouched(
        &copy.path,
        |e| matches!(e, Error::NewerFormat { found, supported } if *found == newer && *supported == newer - 1),
    );
}

#[test]
fn a_vault_with_no_format_version_is_a_damaged_file() {
    let copy = fresh_copy();
    edit(&copy.path, |conn| conn.pragma_update(None, "user_version", 0).unwrap());
    assert!(matches!(unlock(&copy.path), Err(Error::CorruptFile { .. })));
}

// ---- through the binary --------------------------------------------------------------------

fn tresor(copy: &Copy, args: &[&str]) -> Output {
    tresor_with_passphrase(copy, PASS, args)
}

fn tresor_with_passphrase(copy: &Copy, passphrase: &str, args: &[&str]) -> Output {
    let pass_file = copy.dir.path().join("pass");
    write_private(&pass_file, format!("{passphrase}\n"));
    Command::new(env!("CARGO_BIN_EXE_tresor"))
        .args(args)
        .env("TRESOR_VAULT", &copy.path)
        .env("TRESOR_PASSPHRASE_FILE", &pass_file)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Exit `code`, one clean line on stderr containing each of `mentions`, and no secret value
/// anywhere in stderr.
#[track_caller]
fn assert_failure(out: &Output, code: i32, mentions: &[&str]) {
    let err = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(out.status.code(), Some(code), "{err}");
    assert!(err.starts_with("tresor: ") && err.trim_end().lines().count() == 1, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for m in mentions {
        assert!(err.contains(m), "stderr should mention {m:?}: {err}");
    }
    assert!(!err.contains("S3CRETMARK") && !err.contains(&template().big_value[..64]), "a value leaked: {err}");
    assert!(!err.contains(PASS), "the passphrase leaked: {err}");
}

fn tampered(change: impl FnOnce(&Connection)) -> Copy {
    let copy = fresh_copy();
    edit(&copy.path, change);
    copy
}

#[test]
fn the_binary_reports_each_kind_of_tampering_with_its_exit_code() {
    let t = template();
    let alpha_hex = t.alpha.to_hex();
    // Damage: one flipped byte in the body of a ciphertext (past its nonce).
    let flip_cell = |cell: Cell| {
        move |conn: &Connection| {
            let mut bytes = get_blob(conn, cell);
            flip(&mut bytes, NONCE_LEN);
            set_blob(conn, cell, &bytes);
        }
    };

    let copy = tampered(flip_cell(Cell::secret(t.alpha, "value")));
    assert_failure(&tresor(&copy, &["get", "ALPHA"]), 5, &["ALPHA", &alpha_hex, "value"]);
    let out = tresor(&copy, &["get", "BETA"]);
    assert_eq!((out.status.code(), out.stdout.as_slice()), (Some(0), BETA_V2.as_bytes()), "the rest stays readable");

    let copy = tampered(flip_cell(Cell::secret(t.alpha, "description")));
    let out = tresor(&copy, &["list"]);
    assert_failure(&out, 5, &["ALPHA", &alpha_hex, "description"]);
    let listed = String::from_utf8(out.stdout).unwrap();
    assert!(listed.contains("BETA") && listed.contains("BIG"), "what is readable is still listed: {listed}");

    let copy = tampered(flip_cell(Cell::secret(t.alpha, "name")));
    assert_failure(&tresor(&copy, &["list", "--json"]), 5, &[&alpha_hex, "name"]);

    let copy = tampered(flip_cell(Cell::history(t.alpha_history)));
    assert_failure(&tresor(&copy, &["get", "ALPHA", "--version", "1"]), 5, &["version 1", &alpha_hex]);

    let copy = tampered(|conn| {
        conn.execute("DELETE FROM secrets WHERE id = ?1", [t.big.as_bytes().as_slice()]).unwrap();
    });
    assert_failure(&tresor(&copy, &["get", "ALPHA"]), 5, &["--salvage"]);

    let copy = tampered(|conn| {
        let mut salt = header_blob(conn, "kdf_salt");
        flip(&mut salt, 0);
        set_header(conn, "kdf_salt", salt);
    });
    assert_failure(&tresor(&copy, &["get", "ALPHA"]), 5, &["header is damaged"]);
    assert_failure(&tresor_with_passphrase(&copy, "typo", &["list"]), 5, &["header is damaged"]);

    let copy = forged_header(|conn| set_header(conn, "kdf_memory_kib", 1i64 << 30));
    assert_failure(&tresor(&copy, &["list"]), 5, &["outside the accepted range"]);

    let copy = fresh_copy();
    assert_failure(&tresor_with_passphrase(&copy, "typo", &["get", "ALPHA"]), 3, &["wrong passphrase"]);

    let newer = tresor::vault::store::FORMAT_VERSION + 1;
    let copy = tampered(|conn| conn.pragma_update(None, "user_version", newer).unwrap());
    assert_failure(&tresor(&copy, &["get", "ALPHA"]), 1, &[&format!("format version {newer}"), "update Tresor"]);

    for (contents, mention) in [(&b""[..], "empty"), (&b"just some text\n"[..], "not an SQLite database")] {
        let copy = fresh_copy();
        std::fs::write(&copy.path, contents).unwrap();
        assert_failure(&tresor(&copy, &["list"]), 1, &["not a Tresor vault", mention]);
        assert_eq!(std::fs::read(&copy.path).unwrap(), contents);
    }
}

// ---- cut short or random files -------------------------------------------------------------

/// Whether `e` is one of the errors that say "this file is not a (whole) vault", as opposed to a
/// wrong passphrase or a bare database error.
fn says_damaged_or_not_a_vault(e: &Error) -> bool {
    matches!(e, Error::NotAVault { .. }) || e.is_integrity_failure()
}

/// The binary's exit code for the error the API gives.
fn exit_code_for(e: &Error) -> i32 {
    if e.is_integrity_failure() { 5 } else { 1 }
}

/// Opens `path`, which holds damaged or foreign bytes, and reads whatever opens. Every failure
/// must be a typed "damaged / not a vault" error, and the file must be left exactly as it was.
/// Returns the unlock error, or `None` when the vault unlocked (then at least one read must have
/// failed, since something was lost).
#[track_caller]
fn open_damaged(path: &Path, what: &str) -> Option<Error> {
    let before = sha256_of(path);
    let result = match Vault::unlock(path, &Passphrase::new(PASS)) {
        Err(e) => {
            assert!(says_damaged_or_not_a_vault(&e), "{what}: {e:?}");
            Some(e)
        }
        Ok(vault) => {
            // Unlocking reads only the header and the bookkeeping; the cut may have taken
            // ciphertext only, which shows when it is read.
            let mut failures = 0;
            let listing = vault.list();
            let mut check = |result: tresor::Result<()>| match result {
                Ok(()) => {}
                Err(e) => {
                    assert!(says_damaged_or_not_a_vault(&e), "{what}: {e:?}");
                    failures += 1;
                }
            };
            let t = template();
            for (id, expected) in [(t.alpha, ALPHA_V2), (t.beta, BETA_V2), (t.big, t.big_value.as_str())] {
                check(vault.reveal(id).map(|v| assert_eq!(v.expose(), expected, "{what}: a wrong value")));
            }
            check(vault.reveal_version(t.alpha, 1).map(|v| assert_eq!(v.expose(), ALPHA_V1)));
            match listing {
                Ok(listing) => {
                    for e in &listing.damaged {
                        assert!(e.is_integrity_failure(), "{what}: {e:?}");
                        failures += 1;
                    }
                }
                Err(e) => check(Err(e)),
            }
            assert!(failures > 0, "{what}: unlocked and read in full although bytes were missing");
            None
        }
    };
    assert_eq!(sha256_of(path), before, "{what}: the file was modified");
    for suffix in ["-wal", "-shm", "-journal"] {
        assert!(!sidecar(path, suffix).exists(), "{what}: a {suffix} file was left behind");
    }
    result
}

#[test]
fn a_vault_cut_short_at_any_512_byte_boundary_never_passes_for_whole() {
    let bytes = &template().bytes;
    let started = Instant::now();
    let copy = fresh_copy();
    let mut refused = 0;
    for len in (0..bytes.len()).step_by(512) {
        if bytes[len..].iter().all(|&b| b == 0) {
            // Only zeros cut off (unused space at the end of the last page): SQLite reads a
            // short page as zero-filled, so nothing was lost.
            continue;
        }
        std::fs::write(&copy.path, &bytes[..len]).unwrap();
        refused += usize::from(open_damaged(&copy.path, &format!("cut at {len} bytes")).is_some());
    }
    assert!(refused > bytes.len() / 512 / 2, "most cuts are refused at once ({refused})");
    assert!(started.elapsed() < Duration::from_secs(30), "{:?}", started.elapsed());
}

/// `len` bytes of noise from `seed` (xorshift64*).
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
        })
        .collect()
}

/// Noise alone, noise behind SQLite's signature, and noise behind a vault's real first page (its
/// schema intact, every table page garbage), at sizes around SQLite's header and page sizes.
fn hostile_files() -> Vec<(String, Vec<u8>)> {
    let first_page = &template().bytes[..4096];
    let mut files = Vec::new();
    for (seed, len) in
        [1usize, 15, 16, 17, 99, 100, 101, 511, 512, 4095, 4096, 4097, 65_536, 1 << 20].into_iter().enumerate()
    {
        let seed = seed as u64;
        files.push((format!("{len} random bytes"), noise(seed, len)));
        let mut signed = b"SQLite format 3\0".to_vec();
        signed.extend(noise(seed + 100, len));
        files.push((format!("the SQLite signature and {len} random bytes"), signed));
        let mut paged = first_page.to_vec();
        paged.extend(noise(seed + 200, len));
        files.push((format!("a vault's first page and {len} random bytes"), paged));
    }
    files
}

#[test]
fn random_bytes_of_any_size_are_refused_and_left_alone() {
    let started = Instant::now();
    let copy = fresh_copy();
    for (what, bytes) in hostile_files() {
        std::fs::write(&copy.path, &bytes).unwrap();
        assert!(open_damaged(&copy.path, &what).is_some(), "{what}: unlocked");
    }
    assert!(started.elapsed() < Duration::from_secs(30), "{:?}", started.elapsed());
}

#[test]
fn the_binary_refuses_cut_and_random_files_with_their_exit_code_and_leaves_them_alone() {
    let bytes = &template().bytes;
    let mut cases: Vec<(String, Vec<u8>)> =
        [100, 512, 4096, 8192, 65_536].iter().map(|&n| (format!("cut at {n} bytes"), bytes[..n].to_vec())).collect();
    cases.extend(hostile_files().into_iter().step_by(4));
    for (what, contents) in cases {
        let copy = fresh_copy();
        std::fs::write(&copy.path, &contents).unwrap();
        let expected = open_damaged(&copy.path, &what).expect("refused");
        for args in [&["list"][..], &["get", "ALPHA"], &["info"]] {
            let out = tresor(&copy, args);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(exit_code_for(&expected)), "{what}, {args:?}: {err}");
            assert!(err.starts_with("tresor: ") && err.trim_end().lines().count() == 1, "{what}: {err}");
            assert!(!err.contains("panicked") && !err.contains("database error"), "{what}: {err}");
        }
        assert_eq!(std::fs::read(&copy.path).unwrap(), contents, "{what}: the file was modified");
        for suffix in ["-wal", "-shm", "-journal"] {
            assert!(!sidecar(&copy.path, suffix).exists(), "{what}: a {suffix} file was left behind");
        }
    }

    // Cut inside the last page, losing data: the vault unlocks, and what was cut off is reported
    // when read. (Zeros at the very end are unused space; cutting only those loses nothing.)
    let copy = fresh_copy();
    let last_data = bytes.iter().rposition(|&b| b != 0).unwrap();
    assert!(bytes.len() - last_data < 4096, "the last page holds data");
    let contents = &bytes[..last_data / 512 * 512];
    std::fs::write(&copy.path, contents).unwrap();
    if let Some(refused) = open_damaged(&copy.path, "cut inside the last page") {
        // Unlocking reads every row (each row's term covers its ciphertexts' nonces and tags), so
        // a row cut short may be found before any read: refused with the integrity exit code.
        for args in [&["list"][..], &["get", "ALPHA"]] {
            let out = tresor(&copy, args);
            assert_eq!(out.status.code(), Some(exit_code_for(&refused)), "{args:?}");
            assert_eq!(exit_code_for(&refused), 5, "{refused:?}");
        }
        assert_eq!(std::fs::read(&copy.path).unwrap(), contents, "the file was modified");
        return;
    }
    let vault = Vault::unlock(&copy.path, &Passphrase::new(PASS)).unwrap();
    let t = template();
    let mut damaged = 0;
    for (name, id) in [("ALPHA", t.alpha), ("BETA", t.beta), ("BIG", t.big)] {
        let out = tresor(&copy, &["get", name]);
        let err = String::from_utf8_lossy(&out.stderr);
        match vault.reveal(id) {
            Ok(value) => assert_eq!((out.status.code(), out.stdout.as_slice()), (Some(0), value.expose().as_bytes())),
            Err(e) => {
                damaged += 1;
                assert_eq!(out.status.code(), Some(exit_code_for(&e)), "{name}: {err}");
                assert!(err.contains("damaged") && err.trim_end().lines().count() == 1, "{name}: {err}");
            }
        }
    }
    assert!(damaged > 0);
    drop(vault);
    assert_eq!(std::fs::read(&copy.path).unwrap(), contents, "the file was modified");
}

// ---- files and folders someone else controls ----------------------------------------------

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[track_caller]
fn assert_unsafe(result: tresor::Result<impl std::fmt::Debug>, reason: &str) {
    match result {
        Err(e @ Error::UnsafeFile { .. }) => assert!(e.to_string().contains(reason), "{e}"),
        other => panic!("expected a refusal mentioning {reason:?}, got {other:?}"),
    }
}

#[test]
fn a_vault_behind_a_symlink_or_writable_by_others_is_refused() {
    let copy = fresh_copy();
    let link = copy.dir.path().join("link.db");
    std::os::unix::fs::symlink(&copy.path, &link).unwrap();
    assert_unsafe(unlock(&link), "symbolic link");
    assert_unsafe(Vault::info(&link), "symbolic link");

    set_mode(&copy.path, 0o666);
    assert_unsafe(unlock(&copy.path), "other users can write to it");
    set_mode(&copy.path, 0o600);
    std::os::unix::fs::chown(&copy.path, Some(65534), None).unwrap();
    assert_unsafe(unlock(&copy.path), "belongs to another user");
    std::os::unix::fs::chown(&copy.path, Some(0), None).unwrap();
    unlock(&copy.path).unwrap();
    let out = tresor(&copy, &["list"]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_journal_planted_beside_the_vault_by_someone_else_is_refused() {
    let copy = fresh_copy();
    let wal = sidecar(&copy.path, "-wal");
    std::fs::write(&wal, b"planted").unwrap();
    set_mode(&wal, 0o666);
    assert_unsafe(unlock(&copy.path), "other users can write to it");
    std::fs::remove_file(&wal).unwrap();
    std::os::unix::fs::symlink("/etc/hostname", sidecar(&copy.path, "-journal")).unwrap();
    assert_unsafe(unlock(&copy.path), "symbolic link");
}

#[test]
fn only_a_sticky_folder_may_be_writable_by_others() {
    let copy = fresh_copy();
    set_mode(copy.dir.path(), 0o777);
    assert_unsafe(unlock(&copy.path), "not a sticky folder");
    let out = tresor(&copy, &["get", "ALPHA"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    set_mode(copy.dir.path(), 0o1777); // like /tmp
    assert_eq!(unlock(&copy.path).unwrap().reveal(template().alpha).unwrap().expose(), ALPHA_V2);
    set_mode(copy.dir.path(), 0o700);
}

#[test]
fn a_backups_folder_someone_else_prepared_is_not_used() {
    let copy = fresh_copy();
    let backups = tresor::vault::backup::backup_dir(&copy.path);
    std::fs::create_dir(&backups).unwrap();
    set_mode(&backups, 0o777);
    let vault = unlock(&copy.path).unwrap();
    assert_unsafe(vault.backup_now(), "other users can write to it");
    assert_unsafe(tresor::vault::backup::list(&copy.path), "other users can write to it");
    drop(vault);

    // Made private again, a `keep` setting planted by someone else (writable by others) is
    // ignored: backups are not turned off behind the user's back.
    set_mode(&backups, 0o700);
    std::fs::write(backups.join("keep"), "0\n").unwrap();
    set_mode(&backups.join("keep"), 0o666);
    assert_eq!(tresor::vault::backup::keep(&copy.path), 5);
    set_mode(&backups.join("keep"), 0o600);
    assert_eq!(tresor::vault::backup::keep(&copy.path), 0, "the user's own setting counts");

    // A symlink in place of the folder is refused too.
    std::fs::remove_dir_all(&backups).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), &backups).unwrap();
    assert_unsafe(tresor::vault::backup::list(&copy.path), "symbolic link");
}

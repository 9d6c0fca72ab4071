//! Format migrations. A file of an older format becomes v3 at unlock (the new indexes and record
//! set need the vault key; `info` and `--salvage` never migrate the file): after its own
//! format's integrity check and a backup, in one transaction (v1 goes through v2 inside it),
//! under a new key id — so that an older Tresor process that still has the file open stops (its
//! key id no longer matches) instead of writing old rows into a new file. A crash or a kill at
//! any point leaves the file in its old format or in v3, never between.
//!
//! This is the only code that reads v1 rows: their AAD, their terms and their record-set MAC are
//! described in `store.rs` under "Format version 1".

use rusqlite::{Connection, OptionalExtension, Row};

use super::crypto::{self, Key32, VaultKeys};
use super::error::{Error, Result};
use super::place::PlaceId;
use super::records::{self, HistoryRow, Records, RowState, SecretRow, Write};
use super::secret::{SecretId, SecretName, SecretValue};
use super::store::{self, Header};
use super::wrap::wrap_under;

/// One v1 row of `secrets`: an integer revision, fields sealed without padding.
struct V1Secret {
    id: [u8; 16],
    name_index: [u8; 32],
    revision: i64,
    version: u32,
    created: i64,
    modified: i64,
    value_set: i64,
    deleted: Option<i64>,
    name: Vec<u8>,
    description: Vec<u8>,
    value: Vec<u8>,
}

struct V1History {
    id: [u8; 16],
    secret_id: [u8; 16],
    version: u32,
    created: i64,
    replaced: i64,
    value: Vec<u8>,
}

fn blob<const N: usize>(row: &Row<'_>, i: usize) -> rusqlite::Result<[u8; N]> {
    let bytes: Vec<u8> = row.get(i)?;
    bytes.try_into().map_err(|_| rusqlite::Error::InvalidColumnType(i, "blob".into(), rusqlite::types::Type::Blob))
}

/// A sealed column's bytes; anything but a BLOB reads as none (it then fails to open).
fn sealed(row: &Row<'_>, i: usize) -> rusqlite::Result<Vec<u8>> {
    Ok(match row.get_ref(i)? {
        rusqlite::types::ValueRef::Blob(b) => b.to_vec(),
        _ => Vec::new(),
    })
}

fn v1_secrets(conn: &Connection) -> Result<Vec<V1Secret>> {
    let mut stmt = conn.prepare(
        "SELECT id, name_index, revision, version, created, modified, value_set, deleted, name, description, value
         FROM secrets",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(V1Secret {
            id: blob(r, 0)?,
            name_index: blob(r, 1)?,
            revision: r.get(2)?,
            version: r.get(3)?,
            created: r.get(4)?,
            modified: r.get(5)?,
            value_set: r.get(6)?,
            deleted: r.get(7)?,
            name: sealed(r, 8)?,
            description: sealed(r, 9)?,
            value: sealed(r, 10)?,
        })
    })?;
    rows.collect::<rusqlite::Result<_>>().map_err(|_| Error::RecordSetTampered)
}

fn v1_history(conn: &Connection) -> Result<Vec<V1History>> {
    let mut stmt = conn.prepare("SELECT id, secret_id, version, created, replaced, value FROM history")?;
    let rows = stmt.query_map([], |r| {
        Ok(V1History {
            id: blob(r, 0)?,
            secret_id: blob(r, 1)?,
            version: r.get(2)?,
            created: r.get(3)?,
            replaced: r.get(4)?,
            value: sealed(r, 5)?,
        })
    })?;
    rows.collect::<rusqlite::Result<_>>().map_err(|_| Error::RecordSetTampered)
}

/// Length-prefixed parts, as v1 built its AADs.
fn v1_aad(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in parts {
        out.extend_from_slice(&(part.len() as u64).to_le_bytes());
        out.extend_from_slice(part);
    }
    out
}

/// The v1 rules, under one vault's keys.
struct V1<'a> {
    keys: &'a VaultKeys,
    vault_id: &'a [u8; 16],
}

impl V1<'_> {
    fn open_field(&self, row: &V1Secret, field: &str, sealed: &[u8]) -> Option<String> {
        let aad = v1_aad(&[
            b"tresor v1 field",
            self.vault_id,
            b"secrets",
            &row.id,
            field.as_bytes(),
            &row.revision.to_le_bytes(),
        ]);
        String::from_utf8(self.keys.open(sealed, &aad)?.to_vec()).ok()
    }

    fn open_history(&self, row: &V1History) -> Option<String> {
        let aad = v1_aad(&[
            b"tresor v1 field",
            self.vault_id,
            b"history",
            &row.id,
            b"value",
            &row.secret_id,
            &row.version.to_le_bytes(),
        ]);
        String::from_utf8(self.keys.open(&row.value, &aad)?.to_vec()).ok()
    }

    fn secret_term(&self, row: &V1Secret) -> [u8; 32] {
        let deleted = row.deleted.map_or([0xFF; 8], i64::to_le_bytes);
        self.keys.manifest_term(&[
            b"secrets",
            &row.id,
            &row.name_index,
            &row.revision.to_le_bytes(),
            &row.version.to_le_bytes(),
            &row.created.to_le_bytes(),
            &row.modified.to_le_bytes(),
            &row.value_set.to_le_bytes(),
            &[u8::from(row.deleted.is_some())],
            &deleted,
        ])
    }

    fn history_term(&self, row: &V1History) -> [u8; 32] {
        self.keys.manifest_term(&[
            b"history",
            &row.id,
            &row.secret_id,
            &row.version.to_le_bytes(),
            &row.created.to_le_bytes(),
            &row.replaced.to_le_bytes(),
        ])
    }
}

/// v1's record-set check: the XOR of every row's term against the stored `record_set_mac`.
fn verify_v1_rows(v1: &V1<'_>, conn: &Connection, secrets: &[V1Secret], history: &[V1History]) -> Result<()> {
    let stored: Vec<u8> = conn
        .query_row("SELECT record_set_mac FROM vault_header WHERE id = 1", [], |r| r.get(0))
        .optional()?
        .ok_or(Error::RecordSetTampered)?;
    let mut mac = [0u8; 32];
    let terms = secrets.iter().map(|r| v1.secret_term(r)).chain(history.iter().map(|r| v1.history_term(r)));
    for term in terms {
        mac.iter_mut().zip(term).for_each(|(m, t)| *m ^= t);
    }
    if stored.as_slice() != mac {
        return Err(Error::RecordSetTampered);
    }
    Ok(())
}

/// v1's record-set check of the file behind `conn` (what a v1 unlock did).
pub(super) fn verify_v1(conn: &Connection, header: &Header, keys: &VaultKeys) -> Result<()> {
    let snapshot = conn.unchecked_transaction()?;
    let v1 = V1 { keys, vault_id: &header.vault_id };
    verify_v1_rows(&v1, &snapshot, &v1_secrets(&snapshot)?, &v1_history(&snapshot)?)
}

/// Migrates the v1 database behind `conn` to v2 in one transaction and returns the v2 header (a
/// new key id; the old one in its lineage). `header` is its v1 header, `keys` and `kek` what
/// unlocked it. With `require_intact`, a file that fails v1's record-set check is refused
/// ([`Error::RecordSetTampered`]) and nothing changes; without (salvage, on a copy in memory), it
/// is migrated all the same so that what still decrypts can be read, and its record set is left
/// invalid, so that it still fails the check.
///
/// Every row keeps its id, versions and times; every field is re-sealed with padding under a new
/// random revision. A field that does not open (a damaged record) keeps its old bytes, so it is
/// still reported as damaged, by name, after the migration.
fn v1_to_v2(tx: &Connection, header: &Header, keys: &VaultKeys, kek: &Key32, require_intact: bool) -> Result<Header> {
    let v1 = V1 { keys, vault_id: &header.vault_id };
    let secrets = v1_secrets(tx)?;
    let history = v1_history(tx)?;
    let intact = verify_v1_rows(&v1, tx, &secrets, &history).is_ok();
    if require_intact && !intact {
        return Err(Error::RecordSetTampered);
    }

    let new_header = under_new_key_id(header, keys, kek);
    let records = Records { keys, vault_id: &header.vault_id };
    let mut set = records::RecordSet::default();

    tx.execute_batch("DROP TABLE history; DROP TABLE secrets; DROP TABLE vault_header;")?;
    tx.execute_batch(store::SCHEMA_V2)?;
    // The history first (sealed, not yet inserted), so that each secret's row is sealed with
    // its history's sum; inserted after the secrets it refers to.
    let mut sums = std::collections::HashMap::<SecretId, records::HistorySum>::new();
    let history: Vec<HistoryRow> = history
        .iter()
        .map(|old| {
            let secret_id = SecretId(old.secret_id);
            let row = match v1.open_history(old) {
                Some(value) => records.seal_history(
                    old.id,
                    secret_id,
                    old.version,
                    old.created,
                    old.replaced,
                    &SecretValue::new(value),
                ),
                None => HistoryRow {
                    id: old.id,
                    secret_id,
                    version: old.version,
                    created: old.created,
                    replaced: old.replaced,
                    value: old.value.clone(),
                },
            };
            records::fold(sums.entry(secret_id).or_default(), records.history_term(&row));
            row
        })
        .collect();
    for old in &secrets {
        let id = SecretId(old.id);
        let state = RowState {
            revision: records::new_revision(),
            version: old.version,
            created: old.created,
            modified: old.modified,
            value_set: old.value_set,
            deleted: old.deleted,
            history: sums.get(&id).copied().unwrap_or_default(),
        };
        let name = v1.open_field(old, "name", &old.name).and_then(|n| SecretName::parse(&n).ok());
        let description = v1.open_field(old, "description", &old.description);
        let value = v1.open_field(old, "value", &old.value);
        let row = match (name, description, value) {
            (Some(name), Some(description), Some(value)) => {
                let mut row = records.seal_secret(id, NO_PLACE, &name, &description, &SecretValue::new(value), state);
                // v2's index had no place (the v3 step recomputes it).
                row.name_index = match old.deleted {
                    None => v2_index(keys, b"name", &name),
                    Some(_) => v2_index(keys, b"trashed name", &name),
                };
                row
            }
            // Damaged: keep the bytes as they were; they will not open, and say so.
            _ => SecretRow {
                id,
                place: NO_PLACE,
                name_index: old.name_index,
                revision: state.revision,
                version: old.version,
                created: old.created,
                modified: old.modified,
                value_set: old.value_set,
                deleted: old.deleted,
                history: state.history,
                name: old.name.clone(),
                description: old.description.clone(),
                value: old.value.clone(),
            },
        };
        insert_v2_secret(tx, &row)?;
        set.add(records.v2_secret_term(&row));
    }
    for row in &history {
        insert_v2_history(tx, row)?;
        set.history_rows += 1;
    }
    let sealed_set = if intact { records.seal_record_set(&set, &new_header.key_id) } else { Vec::new() };
    store::insert_header(tx, &new_header, &sealed_set)?;
    tx.pragma_update(None, "user_version", 2)?;
    Ok(new_header)
}

/// `header` under a new key id (the old one joins its lineage), the vault key wrapped again: what
/// each migration step writes, so that a process still holding the old header stops.
fn under_new_key_id(header: &Header, keys: &VaultKeys, kek: &Key32) -> Header {
    let mut lineage = header.lineage.clone().unwrap_or_default();
    lineage.push(header.key_id);
    wrap_under(
        kek,
        Header { key_id: crypto::random_bytes(), lineage: Some(lineage), ..header.clone() },
        keys.vault_key(),
    )
}

/// A v2 row's secret before it has a place (v3 gives it the default project's).
const NO_PLACE: PlaceId = PlaceId([0; 16]);

/// Format v2's blind index of a name (no place in it).
fn v2_index(keys: &VaultKeys, label: &[u8], name: &SecretName) -> [u8; 32] {
    keys.index_of(&[label, name.as_str().as_bytes()])
}

/// Format v2's `history` row (the v1 to v2 step writes the old format with its own SQL: the
/// write context, `records/write.rs`, writes the current format's rows only).
fn insert_v2_history(tx: &Connection, row: &HistoryRow) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO history (id, secret_id, version, created, replaced, value) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(rusqlite::params![row.id, row.secret_id.0, row.version, row.created, row.replaced, row.value])?;
    Ok(())
}

fn insert_v2_secret(tx: &Connection, row: &SecretRow) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO secrets (id, name_index, revision, version, created, modified, value_set, deleted,
             history_sum, name, description, value) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(rusqlite::params![
        row.id.0,
        row.name_index,
        row.revision,
        row.version,
        row.created,
        row.modified,
        row.value_set,
        row.deleted,
        row.history,
        row.name,
        row.description,
        row.value
    ])?;
    Ok(())
}

/// Format v2's rows of `secrets` (no place).
fn v2_secrets(tx: &Connection) -> Result<Vec<SecretRow>> {
    let columns = SecretRow::COLUMNS.replacen("place, ", "", 1);
    let mut stmt = tx.prepare(&format!("SELECT {columns} FROM secrets"))?;
    let rows = stmt.query_map([], |r| {
        Ok(SecretRow {
            id: SecretId(blob(r, 0)?),
            place: NO_PLACE,
            name_index: blob(r, 1)?,
            revision: blob(r, 2)?,
            version: r.get(3)?,
            created: r.get(4)?,
            modified: r.get(5)?,
            value_set: r.get(6)?,
            deleted: r.get(7)?,
            history: blob(r, 8)?,
            name: sealed(r, 9)?,
            description: sealed(r, 10)?,
            value: sealed(r, 11)?,
        })
    })?;
    rows.collect::<rusqlite::Result<_>>().map_err(|_| Error::RecordSetTampered)
}

/// v2's record-set check of the file behind `conn` (what a v2 unlock did).
pub(super) fn verify_v2(conn: &Connection, header: &Header, keys: &VaultKeys) -> Result<()> {
    let snapshot = conn.unchecked_transaction()?;
    verify_v2_rows(&snapshot, header, keys)
}

fn verify_v2_rows(tx: &Connection, header: &Header, keys: &VaultKeys) -> Result<()> {
    let records = Records { keys, vault_id: &header.vault_id };
    let stored = records.open_record_set(&store::read_record_set(tx)?, &header.key_id)?;
    if !records::record_set_of_rows(tx, &records, 2)?.same_rows(&stored) {
        return Err(Error::RecordSetTampered);
    }
    Ok(())
}

/// Format v2 to v3: places. A default project (`Personal`, with the usual environments) is
/// made, and every secret, live or trashed, goes to its project level with its id, versions,
/// history, times and ciphertexts (v3 seals secret fields as v2 did); only each name's blind
/// index is recomputed for its place. Under a new key id.
fn v2_to_v3(
    tx: &Connection,
    header: &Header,
    keys: &VaultKeys,
    kek: &Key32,
    require_intact: bool,
    now: i64,
) -> Result<Header> {
    let intact = verify_v2_rows(tx, header, keys).is_ok();
    if require_intact && !intact {
        return Err(Error::RecordSetTampered);
    }
    let secrets = v2_secrets(tx)?;
    let history = HistoryRow::all(tx)?;
    let new_header = under_new_key_id(header, keys, kek);
    let records = Records { keys, vault_id: &header.vault_id };

    tx.execute_batch("DROP TABLE history; DROP TABLE secrets; DROP TABLE vault_header;")?;
    tx.execute_batch(store::SCHEMA_V3)?;
    // Every row of the new tables is new to them: a write that builds its record set anew.
    let mut write = Write::rebuild(tx, Records { keys, vault_id: &header.vault_id });
    let places = super::places::default_project_rows(&records, now);
    let project = places[0].id;
    for place in &places {
        write.insert_place(place)?;
    }
    for old in secrets {
        let mut row = SecretRow { place: project, ..old };
        if let Ok(name) = records.name(&row) {
            row.name_index = match row.deleted {
                None => keys.name_index(&project.0, name.as_str()),
                Some(_) => keys.trashed_name_index(&project.0, name.as_str()),
            };
        }
        write.insert_secret(&row)?;
    }
    for row in &history {
        write.insert_history(row)?;
    }
    let sealed_set = if intact { write.sealed_for_new_file(&new_header.key_id) } else { Vec::new() };
    store::insert_header(tx, &new_header, &sealed_set)?;
    tx.pragma_update(None, "user_version", 3)?;
    Ok(new_header)
}

/// Migrates the database behind `conn` from its format (1 or 2) to the current one, every step
/// in one transaction, and returns the new header. `header` is the file's, `keys` and `kek` what
/// unlocked it. With `require_intact`, a file that fails its own format's record-set check is
/// refused ([`Error::RecordSetTampered`]) and nothing changes; without (salvage, on a copy in
/// memory), it is migrated all the same and its record set left invalid, so that it still fails
/// the check. A crash or a kill at any point leaves the file as it was or fully migrated.
pub(super) fn upgrade(
    conn: &Connection,
    header: &Header,
    keys: &VaultKeys,
    kek: &Key32,
    require_intact: bool,
    now: i64,
) -> Result<Header> {
    let tx = rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
    let from = store::format_version(&tx)?;
    if from >= store::FORMAT_VERSION || store::read_key_id(&tx)? != header.key_id {
        // Another process migrated (or rotated) it meanwhile: unlock again.
        return Err(Error::KeyRotatedElsewhere);
    }
    let mut header = header.clone();
    if from == 1 {
        header = v1_to_v2(&tx, &header, keys, kek, require_intact)?;
    }
    header = v2_to_v3(&tx, &header, keys, kek, require_intact, now)?;
    tx.commit()?;
    Ok(header)
}

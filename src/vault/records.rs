//! Rows as stored (format v2), and how they are sealed, opened and counted in the record set. The
//! AAD, padding and record-set layouts here are the ones `store.rs` specifies. (Format v1 rows are
//! read only by the migration, in `migrate.rs`.)

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::crypto::{self, NONCE_LEN, TAG_LEN, VaultKeys};
use super::error::{Error, Result};
use super::place::{PlaceId, PlaceName};
use super::secret::{SecretId, SecretMeta, SecretName, SecretValue, Timestamp};

/// A random 128-bit revision, new at every rewrite of a row's ciphertexts: part of each field's
/// AAD, so no AAD is ever used twice for one record, even across restores.
pub(crate) type Revision = [u8; 16];

pub(crate) fn new_revision() -> Revision {
    crypto::random_bytes()
}

/// The XOR of the record-set terms of a secret's history rows, kept in the secret's row (whose
/// own term covers it): unlocking reads the secrets alone, and a secret's history is checked
/// against it whenever it is read. All zeros for a secret without history.
pub(crate) type HistorySum = [u8; 32];

/// Adds a term to a sum, or takes it out (XOR is its own inverse).
pub(crate) fn fold(sum: &mut [u8; 32], term: [u8; 32]) {
    sum.iter_mut().zip(term).for_each(|(v, t)| *v ^= t);
}

/// A live secret's id, place, revision and sealed name: what reading every name needs.
pub(crate) type SealedName = (SecretId, PlaceId, Revision, Vec<u8>);

/// One row of `secrets`.
#[derive(Clone, Debug)]
pub(crate) struct SecretRow {
    pub id: SecretId,
    /// The project level or environment it lives in.
    pub place: PlaceId,
    pub name_index: [u8; 32],
    pub revision: Revision,
    pub version: u32,
    pub created: i64,
    pub modified: i64,
    /// When the current value was set (the current version's time).
    pub value_set: i64,
    pub deleted: Option<i64>,
    /// The secret's [`HistorySum`].
    pub history: HistorySum,
    pub name: Vec<u8>,
    pub description: Vec<u8>,
    pub value: Vec<u8>,
}

fn blob_array<const N: usize>(row: &Row<'_>, index: usize) -> rusqlite::Result<[u8; N]> {
    let bytes: Vec<u8> = row.get(index)?;
    bytes.try_into().map_err(|b: Vec<u8>| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            rusqlite::types::Type::Blob,
            format!("expected {N} bytes, found {}", b.len()).into(),
        )
    })
}

/// A sealed column's bytes. Tresor only ever stores BLOBs there; anything else (one flipped bit
/// in SQLite's record header turns a BLOB into TEXT) is read as no bytes, which fails to open
/// like any damaged ciphertext: that one record is reported, and reading the rows around it
/// does not fail.
fn sealed_bytes(row: &Row<'_>, index: usize) -> rusqlite::Result<Vec<u8>> {
    blob_ref(row, index).map(<[u8]>::to_vec)
}

impl SecretRow {
    pub const COLUMNS: &'static str = "id, place, name_index, revision, version, created, modified, value_set, deleted, history_sum, name, description, value";

    pub fn from_row(row: &Row<'_>) -> rusqlite::Result<SecretRow> {
        Ok(SecretRow {
            id: SecretId(blob_array(row, 0)?),
            place: PlaceId(blob_array(row, 1)?),
            name_index: blob_array(row, 2)?,
            revision: blob_array(row, 3)?,
            version: row.get(4)?,
            created: row.get(5)?,
            modified: row.get(6)?,
            value_set: row.get(7)?,
            deleted: row.get(8)?,
            history: blob_array(row, 9)?,
            name: sealed_bytes(row, 10)?,
            description: sealed_bytes(row, 11)?,
            value: sealed_bytes(row, 12)?,
        })
    }

    pub fn load(conn: &Connection, id: SecretId) -> Result<Option<SecretRow>> {
        let sql = format!("SELECT {} FROM secrets WHERE id = ?1", Self::COLUMNS);
        Ok(conn.prepare_cached(&sql)?.query_row([id.0.as_slice()], Self::from_row).optional()?)
    }

    pub fn all(conn: &Connection) -> Result<Vec<SecretRow>> {
        Self::select(conn, "", [])
    }

    /// Live secrets, in no particular order (a scan of the table: no index is used).
    pub fn live(conn: &Connection) -> Result<Vec<SecretRow>> {
        let rows = Self::select(conn, "WHERE deleted IS NULL", [])?;
        check_rows(rows, "secrets", |r| r.deleted.is_none())
    }

    /// Live secrets of one place, in no particular order.
    pub fn live_in(conn: &Connection, place: PlaceId) -> Result<Vec<SecretRow>> {
        let rows = Self::through_index(conn, "WHERE i.place = ?1 AND i.deleted IS NULL", [place.0.as_slice()])?;
        check_rows(rows, "secrets_place", |r| r.place == place && r.deleted.is_none())
    }

    /// Secrets of one place trashed at `deleted` (with the place itself, when it was deleted).
    pub fn trashed_with(conn: &Connection, place: PlaceId, deleted: i64) -> Result<Vec<SecretRow>> {
        let filter = "WHERE i.place = ?1 AND i.deleted = ?2";
        let rows = Self::through_index(conn, filter, rusqlite::params![place.0.as_slice(), deleted])?;
        check_rows(rows, "secrets_place", |r| r.place == place && r.deleted == Some(deleted))
    }

    /// How many live secrets each place holds. Read from the index alone (counts, shown beside
    /// each place; nothing is read or written by them).
    pub fn live_counts(conn: &Connection) -> Result<std::collections::HashMap<PlaceId, usize>> {
        let mut stmt =
            conn.prepare_cached("SELECT place, count(*) FROM secrets WHERE deleted IS NULL GROUP BY place")?;
        let rows = stmt.query_map([], |r| Ok((PlaceId(blob_array(r, 0)?), r.get::<_, i64>(1)? as usize)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Trashed secrets, most recently deleted first.
    pub fn trashed(conn: &Connection) -> Result<Vec<SecretRow>> {
        let rows = Self::through_index(conn, "WHERE i.deleted IS NOT NULL", [])?;
        let mut rows = check_rows(rows, "secrets_trash", |r| r.deleted.is_some())?;
        rows.sort_by_key(|r| std::cmp::Reverse(r.deleted));
        Ok(rows)
    }

    /// Trashed secrets whose name has blind index `index`, most recently deleted first.
    pub fn trashed_by_index(conn: &Connection, index: &[u8; 32]) -> Result<Vec<SecretRow>> {
        let filter = "WHERE i.name_index = ?1 AND i.deleted IS NOT NULL";
        let rows = Self::through_index(conn, filter, [index.as_slice()])?;
        let mut rows = check_rows(rows, "secrets_trash_name", |r| r.name_index == *index && r.deleted.is_some())?;
        rows.sort_by_key(|r| std::cmp::Reverse(r.deleted));
        Ok(rows)
    }

    /// When the secret of `place` trashed last went to the trash.
    pub fn latest_trashed_in(conn: &Connection, place: PlaceId) -> Result<Option<i64>> {
        let rows = Self::through_index(conn, "WHERE i.place = ?1", [place.0.as_slice()])?;
        Ok(check_rows(rows, "secrets_place", |r| r.place == place)?.iter().filter_map(|r| r.deleted).max())
    }

    /// Every live secret's id, place, revision and sealed name (no other column is read; a scan
    /// of the table, no index).
    pub fn live_names(conn: &Connection) -> Result<Vec<SealedName>> {
        let mut stmt = conn.prepare_cached("SELECT id, place, revision, name FROM secrets WHERE deleted IS NULL")?;
        let rows = stmt.query_map([], |r| {
            Ok((SecretId(blob_array(r, 0)?), PlaceId(blob_array(r, 1)?), blob_array(r, 2)?, sealed_bytes(r, 3)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Whether any secret, live or trashed, lives in `place`: a scan of the table, not of an
    /// index, since the answer decides whether the place may be deleted for good (an index that
    /// left a secret out would orphan it).
    pub fn any_in(conn: &Connection, place: PlaceId) -> Result<bool> {
        Ok(conn.prepare_cached(ANY_IN_PLACE)?.query_row([place.0.as_slice()], |_| Ok(())).optional()?.is_some())
    }

    /// Whether any secret was trashed before `cutoff` (milliseconds). Only whether to look: the
    /// rows purged are read again, checked.
    pub fn any_trashed_before(conn: &Connection, cutoff: i64) -> Result<bool> {
        Ok(conn
            .query_row("SELECT 1 FROM secrets WHERE deleted IS NOT NULL AND deleted < ?1 LIMIT 1", [cutoff], |_| Ok(()))
            .optional()?
            .is_some())
    }

    fn select(conn: &Connection, filter: &str, params: impl rusqlite::Params) -> Result<Vec<SecretRow>> {
        let sql = format!("SELECT {} FROM secrets {filter}", Self::COLUMNS);
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params, Self::from_row)?.collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Rows found through an index of `secrets` (`filter` names the lookup's table `i`), each read
    /// from the table itself (`s`, by its primary key). SQLite reads every column an index holds
    /// from the index, even when it also reads the row; an index is not authenticated, so an
    /// edited entry would hand back another row with the lookup's own place, name index or
    /// trash state. Here the index only finds ids; callers check the rows ([`check_rows`]).
    fn through_index(conn: &Connection, filter: &str, params: impl rusqlite::Params) -> Result<Vec<SecretRow>> {
        let columns: Vec<String> = Self::COLUMNS.split(", ").map(|c| format!("s.{c}")).collect();
        let sql = format!("SELECT {} FROM secrets AS i JOIN secrets AS s ON s.id = i.id {filter}", columns.join(", "));
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params, Self::from_row)?.collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Deletes the row (its history must be gone first).
    pub fn delete(&self, conn: &Connection) -> Result<()> {
        conn.execute("DELETE FROM secrets WHERE id = ?1", [self.id.as_bytes().as_slice()])?;
        Ok(())
    }

    pub fn insert(&self, conn: &Connection) -> Result<()> {
        conn.prepare_cached(
            "INSERT INTO secrets (id, place, name_index, revision, version, created, modified, value_set, deleted,
                 history_sum, name, description, value) VALUES (?1, ?13, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?
        .execute(params![
            self.id.0,
            self.name_index,
            self.revision,
            self.version,
            self.created,
            self.modified,
            self.value_set,
            self.deleted,
            self.history,
            self.name,
            self.description,
            self.value,
            self.place.0
        ])?;
        Ok(())
    }

    pub fn update(&self, conn: &Connection) -> Result<()> {
        conn.prepare_cached(
            "UPDATE secrets SET name_index = ?2, revision = ?3, version = ?4, created = ?5, modified = ?6,
                 value_set = ?7, deleted = ?8, history_sum = ?9, name = ?10, description = ?11, value = ?12,
                 place = ?13 WHERE id = ?1",
        )?
        .execute(params![
            self.id.0,
            self.name_index,
            self.revision,
            self.version,
            self.created,
            self.modified,
            self.value_set,
            self.deleted,
            self.history,
            self.name,
            self.description,
            self.value,
            self.place.0
        ])?;
        Ok(())
    }
}

/// How many rows of each kind the file holds (what `tresor info` shows without a passphrase).
pub(crate) struct RowCounts {
    pub live: u64,
    pub trashed: u64,
    pub history: u64,
}

impl RowCounts {
    pub fn read(conn: &Connection) -> Result<RowCounts> {
        let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).map(|n| n as u64);
        Ok(RowCounts {
            live: count("SELECT count(*) FROM secrets WHERE deleted IS NULL")?,
            trashed: count("SELECT count(*) FROM secrets WHERE deleted IS NOT NULL")?,
            history: count("SELECT count(*) FROM history")?,
        })
    }
}

/// One row of `history`: an earlier value of a secret.
#[derive(Clone, Debug)]
pub(crate) struct HistoryRow {
    pub id: [u8; 16],
    pub secret_id: SecretId,
    pub version: u32,
    pub created: i64,
    pub replaced: i64,
    pub value: Vec<u8>,
}

impl HistoryRow {
    const COLUMNS: &'static str = "id, secret_id, version, created, replaced, value";

    fn from_row(row: &Row<'_>) -> rusqlite::Result<HistoryRow> {
        Ok(HistoryRow {
            id: blob_array(row, 0)?,
            secret_id: SecretId(blob_array(row, 1)?),
            version: row.get(2)?,
            created: row.get(3)?,
            replaced: row.get(4)?,
            value: sealed_bytes(row, 5)?,
        })
    }

    /// A secret's history, newest first (at most [`super::HISTORY_LIMIT`] rows; their sealed
    /// values are loaded too, since a row's term covers its value's nonce and tag). Found through
    /// the `(secret_id, version)` index, read from the rows and checked (see
    /// [`SecretRow::through_index`]).
    pub fn all_for(conn: &Connection, secret: SecretId) -> Result<Vec<HistoryRow>> {
        let columns: Vec<String> = Self::COLUMNS.split(", ").map(|c| format!("h.{c}")).collect();
        let sql = format!(
            "SELECT {} FROM history AS i JOIN history AS h ON h.id = i.id WHERE i.secret_id = ?1",
            columns.join(", ")
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows: Vec<HistoryRow> =
            stmt.query_map([secret.0.as_slice()], Self::from_row)?.collect::<rusqlite::Result<_>>()?;
        if let Some(stray) = rows.iter().find(|r| r.secret_id != secret) {
            return Err(Error::IndexTampered {
                index: "history (secret_id, version)",
                record: format!("version {} of the secret with id {}", stray.version, stray.secret_id),
            });
        }
        let mut rows = rows;
        rows.sort_by_key(|r| std::cmp::Reverse(r.version));
        Ok(rows)
    }

    /// A secret's history entries past the newest `keep`, oldest last (those a new entry pushes
    /// out): usually none, and then nothing is loaded.
    /// Counted first, since a count takes one index lookup and no row (the rows to delete are
    /// then read from the table and checked: see [`HistoryRow::all_for`]).
    pub fn beyond(conn: &Connection, secret: SecretId, keep: usize) -> Result<Vec<HistoryRow>> {
        let count: i64 = conn
            .prepare_cached("SELECT count(*) FROM history WHERE secret_id = ?1")?
            .query_row([secret.0.as_slice()], |r| r.get(0))?;
        if count <= keep as i64 {
            return Ok(Vec::new());
        }
        Ok(Self::all_for(conn, secret)?.into_iter().skip(keep).collect())
    }

    pub fn all(conn: &Connection) -> Result<Vec<HistoryRow>> {
        let sql = format!("SELECT {} FROM history", Self::COLUMNS);
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map([], Self::from_row)?.collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    pub fn insert(&self, conn: &Connection) -> Result<()> {
        conn.prepare_cached(
            "INSERT INTO history (id, secret_id, version, created, replaced, value) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![self.id, self.secret_id.0, self.version, self.created, self.replaced, self.value])?;
        Ok(())
    }

    pub fn update(&self, conn: &Connection) -> Result<()> {
        conn.prepare_cached("UPDATE history SET value = ?2 WHERE id = ?1")?.execute(params![self.id, self.value])?;
        Ok(())
    }

    pub fn delete(&self, conn: &Connection) -> Result<()> {
        conn.prepare_cached("DELETE FROM history WHERE id = ?1")?.execute([self.id.as_slice()])?;
        Ok(())
    }
}

/// What authenticates the set of rows (see `store.rs`): the XOR of one keyed term per secret
/// row (each covering that secret's [`HistorySum`]), the number of secret rows and of history
/// rows, and a counter of writes. Stored sealed under the record key, so it can be neither read
/// nor combined from old copies; adding and removing a row are both one XOR, so every write
/// keeps it current in O(1).
#[derive(Default, Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordSet {
    pub writes: u64,
    pub rows: u64,
    pub history_rows: u64,
    sum: [u8; 32],
}

impl RecordSet {
    pub fn add(&mut self, term: [u8; 32]) {
        fold(&mut self.sum, term);
        self.rows += 1;
    }

    pub fn remove(&mut self, term: [u8; 32]) {
        fold(&mut self.sum, term);
        self.rows = self.rows.wrapping_sub(1);
    }

    /// Whether two sets hold the same rows (the write counters may differ).
    pub fn same_rows(&self, other: &RecordSet) -> bool {
        self.rows == other.rows && self.history_rows == other.history_rows && self.sum == other.sum
    }
}

/// A sealed field's commitment in its row's term: its nonce and tag. A ciphertext put in from
/// another copy of the file has other ones (fresh nonces), so the row's term changes with it.
fn commitment(sealed: &[u8]) -> [u8; NONCE_LEN + TAG_LEN] {
    let mut out = [0u8; NONCE_LEN + TAG_LEN];
    if sealed.len() >= NONCE_LEN + TAG_LEN {
        out[..NONCE_LEN].copy_from_slice(&sealed[..NONCE_LEN]);
        out[NONCE_LEN..].copy_from_slice(&sealed[sealed.len() - TAG_LEN..]);
    }
    out
}

/// Seals and opens rows under one vault's keys.
pub(crate) struct Records<'a> {
    pub keys: &'a VaultKeys,
    pub vault_id: &'a [u8; 16],
}

const NAME: &str = "name";
const DESCRIPTION: &str = "description";
const VALUE: &str = "value";

impl Records<'_> {
    fn secret_aad(&self, id: SecretId, field: &str, revision: &Revision) -> Vec<u8> {
        aad(&[b"tresor v2 field", self.vault_id, b"secrets", &id.0, field.as_bytes(), revision])
    }

    fn history_aad(&self, row: &HistoryRow) -> Vec<u8> {
        aad(&[
            b"tresor v2 field",
            self.vault_id,
            b"history",
            &row.id,
            VALUE.as_bytes(),
            &row.secret_id.0,
            &row.version.to_le_bytes(),
        ])
    }

    pub fn seal_secret(
        &self,
        id: SecretId,
        place: PlaceId,
        name: &SecretName,
        description: &str,
        value: &SecretValue,
        state: RowState,
    ) -> SecretRow {
        let seal = |field: &str, text: &str| {
            self.keys.seal(&crypto::pad(text.as_bytes()), &self.secret_aad(id, field, &state.revision))
        };
        let name_index = match state.deleted {
            None => self.keys.name_index(&place.0, name.as_str()),
            Some(_) => self.keys.trashed_name_index(&place.0, name.as_str()),
        };
        SecretRow {
            id,
            place,
            name_index,
            revision: state.revision,
            version: state.version,
            created: state.created,
            modified: state.modified,
            value_set: state.value_set,
            deleted: state.deleted,
            history: state.history,
            name: seal(NAME, name.as_str()),
            description: seal(DESCRIPTION, description),
            value: seal(VALUE, value.expose()),
        }
    }

    pub fn seal_history(
        &self,
        id: [u8; 16],
        secret_id: SecretId,
        version: u32,
        created: i64,
        replaced: i64,
        value: &SecretValue,
    ) -> HistoryRow {
        let mut row = HistoryRow { id, secret_id, version, created, replaced, value: Vec::new() };
        row.value = self.keys.seal(&crypto::pad(value.expose().as_bytes()), &self.history_aad(&row));
        row
    }

    /// Opens and unpads one sealed field; `None` if it does not open in this context.
    fn open_padded(&self, sealed: &[u8], aad: &[u8]) -> Option<zeroize::Zeroizing<Vec<u8>>> {
        let padded = self.keys.open(sealed, aad)?;
        crypto::unpad(&padded).map(|data| zeroize::Zeroizing::new(data.to_vec()))
    }

    fn open_secret_field(&self, row: &SecretRow, field: &'static str, sealed: &[u8]) -> Result<String> {
        let plain = self.open_padded(sealed, &self.secret_aad(row.id, field, &row.revision));
        plain
            .and_then(|p| String::from_utf8(p.to_vec()).ok())
            .ok_or_else(|| Error::CorruptRecord { record: self.describe(row), field })
    }

    /// How an error names a record: its name when that still decrypts, and always its id.
    fn describe(&self, row: &SecretRow) -> String {
        match self.open_padded(&row.name, &self.secret_aad(row.id, NAME, &row.revision)) {
            Some(name) => format!("{} (id {})", String::from_utf8_lossy(&name), row.id),
            None => format!("with id {}", row.id),
        }
    }

    pub fn name(&self, row: &SecretRow) -> Result<SecretName> {
        let text = self.open_secret_field(row, NAME, &row.name)?;
        SecretName::parse(&text)
            .map_err(|_| Error::CorruptRecord { record: format!("with id {}", row.id), field: NAME })
    }

    /// A name from its sealed bytes alone (id and revision make its AAD): for reading every
    /// name without loading the rest of each row. `None` if it does not open.
    pub fn name_only(&self, id: SecretId, revision: &Revision, sealed: &[u8]) -> Option<SecretName> {
        let plain = self.open_padded(sealed, &self.secret_aad(id, NAME, revision))?;
        std::str::from_utf8(&plain).ok().and_then(|text| SecretName::parse(text).ok())
    }

    pub fn description(&self, row: &SecretRow) -> Result<String> {
        self.open_secret_field(row, DESCRIPTION, &row.description)
    }

    pub fn value(&self, row: &SecretRow) -> Result<SecretValue> {
        let plain = self
            .open_padded(&row.value, &self.secret_aad(row.id, VALUE, &row.revision))
            .ok_or_else(|| Error::CorruptRecord { record: self.describe(row), field: VALUE })?;
        SecretValue::from_utf8(plain.to_vec())
            .map_err(|_| Error::CorruptRecord { record: self.describe(row), field: VALUE })
    }

    pub fn history_value(&self, row: &HistoryRow) -> Result<SecretValue> {
        let record = || format!("version {} of the secret with id {}", row.version, row.secret_id);
        let plain = self
            .open_padded(&row.value, &self.history_aad(row))
            .ok_or_else(|| Error::CorruptRecord { record: record(), field: VALUE })?;
        SecretValue::from_utf8(plain.to_vec()).map_err(|_| Error::CorruptRecord { record: record(), field: VALUE })
    }

    pub fn meta(&self, row: &SecretRow) -> Result<SecretMeta> {
        Ok(SecretMeta {
            id: row.id,
            place: row.place,
            name: self.name(row)?,
            description: self.description(row)?,
            version: row.version,
            created: Timestamp(row.created),
            modified: Timestamp(row.modified),
        })
    }

    pub fn secret_term(&self, row: &SecretRow) -> [u8; 32] {
        self.secret_term_of(&TermRow::of(row, Some(&row.place.0)))
    }

    /// A secret row's term: format v3's covers its place; v2's (`place: None`, only to check a
    /// v2 file before migrating it) has none.
    fn secret_term_of(&self, row: &TermRow<'_>) -> [u8; 32] {
        let deleted = row.deleted.map_or([0xFF; 8], i64::to_le_bytes);
        let version = row.version.to_le_bytes();
        let created = row.created.to_le_bytes();
        let modified = row.modified.to_le_bytes();
        let value_set = row.value_set.to_le_bytes();
        let is_deleted = [u8::from(row.deleted.is_some())];
        let commitments = row.sealed.map(commitment);
        let common: [&[u8]; 12] = [
            row.name_index,
            row.revision,
            &version,
            &created,
            &modified,
            &value_set,
            &is_deleted,
            &deleted,
            row.history,
            &commitments[0],
            &commitments[1],
            &commitments[2],
        ];
        // Fixed arrays, no allocation: an unlock computes one term per secret.
        match row.place {
            Some(place) => {
                let mut parts: [&[u8]; 15] = [&[]; 15];
                parts[..3].copy_from_slice(&[b"tresor v3 secrets", row.id, place]);
                parts[3..].copy_from_slice(&common);
                self.keys.manifest_term(&parts)
            }
            None => {
                let mut parts: [&[u8]; 14] = [&[]; 14];
                parts[..2].copy_from_slice(&[b"tresor v2 secrets", row.id]);
                parts[2..].copy_from_slice(&common);
                self.keys.manifest_term(&parts)
            }
        }
    }

    /// A row's term as format v2 computed it (no place): for the v1 to v2 step of a migration.
    pub fn v2_secret_term(&self, row: &SecretRow) -> [u8; 32] {
        self.secret_term_of(&TermRow::of(row, None))
    }

    pub fn history_term(&self, row: &HistoryRow) -> [u8; 32] {
        self.history_term_of(&row.id, &row.secret_id.0, row.version, row.created, row.replaced, &row.value)
    }

    /// The [`HistorySum`] of a secret whose history rows are `entries`.
    pub fn history_sum(&self, entries: &[HistoryRow]) -> HistorySum {
        let mut sum = HistorySum::default();
        entries.iter().for_each(|e| fold(&mut sum, self.history_term(e)));
        sum
    }

    fn history_term_of(
        &self,
        id: &[u8],
        secret_id: &[u8],
        version: u32,
        created: i64,
        replaced: i64,
        sealed_value: &[u8],
    ) -> [u8; 32] {
        self.keys.manifest_term(&[
            b"tresor v2 history",
            id,
            secret_id,
            &version.to_le_bytes(),
            &created.to_le_bytes(),
            &replaced.to_le_bytes(),
            &commitment(sealed_value),
        ])
    }

    fn place_aad(&self, row: &PlaceRow) -> Vec<u8> {
        aad(&[b"tresor v3 field", self.vault_id, row.table().as_bytes(), &row.id.0, NAME.as_bytes(), &row.revision])
    }

    /// Seals a project's (`project: None`) or an environment's row under a new revision. A live
    /// one's index is its name's in its scope; a trashed one's is its own.
    #[allow(clippy::too_many_arguments)]
    pub fn seal_place(
        &self,
        id: PlaceId,
        project: Option<PlaceId>,
        name: &PlaceName,
        position: i64,
        is_default: bool,
        created: i64,
        modified: i64,
        deleted: Option<i64>,
    ) -> PlaceRow {
        let name_index = match (deleted, project) {
            (Some(_), _) => self.keys.trashed_place_index(&id.0),
            (None, None) => self.keys.project_index(&name.folded()),
            (None, Some(project)) => self.keys.environment_index(&project.0, &name.folded()),
        };
        let mut row = PlaceRow {
            id,
            project,
            name_index,
            revision: new_revision(),
            position,
            is_default,
            created,
            modified,
            deleted,
            name: Vec::new(),
        };
        row.name = self.keys.seal(&crypto::pad(name.as_str().as_bytes()), &self.place_aad(&row));
        row
    }

    pub fn place_name(&self, row: &PlaceRow) -> Result<PlaceName> {
        let kind = if row.project.is_some() { "environment" } else { "project" };
        let record = || format!("{kind} with id {:?}", row.id);
        let plain = self
            .open_padded(&row.name, &self.place_aad(row))
            .ok_or_else(|| Error::CorruptRecord { record: record(), field: NAME })?;
        String::from_utf8(plain.to_vec())
            .ok()
            .and_then(|text| PlaceName::parse(&text).ok())
            .ok_or_else(|| Error::CorruptRecord { record: record(), field: NAME })
    }

    pub fn place_term(&self, row: &PlaceRow) -> [u8; 32] {
        let deleted = row.deleted.map_or([0xFF; 8], i64::to_le_bytes);
        let project = row.project.map_or([0u8; 16], |p| p.0);
        self.keys.manifest_term(&[
            b"tresor v3 places",
            row.table().as_bytes(),
            &row.id.0,
            &project,
            &row.name_index,
            &row.revision,
            &row.position.to_le_bytes(),
            &[u8::from(row.is_default)],
            &row.created.to_le_bytes(),
            &row.modified.to_le_bytes(),
            &[u8::from(row.deleted.is_some())],
            &deleted,
            &commitment(&row.name),
        ])
    }

    fn record_set_aad(&self, key_id: &[u8]) -> Vec<u8> {
        aad(&[b"tresor v2 record set", self.vault_id, key_id])
    }

    /// The record set as stored: sealed, so that nobody without the vault key can read it, make
    /// one up, or combine old ones.
    pub fn seal_record_set(&self, set: &RecordSet, key_id: &[u8]) -> Vec<u8> {
        let mut plain = zeroize::Zeroizing::new(Vec::with_capacity(56));
        plain.extend_from_slice(&set.writes.to_le_bytes());
        plain.extend_from_slice(&set.rows.to_le_bytes());
        plain.extend_from_slice(&set.history_rows.to_le_bytes());
        plain.extend_from_slice(&set.sum);
        self.keys.seal(&plain, &self.record_set_aad(key_id))
    }

    /// Opens the stored record set; anything that does not open is tampering.
    pub fn open_record_set(&self, sealed: &[u8], key_id: &[u8]) -> Result<RecordSet> {
        let plain = self.keys.open(sealed, &self.record_set_aad(key_id)).ok_or(Error::RecordSetTampered)?;
        if plain.len() != 56 {
            return Err(Error::RecordSetTampered);
        }
        let u64_at = |i: usize| u64::from_le_bytes(plain[i..i + 8].try_into().expect("8 bytes"));
        Ok(RecordSet {
            writes: u64_at(0),
            rows: u64_at(8),
            history_rows: u64_at(16),
            sum: plain[24..56].try_into().expect("32 bytes"),
        })
    }
}

/// A `secrets` row as its term reads it: borrowed from SQLite's row, nothing copied.
struct TermRow<'a> {
    id: &'a [u8],
    place: Option<&'a [u8]>,
    name_index: &'a [u8],
    revision: &'a [u8],
    version: u32,
    created: i64,
    modified: i64,
    value_set: i64,
    deleted: Option<i64>,
    history: &'a [u8],
    sealed: [&'a [u8]; 3],
}

impl<'a> TermRow<'a> {
    /// A stored row's columns; `place: None` for format 2's term.
    fn of(row: &'a SecretRow, place: Option<&'a [u8]>) -> Self {
        TermRow {
            id: &row.id.0,
            place,
            name_index: &row.name_index,
            revision: &row.revision,
            version: row.version,
            created: row.created,
            modified: row.modified,
            value_set: row.value_set,
            deleted: row.deleted,
            history: &row.history,
            sealed: [&row.name, &row.description, &row.value],
        }
    }
}

/// A column's bytes as they are, or none for anything but a BLOB (see [`sealed_bytes`]; in a
/// term, the term then does not match).
fn blob_ref<'a>(row: &'a Row<'_>, i: usize) -> rusqlite::Result<&'a [u8]> {
    Ok(match row.get_ref(i)? {
        rusqlite::types::ValueRef::Blob(bytes) => bytes,
        _ => &[],
    })
}

/// The record set as the file's rows make it: every secret row's term, computed on the rows as
/// SQLite hands them out (no copies: an unlock reads every secret), and the number of history
/// rows (counted, not read: each secret's history is checked against its [`HistorySum`] when it
/// is read, so that an unlock reads 100,000 rows, not the 600,000 of a vault with history).
pub(crate) fn record_set_of_rows(conn: &Connection, records: &Records<'_>, format: i64) -> Result<RecordSet> {
    let tampered = |_| Error::RecordSetTampered;
    let mut set = RecordSet::default();
    // Format 2 (checked before it is migrated) has no places.
    let columns = if format >= 3 { SecretRow::COLUMNS } else { &SecretRow::COLUMNS.replacen("place, ", "", 1) };
    let first = if format >= 3 { 2 } else { 1 };
    let mut stmt = conn.prepare(&format!("SELECT {columns} FROM secrets"))?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let at = |i: usize| first + i;
        let term_row = TermRow {
            id: blob_ref(row, 0)?,
            place: if format >= 3 { Some(blob_ref(row, 1)?) } else { None },
            name_index: blob_ref(row, at(0))?,
            revision: blob_ref(row, at(1))?,
            version: row.get(at(2)).map_err(tampered)?,
            created: row.get(at(3)).map_err(tampered)?,
            modified: row.get(at(4)).map_err(tampered)?,
            value_set: row.get(at(5)).map_err(tampered)?,
            deleted: row.get(at(6)).map_err(tampered)?,
            history: blob_ref(row, at(7))?,
            sealed: [blob_ref(row, at(8))?, blob_ref(row, at(9))?, blob_ref(row, at(10))?],
        };
        set.add(records.secret_term_of(&term_row));
    }
    if format >= 3 {
        for place in PlaceRow::all(conn).map_err(|_| Error::RecordSetTampered)? {
            set.add(records.place_term(&place));
        }
    }
    let history_rows: i64 = conn.query_row("SELECT count(*) FROM history", [], |r| r.get(0))?;
    set.history_rows = history_rows as u64;
    Ok(set)
}

/// One row of `projects` (`project: None`) or of `environments` (`project`: the project it
/// belongs to).
#[derive(Clone, Debug)]
pub(crate) struct PlaceRow {
    pub id: PlaceId,
    pub project: Option<PlaceId>,
    pub name_index: [u8; 32],
    pub revision: Revision,
    pub position: i64,
    /// Projects only: the default project.
    pub is_default: bool,
    pub created: i64,
    pub modified: i64,
    pub deleted: Option<i64>,
    pub name: Vec<u8>,
}

impl PlaceRow {
    fn table(&self) -> &'static str {
        if self.project.is_some() { "environments" } else { "projects" }
    }

    fn from_project(row: &Row<'_>) -> rusqlite::Result<PlaceRow> {
        Ok(PlaceRow {
            id: PlaceId(blob_array(row, 0)?),
            project: None,
            name_index: blob_array(row, 1)?,
            revision: blob_array(row, 2)?,
            position: row.get(3)?,
            is_default: row.get(4)?,
            created: row.get(5)?,
            modified: row.get(6)?,
            deleted: row.get(7)?,
            name: sealed_bytes(row, 8)?,
        })
    }

    fn from_environment(row: &Row<'_>) -> rusqlite::Result<PlaceRow> {
        Ok(PlaceRow {
            id: PlaceId(blob_array(row, 0)?),
            project: Some(PlaceId(blob_array(row, 1)?)),
            name_index: blob_array(row, 2)?,
            revision: blob_array(row, 3)?,
            position: row.get(4)?,
            is_default: false,
            created: row.get(5)?,
            modified: row.get(6)?,
            deleted: row.get(7)?,
            name: sealed_bytes(row, 8)?,
        })
    }

    const PROJECT_COLUMNS: &'static str =
        "id, name_index, revision, position, is_default, created, modified, deleted, name";
    const ENVIRONMENT_COLUMNS: &'static str =
        "id, project_id, name_index, revision, position, created, modified, deleted, name";

    /// Every project and environment, live and trashed: projects first, each kind by position.
    pub fn all(conn: &Connection) -> Result<Vec<PlaceRow>> {
        let mut out: Vec<PlaceRow> = conn
            .prepare_cached(&format!("SELECT {} FROM projects ORDER BY position", Self::PROJECT_COLUMNS))?
            .query_map([], Self::from_project)?
            .collect::<rusqlite::Result<_>>()?;
        let environments = conn
            .prepare_cached(&format!("SELECT {} FROM environments ORDER BY position", Self::ENVIRONMENT_COLUMNS))?
            .query_map([], Self::from_environment)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        out.extend(environments);
        Ok(out)
    }

    /// The live project or environment whose name has blind index `index` (found through the
    /// tables' name indexes, read from the rows and checked: see [`SecretRow::through_index`]).
    pub fn live_by_index(conn: &Connection, index: &[u8; 32]) -> Result<Option<PlaceRow>> {
        let through = |table: &str, columns: &str, from_row: fn(&Row<'_>) -> rusqlite::Result<PlaceRow>| {
            let columns: Vec<String> = columns.split(", ").map(|c| format!("p.{c}")).collect();
            let sql = format!(
                "SELECT {} FROM {table} AS i JOIN {table} AS p ON p.id = i.id WHERE i.name_index = ?1 AND i.deleted IS NULL",
                columns.join(", ")
            );
            let row = conn.prepare_cached(&sql)?.query_row([index.as_slice()], from_row).optional()?;
            match row {
                Some(row) if row.name_index != *index || row.deleted.is_some() => Err(Error::IndexTampered {
                    index: if table == "projects" { "projects_name" } else { "environments_name" },
                    record: format!("{} with id {:?}", &table[..table.len() - 1], row.id),
                }),
                row => Ok(row),
            }
        };
        if let Some(project) = through("projects", Self::PROJECT_COLUMNS, Self::from_project)? {
            return Ok(Some(project));
        }
        through("environments", Self::ENVIRONMENT_COLUMNS, Self::from_environment)
    }

    pub fn load(conn: &Connection, id: PlaceId) -> Result<Option<PlaceRow>> {
        let project = conn
            .prepare_cached(&format!("SELECT {} FROM projects WHERE id = ?1", Self::PROJECT_COLUMNS))?
            .query_row([id.0.as_slice()], Self::from_project)
            .optional()?;
        if project.is_some() {
            return Ok(project);
        }
        Ok(conn
            .prepare_cached(&format!("SELECT {} FROM environments WHERE id = ?1", Self::ENVIRONMENT_COLUMNS))?
            .query_row([id.0.as_slice()], Self::from_environment)
            .optional()?)
    }

    pub fn insert(&self, conn: &Connection) -> Result<()> {
        match self.project {
            None => conn
                .prepare_cached(
                    "INSERT INTO projects (id, name_index, revision, position, is_default, created, modified,
                         deleted, name) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?
                .execute(params![
                    self.id.0,
                    self.name_index,
                    self.revision,
                    self.position,
                    self.is_default,
                    self.created,
                    self.modified,
                    self.deleted,
                    self.name
                ])?,
            Some(project) => conn
                .prepare_cached(
                    "INSERT INTO environments (id, project_id, name_index, revision, position, created, modified,
                         deleted, name) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?
                .execute(params![
                    self.id.0,
                    project.0,
                    self.name_index,
                    self.revision,
                    self.position,
                    self.created,
                    self.modified,
                    self.deleted,
                    self.name
                ])?,
        };
        Ok(())
    }

    pub fn update(&self, conn: &Connection) -> Result<()> {
        let sql = format!(
            "UPDATE {} SET name_index = ?2, revision = ?3, position = ?4, modified = ?5, deleted = ?6, name = ?7
             WHERE id = ?1",
            self.table()
        );
        conn.prepare_cached(&sql)?.execute(params![
            self.id.0,
            self.name_index,
            self.revision,
            self.position,
            self.modified,
            self.deleted,
            self.name
        ])?;
        Ok(())
    }

    pub fn delete(&self, conn: &Connection) -> Result<()> {
        conn.prepare_cached(&format!("DELETE FROM {} WHERE id = ?1", self.table()))?.execute([self.id.0.as_slice()])?;
        Ok(())
    }
}

/// The [`HistorySum`] of every secret that has history, computed from the `history` rows (one
/// pass over all of them: for checking a whole file, as a restore does).
pub(crate) fn history_sums_of_rows(
    conn: &Connection,
    records: &Records<'_>,
) -> Result<std::collections::HashMap<[u8; 16], HistorySum>> {
    let tampered = |_| Error::RecordSetTampered;
    let mut sums = std::collections::HashMap::<[u8; 16], HistorySum>::new();
    let mut stmt = conn.prepare("SELECT id, secret_id, version, created, replaced, value FROM history")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let secret_id: [u8; 16] = blob_ref(row, 1)?.try_into().map_err(|_| Error::RecordSetTampered)?;
        let term = records.history_term_of(
            blob_ref(row, 0)?,
            &secret_id,
            row.get(2).map_err(tampered)?,
            row.get(3).map_err(tampered)?,
            row.get(4).map_err(tampered)?,
            blob_ref(row, 5)?,
        );
        fold(sums.entry(secret_id).or_default(), term);
    }
    Ok(sums)
}

/// Every secret's stored [`HistorySum`], by id.
pub(crate) fn stored_history_sums(conn: &Connection) -> Result<Vec<([u8; 16], Vec<u8>)>> {
    let mut stmt = conn.prepare("SELECT id, history_sum FROM secrets")?;
    let rows = stmt.query_map([], |r| Ok((blob_array::<16>(r, 0)?, r.get::<_, Vec<u8>>(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Whether a place holds any secret, from the table's own rows: `+place` keeps the index on
/// place out of it, and `revision` (in no index) keeps SQLite from scanning a covering index
/// instead (`NOT INDEXED` does not, for a table without rowid). Checked by a test below.
const ANY_IN_PLACE: &str = "SELECT revision FROM secrets WHERE +place = ?1 LIMIT 1";

/// Length-prefixed concatenation, so that no two different part lists give the same bytes.
fn aad(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len() + 8).sum());
    for part in parts {
        out.extend_from_slice(&(part.len() as u64).to_le_bytes());
        out.extend_from_slice(part);
    }
    out
}

/// Plaintext bookkeeping of a secret row.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowState {
    pub revision: Revision,
    pub version: u32,
    pub created: i64,
    pub modified: i64,
    pub value_set: i64,
    pub deleted: Option<i64>,
    pub history: HistorySum,
}

/// The live secret whose name has blind index `index`, if any (found through the unique index,
/// read from the row and checked: see [`SecretRow::through_index`]).
pub(super) fn live_id_by_index(conn: &Connection, index: &[u8; 32]) -> Result<Option<SecretId>> {
    let rows = SecretRow::through_index(conn, "WHERE i.name_index = ?1 AND i.deleted IS NULL", [index.as_slice()])?;
    let rows = check_rows(rows, "secrets_live_name", |r| r.name_index == *index && r.deleted.is_none())?;
    Ok(rows.first().map(|r| r.id))
}

/// `rows` if every one of them is what the lookup through `index` asked for (`matches`); else
/// the first that is not, as [`Error::IndexTampered`].
fn check_rows(
    rows: Vec<SecretRow>,
    index: &'static str,
    matches: impl Fn(&SecretRow) -> bool,
) -> Result<Vec<SecretRow>> {
    match rows.iter().find(|r| !matches(r)) {
        Some(stray) => Err(Error::IndexTampered { index, record: format!("the secret with id {}", stray.id) }),
        None => Ok(rows),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How SQLite runs `sql` on a format-3 schema (EXPLAIN QUERY PLAN's details, in order).
    fn plan(sql: &str) -> Vec<String> {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(crate::vault::store::SCHEMA_V3).unwrap();
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let n = stmt.parameter_count();
        let params: Vec<Vec<u8>> = vec![vec![0u8; 16]; n];
        stmt.query_map(rusqlite::params_from_iter(params.iter()), |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn rows_found_through_an_index_are_read_from_the_table() {
        // The lookup side may use the index; the row side must be read by primary key, so that
        // no column of the result comes from an index entry.
        for filter in ["WHERE i.place = ?1 AND i.deleted IS NULL", "WHERE i.name_index = ?1 AND i.deleted IS NULL"] {
            let columns: Vec<String> = SecretRow::COLUMNS.split(", ").map(|c| format!("s.{c}")).collect();
            let sql =
                format!("SELECT {} FROM secrets AS i JOIN secrets AS s ON s.id = i.id {filter}", columns.join(", "));
            let plan = plan(&sql);
            assert!(plan.iter().any(|p| p.starts_with("SEARCH s USING PRIMARY KEY")), "{sql}: {plan:?}");
            assert!(!plan.iter().any(|p| p.starts_with("SEARCH s USING") && p.contains("INDEX")), "{plan:?}");
        }
        let plan = plan(ANY_IN_PLACE);
        assert_eq!(plan, vec!["SCAN secrets".to_owned()], "a scan of the table's rows, no index");
    }
}

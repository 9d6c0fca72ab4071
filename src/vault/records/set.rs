//! The record set: each row's keyed term, the set sealed in the header, and the set the file's
//! rows make (what an unlock compares).

use rusqlite::Connection;

use super::super::crypto::{NONCE_LEN, TAG_LEN};
use super::super::error::{Error, Result};
use super::{HistoryRow, HistorySum, PlaceRow, Records, SecretRow, aad, blob_array, blob_ref, fold};

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

impl Records<'_> {
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

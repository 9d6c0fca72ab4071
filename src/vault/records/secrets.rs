//! Rows of `secrets` and their SQL. Lookups through an index read the rows from the table and
//! check them ([`SecretRow::through_index`]); writes are the write context's (`write.rs`).

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::super::error::{Error, Result};
use super::super::place::PlaceId;
use super::super::secret::SecretId;
use super::{HistorySum, Revision, SealedName, blob_array, sealed_bytes};

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
    pub(super) fn delete(&self, conn: &Connection) -> Result<()> {
        conn.execute("DELETE FROM secrets WHERE id = ?1", [self.id.as_bytes().as_slice()])?;
        Ok(())
    }

    pub(super) fn insert(&self, conn: &Connection) -> Result<()> {
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

    pub(super) fn update(&self, conn: &Connection) -> Result<()> {
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

/// Whether a place holds any secret, from the table's own rows: `+place` keeps the index on
/// place out of it, and `revision` (in no index) keeps SQLite from scanning a covering index
/// instead (`NOT INDEXED` does not, for a table without rowid). Checked by a test below.
const ANY_IN_PLACE: &str = "SELECT revision FROM secrets WHERE +place = ?1 LIMIT 1";

/// The live secret whose name has blind index `index`, if any (found through the unique index,
/// read from the row and checked: see [`SecretRow::through_index`]).
pub(crate) fn live_id_by_index(conn: &Connection, index: &[u8; 32]) -> Result<Option<SecretId>> {
    // Only the columns the check needs, from the row (`s`), not the index (`i`).
    let mut stmt = conn.prepare_cached(
        "SELECT s.id, s.name_index, s.deleted FROM secrets AS i JOIN secrets AS s ON s.id = i.id
         WHERE i.name_index = ?1 AND i.deleted IS NULL",
    )?;
    let found = stmt
        .query_row([index.as_slice()], |r| {
            Ok((SecretId(blob_array(r, 0)?), blob_array::<32>(r, 1)?, r.get::<_, Option<i64>>(2)?))
        })
        .optional()?;
    match found {
        Some((id, stored, deleted)) if stored != *index || deleted.is_some() => {
            Err(Error::IndexTampered { index: "secrets_live_name", record: format!("the secret with id {id}") })
        }
        found => Ok(found.map(|(id, ..)| id)),
    }
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

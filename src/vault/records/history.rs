//! Rows of `history` (earlier values of a secret) and their SQL.

use rusqlite::{Connection, Row, params};

use super::super::error::{Error, Result};
use super::super::secret::SecretId;
use super::{blob_array, sealed_bytes};

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

    pub(super) fn insert(&self, conn: &Connection) -> Result<()> {
        conn.prepare_cached(
            "INSERT INTO history (id, secret_id, version, created, replaced, value) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![self.id, self.secret_id.0, self.version, self.created, self.replaced, self.value])?;
        Ok(())
    }

    pub(super) fn update(&self, conn: &Connection) -> Result<()> {
        conn.prepare_cached("UPDATE history SET value = ?2 WHERE id = ?1")?.execute(params![self.id, self.value])?;
        Ok(())
    }

    pub(super) fn delete(&self, conn: &Connection) -> Result<()> {
        conn.prepare_cached("DELETE FROM history WHERE id = ?1")?.execute([self.id.as_slice()])?;
        Ok(())
    }
}

//! Rows of `projects` and `environments` and their SQL.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::super::error::{Error, Result};
use super::super::place::PlaceId;
use super::{Revision, blob_array, sealed_bytes};

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
    pub(super) fn table(&self) -> &'static str {
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

    pub(super) fn insert(&self, conn: &Connection) -> Result<()> {
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

    pub(super) fn update(&self, conn: &Connection) -> Result<()> {
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

    pub(super) fn delete(&self, conn: &Connection) -> Result<()> {
        conn.prepare_cached(&format!("DELETE FROM {} WHERE id = ?1", self.table()))?.execute([self.id.0.as_slice()])?;
        Ok(())
    }
}

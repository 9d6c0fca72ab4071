//! Each format's schema, and the check that an opened file has exactly its format's.

use rusqlite::Connection;

use super::super::error::{Error, Result};

/// Format v1's schema, as its files hold it (the schema check compares with it, byte for byte).
pub(crate) const SCHEMA_V1: &str = "
CREATE TABLE vault_header (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    vault_id         BLOB NOT NULL,
    key_id           BLOB NOT NULL,
    kdf_memory_kib   INTEGER NOT NULL,
    kdf_iterations   INTEGER NOT NULL,
    kdf_parallelism  INTEGER NOT NULL,
    kdf_salt         BLOB NOT NULL,
    wrapped_key      BLOB NOT NULL,
    created          INTEGER NOT NULL,
    checksum         BLOB NOT NULL,
    record_set_mac   BLOB NOT NULL
);
CREATE TABLE secrets (
    id           BLOB PRIMARY KEY,
    name_index   BLOB NOT NULL,
    revision     INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    created      INTEGER NOT NULL,
    modified     INTEGER NOT NULL,
    value_set    INTEGER NOT NULL,
    deleted      INTEGER,
    name         BLOB NOT NULL,
    description  BLOB NOT NULL,
    value        BLOB NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX secrets_live_name ON secrets(name_index) WHERE deleted IS NULL;
CREATE INDEX secrets_trash ON secrets(deleted) WHERE deleted IS NOT NULL;
CREATE TABLE history (
    id         BLOB PRIMARY KEY,
    secret_id  BLOB NOT NULL REFERENCES secrets(id),
    version    INTEGER NOT NULL,
    created    INTEGER NOT NULL,
    replaced   INTEGER NOT NULL,
    value      BLOB NOT NULL,
    UNIQUE (secret_id, version)
) WITHOUT ROWID;
";

/// Format v2's schema.
pub(crate) const SCHEMA_V2: &str = "
CREATE TABLE vault_header (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    vault_id         BLOB NOT NULL,
    key_id           BLOB NOT NULL,
    key_lineage      BLOB NOT NULL,
    kdf_memory_kib   INTEGER NOT NULL,
    kdf_iterations   INTEGER NOT NULL,
    kdf_parallelism  INTEGER NOT NULL,
    kdf_salt         BLOB NOT NULL,
    wrapped_key      BLOB NOT NULL,
    created          INTEGER NOT NULL,
    checksum         BLOB NOT NULL,
    record_set       BLOB NOT NULL
);
CREATE TABLE secrets (
    id           BLOB PRIMARY KEY,
    name_index   BLOB NOT NULL,
    revision     BLOB NOT NULL,
    version      INTEGER NOT NULL,
    created      INTEGER NOT NULL,
    modified     INTEGER NOT NULL,
    value_set    INTEGER NOT NULL,
    deleted      INTEGER,
    history_sum  BLOB NOT NULL,
    name         BLOB NOT NULL,
    description  BLOB NOT NULL,
    value        BLOB NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX secrets_live_name ON secrets(name_index) WHERE deleted IS NULL;
CREATE INDEX secrets_trash ON secrets(deleted) WHERE deleted IS NOT NULL;
CREATE INDEX secrets_trash_name ON secrets(name_index) WHERE deleted IS NOT NULL;
CREATE TABLE history (
    id         BLOB PRIMARY KEY,
    secret_id  BLOB NOT NULL REFERENCES secrets(id),
    version    INTEGER NOT NULL,
    created    INTEGER NOT NULL,
    replaced   INTEGER NOT NULL,
    value      BLOB NOT NULL,
    UNIQUE (secret_id, version)
) WITHOUT ROWID;
";

/// Format v3's schema: v2's, with places (projects and their environments) and each secret's.
pub(crate) const SCHEMA_V3: &str = "
CREATE TABLE vault_header (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    vault_id         BLOB NOT NULL,
    key_id           BLOB NOT NULL,
    key_lineage      BLOB NOT NULL,
    kdf_memory_kib   INTEGER NOT NULL,
    kdf_iterations   INTEGER NOT NULL,
    kdf_parallelism  INTEGER NOT NULL,
    kdf_salt         BLOB NOT NULL,
    wrapped_key      BLOB NOT NULL,
    created          INTEGER NOT NULL,
    checksum         BLOB NOT NULL,
    record_set       BLOB NOT NULL
);
CREATE TABLE projects (
    id           BLOB PRIMARY KEY,
    name_index   BLOB NOT NULL,
    revision     BLOB NOT NULL,
    position     INTEGER NOT NULL,
    is_default   INTEGER NOT NULL,
    created      INTEGER NOT NULL,
    modified     INTEGER NOT NULL,
    deleted      INTEGER,
    name         BLOB NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX projects_name ON projects(name_index);
CREATE TABLE environments (
    id           BLOB PRIMARY KEY,
    project_id   BLOB NOT NULL REFERENCES projects(id),
    name_index   BLOB NOT NULL,
    revision     BLOB NOT NULL,
    position     INTEGER NOT NULL,
    created      INTEGER NOT NULL,
    modified     INTEGER NOT NULL,
    deleted      INTEGER,
    name         BLOB NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX environments_name ON environments(name_index);
CREATE TABLE secrets (
    id           BLOB PRIMARY KEY,
    place        BLOB NOT NULL,
    name_index   BLOB NOT NULL,
    revision     BLOB NOT NULL,
    version      INTEGER NOT NULL,
    created      INTEGER NOT NULL,
    modified     INTEGER NOT NULL,
    value_set    INTEGER NOT NULL,
    deleted      INTEGER,
    history_sum  BLOB NOT NULL,
    name         BLOB NOT NULL,
    description  BLOB NOT NULL,
    value        BLOB NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX secrets_live_name ON secrets(name_index) WHERE deleted IS NULL;
CREATE INDEX secrets_place ON secrets(place, deleted);
CREATE INDEX secrets_trash ON secrets(deleted) WHERE deleted IS NOT NULL;
CREATE INDEX secrets_trash_name ON secrets(name_index) WHERE deleted IS NOT NULL;
CREATE TABLE history (
    id         BLOB PRIMARY KEY,
    secret_id  BLOB NOT NULL REFERENCES secrets(id),
    version    INTEGER NOT NULL,
    created    INTEGER NOT NULL,
    replaced   INTEGER NOT NULL,
    value      BLOB NOT NULL,
    UNIQUE (secret_id, version)
) WITHOUT ROWID;
";

/// The format version the file says it has (`PRAGMA user_version`).
pub fn format_version(conn: &Connection) -> Result<i64> {
    Ok(conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
}

/// One table or index as SQLite records it: (type, name, table, SQL text).
type SchemaEntry = (String, String, String, Option<String>);

/// Every table and index of a schema.
fn schema_entries(conn: &Connection) -> Result<Vec<SchemaEntry>> {
    let mut stmt = conn.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Compares the file's schema with the one its format version has, entry for entry and byte for
/// byte: an extra trigger, view, table, index or column is refused before anything runs.
pub(super) fn check_schema(conn: &Connection, version: i64) -> Result<()> {
    let expected_sql = match version {
        1 => SCHEMA_V1,
        2 => SCHEMA_V2,
        _ => SCHEMA_V3,
    };
    let reference = Connection::open_in_memory()?;
    reference.execute_batch(expected_sql)?;
    let expected = schema_entries(&reference)?;
    let found = schema_entries(conn)?;
    if found != expected {
        let unexpected: Vec<String> = found
            .iter()
            .filter(|e| !expected.contains(e))
            .map(|(kind, name, ..)| format!("{kind} {name}"))
            .chain(expected.iter().filter(|e| !found.contains(e)).map(|(kind, name, ..)| format!("no {kind} {name}")))
            .collect();
        return Err(Error::UnexpectedSchema { detail: unexpected.join(", ") });
    }
    Ok(())
}

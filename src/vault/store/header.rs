//! The header row: the vault's and key's ids, the key-derivation parameters, the wrapped vault
//! key, the checksum, and the sealed record set.

use rusqlite::{Connection, OptionalExtension, params};

use super::super::crypto;
use super::super::error::{Error, Result};
use super::super::kdf::KdfParams;
use super::super::secret::Timestamp;
use super::schema::format_version;

/// The vault header as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub vault_id: [u8; 16],
    pub key_id: [u8; 16],
    pub kdf: KdfParams,
    pub salt: Vec<u8>,
    pub wrapped_key: Vec<u8>,
    pub created: Timestamp,
    /// Format v2: the key ids the same vault key had before (a format migration gives the key a
    /// new id), so that a passphrase change also re-wraps the backups made before it. `None`: a
    /// format v1 header, which has no such field and its own wrap AAD and checksum.
    pub lineage: Option<Vec<[u8; 16]>>,
}

impl Header {
    fn lineage_bytes(&self) -> Vec<u8> {
        self.lineage.iter().flatten().flatten().copied().collect()
    }

    /// The AAD of the wrapped vault key: every parameter that shapes the KEK (and, in v2, the
    /// lineage), so that none of them can be altered without the unwrap failing.
    pub fn wrap_aad(&self) -> Vec<u8> {
        let mut aad = if self.lineage.is_some() { b"tresor v2 wrap".to_vec() } else { b"tresor v1 wrap".to_vec() };
        aad.extend_from_slice(&self.vault_id);
        aad.extend_from_slice(&self.key_id);
        for n in [self.kdf.memory_kib, self.kdf.iterations, self.kdf.parallelism] {
            aad.extend_from_slice(&n.to_le_bytes());
        }
        aad.extend_from_slice(&self.salt);
        if self.lineage.is_some() {
            aad.extend_from_slice(&self.lineage_bytes());
        }
        aad
    }

    pub fn checksum(&self) -> [u8; 32] {
        let (label, lineage): (&[u8], Vec<u8>) = match &self.lineage {
            None => (b"tresor v1 header", Vec::new()),
            Some(_) => (b"tresor v2 header", self.lineage_bytes()),
        };
        let (m, t, p) =
            (self.kdf.memory_kib.to_le_bytes(), self.kdf.iterations.to_le_bytes(), self.kdf.parallelism.to_le_bytes());
        let mut parts: Vec<&[u8]> =
            vec![label, &self.vault_id, &self.key_id, &m, &t, &p, &self.salt, &self.wrapped_key];
        let created = self.created.0.to_le_bytes();
        parts.push(&created);
        if self.lineage.is_some() {
            parts.push(&lineage);
        }
        crypto::sha256(&parts)
    }

    /// Whether a file with this header holds the same vault key (same vault, and a key id this
    /// key has or had).
    pub fn same_key_as(&self, other: &Header) -> bool {
        self.vault_id == other.vault_id
            && (self.key_id == other.key_id || self.lineage.iter().flatten().any(|id| *id == other.key_id))
    }
}

/// Writes the v2 header row (a new file, or a migrated one).
pub(crate) fn insert_header(tx: &Connection, header: &Header, record_set: &[u8]) -> Result<()> {
    tx.execute(
        "INSERT INTO vault_header (id, vault_id, key_id, key_lineage, kdf_memory_kib, kdf_iterations,
             kdf_parallelism, kdf_salt, wrapped_key, created, checksum, record_set)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            header.vault_id,
            header.key_id,
            header.lineage_bytes(),
            header.kdf.memory_kib,
            header.kdf.iterations,
            header.kdf.parallelism,
            header.salt,
            header.wrapped_key,
            header.created.0,
            header.checksum(),
            record_set,
        ],
    )?;
    Ok(())
}

/// Reads and checks the header (of either format). A header that does not match its checksum is
/// damaged.
pub fn read_header(conn: &Connection) -> Result<Header> {
    let v1 = format_version(conn)? == 1;
    let lineage_column = if v1 { "NULL" } else { "key_lineage" };
    let row = conn
        .query_row(
            &format!(
                "SELECT vault_id, key_id, kdf_memory_kib, kdf_iterations, kdf_parallelism, kdf_salt, wrapped_key,
                        created, checksum, {lineage_column}
                 FROM vault_header WHERE id = 1"
            ),
            [],
            |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, Vec<u8>>(5)?,
                    r.get::<_, Vec<u8>>(6)?,
                    r.get::<_, i64>(7)?,
                    r.get::<_, Vec<u8>>(8)?,
                    r.get::<_, Option<Vec<u8>>>(9)?,
                ))
            },
        )
        .optional()
        .map_err(|e| match Error::from(e) {
            // A busy file, a full disk or an I/O error is not a damaged header.
            Error::Database(e) => Error::CorruptHeader { detail: format!("unreadable: {e}") },
            other => other,
        })?
        .ok_or_else(|| Error::CorruptHeader { detail: "the header row is missing".into() })?;
    let (vault_id, key_id, m, t, p, salt, wrapped_key, created, checksum, lineage) = row;
    let damaged = |what: &str| Error::CorruptHeader { detail: what.to_owned() };
    let to_u32 = |n: i64, what: &str| u32::try_from(n).map_err(|_| damaged(what));
    let header = Header {
        vault_id: vault_id.try_into().map_err(|_| damaged("bad vault id"))?,
        key_id: key_id.try_into().map_err(|_| damaged("bad key id"))?,
        kdf: KdfParams {
            memory_kib: to_u32(m, "bad KDF memory")?,
            iterations: to_u32(t, "bad KDF iterations")?,
            parallelism: to_u32(p, "bad KDF parallelism")?,
        },
        salt,
        wrapped_key,
        created: Timestamp(created),
        lineage: match lineage {
            None if v1 => None,
            None => return Err(damaged("bad key lineage")),
            Some(bytes) if bytes.len() % 16 != 0 => return Err(damaged("bad key lineage")),
            Some(bytes) => Some(bytes.chunks(16).map(|c| c.try_into().expect("16 bytes")).collect()),
        },
    };
    if header.checksum().as_slice() != checksum.as_slice() {
        return Err(damaged("checksum mismatch"));
    }
    Ok(header)
}

/// Replaces the key-related header fields (passphrase change, key rotation) in `tx`, in the
/// header's own format.
pub fn write_header(tx: &Connection, header: &Header) -> Result<()> {
    if header.lineage.is_some() {
        tx.execute("UPDATE vault_header SET key_lineage = ?1 WHERE id = 1", [header.lineage_bytes()])?;
    }
    tx.execute(
        "UPDATE vault_header SET key_id = ?1, kdf_memory_kib = ?2, kdf_iterations = ?3, kdf_parallelism = ?4,
             kdf_salt = ?5, wrapped_key = ?6, checksum = ?7 WHERE id = 1",
        params![
            header.key_id,
            header.kdf.memory_kib,
            header.kdf.iterations,
            header.kdf.parallelism,
            header.salt,
            header.wrapped_key,
            header.checksum(),
        ],
    )?;
    Ok(())
}

/// The id of the key the file's records are sealed under (changes when the key is rotated).
pub fn read_key_id(conn: &Connection) -> Result<Vec<u8>> {
    Ok(conn.query_row("SELECT key_id FROM vault_header WHERE id = 1", [], |r| r.get(0))?)
}

/// The sealed record set (format v2; see `records::RecordSet`).
pub fn read_record_set(conn: &Connection) -> Result<Vec<u8>> {
    let value: rusqlite::types::Value =
        conn.query_row("SELECT record_set FROM vault_header WHERE id = 1", [], |r| r.get(0))?;
    match value {
        rusqlite::types::Value::Blob(bytes) => Ok(bytes),
        _ => Err(Error::RecordSetTampered),
    }
}

pub fn write_record_set(conn: &Connection, sealed: &[u8]) -> Result<()> {
    conn.execute("UPDATE vault_header SET record_set = ?1 WHERE id = 1", [sealed])?;
    Ok(())
}

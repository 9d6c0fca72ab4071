//! Rows as stored (format v2), and how they are sealed, opened and counted in the record set. The
//! AAD, padding and record-set layouts here are the ones `store.rs` specifies. (Format v1 rows are
//! read only by the migration, in `migrate.rs`.)
//!
//! | file | holds |
//! | --- | --- |
//! | `seal.rs` | [`Records`]: sealing and opening each field (AADs, padding) |
//! | `secrets.rs`, `history.rs`, `places.rs` | the rows of each table and their SQL |
//! | `set.rs` | the record set: each row's term, the sealed set, the set the file's rows make |
//! | `write.rs` | [`Write`]: the one way rows change (rows here are written only through it) |

mod history;
mod places;
mod seal;
mod secrets;
mod set;
mod write;

use rusqlite::Row;

use super::crypto;
use super::place::PlaceId;
use super::secret::SecretId;

pub(crate) use history::HistoryRow;
pub(crate) use places::PlaceRow;
pub(crate) use seal::Records;
pub(crate) use secrets::{RowCounts, SecretRow, live_id_by_index};
pub(crate) use set::{RecordSet, history_sums_of_rows, record_set_of_rows, stored_history_sums};
pub use write::Changes;
pub(crate) use write::Write;

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

/// A column's bytes as they are, or none for anything but a BLOB (see [`sealed_bytes`]; in a
/// term, the term then does not match).
fn blob_ref<'a>(row: &'a Row<'_>, i: usize) -> rusqlite::Result<&'a [u8]> {
    Ok(match row.get_ref(i)? {
        rusqlite::types::ValueRef::Blob(bytes) => bytes,
        _ => &[],
    })
}

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

//! [`Write`]: the one way rows change. A write holds the transaction and the record set opened
//! from it; every row it inserts, replaces or deletes goes through one of its methods, which
//! keeps the record set in step (the row's term out, the new one in, the history count), and
//! [`Write::seal`] counts the write, seals the set into the header and says what changed. The
//! rows' own SQL writes are private to `records`, so nothing writes around it (and
//! `tests/structure.rs` checks that no other file of the core writes SQL to the tables).
//!
//! Whoever follows writes hooks in at [`Changes`]: what a commit touched. (The vault remembers
//! each commit's write counter there — `seen.rs` — and a device's change log will.)

use std::collections::BTreeSet;

use rusqlite::Connection;

use super::super::error::Result;
use super::super::place::PlaceId;
use super::super::secret::SecretId;
use super::super::store::{self, Header};
use super::{HistoryRow, PlaceRow, RecordSet, Records, SecretRow};

/// What one committed write changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Changes {
    /// Secrets inserted, re-sealed, moved, trashed, restored or purged (their history too).
    pub secrets: BTreeSet<SecretId>,
    /// Projects and environments created, renamed, reordered, deleted or restored.
    pub places: BTreeSet<PlaceId>,
    /// The header's key wrap (a passphrase change, strengthening, a key rotation).
    pub header: bool,
    /// The record set's write counter after the write.
    pub writes: u64,
    /// Secrets, projects and environments removed for good (a synced vault publishes their
    /// deletion: their rows, and so what they were, are gone).
    pub purged: BTreeSet<[u8; 16]>,
}

impl Changes {
    /// Whether the write changed nothing (it still counted as a write).
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty() && self.places.is_empty() && !self.header
    }
}

/// A write in progress: see the module's documentation.
pub(crate) struct Write<'t> {
    conn: &'t Connection,
    /// The keys rows are sealed and counted under (after [`Write::rekey`], the new ones).
    records: Records<'t>,
    set: RecordSet,
    /// The sealed record set as the write found it.
    stored: Vec<u8>,
    /// After [`Write::rekey`]: the set starts empty and every row is counted anew.
    rekeyed: bool,
    /// The set as it was before [`Write::rekey`].
    previous: Option<RecordSet>,
    changes: Changes,
}

impl<'t> Write<'t> {
    /// A write in `conn` (a transaction) over the record set stored there, opened under
    /// `records`' keys and `key_id`: a set that does not open is [`Error::RecordSetTampered`].
    pub fn begin(conn: &'t Connection, records: Records<'t>, key_id: &[u8]) -> Result<Write<'t>> {
        let stored = store::read_record_set(conn)?;
        let set = records.open_record_set(&stored, key_id)?;
        Ok(Write { conn, records, set, stored, rekeyed: false, previous: None, changes: Changes::default() })
    }

    /// A write that makes every row anew (a new file; a migration's new tables): the set starts
    /// empty.
    pub fn rebuild(conn: &'t Connection, records: Records<'t>) -> Write<'t> {
        Write {
            conn,
            records,
            set: RecordSet::default(),
            stored: Vec::new(),
            rekeyed: true,
            previous: None,
            changes: Changes::default(),
        }
    }

    /// The transaction, to read in (every write goes through the methods below).
    pub fn conn(&self) -> &'t Connection {
        self.conn
    }

    /// The sealed record set as this write found it (an import plan compares it with the one
    /// it was made against).
    pub fn stored(&self) -> &[u8] {
        &self.stored
    }

    /// A key rotation: from here on every row is counted under `records` (the new keys) into a
    /// set that starts empty, and must be replaced once. The set as it was stays readable
    /// ([`Write::previous_set`]): the caller compares it with what it re-sealed.
    pub fn rekey(&mut self, records: Records<'t>) {
        let old = std::mem::take(&mut self.set);
        self.set.writes = old.writes;
        self.previous = Some(old);
        self.records = records;
        self.rekeyed = true;
    }

    /// The record set as the write found it, before a [`Write::rekey`] (else as it stands).
    pub fn previous_set(&self) -> &RecordSet {
        self.previous.as_ref().unwrap_or(&self.set)
    }

    pub fn insert_secret(&mut self, row: &SecretRow) -> Result<()> {
        row.insert(self.conn)?;
        self.set.add(self.records.secret_term(row));
        self.changes.secrets.insert(row.id);
        Ok(())
    }

    /// `new` in place of `old` (the same record: same id).
    pub fn replace_secret(&mut self, old: &SecretRow, new: &SecretRow) -> Result<()> {
        debug_assert_eq!(old.id, new.id);
        new.update(self.conn)?;
        if !self.rekeyed {
            self.set.remove(self.records.secret_term(old));
        }
        self.set.add(self.records.secret_term(new));
        self.changes.secrets.insert(new.id);
        Ok(())
    }

    /// Deletes a secret's row for good (its history must be gone first).
    pub fn delete_secret(&mut self, row: &SecretRow) -> Result<()> {
        row.delete(self.conn)?;
        self.set.remove(self.records.secret_term(row));
        self.changes.secrets.insert(row.id);
        self.changes.purged.insert(row.id.0);
        Ok(())
    }

    /// Adds an earlier value (the secret's row, re-sealed with its new history sum, follows).
    pub fn insert_history(&mut self, row: &HistoryRow) -> Result<()> {
        row.insert(self.conn)?;
        self.set.history_rows += 1;
        self.changes.secrets.insert(row.secret_id);
        Ok(())
    }

    /// `new` in place of `old`, the same entry re-sealed (a key rotation).
    pub fn replace_history(&mut self, old: &HistoryRow, new: &HistoryRow) -> Result<()> {
        debug_assert_eq!(old.id, new.id);
        new.update(self.conn)?;
        if self.rekeyed {
            self.set.history_rows += 1;
        }
        self.changes.secrets.insert(new.secret_id);
        Ok(())
    }

    pub fn delete_history(&mut self, row: &HistoryRow) -> Result<()> {
        row.delete(self.conn)?;
        self.set.history_rows = self.set.history_rows.wrapping_sub(1);
        self.changes.secrets.insert(row.secret_id);
        Ok(())
    }

    pub fn insert_place(&mut self, row: &PlaceRow) -> Result<()> {
        row.insert(self.conn)?;
        self.set.add(self.records.place_term(row));
        self.changes.places.insert(row.id);
        Ok(())
    }

    /// `new` in place of `old` (the same place: same id).
    pub fn replace_place(&mut self, old: &PlaceRow, new: &PlaceRow) -> Result<()> {
        debug_assert_eq!(old.id, new.id);
        new.update(self.conn)?;
        if !self.rekeyed {
            self.set.remove(self.records.place_term(old));
        }
        self.set.add(self.records.place_term(new));
        self.changes.places.insert(new.id);
        Ok(())
    }

    pub fn delete_place(&mut self, row: &PlaceRow) -> Result<()> {
        row.delete(self.conn)?;
        self.set.remove(self.records.place_term(row));
        self.changes.places.insert(row.id);
        self.changes.purged.insert(row.id.0);
        Ok(())
    }

    /// The header's key fields (a passphrase change, a key rotation).
    pub fn write_header(&mut self, header: &Header) -> Result<()> {
        store::write_header(self.conn, header)?;
        self.changes.header = true;
        Ok(())
    }

    /// Counts the write, seals the record set under the write's keys and `key_id` into the
    /// header, and returns what changed. The caller commits.
    pub fn seal(self, key_id: &[u8]) -> Result<Changes> {
        let writes = self.set.writes + 1;
        self.seal_as(key_id, writes)
    }

    /// [`Write::seal`] with the write counter set to `writes` (a restore continues past every
    /// write seen of the file: `seen.rs`).
    pub fn seal_as(mut self, key_id: &[u8], writes: u64) -> Result<Changes> {
        self.set.writes = writes;
        store::write_record_set(self.conn, &self.records.seal_record_set(&self.set, key_id))?;
        self.changes.writes = writes;
        Ok(self.changes)
    }

    /// The sealed record set, for a new file's header (nothing is written: the caller inserts
    /// the header with it).
    pub fn sealed_for_new_file(self, key_id: &[u8]) -> Vec<u8> {
        self.records.seal_record_set(&self.set, key_id)
    }
}

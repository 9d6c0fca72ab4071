//! Secrets: create, one atomic edit, list, find (also in the trash), reveal, history, trash,
//! restore and purge. Every rule about names, versions and conflicts is enforced here, once.

use rusqlite::Connection;

use super::place::{Place, PlaceId};
use super::records::{self, HistoryRow, RowState, SecretRow, Write, live_id_by_index};
use super::secret::{self, ValueError};
use super::{
    BackupReason, Error, HISTORY_LIMIT, Result, Saved, SecretId, SecretMeta, SecretName, SecretValue, Timestamp,
    TrashedSecret, ValueWarning, Vault, VersionInfo, crypto, store,
};

/// A secret to create.
#[derive(Debug, Clone)]
pub struct NewSecret {
    pub name: SecretName,
    pub description: String,
    pub value: SecretValue,
}

/// A change to any of a secret's name, description and value, saved at once by [`Vault::edit`]:
/// `None` leaves that part as it is.
#[derive(Debug, Clone, Default)]
pub struct SecretEdit {
    pub name: Option<SecretName>,
    pub description: Option<String>,
    pub value: Option<SecretValue>,
}

impl SecretEdit {
    /// A value typed into an edit form or the `set` prompt: left empty, it keeps the current one.
    pub fn typed_value(value: SecretValue) -> Option<SecretValue> {
        (!value.is_empty()).then_some(value)
    }
}

/// What [`Vault::set`] did.
#[derive(Debug)]
pub struct SetOutcome {
    pub saved: Saved,
    /// Whether the name was new (a secret was created rather than changed).
    pub created: bool,
    /// Created in an environment whose shared level has the name: an override.
    pub overrides_shared: bool,
}

/// Items that decrypted, plus the records that did not (each error names its record). One
/// damaged record never hides the others.
#[derive(Debug)]
pub struct Listing<T> {
    pub items: Vec<T>,
    pub damaged: Vec<Error>,
}

impl Vault {
    /// Every live secret's name, description and bookkeeping (never values) at the default
    /// project's level, sorted by name.
    pub fn list(&self) -> Result<Listing<SecretMeta>> {
        // Salvage of a file whose default project's row is gone: every live secret, wherever.
        let place = match self.default_place() {
            Err(Error::PlaceGone) if self.salvage => None,
            other => Some(other?),
        };
        self.read(|snapshot| {
            let mut listing = Listing { items: Vec::new(), damaged: Vec::new() };
            let rows = match place {
                Some(place) => SecretRow::live_in(snapshot, place.id())?,
                None => SecretRow::live(snapshot)?,
            };
            for row in rows {
                match self.records().meta(&row) {
                    Ok(meta) => listing.items.push(meta),
                    Err(e) => listing.damaged.push(e),
                }
            }
            // Names are unique among live secrets, so an unstable sort loses nothing.
            listing.items.sort_unstable_by(|a, b| name_order(&a.name, &b.name));
            Ok(listing)
        })
    }

    /// The id of the most recently trashed secret called `name`: an index lookup, and one name
    /// decrypted per trashed secret of that name (the trash may hold several), among the secrets
    /// trashed from `place`.
    pub fn find_in_trash(&self, place: &Place, name: &SecretName) -> Result<SecretId> {
        self.read(|snapshot| {
            for row in
                SecretRow::trashed_by_index(snapshot, &self.keys.trashed_name_index(&place.id().0, name.as_str()))?
            {
                if self.records().name(&row)? == *name {
                    return Ok(row.id);
                }
            }
            Err(Error::NotFoundInTrash { name: name.to_string() })
        })
    }

    /// A live secret's name, description and bookkeeping.
    pub fn meta(&self, id: SecretId) -> Result<SecretMeta> {
        self.read(|snapshot| self.records().meta(&self.live_row(snapshot, id)?))
    }

    /// Decrypts a live secret's current value.
    pub fn reveal(&self, id: SecretId) -> Result<SecretValue> {
        self.read(|snapshot| self.records().value(&self.live_row(snapshot, id)?))
    }

    /// Decrypts the value a secret had at `version` (the current one or one from its history).
    pub fn reveal_version(&self, id: SecretId, version: u32) -> Result<SecretValue> {
        self.read(|snapshot| {
            let row = self.live_row(snapshot, id)?;
            if version == row.version {
                return self.records().value(&row);
            }
            let history = self.checked_history(snapshot, &row)?.into_iter().find(|h| h.version == version);
            let history = history.ok_or_else(|| Error::VersionNotFound {
                name: self.records().name(&row).map(|n| n.to_string()).unwrap_or_else(|_| id.to_string()),
                version,
            })?;
            self.records().history_value(&history)
        })
    }

    /// The versions of a secret, newest (current) first.
    pub fn history(&self, id: SecretId) -> Result<Vec<VersionInfo>> {
        self.read(|snapshot| {
            let row = self.live_row(snapshot, id)?;
            let mut versions =
                vec![VersionInfo { version: row.version, created: Timestamp(row.value_set), replaced: None }];
            versions.extend(self.checked_history(snapshot, &row)?.into_iter().map(|h| VersionInfo {
                version: h.version,
                created: Timestamp(h.created),
                replaced: Some(Timestamp(h.replaced)),
            }));
            Ok(versions)
        })
    }

    /// Names and current values for an export: every live secret sorted by name, or just the
    /// secrets named in `only` (in that order, each once). A name in `only` that does not exist
    /// fails the whole call with [`Error::NotFound`] naming every missing one; a damaged record
    /// fails it with that record's error, so an export is never silently incomplete. What
    /// `place` resolves to: in an environment, its own secrets over the project level's.
    pub fn export_entries(&self, place: &Place, only: Option<&[SecretName]>) -> Result<Vec<(SecretName, SecretValue)>> {
        self.read(|snapshot| {
            let records = self.records();
            let Some(only) = only else {
                let mut out = Vec::new();
                for (row, _) in self.resolved_rows(snapshot, place)? {
                    out.push((records.name(&row)?, records.value(&row)?));
                }
                out.sort_unstable_by(|a, b| name_order(&a.0, &b.0));
                return Ok(out);
            };
            let mut out = Vec::with_capacity(only.len());
            let mut missing = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for name in only.iter().filter(|n| seen.insert(*n)) {
                match self.resolve_named(snapshot, place, name)? {
                    Some((row, _)) => out.push((name.clone(), records.value(&row)?)),
                    None => missing.push(name.as_str()),
                }
            }
            if !missing.is_empty() {
                return Err(Error::NotFound { name: missing.join(", ") });
            }
            Ok(out)
        })
    }

    /// Secrets in the trash, most recently deleted first.
    pub fn trash(&self) -> Result<Listing<TrashedSecret>> {
        self.read(|snapshot| {
            let mut listing = Listing { items: Vec::new(), damaged: Vec::new() };
            for row in SecretRow::trashed(snapshot)? {
                match self.records().meta(&row) {
                    Ok(meta) => {
                        listing.items.push(TrashedSecret { meta, deleted: Timestamp(row.deleted.unwrap_or(0)) })
                    }
                    Err(e) => listing.damaged.push(e),
                }
            }
            Ok(listing)
        })
    }

    /// Creates a secret. Fails if a live secret already has that name.
    pub fn create_secret(&mut self, new: NewSecret) -> Result<Saved> {
        let place = self.default_place()?;
        Ok(self.create_many(&place, vec![new])?.remove(0))
    }

    /// Creates several secrets in `place` in one transaction: all of them, or none. In an
    /// environment, a name the project level has becomes an override there.
    pub fn create_many(&mut self, place: &Place, new: Vec<NewSecret>) -> Result<Vec<Saved>> {
        let mut checked = Vec::with_capacity(new.len());
        for secret in new {
            secret::check_description(&secret.description)?;
            let warnings = secret.value.check()?;
            checked.push((secret, warnings));
        }
        let now = self.clock.now();
        self.write(|vault, w| {
            let mut saved = Vec::with_capacity(checked.len());
            for (secret, warnings) in checked {
                vault.live_place(w.conn(), place)?;
                let meta = vault.insert_secret(w, place.id(), &secret, now)?;
                saved.push(Saved { meta, warnings, value_changed: true });
            }
            Ok(saved)
        })
    }

    /// Changes any of a secret's name, description and value in one transaction: all of it is
    /// saved, or nothing. Checked once, before anything is written. The version goes up by one
    /// only when the value actually changes (the earlier value goes to the history); a rename
    /// keeps the id, versions and history. Fails with [`Error::NameTaken`] if another live
    /// secret has the new name.
    pub fn edit(&mut self, id: SecretId, edit: SecretEdit) -> Result<Saved> {
        let warnings = check_edit(&edit)?;
        let now = self.clock.now();
        self.write(|vault, w| {
            let (meta, value_changed) = vault.edit_secret(w, id, &edit, now)?;
            Ok(Saved { meta, warnings, value_changed })
        })
    }

    /// Creates the secret `name`, or changes it if a live secret has that name, in one
    /// transaction (so a name another process creates at the same moment is updated, not
    /// refused). `value: None` keeps the current value, and is refused for a new name. In an
    /// environment, a name only the project level has is not changed there: the environment gets
    /// an override of its own (with the project level's description unless one is given).
    pub fn set(
        &mut self,
        place: &Place,
        name: SecretName,
        description: Option<String>,
        value: Option<SecretValue>,
    ) -> Result<SetOutcome> {
        let edit = SecretEdit { name: None, description, value };
        let warnings = check_edit(&edit)?;
        let now = self.clock.now();
        self.write(|vault, w| match vault.live_named(w.conn(), place.id(), &name)?.map(|row| row.id) {
            Some(id) => {
                let (meta, value_changed) = vault.edit_secret(w, id, &edit, now)?;
                Ok(SetOutcome {
                    saved: Saved { meta, warnings, value_changed },
                    created: false,
                    overrides_shared: false,
                })
            }
            None => {
                vault.live_place(w.conn(), place)?;
                let inherited = match place.parent() {
                    Some(parent) => vault.live_named(w.conn(), parent.id(), &name)?,
                    None => None,
                };
                let description = match (edit.description, &inherited) {
                    (Some(d), _) => d,
                    (None, Some(row)) => vault.records().description(row)?,
                    (None, None) => String::new(),
                };
                let new =
                    NewSecret { name, description, value: edit.value.ok_or(Error::InvalidValue(ValueError::Empty))? };
                let overrides_shared = inherited.is_some();
                let meta = vault.insert_secret(w, place.id(), &new, now)?;
                Ok(SetOutcome { saved: Saved { meta, warnings, value_changed: true }, created: true, overrides_shared })
            }
        })
    }

    /// Brings back the value a secret had at `version`, as a new version.
    pub fn restore_version(&mut self, id: SecretId, version: u32) -> Result<Saved> {
        let value = self.reveal_version(id, version)?;
        self.edit(id, SecretEdit { value: Some(value), ..SecretEdit::default() })
    }

    /// Moves secrets to the trash, all or none (an unknown id fails the whole call).
    pub fn delete(&mut self, ids: &[SecretId]) -> Result<()> {
        let now = self.clock.now();
        self.write(|vault, w| {
            for &id in ids {
                let old = vault.live_row(w.conn(), id)?;
                let mut row = old.clone();
                row.deleted = Some(now.0);
                // A damaged name keeps its index: it could not be restored anyway.
                if let Ok(name) = vault.records().name(&old) {
                    row.name_index = vault.keys.trashed_name_index(&old.place.0, name.as_str());
                }
                w.replace_secret(&old, &row)?;
            }
            Ok(())
        })
    }

    /// Brings a secret back from the trash, under `new_name` if given. Fails with
    /// [`Error::NameTaken`] if a live secret already uses the name.
    pub fn restore(&mut self, id: SecretId, new_name: Option<SecretName>) -> Result<SecretMeta> {
        let now = self.clock.now();
        self.write(|vault, w| {
            let old = SecretRow::load(w.conn(), id)?.filter(|r| r.deleted.is_some()).ok_or(Error::NotInTrash)?;
            vault.place_of_trashed(w.conn(), &old)?;
            match new_name {
                Some(name) => vault.rewrite_name(w, &old, &name, now, Some(None)),
                None => {
                    let name = vault.records().name(&old)?;
                    let live_index = vault.keys.name_index(&old.place.0, name.as_str());
                    if live_id_by_index(w.conn(), &live_index)?.is_some() {
                        return Err(Error::NameTaken { name: name.to_string() });
                    }
                    let mut row = old.clone();
                    row.deleted = None;
                    row.name_index = live_index;
                    w.replace_secret(&old, &row)?;
                    vault.records().meta(&row)
                }
            }
        })
    }

    /// Deletes a trashed secret and its history for good, after a backup.
    pub fn purge(&mut self, id: SecretId) -> Result<()> {
        if !self.salvage {
            self.read(|snapshot| {
                SecretRow::load(snapshot, id)?.filter(|r| r.deleted.is_some()).ok_or(Error::NotInTrash)
            })?;
        }
        self.backup_before(BackupReason::Purge)?;
        self.write(|vault, w| {
            let row = SecretRow::load(w.conn(), id)?.filter(|r| r.deleted.is_some()).ok_or(Error::NotInTrash)?;
            vault.purge_row(w, &row)
        })?;
        store::checkpoint(&self.conn);
        Ok(())
    }

    /// Purges everything in the trash, after a backup. Returns how many secrets were purged.
    pub fn empty_trash(&mut self) -> Result<usize> {
        self.purge_trashed_before(None)
    }

    /// Inserts a new live secret inside `tx` (checked values only). Fails with
    /// [`Error::NameTaken`] if a live secret already has the name.
    pub(super) fn insert_secret(
        &self,
        w: &mut Write<'_>,
        place: PlaceId,
        secret: &NewSecret,
        now: Timestamp,
    ) -> Result<SecretMeta> {
        let name_index = self.keys.name_index(&place.0, secret.name.as_str());
        if live_id_by_index(w.conn(), &name_index)?.is_some() {
            return Err(Error::NameTaken { name: secret.name.to_string() });
        }
        let row = self.records().seal_secret(
            SecretId(crypto::random_bytes()),
            place,
            &secret.name,
            &secret.description,
            &secret.value,
            RowState {
                revision: records::new_revision(),
                version: 1,
                created: now.0,
                modified: now.0,
                value_set: now.0,
                deleted: None,
                history: records::HistorySum::default(),
            },
        );
        w.insert_secret(&row)?;
        self.records().meta(&row)
    }

    /// Applies `edit` to a live secret inside `tx` (checked values only): the version goes up
    /// and the old value goes to the history only when the value changes. Returns the secret as
    /// stored and whether its value changed.
    pub(super) fn edit_secret(
        &self,
        w: &mut Write<'_>,
        id: SecretId,
        edit: &SecretEdit,
        now: Timestamp,
    ) -> Result<(SecretMeta, bool)> {
        let old = self.live_row(w.conn(), id)?;
        self.edit_row(w, old, edit, now)
    }

    /// [`Vault::edit_secret`] of a live row already loaded in `tx`.
    pub(super) fn edit_row(
        &self,
        w: &mut Write<'_>,
        old: SecretRow,
        edit: &SecretEdit,
        now: Timestamp,
    ) -> Result<(SecretMeta, bool)> {
        let id = old.id;
        let records = self.records();
        let old_name = records.name(&old)?;
        let old_description = records.description(&old)?;
        let old_value = records.value(&old)?;
        let name = edit.name.as_ref().unwrap_or(&old_name);
        let renamed = *name != old_name;
        if renamed
            && live_id_by_index(w.conn(), &self.keys.name_index(&old.place.0, name.as_str()))?
                .is_some_and(|other| other != id)
        {
            return Err(Error::NameTaken { name: name.to_string() });
        }
        let value_changed = edit.value.as_ref().is_some_and(|v| *v != old_value);
        let description = edit.description.as_ref().unwrap_or(&old_description);
        if !renamed && !value_changed && *description == old_description {
            return Ok((records.meta(&old)?, false));
        }
        let value = if value_changed { edit.value.as_ref().expect("changed implies present") } else { &old_value };
        let version = if value_changed { old.version + 1 } else { old.version };
        let history = if value_changed { self.push_history(w, &old, &old_value, now)? } else { old.history };
        let row = records.seal_secret(
            id,
            old.place,
            name,
            description,
            value,
            RowState {
                revision: records::new_revision(),
                version,
                created: old.created,
                modified: now.0,
                value_set: if value_changed { now.0 } else { old.value_set },
                deleted: None,
                history,
            },
        );
        w.replace_secret(&old, &row)?;
        Ok((records.meta(&row)?, value_changed))
    }

    pub(super) fn live_row(&self, conn: &Connection, id: SecretId) -> Result<SecretRow> {
        SecretRow::load(conn, id)?
            .filter(|r| r.deleted.is_none())
            .ok_or_else(|| Error::NotFound { name: format!("with id {id}") })
    }

    /// Re-seals a secret under a new name (rename, or restore under a new name).
    /// `deleted`: `Some(state)` sets the trash state, `None` keeps it.
    pub(super) fn rewrite_name(
        &self,
        w: &mut Write<'_>,
        old: &SecretRow,
        new_name: &SecretName,
        now: Timestamp,
        deleted: Option<Option<i64>>,
    ) -> Result<SecretMeta> {
        let records = self.records();
        let deleted = deleted.unwrap_or(old.deleted);
        let index = self.keys.name_index(&old.place.0, new_name.as_str());
        if deleted.is_none() && live_id_by_index(w.conn(), &index)?.is_some_and(|other| other != old.id) {
            return Err(Error::NameTaken { name: new_name.to_string() });
        }
        let row = records.seal_secret(
            old.id,
            old.place,
            new_name,
            &records.description(old)?,
            &records.value(old)?,
            RowState {
                revision: records::new_revision(),
                version: old.version,
                created: old.created,
                modified: now.0,
                value_set: old.value_set,
                deleted,
                history: old.history,
            },
        );
        w.replace_secret(old, &row)?;
        records.meta(&row)
    }

    /// The live secret called `name`: found by its blind index, and confirmed by its decrypted
    /// name (an index that points at a row of another name is damage or tampering, which the
    /// record-set check would catch, but which salvage, without it, must not trust either).
    pub(super) fn live_named(&self, conn: &Connection, place: PlaceId, name: &SecretName) -> Result<Option<SecretRow>> {
        let Some(id) = live_id_by_index(conn, &self.keys.name_index(&place.0, name.as_str()))? else {
            return Ok(None);
        };
        let row = self.live_row(conn, id)?;
        if self.records().name(&row)? != *name {
            return Err(Error::CorruptRecord { record: format!("with id {id}"), field: "name index" });
        }
        Ok(Some(row))
    }

    /// Puts the current value into the history (dropping the oldest entries past the limit) and
    /// returns the secret's new [`records::HistorySum`], for its re-sealed row. The sum is
    /// updated by XOR, without reading the history: an entry swapped in behind Tresor's back
    /// keeps the sum wrong, so the next read of the history still fails.
    pub(super) fn push_history(
        &self,
        w: &mut Write<'_>,
        current: &SecretRow,
        current_value: &SecretValue,
        now: Timestamp,
    ) -> Result<records::HistorySum> {
        let mut sum = current.history;
        let entry = self.records().seal_history(
            crypto::random_bytes(),
            current.id,
            current.version,
            current.value_set,
            now.0,
            current_value,
        );
        w.insert_history(&entry)?;
        records::fold(&mut sum, self.records().history_term(&entry));
        // Everything past the limit is the oldest, and goes.
        for old in HistoryRow::beyond(w.conn(), current.id, HISTORY_LIMIT)? {
            w.delete_history(&old)?;
            records::fold(&mut sum, self.records().history_term(&old));
        }
        Ok(sum)
    }

    /// A secret's history rows, newest first, checked against the sum its row holds: an entry
    /// removed, added, rolled back or swapped in from another copy of the file is
    /// [`Error::RecordSetTampered`]. Salvage reads them unchecked.
    pub(super) fn checked_history(&self, conn: &Connection, row: &SecretRow) -> Result<Vec<HistoryRow>> {
        let entries = HistoryRow::all_for(conn, row.id)?;
        if !self.salvage && self.records().history_sum(&entries) != row.history {
            return Err(Error::RecordSetTampered);
        }
        Ok(entries)
    }

    pub(super) fn purge_row(&self, w: &mut Write<'_>, row: &SecretRow) -> Result<()> {
        for entry in HistoryRow::all_for(w.conn(), row.id)? {
            w.delete_history(&entry)?;
        }
        w.delete_secret(row)
    }

    pub(super) fn purge_trashed_before(&mut self, cutoff: Option<Timestamp>) -> Result<usize> {
        let cutoff = cutoff.map_or(i64::MAX, |t| t.0);
        let expired_place = |r: &records::PlaceRow| r.deleted.is_some_and(|d| d < cutoff);
        if !SecretRow::any_trashed_before(&self.conn, cutoff)?
            && !records::PlaceRow::all(&self.conn)?.iter().any(expired_place)
        {
            return Ok(0);
        }
        self.backup_before(BackupReason::Purge)?;
        let purged = self.write(|vault, w| {
            let rows = SecretRow::trashed(w.conn())?;
            let expired: Vec<_> = rows.into_iter().filter(|r| r.deleted.is_some_and(|d| d < cutoff)).collect();
            for row in &expired {
                vault.purge_row(w, row)?;
            }
            // Projects and environments deleted as long ago, once no secret refers to them
            // (environments before their projects: `all` lists projects first).
            let places = records::PlaceRow::all(w.conn())?;
            for place in places.iter().rev().filter(|r| expired_place(r)) {
                let referred = SecretRow::any_in(w.conn(), place.id)?
                    || places.iter().any(|env| env.project == Some(place.id) && !expired_place(env));
                if !referred {
                    w.delete_place(place)?;
                }
            }
            Ok(expired.len())
        })?;
        store::checkpoint(&self.conn);
        Ok(purged)
    }
}

/// Checks the parts of an edit that can be checked without the vault; returns the value's
/// warnings.
fn check_edit(edit: &SecretEdit) -> Result<Vec<ValueWarning>> {
    if let Some(d) = &edit.description {
        secret::check_description(d)?;
    }
    Ok(match &edit.value {
        Some(v) => v.check()?,
        None => Vec::new(),
    })
}

/// Names sort case-insensitively, with exact order breaking ties, as a person reads a list.
pub fn name_order(a: &SecretName, b: &SecretName) -> std::cmp::Ordering {
    let (a, b) = (a.as_str(), b.as_str());
    for (x, y) in a.bytes().zip(b.bytes()) {
        let (x, y) = (x.to_ascii_lowercase(), y.to_ascii_lowercase());
        if x != y {
            return x.cmp(&y);
        }
    }
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

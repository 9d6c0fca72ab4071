//! Making the vault show the merge: one write that creates, changes and trashes rows.

use std::collections::{BTreeMap, BTreeSet};

use super::super::Vault;
use super::super::crypto;
use super::super::error::{Error, Result};
use super::super::place::{PlaceId, PlaceName};
use super::super::records::{self, PlaceRow, RowState, SecretRow};
use super::super::secret::{SecretId, SecretName, SecretValue, Timestamp};
use super::super::store;
use super::super::sync::hex;
use super::super::sync::merge::{RecordId, Shown, ShownPlace, State};
use super::{Snapshot, SyncReport};

impl Vault {
    /// Makes the vault show `places` and `secrets` in one write. Secrets whose place does not
    /// show, and rows that show nothing any more, go to the trash. Returns the rows written, and
    /// the record set the vault held after it as the cache marks it (`cache::Meta::record_set`):
    /// `stored`'s when nothing was written, none when another process wrote right after (the
    /// next sync is then a full one, and publishes that write).
    pub(super) fn apply_merged(
        &mut self,
        places: &[ShownPlace],
        secrets: &[Shown],
        (snapshot, stored): (&Snapshot, &[u8]),
        touched: &BTreeSet<RecordId>,
        earlier: &BTreeMap<RecordId, Vec<zeroize::Zeroizing<String>>>,
        report: &mut SyncReport,
    ) -> Result<(Written, String)> {
        let now = self.clock.now().0;
        let target = target_states(places, secrets);
        let differs = target.iter().any(|(record, state)| snapshot.get(record).map(|s| &s.0) != Some(state))
            || snapshot.iter().any(|(record, (state, _))| *state != State::Deleted && !target.contains_key(record));
        let labels = place_labels(places);
        // Said once, when the sync that brings them together happens (they stay flagged until edited).
        for shown in secrets.iter().filter(|s| s.changed_on_two_devices && touched.contains(&s.record)) {
            report.conflicts.push(format!("{} {}", labels.get(&shown.place).map_or("?", String::as_str), shown.name));
        }
        for place in places.iter().filter(|p| touched.contains(&p.record)) {
            if let Some(old) = &place.renamed_from {
                report.renamed.push((old.clone(), place.name.clone()));
            }
        }
        for shown in secrets.iter().filter(|s| touched.contains(&s.record)) {
            if let Some(old) = &shown.renamed_from {
                let label = labels.get(&shown.place).map_or("?", String::as_str);
                report.renamed.push((format!("{label} {old}"), format!("{label} {}", shown.name)));
            }
        }
        if !differs && earlier.is_empty() {
            return Ok((Written::new(), hex(&crypto::sha256(&[stored]))));
        }
        let (mut created, mut updated, mut trashed) = (0, 0, 0);
        let mut written = Written::new();
        self.write(|vault, w| {
            if w.stored() != stored {
                return Err(Error::ChangedDuringSync);
            }
            let records = vault.records();
            // First every row that changes name or place, or goes, leaves its name (so that two
            // records swapping names never meet), then every row takes its state.
            let place_rows: BTreeMap<PlaceId, PlaceRow> = PlaceRow::all(w.conn())?.into_iter().map(|r| (r.id, r)).collect();
            for row in place_rows.values().filter(|r| r.deleted.is_none()) {
                let keep = matches!(target.get(&RecordId(row.id.0)), Some(State::Place { name, project, .. })
                    if *project == row.project.map(|p| p.0) && records.place_name(row).is_ok_and(|n| n.as_str() == name));
                if !keep {
                    let name = records.place_name(row)?;
                    let new = records.seal_place(row.id, row.project, &name, row.position, row.is_default, row.created, now, Some(now));
                    w.replace_place(row, &new)?;
                    written.insert(row.id.0, records.place_term(&new));
                    if !target.contains_key(&RecordId(row.id.0)) {
                        trashed += 1;
                    }
                }
            }
            // Of the secrets, only the rows that change name or place, or go, are read: the
            // snapshot says which (nothing was written since it was read: `w.stored()` above).
            let leaving: Vec<SecretId> = snapshot
                .iter()
                .filter(|(record, (state, _))| match state {
                    State::Live { place, name, .. } => !matches!(target.get(record),
                        Some(State::Live { place: p, name: n, .. }) if p == place && n == name),
                    _ => false,
                })
                .map(|(record, _)| SecretId(record.0))
                .collect();
            for id in leaving {
                let Some(row) = SecretRow::load(w.conn(), id)?.filter(|r| r.deleted.is_none()) else { continue };
                let row = &row;
                let keep = matches!(target.get(&RecordId(row.id.0)), Some(State::Live { place, name, .. })
                    if *place == row.place.0 && records.name(row).is_ok_and(|n| n.as_str() == name));
                if !keep {
                    let mut new = row.clone();
                    new.deleted = Some(now);
                    if let Ok(name) = records.name(row) {
                        new.name_index = vault.keys.trashed_name_index(&row.place.0, name.as_str());
                    }
                    w.replace_secret(row, &new)?;
                    written.insert(row.id.0, records.secret_term(&new));
                    if !target.contains_key(&RecordId(row.id.0)) {
                        trashed += 1;
                    }
                }
            }
            // Projects before environments (an environment's project is then in place).
            let mut ordered: Vec<&ShownPlace> = places.iter().collect();
            ordered.sort_by_key(|p| p.project.is_some());
            for place in ordered {
                let id = PlaceId(place.record.0);
                let name = PlaceName::parse(&place.name).map_err(|e| Error::SyncBadRecord {
                    detail: format!("a project or environment is named {:?} ({e})", place.name),
                })?;
                let project = place.project.map(PlaceId);
                match PlaceRow::load(w.conn(), id)? {
                    Some(old) => {
                        let same = old.deleted.is_none()
                            && old.project == project
                            && old.is_default == place.default
                            && old.position == place.position
                            && records.place_name(&old).is_ok_and(|n| n.as_str() == place.name);
                        if !same {
                            let new = records.seal_place(id, project, &name, place.position, place.default, old.created, now, None);
                            w.replace_place(&old, &new)?;
                            written.insert(id.0, records.place_term(&new));
                            updated += 1;
                        }
                    }
                    None => {
                        let new = records.seal_place(id, project, &name, place.position, place.default, now, now, None);
                        w.insert_place(&new)?;
                        written.insert(id.0, records.place_term(&new));
                        created += 1;
                    }
                }
            }
            let shown_places: BTreeSet<[u8; 16]> = places.iter().map(|p| p.record.0).collect();
            for shown in secrets.iter().filter(|s| shown_places.contains(&s.place)) {
                // A row that already shows it, with no earlier value to pass through, stays.
                let target_state = target.get(&shown.record);
                if !earlier.contains_key(&shown.record) && snapshot.get(&shown.record).map(|s| &s.0) == target_state {
                    continue;
                }
                let id = SecretId(shown.record.0);
                let name = SecretName::parse(&shown.name).map_err(|e| Error::SyncBadRecord {
                    detail: format!("a secret is named {:?} ({e})", shown.name),
                })?;
                // The earlier values first (each goes to the history as the next replaces it),
                // then the winner: every device ends with all of them.
                let mut steps: Vec<SecretValue> = earlier
                    .get(&shown.record)
                    .into_iter()
                    .flatten()
                    .filter(|v| v.as_str() != shown.value)
                    .map(|v| SecretValue::new(v.as_str()))
                    .collect();
                steps.push(SecretValue::new(shown.value.as_str()));
                let mut current = SecretRow::load(w.conn(), id)?;
                let was_there = current.is_some();
                let mut wrote = false;
                for value in &steps {
                    let new = match current.take() {
                        Some(old) => {
                            let old_value = records.value(&old)?;
                            let same = old.deleted.is_none()
                                && old.place.0 == shown.place
                                && records.name(&old).is_ok_and(|n| n.as_str() == shown.name)
                                && records.description(&old).is_ok_and(|d| d == shown.description)
                                && old_value == *value;
                            if same {
                                current = Some(old);
                                continue;
                            }
                            let value_changed = old_value != *value;
                            let history = match value_changed {
                                true => vault.push_history(w, &old, &old_value, Timestamp(now))?,
                                false => old.history,
                            };
                            let state = RowState {
                                revision: records::new_revision(),
                                version: if value_changed { old.version + 1 } else { old.version },
                                created: old.created,
                                modified: now,
                                value_set: if value_changed { now } else { old.value_set },
                                deleted: None,
                                history,
                            };
                            let new = records.seal_secret(id, PlaceId(shown.place), &name, &shown.description, value, state);
                            w.replace_secret(&old, &new)?;
                            written.insert(id.0, records.secret_term(&new));
                            new
                        }
                        None => {
                            let state = RowState {
                                revision: records::new_revision(),
                                version: 1,
                                created: now,
                                modified: now,
                                value_set: now,
                                deleted: None,
                                history: records::HistorySum::default(),
                            };
                            let new = records.seal_secret(id, PlaceId(shown.place), &name, &shown.description, value, state);
                            w.insert_secret(&new)?;
                            written.insert(id.0, records.secret_term(&new));
                            new
                        }
                    };
                    current = Some(new);
                    wrote = true;
                }
                match (wrote, was_there) {
                    (false, _) => {}
                    (true, true) => updated += 1,
                    (true, false) => created += 1,
                }
            }
            Ok(())
        })?;
        report.created = created;
        report.updated = updated;
        report.trashed = trashed;
        Ok((written, self.record_set_after_write()?))
    }

    /// The record set as this vault's last write sealed it, as the cache marks it: read back,
    /// and taken only if no other process wrote since (its write counter is that write's), else
    /// none.
    fn record_set_after_write(&self) -> Result<String> {
        let after = self.read(store::read_record_set)?;
        let records = self.records();
        let ours =
            records.open_record_set(&after, &self.header.key_id).is_ok_and(|set| set.writes == self.changes.writes);
        Ok(if ours { hex(&crypto::sha256(&[&after])) } else { String::new() })
    }
}

/// The rows a sync wrote, each with its term (`records/set.rs`: it covers the whole row), as
/// it left them.
pub(super) type Written = BTreeMap<[u8; 16], [u8; 32]>;

/// The states the vault is to show: the places, and the secrets whose place shows.
pub(super) fn target_states(places: &[ShownPlace], secrets: &[Shown]) -> BTreeMap<RecordId, State> {
    let mut out = BTreeMap::new();
    for place in places {
        out.insert(
            place.record,
            State::Place {
                project: place.project,
                name: place.name.clone(),
                default: place.default,
                position: place.position,
            },
        );
    }
    let shown_places: BTreeSet<[u8; 16]> = places.iter().map(|p| p.record.0).collect();
    for secret in secrets.iter().filter(|s| shown_places.contains(&s.place)) {
        out.insert(
            secret.record,
            State::Live {
                place: secret.place,
                name: secret.name.clone(),
                description: secret.description.clone(),
                value: secret.value.clone(),
            },
        );
    }
    out
}

/// "project" or "project/environment", per place id.
pub(super) fn place_labels(places: &[ShownPlace]) -> BTreeMap<[u8; 16], String> {
    let projects: BTreeMap<[u8; 16], &str> =
        places.iter().filter(|p| p.project.is_none()).map(|p| (p.record.0, p.name.as_str())).collect();
    places
        .iter()
        .map(|p| {
            let label = match p.project {
                None => p.name.clone(),
                Some(project) => format!("{}/{}", projects.get(&project).copied().unwrap_or("?"), p.name),
            };
            (p.record.0, label)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NewSecret;
    use crate::vault::crypto::Passphrase;
    use crate::vault::kdf::KdfParams;

    fn secret(name: &str) -> NewSecret {
        NewSecret { name: SecretName::parse(name).unwrap(), description: String::new(), value: SecretValue::new("v") }
    }

    /// A write by another process right after a sync's own is not taken for the sync's: the
    /// cache then marks no record set, and the next sync is a full one that publishes it.
    #[test]
    fn the_record_set_after_a_write_is_marked_only_while_no_other_process_wrote_since() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        let pass = Passphrase::new("a passphrase for this test");
        let mut sync = Vault::create(&path, &pass, KdfParams::insecure_for_tests()).unwrap();
        sync.create_secret(secret("FIRST")).unwrap();
        let mark = sync.record_set_after_write().unwrap();
        assert_eq!(mark, hex(&crypto::sha256(&[&sync.read(store::read_record_set).unwrap()])));

        let mut other = Vault::unlock(&path, &pass).unwrap();
        other.create_secret(secret("MEANWHILE")).unwrap();
        assert_eq!(sync.record_set_after_write().unwrap(), "", "another connection wrote since");
        sync.create_secret(secret("LATER")).unwrap();
        let mark = sync.record_set_after_write().unwrap();
        assert_eq!(mark, hex(&crypto::sha256(&[&sync.read(store::read_record_set).unwrap()])));
    }
}

//! Projects and environments, and every rule about where a secret lives: which place a name
//! means, what an environment resolves to (its own secrets over the project level's), override,
//! inheritance, copy and move, and the comparison of environments. The front ends only ask.

//!
//! This file holds the life of places — create, rename, reorder, delete and restore projects and
//! environments, and copy and move secrets between them; `resolve.rs` what a place resolves to.

mod resolve;

use std::collections::HashSet;

use super::place::{DEFAULT_ENVIRONMENTS, DEFAULT_PROJECT, Place, PlaceId, PlaceLabel, PlaceName};
use super::records::{self, PlaceRow, Records, RowState, SecretRow, live_id_by_index};
use super::{Error, Result, Saved, SecretId, SecretMeta, SecretName, Timestamp, Vault, crypto};
use resolve::live_project;

pub use resolve::{ComparedCell, ComparedName, PlacedSecret};

/// A project or environment in the trash, deleted with the secrets it held then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrashedPlace {
    pub id: PlaceId,
    /// An environment's project (`None`: it is a project).
    pub project: Option<PlaceId>,
    pub label: PlaceLabel,
    pub deleted: Timestamp,
    /// The secrets that went to the trash with it.
    pub secrets: usize,
}

/// The default project's rows for a new (or migrated) vault: the project first, then its
/// environments.
pub(crate) fn default_project_rows(records: &Records<'_>, now: i64) -> Vec<PlaceRow> {
    let project = PlaceId(crypto::random_bytes());
    let name = PlaceName::parse(DEFAULT_PROJECT).expect("a valid name");
    let mut rows = vec![records.seal_place(project, None, &name, 0, true, now, now, None)];
    rows.extend(environment_rows(records, project, now));
    rows
}

fn environment_rows(records: &Records<'_>, project: PlaceId, now: i64) -> Vec<PlaceRow> {
    DEFAULT_ENVIRONMENTS
        .iter()
        .enumerate()
        .map(|(position, env)| {
            let name = PlaceName::parse(env).expect("a valid name");
            records.seal_place(
                PlaceId(crypto::random_bytes()),
                Some(project),
                &name,
                position as i64,
                false,
                now,
                now,
                None,
            )
        })
        .collect()
}

impl Vault {
    /// Copies a live secret (its current value and description; not its history) into another
    /// place, under the same name. Fails with [`Error::NameTaken`] if that place has the name
    /// already, unless `replace`: then its value there becomes a new version.
    pub fn copy_secret(&mut self, id: SecretId, to: &Place, replace: bool) -> Result<Saved> {
        let now = self.clock.now();
        self.write(|vault, w| {
            vault.live_place(w.conn(), to)?;
            let row = vault.live_row(w.conn(), id)?;
            let records = vault.records();
            let (name, description, value) = (records.name(&row)?, records.description(&row)?, records.value(&row)?);
            let warnings = value.check()?;
            if let Some(existing) = vault.live_named(w.conn(), to.id(), &name)? {
                if !replace {
                    return Err(Error::NameTaken { name: name.to_string() });
                }
                let edit = super::SecretEdit { name: None, description: Some(description), value: Some(value) };
                let (meta, value_changed) = vault.edit_row(w, existing, &edit, now)?;
                return Ok(Saved { meta, warnings, value_changed });
            }
            let new = super::NewSecret { name, description, value };
            let meta = vault.insert_secret(w, to.id(), &new, now)?;
            Ok(Saved { meta, warnings, value_changed: true })
        })
    }

    /// Moves a live secret to another place, with its id, versions and history. Fails with
    /// [`Error::NameTaken`] if that place has the name already.
    pub fn move_secret(&mut self, id: SecretId, to: &Place) -> Result<SecretMeta> {
        let now = self.clock.now();
        self.write(|vault, w| {
            vault.live_place(w.conn(), to)?;
            let old = vault.live_row(w.conn(), id)?;
            if old.place == to.id() {
                return vault.records().meta(&old);
            }
            let records = vault.records();
            let name = records.name(&old)?;
            if live_id_by_index(w.conn(), &vault.keys.name_index(&to.id().0, name.as_str()))?.is_some() {
                return Err(Error::NameTaken { name: name.to_string() });
            }
            let row = records.seal_secret(
                old.id,
                to.id(),
                &name,
                &records.description(&old)?,
                &records.value(&old)?,
                RowState {
                    revision: records::new_revision(),
                    version: old.version,
                    created: old.created,
                    modified: now.0,
                    value_set: old.value_set,
                    deleted: None,
                    history: old.history,
                },
            );
            w.replace_secret(&old, &row)?;
            records.meta(&row)
        })
    }

    /// Removes the secrets `names` from `place` itself (to the trash, all or none). A name only
    /// inherited there is refused ([`Error::Inherited`]): it is the project level's to remove.
    pub fn remove_in(&mut self, place: &Place, names: &[SecretName]) -> Result<Vec<SecretId>> {
        let mut ids = Vec::with_capacity(names.len());
        for name in names {
            ids.push(self.find_own_in(place, name)?);
        }
        self.delete(&ids)?;
        Ok(ids)
    }

    /// Creates a project, with the usual environments (development, staging, production).
    pub fn create_project(&mut self, name: &PlaceName) -> Result<PlaceId> {
        let now = self.clock.now().0;
        self.write(|vault, w| {
            if PlaceRow::live_by_index(w.conn(), &vault.keys.project_index(&name.folded()))?.is_some() {
                return Err(Error::ProjectTaken { name: name.to_string() });
            }
            let position =
                PlaceRow::all(w.conn())?.iter().filter(|r| r.project.is_none()).map(|r| r.position + 1).max();
            let records = vault.records();
            let id = PlaceId(crypto::random_bytes());
            let mut rows = vec![records.seal_place(id, None, name, position.unwrap_or(0), false, now, now, None)];
            rows.extend(environment_rows(&records, id, now));
            for row in &rows {
                w.insert_place(row)?;
            }
            Ok(id)
        })
    }

    /// Adds an environment at the end of a project's.
    pub fn create_environment(&mut self, project: PlaceId, name: &PlaceName) -> Result<PlaceId> {
        let now = self.clock.now().0;
        self.write(|vault, w| {
            let project_row = live_project(w.conn(), project)?;
            if PlaceRow::live_by_index(w.conn(), &vault.keys.environment_index(&project.0, &name.folded()))?.is_some() {
                let project = vault.records().place_name(&project_row)?;
                return Err(Error::EnvironmentTaken { name: name.to_string(), project: project.to_string() });
            }
            let position =
                PlaceRow::all(w.conn())?.iter().filter(|r| r.project == Some(project)).map(|r| r.position + 1).max();
            let records = vault.records();
            let id = PlaceId(crypto::random_bytes());
            let row = records.seal_place(id, Some(project), name, position.unwrap_or(0), false, now, now, None);
            w.insert_place(&row)?;
            Ok(id)
        })
    }

    /// Renames a project or an environment (its id, and so every script naming the default
    /// project by default, is unchanged).
    pub fn rename_place(&mut self, id: PlaceId, name: &PlaceName) -> Result<()> {
        let now = self.clock.now().0;
        self.write(|vault, w| {
            let old = PlaceRow::load(w.conn(), id)?.filter(|r| r.deleted.is_none()).ok_or(Error::PlaceGone)?;
            let records = vault.records();
            let index = match old.project {
                None => vault.keys.project_index(&name.folded()),
                Some(project) => vault.keys.environment_index(&project.0, &name.folded()),
            };
            if PlaceRow::live_by_index(w.conn(), &index)?.is_some_and(|other| other.id != id) {
                return Err(match old.project {
                    None => Error::ProjectTaken { name: name.to_string() },
                    Some(project) => Error::EnvironmentTaken {
                        name: name.to_string(),
                        project: records.place_name(&live_project(w.conn(), project)?)?.to_string(),
                    },
                });
            }
            let row = records.seal_place(id, old.project, name, old.position, old.is_default, old.created, now, None);
            w.replace_place(&old, &row)
        })
    }

    /// Puts a project's environments in this order (every one of its live environments, once).
    pub fn reorder_environments(&mut self, project: PlaceId, order: &[PlaceId]) -> Result<()> {
        let now = self.clock.now().0;
        self.write(|vault, w| {
            live_project(w.conn(), project)?;
            let current: Vec<PlaceRow> = PlaceRow::all(w.conn())?
                .into_iter()
                .filter(|r| r.project == Some(project) && r.deleted.is_none())
                .collect();
            let same = order.len() == current.len()
                && order.iter().collect::<HashSet<_>>() == current.iter().map(|r| &r.id).collect::<HashSet<_>>();
            if !same {
                return Err(Error::PlaceGone);
            }
            let records = vault.records();
            for (position, id) in order.iter().enumerate() {
                let old = current.iter().find(|r| r.id == *id).expect("checked above");
                if old.position != position as i64 {
                    let name = records.place_name(old)?;
                    let row =
                        records.seal_place(old.id, old.project, &name, position as i64, false, old.created, now, None);
                    w.replace_place(old, &row)?;
                }
            }
            Ok(())
        })
    }

    /// Deletes a project (with its environments) or an environment: it goes to the trash with
    /// every live secret it holds, all in one write; [`Vault::restore_place`] undoes it. The
    /// default project cannot be deleted (commands without a project use it). Returns how many
    /// secrets went to the trash.
    pub fn delete_place(&mut self, id: PlaceId) -> Result<usize> {
        let now = self.clock.now().0;
        self.write(|vault, w| {
            let old = PlaceRow::load(w.conn(), id)?.filter(|r| r.deleted.is_none()).ok_or(Error::PlaceGone)?;
            let records = vault.records();
            if old.is_default {
                return Err(Error::DefaultProject { name: records.place_name(&old)?.to_string() });
            }
            let mut places = vec![old.clone()];
            if old.project.is_none() {
                places.extend(
                    PlaceRow::all(w.conn())?.into_iter().filter(|r| r.project == Some(id) && r.deleted.is_none()),
                );
            }
            // The deletion time is what ties these secrets to the place in the trash: later than
            // any secret of theirs trashed on its own (in the same millisecond, say), so that
            // restoring the place does not bring those back too.
            let mut now = now;
            for place in &places {
                if let Some(latest) = SecretRow::latest_trashed_in(w.conn(), place.id)? {
                    now = now.max(latest + 1);
                }
            }
            // And later than any environment of the project deleted on its own before.
            if old.project.is_none() {
                for env in PlaceRow::all(w.conn())?.iter().filter(|r| r.project == Some(id)) {
                    if let Some(deleted) = env.deleted {
                        now = now.max(deleted + 1);
                    }
                }
            }
            let mut trashed = 0;
            for place in &places {
                for row in SecretRow::live_in(w.conn(), place.id)? {
                    let mut new = row.clone();
                    new.deleted = Some(now);
                    if let Ok(name) = records.name(&row) {
                        new.name_index = vault.keys.trashed_name_index(&row.place.0, name.as_str());
                    }
                    w.replace_secret(&row, &new)?;
                    trashed += 1;
                }
                let name = records.place_name(place)?;
                let row = records.seal_place(
                    place.id,
                    place.project,
                    &name,
                    place.position,
                    false,
                    place.created,
                    now,
                    Some(now),
                );
                w.replace_place(place, &row)?;
            }
            Ok(trashed)
        })
    }

    /// Brings a deleted project or environment back from the trash, with the secrets that went
    /// there with it (a project: with its environments). Fails with [`Error::ProjectTaken`] or
    /// [`Error::EnvironmentTaken`] if a live one has its name now, and for an environment whose
    /// project is in the trash (restore the project).
    pub fn restore_place(&mut self, id: PlaceId) -> Result<usize> {
        let now = self.clock.now().0;
        self.write(|vault, w| {
            let old = PlaceRow::load(w.conn(), id)?.filter(|r| r.deleted.is_some()).ok_or(Error::NotInTrash)?;
            let deleted = old.deleted.expect("filtered");
            let records = vault.records();
            if let Some(project) = old.project {
                live_project(w.conn(), project).map_err(|_| Error::PlaceGone)?;
            }
            let mut places = vec![old.clone()];
            if old.project.is_none() {
                places.extend(
                    PlaceRow::all(w.conn())?
                        .into_iter()
                        .filter(|r| r.project == Some(id) && r.deleted == Some(deleted)),
                );
            }
            let mut restored = 0;
            for place in &places {
                let name = records.place_name(place)?;
                let row =
                    records.seal_place(place.id, place.project, &name, place.position, false, place.created, now, None);
                if PlaceRow::live_by_index(w.conn(), &row.name_index)?.is_some() {
                    return Err(match place.project {
                        None => Error::ProjectTaken { name: name.to_string() },
                        Some(project) => Error::EnvironmentTaken {
                            name: name.to_string(),
                            project: records.place_name(&live_project(w.conn(), project)?)?.to_string(),
                        },
                    });
                }
                w.replace_place(place, &row)?;
                for secret in SecretRow::trashed_with(w.conn(), place.id, deleted)? {
                    let name = records.name(&secret)?;
                    let mut new = secret.clone();
                    new.deleted = None;
                    new.name_index = vault.keys.name_index(&secret.place.0, name.as_str());
                    w.replace_secret(&secret, &new)?;
                    restored += 1;
                }
            }
            Ok(restored)
        })
    }

    /// Projects and environments in the trash (an environment deleted with its project is
    /// listed with the project only), most recently deleted first.
    pub fn trashed_places(&self) -> Result<Vec<TrashedPlace>> {
        self.read(|snapshot| {
            let rows = PlaceRow::all(snapshot)?;
            let mut out = Vec::new();
            for row in rows.iter().filter(|r| r.deleted.is_some()) {
                let deleted = row.deleted.expect("filtered");
                if let Some(project) = row.project
                    && rows.iter().any(|p| p.id == project && p.deleted == Some(deleted))
                {
                    continue;
                }
                let mut secrets = SecretRow::trashed_with(snapshot, row.id, deleted)?.len();
                if row.project.is_none() {
                    for env in rows.iter().filter(|e| e.project == Some(row.id) && e.deleted == Some(deleted)) {
                        secrets += SecretRow::trashed_with(snapshot, env.id, deleted)?.len();
                    }
                }
                out.push(TrashedPlace {
                    id: row.id,
                    project: row.project,
                    label: self.label_in(snapshot, row.id)?,
                    deleted: Timestamp(deleted),
                    secrets,
                });
            }
            out.sort_by_key(|p| std::cmp::Reverse(p.deleted));
            Ok(out)
        })
    }
}

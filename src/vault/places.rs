//! Projects and environments, and every rule about where a secret lives: which place a name
//! means, what an environment resolves to (its own secrets over the project level's), override,
//! inheritance, copy and move, and the comparison of environments. The front ends only ask.

use std::collections::{HashMap, HashSet};

use rusqlite::Connection;

use super::place::{
    DEFAULT_ENVIRONMENTS, DEFAULT_PROJECT, EnvironmentInfo, Origin, Place, PlaceId, PlaceLabel, PlaceName, ProjectInfo,
};
use super::records::{self, PlaceRow, Records, RowState, SecretRow, live_id_by_index};
use super::secrets::{Listing, name_order};
use super::{Error, Result, Saved, SecretId, SecretMeta, SecretName, Timestamp, Vault, crypto};

/// A row of a place's listing: the secret, and whether it is the place's own, an override, or
/// inherited from the project level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedSecret {
    pub meta: SecretMeta,
    pub origin: Origin,
}

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

/// One name of a comparison, across the environments compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComparedName {
    pub name: SecretName,
    /// Per environment (in the order asked), what it resolves to: `None` where it is missing.
    pub cells: Vec<Option<ComparedCell>>,
}

/// What one environment resolves a name to, without its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComparedCell {
    pub id: SecretId,
    pub origin: Origin,
    /// Cells with equal groups hold equal values (numbered from 0 in order of appearance in
    /// this row). Compared through a keyed hash made for this comparison only and dropped with
    /// it; no value is kept.
    pub group: usize,
}

impl ComparedName {
    /// Whether every environment has this name with one and the same value.
    pub fn all_same(&self) -> bool {
        self.cells.iter().all(|c| c.as_ref().is_some_and(|c| c.group == 0))
    }
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
    /// The default project's level: where secrets go when no project is named.
    pub fn default_place(&self) -> Result<Place> {
        self.read(|snapshot| Ok(Place::shared(default_project(snapshot)?)))
    }

    /// Every live project (by position), with its environments (in their order) and counts.
    pub fn projects(&self) -> Result<Vec<ProjectInfo>> {
        self.read(|snapshot| self.projects_in(snapshot))
    }

    fn projects_in(&self, snapshot: &Connection) -> Result<Vec<ProjectInfo>> {
        let records = self.records();
        let counts = SecretRow::live_counts(snapshot)?;
        let rows = PlaceRow::all(snapshot)?;
        let mut projects: Vec<ProjectInfo> = Vec::new();
        for row in rows.iter().filter(|r| r.project.is_none() && r.deleted.is_none()) {
            projects.push(ProjectInfo {
                id: row.id,
                name: readable_name(&records, row),
                is_default: row.is_default,
                shared_secrets: counts.get(&row.id).copied().unwrap_or(0),
                environments: Vec::new(),
            });
        }
        for row in rows.iter().filter(|r| r.deleted.is_none()) {
            let Some(project) = row.project else { continue };
            if let Some(info) = projects.iter_mut().find(|p| p.id == project) {
                info.environments.push(EnvironmentInfo {
                    id: row.id,
                    name: readable_name(&records, row),
                    secrets: counts.get(&row.id).copied().unwrap_or(0),
                });
            }
        }
        Ok(projects)
    }

    /// The place named by a project and an environment (names ignore case): no project is the
    /// default project, no environment its project level. An unknown name fails naming what
    /// there is.
    pub fn place(&self, project: Option<&str>, env: Option<&str>) -> Result<Place> {
        self.read(|snapshot| {
            let project_id = match project {
                None => default_project(snapshot)?,
                Some(name) => {
                    let index = self.keys.project_index(&name.to_lowercase());
                    match PlaceRow::live_by_index(snapshot, &index)? {
                        Some(row) if row.project.is_none() => row.id,
                        _ => {
                            let known = self.projects_in(snapshot)?.iter().map(|p| p.name.to_string()).collect();
                            return Err(Error::ProjectNotFound { name: name.to_owned(), known: list_of(known) });
                        }
                    }
                }
            };
            let env_id = match env {
                None => None,
                Some(name) => {
                    let index = self.keys.environment_index(&project_id.0, &name.to_lowercase());
                    match PlaceRow::live_by_index(snapshot, &index)? {
                        Some(row) if row.project == Some(project_id) => Some(row.id),
                        _ => {
                            let projects = self.projects_in(snapshot)?;
                            let project = projects.iter().find(|p| p.id == project_id);
                            let known = project
                                .map(|p| p.environments.iter().map(|e| e.name.to_string()).collect())
                                .unwrap_or_default();
                            return Err(Error::EnvironmentNotFound {
                                name: name.to_owned(),
                                project: project.map(|p| p.name.to_string()).unwrap_or_default(),
                                known: list_of(known),
                            });
                        }
                    }
                }
            };
            Ok(Place { project: project_id, env: env_id })
        })
    }

    /// A place's names, for messages: `shop`, `shop/production`.
    pub fn place_label(&self, place: &Place) -> Result<PlaceLabel> {
        self.read(|snapshot| self.label_in(snapshot, place.id()))
    }

    /// [`Vault::place_label`] of a place's id (a secret's [`SecretMeta::place`]).
    pub fn place_label_of(&self, id: PlaceId) -> Result<PlaceLabel> {
        self.read(|snapshot| self.label_in(snapshot, id))
    }

    fn label_in(&self, snapshot: &Connection, id: PlaceId) -> Result<PlaceLabel> {
        let records = self.records();
        let row = PlaceRow::load(snapshot, id)?.ok_or(Error::PlaceGone)?;
        match row.project {
            None => Ok(PlaceLabel { project: readable_name(&records, &row), env: None }),
            Some(project) => {
                let project = PlaceRow::load(snapshot, project)?.ok_or(Error::PlaceGone)?;
                Ok(PlaceLabel { project: readable_name(&records, &project), env: Some(readable_name(&records, &row)) })
            }
        }
    }

    /// Every live secret a place shows, sorted by name: at the project level its own; in an
    /// environment its own (overrides marked) and the project level's it does not override
    /// (marked inherited).
    pub fn list_in(&self, place: &Place) -> Result<Listing<PlacedSecret>> {
        self.read(|snapshot| {
            let records = self.records();
            let mut listing = Listing { items: Vec::new(), damaged: Vec::new() };
            let mut own = Vec::new();
            for row in SecretRow::live_in(snapshot, place.id())? {
                match records.meta(&row) {
                    Ok(meta) => own.push(meta),
                    Err(e) => listing.damaged.push(e),
                }
            }
            let mut shared = Vec::new();
            if let Some(parent) = place.parent() {
                for row in SecretRow::live_in(snapshot, parent.id())? {
                    match records.meta(&row) {
                        Ok(meta) => shared.push(meta),
                        Err(e) => listing.damaged.push(e),
                    }
                }
            }
            let shared_names: HashSet<&SecretName> = shared.iter().map(|m| &m.name).collect();
            let own_names: HashSet<SecretName> = own.iter().map(|m| m.name.clone()).collect();
            for meta in own {
                let origin = if shared_names.contains(&meta.name) { Origin::Override } else { Origin::Own };
                listing.items.push(PlacedSecret { meta, origin });
            }
            for meta in shared.into_iter().filter(|m| !own_names.contains(&m.name)) {
                listing.items.push(PlacedSecret { meta, origin: Origin::Inherited });
            }
            listing.items.sort_unstable_by(|a, b| name_order(&a.meta.name, &b.meta.name));
            Ok(listing)
        })
    }

    /// The secret `name` resolves to in `place` (an environment's own, else the project
    /// level's), and where it comes from.
    pub fn find_in(&self, place: &Place, name: &SecretName) -> Result<(SecretId, Origin)> {
        self.read(|snapshot| {
            self.resolve_named(snapshot, place, name)?
                .map(|(row, origin)| (row.id, origin))
                .ok_or_else(|| Error::NotFound { name: name.to_string() })
        })
    }

    /// The secret `name` set in `place` itself (not inherited): what a removal there means.
    /// A name only the project level has is [`Error::Inherited`].
    pub fn find_own_in(&self, place: &Place, name: &SecretName) -> Result<SecretId> {
        self.read(|snapshot| {
            if let Some(row) = self.live_named(snapshot, place.id(), name)? {
                return Ok(row.id);
            }
            if let Some(parent) = place.parent()
                && self.live_named(snapshot, parent.id(), name)?.is_some()
            {
                let label = self.label_in(snapshot, place.id())?;
                return Err(Error::Inherited {
                    name: name.to_string(),
                    project: label.project.to_string(),
                    env: label.env.map(|e| e.to_string()).unwrap_or_default(),
                });
            }
            Err(Error::NotFound { name: name.to_string() })
        })
    }

    /// Where a secret lives.
    pub fn place_of(&self, id: SecretId) -> Result<Place> {
        self.read(|snapshot| {
            let row =
                SecretRow::load(snapshot, id)?.ok_or_else(|| Error::NotFound { name: format!("with id {id}") })?;
            place_by_id(snapshot, row.place)
        })
    }

    /// Every live secret's id, name and place (names only: one decrypt each; in no particular
    /// order): what the app's vault-wide search filters as you type, read once when it opens.
    pub fn all_names(&self) -> Result<Vec<(SecretId, SecretName, PlaceId)>> {
        self.read(|snapshot| {
            let records = self.records();
            let mut out = Vec::new();
            for (id, place, revision, sealed) in SecretRow::live_names(snapshot)? {
                if let Some(name) = records.name_only(id, &revision, &sealed) {
                    out.push((id, name, place));
                }
            }
            Ok(out)
        })
    }

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

    /// Compares what each of `envs` (environments of one project) resolves every name to:
    /// present or missing, and which values are equal — through a keyed hash under a key made
    /// for this call and dropped with it, so no value leaves this function.
    pub fn compare(&self, envs: &[Place]) -> Result<Vec<ComparedName>> {
        // Wiped when the comparison ends (the digests are freed through the wiping allocator).
        let key = zeroize::Zeroizing::new(crypto::random_bytes::<32>());
        self.read(|snapshot| {
            let records = self.records();
            let mut names: Vec<ComparedName> = Vec::new();
            // Per name, the distinct digests seen so far: a cell's group is its digest's place.
            let mut digests: Vec<Vec<[u8; 32]>> = Vec::new();
            let mut index: HashMap<SecretName, usize> = HashMap::new();
            for (column, place) in envs.iter().enumerate() {
                for (row, origin) in self.resolved_rows(snapshot, place)? {
                    let name = records.name(&row)?;
                    let digest = crypto::keyed_digest(&key, records.value(&row)?.expose().as_bytes());
                    let at = match index.get(&name) {
                        Some(&at) => at,
                        None => {
                            names.push(ComparedName { name: name.clone(), cells: vec![None; envs.len()] });
                            digests.push(Vec::new());
                            index.insert(name, names.len() - 1);
                            names.len() - 1
                        }
                    };
                    let seen = &mut digests[at];
                    let group = seen.iter().position(|d| *d == digest).unwrap_or_else(|| {
                        seen.push(digest);
                        seen.len() - 1
                    });
                    names[at].cells[column] = Some(ComparedCell { id: row.id, origin, group });
                }
            }
            names.sort_unstable_by(|a, b| name_order(&a.name, &b.name));
            Ok(names)
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

    /// Fails unless `place` is live (another process may have deleted it since it was chosen).
    pub(super) fn live_place(&self, conn: &Connection, place: &Place) -> Result<()> {
        live_project(conn, place.project)?;
        if let Some(env) = place.env {
            PlaceRow::load(conn, env)?
                .filter(|r| r.deleted.is_none() && r.project == Some(place.project))
                .ok_or(Error::PlaceGone)?;
        }
        Ok(())
    }

    /// Before a trashed secret comes back alone: its place must be live.
    pub(super) fn place_of_trashed(&self, conn: &Connection, row: &SecretRow) -> Result<()> {
        let place = PlaceRow::load(conn, row.place)?.ok_or(Error::PlaceGone)?;
        if place.deleted.is_some() || place.project.is_some_and(|p| live_project(conn, p).is_err()) {
            let label = self.label_in(conn, row.place)?;
            return Err(Error::PlaceInTrash { label: label.to_string() });
        }
        Ok(())
    }

    /// Every live row `place` resolves to: its own, then (in an environment) the project
    /// level's it does not override.
    pub(super) fn resolved_rows(&self, conn: &Connection, place: &Place) -> Result<Vec<(SecretRow, Origin)>> {
        let records = self.records();
        let own = SecretRow::live_in(conn, place.id())?;
        let Some(parent) = place.parent() else {
            return Ok(own.into_iter().map(|r| (r, Origin::Own)).collect());
        };
        let shared = SecretRow::live_in(conn, parent.id())?;
        let mut shared_by_name = HashMap::new();
        for row in shared {
            shared_by_name.insert(records.name(&row)?, row);
        }
        let mut out = Vec::with_capacity(own.len() + shared_by_name.len());
        for row in own {
            let name = records.name(&row)?;
            let origin = if shared_by_name.remove(&name).is_some() { Origin::Override } else { Origin::Own };
            out.push((row, origin));
        }
        out.extend(shared_by_name.into_values().map(|r| (r, Origin::Inherited)));
        Ok(out)
    }

    /// The live row `name` resolves to in `place`.
    pub(super) fn resolve_named(
        &self,
        conn: &Connection,
        place: &Place,
        name: &SecretName,
    ) -> Result<Option<(SecretRow, Origin)>> {
        let own = self.live_named(conn, place.id(), name)?;
        let Some(parent) = place.parent() else { return Ok(own.map(|r| (r, Origin::Own))) };
        let shared = self.live_named(conn, parent.id(), name)?;
        Ok(match (own, shared) {
            (Some(own), Some(_)) => Some((own, Origin::Override)),
            (Some(own), None) => Some((own, Origin::Own)),
            (None, Some(shared)) => Some((shared, Origin::Inherited)),
            (None, None) => None,
        })
    }
}

/// A place's name, or where it does not decrypt (a damaged record, read in salvage), a stand-in
/// that says so: one damaged name does not hide every place and secret.
fn readable_name(records: &Records<'_>, row: &PlaceRow) -> PlaceName {
    records.place_name(row).unwrap_or_else(|_| {
        let kind = if row.project.is_some() { "environment" } else { "project" };
        let short: String = row.id.0[..4].iter().map(|b| format!("{b:02x}")).collect();
        PlaceName::parse(&format!("unreadable {kind} {short}")).expect("a valid name")
    })
}

fn list_of(names: Vec<String>) -> String {
    if names.is_empty() { "none".to_owned() } else { names.join(", ") }
}

fn default_project(conn: &Connection) -> Result<PlaceId> {
    PlaceRow::all(conn)?.into_iter().find(|r| r.is_default && r.project.is_none()).map(|r| r.id).ok_or(Error::PlaceGone)
}

fn live_project(conn: &Connection, id: PlaceId) -> Result<PlaceRow> {
    PlaceRow::load(conn, id)?.filter(|r| r.project.is_none() && r.deleted.is_none()).ok_or(Error::PlaceGone)
}

fn place_by_id(conn: &Connection, id: PlaceId) -> Result<Place> {
    let row = PlaceRow::load(conn, id)?.ok_or(Error::PlaceGone)?;
    Ok(match row.project {
        None => Place::shared(row.id),
        Some(project) => Place { project, env: Some(row.id) },
    })
}

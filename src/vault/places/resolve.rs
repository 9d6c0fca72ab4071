//! Resolution: which place a name means, what an environment resolves to (its own secrets over
//! the project level's: own, inherited, override), and the comparison of environments. Reads only.

use std::collections::{HashMap, HashSet};

use rusqlite::Connection;

use super::super::place::{EnvironmentInfo, Origin, Place, PlaceId, PlaceLabel, PlaceName, ProjectInfo};
use super::super::records::{PlaceRow, Records, SecretRow};
use super::super::secrets::{Listing, name_order};
use super::super::{Error, Result, SecretId, SecretMeta, SecretName, Vault, crypto};

/// A row of a place's listing: the secret, and whether it is the place's own, an override, or
/// inherited from the project level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedSecret {
    pub meta: SecretMeta,
    pub origin: Origin,
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

impl Vault {
    /// The default project's level: where secrets go when no project is named.
    pub fn default_place(&self) -> Result<Place> {
        self.read(|snapshot| Ok(Place::shared(default_project(snapshot)?)))
    }

    /// Every live project (by position), with its environments (in their order) and counts.
    pub fn projects(&self) -> Result<Vec<ProjectInfo>> {
        self.read(|snapshot| self.projects_in(snapshot))
    }

    pub(super) fn projects_in(&self, snapshot: &Connection) -> Result<Vec<ProjectInfo>> {
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

    pub(super) fn label_in(&self, snapshot: &Connection, id: PlaceId) -> Result<PlaceLabel> {
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
    /// level's), and where it comes from: index lookups, no decryption.
    pub fn find(&self, place: &Place, name: &SecretName) -> Result<(SecretId, Origin)> {
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

    /// Fails unless `place` is live (another process may have deleted it since it was chosen).
    pub(in crate::vault) fn live_place(&self, conn: &Connection, place: &Place) -> Result<()> {
        live_project(conn, place.project)?;
        if let Some(env) = place.env {
            PlaceRow::load(conn, env)?
                .filter(|r| r.deleted.is_none() && r.project == Some(place.project))
                .ok_or(Error::PlaceGone)?;
        }
        Ok(())
    }

    /// Before a trashed secret comes back alone: its place must be live.
    pub(in crate::vault) fn place_of_trashed(&self, conn: &Connection, row: &SecretRow) -> Result<()> {
        let place = PlaceRow::load(conn, row.place)?.ok_or(Error::PlaceGone)?;
        if place.deleted.is_some() || place.project.is_some_and(|p| live_project(conn, p).is_err()) {
            let label = self.label_in(conn, row.place)?;
            return Err(Error::PlaceInTrash { label: label.to_string() });
        }
        Ok(())
    }

    /// Every live row `place` resolves to: its own, then (in an environment) the project
    /// level's it does not override.
    pub(in crate::vault) fn resolved_rows(&self, conn: &Connection, place: &Place) -> Result<Vec<(SecretRow, Origin)>> {
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
    pub(in crate::vault) fn resolve_named(
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

pub(super) fn default_project(conn: &Connection) -> Result<PlaceId> {
    PlaceRow::all(conn)?.into_iter().find(|r| r.is_default && r.project.is_none()).map(|r| r.id).ok_or(Error::PlaceGone)
}

pub(super) fn live_project(conn: &Connection, id: PlaceId) -> Result<PlaceRow> {
    PlaceRow::load(conn, id)?.filter(|r| r.project.is_none() && r.deleted.is_none()).ok_or(Error::PlaceGone)
}

fn place_by_id(conn: &Connection, id: PlaceId) -> Result<Place> {
    let row = PlaceRow::load(conn, id)?.ok_or(Error::PlaceGone)?;
    Ok(match row.project {
        None => Place::shared(row.id),
        Some(project) => Place { project, env: Some(row.id) },
    })
}

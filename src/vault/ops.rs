//! The request layer: what a front end asks of a vault, as data, and one [`Vault::execute`].
//!
//! The command line builds a [`Request`] and runs it either in its own process (after unlocking
//! the vault) or through the open app, whose server runs this same `execute` on its own handle of
//! the vault (see `agent/`). Either way the answer is a [`Response`], or a [`Failure`] with the
//! exit code every front end gives it ([`exit`]): the same words and codes whichever way a
//! request went. Places are named as a user names them ([`At`]) and resolved here, by the core's
//! rules. A request asks for secrets and values, never for keys or for a ciphertext to decrypt.

use serde::{Deserialize, Serialize};

use super::error::Error;
use super::place::{Origin, Place, PlaceLabel};
use super::secret::{SecretName, SecretValue};
use super::{Result, SecretEdit, Vault};

/// Exit codes, the same for every command and whichever way a request went.
pub mod exit {
    pub const OK: i32 = 0;
    pub const OTHER: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const WRONG_PASSPHRASE: i32 = 3;
    pub const NOT_FOUND: i32 = 4;
    pub const INTEGRITY: i32 = 5;
    pub const NAME: i32 = 6;
    pub const UNTRUSTED_FOLDER_FILE: i32 = 7;
    pub const DENIED: i32 = 8;
}

/// A place as a user names it: a project (`None`: the default project) and one of its
/// environments (`None`: its shared level).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct At {
    pub project: Option<String>,
    pub env: Option<String>,
}

impl At {
    pub fn new(project: Option<&str>, env: Option<&str>) -> At {
        At { project: project.map(str::to_owned), env: env.map(str::to_owned) }
    }
}

/// One secret a program is to get under `var`: `name` in the request's place, or in `from`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Wanted {
    pub var: String,
    pub from: Option<At>,
    pub name: String,
    /// Missing: the run stops (else it is left out).
    pub required: bool,
    /// How a message names it: `API_KEY`, `API (from Personal/OPENAI_API_KEY)`.
    pub shown: String,
}

/// What a front end asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// Names, descriptions and bookkeeping of what a place shows (never values).
    List { at: At },
    /// One value: the current one, or `version`'s.
    Get { at: At, name: String, version: Option<u32> },
    /// What a program gets (`run`): everything the place resolves to, or the `wanted` secrets.
    Resolve { at: At, wanted: Option<Vec<Wanted>> },
    /// Which names of a project's environments are missing or differ (never values).
    Diff { project: Option<String>, envs: Vec<String> },
    /// Creates or changes a secret of the place itself (never one it only inherits: that gets
    /// an override). `value: None` keeps the current value (refused for a new name).
    Set { at: At, name: String, description: Option<String>, value: Option<SecretValue> },
}

impl Request {
    /// Whether the open app may answer it for a caller it approved: reads only. Writes and
    /// vault administration unlock the vault as they always did.
    pub fn servable(&self) -> bool {
        !matches!(self, Request::Set { .. })
    }
}

/// How a secret is listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listed {
    pub name: String,
    pub description: String,
    pub version: u32,
    /// Milliseconds since the Unix epoch.
    pub created: i64,
    pub modified: i64,
    pub origin: Origin,
    /// Where it lives.
    pub project: String,
    pub environment: Option<String>,
}

/// Where a request acted, for messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acted {
    /// `shop`, `shop/production`.
    pub label: String,
    pub environment: bool,
    /// The default project's shared level (messages leave the place out there).
    pub default: bool,
}

/// A `diff` row: per environment asked, `None` where the name is missing, else a group number
/// (equal numbers, equal values).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffRow {
    pub name: String,
    pub values: Vec<Option<usize>>,
}

/// What a `set` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetReport {
    pub name: String,
    pub version: u32,
    pub created: bool,
    /// Created in an environment over a secret its shared level has.
    pub overrides_shared: bool,
    pub value_changed: bool,
    /// The value's paste-mistake warnings, in words.
    pub warnings: Vec<String>,
}

/// The answer to a [`Request`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Response {
    Listing {
        at: Acted,
        items: Vec<Listed>,
        damaged: Vec<Failure>,
    },
    Value(SecretValue),
    /// `values` in the order asked (or by name); `missing`: required ones not found (shown);
    /// `bad_sources`: a `from` whose project or environment does not exist (shown, why).
    Resolved {
        values: Vec<(String, SecretValue)>,
        missing: Vec<String>,
        bad_sources: Vec<(String, String)>,
    },
    Diff {
        project: String,
        rows: Vec<DiffRow>,
    },
    Set {
        at: Acted,
        report: SetReport,
    },
}

/// A request that failed: the exit code and the one sentence every front end shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let code = match &e {
            Error::WrongPassphrase => exit::WRONG_PASSPHRASE,
            Error::NotFound { .. }
            // Not set in that environment (only shared there): not found, as a name of another
            // place is.
            | Error::Inherited { .. }
            | Error::ProjectNotFound { .. }
            | Error::EnvironmentNotFound { .. }
            | Error::VersionNotFound { .. }
            | Error::NotInTrash
            | Error::NotFoundInTrash { .. }
            | Error::NoSuchBackup { .. } => exit::NOT_FOUND,
            Error::NameTaken { .. }
            | Error::InvalidName(_)
            | Error::ProjectTaken { .. }
            | Error::EnvironmentTaken { .. }
            | Error::InvalidPlaceName(_) => exit::NAME,
            Error::KdfTooWeak { .. } | Error::KeepOutOfRange { .. } => exit::USAGE,
            e if e.is_integrity_failure() => exit::INTEGRITY,
            _ => exit::OTHER,
        };
        let mut message = e.to_string();
        match e {
            Error::RecordSetTampered => {
                message += "; what is intact can be read with `tresor --salvage list` / `get`, and \
                            `tresor restore-backup latest` puts the latest backup back"
            }
            // `tresor init` alone would create the default vault, not this one.
            Error::NoVault { ref path } => {
                let flag = match crate::vault::Vault::default_path() {
                    Some(default) if default == *path => String::new(),
                    _ => format!(" --vault {}", quoted(&path.display().to_string())),
                };
                message += &format!("; create one with `tresor{flag} init`");
            }
            Error::Inherited { ref project, .. } => {
                // The flags go with "remove it from the shared secrets", where they apply.
                let flags = format!(" (`-p {} --shared`)", quoted(project));
                message = message.replacen(
                    "remove it from the shared secrets",
                    &format!("remove it from the shared secrets{flags}"),
                    1,
                );
            }
            _ => {}
        }
        Failure { code, message }
    }
}

/// A place name as a shell argument: quoted when it holds anything but letters, digits and
/// `-_.` (spaces, quotes).
pub fn quoted(name: &str) -> String {
    if !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || "-_./".contains(c)) {
        name.to_owned()
    } else {
        format!("'{}'", name.replace('\'', "'\\''"))
    }
}

fn name(text: &str) -> Result<SecretName> {
    Ok(SecretName::parse(text)?)
}

impl Vault {
    /// "No secret named A_KYE", with the names of the place that are near it (a letter off or
    /// two, or another case) as suggestions: looked for only once the name was not found.
    fn not_found_here(&self, place: &Place, wanted: &str) -> Failure {
        let mut failure = Failure::from(Error::NotFound { name: wanted.to_owned() });
        let Ok(listing) = self.list_in(place) else { return failure };
        let mut near: Vec<(usize, String)> = listing
            .items
            .iter()
            .filter_map(|item| {
                let name = item.meta.name.as_str();
                let distance = near_distance(wanted, name)?;
                Some((distance, name.to_owned()))
            })
            .collect();
        near.sort();
        near.dedup_by(|a, b| a.1 == b.1);
        let near: Vec<String> = near.into_iter().take(3).map(|(_, n)| n).collect();
        if !near.is_empty() {
            failure.message += &format!("; did you mean {}?", near.join(" or "));
        }
        failure
    }

    /// Resolves a place named by a user.
    pub fn place_at(&self, at: &At) -> Result<Place> {
        self.place(at.project.as_deref(), at.env.as_deref())
    }

    fn acted(&self, place: &Place) -> Result<Acted> {
        let label = self.place_label(place)?;
        Ok(Acted {
            label: label.to_string(),
            environment: place.env.is_some(),
            default: *place == self.default_place()?,
        })
    }

    /// Runs a request: the one path for the command line (in its process or through the app).
    pub fn execute(&mut self, request: Request) -> std::result::Result<Response, Failure> {
        let asked = match &request {
            Request::Get { at, name, .. } => Some((at.clone(), name.clone())),
            _ => None,
        };
        self.execute_inner(request).map_err(|e| match (e, asked) {
            (Error::NotFound { .. }, Some((at, name))) => {
                self.place_at(&at).map_or_else(Failure::from, |place| self.not_found_here(&place, &name))
            }
            (e, _) => Failure::from(e),
        })
    }

    fn execute_inner(&mut self, request: Request) -> Result<Response> {
        match request {
            Request::List { at } => {
                let place = self.place_at(&at)?;
                let listing = self.list_in(&place)?;
                let mut labels: std::collections::HashMap<super::PlaceId, PlaceLabel> = Default::default();
                let mut items = Vec::with_capacity(listing.items.len());
                for item in listing.items {
                    let meta = item.meta;
                    let label = match labels.entry(meta.place) {
                        std::collections::hash_map::Entry::Occupied(known) => known.into_mut(),
                        std::collections::hash_map::Entry::Vacant(new) => new.insert(self.place_label_of(meta.place)?),
                    };
                    items.push(Listed {
                        name: meta.name.to_string(),
                        description: meta.description,
                        version: meta.version,
                        created: meta.created.0,
                        modified: meta.modified.0,
                        origin: item.origin,
                        project: label.project.to_string(),
                        environment: label.env.as_ref().map(|e| e.to_string()),
                    });
                }
                let damaged = listing.damaged.into_iter().map(Failure::from).collect();
                Ok(Response::Listing { at: self.acted(&place)?, items, damaged })
            }
            Request::Get { at, name: wanted, version } => {
                let place = self.place_at(&at)?;
                let (id, _) = self.find(&place, &name(&wanted)?)?;
                let value = match version {
                    Some(v) => self.reveal_version(id, v)?,
                    None => self.reveal(id)?,
                };
                Ok(Response::Value(value))
            }
            Request::Resolve { at, wanted } => {
                let place = self.place_at(&at)?;
                let Some(wanted) = wanted else {
                    let values = self.export_entries(&place, None)?;
                    let values = values.into_iter().map(|(n, v)| (n.to_string(), v)).collect();
                    return Ok(Response::Resolved { values, missing: Vec::new(), bad_sources: Vec::new() });
                };
                let (mut values, mut missing, mut bad_sources) = (Vec::new(), Vec::new(), Vec::new());
                for one in wanted {
                    let source = match &one.from {
                        None => Ok(place),
                        Some(from) => self.place_at(from),
                    };
                    let source = match source {
                        Ok(source) => source,
                        // A source's project or environment that does not exist is a mistake in
                        // what asked, never skipped (even for an optional secret).
                        Err(e @ (Error::ProjectNotFound { .. } | Error::EnvironmentNotFound { .. })) => {
                            bad_sources.push((one.shown, e.to_string()));
                            continue;
                        }
                        Err(e) => return Err(e),
                    };
                    match self.find(&source, &name(&one.name)?) {
                        Ok((id, _)) => values.push((one.var, self.reveal(id)?)),
                        Err(Error::NotFound { .. }) if one.required => missing.push(one.shown),
                        Err(Error::NotFound { .. }) => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(Response::Resolved { values, missing, bad_sources })
            }
            Request::Diff { project, envs } => {
                let project = self.place(project.as_deref(), None)?.project;
                let label = self.place_label(&Place::shared(project))?;
                let mut places = Vec::new();
                for env in &envs {
                    places.push(self.place(Some(label.project.as_str()), Some(env))?);
                }
                let rows = self
                    .compare(&places)?
                    .into_iter()
                    .map(|r| DiffRow {
                        name: r.name.to_string(),
                        values: r.cells.iter().map(|c| c.as_ref().map(|c| c.group)).collect(),
                    })
                    .collect();
                Ok(Response::Diff { project: label.project.to_string(), rows })
            }
            Request::Set { at, name: wanted, description, value } => {
                let place = self.place_at(&at)?;
                let outcome = self.set(&place, name(&wanted)?, description, value.and_then(SecretEdit::typed_value))?;
                let saved = outcome.saved;
                let report = SetReport {
                    name: saved.meta.name.to_string(),
                    version: saved.meta.version,
                    created: outcome.created,
                    overrides_shared: outcome.overrides_shared,
                    value_changed: saved.value_changed,
                    warnings: saved.warnings.iter().map(ToString::to_string).collect(),
                };
                Ok(Response::Set { at: self.acted(&place)?, report })
            }
        }
    }
}

/// How far `name` is from what was typed, if it is near: the same letters in another case
/// (distance 0), or at most two edits — a letter added, dropped, changed, or two swapped — for
/// names of four characters or more (one edit below that). `None`: not near.
fn near_distance(typed: &str, name: &str) -> Option<usize> {
    let (a, b): (Vec<char>, Vec<char>) =
        (typed.to_uppercase().chars().collect(), name.to_uppercase().chars().collect());
    if a == b {
        return Some(0);
    }
    let limit = if a.len().min(b.len()) >= 4 { 2 } else { 1 };
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    // Damerau–Levenshtein (optimal string alignment), three rows.
    let mut before: Vec<usize> = Vec::new();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut current = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            current[j] = (previous[j] + 1).min(current[j - 1] + 1).min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                current[j] = current[j].min(before[j - 2] + 1);
            }
        }
        before = std::mem::replace(&mut previous, current);
    }
    let distance = previous[b.len()];
    (distance <= limit).then_some(distance)
}

#[cfg(test)]
mod near_tests {
    use super::near_distance;

    #[test]
    fn near_names_are_a_case_or_an_edit_or_two_away() {
        assert_eq!(near_distance("a_key", "A_KEY"), Some(0));
        assert_eq!(near_distance("A_KYE", "A_KEY"), Some(1), "two letters swapped");
        assert_eq!(near_distance("OPENAI_KEY", "OPENAI_API_KEY"), None, "four letters off");
        assert_eq!(near_distance("OPENAI_API_KY", "OPENAI_API_KEY"), Some(1));
        assert_eq!(near_distance("AB", "AC"), Some(1));
        assert_eq!(near_distance("AB", "CD"), None);
        assert_eq!(near_distance("DATABASE_URL", "REDIS_URL"), None);
    }
}

//! Where a secret lives: the project level of a project (shared by all of its environments), or
//! one environment of a project. The types and the naming rules; the operations are in
//! `places.rs`.

use std::fmt;

/// The id of a project or an environment: random, never reused, unchanged by renames. A
/// project's id is also the id of its project level.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PlaceId(pub(crate) [u8; 16]);

impl PlaceId {
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    pub fn from_bytes(bytes: [u8; 16]) -> PlaceId {
        PlaceId(bytes)
    }
}

impl fmt::Debug for PlaceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PlaceId(")?;
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))?;
        write!(f, ")")
    }
}

/// A place secrets live in: a project's level (`env: None`), or one of its environments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Place {
    pub project: PlaceId,
    pub env: Option<PlaceId>,
}

impl Place {
    /// The project level of `project`.
    pub fn shared(project: PlaceId) -> Place {
        Place { project, env: None }
    }

    /// The id its secrets carry: the environment's, or the project's at the project level.
    pub fn id(&self) -> PlaceId {
        self.env.unwrap_or(self.project)
    }

    /// The project level this place inherits from, if it is an environment.
    pub fn parent(&self) -> Option<Place> {
        self.env.map(|_| Place::shared(self.project))
    }
}

/// The longest project or environment name, in characters.
pub const MAX_PLACE_NAME_CHARS: usize = 64;

/// Why a project or environment name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlaceNameError {
    #[error("the name is required")]
    Empty,
    #[error("the name is {len} characters long; at most {MAX_PLACE_NAME_CHARS} are allowed")]
    TooLong { len: usize },
    #[error("the name must not contain \"/\" (it separates project, environment and secret in a reference)")]
    Slash,
    #[error("the name must not contain control characters (line breaks, tabs)")]
    Control,
    #[error("the name must not start or end with spaces")]
    Spaces,
}

/// A project's or an environment's name, as the user typed it. Unique per vault (projects) or
/// per project (environments) ignoring case; never stored in the clear.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlaceName(String);

impl PlaceName {
    pub fn parse(text: &str) -> Result<PlaceName, PlaceNameError> {
        if text.is_empty() {
            return Err(PlaceNameError::Empty);
        }
        if text.trim() != text {
            return Err(PlaceNameError::Spaces);
        }
        if text.contains('/') {
            return Err(PlaceNameError::Slash);
        }
        if text.chars().any(char::is_control) {
            return Err(PlaceNameError::Control);
        }
        let len = text.chars().count();
        if len > MAX_PLACE_NAME_CHARS {
            return Err(PlaceNameError::TooLong { len });
        }
        Ok(PlaceName(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form uniqueness is decided on: names that differ only in case are the same name.
    pub fn folded(&self) -> String {
        self.0.to_lowercase()
    }

    /// Whether two names are the same name (ignoring case).
    pub fn same_as(&self, other: &PlaceName) -> bool {
        self.folded() == other.folded()
    }
}

impl fmt::Display for PlaceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PlaceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PlaceName({:?})", self.0)
    }
}

/// The name of the project every vault starts with, and where older vaults' secrets go.
pub const DEFAULT_PROJECT: &str = "Personal";
/// The environments a new project starts with, in this order.
pub const DEFAULT_ENVIRONMENTS: [&str; 3] = ["development", "staging", "production"];

/// An environment of a project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvironmentInfo {
    pub id: PlaceId,
    pub name: PlaceName,
    /// Live secrets of its own (overrides included; inherited ones not).
    pub secrets: usize,
}

/// A project, with its environments in their order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectInfo {
    pub id: PlaceId,
    pub name: PlaceName,
    /// The project commands use when none is named. Held by id: renaming it changes nothing.
    pub is_default: bool,
    /// Live secrets at the project level.
    pub shared_secrets: usize,
    pub environments: Vec<EnvironmentInfo>,
}

impl ProjectInfo {
    /// The environment called `name` (ignoring case).
    pub fn environment(&self, name: &str) -> Option<&EnvironmentInfo> {
        let folded = name.to_lowercase();
        self.environments.iter().find(|e| e.name.folded() == folded)
    }

    /// Live secrets of the project: its level's and every environment's.
    pub fn total_secrets(&self) -> usize {
        self.shared_secrets + self.environments.iter().map(|e| e.secrets).sum::<usize>()
    }
}

/// A place with its names, for messages and listings: `shop`, `shop/production`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlaceLabel {
    pub project: PlaceName,
    pub env: Option<PlaceName>,
}

impl fmt::Display for PlaceLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.env {
            Some(env) => write!(f, "{}/{}", self.project, env),
            None => write!(f, "{}", self.project),
        }
    }
}

/// Where a row of an environment's listing comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// Set in the place listed (at the project level: every row).
    Own,
    /// Set in the environment, over a project-level secret of the same name.
    Override,
    /// The project level's secret, which the environment does not override.
    Inherited,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(PlaceName::parse("shop").is_ok());
        assert!(PlaceName::parse("Docs bot (prod)").is_ok());
        assert_eq!(PlaceName::parse(""), Err(PlaceNameError::Empty));
        assert_eq!(PlaceName::parse("a/b"), Err(PlaceNameError::Slash));
        assert_eq!(PlaceName::parse(" shop"), Err(PlaceNameError::Spaces));
        assert_eq!(PlaceName::parse("a\nb"), Err(PlaceNameError::Control));
        assert_eq!(PlaceName::parse(&"x".repeat(65)), Err(PlaceNameError::TooLong { len: 65 }));
        assert!(PlaceName::parse("Shop").unwrap().same_as(&PlaceName::parse("sHOP").unwrap()));
    }
}

//! The app's one set of words for where a secret lives, used on screen, in toasts and in the
//! accessible names. A project has a **Shared** level: its secrets are **shared**, seen by every
//! environment of the project. An environment's row is its **own**, **shared** (the Shared
//! level's, seen there), or an **override** (its own value over a shared one of the same name).
//! A place is written `shop / production`, and `shop (shared)` for a project's Shared level (the
//! command line writes `shop/production`). The core calls a shared row `Origin::Inherited`.

use crate::vault::{Origin, PlaceLabel};

/// The tab of a project's Shared level.
pub(crate) const SHARED_TAB: &str = "Shared";
/// Its accessible name.
pub(crate) const SHARED_TAB_NAME: &str = "Shared secrets";

/// `shop / production`, or `shop (shared)` for a project's Shared level.
pub(crate) fn place_text(label: &PlaceLabel) -> String {
    match &label.env {
        Some(env) => format!("{} / {env}", label.project),
        None => format!("{} (shared)", label.project),
    }
}

/// Where a row of an environment comes from, as its tag says it (`None`: its own), with the
/// tooltip that explains it (`project`: the project's name).
pub(crate) fn origin_tag(origin: Origin, project: &str) -> Option<(&'static str, String)> {
    match origin {
        Origin::Own => None,
        Origin::Override => Some(("override", "Overrides the shared value".to_owned())),
        Origin::Inherited => Some(("shared", format!("Shared by every environment of {project}"))),
    }
}

/// `a`, `a and b`, `a, b and c`.
pub(crate) fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// `1 secret`, `2 secrets`: `word` with an `s` unless there is one.
pub(crate) fn count(n: usize, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::PlaceName;

    #[test]
    fn places_and_lists_read_as_sentences() {
        let name = |s: &str| PlaceName::parse(s).unwrap();
        assert_eq!(
            place_text(&PlaceLabel { project: name("shop"), env: Some(name("production")) }),
            "shop / production"
        );
        assert_eq!(place_text(&PlaceLabel { project: name("shop"), env: None }), "shop (shared)");
        let list = |items: &[&str]| and_list(&items.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(list(&["development"]), "development");
        assert_eq!(list(&["development", "staging"]), "development and staging");
        assert_eq!(list(&["a", "b", "c"]), "a, b and c");
        assert_eq!(count(1, "name"), "1 name");
        assert_eq!(count(2, "name"), "2 names");
    }
}

//! Other password managers' exports: KeePass `.kdbx`, Bitwarden's JSON, 1Password's `.1pux` and
//! CSV. Each reader turns a file into [`Item`]s (a title, the folder, group or vault it sits in,
//! and its secret fields); one rule here, [`into_entries`], turns items into the plan's entries,
//! the same for every format (docs/importers.md says it for users):
//!
//! - the name is the title under the name check's suggestion ([`suggest_name`]), the title is
//!   kept and shown in the plan;
//! - the value is the item's one secret field: its password, or its one hidden field; an item
//!   with none takes its note's text when it is a note, and is otherwise skipped; an item with
//!   several (a password and a hidden field) is skipped, named, for the user to choose by hand;
//! - usernames, URLs, one-time-password seeds and a login's notes are not secrets and are left;
//! - a name an earlier imported item of the same place took is skipped with the title that took
//!   it (an item skipped for another reason takes no name).

pub mod bitwarden;
pub mod keepass;
pub mod onepassword;

use std::collections::HashMap;
use std::path::Path;

use super::ParseError;
use crate::vault::secret::suggest_name;
use crate::vault::{EntryContent, ImportEntry, SecretValue};

/// An export format of another password manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Manager {
    Keepass,
    Bitwarden,
    OnePasswordCsv,
    OnePassword1pux,
}

impl Manager {
    pub fn name(self) -> &'static str {
        match self {
            Manager::Keepass => "KeePass",
            Manager::Bitwarden => "Bitwarden",
            Manager::OnePasswordCsv => "1Password CSV",
            Manager::OnePassword1pux => "1Password .1pux",
        }
    }

    /// Recognises an export by its content (the KeePass signature, a zip holding
    /// `export.data`, Bitwarden's `items` array, a CSV header with Title and Password); the
    /// name's extension only decides for CSV, which has no signature.
    pub fn detect(path: Option<&Path>, bytes: &[u8]) -> Option<Manager> {
        if keepass::is_keepass(bytes) {
            return Some(Manager::Keepass);
        }
        if bytes.starts_with(b"PK\x03\x04") {
            return Some(Manager::OnePassword1pux);
        }
        let text = std::str::from_utf8(bytes).ok()?.trim_start_matches('\u{FEFF}');
        if text.trim_start().starts_with('{') && bitwarden::looks_like_bitwarden(text) {
            return Some(Manager::Bitwarden);
        }
        let csv_name = path.and_then(|p| p.extension()).is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        if csv_name || onepassword::looks_like_csv(text) {
            return Some(Manager::OnePasswordCsv);
        }
        None
    }

    /// Whether reading it takes a passphrase (and maybe a key file).
    pub fn needs_key(self) -> bool {
        self == Manager::Keepass
    }
}

/// What opens a KeePass file: its passphrase and, optionally, the bytes of its key file.
pub struct SourceKey {
    pub passphrase: zeroize::Zeroizing<String>,
    pub key_file: Option<zeroize::Zeroizing<Vec<u8>>>,
}

impl std::fmt::Debug for SourceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SourceKey([redacted])")
    }
}

/// One entry of another manager, before the rule picks its value.
#[derive(Debug, Default)]
pub struct Item {
    /// The folder, group or vault it sits in; `None` at the top.
    pub place: Option<String>,
    pub title: String,
    /// Its secret fields, labelled (`password`, a hidden field's name), empty ones left out.
    pub secrets: Vec<(String, SecretValue)>,
    /// The text of a note-only item (a Bitwarden or 1Password secure note).
    pub note: Option<SecretValue>,
    /// Why it is not imported whatever it holds (archived in 1Password), if so.
    pub excluded: Option<&'static str>,
}

impl Item {
    /// Adds a secret field unless it is empty.
    pub fn secret(&mut self, label: &str, value: &str) {
        if !value.is_empty() {
            self.secrets.push((label.to_owned(), SecretValue::new(value.to_owned())));
        }
    }
}

/// Reads an export into items. `key` is needed for KeePass only.
pub fn read_items(manager: Manager, bytes: &[u8], key: Option<&SourceKey>) -> Result<Vec<Item>, ParseError> {
    let text = || std::str::from_utf8(bytes).map(|t| t.trim_start_matches('\u{FEFF}')).map_err(|_| ParseError::NotUtf8);
    match manager {
        Manager::Keepass => keepass::read(bytes, key.ok_or(ParseError::SourcePassphraseNeeded)?),
        Manager::Bitwarden => bitwarden::read(text()?),
        Manager::OnePasswordCsv => onepassword::read_csv(text()?),
        Manager::OnePassword1pux => onepassword::read_1pux(bytes),
    }
}

/// Items as the plan's entries, grouped by place (first-seen order; `None`, the top, first) when
/// `by_place`, else all in one group under `None`. Linear: one map lookup per item.
pub fn into_entries(items: Vec<Item>, by_place: bool) -> Vec<(Option<String>, Vec<ImportEntry>)> {
    /// One place's entries, and which title took each name there.
    #[derive(Default)]
    struct Group {
        place: Option<String>,
        entries: Vec<ImportEntry>,
        taken: HashMap<String, String>,
    }
    let mut groups = vec![Group::default()];
    let mut index: HashMap<Option<String>, usize> = HashMap::from([(None, 0)]);
    for item in items {
        let place = if by_place { item.place.clone() } else { None };
        let at = *index.entry(place.clone()).or_insert_with(|| {
            groups.push(Group { place, ..Group::default() });
            groups.len() - 1
        });
        let group = &mut groups[at];
        let key = suggest_name(&item.title);
        // Only an entry that imports takes its name: an archived or unusable one does not.
        let content = match (content_of(item.secrets, item.note, item.excluded), group.taken.get(&key)) {
            (EntryContent::Value(_), Some(earlier)) => EntryContent::Unusable {
                reason: format!("{key} is the name of an earlier entry ({}) here", shown_title(earlier)),
            },
            (content, _) => {
                if matches!(content, EntryContent::Value(_)) {
                    group.taken.insert(key.clone(), item.title.clone());
                }
                content
            }
        };
        group.entries.push(ImportEntry { key, line: None, content, title: Some(item.title) });
    }
    groups.into_iter().filter(|g| g.place.is_none() || !g.entries.is_empty()).map(|g| (g.place, g.entries)).collect()
}

fn content_of(
    mut secrets: Vec<(String, SecretValue)>,
    note: Option<SecretValue>,
    excluded: Option<&str>,
) -> EntryContent {
    if let Some(reason) = excluded {
        return EntryContent::Unusable { reason: reason.to_owned() };
    }
    match secrets.len() {
        1 => EntryContent::Value(secrets.remove(0).1),
        0 => match note {
            Some(note) if !note.expose().is_empty() => EntryContent::Value(note),
            _ => EntryContent::Unusable { reason: "no password or hidden field".to_owned() },
        },
        _ => {
            let labels: Vec<String> = secrets.iter().map(|(label, _)| shown_title(label)).collect();
            EntryContent::Unusable {
                reason: format!("several secret fields ({}); copy the one you need by hand", labels.join(", ")),
            }
        }
    }
}

/// A title or label as a reason may quote it: one line, at most 40 characters.
fn shown_title(title: &str) -> String {
    let mut out: String = title.chars().take(40).map(|c| if c.is_control() { ' ' } else { c }).collect();
    if title.chars().count() > 40 {
        out.push('…');
    }
    format!("“{out}”")
}

fn damaged(format: &'static str, message: impl std::fmt::Display) -> ParseError {
    ParseError::Damaged { format, message: message.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(place: Option<&str>, title: &str, secrets: &[(&str, &str)]) -> Item {
        let mut item = Item { place: place.map(str::to_owned), title: title.to_owned(), ..Item::default() };
        for (label, value) in secrets {
            item.secret(label, value);
        }
        item
    }

    #[test]
    fn titles_become_names_and_the_rule_picks_one_value() {
        let items = vec![
            item(None, "GitHub token", &[("password", "ghp")]),
            item(None, "nothing", &[("password", "")]),
            item(None, "Stripe", &[("password", "sk"), ("webhook", "wh")]),
            item(None, "github-token", &[("password", "other")]),
            item(Some("ops"), "GitHub token", &[("password", "ops")]),
        ];
        let groups = into_entries(items, true);
        let names: Vec<(Option<&str>, &str, bool)> = groups
            .iter()
            .flat_map(|(p, e)| {
                e.iter().map(move |e| (p.as_deref(), e.key.as_str(), matches!(e.content, EntryContent::Value(_))))
            })
            .collect();
        assert_eq!(
            names,
            [
                (None, "GITHUB_TOKEN", true),
                (None, "NOTHING", false),
                (None, "STRIPE", false),
                (None, "GITHUB_TOKEN", false),
                (Some("ops"), "GITHUB_TOKEN", true),
            ]
        );
        let EntryContent::Unusable { reason } = &groups[0].1[2].content else { panic!() };
        assert_eq!(reason, "several secret fields (“password”, “webhook”); copy the one you need by hand");
        let EntryContent::Unusable { reason } = &groups[0].1[3].content else { panic!() };
        assert_eq!(reason, "GITHUB_TOKEN is the name of an earlier entry (“GitHub token”) here");
        assert_eq!(groups[0].1[0].title.as_deref(), Some("GitHub token"));
        // One place: the clash across folders is found too.
        let one = into_entries(vec![item(None, "a", &[("p", "1")]), item(Some("x"), "A", &[("p", "2")])], false);
        assert_eq!(one.len(), 1);
        assert!(matches!(one[0].1[1].content, EntryContent::Unusable { .. }));
        // A skipped entry takes no name: the later one with the same title imports.
        let skipped_first = into_entries(vec![item(None, "k", &[]), item(None, "K", &[("p", "1")])], false);
        assert!(matches!(skipped_first[0].1[1].content, EntryContent::Value(_)));
    }
}

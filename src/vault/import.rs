//! Importing entries, in two steps: [`Vault::plan_import`] says what would happen to every entry
//! (add, update, same, conflict, or skip with the reason) without writing anything, and
//! [`Vault::apply_import`] writes the plan in one transaction: all of it, or nothing.
//!
//! The rules live here once; the command line and the app only show the plan and pass it back.
//! Entries come in as plain data ([`ImportEntry`]): the vault knows no file format (reading and
//! parsing files is `interchange`'s job). Nothing is dropped silently: every entry becomes a
//! [`PlanItem`], including keys that hold no usable value (a nested table, `null`, a key without
//! a value), which become skipped items. No text produced here ever contains a value.

use std::fmt;

use super::place::Place;
use super::records::SecretRow;
use super::secret::{MAX_VALUE_BYTES, suggest_name};
use super::{Error, NewSecret, Result, SecretEdit, SecretId, SecretName, SecretValue, ValueError, ValueWarning, Vault};

/// One key of a file to import, as plain data.
#[derive(Debug, Clone)]
pub struct ImportEntry {
    /// The key as written in the file, not yet a valid name.
    pub key: String,
    /// The line it starts on, where the format tracks lines.
    pub line: Option<usize>,
    pub content: EntryContent,
    /// The entry's title in the manager it comes from (KeePass, Bitwarden, 1Password), when `key`
    /// was made from it: shown in the plan beside the name.
    pub title: Option<String>,
}

/// What a key of a file to import holds.
#[derive(Debug, Clone)]
pub enum EntryContent {
    Value(SecretValue),
    /// A table, object or array (`kind` says which): not a secret.
    Nested {
        kind: &'static str,
    },
    /// A JSON `null`.
    Null,
    /// A `.env` line with a key but no `=`.
    NoValue,
    /// Another manager's entry with no single value to import (no password, several secret
    /// fields, a name an earlier entry took); `reason` says which, without any value.
    Unusable {
        reason: String,
    },
}

/// What to do with an entry whose name already exists in the vault with a different value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConflictPolicy {
    /// Keep the vault's value; the entry is skipped.
    Skip,
    /// Replace the vault's value (a new version; the old value goes to the history).
    Overwrite,
    /// Refuse the whole import while any such entry exists.
    #[default]
    Fail,
}

/// What importing one entry will do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanAction {
    /// A new secret.
    Add,
    /// The secret exists with another value: that value becomes the previous version.
    Update,
    /// The secret exists with this very value: nothing to do.
    Same,
    /// The secret exists with another value and the policy is [`ConflictPolicy::Fail`]: the
    /// import is refused until another policy is chosen.
    Conflict,
    /// Not imported, for this reason.
    Skip(SkipReason),
}

impl PlanAction {
    /// One lower-case word for a table column.
    pub fn label(&self) -> &'static str {
        match self {
            PlanAction::Add => "add",
            PlanAction::Update => "update",
            PlanAction::Same => "same",
            PlanAction::Conflict => "conflict",
            PlanAction::Skip(_) => "skip",
        }
    }
}

/// Why an entry is not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// The key is not an environment-variable name; `suggestion` is a valid name close to it.
    InvalidName {
        suggestion: Option<String>,
    },
    EmptyValue,
    /// A `.env` line with a key but no `=`.
    NoValue,
    ValueTooLarge {
        len: usize,
    },
    /// A table, object or array (`kind` says which).
    Nested {
        kind: &'static str,
    },
    /// A JSON `null`.
    Null,
    /// The name exists with a different value and the policy is [`ConflictPolicy::Skip`].
    Conflict,
    /// Another manager's entry with no single value to import ([`EntryContent::Unusable`]).
    Unusable {
        reason: String,
    },
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::InvalidName { suggestion: Some(s) } => {
                write!(f, "not a valid name (letters, digits and _, not starting with a digit); try {s}")
            }
            SkipReason::InvalidName { suggestion: None } => f.write_str("the key is empty"),
            SkipReason::EmptyValue => f.write_str("the value is empty"),
            SkipReason::NoValue => f.write_str("no = and no value"),
            SkipReason::ValueTooLarge { len } => {
                write!(f, "the value is {len} bytes; at most {MAX_VALUE_BYTES} are allowed")
            }
            SkipReason::Nested { kind } if kind.contains("array") => write!(f, "{kind}, not a secret"),
            SkipReason::Nested { kind } => write!(f, "{kind}, not a secret; flatten nested tables to import its keys"),
            SkipReason::Null => f.write_str("null, not a value"),
            SkipReason::Conflict => f.write_str("exists with a different value, which is kept"),
            SkipReason::Unusable { reason } => f.write_str(reason),
        }
    }
}

/// The secret an entry would change, as it was when the plan was made.
#[derive(Debug, Clone)]
struct Existing {
    id: SecretId,
    revision: super::records::Revision,
    version: u32,
    same_value: bool,
    /// Its row (ciphertexts only), kept when the value differs: if nothing was written since the
    /// plan, the update edits it without loading it again.
    row: Option<std::sync::Arc<SecretRow>>,
}

/// One entry of the file and what importing it will do. Holds the value (wiped when dropped)
/// but never shows it: `Debug` and `Display` print names, lines and reasons only.
#[derive(Debug, Clone)]
pub struct PlanItem {
    /// The key as written in the file.
    pub key: String,
    /// The key as a valid name; `None` when it is not one.
    pub name: Option<SecretName>,
    /// The line the entry starts on, where the format tracks lines.
    pub line: Option<usize>,
    /// The title in the manager the entry comes from, when the name was made from it.
    pub title: Option<String>,
    pub action: PlanAction,
    /// Paste mistakes in the value (leading/trailing whitespace, invisible characters): shown,
    /// never fixed silently, never blocking.
    pub warnings: Vec<ValueWarning>,
    value: Option<SecretValue>,
    existing: Option<Existing>,
}

impl PlanItem {
    fn skipped(entry: ImportEntry, reason: SkipReason) -> PlanItem {
        PlanItem {
            name: None,
            key: entry.key,
            line: entry.line,
            title: entry.title,
            action: PlanAction::Skip(reason),
            warnings: Vec::new(),
            value: None,
            existing: None,
        }
    }

    /// The version the vault holds now, for entries whose name exists.
    pub fn current_version(&self) -> Option<u32> {
        self.existing.as_ref().map(|e| e.version)
    }

    /// The key as it may be printed: control characters escaped, long keys shortened.
    pub fn shown_key(&self) -> String {
        shown_key(&self.key)
    }

    /// Why this entry is skipped, blocked or changed, as one phrase; `None` for plain adds and
    /// unchanged entries.
    pub fn reason(&self) -> Option<String> {
        match &self.action {
            PlanAction::Add | PlanAction::Same => None,
            PlanAction::Update => {
                self.current_version().map(|v| format!("the value differs; version {v} becomes {}", v + 1))
            }
            PlanAction::Conflict => Some("exists with a different value; choose to skip or overwrite".to_owned()),
            PlanAction::Skip(reason) => Some(reason.to_string()),
        }
    }

    fn apply_policy(&mut self, policy: ConflictPolicy) {
        let Some(existing) = &self.existing else { return };
        if self.name.is_none() || self.value.is_none() {
            return;
        }
        self.action = match (existing.same_value, policy) {
            (true, _) => PlanAction::Same,
            (false, ConflictPolicy::Overwrite) => PlanAction::Update,
            (false, ConflictPolicy::Skip) => PlanAction::Skip(SkipReason::Conflict),
            (false, ConflictPolicy::Fail) => PlanAction::Conflict,
        };
    }
}

impl fmt::Display for PlanItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.action.label(), self.shown_key())?;
        if let Some(line) = self.line {
            write!(f, " (line {line})")?;
        }
        if let Some(reason) = self.reason() {
            write!(f, ": {reason}")?;
        }
        Ok(())
    }
}

/// How many entries fall in each category.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanCounts {
    pub add: usize,
    pub update: usize,
    pub same: usize,
    pub conflict: usize,
    pub skip: usize,
}

impl fmt::Display for PlanCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} to add, {} to update, {} unchanged, {} skipped", self.add, self.update, self.same, self.skip)?;
        if self.conflict > 0 {
            write!(f, ", {} in conflict", self.conflict)?;
        }
        Ok(())
    }
}

/// What importing a file will do, entry by entry. Made by [`Vault::plan_import`], written by
/// [`Vault::apply_import`].
#[derive(Debug, Clone)]
pub struct ImportPlan {
    /// One item per entry, in file order where the format has lines.
    pub items: Vec<PlanItem>,
    policy: ConflictPolicy,
    vault_id: [u8; 16],
    /// Where it imports to.
    place: Place,
    /// The vault's sealed record set when the plan was made: it changes at every write (a new
    /// nonce each time, and a restore brings another one), so the same bytes at apply time mean
    /// the vault holds exactly what the plan saw.
    record_set: Vec<u8>,
}

impl ImportPlan {
    pub fn policy(&self) -> ConflictPolicy {
        self.policy
    }

    /// The project level or environment it imports into.
    pub fn place(&self) -> Place {
        self.place
    }

    /// The same plan under another conflict policy (no need to read the vault again).
    pub fn set_policy(&mut self, policy: ConflictPolicy) {
        self.policy = policy;
        for item in &mut self.items {
            item.apply_policy(policy);
        }
    }

    pub fn counts(&self) -> PlanCounts {
        let mut counts = PlanCounts::default();
        for item in &self.items {
            match item.action {
                PlanAction::Add => counts.add += 1,
                PlanAction::Update => counts.update += 1,
                PlanAction::Same => counts.same += 1,
                PlanAction::Conflict => counts.conflict += 1,
                PlanAction::Skip(_) => counts.skip += 1,
            }
        }
        counts
    }

    /// The names that stop [`Vault::apply_import`] under [`ConflictPolicy::Fail`].
    pub fn blocked_conflicts(&self) -> Vec<&SecretName> {
        self.items.iter().filter(|i| i.action == PlanAction::Conflict).filter_map(|i| i.name.as_ref()).collect()
    }

    /// Whether applying the plan would change nothing.
    pub fn writes_nothing(&self) -> bool {
        let counts = self.counts();
        counts.add == 0 && counts.update == 0
    }
}

/// What an applied import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub added: usize,
    pub updated: usize,
    pub same: usize,
    pub skipped: usize,
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} added, {} updated, {} unchanged, {} skipped", self.added, self.updated, self.same, self.skipped)
    }
}

/// A key as it may be printed: control characters escaped, at most 80 characters.
fn shown_key(key: &str) -> String {
    if key.is_empty() {
        return "(empty key)".to_owned();
    }
    let mut out = String::new();
    for (i, c) in key.chars().enumerate() {
        if i == 80 {
            out.push('…');
            break;
        }
        if c.is_control() || c.is_whitespace() && c != ' ' {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

impl Vault {
    /// Works out what importing `entries` would do, without writing anything. Reads each named
    /// secret's current value to tell `update` from `same`. In an environment, entries are
    /// compared with its own secrets only: a name the project level has becomes an override
    /// there, never a change to the shared secret.
    pub fn plan_import(&self, place: &Place, entries: Vec<ImportEntry>, policy: ConflictPolicy) -> Result<ImportPlan> {
        self.read(|snapshot| {
            self.live_place(snapshot, place)?;
            let record_set = super::store::read_record_set(snapshot)?;
            Ok(ImportPlan { record_set, ..self.plan_in(snapshot, place, entries, policy)? })
        })
    }

    fn plan_in(
        &self,
        snapshot: &rusqlite::Connection,
        place: &Place,
        entries: Vec<ImportEntry>,
        policy: ConflictPolicy,
    ) -> Result<ImportPlan> {
        let mut items = Vec::with_capacity(entries.len());
        for mut entry in entries {
            let reason = match std::mem::replace(&mut entry.content, EntryContent::NoValue) {
                EntryContent::Value(value) => Ok(value),
                EntryContent::Nested { kind } => Err(SkipReason::Nested { kind }),
                EntryContent::Null => Err(SkipReason::Null),
                EntryContent::NoValue => Err(SkipReason::NoValue),
                EntryContent::Unusable { reason } => Err(SkipReason::Unusable { reason }),
            };
            let value = match reason {
                Ok(value) => value,
                Err(reason) => {
                    items.push(PlanItem::skipped(entry, reason));
                    continue;
                }
            };
            let name = match SecretName::parse(&entry.key) {
                Ok(name) => name,
                Err(_) => {
                    let suggestion = (!entry.key.trim().is_empty()).then(|| suggest_name(&entry.key));
                    items.push(PlanItem::skipped(entry, SkipReason::InvalidName { suggestion }));
                    continue;
                }
            };
            let warnings = match value.check() {
                Ok(warnings) => warnings,
                Err(e) => {
                    let reason = match e {
                        ValueError::TooLarge { len } => SkipReason::ValueTooLarge { len },
                        ValueError::Empty | ValueError::NotUtf8 => SkipReason::EmptyValue,
                    };
                    let mut item = PlanItem::skipped(entry, reason);
                    item.name = Some(name);
                    items.push(item);
                    continue;
                }
            };
            let existing = match self.live_named(snapshot, place.id(), &name)? {
                None => None,
                Some(row) => {
                    let same_value = self.records().value(&row)? == value;
                    let (id, revision, version) = (row.id, row.revision, row.version);
                    let row = (!same_value).then(|| std::sync::Arc::new(row));
                    Some(Existing { id, revision, version, same_value, row })
                }
            };
            let mut item = PlanItem {
                key: entry.key,
                name: Some(name),
                line: entry.line,
                title: entry.title,
                action: PlanAction::Add,
                warnings,
                value: Some(value),
                existing,
            };
            item.apply_policy(policy);
            items.push(item);
        }
        // File order where there are lines; entries without one keep their order, after them.
        items.sort_by_key(|item| item.line.unwrap_or(usize::MAX));
        Ok(ImportPlan { items, policy, vault_id: self.header.vault_id, place: *place, record_set: Vec::new() })
    }

    /// Writes `plan` in one transaction: every add and update, or nothing. Refuses a plan with
    /// conflicts under [`ConflictPolicy::Fail`] ([`Error::ImportConflicts`]), and a plan the
    /// vault has moved past since it was made — a name added meanwhile, a secret changed or
    /// deleted meanwhile ([`Error::ImportOutdated`]) — so that nothing is clobbered unseen.
    /// Updates go through the same path as [`Vault::edit`]: version + 1, old value to history.
    pub fn apply_import(&mut self, plan: ImportPlan) -> Result<ImportReport> {
        self.apply_imports(vec![plan])
    }

    /// Several plans — each into its own place: the sections of a file — written in one
    /// transaction after one backup: all of them, or nothing. Each is checked as
    /// [`Vault::apply_import`] checks one. Two plans into the same place are refused (a name in
    /// both would be added twice).
    pub fn apply_imports(&mut self, plans: Vec<ImportPlan>) -> Result<ImportReport> {
        let mut places = std::collections::HashSet::new();
        for plan in &plans {
            if plan.vault_id != self.header.vault_id {
                return Err(Error::PlanForAnotherVault);
            }
            let blocked = plan.blocked_conflicts();
            if !blocked.is_empty() {
                return Err(Error::ImportConflicts { names: blocked.iter().map(|n| n.to_string()).collect() });
            }
            if !places.insert(plan.place) {
                return Err(Error::ImportIntoOnePlaceTwice);
            }
        }
        if plans.iter().any(|p| !p.writes_nothing()) {
            self.backup_before(super::BackupReason::Import)?;
        }
        let now = self.clock.now();
        self.write(|vault, w| {
            let mut report = ImportReport::default();
            // As the write found it, before anything is written: each plan was made against
            // these bytes.
            let stored = w.stored().to_vec();
            for plan in plans {
                let one = vault.apply_plan(w, plan, &stored, now)?;
                report.added += one.added;
                report.updated += one.updated;
                report.same += one.same;
                report.skipped += one.skipped;
            }
            Ok(report)
        })
    }

    /// One plan's writes inside a write transaction. `stored`: the sealed record set as the
    /// transaction found it.
    fn apply_plan(
        &self,
        w: &mut super::records::Write<'_>,
        plan: ImportPlan,
        stored: &[u8],
        now: super::Timestamp,
    ) -> Result<ImportReport> {
        let vault = self;
        {
            let mut report = ImportReport::default();
            // Nothing written since the plan: its rows are the vault's (each checked only once
            // this import touched it, as a key repeated in the file would be).
            let nothing_written = stored == plan.record_set.as_slice();
            if !nothing_written {
                vault.live_place(w.conn(), &plan.place)?;
            }
            let place = plan.place.id();
            let mut touched = std::collections::HashSet::new();
            for item in plan.items {
                let outdated = || Error::ImportOutdated { name: item.shown_key() };
                // The row as the plan saw it, or `None` if it changed (or went) since.
                let unchanged_since_plan = |existing: &Existing| -> Result<Option<SecretRow>> {
                    if nothing_written
                        && !touched.contains(&existing.id)
                        && let Some(row) = &existing.row
                    {
                        return Ok(Some(SecretRow::clone(row)));
                    }
                    Ok(SecretRow::load(w.conn(), existing.id)?
                        .filter(|row| row.deleted.is_none() && row.revision == existing.revision))
                };
                match (&item.action, item.name.as_ref(), item.value.as_ref(), item.existing.as_ref()) {
                    (PlanAction::Add, Some(name), Some(value), None) => {
                        let new = NewSecret { name: name.clone(), description: String::new(), value: value.clone() };
                        vault.insert_secret(w, place, &new, now).map_err(|e| match e {
                            Error::NameTaken { .. } => outdated(),
                            e => e,
                        })?;
                        report.added += 1;
                    }
                    (PlanAction::Update, Some(_), Some(value), Some(existing)) => {
                        let row = unchanged_since_plan(existing)?.ok_or_else(outdated)?;
                        let edit = SecretEdit { value: Some(value.clone()), ..SecretEdit::default() };
                        vault.edit_row(w, row, &edit, now)?;
                        touched.insert(existing.id);
                        report.updated += 1;
                    }
                    (PlanAction::Same, _, _, Some(existing)) => {
                        if !nothing_written || touched.contains(&existing.id) {
                            unchanged_since_plan(existing)?.ok_or_else(outdated)?;
                        }
                        report.same += 1;
                    }
                    (PlanAction::Skip(_), ..) => report.skipped += 1,
                    // Plans are only made by `plan_import`, so no other combination exists.
                    _ => return Err(outdated()),
                }
            }
            Ok(report)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_keys_escape_control_characters_and_stay_short() {
        assert_eq!(shown_key("A\nB\t\u{1b}"), "A\\nB\\t\\u{1b}");
        assert_eq!(shown_key("KÉY two"), "KÉY two");
        assert_eq!(shown_key(""), "(empty key)");
        assert_eq!(shown_key(&"x".repeat(100)).chars().count(), 81);
    }

    #[test]
    fn the_conflict_error_names_at_most_ten_secrets() {
        let names: Vec<String> = (0..12).map(|i| format!("K{i}")).collect();
        let text = Error::ImportConflicts { names }.to_string();
        assert!(text.starts_with("12 secrets already exist with a different value (K0, "), "{text}");
        assert!(text.contains("K9 and 2 more"), "{text}");
        assert!(!text.contains("K10"), "{text}");
        let one = Error::ImportConflicts { names: vec!["A".into()] }.to_string();
        assert!(one.starts_with("1 secret already exists"), "{one}");
    }
}

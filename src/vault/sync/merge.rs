//! The merge: every state of every record that any device wrote, and what shows.
//!
//! A device's edit is a [`Change`]: the whole new state of one record (a secret's place, name,
//! description and value, or its deletion), the [`VersionVector`] of what that device had seen
//! of the record plus this edit, and a [`Hlc`] reading. [`Merged`] keeps every change received,
//! per record, and derives everything else from that set, so the result cannot depend on the
//! order changes arrive in or on how often one arrives:
//!
//! - the record's **heads** are the changes no other received change covers (by version
//!   vector): one head means a plain history; two or more mean edits made without seeing each
//!   other ("changed on two devices", [`Shown::changed_on_two_devices`]);
//! - the **winner** among the heads: a live state over a deletion (an edit against a delete
//!   keeps the secret), then the later clock; when several live heads differ, what shows is
//!   merged **field by field** against their common ancestor (`Merged::field_merge`: each field
//!   from the head that changed it, the later clock where two did); every other state stays in
//!   the record's history, newest first — nothing written is lost;
//! - **names stay unique per place**: when two live records of one place have one name (each
//!   created on its own device), the one with the later clock keeps it and the other shows as
//!   `NAME_CONFLICT_<device>` (its device's short id), flagged, so `get` and `run` stay defined.
//!
//! A new edit on a device sees all the record's heads: its vector is their join, bumped for the
//! device, so it supersedes them all and the flag goes.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::super::place::MAX_PLACE_NAME_CHARS;
use super::super::secret::MAX_NAME_LEN;
use super::{DeviceId, Hlc, VersionVector};

/// Of one field's values in the heads (newest first), the one to keep against `base` (the common
/// ancestor's): the newest that changed it (`None`: none did), and whether two changed it
/// differently.
fn pick<K: PartialEq + Clone>(heads: &[K], base: &K) -> (Option<K>, bool) {
    let changed: Vec<&K> = heads.iter().filter(|k| *k != base).collect();
    let conflict = changed.iter().any(|k| *k != changed[0]);
    (changed.first().map(|k| (*k).clone()), conflict)
}

/// `name` with `suffix`, the name cut so that the whole stays within `max` characters (names
/// of secrets are ASCII: characters are bytes).
fn with_suffix(name: &str, suffix: &str, max: usize) -> String {
    let keep = max.saturating_sub(suffix.chars().count()).max(1);
    name.chars().take(keep).collect::<String>() + suffix
}

/// A name for a record that lost `name` to another of its place: `name` + `first` (the
/// device's id), or with the record's id after it, or numbered, whichever is free (`taken`),
/// each within `max` characters.
fn unique_name(
    name: &str,
    first: &str,
    separator: char,
    record: &str,
    max: usize,
    taken: impl Fn(&str) -> bool,
) -> String {
    std::iter::once(with_suffix(name, first, max))
        .chain(std::iter::once(with_suffix(name, &format!("{first}{separator}{record}"), max)))
        .chain((2..u32::MAX).map(|n| with_suffix(name, &format!("{first}{separator}{record}{separator}{n}"), max)))
        .find(|c| !taken(c))
        .expect("a free name among four billion")
}

/// A record's id: a secret's id, the same on every device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Zeroize)]
pub struct RecordId(pub [u8; 16]);

/// What a record is after a change: a secret, a project or environment, or deleted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub enum State {
    Live {
        place: [u8; 16],
        name: String,
        description: String,
        value: String,
    },
    /// A project (`project: None`) or an environment of `project`. `default`: the project that
    /// commands without one use.
    Place {
        project: Option<[u8; 16]>,
        name: String,
        default: bool,
        position: i64,
    },
    /// On the record whose id is a device's id: that device is forgotten, and its change files
    /// numbered above `after` are not used (a lost or retired device). Only another device's
    /// change says so (see [`Merged::forgotten`]); there is no way back for that device id.
    Forget {
        after: u64,
    },
    Deleted,
}

/// One edit of one record, as it travels in a change file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Change {
    pub record: RecordId,
    pub seen: VersionVector,
    pub clock: Hlc,
    pub state: State,
}

/// A record as it shows after the merge (its value wiped when dropped).
#[derive(Debug, Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Shown {
    pub record: RecordId,
    pub place: [u8; 16],
    /// The record's name, or `NAME_CONFLICT_<device>` when a later record of its place took it.
    pub name: String,
    pub description: String,
    pub value: String,
    /// Edited on two devices without either seeing the other: the other values are in
    /// [`Merged::history`].
    pub changed_on_two_devices: bool,
    /// Its own name was taken by another record of its place (created on another device).
    pub renamed_from: Option<String>,
}

/// Every change received, per record.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Merged {
    records: BTreeMap<RecordId, BTreeMap<Hlc, Change>>,
}

fn live_first(change: &Change) -> (bool, Hlc) {
    (!matches!(change.state, State::Deleted), change.clock)
}

/// A project or environment as it shows after the merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownPlace {
    pub record: RecordId,
    /// `None`: a project; else the project this environment belongs to.
    pub project: Option<[u8; 16]>,
    /// Its name, or `NAME-<device>` when a later one of its project (or a later project) took it.
    pub name: String,
    pub default: bool,
    /// Its place in the list (projects among projects, environments in their project).
    pub position: i64,
    /// Deleted on one device while another put a secret (or an environment) in it: it stays.
    pub kept_for_contents: bool,
    pub renamed_from: Option<String>,
}

impl Merged {
    /// Takes a change in. Receiving one again changes nothing; two different changes can never
    /// share a clock reading (it names its device), but if a damaged device made two, the one
    /// that sorts greater (as JSON) is kept on every device alike.
    pub fn apply(&mut self, change: Change) {
        let states = self.records.entry(change.record).or_default();
        match states.get(&change.clock) {
            Some(kept) if serde_json::to_vec(kept).ok() >= serde_json::to_vec(&change).ok() => {}
            _ => {
                states.insert(change.clock, change);
            }
        }
    }

    /// The record's heads: changes no other change of the record covers.
    pub fn heads(&self, record: &RecordId) -> Vec<&Change> {
        let Some(states) = self.records.get(record) else { return Vec::new() };
        states
            .values()
            .filter(|c| !states.values().any(|o| o.clock != c.clock && o.seen.covers(&c.seen) && o.seen != c.seen))
            .collect()
    }

    /// The change that shows for the record (a live head over a deleted one, then the later clock).
    pub fn winner(&self, record: &RecordId) -> Option<&Change> {
        self.heads(record).into_iter().max_by_key(|c| live_first(c))
    }

    /// Every other state the record had, newest first.
    pub fn history(&self, record: &RecordId) -> Vec<&Change> {
        let winner = self.winner(record).map(|w| w.clock);
        let mut rest: Vec<&Change> = self
            .records
            .get(record)
            .map(|s| s.values().filter(|c| Some(c.clock) != winner).collect())
            .unwrap_or_default();
        rest.reverse();
        rest
    }

    /// The forgotten devices, each with the last of its change files still used: from every
    /// [`State::Forget`] on the device's record made by another device (the smallest number
    /// when several forgot it), whatever else the record holds (a device cannot take it back).
    pub fn forgotten(&self) -> BTreeMap<DeviceId, u64> {
        let mut out: BTreeMap<DeviceId, u64> = BTreeMap::new();
        for (record, states) in &self.records {
            for change in states.values() {
                if let State::Forget { after } = change.state
                    && change.clock.device.0 != record.0
                {
                    let device = DeviceId(record.0);
                    let kept = out.entry(device).or_insert(after);
                    *kept = (*kept).min(after);
                }
            }
        }
        out
    }

    /// Every record received.
    pub fn record_ids(&self) -> impl Iterator<Item = &RecordId> {
        self.records.keys()
    }

    /// Every state of `record` received, oldest clock first.
    pub fn states(&self, record: &RecordId) -> impl Iterator<Item = &Change> {
        self.records.get(record).into_iter().flat_map(|s| s.values())
    }

    /// Whether any state of `record` was received.
    pub fn knows(&self, record: &RecordId) -> bool {
        self.records.contains_key(record)
    }

    /// The greatest clock reading received: a device ticks past it for its next edit.
    pub fn latest_clock(&self) -> Option<Hlc> {
        self.records.values().filter_map(|s| s.keys().next_back().copied()).max()
    }

    /// A new edit of `record` on `device` at wall-clock `now_millis`: it has seen every head, so
    /// it supersedes them. Applied here and returned, to be written to the device's next file.
    pub fn edit(&mut self, record: RecordId, state: State, device: DeviceId, now_millis: u64) -> Change {
        self.edit_after(self.latest_clock(), record, state, device, now_millis)
    }

    /// [`Merged::edit`] with the clock ticked past `last` (the latest reading the device had
    /// seen when it made the edit) rather than past everything here: edits made at their own
    /// times and published together keep their own order.
    pub fn edit_after(
        &mut self,
        last: Option<Hlc>,
        record: RecordId,
        state: State,
        device: DeviceId,
        now_millis: u64,
    ) -> Change {
        let seen = self
            .heads(&record)
            .iter()
            .fold(VersionVector::default(), |all, head| all.joined(&head.seen))
            .bumped(device);
        let clock = Hlc::tick(last, now_millis, device);
        let change = Change { record, seen, clock, state };
        self.apply(change.clone());
        change
    }

    /// Whether the record's heads hold different states: edited on two devices without either
    /// seeing the other (the same edit made twice is no conflict).
    /// A secret edited on several devices at once, field by field: against the latest state
    /// every head had seen (their common ancestor), the value, the description, and the place
    /// with the name each come from the head that changed them — the later clock where several
    /// changed one. So a value replaced on one device and a description edited on another are
    /// both kept. `None` when there is nothing to combine (one head, a deletion among them, no
    /// common ancestor): the winner shows whole. The flag: a field changed differently by two.
    fn field_merge(&self, record: &RecordId) -> Option<(State, bool)> {
        let mut heads = self.heads(record);
        if heads.len() < 2 || heads.iter().any(|h| !matches!(h.state, State::Live { .. })) {
            return None;
        }
        heads.sort_by_key(|h| std::cmp::Reverse(h.clock));
        let ancestor = self
            .records
            .get(record)?
            .values()
            .filter(|c| heads.iter().all(|h| h.seen.covers(&c.seen)))
            .max_by_key(|c| c.clock)?;
        let fields = |s: &'_ State| match s {
            State::Live { place, name, description, value } => {
                Some(((*place, name.clone()), description.clone(), value.clone()))
            }
            _ => None,
        };
        let base = fields(&ancestor.state)?;
        let of_heads: Vec<_> = heads.iter().filter_map(|h| fields(&h.state)).collect();
        let (where_, c1) = pick(&of_heads.iter().map(|f| f.0.clone()).collect::<Vec<_>>(), &base.0);
        let (description, c2) = pick(&of_heads.iter().map(|f| f.1.clone()).collect::<Vec<_>>(), &base.1);
        let (value, c3) = pick(&of_heads.iter().map(|f| f.2.clone()).collect::<Vec<_>>(), &base.2);
        let ((place, name), description, value) =
            (where_.unwrap_or(base.0.clone()), description.unwrap_or(base.1.clone()), value.unwrap_or(base.2.clone()));
        Some((State::Live { place, name, description, value }, c1 || c2 || c3))
    }

    fn conflicted(&self, record: &RecordId) -> bool {
        let heads = self.heads(record);
        heads.iter().any(|h| h.state != heads[0].state)
    }

    /// Every record received, with its winning change.
    pub fn winners(&self) -> impl Iterator<Item = &Change> {
        self.records.keys().filter_map(|record| self.winner(record))
    }

    /// What shows: every secret whose winner is live, names made unique per place, sorted by
    /// place and name. (A secret whose place does not show is the caller's to keep aside.)
    pub fn shown(&self) -> Vec<Shown> {
        let mut live: Vec<(&Change, State, bool)> = Vec::new();
        for record in self.records.keys() {
            if let Some(winner) = self.winner(record)
                && matches!(winner.state, State::Live { .. })
            {
                match self.field_merge(record) {
                    Some((state, conflicted)) => live.push((winner, state, conflicted)),
                    None => live.push((winner, winner.state.clone(), self.conflicted(record))),
                }
            }
        }
        // The later clock keeps a name its place has twice.
        live.sort_by_key(|(c, _, _)| std::cmp::Reverse(c.clock));
        let mut taken: BTreeSet<([u8; 16], String)> = BTreeSet::new();
        let mut out = Vec::new();
        for (change, state, conflicted) in &live {
            let (change, conflicted) = (*change, *conflicted);
            let State::Live { place, name, description, value } = state else { continue };
            let mut shown_name = name.clone();
            let mut renamed_from = None;
            if taken.contains(&(*place, name.clone())) {
                let first = format!("_CONFLICT_{}", change.clock.device.short().to_uppercase());
                let record = super::hex(&change.record.0[..4]).to_uppercase();
                shown_name =
                    unique_name(name, &first, '_', &record, MAX_NAME_LEN, |n| taken.contains(&(*place, n.to_owned())));
                renamed_from = Some(name.clone());
            }
            taken.insert((*place, shown_name.clone()));
            out.push(Shown {
                record: change.record,
                place: *place,
                name: shown_name,
                description: description.clone(),
                value: value.clone(),
                changed_on_two_devices: conflicted,
                renamed_from,
            });
        }
        out.sort_by(|a, b| (a.place, &a.name).cmp(&(b.place, &b.name)));
        out
    }

    /// The projects and environments that show: each whose winner is live, and each deleted
    /// one that a live secret or environment is still in (deleted on one device while another
    /// added to it: nothing is lost, it shows under its last name). Names made unique (projects
    /// among projects, environments within their project, ignoring case), the later clock
    /// keeping a name; projects first, then by name.
    pub fn places(&self) -> Vec<ShownPlace> {
        self.places_with(&self.shown())
    }

    /// [`Merged::places`], given what [`Merged::shown`] returned (so that it is worked out once).
    pub fn places_with(&self, shown: &[Shown]) -> Vec<ShownPlace> {
        let mut needed: BTreeSet<[u8; 16]> = shown.iter().map(|s| s.place).collect();
        let mut chosen: BTreeMap<RecordId, (&Change, bool)> = BTreeMap::new();
        for record in self.records.keys() {
            if let Some(winner) = self.winner(record)
                && matches!(winner.state, State::Place { .. })
            {
                chosen.insert(*record, (winner, false));
            }
        }
        // Places kept for their contents, and the projects of kept environments: until nothing new.
        loop {
            for (_, (change, _)) in chosen.iter() {
                if let State::Place { project: Some(project), .. } = &change.state {
                    needed.insert(*project);
                }
            }
            let missing: Vec<[u8; 16]> =
                needed.iter().filter(|id| !chosen.contains_key(&RecordId(**id))).copied().collect();
            let mut added = false;
            for id in missing {
                let last_live = self
                    .records
                    .get(&RecordId(id))
                    .and_then(|states| states.values().rev().find(|c| matches!(c.state, State::Place { .. })));
                if let Some(change) = last_live {
                    chosen.insert(RecordId(id), (change, true));
                    added = true;
                }
            }
            if !added {
                break;
            }
        }
        // An environment whose project has not arrived (another device's file not here yet, or
        // past a break in its chain) waits, with its secrets, until it does.
        let projects: BTreeSet<RecordId> = chosen
            .iter()
            .filter(|(_, (c, _))| matches!(c.state, State::Place { project: None, .. }))
            .map(|(id, _)| *id)
            .collect();
        chosen.retain(|_, (c, _)| match &c.state {
            State::Place { project: Some(project), .. } => projects.contains(&RecordId(*project)),
            _ => true,
        });
        let mut ordered: Vec<(&Change, bool)> = chosen.into_values().collect();
        ordered.sort_by_key(|(c, _)| std::cmp::Reverse(c.clock));
        let mut taken: BTreeSet<(Option<[u8; 16]>, String)> = BTreeSet::new();
        let mut out = Vec::new();
        for (change, kept) in ordered {
            let State::Place { project, name, default, position } = &change.state else { continue };
            let mut shown_name = name.clone();
            let mut renamed_from = None;
            if taken.contains(&(*project, name.to_lowercase())) {
                let first = format!("-{}", change.clock.device.short());
                let record = super::hex(&change.record.0[..4]);
                shown_name = unique_name(name, &first, '-', &record, MAX_PLACE_NAME_CHARS, |n| {
                    taken.contains(&(*project, n.to_lowercase()))
                });
                renamed_from = Some(name.clone());
            }
            taken.insert((*project, shown_name.to_lowercase()));
            out.push(ShownPlace {
                record: change.record,
                project: *project,
                name: shown_name,
                default: *default,
                position: *position,
                kept_for_contents: kept,
                renamed_from,
            });
        }
        out.sort_by(|a, b| (a.project.is_some(), a.project, &a.name).cmp(&(b.project.is_some(), b.project, &b.name)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(n: u8) -> DeviceId {
        DeviceId([n; 16])
    }

    fn live(name: &str, value: &str) -> State {
        State::Live { place: [0; 16], name: name.into(), description: String::new(), value: value.into() }
    }

    const KEY: RecordId = RecordId([1; 16]);

    #[test]
    fn concurrent_edits_keep_both_values_and_the_later_one_shows() {
        let (mut a, mut b) = (Merged::default(), Merged::default());
        let created = a.edit(KEY, live("API_KEY", "v1"), device(1), 1_000);
        b.apply(created);
        let on_a = a.edit(KEY, live("API_KEY", "from-a"), device(1), 2_000);
        let on_b = b.edit(KEY, live("API_KEY", "from-b"), device(2), 3_000);
        a.apply(on_b.clone());
        b.apply(on_a.clone());
        assert_eq!(a, b);
        let shown = a.shown();
        assert_eq!(shown.len(), 1);
        assert_eq!((shown[0].value.as_str(), shown[0].changed_on_two_devices), ("from-b", true));
        let history: Vec<&State> = a.history(&KEY).into_iter().map(|c| &c.state).collect();
        assert_eq!(history, [&live("API_KEY", "from-a"), &live("API_KEY", "v1")]);
        // An edit after seeing both ends the flag.
        a.edit(KEY, live("API_KEY", "settled"), device(1), 4_000);
        assert!(!a.shown()[0].changed_on_two_devices);
    }

    #[test]
    fn an_edit_against_a_delete_keeps_the_secret() {
        let (mut a, mut b) = (Merged::default(), Merged::default());
        b.apply(a.edit(KEY, live("K", "v1"), device(1), 1_000));
        let deleted = a.edit(KEY, State::Deleted, device(1), 5_000); // later clock
        let edited = b.edit(KEY, live("K", "v2"), device(2), 2_000);
        a.apply(edited);
        b.apply(deleted);
        assert_eq!(a, b);
        assert_eq!(a.shown()[0].value, "v2");
        assert!(a.shown()[0].changed_on_two_devices);
        // A delete after seeing the edit does delete; a re-add after that comes back.
        a.edit(KEY, State::Deleted, device(1), 6_000);
        assert!(a.shown().is_empty());
        a.edit(KEY, live("K", "again"), device(1), 7_000);
        assert_eq!(a.shown()[0].value, "again");
    }

    #[test]
    fn one_name_created_on_two_devices_keeps_both_and_the_later_keeps_the_name() {
        let (mut a, mut b) = (Merged::default(), Merged::default());
        let first = a.edit(RecordId([1; 16]), live("DB_URL", "from-a"), device(1), 1_000);
        let second = b.edit(RecordId([2; 16]), live("DB_URL", "from-b"), device(2), 2_000);
        a.apply(second);
        b.apply(first);
        assert_eq!(a.shown(), b.shown());
        let names: Vec<(String, String)> = a.shown().into_iter().map(|s| (s.name.clone(), s.value.clone())).collect();
        assert_eq!(names, [("DB_URL".into(), "from-b".into()), ("DB_URL_CONFLICT_01010101".into(), "from-a".into())]);
        assert_eq!(a.shown()[1].renamed_from.as_deref(), Some("DB_URL"));
    }

    #[test]
    fn a_value_and_a_description_changed_on_two_devices_are_both_kept() {
        let (mut a, mut b) = (Merged::default(), Merged::default());
        let with = |description: &str, value: &str| State::Live {
            place: [0; 16],
            name: "API_KEY".into(),
            description: description.into(),
            value: value.into(),
        };
        b.apply(a.edit(KEY, with("old note", "leaked"), device(1), 1_000));
        let rotated = a.edit(KEY, with("old note", "rotated"), device(1), 2_000);
        let described = b.edit(KEY, with("new note", "leaked"), device(2), 3_000); // the later clock
        a.apply(described);
        b.apply(rotated);
        assert_eq!(a.shown(), b.shown());
        let shown = &a.shown()[0];
        assert_eq!((shown.value.as_str(), shown.description.as_str()), ("rotated", "new note"));
        assert!(!shown.changed_on_two_devices, "different fields: nothing to choose between");
        // The same field changed on both: the later wins, and it is flagged.
        let (mut c, mut d) = (a.clone(), b.clone());
        let here = c.edit(KEY, with("new note", "from-c"), device(3), 4_000);
        let there = d.edit(KEY, with("new note", "from-d"), device(4), 5_000);
        c.apply(there);
        d.apply(here);
        assert_eq!(c.shown(), d.shown());
        assert_eq!(c.shown()[0].value, "from-d");
        assert!(c.shown()[0].changed_on_two_devices);
    }

    #[test]
    fn receiving_a_change_again_or_late_changes_nothing() {
        let mut a = Merged::default();
        let one = a.edit(KEY, live("K", "1"), device(1), 1_000);
        let two = a.edit(KEY, live("K", "2"), device(1), 2_000);
        let before = a.clone();
        a.apply(one.clone());
        a.apply(two.clone());
        assert_eq!(a, before);
        let mut late = Merged::default();
        late.apply(two);
        late.apply(one);
        assert_eq!(late, before, "the order does not matter");
        assert_eq!(late.shown()[0].value, "2");
    }
}

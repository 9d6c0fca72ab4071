//! What the user allowed, in memory only: per caller ([`CallerKey`]: a terminal, or a tool without
//! one), the secrets and places they allowed it to reach. "Allow in this terminal" lasts until
//! [`IDLE`] passes without a request, [`CAP`] at most, and never past a lock (the app clears
//! every approval then, and at quit). A request that reaches further than what was allowed asks
//! again.

use std::collections::{BTreeSet, HashMap};

use super::caller::CallerKey;
use crate::vault::Timestamp;

/// An approval ends after this long without a request from its caller.
pub const IDLE: std::time::Duration = std::time::Duration::from_secs(10 * 60);
/// And after this long at most.
pub const CAP: std::time::Duration = std::time::Duration::from_secs(12 * 60 * 60);

/// One thing a request reaches, by the names the user sees (`shop/production`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reach {
    /// The value of every secret the place resolves to.
    AllOf { place: String },
    /// The value of one secret as the place resolves it.
    One { place: String, name: String },
    /// The names (and descriptions) in the place, no values.
    NamesOf { place: String },
    /// Which names of some environments of a project are missing or differ (no values).
    Compare { project: String, envs: Vec<String> },
}

impl Reach {
    /// Whether what was allowed (`granted`) covers this.
    pub fn covered_by(&self, granted: &BTreeSet<Reach>) -> bool {
        granted.iter().any(|g| match (self, g) {
            (a, b) if a == b => true,
            (Reach::One { place, .. } | Reach::NamesOf { place }, Reach::AllOf { place: all }) => place == all,
            (Reach::Compare { project, envs }, Reach::Compare { project: p, envs: allowed }) => {
                project == p && envs.iter().all(|e| allowed.contains(e))
            }
            _ => false,
        })
    }

    /// In words, as the dialog says it.
    pub fn describe(&self) -> String {
        match self {
            Reach::AllOf { place } => format!("all secrets of {place}"),
            Reach::One { place, name } => format!("{name} of {place}"),
            Reach::NamesOf { place } => format!("the names (no values) in {place}"),
            Reach::Compare { project, envs } => {
                format!("which names differ between {} of {project} (no values)", envs.join(" and "))
            }
        }
    }
}

/// What one caller may reach, and since when.
#[derive(Debug, Clone)]
pub struct Grant {
    /// Who holds it, in words (the terminal, or the tool).
    pub who: String,
    pub reach: BTreeSet<Reach>,
    pub granted: Timestamp,
    pub last_used: Timestamp,
}

impl Grant {
    fn expired(&self, now: Timestamp) -> bool {
        now.0 - self.last_used.0 >= IDLE.as_millis() as i64 || now.0 - self.granted.0 >= CAP.as_millis() as i64
    }

    /// When it ends if unused: the earlier of the idle end and the cap.
    pub fn ends(&self) -> Timestamp {
        Timestamp((self.last_used.0 + IDLE.as_millis() as i64).min(self.granted.0 + CAP.as_millis() as i64))
    }
}

/// Every standing approval.
#[derive(Debug, Default)]
pub struct Approvals {
    grants: HashMap<CallerKey, Grant>,
}

impl Approvals {
    /// Whether `key` may reach all of `needed` now; if so, its approval was used now (the idle
    /// time starts again). An expired approval is forgotten.
    pub fn covers(&mut self, key: CallerKey, needed: &[Reach], now: Timestamp) -> bool {
        self.forget_expired(now);
        let Some(grant) = self.grants.get_mut(&key) else { return false };
        if needed.iter().all(|r| r.covered_by(&grant.reach)) {
            grant.last_used = now;
            true
        } else {
            false
        }
    }

    /// Allows `key` to reach `reach` (besides what it may already), from `now`. A new approval
    /// of a caller that had one keeps the earlier start: the cap counts from the first.
    pub fn grant(&mut self, key: CallerKey, who: String, reach: impl IntoIterator<Item = Reach>, now: Timestamp) {
        self.forget_expired(now);
        let grant =
            self.grants.entry(key).or_insert(Grant { who, reach: BTreeSet::new(), granted: now, last_used: now });
        grant.reach.extend(reach);
        grant.last_used = now;
    }

    pub fn revoke(&mut self, key: CallerKey) {
        self.grants.remove(&key);
    }

    /// At a lock and at quit: nothing stands.
    pub fn clear(&mut self) {
        self.grants.clear();
    }

    /// The standing approvals, oldest first.
    pub fn list(&mut self, now: Timestamp) -> Vec<(CallerKey, Grant)> {
        self.forget_expired(now);
        let mut out: Vec<(CallerKey, Grant)> = self.grants.iter().map(|(k, g)| (*k, g.clone())).collect();
        out.sort_by_key(|(k, g)| (g.granted, *k));
        out
    }

    /// The approval of one caller, if it stands.
    pub fn of(&mut self, key: CallerKey, now: Timestamp) -> Option<Grant> {
        self.forget_expired(now);
        self.grants.get(&key).cloned()
    }

    fn forget_expired(&mut self, now: Timestamp) {
        self.grants.retain(|_, g| !g.expired(now));
    }
}

#[cfg(test)]
mod tests {
    use super::super::caller::ProcessKey;
    use super::*;

    const MINUTE: i64 = 60_000;

    fn terminal(pid: u32) -> CallerKey {
        CallerKey::Terminal(ProcessKey { pid, start: 1 })
    }

    fn all_of(place: &str) -> Reach {
        Reach::AllOf { place: place.into() }
    }

    #[test]
    fn an_approval_covers_what_it_showed_and_no_more() {
        let mut a = Approvals::default();
        a.grant(terminal(1), String::new(), [all_of("shop/production")], Timestamp(0));
        let one = Reach::One { place: "shop/production".into(), name: "KEY".into() };
        assert!(a.covers(terminal(1), &[one, Reach::NamesOf { place: "shop/production".into() }], Timestamp(1)));
        assert!(!a.covers(terminal(1), &[all_of("shop/staging")], Timestamp(2)), "another place asks again");
        assert!(!a.covers(terminal(2), &[all_of("shop/production")], Timestamp(3)), "another terminal asks again");
        let compare = |envs: &[&str]| Reach::Compare {
            project: "shop".into(),
            envs: envs.iter().map(|e| e.to_string()).collect(),
        };
        a.grant(terminal(3), String::new(), [compare(&["staging", "production"])], Timestamp(4));
        assert!(a.covers(terminal(3), &[compare(&["production"])], Timestamp(5)));
        assert!(!a.covers(terminal(3), &[compare(&["production", "development"])], Timestamp(6)));
    }

    #[test]
    fn an_approval_ends_after_ten_idle_minutes_or_twelve_hours() {
        let mut a = Approvals::default();
        a.grant(terminal(1), String::new(), [all_of("p")], Timestamp(0));
        // Used every 9 minutes: it stays, until 12 hours after it was given.
        let mut now = 0;
        while now + 9 * MINUTE < 12 * 60 * MINUTE {
            now += 9 * MINUTE;
            assert!(a.covers(terminal(1), &[all_of("p")], Timestamp(now)), "in use at {now}");
        }
        assert!(!a.covers(terminal(1), &[all_of("p")], Timestamp(12 * 60 * MINUTE)), "the cap");
        a.grant(terminal(2), String::new(), [all_of("p")], Timestamp(0));
        assert!(a.covers(terminal(2), &[all_of("p")], Timestamp(9 * MINUTE)));
        assert!(!a.covers(terminal(2), &[all_of("p")], Timestamp(19 * MINUTE + 1)), "ten idle minutes");
        assert!(a.list(Timestamp(19 * MINUTE + 1)).is_empty());
    }

    #[test]
    fn revoke_and_lock_end_approvals() {
        let mut a = Approvals::default();
        a.grant(terminal(1), String::new(), [all_of("p")], Timestamp(0));
        a.grant(terminal(2), String::new(), [all_of("p")], Timestamp(0));
        a.revoke(terminal(1));
        assert!(!a.covers(terminal(1), &[all_of("p")], Timestamp(1)));
        assert!(a.covers(terminal(2), &[all_of("p")], Timestamp(1)));
        a.clear();
        assert!(!a.covers(terminal(2), &[all_of("p")], Timestamp(2)));
    }
}

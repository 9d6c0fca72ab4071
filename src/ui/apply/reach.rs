//! What a change touches, said before it is made and again in its toast: which environments see
//! a shared secret and which override it, and what creating, editing, deleting, copying or
//! moving a secret does to each place. Moving production's `DATABASE_URL` away makes production
//! fall back to the shared value; that must never happen without a word. Only names are read
//! (one keyed index lookup per environment, through the core's `find_own_in`); the sentences use
//! the words of `vocabulary.rs`, and write every place as it is written everywhere in the app.

use crate::ui::session::Session;
use crate::ui::vocabulary::{and_list, place_text};
use crate::vault::{Place, PlaceId, PlaceLabel, ProjectInfo, SecretName, Vault};

/// The environments of a project, split by how they see its shared `name`.
pub(crate) struct SharedReach {
    /// The project's name.
    project: String,
    /// Whether `seeing` is every environment of the project.
    all: bool,
    /// No `name` of their own: they see the shared one (or will, once it exists). As written:
    /// `shop / development`.
    pub seeing: Vec<String>,
    /// Their own `name` overrides the shared one.
    pub overriding: Vec<String>,
}

impl SharedReach {
    /// Who sees the shared value, as the subject of a sentence, and whether its verb is plural:
    /// `Every environment of shop` (singular), `shop / development and shop / staging` (a
    /// place keeps its case, even first in a sentence).
    fn seeing_subject(&self) -> (String, bool) {
        if self.all {
            (format!("Every environment of {}", self.project), false)
        } else {
            (and_list(&self.seeing), self.seeing.len() > 1)
        }
    }

    /// `SUBJECT VERB.` about those that see it (`verbs`: singular, plural), or nothing.
    fn seeing_sentence(&self, verbs: (&str, &str), rest: &str) -> Option<String> {
        if self.seeing.is_empty() {
            return None;
        }
        let (subject, plural) = self.seeing_subject();
        let verb = if plural { verbs.1 } else { verbs.0 };
        Some(format!("{subject} {verb}{rest}."))
    }

    /// `shop / production keeps its own NAME.`, or nothing.
    fn keeping(&self, name: &SecretName) -> Option<String> {
        match self.overriding.as_slice() {
            [] => None,
            [one] => Some(format!("{one} keeps its own {name}.")),
            many => Some(format!("{} keep their own {name}.", and_list(many))),
        }
    }
}

/// How the environments of `project` (but `except`) see its shared `name`.
pub(crate) fn shared_reach(
    vault: &Vault,
    project: &ProjectInfo,
    name: &SecretName,
    except: Option<PlaceId>,
) -> SharedReach {
    let mut reach =
        SharedReach { project: project.name.to_string(), all: false, seeing: Vec::new(), overriding: Vec::new() };
    for env in project.environments.iter().filter(|e| Some(e.id) != except) {
        let place = Place { project: project.id, env: Some(env.id) };
        let written = place_text(&PlaceLabel { project: project.name.clone(), env: Some(env.name.clone()) });
        // `Inherited` (the shared one is there) and `NotFound` both mean: nothing of its own.
        match vault.find_own_in(&place, name) {
            Ok(_) => reach.overriding.push(written),
            Err(_) => reach.seeing.push(written),
        }
    }
    reach.all = except.is_none() && reach.overriding.is_empty() && reach.seeing.len() > 1;
    reach
}

/// Whether `place` itself holds a secret named `name`.
fn owns(vault: &Vault, place: &Place, name: &SecretName) -> bool {
    vault.find_own_in(place, name).is_ok()
}

/// Whether `place` is an environment whose project's Shared level has `name`.
pub(crate) fn shared_above(vault: &Vault, place: &Place, name: &SecretName) -> bool {
    place.parent().is_some_and(|parent| owns(vault, &parent, name))
}

/// How `place` is written, from the projects read last.
pub(crate) fn place_of(session: &Session, place: &Place) -> String {
    session.label_of(place).map(|l| place_text(&l)).unwrap_or_else(|| "another place".to_owned())
}

/// The vault and the project of `place`, when both are at hand.
fn context<'a>(session: &'a Session, place: &Place) -> Option<(&'a Vault, &'a ProjectInfo)> {
    Some((session.vault.as_ref()?, session.projects.iter().find(|p| p.id == place.project)?))
}

/// What creating `name` in `place` does, beyond putting it there: an override of a shared
/// value, or a shared secret that the project's environments see (but those with their own).
pub(crate) fn creating(session: &Session, name: &SecretName, place: &Place) -> Vec<String> {
    let Some((vault, project)) = context(session, place) else { return Vec::new() };
    match place.env {
        Some(_) if shared_above(vault, place, name) => vec![format!(
            "An override: {} gets its own {name}; the other environments of {} keep the shared value.",
            place_of(session, place),
            project.name
        )],
        Some(_) => Vec::new(),
        None => {
            let reach = shared_reach(vault, project, name, None);
            reach.seeing_sentence(("will see it", "will see it"), "").into_iter().chain(reach.keeping(name)).collect()
        }
    }
}

/// What changing the secret `name` of `place` does (its value, description or name).
pub(crate) fn editing(session: &Session, name: &SecretName, place: &Place) -> Vec<String> {
    let Some((vault, project)) = context(session, place) else { return Vec::new() };
    match place.env {
        Some(_) if shared_above(vault, place, name) => {
            vec![format!("An override: only {} changes; the shared value stays.", place_of(session, place))]
        }
        Some(_) => Vec::new(),
        None => {
            let reach = shared_reach(vault, project, name, None);
            reach.seeing_sentence(("sees", "see"), " the change").into_iter().chain(reach.keeping(name)).collect()
        }
    }
}

/// What taking `name` out of `from` does (a delete, a move away); `except` is an environment
/// that gets it at the same time (a move from the Shared level into it).
pub(crate) fn leaving(session: &Session, name: &SecretName, from: &Place, except: Option<PlaceId>) -> Vec<String> {
    let Some((vault, project)) = context(session, from) else { return Vec::new() };
    let here = place_of(session, from);
    match from.env {
        Some(_) if shared_above(vault, from, name) => vec![format!("{here} falls back to the shared {name}.")],
        Some(_) => vec![format!("{here} no longer has {name}.")],
        None => {
            let reach = shared_reach(vault, project, name, except);
            if reach.seeing.is_empty() && reach.overriding.is_empty() {
                return vec![format!("{here} no longer has {name}.")];
            }
            let rest = format!(" {name}");
            reach.seeing_sentence(("loses", "lose"), &rest).into_iter().chain(reach.keeping(name)).collect()
        }
    }
}

/// What putting `name` into `to` does (a copy, a move in).
pub(crate) fn arriving(session: &Session, name: &SecretName, to: &Place) -> Vec<String> {
    let Some((vault, project)) = context(session, to) else { return Vec::new() };
    let there = place_of(session, to);
    if owns(vault, to, name) {
        return vec![format!("{there} already has {name}: tick “Replace it” to make this value its new version.")];
    }
    match to.env {
        Some(_) if shared_above(vault, to, name) => {
            vec![format!("{there} gets its own {name}, overriding the shared value.")]
        }
        Some(_) => vec![format!("{there} gets {name}.")],
        None => {
            let reach = shared_reach(vault, project, name, None);
            let mut lines = vec![format!("{there} gets {name}.")];
            lines.extend(reach.seeing_sentence(("will see it", "will see it"), ""));
            lines.extend(reach.keeping(name));
            lines
        }
    }
}

/// Why `name` cannot move to `to`: that place has one of its own.
pub(crate) fn move_blocked(session: &Session, name: &SecretName, to: &Place) -> Option<String> {
    let vault = session.vault.as_ref()?;
    owns(vault, to, name).then(|| {
        format!("There is already a {name} in {}: move it elsewhere, or delete that one first.", place_of(session, to))
    })
}

/// What moving `name` from `from` to `to` does to each place it touches.
pub(crate) fn moving(session: &Session, name: &SecretName, from: &Place, to: &Place) -> Vec<String> {
    let Some((vault, project)) = context(session, to) else { return Vec::new() };
    let (here, there) = (place_of(session, from), place_of(session, to));
    if to.parent() == Some(*from) {
        // From the Shared level down into one of its environments: that one keeps it as its
        // own; the others lose it.
        let mut lines = vec![format!("{there} gets {name} as its own.")];
        lines.extend(leaving(session, name, from, to.env));
        return lines;
    }
    if from.parent() == Some(*to) {
        // Up from an environment to its project's Shared level: it becomes shared.
        let reach = shared_reach(vault, project, name, from.env);
        let mut lines = vec![format!("{there} gets {name}; {here} sees it as shared.")];
        lines.extend(reach.seeing_sentence(("will see it too", "will see it too"), ""));
        lines.extend(reach.keeping(name));
        return lines;
    }
    let mut lines = leaving(session, name, from, None);
    lines.extend(arriving(session, name, to));
    lines
}

//! The commands of projects and environments: moving between places, naming, deleting and
//! restoring them, the Compare view, the vault-wide search, Streamlit sections, and the question
//! a shared row's Edit or Delete asks (copying and moving secrets: `copy_move.rs`). Every rule
//! is the core's.

use super::{App, Reply, reach};
use crate::interchange::import::{ImportFile, Source};
use crate::ui::session::Page;
use crate::ui::session::{
    Dialog, PlaceNameForm, PlaceNameTarget, SEARCH_SHOWN, SearchAllForm, SearchHit, SharedChoice, UndoAction,
};
use crate::ui::session::{SectionReview, SectionsReview, Session};
use crate::ui::style;
use crate::vault::{ConflictPolicy, Error, Place, PlaceId, PlaceLabel, PlaceName, SecretId};

/// "environment shop / production", "project shop".
fn place_kind(label: &PlaceLabel) -> String {
    match &label.env {
        Some(_) => format!("environment {}", crate::ui::vocabulary::place_text(label)),
        None => format!("project {}", label.project),
    }
}

impl App {
    pub(super) fn go_to(&mut self, place: Place) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        session.dialog = None;
        session.go_to(place);
        Reply::Quiet
    }

    pub(super) fn show_compare(&mut self) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        if session.vault.is_none() {
            return Reply::Quiet;
        }
        session.page = Page::Secrets;
        session.reload_compare();
        Reply::Quiet
    }

    /// Ctrl+PageDown / Ctrl+PageUp: the next or previous tab of the project (wrapping).
    pub(super) fn switch_tab(&mut self, step: i8) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        if session.vault.is_none() {
            return Reply::Quiet;
        }
        let Some(project) = session.project() else { return Reply::Quiet };
        // The tabs in order; `None` stands for Compare.
        let mut tabs: Vec<Option<Place>> = vec![Some(Place::shared(project.id))];
        tabs.extend(project.environments.iter().map(|e| Some(Place { project: project.id, env: Some(e.id) })));
        if project.environments.len() >= 2 {
            tabs.push(None);
        }
        let current = if session.compare.is_some() { None } else { Some(session.place) };
        let at = tabs.iter().position(|t| *t == current).unwrap_or(0) as i64;
        let next = (at + i64::from(step)).rem_euclid(tabs.len() as i64) as usize;
        match tabs[next] {
            Some(place) => session.go_to(place),
            None => {
                session.page = Page::Secrets;
                session.reload_compare();
            }
        }
        Reply::Quiet
    }

    pub(super) fn ask_new_project(&mut self) -> Reply {
        self.open_place_name(PlaceNameTarget::NewProject, String::new(), "a new project".into())
    }

    pub(super) fn ask_new_environment(&mut self, project: PlaceId) -> Reply {
        let what = self
            .screen
            .session_mut()
            .and_then(|s| {
                s.projects.iter().find(|p| p.id == project).map(|p| format!("a new environment of {}", p.name))
            })
            .unwrap_or_default();
        self.open_place_name(PlaceNameTarget::NewEnvironment(project), String::new(), what)
    }

    pub(super) fn ask_rename_place(&mut self, id: PlaceId) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let found = session.projects.iter().find_map(|p| {
            if p.id == id {
                return Some((p.name.to_string(), format!("project {}", p.name)));
            }
            p.environments
                .iter()
                .find(|e| e.id == id)
                .map(|e| (e.name.to_string(), format!("environment {} / {}", p.name, e.name)))
        });
        match found {
            Some((name, what)) => self.open_place_name(PlaceNameTarget::Rename(id), name, what),
            None => Reply::Quiet,
        }
    }

    fn open_place_name(&mut self, target: PlaceNameTarget, name: String, what: String) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        session.dialog = Some(Dialog::PlaceName(PlaceNameForm { target, name, error: None, what }));
        Reply::Quiet
    }

    pub(super) fn submit_place_name(&mut self) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(Dialog::PlaceName(form)) = &mut session.dialog else { return Reply::Quiet };
        let name = match PlaceName::parse(form.name.trim()) {
            Ok(name) => name,
            Err(e) => {
                form.error = Some(style::sentence(&e.to_string()));
                return Reply::Quiet;
            }
        };
        let (target, form_what) = (form.target, form.what.clone());
        let Some(vault) = session.vault.as_mut() else { return Reply::Quiet };
        let result = match target {
            PlaceNameTarget::NewProject => vault.create_project(&name).map(|id| Some(Place::shared(id))),
            PlaceNameTarget::NewEnvironment(project) => {
                vault.create_environment(project, &name).map(|env| Some(Place { project, env: Some(env) }))
            }
            PlaceNameTarget::Rename(id) => vault.rename_place(id, &name).map(|()| None),
        };
        match result {
            Ok(go) => {
                session.dialog = None;
                session.reload_projects();
                if session.compare.is_some() {
                    session.reload_compare();
                }
                let text = match target {
                    PlaceNameTarget::NewProject => format!("Created project {name}."),
                    PlaceNameTarget::NewEnvironment(_) => match go.and_then(|p| session.label_of(&p)) {
                        Some(label) => format!("Created environment {}.", crate::ui::vocabulary::place_text(&label)),
                        None => format!("Created environment {name}."),
                    },
                    PlaceNameTarget::Rename(_) => format!("Renamed {} to {name}.", form_what),
                };
                if let Some(place) = go {
                    session.go_to(place);
                }
                Reply::Info(text)
            }
            Err(e) => {
                if let Some(Dialog::PlaceName(form)) = &mut session.dialog {
                    form.error = Some(style::sentence(&e.to_string()));
                }
                Reply::Quiet
            }
        }
    }

    /// Moves an environment one step left or right among its project's (the tabs' order).
    pub(super) fn move_environment(&mut self, id: PlaceId, step: i8) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(project) = session.projects.iter().find(|p| p.environments.iter().any(|e| e.id == id)) else {
            return Reply::Quiet;
        };
        let mut order: Vec<PlaceId> = project.environments.iter().map(|e| e.id).collect();
        let at = order.iter().position(|e| *e == id).expect("found above") as i64;
        let to = at + i64::from(step);
        if to < 0 || to >= order.len() as i64 {
            return Reply::Quiet;
        }
        order.swap(at as usize, to as usize);
        let project = project.id;
        match session.vault_mut().and_then(|v| v.reorder_environments(project, &order)) {
            Ok(()) => {
                session.reload_projects();
                if session.compare.is_some() {
                    session.reload_compare();
                }
                Reply::Quiet
            }
            Err(e) => Reply::error(e),
        }
    }

    pub(super) fn ask_delete_place(&mut self, id: PlaceId) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let found = session.projects.iter().find_map(|p| {
            if p.id == id {
                return Some((Place::shared(p.id), p.total_secrets()));
            }
            p.environments.iter().find(|e| e.id == id).map(|e| (Place { project: p.id, env: Some(e.id) }, e.secrets))
        });
        let Some((place, secrets)) = found else { return Reply::Quiet };
        if session.projects.iter().any(|p| p.id == id && p.is_default) {
            return Reply::Error(
                "This is the default project (where secrets go when no project is named); it cannot be deleted, \
                 but it can be renamed."
                    .into(),
            );
        }
        let Some(label) = session.label_of(&place) else { return Reply::Quiet };
        session.dialog = Some(Dialog::ConfirmDeletePlace { id, label, secrets });
        Reply::Quiet
    }

    pub(super) fn confirm_delete_place(&mut self) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(Dialog::ConfirmDeletePlace { id, label, .. }) = session.dialog.take() else { return Reply::Quiet };
        match session.vault_mut().and_then(|v| v.delete_place(id)) {
            Ok(trashed) => {
                // Showing what went: the project's level, or the project of the environment.
                let here = session.place;
                session.reload_projects();
                if here.project == id || here.env == Some(id) {
                    let next = if here.project == id {
                        session.projects.iter().find(|p| p.is_default).map(|p| Place::shared(p.id))
                    } else {
                        Some(Place::shared(here.project))
                    };
                    if let Some(next) = next {
                        session.go_to(next);
                    }
                } else {
                    session.reload_list();
                }
                let secrets = match trashed {
                    0 => String::new(),
                    1 => " and its secret".to_owned(),
                    n => format!(" and its {n} secrets"),
                };
                Reply::Undoable {
                    text: format!("Deleted {}{secrets}.", place_kind(&label)),
                    undo: UndoAction::Place(id),
                }
            }
            Err(e) => Reply::error(e),
        }
    }

    pub(super) fn restore_place(&mut self, id: PlaceId) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let what = session.vault.as_ref().and_then(|v| v.place_label_of(id).ok()).map(|l| place_kind(&l));
        let what = what.unwrap_or_else(|| "it".to_owned());
        match session.vault_mut().and_then(|v| v.restore_place(id)) {
            Ok(restored) => {
                session.reload_list();
                super::reload_trash(session);
                Reply::Info(match restored {
                    0 => format!("Restored {what}."),
                    1 => format!("Restored {what}, with its secret."),
                    n => format!("Restored {what}, with its {n} secrets."),
                })
            }
            Err(e) => Reply::error(e),
        }
    }

    /// Edit or Delete on a shared row: which secret is meant. For a delete, the question says
    /// what deleting the shared secret does to every environment, and Cancel has the focus.
    pub(super) fn ask_shared(&mut self, id: SecretId, delete: bool) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(row) = session.list.get(id) else { return Reply::Quiet };
        let name = row.meta.name.clone();
        let Some(label) = session.label_of(&session.place) else { return Reply::Quiet };
        let env = label.env.map(|e| e.to_string()).unwrap_or_default();
        let shared = Place::shared(session.place.project);
        let reach = if delete { reach::leaving(session, &name, &shared, None) } else { Vec::new() };
        // How many environments lose it, of how many.
        let (losing, of) = match (&session.vault, session.project()) {
            (Some(vault), Some(project)) => {
                (reach::shared_reach(vault, project, &name, None).seeing.len(), project.environments.len())
            }
            _ => (0, 0),
        };
        session.dialog = Some(Dialog::Shared(SharedChoice {
            id,
            name: name.to_string(),
            delete,
            project: label.project.to_string(),
            env,
            reach,
            losing,
            of,
            focus_cancel: delete,
        }));
        Reply::Quiet
    }

    /// Edit the shared secret itself (every environment without its own sees the change), or
    /// delete it from every environment (with Undo).
    pub(super) fn choose_shared(&mut self) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(Dialog::Shared(choice)) = session.dialog.take() else { return Reply::Quiet };
        let shared = Place::shared(session.place.project);
        if choice.delete {
            return match session.vault_mut().and_then(|v| v.delete(&[choice.id])) {
                Ok(()) => {
                    session.reload_list();
                    let mut text =
                        format!("Deleted the shared {} from {}.", choice.name, reach::place_of(session, &shared));
                    for line in choice.reach {
                        text = format!("{text} {line}");
                    }
                    Reply::Undoable { text, undo: UndoAction::Secrets(vec![choice.id]) }
                }
                Err(e) => Reply::error(e),
            };
        }
        if let Some(row) = session.list.get(choice.id) {
            let meta = row.meta.clone();
            session.dialog = Some(Dialog::Edit(super::secret_form(session, Some(&meta), shared)));
        }
        Reply::Quiet
    }

    /// An override in the environment shown: the create form, with the shared secret's name
    /// and description.
    pub(super) fn choose_override(&mut self) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(Dialog::Shared(choice)) = session.dialog.take() else { return Reply::Quiet };
        let Some(row) = session.list.get(choice.id) else { return Reply::Quiet };
        let (name, description) = (row.meta.name.clone(), row.meta.description.clone());
        let place = session.place;
        let mut form = super::secret_form(session, None, place);
        form.name = name.to_string();
        form.description = description;
        form.reach = reach::creating(session, &name, &place);
        form.revalidate();
        session.dialog = Some(Dialog::Create(form));
        Reply::Quiet
    }

    /// Opens the vault-wide search at once; the names are read on the worker (one decrypt per
    /// secret: about a quarter of a second for 91,000) and come back to [`App::names_read`].
    pub(super) fn open_search_all(&mut self, ctx: &egui::Context) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(vault) = session.vault.take() else { return Reply::Quiet };
        session.dialog = Some(Dialog::SearchAll(SearchAllForm {
            query: String::new(),
            searched: String::new(),
            names: Vec::new(),
            loading: true,
            results: Vec::new(),
            matched: 0,
            focus: true,
        }));
        self.jobs.spawn(ctx, "Reading names…", move || {
            let result = vault.all_names();
            crate::ui::jobs::JobDone::NamesRead { vault, result }
        });
        Reply::Quiet
    }

    /// The names for the vault-wide search are in: each with where it lives, lower-cased for
    /// matching; what was typed meanwhile is searched at once.
    pub(crate) fn names_read(
        &mut self,
        vault: crate::vault::Vault,
        result: Result<Vec<(SecretId, crate::vault::SecretName, PlaceId)>, Error>,
    ) {
        let Some(session) = self.screen.session_mut() else { return };
        session.vault = Some(vault);
        let labels: std::collections::HashMap<PlaceId, (Place, String)> = session
            .all_places()
            .into_iter()
            .map(|(place, label)| (place.id(), (place, crate::ui::vocabulary::place_text(&label))))
            .collect();
        let Some(Dialog::SearchAll(form)) = &mut session.dialog else { return };
        form.loading = false;
        match result {
            Ok(names) => {
                form.names = names
                    .into_iter()
                    .filter_map(|(id, name, place)| {
                        let (place, label) = labels.get(&place)?.clone();
                        let hit = SearchHit { id, name: name.to_string(), place, label };
                        Some((name.as_str().to_lowercase(), hit))
                    })
                    .collect();
                // Listed by name, then place.
                form.names.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.label.cmp(&b.1.label)));
            }
            Err(e) => {
                self.toast(style::sentence(&e.to_string()), true);
                return;
            }
        }
        let _ = self.search_all();
    }

    /// Filters the names for the typed query (case ignored).
    pub(super) fn search_all(&mut self) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(Dialog::SearchAll(form)) = &mut session.dialog else { return Reply::Quiet };
        let query = form.query.trim().to_lowercase();
        form.searched = form.query.trim().to_owned();
        form.results.clear();
        form.matched = 0;
        if !query.is_empty() {
            for (lower, hit) in &form.names {
                if lower.contains(&query) {
                    form.matched += 1;
                    if form.results.len() < SEARCH_SHOWN {
                        form.results.push(hit.clone());
                    }
                }
            }
        }
        Reply::Quiet
    }

    /// A TOML file's sections: the top-level keys into the place shown, each `[section]` into
    /// the current project's environment of that name (if it has one; else skipped until the
    /// user picks a place).
    pub(super) fn plan_sections(&mut self, path: std::path::PathBuf) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let sections = match ImportFile::read_sections(Source::File(&path)) {
            Ok(sections) => sections,
            Err(e) => return Reply::Error(style::sentence(&e.to_string())),
        };
        let project = session.project().cloned();
        let here = session.place;
        let sections = sections
            .iter()
            .map(|(name, _)| {
                let place = match name {
                    None => Some(here),
                    Some(name) => project
                        .as_ref()
                        .and_then(|p| p.environment(name).map(|e| Place { project: p.id, env: Some(e.id) })),
                };
                SectionReview { name: name.clone(), place, plan: None, label: String::new() }
            })
            .collect();
        let mut review = SectionsReview { path, sections, policy: ConflictPolicy::Fail, error: None };
        replan_sections(session, &mut review);
        session.dialog = Some(Dialog::ImportSections(review));
        Reply::Quiet
    }

    pub(super) fn map_section(&mut self, index: usize, place: Option<Place>) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(Dialog::ImportSections(mut review)) = session.dialog.take() else { return Reply::Quiet };
        if let Some(section) = review.sections.get_mut(index) {
            section.place = place;
        }
        replan_sections(session, &mut review);
        session.dialog = Some(Dialog::ImportSections(review));
        Reply::Quiet
    }

    pub(super) fn set_sections_policy(&mut self, policy: ConflictPolicy) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        if let Some(Dialog::ImportSections(review)) = &mut session.dialog {
            review.policy = policy;
            for section in &mut review.sections {
                if let Some(prepared) = &mut section.plan {
                    prepared.plan.set_policy(policy);
                }
            }
        }
        Reply::Quiet
    }

    /// Writes every mapped section's plan in one transaction, on the worker.
    pub(super) fn confirm_sections(&mut self, ctx: &egui::Context) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(Dialog::ImportSections(review)) = session.dialog.take() else { return Reply::Quiet };
        let plans: Vec<_> = review.sections.into_iter().filter_map(|s| s.plan.map(|p| p.plan)).collect();
        let (path, place) = (review.path, session.place);
        if let Some(mut vault) = session.vault.take() {
            self.jobs.spawn(ctx, "Importing…", move || {
                let result = vault
                    .apply_imports(plans)
                    .and_then(|report| vault.list_in(&place).map(|listing| (report, listing)))
                    .map_err(|e| e.to_string());
                crate::ui::jobs::JobDone::Imported { vault, path, place, by_section: true, result }
            });
        }
        Reply::Quiet
    }

    pub(super) fn go_to_secret(&mut self, place: Place, id: SecretId) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        session.dialog = None;
        session.go_to(place);
        session.list.cursor = Some(id);
        // The dialog closing gives the focus back to its opener: the found row, here.
        self.dialog_opener = Some(crate::ui::secrets::row_id(id));
        Reply::Quiet
    }
}

/// Reads the file again and plans each mapped section into its place (a small file: Streamlit's
/// secrets). A section's plan is `None` where it is skipped.
fn replan_sections(session: &Session, review: &mut SectionsReview) {
    review.error = None;
    let Some(vault) = &session.vault else { return };
    let files = match ImportFile::read_sections(Source::File(&review.path)) {
        Ok(files) => files,
        Err(e) => {
            review.error = Some(style::sentence(&e.to_string()));
            return;
        }
    };
    for (section, (_, file)) in review.sections.iter_mut().zip(files) {
        section.plan = None;
        section.label = String::new();
        let Some(place) = section.place else { continue };
        section.label = session.label_of(&place).map(|l| crate::ui::vocabulary::place_text(&l)).unwrap_or_default();
        match file.plan(vault, &place, review.policy) {
            Ok(prepared) => section.plan = Some(prepared),
            Err(e) => review.error = Some(style::sentence(&e.to_string())),
        }
    }
    // Two sections into one place would add a name twice: said before anything is written.
    let mut seen = std::collections::HashSet::new();
    if review.sections.iter().filter_map(|s| s.place).any(|p| !seen.insert(p)) {
        review.error = Some("Two sections go to the same place: choose another place for one of them.".into());
    }
}

//! The commands of secrets: create, edit (with the live name check), view and reveal, copy,
//! earlier versions; delete and its Undo, the Trash (restore, restore under another name,
//! delete for good). Each toast names the place.

use super::*;

impl App {
    // Secrets: create, edit, view, copy.

    pub(super) fn open_create(&mut self) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        session.page = Page::Secrets;
        let place = session.place;
        session.dialog = Some(Dialog::Create(secret_form(session, None, place)));
        Reply::Quiet
    }

    /// The live "name taken" check of the create and edit form: one lookup per change of the
    /// Name field (a blind-index query), never one per frame. Create also says again what the
    /// typed name would do (an override of a shared value, who sees a shared one).
    pub(super) fn check_name(&mut self) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        // Taken means taken in the secret's place (Edit: where it lives, which for a shared
        // secret edited from an environment is the Shared level); a name only shared here can
        // be overridden.
        let (place, creating) = match &session.dialog {
            Some(Dialog::Create(form) | Dialog::Edit(form)) => match form.original().map(|m| m.place) {
                Some(id) => (vault_place_of(&session.projects, id).unwrap_or(session.place), false),
                None => (session.place, true),
            },
            _ => return Reply::Quiet,
        };
        let Some(Dialog::Create(form) | Dialog::Edit(form)) = &session.dialog else { return Reply::Quiet };
        let parsed = SecretName::parse(&form.name);
        let owner = match (&parsed, &session.vault) {
            (Ok(name), Some(vault)) => vault.find_own_in(&place, name).ok(),
            _ => None,
        };
        let reach = match (&parsed, creating) {
            (Ok(name), true) => Some(reach::creating(session, name, &place)),
            _ => None,
        };
        if let Some(Dialog::Create(form) | Dialog::Edit(form)) = &mut session.dialog {
            if let Some(reach) = reach {
                form.reach = reach;
            }
            form.set_name_owner(owner);
        }
        Reply::Quiet
    }

    pub(super) fn submit_create(&mut self) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(Dialog::Create(form)) = &mut session.dialog else { return Reply::Quiet };
        let name = match SecretName::parse(&form.name) {
            Ok(n) => n,
            Err(e) => {
                form.error = Some(e.to_string());
                return Reply::Quiet;
            }
        };
        let new =
            NewSecret { name, description: form.description.clone(), value: SecretValue::new(form.value.as_str()) };
        let place = session.place;
        let Some(vault) = session.vault.as_mut() else { return Reply::Quiet };
        let overriding = reach::shared_above(vault, &place, &new.name);
        match vault.create_many(&place, vec![new]).map(|mut saved| saved.remove(0)) {
            Ok(saved) => {
                let here = reach::place_of(session, &place);
                let text = if overriding {
                    format!("Created {} in {here}, overriding the shared value.", saved.meta.name)
                } else {
                    format!("Created {} in {here}.", saved.meta.name)
                };
                session.list.cursor = Some(saved.meta.id);
                session.after_write(saved.meta);
                session.dialog = None;
                Reply::Info(text)
            }
            Err(e) => {
                if let Some(Dialog::Create(form)) = &mut session.dialog {
                    form.error = Some(e.to_string());
                }
                Reply::Quiet
            }
        }
    }

    pub(super) fn open_edit(&mut self, id: SecretId) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        if let Some(row) = session.list.get(id) {
            // A shared row: the shared secret, or an override here? Asked first.
            if row.origin == Origin::Inherited {
                return self.ask_shared(id, false);
            }
            let meta = row.meta.clone();
            let place = vault_place_of(&session.projects, meta.place).unwrap_or(session.place);
            session.dialog = Some(Dialog::Edit(secret_form(session, Some(&meta), place)));
        }
        Reply::Quiet
    }

    /// Saves the Edit form in one transaction: name, description and value together (an empty
    /// value keeps the current one — the core's rule). The core checks everything.
    pub(super) fn submit_edit(&mut self) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(Dialog::Edit(form)) = &mut session.dialog else { return Reply::Quiet };
        let Some(original) = form.original().cloned() else { return Reply::Quiet };
        let here = form.place.clone();
        let Some(vault) = session.vault.as_mut() else { return Reply::Quiet };
        let result = (|| -> Result<SecretMeta, Error> {
            let edit = SecretEdit {
                name: Some(SecretName::parse(&form.name)?),
                description: Some(form.description.clone()),
                value: SecretEdit::typed_value(SecretValue::new(form.value.as_str())),
            };
            Ok(vault.edit(original.id, edit)?.meta)
        })();
        match result {
            Ok(meta) => {
                let text = if meta.version > original.version {
                    format!("Saved {} in {here}, now version {}.", meta.name, meta.version)
                } else {
                    format!("Saved {} in {here}.", meta.name)
                };
                session.after_write(meta);
                session.dialog = None;
                Reply::Info(text)
            }
            Err(e) => {
                form.error = Some(e.to_string());
                Reply::Quiet
            }
        }
    }

    pub(super) fn open_view(&mut self, id: SecretId) -> Reply {
        let now = self.clock.now();
        let show = self.prefs.show_values_in_view;
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        open_view(session, id, now, show)
    }

    pub(super) fn reveal_again(&mut self) -> Reply {
        let now = self.clock.now();
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        if let (Some(vault), Some(Dialog::View(view))) = (&session.vault, &mut session.dialog) {
            reveal(view, vault, now);
        }
        Reply::Quiet
    }

    pub(super) fn hide_value(&mut self) -> Reply {
        if let Some(session) = self.screen.session_mut()
            && let Some(Dialog::View(view)) = &mut session.dialog
        {
            view.value = None;
        }
        Reply::Quiet
    }

    /// When a copy made now is to be cleared (the chosen delay; `None`: never).
    pub(super) fn clear_at(&self) -> Option<Timestamp> {
        let now = self.clock.now();
        self.prefs.clipboard_clear_seconds.map(|s| Timestamp(now.0 + i64::from(s) * 1000))
    }

    /// Copies the value (or `NAME=value` as a .env line), to be cleared after the chosen delay.
    pub(super) fn copy(&mut self, id: SecretId, as_assignment: bool) -> Reply {
        let clear_at = self.clear_at();
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        match copy_text(session, id, as_assignment) {
            Ok((name, text)) => match self.clipboard.copy(&text, name, clear_at) {
                Ok(()) => Reply::Quiet,
                Err(e) => Reply::Error(e),
            },
            Err(e) => Reply::Error(e),
        }
    }

    pub(super) fn copy_version(&mut self, id: SecretId, version: u32) -> Reply {
        let clear_at = self.clear_at();
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(vault) = session.vault.as_ref() else { return Reply::Error("The vault is busy; try again.".into()) };
        let copied = vault.meta(id).and_then(|meta| Ok((meta.name, vault.reveal_version(id, version)?)));
        match copied {
            Ok((name, value)) => match self.clipboard.copy(value.expose(), format!("{name} v{version}"), clear_at) {
                Ok(()) => Reply::Quiet,
                Err(e) => Reply::Error(e),
            },
            Err(e) => Reply::error(e),
        }
    }

    pub(super) fn copy_selection(&mut self, text: &str) -> Reply {
        let clear_at = self.clear_at();
        match self.clipboard.copy(text, "Selection".into(), clear_at) {
            Ok(()) => Reply::Quiet,
            Err(e) => Reply::Error(e),
        }
    }

    pub(super) fn restore_version(&mut self, id: SecretId, version: u32) -> Reply {
        let now = self.clock.now();
        let show = self.prefs.show_values_in_view;
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        // Shown again only if it was shown.
        let shown = show || matches!(&session.dialog, Some(Dialog::View(v)) if v.value.is_some());
        match session.vault_mut().and_then(|v| v.restore_version(id, version)) {
            Ok(saved) => {
                let here = vault_place_of(&session.projects, saved.meta.place)
                    .map(|p| reach::place_of(session, &p))
                    .unwrap_or_default();
                let text = format!(
                    "Restored version {version} of {} in {here} as version {}.",
                    saved.meta.name, saved.meta.version
                );
                session.after_write(saved.meta);
                open_view(session, id, now, shown);
                Reply::Info(text)
            }
            Err(e) => Reply::error(e),
        }
    }

    // Deleting, undo and the trash.

    pub(super) fn ask_delete(&mut self, ids: Vec<SecretId>) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        // One shared row: it is the Shared level's; asked which is meant first.
        if let [id] = ids.as_slice()
            && session.list.get(*id).is_some_and(|r| r.origin == Origin::Inherited)
        {
            return self.ask_shared(*id, true);
        }
        // Shared rows among several ticked: not deleted from here.
        let ids: Vec<SecretId> =
            ids.into_iter().filter(|id| session.list.get(*id).is_none_or(|r| r.origin != Origin::Inherited)).collect();
        let names: Vec<(SecretId, String)> =
            ids.iter().filter_map(|id| session.list.get(*id).map(|r| (*id, r.meta.name.as_str().to_owned()))).collect();
        if names.is_empty() {
            return Reply::Quiet;
        }
        let place = session.place;
        // What it does beyond this place: an override uncovers the shared value; a shared
        // secret leaves every environment that has none of its own.
        let reach = match names.as_slice() {
            [(id, _)] => match session.list.get(*id) {
                Some(row) if place.env.is_none() || row.origin == Origin::Override => {
                    reach::leaving(session, &row.meta.name.clone(), &place, None)
                }
                _ => Vec::new(),
            },
            _ if place.env.is_none() && session.project().is_some_and(|p| !p.environments.is_empty()) => {
                vec!["Every environment of the project without its own value loses them.".to_owned()]
            }
            _ => Vec::new(),
        };
        let place = reach::place_of(session, &place);
        session.dialog = Some(Dialog::ConfirmDelete(DeleteConfirm { names, place, reach }));
        Reply::Quiet
    }

    pub(super) fn confirm_delete(&mut self) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(Dialog::ConfirmDelete(confirm)) = session.dialog.take() else { return Reply::Quiet };
        let DeleteConfirm { names, place: here, reach } = confirm;
        let ids: Vec<SecretId> = names.iter().map(|(id, _)| *id).collect();
        match session.vault_mut().and_then(|v| v.delete(&ids)) {
            Ok(()) => {
                // A highlighted row that goes hands the highlight (and the focus the dialog gives
                // back) to the next row shown, or the previous one at the end.
                let cursor = session.list.cursor;
                let neighbour = cursor.filter(|c| ids.contains(c)).and_then(|c| {
                    let indices = session.list.view().to_vec();
                    let view: Vec<SecretId> = indices.iter().map(|&i| session.list.row(i).meta.id).collect();
                    let at = view.iter().position(|v| *v == c)?;
                    view[at + 1..].iter().chain(view[..at].iter().rev()).find(|v| !ids.contains(v)).copied()
                });
                if let (Some(gone), Some(next)) = (cursor, neighbour) {
                    session.list.cursor = Some(next);
                    if self.dialog_opener == Some(crate::ui::secrets::row_id(gone)) {
                        self.dialog_opener = Some(crate::ui::secrets::row_id(next));
                    }
                }
                for id in &ids {
                    session.list.remove(*id);
                    session.selected.remove(id);
                }
                // In an environment, a deleted override uncovers the shared secret.
                if session.place.env.is_some() {
                    session.reload_list();
                } else {
                    session.reload_projects();
                }
                let mut text = match names.as_slice() {
                    [(_, name)] => format!("Deleted {name} from {here}."),
                    many => format!("Deleted {} from {here}.", vocabulary::count(many.len(), "secret")),
                };
                for line in reach {
                    text = format!("{text} {line}");
                }
                Reply::Undoable { text, undo: UndoAction::Secrets(ids) }
            }
            Err(e) => Reply::error(e),
        }
    }

    pub(super) fn undo(&mut self, undo: UndoAction) -> Reply {
        self.toasts.retain(|t| t.undo.as_ref() != Some(&undo));
        let ids = match undo {
            UndoAction::Secrets(ids) => ids,
            UndoAction::Place(id) => return self.restore_place(id),
            UndoAction::Copied(id) => return self.undo_copy(id),
            UndoAction::Replaced { id, version, description } => return self.undo_replace(id, version, description),
            UndoAction::Moved { id, from } => return self.undo_move(id, from),
        };
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let mut reply = Reply::Quiet;
        let mut restored = Vec::new();
        let mut last = None;
        for id in ids {
            match session.vault_mut().and_then(|v| v.restore(id, None)) {
                Ok(meta) => {
                    restored.push(meta.clone());
                    if session.place.env.is_some() {
                        last = Some(meta);
                    } else {
                        session.list.upsert(meta);
                    }
                }
                Err(e) => reply = Reply::error(e),
            }
        }
        // The listing and the counts once, not once per secret.
        match last {
            Some(meta) => session.after_write(meta),
            None => session.reload_projects(),
        }
        let here = restored
            .first()
            .and_then(|m| vault_place_of(&session.projects, m.place))
            .map(|p| reach::place_of(session, &p))
            .unwrap_or_default();
        match (reply, restored.as_slice()) {
            (Reply::Quiet, [one]) => Reply::Info(format!("Restored {} in {here}.", one.name)),
            (Reply::Quiet, many) if !many.is_empty() => {
                Reply::Info(format!("Restored {} in {here}.", vocabulary::count(many.len(), "secret")))
            }
            (reply, _) => reply,
        }
    }

    pub(super) fn restore_from_trash(&mut self, id: SecretId) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        match session.vault_mut().and_then(|v| v.restore(id, None)) {
            Ok(meta) => {
                let text = restored_in(session, "Restored", &meta);
                session.after_write(meta);
                reload_trash(session);
                Reply::Info(text)
            }
            Err(Error::NameTaken { name }) => {
                session.dialog = Some(Dialog::restore_as(id, &name));
                Reply::Quiet
            }
            Err(e) => Reply::error(e),
        }
    }

    pub(super) fn submit_restore_as(&mut self) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(Dialog::RestoreAs(form)) = &mut session.dialog else { return Reply::Quiet };
        let new_name = match SecretName::parse(form.name.trim()) {
            Ok(n) => n,
            Err(e) => {
                form.error = Some(e.to_string());
                return Reply::Quiet;
            }
        };
        let Some(vault) = session.vault.as_mut() else { return Reply::Quiet };
        match vault.restore(form.id, Some(new_name)) {
            Ok(meta) => {
                let text = restored_in(session, "Restored as", &meta);
                session.after_write(meta);
                session.dialog = None;
                reload_trash(session);
                Reply::Info(text)
            }
            Err(e) => {
                if let Some(Dialog::RestoreAs(form)) = &mut session.dialog {
                    form.error = Some(e.to_string());
                }
                Reply::Quiet
            }
        }
    }

    pub(super) fn confirm_purge(&mut self) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(Dialog::ConfirmPurge(target)) = session.dialog.take() else { return Reply::Quiet };
        let one = target.and_then(|id| session.trash.iter().find(|t| t.item.meta.id == id));
        let named = one.map(|t| format!("{} from {}", t.item.meta.name, t.place));
        let result = match target {
            Some(id) => session.vault_mut().and_then(|v| v.purge(id)).map(|()| 1),
            None => session.vault_mut().and_then(|v| v.empty_trash()),
        };
        reload_trash(session);
        match (result, named) {
            (Ok(1), Some(named)) => Reply::Info(format!("Deleted {named} for good.")),
            (Ok(n), _) => Reply::Info(format!("{} deleted for good.", vocabulary::count(n, "secret"))),
            (Err(e), _) => Reply::error(e),
        }
    }
}

/// Opens the View dialog on `id`: masked, or its value decrypted if `show` (the preference "Show
/// values when View opens"). A toast if the secret cannot be read.
pub(super) fn open_view(session: &mut Session, id: SecretId, now: Timestamp, show: bool) -> Reply {
    let Some(vault) = &session.vault else { return Reply::Quiet };
    let meta = match vault.meta(id) {
        Ok(m) => m,
        Err(e) => return Reply::error(e),
    };
    let history = vault.history(id).unwrap_or_default();
    let place = view_place(session, &meta);
    let Some(vault) = &session.vault else { return Reply::Quiet };
    let mut view = ViewState { id, meta, place, value: None, revealed_at: now, history, error: None };
    if show {
        reveal(&mut view, vault, now);
    }
    session.dialog = Some(Dialog::View(view));
    Reply::Quiet
}

/// Where the viewed secret lives, and how the place shown sees it: `shop / production ·
/// override of the shared value`, `shop (shared) · production uses this shared value`.
pub(super) fn view_place(session: &Session, meta: &SecretMeta) -> String {
    let Some(place) = vault_place_of(&session.projects, meta.place) else { return String::new() };
    let text = reach::place_of(session, &place);
    let origin = session.list.get(meta.id).map(|r| r.origin);
    match origin {
        Some(Origin::Override) => format!("{text} · override of the shared value"),
        Some(Origin::Inherited) => match session.label_of(&session.place).and_then(|l| l.env) {
            Some(env) => format!("{text} · {env} uses this shared value"),
            None => text,
        },
        _ if place.env.is_none() && session.project().is_some_and(|p| !p.environments.is_empty()) => {
            let project = session.label_of(&place).map(|l| l.project.to_string()).unwrap_or_default();
            format!("{text} · shared by every environment of {project}")
        }
        _ => text,
    }
}

/// The create or edit form over `place`: where the secret is or goes, and (Edit) what saving
/// does beyond it. Create learns its reach when a name is typed.
pub(super) fn secret_form(session: &Session, original: Option<&SecretMeta>, place: Place) -> SecretForm {
    let mut form = SecretForm::new(original);
    form.place = reach::place_of(session, &place);
    if let Some(meta) = original {
        form.reach = reach::editing(session, &meta.name, &place);
        // An override renamed uncovers the shared value of its old name.
        if session.vault.as_ref().is_some_and(|v| reach::shared_above(v, &place, &meta.name)) {
            form.rename_note = Some(format!(
                "Saving renames it: programs that read {} in {} get the shared value instead.",
                meta.name, form.place
            ));
        }
    }
    form
}

/// Decrypts the View dialog's value; it hides itself [`REVEAL_SECONDS`](super::session::REVEAL_SECONDS) later.
pub(super) fn reveal(view: &mut ViewState, vault: &Vault, now: Timestamp) {
    match vault.reveal(view.id) {
        Ok(value) => {
            view.value = Some(value);
            view.revealed_at = now;
            view.error = None;
        }
        Err(e) => view.error = Some(e.to_string()),
    }
}

/// The text to copy, with how the "copied" notice names it: the value, or `NAME=value` quoted as
/// a .env line.
pub(super) fn copy_text(
    session: &Session,
    id: SecretId,
    as_assignment: bool,
) -> Result<(String, Zeroizing<String>), String> {
    let vault = session.vault.as_ref().ok_or("The vault is busy; try again in a moment.")?;
    let meta = vault.meta(id).map_err(|e| e.to_string())?;
    let value = vault.reveal(id).map_err(|e| e.to_string())?;
    let name = meta.name.as_str().to_owned();
    if as_assignment {
        let mut line = interchange::write(Format::Env, &[(name.as_str(), &value)]);
        while line.ends_with('\n') {
            line.pop();
        }
        Ok((format!("{name}=…"), line))
    } else {
        Ok((name, Zeroizing::new(value.expose().to_owned())))
    }
}

/// Reads the trash's listing again (names only, each with where it lived), with the projects
/// and environments in it.
pub(in crate::ui) fn reload_trash(session: &mut Session) {
    if let Some(vault) = &session.vault {
        let items = vault.trash().map(|listing| listing.items).unwrap_or_default();
        // A place deleted with its secrets is still named (the core keeps its row).
        let mut labels = std::collections::HashMap::new();
        session.trash = items
            .into_iter()
            .map(|item| {
                let place = labels
                    .entry(item.meta.place)
                    .or_insert_with(|| {
                        vault.place_label_of(item.meta.place).map(|l| vocabulary::place_text(&l)).unwrap_or_default()
                    })
                    .clone();
                TrashRow { item, place }
            })
            .collect();
        session.trashed_places = vault.trashed_places().unwrap_or_default();
    }
}

/// "Restored NAME in shop / production." (`verb`: "Restored", "Restored as").
pub(super) fn restored_in(session: &Session, verb: &str, meta: &SecretMeta) -> String {
    match vault_place_of(&session.projects, meta.place) {
        Some(place) => format!("{verb} {} in {}.", meta.name, reach::place_of(session, &place)),
        None => format!("{verb} {}.", meta.name),
    }
}

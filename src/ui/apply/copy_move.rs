//! Copying and moving a secret to another place (from View, and the Compare view's "Copy…"):
//! what it changes in each place it touches, said before it is made and in its toast, and its
//! Undo — a copy goes to the Trash, a copy that replaced a value brings the earlier value back
//! as a new version, a move goes back. Only the core's public operations are used.

use super::{App, Reply, reach};
use crate::ui::session::{CopyIntoConfirm, CopyMoveForm, Dialog, UndoAction};
use crate::ui::style;
use crate::vault::{Error, Origin, Place, SecretEdit, SecretId, SecretName};

impl App {
    pub(super) fn ask_copy_move(&mut self, id: SecretId, moving: bool) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(vault) = &session.vault else { return Reply::Quiet };
        let meta = match vault.meta(id) {
            Ok(meta) => meta,
            Err(e) => return Reply::error(e),
        };
        let name = meta.name.to_string();
        if moving && session.list.get(id).is_some_and(|r| r.origin == Origin::Inherited) {
            return Reply::Error(format!(
                "{name} is shared by every environment of the project: move it from the Shared tab."
            ));
        }
        let Some(from) = super::vault_place_of(&session.projects, meta.place) else { return Reply::Quiet };
        let from_text = reach::place_of(session, &from);
        session.dialog = Some(Dialog::CopyMove(CopyMoveForm {
            id,
            name,
            moving,
            from,
            from_text,
            to: None,
            replace: false,
            reach: Vec::new(),
            error: None,
        }));
        Reply::Quiet
    }

    /// A place chosen in the copy or move dialog: what the copy or move would do there (and,
    /// for a move, to the place it leaves).
    pub(super) fn pick_copy_move_target(&mut self, to: Place) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(Dialog::CopyMove(form)) = &session.dialog else { return Reply::Quiet };
        let (from, moving) = (form.from, form.moving);
        let Ok(name) = SecretName::parse(&form.name) else { return Reply::Quiet };
        let (reach, error) = if to == from {
            (Vec::new(), Some(format!("{name} is already in {}: choose another place.", form.from_text)))
        } else if moving {
            match reach::move_blocked(session, &name, &to) {
                Some(blocked) => (Vec::new(), Some(blocked)),
                None => (reach::moving(session, &name, &from, &to), None),
            }
        } else {
            (reach::arriving(session, &name, &to), None)
        };
        if let Some(Dialog::CopyMove(form)) = &mut session.dialog {
            form.to = Some(to);
            form.reach = reach;
            form.error = error;
        }
        Reply::Quiet
    }

    pub(super) fn submit_copy_move(&mut self) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(Dialog::CopyMove(form)) = &mut session.dialog else { return Reply::Quiet };
        let Some(to) = form.to else {
            form.error = Some("Choose where to.".into());
            return Reply::Quiet;
        };
        let (id, moving, replace, name, from) = (form.id, form.moving, form.replace, form.name.clone(), form.from);
        if to == from {
            form.error = Some(format!("{name} is already in {}: choose another place.", form.from_text));
            return Reply::Quiet;
        }
        let (here, mut lines) = (form.from_text.clone(), form.reach.clone());
        let there = reach::place_of(session, &to);
        let Some(vault) = session.vault.as_mut() else { return Reply::Quiet };
        // What a copy over an existing secret replaces, for Undo.
        let replaced = if moving || !replace {
            None
        } else {
            SecretName::parse(&name)
                .ok()
                .and_then(|n| vault.find_own_in(&to, &n).ok())
                .and_then(|existing| vault.meta(existing).ok())
        };
        if replaced.is_some() {
            lines = vec![format!("{name} in {there} has this value now, as a new version.")];
        }
        let result = if moving {
            vault.move_secret(id, &to).map(|_| UndoAction::Moved { id, from })
        } else {
            vault.copy_secret(id, &to, replace).map(|saved| match replaced {
                Some(old) => UndoAction::Replaced { id: old.id, version: old.version, description: old.description },
                None => UndoAction::Copied(saved.meta.id),
            })
        };
        match result {
            Ok(undo) => {
                session.dialog = None;
                session.reload_list();
                let verb = if moving { "Moved" } else { "Copied" };
                let mut text = format!("{verb} {name} from {here} to {there}.");
                for line in lines {
                    text = format!("{text} {line}");
                }
                Reply::Undoable { text, undo }
            }
            Err(Error::NameTaken { .. }) => {
                if let Some(Dialog::CopyMove(form)) = &mut session.dialog {
                    form.error = Some(if moving {
                        format!("There is already a {name} in {there}: move it elsewhere, or delete that one first.")
                    } else {
                        format!(
                            "There is already a {name} in {there}; tick “Replace it” to make this value its new version."
                        )
                    });
                }
                Reply::Quiet
            }
            Err(e) => {
                if let Some(Dialog::CopyMove(form)) = &mut session.dialog {
                    form.error = Some(style::sentence(&e.to_string()));
                }
                Reply::Quiet
            }
        }
    }

    /// The Compare view's "Copy…": says what it would do, before anything is written.
    pub(super) fn ask_copy_into(&mut self, id: SecretId, to: Place) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(vault) = &session.vault else { return Reply::Quiet };
        let meta = match vault.meta(id) {
            Ok(meta) => meta,
            Err(e) => return Reply::error(e),
        };
        let from = super::vault_place_of(&session.projects, meta.place).map(|p| reach::place_of(session, &p));
        let confirm = CopyIntoConfirm {
            id,
            name: meta.name.to_string(),
            from: from.unwrap_or_default(),
            to,
            to_text: reach::place_of(session, &to),
            reach: reach::arriving(session, &meta.name, &to),
        };
        session.dialog = Some(Dialog::CopyInto(confirm));
        Reply::Quiet
    }

    /// Fills a gap of the Compare view with the value another place has; Undo trashes the copy.
    pub(super) fn confirm_copy_into(&mut self) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(Dialog::CopyInto(confirm)) = session.dialog.take() else { return Reply::Quiet };
        match session.vault_mut().and_then(|v| v.copy_secret(confirm.id, &confirm.to, false)) {
            Ok(saved) => {
                // (The Compare view with it.)
                session.reload_list();
                let mut text = format!("Copied {} from {} to {}.", confirm.name, confirm.from, confirm.to_text);
                for line in confirm.reach {
                    text = format!("{text} {line}");
                }
                Reply::Undoable { text, undo: UndoAction::Copied(saved.meta.id) }
            }
            Err(e) => Reply::error(e),
        }
    }

    /// Undo of a copy made as a new secret: the copy goes to the Trash.
    pub(super) fn undo_copy(&mut self, id: SecretId) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(vault) = &session.vault else { return Reply::Quiet };
        let meta = vault.meta(id);
        match (meta, session.vault_mut().and_then(|v| v.delete(&[id]))) {
            (Ok(meta), Ok(())) => {
                let there = super::vault_place_of(&session.projects, meta.place).map(|p| reach::place_of(session, &p));
                session.reload_list();
                Reply::Info(format!(
                    "Undone: the copy of {} in {} went to the Trash.",
                    meta.name,
                    there.unwrap_or_default()
                ))
            }
            (Err(e), _) | (_, Err(e)) => Reply::error(e),
        }
    }

    /// Undo of a copy that replaced a value: the earlier value and description come back, as
    /// a new version (the copied value stays in the history).
    pub(super) fn undo_replace(&mut self, id: SecretId, version: u32, description: String) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let result = session.vault_mut().and_then(|vault| {
            let value = vault.reveal_version(id, version)?;
            let edit = SecretEdit { name: None, description: Some(description), value: Some(value) };
            vault.edit(id, edit)
        });
        match result {
            Ok(saved) => {
                let there =
                    super::vault_place_of(&session.projects, saved.meta.place).map(|p| reach::place_of(session, &p));
                let text = format!(
                    "Undone: {} in {} has its earlier value again (version {}).",
                    saved.meta.name,
                    there.unwrap_or_default(),
                    saved.meta.version
                );
                session.reload_list();
                Reply::Info(text)
            }
            Err(e) => Reply::error(e),
        }
    }

    /// Undo of a move: the secret goes back where it was, with its history.
    pub(super) fn undo_move(&mut self, id: SecretId, from: Place) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        match session.vault_mut().and_then(|v| v.move_secret(id, &from)) {
            Ok(meta) => {
                let here = reach::place_of(session, &from);
                session.reload_list();
                Reply::Info(format!("Undone: {} is back in {here}.", meta.name))
            }
            Err(e) => Reply::error(e),
        }
    }
}

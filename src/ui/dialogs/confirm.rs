//! The confirmations of the Secrets and Trash pages: delete (to the trash), delete for good or
//! empty the trash, and restore under another name when the old one is taken.

use egui::{Key, RichText, Ui};

use crate::ui::command::Command;
use crate::ui::session::{DeleteConfirm, RestoreAsForm};
use crate::ui::style::{self, weak};
use crate::ui::widgets::{dialog_body, dialog_buttons, dialog_title};
use crate::vault::{SecretId, TRASH_RETENTION_DAYS};

/// "Delete NAME from shop / production?", "Delete 3 secrets from shop (shared)?".
pub(crate) fn delete_title(confirm: &DeleteConfirm) -> String {
    match confirm.names.as_slice() {
        [(_, name)] => format!("Delete {name} from {}?", confirm.place),
        many => format!("Delete {} secrets from {}?", many.len(), confirm.place),
    }
}

/// Delete one or more secrets (they go to the trash), saying what that does to other places.
pub(crate) fn delete(ui: &mut Ui, confirm: &DeleteConfirm, commands: &mut Vec<Command>) {
    dialog_title(ui, &delete_title(confirm));
    dialog_body(ui, |ui| {
        if let [_, _, ..] = confirm.names.as_slice() {
            let shown: Vec<&str> = confirm.names.iter().take(6).map(|(_, n)| n.as_str()).collect();
            let more = confirm.names.len().saturating_sub(shown.len());
            let mut list = shown.join(", ");
            if more > 0 {
                list.push_str(&format!(" and {more} more"));
            }
            ui.label(RichText::new(list).monospace());
        }
        for line in &confirm.reach {
            style::warning_as_written(ui, line);
        }
        ui.label(format!(
            "Deleted secrets go to the Trash, where you can restore them for {TRASH_RETENTION_DAYS} days."
        ));
    });
    dialog_buttons(ui, |ui| {
        let delete = style::danger(ui, "Delete");
        let cancel = style::secondary(ui, "Cancel");
        // Enter deletes (the secrets can be restored), unless the focus is on Cancel.
        // A fresh press, not a held key's repeat.
        let enter = ui.input(|i| {
            i.events.iter().any(|e| matches!(e, egui::Event::Key { key: Key::Enter, pressed: true, repeat: false, .. }))
        });
        if delete.clicked() || (enter && !cancel.has_focus()) {
            commands.push(Command::ConfirmDelete);
        } else if cancel.clicked() {
            commands.push(Command::CloseDialog);
        }
    });
}

/// Delete a trashed secret (`named`: its name and where it lived) for good; `None`: empty the
/// trash, of `count` secrets.
pub(crate) fn purge(
    ui: &mut Ui,
    target: Option<SecretId>,
    named: Option<(&str, &str)>,
    count: usize,
    commands: &mut Vec<Command>,
) {
    match (target, named) {
        (Some(_), Some((name, _))) => dialog_title(ui, &format!("Delete {name} for good?")),
        (Some(_), None) => dialog_title(ui, "Delete for good?"),
        (None, _) => dialog_title(ui, "Empty the trash?"),
    }
    dialog_body(ui, |ui| {
        if let Some((_, place)) = named.filter(|(_, place)| !place.is_empty()) {
            ui.label(weak(format!("From {place}")));
        }
        ui.label(match target {
            Some(_) => {
                "This cannot be undone: its encrypted value and its history are erased from the vault file.".into()
            }
            None => format!(
                "This cannot be undone: the {count} secret{} in the trash, their values and their history are \
                 erased from the vault file.",
                if count == 1 { "" } else { "s" }
            ),
        });
    });
    dialog_buttons(ui, |ui| {
        let label = if target.is_some() { "Delete for good" } else { "Empty trash" };
        if style::danger(ui, label).clicked() {
            commands.push(Command::ConfirmPurge);
        }
        if style::secondary(ui, "Cancel").clicked() {
            commands.push(Command::CloseDialog);
        }
    });
}

/// Restore a trashed secret under a new name.
pub(crate) fn restore_as(ui: &mut Ui, form: &mut RestoreAsForm, commands: &mut Vec<Command>) {
    let RestoreAsForm { taken, name, error, .. } = form;
    dialog_title(ui, "Restore under another name");
    let entered = dialog_body(ui, |ui| {
        ui.label(format!("A secret named {taken} already exists. Choose a name for the restored one."));
        let label = ui.label(RichText::new("Name").strong());
        let field = ui
            .add(egui::TextEdit::singleline(name).font(egui::TextStyle::Monospace).desired_width(f32::INFINITY))
            .labelled_by(label.id);
        if let Some(e) = error {
            style::error_text(ui, e);
        }
        field.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter))
    });
    dialog_buttons(ui, |ui| {
        if style::primary(ui, !name.is_empty(), "Restore").clicked() || entered {
            commands.push(Command::SubmitRestoreAs);
        }
        if style::secondary(ui, "Cancel").clicked() {
            commands.push(Command::CloseDialog);
        }
    });
}

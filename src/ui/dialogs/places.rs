//! The dialogs of projects and environments: name one (new or rename), delete one, copy or move
//! a secret to another place, which secret an inherited row's Edit or Delete means, and the
//! vault-wide search.

use egui::{Key, RichText, Ui};

use crate::ui::command::Command;
use crate::ui::session::{CopyMoveForm, PlaceNameForm, PlaceNameTarget, SearchAllForm};
use crate::ui::style::{self, weak};
use crate::ui::widgets::{dialog_buttons, dialog_title};
use crate::vault::{Place, PlaceLabel, TRASH_RETENTION_DAYS};

pub(crate) fn title_of_place_name(form: &PlaceNameForm) -> String {
    match form.target {
        PlaceNameTarget::NewProject => "New project".into(),
        PlaceNameTarget::NewEnvironment(_) => "New environment".into(),
        PlaceNameTarget::Rename(_) => format!("Rename {}", form.what),
    }
}

pub(crate) fn place_name(ui: &mut Ui, form: &mut PlaceNameForm, commands: &mut Vec<Command>) {
    dialog_title(ui, &title_of_place_name(form));
    ui.label(match form.target {
        PlaceNameTarget::NewProject => {
            "A project holds secrets shared by all of its environments, and each environment's own. It starts with \
             development, staging and production."
        }
        PlaceNameTarget::NewEnvironment(_) => {
            "An environment has the project's shared secrets, and its own that override them."
        }
        PlaceNameTarget::Rename(_) => "Scripts that use the default project without naming it keep working.",
    });
    let label = ui.label(RichText::new("Name").strong());
    let field = ui.add(egui::TextEdit::singleline(&mut form.name).desired_width(f32::INFINITY)).labelled_by(label.id);
    if let Some(e) = &form.error {
        style::error_text(ui, e);
    }
    let entered = field.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
    dialog_buttons(ui, |ui| {
        let action = match form.target {
            PlaceNameTarget::Rename(_) => "Rename",
            _ => "Create",
        };
        if style::primary(ui, !form.name.trim().is_empty(), action).clicked() || entered {
            commands.push(Command::SubmitPlaceName);
        }
        if style::secondary(ui, "Cancel").clicked() {
            commands.push(Command::CloseDialog);
        }
    });
}

pub(crate) fn delete_place(ui: &mut Ui, label: &PlaceLabel, secrets: usize, commands: &mut Vec<Command>) {
    let kind = if label.env.is_some() { "environment" } else { "project" };
    dialog_title(ui, &format!("Delete {kind} {label}?"));
    let what = match (secrets, label.env.is_some()) {
        (0, _) => "It holds no secrets.".to_owned(),
        (1, _) => "Its secret goes to the Trash with it.".to_owned(),
        (n, false) => format!("Its {n} secrets (shared and in its environments) go to the Trash with it."),
        (n, true) => format!("Its {n} secrets go to the Trash with it."),
    };
    ui.label(format!("{what} You can restore it, with them, for {TRASH_RETENTION_DAYS} days."));
    dialog_buttons(ui, |ui| {
        if style::danger(ui, "Delete").clicked() {
            commands.push(Command::ConfirmDeletePlace);
        }
        if style::secondary(ui, "Cancel").clicked() {
            commands.push(Command::CloseDialog);
        }
    });
}

pub(crate) fn copy_move(
    ui: &mut Ui,
    form: &mut CopyMoveForm,
    places: &[(Place, PlaceLabel)],
    commands: &mut Vec<Command>,
) {
    let verb = if form.moving { "Move" } else { "Copy" };
    dialog_title(ui, &format!("{verb} {}", form.name));
    ui.label(if form.moving {
        "It leaves this place, with its versions and history."
    } else {
        "Its current value and description; the copy starts its own history."
    });
    // A list, not a drop-down: a pop-up menu inside a modal dialog is easy to miss.
    ui.label(RichText::new("To").strong());
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        egui::ScrollArea::vertical().max_height(280.0).show(ui, |ui| {
            for (place, label_of_place) in places {
                let chosen = form.to == Some(*place);
                let option = ui.add(
                    egui::Button::selectable(chosen, place_text(label_of_place))
                        .min_size(egui::vec2(ui.available_width(), 0.0)),
                );
                if option.clicked() {
                    form.to = Some(*place);
                    form.error = None;
                }
            }
        });
    });
    if !form.moving {
        ui.checkbox(&mut form.replace, "Replace it where the name exists (its value becomes a new version)");
    }
    if let Some(e) = &form.error {
        style::error_text(ui, e);
    }
    dialog_buttons(ui, |ui| {
        if style::primary(ui, form.to.is_some(), verb).clicked() {
            commands.push(Command::SubmitCopyMove);
        }
        if style::secondary(ui, "Cancel").clicked() {
            commands.push(Command::CloseDialog);
        }
    });
}

/// "shop · production", "shop · All environments".
pub(crate) fn place_text(label: &PlaceLabel) -> String {
    match &label.env {
        Some(env) => format!("{} · {env}", label.project),
        None => format!("{} · All environments", label.project),
    }
}

pub(crate) fn inherited(ui: &mut Ui, name: &str, delete: bool, project: &str, env: &str, commands: &mut Vec<Command>) {
    if delete {
        dialog_title(ui, &format!("Delete the shared {name}?"));
        ui.label(format!(
            "{name} is not set in {env}: it is the project level's, shared by every environment of {project}. \
             Deleting it removes it from all of them (it goes to the Trash)."
        ));
        dialog_buttons(ui, |ui| {
            if style::danger(ui, "Delete the shared secret…").clicked() {
                commands.push(Command::ChooseShared);
            }
            if style::secondary(ui, "Cancel").clicked() {
                commands.push(Command::CloseDialog);
            }
        });
    } else {
        dialog_title(ui, &format!("Edit {name}: shared, or only in {env}?"));
        ui.label(format!(
            "{name} comes from the project level of {project}, which every environment shares. Change it there for \
             all of them, or give {env} a value of its own that overrides it."
        ));
        dialog_buttons(ui, |ui| {
            if style::primary(ui, true, &format!("Override in {env}")).clicked() {
                commands.push(Command::ChooseOverride);
            }
            if style::secondary(ui, "Edit the shared secret").clicked() {
                commands.push(Command::ChooseShared);
            }
            if style::secondary(ui, "Cancel").clicked() {
                commands.push(Command::CloseDialog);
            }
        });
    }
}

pub(crate) fn search_all(ui: &mut Ui, form: &mut SearchAllForm, commands: &mut Vec<Command>) {
    dialog_title(ui, "Find in every project");
    let label = ui.label(RichText::new("Name contains").strong());
    let id = egui::Id::unique("tresor search all");
    if form.focus {
        ui.memory_mut(|m| m.request_focus(id));
        form.focus = false;
    }
    let field = ui
        .add(
            egui::TextEdit::singleline(&mut form.query)
                .id(id)
                .hint_text("e.g. DATABASE_URL")
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
    if field.changed() {
        commands.push(Command::SearchAll);
    }
    ui.add_space(4.0);
    if form.loading {
        ui.label(weak("Reading the names…"));
    } else if form.searched.is_empty() {
        ui.label(weak("Names are searched in every project and environment; values never."));
    } else if form.results.is_empty() {
        ui.label(weak(format!("No secret's name contains “{}”.", form.searched)));
    } else {
        let said = if form.matched > form.results.len() {
            format!("{} found; the first {} shown — type more of the name", form.matched, form.results.len())
        } else {
            format!("{} found", form.matched)
        };
        let said = ui.label(weak(said));
        crate::ui::a11y::live(&said, false);
        let row_height = ui.spacing().interact_size.y + ui.spacing().item_spacing.y;
        egui::ScrollArea::vertical().max_height(300.0).show_rows(ui, row_height, form.results.len(), |ui, range| {
            for hit in &form.results[range] {
                let text = format!("{}  —  {}", hit.name, hit.label);
                if ui.add(egui::Button::new(RichText::new(text).monospace()).frame_when_inactive(false)).clicked() {
                    commands.push(Command::GoToSecret(hit.place, hit.id));
                }
            }
        });
    }
    // Enter goes to the first result.
    if field.lost_focus()
        && ui.input(|i| i.key_pressed(Key::Enter))
        && let Some(hit) = form.results.first()
    {
        commands.push(Command::GoToSecret(hit.place, hit.id));
    }
    dialog_buttons(ui, |ui| {
        if style::secondary(ui, "Close").clicked() {
            commands.push(Command::CloseDialog);
        }
    });
}

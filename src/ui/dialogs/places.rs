//! The dialogs of projects and environments: name one (new or rename), delete one, copy or move
//! a secret to another place, which secret a shared row's Edit or Delete means, the Compare
//! view's copy into an environment, and the vault-wide search. Each says where, and what the
//! change does to every place it touches.

use egui::{Key, RichText, Ui};

use crate::ui::command::Command;
use crate::ui::session::{CopyIntoConfirm, CopyMoveForm, PlaceNameForm, PlaceNameTarget, SearchAllForm, SharedChoice};
use crate::ui::style::{self, weak};
use crate::ui::vocabulary::place_text;
use crate::ui::widgets::{dialog_body, dialog_buttons, dialog_title};
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
    let entered = dialog_body(ui, |ui| {
        ui.label(match form.target {
            PlaceNameTarget::NewProject => {
                "A project has shared secrets, which all of its environments see, and each environment's own. It \
                 starts with development, staging and production."
            }
            PlaceNameTarget::NewEnvironment(_) => {
                "An environment sees the project's shared secrets, and has its own, which override them."
            }
            PlaceNameTarget::Rename(_) => "Scripts that use the default project without naming it keep working.",
        });
        let label = ui.label(RichText::new("Name").strong());
        let field =
            ui.add(egui::TextEdit::singleline(&mut form.name).desired_width(f32::INFINITY)).labelled_by(label.id);
        if let Some(e) = &form.error {
            style::error_text(ui, e);
        }
        field.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter))
    });
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
    let (kind, what) = match &label.env {
        Some(_) => ("environment", place_text(label)),
        None => ("project", label.project.to_string()),
    };
    dialog_title(ui, &format!("Delete {kind} {what}?"));
    dialog_body(ui, |ui| {
        let held = match (secrets, label.env.is_some()) {
            (0, _) => "It holds no secrets.".to_owned(),
            (1, _) => "Its secret goes to the Trash with it.".to_owned(),
            (n, false) => format!("Its {n} secrets (shared, and its environments' own) go to the Trash with it."),
            (n, true) => format!("Its {n} secrets go to the Trash with it."),
        };
        let with = match secrets {
            0 => "",
            1 => ", with its secret,",
            _ => ", with its secrets,",
        };
        let again = format!("You can restore the {kind}{with} from the Trash for {TRASH_RETENTION_DAYS} days.");
        ui.label(format!("{held} {again}"));
    });
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
    dialog_body(ui, |ui| {
        ui.label(if form.moving {
            format!("From {}, with its versions and history.", form.from_text)
        } else {
            format!("From {}: its current value and description; the copy starts its own history.", form.from_text)
        });
        // What it changes, above the list: in sight as soon as a place is chosen. In a scope of
        // its own, so that the controls after it keep their ids (and the keyboard) as it changes.
        ui.push_id("what changes", |ui| {
            if let Some(e) = &form.error {
                style::error_text(ui, e);
            } else if form.reach.is_empty() {
                ui.label(weak(format!("Choose where to; what the {} changes shows here.", verb.to_lowercase())));
            } else {
                ui.label(RichText::new("What changes").strong());
                for line in &form.reach {
                    ui.label(format!("• {line}"));
                }
            }
        });
        // A list, not a drop-down: a pop-up menu inside a modal dialog is easy to miss. It
        // scrolls with the dialog (one scroll, not one inside another).
        ui.label(RichText::new("To").strong());
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.set_width(ui.available_width());
            for (place, label_of_place) in places {
                let chosen = form.to == Some(*place);
                let mut text = place_text(label_of_place);
                // Listed (the list keeps its order), and said to be where it is now.
                if *place == form.from {
                    text.push_str(" — it is here");
                }
                let option =
                    ui.add(egui::Button::selectable(chosen, text).min_size(egui::vec2(ui.available_width(), 0.0)));
                if option.gained_focus() {
                    option.scroll_to_me(None);
                }
                if option.clicked() && !chosen {
                    commands.push(Command::PickCopyMoveTarget(*place));
                }
            }
        });
        if !form.moving {
            ui.checkbox(&mut form.replace, "Replace it where the name exists (its value becomes a new version)");
        }
    });
    dialog_buttons(ui, |ui| {
        let blocked = form.moving && form.error.is_some();
        if style::primary(ui, form.to.is_some_and(|to| to != form.from) && !blocked, verb).clicked() {
            commands.push(Command::SubmitCopyMove);
        }
        if style::secondary(ui, "Cancel").clicked() {
            commands.push(Command::CloseDialog);
        }
    });
}

/// The Compare view's copy of one secret into an environment that lacks it.
pub(crate) fn copy_into(ui: &mut Ui, confirm: &CopyIntoConfirm, commands: &mut Vec<Command>) {
    dialog_title(ui, &format!("Copy {} to {}?", confirm.name, confirm.to_text));
    dialog_body(ui, |ui| {
        ui.label(format!("The value {} has; the copy starts its own history.", confirm.from));
        for line in &confirm.reach {
            ui.label(format!("• {line}"));
        }
        ui.label(weak("Undo, in the message that follows, takes the copy back out."));
    });
    dialog_buttons(ui, |ui| {
        if style::primary(ui, true, "Copy").clicked() {
            commands.push(Command::ConfirmCopyInto);
        }
        if style::secondary(ui, "Cancel").clicked() {
            commands.push(Command::CloseDialog);
        }
    });
}

pub(crate) fn shared_title(choice: &SharedChoice) -> String {
    if choice.delete && choice.losing == choice.of {
        format!("Delete the shared {} from every environment?", choice.name)
    } else if choice.delete {
        format!("Delete the shared {}?", choice.name)
    } else {
        format!("Edit {}: shared, or only in {}?", choice.name, choice.env)
    }
}

/// Edit or Delete on a shared row of an environment: the shared secret, or (Edit) an override
/// in this environment. Deleting says which environments lose it; Cancel has the focus.
pub(crate) fn shared(ui: &mut Ui, choice: &mut SharedChoice, commands: &mut Vec<Command>) {
    let SharedChoice { name, project, env, .. } = &*choice;
    dialog_title(ui, &shared_title(choice));
    if choice.delete {
        dialog_body(ui, |ui| {
            ui.label(format!(
                "{name} is not set in {env}: it is shared by every environment of {project}. Deleting it deletes \
                 the shared secret itself (it goes to the Trash, and Undo brings it back)."
            ));
            for line in &choice.reach {
                style::warning_as_written(ui, line);
            }
        });
        let label = match (choice.losing, choice.of) {
            (n, of) if n == of && n > 1 => "Delete from every environment".to_owned(),
            (0, _) => "Delete the shared secret".to_owned(),
            (1, _) => "Delete from 1 environment".to_owned(),
            (n, _) => format!("Delete from {n} environments"),
        };
        dialog_buttons(ui, |ui| {
            if style::danger(ui, &label).clicked() {
                commands.push(Command::ChooseShared);
            }
            let cancel = style::secondary(ui, "Cancel");
            // The safe choice has the focus: Enter cancels.
            if std::mem::take(&mut choice.focus_cancel) {
                cancel.request_focus();
            }
            if cancel.clicked() {
                commands.push(Command::CloseDialog);
            }
        });
    } else {
        dialog_body(ui, |ui| {
            ui.label(format!(
                "{name} is shared by every environment of {project}. Change the shared value for all of them, or \
                 give {env} a value of its own that overrides it."
            ));
        });
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
    let id = egui::Id::unique("tresor search all");
    let entered = dialog_body(ui, |ui| {
        let label = ui.label(RichText::new("Name contains").strong());
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
        // ↓ in the field goes to the first result; between results the arrows move the focus
        // (egui moves it to the nearest control that way), and Enter opens the focused one.
        let down = field.has_focus() && ui.input(|i| i.key_pressed(Key::ArrowDown));
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
                format!("{} found; the arrow keys go through them", form.matched)
            };
            let said = ui.label(weak(said));
            crate::ui::a11y::live(&said, false);
            for (index, hit) in form.results.iter().enumerate() {
                let text = format!("{}  —  {}", hit.name, hit.label);
                let button = egui::Button::new(RichText::new(text).monospace()).frame_when_inactive(false);
                let response = ui.add(button);
                if index == 0 && down {
                    response.request_focus();
                }
                if response.clicked() {
                    commands.push(Command::GoToSecret(hit.place, hit.id));
                }
            }
        }
        field.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter))
    });
    // Enter in the field goes to the first result.
    if entered && let Some(hit) = form.results.first() {
        commands.push(Command::GoToSecret(hit.place, hit.id));
    }
    dialog_buttons(ui, |ui| {
        if style::secondary(ui, "Close").clicked() {
            commands.push(Command::CloseDialog);
        }
    });
}

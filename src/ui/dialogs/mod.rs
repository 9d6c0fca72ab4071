//! The modal dialogs, one file per family: the secret form (create, edit), the View dialog, the
//! confirmations (delete, purge, restore under another name), the key dialogs (strengthen,
//! rotate key), import and export, and restoring a backup. Each reads its state and pushes
//! [`Command`]s; none imports a page.

mod backup;
mod confirm;
mod keys;
mod places;
mod secret;
mod transfer;
mod view;

use egui::{Key, Modifiers, Ui};

use super::command::Command;
use super::session::{Dialog, Session};
use super::style;
use crate::vault::Timestamp;

const DIALOG_WIDTH: f32 = 520.0;

/// A dialog's name in the accessibility tree: its title, or what it is about.
fn name_of(dialog: &Dialog) -> String {
    match dialog {
        Dialog::Create(form) => format!("Create Environment Secret in {}", form.place),
        Dialog::Edit(form) => format!("Edit Environment Secret in {}", form.place),
        Dialog::View(view) => format!("View {}", view.meta.name),
        Dialog::ConfirmDelete(confirm) => confirm::delete_title(confirm),
        Dialog::ConfirmPurge(Some(_)) => "Delete for good?".into(),
        Dialog::ConfirmPurge(None) => "Empty the trash?".into(),
        Dialog::RestoreAs(_) => "Restore under another name".into(),
        Dialog::Strengthen(_) => "Strengthen key derivation".into(),
        Dialog::RotateKey(_) => "Rotate the vault key".into(),
        Dialog::Import(review) => {
            format!("Import {}", review.path.file_name().map(|f| f.to_string_lossy()).unwrap_or_default())
        }
        Dialog::Export(_) => "Export in plain text?".into(),
        Dialog::RestoreBackup(_) => "Restore a backup".into(),
        Dialog::PlaceName(form) => places::title_of_place_name(form),
        Dialog::ConfirmDeletePlace { label, .. } => format!("Delete {label}?"),
        Dialog::CopyMove(form) => format!("{} {}", if form.moving { "Move" } else { "Copy" }, form.name),
        Dialog::Shared(choice) => places::shared_title(choice),
        Dialog::CopyInto(confirm) => format!("Copy {} to {}?", confirm.name, confirm.to_text),
        Dialog::SearchAll(_) => "Find in every project".into(),
        Dialog::ImportSections(review) => {
            format!("Import {} by section", review.path.file_name().map(|f| f.to_string_lossy()).unwrap_or_default())
        }
    }
}

/// Shows the open dialog, if any.
pub(crate) fn show(ui: &mut Ui, session: &mut Session, now: Timestamp, commands: &mut Vec<Command>) {
    // Pickers list every place; computed only for the dialogs that show them.
    let places = match &session.dialog {
        Some(Dialog::CopyMove(_) | Dialog::ImportSections(_)) => session.all_places(),
        _ => Vec::new(),
    };
    let Some(dialog) = &mut session.dialog else {
        session.dialog_shown = None;
        return;
    };
    let kind = std::mem::discriminant(&*dialog);
    if session.dialog_shown != Some(kind) {
        session.dialog_shown = Some(kind);
        session.dialog_serial += 1;
    }
    let ctx = ui.ctx().clone();
    let frame = style::dialog_frame(ui);

    let id = egui::Id::unique(("tresor_dialog", session.dialog_serial));
    // A dialog (egui's role for a modal) named after its title.
    let area = egui::Modal::default_area(id).accessible_name(name_of(dialog));
    // As tall as the window allows (its frame and a margin around it taken off): the body
    // scrolls inside that, the title and the buttons stay (widgets::dialog_body).
    let margins = 2.0 * (frame.inner_margin.topf() + frame.stroke.width + 10.0);
    let max_height = (ctx.content_rect().height() - margins).max(120.0);
    let modal = egui::Modal::new(id).area(area).frame(frame).show(&ctx, |ui| {
        ui.set_width(DIALOG_WIDTH);
        ui.set_max_height(max_height);
        match dialog {
            Dialog::Create(form) | Dialog::Edit(form) => secret::show(ui, form, commands),
            Dialog::View(view) => view::show(ui, view, now, commands),
            Dialog::ConfirmDelete(confirm) => confirm::delete(ui, confirm, commands),
            Dialog::ConfirmPurge(target) => {
                let row = target.and_then(|id| session.trash.iter().find(|t| t.item.meta.id == id));
                let named = row.map(|t| (t.item.meta.name.as_str(), t.place.as_str()));
                confirm::purge(ui, *target, named, session.trash.len(), commands)
            }
            Dialog::RestoreAs(form) => confirm::restore_as(ui, form, commands),
            Dialog::Strengthen(form) => keys::strengthen(ui, form, commands),
            Dialog::RotateKey(form) => keys::rotate_key(ui, form, commands),
            Dialog::Import(review) => transfer::import(ui, review, commands),
            Dialog::Export(confirm) => transfer::export(ui, confirm, commands),
            Dialog::RestoreBackup(form) => backup::show(ui, form, commands),
            Dialog::PlaceName(form) => places::place_name(ui, form, commands),
            Dialog::ConfirmDeletePlace { label, secrets, .. } => places::delete_place(ui, label, *secrets, commands),
            Dialog::CopyMove(form) => places::copy_move(ui, form, &places, commands),
            Dialog::Shared(choice) => places::shared(ui, choice, commands),
            Dialog::CopyInto(confirm) => places::copy_into(ui, confirm, commands),
            Dialog::SearchAll(form) => places::search_all(ui, form, commands),
            Dialog::ImportSections(review) => transfer::sections(ui, review, &places, commands),
        }
    });
    // egui lays a dialog out in the size it had last frame (its body scrolls within that): a
    // dialog whose content grew or shrank (an error shown, then gone) is drawn once more at its
    // new size, instead of keeping a blank band until the next input.
    let size = modal.response.rect.size();
    let size_id = id.with("size");
    if ctx.data(|d| d.get_temp::<egui::Vec2>(size_id)) != Some(size) {
        ctx.data_mut(|d| d.insert_temp(size_id, size));
        ctx.request_repaint();
    }
    if modal.is_top_modal && ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Escape)) {
        commands.push(Command::CloseDialog);
    }
}

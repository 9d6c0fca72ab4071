//! The modal dialogs, one file per family: the secret form (create, edit), the View dialog, the
//! confirmations (delete, purge, restore under another name), the key dialogs (strengthen,
//! rotate key), import and export, and restoring a backup. Each reads its state and pushes
//! [`Command`]s; none imports a page.

mod backup;
mod confirm;
mod keys;
mod secret;
mod transfer;
mod view;

use egui::{Key, Modifiers, Ui};

use super::command::Command;
use super::session::{Dialog, Session};
use super::style;
use crate::vault::Timestamp;

const DIALOG_WIDTH: f32 = 520.0;

/// Shows the open dialog, if any.
pub(crate) fn show(ui: &mut Ui, session: &mut Session, now: Timestamp, commands: &mut Vec<Command>) {
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
    let modal =
        egui::Modal::new(egui::Id::unique(("tresor_dialog", session.dialog_serial))).frame(frame).show(&ctx, |ui| {
            ui.set_width(DIALOG_WIDTH);
            match dialog {
                Dialog::Create(form) | Dialog::Edit(form) => secret::show(ui, form, commands),
                Dialog::View(view) => view::show(ui, view, now, commands),
                Dialog::ConfirmDelete(names) => confirm::delete(ui, names, commands),
                Dialog::ConfirmPurge(target) => {
                    let name = target.and_then(|id| session.trash.iter().find(|t| t.meta.id == id));
                    let name = name.map(|t| t.meta.name.as_str());
                    confirm::purge(ui, *target, name, session.trash.len(), commands)
                }
                Dialog::RestoreAs(form) => confirm::restore_as(ui, form, commands),
                Dialog::Strengthen(form) => keys::strengthen(ui, form, commands),
                Dialog::RotateKey(form) => keys::rotate_key(ui, form, commands),
                Dialog::Import(review) => transfer::import(ui, review, commands),
                Dialog::Export(confirm) => transfer::export(ui, confirm, commands),
                Dialog::RestoreBackup(form) => backup::show(ui, form, commands),
            }
        });
    if modal.is_top_modal && ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Escape)) {
        commands.push(Command::CloseDialog);
    }
}

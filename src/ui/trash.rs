//! The Trash page: deleted secrets with when they were deleted, Restore and Delete for good on
//! each, and Empty trash.

use egui::{Align, Layout, RichText, Ui};

use super::command::Command;
use super::style::{self, ROW_HEIGHT, weak};
use crate::vault::{TRASH_RETENTION_DAYS, Timestamp, TrashedSecret};

/// The Trash page: deleted secrets, to restore or to delete for good.
pub(crate) fn page(ui: &mut Ui, trash: &[TrashedSecret], now: Timestamp, commands: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        ui.heading(RichText::new("Trash").strong());
        if !trash.is_empty() {
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                if ui.button("Empty trash").clicked() {
                    commands.push(Command::AskPurge(None));
                }
            });
        }
    });
    ui.label(weak(format!(
        "Deleted secrets stay here for {TRASH_RETENTION_DAYS} days, then they are erased for good."
    )));
    ui.add_space(8.0);
    if trash.is_empty() {
        ui.add_space(30.0);
        ui.vertical_centered(|ui| ui.label(weak("The trash is empty.")));
        return;
    }
    egui::ScrollArea::vertical().auto_shrink(false).show_rows(ui, ROW_HEIGHT, trash.len(), |ui, range| {
        for item in &trash[range] {
            let name = item.meta.name.as_str();
            ui.push_id(item.meta.id, |ui| {
                ui.horizontal(|ui| {
                    ui.set_height(ROW_HEIGHT);
                    ui.add_sized(
                        [240.0, ROW_HEIGHT],
                        egui::Label::new(RichText::new(name).monospace().strong()).truncate(),
                    );
                    ui.add_sized(
                        [ui.available_width() - 330.0, ROW_HEIGHT],
                        egui::Label::new(weak(if item.meta.description.is_empty() {
                            "—"
                        } else {
                            &item.meta.description
                        }))
                        .truncate(),
                    );
                    ui.label(format!("deleted {}", style::relative(now, item.deleted)))
                        .on_hover_text(style::exact(item.deleted));
                    ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                        if style::icon_button(ui, "✖", &format!("Purge {name}"), "Delete for good").clicked() {
                            commands.push(Command::AskPurge(Some(item.meta.id)));
                        }
                        if style::icon_button(ui, "↺", &format!("Restore {name}"), "Restore").clicked() {
                            commands.push(Command::RestoreFromTrash(item.meta.id));
                        }
                    });
                });
            });
        }
    });
}

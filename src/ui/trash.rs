//! The Trash page: deleted secrets with when they were deleted, Restore and Delete for good on
//! each, and Empty trash.

use egui::{Align, Layout, RichText, Ui};

use super::command::Command;
use super::style::{self, ROW_HEIGHT, weak};
use crate::vault::{TRASH_RETENTION_DAYS, Timestamp, TrashedSecret};

/// The Trash page: deleted secrets, to restore or to delete for good.
pub(crate) fn page(ui: &mut Ui, trash: &[TrashedSecret], now: Timestamp, commands: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        let title = ui.heading(RichText::new("Trash").strong());
        super::a11y::heading(&title, 1);
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
    // Fixed columns, left-aligned, under headers: Name, Description (takes what is left),
    // Deleted, and the row's two actions.
    const NAME_WIDTH: f32 = 240.0;
    const DELETED_WIDTH: f32 = 130.0;
    const ACTIONS_WIDTH: f32 = 200.0;
    let cell = |ui: &mut Ui, width: f32, add: &mut dyn FnMut(&mut Ui)| {
        ui.allocate_ui_with_layout(egui::vec2(width, ROW_HEIGHT), Layout::left_to_right(Align::Center), |ui| {
            ui.set_width(width);
            add(ui);
        });
    };
    let description_width = |ui: &Ui| (ui.available_width() - NAME_WIDTH - DELETED_WIDTH - ACTIONS_WIDTH).max(80.0);
    ui.horizontal(|ui| {
        let header = |text: &str| RichText::new(text).small().strong();
        let width = description_width(ui);
        cell(ui, NAME_WIDTH, &mut |ui| {
            ui.label(header("Name"));
        });
        cell(ui, width, &mut |ui| {
            ui.label(header("Description"));
        });
        cell(ui, DELETED_WIDTH, &mut |ui| {
            ui.label(header("Deleted"));
        });
    });
    ui.separator();
    egui::ScrollArea::vertical().auto_shrink(false).show_rows(ui, ROW_HEIGHT, trash.len(), |ui, range| {
        for item in &trash[range] {
            let name = item.meta.name.as_str();
            ui.push_id(item.meta.id, |ui| {
                ui.horizontal(|ui| {
                    ui.set_height(ROW_HEIGHT);
                    let width = description_width(ui);
                    cell(ui, NAME_WIDTH, &mut |ui| {
                        ui.add(egui::Label::new(RichText::new(name).monospace().strong()).truncate());
                    });
                    cell(ui, width, &mut |ui| {
                        let description =
                            if item.meta.description.is_empty() { "—" } else { item.meta.description.as_str() };
                        ui.add(egui::Label::new(weak(description)).truncate());
                    });
                    cell(ui, DELETED_WIDTH, &mut |ui| {
                        ui.label(style::relative(now, item.deleted)).on_hover_text(style::exact(item.deleted));
                    });
                    ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                        if ui.button("Delete for good…").accessible_name(format!("Delete {name} for good")).clicked()
                        {
                            commands.push(Command::AskPurge(Some(item.meta.id)));
                        }
                        if ui.button("Restore").accessible_name(format!("Restore {name}")).clicked() {
                            commands.push(Command::RestoreFromTrash(item.meta.id));
                        }
                    });
                });
            });
        }
    });
}

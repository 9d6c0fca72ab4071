//! The Trash page: deleted secrets with when they were deleted, Restore and Delete for good on
//! each, and Empty trash.

use egui::{Align, Layout, RichText, Ui};

use super::command::Command;
use super::session::TrashRow;
use super::style::{self, ROW_HEIGHT, weak};
use super::vocabulary::{count, place_text};
use super::widgets::{in_cell, in_header, row_node, table_scope};
use crate::vault::{TRASH_RETENTION_DAYS, Timestamp, TrashedPlace};

/// The Trash page: deleted projects and environments (each restored with its secrets), then
/// deleted secrets, to restore or to delete for good.
pub(crate) fn page(
    ui: &mut Ui,
    trash: &[TrashRow],
    places: &[TrashedPlace],
    now: Timestamp,
    commands: &mut Vec<Command>,
) {
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
    for place in places {
        ui.horizontal(|ui| {
            let (kind, what) = match &place.label.env {
                Some(_) => ("Environment", place_text(&place.label)),
                None => ("Project", place.label.project.to_string()),
            };
            let text = format!(
                "{kind} {what} — deleted {} with {}",
                style::relative(now, place.deleted),
                count(place.secrets, "secret")
            );
            ui.label(text);
            if ui
                .button("Restore")
                .on_hover_text("Bring it back with its secrets")
                .accessible_name(format!("Restore {what}"))
                .clicked()
            {
                commands.push(Command::RestorePlace(place.id));
            }
        });
    }
    if !places.is_empty() {
        ui.add_space(8.0);
    }
    if trash.is_empty() {
        ui.add_space(30.0);
        ui.vertical_centered(|ui| ui.label(weak("The trash is empty.")));
        return;
    }
    table_scope(ui, "Trash list", trash.len(), |ui| rows(ui, trash, now, commands));
}

/// The Trash table: fixed columns, left-aligned, under headers — Name, Place (where it lived:
/// two trashed secrets of one name are told apart by it), Description (takes what is left; in
/// a narrow window it gives its room to Name and Place), Deleted — and each row's two actions.
fn rows(ui: &mut Ui, trash: &[TrashRow], now: Timestamp, commands: &mut Vec<Command>) {
    const TITLES: [&str; 5] = ["Name", "Place", "Description", "Deleted", "Actions"];
    const DELETED_WIDTH: f32 = 100.0;
    const ACTIONS_WIDTH: f32 = 224.0;
    /// Below this width of the table, no Description column.
    const NARROW: f32 = 820.0;
    let narrow = ui.available_width() < NARROW;
    // The five cells of a row or of the header, left to right.
    let cells = |rect: egui::Rect| {
        let shared = (rect.width() - DELETED_WIDTH - ACTIONS_WIDTH).max(240.0);
        let (name, place) = if narrow { (shared * 0.55, shared * 0.45) } else { (shared * 0.4, shared * 0.3) };
        let (name, place) = (name.min(300.0), place.min(220.0));
        let description = if narrow { 0.0 } else { shared - name - place };
        let mut x = rect.left();
        [name, place, description, DELETED_WIDTH, ACTIONS_WIDTH].map(|width| {
            let cell = egui::Rect::from_min_size(egui::pos2(x, rect.top()), egui::vec2(width - 8.0, rect.height()));
            x += width;
            cell
        })
    };
    let (header, _) = ui.allocate_exact_size(egui::vec2(ui.available_width(), 24.0), egui::Sense::hover());
    for (i, rect) in cells(header).into_iter().enumerate().take(4) {
        if rect.width() > 0.0 {
            in_header(ui, rect, TITLES[i], |ui| ui.label(RichText::new(TITLES[i]).small().strong()));
        }
    }
    ui.separator();
    let total = trash.len();
    egui::ScrollArea::vertical().id_salt("trash rows").auto_shrink(false).show_rows(
        ui,
        ROW_HEIGHT,
        total,
        |ui, range| {
            for position in range {
                let TrashRow { item, place } = &trash[position];
                let name = item.meta.name.as_str();
                ui.push_id(item.meta.id, |ui| {
                    let (rect, row) =
                        ui.allocate_exact_size(egui::vec2(ui.available_width(), ROW_HEIGHT), egui::Sense::hover());
                    row_node(&row, name, position, total);
                    let [name_cell, place_cell, description_cell, deleted_cell, actions_cell] = cells(rect);
                    in_cell(ui, row.id, 0, TITLES[0], name_cell, |ui| {
                        ui.add(egui::Label::new(RichText::new(name).monospace().strong()).truncate());
                    });
                    in_cell(ui, row.id, 1, TITLES[1], place_cell, |ui| {
                        ui.add(egui::Label::new(place.as_str()).truncate());
                    });
                    if !narrow {
                        in_cell(ui, row.id, 2, TITLES[2], description_cell, |ui| {
                            let description =
                                if item.meta.description.is_empty() { "—" } else { item.meta.description.as_str() };
                            ui.add(egui::Label::new(weak(description)).truncate());
                        });
                    }
                    in_cell(ui, row.id, 3, TITLES[3], deleted_cell, |ui| {
                        ui.label(style::relative(now, item.deleted)).on_hover_text(style::exact(item.deleted));
                    });
                    in_cell(ui, row.id, 4, TITLES[4], actions_cell, |ui| {
                        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                            // Named by the secret; described by its place (two of one name).
                            let from = format!("from {place}");
                            let purge =
                                ui.button("Delete for good…").accessible_name(format!("Delete {name} for good"));
                            purge.ctx.accesskit_node_builder(purge.id, |node| node.set_description(from.clone()));
                            if purge.clicked() {
                                commands.push(Command::AskPurge(Some(item.meta.id)));
                            }
                            let restore = ui
                                .button("Restore")
                                .accessible_name(format!("Restore {name}"))
                                .on_hover_text(format!("Restore {name} to {place}"));
                            restore.ctx.accesskit_node_builder(restore.id, |node| node.set_description(from));
                            if restore.clicked() {
                                commands.push(Command::RestoreFromTrash(item.meta.id));
                            }
                        });
                    });
                });
            }
        },
    );
}

//! The Backups section of Vault settings: how many to keep, "Back up now", and the list, each
//! with Restore… (the dialog is dialogs/backup.rs). The rules (when backups are made, what a
//! restore checks) are the core's `vault::backup`.

use std::path::Path;

use egui::{Align, Layout, Ui};

use super::command::Command;
use super::session::BackupsView;
use super::style::{self, weak};
use super::widgets::{in_cell, in_header, row_node, table_scope};
use crate::vault::Timestamp;
use crate::vault::backup;

/// The choices offered for "Keep the last …" (0 turns backups off).
pub(crate) const KEEP_CHOICES: [usize; 6] = [0, 3, 5, 10, 20, 50];

fn keep_label(n: usize) -> String {
    match n {
        0 => "Off".into(),
        1 => "Keep the last backup".into(),
        n => format!("Keep the last {n}"),
    }
}

fn size_label(bytes: u64) -> String {
    match bytes {
        b if b < 1024 * 1024 => format!("{} KiB", b.div_ceil(1024)),
        b => format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)),
    }
}

/// The section's content (shell.rs puts it in its card).
pub(crate) fn section(
    ui: &mut Ui,
    view: &BackupsView,
    vault_path: &Path,
    now: Timestamp,
    can_write: bool,
    commands: &mut Vec<Command>,
) {
    ui.label(weak(
        "Tresor backs up the vault by itself before an import, a passphrase change, a key rotation or a \
         purge, and once a day when you unlock. Backups are encrypted like the vault and open with your \
         passphrase (a backup older than a key rotation: the passphrase of that time).",
    ));
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        let mut choice = view.keep;
        egui::ComboBox::from_id_salt("backups_keep")
            .selected_text(keep_label(choice))
            .show_ui(ui, |ui| {
                let mut choices = KEEP_CHOICES.to_vec();
                if !choices.contains(&view.keep) {
                    choices.push(view.keep);
                    choices.sort_unstable();
                }
                for option in choices {
                    ui.selectable_value(&mut choice, option, keep_label(option));
                }
            })
            .response
            .accessible_name("Backups to keep");
        if choice != view.keep {
            commands.push(Command::SetBackupKeep(choice));
        }
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            if style::secondary_enabled(ui, can_write && view.keep > 0, "Back up now").clicked() {
                commands.push(Command::BackupNow);
            }
        });
    });
    if view.keep == 0 {
        style::warning_text(ui, "Automatic backups are off. The backups below are kept until you delete them.");
    }
    ui.add_space(4.0);
    if let Some(error) = &view.error {
        style::error_text(ui, error);
    } else if view.list.is_empty() {
        ui.label(weak("No backups yet."));
    }
    if !view.list.is_empty() {
        table_scope(ui, "Backups list", view.list.len(), |ui| list(ui, view, now, can_write, commands));
    }
    ui.add_space(2.0);
    ui.label(weak(format!("Folder: {}", backup::backup_dir(vault_path).display())).small());
}

/// The backups as a table: When, Why, Size, and Restore… on each row.
fn list(ui: &mut Ui, view: &BackupsView, now: Timestamp, can_write: bool, commands: &mut Vec<Command>) {
    const TITLES: [&str; 4] = ["When", "Why", "Size", "Actions"];
    let cells = |rect: egui::Rect| {
        let why = (rect.width() - 190.0 - 90.0 - 110.0).max(80.0);
        let mut x = rect.left();
        [190.0, why, 90.0, 110.0].map(|width| {
            let cell = egui::Rect::from_min_size(egui::pos2(x, rect.top()), egui::vec2(width - 8.0, rect.height()));
            x += width;
            cell
        })
    };
    let (header, _) = ui.allocate_exact_size(egui::vec2(ui.available_width(), 22.0), egui::Sense::hover());
    for (i, rect) in cells(header).into_iter().enumerate().take(3) {
        in_header(ui, rect, TITLES[i], |ui| ui.label(egui::RichText::new(TITLES[i]).small().strong()));
    }
    let total = view.list.len();
    for (position, item) in view.list.iter().enumerate() {
        ui.push_id(position, |ui| {
            let (rect, row) = ui.allocate_exact_size(egui::vec2(ui.available_width(), 30.0), egui::Sense::hover());
            if position % 2 == 1 {
                ui.painter().rect_filled(rect, 4.0, ui.visuals().faint_bg_color);
            }
            let when = style::exact(item.created);
            row_node(&row, &when, position, total);
            let [when_cell, why_cell, size_cell, actions_cell] = cells(rect);
            in_cell(ui, row.id, 0, TITLES[0], when_cell, |ui| {
                ui.label(&when).on_hover_text(style::relative(now, item.created));
            });
            in_cell(ui, row.id, 1, TITLES[1], why_cell, |ui| {
                ui.add(egui::Label::new(weak(style::capitalized(item.reason.describe()))).truncate());
            });
            in_cell(ui, row.id, 2, TITLES[2], size_cell, |ui| {
                ui.label(weak(size_label(item.bytes)));
            });
            in_cell(ui, row.id, 3, TITLES[3], actions_cell, |ui| {
                let name = format!("Restore the backup from {when} ({})", item.reason.describe());
                let button = ui.add_enabled(can_write, egui::Button::new("Restore…"));
                if button.on_hover_text(&name).accessible_name(&name).clicked() {
                    commands.push(Command::AskRestoreBackup(item.clone()));
                }
            });
        });
    }
}

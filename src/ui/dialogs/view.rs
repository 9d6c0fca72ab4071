//! The View dialog: the value (decrypted by apply.rs on open, hidden after
//! [`REVEAL_SECONDS`]), copy buttons, details, and earlier versions to restore.

use egui::{Align, Layout, RichText, Ui};

use crate::ui::command::Command;
use crate::ui::session::{REVEAL_SECONDS, ViewState};
use crate::ui::style::{self, weak};
use crate::ui::widgets::dialog_buttons;
use crate::vault::{HISTORY_LIMIT, Timestamp, VersionInfo};

/// The View dialog.
pub(crate) fn show(ui: &mut Ui, view: &ViewState, now: Timestamp, commands: &mut Vec<Command>) {
    let meta = &view.meta;
    ui.label(RichText::new(meta.name.as_str()).size(18.0).strong().monospace());
    if !meta.description.is_empty() {
        ui.label(weak(&meta.description));
    }
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        ui.label(RichText::new("Value").strong());
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| match &view.value {
            Some(_) => {
                if ui.small_button("Hide").accessible_name("Hide value").clicked() {
                    commands.push(Command::HideValue);
                }
                let left = REVEAL_SECONDS - (now.0 - view.revealed_at.0) / 1000;
                ui.label(weak(format!("hides in {left} s")).small());
            }
            None => {
                if ui.small_button("Show").accessible_name("Show value").clicked() {
                    commands.push(Command::RevealAgain);
                }
            }
        });
    });
    egui::Frame::new().fill(ui.visuals().extreme_bg_color).corner_radius(6).inner_margin(egui::Margin::same(10)).show(
        ui,
        |ui| {
            ui.set_width(ui.available_width());
            // Lines as they are, never wrapped (a PEM key wrapped at "/" looks corrupted): the
            // area scrolls sideways instead.
            egui::ScrollArea::both().max_height(180.0).show(ui, |ui| match &view.value {
                Some(value) => {
                    // Read out as it is while it is shown (a label is read by its text); described.
                    let shown = ui.add(
                        egui::Label::new(RichText::new(value.expose()).monospace())
                            .selectable(false)
                            .wrap_mode(egui::TextWrapMode::Extend),
                    );
                    shown.ctx.accesskit_node_builder(shown.id, |node| node.set_description("revealed value"));
                }
                None => {
                    let masked = ui.label(RichText::new("••••••••••••").monospace().weak());
                    crate::ui::a11y::spoken(&masked, "hidden value");
                }
            });
        },
    );
    if let Some(e) = &view.error {
        style::error_text(ui, e);
    }
    ui.horizontal(|ui| {
        if ui.button("🗐 Copy value").accessible_name("Copy value").clicked() {
            commands.push(Command::Copy { id: view.id, as_assignment: false });
        }
        let as_line = format!("Copy as {}=value", meta.name);
        if ui.button(&as_line).accessible_name(&as_line).clicked() {
            commands.push(Command::Copy { id: view.id, as_assignment: true });
        }
        if ui.button("✏ Edit").accessible_name("Edit this secret").clicked() {
            commands.push(Command::OpenEdit(view.id));
        }
    });
    ui.horizontal(|ui| {
        if ui.button("Copy to…").on_hover_text("Copy it to another project or environment").clicked() {
            commands.push(Command::AskCopyMove(view.id, false));
        }
        if ui.button("Move to…").on_hover_text("Move it, with its history, to another project or environment").clicked()
        {
            commands.push(Command::AskCopyMove(view.id, true));
        }
    });
    ui.add_space(4.0);
    egui::Grid::new("view_details").num_columns(2).spacing([16.0, 4.0]).show(ui, |ui| {
        ui.label(weak("Version"));
        ui.label(meta.version.to_string());
        ui.end_row();
        ui.label(weak("Created"));
        ui.label(style::exact(meta.created));
        ui.end_row();
        ui.label(weak("Modified"));
        ui.label(style::exact(meta.modified));
        ui.end_row();
    });
    let older: Vec<&VersionInfo> = view.history.iter().filter(|v| v.replaced.is_some()).collect();
    ui.add_space(6.0);
    ui.label(RichText::new("Earlier versions").strong());
    if older.is_empty() {
        ui.label(weak(format!(
            "None yet. Each change of the value keeps the previous one here (the last {HISTORY_LIMIT})."
        )));
    } else {
        egui::ScrollArea::vertical().id_salt("history").max_height(150.0).show(ui, |ui| {
            // Newest first, as the core lists them.
            for v in &older {
                ui.horizontal(|ui| {
                    ui.label(format!("v{}", v.version));
                    ui.label(weak(format!("set {}", style::relative(now, v.created))))
                        .on_hover_text(style::exact(v.created));
                    ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                        if ui
                            .small_button("Copy")
                            .accessible_name(format!("Copy version {}", v.version))
                            .on_hover_text("Copy this earlier value (cleared like any copy)")
                            .clicked()
                        {
                            commands.push(Command::CopyVersion(view.id, v.version));
                        }
                        if ui
                            .small_button("Restore")
                            .accessible_name(format!("Restore version {}", v.version))
                            .on_hover_text("Make this value current again (as a new version)")
                            .clicked()
                        {
                            commands.push(Command::RestoreVersion(view.id, v.version));
                        }
                    });
                });
            }
        });
    }
    dialog_buttons(ui, |ui| {
        if style::secondary(ui, "Close").clicked() {
            commands.push(Command::CloseDialog);
        }
    });
}

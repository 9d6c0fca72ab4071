//! The import review (the core's plan as a table, with the conflict policy) and the export
//! confirmation (plain text on disk).

use egui::{Align, Color32, Layout, RichText, Ui};

use crate::ui::command::Command;
use crate::ui::session::{ExportConfirm, ImportReview};
use crate::ui::style::{self, weak};
use crate::ui::widgets::{format_label, in_cell, in_header, row_node, secrets_count, table_scope};
use crate::vault::{ConflictPolicy, PlanAction, SkipReason};

fn action_colour(ui: &Ui, action: &PlanAction) -> Color32 {
    let dark = ui.visuals().dark_mode;
    match action {
        PlanAction::Add => {
            if dark {
                Color32::from_rgb(0x4C, 0xC3, 0x7A)
            } else {
                Color32::from_rgb(0x1E, 0x8E, 0x4E)
            }
        }
        PlanAction::Update => style::ACCENT,
        PlanAction::Same => ui.visuals().weak_text_color(),
        PlanAction::Conflict => style::DANGER,
        PlanAction::Skip(_) => {
            if dark {
                Color32::from_rgb(0xE0, 0xA0, 0x40)
            } else {
                Color32::from_rgb(0xA8, 0x65, 0x00)
            }
        }
    }
}

/// The import review.
pub(crate) fn import(ui: &mut Ui, review: &mut ImportReview, commands: &mut Vec<Command>) {
    ui.set_width(680.0);
    let file = review.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    ui.label(RichText::new(format!("Import {file}")).size(18.0).strong());
    ui.label(weak(review.path.display().to_string()).small());
    ui.add_space(4.0);
    let counts = review.plan.counts();
    ui.label(counts.to_string());

    let conflicts = review.plan.items.iter().any(|i| {
        matches!(i.action, PlanAction::Update | PlanAction::Conflict)
            || matches!(i.action, PlanAction::Skip(SkipReason::Conflict))
    });
    if conflicts {
        ui.add_space(4.0);
        ui.label("When a name already exists with a different value:");
        let mut policy = review.plan.policy();
        ui.horizontal(|ui| {
            ui.radio_value(&mut policy, ConflictPolicy::Fail, "Ask me (stop)");
            ui.radio_value(&mut policy, ConflictPolicy::Skip, "Keep the vault's value");
            ui.radio_value(&mut policy, ConflictPolicy::Overwrite, "Replace it (new version)");
        });
        if policy != review.plan.policy() {
            commands.push(Command::SetImportPolicy(policy));
        }
    }

    ui.add_space(6.0);
    plan_table(ui, review);
    if !review.findings.is_empty() {
        ui.add_space(4.0);
        ui.label(RichText::new("Notes about the file").strong().small());
        for finding in &review.findings {
            ui.label(weak(format!("• {finding}")).small());
        }
    }

    let blocked = review.plan.blocked_conflicts().len();
    if blocked > 0 {
        let names = if blocked == 1 { "name exists" } else { "names exist" };
        style::error_text(
            ui,
            &format!("{blocked} {names} with a different value: choose to keep the vault's value or replace it."),
        );
    }
    let writes = counts.add + counts.update;
    ui.add_space(8.0);
    ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
        let label = match writes {
            0 => "Import".to_owned(),
            1 => "Import 1 secret".to_owned(),
            n => format!("Import {n} secrets"),
        };
        if style::primary(ui, writes > 0 && blocked == 0, &label).accessible_name("Import").clicked() {
            commands.push(Command::ConfirmImport);
        }
        if style::secondary(ui, "Cancel").clicked() {
            commands.push(Command::CloseDialog);
        }
        if writes == 0 && blocked == 0 {
            ui.label(weak("Nothing to change.").small());
        }
    });
}

/// The export confirmation.
pub(crate) fn export(ui: &mut Ui, confirm: &mut ExportConfirm, commands: &mut Vec<Command>) {
    let what = secrets_count(confirm.count);
    ui.label(RichText::new(format!("Export {what} in plain text?")).size(18.0).strong());
    ui.add_space(4.0);
    ui.label(RichText::new(confirm.path.display().to_string()).monospace());
    ui.add_space(4.0);
    ui.label(format!(
        "The {} file holds every value unencrypted: anyone who can read it can use your secrets. It is \
         created readable only by you. Delete it when you no longer need it.",
        format_label(Some(confirm.format))
    ));
    if confirm.exists {
        ui.add_space(4.0);
        style::warning_text(ui, "A file with this name already exists.");
        ui.checkbox(&mut confirm.overwrite, "Replace it");
    }
    ui.add_space(8.0);
    ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
        let ready = !confirm.exists || confirm.overwrite;
        if style::primary(ui, ready, "Export").clicked() {
            commands.push(Command::ConfirmExport);
        }
        if style::secondary(ui, "Cancel").clicked() {
            commands.push(Command::CloseDialog);
        }
    });
}

/// The plan as a table for screen readers: one row per entry (named by its key), cells Action,
/// Name, Line and Details (wrapped, so rows grow as needed).
fn plan_table(ui: &mut Ui, review: &ImportReview) {
    const TITLES: [&str; 4] = ["Action", "Name", "Line", "Details"];
    const WIDTHS: [f32; 3] = [70.0, 220.0, 40.0];
    let total = review.plan.items.len();
    table_scope(ui, "Import plan", total, |ui| {
        ui.horizontal(|ui| {
            for (i, title) in TITLES.iter().enumerate() {
                let width = WIDTHS.get(i).copied().unwrap_or_else(|| ui.available_width());
                let (rect, _) = ui.allocate_exact_size(egui::vec2(width, 18.0), egui::Sense::hover());
                in_header(ui, rect, title, |ui| ui.label(RichText::new(*title).strong().small()));
            }
        });
        ui.separator();
        egui::ScrollArea::vertical().max_height(260.0).auto_shrink([false, true]).show(ui, |ui| {
            for (position, item) in review.plan.items.iter().enumerate() {
                let colour = action_colour(ui, &item.action);
                let mut details: Vec<String> = item.reason().into_iter().collect();
                details.extend(item.warnings.iter().map(ToString::to_string));
                let key = item.shown_key();
                let row_id = ui.scope_id().with(("plan row", position));
                let texts = [
                    RichText::new(item.action.label()).color(colour).strong(),
                    RichText::new(key.as_str()).monospace(),
                    RichText::new(item.line.map(|l| l.to_string()).unwrap_or_default()).weak(),
                ];
                let laid_out = ui.horizontal(|ui| {
                    for (i, text) in texts.into_iter().enumerate() {
                        let (rect, _) = ui.allocate_exact_size(egui::vec2(WIDTHS[i], 18.0), egui::Sense::hover());
                        in_cell(ui, row_id, i, TITLES[i], rect, |ui| ui.add(egui::Label::new(text).truncate()));
                    }
                    ui.scope_builder(egui::UiBuilder::new().accessibility_parent(row_id), |ui| {
                        ui.ctx().accesskit_node_builder(ui.unique_id(), |node| {
                            node.set_role(egui::accesskit::Role::Cell);
                            node.set_column_index(3);
                            node.set_description(TITLES[3]);
                        });
                        ui.add(egui::Label::new(RichText::new(details.join("; ")).small()).wrap());
                    });
                });
                let row = ui.interact(laid_out.response.rect, row_id, egui::Sense::hover());
                row_node(&row, &key, position, total);
            }
            if review.plan.items.is_empty() {
                ui.label(weak("The file holds no entries."));
            }
        });
    });
}

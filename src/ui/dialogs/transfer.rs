//! The import review (the core's plan as a table, with the conflict policy) and the export
//! confirmation (plain text on disk).

use egui::{Color32, RichText, Ui};

use crate::interchange::Finding;
use crate::ui::command::Command;
use crate::ui::session::{ExportConfirm, ImportReview, SectionsReview};
use crate::ui::style::{self, weak};
use crate::ui::vocabulary::place_text;
use crate::ui::widgets::{
    dialog_body, dialog_buttons, dialog_title, format_label, in_cell, in_header, inner_scroll_height, row_node,
    secrets_count, table_scope,
};
use crate::vault::{ConflictPolicy, Place, PlaceLabel, PlanAction, SkipReason};

/// The choices for a name that exists with a different value, as the import review offers them.
const KEEP: &str = "Keep the vault's value";
const REPLACE: &str = "Replace it (new version)";

/// The conflict policy's choices, in a row.
fn policy_choices(ui: &mut Ui, policy: &mut ConflictPolicy) {
    ui.label("When a name already exists with a different value:");
    ui.horizontal_wrapped(|ui| {
        ui.radio_value(policy, ConflictPolicy::Fail, "Ask me (stop)");
        ui.radio_value(policy, ConflictPolicy::Skip, KEEP);
        ui.radio_value(policy, ConflictPolicy::Overwrite, REPLACE);
    });
}

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
    dialog_title(ui, &format!("Import {file}"));
    let counts = review.plan.counts();
    let blocked = review.plan.blocked_conflicts().len();
    dialog_body(ui, |ui| {
        ui.label(weak(review.path.display().to_string()).small());
        if !review.into.is_empty() {
            ui.label(format!("Into {}", review.into));
        }
        ui.add_space(4.0);
        ui.label(counts.to_string());

        let conflicts = review.plan.items.iter().any(|i| {
            matches!(i.action, PlanAction::Update | PlanAction::Conflict)
                || matches!(i.action, PlanAction::Skip(SkipReason::Conflict))
        });
        if conflicts {
            ui.add_space(4.0);
            let mut policy = review.plan.policy();
            policy_choices(ui, &mut policy);
            if policy != review.plan.policy() {
                commands.push(Command::SetImportPolicy(policy));
            }
        }

        ui.add_space(6.0);
        plan_table(ui, review);
        // A TOML file with [sections] (Streamlit's secrets.toml): each can go to an environment.
        let has_sections = review
            .plan
            .items
            .iter()
            .any(|i| matches!(&i.action, PlanAction::Skip(SkipReason::Nested { kind, .. }) if *kind == "a table"));
        let is_toml = review.path.extension().is_some_and(|e| e.eq_ignore_ascii_case("toml"));
        if has_sections && is_toml {
            ui.add_space(4.0);
            if ui
                .button("Import each [section] into an environment…")
                .on_hover_text("Streamlit's secrets.toml: [production] into this project's production, and so on")
                .clicked()
            {
                commands.push(Command::PlanSections(review.path.clone()));
            }
        }
        findings(ui, &review.findings);
        if blocked > 0 {
            let names = if blocked == 1 { "name exists" } else { "names exist" };
            style::error_text(
                ui,
                &format!("{blocked} {names} with a different value: choose “{KEEP}” or “{REPLACE}” above."),
            );
        }
    });
    let writes = counts.add + counts.update;
    dialog_buttons(ui, |ui| {
        let label = match writes {
            0 => "Import".to_owned(),
            n => format!("Import {}", secrets_count(n)),
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

/// What the file holds that the plan's rows do not say: first the warnings (a name that changes
/// how programs run), each on its own line, then the notes.
fn findings(ui: &mut Ui, findings: &[Finding]) {
    let (warnings, notes): (Vec<&Finding>, Vec<&Finding>) = findings.iter().partition(|f| f.is_warning());
    if !warnings.is_empty() {
        ui.add_space(4.0);
        for warning in warnings {
            style::warning_text(ui, &warning.to_string());
        }
    }
    if !notes.is_empty() {
        ui.add_space(4.0);
        ui.label(RichText::new("Notes about the file").strong().small());
        for finding in notes {
            ui.label(weak(format!("• {finding}")).small());
        }
    }
}

/// The export confirmation.
pub(crate) fn export(ui: &mut Ui, confirm: &mut ExportConfirm, commands: &mut Vec<Command>) {
    let what = secrets_count(confirm.count);
    dialog_title(ui, &format!("Export {what} in plain text?"));
    dialog_body(ui, |ui| {
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
    });
    let ready = !confirm.exists || confirm.overwrite;
    dialog_buttons(ui, |ui| {
        if style::primary(ui, ready, "Export").clicked() {
            commands.push(Command::ConfirmExport);
        }
        if style::secondary(ui, "Cancel").clicked() {
            commands.push(Command::CloseDialog);
        }
    });
}

/// The plan as a table for screen readers: one row per entry (named by its key), cells Action,
/// Name, Line and Details (cut to the row; the whole text on hover).
fn plan_table(ui: &mut Ui, review: &ImportReview) {
    const TITLES: [&str; 4] = ["Action", "Name", "Line", "Details"];
    const ROW_HEIGHT: f32 = 22.0;
    // The four cells of a row or of the header, left to right: Details takes what is left.
    let cells = |rect: egui::Rect| {
        let details = (rect.width() - 70.0 - 220.0 - 44.0).max(80.0);
        let mut x = rect.left();
        [70.0, 220.0, 44.0, details].map(|width| {
            let cell = egui::Rect::from_min_size(egui::pos2(x, rect.top()), egui::vec2(width - 6.0, rect.height()));
            x += width;
            cell
        })
    };
    let total = review.plan.items.len();
    table_scope(ui, "Import plan", total, |ui| {
        let (header, _) = ui.allocate_exact_size(egui::vec2(ui.available_width(), 18.0), egui::Sense::hover());
        for (i, rect) in cells(header).into_iter().enumerate() {
            in_header(ui, rect, TITLES[i], |ui| ui.label(RichText::new(TITLES[i]).strong().small()));
        }
        ui.separator();
        let height = inner_scroll_height(ui, 260.0);
        egui::ScrollArea::vertical().id_salt("plan rows").max_height(height).auto_shrink([false, true]).show(
            ui,
            |ui| {
                for (position, item) in review.plan.items.iter().enumerate() {
                    let colour = action_colour(ui, &item.action);
                    // The conflict's advice names the choices offered above (the core's, written for
                    // the command line, names its flag's values).
                    let reason = match item.action {
                        PlanAction::Conflict => {
                            Some(format!("exists with a different value; choose “{KEEP}” or “{REPLACE}” above"))
                        }
                        _ => item.reason(),
                    };
                    let mut details: Vec<String> = reason.into_iter().collect();
                    details.extend(item.warnings.iter().map(ToString::to_string));
                    let details = details.join("; ");
                    let key = item.shown_key();
                    ui.push_id(position, |ui| {
                        let (rect, row) =
                            ui.allocate_exact_size(egui::vec2(ui.available_width(), ROW_HEIGHT), egui::Sense::hover());
                        row_node(&row, &key, position, total);
                        let [action, name, line, more] = cells(rect);
                        in_cell(ui, row.id, 0, TITLES[0], action, |ui| {
                            ui.label(RichText::new(item.action.label()).color(colour).strong());
                        });
                        in_cell(ui, row.id, 1, TITLES[1], name, |ui| {
                            ui.add(egui::Label::new(RichText::new(key.as_str()).monospace()).truncate());
                        });
                        in_cell(ui, row.id, 2, TITLES[2], line, |ui| {
                            ui.label(RichText::new(item.line.map(|l| l.to_string()).unwrap_or_default()).weak());
                        });
                        in_cell(ui, row.id, 3, TITLES[3], more, |ui| {
                            // A cut text shows in full on hover (egui's own tooltip: one, not two).
                            ui.add(egui::Label::new(RichText::new(details.as_str()).small()).truncate());
                        });
                    });
                }
                if review.plan.items.is_empty() {
                    ui.label(weak("The file holds no entries."));
                }
            },
        );
    });
}

/// A TOML file by section: where each goes (changeable), its plan's counts there, and one
/// Import for all of them (one transaction).
pub(crate) fn sections(
    ui: &mut Ui,
    review: &mut SectionsReview,
    places: &[(Place, PlaceLabel)],
    commands: &mut Vec<Command>,
) {
    ui.set_width(680.0);
    let file = review.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    dialog_title(ui, &format!("Import {file} by section"));
    let mut writes = 0;
    let mut blocked = 0;
    dialog_body(ui, |ui| {
        ui.label(weak("The top-level keys go to the place shown; each [section] to an environment of its name."));
        ui.add_space(6.0);
        let mut conflicts = false;
        for (index, section) in review.sections.iter().enumerate() {
            let title = match &section.name {
                Some(name) => format!("[{name}]"),
                None => "Top-level keys".to_owned(),
            };
            ui.horizontal(|ui| {
                ui.label(RichText::new(&title).monospace().strong());
                match (&section.plan, section.place) {
                    (Some(prepared), Some(_)) => {
                        let counts = prepared.plan.counts();
                        ui.label(format!("into {}: {counts}", section.label));
                        conflicts |= prepared
                            .plan
                            .items
                            .iter()
                            .any(|i| matches!(i.action, PlanAction::Update | PlanAction::Conflict));
                        writes += counts.add + counts.update;
                        blocked += prepared.plan.blocked_conflicts().len();
                    }
                    _ => {
                        let skipped =
                            ui.label(RichText::new("skipped: choose where").color(ui.visuals().warn_fg_color));
                        crate::ui::a11y::spoken(&skipped, "skipped: choose where it goes");
                    }
                }
            });
            if let (Some(prepared), Some(_)) = (&section.plan, section.place) {
                for warning in prepared.findings.iter().filter(|f| f.is_warning()) {
                    style::warning_text(ui, &format!("{title}: {warning}"));
                }
            }
            let header = egui::CollapsingHeader::new(format!("Where {title} goes")).id_salt(("section place", index));
            header.show(ui, |ui| {
                if ui.add(egui::Button::selectable(section.place.is_none(), "Skip this section")).clicked() {
                    commands.push(Command::MapSection(index, None));
                }
                for (place, label) in places {
                    let chosen = section.place == Some(*place);
                    if ui.add(egui::Button::selectable(chosen, place_text(label))).clicked() {
                        commands.push(Command::MapSection(index, Some(*place)));
                    }
                }
            });
        }
        if conflicts {
            ui.add_space(4.0);
            let mut policy = review.policy;
            policy_choices(ui, &mut policy);
            if policy != review.policy {
                commands.push(Command::SetSectionsPolicy(policy));
            }
        }
        if let Some(error) = &review.error {
            style::error_text(ui, error);
        }
        if blocked > 0 {
            let names = if blocked == 1 { "name exists" } else { "names exist" };
            style::error_text(
                ui,
                &format!("{blocked} {names} with a different value: choose “{KEEP}” or “{REPLACE}” above."),
            );
        }
    });
    dialog_buttons(ui, |ui| {
        let ready = writes > 0 && blocked == 0 && review.error.is_none();
        if style::primary(ui, ready, &format!("Import {}", secrets_count(writes))).accessible_name("Import").clicked() {
            commands.push(Command::ConfirmSections);
        }
        if style::secondary(ui, "Cancel").clicked() {
            commands.push(Command::CloseDialog);
        }
    });
}

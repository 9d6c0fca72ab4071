//! Projects and environments in the window: the projects in the sidebar, the bar over the
//! Secrets page (the project, its tabs — Shared, each environment, Compare — and its actions),
//! and the Compare view. Views only: they read the session and push commands.

use egui::{RichText, Ui};

use super::command::Command;
use super::session::{CompareView, Session};
use super::style::{self, weak};
use super::vocabulary::{SHARED_TAB, SHARED_TAB_NAME, count};
use super::widgets::{in_cell, in_header, row_node, table_scope};
use crate::vault::{Origin, Place, ProjectInfo};

/// The projects, for the sidebar: each with its count of secrets, then "New project". `compact`:
/// initials only (names in tooltips and for screen readers).
pub(crate) fn sidebar_projects(ui: &mut Ui, session: &Session, width: f32, compact: bool, commands: &mut Vec<Command>) {
    let short = if compact {
        initials(&session.projects.iter().map(|p| p.name.as_str()).collect::<Vec<_>>())
    } else {
        Vec::new()
    };
    for (at, project) in session.projects.iter().enumerate() {
        let current = session.place.project == project.id && session.page == super::session::Page::Secrets;
        let spoken = format!("{}, {}", project.name, count(project.total_secrets(), "secret"));
        let response = if compact {
            let button = egui::Button::selectable(current, RichText::new(&short[at]).strong())
                .min_size(egui::vec2(width - 8.0, 30.0));
            ui.add(button).accessible_name(&spoken).on_hover_text(project.name.as_str())
        } else {
            let button =
                egui::Button::selectable(current, project_label(project, width)).min_size(egui::vec2(width, 26.0));
            ui.add(button).accessible_name(&spoken)
        };
        // Highlighted: the one selected entry of the sidebar (Secrets above it is not).
        response.ctx.accesskit_node_builder(response.id, |node| {
            node.set_selected(current);
            if current {
                node.set_description("current project");
            }
        });
        if response.clicked() {
            commands.push(Command::GoTo(Place::shared(project.id)));
        }
    }
    let add = if compact {
        ui.add(egui::Button::new("+").min_size(egui::vec2(width - 8.0, 28.0)))
            .accessible_name("New project")
            .on_hover_text("New project")
    } else {
        ui.add(egui::Button::new(weak("+ New project")).frame_when_inactive(false).min_size(egui::vec2(width, 24.0)))
            .accessible_name("New project")
    };
    if add.clicked() {
        commands.push(Command::AskNewProject);
    }
}

/// A project's button text: its name, and its count at the right.
fn project_label(project: &ProjectInfo, width: f32) -> egui::text::LayoutJob {
    let mut job = egui::text::LayoutJob::default();
    let name: String = {
        let name = project.name.as_str();
        // Long names are cut to fit beside the count.
        let max = ((width - 50.0) / 7.5) as usize;
        if name.chars().count() > max {
            name.chars().take(max.saturating_sub(1)).chain(['…']).collect()
        } else {
            name.into()
        }
    };
    // PLACEHOLDER: the button's own text colour (readable selected or not).
    let format = |size: f32| egui::TextFormat {
        font_id: egui::FontId::proportional(size),
        color: egui::Color32::PLACEHOLDER,
        ..Default::default()
    };
    job.append(&name, 0.0, format(14.0));
    job.append(&project.total_secrets().to_string(), 8.0, format(12.0));
    job
}

/// The bar over the Secrets page: the project's name and actions, and its tabs. `titled`: the
/// bar is the page's first row (a short window), so the project's name is the page's heading for
/// a screen reader.
pub(crate) fn place_bar(ui: &mut Ui, session: &Session, titled: bool, commands: &mut Vec<Command>) {
    let Some(project) = session.project() else { return };
    let comparing = session.compare.is_some();
    ui.horizontal_wrapped(|ui| {
        let name = ui.label(RichText::new(project.name.as_str()).strong().size(15.0));
        if titled {
            super::a11y::spoken(&name, &format!("Environment Secrets, project {}", project.name));
            super::a11y::heading(&name, 1);
        } else {
            super::a11y::spoken(&name, &format!("Project {}", project.name));
        }
        ui.menu_button("…", |ui| {
            if ui.button("New environment…").clicked() {
                commands.push(Command::AskNewEnvironment(project.id));
            }
            if ui.button("Rename project…").clicked() {
                commands.push(Command::AskRenamePlace(project.id));
            }
            if let Some(env) = session.place.env.filter(|_| !comparing)
                && let Some(info) = project.environments.iter().find(|e| e.id == env)
            {
                if ui.button(format!("Rename environment {}…", info.name)).clicked() {
                    commands.push(Command::AskRenamePlace(env));
                }
                let at = project.environments.iter().position(|e| e.id == env).unwrap_or(0);
                if at > 0 && ui.button(format!("Move {} left", info.name)).clicked() {
                    commands.push(Command::MoveEnvironment(env, -1));
                }
                if at + 1 < project.environments.len() && ui.button(format!("Move {} right", info.name)).clicked() {
                    commands.push(Command::MoveEnvironment(env, 1));
                }
                if ui.button(format!("Delete environment {}…", info.name)).clicked() {
                    commands.push(Command::AskDeletePlace(env));
                }
            }
            if !project.is_default && ui.button("Delete project…").clicked() {
                commands.push(Command::AskDeletePlace(project.id));
            }
        })
        .response
        .accessible_name("Project actions")
        .on_hover_text("Project actions");
        ui.add_space(8.0);
        let tab = |ui: &mut Ui, current: bool, text: &str, hint: &str| {
            let hint = format!("{hint} (Ctrl+PageDown / Ctrl+PageUp: next or previous tab)");
            let response = ui.add(egui::Button::selectable(current, text)).on_hover_text(hint);
            if current {
                response.ctx.accesskit_node_builder(response.id, |node| node.set_description("current tab"));
            }
            response
        };
        let shared_hint = format!("Shared by every environment of {}", project.name);
        let shared = tab(ui, session.place.env.is_none() && !comparing, SHARED_TAB, &shared_hint)
            .accessible_name(SHARED_TAB_NAME);
        if shared.clicked() {
            commands.push(Command::GoTo(Place::shared(project.id)));
        }
        for env in &project.environments {
            let place = Place { project: project.id, env: Some(env.id) };
            let current = session.place == place && !comparing;
            let hint = format!("{} of its own, and the shared ones", count(env.secrets, "secret"));
            if tab(ui, current, env.name.as_str(), &hint).clicked() {
                commands.push(Command::GoTo(place));
            }
        }
        if project.environments.len() >= 2
            && tab(ui, comparing, "Compare", "Which names each environment has, and which values differ").clicked()
        {
            commands.push(Command::ShowCompare);
        }
    });
}

/// Short labels for the projects in the icon-only sidebar, one per name and all different: the
/// initials of each name's words (`shop` S, `shop-admin` SA, `Shopify integration` SI); where
/// two would be the same, the first two letters (`Sh`, `Sp`); where those are too, a number.
pub(crate) fn initials(names: &[&str]) -> Vec<String> {
    let words = |name: &str| -> Vec<String> {
        name.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_owned).collect()
    };
    let first = |w: &str| w.chars().next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
    let mut short: Vec<String> = names
        .iter()
        .map(|name| {
            let words = words(name);
            let initials: String = words.iter().take(2).map(|w| first(w)).collect();
            if initials.is_empty() { name.chars().take(1).collect() } else { initials }
        })
        .collect();
    let clashes = |short: &[String], i: usize| short.iter().enumerate().any(|(j, s)| j != i && *s == short[i]);
    let clashing: Vec<usize> = (0..short.len()).filter(|&i| clashes(&short, i)).collect();
    for &i in &clashing {
        let letters: Vec<char> = names[i].chars().filter(|c| c.is_alphanumeric()).collect();
        if let [a, b, ..] = letters.as_slice() {
            short[i] = format!("{}{}", a.to_uppercase(), b.to_lowercase());
        }
    }
    let clashing: Vec<usize> = (0..short.len()).filter(|&i| clashes(&short, i)).collect();
    let mut seen = std::collections::HashMap::new();
    for i in clashing {
        let n = seen.entry(short[i].clone()).or_insert(0);
        *n += 1;
        short[i] = format!("{}{n}", short[i].chars().next().unwrap_or('?'));
    }
    short
}

const ROW: f32 = 30.0;
/// The narrowest an environment's column of the Compare view gets: room for "missing" and its
/// "Copy…" button. Narrower windows scroll the columns sideways instead.
const COMPARE_CELL_MIN: f32 = 120.0;
const COMPARE_NAME_MIN: f32 = 150.0;

/// The Compare view: names × environments, each cell present (with its value's group) or
/// missing, with "Copy…" to fill a gap (it asks first). No value is shown or kept.
pub(crate) fn compare(ui: &mut Ui, view: &CompareView, commands: &mut Vec<Command>) {
    if let Some(error) = &view.error {
        style::error_text(ui, &format!("The environments could not be compared: {error}"));
        return;
    }
    let differing = view.rows.iter().filter(|r| !r.all_same()).count();
    ui.label(weak(format!(
        "{}; {differing} missing somewhere or with different values. Values are compared, never shown: equal \
         letters in a row mean equal values.",
        count(view.rows.len(), "name")
    )));
    ui.add_space(6.0);
    if view.rows.is_empty() {
        ui.label(weak("No secrets in these environments yet."));
        return;
    }
    let columns = view.envs.len() as f32;
    let available = ui.available_width();
    // The Name column gives up room before the environments' columns get too narrow.
    let mut name_width = (available * 0.3).clamp(COMPARE_NAME_MIN, 300.0);
    let mut cell_width = (available - name_width) / columns;
    if cell_width < COMPARE_CELL_MIN {
        cell_width = ((available - COMPARE_NAME_MIN) / columns).max(COMPARE_CELL_MIN);
        name_width = (available - cell_width * columns).max(COMPARE_NAME_MIN);
    }
    let total = name_width + cell_width * columns;
    // Sideways only when the columns do not fit (many environments in a narrow window).
    egui::ScrollArea::horizontal().id_salt("compare columns").auto_shrink([false, true]).show(ui, |ui| {
        ui.set_min_width(total);
        compare_table(ui, view, name_width, cell_width, commands);
    });
}

fn compare_table(ui: &mut Ui, view: &CompareView, name_width: f32, cell_width: f32, commands: &mut Vec<Command>) {
    let left = ui.cursor().left();
    let cell = |row: egui::Rect, i: usize| {
        let x = if i == 0 { left } else { left + name_width + (i - 1) as f32 * cell_width };
        let w = if i == 0 { name_width } else { cell_width };
        egui::Rect::from_min_size(egui::pos2(x + 4.0, row.min.y), egui::vec2(w - 10.0, row.height()))
    };
    let width = name_width + cell_width * view.envs.len() as f32;
    table_scope(ui, "Compare environments", view.rows.len(), |ui| {
        let (header, _) = ui.allocate_exact_size(egui::vec2(width, 24.0), egui::Sense::hover());
        in_header(ui, cell(header, 0), "Name", |ui| ui.label(RichText::new("Name").strong().small()));
        for (i, (_, env)) in view.envs.iter().enumerate() {
            in_header(ui, cell(header, i + 1), env.as_str(), |ui| {
                ui.add(egui::Label::new(RichText::new(env.as_str()).strong().small()).truncate())
            });
        }
        ui.add(egui::Separator::default().spacing(2.0));
        ui.spacing_mut().item_spacing.y = 2.0;
        let total = view.rows.len();
        egui::ScrollArea::vertical().id_salt("compare rows").auto_shrink(false).show_rows(
            ui,
            ROW,
            total,
            |ui, range| {
                for position in range {
                    let row = &view.rows[position];
                    ui.push_id(position, |ui| {
                        let (rect, _) = ui.allocate_exact_size(egui::vec2(width, ROW), egui::Sense::hover());
                        let response =
                            ui.interact(rect, ui.make_persistent_id("compare row").with("row"), egui::Sense::hover());
                        row_node(&response, row.name.as_str(), position, total);
                        if !row.all_same() {
                            ui.painter().rect_filled(rect, 4.0, ui.visuals().faint_bg_color);
                        }
                        in_cell(ui, response.id, 0, "Name", cell(rect, 0), |ui| {
                            ui.add(egui::Label::new(RichText::new(row.name.as_str()).monospace().strong()).truncate());
                        });
                        // A present cell's source, for "Copy…" in the others.
                        let sources: Vec<(usize, crate::vault::SecretId)> =
                            row.cells.iter().enumerate().filter_map(|(i, c)| c.as_ref().map(|c| (i, c.id))).collect();
                        for (i, (place, env)) in view.envs.iter().enumerate() {
                            in_cell(ui, response.id, i + 1, env.as_str(), cell(rect, i + 1), |ui| {
                                match &row.cells[i] {
                                    Some(c) => present_cell(ui, row, c),
                                    None => {
                                        ui.spacing_mut().item_spacing.x = 6.0;
                                        let missing =
                                            ui.label(RichText::new("missing").color(ui.visuals().warn_fg_color));
                                        super::a11y::spoken(&missing, "missing");
                                        copy_here(
                                            ui,
                                            row.name.as_str(),
                                            env.as_str(),
                                            *place,
                                            &sources,
                                            view,
                                            commands,
                                        );
                                    }
                                }
                            });
                        }
                    });
                }
            },
        );
    });
}

/// A cell whose environment has the name: "✔ same", or which value it has ("• value B"); a
/// shared value is muted, and said to be shared.
fn present_cell(ui: &mut Ui, row: &crate::vault::ComparedName, c: &crate::vault::ComparedCell) {
    let distinct = row.cells.iter().flatten().map(|c| c.group).max().unwrap_or(0) + 1;
    let letter = (b'A' + (c.group as u8 % 26)) as char;
    let shared = c.origin == Origin::Inherited;
    let text = if distinct == 1 && row.all_same() { "✔ same".to_owned() } else { format!("• value {letter}") };
    let mut shown = RichText::new(&text);
    if shared {
        shown = shown.weak();
    }
    let label = ui.label(shown);
    let spoken = match (distinct, shared) {
        (1, true) if row.all_same() => "same value, shared".to_owned(),
        (1, _) if row.all_same() => "same value".to_owned(),
        (_, true) => format!("value {letter}, shared"),
        _ => format!("value {letter}"),
    };
    super::a11y::spoken(&label, &spoken);
    if shared {
        label.on_hover_text("The shared value (this environment has none of its own)");
    }
}

/// "Copy…" in a missing cell: from the one environment that has the name, or a menu of them.
/// It asks before copying, and says what the copy does.
fn copy_here(
    ui: &mut Ui,
    name: &str,
    env: &str,
    to: Place,
    sources: &[(usize, crate::vault::SecretId)],
    view: &CompareView,
    commands: &mut Vec<Command>,
) {
    let spoken = format!("Copy {name} to {env}");
    match sources {
        [(from, id)] => {
            let hint = format!("Copy the value {} has into {env}", view.envs[*from].1);
            if ui.small_button("Copy…").on_hover_text(hint).accessible_name(&spoken).clicked() {
                commands.push(Command::AskCopyInto { id: *id, to });
            }
        }
        many => {
            ui.menu_button(RichText::new("Copy… ⏷").small(), |ui| {
                for (from, id) in many {
                    if ui.button(format!("from {}", view.envs[*from].1)).clicked() {
                        commands.push(Command::AskCopyInto { id: *id, to });
                    }
                }
            })
            .response
            .accessible_name(&spoken);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::initials;

    #[test]
    fn every_project_gets_distinct_initials() {
        assert_eq!(
            initials(&["Personal", "shop", "shop-admin", "Shopify integration", "ml"]),
            ["P", "S", "SA", "SI", "M"]
        );
        assert_eq!(initials(&["shop", "spam"]), ["Sh", "Sp"]);
        let twins = initials(&["shop", "Shop!", "ml"]);
        assert_ne!(twins[0], twins[1]);
        assert_eq!(twins[2], "M");
        assert_eq!(initials(&["développement", "日本"]), ["D", "日"]);
    }
}

//! The Secrets page: title, create button, search, and the virtualised table of secrets (names
//! and descriptions only; values are never listed).

use egui::{Align, Key, Layout, Modifiers, RichText, Ui};

use super::command::{Command, SHORTCUT_CREATE};
use super::session::{Session, SortKey};
use super::style::{self, ROW_HEIGHT, weak};
use super::widgets::{in_cell, in_header, row_node, table_scope};
use crate::vault::Timestamp;

/// Column layout shared by the header and every row, so they line up.
struct Columns {
    x: [f32; 7],
    widths: [f32; 7],
}

impl Columns {
    /// Below this width the Value column (always `••••••••`) gives its room to the others.
    const WIDE: f32 = 1100.0;
    /// Below this width the Version column goes too (View shows it).
    const NARROW: f32 = 700.0;
    /// The Name column: room for 30 characters whenever the window allows it, and for the
    /// longest name when the window is wide enough (up to two thirds of what Name and
    /// Description share); the description takes the rest.
    const NAME_MIN: f32 = 150.0;
    const NAME_FULL: f32 = 262.0;
    const NAME_SHARE: f32 = 0.65;
    const DESCRIPTION_MIN: f32 = 110.0;

    /// `longest`: the width the longest name (with its tag) needs.
    fn new(left: f32, width: f32, longest: f32) -> Self {
        let value = if width < Self::WIDE { 0.0 } else { 90.0 };
        let version = if width < Self::NARROW { 0.0 } else { 64.0 };
        let fixed = [30.0, 0.0, 0.0, value, version, 104.0, 136.0];
        let flexible = (width - fixed.iter().sum::<f32>()).max(Self::NAME_MIN + 60.0);
        let room = flexible - Self::DESCRIPTION_MIN;
        // 30 characters first; more, for a longer name, up to the share.
        let name =
            longest.min(room.min(flexible * Self::NAME_SHARE)).max(Self::NAME_FULL.min(room)).max(Self::NAME_MIN);
        let widths = [fixed[0], name, flexible - name, fixed[3], fixed[4], fixed[5], fixed[6]];
        let mut x = [left; 7];
        for i in 1..7 {
            x[i] = x[i - 1] + widths[i - 1];
        }
        Columns { x, widths }
    }

    fn shows(&self, i: usize) -> bool {
        self.widths[i] > 0.0
    }

    fn cell(&self, row: egui::Rect, i: usize) -> egui::Rect {
        egui::Rect::from_min_size(
            egui::pos2(self.x[i] + 4.0, row.min.y),
            egui::vec2(self.widths[i] - 12.0, row.height()),
        )
    }
}

/// Below this window height the note is not shown (the rows need the room).
const NOTE_MIN_HEIGHT: f32 = 560.0;

/// Whether the window is too short for the Secrets page's title row: the project bar then
/// carries the Create button, and the page's heading is said (not shown) there.
pub(crate) fn tight(ui: &Ui) -> bool {
    ui.ctx().content_rect().height() < NOTE_MIN_HEIGHT
}

/// The Secrets page's title row, with Create (not in a short window). Then come the project bar
/// and either Compare or [`page`] (shell.rs puts them together).
pub(crate) fn title(ui: &mut Ui, session: &Session, commands: &mut Vec<Command>) {
    if tight(ui) {
        return;
    }
    let create = session.list.len() > 0 && session.compare.is_none();
    ui.horizontal(|ui| {
        let title = ui.heading(RichText::new("Environment Secrets").strong());
        super::a11y::heading(&title, 1);
        if create {
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                create_button(ui, "Create Environment Secret", commands)
            });
        }
    });
}

/// The Secrets page below the project bar: the note, the search and the table. `show_note`: the
/// user has not dismissed the page's note.
pub(crate) fn page(ui: &mut Ui, session: &mut Session, show_note: bool, now: Timestamp, commands: &mut Vec<Command>) {
    let empty = session.list.len() == 0;
    let tight = tight(ui);
    if show_note && !empty && ui.ctx().content_rect().height() >= NOTE_MIN_HEIGHT {
        style::note(ui).show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal_top(|ui| {
                let text_width = ui.available_width() - 80.0;
                ui.scope(|ui| {
                    ui.set_max_width(text_width);
                    ui.add(
                        egui::Label::new(
                            RichText::new(
                                "ℹ Programs read these keys and tokens from environment variables: copy one when you \
                                 need it, or hand them to a program with tresor run. Secrets do not expire; if one \
                                 is compromised, rotate it (Edit, new value) or delete it. Do not share secrets.",
                            )
                            .small(),
                        )
                        .wrap(),
                    );
                });
                ui.with_layout(Layout::right_to_left(Align::Min), |ui| {
                    if ui.button("Got it").accessible_name("Dismiss the note").clicked() {
                        commands.push(Command::DismissNote);
                    }
                });
            });
        });
    }
    if session.vault.as_ref().is_some_and(|v| v.is_salvage()) {
        style::error_text(
            ui,
            "Read-only: this vault failed its integrity check. Copy out what you need; nothing can be changed. \
             To repair it, lock it and restore the latest backup on the lock screen.",
        );
    }
    for damage in &session.list.damaged {
        style::error_text(ui, &format!("A record could not be read and is not shown: {damage}"));
    }
    ui.add_space(6.0);
    if empty {
        let here = session.label_of(&session.place);
        let focus = std::mem::take(&mut session.focus_search);
        empty_state(ui, here.as_ref(), focus, commands);
        return;
    }

    ui.horizontal(|ui| {
        // As tall as the selection's buttons, so that ticking a row does not move the table.
        ui.set_min_height(30.0);
        // Focused before the field is drawn, so that it takes the keys typed in the same frame
        // as Ctrl+F (typed without a pause, they would otherwise be lost). Also right after
        // unlocking: typing searches at once.
        let search_id = search_id();
        if session.focus_search {
            ui.memory_mut(|m| m.request_focus(search_id));
            session.focus_search = false;
        }
        let search = ui
            .add(
                egui::TextEdit::singleline(&mut session.list.query)
                    .id(search_id)
                    .hint_text("🔍 Search secrets")
                    .desired_width(300.0),
            )
            .accessible_name("Search secrets");
        // Esc in the search clears it (egui takes the focus away on Esc; it is given back).
        if search.lost_focus() && ui.input(|i| i.key_pressed(Key::Escape)) && !session.list.query.is_empty() {
            session.list.query.clear();
            search.request_focus();
        }
        // ↓ in the search goes into the table, to its highlighted row.
        if search.has_focus() && ui.input_mut(|i| i.consume_key(Modifiers::NONE, Key::ArrowDown)) {
            let indices = session.list.view().to_vec();
            let shown: Vec<crate::vault::SecretId> = indices.iter().map(|&i| session.list.row(i).meta.id).collect();
            let cursor = session.list.cursor.filter(|c| shown.contains(c)).or(shown.first().copied());
            if let Some(id) = cursor {
                ui.memory_mut(|m| m.request_focus(row_id(id)));
                commands.push(Command::SetCursor(id));
            }
        }
        let total = session.list.len();
        let shown = session.list.view().len();
        let plural = |n: usize| if n == 1 { "secret" } else { "secrets" };
        let count = if shown == total {
            format!("{total} {}", plural(total))
        } else {
            format!("{shown} of {total} {}", plural(total))
        };
        ui.label(weak(count));
        if tight && session.selected.is_empty() {
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| create_button(ui, "+ New secret", commands));
        }
        if !session.selected.is_empty() {
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                let n = session.selected.len();
                if style::danger(ui, &format!("Delete selected ({n})")).clicked() {
                    commands.push(Command::AskDelete(session.selected.iter().copied().collect()));
                }
                if ui.button("Clear selection").clicked() {
                    commands.push(Command::ClearSelection);
                }
            });
        }
    });
    ui.add_space(4.0);
    table(ui, session, now, commands);
}

/// The Create button: `label` is shorter in a short window.
fn create_button(ui: &mut Ui, label: &str, commands: &mut Vec<Command>) {
    let shortcut = ui.ctx().format_shortcut(&SHORTCUT_CREATE);
    if style::primary(ui, true, label)
        .accessible_name("Create Environment Secret")
        .on_hover_text(format!("New secret ({shortcut})"))
        .clicked()
    {
        commands.push(Command::OpenCreate);
    }
}

/// The page of a place with no secrets. `focus`: give Create the keyboard (just unlocked).
fn empty_state(ui: &mut Ui, here: Option<&crate::vault::PlaceLabel>, focus: bool, commands: &mut Vec<Command>) {
    ui.add_space(40.0);
    ui.vertical_centered(|ui| {
        ui.label(RichText::new("🔑").size(40.0));
        let title = match here.and_then(|h| h.env.as_ref()) {
            Some(env) => format!("No secrets in {env} yet"),
            None => "No secrets yet".to_owned(),
        };
        ui.label(RichText::new(title).size(18.0).strong());
        ui.set_max_width(460.0);
        ui.label(
            "A secret is a named value — an API key, a token, a connection string — that your programs read \
             from an environment variable such as OPENAI_API_KEY. Tresor keeps it encrypted until you need it.",
        );
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            // Centred: the two buttons' width, measured last frame, sets the left margin.
            let width_id = egui::Id::unique("tresor empty state buttons");
            let width: f32 = ui.ctx().data(|d| d.get_temp(width_id)).unwrap_or(360.0);
            ui.add_space(((ui.available_width() - width) / 2.0).max(0.0));
            let start = ui.cursor().min.x;
            let create = style::primary(ui, true, "Create Environment Secret");
            if focus {
                create.request_focus();
            }
            if create.clicked() {
                commands.push(Command::OpenCreate);
            }
            if style::secondary(ui, "Import a file…").clicked() {
                commands.push(Command::ShowImport);
            }
            let used = ui.cursor().min.x - start;
            ui.ctx().data_mut(|d| d.insert_temp(width_id, used));
        });
        ui.label(weak("Or drop a .env, .toml or .json file on the window: you see what it will do first."));
    });
}

/// The room a row's tag (shared, override) takes beside its name.
const TAG_WIDTH: f32 = 70.0;

/// The column titles, by column index (0 is the tick box).
const TITLES: [&str; 7] = ["Select", "Name", "Description", "Value", "Version", "Modified", "Actions"];

/// The table: a Table node holding the header and the rows, for screen readers.
fn table(ui: &mut Ui, session: &mut Session, now: Timestamp, commands: &mut Vec<Command>) {
    let shown = session.list.view().len();
    table_scope(ui, "Secrets list", shown, |ui| table_contents(ui, session, now, commands));
}

fn table_contents(ui: &mut Ui, session: &mut Session, now: Timestamp, commands: &mut Vec<Command>) {
    let (chars, tagged) = session.list.widest_name();
    let glyph = ui.ctx().fonts_mut(|f| f.glyph_width(&egui::TextStyle::Monospace.resolve(ui.style()), 'M'));
    let longest = chars as f32 * glyph + if tagged { TAG_WIDTH } else { 0.0 } + 16.0;
    let cols = Columns::new(ui.max_rect().left(), ui.available_width(), longest);
    // Header.
    let (header, _) = ui.allocate_exact_size(egui::vec2(ui.available_width(), 24.0), egui::Sense::hover());
    let list = &mut session.list;
    let arrow = |active: bool, descending: bool| match (active, descending) {
        (false, _) => "",
        (true, false) => " ⏶",
        (true, true) => " ⏷",
    };
    for (i, title) in [(1, "Name"), (2, "Description"), (3, "Value"), (4, "Version"), (5, "Modified")] {
        if !cols.shows(i) {
            continue;
        }
        in_header(ui, cols.cell(header, i), title, |ui| {
            let key = match i {
                1 => Some(SortKey::Name),
                5 => Some(SortKey::Modified),
                _ => None,
            };
            match key {
                Some(key) => {
                    let active = list.sort == key;
                    let text = format!("{title}{}", arrow(active, list.descending));
                    // Framed when hovered or focused, so the keyboard focus shows.
                    let button = egui::Button::new(RichText::new(text).strong().small()).frame_when_inactive(false);
                    // The state in words too: AT-SPI does not carry AccessKit's sort direction.
                    let state = match (active, list.descending) {
                        (false, _) => "not sorted",
                        (true, false) => "sorted ascending",
                        (true, true) => "sorted descending",
                    };
                    let response = ui
                        .add(button)
                        .accessible_name(format!("Sort by {}", title.to_lowercase()))
                        .on_hover_text(format!("{title}: {state}"));
                    super::a11y::sort_state(&response, active.then_some(list.descending));
                    response.ctx.accesskit_node_builder(response.id, |node| node.set_description(state));
                    if response.clicked() {
                        commands.push(Command::SortBy(key));
                    }
                }
                None => {
                    ui.label(RichText::new(title).strong().small());
                }
            }
        });
    }
    ui.add(egui::Separator::default().spacing(2.0));

    let view: Vec<usize> = list.view().to_vec();
    if view.is_empty() {
        ui.add_space(20.0);
        ui.vertical_centered(|ui| ui.label(weak(format!("No secrets match “{}”.", list.query.trim()))));
        return;
    }
    let ctx = ui.ctx().clone();
    let id_at = |position: usize| session.list.row(view[position]).meta.id;
    // The highlighted row: the table's one stop for Tab (roving focus). The arrow keys move it,
    // and the keys below act on it while it has the focus.
    let mut cursor =
        session.list.cursor.and_then(|id| view.iter().position(|&i| session.list.row(i).meta.id == id)).unwrap_or(0);
    // Not while a dialog is open: its keys are its own, even in the frame it opens.
    let focused = session.dialog.is_none() && ctx.memory(|m| m.has_focus(row_id(id_at(cursor))));
    let mut moved = false;
    if focused {
        let p = cursor;
        let id = id_at(p);
        let keys = ctx.input_mut(|i| {
            RowKeys {
                down: i.consume_key(Modifiers::NONE, Key::ArrowDown),
                up: i.consume_key(Modifiers::NONE, Key::ArrowUp),
                page_down: i.consume_key(Modifiers::NONE, Key::PageDown),
                page_up: i.consume_key(Modifiers::NONE, Key::PageUp),
                home: i.consume_key(Modifiers::NONE, Key::Home),
                end: i.consume_key(Modifiers::NONE, Key::End),
                enter: i.consume_key(Modifiers::NONE, Key::Enter),
                space: i.consume_key(Modifiers::NONE, Key::Space),
                delete: i.consume_key(Modifiers::NONE, Key::Delete),
                select_all: i.consume_key(Modifiers::COMMAND, Key::A),
                // A real keyboard's Ctrl+C arrives as a Copy event (egui-winit turns it into one).
                copy: {
                    let before = i.events.len();
                    i.events.retain(|e| !matches!(e, egui::Event::Copy));
                    i.events.len() != before || i.consume_key(Modifiers::COMMAND, Key::C)
                },
            }
        });
        let page = 10;
        let last = view.len() - 1;
        let target = if keys.down {
            (p + 1).min(last)
        } else if keys.up {
            p.saturating_sub(1)
        } else if keys.page_down {
            (p + page).min(last)
        } else if keys.page_up {
            p.saturating_sub(page)
        } else if keys.home {
            0
        } else if keys.end {
            last
        } else {
            p
        };
        if target != p {
            cursor = target;
            moved = true;
            ctx.memory_mut(|m| m.request_focus(row_id(id_at(target))));
            commands.push(Command::SetCursor(id_at(target)));
        }
        if keys.enter {
            commands.push(Command::OpenView(id));
        }
        if keys.space {
            commands.push(Command::Select(id, !session.selected.contains(&id)));
        }
        if keys.delete {
            commands.push(Command::AskDelete(vec![id]));
        }
        if keys.copy {
            commands.push(Command::Copy { id, as_assignment: false });
        }
        if keys.select_all {
            commands.push(Command::SelectAll(view.iter().map(|&i| session.list.row(i).meta.id).collect()));
        }
    }

    // Keep the highlighted row in sight when the keys moved it.
    let row_pitch = ROW_HEIGHT + 2.0;
    let scroll_id = ui.make_persistent_id("secrets rows");
    let mut scroll = egui::ScrollArea::vertical().id_salt("secrets rows").auto_shrink(false);
    if moved {
        let offset = egui::scroll_area::State::load(&ctx, scroll_id).map_or(0.0, |s| s.clamped_offset().y);
        let viewport = ui.available_height();
        let top = cursor as f32 * row_pitch;
        if top < offset {
            scroll = scroll.vertical_scroll_offset(top);
        } else if top + row_pitch > offset + viewport {
            scroll = scroll.vertical_scroll_offset(top + row_pitch - viewport);
        }
    }

    let project = session.project().map(|p| p.name.to_string()).unwrap_or_default();
    let list = &session.list;
    let selected = &session.selected;
    let total = view.len();
    ui.spacing_mut().item_spacing.y = 2.0;
    // One empty row after the last, so that it can be scrolled clear of a toast.
    scroll.show_rows(ui, ROW_HEIGHT, view.len() + 1, |ui, range| {
        let range = range.start.min(view.len())..range.end.min(view.len());
        for position in range {
            let listed = list.row(view[position]);
            let meta = &listed.meta;
            let name = meta.name.as_str();
            let tag = super::vocabulary::origin_tag(listed.origin, &project);
            let inherited = listed.origin == crate::vault::Origin::Inherited;
            ui.push_id(meta.id, |ui| {
                let (rect, _) =
                    ui.allocate_exact_size(egui::vec2(ui.available_width(), ROW_HEIGHT), egui::Sense::hover());
                // The row itself: focusable only where the cursor is, so that Tab stops once in
                // the table; a screen reader hears its name and position.
                let is_cursor = position == cursor;
                let sense = if is_cursor { egui::Sense::click() } else { egui::Sense::CLICK };
                let row = ui.interact(rect, row_id(meta.id), sense);
                match &tag {
                    Some((word, _)) => row_node(&row, &format!("{name}, {word}"), position, total),
                    None => row_node(&row, name, position, total),
                }
                if row.has_focus() {
                    ctx.memory_mut(|m| {
                        m.set_focus_lock_filter(
                            row.id,
                            egui::EventFilter { vertical_arrows: true, horizontal_arrows: true, ..Default::default() },
                        )
                    });
                }
                if row.clicked() {
                    commands.push(Command::SetCursor(meta.id));
                }
                if row.hovered() || selected.contains(&meta.id) || row.has_focus() {
                    ui.painter().rect_filled(rect, 4.0, ui.visuals().faint_bg_color);
                }
                if row.has_focus() {
                    ui.painter().rect_stroke(
                        rect.shrink(1.0),
                        4.0,
                        egui::Stroke::new(2.0, style::ACCENT),
                        egui::StrokeKind::Inside,
                    );
                }
                in_cell(ui, row.id, 0, TITLES[0], cols.cell(rect, 0), |ui| {
                    let mut on = selected.contains(&meta.id);
                    if ui.add(unfocusable_checkbox(&mut on)).accessible_name(format!("Select {name}")).changed() {
                        commands.push(Command::Select(meta.id, on));
                    }
                });
                in_cell(ui, row.id, 1, TITLES[1], cols.cell(rect, 1), |ui| {
                    ui.horizontal(|ui| {
                        ui.spacing_mut().item_spacing.x = 6.0;
                        // An inherited row is muted (its text still meets 4.5:1), and tagged.
                        let text = RichText::new(name).monospace();
                        let text = if inherited { text.weak() } else { text.strong() };
                        let tag_width = if tag.is_some() { TAG_WIDTH } else { 0.0 };
                        ui.scope(|ui| {
                            ui.set_max_width((ui.available_width() - tag_width).max(40.0));
                            ui.add(egui::Label::new(text).truncate());
                        });
                        if let Some((word, hint)) = &tag {
                            let tag = ui.label(RichText::new(*word).small().weak()).on_hover_text(hint);
                            super::a11y::spoken(&tag, hint);
                        }
                    });
                });
                in_cell(ui, row.id, 2, TITLES[2], cols.cell(rect, 2), |ui| {
                    if meta.description.is_empty() {
                        let dash = ui.label(weak("—"));
                        super::a11y::spoken(&dash, "no description");
                    } else {
                        ui.add(egui::Label::new(&meta.description).truncate());
                    }
                });
                if cols.shows(3) {
                    in_cell(ui, row.id, 3, TITLES[3], cols.cell(rect, 3), |ui| {
                        let masked = ui.label(RichText::new("••••••••").weak());
                        super::a11y::spoken(&masked, "hidden value");
                    });
                }
                if cols.shows(4) {
                    in_cell(ui, row.id, 4, TITLES[4], cols.cell(rect, 4), |ui| {
                        ui.label(format!("v{}", meta.version));
                    });
                }
                in_cell(ui, row.id, 5, TITLES[5], cols.cell(rect, 5), |ui| {
                    ui.label(style::relative(now, meta.modified)).on_hover_text(style::exact(meta.modified));
                });
                in_cell(ui, row.id, 6, TITLES[6], cols.cell(rect, 6), |ui| {
                    ui.spacing_mut().item_spacing.x = 4.0;
                    let id = meta.id;
                    // Not Tab stops (the row's keys do the same); clickable, and reachable by
                    // a screen reader inside the row.
                    if row_action(ui, "🗐", &format!("Copy {name}"), "Copy value (Ctrl+C)").clicked() {
                        commands.push(Command::Copy { id, as_assignment: false });
                    }
                    if row_action(ui, "👁", &format!("View {name}"), "View value and history (Enter)").clicked() {
                        commands.push(Command::OpenView(id));
                    }
                    if row_action(ui, "✏", &format!("Edit {name}"), "Edit").clicked() {
                        commands.push(Command::OpenEdit(id));
                    }
                    if row_action(ui, "🗑", &format!("Delete {name}"), "Delete (Delete key)").clicked() {
                        commands.push(Command::AskDelete(vec![id]));
                    }
                });
            });
        }
    });
}

/// The keys the focused row acts on, read once per frame.
struct RowKeys {
    down: bool,
    up: bool,
    page_down: bool,
    page_up: bool,
    home: bool,
    end: bool,
    enter: bool,
    space: bool,
    delete: bool,
    select_all: bool,
    copy: bool,
}

/// The search field's widget id (Ctrl+F and unlocking focus it; Ctrl+Z there undoes the last
/// delete, copy or move while its toast shows).
pub(crate) fn search_id() -> egui::Id {
    egui::Id::unique("tresor search")
}

/// A row's widget id, stable for its secret (the focus and the cursor follow it).
pub(crate) fn row_id(id: crate::vault::SecretId) -> egui::Id {
    egui::Id::unique(("tresor secrets row", id))
}

/// An icon button of a row: clickable (also through the accessibility tree), not a Tab stop.
fn row_action(ui: &mut Ui, icon: &str, name: &str, tooltip: &str) -> egui::Response {
    let size = egui::vec2(30.0, 26.0);
    let (rect, response) = ui.allocate_exact_size(size, egui::Sense::CLICK);
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, name));
    let visuals = ui.style().interact(&response);
    if response.hovered() {
        ui.painter().rect_filled(rect, 4.0, visuals.weak_bg_fill);
    }
    ui.painter().text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        icon,
        egui::FontId::proportional(15.0),
        visuals.text_color(),
    );
    response.on_hover_text(tooltip)
}

/// A row's tick box: clickable, not a Tab stop (Space ticks the focused row).
fn unfocusable_checkbox(on: &mut bool) -> impl egui::Widget + '_ {
    move |ui: &mut Ui| {
        let size = egui::vec2(18.0, 18.0);
        let (rect, mut response) = ui.allocate_exact_size(size, egui::Sense::CLICK);
        if response.clicked() {
            *on = !*on;
            response.mark_changed();
        }
        response.widget_info(|| egui::WidgetInfo::selected(egui::Role::CheckBox, true, *on, ""));
        let visuals = ui.style().interact(&response);
        ui.painter().rect(rect, 3.0, visuals.bg_fill, visuals.bg_stroke, egui::StrokeKind::Inside);
        if *on {
            ui.painter().text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                "✔",
                egui::FontId::proportional(13.0),
                visuals.text_color(),
            );
        }
        response
    }
}

//! The keyboard, the focus and what a screen reader gets: the table as one Tab stop, dialogs
//! that take and give back the focus, headings, live regions; the smallest window.

use super::*;

#[test]
fn keyboard_only_create_flow() {
    let mut w = unlocked_with(&[]);
    w.harness.key_press_modifiers(Modifiers::COMMAND, Key::N);
    w.harness.run();
    field(&w.harness, "Name").type_text("TYPED_KEY");
    w.harness.run();
    w.harness.key_press(Key::Tab);
    w.harness.run();
    assert!(field(&w.harness, "Description").is_focused(), "Tab goes to the next field");
    w.harness.key_press(Key::Tab);
    w.harness.run();
    assert!(field(&w.harness, "Value").is_focused(), "Tab goes from the description to the value");
    w.harness.key_press(Key::Tab);
    w.harness.run();
    assert!(w.harness.get_by_label("Show value").is_focused(), "then to the show/hide toggle");
    w.harness.key_press_modifiers(Modifiers::SHIFT, Key::Tab);
    w.harness.run();
    assert!(field(&w.harness, "Value").is_focused(), "Shift+Tab goes back");
    field(&w.harness, "Value").type_text("typed-value");
    w.harness.run();
    w.harness.key_press_modifiers(Modifiers::COMMAND, Key::Enter);
    w.harness.run();
    assert_eq!(value_of(&w, "TYPED_KEY").0, "typed-value");
}

#[test]
fn keys_typed_in_the_same_frame_as_ctrl_f_reach_the_search_field() {
    let mut w = unlocked_with(&[("SERVICE_04999", "", "1"), ("OTHER", "", "2")]);
    // Ctrl+F and "04999" typed without a pause arrive in one frame (kittest's own queue would
    // give each event a frame of its own).
    let events = &mut w.harness.input_mut().events;
    events.push(egui::Event::Key {
        key: Key::F,
        physical_key: None,
        pressed: true,
        repeat: false,
        modifiers: Modifiers::COMMAND,
    });
    events.push(egui::Event::Text("04999".into()));
    w.harness.step();
    w.harness.run();
    assert_eq!(field(&w.harness, "Search secrets").accesskit_node().value().as_deref(), Some("04999"));
    assert!(w.harness.query_by_label("Copy OTHER").is_none(), "the list is filtered");
}

#[test]
fn closing_a_dialog_gives_the_focus_back_to_the_control_that_opened_it() {
    let mut w = unlocked_with(&[("HF_TOKEN", "", "hf_1")]);
    row(&w.harness, "HF_TOKEN").focus();
    w.harness.run();
    w.harness.key_press(Key::Enter);
    w.harness.run();
    assert!(w.harness.query_by_label("Close").is_some(), "View opened");
    w.harness.key_press(Key::Escape);
    w.harness.run();
    assert!(w.harness.query_by_label("Close").is_none(), "Esc closed it");
    assert!(row(&w.harness, "HF_TOKEN").is_focused(), "the focus is back on the row that opened View");
    // So the next Enter opens it again (it once went to Lock).
    w.harness.key_press(Key::Enter);
    w.harness.run();
    assert!(w.harness.state().is_unlocked());
    assert!(w.harness.query_by_label("Close").is_some(), "View opened again");
}

#[test]
fn the_smallest_window_shows_eight_rows_with_full_names_and_an_icon_sidebar() {
    let mut secrets: Vec<(String, String)> =
        (2..=12).map(|i| (format!("TWILIO_STAGING_AUTH_TOKEN_{i:04}"), format!("staging token {i}"))).collect();
    secrets.push((LONG_NAME.into(), "staging token 1".into()));
    let refs: Vec<(&str, &str, &str)> = secrets.iter().map(|(n, d)| (n.as_str(), d.as_str(), "v")).collect();
    let w = world_with(&refs);
    let mut h = app_sized(&w.path, w.clock.clone(), FakeClipboard::new(), None, [760.0, 500.0]);
    h.run();
    type_into(&mut h, "Passphrase", PASSPHRASE);
    h.get_by_label("Unlock").click();
    h.run();
    assert!(h.state().is_unlocked());

    let visible = (1..=12)
        .filter(|i| {
            let name = format!("TWILIO_STAGING_AUTH_TOKEN_{i:04}");
            h.query_by_label(&format!("Copy {name}")).is_some_and(|n| n.rect().max.y <= 500.0)
        })
        .count();
    assert!(visible >= 8, "only {visible} rows fit at 760x500");

    // The name is laid out in full: its cell is as wide as the text.
    let text_width = h.ctx.fonts_mut(|f| {
        f.layout_no_wrap(LONG_NAME.into(), egui::FontId::monospace(13.5), egui::Color32::WHITE).size().x
    });
    let cell = h
        .get_all_by_label(LONG_NAME)
        .find(|n| n.accesskit_node().role() == egui::accesskit::Role::Label)
        .expect("the name cell")
        .rect();
    assert!(cell.width() + 0.5 >= text_width, "{LONG_NAME} is cut: {} < {text_width}", cell.width());

    // The sidebar keeps its pages, as icons with their names.
    for page in ["Secrets", "Vault settings", "Trash"] {
        let node = h.get_by_label(page);
        assert!(node.rect().width() < 60.0, "{page} is an icon");
    }
}

#[test]
fn ticking_a_row_does_not_move_the_table() {
    let mut w = unlocked_with(&[("A_KEY", "", "1"), ("B_KEY", "", "2")]);
    let before = w.harness.get_by_label("Copy B_KEY").rect().min.y;
    w.harness.get_by_label("Select A_KEY").click();
    w.harness.run();
    assert!(w.harness.query_by_label_contains("Delete selected").is_some());
    let after = w.harness.get_by_label("Copy B_KEY").rect().min.y;
    assert_eq!(before, after, "the rows stay where they were");
}

#[test]
fn the_table_is_one_tab_stop_driven_by_arrows_enter_space_ctrl_a_ctrl_c_and_delete() {
    let mut w = unlocked_with(&[("A_KEY", "", "a-value"), ("B_KEY", "", "b-value"), ("C_KEY", "", "c-value")]);
    field(&w.harness, "Search secrets").focus();
    w.harness.run();
    // Past the two sort buttons of the header, Tab enters the table at its first row.
    let mut tabs = 0;
    while !row(&w.harness, "A_KEY").is_focused() && tabs < 6 {
        w.harness.key_press(Key::Tab);
        w.harness.run();
        tabs += 1;
    }
    assert_eq!(tabs, 3, "search → Sort by name → Sort by modified → the first row");
    w.harness.key_press(Key::ArrowDown);
    w.harness.run();
    assert!(row(&w.harness, "B_KEY").is_focused(), "the arrow keys move the highlighted row");

    // What egui-winit sends for Ctrl+C on a real keyboard.
    w.harness.event(egui::Event::Copy);
    w.harness.run();
    assert_eq!(w.clipboard.contents().as_deref(), Some("b-value"), "Ctrl+C copies the row's value");
    assert!(w.clipboard.marked_secret());

    w.harness.key_press(Key::Space);
    w.harness.run();
    assert!(has_text(&w.harness, "Delete selected (1)"), "Space ticks the row");
    w.harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    w.harness.run();
    assert!(has_text(&w.harness, "Delete selected (3)"), "Ctrl+A ticks every row shown");
    w.harness.get_by_label("Clear selection").click();
    w.harness.run();

    row(&w.harness, "B_KEY").focus();
    w.harness.run();
    w.harness.key_press(Key::Enter);
    w.harness.run();
    assert!(w.harness.query_by_label("Copy as B_KEY=value").is_some(), "Enter views the row");
    w.harness.key_press(Key::Escape);
    w.harness.run();
    assert!(row(&w.harness, "B_KEY").is_focused(), "back on the row");

    w.harness.key_press(Key::Delete);
    w.harness.run();
    w.harness.get_by_label("Delete").click();
    w.harness.run();
    assert!(!stored(&w, "B_KEY"), "Delete asked, then deleted");
    assert!(w.harness.query_by_label("Undo").is_some(), "with Undo");
    w.harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    w.harness.run();
    assert!(stored(&w, "B_KEY"), "Ctrl+Z undid the delete");

    // Enter with the focus on Cancel cancels. (A click moves the highlight to a row.)
    row(&w.harness, "C_KEY").click();
    w.harness.run();
    row(&w.harness, "C_KEY").focus();
    w.harness.run();
    w.harness.key_press(Key::Delete);
    w.harness.run();
    w.harness.run();
    w.harness.get_by_label("Cancel").focus();
    w.harness.run();
    w.harness.key_press(Key::Enter);
    w.harness.run();
    assert!(stored(&w, "C_KEY"), "Enter on Cancel deletes nothing");

    // One stop: Tab leaves the table instead of walking through its rows and their buttons.
    row(&w.harness, "A_KEY").focus();
    w.harness.run();
    w.harness.key_press(Key::Tab);
    w.harness.run();
    let in_table = ["A_KEY", "C_KEY"].iter().any(|n| row(&w.harness, n).is_focused())
        || w.harness.query_all_by_label_contains("C_KEY").any(|n| n.is_focused());
    assert!(!in_table, "Tab left the table");
}

#[test]
fn the_list_is_a_table_of_rows_and_cells_and_a_masked_value_is_a_hidden_value() {
    use egui::accesskit::Role;
    let w = wide_unlocked_with(&[("A_KEY", "first key", "a"), ("B_KEY", "", "b")]);
    let a = row(&w.harness, "A_KEY");
    let node = a.accesskit_node();
    let table = ancestor_with_role(node, Role::Table).expect("the row is inside the table");
    assert_eq!(table.label().as_deref(), Some("Secrets list"));
    assert_eq!(node.description().as_deref(), Some("row 1 of 2"), "its position, in words");
    // Its cells are inside it, each saying its column.
    let cells: Vec<String> = w
        .harness
        .get_all_by_role(Role::Cell)
        .filter(|c| ancestor_with_role(c.accesskit_node(), Role::Row).is_some_and(|r| r.id() == node.id()))
        .filter_map(|c| c.accesskit_node().description())
        .collect();
    for column in ["Name", "Description", "Value", "Version", "Modified", "Actions"] {
        assert!(cells.iter().any(|c| c == column), "a {column} cell in the row: {cells:?}");
    }
    let copy = w.harness.get_by_label("Copy A_KEY");
    assert!(ancestor_with_role(copy.accesskit_node(), Role::Row).is_some_and(|r| r.id() == node.id()));
    // The masked value: "hidden value", never bullets.
    assert!(w.harness.query_all_by_label("hidden value").count() >= 2);
    assert!(w.harness.query_all_by_label_contains("•").next().is_none(), "no bullets in the tree");
    // Column headers, and the sort state.
    for header in ["Name", "Description", "Modified"] {
        assert!(
            w.harness
                .get_all_by_role(Role::ColumnHeader)
                .any(|h| h.accesskit_node().label().as_deref() == Some(header))
        );
    }
    let by_name = w.harness.get_by_label("Sort by name");
    assert_eq!(by_name.accesskit_node().sort_direction(), Some(egui::accesskit::SortDirection::Ascending));
    assert_eq!(by_name.accesskit_node().description().as_deref(), Some("sorted ascending"));
    assert_eq!(
        w.harness.get_by_label("Sort by modified").accesskit_node().description().as_deref(),
        Some("not sorted")
    );
}

#[test]
fn headings_dialogs_and_announcements_are_exposed() {
    use egui::accesskit::{Live, Role};
    let mut w = unlocked_with(&[("A_KEY", "", "a")]);
    let title = w.harness.get_all_by_label("Environment Secrets").find(|n| n.accesskit_node().role() == Role::Heading);
    assert_eq!(title.expect("the page title is a heading").accesskit_node().level(), Some(1));

    w.harness.get_by_label("Copy A_KEY").click();
    w.harness.run();
    let toast = w.harness.get_by_label_contains("copied; the clipboard will be cleared");
    assert_eq!(toast.accesskit_node().live(), Live::Polite, "the copy is announced, without its seconds");

    w.harness.get_by_label("View A_KEY").click();
    w.harness.run();
    let dialog =
        w.harness.get_all_by_role(Role::Dialog).find(|d| d.accesskit_node().label().as_deref() == Some("View A_KEY"));
    assert!(dialog.is_some(), "View is a dialog named after its secret");
    w.harness.key_press(Key::Escape);
    w.harness.run();

    w.harness.get_by_label("Vault settings").click();
    w.harness.run();
    let card = w.harness.get_all_by_label("Appearance").find(|n| n.accesskit_node().role() == Role::Heading);
    assert_eq!(card.expect("card titles are headings").accesskit_node().level(), Some(2));

    // An error is announced at once.
    w.harness.key_press_modifiers(Modifiers::COMMAND, Key::L);
    w.harness.run();
    type_into(&mut w.harness, "Passphrase", "not the passphrase");
    w.harness.key_press(Key::Enter);
    w.harness.run();
    let error = w.harness.get_by_label_contains("Wrong passphrase");
    assert_eq!(error.accesskit_node().live(), Live::Assertive);
}

#[test]
fn a_dialog_opened_from_the_keyboard_takes_the_focus_and_esc_clears_the_search() {
    use egui::accesskit::Role;
    let mut w = unlocked_with(&[("A_KEY", "", "a"), ("B_KEY", "", "b")]);
    row(&w.harness, "A_KEY").focus();
    w.harness.run();
    w.harness.key_press(Key::Delete);
    w.harness.run();
    w.harness.run();
    let focused_in_dialog = w
        .harness
        .query_all_by_label_contains("")
        .filter(|n| n.is_focused())
        .any(|n| ancestor_with_role(n.accesskit_node(), Role::Dialog).is_some());
    assert!(focused_in_dialog, "the focus moved into the confirmation");
    w.harness.key_press(Key::Escape);
    w.harness.run();
    assert!(row(&w.harness, "A_KEY").is_focused(), "and back to the row on Esc");

    type_into(&mut w.harness, "Search secrets", "B_");
    assert!(w.harness.query_by_label("Copy A_KEY").is_none());
    w.harness.key_press(Key::Escape);
    w.harness.run();
    assert_eq!(field(&w.harness, "Search secrets").accesskit_node().value().as_deref(), Some(""));
    assert!(w.harness.query_by_label("Copy A_KEY").is_some(), "Esc cleared the search");
}

#[test]
fn after_a_delete_from_the_keyboard_the_next_row_has_the_focus() {
    let mut w = unlocked_with(&[("A_KEY", "", "a"), ("B_KEY", "", "b"), ("C_KEY", "", "c")]);
    row(&w.harness, "A_KEY").focus();
    w.harness.run();
    w.harness.key_press(Key::ArrowDown);
    w.harness.run();
    assert!(row(&w.harness, "B_KEY").is_focused());
    w.harness.key_press(Key::Delete);
    w.harness.run();
    w.harness.key_press(Key::Enter);
    w.harness.run();
    assert!(w.harness.query_by_label("Copy B_KEY").is_none(), "B_KEY went to the trash");
    assert!(row(&w.harness, "C_KEY").is_focused(), "the next row took the highlight and the focus");
    // So the keyboard goes on from there: Delete again asks about C_KEY.
    w.harness.key_press(Key::Delete);
    w.harness.run();
    assert!(has_text(&w.harness, "Delete C_KEY from Personal (shared)?"));
}

#[test]
fn after_unlocking_the_search_has_the_keyboard_and_down_goes_into_the_table() {
    let mut w = unlocked_with(&[("A_KEY", "", "a"), ("B_KEY", "", "b"), ("C_KEY", "", "c")]);
    w.harness.run();
    assert!(field(&w.harness, "Search secrets").is_focused(), "not twenty Tab stops away: in the search");
    // Typing searches at once; ↓ goes to the first row shown, Enter views it.
    w.harness.event(egui::Event::Text("B_".into()));
    w.harness.run();
    assert!(w.harness.query_by_label("Copy A_KEY").is_none(), "filtered");
    w.harness.key_press(Key::ArrowDown);
    w.harness.run();
    assert!(row(&w.harness, "B_KEY").is_focused(), "↓ from the search: the table's highlighted row");
    w.harness.key_press(Key::Enter);
    w.harness.run();
    assert!(w.harness.query_by_label("Close").is_some(), "Enter on the row views it");
}

#[test]
fn an_empty_vault_gives_the_keyboard_to_create() {
    let mut w = unlocked_with(&[]);
    w.harness.run();
    let create = w.harness.get_all_by_label("Create Environment Secret").next().unwrap();
    assert!(create.is_focused(), "nothing to search: Create has the keyboard");
    w.harness.key_press(Key::Enter);
    w.harness.run();
    assert!(has_field(&w.harness, "Name"), "Enter opened Create");
}

#[test]
fn the_arrow_keys_go_through_the_results_of_ctrl_shift_f() {
    let mut w = shop_world();
    w.harness.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::F);
    w.harness.run();
    field(&w.harness, "Name contains").type_text("database");
    w.harness.run();
    let result = |w: &World, place: &str| {
        w.harness.get_by_label_contains(&format!("DATABASE_URL  —  shop / {place}")).is_focused()
    };
    w.harness.key_press(Key::ArrowDown);
    w.harness.run();
    assert!(result(&w, "development"), "↓ from the field: the first result");
    w.harness.key_press(Key::ArrowDown);
    w.harness.run();
    assert!(result(&w, "production"), "↓ again: the next one");
    w.harness.key_press(Key::ArrowUp);
    w.harness.run();
    assert!(result(&w, "development"), "↑ back");
    w.harness.key_press(Key::ArrowUp);
    w.harness.run();
    assert!(field(&w.harness, "Name contains").is_focused(), "↑ from the first: the field again");
    w.harness.key_press(Key::ArrowDown);
    w.harness.run();
    w.harness.key_press(Key::ArrowDown);
    w.harness.run();
    w.harness.key_press(Key::Enter);
    w.harness.run();
    w.harness.run();
    assert!(row(&w.harness, "DATABASE_URL").is_focused(), "Enter went to production's row");
    w.harness.get_by_label("Copy DATABASE_URL").click();
    w.harness.run();
    assert_eq!(w.clipboard.contents().as_deref(), Some("postgres://prod"));
}

#[test]
fn ctrl_z_in_the_search_undoes_the_delete_whose_toast_shows() {
    let mut w = unlocked_with(&[("GONE", "", "x"), ("STAYS", "", "y")]);
    w.harness.get_by_label("Delete GONE").click();
    w.harness.run();
    w.harness.get_by_label("Delete").click();
    w.harness.run();
    w.harness.key_press_modifiers(Modifiers::COMMAND, Key::F);
    w.harness.run();
    assert!(field(&w.harness, "Search secrets").is_focused(), "the keyboard is in the search");
    w.harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    w.harness.run();
    assert_eq!(value_of(&w, "GONE").0, "x", "Ctrl+Z undid the delete");
    assert!(has_text(&w.harness, "Restored GONE in Personal (shared)."));
}

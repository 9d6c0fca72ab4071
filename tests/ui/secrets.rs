//! Secrets on the Secrets page and in their dialogs: create, edit, view, copy, delete and
//! Undo, the Trash, pasting.

use super::*;

#[test]
fn create_a_secret_through_the_form() {
    let mut w = unlocked_with(&[]);
    w.harness.get_by_label("Create Environment Secret").click();
    w.harness.run();
    assert!(field(&w.harness, "Name").is_focused(), "the form opens on its first field");
    assert!(form_submit(&w.harness).accesskit_node().is_disabled(), "disabled until valid");
    field(&w.harness, "Name").type_text("OPENAI_API_KEY");
    w.harness.run();
    type_into(&mut w.harness, "Description", "GPT calls");
    type_into(&mut w.harness, "Value", "sk-proj-123\nsecond line");
    form_submit(&w.harness).click();
    w.harness.run();
    assert!(w.harness.query_by_label("Copy OPENAI_API_KEY").is_some(), "the new row has its actions");
    for action in ["View", "Edit", "Delete"] {
        assert!(w.harness.query_by_label(&format!("{action} OPENAI_API_KEY")).is_some());
    }
    assert!(has_text(&w.harness, "GPT calls"));
    assert!(!has_text(&w.harness, "sk-proj-123"), "the list never shows a value");
    assert_eq!(value_of(&w, "OPENAI_API_KEY"), ("sk-proj-123\nsecond line".to_owned(), 1));
}

#[test]
fn invalid_taken_and_empty_inputs_are_explained_and_block_the_form() {
    let mut w = unlocked_with(&[("HF_TOKEN", "", "hf_1")]);
    w.harness.key_press_modifiers(Modifiers::COMMAND, Key::N);
    w.harness.run();
    field(&w.harness, "Name").type_text("MY-KEY");
    w.harness.run();
    assert!(has_text(&w.harness, "MY_KEY"), "an invalid name comes with a suggestion");
    replace_in(&mut w.harness, "Name", "HF_TOKEN");
    assert!(has_text(&w.harness, "already exists"));
    replace_in(&mut w.harness, "Name", "NEW_KEY");
    assert!(!has_text(&w.harness, "already exists"));
    assert!(form_submit(&w.harness).accesskit_node().is_disabled(), "an empty value blocks the form");
    type_into(&mut w.harness, "Value", " sk-1 ");
    assert!(has_text(&w.harness, "whitespace"), "paste mistakes are warned about");
    assert!(!form_submit(&w.harness).accesskit_node().is_disabled(), "warnings do not block");
    w.harness.key_press(Key::Escape);
    w.harness.run();
    assert!(!has_field(&w.harness, "Name"), "Esc cancels");
    assert!(!stored(&w, "NEW_KEY"), "nothing was written");
}

#[test]
fn search_filters_by_name_and_description_as_you_type() {
    let mut w = unlocked_with(&[
        ("OPENAI_API_KEY", "GPT calls", "1"),
        ("ANTHROPIC_API_KEY", "Claude", "2"),
        ("HF_TOKEN", "model downloads", "3"),
    ]);
    assert!(has_text(&w.harness, "3 secrets"));
    w.harness.key_press_modifiers(Modifiers::COMMAND, Key::F);
    w.harness.run();
    assert!(field(&w.harness, "Search secrets").is_focused(), "Ctrl+F focuses the search");
    field(&w.harness, "Search secrets").type_text("api");
    w.harness.run();
    assert!(w.harness.query_by_label("Copy HF_TOKEN").is_none());
    assert!(w.harness.query_by_label("Copy OPENAI_API_KEY").is_some());
    assert!(has_text(&w.harness, "2 of 3 secrets"));
    replace_in(&mut w.harness, "Search secrets", "claude");
    assert!(w.harness.query_by_label("Copy ANTHROPIC_API_KEY").is_some());
    assert!(w.harness.query_by_label("Copy OPENAI_API_KEY").is_none());
    replace_in(&mut w.harness, "Search secrets", "nothing like it");
    assert!(has_text(&w.harness, "No secrets match"));
}

#[test]
fn view_reveals_the_value_and_hides_it_again_after_30_seconds() {
    let mut w = unlocked_with(&[("DB_URL", "prod", "postgres://u:p@h/db")]);
    w.harness.get_by_label("View DB_URL").click();
    w.harness.run();
    assert!(!has_text(&w.harness, "postgres://u:p@h/db"), "View opens masked");
    assert!(has_text(&w.harness, "hidden value"));
    w.harness.get_by_label("Reveal value").click();
    w.harness.run();
    assert!(has_text(&w.harness, "postgres://u:p@h/db"));
    w.clock.advance_seconds(31);
    w.harness.run();
    assert!(!has_text(&w.harness, "postgres://u:p@h/db"), "hidden again after 30 s");
    w.harness.get_by_label("Reveal value").click();
    w.harness.run();
    assert!(has_text(&w.harness, "postgres://u:p@h/db"));
    w.harness.get_by_label("Close").click();
    w.harness.run();
    assert!(!has_text(&w.harness, "postgres://u:p@h/db"), "hidden on close");
}

#[test]
fn copy_places_the_value_and_clears_it_after_the_timeout_only_if_unchanged() {
    let mut w = unlocked_with(&[("A_KEY", "", "value-a"), ("B_KEY", "", "value-b")]);
    w.harness.get_by_label("Copy A_KEY").click();
    w.harness.run();
    assert_eq!(w.clipboard.contents().as_deref(), Some("value-a"));
    assert!(w.clipboard.marked_secret(), "excluded from clipboard history");
    let toast = w.harness.get_by_label_contains("A_KEY copied");
    assert!(toast.accesskit_node().description().is_some_and(|d| d.contains("clears in 15 s")), "a toast counts down");
    w.clock.advance_seconds(14);
    w.harness.run();
    assert_eq!(w.clipboard.contents().as_deref(), Some("value-a"));
    w.clock.advance_seconds(1);
    w.harness.run();
    assert_eq!(w.clipboard.contents(), None, "cleared after 15 s");

    w.harness.get_by_label("Copy B_KEY").click();
    w.harness.run();
    w.clipboard.user_copies("something of mine");
    w.clock.advance_seconds(20);
    w.harness.run();
    assert_eq!(w.clipboard.contents().as_deref(), Some("something of mine"), "a later copy is left alone");
}

#[test]
fn copy_as_assignment_quotes_like_a_dotenv_line() {
    let mut w = unlocked_with(&[("GREETING", "", "hello world")]);
    w.harness.get_by_label("View GREETING").click();
    w.harness.run();
    w.harness.get_by_label("Copy as GREETING=value").click();
    w.harness.run();
    let copied = w.clipboard.contents().unwrap();
    assert!(copied.starts_with("GREETING="), "{copied}");
    assert!(copied.contains("hello world"));
}

#[test]
fn edit_changes_the_value_and_bumps_the_version() {
    let mut w = unlocked_with(&[("API_KEY", "old", "v1")]);
    w.harness.get_by_label("Edit API_KEY").click();
    w.harness.run();
    assert_eq!(field(&w.harness, "Description").value().as_deref(), Some("old"), "prefilled");
    type_into(&mut w.harness, "Value", "v2");
    w.harness.get_by_label("Save").click();
    w.harness.run();
    assert_eq!(value_of(&w, "API_KEY"), ("v2".to_owned(), 2));
    assert!(has_text(&w.harness, "v2"), "the list shows the new version");

    // Description only: the version stays.
    w.harness.get_by_label("Edit API_KEY").click();
    w.harness.run();
    replace_in(&mut w.harness, "Description", "new");
    w.harness.get_by_label("Save").click();
    w.harness.run();
    assert_eq!(value_of(&w, "API_KEY"), ("v2".to_owned(), 2));
}

#[test]
fn rename_through_the_edit_form_keeps_history() {
    let mut w = unlocked_with(&[("OLD_NAME", "", "v1")]);
    {
        let mut vault = open_vault(&w);
        let id = vault.find(&vault.default_place().unwrap(), &SecretName::parse("OLD_NAME").unwrap()).unwrap().0;
        vault.edit(id, SecretEdit { name: None, description: None, value: Some(SecretValue::new("v2")) }).unwrap();
    }
    w.harness.get_by_label("Edit OLD_NAME").click();
    w.harness.run();
    replace_in(&mut w.harness, "Name", "NEW_NAME");
    w.harness.get_by_label("Save").click();
    w.harness.run();
    assert!(w.harness.query_by_label("Copy NEW_NAME").is_some());
    assert!(w.harness.query_by_label("Copy OLD_NAME").is_none());
    let vault = open_vault(&w);
    let id = vault.find(&vault.default_place().unwrap(), &SecretName::parse("NEW_NAME").unwrap()).unwrap().0;
    assert_eq!(vault.history(id).unwrap().len(), 2);
}

#[test]
fn delete_asks_then_undo_restores() {
    let mut w = unlocked_with(&[("GONE", "", "x"), ("STAYS", "", "y")]);
    w.harness.get_by_label("Delete GONE").click();
    w.harness.run();
    assert!(
        has_text(&w.harness, "Delete GONE from Personal (shared)?"),
        "the confirmation names the secret and its place"
    );
    w.harness.get_by_label("Delete").click();
    w.harness.run();
    assert!(w.harness.query_by_label("Copy GONE").is_none());
    assert!(!stored(&w, "GONE"));
    w.harness.get_by_label("Undo").click();
    w.harness.run();
    assert!(w.harness.query_by_label("Copy GONE").is_some());
    assert_eq!(value_of(&w, "GONE").0, "x");
}

#[test]
fn several_rows_can_be_deleted_at_once() {
    let mut w = unlocked_with(&[("A", "", "1"), ("B", "", "2"), ("C", "", "3")]);
    w.harness.get_by_label("Select A").click();
    w.harness.run();
    w.harness.get_by_label("Select C").click();
    w.harness.run();
    w.harness.get_by_label("Delete selected (2)").click();
    w.harness.run();
    assert!(has_text(&w.harness, "Delete 2 secrets from Personal (shared)?"));
    w.harness.get_by_label("Delete").click();
    w.harness.run();
    assert!(w.harness.query_by_label("Copy A").is_none());
    assert!(w.harness.query_by_label("Copy C").is_none());
    assert!(w.harness.query_by_label("Copy B").is_some());
    assert_eq!(open_vault(&w).trash().unwrap().items.len(), 2);
}

#[test]
fn trash_restores_and_purges() {
    let mut w = unlocked_with(&[("KEEP", "", "1"), ("DROP", "", "2")]);
    for name in ["KEEP", "DROP"] {
        w.harness.get_by_label(&format!("Delete {name}")).click();
        w.harness.run();
        w.harness.get_by_label("Delete").click();
        w.harness.run();
    }
    w.harness.get_by_label("Trash").click();
    w.harness.run();
    w.harness.get_by_label("Restore KEEP").click();
    w.harness.run();
    for header in ["Name", "Description", "Deleted"] {
        let headers = w.harness.get_all_by_role(egui::accesskit::Role::ColumnHeader);
        assert!(
            headers.into_iter().any(|h| h.accesskit_node().label().as_deref() == Some(header)),
            "the trash has column headers: {header}"
        );
    }
    w.harness.get_by_label("Delete DROP for good").click();
    w.harness.run();
    assert!(has_text(&w.harness, "Delete DROP for good?"), "the confirmation names the secret");
    w.harness.get_by_label("Delete for good").click();
    w.harness.run();
    assert!(has_text(&w.harness, "The trash is empty"));
    let vault = open_vault(&w);
    assert!(vault.find(&vault.default_place().unwrap(), &SecretName::parse("KEEP").unwrap()).is_ok());
    assert!(vault.trash().unwrap().items.is_empty());
}

#[test]
fn restoring_from_trash_under_a_taken_name_asks_for_a_new_one() {
    let mut w = unlocked_with(&[("TOKEN", "", "old")]);
    w.harness.get_by_label("Delete TOKEN").click();
    w.harness.run();
    w.harness.get_by_label("Delete").click();
    w.harness.run();
    {
        let mut vault = open_vault(&w);
        vault
            .create_secret(NewSecret {
                name: SecretName::parse("TOKEN").unwrap(),
                description: String::new(),
                value: SecretValue::new("new"),
            })
            .unwrap();
    }
    w.harness.get_by_label("Trash").click();
    w.harness.run();
    w.harness.get_by_label("Restore TOKEN").click();
    w.harness.run();
    assert!(has_text(&w.harness, "already exists"));
    replace_in(&mut w.harness, "Name", "TOKEN_OLD");
    w.harness.get_by_label("Restore").click();
    w.harness.run();
    assert_eq!(value_of(&w, "TOKEN_OLD").0, "old");
    assert_eq!(value_of(&w, "TOKEN").0, "new");
}

#[test]
fn history_restore_makes_an_old_value_current_as_a_new_version() {
    let mut w = unlocked_with(&[("ROTATED", "", "first")]);
    w.harness.get_by_label("Edit ROTATED").click();
    w.harness.run();
    type_into(&mut w.harness, "Value", "second");
    w.harness.get_by_label("Save").click();
    w.harness.run();
    w.harness.get_by_label("View ROTATED").click();
    w.harness.run();
    w.harness.get_by_label("Reveal value").click();
    w.harness.run();
    assert!(has_text(&w.harness, "second"));
    w.harness.get_by_label("Restore version 1").click();
    w.harness.run();
    assert_eq!(value_of(&w, "ROTATED"), ("first".to_owned(), 3));
}

#[test]
fn text_copied_out_of_a_shown_value_goes_through_the_clipboard_guard() {
    let mut w = unlocked_with(&[]);
    w.harness.key_press_modifiers(Modifiers::COMMAND, Key::N);
    w.harness.run();
    type_into(&mut w.harness, "Value", "sk-live-secret");
    w.harness.get_by_label("Show value").click();
    w.harness.run();
    field(&w.harness, "Value").focus();
    w.harness.run();
    w.harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    w.harness.run();
    // What egui-winit sends for Ctrl+C on a real keyboard.
    w.harness.event(egui::Event::Copy);
    w.harness.run();
    assert_eq!(w.clipboard.contents().as_deref(), Some("sk-live-secret"), "egui's copy reached the guard");
    assert!(w.clipboard.marked_secret(), "marked to stay out of clipboard history, like Copy");
    assert!(has_text(&w.harness, "Selection copied"), "with the same countdown as Copy");
}

#[test]
fn enter_on_an_incomplete_form_says_what_is_missing_and_a_suggested_name_is_one_click() {
    let mut w = unlocked_with(&[]);
    w.harness.key_press_modifiers(Modifiers::COMMAND, Key::N);
    w.harness.run();
    field(&w.harness, "Name").type_text("openai api key");
    w.harness.run();
    assert!(has_text(&w.harness, "try OPENAI_API_KEY"), "the suggestion is in UPPER_SNAKE_CASE");
    w.harness.get_by_label("Use OPENAI_API_KEY").click();
    w.harness.run();
    assert_eq!(field(&w.harness, "Name").accesskit_node().value().as_deref(), Some("OPENAI_API_KEY"));
    assert!(!has_text(&w.harness, "try OPENAI_API_KEY"), "the name is valid now");

    // Ctrl+Enter in the empty value: not silence, the value's error.
    field(&w.harness, "Value").focus();
    w.harness.run();
    w.harness.key_press_modifiers(Modifiers::COMMAND, Key::Enter);
    w.harness.run();
    assert!(has_text(&w.harness, "value is required"), "an empty value is explained when the user tries to save");
    assert!(!stored(&w, "OPENAI_API_KEY"), "nothing was written");
}

#[test]
fn view_lists_earlier_versions_newest_first_copies_one_and_opens_edit() {
    let mut w = unlocked_with(&[("ROTATED", "", "first")]);
    for value in ["second", "third"] {
        w.harness.get_by_label("Edit ROTATED").click();
        w.harness.run();
        type_into(&mut w.harness, "Value", value);
        w.harness.get_by_label("Save").click();
        w.harness.run();
    }
    w.harness.get_by_label("View ROTATED").click();
    w.harness.run();
    let v2 = w.harness.get_by_label("Copy version 2").rect().min.y;
    let v1 = w.harness.get_by_label("Copy version 1").rect().min.y;
    assert!(v2 < v1, "newest first");
    w.harness.get_by_label("Copy version 1").click();
    w.harness.run();
    assert_eq!(w.clipboard.contents().as_deref(), Some("first"));
    assert!(w.clipboard.marked_secret(), "through the same guard as Copy");
    w.harness.get_by_label("Edit this secret").click();
    w.harness.run();
    assert!(has_text(&w.harness, "Edit Environment Secret"), "Edit straight from View");
}

#[test]
fn a_value_with_whitespace_at_its_ends_can_be_trimmed_with_one_click() {
    let mut w = unlocked_with(&[]);
    w.harness.key_press_modifiers(Modifiers::COMMAND, Key::N);
    w.harness.run();
    field(&w.harness, "Name").type_text("PASTED");
    w.harness.run();
    type_into(&mut w.harness, "Value", " sk-live-1\n");
    assert!(has_text(&w.harness, "whitespace"), "warned");
    w.harness.get_by_label("Trim spaces and line breaks at the ends").click();
    w.harness.run();
    assert!(!has_text(&w.harness, "whitespace"), "the warning goes with the whitespace");
    form_submit(&w.harness).click();
    w.harness.run();
    assert_eq!(value_of(&w, "PASTED"), ("sk-live-1".to_owned(), 1));
}

#[test]
fn several_name_value_lines_pasted_into_create_are_offered_as_an_import() {
    let mut w = unlocked_with(&[("EXISTING", "", "old")]);
    w.harness.key_press_modifiers(Modifiers::COMMAND, Key::N);
    w.harness.run();
    assert!(field(&w.harness, "Name").is_focused());
    w.harness.event(egui::Event::Paste("PASTED_ONE=sk-1\nPASTED_TWO=sk-2\n# a comment\nPASTED_THREE=sk-3\n".into()));
    w.harness.run();
    assert_eq!(field(&w.harness, "Name").accesskit_node().value().as_deref(), Some(""), "not pasted into Name");
    w.harness.get_by_label("Import 3 secrets from the pasted text").click();
    w.harness.run();
    assert!(has_text(&w.harness, "Import the pasted text"), "the plan, as for a file");
    assert!(!has_text(&w.harness, "sk-1"), "values are never shown");
    assert!(!stored(&w, "PASTED_ONE"), "nothing written yet");
    w.harness.get_by_label("Import").click();
    w.harness.run();
    assert_eq!(value_of(&w, "PASTED_TWO"), ("sk-2".to_owned(), 1));
}

#[test]
fn the_trash_is_a_table_and_each_page_keeps_its_own_scroll_position() {
    use egui::accesskit::Role;
    let mut w = unlocked_with(&[("KEEP", "", "1"), ("DROP", "", "2")]);
    w.harness.get_by_label("Delete DROP").click();
    w.harness.run();
    w.harness.get_by_label("Delete").click();
    w.harness.run();

    // Vault settings, scrolled to its last card.
    w.harness.get_by_label("Vault settings").click();
    w.harness.run();
    w.harness.get_by_label("Change passphrase").scroll_to_me();
    w.harness.run();
    let scrolled = w.harness.get_by_label("Change passphrase").rect().top();

    w.harness.get_by_label("Trash").click();
    w.harness.run();
    let drop = row(&w.harness, "DROP");
    let table = ancestor_with_role(drop.accesskit_node(), Role::Table).expect("the trash row is in a table");
    assert_eq!(table.label().as_deref(), Some("Trash list"));
    assert!(drop.rect().top() < 300.0, "the trash starts at its top, not at the settings' offset");
    let restore = w.harness.get_by_label("Restore DROP");
    assert!(ancestor_with_role(restore.accesskit_node(), Role::Row).is_some(), "actions inside their row");

    w.harness.get_by_label("Vault settings").click();
    w.harness.run();
    assert_eq!(w.harness.get_by_label("Change passphrase").rect().top(), scrolled, "settings kept its place");
}

#[test]
fn a_revealed_value_cannot_be_selected_into_primary_or_copied_past_the_guard() {
    let mut w = unlocked_with(&[("A_KEY", "", "sk-revealed-secret")]);
    w.harness.get_by_label("View A_KEY").click();
    w.harness.run();
    w.harness.get_by_label("Reveal value").click();
    w.harness.run();
    let value = w.harness.get_by_label("sk-revealed-secret").rect();
    // Drag across the revealed text, as a mouse selection would, then Ctrl+C.
    let mut leaked = Vec::new();
    for event in [
        egui::Event::PointerMoved(value.left_center()),
        egui::Event::PointerButton {
            pos: value.left_center(),
            button: egui::PointerButton::Primary,
            pressed: true,
            modifiers: Modifiers::NONE,
        },
        egui::Event::PointerMoved(value.right_center()),
        egui::Event::PointerButton {
            pos: value.right_center(),
            button: egui::PointerButton::Primary,
            pressed: false,
            modifiers: Modifiers::NONE,
        },
        egui::Event::Copy,
    ] {
        w.harness.event(event);
        w.harness.step();
        for command in &w.harness.output().platform_output.commands {
            if let egui::OutputCommand::CopyText(t) | egui::OutputCommand::TextSelectionSettled(t) = command {
                leaked.push(t.clone());
            }
        }
    }
    assert!(leaked.iter().all(|t| !t.contains("sk-revealed")), "nothing reaches the clipboard or PRIMARY: {leaked:?}");
    assert_eq!(w.clipboard.contents(), None, "and nothing was copied at all");
}

#[test]
fn one_name_value_line_pasted_into_name_is_offered_as_an_import_never_put_in_the_name() {
    let mut w = unlocked_with(&[]);
    w.harness.key_press_modifiers(Modifiers::COMMAND, Key::N);
    w.harness.run();
    w.harness.event(egui::Event::Paste("OPENAI_API_KEY=sk-live-abc\n".into()));
    w.harness.run();
    assert_eq!(field(&w.harness, "Name").accesskit_node().value().as_deref(), Some(""), "the value is not in Name");
    assert!(!has_text(&w.harness, "SK_LIVE"), "nor echoed by a name suggestion");
    assert!(w.harness.query_by_label("Import 1 secret from the pasted text").is_some());
}

#[test]
fn another_process_writes_show_without_any_input() {
    let mut w = unlocked_with(&[("MINE", "", "1")]);
    w.harness.run();
    // The command line (or another window) writes through a connection of its own.
    let mut other = open_vault(&w);
    other
        .create_secret(NewSecret {
            name: SecretName::parse("FROM_ELSEWHERE").unwrap(),
            description: String::new(),
            value: SecretValue::new("2"),
        })
        .unwrap();
    let gone = other.find(&other.default_place().unwrap(), &SecretName::parse("MINE").unwrap()).unwrap().0;
    other.delete(&[gone]).unwrap();
    other.create_project(&tresor::PlaceName::parse("shop").unwrap()).unwrap();
    // Frames come (the watch wakes the window in the app); no key, no click.
    w.harness.run();
    assert!(has_text(&w.harness, "FROM_ELSEWHERE"), "the list follows");
    assert!(!w.harness.query_all_by_label("Copy MINE").any(|_| true), "a secret trashed elsewhere leaves the list");
    assert!(has_text(&w.harness, "shop"), "the sidebar's projects follow");
    w.harness.get_by_label("Trash").click();
    w.harness.run();
    assert!(has_text(&w.harness, "MINE"), "the trash shows it");
    // Then trashed for good elsewhere while the Trash page is open.
    other.empty_trash().unwrap();
    w.harness.run();
    assert!(!has_text(&w.harness, "MINE"), "the Trash page follows too");
}

//! Projects and environments: tabs, shared and overriding rows, copy and move, Compare, the
//! vault-wide search, imports into a place.

use super::*;

#[test]
fn an_environment_shows_its_own_overridden_and_inherited_rows_marked() {
    let mut w = shop_world();
    // The sidebar lists the projects with their counts.
    assert!(w.harness.query_by_label("Personal, 1 secret").is_some());
    assert!(w.harness.query_by_label("shop, 6 secrets").is_some());
    open_shop_tab(&mut w, "production");
    for (name, said) in [
        ("DATABASE_URL", "DATABASE_URL"),
        ("LOG_LEVEL", "LOG_LEVEL, shared"),
        ("OPENAI_API_KEY", "OPENAI_API_KEY, override"),
        ("SENTRY_DSN", "SENTRY_DSN"),
    ] {
        assert!(
            w.harness.query_all_by_label(said).any(|n| n.accesskit_node().role() == egui::accesskit::Role::Row),
            "{name} is listed as {said:?}"
        );
    }
    // Copy acts on what the row shows: the override's value here.
    w.harness.get_by_label("Copy OPENAI_API_KEY").click();
    w.harness.run();
    assert_eq!(w.clipboard.contents().as_deref(), Some("sk-prod"));
    // Shared: the project's Shared level, its shared secrets only.
    w.harness.get_by_label("Shared secrets").click();
    w.harness.run();
    assert!(w.harness.query_by_label("Copy DATABASE_URL").is_none());
    assert!(w.harness.query_by_label("Copy LOG_LEVEL").is_some());
}

#[test]
fn editing_an_inherited_row_asks_shared_or_override_and_an_override_leaves_the_shared_value() {
    let mut w = shop_world();
    open_shop_tab(&mut w, "development");
    w.harness.get_by_label("Edit LOG_LEVEL").click();
    w.harness.run();
    assert!(has_text(&w.harness, "Edit LOG_LEVEL: shared, or only in development?"));
    w.harness.get_by_label("Override in development").click();
    w.harness.run();
    // The create form, with the shared secret's name.
    assert_eq!(field(&w.harness, "Name").accesskit_node().value().as_deref(), Some("LOG_LEVEL"));
    type_into(&mut w.harness, "Value", "debug");
    form_submit(&w.harness).click();
    w.harness.run();
    assert_eq!(shop_value(&w, Some("development"), "LOG_LEVEL"), Some(("debug".into(), tresor::Origin::Override)));
    assert_eq!(shop_value(&w, None, "LOG_LEVEL").unwrap().0, "info", "the shared value is unchanged");
    assert_eq!(shop_value(&w, Some("staging"), "LOG_LEVEL").unwrap().0, "info");
    assert!(w.harness.query_by_label("LOG_LEVEL, override").is_some(), "the row is now the override");

    // Delete on an inherited row: it is the shared secret's, said before anything happens.
    w.harness.get_by_label("Delete OPENAI_API_KEY").click();
    w.harness.run();
    assert!(has_text(&w.harness, "Delete the shared OPENAI_API_KEY?"));
    w.harness.get_by_label("Cancel").click();
    w.harness.run();
    assert!(shop_value(&w, None, "OPENAI_API_KEY").is_some());
}

#[test]
fn a_project_is_created_from_the_sidebar_and_an_environment_deleted_and_undone() {
    let mut w = shop_world();
    w.harness.get_by_label("New project").click();
    w.harness.run();
    type_into(&mut w.harness, "Name", "docs bot");
    w.harness.get_by_label("Create").click();
    w.harness.run();
    let projects = open_vault(&w).projects().unwrap();
    let docs = projects.iter().find(|p| p.name.as_str() == "docs bot").expect("created");
    assert_eq!(docs.environments.len(), 3);
    assert!(w.harness.query_by_label("docs bot, 0 secrets").is_some());

    open_shop_tab(&mut w, "production");
    w.harness.get_by_label("Project actions").click();
    w.harness.run();
    w.harness.get_by_label("Delete environment production…").click();
    w.harness.run();
    assert!(has_text(&w.harness, "Its 3 secrets go to the Trash with it."));
    w.harness.get_by_label("Delete").click();
    w.harness.run();
    assert!(shop_value(&w, Some("production"), "SENTRY_DSN").is_none(), "gone with its environment");
    w.harness.get_by_label("Undo").click();
    w.harness.run();
    assert_eq!(shop_value(&w, Some("production"), "SENTRY_DSN").unwrap().0, "https://sentry");
}

#[test]
fn compare_shows_gaps_and_different_values_and_copy_here_fills_a_gap() {
    let mut w = shop_world();
    open_shop_tab(&mut w, "Compare");
    assert!(has_text(&w.harness, "4 names; 3 missing somewhere or with different values"));
    // No value is on screen.
    for value in ["sk-prod", "sk-shared", "postgres://", "https://sentry"] {
        assert!(!has_text(&w.harness, value), "{value} is shown");
    }
    w.harness.get_by_label("Copy SENTRY_DSN to development").click();
    w.harness.run();
    // It asks first, saying what the copy does.
    assert!(has_text(&w.harness, "Copy SENTRY_DSN to shop / development?"));
    assert!(has_text(&w.harness, "shop / development gets SENTRY_DSN."));
    assert!(shop_value(&w, Some("development"), "SENTRY_DSN").is_none(), "nothing copied before the answer");
    w.harness.get_all_by_label("Copy").last().unwrap().click();
    w.harness.run();
    assert_eq!(shop_value(&w, Some("development"), "SENTRY_DSN").unwrap().0, "https://sentry");
    assert!(w.harness.query_by_label("Copy SENTRY_DSN to development").is_none(), "the gap is filled");
}

#[test]
fn a_secret_is_copied_to_another_environment_from_view() {
    let mut w = shop_world();
    open_shop_tab(&mut w, "production");
    w.harness.get_by_label("View DATABASE_URL").click();
    w.harness.run();
    w.harness.get_by_label("Copy to…").click();
    w.harness.run();
    w.harness.get_by_label("shop / staging").click();
    w.harness.run();
    w.harness.get_all_by_label("Copy").last().unwrap().click();
    w.harness.run();
    assert_eq!(shop_value(&w, Some("staging"), "DATABASE_URL").unwrap().0, "postgres://prod");
    // Once more: the name is taken there now, and the dialog says how to replace it.
    w.harness.get_by_label("View DATABASE_URL").click();
    w.harness.run();
    w.harness.get_by_label("Copy to…").click();
    w.harness.run();
    w.harness.get_by_label("shop / staging").click();
    w.harness.run();
    w.harness.get_all_by_label("Copy").last().unwrap().click();
    w.harness.run();
    assert!(has_text(&w.harness, "There is already a DATABASE_URL in shop / staging; tick “Replace it”"));
}

#[test]
fn ctrl_shift_f_finds_a_name_in_every_project_and_goes_there() {
    let mut w = shop_world();
    w.harness.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::F);
    w.harness.run();
    assert!(has_text(&w.harness, "Find in every project"));
    field(&w.harness, "Name contains").type_text("database");
    w.harness.run();
    w.harness.run();
    assert!(has_text(&w.harness, "2 found"));
    w.harness.get_by_label_contains("DATABASE_URL  —  shop / development").click();
    w.harness.run();
    w.harness.run();
    // The development tab, with the row highlighted and focused.
    assert!(row(&w.harness, "DATABASE_URL").is_focused());
    w.harness.get_by_label("Copy DATABASE_URL").click();
    w.harness.run();
    assert_eq!(w.clipboard.contents().as_deref(), Some("postgres://dev"));
}

#[test]
fn a_file_dropped_on_an_environment_imports_into_it() {
    let mut w = shop_world();
    open_shop_tab(&mut w, "staging");
    let file = w.path.with_file_name("staging.env");
    common::write_private(&file, b"STAGING_ONLY=1\nLOG_LEVEL=warn\n");
    w.harness.input_mut().dropped_files.push(std::sync::Arc::new(Dropped(file)));
    w.harness.run();
    w.harness.get_by_label("Import").click();
    w.harness.run();
    assert_eq!(shop_value(&w, Some("staging"), "STAGING_ONLY"), Some(("1".into(), tresor::Origin::Own)));
    assert_eq!(shop_value(&w, Some("staging"), "LOG_LEVEL"), Some(("warn".into(), tresor::Origin::Override)));
    assert_eq!(shop_value(&w, None, "LOG_LEVEL").unwrap().0, "info", "the shared value is not touched");
}

#[test]
fn a_streamlit_secrets_toml_is_imported_section_by_section_into_environments() {
    let mut w = shop_world();
    open_shop_tab(&mut w, "Shared secrets");
    let file = w.path.with_file_name("secrets.toml");
    common::write_private(
        &file,
        b"SHARED_TOKEN = \"s\"\n[production]\nQUEUE_URL = \"amqp://prod\"\n[staging]\nQUEUE_URL = \"amqp://staging\"\n\
          [reporting]\nREPORTS_TOKEN = \"r\"\n",
    );
    w.harness.input_mut().dropped_files.push(std::sync::Arc::new(Dropped(file)));
    w.harness.run();
    w.harness.get_by_label("Import each [section] into an environment…").click();
    w.harness.run();
    assert!(has_text(&w.harness, "Import secrets.toml by section"));
    assert!(has_text(&w.harness, "into shop / production"));
    assert!(has_text(&w.harness, "skipped: choose where"), "[reporting]: shop has no such environment");
    // [reporting] into Personal's level.
    w.harness.get_by_label("Where [reporting] goes").click();
    w.harness.run();
    // (Through AccessKit: the list is still sliding open, under a pointer's fixed position.)
    w.harness.get_by_label("Personal (shared)").click_accesskit();
    w.harness.run();
    assert!(!has_text(&w.harness, "skipped: choose where"));
    w.harness.get_by_label("Import").click();
    w.harness.run();
    assert_eq!(shop_value(&w, None, "SHARED_TOKEN").unwrap().0, "s");
    assert_eq!(shop_value(&w, Some("production"), "QUEUE_URL").unwrap().0, "amqp://prod");
    assert_eq!(shop_value(&w, Some("staging"), "QUEUE_URL").unwrap().0, "amqp://staging");
    assert_eq!(value_of(&w, "REPORTS_TOKEN").0, "r");
}

#[test]
fn an_environment_is_moved_among_the_tabs_from_the_project_menu() {
    let mut w = shop_world();
    open_shop_tab(&mut w, "production");
    w.harness.get_by_label("Project actions").click();
    w.harness.run();
    w.harness.get_by_label("Move production left").click();
    w.harness.run();
    let projects = open_vault(&w).projects().unwrap();
    let shop = projects.iter().find(|p| p.name.as_str() == "shop").unwrap();
    let order: Vec<&str> = shop.environments.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(order, ["development", "production", "staging"]);
}

// ---- Issue 21: where a secret goes, and what a change touches ---------------------------------

/// The dialog open now (its accessible name).
fn dialog_name(w: &World) -> String {
    w.harness
        .get_all_by_role(egui::accesskit::Role::Dialog)
        .filter_map(|d| d.accesskit_node().label())
        .next_back()
        .expect("a dialog is open")
}

#[test]
fn create_edit_view_and_their_toasts_say_the_place_and_shared_or_override() {
    let mut w = shop_world();
    // Create in staging, over the shared LOG_LEVEL: said before saving, and in the toast.
    open_shop_tab(&mut w, "staging");
    w.harness.key_press_modifiers(Modifiers::COMMAND, Key::N);
    w.harness.run();
    assert_eq!(dialog_name(&w), "Create Environment Secret in shop / staging");
    type_into(&mut w.harness, "Name", "LOG_LEVEL");
    assert!(has_text(
        &w.harness,
        "An override: shop / staging gets its own LOG_LEVEL; the other environments of shop keep the shared value."
    ));
    type_into(&mut w.harness, "Value", "warn");
    form_submit(&w.harness).click();
    w.harness.run();
    assert!(has_text(&w.harness, "Created LOG_LEVEL in shop / staging, overriding the shared value."));
    assert_eq!(shop_value(&w, Some("staging"), "LOG_LEVEL"), Some(("warn".into(), tresor::Origin::Override)));

    // Create at the Shared level: which environments will see it, which keep their own.
    w.harness.get_by_label("Shared secrets").click();
    w.harness.run();
    w.harness.key_press_modifiers(Modifiers::COMMAND, Key::N);
    w.harness.run();
    assert_eq!(dialog_name(&w), "Create Environment Secret in shop (shared)");
    type_into(&mut w.harness, "Name", "DATABASE_URL");
    assert!(has_text(&w.harness, "shop / staging will see it."));
    assert!(has_text(&w.harness, "shop / development and shop / production keep their own DATABASE_URL."));
    w.harness.key_press(Key::Escape);
    w.harness.run();

    // Edit the shared OPENAI_API_KEY: who sees the change; the toast names the place.
    w.harness.get_by_label("Edit OPENAI_API_KEY").click();
    w.harness.run();
    assert_eq!(dialog_name(&w), "Edit Environment Secret in shop (shared)");
    assert!(has_text(&w.harness, "shop / development and shop / staging see the change."));
    assert!(has_text(&w.harness, "shop / production keeps its own OPENAI_API_KEY."));
    type_into(&mut w.harness, "Value", "sk-shared-2");
    w.harness.get_by_label("Save").click();
    w.harness.run();
    assert!(has_text(&w.harness, "Saved OPENAI_API_KEY in shop (shared), now version 2."));

    // View says where a row lives and how the tab shown sees it.
    open_shop_tab(&mut w, "production");
    w.harness.get_by_label("View OPENAI_API_KEY").click();
    w.harness.run();
    assert!(has_text(&w.harness, "In shop / production · override of the shared value"));
    w.harness.key_press(Key::Escape);
    w.harness.run();
    w.harness.get_by_label("View LOG_LEVEL").click();
    w.harness.run();
    assert!(has_text(&w.harness, "In shop (shared) · production uses this shared value"));
    w.harness.key_press(Key::Escape);
    w.harness.run();
    // Renaming an override uncovers the shared value of its old name: said before saving.
    w.harness.get_by_label("Edit OPENAI_API_KEY").click();
    w.harness.run();
    assert!(has_text(&w.harness, "An override: only shop / production changes; the shared value stays."));
    replace_in(&mut w.harness, "Name", "OPENAI_KEY");
    assert!(has_text(
        &w.harness,
        "Saving renames it: programs that read OPENAI_API_KEY in shop / production get the shared value instead."
    ));
}

#[test]
fn the_app_says_shared_own_and_override_and_never_all_environments_or_inherited() {
    let mut w = shop_world();
    for tab in ["Shared secrets", "development", "production", "Compare"] {
        open_shop_tab(&mut w, tab);
        for old in ["All environments", "nherit", "project level", " · production", " · development"] {
            let found: Vec<String> =
                w.harness.query_all_by_label_contains(old).filter_map(|n| n.accesskit_node().label()).collect();
            assert!(found.is_empty(), "{tab}: {old:?} in {found:?}");
        }
    }
    // The tags of an environment's rows, as a screen reader hears them.
    open_shop_tab(&mut w, "production");
    assert!(w.harness.query_by_label("Shared by every environment of shop").is_some());
    assert!(w.harness.query_by_label("Overrides the shared value").is_some());
    // The tab of the Shared level is named so, and said to be a tab of shared secrets.
    let shared = w.harness.get_by_label("Shared secrets");
    assert_eq!(shared.accesskit_node().role(), egui::accesskit::Role::Button);
}

#[test]
fn two_trashed_secrets_of_one_name_are_told_apart_by_their_place() {
    let mut w = shop_world();
    {
        let mut vault = open_vault(&w);
        let prod = vault.place(Some("shop"), Some("production")).unwrap();
        let staging = vault.place(Some("shop"), Some("staging")).unwrap();
        for place in [prod, staging] {
            vault.set(&place, SecretName::parse("PK").unwrap(), None, Some(SecretValue::new("k"))).unwrap();
            vault.remove_in(&place, &[SecretName::parse("PK").unwrap()]).unwrap();
        }
    }
    w.harness.get_by_label("Trash").click();
    w.harness.run();
    let places: Vec<String> = w
        .harness
        .get_all_by_role(egui::accesskit::Role::Cell)
        .filter(|c| c.accesskit_node().description().as_deref() == Some("Place"))
        .flat_map(|c| c.children_recursive().filter_map(|n| n.accesskit_node().value()).collect::<Vec<_>>())
        .collect();
    assert!(places.contains(&"shop / production".to_owned()), "{places:?}");
    assert!(places.contains(&"shop / staging".to_owned()), "{places:?}");
    // Each Restore says which one it restores.
    let restores: Vec<Option<String>> =
        w.harness.get_all_by_label("Restore PK").map(|n| n.accesskit_node().description()).collect();
    assert_eq!(restores.len(), 2);
    assert!(
        restores.contains(&Some("from shop / production".into()))
            && restores.contains(&Some("from shop / staging".into()))
    );
}

#[test]
fn moving_an_override_says_production_falls_back_to_the_shared_value_and_undo_moves_it_back() {
    let mut w = shop_world();
    open_shop_tab(&mut w, "production");
    w.harness.get_by_label("View OPENAI_API_KEY").click();
    w.harness.run();
    w.harness.get_by_label("Move to…").click();
    w.harness.run();
    w.harness.get_by_label("shop / development").click();
    w.harness.run();
    // Before anything is written: what the move does to each place it touches.
    assert!(has_text(&w.harness, "shop / production falls back to the shared OPENAI_API_KEY."));
    assert!(has_text(&w.harness, "shop / development gets its own OPENAI_API_KEY, overriding the shared value."));
    assert_eq!(shop_value(&w, Some("production"), "OPENAI_API_KEY").unwrap().0, "sk-prod", "nothing moved yet");
    w.harness.get_all_by_label("Move").last().unwrap().click();
    w.harness.run();
    assert!(has_text(&w.harness, "Moved OPENAI_API_KEY from shop / production to shop / development."));
    assert!(has_text(&w.harness, "shop / production falls back to the shared OPENAI_API_KEY."), "said again");
    assert_eq!(
        shop_value(&w, Some("production"), "OPENAI_API_KEY"),
        Some(("sk-shared".into(), tresor::Origin::Inherited))
    );
    assert_eq!(
        shop_value(&w, Some("development"), "OPENAI_API_KEY"),
        Some(("sk-prod".into(), tresor::Origin::Override))
    );
    // Ctrl+Z (outside a text field) undoes it, as the Undo button would.
    w.harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    w.harness.run();
    assert!(has_text(&w.harness, "Undone: OPENAI_API_KEY is back in shop / production."));
    assert_eq!(
        shop_value(&w, Some("production"), "OPENAI_API_KEY"),
        Some(("sk-prod".into(), tresor::Origin::Override))
    );
    assert_eq!(shop_value(&w, Some("development"), "OPENAI_API_KEY").unwrap().1, tresor::Origin::Inherited);
}

#[test]
fn compares_copy_asks_first_and_undo_takes_the_copy_back_out() {
    let mut w = shop_world();
    open_shop_tab(&mut w, "Compare");
    w.harness.get_by_label("Copy SENTRY_DSN to development").click();
    w.harness.run();
    assert_eq!(dialog_name(&w), "Copy SENTRY_DSN to shop / development?");
    assert!(has_text(&w.harness, "The value shop / production has"));
    w.harness.get_all_by_label("Copy").last().unwrap().click();
    w.harness.run();
    assert_eq!(shop_value(&w, Some("development"), "SENTRY_DSN").unwrap().0, "https://sentry");
    w.harness.get_by_label("Undo").click();
    w.harness.run();
    assert!(shop_value(&w, Some("development"), "SENTRY_DSN").is_none(), "the copy is undone");
    assert!(has_text(&w.harness, "Undone: the copy of SENTRY_DSN in shop / development went to the Trash."));
    assert_eq!(shop_value(&w, Some("production"), "SENTRY_DSN").unwrap().0, "https://sentry", "the original stays");
    assert!(w.harness.query_by_label("Copy SENTRY_DSN to development").is_some(), "the gap is back");
}

#[test]
fn a_copy_that_replaced_a_value_is_undone_by_bringing_the_earlier_value_back() {
    let mut w = shop_world();
    open_shop_tab(&mut w, "production");
    w.harness.get_by_label("View DATABASE_URL").click();
    w.harness.run();
    w.harness.get_by_label("Copy to…").click();
    w.harness.run();
    w.harness.get_by_label("shop / development").click();
    w.harness.run();
    assert!(has_text(&w.harness, "shop / development already has DATABASE_URL: tick “Replace it”"));
    w.harness.get_by_label("Replace it where the name exists (its value becomes a new version)").click();
    w.harness.run();
    w.harness.get_all_by_label("Copy").last().unwrap().click();
    w.harness.run();
    assert!(has_text(&w.harness, "DATABASE_URL in shop / development has this value now, as a new version."));
    assert_eq!(shop_value(&w, Some("development"), "DATABASE_URL").unwrap().0, "postgres://prod");
    w.harness.get_by_label("Undo").click();
    w.harness.run();
    assert_eq!(shop_value(&w, Some("development"), "DATABASE_URL").unwrap().0, "postgres://dev");
    assert!(has_text(
        &w.harness,
        "Undone: DATABASE_URL in shop / development has its earlier value again (version 3)."
    ));
}

#[test]
fn deleting_a_shared_secret_from_an_environment_says_who_loses_it_and_enter_cancels() {
    let mut w = shop_world();
    open_shop_tab(&mut w, "development");
    w.harness.get_by_label("Delete OPENAI_API_KEY").click();
    w.harness.run_steps(4);
    // production has its own: two of the three environments lose it, and the dialog says so.
    assert_eq!(dialog_name(&w), "Delete the shared OPENAI_API_KEY?");
    assert!(has_text(&w.harness, "shop / development and shop / staging lose OPENAI_API_KEY."));
    assert!(has_text(&w.harness, "shop / production keeps its own OPENAI_API_KEY."));
    assert!(w.harness.query_by_label("Delete from 2 environments").is_some());
    // The safe default: Cancel has the focus, Enter cancels; nothing is deleted.
    assert!(w.harness.get_by_label("Cancel").is_focused(), "Cancel has the focus");
    w.harness.key_press(Key::Enter);
    w.harness.run();
    assert!(w.harness.query_all_by_role(egui::accesskit::Role::Dialog).next().is_none(), "Enter closed it");
    assert_eq!(shop_value(&w, None, "OPENAI_API_KEY").unwrap().0, "sk-shared");
    w.harness.run();
    // One confirmation, not two: its own button deletes the shared secret (with Undo).
    w.harness.get_by_label("Delete LOG_LEVEL").click();
    w.harness.run();
    assert_eq!(dialog_name(&w), "Delete the shared LOG_LEVEL from every environment?");
    assert!(has_text(&w.harness, "Every environment of shop loses LOG_LEVEL."));
    w.harness.get_by_label("Delete from every environment").click();
    w.harness.run();
    assert!(w.harness.query_all_by_role(egui::accesskit::Role::Dialog).next().is_none(), "no second question");
    assert!(shop_value(&w, None, "LOG_LEVEL").is_none());
    assert!(has_text(&w.harness, "Deleted the shared LOG_LEVEL from shop (shared)."));
    w.harness.get_by_label("Undo").click();
    w.harness.run();
    assert_eq!(shop_value(&w, None, "LOG_LEVEL").unwrap().0, "info");
    assert!(has_text(&w.harness, "Restored LOG_LEVEL in shop (shared)."));
}

#[test]
fn copying_to_the_place_it_is_in_is_refused_with_its_own_words() {
    let mut w = shop_world();
    open_shop_tab(&mut w, "production");
    w.harness.get_by_label("View DATABASE_URL").click();
    w.harness.run();
    w.harness.get_by_label("Copy to…").click();
    w.harness.run();
    w.harness.get_by_label("shop / production — it is here").click();
    w.harness.run();
    assert!(has_text(&w.harness, "DATABASE_URL is already in shop / production: choose another place."));
    assert!(!has_text(&w.harness, "Shop "), "the project's name keeps its case");
    assert!(w.harness.get_all_by_label("Copy").last().unwrap().accesskit_node().is_disabled());
}

#[test]
fn counts_and_restores_read_as_sentences() {
    let mut w = shop_world();
    // Compare of a project with one name: "1 name", not "1 names".
    {
        let mut vault = open_vault(&w);
        let docs = vault.create_project(&tresor::PlaceName::parse("docs").unwrap()).unwrap();
        let dev = vault.place(Some("docs"), Some("development")).unwrap();
        vault.set(&dev, SecretName::parse("ONLY").unwrap(), None, Some(SecretValue::new("1"))).unwrap();
        assert_eq!(dev.project, docs);
    }
    w.harness.run();
    w.harness.get_by_label_contains("docs, ").click();
    w.harness.run();
    w.harness.get_by_label("Compare").click();
    w.harness.run();
    assert!(has_text(&w.harness, "1 name; 1 missing somewhere"));
    // Deleting an environment: what can be restored, said plainly.
    open_shop_tab(&mut w, "development");
    w.harness.get_by_label("Project actions").click();
    w.harness.run();
    w.harness.get_by_label("Delete environment development…").click();
    w.harness.run();
    assert!(has_text(&w.harness, "Delete environment shop / development?"));
    assert!(has_text(
        &w.harness,
        "Its secret goes to the Trash with it. You can restore the environment, with its secret, from the Trash for 30 days."
    ));
    w.harness.get_by_label("Delete").click();
    w.harness.run();
    assert!(has_text(&w.harness, "Deleted environment shop / development and its secret."));
    w.harness.get_by_label("Undo").click();
    w.harness.run();
    assert!(has_text(&w.harness, "Restored environment shop / development, with its secret."));
    // A secret restored from the Trash: named, with its place.
    open_shop_tab(&mut w, "production");
    w.harness.get_by_label("Delete SENTRY_DSN").click();
    w.harness.run();
    assert!(has_text(&w.harness, "Delete SENTRY_DSN from shop / production?"));
    w.harness.get_by_label("Delete").click();
    w.harness.run();
    w.harness.get_by_label("Trash").click();
    w.harness.run();
    w.harness.get_by_label("Restore SENTRY_DSN").click();
    w.harness.run();
    assert!(has_text(&w.harness, "Restored SENTRY_DSN in shop / production."));
}

#[test]
fn a_place_picked_with_the_keyboard_keeps_the_keyboard_for_what_follows() {
    let mut w = shop_world();
    open_shop_tab(&mut w, "production");
    w.harness.get_by_label("View SENTRY_DSN").click();
    w.harness.run();
    w.harness.get_by_label("Copy to…").click();
    w.harness.run_steps(4);
    // The list's first place has the keyboard; Tab to shop / development (the sixth), Enter.
    assert!(w.harness.get_by_label("Personal (shared)").is_focused());
    for _ in 0..5 {
        w.harness.key_press(Key::Tab);
        w.harness.run();
    }
    w.harness.key_press(Key::Enter);
    w.harness.run();
    // What the copy changes appeared above the list; the place chosen keeps the keyboard, so
    // Tab goes on from there (to the next place), not from the top.
    assert!(has_text(&w.harness, "shop / development gets SENTRY_DSN."));
    assert!(w.harness.get_by_label("shop / development").is_focused(), "the place chosen keeps the keyboard");
    w.harness.key_press(Key::Tab);
    w.harness.run();
    assert!(w.harness.get_by_label("shop / staging").is_focused(), "Tab goes on from the place chosen");
    w.harness.key_press_modifiers(Modifiers::SHIFT, Key::Tab);
    w.harness.run();
    w.harness.get_all_by_label("Copy").last().unwrap().click();
    w.harness.run();
    assert_eq!(shop_value(&w, Some("development"), "SENTRY_DSN").unwrap().0, "https://sentry");
}

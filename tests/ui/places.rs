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
    assert!(has_text(&w.harness, "Delete the shared OPENAI_API_KEY from every environment?"));
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

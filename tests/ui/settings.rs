//! Vault settings: the passphrase, preferences, import and export, backups, the vault key.

use super::*;

#[test]
fn change_passphrase_from_vault_settings() {
    let mut w = unlocked_with(&[("K", "", "v")]);
    w.harness.get_by_label("Vault settings").click();
    w.harness.run();
    type_into(&mut w.harness, "Current passphrase", "wrong one");
    type_into(&mut w.harness, "New passphrase", "a brand new passphrase 42");
    type_into(&mut w.harness, "Confirm new passphrase", "a brand new passphrase 42");
    // The passphrase card is last on the page: scrolled to, as a user would.
    w.harness.get_by_label("Change passphrase").scroll_to_me();
    w.harness.run();
    w.harness.get_by_label("Change passphrase").click();
    w.harness.run();
    assert!(has_text(&w.harness, "current passphrase is wrong"));
    assert!(Vault::unlock(&w.path, &Passphrase::new(PASSPHRASE)).is_ok(), "nothing changed");
    for kept in ["New passphrase", "Confirm new passphrase"] {
        let len = field(&w.harness, kept).accesskit_node().value().map_or(0, |v| v.chars().count());
        assert_eq!(len, "a brand new passphrase 42".len(), "a wrong current passphrase keeps {kept}");
    }

    type_into(&mut w.harness, "Current passphrase", PASSPHRASE);
    // The passphrase card is last on the page: scrolled to, as a user would.
    w.harness.get_by_label("Change passphrase").scroll_to_me();
    w.harness.run();
    w.harness.get_by_label("Change passphrase").click();
    w.harness.run();
    assert!(has_text(&w.harness, "Passphrase changed"));
    assert!(Vault::unlock(&w.path, &Passphrase::new("a brand new passphrase 42")).is_ok());
    assert!(Vault::unlock(&w.path, &Passphrase::new(PASSPHRASE)).is_err());
}

#[test]
fn import_shows_the_plan_then_writes_it_in_one_go() {
    let mut w = unlocked_with(&[("KEPT", "", "same-value"), ("CHANGED", "", "old-value")]);
    let file = w._dir.path().join("app.env");
    std::fs::write(
        &file,
        "# a real .env\nexport NEW_KEY=\"line one\\nline two\"\nKEPT=same-value\nCHANGED=new-value\nbad-name=x\nEMPTY=\n",
    )
    .unwrap();
    open_settings(&mut w);
    type_into(&mut w.harness, "File to import", &file.display().to_string());
    w.harness.get_by_label("Review import…").click();
    w.harness.run();

    // The plan, entry by entry, before anything is written.
    assert!(has_text(&w.harness, "1 to add, 0 to update, 1 unchanged, 2 skipped, 1 in conflict"));
    assert!(has_text(&w.harness, "try BAD_NAME"), "an invalid name comes with a valid suggestion");
    assert!(has_text(&w.harness, "the value is empty"));
    let entry = row(&w.harness, "CHANGED");
    let table = ancestor_with_role(entry.accesskit_node(), egui::accesskit::Role::Table).expect("the plan is a table");
    assert_eq!(table.label().as_deref(), Some("Import plan"));
    assert!(
        w.harness.get_by_label("Import").accesskit_node().is_disabled(),
        "a conflict blocks the import until the user decides"
    );
    assert_eq!(value_of(&w, "CHANGED").0, "old-value");

    w.harness.get_by_label("Replace it (new version)").click();
    w.harness.run();
    assert!(has_text(&w.harness, "1 to add, 1 to update, 1 unchanged, 2 skipped"));
    w.harness.get_by_label("Import").click();
    w.harness.run();

    assert!(has_text(
        &w.harness,
        "Imported app.env into Personal (shared): 1 added, 1 updated, 1 unchanged, 2 skipped"
    ));
    assert_eq!(value_of(&w, "NEW_KEY").0, "line one\nline two");
    assert_eq!(value_of(&w, "CHANGED"), ("new-value".to_owned(), 2), "an update is a new version");
    assert_eq!(value_of(&w, "KEPT"), ("same-value".to_owned(), 1));
    w.harness.get_by_label("Secrets").click();
    w.harness.run();
    assert!(w.harness.query_by_label("View NEW_KEY").is_some(), "the list shows what was imported");
}

#[test]
fn keeping_the_vaults_values_skips_the_conflicts() {
    let mut w = unlocked_with(&[("CHANGED", "", "old-value")]);
    let file = w._dir.path().join("secrets.json");
    std::fs::write(&file, r#"{"CHANGED": "new-value", "ADDED": "v"}"#).unwrap();
    open_settings(&mut w);
    type_into(&mut w.harness, "File to import", &file.display().to_string());
    w.harness.get_by_label("Review import…").click();
    w.harness.run();
    w.harness.get_by_label("Keep the vault's value").click();
    w.harness.run();
    assert!(has_text(&w.harness, "exists with a different value, which is kept"));
    w.harness.get_by_label("Import").click();
    w.harness.run();
    assert_eq!(value_of(&w, "CHANGED"), ("old-value".to_owned(), 1));
    assert_eq!(value_of(&w, "ADDED").0, "v");
}

#[test]
fn an_unreadable_or_unknown_file_is_explained_and_nothing_changes() {
    let mut w = unlocked_with(&[("KEPT", "", "v")]);
    open_settings(&mut w);
    let missing = w._dir.path().join("nope.env");
    type_into(&mut w.harness, "File to import", &missing.display().to_string());
    w.harness.get_by_label("Review import…").click();
    w.harness.run();
    assert!(has_text(&w.harness, "no such file or folder"), "a missing file is named as such");

    let odd = w._dir.path().join("notes.txt");
    std::fs::write(&odd, "A=1").unwrap();
    replace_in(&mut w.harness, "File to import", &odd.display().to_string());
    w.harness.get_by_label("Review import…").click();
    w.harness.run();
    assert!(has_text(&w.harness, "Cannot tell the format"), "an unknown extension asks for a format");

    let broken = w._dir.path().join("broken.json");
    std::fs::write(&broken, "{\"A\": ").unwrap();
    replace_in(&mut w.harness, "File to import", &broken.display().to_string());
    w.harness.get_by_label("Review import…").click();
    w.harness.run();
    assert!(has_text(&w.harness, "not valid JSON"));
    assert_eq!(open_vault(&w).list().unwrap().items.len(), 1);
}

#[test]
fn export_asks_first_writes_a_private_file_and_never_overwrites_silently() {
    let mut w = unlocked_with(&[("OPENAI_API_KEY", "", "sk-1 \"quoted\" # not a comment"), ("HF_TOKEN", "", "hf_x")]);
    let out = w._dir.path().join("out.env");
    open_settings(&mut w);
    type_into(&mut w.harness, "Export to file", &out.display().to_string());
    w.harness.get_by_label("Export…").click();
    w.harness.run();
    assert!(has_text(&w.harness, "Export 2 secrets in plain text?"));
    assert!(!out.exists(), "nothing is written before the confirmation");
    w.harness.get_by_label("Export").click();
    w.harness.run();

    assert!(has_text(&w.harness, "Exported 2 secrets"));
    let text = std::fs::read(&out).unwrap();
    let parsed = tresor::interchange::parse(tresor::interchange::Format::Env, &text, Default::default()).unwrap();
    let got: Vec<(String, String)> =
        parsed.entries.iter().map(|e| (e.key.clone(), e.value.expose().to_owned())).collect();
    assert!(got.contains(&("OPENAI_API_KEY".into(), "sk-1 \"quoted\" # not a comment".into())));
    assert!(got.contains(&("HF_TOKEN".into(), "hf_x".into())));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o600);
    }

    // A second export to the same file needs "Replace it".
    std::fs::write(&out, "keep me").unwrap();
    w.harness.get_by_label("Export…").click();
    w.harness.run();
    assert!(has_text(&w.harness, "already exists"));
    assert!(w.harness.get_by_label("Export").accesskit_node().is_disabled());
    w.harness.get_by_label("Cancel").click();
    w.harness.run();
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me");
}

/// Labels of the Restore buttons in the Backups list, newest first.
fn restore_buttons(harness: &Harness<'_, App>) -> Vec<String> {
    harness.query_all_by_label_contains("Restore the backup from").filter_map(|n| n.accesskit_node().label()).collect()
}

#[test]
fn a_backup_is_made_and_restored_from_vault_settings() {
    let mut w = unlocked_with(&[("OPENAI_API_KEY", "GPT calls", "sk-old")]);
    open_settings(&mut w);
    assert!(has_text(&w.harness, "Daily"), "the first unlock of the day made a backup");
    assert_eq!(restore_buttons(&w.harness).len(), 1);

    w.clock.advance_seconds(60);
    w.harness.get_by_label("Back up now").click();
    w.harness.run();
    assert!(has_text(&w.harness, "Made by hand"));
    let buttons = restore_buttons(&w.harness);
    assert_eq!(buttons.len(), 2);
    // A table for screen readers: each backup a row, its Restore… inside it; the sidebar marks
    // the current page.
    let restore = w.harness.get_all_by_label_contains("Restore the backup from").next().unwrap();
    let row = ancestor_with_role(restore.accesskit_node(), egui::accesskit::Role::Row).expect("inside its row");
    let table = ancestor_with_role(row, egui::accesskit::Role::Table).expect("inside the table");
    assert_eq!(table.label().as_deref(), Some("Backups list"));
    let page = w
        .harness
        .get_all_by_label("Vault settings")
        .find(|n| n.accesskit_node().role() != egui::accesskit::Role::Heading)
        .expect("the sidebar's entry");
    assert_eq!(page.accesskit_node().description().as_deref(), Some("current page"));

    // Later, the vault changes (here through the core, as the command line would).
    {
        let mut vault = open_vault(&w);
        let id = vault.find(&vault.default_place().unwrap(), &SecretName::parse("OPENAI_API_KEY").unwrap()).unwrap().0;
        vault.edit(id, SecretEdit { name: None, description: None, value: Some(SecretValue::new("sk-new")) }).unwrap();
        vault
            .create_secret(NewSecret {
                name: SecretName::parse("LATER").unwrap(),
                description: String::new(),
                value: SecretValue::new("x"),
            })
            .unwrap();
    }

    // A wrong passphrase restores nothing.
    w.harness.get_by_label(&buttons[0]).click();
    w.harness.run();
    type_into(&mut w.harness, "Backup passphrase", "not it");
    w.harness.get_by_label("Restore").click();
    w.harness.run();
    assert!(has_text(&w.harness, "That passphrase does not open this backup."));
    assert_eq!(value_of(&w, "OPENAI_API_KEY").0, "sk-new");

    replace_in(&mut w.harness, "Backup passphrase", PASSPHRASE);
    w.harness.key_press(Key::Enter);
    w.harness.run();
    assert!(w.harness.state().is_unlocked());
    assert!(has_text(&w.harness, "The state before is kept as a backup."), "a toast says what happened");
    assert!(!has_field(&w.harness, "Backup passphrase"), "the dialog closed");
    assert_eq!(value_of(&w, "OPENAI_API_KEY"), ("sk-old".to_owned(), 1));
    assert!(!stored(&w, "LATER"));
    assert!(has_text(&w.harness, "Before a restore"), "the list shows the new backup");

    w.harness.get_by_label("Secrets").click();
    w.harness.run();
    assert!(w.harness.query_by_label("View LATER").is_none(), "the page shows the restored secrets");
    assert!(w.harness.query_by_label("View OPENAI_API_KEY").is_some());
}

#[test]
fn how_many_backups_to_keep_is_set_in_vault_settings() {
    let mut w = unlocked_with(&[("A", "", "1")]);
    open_settings(&mut w);
    w.harness.get_by_label("Backups to keep").click();
    w.harness.run();
    w.harness.get_by_label("Off").click();
    w.harness.run();
    assert!(has_text(&w.harness, "Automatic backups are off. The backups below are kept until you delete them."));
    assert_eq!(restore_buttons(&w.harness).len(), 1, "turning them off deletes none");
    assert!(w.harness.get_by_label("Back up now").accesskit_node().is_disabled());
    assert_eq!(tresor::vault::backup::keep(&w.path), 0, "shared with the command line through the vault's folder");

    w.harness.get_by_label("Backups to keep").click();
    w.harness.run();
    w.harness.get_by_label("Keep the last 10").click();
    w.harness.run();
    assert_eq!(tresor::vault::backup::keep(&w.path), 10);
    w.clock.advance_seconds(5);
    w.harness.get_by_label("Back up now").click();
    w.harness.run();
    assert_eq!(restore_buttons(&w.harness).len(), 2);
}

#[test]
fn the_saved_preferences_hold_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.db");
    let config = dir.path().join("config");
    std::fs::create_dir(&config).unwrap();
    let prefs_path = config.join("prefs.json");
    let clock = Arc::new(TestClock(AtomicI64::new(1_800_000_000_000)));
    let pass = "MARKERPASS5T passphrase";
    Vault::create_with_clock(&path, &Passphrase::new(pass), KdfParams::insecure_for_tests(), clock.clone()).unwrap();
    let app = App::new(AppOptions {
        vault_path: path.clone(),
        prefs_path: Some(prefs_path.clone()),
        clock: clock.clone(),
        clipboard: Box::new(FakeClipboard::new()),
        background_jobs: false,
        kdf_override: Some(KdfParams::insecure_for_tests()),
        serve: ServeAt::Off,
    });
    let mut harness =
        Harness::builder().with_size([1100.0, 1400.0]).build_ui_state(|ui, app: &mut App| app.show(ui), app);
    harness.run();
    type_into(&mut harness, "Passphrase", pass);
    harness.get_by_label("Unlock").click();
    harness.run();

    // A whole session: create, view, copy, search, change every preference, lock.
    harness.get_by_label("Create Environment Secret").click();
    harness.run();
    field(&harness, "Name").type_text("MARKERNAME5T");
    harness.run();
    type_into(&mut harness, "Description", "MARKERDESC5T");
    type_into(&mut harness, "Value", "MARKERVALUE5T");
    form_submit(&harness).click();
    harness.run();
    harness.get_by_label("View MARKERNAME5T").click();
    harness.run();
    harness.get_by_label("Close").click();
    harness.run();
    harness.get_by_label("Copy MARKERNAME5T").click();
    harness.run();
    type_into(&mut harness, "Search secrets", "MARKERNAME");
    harness.get_by_label("Vault settings").click();
    harness.run();
    for (combo, choice) in [("Auto-lock after", "10 minutes"), ("Clear clipboard after", "30 seconds")] {
        harness.get_by_label(combo).click();
        harness.run();
        harness.get_by_label(choice).click();
        harness.run();
    }
    harness.get_by_label("Lock").click();
    harness.run();

    let saved = std::fs::read_to_string(&prefs_path).unwrap();
    assert!(saved.contains("\"auto_lock_minutes\": 10"), "the preferences were saved: {saved}");
    for entry in std::fs::read_dir(&config).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("MARKER"), "a secret in the preferences: {text}");
    }
}

#[test]
fn the_vault_key_is_rotated_from_vault_settings() {
    let mut w = unlocked_with(&[("OPENAI_API_KEY", "", "sk-rotate-me")]);
    open_settings(&mut w);
    // The Vault file section is the last one: make the window tall enough to show it.
    w.harness.set_size(egui::vec2(1100.0, 2200.0));
    w.harness.run();
    let before = open_vault(&w).backup_now().unwrap().unwrap();
    w.harness.get_by_label("Rotate key…").scroll_to_me();
    w.harness.run();
    w.harness.get_by_label("Rotate key…").click();
    w.harness.run();
    type_into(&mut w.harness, "Your passphrase", "not it");
    w.harness.get_by_label("Rotate key").click();
    w.harness.run();
    assert!(has_text(&w.harness, "The current passphrase is wrong."));

    replace_in(&mut w.harness, "Your passphrase", PASSPHRASE);
    w.harness.get_by_label("Rotate key").click();
    w.harness.run();
    assert!(has_text(&w.harness, "Vault key rotated; every secret is re-encrypted."));
    assert!(!has_field(&w.harness, "Your passphrase"), "the dialog closed");
    assert_eq!(value_of(&w, "OPENAI_API_KEY").0, "sk-rotate-me");
    // The key changed: a backup from before no longer shares it (the key id in the header).
    let key_id = |path: &Path| -> Vec<u8> {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.query_row("SELECT key_id FROM vault_header", [], |r| r.get(0)).unwrap()
    };
    assert_ne!(key_id(&w.path), key_id(&before.path));
    // And the app keeps working with the new key.
    w.harness.get_by_label("Secrets").click();
    w.harness.run();
    w.harness.get_by_label("Copy OPENAI_API_KEY").click();
    w.harness.run();
    assert_eq!(w.clipboard.contents().as_deref(), Some("sk-rotate-me"));
}

#[test]
fn the_theme_can_be_chosen_in_vault_settings() {
    let mut w = unlocked_with(&[]);
    w.harness.get_by_label("Vault settings").click();
    w.harness.run();
    assert!(w.harness.query_by_label("System theme, selected").is_some(), "System is the default");
    w.harness.get_by_label("Light theme").click();
    w.harness.run();
    assert_eq!(w.harness.ctx.theme(), egui::Theme::Light);
    assert!(w.harness.query_by_label("Light theme, selected").is_some());
    w.harness.get_by_label("Dark theme").click();
    w.harness.run();
    assert_eq!(w.harness.ctx.theme(), egui::Theme::Dark);
}

#[test]
fn the_note_can_be_dismissed_and_stays_dismissed() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = unlocked_with(&[("K", "", "v")]);
    let prefs = dir.path().join("prefs.json");
    let app_with_prefs =
        |w: &World| app_sized(&w.path, w.clock.clone(), FakeClipboard::new(), Some(prefs.clone()), [1100.0, 720.0]);
    w.harness = app_with_prefs(&w);
    w.harness.run();
    type_into(&mut w.harness, "Passphrase", PASSPHRASE);
    w.harness.get_by_label("Unlock").click();
    w.harness.run();
    assert!(has_text(&w.harness, "Secrets do not expire"));
    w.harness.get_by_label("Dismiss the note").click();
    w.harness.run();
    assert!(!has_text(&w.harness, "Secrets do not expire"));

    // Another start of the app, with the same preferences.
    w.harness = app_with_prefs(&w);
    w.harness.run();
    type_into(&mut w.harness, "Passphrase", PASSPHRASE);
    w.harness.get_by_label("Unlock").click();
    w.harness.run();
    assert!(w.harness.state().is_unlocked());
    assert!(!has_text(&w.harness, "Secrets do not expire"), "dismissed for good");
}

#[test]
fn a_dropped_env_file_opens_the_import_plan_and_the_empty_page_offers_import() {
    let mut w = unlocked_with(&[]);
    assert!(w.harness.query_by_label("Import a file…").is_some(), "the empty page offers Import");
    let file = w.path.with_file_name("dropped.env");
    common::write_private(&file, b"DROPPED_ONE=1\nDROPPED_TWO=2\n");
    w.harness.input_mut().dropped_files.push(std::sync::Arc::new(Dropped(file)));
    w.harness.run();
    assert!(has_text(&w.harness, "Import dropped.env"), "the plan, before anything is written");
    assert!(!stored(&w, "DROPPED_ONE"), "nothing written yet");
}

#[test]
fn the_import_review_warns_about_each_name_that_changes_how_programs_run() {
    let mut w = unlocked_with(&[]);
    let file = w.path.with_file_name("from-a-repo.env");
    common::write_private(&file, b"OPENAI_API_KEY=sk\nLD_PRELOAD=/tmp/x.so\nGIT_SSH_COMMAND=ssh -v\n");
    w.harness.input_mut().dropped_files.push(std::sync::Arc::new(Dropped(file)));
    w.harness.run();
    assert!(has_text(&w.harness, "Import from-a-repo.env"), "the plan, before anything is written");
    for name in ["LD_PRELOAD", "GIT_SSH_COMMAND"] {
        assert!(has_text(&w.harness, &format!("{name} changes how programs load or run")), "{name} is warned about");
    }
    assert!(!has_text(&w.harness, "OPENAI_API_KEY changes"), "an ordinary name is not");
    assert!(!stored(&w, "LD_PRELOAD"), "nothing written yet");
    // The warning changes nothing about what is written.
    w.harness.get_by_label("Import").click();
    w.harness.run();
    assert_eq!(value_of(&w, "LD_PRELOAD"), ("/tmp/x.so".to_owned(), 1));
}

#[test]
fn enter_goes_through_the_passphrase_change_and_a_wrong_current_one_is_said_where_it_was_typed() {
    let mut w = unlocked_with(&[("K", "", "v")]);
    open_settings(&mut w);
    type_into(&mut w.harness, "Current passphrase", "wrong one");
    w.harness.key_press(Key::Enter);
    w.harness.run();
    assert!(field(&w.harness, "New passphrase").is_focused(), "Enter in Current goes on to New");
    field(&w.harness, "New passphrase").type_text("password1");
    w.harness.run();
    assert!(has_text(&w.harness, "Strength: Weak"), "the meter of first start");
    replace_in(&mut w.harness, "New passphrase", "a brand new passphrase 42");
    w.harness.key_press(Key::Enter);
    w.harness.run();
    assert!(field(&w.harness, "Confirm new passphrase").is_focused(), "Enter in New goes on to Confirm");
    field(&w.harness, "Confirm new passphrase").type_text("a brand new passphrase 42");
    w.harness.key_press(Key::Enter);
    w.harness.run();
    w.harness.run();
    // Said under the field that was wrong, which has the keyboard again.
    let error = w.harness.get_by_label_contains("current passphrase is wrong").rect();
    let current = field(&w.harness, "Current passphrase").rect();
    let new = field(&w.harness, "New passphrase").rect();
    assert!(error.top() >= current.bottom() && error.bottom() <= new.top(), "{error:?} is not under Current");
    assert!(field(&w.harness, "Current passphrase").is_focused());
    assert!(Vault::unlock(&w.path, &Passphrase::new(PASSPHRASE)).is_ok(), "nothing changed");
    // Typed again, Enter in Current submits (the form is complete).
    field(&w.harness, "Current passphrase").type_text(PASSPHRASE);
    w.harness.run();
    assert!(!has_text(&w.harness, "current passphrase is wrong"), "the error goes as it is retyped");
    w.harness.key_press(Key::Enter);
    w.harness.run();
    assert!(has_text(&w.harness, "Passphrase changed"));
    assert!(Vault::unlock(&w.path, &Passphrase::new("a brand new passphrase 42")).is_ok());
}

#[test]
fn import_a_file_on_the_empty_page_opens_vault_settings_at_import() {
    let mut w = unlocked_with(&[]);
    w.harness.get_by_label("Import a file…").click();
    // (The dialog's thread may answer during these frames: its repaint is no failure.)
    w.harness.run_ok();
    let heading = w.harness.get_by_label("Import a file").rect();
    assert!(heading.top() >= 0.0 && heading.bottom() <= 720.0, "the Import card is in view: {heading:?}");
    // The system's file dialog runs on its own thread; where there is none (no desktop portal,
    // as here), its message comes under Import, and the path field takes the keyboard.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !has_text(&w.harness, "no file dialog") && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
        w.harness.run_ok();
    }
    if !has_text(&w.harness, "no file dialog") {
        println!("a desktop portal answered: a real file dialog opened; its message is not checked here");
        return;
    }
    w.harness.run_ok();
    w.harness.run();
    let message = w.harness.get_by_label_contains("no file dialog").rect();
    let review = w.harness.get_by_label("Review import…").rect();
    let export = w.harness.get_by_label("Export all secrets").rect();
    assert!(message.top() >= review.bottom() && message.bottom() <= export.top(), "under Import: {message:?}");
    assert!(field(&w.harness, "File to import").is_focused(), "the path field has the keyboard");
}

#[test]
fn view_opens_masked_unless_the_preference_shows_values_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let prefs = dir.path().join("prefs.json");
    let mut w = world_with(&[("DB_URL", "", "postgres://u:p@h/db")]);
    w.harness = app_sized(&w.path, w.clock.clone(), w.clipboard.clone(), Some(prefs.clone()), [1100.0, 720.0]);
    w.harness.run();
    type_into(&mut w.harness, "Passphrase", PASSPHRASE);
    w.harness.key_press(Key::Enter);
    w.harness.run();
    // From the keyboard: ↓ into the table, Enter views; Reveal has the focus, Enter reveals.
    w.harness.key_press(Key::ArrowDown);
    w.harness.run();
    w.harness.key_press(Key::Enter);
    w.harness.run_steps(4);
    assert!(!has_text(&w.harness, "postgres://u:p@h/db"), "masked");
    assert!(w.harness.get_by_label("Reveal value").is_focused(), "Reveal is the dialog's first control");
    w.harness.key_press(Key::Enter);
    w.harness.run();
    assert!(has_text(&w.harness, "postgres://u:p@h/db"), "Enter on Reveal shows it");
    w.harness.key_press(Key::Escape);
    w.harness.run();

    w.harness.get_by_label("Vault settings").click();
    w.harness.run();
    w.harness.get_by_label("Show values when View opens").click();
    w.harness.run();
    assert!(std::fs::read_to_string(&prefs).unwrap().contains("\"show_values_in_view\": true"), "remembered");
    w.harness.get_by_label("Secrets").click();
    w.harness.run();
    w.harness.get_by_label("View DB_URL").click();
    w.harness.run();
    assert!(has_text(&w.harness, "postgres://u:p@h/db"), "shown at once, as chosen");
}

#[test]
fn the_words_count_and_name_what_they_mean() {
    // Clipboard delays in minutes read as the auto-lock delays do.
    let mut w = unlocked_with(&[("KEPT", "", "one")]);
    open_settings(&mut w);
    w.harness.get_by_label("Clear clipboard after").click();
    w.harness.run();
    for choice in ["1 minute", "2 minutes", "5 minutes"] {
        assert!(w.harness.query_by_label(choice).is_some(), "{choice} is offered");
    }
    assert!(!has_text(&w.harness, "1 min ") && w.harness.query_by_label("1 min").is_none());
    w.harness.key_press(Key::Escape);
    w.harness.run();
    // An import conflict names the choices offered: Keep or Replace.
    let file = w.path.with_file_name("conflict.env");
    common::write_private(&file, b"KEPT=two\n");
    w.harness.input_mut().dropped_files.push(std::sync::Arc::new(Dropped(file)));
    w.harness.run();
    assert!(has_text(&w.harness, "choose “Keep the vault's value” or “Replace it (new version)” above"));
    assert!(!has_text(&w.harness, "skip or overwrite"));
}

#[test]
fn a_bitwarden_export_and_a_keepass_file_are_planned_then_imported() {
    let mut w = unlocked_with(&[]);
    open_settings(&mut w);
    let bitwarden = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/import/bitwarden.json");
    type_into(&mut w.harness, "File to import", bitwarden);
    w.harness.get_by_label("Review import…").click();
    w.harness.run();
    assert!(has_text(&w.harness, "2 to add, 0 to update, 0 unchanged, 3 skipped"), "the plan, by title");
    w.harness.get_by_label("Import").click();
    w.harness.run();
    assert_eq!(value_of(&w, "GITHUB_TOKEN").0, "ghp_fixture");

    // Still on Vault settings. A KeePass file asks for its passphrase.
    let keepass = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/import/keepass4.kdbx");
    replace_in(&mut w.harness, "File to import", keepass);
    w.harness.get_by_label("Review import…").click();
    w.harness.run();
    assert!(has_text(&w.harness, "needs its passphrase"));
    type_into(&mut w.harness, "KeePass file's passphrase", "not it");
    w.harness.get_by_label("Review import…").click();
    w.harness.run();
    assert!(has_text(&w.harness, "does not open this KeePass file"));
    replace_in(&mut w.harness, "KeePass file's passphrase", "fixture-pass");
    w.harness.get_by_label("Review import…").click();
    w.harness.run();
    // GITHUB_TOKEN and DATABASE_URL came in from Bitwarden with the same values.
    assert!(has_text(&w.harness, "1 to add, 0 to update, 2 unchanged, 2 skipped"), "the KeePass file's plan");
    w.harness.get_by_label("Import").click();
    w.harness.run();
    assert_eq!(value_of(&w, "DEPLOY_KEY").0, "deploy_fixture");
}

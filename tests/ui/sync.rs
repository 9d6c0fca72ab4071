//! Vault settings → Sync: connecting the open vault to a folder, another device's edits taken in
//! (on Sync now, and by themselves once the vault changes), and Disconnect. The other device is a
//! second vault file joined through the core, as `tresor sync join` does.

use super::*;

fn other_device(w: &World, folder: &Path) -> Vault {
    let path = w._dir.path().join("desktop.db");
    let (vault, report) = Vault::sync_join(&path, folder, &Passphrase::new(PASSPHRASE), Some("desktop")).unwrap();
    assert!(report.received > 0, "{report:?}");
    vault
}

/// Clicks a control of the Sync section (below the fold of Vault settings): scrolled to first,
/// as a user would.
fn click(w: &mut World, label: &str) {
    w.harness.get_by_label(label).scroll_to_me();
    w.harness.run();
    w.harness.get_by_label(label).click();
    w.harness.run();
}

fn desktop_value(desktop: &Vault, name: &str) -> Option<String> {
    let place = desktop.default_place().unwrap();
    let id = desktop.find(&place, &SecretName::parse(name).unwrap()).ok()?.0;
    Some(desktop.reveal(id).unwrap().expose().to_owned())
}

#[test]
fn connecting_in_vault_settings_then_edits_travel_both_ways() {
    let mut w = unlocked_with(&[("OPENAI_API_KEY", "GPT calls", "sk-laptop")]);
    let folder = w._dir.path().join("Sync");
    std::fs::create_dir(&folder).unwrap();
    open_settings(&mut w);
    assert!(has_text(&w.harness, "Keep this vault in step with your other devices"));
    assert!(w.harness.get_by_label("Connect").accesskit_node().is_disabled(), "disabled until a folder is typed");
    type_into(&mut w.harness, "Sync folder", folder.to_str().unwrap());
    type_into(&mut w.harness, "This device's name", "laptop");
    click(&mut w, "Connect");
    assert!(has_text(&w.harness, "Synced: sent"), "the vault's contents went out");
    assert!(has_text(&w.harness, "laptop (this device)"));

    // Another device joins and adds a secret; Sync now takes it in.
    let mut desktop = other_device(&w, &folder);
    assert_eq!(desktop_value(&desktop, "OPENAI_API_KEY").as_deref(), Some("sk-laptop"));
    desktop
        .set(
            &desktop.default_place().unwrap(),
            SecretName::parse("HF_TOKEN").unwrap(),
            None,
            Some(SecretValue::new("hf-desktop")),
        )
        .unwrap();
    desktop.sync_now().unwrap();
    click(&mut w, "Sync now");
    assert!(has_text(&w.harness, "Synced: 1 change from other devices."), "the section says what came in");
    assert!(has_text(&w.harness, "desktop"), "the other device is listed");
    assert_eq!(value_of(&w, "HF_TOKEN").0, "hf-desktop");

    // An edit made in the app goes out by itself, shortly after.
    w.harness.get_by_label("Secrets").click();
    w.harness.run();
    assert!(w.harness.query_by_label("Copy HF_TOKEN").is_some(), "the list shows what came in");
    w.harness.get_by_label("Create Environment Secret").click();
    w.harness.run();
    field(&w.harness, "Name").type_text("FROM_THE_APP");
    w.harness.run();
    type_into(&mut w.harness, "Value", "app-value");
    form_submit(&w.harness).click();
    w.harness.run();
    w.clock.advance_seconds(2);
    w.harness.run();
    desktop.sync_now().unwrap();
    assert_eq!(desktop_value(&desktop, "FROM_THE_APP").as_deref(), Some("app-value"));

    // One secret changed here and on the desktop before either synced: flagged in the section
    // until Keep what shows (or an edit).
    w.clock.advance_seconds(1);
    {
        // (Another process of this machine: the same clock as the app's.)
        let mut here = Vault::unlock_with_clock(&w.path, &Passphrase::new(PASSPHRASE), w.clock.clone()).unwrap();
        here.set(
            &here.default_place().unwrap(),
            SecretName::parse("OPENAI_API_KEY").unwrap(),
            None,
            Some(SecretValue::new("sk-here")),
        )
        .unwrap();
    }
    w.clock.advance_seconds(1);
    desktop.sync_now().unwrap();
    desktop
        .set(
            &desktop.default_place().unwrap(),
            SecretName::parse("OPENAI_API_KEY").unwrap(),
            None,
            Some(SecretValue::new("sk-desktop")),
        )
        .unwrap();
    desktop.sync_now().unwrap();
    open_settings(&mut w);
    click(&mut w, "Sync now");
    assert!(has_text(&w.harness, "Changed on two devices — the later edit shows"), "flagged in the section");
    assert!(has_text(&w.harness, "Personal OPENAI_API_KEY"));
    click(&mut w, "Keep what Personal OPENAI_API_KEY shows");
    assert!(!has_text(&w.harness, "Changed on two devices — the later edit shows"), "the flag ends");
    desktop.sync_now().unwrap();
    assert!(desktop.sync_flagged().unwrap().is_empty(), "on the other device too");

    // Forget the other device (a lost laptop): asked first, then it is listed as forgotten and its
    // later changes are not taken in.
    click(&mut w, "Forget desktop");
    assert!(has_text(&w.harness, "Forget desktop? No device will take in its changes"));
    click(&mut w, "Forget desktop");
    assert!(has_text(&w.harness, "desktop (forgotten)"), "listed as forgotten");
    desktop
        .set(
            &desktop.default_place().unwrap(),
            SecretName::parse("HF_TOKEN").unwrap(),
            None,
            Some(SecretValue::new("hf-after")),
        )
        .unwrap();
    assert!(matches!(desktop.sync_now(), Err(tresor::Error::SyncForgotten)), "the forgotten device is told");
    click(&mut w, "Sync now");
    assert_eq!(value_of(&w, "HF_TOKEN").0, "hf-desktop");

    // Disconnect: the section offers to connect again; the vault keeps everything.
    click(&mut w, "Disconnect");
    assert!(has_text(&w.harness, "no longer syncs through"));
    assert!(w.harness.query_by_label("Connect").is_some());
    assert_eq!(value_of(&w, "HF_TOKEN").0, "hf-desktop");
}

#[test]
fn a_folder_that_is_not_there_is_said_in_the_section() {
    let mut w = unlocked_with(&[("K", "", "v")]);
    open_settings(&mut w);
    let missing = w._dir.path().join("no such folder");
    type_into(&mut w.harness, "Sync folder", missing.to_str().unwrap());
    click(&mut w, "Connect");
    assert!(has_text(&w.harness, "Not synced: Cannot sync through"), "said where the form is");
    assert!(has_text(&w.harness, "there is no folder there"));
    assert!(w.harness.query_by_label("Connect").is_some(), "still not connected");
}

#[test]
fn the_first_start_joins_a_synced_vault_with_another_devices_passphrase() {
    // A laptop's vault, synced to a folder.
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("Sync");
    std::fs::create_dir(&folder).unwrap();
    let laptop = dir.path().join("laptop.db");
    let mut vault = Vault::create(&laptop, &Passphrase::new(PASSPHRASE), KdfParams::insecure_for_tests()).unwrap();
    vault
        .create_secret(NewSecret {
            name: SecretName::parse("OPENAI_API_KEY").unwrap(),
            description: "GPT calls".into(),
            value: SecretValue::new("sk-from-the-laptop"),
        })
        .unwrap();
    vault.sync_init(&folder, Some("laptop")).unwrap();

    // This device's first start.
    let path = dir.path().join("here").join("vault.db");
    let clock = Arc::new(TestClock(AtomicI64::new(1_800_000_000_000)));
    let mut h = app_for(&path, clock, FakeClipboard::new());
    h.run();
    h.get_by_label("Join a synced vault…").click();
    h.run();
    assert!(has_text(&h, "Build this device's vault from the folder"));
    assert!(h.get_by_label("Join").accesskit_node().is_disabled(), "disabled until folder and passphrase are given");
    type_into(&mut h, "Sync folder", folder.to_str().unwrap());
    type_into(&mut h, "Passphrase", "not the passphrase");
    h.get_by_label("Join").click();
    h.run();
    assert!(has_text(&h, "wrong passphrase") || has_text(&h, "Wrong passphrase"), "said on the screen");
    assert!(!path.exists(), "nothing is left behind");

    replace_in(&mut h, "Passphrase", PASSPHRASE);
    type_into(&mut h, "This device's name", "desktop");
    h.get_by_label("Join").click();
    h.run();
    assert!(h.state().is_unlocked());
    assert!(h.query_by_label("Copy OPENAI_API_KEY").is_some(), "the laptop's secret is here");
    assert!(has_text(&h, "GPT calls"));
    let here = Vault::unlock(&path, &Passphrase::new(PASSPHRASE)).unwrap();
    let devices: Vec<String> = here.sync_devices().unwrap().into_iter().map(|d| d.name).collect();
    assert!(devices.contains(&"laptop".to_owned()) && devices.contains(&"desktop".to_owned()), "{devices:?}");
}

/// The passphrase changed on another device (it leaked): the open app takes the new key at its
/// next sync and says so; the list still shows, and from then on the old passphrase opens
/// nothing, the new one everything.
#[test]
fn a_passphrase_changed_on_another_device_is_taken_and_said() {
    let mut w = unlocked_with(&[("OPENAI_API_KEY", "GPT calls", "sk-laptop")]);
    let folder = w._dir.path().join("Sync");
    std::fs::create_dir(&folder).unwrap();
    open_settings(&mut w);
    type_into(&mut w.harness, "Sync folder", folder.to_str().unwrap());
    type_into(&mut w.harness, "This device's name", "laptop");
    click(&mut w, "Connect");
    let mut desktop = other_device(&w, &folder);
    desktop.change_passphrase(&Passphrase::new("the desktop's new passphrase"), None).unwrap();
    desktop
        .set(
            &desktop.default_place().unwrap(),
            SecretName::parse("AFTER_CHANGE").unwrap(),
            None,
            Some(SecretValue::new("written-after")),
        )
        .unwrap();
    desktop.sync_now().unwrap();

    click(&mut w, "Sync now");
    assert!(
        has_text(&w.harness, "changed on desktop: this vault moved to the new key"),
        "the section and the toast say it"
    );
    w.harness.get_by_label("Secrets").click();
    w.harness.run();
    assert!(w.harness.query_by_label("Copy AFTER_CHANGE").is_some(), "what came in under the new key shows");

    w.harness.get_by_label("Lock").click();
    w.harness.run();
    type_into(&mut w.harness, "Passphrase", PASSPHRASE);
    w.harness.get_by_label("Unlock").click();
    w.harness.run();
    assert!(!w.harness.state().is_unlocked(), "the old passphrase no longer opens it");
    replace_in(&mut w.harness, "Passphrase", "the desktop's new passphrase");
    w.harness.get_by_label("Unlock").click();
    w.harness.run();
    assert!(w.harness.state().is_unlocked());
    assert!(w.harness.query_by_label("Copy AFTER_CHANGE").is_some());
}

/// The app holds the vault unlocked while the command line changes its passphrase (and syncs:
/// the desktop takes the new key). The app's sync of its stale vault — the one it makes when it
/// sees the file change — is refused before it keeps or drops anything, so the device keeps its
/// own key pair: the next key change on the desktop is granted to it, and it takes it.
#[test]
fn a_sync_of_a_vault_whose_key_moved_since_it_was_unlocked_changes_nothing() {
    use_a_state_folder();
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("Sync");
    std::fs::create_dir(&folder).unwrap();
    let path = dir.path().join("laptop.db");
    let pass = Passphrase::new(PASSPHRASE);
    let mut app = Vault::create(&path, &pass, KdfParams::insecure_for_tests()).unwrap();
    let place = app.default_place().unwrap();
    app.set(&place, SecretName::parse("OPENAI_API_KEY").unwrap(), None, Some(SecretValue::new("sk-1"))).unwrap();
    app.sync_init(&folder, Some("laptop")).unwrap();
    let (mut desktop, _) = Vault::sync_join(&dir.path().join("desktop.db"), &folder, &pass, Some("desktop")).unwrap();

    let new = Passphrase::new("the laptop's new passphrase");
    Vault::unlock(&path, &pass).unwrap().change_passphrase(&new, None).unwrap();
    assert_eq!(desktop.sync_now().unwrap().rekeyed_by.as_deref(), Some("laptop"));
    assert!(matches!(app.sync_now(), Err(tresor::Error::KeyRotatedElsewhere)));
    drop(app);

    let mut app = Vault::unlock(&path, &new).unwrap();
    app.sync_now().unwrap();
    let newer = Passphrase::new("the desktop's passphrase after that");
    desktop.change_passphrase(&newer, None).unwrap();
    let report = app.sync_now().unwrap();
    assert_eq!(report.rekeyed_by.as_deref(), Some("desktop"), "{report:?}");
    assert!(report.stopped.is_empty(), "{report:?}");
    drop(app);
    Vault::unlock(&path, &newer).unwrap();
}

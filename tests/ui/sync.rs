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

    // Disconnect: the section offers to connect again; the vault keeps everything.
    open_settings(&mut w);
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

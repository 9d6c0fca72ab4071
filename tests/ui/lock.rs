//! The first-start and lock screens: creating a vault, unlocking it (a wrong passphrase, a
//! damaged or rolled-back file, a slow unlock), locking it by hand or when idle.

use super::*;

#[test]
fn first_start_creates_the_vault_and_opens_the_secrets_page() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub").join("vault.db");
    let clock = Arc::new(TestClock(AtomicI64::new(1_800_000_000_000)));
    let mut h = app_for(&path, clock, FakeClipboard::new());
    h.run();
    assert!(has_text(&h, "Create your vault"));
    assert!(has_text(&h, &path.display().to_string()), "the vault's path is shown");
    type_into(&mut h, "Passphrase", "tr0ub4dor&3 purple giraffe");
    type_into(&mut h, "Confirm passphrase", "tr0ub4dor&3 purple girafe");
    assert!(has_text(&h, "do not match"));
    assert!(h.get_by_label("Create vault").accesskit_node().is_disabled());
    h.key_press(Key::Backspace);
    h.run();
    field(&h, "Confirm passphrase").type_text("fe");
    h.run();
    h.get_by_label("Create vault").click();
    h.run();
    assert!(h.state().is_unlocked());
    assert!(has_text(&h, "Environment Secrets"));
    assert!(has_text(&h, "No secrets yet"), "an empty vault explains what a secret is");
    assert!(path.exists());
    assert!(Vault::unlock(&path, &Passphrase::new("tr0ub4dor&3 purple giraffe")).is_ok());
}

#[test]
fn weak_passphrase_gets_a_warning_not_a_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.db");
    let mut h = app_for(&path, Arc::new(TestClock(AtomicI64::new(0))), FakeClipboard::new());
    h.run();
    type_into(&mut h, "Passphrase", "password1");
    assert!(has_text(&h, "Weak"));
    type_into(&mut h, "Confirm passphrase", "password1");
    assert!(!h.get_by_label("Create vault").accesskit_node().is_disabled());
}

#[test]
fn wrong_passphrase_is_an_inline_error_and_keeps_focus() {
    let mut w = world_with(&[("A", "", "1")]);
    w.harness.run();
    type_into(&mut w.harness, "Passphrase", "not it");
    w.harness.key_press(Key::Enter);
    w.harness.run();
    assert!(!w.harness.state().is_unlocked());
    assert!(has_text(&w.harness, "Wrong passphrase"));
    assert!(!has_text(&w.harness, "damaged"));
    assert!(field(&w.harness, "Passphrase").is_focused(), "the field keeps the focus");
    field(&w.harness, "Passphrase").type_text(PASSPHRASE);
    w.harness.run();
    w.harness.key_press(Key::Enter);
    w.harness.run();
    assert!(w.harness.state().is_unlocked(), "Enter submits");
}

#[test]
fn damaged_vault_is_not_reported_as_a_wrong_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.db");
    std::fs::write(&path, b"this is not a vault, just some bytes").unwrap();
    let mut h = app_for(&path, Arc::new(TestClock(AtomicI64::new(0))), FakeClipboard::new());
    h.run();
    type_into(&mut h, "Passphrase", PASSPHRASE);
    h.get_by_label("Unlock").click();
    h.run();
    assert!(has_text(&h, "This vault is damaged"));
    assert!(!has_text(&h, "Wrong passphrase"));
}

#[test]
fn lock_button_and_shortcut_drop_the_vault_and_clear_our_clipboard() {
    let mut w = unlocked_with(&[("K", "", "secret-k")]);
    w.harness.get_by_label("Copy K").click();
    w.harness.run();
    w.harness.get_by_label("Lock").click();
    w.harness.run();
    assert!(!w.harness.state().is_unlocked());
    assert!(w.harness.query_by_label("Unlock").is_some());
    assert_eq!(w.clipboard.contents(), None, "lock clears a copied secret");

    type_into(&mut w.harness, "Passphrase", PASSPHRASE);
    w.harness.key_press(Key::Enter);
    w.harness.run();
    assert!(w.harness.state().is_unlocked());
    w.harness.key_press_modifiers(Modifiers::COMMAND, Key::L);
    w.harness.run();
    assert!(!w.harness.state().is_unlocked(), "Ctrl+L locks");
}

#[test]
fn auto_lock_after_idle_time() {
    let mut w = unlocked_with(&[("K", "", "v")]);
    w.clock.advance_seconds(4 * 60);
    w.harness.run();
    assert!(w.harness.state().is_unlocked(), "not yet: the default is 5 minutes");
    field(&w.harness, "Search secrets").hover();
    w.harness.run();
    w.clock.advance_seconds(4 * 60);
    w.harness.run();
    assert!(w.harness.state().is_unlocked(), "input resets the idle timer");
    w.clock.advance_seconds(61);
    w.harness.run();
    assert!(!w.harness.state().is_unlocked(), "locked after 5 idle minutes");
    assert!(has_text(&w.harness, "Locked after 5 minutes without input."), "the lock screen says why");
    let notice = w.harness.get_by_label("Locked after 5 minutes without input.");
    assert_eq!(notice.accesskit_node().live(), egui::accesskit::Live::Polite, "and a screen reader hears it");
    // The passphrase can be shown while typing it.
    w.harness.get_by_label("Show passphrase").click();
    w.harness.run();
    type_into(&mut w.harness, "Passphrase", "typed");
    assert_eq!(field(&w.harness, "Passphrase").accesskit_node().value().as_deref(), Some("typed"));
}

#[test]
fn a_damaged_vault_offers_its_latest_backup_on_the_lock_screen() {
    let mut w = world_with(&[("OPENAI_API_KEY", "GPT calls", "sk-precious")]);
    open_vault(&w).backup_now().unwrap().unwrap();
    // The file is wrecked (a bad disk, a bad sync), the backup is fine.
    std::fs::write(&w.path, b"SQLite format 3\0 and then garbage where the pages were").unwrap();
    w.harness.run();
    type_into(&mut w.harness, "Passphrase", PASSPHRASE);
    w.harness.get_by_label("Unlock").click();
    w.harness.run();
    assert!(has_text(&w.harness, "This vault is damaged"));
    assert!(
        w.harness.get_by_label("Restore the latest backup").accesskit_node().is_disabled(),
        "needs the passphrase first"
    );

    type_into(&mut w.harness, "Passphrase", "wrong passphrase");
    w.harness.get_by_label("Restore the latest backup").click();
    w.harness.run();
    assert!(has_text(&w.harness, "That passphrase does not open the backup. Nothing was restored."));
    assert!(!w.harness.state().is_unlocked());

    type_into(&mut w.harness, "Passphrase", PASSPHRASE);
    w.harness.get_by_label("Restore the latest backup").click();
    w.harness.run();
    assert!(w.harness.state().is_unlocked(), "restored and unlocked");
    assert!(has_text(&w.harness, "Restored the latest backup, made"));
    assert!(has_text(&w.harness, "The damaged file was moved to"));
    assert_eq!(value_of(&w, "OPENAI_API_KEY").0, "sk-precious");
    let aside = std::fs::read_dir(w._dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("vault.db.damaged-"))
        .count();
    assert_eq!(aside, 1, "the damaged file is kept");
}

#[test]
fn a_vault_that_fails_its_integrity_check_opens_read_only_from_the_lock_screen() {
    let mut w = world_with(&[("OPENAI_API_KEY", "GPT calls", "sk-1"), ("HF_TOKEN", "", "hf-1")]);
    // Someone edits a row's bookkeeping behind Tresor's back.
    let conn = rusqlite::Connection::open(&w.path).unwrap();
    conn.execute_batch("UPDATE secrets SET modified = modified + 1").unwrap();
    drop(conn);
    w.harness.run();
    type_into(&mut w.harness, "Passphrase", PASSPHRASE);
    w.harness.get_by_label("Unlock").click();
    w.harness.run();
    assert!(!w.harness.state().is_unlocked());
    assert!(has_text(&w.harness, "This vault is damaged"));
    assert!(has_text(&w.harness, "Open it read-only"), "the way out is named");
    w.harness.get_by_label("Open read-only").click();
    w.harness.run();
    assert!(w.harness.state().is_unlocked(), "opened read-only");
    assert!(has_text(&w.harness, "Read-only: this vault failed its integrity check"));
    assert!(has_text(&w.harness, "OPENAI_API_KEY") && has_text(&w.harness, "HF_TOKEN"), "what is intact is listed");
}

#[test]
fn an_unlock_that_would_take_ages_is_announced_and_can_be_cancelled() {
    let mut w = world_with(&[("A", "", "a")]);
    // Forged parameters within the caps: 4 GiB, 1,000 passes (the checksum recomputed, as an
    // attacker would).
    let conn = rusqlite::Connection::open(&w.path).unwrap();
    conn.execute_batch("UPDATE vault_header SET kdf_memory_kib = 4194304, kdf_iterations = 1000").unwrap();
    let sum = common::checksum_of(&conn);
    conn.execute("UPDATE vault_header SET checksum = ?1", [sum]).unwrap();
    drop(conn);
    w.harness.run();
    type_into(&mut w.harness, "Passphrase", PASSPHRASE);
    w.harness.get_by_label("Unlock").click();
    w.harness.run();
    assert!(has_text(&w.harness, "This unlock would take very long"), "asked before it starts");
    assert!(has_text(&w.harness, "t=1000"));
    w.harness.get_by_label("Cancel").click();
    w.harness.run();
    assert!(!has_text(&w.harness, "This unlock would take very long"));
    assert!(!w.harness.state().is_unlocked());
    assert_eq!(field(&w.harness, "Passphrase").value().unwrap_or_default(), "", "the passphrase is wiped");
}

#[test]
fn a_pasted_passphrase_loses_its_final_line_break_and_several_lines_are_not_pasted_into_a_name() {
    let mut w = world_with(&[]);
    w.harness.run();
    field(&w.harness, "Passphrase").focus();
    w.harness.run();
    // What egui-winit sends for Ctrl+V with this on the system clipboard.
    w.harness.event(egui::Event::Paste(format!("{PASSPHRASE}\n")));
    w.harness.run();
    assert!(has_text(&w.harness, "Pasted without the line break at its end."), "the user is told");
    w.harness.key_press(Key::Enter);
    w.harness.run();
    assert!(w.harness.state().is_unlocked(), "the break was dropped, not turned into a space");

    w.harness.key_press_modifiers(Modifiers::COMMAND, Key::N);
    w.harness.run();
    assert!(field(&w.harness, "Name").is_focused());
    w.harness.event(egui::Event::Paste("first line\nsecond line\n".into()));
    w.harness.run();
    assert!(has_text(&w.harness, "Not pasted: the copied text has 2 lines, and this field takes one."));
    assert_eq!(field(&w.harness, "Name").accesskit_node().value().as_deref(), Some(""));
}

#[test]
fn a_confirmation_being_typed_is_not_called_a_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TestClock(AtomicI64::new(1_800_000_000_000)));
    let mut h = app_for(&dir.path().join("vault.db"), clock, FakeClipboard::new());
    h.run();
    type_into(&mut h, "Passphrase", "a long enough passphrase");
    type_into(&mut h, "Confirm passphrase", "a long");
    assert!(!has_text(&h, "do not match"), "a beginning of the passphrase, still being typed");
    type_into(&mut h, "Confirm passphrase", "x");
    assert!(has_text(&h, "do not match"), "once it can no longer match");
}

#[test]
fn a_mistyped_vault_path_is_explained_and_keeps_the_current_vault() {
    let mut w = world_with(&[("K", "", "v")]);
    w.harness.run();
    w.harness.get_by_label("Open another vault…").click();
    w.harness.run();
    let missing = w.path.with_file_name("typo-vault.db");
    type_into(&mut w.harness, "Vault file", missing.to_str().unwrap());
    w.harness.key_press(Key::Enter);
    w.harness.run();
    assert!(has_text(&w.harness, "There is no vault at"), "says what is wrong");
    assert!(has_field(&w.harness, "Passphrase"), "still the lock screen of the current vault");
    assert!(!has_text(&w.harness, "damaged"), "never called damaged");
    // The current vault still unlocks from here.
    type_into(&mut w.harness, "Passphrase", PASSPHRASE);
    w.harness.get_by_label("Unlock").click();
    w.harness.run();
    assert!(w.harness.state().is_unlocked(), "the vault it was on");

    // Or a new vault is made at the typed path, on request.
    let mut w = world_with(&[]);
    w.harness.run();
    w.harness.get_by_label("Open another vault…").click();
    w.harness.run();
    type_into(&mut w.harness, "Vault file", missing.to_str().unwrap());
    w.harness.key_press(Key::Enter);
    w.harness.run();
    w.harness.get_by_label("Create a new vault there").click();
    w.harness.run();
    assert!(has_field(&w.harness, "Confirm passphrase"), "the setup screen");
    let path = field(&w.harness, "Vault file").accesskit_node().value().unwrap_or_default();
    assert!(path.ends_with("typo-vault.db"), "for the typed path: {path}");
}

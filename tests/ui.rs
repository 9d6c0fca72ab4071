//! The desktop app, driven through its accessible names with egui_kittest, as a user (or a screen
//! reader) would: no internal state is poked, only clicks, keys and text.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use egui::{Key, Modifiers};
use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::{Harness, Node};
use tresor::clipboard::FakeClipboard;
use tresor::ui::{App, AppOptions};
use tresor::vault::Clock;
mod common;

use tresor::{KdfParams, NewSecret, Passphrase, SecretEdit, SecretName, SecretValue, Timestamp, Vault};

const PASSPHRASE: &str = "correct horse battery staple";

/// A clock the test moves by hand.
struct TestClock(AtomicI64);

impl TestClock {
    fn advance_seconds(&self, s: i64) {
        self.0.fetch_add(s * 1000, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

struct World {
    _dir: tempfile::TempDir,
    path: PathBuf,
    clock: Arc<TestClock>,
    clipboard: FakeClipboard,
    harness: Harness<'static, App>,
}

fn app_for(path: &Path, clock: Arc<TestClock>, clipboard: FakeClipboard) -> Harness<'static, App> {
    app_sized(path, clock, clipboard, None, [1100.0, 720.0])
}

/// The app on `path` in a window of `size`, with preferences kept at `prefs` (or in memory).
fn app_sized(
    path: &Path,
    clock: Arc<TestClock>,
    clipboard: FakeClipboard,
    prefs: Option<PathBuf>,
    size: [f32; 2],
) -> Harness<'static, App> {
    let app = App::new(AppOptions {
        vault_path: path.to_owned(),
        prefs_path: prefs,
        clock,
        clipboard: Box::new(clipboard),
        background_jobs: false,
        kdf_override: Some(KdfParams::insecure_for_tests()),
    });
    Harness::builder().with_size(size).build_ui_state(|ui, app: &mut App| app.show(ui), app)
}

/// A world with a vault on disk holding `secrets` (name, description, value), still locked.
fn world_with(secrets: &[(&str, &str, &str)]) -> World {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.db");
    let clock = Arc::new(TestClock(AtomicI64::new(1_800_000_000_000)));
    let mut vault =
        Vault::create_with_clock(&path, &Passphrase::new(PASSPHRASE), KdfParams::insecure_for_tests(), clock.clone())
            .unwrap();
    for (name, description, value) in secrets {
        vault
            .create_secret(NewSecret {
                name: SecretName::parse(name).unwrap(),
                description: (*description).into(),
                value: SecretValue::new(*value),
            })
            .unwrap();
    }
    drop(vault);
    let clipboard = FakeClipboard::new();
    let harness = app_for(&path, clock.clone(), clipboard.clone());
    World { _dir: dir, path, clock, clipboard, harness }
}

/// Unlocked, on the Secrets page.
fn unlocked_with(secrets: &[(&str, &str, &str)]) -> World {
    let mut w = world_with(secrets);
    w.harness.run();
    type_into(&mut w.harness, "Passphrase", PASSPHRASE);
    w.harness.get_by_label("Unlock").click();
    w.harness.run();
    assert!(w.harness.state().is_unlocked(), "the right passphrase unlocks");
    w
}

/// The text field with this accessible name (a column header or a page title may share it).
fn field<'a>(harness: &'a Harness<'_, App>, label: &'a str) -> Node<'a> {
    use egui::accesskit::Role;
    harness
        .get_all_by_label(label)
        .find(|n| matches!(n.accesskit_node().role(), Role::TextInput | Role::MultilineTextInput | Role::PasswordInput))
        .unwrap_or_else(|| panic!("no text field named {label}"))
}

fn has_field(harness: &Harness<'_, App>, label: &str) -> bool {
    use egui::accesskit::Role;
    harness
        .query_all_by_label(label)
        .any(|n| matches!(n.accesskit_node().role(), Role::TextInput | Role::MultilineTextInput | Role::PasswordInput))
}

fn type_into(harness: &mut Harness<'_, App>, label: &str, text: &str) {
    field(harness, label).focus();
    harness.run();
    field(harness, label).type_text(text);
    harness.run();
}

/// Selects everything in a field and types over it.
fn replace_in(harness: &mut Harness<'_, App>, label: &str, text: &str) {
    field(harness, label).focus();
    harness.run();
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    harness.run();
    field(harness, label).type_text(text);
    harness.run();
}

/// The submit button of the create form (the page has a button with the same name behind the
/// modal; the form's is drawn last).
fn form_submit<'a>(harness: &'a Harness<'_, App>) -> Node<'a> {
    harness.get_all_by_label("Create Environment Secret").last().expect("a create button")
}

fn open_vault(w: &World) -> Vault {
    Vault::unlock(&w.path, &Passphrase::new(PASSPHRASE)).unwrap()
}

fn value_of(w: &World, name: &str) -> (String, u32) {
    let vault = open_vault(w);
    let id = vault.find(&SecretName::parse(name).unwrap()).unwrap();
    let meta = vault.meta(id).unwrap();
    (vault.reveal(id).unwrap().expose().to_owned(), meta.version)
}

/// The table row of the secret `name` (the table's keyboard stop when highlighted).
fn row<'a>(harness: &'a Harness<'_, App>, name: &'a str) -> Node<'a> {
    harness
        .get_all_by_label(name)
        .find(|n| n.accesskit_node().role() == egui::accesskit::Role::Row)
        .unwrap_or_else(|| panic!("no row named {name}"))
}

fn has_text(harness: &Harness<'_, App>, text: &str) -> bool {
    harness.query_all_by_label_contains(text).next().is_some()
}

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
    assert!(open_vault(&w).find(&SecretName::parse("NEW_KEY").unwrap()).is_err(), "nothing was written");
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
        let id = vault.find(&SecretName::parse("OLD_NAME").unwrap()).unwrap();
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
    let id = vault.find(&SecretName::parse("NEW_NAME").unwrap()).unwrap();
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
    assert!(open_vault(&w).find(&SecretName::parse("GONE").unwrap()).is_err());
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
    assert!(vault.find(&SecretName::parse("KEEP").unwrap()).is_ok());
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

/// On the Vault settings page, in a window tall enough to show all of it.
fn open_settings(w: &mut World) {
    w.harness.set_size(egui::vec2(1100.0, 1400.0));
    w.harness.get_by_label("Vault settings").click();
    w.harness.run();
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

    assert!(has_text(&w.harness, "Imported app.env: 1 added, 1 updated, 1 unchanged, 2 skipped"));
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
        let id = vault.find(&SecretName::parse("OPENAI_API_KEY").unwrap()).unwrap();
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
    assert!(open_vault(&w).find(&SecretName::parse("LATER").unwrap()).is_err());
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
fn the_vault_key_is_rotated_from_vault_settings() {
    let mut w = unlocked_with(&[("OPENAI_API_KEY", "", "sk-rotate-me")]);
    open_settings(&mut w);
    // The Vault file section is the last one: make the window tall enough to show it.
    w.harness.set_size(egui::vec2(1100.0, 2200.0));
    w.harness.run();
    let before = open_vault(&w).backup_now().unwrap().unwrap();
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

// ---- a vault that fails its checks, or would take ages to unlock ------------------------------

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
    assert!(open_vault(&w).find(&SecretName::parse("OPENAI_API_KEY").unwrap()).is_err(), "nothing was written");
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

/// A 30-character name, as long as the minimum window must show in full.
const LONG_NAME: &str = "TWILIO_STAGING_AUTH_TOKEN_0001";

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
    assert!(open_vault(&w).find(&SecretName::parse("B_KEY").unwrap()).is_err(), "Delete asked, then deleted");
    assert!(w.harness.query_by_label("Undo").is_some(), "with Undo");
    w.harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    w.harness.run();
    assert!(open_vault(&w).find(&SecretName::parse("B_KEY").unwrap()).is_ok(), "Ctrl+Z undid the delete");

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
    assert!(open_vault(&w).find(&SecretName::parse("C_KEY").unwrap()).is_ok(), "Enter on Cancel deletes nothing");

    // One stop: Tab leaves the table instead of walking through its rows and their buttons.
    row(&w.harness, "A_KEY").focus();
    w.harness.run();
    w.harness.key_press(Key::Tab);
    w.harness.run();
    let in_table = ["A_KEY", "C_KEY"].iter().any(|n| row(&w.harness, n).is_focused())
        || w.harness.query_all_by_label_contains("C_KEY").any(|n| n.is_focused());
    assert!(!in_table, "Tab left the table");
}

/// The first ancestor of `node` with `role`, if any.
fn ancestor_with_role<'a>(
    node: egui_kittest::kittest::AccessKitNode<'a>,
    role: egui::accesskit::Role,
) -> Option<egui_kittest::kittest::AccessKitNode<'a>> {
    let mut at = node.parent();
    while let Some(n) = at {
        if n.role() == role {
            return Some(n);
        }
        at = n.parent();
    }
    None
}

fn wide_unlocked_with(secrets: &[(&str, &str, &str)]) -> World {
    let mut w = world_with(secrets);
    w.harness = app_sized(&w.path, w.clock.clone(), w.clipboard.clone(), None, [1500.0, 800.0]);
    w.harness.run();
    type_into(&mut w.harness, "Passphrase", PASSPHRASE);
    w.harness.get_by_label("Unlock").click();
    w.harness.run();
    assert!(w.harness.state().is_unlocked());
    w
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

/// A file dropped on the window, as egui-winit hands it over.
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
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
    assert!(open_vault(&w).find(&SecretName::parse("DROPPED_ONE").unwrap()).is_err(), "nothing written yet");
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
    assert!(open_vault(&w).find(&SecretName::parse("PASTED_ONE").unwrap()).is_err(), "nothing written yet");
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

// ---- Projects and environments ----------------------------------------------------------------

/// A locked world whose vault has project `shop`: LOG_LEVEL and OPENAI_API_KEY shared,
/// production overriding OPENAI_API_KEY and holding DATABASE_URL and SENTRY_DSN, development
/// holding its own DATABASE_URL. Then unlocked (wide), on the default project.
fn shop_world() -> World {
    let mut w = world_with(&[("PERSONAL_KEY", "", "p")]);
    {
        let mut vault = open_vault(&w);
        vault.create_project(&tresor::PlaceName::parse("shop").unwrap()).unwrap();
        let at = |env: Option<&str>| vault.place(Some("shop"), env).unwrap();
        let (shared, dev, prod) = (at(None), at(Some("development")), at(Some("production")));
        for (place, name, value) in [
            (shared, "LOG_LEVEL", "info"),
            (shared, "OPENAI_API_KEY", "sk-shared"),
            (prod, "OPENAI_API_KEY", "sk-prod"),
            (prod, "DATABASE_URL", "postgres://prod"),
            (prod, "SENTRY_DSN", "https://sentry"),
            (dev, "DATABASE_URL", "postgres://dev"),
        ] {
            vault.set_in(&place, SecretName::parse(name).unwrap(), None, Some(SecretValue::new(value))).unwrap();
        }
    }
    w.harness = app_sized(&w.path, w.clock.clone(), w.clipboard.clone(), None, [1300.0, 800.0]);
    w.harness.run();
    type_into(&mut w.harness, "Passphrase", PASSPHRASE);
    w.harness.get_by_label("Unlock").click();
    w.harness.run();
    assert!(w.harness.state().is_unlocked());
    w
}

/// What `name` resolves to in shop's `env` (None: the project level), read through the core.
fn shop_value(w: &World, env: Option<&str>, name: &str) -> Option<(String, tresor::Origin)> {
    let vault = open_vault(w);
    let place = vault.place(Some("shop"), env).ok()?;
    let (id, origin) = vault.find_in(&place, &SecretName::parse(name).unwrap()).ok()?;
    Some((vault.reveal(id).unwrap().expose().to_owned(), origin))
}

fn open_shop_tab(w: &mut World, tab: &str) {
    w.harness.get_by_label_contains("shop, ").click();
    w.harness.run();
    w.harness.get_by_label(tab).click();
    w.harness.run();
}

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
    let gone = other.find(&SecretName::parse("MINE").unwrap()).unwrap();
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

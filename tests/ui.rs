//! The desktop app, driven through its accessible names with egui_kittest, as a user (or a screen
//! reader) would: no internal state is poked, only clicks, keys and text.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use egui::{Key, Modifiers};
use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::{Harness, Node};
use tresor::clipboard::FakeClipboard;
use tresor::ui::{App, AppOptions, ServeAt};
use tresor::vault::Clock;
mod common;

#[path = "ui/keyboard.rs"]
mod keyboard;
#[path = "ui/layout.rs"]
mod layout;
#[path = "ui/lock.rs"]
mod lock;
#[path = "ui/places.rs"]
mod places;
#[path = "ui/secrets.rs"]
mod secrets;
#[path = "ui/settings.rs"]
mod settings;
#[path = "ui/sync.rs"]
mod sync;
#[path = "ui/values.rs"]
mod values;

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
    use_a_state_folder();
    let app = App::new(AppOptions {
        vault_path: path.to_owned(),
        prefs_path: prefs,
        clock,
        clipboard: Box::new(clipboard),
        background_jobs: false,
        kdf_override: Some(KdfParams::insecure_for_tests()),
        serve: ServeAt::Off,
    });
    Harness::builder().with_size(size).build_ui_state(|ui, app: &mut App| app.show(ui), app)
}

/// One state folder for the whole test process (set once, before the first app starts; each
/// test's vault has a path of its own, so their records never meet): the Sync section keeps
/// its device there, as the app does in the user's state folder.
fn use_a_state_folder() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let dir = tempfile::tempdir().unwrap();
        tresor::state::use_folder_for_tests(Some(dir.path().to_owned()));
        std::mem::forget(dir);
    });
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

/// Whether the default project's level has a live secret `name`, as a fresh unlock sees it.
fn stored(w: &World, name: &str) -> bool {
    let vault = open_vault(w);
    vault.find(&vault.default_place().unwrap(), &SecretName::parse(name).unwrap()).is_ok()
}

fn value_of(w: &World, name: &str) -> (String, u32) {
    let vault = open_vault(w);
    let id = vault.find(&vault.default_place().unwrap(), &SecretName::parse(name).unwrap()).unwrap().0;
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

/// On the Vault settings page, in a window tall enough to show all of it.
fn open_settings(w: &mut World) {
    w.harness.set_size(egui::vec2(1100.0, 1400.0));
    w.harness.get_by_label("Vault settings").click();
    w.harness.run();
}

/// A 30-character name, as long as the minimum window must show in full.
const LONG_NAME: &str = "TWILIO_STAGING_AUTH_TOKEN_0001";

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
            vault.set(&place, SecretName::parse(name).unwrap(), None, Some(SecretValue::new(value))).unwrap();
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
    let (id, origin) = vault.find(&place, &SecretName::parse(name).unwrap()).ok()?;
    Some((vault.reveal(id).unwrap().expose().to_owned(), origin))
}

fn open_shop_tab(w: &mut World, tab: &str) {
    w.harness.get_by_label_contains("shop, ").click();
    w.harness.run();
    w.harness.get_by_label(tab).click();
    w.harness.run();
}

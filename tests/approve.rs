//! The approval dialog of "unlock once", in the real UI (egui_kittest) with the real command line:
//! each test starts the app serving from a folder of its own, runs the `tresor` binary as a
//! script would (no passphrase, no terminal), and answers in the dialog as a user does. Nothing
//! here answers for the user but the clicks and keys below.
#![cfg(target_os = "linux")]

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use tresor::clipboard::FakeClipboard;
use tresor::ui::{App, AppOptions, CLICK_GUARD_MS, ServeAt};
use tresor::{KdfParams, Passphrase, Vault};

mod common;
use common::{TestClock, new_secret};

const PASS: &str = "approval dialog passphrase";

struct World {
    dir: tempfile::TempDir,
    path: PathBuf,
    clock: Arc<TestClock>,
    harness: Harness<'static, App>,
}

/// The app, serving, unlocked, on a vault with OPENAI_API_KEY.
fn unlocked() -> World {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.db");
    let clock = TestClock::at(1_800_000_000_000);
    let mut vault = Vault::create(&path, &Passphrase::new(PASS), KdfParams::insecure_for_tests()).unwrap();
    vault.create_secret(new_secret("OPENAI_API_KEY", "GPT calls", "sk-from-the-app")).unwrap();
    drop(vault);
    let run = dir.path().join("run");
    std::fs::create_dir(&run).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
    let app = App::new(AppOptions {
        vault_path: path.clone(),
        prefs_path: None,
        clock: clock.clone(),
        clipboard: Box::new(FakeClipboard::new()),
        background_jobs: false,
        kdf_override: Some(KdfParams::insecure_for_tests()),
        serve: ServeAt::Folder(run.join("tresor")),
    });
    let mut harness =
        Harness::builder().with_size([1100.0, 720.0]).build_ui_state(|ui, app: &mut App| app.show(ui), app);
    harness.run();
    assert!(harness.state().serves(), "the app serves its vault file");
    harness.get_by_label("Passphrase").focus();
    harness.run();
    harness.get_by_label("Passphrase").type_text(PASS);
    harness.run();
    harness.get_by_label("Unlock").click();
    harness.run();
    assert!(harness.state().is_unlocked());
    World { dir, path, clock, harness }
}

impl World {
    /// `tresor ARGS` started as a script starts it: no passphrase file, no terminal.
    fn start(&self, args: &[&str]) -> Child {
        Command::new(env!("CARGO_BIN_EXE_tresor"))
            .arg("--vault")
            .arg(&self.path)
            .args(args)
            .env("XDG_RUNTIME_DIR", self.dir.path().join("run"))
            .env("TRESOR_STATE_DIR", self.dir.path().join("state"))
            .env_remove("TRESOR_PASSPHRASE_FILE")
            .env_remove("TRESOR_NO_APP")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Draws frames until the app shows the approval dialog.
    fn until_asked(&mut self) {
        let start = Instant::now();
        while !self.harness.state().is_asking() {
            assert!(start.elapsed() < Duration::from_secs(20), "the app never asked");
            std::thread::sleep(Duration::from_millis(10));
            self.harness.step();
        }
        // The dialog settles (its layout, Deny taking the focus) over a few frames.
        self.harness.run_steps(10);
    }

    /// Draws frames until `child` ends; its output.
    fn until_done(&mut self, mut child: Child) -> Output {
        let start = Instant::now();
        while child.try_wait().unwrap().is_none() {
            assert!(start.elapsed() < Duration::from_secs(20), "the command never ended");
            std::thread::sleep(Duration::from_millis(10));
            self.harness.step();
        }
        child.wait_with_output().unwrap()
    }

    fn past_the_guard(&mut self) {
        self.clock.advance(CLICK_GUARD_MS + 100);
        self.harness.run();
    }
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

#[test]
fn the_dialog_says_who_asks_for_what_and_deny_is_the_default() {
    let mut w = unlocked();
    let child = w.start(&["get", "OPENAI_API_KEY"]);
    w.until_asked();
    // What it asks for, and who asks (read from /proc: this test runner is its parent).
    assert!(w.harness.query_all_by_label("Allow access to your secrets?").next().is_some());
    w.harness.get_by_label_contains("OPENAI_API_KEY of Personal");
    w.harness.get_by_label_contains("tresor ← approve");
    w.harness.get_by_label_contains("none (a tool or an editor, not a terminal window)");
    w.harness.get_by_label("Allow for this tool");
    assert!(w.harness.get_by_label("Deny").is_focused(), "Deny has the focus");
    // Enter never approves: on Deny it denies.
    w.past_the_guard();
    w.harness.key_press(Key::Enter);
    w.harness.run();
    let out = w.until_done(child);
    assert_eq!(out.status.code(), Some(8), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("Denied in the Tresor app"), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
}

#[test]
fn enter_on_an_allow_button_does_nothing_and_esc_denies() {
    let mut w = unlocked();
    let child = w.start(&["get", "OPENAI_API_KEY"]);
    w.until_asked();
    w.past_the_guard();
    w.harness.get_by_label("Allow once").focus();
    w.harness.run();
    w.harness.key_press(Key::Enter);
    w.harness.run();
    assert!(w.harness.state().is_asking(), "Enter on Allow once did not approve");
    w.harness.key_press_modifiers(Modifiers::NONE, Key::Escape);
    w.harness.run();
    let out = w.until_done(child);
    assert_eq!(out.status.code(), Some(8), "Esc denied: {}", text(&out.stderr));
}

#[test]
fn the_buttons_ignore_clicks_for_a_second_after_the_dialog_appears_or_the_window_regains_focus() {
    let mut w = unlocked();
    let child = w.start(&["get", "OPENAI_API_KEY"]);
    w.until_asked();
    w.harness.get_by_label("Allow once").click();
    w.harness.run();
    assert!(w.harness.state().is_asking(), "a click in the first second did nothing");
    w.past_the_guard();
    // The window loses and regains the focus: the guard starts again.
    w.harness.event(egui::Event::WindowFocused(false));
    w.harness.run();
    w.harness.event(egui::Event::WindowFocused(true));
    w.harness.run();
    w.harness.get_by_label("Allow once").click();
    w.harness.run();
    assert!(w.harness.state().is_asking(), "a click right after the window regained focus did nothing");
    w.past_the_guard();
    w.harness.get_by_label("Allow once").click();
    w.harness.run();
    let out = w.until_done(child);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(out.stdout, b"sk-from-the-app");
    // Once: the next request asks again.
    let again = w.start(&["get", "OPENAI_API_KEY"]);
    w.until_asked();
    w.harness.key_press(Key::Escape);
    w.harness.run();
    assert_eq!(w.until_done(again).status.code(), Some(8));
}

#[test]
fn no_answer_in_a_minute_denies() {
    let mut w = unlocked();
    let child = w.start(&["get", "OPENAI_API_KEY"]);
    w.until_asked();
    w.clock.advance_seconds(61);
    w.harness.run();
    assert!(!w.harness.state().is_asking(), "the dialog went");
    let out = w.until_done(child);
    assert_eq!(out.status.code(), Some(8), "{}", text(&out.stderr));
}

#[test]
fn a_standing_approval_is_listed_in_settings_revoked_there_and_ended_by_a_lock() {
    let mut w = unlocked();
    let child = w.start(&["get", "OPENAI_API_KEY"]);
    w.until_asked();
    w.past_the_guard();
    w.harness.get_by_label("Allow for this tool").click();
    w.harness.run();
    assert_eq!(w.until_done(child).stdout, b"sk-from-the-app");
    // The same tool again: not asked.
    let again = w.until_done(w.start(&["get", "OPENAI_API_KEY"]));
    assert_eq!(again.stdout, b"sk-from-the-app");
    assert!(!w.harness.state().is_asking());

    w.harness.get_by_label("Vault settings").click();
    w.harness.run();
    w.harness.get_by_label("Command line");
    w.harness.get_by_label_contains("OPENAI_API_KEY of Personal");
    let revoke = w.harness.get_all_by_label_contains("Revoke the approval of").count();
    assert_eq!(revoke, 1, "one approval listed");
    w.harness.get_by_label_contains("Revoke the approval of").scroll_to_me();
    w.harness.run();
    w.harness.get_by_label_contains("Revoke the approval of").click();
    w.harness.run();
    w.harness.get_by_label("No terminal or tool is approved.");
    let asked = w.start(&["get", "OPENAI_API_KEY"]);
    w.until_asked();
    w.past_the_guard();
    w.harness.get_by_label("Allow for this tool").click();
    w.harness.run();
    assert_eq!(w.until_done(asked).stdout, b"sk-from-the-app");

    // A lock ends it; a request while locked is named on the lock screen, and waits.
    w.harness.key_press_modifiers(Modifiers::COMMAND, Key::L);
    w.harness.run();
    assert!(!w.harness.state().is_unlocked());
    let waiting = w.start(&["get", "OPENAI_API_KEY"]);
    let start = Instant::now();
    while w.harness.query_by_label_contains("is waiting: unlock to answer it here").is_none() {
        assert!(start.elapsed() < Duration::from_secs(20), "the lock screen never named the request");
        std::thread::sleep(Duration::from_millis(10));
        w.harness.step();
    }
    w.harness.get_by_label("Passphrase").focus();
    w.harness.run();
    w.harness.get_by_label("Passphrase").type_text(PASS);
    w.harness.run();
    w.harness.get_by_label("Unlock").click();
    // Frames, not `run`: the waiting request's dialog may come up while they are drawn.
    w.harness.run_steps(2);
    // Unlocked: the waiting request goes on, and asks (the approval did not survive the lock).
    w.until_asked();
    w.past_the_guard();
    w.harness.get_by_label("Allow once").click();
    w.harness.run();
    assert_eq!(w.until_done(waiting).stdout, b"sk-from-the-app");
}

/// After the app rotates the vault key (the same file, a new key) the command line is served
/// under the new key; the server's handle of the old key is not used.
#[test]
fn after_a_key_rotation_in_the_app_the_command_line_is_still_served() {
    let mut w = unlocked();
    w.harness.get_by_label("Vault settings").click();
    w.harness.run();
    w.harness.set_size(egui::vec2(1100.0, 2400.0));
    w.harness.run();
    w.harness.get_by_label("Rotate key…").click();
    w.harness.run();
    w.harness.get_by_label("Your passphrase").focus();
    w.harness.run();
    w.harness.get_by_label("Your passphrase").type_text(PASS);
    w.harness.run();
    w.harness.get_by_label("Rotate key").click();
    w.harness.run();
    assert!(w.harness.query_by_label_contains("Vault key rotated").is_some(), "rotated");
    let child = w.start(&["get", "OPENAI_API_KEY"]);
    w.until_asked();
    w.past_the_guard();
    w.harness.get_by_label("Allow once").click();
    w.harness.run();
    let out = w.until_done(child);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(out.stdout, b"sk-from-the-app");
}

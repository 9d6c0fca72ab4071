//! The real clipboard, on a real X server (Xvfb), read back with `xclip` as any other program
//! would: a copied value carries the "keep out of history" mark, is cleared when its time is up,
//! on lock and on quit, and a user's own later copy is left alone.
//!
//! Needs `Xvfb` and `xclip` (`.ci/run` installs them). Without them the test says so and skips;
//! with `CI` set it fails instead, so CI cannot skip it silently.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use tresor::clipboard::{ClipboardGuard, SystemClipboard};
use tresor::ui::{App, AppOptions, ServeAt};
use tresor::vault::Clock;
use tresor::{KdfParams, NewSecret, Passphrase, SecretName, SecretValue, Timestamp, Vault};

mod common;

struct Xvfb {
    child: Child,
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        common::stop_x_server(&mut self.child);
    }
}

fn have(program: &str) -> bool {
    Command::new("sh").args(["-c", &format!("command -v {program}")]).output().is_ok_and(|o| o.status.success())
}

/// Starts Xvfb on a free display and points this process at it.
fn start_x() -> Option<Xvfb> {
    let missing: Vec<&str> = ["Xvfb", "xclip"].into_iter().filter(|p| !have(p)).collect();
    if !missing.is_empty() {
        assert!(std::env::var_os("CI").is_none(), "CI must install {missing:?} (see .ci/run)");
        println!("skipped: {missing:?} not installed");
        return None;
    }
    let number = common::free_display(400..500);
    let child = Command::new("Xvfb")
        .args([
            format!(":{number}"),
            "-screen".into(),
            "0".into(),
            "640x480x24".into(),
            "-nolisten".into(),
            "tcp".into(),
            "-noreset".into(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let x = Xvfb { child };
    let socket = format!("/tmp/.X11-unix/X{number}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !Path::new(&socket).exists() {
        assert!(Instant::now() < deadline, "Xvfb did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    // SAFETY: this file holds a single test, so no other thread reads the environment meanwhile.
    unsafe {
        std::env::set_var("DISPLAY", format!(":{number}"));
        std::env::remove_var("WAYLAND_DISPLAY");
    }
    Some(x)
}

/// What another program reads from the clipboard as `target` (`None`: nothing there).
fn xclip_read(target: &str) -> Option<String> {
    let out = Command::new("xclip").args(["-selection", "clipboard", "-o", "-t", target]).output().unwrap();
    (out.status.success() && !out.stdout.is_empty()).then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn clipboard_text() -> Option<String> {
    xclip_read("UTF8_STRING")
}

/// Another program takes the clipboard, as a user's own copy does.
fn user_copies(text: &str) {
    let mut child = Command::new("xclip")
        .args(["-selection", "clipboard", "-i"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    // xclip forks a server that keeps the selection and exits this process.
    child.wait().unwrap();
    wait_for(|| clipboard_text().as_deref() == Some(text), "the user's copy to land");
}

fn wait_for(mut done: impl FnMut() -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

struct TestClock(AtomicI64);

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

fn unlock(harness: &mut egui_kittest::Harness<'_, App>, pass: &str) {
    use egui_kittest::kittest::Queryable;
    harness.get_by_label("Passphrase").focus();
    harness.run();
    harness.get_by_label("Passphrase").type_text(pass);
    harness.run();
    harness.get_by_label("Unlock").click();
    harness.run();
}

#[test]
fn the_real_clipboard_is_marked_cleared_on_time_lock_and_quit_and_the_users_copy_is_kept() {
    let Some(_x) = start_x() else { return };

    // The rule, on the X11 clipboard itself.
    let mut guard = ClipboardGuard::new(Box::new(SystemClipboard::new()));
    guard.copy("sk-real-x11-secret", "KEY".into(), Some(Timestamp(15_000))).unwrap();
    assert_eq!(clipboard_text().as_deref(), Some("sk-real-x11-secret"), "another program can paste it");
    let targets = xclip_read("TARGETS").unwrap_or_default();
    assert!(targets.lines().any(|t| t == "x-kde-passwordManagerHint"), "no exclusion mark in {targets:?}");
    assert_eq!(xclip_read("x-kde-passwordManagerHint").as_deref(), Some("secret"));

    assert!(!guard.tick(Timestamp(14_999)));
    assert_eq!(clipboard_text().as_deref(), Some("sk-real-x11-secret"), "not before its time");
    assert!(guard.tick(Timestamp(15_000)));
    wait_for(|| clipboard_text().is_none(), "the clipboard to be cleared on time");

    guard.copy("sk-second", "KEY".into(), Some(Timestamp(30_000))).unwrap();
    user_copies("the user's own text");
    assert!(guard.tick(Timestamp(30_000)), "the due clear runs, and finds the user's text");
    assert_eq!(clipboard_text().as_deref(), Some("the user's own text"), "left alone");
    drop(guard);

    // The app: Copy, then Lock clears; Copy, then quit clears.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.db");
    let pass = "x11 clipboard test passphrase";
    let mut vault = Vault::create(&path, &Passphrase::new(pass), KdfParams::insecure_for_tests()).unwrap();
    vault
        .create_secret(NewSecret {
            name: SecretName::parse("OPENAI_API_KEY").unwrap(),
            description: String::new(),
            value: SecretValue::new("sk-from-the-app"),
        })
        .unwrap();
    drop(vault);
    let app = App::new(AppOptions {
        vault_path: path.clone(),
        prefs_path: None,
        clock: Arc::new(TestClock(AtomicI64::new(1_800_000_000_000))),
        clipboard: Box::new(SystemClipboard::new()),
        background_jobs: false,
        kdf_override: Some(KdfParams::insecure_for_tests()),
        serve: ServeAt::Off,
    });
    let mut harness = egui_kittest::Harness::builder()
        .with_size([1100.0, 720.0])
        .build_ui_state(|ui, app: &mut App| app.show(ui), app);
    use egui_kittest::kittest::Queryable;
    harness.run();
    unlock(&mut harness, pass);
    assert!(harness.state().is_unlocked());

    harness.get_by_label("Copy OPENAI_API_KEY").click();
    harness.run();
    assert_eq!(clipboard_text().as_deref(), Some("sk-from-the-app"));
    harness.get_by_label("Lock").click();
    harness.run();
    wait_for(|| clipboard_text().is_none(), "the clipboard to be cleared on lock");

    unlock(&mut harness, pass);
    harness.get_by_label("Copy OPENAI_API_KEY").click();
    harness.run();
    assert_eq!(clipboard_text().as_deref(), Some("sk-from-the-app"));
    harness.state_mut().on_exit();
    wait_for(|| clipboard_text().is_none(), "the clipboard to be cleared on quit");
}

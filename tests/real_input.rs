//! The real binary in a real X window (Xvfb), driven only as a person drives it: key events from
//! `xdotool` (a real keyboard, as far as the app can tell) and the real clipboard filled by
//! another program (`xclip`). Each scenario runs one app process; what it saved is read back
//! through the command line.
//!
//! Needs `Xvfb`, `xdotool`, `xclip` and Mesa's software OpenGL (`.ci/run` installs them). Without
//! them the test says so and skips; with `CI` set it fails instead, so CI cannot skip it silently.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;

const PASS: &str = "real keys passphrase";

fn have(program: &str) -> bool {
    Command::new("sh").args(["-c", &format!("command -v {program}")]).output().is_ok_and(|o| o.status.success())
}

/// One scenario at a time: each has an X server of its own, and two starting at once could pick
/// the same display number.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// An X server of our own, with the app's vault and passphrase file in a private folder.
struct Desktop {
    xvfb: Child,
    display: String,
    dir: tempfile::TempDir,
    _turn: std::sync::MutexGuard<'static, ()>,
}

impl Drop for Desktop {
    fn drop(&mut self) {
        common::stop_x_server(&mut self.xvfb);
    }
}

impl Desktop {
    fn start() -> Option<Desktop> {
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let missing: Vec<&str> = ["Xvfb", "xdotool", "xclip"].into_iter().filter(|p| !have(p)).collect();
        if !missing.is_empty() {
            assert!(std::env::var_os("CI").is_none(), "CI must install {missing:?} (see .ci/run)");
            println!("skipped: {missing:?} not installed");
            return None;
        }
        // A server that takes connections: its socket alone is not enough (another X server
        // starting at the same moment may hold the number; then ours exits and we try another).
        let (xvfb, display) = (0..5)
            .find_map(|_| {
                let number = common::free_display(500..600);
                let display = format!(":{number}");
                let mut xvfb = Command::new("Xvfb")
                    .args([&display, "-screen", "0", "1040x680x24", "-nolisten", "tcp", "-noreset"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap();
                let deadline = Instant::now() + Duration::from_secs(10);
                loop {
                    if xvfb.try_wait().unwrap().is_some() {
                        return None;
                    }
                    if Path::new(&format!("/tmp/.X11-unix/X{number}")).exists()
                        && x11rb::connect(Some(&display)).is_ok()
                    {
                        return Some((xvfb, display));
                    }
                    assert!(Instant::now() < deadline, "Xvfb did not start");
                    std::thread::sleep(Duration::from_millis(50));
                }
            })
            .expect("no X server started in five tries");
        let dir = tempfile::tempdir().unwrap();
        let desktop = Desktop { xvfb, display, dir, _turn: turn };
        let pass = desktop.pass_file();
        std::fs::write(&pass, format!("{PASS}\n")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o600)).unwrap();
        let init = desktop
            .cli(&["init", "--kdf-memory-mib", "64", "--kdf-iterations", "3", "--kdf-parallelism", "4"])
            .output()
            .unwrap();
        assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
        Some(desktop)
    }

    fn vault(&self) -> PathBuf {
        self.dir.path().join("vault.db")
    }

    fn pass_file(&self) -> PathBuf {
        self.dir.path().join("pass")
    }

    /// The command line on the same vault (never on the X server).
    fn cli(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tresor"));
        cmd.arg("--vault").arg(self.vault()).arg("--passphrase-file").arg(self.pass_file()).args(args);
        cmd.env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY").env("TRESOR_STATE_DIR", self.state());
        cmd.env("XDG_RUNTIME_DIR", self.runtime());
        cmd
    }

    /// The state folder the app and the command line share, as a user's do.
    fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// The runtime folder of the app's sockets (`XDG_RUNTIME_DIR`), never the real one.
    fn runtime(&self) -> PathBuf {
        let run = self.dir.path().join("run");
        if !run.exists() {
            std::fs::create_dir(&run).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        run
    }

    fn x(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("DISPLAY", &self.display).env_remove("WAYLAND_DISPLAY").env("TRESOR_STATE_DIR", self.state());
        cmd.env("XDG_RUNTIME_DIR", self.runtime());
        cmd
    }

    /// Another program copies `text` (exact bytes) to the clipboard, and keeps serving it.
    fn copy_from_another_program(&self, text: &str) {
        let mut xclip = self
            .x("xclip")
            .args(["-selection", "clipboard", "-i"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        xclip.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
        // xclip forks a child that serves the selection; the parent exits once it has it.
        assert!(xclip.wait().unwrap().success());
        assert_eq!(self.clipboard_becomes(text), text, "the other program's copy is on the clipboard");
    }

    /// Sets `name` to `value` through the command line.
    fn set(&self, name: &str, value: &str) {
        let mut set =
            self.cli(&["set", name]).stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        set.stdin.take().unwrap().write_all(value.as_bytes()).unwrap();
        assert!(set.wait().unwrap().success(), "tresor set {name}");
    }

    /// What the clipboard holds now (as another program reads it).
    fn clipboard(&self) -> String {
        let out = self.x("xclip").args(["-selection", "clipboard", "-o"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits up to 5 s for the clipboard to hold `expected`; returns what it holds then.
    fn clipboard_becomes(&self, expected: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let now = self.clipboard();
            if now == expected || Instant::now() > deadline {
                return now;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Starts the app on the vault and waits for its window.
    fn open_app(&self) -> AppWindow {
        self.open_app_with(&[])
    }

    /// Starts the app with these variables added to its environment.
    fn open_app_with(&self, env: &[(&str, &str)]) -> AppWindow {
        let child = self
            .x(env!("CARGO_BIN_EXE_tresor"))
            .envs(env.iter().copied())
            .arg("--vault")
            .arg(self.vault())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut app = AppWindow { child, window: String::new(), display: self.display.clone(), xvfb: self.xvfb.id() };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let found = self.x("xdotool").args(["search", "--name", "^Tresor$"]).output().unwrap();
            if let Some(id) = String::from_utf8_lossy(&found.stdout).lines().next() {
                app.window = id.to_owned();
                break;
            }
            if let Some(status) = app.child.try_wait().unwrap() {
                let mut err = String::new();
                use std::io::Read;
                let _ = app.child.stderr.take().unwrap().read_to_string(&mut err);
                panic!("the app exited ({status}) before showing a window: {err}");
            }
            assert!(Instant::now() < deadline, "no Tresor window within 60 s");
            std::thread::sleep(Duration::from_millis(200));
        }
        // Let the first frames draw (software OpenGL in a debug build), then give it the keyboard:
        // Xvfb has no window manager to do that.
        app.settle();
        app.xdotool(&["windowfocus", "--sync", &app.window.clone()]);
        app.settle();
        app
    }
}

struct AppWindow {
    child: Child,
    window: String,
    display: String,
    /// The X server's process: while it runs, an input may still be on its way to the app.
    xvfb: u32,
}

/// For each thread of process `pid`: whether it is running or waiting for a processor (`R`),
/// and the processor time used by all of them (clock ticks). A process that is gone is idle.
fn activity(pid: u32) -> (bool, u64) {
    let (mut runnable, mut ticks) = (false, 0);
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return (false, 0) };
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else { continue };
        // After the name in parentheses: state, then (from the 12th field on) utime and stime.
        let Some((_, rest)) = stat.rsplit_once(')') else { continue };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        runnable |= fields.first() == Some(&"R");
        ticks += fields.get(11).and_then(|t| t.parse::<u64>().ok()).unwrap_or(0)
            + fields.get(12).and_then(|t| t.parse::<u64>().ok()).unwrap_or(0);
    }
    (runnable, ticks)
}

impl AppWindow {
    fn xdotool(&self, args: &[&str]) {
        let status = Command::new("xdotool").env("DISPLAY", &self.display).args(args).status().unwrap();
        assert!(status.success(), "xdotool {args:?}");
    }

    /// Presses keys (xdotool names, e.g. `ctrl+v`, `Return`, `Tab`), one after another, through
    /// XTEST: as a keyboard would, to the window that has the focus (not sent to a window, which
    /// X marks as synthetic).
    fn keys(&self, keys: &[&str]) {
        for key in keys {
            self.xdotool(&["key", "--clearmodifiers", key]);
            self.settle();
        }
    }

    fn type_text(&self, text: &str) {
        self.xdotool(&["type", "--delay", "20", "--", text]);
        self.settle();
    }

    /// Types the passphrase on the lock screen and waits out the KDF (its spinner keeps the app
    /// busy until the vault is open).
    fn unlock(&self) {
        self.type_text(PASS);
        self.keys(&["Return"]);
        self.settle();
    }

    /// Waits until the app has done what the input so far asked for: neither the X server nor
    /// any thread of the app is running or waiting for a processor, and the app has used no
    /// processor time, for 150 ms in a row (the window draws only on input; an idle one uses
    /// none — see the idle test below). Every wakeup along the way (xdotool → X server → app →
    /// its workers) makes one of them runnable, so a key still on its way is not mistaken for
    /// calm, however loaded the machine is. Within 30 s, or the test fails.
    fn settle(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let pid = self.child.id();
        let mut calm = 0;
        let mut last = activity(pid).1;
        while calm < 3 {
            assert!(Instant::now() < deadline, "the app did not settle within 30 s");
            std::thread::sleep(Duration::from_millis(50));
            let (app_busy, ticks) = activity(pid);
            let (x_busy, _) = activity(self.xvfb);
            calm = if app_busy || x_busy || ticks != last { 0 } else { calm + 1 };
            last = ticks;
        }
    }

    /// Waits for the app to exit after Ctrl+Q; its exit code must be 0.
    fn quit(mut self) {
        self.keys(&["ctrl+q"]);
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let mut err = String::new();
                use std::io::Read;
                let _ = self.child.stderr.take().unwrap().read_to_string(&mut err);
                assert!(status.success(), "the app exited with {status}: {err}");
                return;
            }
            assert!(Instant::now() < deadline, "the app did not quit on Ctrl+Q");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for AppWindow {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until the command line sees `name` (the app has saved it), or gives up.
fn wait_for_value(desktop: &Desktop, name: &str) -> Option<Vec<u8>> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = desktop.cli(&["get", name]).output().unwrap();
        if out.status.success() {
            return Some(out.stdout);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn a_passphrase_and_a_value_pasted_from_another_program_unlock_and_save_exactly() {
    let Some(desktop) = Desktop::start() else { return };
    let app = desktop.open_app();

    // A passphrase copied from a password manager, with the line break such copies often end
    // with: pasted into the lock screen's field, the break is dropped (not turned into a
    // space, which would make the passphrase wrong).
    desktop.copy_from_another_program(&format!("{PASS}\n"));
    app.keys(&["ctrl+v", "Return"]);
    app.settle(); // the KDF, in a debug build

    // A key copied in a browser: several lines, symbols, no line break at the end. Pasted into
    // Create's value (Name is typed), saved with Ctrl+Enter.
    let value = "-----BEGIN TEST KEY-----\nAbC+/=_-~ \"quoted\" 'single' $HOME\n-----END TEST KEY-----";
    desktop.copy_from_another_program(value);
    app.keys(&["ctrl+n"]);
    app.type_text("PASTED_KEY");
    app.keys(&["Tab", "Tab", "ctrl+v", "ctrl+Return"]);

    let stored = wait_for_value(&desktop, "PASTED_KEY");
    app.quit();
    let stored = stored.expect("PASTED_KEY was not saved: the paste, the unlock or the save did nothing");
    assert_eq!(String::from_utf8_lossy(&stored), value, "the value saved is exactly what was copied");
}

#[test]
fn search_typed_right_after_ctrl_f_then_ctrl_c_on_the_row_copies_its_value() {
    let Some(desktop) = Desktop::start() else { return };
    // "A_14999" sorts first and contains "4999": if the first key after Ctrl+F were lost, its
    // row would be the first one left, and the wrong value would be copied.
    for (name, value) in [("A_14999", "wrong-value"), ("SERVICE_04999", "target-value"), ("OTHER", "other")] {
        desktop.set(name, value);
    }
    let app = desktop.open_app();
    app.unlock();

    // Ctrl+F and the query in one go, as a fast typist does.
    app.xdotool(&["key", "--clearmodifiers", "ctrl+f", "type", "--delay", "5", "04999"]);
    app.settle();
    // Past the two sort buttons into the table (one stop), then Ctrl+C on the highlighted row.
    app.keys(&["Tab", "Tab", "Tab", "ctrl+c"]);
    let copied = desktop.clipboard_becomes("target-value");
    app.quit();
    assert_eq!(copied, "target-value", "the filtered row's value was copied");
}

#[test]
fn generate_with_a_typed_length_then_create_stores_a_value_of_that_length() {
    let Some(desktop) = Desktop::start() else { return };
    let app = desktop.open_app();
    app.unlock();
    // Create, the name; Tab past Description, Value, Show and Load from file… to the length
    // (typing replaces it), Tab past the kind to Generate, Enter; Ctrl+Enter creates.
    app.keys(&["ctrl+n"]);
    app.type_text("GENERATED_KEY");
    app.keys(&["Tab", "Tab", "Tab", "Tab", "Tab"]);
    app.type_text("48");
    app.keys(&["Tab", "Tab", "Return", "ctrl+Return"]);
    let stored = wait_for_value(&desktop, "GENERATED_KEY");
    app.quit();
    let stored = String::from_utf8(stored.expect("GENERATED_KEY was not created")).unwrap();
    assert_eq!(stored.len(), 48, "the length typed: {stored}");
    assert!(stored.chars().all(|c| c.is_ascii_alphanumeric()), "letters and digits, the default kind: {stored}");
}

/// Whether `name` is in the trash, as the command line sees it.
fn in_trash(desktop: &Desktop, name: &str) -> bool {
    let out = desktop.cli(&["trash"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).lines().any(|l| l.split_whitespace().next() == Some(name))
}

#[test]
fn delete_then_undo_with_the_keyboard_alone() {
    let Some(desktop) = Desktop::start() else { return };
    for (name, value) in [("KEEP_ME", "keep"), ("DELETE_ME", "gone-then-back")] {
        desktop.set(name, value);
    }
    let app = desktop.open_app();
    app.unlock();

    // Find it, into the table, Delete asks, Enter confirms (the focus is in the dialog).
    app.xdotool(&["key", "--clearmodifiers", "ctrl+f", "type", "--delay", "5", "DELETE_ME"]);
    app.settle();
    app.keys(&["Tab", "Tab", "Tab", "Delete"]);
    app.settle();
    app.keys(&["Return"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !in_trash(&desktop, "DELETE_ME") {
        assert!(Instant::now() < deadline, "Delete then Enter did not move DELETE_ME to the trash");
        std::thread::sleep(Duration::from_millis(300));
    }
    // Ctrl+Z undoes it (the focus is on the table, not in a text field).
    app.keys(&["ctrl+z"]);
    let restored = wait_for_value(&desktop, "DELETE_ME");
    app.quit();
    assert_eq!(restored.as_deref(), Some(b"gone-then-back".as_slice()), "Ctrl+Z brought it back");
    assert!(!in_trash(&desktop, "DELETE_ME"));
}

#[test]
fn create_view_edit_copy_and_lock_with_the_keyboard_alone() {
    let Some(desktop) = Desktop::start() else { return };
    let app = desktop.open_app();
    app.unlock();

    // Create: Ctrl+N, the name, Tab to the description, Tab to the value, Ctrl+Enter.
    app.keys(&["ctrl+n"]);
    app.type_text("KEYBOARD_KEY");
    app.keys(&["Tab"]);
    app.type_text("made with keys");
    app.keys(&["Tab"]);
    app.type_text("first-value");
    app.keys(&["ctrl+Return"]);
    assert_eq!(wait_for_value(&desktop, "KEYBOARD_KEY").as_deref(), Some(b"first-value".as_slice()), "created");

    // View it (Enter on its row), then Edit from View: the focus starts on View's first
    // control (Hide), Tab past Copy value and Copy as… to Edit.
    app.xdotool(&["key", "--clearmodifiers", "ctrl+f", "type", "--delay", "5", "KEYBOARD_KEY"]);
    app.settle();
    app.keys(&["Tab", "Tab", "Tab", "Return"]);
    app.settle();
    app.keys(&["Tab", "Tab", "Tab", "Return"]);
    app.settle();
    // Edit: Name has the focus; Tab to the description, Tab to the value (empty: keep), type.
    app.keys(&["Tab", "Tab"]);
    app.type_text("second-value");
    app.keys(&["ctrl+Return"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = desktop.cli(&["get", "KEYBOARD_KEY"]).output().unwrap();
        if out.stdout == b"second-value" {
            break;
        }
        assert!(Instant::now() < deadline, "the edit did not save: {:?}", String::from_utf8_lossy(&out.stdout));
        std::thread::sleep(Duration::from_millis(300));
    }

    // Copy with Ctrl+C on the row, then Ctrl+L: locking clears Tresor's copy from the clipboard.
    app.keys(&["ctrl+c"]);
    assert_eq!(desktop.clipboard_becomes("second-value"), "second-value", "Ctrl+C on the highlighted row");
    app.keys(&["ctrl+l"]);
    let deadline = Instant::now() + Duration::from_secs(5);
    while desktop.clipboard() == "second-value" {
        assert!(Instant::now() < deadline, "Ctrl+L locked and cleared our copy");
        std::thread::sleep(Duration::from_millis(200));
    }
    // And the passphrase unlocks it again.
    app.unlock();
    app.quit();
}

#[test]
fn a_block_of_env_lines_pasted_into_create_is_imported_after_its_plan() {
    let Some(desktop) = Desktop::start() else { return };
    let app = desktop.open_app();
    app.unlock();

    // Three lines of a .env copied from another program, pasted into Create's Name.
    desktop.copy_from_another_program("PASTED_ONE=sk-one\n# a comment\nPASTED_TWO=\"two words\"\nPASTED_THREE=3\n");
    app.keys(&["ctrl+n", "ctrl+v"]);
    app.settle();
    // Tab to "Import 3 secrets from the pasted text", Enter: the plan opens with the focus in
    // it, on its first control (Import); Enter imports.
    app.keys(&["Tab", "Return"]);
    app.settle();
    app.keys(&["Return"]);
    let one = wait_for_value(&desktop, "PASTED_ONE");
    let two = wait_for_value(&desktop, "PASTED_TWO");
    app.quit();
    assert_eq!(one.as_deref(), Some(b"sk-one".as_slice()));
    assert_eq!(two.as_deref(), Some(b"two words".as_slice()), "parsed as a .env line, quotes removed");
}

/// A stand-in for the XDG desktop portal's Settings interface: the one key the app reads.
struct FakePortal {
    color_scheme: u32,
}

#[zbus::interface(name = "org.freedesktop.portal.Settings")]
impl FakePortal {
    fn read_one(&self, namespace: &str, key: &str) -> zbus::fdo::Result<zbus::zvariant::OwnedValue> {
        if (namespace, key) != ("org.freedesktop.appearance", "color-scheme") {
            return Err(zbus::fdo::Error::Failed(format!("no {namespace} {key}")));
        }
        Ok(zbus::zvariant::OwnedValue::from(self.color_scheme))
    }
}

/// How light the window is: the mean brightness (0–255) of the screen, which the window fills.
fn brightness(display: &str) -> f64 {
    use x11rb::connection::Connection as _;
    use x11rb::protocol::xproto::{ConnectionExt as _, ImageFormat};
    let (conn, screen) = x11rb::connect(Some(display)).unwrap();
    let root = conn.setup().roots[screen].root;
    let image = conn.get_image(ImageFormat::Z_PIXMAP, root, 0, 0, 1040, 680, !0).unwrap().reply().unwrap();
    // 24-bit depth, 32 bits a pixel: blue, green, red, unused.
    let pixels = image.data.chunks_exact(4);
    let count = pixels.len() as f64;
    pixels.map(|p| 0.0722 * f64::from(p[0]) + 0.7152 * f64::from(p[1]) + 0.2126 * f64::from(p[2])).sum::<f64>() / count
}

#[test]
fn the_system_theme_follows_the_desktop_portal_and_its_changes() {
    let Some(desktop) = Desktop::start() else { return };
    if !have("dbus-daemon") {
        assert!(std::env::var_os("CI").is_none(), "CI must install dbus (see .ci/run)");
        return;
    }
    // A session bus of our own, with a portal that says the desktop prefers light.
    let socket = desktop.dir.path().join("bus");
    let address = format!("unix:path={}", socket.display());
    let mut bus = Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--nopidfile", &format!("--address={address}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !socket.exists() {
        assert!(Instant::now() < deadline, "dbus-daemon did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let portal = zbus::block_on(async {
        zbus::connection::Builder::address(address.as_str())?
            .name("org.freedesktop.portal.Desktop")?
            .serve_at("/org/freedesktop/portal/desktop", FakePortal { color_scheme: 2 })?
            .build()
            .await
    })
    .unwrap();

    // No theme chosen: "System". On the lock screen, the window is light.
    let app = desktop.open_app_with(&[("DBUS_SESSION_BUS_ADDRESS", &address)]);
    let light = brightness(&desktop.display);
    assert!(light > 150.0, "the desktop prefers light, the window's brightness is {light:.0}");

    // The desktop switches to dark: the portal says so once, and the window follows without
    // any input (nothing polls; the signal wakes it).
    zbus::block_on(portal.emit_signal(
        None::<&str>,
        "/org/freedesktop/portal/desktop",
        "org.freedesktop.portal.Settings",
        "SettingChanged",
        &("org.freedesktop.appearance", "color-scheme", zbus::zvariant::Value::U32(1)),
    ))
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let dark = loop {
        let now = brightness(&desktop.display);
        if now < 100.0 || Instant::now() > deadline {
            break now;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(dark < 100.0, "the desktop now prefers dark, the window's brightness is {dark:.0}");
    app.quit();
    drop(portal);
    let _ = bus.kill();
    let _ = bus.wait();
}

/// What the command line reads for `name` in `project` / `env`, waiting up to 10 s for it.
fn wait_for_value_in(desktop: &Desktop, project: &str, env: &str, name: &str, expected: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = desktop.cli(&["get", "-p", project, "-e", env, name]).output().unwrap();
        let got = String::from_utf8_lossy(&out.stdout).into_owned();
        if got == expected || Instant::now() > deadline {
            return got;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn a_project_is_created_environments_switched_and_a_secret_copied_to_another_environment() {
    let Some(desktop) = Desktop::start() else { return };
    let app = desktop.open_app();
    app.unlock();

    // "+ New project" in the sidebar (under Personal, the only project), with the mouse; the
    // dialog takes the focus into its Name field.
    app.xdotool(&["mousemove", "--sync", "60", "177", "click", "1"]);
    app.settle();
    app.type_text("web shop");
    app.keys(&["Return"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = desktop.cli(&["projects", "--json"]).output().unwrap();
        if String::from_utf8_lossy(&out.stdout).contains("\"web shop\"") {
            break;
        }
        assert!(Instant::now() < deadline, "no project web shop: {}", String::from_utf8_lossy(&out.stdout));
        std::thread::sleep(Duration::from_millis(300));
    }

    // Ctrl+PageDown: from All environments to development; a secret created there is its own.
    app.keys(&["ctrl+Next"]);
    app.keys(&["ctrl+n"]);
    app.type_text("DATABASE_URL");
    app.keys(&["Tab", "Tab"]);
    app.type_text("postgres://dev-db");
    app.keys(&["ctrl+Return"]);
    assert_eq!(
        wait_for_value_in(&desktop, "web shop", "development", "DATABASE_URL", "postgres://dev-db"),
        "postgres://dev-db"
    );
    let shared = desktop.cli(&["get", "-p", "web shop", "DATABASE_URL"]).output().unwrap();
    assert_eq!(shared.status.code(), Some(4), "not at the project level");

    // Ctrl+Shift+F finds it and goes to its row; Enter views it; "Copy to…" (Tab past Hide,
    // Copy value, Copy as…, Edit); the list of places: Tab to the eighth, web shop ·
    // production, Enter picks it; Tab past "Replace it" to Copy, Enter.
    app.keys(&["ctrl+shift+f"]);
    app.type_text("DATABASE_URL");
    app.keys(&["Return"]);
    app.settle();
    app.keys(&["Return"]);
    app.settle();
    app.keys(&["Tab", "Tab", "Tab", "Tab", "Return"]);
    app.settle();
    app.keys(&["Tab", "Tab", "Tab", "Tab", "Tab", "Tab", "Tab", "Return", "Tab", "Tab", "Return"]);
    assert_eq!(
        wait_for_value_in(&desktop, "web shop", "production", "DATABASE_URL", "postgres://dev-db"),
        "postgres://dev-db",
        "copied into production"
    );
    assert_eq!(
        wait_for_value_in(&desktop, "web shop", "development", "DATABASE_URL", "postgres://dev-db"),
        "postgres://dev-db"
    );
    app.quit();
}

/// Every pixel of the screen (which the window fills), to tell whether it changed.
fn screen(display: &str) -> Vec<u8> {
    use x11rb::connection::Connection as _;
    use x11rb::protocol::xproto::{ConnectionExt as _, ImageFormat};
    let (conn, screen) = x11rb::connect(Some(display)).unwrap();
    let root = conn.setup().roots[screen].root;
    conn.get_image(ImageFormat::Z_PIXMAP, root, 0, 0, 1040, 680, !0).unwrap().reply().unwrap().data
}

/// The screen once it has stopped changing (two looks 300 ms apart agree), within 10 s.
fn settled_screen(display: &str) -> Vec<u8> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut last = screen(display);
    loop {
        std::thread::sleep(Duration::from_millis(300));
        let now = screen(display);
        if now == last || Instant::now() > deadline {
            return now;
        }
        last = now;
    }
}

/// How many times each thread of process `pid` gave up the processor of its own accord (it slept
/// or waited), by thread: an idle program's stay the same.
fn voluntary_switches(pid: u32) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap().flatten() {
        let status = std::fs::read_to_string(task.path().join("status")).unwrap_or_default();
        let name = status.lines().find_map(|l| l.strip_prefix("Name:")).unwrap_or("").trim().to_owned();
        let count = status
            .lines()
            .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0);
        out.push((format!("{name} ({})", task.file_name().to_string_lossy()), count));
    }
    out
}

#[test]
fn the_window_shows_the_command_lines_writes_without_input_and_sleeps_while_idle() {
    let Some(desktop) = Desktop::start() else { return };
    desktop.set("ALREADY_THERE", "1");
    let app = desktop.open_app();
    app.unlock();
    let before = settled_screen(&desktop.display);

    // Idle and unlocked: no thread of the app wakes up for 5 s (nothing polls; the clipboard,
    // toasts and auto-lock timers are all idle here).
    let pid = app.child.id();
    let start = voluntary_switches(pid);
    std::thread::sleep(Duration::from_secs(5));
    let end = voluntary_switches(pid);
    let woke: Vec<String> = end
        .iter()
        .filter_map(|(thread, n)| {
            let was = start.iter().find(|(t, _)| t == thread).map_or(0, |(_, n)| *n);
            (*n > was).then(|| format!("{thread}: +{}", n - was))
        })
        .collect();
    assert!(woke.is_empty(), "threads of the idle app woke up: {woke:?}");

    // The command line writes; the window shows it within about a second, with no input.
    desktop.set("FROM_THE_COMMAND_LINE", "2");
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut changed = false;
    while Instant::now() < deadline && !changed {
        std::thread::sleep(Duration::from_millis(200));
        changed = screen(&desktop.display) != before;
    }
    app.quit();
    assert!(changed, "the window did not show the command line's write without input");
}

#[test]
fn after_unlocking_what_is_typed_searches_and_down_goes_into_the_table() {
    let Some(desktop) = Desktop::start() else { return };
    for (name, value) in [("A_FIRST", "wrong-value"), ("SERVICE_TOKEN", "target-value"), ("Z_LAST", "other")] {
        desktop.set(name, value);
    }
    let app = desktop.open_app();
    app.unlock();
    // No Ctrl+F, no Tab: the search has the keyboard. ↓ to the row, Enter views (masked), Tab
    // from Reveal to "Copy value", Enter copies.
    app.type_text("SERVICE");
    app.keys(&["Down", "Return"]);
    app.settle();
    app.keys(&["Tab", "Return"]);
    let copied = desktop.clipboard_becomes("target-value");
    app.quit();
    assert_eq!(copied, "target-value", "typed into the search, ↓ into the table, View, Copy value");
}

#[test]
fn a_dialog_shrinks_back_when_its_error_goes_without_more_input() {
    let Some(desktop) = Desktop::start() else { return };
    let app = desktop.open_app();
    // The smallest window: there the error makes the dialog as tall as the window, and its
    // body scrolls.
    app.xdotool(&["windowsize", "--sync", &app.window.clone(), "760", "500"]);
    app.settle();
    app.unlock();
    // Create with a valid name, as it looks.
    app.keys(&["ctrl+n"]);
    app.type_text("MY_KEY");
    let clean = settled_screen(&desktop.display);
    app.keys(&["Escape"]);
    // Again, through a name that is not valid (an error and its one-click fix), then fixed: no
    // blank band where the error was, with no input after the last key.
    app.keys(&["ctrl+n"]);
    app.type_text("my key");
    app.settle();
    app.keys(&["ctrl+a"]);
    app.type_text("MY_KEY");
    let fixed = settled_screen(&desktop.display);
    app.quit();
    let differing = clean.iter().zip(&fixed).filter(|(a, b)| a != b).count();
    assert!(differing == 0, "the dialog did not shrink back: {differing} bytes of the screen differ");
}

/// Another device of the same vault, through a synced folder: its own vault file and state
/// folder (two machines), driven by the command line.
fn other_device(desktop: &Desktop, args: &[&str]) -> Command {
    let state = desktop.dir.path().join("state-other-device");
    let run = desktop.dir.path().join("run-other-device");
    if !run.exists() {
        std::fs::create_dir(&run).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tresor"));
    cmd.arg("--vault")
        .arg(desktop.dir.path().join("other-device.db"))
        .arg("--passphrase-file")
        .arg(desktop.pass_file());
    cmd.args(args).env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
    cmd.env("TRESOR_STATE_DIR", state).env("XDG_RUNTIME_DIR", run).env("TRESOR_NO_APP", "1");
    cmd
}

#[test]
fn another_devices_edit_reaches_the_open_window_by_itself_and_copies_with_the_real_clipboard() {
    let Some(desktop) = Desktop::start() else { return };
    desktop.set("ALREADY_THERE", "1");
    let folder = desktop.dir.path().join("Sync");
    std::fs::create_dir(&folder).unwrap();
    let init = desktop.cli(&["sync", "init", folder.to_str().unwrap(), "--name", "laptop"]).output().unwrap();
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    let join = other_device(&desktop, &["sync", "join", folder.to_str().unwrap(), "--name", "desktop"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(join.status.success(), "{}", String::from_utf8_lossy(&join.stderr));
    let app = desktop.open_app();
    app.unlock();
    app.settle();

    // The other device writes (its `set` publishes a change file at once). The app sees the
    // folder change and syncs by itself; the user then finds and copies it with the keyboard.
    let mut set = other_device(&desktop, &["set", "FROM_THE_OTHER_DEVICE"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    set.stdin.take().unwrap().write_all(b"value-from-the-other-device").unwrap();
    let out = set.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("1 edit published"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // No input until it is there: the vault file gets it (the app's automatic sync).
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let list = desktop.cli(&["list"]).output().unwrap();
        if String::from_utf8_lossy(&list.stdout).contains("FROM_THE_OTHER_DEVICE") {
            break;
        }
        assert!(Instant::now() < deadline, "the app did not sync the other device's edit by itself");
        std::thread::sleep(Duration::from_millis(300));
    }
    app.settle();
    app.xdotool(&["key", "--clearmodifiers", "ctrl+f", "type", "--delay", "5", "FROM_THE_OTHER"]);
    app.settle();
    app.keys(&["Tab", "Tab", "Tab", "ctrl+c"]);
    let copied = desktop.clipboard_becomes("value-from-the-other-device");
    app.quit();
    assert_eq!(copied, "value-from-the-other-device");
}

//! The real app (Xvfb) and the real command line on one vault at the same time, around every app
//! operation that touches the file: unlock, create, edit, delete and Undo, import, back up now,
//! restore a backup, passphrase change, strengthen, rotate key, lock, open another vault and
//! back. `tests/together/drive.py` presses the app's controls (found by their accessible names
//! through AT-SPI, clicked and typed with xdotool) and makes a command-line write before and
//! after each operation. At the end, with both gone: every acknowledged write of either side is
//! there (and the one write a restore rightly undid is not), SQLite's integrity check says ok,
//! and the vault unlocks.
//!
//! Needs dbus, at-spi2-core, python3-pyatspi, Xvfb and xdotool (`.ci/run` installs them).
//! Without them the test says so and skips; with `CI` set it fails instead.

use std::path::Path;
use std::process::{Command, Stdio};

mod common;

const PASS: &str = "together passphrase";
const NEW_PASS: &str = "together changed passphrase";
const OTHER_PASS: &str = "the other vault's passphrase";
const LAUNCHER: &str = "/usr/libexec/at-spi-bus-launcher";

fn have(program: &str) -> bool {
    Command::new("sh").args(["-c", &format!("command -v {program}")]).output().is_ok_and(|o| o.status.success())
}

fn pyatspi_available() -> bool {
    Command::new("/usr/bin/python3")
        .args(["-c", "import pyatspi"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The session: Xvfb with a screen tall enough for Vault settings, the accessibility bus on, the
/// app on the vault, then the driver.
const SESSION: &str = r#"
set -u
bin=$1 vault=$2 drive=$3 n=$4
Xvfb ":$n" -screen 0 1280x2000x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
export DISPLAY=":$n"
sleep 1
/usr/libexec/at-spi-bus-launcher --launch-immediately >/dev/null 2>&1 &
sleep 1
dbus-send --session --print-reply --dest=org.a11y.Bus /org/a11y/bus org.freedesktop.DBus.Properties.Set \
  string:org.a11y.Status string:IsEnabled variant:boolean:true >/dev/null
"$bin" --vault "$vault" >/dev/null 2>"$vault.app-stderr" &
app=$!
win=""
for _ in $(seq 1 120); do
  win=$(xdotool search --name '^Tresor$' 2>/dev/null | head -1)
  [ -n "$win" ] && break
  sleep 0.5
done
[ -n "$win" ] || { echo "NO-WINDOW"; kill $app $xvfb; exit 0; }
xdotool windowsize "$win" 1280 2000
sleep 1.5
xdotool windowfocus "$win"
sleep 0.3
timeout 900 /usr/bin/python3 "$drive"
for _ in $(seq 1 20); do kill -0 $app 2>/dev/null || break; sleep 0.5; done
kill $app 2>/dev/null
kill $xvfb 2>/dev/null
"#;

#[test]
fn the_app_and_the_command_line_lose_nothing_of_each_other_around_every_app_operation() {
    let missing: Vec<&str> = ["dbus-run-session", "dbus-send", "Xvfb", "xdotool"]
        .into_iter()
        .filter(|p| !have(p))
        .chain((!Path::new(LAUNCHER).exists()).then_some("at-spi2-core"))
        .chain((!pyatspi_available()).then_some("python3-pyatspi"))
        .collect();
    if !missing.is_empty() {
        assert!(std::env::var_os("CI").is_none(), "CI must install {missing:?} (see .ci/run)");
        println!("skipped: {missing:?} not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("vault.db");
    let other = dir.path().join("other.db");
    let pass = dir.path().join("pass");
    let state = dir.path().join("state");
    let import = dir.path().join("import.env");
    std::fs::write(&import, "IMPORTED_ONE=imported-one\nIMPORTED_TWO=imported-two\n").unwrap();
    let cli = |vault: &Path, passphrase: &str, args: &[&str]| {
        common::write_private(&pass, format!("{passphrase}\n"));
        Command::new(env!("CARGO_BIN_EXE_tresor"))
            .arg("--vault")
            .arg(vault)
            .arg("--passphrase-file")
            .arg(&pass)
            .args(args)
            .env("TRESOR_STATE_DIR", &state)
            .env_remove("DISPLAY")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let init = ["init", "--kdf-memory-mib", "64", "--kdf-iterations", "3", "--kdf-parallelism", "4"];
    assert!(cli(&other, OTHER_PASS, &init).status.success());
    assert!(cli(&vault, PASS, &init).status.success());

    let script = dir.path().join("session.sh");
    std::fs::write(&script, SESSION).unwrap();
    let display = common::free_display(700..800);
    let drive = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/together/drive.py");
    let out = Command::new("dbus-run-session")
        .arg("--")
        .arg("bash")
        .arg(&script)
        .arg(env!("CARGO_BIN_EXE_tresor"))
        .arg(&vault)
        .arg(&drive)
        .arg(display.to_string())
        .env("TRESOR_BIN", env!("CARGO_BIN_EXE_tresor"))
        .env("TRESOR_TEST_VAULT", &vault)
        .env("TRESOR_TEST_OTHER_VAULT", &other)
        .env("TRESOR_TEST_PASS_FILE", &pass)
        .env("TRESOR_TEST_IMPORT", &import)
        .env("TRESOR_TEST_PASSPHRASE", PASS)
        .env("TRESOR_TEST_NEW_PASSPHRASE", NEW_PASS)
        .env("TRESOR_TEST_OTHER_PASSPHRASE", OTHER_PASS)
        .env("TRESOR_STATE_DIR", &state)
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("TRESOR_PROJECT")
        .env_remove("TRESOR_ENV")
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stdout).into_owned();
    let app_stderr = std::fs::read_to_string(format!("{}.app-stderr", vault.display())).unwrap_or_default();
    let context =
        format!("driver:\n{log}\ndriver stderr:\n{}\napp stderr:\n{app_stderr}", String::from_utf8_lossy(&out.stderr));
    assert!(!log.contains("NO-WINDOW") && !log.contains("NO-APP"), "the app did not start: {context}");
    assert!(log.lines().any(|l| l == "DONE"), "the driver did not finish: {context}");

    // Both sides are gone now. What each acknowledged is there, with the value it wrote last.
    let mut expected: Vec<(String, String)> = Vec::new();
    let mut undone: Vec<(String, String)> = Vec::new();
    let mut failures: Vec<String> = log.lines().filter(|l| l.starts_with("FAIL")).map(str::to_owned).collect();
    for line in log.lines() {
        if let Some(rest) = line.strip_prefix("ACK ") {
            // "ACK app|cli NAME VALUE": the last value acknowledged for a name is what it holds.
            if let [_, name, value] = rest.splitn(3, ' ').collect::<Vec<_>>().as_slice() {
                expected.retain(|(n, _)| n != name);
                expected.push(((*name).to_owned(), (*value).to_owned()));
            }
        } else if let Some(rest) = line.strip_prefix("UNDONE ")
            && let Some((name, value)) = rest.split_once(' ')
        {
            undone.push((name.to_owned(), value.to_owned()));
        }
    }
    expected.retain(|e| !undone.contains(e));
    assert!(expected.len() >= 20, "the driver acknowledged too little: {context}");
    for (name, value) in &expected {
        let got = cli(&vault, NEW_PASS, &["get", name]);
        if got.stdout != value.as_bytes() {
            failures.push(format!(
                "{name}: expected {value:?}, got {:?} ({})",
                String::from_utf8_lossy(&got.stdout),
                String::from_utf8_lossy(&got.stderr).trim()
            ));
        }
    }
    for (name, _) in &undone {
        let got = cli(&vault, NEW_PASS, &["get", name]);
        if got.status.code() != Some(4) {
            failures.push(format!(
                "{name} was written after the restored backup was made: the restore should have undone it"
            ));
        }
    }
    let conn = rusqlite::Connection::open_with_flags(&vault, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    drop(conn);
    if check != "ok" {
        failures.push(format!("SQLite's integrity check: {check}"));
    }
    let listed = cli(&vault, NEW_PASS, &["list"]);
    if !listed.status.success() {
        failures.push(format!("the vault does not unlock: {}", String::from_utf8_lossy(&listed.stderr)));
    }
    assert!(failures.is_empty(), "{}\n\n{context}", failures.join("\n"));
}

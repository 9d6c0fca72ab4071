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

#[test]
fn the_app_and_the_command_line_lose_nothing_of_each_other_around_every_app_operation() {
    if !common::desktop::ready() {
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
            .env("XDG_RUNTIME_DIR", dir.path().join("run"))
            .env_remove("DISPLAY")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let init = ["init", "--kdf-memory-mib", "64", "--kdf-iterations", "3", "--kdf-parallelism", "4"];
    assert!(cli(&other, OTHER_PASS, &init).status.success());
    assert!(cli(&vault, PASS, &init).status.success());

    let out = common::desktop::Session {
        dir: dir.path(),
        vault: &vault,
        driver: "tests/together/drive.py",
        size: (1280, 2000),
        unlock: false,
        limit: 900,
        displays: 700..800,
    }
    .run([
        ("TRESOR_TEST_OTHER_VAULT", other.as_os_str()),
        ("TRESOR_TEST_PASS_FILE", pass.as_os_str()),
        ("TRESOR_TEST_IMPORT", import.as_os_str()),
        ("TRESOR_TEST_PASSPHRASE", PASS.as_ref()),
        ("TRESOR_TEST_NEW_PASSPHRASE", NEW_PASS.as_ref()),
        ("TRESOR_TEST_OTHER_PASSPHRASE", OTHER_PASS.as_ref()),
    ]);
    let log = String::from_utf8_lossy(&out.stdout).into_owned();
    let app_stderr = common::desktop::app_stderr(&vault);
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

//! The real binary read through the accessibility bus (AT-SPI), as Orca reads it: a private
//! D-Bus session (`dbus-run-session`), the AT-SPI bus launcher with `org.a11y.Status.IsEnabled`
//! set before the app starts, Xvfb, and `tests/atspi/walk.py` (pyatspi), which presses
//! Ctrl+F, Tab ×3, Ctrl+C with xdotool, listens for announcements, and prints the tree.
//!
//! Needs dbus, at-spi2-core, python3-pyatspi, Xvfb and xdotool (`.ci/run` installs them).
//! Without them the test says so and skips; with `CI` set it fails instead.

use std::process::{Command, Stdio};

mod common;

const PASS: &str = "screen reader passphrase";

#[test]
fn orca_reads_the_table_its_rows_headers_a_hidden_value_and_an_announced_copy() {
    if !common::desktop::ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("vault.db");
    let pass = dir.path().join("pass");
    std::fs::write(&pass, format!("{PASS}\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o600)).unwrap();
    let cli = |args: &[&str], stdin: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tresor"));
        cmd.arg("--vault").arg(&vault).arg("--passphrase-file").arg(&pass).args(args);
        cmd.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null());
        let mut child = cmd.spawn().unwrap();
        if let Some(text) = stdin {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
        }
        drop(child.stdin.take());
        assert!(child.wait().unwrap().success(), "tresor {args:?}");
    };
    cli(&["init", "--kdf-memory-mib", "64", "--kdf-iterations", "3", "--kdf-parallelism", "4"], None);
    cli(&["set", "A_KEY", "--description", "first key"], Some("a-value"));
    cli(&["set", "B_KEY"], Some("b-value"));

    let out = common::desktop::Session {
        dir: dir.path(),
        vault: &vault,
        driver: "tests/atspi/walk.py",
        size: (1500, 800),
        unlock: true,
        limit: 90,
        displays: 600..700,
    }
    .run([("TRESOR_TEST_PASSPHRASE", PASS.as_ref())]);
    let tree = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        !tree.contains("NO-WINDOW") && !tree.contains("NO-APP"),
        "the app did not reach the bus:\n{tree}\nthe session: {}\nthe app: {}",
        String::from_utf8_lossy(&out.stderr),
        common::desktop::app_stderr(&vault)
    );
    let has = |line: &str| tree.lines().any(|l| l.split_once('|').is_some_and(|(_, rest)| rest == line));

    assert!(has("table|Secrets list|2 rows"), "the list is a table:\n{tree}");
    assert!(has("table row|A_KEY|row 1 of 2") && has("table row|B_KEY|row 2 of 2"), "rows, with their position");
    for header in ["Name", "Description", "Value", "Modified"] {
        assert!(has(&format!("column header|{header}|")), "a {header} column header");
    }
    assert!(has("table cell||Value") && has("label|hidden value|"), "the masked value is a hidden value");
    assert!(!tree.contains('•'), "no bullets reach the screen reader");
    assert!(has("push button|Copy A_KEY|Copy value (Ctrl+C)"), "each row's actions, by name");
    assert!(has("heading|Environment Secrets|"), "the page title is a heading");
    // Projects and environments: the sidebar's heading and projects with their counts, the
    // project's tabs with the current one said.
    let named = |name: &str| tree.lines().any(|l| l.split('|').nth(2) == Some(name));
    assert!(has("heading|Projects|"), "the sidebar's projects under a heading:\n{tree}");
    assert!(named("Personal, 2 secrets") && named("New project"), "each project with its count, and New project");
    assert!(
        tree.lines().any(|l| l.ends_with("|Shared secrets|current tab")),
        "the Shared level's tab, said to be the current one"
    );
    for tab in ["development", "staging", "production", "Compare", "Project actions"] {
        assert!(named(tab), "the {tab} tab");
    }
    assert!(
        tree.lines().any(|l| l == "ANNOUNCE|A_KEY copied; the clipboard will be cleared"),
        "Ctrl+C on the row is announced, without its countdown:\n{}",
        tree.lines().filter(|l| l.starts_with("ANNOUNCE")).collect::<Vec<_>>().join("\n")
    );
}

/// Voice control and switch users press buttons through AT-SPI and fill fields through it too.
/// After a wrong passphrase, the lock screen's Unlock button still has its action (it lost it
/// when it was drawn again under a new id after the error appeared, and removed while the key
/// was derived) and it unlocks: `tests/atspi/unlock_by_voice.py` does it all through AT-SPI.
#[test]
fn the_lock_screen_unlocks_through_the_accessibility_bus_after_a_wrong_passphrase() {
    if !common::desktop::ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("vault.db");
    let pass = dir.path().join("pass");
    std::fs::write(&pass, format!("{PASS}\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o600)).unwrap();
    let init = Command::new(env!("CARGO_BIN_EXE_tresor"))
        .arg("--vault")
        .arg(&vault)
        .arg("--passphrase-file")
        .arg(&pass)
        .args(["init", "--kdf-memory-mib", "64", "--kdf-iterations", "3", "--kdf-parallelism", "4"])
        .output()
        .unwrap();
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    let out = common::desktop::Session {
        dir: dir.path(),
        vault: &vault,
        driver: "tests/atspi/unlock_by_voice.py",
        size: (1500, 800),
        unlock: false,
        limit: 90,
        displays: 600..700,
    }
    .run([("TRESOR_TEST_PASSPHRASE", PASS.as_ref())]);
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        !said.contains("NO-WINDOW") && !said.contains("NO-APP"),
        "the app did not reach the bus:\n{said}\nthe session: {}\nthe app: {}",
        String::from_utf8_lossy(&out.stderr),
        common::desktop::app_stderr(&vault)
    );
    assert!(said.contains("wrong: refused"), "the wrong passphrase was tried:\n{said}");
    assert!(said.contains("again: Unlock has its action"), "after the wrong one, Unlock has its action:\n{said}");
    assert!(said.contains("unlocked"), "and pressing it unlocks:\n{said}");
}

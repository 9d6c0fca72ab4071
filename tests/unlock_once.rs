//! Unlock once, with the real app under Xvfb and the real command line in real pseudo-terminals
//! (`tests/unlock_once/drive.py`): the first `tresor get` of a terminal is approved with a real
//! click in the app's dialog, the same terminal is then answered without asking, a second
//! terminal is asked again (and denied: exit 8), a caller without a terminal (one process running
//! several calls, as an editor or a coding tool does) is asked once, Ctrl+L in the app makes the
//! next call wait and then ask for the passphrase itself, and with the app killed (SIGKILL) the
//! command line asks for the passphrase at once.
//!
//! Needs dbus, at-spi2-core, python3-pyatspi, Xvfb and xdotool (`.ci/run` installs them).
#![cfg(target_os = "linux")]

use std::process::{Command, Stdio};

mod common;

const PASS: &str = "unlock once passphrase";
const VALUE: &str = "sk-unlock-once-value";

#[test]
fn terminals_and_tools_reach_the_unlocked_app_after_a_real_click_and_fall_back_when_it_locks_or_dies() {
    if !common::desktop::ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("vault.db");
    let pass = dir.path().join("pass");
    common::write_private(&pass, format!("{PASS}\n"));
    let cli = |args: &[&str], stdin: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tresor"))
            .arg("--vault")
            .arg(&vault)
            .arg("--passphrase-file")
            .arg(&pass)
            .args(args)
            .env("TRESOR_STATE_DIR", dir.path().join("state"))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        assert!(child.wait().unwrap().success(), "tresor {args:?}");
    };
    cli(&["init", "--kdf-memory-mib", "64", "--kdf-iterations", "3", "--kdf-parallelism", "4"], "");
    cli(&["set", "OPENAI_API_KEY", "--description", "GPT calls"], VALUE);

    let out = common::desktop::Session {
        dir: dir.path(),
        vault: &vault,
        driver: "tests/unlock_once/drive.py",
        size: (1040, 680),
        unlock: true,
        limit: 300,
        displays: 800..900,
    }
    .run([("TRESOR_TEST_PASSPHRASE", PASS.as_ref()), ("TRESOR_TEST_VALUE", VALUE.as_ref())]);
    let log = String::from_utf8_lossy(&out.stdout).into_owned();
    let context = format!(
        "driver:\n{log}\ndriver stderr:\n{}\napp stderr:\n{}",
        String::from_utf8_lossy(&out.stderr),
        common::desktop::app_stderr(&vault)
    );
    assert!(!log.contains("NO-WINDOW") && !log.contains("NO-APP"), "the app did not start: {context}");
    assert!(log.lines().any(|l| l == "DONE"), "the driver did not finish: {context}");
    let failures: Vec<&str> = log.lines().filter(|l| l.starts_with("FAIL")).collect();
    assert!(failures.is_empty(), "{}\n\n{context}", failures.join("\n"));
    assert_eq!(log.lines().filter(|l| l.starts_with("OK")).count(), 6, "{context}");
}

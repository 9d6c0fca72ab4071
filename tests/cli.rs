//! The `tresor` binary as a script or a person uses it: commands, output, exit codes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tresor::{KdfParams, Passphrase, Vault};

const PASS: &str = "correct horse battery staple";

struct Env {
    dir: tempfile::TempDir,
    vault: PathBuf,
    pass_file: PathBuf,
}

impl Env {
    /// A temporary folder with a passphrase file, and a cheap vault unless `with_vault` is false.
    fn new(with_vault: bool) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let vault = dir.path().join("vault.db");
        let pass_file = dir.path().join("pass");
        std::fs::write(&pass_file, format!("{PASS}\nsecond line is ignored\n")).unwrap();
        if with_vault {
            Vault::create(&vault, &Passphrase::new(PASS), KdfParams::insecure_for_tests()).unwrap();
        }
        Env { dir, vault, pass_file }
    }

    fn file(&self, name: &str, contents: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, contents).unwrap();
        p
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tresor"));
        cmd.args(args)
            .env("TRESOR_VAULT", &self.vault)
            .env("TRESOR_PASSPHRASE_FILE", &self.pass_file)
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    fn run_with_stdin(&self, args: &[&str], stdin: &[u8]) -> Output {
        let mut child =
            self.cmd(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        child.wait_with_output().unwrap()
    }

    fn set(&self, name: &str, value: &str) {
        let out = self.run_with_stdin(&["set", name], value.as_bytes());
        assert_eq!(code(&out), 0, "set {name}: {}", stderr(&out));
    }
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// One line, no panic, no backtrace.
fn assert_clean_error(out: &Output) {
    let err = stderr(out);
    assert!(err.starts_with("tresor: "), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"), "{err}");
}

#[test]
fn init_creates_a_vault_at_the_floor_parameters_and_refuses_weaker_ones() {
    let env = Env::new(false);
    let weak = env.run(&["init", "--kdf-memory-mib", "16"]);
    assert_eq!(code(&weak), 2);
    assert!(stderr(&weak).contains("below the minimum"), "{}", stderr(&weak));
    assert!(!env.vault.exists());

    let out = env.run(&["init", "--kdf-memory-mib", "64", "--kdf-iterations", "3", "--kdf-parallelism", "4"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let info = Vault::info(&env.vault).unwrap();
    assert_eq!(info.kdf, KdfParams::FLOOR);

    let again = env.run(&["init", "--kdf-memory-mib", "64"]);
    assert_eq!(code(&again), 1);
    assert_clean_error(&again);
}

#[test]
fn set_then_get_gives_the_value_byte_for_byte() {
    let env = Env::new(true);
    let value = "line one\nline \"two\" with $HOME and \\ and ü\n";
    let out = env.run_with_stdin(&["set", "GCP_KEY", "--description", "service account"], value.as_bytes());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("Created GCP_KEY (version 1)"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty(), "status goes to stderr, never stdout");

    let out = env.run(&["get", "GCP_KEY"]);
    assert_eq!(code(&out), 0);
    assert_eq!(out.stdout, value.as_bytes(), "no added newline when stdout is not a terminal");
}

#[test]
fn set_updates_and_bumps_the_version_only_when_the_value_changes() {
    let env = Env::new(true);
    env.set("K", "v1");
    let same = env.run_with_stdin(&["set", "K", "-d", "new description"], b"v1");
    assert!(stderr(&same).contains("value unchanged, version 1"), "{}", stderr(&same));
    let keep = env.run_with_stdin(&["set", "K", "-d", "again"], b"");
    assert_eq!(code(&keep), 0, "an empty value keeps the current one: {}", stderr(&keep));
    env.set("K", "v2");
    assert_eq!(env.run(&["get", "K"]).stdout, b"v2");
    assert_eq!(env.run(&["get", "K", "--version", "1"]).stdout, b"v1");

    let json: serde_json::Value = serde_json::from_slice(&env.run(&["list", "--json"]).stdout).unwrap();
    assert_eq!(json[0]["version"], 2);
    assert_eq!(json[0]["description"], "again");
}

#[test]
fn set_warns_about_paste_mistakes_but_keeps_the_value() {
    let env = Env::new(true);
    let out = env.run_with_stdin(&["set", "TOKEN"], b"abc\n");
    assert_eq!(code(&out), 0);
    assert!(stderr(&out).contains("warning: the value ends with whitespace"), "{}", stderr(&out));
    assert_eq!(env.run(&["get", "TOKEN"]).stdout, b"abc\n");
}

#[test]
fn list_json_has_names_descriptions_versions_and_rfc3339_times_but_no_values() {
    let env = Env::new(true);
    env.set("B_KEY", "secret-b-value");
    env.run_with_stdin(&["set", "A_KEY", "-d", "first"], b"secret-a-value");
    let out = env.run(&["list", "--json"]);
    assert_eq!(code(&out), 0);
    assert!(!stdout(&out).contains("secret-"), "list never prints values");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = json.as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["name"], "A_KEY");
    assert_eq!(items[0]["description"], "first");
    assert_eq!(items[0]["version"], 1);
    for field in ["created", "modified"] {
        let t = items[0][field].as_str().unwrap();
        assert!(t.len() >= 20 && t.ends_with('Z') && t.as_bytes()[10] == b'T', "{field}: {t}");
    }

    let table = stdout(&env.run(&["list"]));
    assert!(table.starts_with("NAME"), "{table}");
    assert!(table.contains("A_KEY") && table.contains("first") && !table.contains("secret-"));
}

#[test]
fn history_lists_versions_newest_first() {
    let env = Env::new(true);
    env.set("K", "1");
    env.set("K", "2");
    env.set("K", "3");
    let json: serde_json::Value = serde_json::from_slice(&env.run(&["history", "K", "--json"]).stdout).unwrap();
    let versions: Vec<u64> = json.as_array().unwrap().iter().map(|v| v["version"].as_u64().unwrap()).collect();
    assert_eq!(versions, [3, 2, 1]);
    assert_eq!(json[0]["current"], true);
    assert_eq!(json[0]["name"], "K");
    assert!(json[1]["created"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn rename_rm_trash_restore_and_purge() {
    let env = Env::new(true);
    env.set("OLD", "v");
    env.set("OTHER", "o");
    assert_eq!(code(&env.run(&["rename", "OLD", "OTHER"])), 6);
    assert_eq!(code(&env.run(&["rename", "OLD", "NEW"])), 0);
    assert_eq!(env.run(&["get", "NEW"]).stdout, b"v");

    // One unknown name: nothing is deleted.
    let out = env.run(&["rm", "NEW", "MISSING"]);
    assert_eq!(code(&out), 4);
    assert_eq!(env.run(&["get", "NEW"]).stdout, b"v");

    assert_eq!(code(&env.run(&["rm", "NEW", "OTHER"])), 0);
    assert_eq!(code(&env.run(&["get", "NEW"])), 4);
    let trash: serde_json::Value = serde_json::from_slice(&env.run(&["trash", "--json"]).stdout).unwrap();
    assert_eq!(trash.as_array().unwrap().len(), 2);

    env.set("NEW", "replacement");
    let clash = env.run(&["restore", "NEW"]);
    assert_eq!(code(&clash), 6);
    assert!(stderr(&clash).contains("--as"), "{}", stderr(&clash));
    assert_eq!(code(&env.run(&["restore", "NEW", "--as", "NEW_OLD"])), 0);
    assert_eq!(env.run(&["get", "NEW_OLD"]).stdout, b"v");

    assert_eq!(code(&env.run(&["purge", "OTHER"])), 0);
    assert_eq!(code(&env.run(&["restore", "OTHER"])), 4);
    let info: serde_json::Value = serde_json::from_slice(&env.run(&["info", "--json"]).stdout).unwrap();
    assert_eq!(info["trashed"], 0);
    assert_eq!(info["secrets"], 2);
}

#[test]
fn passwd_changes_the_passphrase() {
    let env = Env::new(true);
    env.set("K", "v");
    let new_file = env.file("new", "a brand new passphrase\n");
    let out = env.run(&["passwd", "--new-passphrase-file", new_file.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(code(&env.run(&["get", "K"])), 3, "the old passphrase no longer works");
    let out = env.cmd(&["get", "K"]).env("TRESOR_PASSPHRASE_FILE", &new_file).output().unwrap();
    assert_eq!(out.stdout, b"v");
}

#[test]
fn exit_codes_tell_each_kind_of_failure_apart() {
    let env = Env::new(true);
    env.set("K", "v");

    let wrong = env.file("wrong", "not it\n");
    let out = env.cmd(&["get", "K"]).env("TRESOR_PASSPHRASE_FILE", &wrong).output().unwrap();
    assert_eq!(code(&out), 3);
    assert_eq!(stderr(&out), "tresor: wrong passphrase\n");

    let out = env.run(&["get", "NOPE"]);
    assert_eq!(code(&out), 4);
    assert_clean_error(&out);
    assert_eq!(code(&env.run(&["get", "K", "--version", "7"])), 4);

    let out = env.run_with_stdin(&["set", "BAD-NAME"], b"x");
    assert_eq!(code(&out), 6);
    assert!(stderr(&out).contains("BAD_NAME"), "suggests a valid name: {}", stderr(&out));
    assert_clean_error(&out);

    let out = env.run_with_stdin(&["set", "EMPTY"], b"");
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("value is required"), "{}", stderr(&out));

    assert_eq!(code(&env.run(&["get"])), 2, "missing argument is a usage error");
    assert_eq!(code(&env.run(&["frobnicate"])), 2);

    let missing = env.cmd(&["list"]).env("TRESOR_VAULT", env.dir.path().join("nope.db")).output().unwrap();
    assert_eq!(code(&missing), 1);
    assert!(stderr(&missing).contains("tresor init"), "{}", stderr(&missing));
}

#[test]
fn a_damaged_record_exits_with_five_and_names_the_record() {
    let env = Env::new(true);
    env.set("GOOD", "g");
    env.set("BROKEN", "b");
    flip_value_byte(&env.vault);
    let out = env.run(&["get", "BROKEN"]);
    assert_eq!(code(&out), 5);
    assert!(stderr(&out).contains("BROKEN"), "{}", stderr(&out));
    assert_clean_error(&out);
    assert_eq!(env.run(&["get", "GOOD"]).stdout, b"g", "the rest of the vault stays readable");
}

/// Flips one ciphertext byte of BROKEN's value, directly in the file.
fn flip_value_byte(vault: &Path) {
    let id = {
        let v = Vault::unlock(vault, &Passphrase::new(PASS)).unwrap();
        v.find(&tresor::SecretName::parse("BROKEN").unwrap()).unwrap()
    };
    let conn = rusqlite::Connection::open(vault).unwrap();
    let mut value: Vec<u8> =
        conn.query_row("SELECT value FROM secrets WHERE id = ?1", [id.as_bytes().as_slice()], |r| r.get(0)).unwrap();
    value[14] ^= 0x01;
    conn.execute("UPDATE secrets SET value = ?1 WHERE id = ?2", rusqlite::params![value, id.as_bytes().as_slice()])
        .unwrap();
}

#[test]
fn without_a_passphrase_file_and_without_a_terminal_it_says_how_to_give_one() {
    let env = Env::new(true);
    let out = env.cmd(&["list"]).env_remove("TRESOR_PASSPHRASE_FILE").stdout(Stdio::piped()).output().unwrap();
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--passphrase-file"), "{}", stderr(&out));
}

#[test]
fn info_works_without_the_passphrase() {
    let env = Env::new(true);
    env.set("K", "v");
    let out = env.cmd(&["info", "--json"]).env_remove("TRESOR_PASSPHRASE_FILE").output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["secrets"], 1);
    assert_eq!(info["format_version"], 1);
    assert_eq!(info["kdf"]["algorithm"], "argon2id");
    assert_eq!(info["path"], env.vault.display().to_string());
}

#[test]
fn the_vault_flag_overrides_the_environment() {
    let env = Env::new(true);
    let other = env.dir.path().join("other.db");
    Vault::create(&other, &Passphrase::new(PASS), KdfParams::insecure_for_tests()).unwrap();
    let out = env.run_with_stdin(&["--vault", other.to_str().unwrap(), "set", "ONLY_IN_OTHER"], b"x");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(code(&env.run(&["get", "ONLY_IN_OTHER"])), 4);
    assert_eq!(env.run(&["get", "ONLY_IN_OTHER", "--vault", other.to_str().unwrap()]).stdout, b"x");
}

#[test]
fn rotate_key_keeps_every_value() {
    let env = Env::new(true);
    env.set("K", "v");
    let out = env.run(&["rotate-key"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(env.run(&["get", "K"]).stdout, b"v");
}

#[test]
fn a_tampered_record_set_refuses_to_unlock_but_can_be_salvaged_read_only() {
    let env = Env::new(true);
    env.set("KEEP", "k");
    env.set("GONE", "g");
    let conn = rusqlite::Connection::open(&env.vault).unwrap();
    // Remove one row behind Tresor's back: the record-set MAC no longer matches.
    let id = {
        let v = Vault::unlock(&env.vault, &Passphrase::new(PASS)).unwrap();
        v.find(&tresor::SecretName::parse("GONE").unwrap()).unwrap()
    };
    conn.execute("DELETE FROM secrets WHERE id = ?1", [id.as_bytes().as_slice()]).unwrap();

    let out = env.run(&["get", "KEEP"]);
    assert_eq!(code(&out), 5);
    assert!(stderr(&out).contains("--salvage"), "{}", stderr(&out));

    let out = env.run(&["--salvage", "get", "KEEP"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(out.stdout, b"k");
    let out = env.run_with_stdin(&["--salvage", "set", "NEW"], b"x");
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("read-only"), "{}", stderr(&out));
}

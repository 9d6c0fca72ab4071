//! The `tresor` binary as a script or a person uses it: commands, output, exit codes.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use tresor::{KdfParams, Passphrase, Vault};

mod common;
use common::cli::{CliEnv as Env, code, stderr, stdout};
use common::write_private;

const PASS: &str = "correct horse battery staple";

/// One line, no panic, no backtrace.
fn assert_clean_error(out: &Output) {
    let err = stderr(out);
    assert!(err.starts_with("tresor: "), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"), "{err}");
}

#[test]
fn init_creates_a_vault_at_the_floor_parameters_and_refuses_weaker_ones() {
    let env = Env::without_vault(PASS);
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
    let env = Env::new(PASS);
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
    let env = Env::new(PASS);
    env.set(&["K"], "v1");
    let same = env.run_with_stdin(&["set", "K", "-d", "new description"], b"v1");
    assert!(stderr(&same).contains("value unchanged, version 1"), "{}", stderr(&same));
    let keep = env.run_with_stdin(&["set", "K", "-d", "again"], b"");
    assert_eq!(code(&keep), 0, "an empty value keeps the current one: {}", stderr(&keep));
    env.set(&["K"], "v2");
    assert_eq!(env.run(&["get", "K"]).stdout, b"v2");
    assert_eq!(env.run(&["get", "K", "--version", "1"]).stdout, b"v1");

    let json: serde_json::Value = serde_json::from_slice(&env.run(&["list", "--json"]).stdout).unwrap();
    assert_eq!(json[0]["version"], 2);
    assert_eq!(json[0]["description"], "again");
}

#[test]
fn set_warns_about_paste_mistakes_but_keeps_the_value() {
    let env = Env::new(PASS);
    let out = env.run_with_stdin(&["set", "TOKEN"], b"abc\n");
    assert_eq!(code(&out), 0);
    assert!(stderr(&out).contains("warning: the value ends with whitespace"), "{}", stderr(&out));
    assert_eq!(env.run(&["get", "TOKEN"]).stdout, b"abc\n");
}

#[test]
fn list_json_has_names_descriptions_versions_and_rfc3339_times_but_no_values() {
    let env = Env::new(PASS);
    env.set(&["B_KEY"], "secret-b-value");
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
    let env = Env::new(PASS);
    env.set(&["K"], "1");
    env.set(&["K"], "2");
    env.set(&["K"], "3");
    let json: serde_json::Value = serde_json::from_slice(&env.run(&["history", "K", "--json"]).stdout).unwrap();
    let versions: Vec<u64> = json.as_array().unwrap().iter().map(|v| v["version"].as_u64().unwrap()).collect();
    assert_eq!(versions, [3, 2, 1]);
    assert_eq!(json[0]["current"], true);
    assert_eq!(json[0]["name"], "K");
    assert!(json[1]["created"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn rename_rm_trash_restore_and_purge() {
    let env = Env::new(PASS);
    env.set(&["OLD"], "v");
    env.set(&["OTHER"], "o");
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

    env.set(&["NEW"], "replacement");
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
    let env = Env::new(PASS);
    env.set(&["K"], "v");
    let new_file = env.file("new", "a brand new passphrase\n");
    let out = env.run(&["passwd", "--new-passphrase-file", new_file.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(code(&env.run(&["get", "K"])), 3, "the old passphrase no longer works");
    let out = env.cmd(&["get", "K"]).env("TRESOR_PASSPHRASE_FILE", &new_file).output().unwrap();
    assert_eq!(out.stdout, b"v");
}

/// A passphrase change that stops right after its commit (the machine goes down) has not yet
/// re-wrapped the backups: the first unlock with the new passphrase does it, so the old one opens
/// none of them. One that stops before its commit changes nothing, backups included.
#[test]
fn a_passphrase_change_that_stops_after_its_commit_still_rewraps_the_backups() {
    let env = Env::new(PASS);
    env.set(&["K"], "v");
    let old_file = env.file("old", &format!("{PASS}\n"));
    let new_file = env.file("new", "a brand new passphrase\n");
    let passwd = |point: &str, new: &Path| {
        let out = env
            .cmd(&["passwd", "--new-passphrase-file", new.to_str().unwrap()])
            .env("TRESOR_FAILPOINT", point)
            .output()
            .unwrap();
        assert!(!out.status.success(), "stopped at {point}: {}", stderr(&out));
    };
    let never_set = env.file("never", "a passphrase that never took\n");
    passwd("before-passphrase-commit", &never_set);
    env.set(&["K"], "v2");
    // Its note stays a while (that change might still be on its way to its commit, in another
    // process), then goes at the next unlock.
    let note = env.vault.with_file_name("vault.db.backups").join("rewrap-pending.json");
    assert!(note.exists());
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options().write(true).open(&note).unwrap().set_modified(hour_ago).unwrap();
    env.ok(&["list"]);
    assert!(!note.exists());
    let all = env.backups_opening_with(&old_file);
    assert!(all.0 > 0 && all.0 == all.1);
    assert_eq!(env.backups_opening_with(&never_set).0, 0);
    passwd("after-passphrase-commit", &new_file);
    let all = env.backups_opening_with(&old_file);
    assert_eq!(all.0, all.1, "the stop left every backup under the old passphrase");
    let out = env.cmd(&["get", "K"]).env("TRESOR_PASSPHRASE_FILE", &new_file).output().unwrap();
    assert_eq!(out.stdout, b"v2");
    let all = env.backups_opening_with(&new_file);
    assert_eq!((env.backups_opening_with(&old_file).0, all.0), (0, all.1));
}

#[test]
fn exit_codes_tell_each_kind_of_failure_apart() {
    let env = Env::new(PASS);
    env.set(&["K"], "v");

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
    assert!(stderr(&missing).contains(" init`"), "{}", stderr(&missing));
}

#[test]
fn a_damaged_record_exits_with_five_and_names_the_record() {
    let env = Env::new(PASS);
    env.set(&["GOOD"], "g");
    env.set(&["BROKEN"], "b");
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
        v.find(&v.default_place().unwrap(), &tresor::SecretName::parse("BROKEN").unwrap()).unwrap().0
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
    let env = Env::new(PASS);
    let out = env.cmd(&["list"]).env_remove("TRESOR_PASSPHRASE_FILE").stdout(Stdio::piped()).output().unwrap();
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--passphrase-file"), "{}", stderr(&out));
}

#[test]
fn info_works_without_the_passphrase() {
    let env = Env::new(PASS);
    env.set(&["K"], "v");
    let out = env.cmd(&["info", "--json"]).env_remove("TRESOR_PASSPHRASE_FILE").output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["secrets"], 1);
    assert_eq!(info["format_version"], tresor::vault::store::FORMAT_VERSION);
    assert_eq!(info["kdf"]["algorithm"], "argon2id");
    assert_eq!(info["path"], env.vault.display().to_string());
}

#[test]
fn the_vault_flag_overrides_the_environment() {
    let env = Env::new(PASS);
    let other = env.dir.path().join("other.db");
    Vault::create(&other, &Passphrase::new(PASS), KdfParams::insecure_for_tests()).unwrap();
    let out = env.run_with_stdin(&["--vault", other.to_str().unwrap(), "set", "ONLY_IN_OTHER"], b"x");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(code(&env.run(&["get", "ONLY_IN_OTHER"])), 4);
    assert_eq!(env.run(&["get", "ONLY_IN_OTHER", "--vault", other.to_str().unwrap()]).stdout, b"x");
}

#[test]
fn rotate_key_keeps_every_value() {
    let env = Env::new(PASS);
    env.set(&["K"], "v");
    let out = env.run(&["rotate-key"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(env.run(&["get", "K"]).stdout, b"v");
}

#[test]
fn a_tampered_record_set_refuses_to_unlock_but_can_be_salvaged_read_only() {
    let env = Env::new(PASS);
    env.set(&["KEEP"], "k");
    env.set(&["GONE"], "g");
    let conn = rusqlite::Connection::open(&env.vault).unwrap();
    // Remove one row behind Tresor's back: the record-set MAC no longer matches.
    let id = {
        let v = Vault::unlock(&env.vault, &Passphrase::new(PASS)).unwrap();
        v.find(&v.default_place().unwrap(), &tresor::SecretName::parse("GONE").unwrap()).unwrap().0
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

// ---- tresor run --------------------------------------------------------------------------------

#[test]
fn run_exits_with_the_programs_code() {
    let env = Env::new(PASS);
    env.set(&["K"], "v");
    for expected in [0, 1, 7, 255] {
        let out = env.run(&["run", "--", "sh", "-c", &format!("exit {expected}")]);
        assert_eq!(code(&out), expected, "{}", stderr(&out));
    }
    let out = env.run(&["run", "--", "definitely-not-a-program-tresor"]);
    assert_eq!(code(&out), 127);
    assert_clean_error(&out);
}

#[cfg(unix)]
#[test]
fn run_ends_as_the_program_ends_killed_by_a_signal_too() {
    // Tresor becomes the program: a shell sees the signal that ended it (and reports 128 + N).
    use std::os::unix::process::ExitStatusExt;
    let env = Env::new(PASS);
    assert_eq!(env.run(&["run", "--", "sh", "-c", "kill -TERM $$"]).status.signal(), Some(15));
    assert_eq!(env.run(&["run", "--", "sh", "-c", "kill -KILL $$"]).status.signal(), Some(9));
    let shell = Command::new("sh")
        .arg("-c")
        .arg("\"$0\" run -- sh -c 'kill -TERM $$'; echo $?")
        .arg(env!("CARGO_BIN_EXE_tresor"))
        .env("TRESOR_VAULT", &env.vault)
        .env("TRESOR_PASSPHRASE_FILE", &env.pass_file)
        .output()
        .unwrap();
    assert_eq!(stdout(&shell).trim(), "143", "{}", stderr(&shell));
}

#[test]
fn run_hides_tresors_own_variables_and_needs_loader_variables_named() {
    let env = Env::new(PASS);
    env.set(&["API_KEY"], "api-value");
    env.set(&["PATH"], "/nonexistent/bin");
    env.set(&["LD_PRELOAD"], "/tmp/evil.so");
    let script = "echo \"vault=${TRESOR_VAULT-unset} pass=${TRESOR_PASSPHRASE_FILE-unset} \
                  key=$API_KEY preload=${LD_PRELOAD-unset}\"";
    // All secrets: the loader variables are skipped and named in a warning; sh is found on the
    // user's own PATH.
    let out = env.run(&["run", "--", "/bin/sh", "-c", script]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "vault=unset pass=unset key=api-value preload=unset");
    let err = stderr(&out);
    assert!(err.contains("warning: not setting LD_PRELOAD, PATH"), "{err}");
    assert!(!err.contains("/tmp/evil.so") && !err.contains("api-value"), "no values in the warning: {err}");
    // Named explicitly, they are set.
    let out = env.run(&["run", "--only", "LD_PRELOAD", "--", "/bin/sh", "-c", "echo $LD_PRELOAD"]);
    assert_eq!(stdout(&out), "/tmp/evil.so\n", "{}", stderr(&out));
}

#[test]
fn run_hands_values_over_byte_for_byte_and_prints_none_of_them() {
    let env = Env::new(PASS);
    let value = "line one\nline \"two\" with $HOME, `ticks`, \\ and ü 🔑\n  trailing  ";
    env.set(&["MULTI"], value);
    let out = env.run(&["run", "--", "printenv", "MULTI"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(out.stdout, format!("{value}\n").as_bytes(), "printenv adds one newline");
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
}

#[test]
fn run_only_injects_just_the_named_secrets_and_stops_on_a_missing_one() {
    let env = Env::new(PASS);
    env.set(&["A"], "a-value");
    env.set(&["B"], "b-value");
    let out = env.run(&["run", "--only", "A", "--", "sh", "-c", "echo \"${A-unset}|${B-unset}\""]);
    assert_eq!(stdout(&out), "a-value|unset\n", "{}", stderr(&out));

    let marker = env.dir.path().join("started");
    let touch = format!("touch {}", marker.display());
    let out = env.run(&["run", "--only", "A,MISSING,ALSO_MISSING", "--", "sh", "-c", &touch]);
    assert_eq!(code(&out), 4);
    assert!(stderr(&out).contains("MISSING, ALSO_MISSING"), "{}", stderr(&out));
    assert_clean_error(&out);
    assert!(!marker.exists(), "the program never started");
}

#[test]
fn run_without_inheriting_keeps_only_the_secrets_and_the_basic_variables() {
    let env = Env::new(PASS);
    env.set(&["SECRET"], "s");
    let out = env
        .cmd(&["run", "--no-inherit-env", "--", "env"])
        .env("UNRELATED_PARENT_VAR", "x")
        .env("PATH", std::env::var_os("PATH").unwrap())
        .env("HOME", "/home/test-user")
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let names: Vec<String> = stdout(&out).lines().filter_map(|l| l.split_once('=')).map(|(k, _)| k.into()).collect();
    assert!(names.contains(&"SECRET".to_owned()) && names.contains(&"PATH".to_owned()), "{names:?}");
    for name in &names {
        assert!(["SECRET", "PATH", "HOME", "USER", "LANG", "TERM"].contains(&name.as_str()), "{name} leaked in");
    }
    assert!(stdout(&out).contains("HOME=/home/test-user\n"));

    let inherited = env.cmd(&["run", "--", "env"]).env("UNRELATED_PARENT_VAR", "x").output().unwrap();
    assert!(stdout(&inherited).contains("UNRELATED_PARENT_VAR=x"), "inherits by default");
}

#[test]
fn run_follows_a_profile_required_stops_optional_is_skipped() {
    let env = Env::new(PASS);
    env.set(&["NEEDED"], "n");
    env.set(&["NOT_DECLARED"], "x");
    let show = "echo \"${NEEDED-unset}|${OPTIONAL-unset}|${NOT_DECLARED-unset}\"";
    env.file(
        "tresor.toml",
        "[secrets]\nNEEDED = { required = true, description = \"x\" }\nOPTIONAL = { required = false }\n",
    );
    // The default profile: tresor.toml in the current folder, once trusted.
    let trusted = env.cmd(&["trust"]).current_dir(env.dir.path()).output().unwrap();
    assert_eq!(code(&trusted), 0, "{}", stderr(&trusted));
    let out = env.cmd(&["run", "--", "sh", "-c", show]).current_dir(env.dir.path()).output().unwrap();
    assert_eq!(stdout(&out), "n|unset|unset\n", "{}", stderr(&out));

    let strict = env.file("strict.toml", "[secrets]\nNEEDED = {}\nGONE = {}\nALSO_GONE = { required = true }\n");
    let marker = env.dir.path().join("started");
    let touch = format!("touch {}", marker.display());
    let out = env.run(&["run", "--profile", strict.to_str().unwrap(), "--", "sh", "-c", &touch]);
    assert_eq!(code(&out), 4);
    assert!(stderr(&out).contains("GONE, ALSO_GONE"), "{}", stderr(&out));
    assert_clean_error(&out);
    assert!(!marker.exists(), "the program never started");

    // --only wins over the default profile.
    let out = env.cmd(&["run", "--only", "NOT_DECLARED", "--", "sh", "-c", show]).current_dir(env.dir.path()).output();
    assert_eq!(stdout(&out.unwrap()), "unset|unset|x\n");

    let broken = env.file("broken.toml", "[secrets]\nNEEDED = { requird = false }\n");
    let out = env.run(&["run", "--profile", broken.to_str().unwrap(), "--", "true"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("requird"), "{}", stderr(&out));
}

/// Starts `tresor run` in its own process group with a program that traps `signal` (exiting
/// with `trapped_code`) and signals when it is ready.
#[cfg(unix)]
fn spawn_trapping(env: &Env, signal: &str, trapped_code: i32) -> std::process::Child {
    use std::os::unix::process::CommandExt;
    let ready = env.dir.path().join(format!("ready-{signal}"));
    let script =
        format!("trap 'exit {trapped_code}' {signal}; touch {}; while :; do sleep 0.05; done", ready.display());
    let child = env.cmd(&["run", "--", "sh", "-c", &script]).process_group(0).spawn().unwrap();
    let started = std::time::Instant::now();
    while !ready.exists() {
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "the program did not start");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child
}

#[cfg(unix)]
fn send(signal: &str, target: &str) {
    assert!(Command::new("kill").args([&format!("-{signal}"), "--", target]).status().unwrap().success());
}

#[cfg(unix)]
#[test]
fn run_lets_ctrl_c_reach_the_program_and_reports_how_it_ended() {
    let env = Env::new(PASS);
    let mut child = spawn_trapping(&env, "INT", 43);
    // Ctrl+C: the terminal signals the whole foreground process group.
    send("INT", &format!("-{}", child.id()));
    assert_eq!(child.wait().unwrap().code(), Some(43), "tresor outlived the Ctrl+C and passed the code on");
}

#[cfg(unix)]
#[test]
fn every_signal_a_supervisor_sends_to_tresor_reaches_the_program() {
    // Sent to the process Tresor started as (a supervisor, `timeout -s`, a CI cancel), not to
    // the group: the program gets it, and nothing is left running.
    let env = Env::new(PASS);
    for (i, signal) in ["INT", "TERM", "HUP", "QUIT", "USR1", "USR2", "WINCH"].into_iter().enumerate() {
        let code = 40 + i as i32;
        let mut child = spawn_trapping(&env, signal, code);
        send(signal, &child.id().to_string());
        assert_eq!(child.wait().unwrap().code(), Some(code), "{signal}");
    }
}

// ---- tresor import -----------------------------------------------------------------------------

/// The action column of `name`'s row in a printed plan.
fn plan_action(out: &Output, name: &str) -> String {
    let text = stdout(out);
    let row = text.lines().map(|l| l.split_whitespace().collect::<Vec<_>>()).find(|cells| cells.get(1) == Some(&name));
    row.unwrap_or_else(|| panic!("no row for {name} in {text}"))[0].to_owned()
}

#[test]
fn import_dry_run_shows_the_plan_and_writes_nothing() {
    let env = Env::new(PASS);
    let file = env.file("in.env", "A=alpha-value\nbad-name=beta-value\nEMPTY=\n# comment\nnot a binding\n");
    let out = env.run(&["import", file.to_str().unwrap(), "--dry-run"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let plan = stdout(&out);
    assert!(plan.starts_with("ACTION"), "{plan}");
    let lines: Vec<Vec<&str>> = plan.lines().map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(lines[1][..3], ["add", "A", "1"]);
    assert_eq!(lines[2][..3], ["skip", "bad-name", "2"]);
    assert!(plan.contains("try BAD_NAME"), "{plan}");
    assert_eq!(lines[3][..3], ["skip", "EMPTY", "3"]);
    assert!(plan.contains("note: line 5 is not KEY=value"), "{plan}");
    assert!(plan.contains("1 to add, 0 to update, 0 unchanged, 2 skipped."), "{plan}");
    assert!(!plan.contains("-value") && !stderr(&out).contains("-value"), "no values: {plan}");
    assert!(stderr(&out).contains("Dry run: nothing was written"));
    assert_eq!(code(&env.run(&["get", "A"])), 4, "nothing was imported");
}

#[test]
fn import_conflicts_fail_by_default_and_skip_or_overwrite_on_request() {
    let env = Env::new(PASS);
    env.set(&["KEEP"], "same");
    env.set(&["CLASH"], "old");
    let file = env.file("in.json", r#"{"KEEP": "same", "CLASH": "new", "FRESH": "f"}"#);
    let path = file.to_str().unwrap();

    let out = env.run(&["import", path]);
    assert_eq!(code(&out), 6);
    assert_eq!(plan_action(&out, "CLASH"), "conflict");
    assert!(stderr(&out).contains("(CLASH)") && stderr(&out).contains("--on-conflict skip or overwrite"));
    assert_clean_error(&out);
    assert_eq!(code(&env.run(&["get", "FRESH"])), 4, "a refused import writes nothing");
    assert_eq!(code(&env.run(&["import", path, "--dry-run"])), 6, "a dry run reports the same refusal");

    let out = env.run(&["import", path, "--on-conflict", "skip"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(plan_action(&out, "KEEP"), "same");
    assert_eq!(plan_action(&out, "CLASH"), "skip");
    assert!(stderr(&out).contains("1 added, 0 updated, 1 unchanged, 1 skipped"), "{}", stderr(&out));
    assert_eq!(env.run(&["get", "CLASH"]).stdout, b"old");

    let out = env.run(&["import", path, "--on-conflict", "overwrite"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("version 1 becomes 2"), "{}", stdout(&out));
    assert_eq!(env.run(&["get", "CLASH"]).stdout, b"new");
    assert_eq!(env.run(&["get", "CLASH", "--version", "1"]).stdout, b"old");
}

#[test]
fn import_reads_stdin_toml_tables_with_flatten_and_explains_bad_input() {
    let env = Env::new(PASS);
    let out = env.run_with_stdin(&["import", "-"], b"FROM_STDIN=1\n");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(env.run(&["get", "FROM_STDIN"]).stdout, b"1");

    let toml = env.file("secrets.toml", "TOP = \"t\"\n[db]\nuser = \"u\"\n");
    let out = env.run(&["import", toml.to_str().unwrap(), "--dry-run"]);
    assert!(stdout(&out).contains("a table, not a secret"), "{}", stdout(&out));
    let out = env.run(&["import", toml.to_str().unwrap(), "--flatten"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(env.run(&["get", "db_user"]).stdout, b"u");

    let unknown = env.file("notes.txt", "A=1\n");
    let out = env.run(&["import", unknown.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--format"), "{}", stderr(&out));
    assert_eq!(code(&env.run(&["import", unknown.to_str().unwrap(), "--format", "yaml"])), 2);

    let broken = env.file("broken.json", "{\"K\": \"sk-secret-value\"");
    let out = env.run(&["import", broken.to_str().unwrap()]);
    assert_eq!(code(&out), 1);
    assert_clean_error(&out);
    assert!(!stderr(&out).contains("sk-secret"), "{}", stderr(&out));
}

// ---- tresor export -----------------------------------------------------------------------------

#[test]
fn export_to_a_file_is_private_and_never_replaces_one_without_force() {
    let env = Env::new(PASS);
    env.set(&["K"], "v1");
    let target = env.dir.path().join("backup.env");
    let path = target.to_str().unwrap();
    let out = env.run(&["export", "--output", path]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "K=v1\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&target).unwrap().permissions().mode() & 0o777, 0o600);
    }
    env.set(&["K"], "v2");
    let out = env.run(&["export", "--output", path]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_clean_error(&out);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "K=v1\n", "untouched");
    assert_eq!(code(&env.run(&["export", "--output", path, "--force"])), 0);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "K=v2\n");
    assert_eq!(code(&env.run(&["export", "--force"])), 2, "--force needs --output");
}

#[test]
fn export_only_and_formats_and_what_env_cannot_hold() {
    let env = Env::new(PASS);
    env.set(&["A"], "1");
    env.set(&["B"], "2");
    let out = env.run(&["export", "--format", "json", "--only", "B"]);
    assert_eq!(stdout(&out), "{\n  \"B\": \"2\"\n}\n");
    let out = env.run(&["export", "--only", "B,NOPE"]);
    assert_eq!(code(&out), 4);
    assert!(out.stdout.is_empty());

    env.set(&["WINDOWS_DIRS"], "C:\\one\\\nD:\\two\\");
    let out = env.run(&["export"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("WINDOWS_DIRS") && stderr(&out).contains("TOML or JSON"), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "nothing half-written");
    assert_eq!(code(&env.run(&["export", "--format", "toml"])), 0);
}

#[test]
fn export_then_import_into_a_second_vault_gives_back_every_value() {
    let env = Env::new(PASS);
    let values = [
        ("PEM", "-----BEGIN KEY-----\nMIIB\n-----END KEY-----\n"),
        ("QUOTES", "it's \"quoted\" # not a comment"),
        ("DOLLAR", "${HOME} $USER"),
        ("BACKSLASH", "C:\\path\\"),
        ("SPACES", "  padded  "),
        ("UNICODE", "ключ 🔑"),
        ("CR", "a\r\nb\rc"),
    ];
    for (name, value) in values {
        env.set(&[name], value);
    }
    for format in ["env", "toml", "json"] {
        let file = env.dir.path().join(format!("export.{format}"));
        let out = env.run(&["export", "--format", format, "--output", file.to_str().unwrap()]);
        assert_eq!(code(&out), 0, "{format}: {}", stderr(&out));
        let second = env.dir.path().join(format!("second-{format}.db"));
        Vault::create(&second, &Passphrase::new(PASS), KdfParams::insecure_for_tests()).unwrap();
        let out = env.cmd(&["import", file.to_str().unwrap()]).env("TRESOR_VAULT", &second).output().unwrap();
        assert_eq!(code(&out), 0, "{format}: {}", stderr(&out));
        for (name, value) in values {
            let got = env.cmd(&["get", name]).env("TRESOR_VAULT", &second).output().unwrap();
            assert_eq!(got.stdout, value.as_bytes(), "{format} {name}");
        }
    }
}

#[test]
fn help_lists_the_new_commands() {
    let env = Env::without_vault(PASS);
    let help = stdout(&env.run(&["--help"]));
    for command in ["run", "import", "export"] {
        assert!(help.contains(&format!("  {command} ")), "{help}");
    }
    let run_help = stdout(&env.run(&["run", "--help"]));
    assert!(run_help.contains("--no-inherit-env") && run_help.contains("tresor.toml"), "{run_help}");
}

/// Export to a terminal asks first. A pseudo-terminal comes from util-linux `script`; without it
/// the test says so and skips.
#[cfg(target_os = "linux")]
#[test]
fn export_to_a_terminal_asks_before_printing_values() {
    if !Command::new("script").arg("--version").output().is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: util-linux `script` not installed");
        return;
    }
    let env = Env::new(PASS);
    env.set(&["K"], "terminal-secret-value");
    let in_terminal = |answer: &[u8]| {
        let command = format!("{} export", env!("CARGO_BIN_EXE_tresor"));
        let mut child = Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .env("TRESOR_VAULT", &env.vault)
            .env("TRESOR_PASSPHRASE_FILE", &env.pass_file)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(answer).unwrap();
        String::from_utf8_lossy(&child.wait_with_output().unwrap().stdout).into_owned()
    };
    let declined = in_terminal(b"n\n");
    assert!(declined.contains("in plaintext on the terminal. Continue?"), "{declined}");
    assert!(!declined.contains("terminal-secret-value"), "{declined}");
    let accepted = in_terminal(b"y\n");
    assert!(accepted.contains("K=terminal-secret-value"), "{accepted}");
}

#[test]
fn two_sets_of_the_same_new_name_at_once_both_succeed_and_both_values_are_kept() {
    let env = Env::new(PASS);
    let names: Vec<String> = (0..12).map(|i| format!("RACED_{i}")).collect();
    let writers: Vec<_> = ["first", "second"]
        .into_iter()
        .map(|who| {
            let commands: Vec<(String, Command)> = names.iter().map(|n| (n.clone(), env.cmd(&["set", n]))).collect();
            std::thread::spawn(move || {
                for (name, mut command) in commands {
                    let mut child =
                        command.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
                    child.stdin.take().unwrap().write_all(format!("{who} value of {name}").as_bytes()).unwrap();
                    let out = child.wait_with_output().unwrap();
                    assert_eq!(code(&out), 0, "{who} set {name}: {}", stderr(&out));
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    let vault = Vault::unlock(&env.vault, &Passphrase::new(PASS)).unwrap();
    for name in &names {
        let id = vault.find(&vault.default_place().unwrap(), &tresor::SecretName::parse(name).unwrap()).unwrap().0;
        // `history` lists every version, the current one included.
        let mut values: Vec<String> = vault
            .history(id)
            .unwrap()
            .iter()
            .map(|v| vault.reveal_version(id, v.version).unwrap().expose().to_owned())
            .collect();
        values.sort();
        assert_eq!(values, [format!("first value of {name}"), format!("second value of {name}")], "{name}");
    }
}

#[test]
fn backup_list_and_restore_backup_from_the_command_line() {
    let env = Env::new(PASS);
    env.set(&["OPENAI_API_KEY"], "sk-old");
    let out = env.run(&["backup"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("Backed up to"), "{}", stderr(&out));

    let out = env.run(&["backup", "--list", "--json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let list: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let reasons: Vec<&str> = list.as_array().unwrap().iter().map(|b| b["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons, ["manual", "daily"], "newest first; the first unlock of the day made one");
    let manual = list[0]["name"].as_str().unwrap().to_owned();
    let out = env.run(&["backup", "--list"]);
    assert!(stdout(&out).contains(&manual) && stdout(&out).contains("made by hand"), "{}", stdout(&out));

    env.set(&["OPENAI_API_KEY"], "sk-new");
    env.set(&["LATER"], "x");
    let wrong = env.file("wrong", "not the passphrase\n");
    let out = env.run(&["--passphrase-file", wrong.to_str().unwrap(), "restore-backup", &manual]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert_eq!(stdout(&env.run(&["get", "OPENAI_API_KEY"])), "sk-new", "a failed restore changes nothing");

    let out = env.run(&["restore-backup", &manual]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("undoes this"), "{}", stderr(&out));
    assert_eq!(stdout(&env.run(&["get", "OPENAI_API_KEY"])), "sk-old");
    assert_eq!(code(&env.run(&["get", "LATER"])), 4);

    // The restore made a backup first: restoring the latest one undoes it.
    let out = env.run(&["restore-backup", "latest"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&env.run(&["get", "OPENAI_API_KEY"])), "sk-new");
    assert_eq!(stdout(&env.run(&["get", "LATER"])), "x");

    let out = env.run(&["restore-backup", "2001-01-01T00-00-00.000Z-daily.db"]);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert_clean_error(&out);
}

#[test]
fn how_many_backups_are_kept_is_set_from_the_command_line() {
    let env = Env::new(PASS);
    env.set(&["A"], "1");
    for _ in 0..3 {
        assert_eq!(code(&env.run(&["backup"])), 0);
    }
    let out = env.run(&["backup", "--keep", "2"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = env.run(&["backup", "--list", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);

    let out = env.run(&["backup", "--keep", "101"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert_clean_error(&out);
    let out = env.run(&["backup", "--keep", "0"]);
    assert_eq!(code(&out), 0);
    let out = env.run(&["backup"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("backups are turned off"), "{}", stderr(&out));
    assert!(stderr(&env.run(&["backup", "--list"])).contains("Automatic backups are off"));
}

/// Every subcommand a user can type, for the completion and man page checks.
const SUBCOMMANDS: [&str; 22] = [
    "init",
    "info",
    "list",
    "get",
    "set",
    "rename",
    "rm",
    "history",
    "trash",
    "restore",
    "purge",
    "passwd",
    "rotate-key",
    "backup",
    "restore-backup",
    "accept-rollback",
    "run",
    "import",
    "export",
    "trust",
    "completions",
    "man",
];

/// An environment where any attempt to open a vault or read a passphrase would fail.
fn without_a_vault_or_passphrase(env: &Env, args: &[&str]) -> Output {
    env.cmd(args)
        .env("TRESOR_VAULT", env.dir.path().join("no-such-vault.db"))
        .env("TRESOR_PASSPHRASE_FILE", env.dir.path().join("no-such-passphrase"))
        .output()
        .unwrap()
}

#[test]
fn completions_for_each_shell_name_every_subcommand_without_a_vault_or_passphrase() {
    let env = Env::without_vault(PASS);
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = without_a_vault_or_passphrase(&env, &["completions", shell]);
        assert_eq!(code(&out), 0, "{shell}: {}", stderr(&out));
        assert!(out.stderr.is_empty(), "{shell}: {}", stderr(&out));
        let script = stdout(&out);
        assert!(script.contains("tresor"), "{shell}: {script}");
        for command in SUBCOMMANDS {
            assert!(script.contains(command), "{shell} completions miss {command}");
        }
    }
    let out = env.run(&["completions", "tcsh"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(out.stdout.is_empty());
}

#[test]
fn man_prints_a_roff_page_that_names_every_subcommand_without_a_vault_or_passphrase() {
    let env = Env::without_vault(PASS);
    let out = without_a_vault_or_passphrase(&env, &["man"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    let page = stdout(&out);
    // roff: the title line `.TH tresor 1 …`, preceded only by requests (clap_mangen first defines
    // the apostrophe string `Aq` for groff and other troffs).
    let title = page.lines().position(|l| l.starts_with(".TH tresor 1 ")).expect(&page);
    assert!(page.lines().take(title).all(|l| l.starts_with('.')), "{page}");
    // roff escapes a hyphen as `\-`.
    let text = page.replace("\\-", "-");
    for command in SUBCOMMANDS {
        assert!(text.contains(&format!("tresor-{command}(1)")), "the man page misses {command}");
    }
    // The pages it refers to: `tresor man COMMAND`.
    let import = stdout(&without_a_vault_or_passphrase(&env, &["man", "import"]));
    assert!(import.contains(".TH tresor-import 1 ") && import.contains("on\\-conflict"), "{import}");
    let out = env.run(&["man", "no-such-command"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert_clean_error(&out);
}

#[test]
fn list_aligns_columns_and_leaves_no_trailing_spaces() {
    let env = Env::new(PASS);
    env.set(&["A"], "1");
    let out = env.run_with_stdin(&["set", "LONGER_NAME", "--description", "with a description"], b"2");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let listing = stdout(&env.run(&["list"]));
    let lines: Vec<&str> = listing.lines().collect();
    assert_eq!(lines.len(), 3, "{listing}");
    assert!(lines[0].starts_with("NAME         VERSION  MODIFIED"), "{listing}");
    // Each column starts at the same place on every row.
    let version_at = lines[0].find("VERSION").unwrap();
    for line in &lines[1..] {
        assert_eq!(line.find(" 1 ").map(|i| i + 1), Some(version_at), "{listing}");
        assert_eq!(line.trim_end(), *line, "trailing spaces: {line:?}");
    }
    assert!(lines[1].starts_with("A   ") && lines[2].ends_with("  with a description"), "{listing}");
}

#[test]
fn a_reader_that_closes_the_pipe_early_is_not_an_error() {
    let env = Env::new(PASS);
    let lines: String = (0..5_000).map(|i| format!("KEY_{i:05}=value-{i}\n")).collect();
    let file = env.file("many.env", &lines);
    let out = env.run(&["import", file.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    // About 300 KiB of listing, far more than a pipe holds: `tresor list | head -1`.
    let mut child = env.cmd(&["list"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut first = [0u8; 4];
    std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
    assert_eq!(&first, b"NAME");
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
}

#[test]
fn commands_run_without_a_display() {
    // Without a subcommand the binary opens the window (main.rs); every subcommand stays on the
    // command line. That holds by construction (no `crate::ui` under src/cli/, checked by
    // tests/structure.rs); here, as a user sees it: a command works with no display at all.
    let env = Env::new(PASS);
    let out = env.cmd(&["list"]).env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY").output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

// ---- bad input ---------------------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn a_passphrase_file_others_can_read_is_refused_and_only_its_first_line_counts() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new(PASS);
    env.set(&["K"], "v");
    std::fs::set_permissions(&env.pass_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = env.run(&["get", "K"]);
    assert_eq!(code(&out), 1);
    assert_clean_error(&out);
    assert!(stderr(&out).contains("chmod 600"), "{}", stderr(&out));
    // Made private: the first line, up to a \r or \n, is the passphrase.
    write_private(&env.pass_file, format!("{PASS}\rthe rest of an old Mac line\n"));
    let out = env.run(&["get", "K"]);
    assert_eq!((code(&out), stdout(&out)), (0, "v".to_owned()), "{}", stderr(&out));
}

#[test]
fn set_stops_reading_stdin_at_the_size_limit() {
    let env = Env::new(PASS);
    let huge = vec![b'x'; tresor::vault::secret::MAX_VALUE_BYTES + 1024];
    let out = env.run_with_stdin(&["set", "HUGE"], &huge);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_clean_error(&out);
    assert!(stderr(&out).contains("longer than"), "{}", stderr(&out));
    assert_eq!(code(&env.run(&["get", "HUGE"])), 4, "nothing was stored");
    let exact = vec![b'y'; tresor::vault::secret::MAX_VALUE_BYTES];
    assert_eq!(code(&env.run_with_stdin(&["set", "EXACT"], &exact)), 0);
}

#[test]
fn text_from_a_file_reaches_the_terminal_escaped() {
    let env = Env::new(PASS);
    // A key that would turn the terminal red and retitle it, set twice (a note), and a key
    // that is not a name (a plan row).
    let file = env.file("hostile.env", "\"EVIL\x1b[31m\x1b]0;pwned\x07\"=1\nA=1\nA=2\n");
    let out = env.run(&["import", file.to_str().unwrap(), "--dry-run"]);
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!all.contains('\x1b') && !all.contains('\x07'), "raw control characters: {all:?}");
    assert!(all.contains("\\u{1b}"), "shown escaped: {all}");
    // A profile with such a key: the error names it escaped.
    let profile = env.file("p.toml", "[secrets]\n\"K\x1b[2J\" = { required = true }\n");
    let out = env.run(&["run", "--profile", profile.to_str().unwrap(), "--", "true"]);
    assert_eq!(code(&out), 1);
    assert_clean_error(&out);
    assert!(!stderr(&out).contains('\x1b'), "{:?}", stderr(&out));
}

/// Issue 21, the command line's words: near names suggested, the hint for a missing vault names
/// it, `tresor` alone without a display says so, `set --help` explains its arguments, the
/// variable of `--vault` shows without a stray "=", and `rm`'s hint names the place.
#[test]
fn mistakes_get_hints_that_fit_them() {
    let env = Env::new(PASS);
    env.set(&["A_KEY"], "a");
    for typed in ["A_KYE", "a_key", "A_KE"] {
        let out = env.run(&["get", typed]);
        assert_eq!(code(&out), 4, "{typed}");
        assert!(stderr(&out).contains(&format!("no secret named {typed}; did you mean A_KEY?")), "{}", stderr(&out));
        assert!(out.stdout.is_empty());
    }
    let far = env.run(&["get", "SOMETHING_ELSE"]);
    assert_eq!(stderr(&far).trim_end(), "tresor: no secret named SOMETHING_ELSE", "no far-fetched suggestion");

    let missing = env.dir.path().join("elsewhere.db");
    let out = env.cmd(&["list"]).env("TRESOR_VAULT", &missing).output().unwrap();
    assert_eq!(code(&out), 1);
    let shown = format!("create one with `tresor --vault {} init`", missing.display());
    assert!(stderr(&out).contains(&shown), "init alone would create the default vault: {}", stderr(&out));

    // Each on its line or beside its name, as clap lays it out: compared word by word.
    let help = stdout(&env.cmd(&["set", "--help"]).output().unwrap()).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(help.contains("<NAME> The secret's name"), "{help}");
    assert!(help.contains("--description <DESCRIPTION> What it is for"), "{help}");
    assert!(help.contains("[env: TRESOR_VAULT]") && !help.contains("TRESOR_VAULT="), "{help}");

    env.ok(&["projects", "create", "shop"]);
    env.set(&["-p", "shop", "-e", "production", "DB_URL"], "postgres://");
    let rm = env.run(&["rm", "-p", "shop", "-e", "production", "DB_URL"]);
    assert_eq!(code(&rm), 0);
    assert!(stderr(&rm).contains("(bring back with `tresor restore -p shop -e production DB_URL`)"), "{}", stderr(&rm));
    env.ok(&["restore", "-p", "shop", "-e", "production", "DB_URL"]);

    let window = env.cmd(&[]).env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY").env_remove("WAYLAND_SOCKET").output();
    let window = window.unwrap();
    assert_eq!(code(&window), 1);
    assert_eq!(
        stderr(&window).trim_end(),
        "tresor: there is no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set); the \
         command line works without one: `tresor --help`",
        "no raw windowing error, no cargo path"
    );
}

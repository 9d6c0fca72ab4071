//! What a file someone else wrote can do through the real binary: a cloned repository's
//! `tresor.toml` (used only once trusted: exit 7 before, nothing run or written), the names that
//! change how programs run (set from a profile only once it is trusted; marked in import plans),
//! and a file whose name holds terminal escape sequences (printed escaped).
//!
//! Every command runs in a folder of its own, with a state folder of its own (`TRESOR_STATE_DIR`).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

mod common;
use common::cli::{CliEnv as Env, code, stderr, stdout};

const PASS: &str = "trust only what you have read";

/// The file: a repository's tresor.toml that picks bank/production, maps a key of
/// another project and sets the loader's preload list from a secret.
const REPOSITORY_FILE: &str = "project = \"bank\"\nenv = \"production\"\n[secrets]\n\
                               API = { from = \"Personal/OPENAI_API_KEY\" }\n\
                               LD_PRELOAD = { from = \"bank/production/PRELOAD\" }\n";

/// A vault with Personal's OPENAI_API_KEY and a project `bank`, and an empty `work` folder.
fn setup() -> Env {
    let env = Env::new(PASS);
    env.ok(&["projects", "create", "bank"]);
    env.set(&["OPENAI_API_KEY"], "sk-personal-key");
    env.set(&["-p", "bank", "-e", "production", "PRELOAD"], "/nonexistent/preload-secret.so");
    env
}

/// `sh -c` printing each variable (`-` when unset).
fn echo(vars: &[&str]) -> String {
    format!("echo {}", vars.iter().map(|v| format!("${{{v}:--}}")).collect::<Vec<_>>().join(" "))
}

#[test]
fn an_untrusted_folder_file_stops_every_command_it_would_decide_before_the_vault_is_unlocked() {
    let env = setup();
    env.folder_file(REPOSITORY_FILE);
    let marker = env.work().join("started");
    let touch = ["run", "--", "touch", marker.to_str().unwrap()];

    let out = env.run(&touch);
    assert_eq!(code(&out), 7, "{}", stderr(&out));
    assert!(!marker.exists(), "nothing ran");
    let message = stderr(&out);
    assert!(message.starts_with("tresor: ") && message.trim_end().lines().count() == 1, "{message}");
    for reached in ["project bank, environment production", "API from Personal/OPENAI_API_KEY", "LD_PRELOAD"] {
        assert!(message.contains(reached), "the message says it reaches {reached}: {message}");
    }
    assert!(message.contains("`tresor trust`") && message.contains("--profile ./tresor.toml"), "{message}");
    assert!(!message.contains("sk-personal-key") && !message.contains("preload-secret"), "{message}");

    // A bare `set` would write into bank/production: stopped, nothing written.
    let set = env.run_with_stdin(&["set", "NOTES"], "meeting notes".as_bytes());
    assert_eq!(code(&set), 7, "{}", stderr(&set));
    assert!(stderr(&set).contains("-p PROJECT"), "{}", stderr(&set));
    let import = env.work().join("more.env");
    std::fs::write(&import, "IMPORTED=1\n").unwrap();
    for args in [
        &["list"][..],
        &["get", "PRELOAD"],
        &["rm", "PRELOAD"],
        &["import", import.to_str().unwrap()],
        &["export"],
        &["envs"],
        &["diff", "staging", "production"],
        &["cp", "PRELOAD", "Personal"],
    ] {
        let out = env.run(args);
        assert_eq!(code(&out), 7, "tresor {args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "tresor {args:?} printed {}", stdout(&out));
    }
    // The check comes before the passphrase: with no passphrase file to read, it is still 7.
    let out = env.cmd(&["list"]).env("TRESOR_PASSPHRASE_FILE", env.dir.path().join("missing")).output().unwrap();
    assert_eq!(code(&out), 7, "{}", stderr(&out));

    // -p/-e (or the variables) replace only the file's place: run still takes its secrets.
    let out = env.run(&["run", "-p", "Personal", "--", "touch", marker.to_str().unwrap()]);
    assert_eq!(code(&out), 7, "{}", stderr(&out));
    let out = env.cmd(&touch).env("TRESOR_PROJECT", "bank").env("TRESOR_ENV", "staging").output().unwrap();
    assert_eq!(code(&out), 7, "{}", stderr(&out));
    assert!(!marker.exists(), "nothing ran");

    // What the file does not decide goes on as before: the place named, or --only.
    assert!(env.ok(&["list", "-p", "Personal"]).contains("OPENAI_API_KEY"));
    assert_eq!(env.ok(&["get", "-p", "bank", "-e", "production", "PRELOAD"]), "/nonexistent/preload-secret.so");
    let only =
        env.run(&["run", "-p", "Personal", "--only", "OPENAI_API_KEY", "--", "sh", "-c", &echo(&["OPENAI_API_KEY"])]);
    assert_eq!(stdout(&only), "sk-personal-key\n", "{}", stderr(&only));
    // A file named on the command line is the user's own choice (its loader names aside).
    let named = env.run(&["run", "--profile", "./tresor.toml", "--", "sh", "-c", &echo(&["API"])]);
    assert_eq!(stdout(&named), "sk-personal-key\n", "{}", stderr(&named));

    // Nothing of the above wrote anything.
    for (place, name) in
        [(["-p", "bank", "-e", "production"], "NOTES"), (["-p", "bank", "-e", "production"], "IMPORTED")]
    {
        let out = env.run(&["get", place[0], place[1], place[2], place[3], name]);
        assert_eq!(code(&out), 4, "{name} was not written: {}", stderr(&out));
    }
    assert_eq!(env.ok(&["get", "-p", "bank", "-e", "production", "PRELOAD"]), "/nonexistent/preload-secret.so");
}

#[test]
fn trusting_shows_what_the_file_reaches_then_it_works_until_it_is_edited_moved_or_revoked() {
    let env = setup();
    env.folder_file(REPOSITORY_FILE);
    // Without a terminal, `tresor trust` records at once: the command is the user's own act.
    let shown = env.ok(&["trust"]);
    assert!(shown.contains("place: project bank, environment production"), "{shown}");
    assert!(shown.contains("API from Personal/OPENAI_API_KEY  [outside its project]"), "{shown}");
    assert!(shown.contains("LD_PRELOAD from bank/production/PRELOAD  [changes how programs run]"), "{shown}");
    assert!(shown.contains("set from it once trusted: LD_PRELOAD"), "{shown}");
    assert!(!shown.contains("sk-personal-key"), "never a value: {shown}");

    // Trusted: as today, its loader names included (it showed them).
    let out = env.run(&["run", "--", "sh", "-c", &echo(&["API", "LD_PRELOAD"])]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "sk-personal-key /nonexistent/preload-secret.so\n");
    env.set(&["NOTES"], "meeting notes");
    assert_eq!(env.ok(&["get", "-p", "bank", "-e", "production", "NOTES"]), "meeting notes");
    let listed = env.ok(&["trust", "--list"]);
    assert!(listed.contains("work/tresor.toml") && listed.contains("trusted"), "{listed}");

    // Edited after trusting: stops again, until trusted again.
    let marker = env.work().join("started");
    std::fs::write(env.work().join("tresor.toml"), format!("{REPOSITORY_FILE}# one more line\n")).unwrap();
    let out = env.run(&["run", "--", "touch", marker.to_str().unwrap()]);
    assert_eq!(code(&out), 7, "{}", stderr(&out));
    assert_eq!(code(&env.run_with_stdin(&["set", "NOTES"], "changed".as_bytes())), 7);
    assert!(!marker.exists());
    assert!(env.ok(&["trust", "--list"]).contains("changed since"));
    env.ok(&["trust"]);
    assert_eq!(env.ok(&["get", "NOTES"]), "meeting notes");

    // Moved (the same bytes in another folder): not trusted there.
    let elsewhere = env.dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::copy(env.work().join("tresor.toml"), elsewhere.join("tresor.toml")).unwrap();
    let out = env.cmd(&["get", "NOTES"]).current_dir(&elsewhere).output().unwrap();
    assert_eq!(code(&out), 7, "{}", stderr(&out));
    // Nor is a symlink to the trusted file: trust is for a place, not only for bytes.
    std::fs::remove_file(elsewhere.join("tresor.toml")).unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(env.work().join("tresor.toml"), elsewhere.join("tresor.toml")).unwrap();
        let out = env.cmd(&["get", "NOTES"]).current_dir(&elsewhere).output().unwrap();
        assert_eq!(code(&out), 7, "{}", stderr(&out));
    }

    // Revoked: stops again.
    env.ok(&["trust", "--revoke"]);
    assert_eq!(code(&env.run(&["get", "NOTES"])), 7);
    assert!(!env.ok(&["trust", "--list"]).contains("work/tresor.toml"));
}

#[test]
fn names_that_change_how_programs_run_come_from_a_profile_only_once_it_is_trusted() {
    let env = setup();
    let profile = env.work().join("mine.toml");
    std::fs::write(&profile, "[secrets]\nLD_PRELOAD = { from = \"bank/production/PRELOAD\" }\nOPENAI_API_KEY = {}\n")
        .unwrap();
    let profile = profile.to_str().unwrap();
    // The leak: the loader prints a preload list it cannot load, secret and all.
    let out = env.run(&["run", "--profile", profile, "--", "/bin/true"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(!err.contains("preload-secret"), "the secret is not in the loader's error: {err}");
    assert!(err.contains("warning: not setting LD_PRELOAD") && err.contains("tresor trust"), "{err}");
    let out = env.run(&["run", "--profile", profile, "--", "sh", "-c", &echo(&["OPENAI_API_KEY"])]);
    assert_eq!(stdout(&out), "sk-personal-key\n", "the rest of the profile is set");

    env.ok(&["trust", profile]);
    let out = env.run(&["run", "--profile", profile, "--", "printenv", "LD_PRELOAD"]);
    assert_eq!(stdout(&out), "/nonexistent/preload-secret.so\n", "trusted, it is set: {}", stderr(&out));

    // The extended list, with all secrets: skipped and named.
    for (name, value) in [
        ("GIT_SSH_COMMAND", "ssh -o ProxyCommand=evil"),
        ("GIT_CONFIG_COUNT", "1"),
        ("https_proxy", "http://evil:3128"),
        ("SSLKEYLOGFILE", "/tmp/keys"),
        ("NODE_EXTRA_CA_CERTS", "/tmp/ca.pem"),
        ("BASH_ENV", "/tmp/evil.sh"),
    ] {
        env.set(&[name], value);
    }
    let vars =
        ["GIT_SSH_COMMAND", "GIT_CONFIG_COUNT", "https_proxy", "SSLKEYLOGFILE", "NODE_EXTRA_CA_CERTS", "BASH_ENV"];
    let mut command = env.cmd(&["run", "--", "sh", "-c", &echo(&vars)]);
    for name in vars {
        command.env_remove(name); // not inherited from the test's own environment either
    }
    let out = command.output().unwrap();
    assert_eq!(stdout(&out), "- - - - - -\n", "{}", stderr(&out));
    for name in vars {
        assert!(stderr(&out).contains(name), "{name} is named in the warning: {}", stderr(&out));
    }
    // Named with --only, they are set.
    let out = env.run(&["run", "--only", "https_proxy", "--", "sh", "-c", &echo(&["https_proxy"])]);
    assert_eq!(stdout(&out), "http://evil:3128\n");
}

#[test]
fn an_import_plan_marks_each_name_that_changes_how_programs_run() {
    let env = setup();
    let file = env.work().join("from-a-repo.env");
    std::fs::write(
        &file,
        "OPENAI_API_KEY=sk-other\nLD_PRELOAD=/tmp/x.so\nGIT_SSH_COMMAND=ssh -v\nHTTP_PROXY=http://p\n",
    )
    .unwrap();
    let out = env.run(&["import", "-p", "bank", file.to_str().unwrap(), "--dry-run"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let plan = stdout(&out);
    for name in ["LD_PRELOAD", "GIT_SSH_COMMAND", "HTTP_PROXY"] {
        assert!(plan.contains(&format!("warning: {name} changes how programs load or run")), "{name}: {plan}");
    }
    assert!(!plan.contains("warning: OPENAI_API_KEY"), "{plan}");
    assert!(stderr(&out).contains("nothing was written"));
}

/// A file name with an OSC 52 clipboard write, a title change and a line erase.
const HOSTILE_NAME: &str = "\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}]0;pwned\u{7}\u{1b}[2Kkeys.env";

#[cfg(unix)]
#[test]
fn a_file_name_with_escape_sequences_is_printed_escaped() {
    let env = setup();
    let file = env.work().join(HOSTILE_NAME);
    std::fs::write(&file, "HOSTILE_IMPORT=1\n").unwrap();
    let raw = |out: &Output| out.stdout.iter().chain(&out.stderr).any(|&b| b == 0x1b || b == 0x07);
    let out = env.run(&["import", file.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!raw(&out), "no raw escape: {:?}", stderr(&out));
    assert!(stderr(&out).contains("\\u{1b}]52;c;ZXZpbA=="), "shown escaped: {}", stderr(&out));

    let exported = env.work().join(format!("{HOSTILE_NAME}.out"));
    let out = env.run(&["export", "--output", exported.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!raw(&out), "no raw escape: {:?}", stderr(&out));

    // A vault in a folder of that name: the command's messages and `info`'s path.
    let folder = env.dir.path().join(HOSTILE_NAME);
    std::fs::create_dir(&folder).unwrap();
    let vault = folder.join("vault.db");
    let out =
        env.cmd(&["init", "--kdf-memory-mib", "64", "--kdf-iterations", "3"]).env("TRESOR_VAULT", &vault).output();
    let out = out.unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!raw(&out), "no raw escape: {:?}", stderr(&out));
    let out = env.cmd(&["info"]).env("TRESOR_VAULT", &vault).output().unwrap();
    assert!(!raw(&out), "no raw escape: {:?}", stdout(&out));
    let out = env.cmd(&["backup"]).env("TRESOR_VAULT", &vault).output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!raw(&out), "no raw escape: {:?}", stderr(&out));
}

#[test]
fn exit_code_7_is_listed_with_the_others() {
    let env = setup();
    let help = env.ok(&["--help"]);
    assert!(help.contains("6 name already taken or invalid") && help.contains("7 the current folder's tresor.toml"));
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(readme.contains("`7` the current folder's `tresor.toml` is not trusted"), "README lists exit code 7");
    assert!(env.ok(&["trust", "--help"]).contains("--revoke"));
}

/// On a terminal, `run` asks once (No by default) and `trust` asks before recording. A
/// pseudo-terminal comes from util-linux `script`; without it the test says so and skips.
#[cfg(target_os = "linux")]
#[test]
fn on_a_terminal_run_and_trust_ask_first_and_no_is_the_default() {
    if !Command::new("script").arg("--version").output().is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: util-linux `script` not installed");
        return;
    }
    let env = setup();
    env.folder_file(REPOSITORY_FILE);
    let marker = env.work().join("started");
    let in_terminal = |args: &str, answer: &[u8]| {
        let command = format!("{} {args}", env!("CARGO_BIN_EXE_tresor"));
        let mut child = Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .current_dir(env.work())
            .env("TRESOR_VAULT", &env.vault)
            .env("TRESOR_PASSPHRASE_FILE", &env.pass_file)
            .env("TRESOR_STATE_DIR", env.dir.path().join("state"))
            .env_remove("TRESOR_PROJECT")
            .env_remove("TRESOR_ENV")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(answer).unwrap();
        String::from_utf8_lossy(&child.wait_with_output().unwrap().stdout).into_owned()
    };
    let run = format!("run -- touch {}", marker.display());
    for answer in [&b"\n"[..], b"n\n"] {
        let said = in_terminal(&run, answer);
        assert!(said.contains("Trust it and run? [y/N]") && said.contains("Personal/OPENAI_API_KEY"), "{said}");
        assert!(!marker.exists(), "No is the default: {said}");
    }
    let said = in_terminal("trust", b"n\n");
    assert!(said.contains("Trust this file? [y/N]") && said.contains("nothing was recorded"), "{said}");
    assert_eq!(code(&env.run(&["list"])), 7, "not recorded");

    let said = in_terminal(&run, b"y\n");
    assert!(marker.exists(), "yes runs it: {said}");
    assert!(env.ok(&["list"]).contains("PRELOAD"), "and trusts it: the next command uses the file");
}

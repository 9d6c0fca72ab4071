//! The one command-line harness: the real binary on a vault of its own, with a passphrase file,
//! a state folder and a current folder of its own, and nothing of the developer's environment
//! (`TRESOR_PROJECT`, `TRESOR_ENV`, a real vault or state folder) reaching it.
//!
//! **Both ways.** With `TRESOR_TEST_THROUGH_APP=1` (`.ci/run` runs the command-line suites a
//! second time so), every `get`, `list`, `run` and `diff` the harness runs ([`CliEnv::run`],
//! [`CliEnv::ok`], [`CliEnv::run_with_stdin`]) goes through the app's server instead — the one
//! the app runs, here without a window, unlocked in this process with the passphrase file's
//! first line and approving every request — with no passphrase file given to the command (it
//! would fail with "no terminal" if it tried to unlock by itself). Where the harness cannot
//! unlock the vault with that file (a wrong passphrase on purpose, a damaged vault), the command
//! runs as it would without an app. The tests' expectations are the same either way: the exit
//! codes, messages and output must not depend on the way. A test that builds its own command
//! with [`CliEnv::cmd`] always takes the ordinary way.

use std::cell::RefCell;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tresor::agent::server::{Decision, Server};
use tresor::{KdfParams, Passphrase, Vault};

use super::write_private;

pub struct CliEnv {
    pub dir: tempfile::TempDir,
    pub vault: PathBuf,
    pub pass_file: PathBuf,
    /// The app's server, in the through-the-app pass (see the module's comment).
    app: RefCell<Option<TestApp>>,
}

/// The app's server without a window, approving everything (the test's stand-in for a user
/// clicking "Allow"; nothing in the shipped binary approves by itself).
struct TestApp {
    server: Arc<Server>,
    file: (u64, u64),
    stop: Arc<AtomicBool>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn through_app() -> bool {
    std::env::var_os("TRESOR_TEST_THROUGH_APP").is_some_and(|v| v == "1")
}

/// Whether the command `args` is one the app serves, as the harness would run it.
fn servable(args: &[&str]) -> bool {
    // Another passphrase file, another vault, salvage: not what the harness serves.
    if args.iter().any(|a| matches!(*a, "--passphrase-file" | "--salvage" | "--vault")) {
        return false;
    }
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match *arg {
            "-p" | "--project" | "-e" | "--env" => {
                rest.next();
            }
            a if a.starts_with('-') => {}
            command => return matches!(command, "get" | "list" | "run" | "diff" | "inject"),
        }
    }
    false
}

impl CliEnv {
    /// A cheap vault opened by `passphrase` (its file's first line; a second line is ignored),
    /// and an empty `work` folder that commands run in.
    pub fn new(passphrase: &str) -> CliEnv {
        let env = Self::without_vault(passphrase);
        Vault::create(&env.vault, &Passphrase::new(passphrase), KdfParams::insecure_for_tests()).unwrap();
        env
    }

    /// [`CliEnv::new`] with no vault yet (for `init`).
    pub fn without_vault(passphrase: &str) -> CliEnv {
        let dir = tempfile::tempdir().unwrap();
        let vault = dir.path().join("vault.db");
        let pass_file = dir.path().join("pass");
        write_private(&pass_file, format!("{passphrase}\nsecond line is ignored\n"));
        std::fs::create_dir(dir.path().join("work")).unwrap();
        CliEnv { dir, vault, pass_file, app: RefCell::new(None) }
    }

    /// The folder commands run in (its `tresor.toml` counts).
    pub fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// A private file in the environment's folder.
    pub fn file(&self, name: &str, contents: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        write_private(&p, contents);
        p
    }

    /// How many of the vault's backups open with the passphrase in `pass`, of how many (`list`
    /// on each: 0 is opened, 3 a wrong passphrase, anything else fails the test).
    #[allow(dead_code)] // not every test binary uses it
    pub fn backups_opening_with(&self, pass: &Path) -> (usize, usize) {
        let backups: Vec<PathBuf> = std::fs::read_dir(self.vault.with_file_name("vault.db.backups"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "db"))
            .collect();
        let opened = backups.iter().filter(|backup| {
            let mut list = self.cmd(&["--vault", backup.to_str().unwrap(), "list"]);
            let code = code(&list.env("TRESOR_PASSPHRASE_FILE", pass).output().unwrap());
            assert!(code == 0 || code == 3, "{}: exit {code}", backup.display());
            code == 0
        });
        (opened.count(), backups.len())
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tresor"));
        cmd.args(args)
            .current_dir(self.work())
            .env("TRESOR_VAULT", &self.vault)
            .env("TRESOR_PASSPHRASE_FILE", &self.pass_file)
            .env("TRESOR_STATE_DIR", self.dir.path().join("state"))
            .env("XDG_RUNTIME_DIR", self.dir.path().join("run"))
            .env_remove("TRESOR_PROJECT")
            .env_remove("TRESOR_ENV")
            .stdin(Stdio::null());
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        let out = self.harness_cmd(args).output().unwrap();
        self.after(out)
    }

    /// The command as the harness runs it: through the app in the through-the-app pass, where
    /// it applies.
    fn harness_cmd(&self, args: &[&str]) -> Command {
        let mut cmd = self.cmd(args);
        if through_app() && servable(args) && self.serve() {
            cmd.env_remove("TRESOR_PASSPHRASE_FILE");
        }
        cmd
    }

    /// Has the app's server serve the vault, unlocked with the passphrase file's first line;
    /// `false` where that does not unlock it.
    fn serve(&self) -> bool {
        // A passphrase file others may read is refused by the command line: that is what such a
        // test checks, without the app.
        use std::os::unix::fs::PermissionsExt;
        match std::fs::metadata(&self.pass_file) {
            Ok(meta) if meta.permissions().mode() & 0o077 == 0 => {}
            _ => return false,
        }
        let Ok(text) = std::fs::read_to_string(&self.pass_file) else { return false };
        let passphrase = Passphrase::new(text.lines().next().unwrap_or_default());
        let Ok(vault) = Vault::unlock(&self.vault, &passphrase) else {
            *self.app.borrow_mut() = None;
            return false;
        };
        let Ok(file) = tresor::agent::file_identity(&self.vault) else { return false };
        let mut app = self.app.borrow_mut();
        if app.as_ref().is_none_or(|a| a.file != file) {
            // A new file in the vault's place (a restore): its own socket.
            *app = None;
            let run = self.dir.path().join("run");
            if !run.exists() {
                std::fs::create_dir(&run).unwrap();
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
            }
            let clock = Arc::new(tresor::vault::SystemClock);
            let server = Arc::new(Server::start_in(&run.join("tresor"), &self.vault, clock, Box::new(|| {})).unwrap());
            let stop = Arc::new(AtomicBool::new(false));
            let (approver, stopped) = (server.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stopped.load(Ordering::SeqCst) {
                    for pending in approver.pending() {
                        pending.answer(Decision::Standing);
                    }
                    std::thread::sleep(std::time::Duration::from_millis(2));
                }
            });
            *app = Some(TestApp { server, file, stop });
        }
        let app = app.as_ref().expect("started");
        app.server.unlock(vault.second_handle().unwrap());
        true
    }

    /// After a command: the server's handle is let go (its connection closed), as at a lock;
    /// and the one line only the way through the app prints (that it waits for the user's
    /// answer) is taken out of what the test compares.
    fn after(&self, mut out: Output) -> Output {
        if let Some(app) = self.app.borrow().as_ref() {
            app.server.lock();
            let text = String::from_utf8_lossy(&out.stderr).into_owned();
            let kept: Vec<&str> =
                text.split_inclusive('\n').filter(|l| !l.starts_with("Waiting for the Tresor app:")).collect();
            out.stderr = kept.concat().into_bytes();
        }
        out
    }

    /// Runs, expects exit 0, returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(code(&out), 0, "tresor {args:?}: {}", stderr(&out));
        stdout(&out)
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: &[u8]) -> Output {
        let mut child =
            self.harness_cmd(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        // A command may fail and exit before reading its input (a bad name): a closed pipe is fine.
        if let Err(e) = child.stdin.take().unwrap().write_all(stdin) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
        let out = child.wait_with_output().unwrap();
        self.after(out)
    }

    /// `tresor set ARGS` with `value` on stdin; expects exit 0.
    pub fn set(&self, args: &[&str], value: &str) {
        let mut all = vec!["set"];
        all.extend_from_slice(args);
        let out = self.run_with_stdin(&all, value.as_bytes());
        assert_eq!(code(&out), 0, "set {args:?}: {}", stderr(&out));
    }

    /// Writes the work folder's `tresor.toml`.
    pub fn folder_file(&self, text: &str) {
        std::fs::write(self.work().join("tresor.toml"), text).unwrap();
    }

    /// The work folder's `tresor.toml`, written and trusted (`tresor trust`, without a terminal:
    /// it records at once).
    pub fn trusted_folder_file(&self, text: &str) {
        self.folder_file(text);
        self.ok(&["trust"]);
    }
}

pub fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

//! The one command-line harness: the real binary on a vault of its own, with a passphrase file,
//! a state folder and a current folder of its own, and nothing of the developer's environment
//! (`TRESOR_PROJECT`, `TRESOR_ENV`, a real vault or state folder) reaching it.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use tresor::{KdfParams, Passphrase, Vault};

use super::write_private;

pub struct CliEnv {
    pub dir: tempfile::TempDir,
    pub vault: PathBuf,
    pub pass_file: PathBuf,
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
        CliEnv { dir, vault, pass_file }
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
        self.cmd(args).output().unwrap()
    }

    /// Runs, expects exit 0, returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(code(&out), 0, "tresor {args:?}: {}", stderr(&out));
        stdout(&out)
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: &[u8]) -> Output {
        let mut child =
            self.cmd(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        // A command may fail and exit before reading its input (a bad name): a closed pipe is fine.
        if let Err(e) = child.stdin.take().unwrap().write_all(stdin) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
        child.wait_with_output().unwrap()
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

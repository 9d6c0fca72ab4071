//! "Unlock once", without a window: the app's server (`tresor::agent::server`, as the app runs
//! it) on a vault, and the real command line beside it, with no passphrase file and no terminal —
//! a command that tried to unlock the vault itself would stop at once ("no terminal to ask for
//! the passphrase"). The test answers the server's approvals itself, in this process; nothing in
//! the shipped binary approves anything by itself.
#![cfg(target_os = "linux")]

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use tresor::agent::server::{Decision, Server};
use tresor::vault::SystemClock;
use tresor::{KdfParams, Passphrase, PlaceName, Vault};

mod common;
use common::new_secret;

const PASS: &str = "unlock once passphrase";

struct App {
    dir: tempfile::TempDir,
    vault_path: PathBuf,
    server: Arc<Server>,
    /// How the test answers approvals, and how many it was asked.
    answer: Arc<std::sync::Mutex<Decision>>,
    asked: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Drop for App {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// A vault with Personal's OPENAI_API_KEY and shop/production's DATABASE_URL, served unlocked.
fn app() -> App {
    let dir = tempfile::tempdir().unwrap();
    let runtime = dir.path().join("run");
    std::fs::create_dir(&runtime).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    let vault_path = dir.path().join("vault.db");
    let mut vault = Vault::create(&vault_path, &Passphrase::new(PASS), KdfParams::insecure_for_tests()).unwrap();
    vault.create_secret(new_secret("OPENAI_API_KEY", "GPT calls", "sk-personal")).unwrap();
    vault.create_project(&PlaceName::parse("shop").unwrap()).unwrap();
    let production = vault.place(Some("shop"), Some("production")).unwrap();
    let staging = vault.place(Some("shop"), Some("staging")).unwrap();
    vault.create_many(&production, vec![new_secret("DATABASE_URL", "", "postgres://prod")]).unwrap();
    vault.create_many(&staging, vec![new_secret("DATABASE_URL", "", "postgres://staging")]).unwrap();
    let server = Arc::new(
        Server::start_in(&runtime.join("tresor"), &vault_path, Arc::new(SystemClock), Box::new(|| {})).unwrap(),
    );
    server.unlock(vault.second_handle().unwrap());
    let answer = Arc::new(std::sync::Mutex::new(Decision::Standing));
    let asked = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    // The app's part: approvals answered as the test says.
    let (s, a, n, st) = (server.clone(), answer.clone(), asked.clone(), stop.clone());
    std::thread::spawn(move || {
        while !st.load(Ordering::SeqCst) {
            for pending in s.pending() {
                if !pending.for_unlock {
                    n.fetch_add(1, Ordering::SeqCst);
                    pending.answer(*a.lock().unwrap());
                }
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    drop(vault);
    App { dir, vault_path, server, answer, asked, stop }
}

impl App {
    /// The command line as a script runs it: no passphrase file, no terminal.
    fn cli(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_tresor"))
            .arg("--vault")
            .arg(&self.vault_path)
            .args(args)
            .env("XDG_RUNTIME_DIR", self.dir.path().join("run"))
            .env("TRESOR_STATE_DIR", self.dir.path().join("state"))
            .env_remove("TRESOR_PASSPHRASE_FILE")
            .env_remove("TRESOR_NO_APP")
            .env_remove("TRESOR_PROJECT")
            .env_remove("TRESOR_ENV")
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

#[test]
fn get_list_run_and_diff_reach_the_vault_through_the_app_without_a_passphrase() {
    let app = app();
    let got = app.cli(&["get", "OPENAI_API_KEY"]);
    assert_eq!(got.status.code(), Some(0), "{}", text(&got.stderr));
    assert_eq!(got.stdout, b"sk-personal");
    assert_eq!(app.asked.load(Ordering::SeqCst), 1, "asked once");

    // Allowed for this caller (the test process's "tool"): the same secret again asks nothing.
    assert_eq!(app.cli(&["get", "OPENAI_API_KEY"]).stdout, b"sk-personal");
    assert_eq!(app.asked.load(Ordering::SeqCst), 1, "covered by the approval");
    // The names of the place reach further than one secret: asked again.
    let listed = app.cli(&["list", "--json"]);
    assert_eq!(listed.status.code(), Some(0), "{}", text(&listed.stderr));
    assert!(text(&listed.stdout).contains("OPENAI_API_KEY"));
    assert!(!text(&listed.stdout).contains("sk-personal"), "a listing holds no values");

    // Another place reaches further: asked again.
    let run = app.cli(&["run", "-p", "shop", "-e", "production", "--", "printenv", "DATABASE_URL"]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    assert_eq!(text(&run.stdout), "postgres://prod\n");
    let diff = app.cli(&["diff", "-p", "shop", "staging", "production", "--json"]);
    assert_eq!(diff.status.code(), Some(0), "{}", text(&diff.stderr));
    assert!(text(&diff.stdout).contains("DATABASE_URL") && !text(&diff.stdout).contains("postgres"));
    assert_eq!(app.asked.load(Ordering::SeqCst), 4, "the names, shop/production, the comparison");
    let again = app.cli(&["get", "-p", "shop", "-e", "production", "DATABASE_URL"]);
    assert_eq!(again.stdout, b"postgres://prod");
    assert_eq!(app.asked.load(Ordering::SeqCst), 4, "covered by the approval of all of shop/production");

    // The same errors and exit codes as without the app.
    let missing = app.cli(&["get", "NO_SUCH_KEY"]);
    assert_eq!(missing.status.code(), Some(4), "{}", text(&missing.stderr));
    assert!(text(&missing.stderr).contains("no secret named NO_SUCH_KEY"), "{}", text(&missing.stderr));
    let bad_place = app.cli(&["get", "-p", "nope", "X"]);
    assert_eq!(bad_place.status.code(), Some(4), "{}", text(&bad_place.stderr));
}

#[test]
fn a_denial_exits_with_eight_and_never_falls_back() {
    let app = app();
    *app.answer.lock().unwrap() = Decision::Deny;
    let denied = app.cli(&["get", "OPENAI_API_KEY"]);
    assert_eq!(denied.status.code(), Some(8), "{}", text(&denied.stderr));
    assert!(text(&denied.stderr).contains("Denied in the Tresor app"), "{}", text(&denied.stderr));
    assert!(denied.stdout.is_empty());
    // Allowed once: that request only; the next asks again.
    *app.answer.lock().unwrap() = Decision::Once;
    assert_eq!(app.cli(&["get", "OPENAI_API_KEY"]).stdout, b"sk-personal");
    assert_eq!(app.cli(&["get", "OPENAI_API_KEY"]).stdout, b"sk-personal");
    assert_eq!(app.asked.load(Ordering::SeqCst), 3);
}

#[test]
fn writes_are_not_served_and_a_lock_ends_every_approval() {
    let app = app();
    // A write unlocks the vault itself: here, with no passphrase and no terminal, it cannot.
    let set = app.cli(&["set", "NEW_KEY"]);
    assert_eq!(set.status.code(), Some(2), "{}", text(&set.stderr));
    assert!(text(&set.stderr).contains("no terminal to ask for the passphrase"), "{}", text(&set.stderr));
    assert_eq!(app.asked.load(Ordering::SeqCst), 0, "never asked");

    assert_eq!(app.cli(&["get", "OPENAI_API_KEY"]).stdout, b"sk-personal");
    app.server.lock();
    app.server.set_locked_wait(Duration::from_millis(300));
    // Locked: the request waits for an unlock, then goes on without the app (here: no terminal
    // to ask on, so it stops with 8).
    let locked = app.cli(&["get", "OPENAI_API_KEY"]);
    assert_eq!(locked.status.code(), Some(8), "{}", text(&locked.stderr));
    assert!(text(&locked.stderr).contains("locked"), "{}", text(&locked.stderr));
    // Unlocked again: the approval did not survive the lock.
    let vault = Vault::unlock(&app.vault_path, &Passphrase::new(PASS)).unwrap();
    app.server.unlock(vault.second_handle().unwrap());
    assert_eq!(app.cli(&["get", "OPENAI_API_KEY"]).stdout, b"sk-personal");
    assert_eq!(app.asked.load(Ordering::SeqCst), 2, "asked again after the lock");
}

#[test]
fn the_passphrase_file_and_tresor_no_app_skip_the_app() {
    let app = app();
    let pass = app.dir.path().join("pass");
    common::write_private(&pass, format!("{PASS}\n"));
    let out = Command::new(env!("CARGO_BIN_EXE_tresor"))
        .arg("--vault")
        .arg(&app.vault_path)
        .args(["--passphrase-file"])
        .arg(&pass)
        .args(["get", "OPENAI_API_KEY"])
        .env("XDG_RUNTIME_DIR", app.dir.path().join("run"))
        .env("TRESOR_STATE_DIR", app.dir.path().join("state"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.stdout, b"sk-personal");
    let no_app = Command::new(env!("CARGO_BIN_EXE_tresor"))
        .arg("--vault")
        .arg(&app.vault_path)
        .args(["get", "OPENAI_API_KEY"])
        .env("XDG_RUNTIME_DIR", app.dir.path().join("run"))
        .env("TRESOR_NO_APP", "1")
        .env_remove("TRESOR_PASSPHRASE_FILE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(no_app.status.code(), Some(2), "it tried to unlock itself: {}", text(&no_app.stderr));
    assert_eq!(app.asked.load(Ordering::SeqCst), 0);
}

#[test]
fn status_says_whether_the_app_serves_and_what_this_caller_may_reach() {
    let app = app();
    let before = app.cli(&["status"]);
    assert_eq!(before.status.code(), Some(0), "{}", text(&before.stderr));
    assert!(text(&before.stdout).contains("it is unlocked") && text(&before.stdout).contains("no approval"));
    app.cli(&["get", "OPENAI_API_KEY"]);
    let after = text(&app.cli(&["status"]).stdout);
    assert!(after.contains("OPENAI_API_KEY of Personal"), "{after}");
    app.server.lock();
    assert!(text(&app.cli(&["status"]).stdout).contains("it is locked"));
}

/// A request longer than the limit is refused unread; a garbled one too; nothing reaches the app.
#[test]
fn an_oversized_or_garbled_request_is_refused() {
    let app = app();
    let socket = std::fs::read_dir(app.dir.path().join("run/tresor")).unwrap().next().unwrap().unwrap().path();
    let mut stream = UnixStream::connect(&socket).unwrap();
    stream.write_all(&(2u32 * 1024 * 1024).to_be_bytes()).unwrap();
    let _ = stream.write_all(&vec![b'{'; 64 * 1024]);
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = Vec::new();
    use std::io::Read;
    let read = stream.read_to_end(&mut buf);
    assert!(read.is_err() || buf.is_empty(), "no answer to an oversized request: {buf:?}");
    let mut stream = UnixStream::connect(&socket).unwrap();
    stream.write_all(&[0, 0, 0, 5, b'n', b'o', b'p', b'e', b'!']).unwrap();
    let mut buf = Vec::new();
    let _ = stream.read_to_end(&mut buf);
    assert!(buf.is_empty());
    assert_eq!(app.asked.load(Ordering::SeqCst), 0);
}

/// The rules of who talks to whom: the folder and the socket must be the user's and closed to
/// others; a symlink is not followed; a socket nobody answers is a leftover, not an app.
#[test]
fn a_folder_or_socket_that_is_not_the_users_own_is_never_used() {
    let app = app();
    let run = app.dir.path().join("run");
    let folder = run.join("tresor");
    use std::os::unix::fs::PermissionsExt;
    // Open to others: refused (the command line then unlocks itself: here it cannot, exit 2).
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
    let open = app.cli(&["get", "OPENAI_API_KEY"]);
    assert_eq!(open.status.code(), Some(2), "{}", text(&open.stderr));
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o700)).unwrap();
    // Another user's folder (root passes permission checks: the folder is chowned).
    let nobody = 65534;
    std::os::unix::fs::chown(&folder, Some(nobody), Some(nobody)).unwrap();
    assert_eq!(app.cli(&["get", "OPENAI_API_KEY"]).status.code(), Some(2));
    std::os::unix::fs::chown(&folder, Some(0), Some(0)).unwrap();
    // A symlink in place of the folder.
    let real = run.join("real");
    std::fs::rename(&folder, &real).unwrap();
    std::os::unix::fs::symlink(&real, &folder).unwrap();
    assert_eq!(app.cli(&["get", "OPENAI_API_KEY"]).status.code(), Some(2));
    std::fs::remove_file(&folder).unwrap();
    std::fs::rename(&real, &folder).unwrap();
    // The socket chowned to another user: not used.
    let socket = app.server.socket().to_owned();
    std::os::unix::fs::chown(&socket, Some(nobody), Some(nobody)).unwrap();
    assert_eq!(app.cli(&["get", "OPENAI_API_KEY"]).status.code(), Some(2));
    std::os::unix::fs::chown(&socket, Some(0), Some(0)).unwrap();
    assert_eq!(app.cli(&["get", "OPENAI_API_KEY"]).stdout, b"sk-personal", "all in order again");
    assert_eq!(app.asked.load(Ordering::SeqCst), 1, "only that last one reached the app");
}

/// A process of another user (a real second uid) connecting to the app's socket gets nothing.
#[test]
fn another_users_process_gets_nothing_from_the_app() {
    if Command::new("setpriv").arg("--version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "CI has setpriv (util-linux)");
        return;
    }
    let app = app();
    let socket = app.server.socket().to_owned();
    // Let the other user reach the socket itself (only the peer check stands in its way). The
    // server may close before the request is even written (a broken pipe): that is "nothing" too.
    use std::os::unix::fs::PermissionsExt;
    for dir in [app.dir.path().to_owned(), app.dir.path().join("run"), app.dir.path().join("run/tresor")] {
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o711)).unwrap();
    }
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o777)).unwrap();
    let script = "import socket,sys,json,struct\ns=socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\n\
                  body=json.dumps({'version':1,'file':{'device':0,'inode':0},'question':'Status'}).encode()\n\
                  s.settimeout(5)\n\
                  try:\n s.sendall(struct.pack('>I',len(body))+body)\n d=s.recv(100)\nexcept OSError:\n d=b''\n\
                  print('answered' if d else 'nothing')\n";
    let out = Command::new("setpriv")
        .args(["--reuid", "65534", "--regid", "65534", "--clear-groups", "/usr/bin/python3", "-c", script])
        .arg(&socket)
        .output()
        .unwrap();
    assert_eq!(text(&out.stdout).trim(), "nothing", "{}", text(&out.stderr));
    assert_eq!(app.asked.load(Ordering::SeqCst), 0);
}

/// The app gone without cleaning up (killed): its socket answers nobody, and the command line
/// unlocks the vault itself.
#[test]
fn a_socket_left_by_a_killed_app_is_a_leftover() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    std::fs::create_dir(&run).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
    let vault_path = dir.path().join("vault.db");
    let mut vault = Vault::create(&vault_path, &Passphrase::new(PASS), KdfParams::insecure_for_tests()).unwrap();
    vault.create_secret(new_secret("OPENAI_API_KEY", "", "sk-personal")).unwrap();
    drop(vault);
    let server = Server::start_in(&run.join("tresor"), &vault_path, Arc::new(SystemClock), Box::new(|| {})).unwrap();
    let socket = server.socket().to_owned();
    drop(server);
    // What a killed app leaves: a socket file nobody listens on.
    drop(std::os::unix::net::UnixListener::bind(&socket).unwrap());
    assert!(socket.exists());
    let pass = dir.path().join("pass");
    common::write_private(&pass, format!("{PASS}\n"));
    let out = Command::new(env!("CARGO_BIN_EXE_tresor"))
        .arg("--vault")
        .arg(&vault_path)
        .args(["get", "OPENAI_API_KEY"])
        .env("XDG_RUNTIME_DIR", &run)
        .env("TRESOR_STATE_DIR", dir.path().join("state"))
        .env_remove("TRESOR_PASSPHRASE_FILE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "it went on to unlock the vault itself: {}", text(&out.stderr));
    // And a new app takes the leftover's place.
    let again = Server::start_in(&run.join("tresor"), &vault_path, Arc::new(SystemClock), Box::new(|| {}));
    assert!(again.is_ok(), "{:?}", again.err());
}

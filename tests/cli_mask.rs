//! `tresor run --mask`: every injected value in the program's output becomes `<NAME>` as it
//! streams, and Tresor, staying the program's parent, passes on its signals, its end, and its
//! terminal (a real pseudo-terminal here, opened by the test).
#![cfg(unix)]

mod common;
use common::cli::{CliEnv as Env, code, stderr, stdout};

use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

const PASS: &str = "correct horse battery staple";
const VALUE: &str = "sk-part-xyz";
/// Generous: CI is a loaded 2-core box.
const PATIENCE: Duration = Duration::from_secs(30);

fn setup() -> Env {
    let env = Env::new(PASS);
    env.set(&["API_KEY"], VALUE);
    env
}

/// Everything a stream has said so far, and a way to wait until it says something.
#[derive(Clone, Default)]
struct Heard(Arc<(Mutex<Vec<u8>>, Condvar)>);

impl Heard {
    /// Reads `from` on a thread until it ends (EOF, or EIO from a pseudo-terminal).
    fn listen(mut from: impl Read + Send + 'static) -> Heard {
        let heard = Heard::default();
        let sink = heard.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n) = from.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                sink.0.0.lock().unwrap().extend_from_slice(&buffer[..n]);
                sink.0.1.notify_all();
            }
        });
        heard
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.0.lock().unwrap()).into_owned()
    }

    /// Waits until `wanted` has been said; panics with everything said after [`PATIENCE`].
    fn wait_for(&self, wanted: &str) {
        let deadline = Instant::now() + PATIENCE;
        let mut said = self.0.0.lock().unwrap();
        while !String::from_utf8_lossy(&said).contains(wanted) {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "never said {wanted:?}; said {:?}", String::from_utf8_lossy(&said));
            said = self.0.1.wait_timeout(said, left).unwrap().0;
        }
    }
}

fn send(child: &Child, signal: libc::c_int) {
    // SAFETY: a signal to our own child.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
}

/// `tresor run --mask -- sh -c SCRIPT` with its stdout and stderr read as they come.
fn spawn_piped(env: &Env, script: &str) -> (Child, Heard, Heard) {
    let mut child = env
        .cmd(&["run", "--mask", "--", "sh", "-c", script])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = Heard::listen(child.stdout.take().unwrap());
    let err = Heard::listen(child.stderr.take().unwrap());
    (child, out, err)
}

#[test]
fn a_value_written_in_two_halves_is_masked_on_stdout_and_stderr() {
    let env = setup();
    let out = env.run(&[
        "run",
        "--mask",
        "--",
        "sh",
        "-c",
        "printf 'key=sk-pa'; sleep 0.2; printf 'rt-xyz.\\n'; printf sk-part- >&2; sleep 0.2; printf 'xyz!\\n' >&2",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "key=<API_KEY>.\n");
    assert_eq!(stderr(&out), "<API_KEY>!\n", "stderr is masked too, and stays apart from stdout");
}

#[test]
fn output_is_not_held_back_unless_it_could_be_a_value() {
    let env = setup();
    // The program prints, then waits: the line must reach us while it is still running.
    let (child, out, _) =
        spawn_piped(&env, "trap 'exit 0' USR1; echo 'a line with no value'; while :; do sleep 0.05; done");
    out.wait_for("a line with no value\n");
    send(&child, libc::SIGUSR1);
    assert_eq!(child.wait_with_output().unwrap().status.code(), Some(0));
}

#[test]
fn exit_codes_pass_through() {
    let env = setup();
    for wanted in [0, 3, 42] {
        let out = env.run(&["run", "--mask", "--", "sh", "-c", &format!("echo $API_KEY; exit {wanted}")]);
        assert_eq!(code(&out), wanted, "{}", stderr(&out));
        assert_eq!(stdout(&out), "<API_KEY>\n");
    }
}

#[test]
fn a_program_killed_by_a_signal_kills_tresor_by_the_same_signal() {
    let env = setup();
    let status = env.cmd(&["run", "--mask", "--", "sh", "-c", "kill -TERM $$"]).status().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status:?}");
}

#[test]
fn signals_sent_to_tresor_reach_the_program() {
    let env = setup();
    let script = "trap 'echo got-INT' INT; trap 'echo got-USR1' USR1; trap 'echo got-TERM; exit 5' TERM; \
                  echo ready; while :; do sleep 0.05; done";
    let (child, out, _) = spawn_piped(&env, script);
    out.wait_for("ready\n");
    for (signal, said) in [(libc::SIGINT, "got-INT"), (libc::SIGUSR1, "got-USR1"), (libc::SIGTERM, "got-TERM")] {
        send(&child, signal);
        out.wait_for(said);
    }
    let status = child.wait_with_output().unwrap().status;
    assert_eq!(status.code(), Some(5), "the program's own exit after its TERM trap: {}", out.text());
}

#[test]
fn a_closed_output_ends_the_program_as_a_broken_pipe_would() {
    let env = setup();
    let mut child = env
        .cmd(&["run", "--mask", "--", "sh", "-c", "while :; do echo $API_KEY; done"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 10];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    assert_eq!(&first, b"<API_KEY>\n");
    // The reading end is dropped, as `| head -n 1` would: the program dies of SIGPIPE, so Tresor does.
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGPIPE), "{status:?}");
}

#[test]
fn in_pipes_the_program_sees_no_terminal() {
    let env = setup();
    let out = env.run(&[
        "run",
        "--mask",
        "--",
        "sh",
        "-c",
        "[ -t 0 ] || echo in-not-tty; [ -t 1 ] || echo out-not-tty; [ -t 2 ] || echo err-not-tty >&2",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "in-not-tty\nout-not-tty\n");
    assert_eq!(stderr(&out), "err-not-tty\n");
}

#[test]
fn stdin_that_is_not_a_terminal_is_passed_through() {
    let env = setup();
    let out = env.run_with_stdin(&["run", "--mask", "--", "sh", "-c", "read line; echo \"read: $line\""], b"hello\n");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "read: hello\n");
}

#[test]
fn a_value_shorter_than_four_characters_is_not_masked_and_a_warning_names_it() {
    let env = setup();
    env.set(&["PIN"], "123");
    let out = env.run(&["run", "--mask", "--", "sh", "-c", "echo $PIN $API_KEY"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "123 <API_KEY>\n");
    assert!(stderr(&out).contains("warning: not masking PIN (shorter than 4 characters)"), "{}", stderr(&out));
}

#[test]
fn without_mask_run_does_not_mask() {
    let env = setup();
    let out = env.run(&["run", "--", "sh", "-c", "echo $API_KEY"]);
    assert_eq!((code(&out), stdout(&out)), (0, format!("{VALUE}\n")));
    assert!(env.ok(&["run", "--help"]).contains("--mask"), "run --help describes --mask");
    assert!(env.ok(&["run", "--help"]).contains("does not become the program"));
}

/// Tresor on a pseudo-terminal the test opens: its stdin, stdout and stderr and controlling
/// terminal, as in a terminal window of `rows` × `cols`.
struct Terminal {
    master: OwnedFd,
    tresor: Child,
    said: Heard,
}

impl Terminal {
    fn start(env: &Env, script: &str, rows: u16, cols: u16) -> Terminal {
        let size = libc::winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
        let (mut master, mut slave) = (-1, -1);
        // SAFETY: openpty fills two descriptors the test then owns.
        let opened = unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), &size) };
        assert_eq!(opened, 0, "{}", std::io::Error::last_os_error());
        // SAFETY: fresh descriptors.
        let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let mut command = env.cmd(&["run", "--mask", "--", "sh", "-c", script]);
        command
            .stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave));
        // SAFETY: setsid and ioctl are async-signal-safe.
        unsafe {
            command.pre_exec(|| {
                libc::setsid();
                if libc::ioctl(0, libc::TIOCSCTTY as _, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let tresor = command.spawn().unwrap();
        drop(command); // our copies of the terminal's side: EIO once Tresor's are gone
        let said = Heard::listen(std::fs::File::from(master.try_clone().unwrap()));
        Terminal { master, tresor, said }
    }

    fn resize(&self, rows: u16, cols: u16) {
        let size = libc::winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
        // SAFETY: sets the size of our own pseudo-terminal; the kernel sends WINCH to Tresor.
        assert_eq!(unsafe { libc::ioctl(self.master.as_raw_fd(), libc::TIOCSWINSZ, &size) }, 0);
    }

    fn type_keys(&self, keys: &[u8]) {
        // SAFETY: writes from a live slice to our own descriptor.
        let n = unsafe { libc::write(self.master.as_raw_fd(), keys.as_ptr().cast(), keys.len()) };
        assert_eq!(n, keys.len() as isize);
    }

    fn wait(mut self) -> std::process::ExitStatus {
        self.tresor.wait().unwrap()
    }
}

#[cfg(target_os = "linux")]
#[test]
fn on_a_terminal_the_program_has_one_with_colours_size_and_keys() {
    let env = setup();
    let script = "trap 'echo got-INT' INT; trap 'echo size-now; stty size; exit 7' WINCH; \
                  printf '\\033[31mred\\033[0m sk-pa'; sleep 0.2; printf 'rt-xyz\\n'; \
                  [ -t 0 ] && echo in-tty; [ -t 1 ] && echo out-tty; [ -t 2 ] && echo err-tty >&2; \
                  stty size; echo ready; while :; do sleep 0.05; done";
    let terminal = Terminal::start(&env, script, 24, 80);
    let said = &terminal.said;
    said.wait_for("ready");
    let text = said.text();
    assert!(text.contains("\x1b[31mred\x1b[0m <API_KEY>\r\n"), "colours pass, the value is masked: {text:?}");
    for tty in ["in-tty", "out-tty", "err-tty"] {
        assert!(text.contains(tty), "{tty}: {text:?}");
    }
    assert!(text.contains("24 80"), "the program's terminal has Tresor's size: {text:?}");
    // Ctrl+C typed on Tresor's terminal reaches the program's terminal as a key, once.
    terminal.type_keys(b"\x03");
    said.wait_for("got-INT");
    terminal.resize(33, 99);
    said.wait_for("size-now");
    said.wait_for("33 99");
    let text = said.text();
    assert_eq!(text.matches("got-INT").count(), 1, "{text:?}");
    let status = terminal.wait();
    assert_eq!(status.code(), Some(7), "{text:?}");
}

#[cfg(target_os = "linux")]
#[test]
fn on_a_terminal_a_signal_death_and_tresors_terminal_settings_come_back() {
    let env = setup();
    let terminal = Terminal::start(&env, "echo ready; while :; do sleep 0.05; done", 24, 80);
    terminal.said.wait_for("ready");
    send(&terminal.tresor, libc::SIGTERM);
    let master = terminal.master.try_clone().unwrap();
    let status = terminal.wait();
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status:?}");
    // Raw mode is undone: the terminal echoes and translates again.
    // SAFETY: reads the settings of our own pseudo-terminal.
    let settings = unsafe {
        let mut settings: libc::termios = std::mem::zeroed();
        assert_eq!(libc::tcgetattr(master.as_raw_fd(), &mut settings), 0);
        settings
    };
    assert_ne!(settings.c_lflag & libc::ECHO, 0, "echo is back on");
    assert_ne!(settings.c_lflag & libc::ICANON, 0, "line editing is back on");
}

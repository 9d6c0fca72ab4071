//! `tresor run --mask`: the program runs as Tresor's child, and every secret value in its stdout
//! and stderr becomes `<NAME>` on the way out (the masking itself: `interchange::mask`).
//!
//! Tresor cannot become the program here — it must stay to read the output — so it stands in for
//! it instead: every signal a supervisor sends (INT, TERM, HUP, QUIT, USR1, USR2) is passed on to
//! the program, a terminal's new size (WINCH) is copied to the program's terminal, and the
//! program's end is Tresor's: its exit code, or its death by a signal, re-raised on Tresor with
//! the default disposition.
//!
//! Each of stdin, stdout and stderr is a terminal for the program exactly when it is one for
//! Tresor: those get one pseudo-terminal (the program's controlling terminal, with Tresor's
//! terminal's settings and size), so colours, `isatty` and line editing still work; the rest are
//! pipes (stdout and stderr apart, both masked) or, for stdin, Tresor's own stdin. While the
//! program's stdin is the pseudo-terminal, Tresor's terminal is in raw mode: keys (Ctrl+C too)
//! reach the program's terminal untouched, which handles them as a terminal does.
//!
//! Memory: the process is made non-dumpable (no core file, no ptrace by the same user) before
//! the vault is read, and the values and any output held back are wiped when dropped.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};

use zeroize::Zeroizing;

use super::{CliError, CliResult};
use crate::interchange::mask::Masker;

/// The signals passed on to the program as they come.
const FORWARDED: [libc::c_int; 6] =
    [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT, libc::SIGUSR1, libc::SIGUSR2];

/// The write end of the self-pipe the signal handler reports on (-1 before it exists).
static SIGNAL_PIPE: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal(signal: libc::c_int) {
    let fd = SIGNAL_PIPE.load(Ordering::Relaxed);
    if fd >= 0 {
        let byte = signal as u8;
        // SAFETY: write(2) is async-signal-safe; a full pipe just drops the byte (the loop
        // also checks on the child every second).
        unsafe { libc::write(fd, (&raw const byte).cast(), 1) };
    }
}

/// No core dump and no ptrace by the same user: called before the values are read.
pub(super) fn protect_memory() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with these arguments only changes this process's flag.
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
}

fn check(result: libc::c_int) -> io::Result<libc::c_int> {
    if result < 0 { Err(io::Error::last_os_error()) } else { Ok(result) }
}

fn is_terminal(fd: RawFd) -> bool {
    // SAFETY: isatty only looks at the descriptor.
    unsafe { libc::isatty(fd) == 1 }
}

/// Tresor's terminal settings, put back when dropped (raw mode ends with the run, however).
struct RawMode(libc::termios);

impl RawMode {
    fn enter() -> io::Result<RawMode> {
        // SAFETY: tcgetattr/tcsetattr on stdin with a termios we own.
        unsafe {
            let mut saved = std::mem::zeroed();
            check(libc::tcgetattr(0, &mut saved))?;
            let mut raw = saved;
            libc::cfmakeraw(&mut raw);
            check(libc::tcsetattr(0, libc::TCSANOW, &raw))?;
            Ok(RawMode(saved))
        }
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        // SAFETY: puts back the settings read in `enter`.
        unsafe { libc::tcsetattr(0, libc::TCSANOW, &self.0) };
    }
}

/// Where the program's output comes from and where its masked copy goes.
struct Stream {
    /// `None` once Tresor's side of it is gone: closed, so the program's next write fails as
    /// it would have on Tresor's broken output (SIGPIPE).
    from: Option<OwnedFd>,
    to: RawFd,
    masker: Masker,
    /// A pseudo-terminal's master reports EIO, not EOF, once the program's side is closed.
    pty: bool,
}

impl Stream {
    fn fd(&self) -> RawFd {
        self.from.as_ref().map_or(-1, |fd| fd.as_raw_fd())
    }
}

/// Writes all of `bytes`; false if the descriptor is gone (a closed pipe, a hung-up terminal).
fn write_all(fd: RawFd, mut bytes: &[u8]) -> bool {
    while !bytes.is_empty() {
        // SAFETY: writes from a live slice.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if n < 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return false;
        }
        bytes = &bytes[n as usize..];
    }
    true
}

/// Runs `command` (environment set) with its output masked; returns its exit code, or dies of
/// the signal that killed it.
pub(super) fn run_masked(
    mut command: Command,
    masker: Masker,
    cannot_run: impl FnOnce(io::Error) -> CliError,
) -> CliResult<i32> {
    let failed = |what: &str, e: io::Error| CliError::other(format!("--mask: cannot {what}: {e}"));
    let terminal = [is_terminal(0), is_terminal(1), is_terminal(2)];
    // Tresor's terminal: its settings and size are the pseudo-terminal's.
    let own_terminal = [1, 2, 0].into_iter().find(|&fd| terminal[fd as usize]);

    let mut pty_master = None;
    if let Some(own) = own_terminal {
        // SAFETY: openpty fills the two descriptors; termios and winsize are read from a terminal.
        let (master, slave) = unsafe {
            let mut settings: libc::termios = std::mem::zeroed();
            let mut size: libc::winsize = std::mem::zeroed();
            let settings_ok = libc::tcgetattr(own, &mut settings) == 0;
            let size_ok = libc::ioctl(own, libc::TIOCGWINSZ, &mut size) == 0;
            let (mut master, mut slave) = (-1, -1);
            check(libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                if settings_ok { &settings } else { std::ptr::null() },
                if size_ok { &size } else { std::ptr::null() },
            ))
            .map_err(|e| failed("open a pseudo-terminal", e))?;
            for fd in [master, slave] {
                libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
            }
            (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave))
        };
        let slave_for = |fd: usize| -> CliResult<Option<Stdio>> {
            if !terminal[fd] {
                return Ok(None);
            }
            Ok(Some(Stdio::from(slave.try_clone().map_err(|e| failed("share the pseudo-terminal", e))?)))
        };
        if let Some(s) = slave_for(0)? {
            command.stdin(s);
        }
        command.stdout(slave_for(1)?.unwrap_or_else(Stdio::piped));
        command.stderr(slave_for(2)?.unwrap_or_else(Stdio::piped));
        // The program's own session, with the pseudo-terminal as its controlling terminal (on one
        // of its standard descriptors, which `Command` has put in place by now).
        let controlling = [0, 1, 2].into_iter().find(|&fd| terminal[fd as usize]).unwrap_or(0);
        // SAFETY: setsid and ioctl are async-signal-safe.
        unsafe {
            command.pre_exec(move || {
                check(libc::setsid())?;
                check(libc::ioctl(controlling, libc::TIOCSCTTY as _, 0))?;
                Ok(())
            });
        }
        drop(slave);
        pty_master = Some(master);
    } else {
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        // Its own process group: a signal to Tresor's group reaches it once, through Tresor.
        command.process_group(0);
    }

    // The self-pipe, and the handlers (exec puts them back to the default in the program).
    let (signals_in, signals_out) = {
        let mut fds = [0; 2];
        // SAFETY: pipe2 fills two descriptors this function then owns.
        check(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) })
            .map_err(|e| failed("create a pipe", e))?;
        // SAFETY: both are fresh descriptors.
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
    };
    SIGNAL_PIPE.store(signals_out.as_raw_fd(), Ordering::SeqCst);
    for signal in FORWARDED.into_iter().chain([libc::SIGWINCH, libc::SIGCHLD]) {
        // SAFETY: the handler only writes to the self-pipe.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as *const () as usize;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }

    let raw_mode =
        if terminal[0] { Some(RawMode::enter().map_err(|e| failed("set up the terminal", e))?) } else { None };
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => {
            drop(raw_mode);
            return Err(cannot_run(e));
        }
    };
    // The program's environment (the values) goes with the command.
    drop(command);
    let pid = child.id() as libc::pid_t;

    let mut streams = Vec::new();
    if let Some(master) = &pty_master {
        let to = own_terminal.expect("a pseudo-terminal only for a terminal");
        let master = master.try_clone().map_err(|e| failed("share the pseudo-terminal", e))?;
        streams.push(Stream { from: Some(master), to, masker: masker.clone(), pty: true });
    }
    if let Some(out) = child.stdout.take() {
        streams.push(Stream { from: Some(out.into()), to: 1, masker: masker.clone(), pty: false });
    }
    if let Some(err) = child.stderr.take() {
        streams.push(Stream { from: Some(err.into()), to: 2, masker: masker.clone(), pty: false });
    }
    drop(masker);
    let keys_to = pty_master.as_ref().filter(|_| terminal[0]).map(|m| m.as_raw_fd());

    let status = pump(pid, &mut streams, keys_to, &signals_in);
    drop(raw_mode);
    SIGNAL_PIPE.store(-1, Ordering::SeqCst);
    if libc::WIFSIGNALED(status) {
        let signal = libc::WTERMSIG(status);
        // SAFETY: the default disposition, unblocked, then the same death as the program's.
        unsafe {
            libc::signal(signal, libc::SIG_DFL);
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, signal);
            libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
            libc::raise(signal);
        }
        return Ok(128 + signal);
    }
    Ok(libc::WEXITSTATUS(status))
}

/// Moves bytes (output masked, keys to the program's terminal) and signals until the program has
/// ended and its output is drained; returns its wait status.
fn pump(pid: libc::pid_t, streams: &mut [Stream], keys_to: Option<RawFd>, signals: &OwnedFd) -> libc::c_int {
    let mut buffer = Zeroizing::new(vec![0u8; 16 * 1024]);
    let mut masked = Zeroizing::new(Vec::with_capacity(32 * 1024));
    let mut open = vec![true; streams.len()];
    let mut keys_open = keys_to.is_some();
    let mut status = None;
    loop {
        if status.is_none() {
            let mut raw = 0;
            // SAFETY: waits for our own child without blocking.
            if unsafe { libc::waitpid(pid, &mut raw, libc::WNOHANG) } == pid {
                status = Some(raw);
            }
        }
        if let Some(raw) = status
            && !open.contains(&true)
        {
            return raw;
        }
        let mut polled = vec![libc::pollfd { fd: signals.as_raw_fd(), events: libc::POLLIN, revents: 0 }];
        for (stream, _) in streams.iter().zip(&open).filter(|(_, open)| **open) {
            polled.push(libc::pollfd { fd: stream.fd(), events: libc::POLLIN, revents: 0 });
        }
        if keys_open && status.is_none() {
            polled.push(libc::pollfd { fd: 0, events: libc::POLLIN, revents: 0 });
        }
        // Once the program has ended, what is left of its output comes at once; a process it
        // left behind holding the output open does not keep Tresor waiting.
        let timeout = if status.is_some() { 200 } else { 1000 };
        // SAFETY: polls descriptors this function holds open.
        let ready = unsafe { libc::poll(polled.as_mut_ptr(), polled.len() as _, timeout) };
        if ready < 0 {
            continue; // EINTR: a signal, reported on the self-pipe
        }
        if ready == 0 && status.is_some() {
            for (stream, open) in streams.iter_mut().zip(&mut open).filter(|(_, open)| **open) {
                stream.masker.finish(&mut masked);
                write_all(stream.to, &masked);
                masked.clear();
                *open = false;
            }
            continue;
        }
        for entry in polled.iter().filter(|p| p.revents != 0) {
            let fd = entry.fd;
            // SAFETY: reads into a buffer we own.
            let n = unsafe { libc::read(fd, buffer.as_mut_ptr().cast(), buffer.len()) };
            if fd == signals.as_raw_fd() {
                for &signal in &buffer[..n.max(0) as usize] {
                    forward(pid, signal as libc::c_int, streams, keys_to);
                }
            } else if Some(fd) == Some(0).filter(|_| keys_open) {
                match n {
                    n if n > 0 => {
                        write_all(keys_to.expect("keys go to a terminal"), &buffer[..n as usize]);
                    }
                    0 => keys_open = false,
                    _ if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => {}
                    _ => keys_open = false,
                }
            } else if let Some(index) = streams.iter().position(|s| s.fd() == fd) {
                let stream = &mut streams[index];
                if n > 0 {
                    stream.masker.feed(&buffer[..n as usize], &mut masked);
                } else if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                    continue;
                } else {
                    // EOF, or EIO from a pseudo-terminal whose other side is closed.
                    stream.masker.finish(&mut masked);
                    open[index] = false;
                }
                if !write_all(stream.to, &masked) && !stream.pty {
                    // Tresor's output is gone (`| head`): the program's is too.
                    stream.from = None;
                    open[index] = false;
                }
                masked.clear();
            }
        }
    }
}

/// What a signal to Tresor does: a new size goes to the program's terminal (which tells the
/// program), the child's end is looked at by the loop, the rest go to the program.
fn forward(pid: libc::pid_t, signal: libc::c_int, streams: &[Stream], keys_to: Option<RawFd>) {
    match signal {
        libc::SIGCHLD => {}
        libc::SIGWINCH => {
            let Some(master) = streams.iter().find(|s| s.pty && s.from.is_some()).map(Stream::fd).or(keys_to) else {
                return;
            };
            let own = [1, 2, 0].into_iter().find(|&fd| is_terminal(fd));
            if let Some(own) = own {
                // SAFETY: copies a winsize from Tresor's terminal to the pseudo-terminal.
                unsafe {
                    let mut size: libc::winsize = std::mem::zeroed();
                    if libc::ioctl(own, libc::TIOCGWINSZ, &mut size) == 0 {
                        libc::ioctl(master, libc::TIOCSWINSZ, &size);
                    }
                }
            }
        }
        // SAFETY: sends a signal to our own child.
        signal => unsafe {
            libc::kill(pid, signal);
        },
    }
}

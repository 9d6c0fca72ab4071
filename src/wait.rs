//! A thread that sleeps until a descriptor has something to read, or until it is told to stop —
//! without polling: the app's server (waiting for connections) and the vault watch (waiting for
//! the folder's changes) both wait so, and an idle app wakes for nothing.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// The waiting side: [`Waiter::readable`] returns once `fd` can be read or the [`Stopper`] is
/// dropped.
pub struct Waiter(OwnedFd);

/// Dropping it stops the waiter (its pipe's write end closes).
pub struct Stopper(#[allow(dead_code)] OwnedFd);

/// A waiter and its stopper (a pipe, close-on-exec).
pub fn pair() -> std::io::Result<(Waiter, Stopper)> {
    let mut pipe = [0; 2];
    // SAFETY: pipe2 writes two descriptors into the array; the result is checked.
    if unsafe { libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just created and are owned here.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(pipe[0]), OwnedFd::from_raw_fd(pipe[1])) };
    Ok((Waiter(read), Stopper(write)))
}

impl Waiter {
    /// Sleeps until `fd` has something to read (`true`), or until the stopper is gone or the
    /// wait fails (`false`: stop).
    pub fn readable(&self, fd: &impl AsRawFd) -> bool {
        loop {
            let mut fds = [
                libc::pollfd { fd: fd.as_raw_fd(), events: libc::POLLIN, revents: 0 },
                libc::pollfd { fd: self.0.as_raw_fd(), events: libc::POLLIN, revents: 0 },
            ];
            // SAFETY: two valid pollfd entries; -1 waits without a timeout (nothing polls).
            let ready = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
            if ready < 0 {
                if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return false;
            }
            // The stopper was dropped (or the pipe broke): stop.
            return fds[1].revents == 0;
        }
    }
}

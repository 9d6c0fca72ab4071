//! The command line's side: finds the app that serves a vault file, checks that both the socket
//! and the process behind it are the user's own, asks, and waits (for the user's approval, or for
//! the app to be unlocked) as long as the app says it is worth waiting.

use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use super::wire::{FrameError, read_frame, write_frame};
use super::{APPROVAL_TIMEOUT, FileRef, Hello, LOCKED_WAIT, MAX_RESPONSE, Question, READ_TIMEOUT, Reply, VERSION};

/// How asking the app went.
#[derive(Debug)]
pub enum Asked {
    /// No app serves this file (or not one that may be trusted): do without it. `why`, for
    /// `tresor status`.
    NoApp { why: String },
    /// The app's final word.
    Replied(Reply),
}

/// Asks the app that serves the vault file at `vault` (which exists). `waiting` is called once
/// per wait the app announces (`true`: for an unlock), so that the command line can say it waits.
pub fn ask(vault: &Path, question: Question, mut waiting: impl FnMut(bool)) -> Asked {
    let no_app = |why: String| Asked::NoApp { why };
    let folder = match super::runtime_folder() {
        Ok(folder) => folder,
        Err(why) => return no_app(why),
    };
    if std::fs::symlink_metadata(&folder).is_err() {
        return no_app("no Tresor app serves any vault here".into());
    }
    if let Err(why) = super::check_folder(&folder) {
        return no_app(why);
    }
    let Ok(socket) = super::socket_path(&folder, vault) else { return no_app("the vault file cannot be read".into()) };
    if let Err(why) = check_socket(&socket) {
        return no_app(why);
    }
    let Ok(mut stream) = UnixStream::connect(&socket) else {
        return no_app("no Tresor app serves this vault".into());
    };
    // The process behind the socket must be the user's too.
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    match super::server::peer(&stream) {
        Some((uid, _)) if uid == me => {}
        _ => return no_app("the socket is served by another user's process; not used".into()),
    }
    let Ok((device, inode)) = super::file_identity(vault) else {
        return no_app("the vault file cannot be read".into());
    };
    let hello = Hello { version: VERSION, file: FileRef { device, inode }, question };
    let _ = stream.set_write_timeout(Some(READ_TIMEOUT));
    if write_frame(&mut stream, &hello).is_err() {
        return no_app("the app did not take the request".into());
    }
    // An approved request is answered at once; a large one (a listing of 100,000 names) takes a
    // moment. The app says when it waits for the user.
    let mut wait = Duration::from_secs(30);
    loop {
        let _ = stream.set_read_timeout(Some(wait));
        match read_frame::<Reply>(&mut stream, MAX_RESPONSE) {
            Ok(Reply::Waiting { for_unlock }) => {
                waiting(for_unlock);
                wait = if for_unlock { LOCKED_WAIT } else { APPROVAL_TIMEOUT } + Duration::from_secs(5);
            }
            Ok(reply) => return Asked::Replied(reply),
            Err(FrameError::Io(e))
                if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) =>
            {
                return Asked::Replied(Reply::Denied);
            }
            Err(e) => return no_app(format!("the app's answer could not be read ({e})")),
        }
    }
}

/// A socket of this user's (looked at with `lstat`: not a symlink, not planted by someone else).
fn check_socket(socket: &Path) -> Result<(), String> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let meta = std::fs::symlink_metadata(socket).map_err(|_| "no Tresor app serves this vault".to_owned())?;
    if !meta.file_type().is_socket() {
        return Err(format!("{} is not a socket; not used", socket.display()));
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(format!("{} belongs to another user (uid {}); not used", socket.display(), meta.uid()));
    }
    Ok(())
}

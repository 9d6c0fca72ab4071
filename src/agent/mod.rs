//! Unlock once: while the app has a vault unlocked, the command line (`get`, `list`, `run`, `diff`,
//! `inject`) of the same user on this machine reaches that vault through the app, after the user
//! approves it there, without a passphrase and without deriving a key. This comment is the
//! protocol's specification.
//!
//! ## Where
//!
//! One Unix socket per vault *file* the app has open: `$XDG_RUNTIME_DIR/tresor/<id>.sock`, where
//! `<id>` is the first 16 bytes (hex) of SHA-256 over the file's device and inode numbers and its
//! canonical path. A backup or a copy of the vault opened with `--vault` is another file: another
//! socket, which the app does not serve. The folder is created 0700 by the app, and checked with
//! `lstat` by both sides: a directory (not a symlink), owned by the user, no access for others.
//! Without `XDG_RUNTIME_DIR` (or with one that fails those checks) the app does not serve (and
//! says so in Vault settings) and the command line does not look: there is no fallback to `/tmp`
//! or to an abstract socket. No token is kept in any variable or file.
//!
//! ## Who
//!
//! The app accepts a connection only from a process of its own user (`SO_PEERCRED`), and the
//! command line talks only to a socket owned by its user and to a server process of its user
//! (`SO_PEERCRED` of the server): a socket someone else planted is never used. Everything about
//! the caller the app shows (its program and parent chain, its folder, its terminal) is read
//! from `/proc/<pid>` of the pid the kernel reports, not from what the caller says.
//!
//! ## Messages (version 1)
//!
//! Each message is a frame: a 4-byte big-endian length, then that many bytes of JSON. A frame
//! from a client is at most [`MAX_REQUEST`] bytes, one from the app at most [`MAX_RESPONSE`]; a
//! longer one is refused and the connection closed. A client sends exactly one [`Hello`] (the
//! protocol version, the file it means — device and inode — and a [`Question`]) within
//! [`READ_TIMEOUT`]. The app answers with any number of [`Reply::Waiting`] (for the user's
//! approval, or for an unlock) and then one final reply: [`Reply::Done`] (the request's
//! response or failure), [`Reply::Denied`], or [`Reply::Unavailable`] (the client then does what
//! it would have done without the app: unlock the vault itself). A client that gets a version it
//! does not know, or any malformed frame, treats the app as absent.
//!
//! Only reads are served ([`crate::vault::ops::Request::servable`]): writes and vault
//! administration unlock the vault as before. No request returns key material, and there is no
//! "decrypt this" request: what the app answers is what `tresor get`, `list`, `run`, `diff` and `inject`
//! print.

pub mod approvals;
pub mod caller;
#[cfg(unix)]
pub mod client;
#[cfg(unix)]
pub mod server;
pub mod wire;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::vault::ops::{Failure, Request, Response};

/// The protocol's version (see the module's documentation).
pub const VERSION: u32 = 1;
/// The longest frame a client may send.
pub const MAX_REQUEST: usize = 1024 * 1024;
/// The longest frame the app sends (a `run` of many large values).
pub const MAX_RESPONSE: usize = 256 * 1024 * 1024;
/// How long the app waits for a client's hello, and either side for the rest of a frame.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How long an approval dialog waits for the user: no answer denies.
pub const APPROVAL_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a client waits for a locked app to be unlocked before it unlocks the vault itself.
pub const LOCKED_WAIT: Duration = Duration::from_secs(20);

/// The vault file a client means: the app answers only for the very file it has open (the same
/// device and inode: not a copy, not a file put in its place since).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    pub device: u64,
    pub inode: u64,
}

/// What a client asks: a request of the vault, or how things stand (`tresor status`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Question {
    Request(Request),
    Status,
}

/// A client's one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    pub version: u32,
    pub file: FileRef,
    pub question: Question,
}

/// What the app says to a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reply {
    /// Not the final word yet: the app asks the user (`approval`), or waits to be unlocked.
    Waiting {
        for_unlock: bool,
    },
    Done(Result<Response, Failure>),
    /// The user denied it (or did not answer in time).
    Denied,
    /// The app does not answer this (another file, a write, …): the client goes on without it.
    /// `locked`: the app stayed locked for [`LOCKED_WAIT`]. `why`, for a message.
    Unavailable {
        why: String,
        locked: bool,
    },
    /// The answer to [`Question::Status`].
    Status(Status),
}

/// How things stand, for `tresor status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub locked: bool,
    /// The approvals of the asking terminal (or tool), in words.
    pub approvals: Vec<String>,
}

/// The folder the sockets live in: `$XDG_RUNTIME_DIR/tresor`; `Err` says why there is none.
pub fn runtime_folder() -> Result<PathBuf, String> {
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .filter(|d| !d.is_empty())
        .ok_or_else(|| "XDG_RUNTIME_DIR is not set".to_owned())?;
    let base = PathBuf::from(base);
    if !base.is_absolute() {
        return Err(format!("XDG_RUNTIME_DIR ({}) is not an absolute path", base.display()));
    }
    Ok(base.join("tresor"))
}

/// Checks a folder the sockets may live in: a directory, not a symlink, this user's, and closed
/// to everyone else (looked at with `lstat`).
pub fn check_folder(dir: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta =
            std::fs::symlink_metadata(dir).map_err(|e| format!("{}: {}", dir.display(), crate::fs::io_reason(&e)))?;
        if meta.file_type().is_symlink() {
            return Err(format!("{} is a symbolic link", dir.display()));
        }
        if !meta.is_dir() {
            return Err(format!("{} is not a folder", dir.display()));
        }
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        if meta.uid() != me {
            return Err(format!("{} belongs to another user (uid {})", dir.display(), meta.uid()));
        }
        if meta.mode() & 0o077 != 0 {
            return Err(format!("others can use {} (mode {:04o})", dir.display(), meta.mode() & 0o7777));
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Err("serving the command line needs Unix sockets".to_owned())
    }
}

/// The socket of the vault file at `vault` (which exists).
pub fn socket_path(folder: &Path, vault: &Path) -> std::io::Result<PathBuf> {
    let (device, inode) = file_identity(vault)?;
    let canonical = std::fs::canonicalize(vault)?;
    let digest = crate::vault::crypto::sha256(&[
        &device.to_le_bytes(),
        &inode.to_le_bytes(),
        canonical.as_os_str().as_encoded_bytes(),
    ]);
    Ok(folder.join(format!("{}.sock", crate::state::hex(&digest[..16]))))
}

/// The device and inode numbers of the file at `path`.
pub fn file_identity(path: &Path) -> std::io::Result<(u64, u64)> {
    let meta = std::fs::metadata(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Ok((meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        Ok((0, 0))
    }
}

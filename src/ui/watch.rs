//! Wakes the window when another process changes the open vault: the command line, a second
//! window. The file system says when the vault or its WAL changed (inotify, on the vault's
//! folder); the next frame then asks SQLite whether another connection committed (`PRAGMA
//! data_version`, see `Vault::changed_elsewhere`) and, if one did, reads again what is shown.
//! Nothing polls: an idle window with an idle vault is woken by nothing.
//!
//! The watcher does not open the vault or the files beside it (closing such a descriptor would
//! drop this process's locks on them: see `vault::held`); it watches their folder by name.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A running watch of one vault file's folder; stopped when dropped.
pub(super) struct Watch {
    changed: Arc<AtomicBool>,
    /// Dropping it wakes the thread, which then ends.
    #[cfg(target_os = "linux")]
    _stop: crate::wait::Stopper,
}

impl Watch {
    /// Starts watching the vault at `vault_path`; `None` where the system cannot (the app then
    /// still sees other processes' changes at its next frame, as before).
    pub fn start(ctx: &egui::Context, vault_path: &Path) -> Option<Watch> {
        let changed = Arc::new(AtomicBool::new(false));
        #[cfg(target_os = "linux")]
        {
            let stop = linux::spawn(ctx.clone(), vault_path, changed.clone())?;
            Some(Watch { changed, _stop: stop })
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (ctx, vault_path, changed);
            None
        }
    }

    /// Starts watching a synced vault's folder (`FOLDER/tresor-<id>/`) and its device folders
    /// `dirs`: a change file or a device folder appearing wakes the window. `None` where the
    /// system cannot (the app then syncs only on its own changes and on request).
    pub fn start_sync(ctx: &egui::Context, dirs: Vec<std::path::PathBuf>) -> Option<Watch> {
        let changed = Arc::new(AtomicBool::new(false));
        #[cfg(target_os = "linux")]
        {
            let stop = linux::spawn_sync(ctx.clone(), dirs, changed.clone())?;
            Some(Watch { changed, _stop: stop })
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (ctx, dirs, changed);
            None
        }
    }

    /// Whether the folder reported a change to the vault since the last call.
    pub fn take_changed(&self) -> bool {
        self.changed.swap(false, Ordering::AcqRel)
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::ffi::CString;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

    use crate::wait::{Stopper, Waiter};
    use std::os::unix::ffi::OsStrExt;
    use std::path::Path;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Starts the thread; dropping what it returns stops it.
    pub fn spawn(ctx: egui::Context, vault_path: &Path, changed: Arc<AtomicBool>) -> Option<Stopper> {
        let folder = match vault_path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => Path::new(".").to_owned(),
        };
        let name = vault_path.file_name()?.to_owned();
        let mut wal = name.clone();
        wal.push("-wal");
        // SAFETY: inotify_init1 takes flags only; the result is checked.
        let inotify = unsafe { libc::inotify_init1(libc::IN_CLOEXEC) };
        if inotify < 0 {
            return None;
        }
        // SAFETY: a fresh descriptor this function owns from here on.
        let inotify = unsafe { OwnedFd::from_raw_fd(inotify) };
        let folder_c = CString::new(folder.as_os_str().as_bytes()).ok()?;
        let mask = libc::IN_MODIFY | libc::IN_CLOSE_WRITE | libc::IN_CREATE | libc::IN_MOVED_TO | libc::IN_DELETE;
        // SAFETY: a valid inotify descriptor and a NUL-terminated path.
        if unsafe { libc::inotify_add_watch(inotify.as_raw_fd(), folder_c.as_ptr(), mask) } < 0 {
            return None;
        }
        let (waiter, stopper) = crate::wait::pair().ok()?;
        let names = [name.as_bytes().to_vec(), wal.as_bytes().to_vec()];
        let wanted = move |name: &[u8]| names.iter().any(|n| n.as_slice() == name);
        std::thread::Builder::new()
            .name("vault-watch".into())
            .spawn(move || watch(ctx, inotify, &waiter, wanted, changed))
            .ok()?;
        Some(stopper)
    }

    /// The watch of a synced folder: `dirs` (the vault's folder in it and each device's), for
    /// change files and new device folders.
    pub fn spawn_sync(ctx: egui::Context, dirs: Vec<std::path::PathBuf>, changed: Arc<AtomicBool>) -> Option<Stopper> {
        // SAFETY: inotify_init1 takes flags only; the result is checked.
        let inotify = unsafe { libc::inotify_init1(libc::IN_CLOEXEC) };
        if inotify < 0 {
            return None;
        }
        // SAFETY: a fresh descriptor this function owns from here on.
        let inotify = unsafe { OwnedFd::from_raw_fd(inotify) };
        let mask = libc::IN_CLOSE_WRITE | libc::IN_CREATE | libc::IN_MOVED_TO;
        for dir in &dirs {
            let dir_c = CString::new(dir.as_os_str().as_bytes()).ok()?;
            // SAFETY: a valid inotify descriptor and a NUL-terminated path.
            if unsafe { libc::inotify_add_watch(inotify.as_raw_fd(), dir_c.as_ptr(), mask) } < 0 {
                return None;
            }
        }
        let (waiter, stopper) = crate::wait::pair().ok()?;
        // A change file (`….tchange`, conflict copies too) or a device folder (32 hex digits).
        let wanted =
            |name: &[u8]| name.ends_with(b".tchange") || (name.len() == 32 && name.iter().all(u8::is_ascii_hexdigit));
        std::thread::Builder::new()
            .name("sync-watch".into())
            .spawn(move || watch(ctx, inotify, &waiter, wanted, changed))
            .ok()?;
        Some(stopper)
    }

    fn watch(
        ctx: egui::Context,
        inotify: OwnedFd,
        waiter: &Waiter,
        wanted: impl Fn(&[u8]) -> bool,
        changed: Arc<AtomicBool>,
    ) {
        let mut buffer = [0u8; 4096];
        // Until the app drops the watch.
        while waiter.readable(&inotify) {
            // SAFETY: reads into a buffer of its own length from a descriptor owned here.
            let read = unsafe { libc::read(inotify.as_raw_fd(), buffer.as_mut_ptr().cast(), buffer.len()) };
            if read <= 0 {
                return;
            }
            if events_name(&buffer[..read as usize], &wanted) {
                changed.store(true, Ordering::Release);
                ctx.request_repaint();
            }
        }
    }

    /// Whether any event in `bytes` (a run of `struct inotify_event`) is about a `wanted` name.
    fn events_name(bytes: &[u8], wanted: &impl Fn(&[u8]) -> bool) -> bool {
        const HEADER: usize = std::mem::size_of::<libc::inotify_event>();
        let mut at = 0;
        while at + HEADER <= bytes.len() {
            let len = u32::from_ne_bytes(bytes[at + HEADER - 4..at + HEADER].try_into().expect("4 bytes")) as usize;
            let name = bytes.get(at + HEADER..at + HEADER + len).unwrap_or_default();
            let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
            if wanted(name) {
                return true;
            }
            at += HEADER + len;
        }
        false
    }
}

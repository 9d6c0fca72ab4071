//! Private folders and files, the one place that creates them: the vault, its backups, exports
//! and the app's preferences all go through here. Folders are made 0700 and files 0600 from the
//! first byte (never widened after the fact, so no other user can open them in between); new
//! files are opened without following a symlink planted at their path; a replaced file is never
//! half-written (temporary file, fsync, rename, fsync of the folder).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path`, which is created with mode 0600 on Unix (never widened after the
/// fact, so no other user can open it in between). Without `overwrite`, an existing `path` is an
/// [`io::ErrorKind::AlreadyExists`] error and is left alone.
///
/// The bytes go to a temporary file in the same folder, are flushed to disk, and only then take
/// `path`'s place: by rename when overwriting (atomic replace), by hard link otherwise (atomic and
/// refuses an existing file). A crash or a full disk leaves either the old state or the whole new
/// file, and the temporary file is removed on failure. On file systems without hard links the
/// new file is created in place and removed again if writing fails.
pub fn write_private_file(path: &Path, bytes: &[u8], overwrite: bool) -> io::Result<()> {
    let file_name =
        path.file_name().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path does not name a file"))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !overwrite && path.symlink_metadata().is_ok() {
        return Err(io::Error::new(io::ErrorKind::AlreadyExists, "the file already exists"));
    }
    let (temp, mut file) = create_temp(dir, &file_name.to_string_lossy())?;
    let result = (|| {
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        if overwrite {
            fs::rename(&temp, path)?;
        } else {
            match fs::hard_link(&temp, path) {
                Ok(()) => fs::remove_file(&temp)?,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(e),
                Err(_) => {
                    fs::remove_file(&temp)?;
                    return write_in_place(path, bytes);
                }
            }
        }
        sync_dir(dir);
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Replaces `path` with `bytes` through a temporary file and a rename (so a reader sees the old
/// file or the whole new one), without flushing anything to the disk: a crash may leave the old
/// file, or (on some file systems) an empty one. Only for data whose loss is safe.
pub fn replace_private_file_unsynced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let file_name =
        path.file_name().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path does not name a file"))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let (temp, mut file) = create_temp(dir, &file_name.to_string_lossy())?;
    let result = file.write_all(bytes).and_then(|()| {
        drop(file);
        fs::rename(&temp, path)
    });
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Creates `dir` (and its parents) 0700 on Unix when it does not exist yet.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.exists() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates a new, empty file, 0600 on Unix; an existing file (or a symlink) at `path` is an
/// [`io::ErrorKind::AlreadyExists`] error.
pub fn create_private_file(path: &Path) -> io::Result<File> {
    private_options().open(path)
}

fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    // `create_new` is O_CREAT|O_EXCL, which never follows a symlink at the path. Readable too: a
    // new vault file's descriptor is the one its connections share (`vault::held`), and reads it.
    options.read(true).write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Flushes a file's contents to the disk.
pub fn sync_file(path: &Path) -> io::Result<()> {
    File::open(path).and_then(|f| f.sync_all())
}

/// A new, empty 0600 file next to the target, with a random name that no one else uses.
fn create_temp(dir: &Path, file_name: &str) -> io::Result<(PathBuf, File)> {
    let mut last_error = None;
    for _ in 0..16 {
        let mut random = [0u8; 6];
        getrandom::fill(&mut random).map_err(|e| io::Error::other(e.to_string()))?;
        let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let temp = dir.join(format!(".{file_name}.{suffix}.tmp"));
        match private_options().open(&temp) {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_error = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last_error.unwrap_or_else(|| io::Error::other("cannot create a temporary file")))
}

/// The fallback without hard links: create the file itself, and remove it if writing fails.
fn write_in_place(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = private_options().open(path)?;
    let result = file.write_all(bytes).and_then(|_| file.sync_all());
    if result.is_err() {
        drop(file);
        let _ = fs::remove_file(path);
    }
    result
}

/// Makes new directory entries durable too (best effort: not every platform can).
pub fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Why a file or folder is not fit to hold secrets, in words for a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsafe(pub String);

/// Opens an existing file for reading without following a symlink at `path`, and checks the
/// opened file itself (not the path, which could be swapped in between): a regular file, owned
/// by this user, that nobody else may write to. `Ok(Err(_))`: the file is there but unsafe.
pub fn open_private_file(path: &Path) -> io::Result<Result<File, Unsafe>> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW);
    let file = match options.open(path) {
        #[cfg(unix)]
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Ok(Err(Unsafe("it is a symbolic link".into())));
        }
        other => other?,
    };
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(Err(Unsafe("it is not a regular file".into())));
    }
    Ok(check_owned_private(&meta).map(|()| file))
}

/// [`open_private_file`]'s checks of the directory entry at `path` itself (`lstat`), without
/// opening it: for SQLite's files beside an open vault, which this process must not open and
/// close (see `vault::held`).
pub fn check_private_entry(path: &Path) -> io::Result<Result<(), Unsafe>> {
    let meta = fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() {
        return Ok(Err(Unsafe("it is a symbolic link".into())));
    }
    if !meta.is_file() {
        return Ok(Err(Unsafe("it is not a regular file".into())));
    }
    Ok(check_owned_private(&meta))
}

/// Checks a folder Tresor keeps its own files in (the backups folder): not a symlink, owned by
/// this user, and not writable by anyone else.
pub fn check_private_dir(dir: &Path) -> io::Result<Result<(), Unsafe>> {
    let meta = fs::symlink_metadata(dir)?;
    if meta.file_type().is_symlink() {
        return Ok(Err(Unsafe("it is a symbolic link".into())));
    }
    if !meta.is_dir() {
        return Ok(Err(Unsafe("it is not a folder".into())));
    }
    // Opened, and checked again on the descriptor: the path could have been swapped meanwhile.
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW | libc::O_DIRECTORY);
    let opened = options.open(dir)?.metadata()?;
    if !opened.is_dir() {
        return Ok(Err(Unsafe("it is not a folder".into())));
    }
    Ok(check_owned_private(&opened))
}

/// Checks the folder that holds the vault: it may belong to anyone (a home folder, `/tmp`), but
/// if others can write to it, it must be a sticky folder like `/tmp`, where nobody can rename or
/// delete another user's files.
pub fn check_vault_folder(dir: &Path) -> io::Result<Result<(), Unsafe>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir)?.permissions().mode();
        if mode & 0o022 != 0 && mode & 0o1000 == 0 {
            return Ok(Err(Unsafe(format!(
                "other users can write to the folder {} (mode {:04o}) and it is not a sticky folder like /tmp",
                dir.display(),
                mode & 0o7777
            ))));
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(Ok(()))
}

#[cfg(unix)]
fn check_owned_private(meta: &fs::Metadata) -> Result<(), Unsafe> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(Unsafe(format!("it belongs to another user (uid {})", meta.uid())));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(Unsafe(format!("other users can write to it (mode {:04o})", meta.mode() & 0o7777)));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_owned_private(_: &fs::Metadata) -> Result<(), Unsafe> {
    Ok(())
}

/// Whether `a` and `b` are the same file (device and inode), to tell that the file a path names
/// now is the one that was checked.
pub fn same_file(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        a.dev() == b.dev() && a.ino() == b.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        true
    }
}

/// An I/O error as a short, lower-case reason for a message ("no such file or folder").
pub fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or folder".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => {
            let text = e.to_string();
            let text = text.split(" (os error").next().unwrap_or(&text).to_owned();
            text.to_lowercase()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leftovers(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect()
    }

    #[test]
    fn creates_the_file_private_and_refuses_to_overwrite_unless_asked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.env");
        write_private_file(&path, b"A=1\n", false).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"A=1\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let err = write_private_file(&path, b"B=2\n", false).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&path).unwrap(), b"A=1\n", "the existing file is untouched");

        write_private_file(&path, b"C=3\n", true).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"C=3\n");
        assert!(leftovers(dir.path()).is_empty(), "{:?}", leftovers(dir.path()));
    }

    #[cfg(unix)]
    #[test]
    fn an_overwritten_file_becomes_private_too() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("world-readable.env");
        fs::write(&path, "old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        write_private_file(&path, b"new", true).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }

    #[test]
    fn a_missing_folder_is_an_error_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no-such-folder").join("out.env");
        assert_eq!(write_private_file(&path, b"x", false).unwrap_err().kind(), io::ErrorKind::NotFound);
        assert!(!path.exists());
    }
}

//! The synced folder on disk: publishing a device's next change file, and gathering every
//! device's candidates for [`super::file::read_chain`].

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use super::file::{self, Found, Header, MAX_FILE_LEN};
use super::{DeviceId, unhex};
use crate::vault::crypto::{DeviceSecret, VaultKeys};

/// The most candidates (a file and its conflict copies) read for one number of one device.
const MAX_CANDIDATES: usize = 8;

/// A change file's bytes: opened without following a link, checked to be a regular file of at
/// most [`MAX_FILE_LEN`] bytes on the open descriptor, read no further than that. `None`: not
/// a file to consider (a link, a folder, too large). A file swapped between the check and the
/// read cannot make it read more.
fn read_change_file(path: &Path) -> io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = match options.open(path) {
        Ok(file) => file,
        // A link (ELOOP), a file gone since the listing: not a candidate.
        Err(e) if e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(libc::ELOOP) => return Ok(None),
        Err(e) => return Err(e),
    };
    let meta = file.metadata()?;
    if !meta.is_file() || meta.len() > MAX_FILE_LEN as u64 {
        return Ok(None);
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE_LEN as u64 + 1).read_to_end(&mut bytes)?;
    Ok((bytes.len() <= MAX_FILE_LEN).then_some(bytes))
}

/// Each device's candidates, by sequence number: its file and any conflict copies of it.
pub type Candidates = BTreeMap<DeviceId, BTreeMap<u64, Vec<Vec<u8>>>>;

/// One vault's place in a synced folder: `FOLDER/tresor-<vault id>/`.
#[derive(Debug, Clone)]
pub struct SyncFolder {
    root: PathBuf,
    vault: [u8; 16],
}

impl SyncFolder {
    pub fn new(folder: &Path, vault: [u8; 16]) -> SyncFolder {
        SyncFolder { root: folder.join(file::vault_folder_name(&vault)), vault }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn device_dir(&self, device: DeviceId) -> PathBuf {
        self.root.join(device.hex())
    }

    /// `device`'s folder, made if missing, refused when it (or the vault's folder) is anything
    /// but a plain folder: a symbolic link planted there would have this device write elsewhere.
    pub fn own_dir(&self, device: DeviceId) -> io::Result<PathBuf> {
        let dir = self.device_dir(device);
        for path in [&self.root, &dir] {
            match std::fs::symlink_metadata(path) {
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => {
                    return Err(io::Error::other(format!("{} is not a plain folder (a link?)", path.display())));
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => match std::fs::create_dir(path) {
                    Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
                    _ => {
                        if !std::fs::symlink_metadata(path)?.is_dir() {
                            return Err(io::Error::other(format!("{} is not a plain folder", path.display())));
                        }
                    }
                },
                Err(e) => return Err(e),
            }
        }
        Ok(dir)
    }

    /// Where `device` continues: the number after the last file of its chain in the folder that
    /// verifies, and that file's digest. A device put back from a backup so continues the series
    /// instead of reusing a number (and looking like a copy of itself); a file planted under a
    /// high number moves nothing (numbers are not read from names alone).
    pub fn next(&self, keys: &super::KeyRing, device: DeviceId) -> io::Result<(u64, [u8; 32])> {
        let files = self.scan_device(&self.device_dir(device))?;
        let chain = file::read_chain(keys, &self.vault, device, &files);
        Ok((chain.files.len() as u64 + 1, chain.files.last().map_or([0; 32], |f| f.digest)))
    }

    /// Writes `device`'s file number `seq` (sealed `body` after the file whose digest is `prev`):
    /// to a temporary name, flushed, then linked into place, never over an existing file (an
    /// [`io::ErrorKind::AlreadyExists`] error: another copy of this device wrote that number).
    /// Returns the file's bytes (their digest is what the next file names).
    pub fn publish(
        &self,
        (keys, key): (&VaultKeys, [u8; 16]),
        (device, owner): (DeviceId, &DeviceSecret),
        seq: u64,
        prev: [u8; 32],
        body: &[u8],
    ) -> io::Result<Vec<u8>> {
        let dir = self.own_dir(device)?;
        let bytes = file::seal_by(keys, &Header { vault: self.vault, device, key, seq, prev }, body, owner);
        crate::fs::write_private_file(&dir.join(file::file_name(seq)), &bytes, false)?;
        Ok(bytes)
    }

    /// Moves `device`'s files numbered `from` and up out of the way (renamed to
    /// `.<name>.rejected`, which readers ignore): files in this device's own folder that it
    /// never wrote, so that its next file can take its number — conflict copies too, so that
    /// junk planted as copies of its next file is not named by every device until it writes
    /// that number. Returns the names moved.
    pub fn set_aside(&self, device: DeviceId, from: u64) -> io::Result<Vec<String>> {
        let dir = self.own_dir(device)?;
        let mut moved = Vec::new();
        for found in std::fs::read_dir(&dir)? {
            let name = found?.file_name().to_string_lossy().into_owned();
            if let Found::File(seq) | Found::ConflictCopy(seq) = file::classify(&name)
                && seq >= from
            {
                std::fs::rename(dir.join(&name), dir.join(format!(".{name}.rejected")))?;
                moved.push(name);
            }
        }
        moved.sort();
        Ok(moved)
    }

    /// Where `device`'s own folder holds several files under number `seq` (a sync engine's
    /// conflict copies among them) and exactly one is one `keep` takes (the device's own: see
    /// `file::written_by`), the others are moved out of the way as [`SyncFolder::set_aside`]
    /// does, and the one kept takes the file's own name. Returns the names moved: none when not
    /// exactly one is kept (two of its own are a copy of the device writing beside it).
    pub fn set_aside_copies(
        &self,
        device: DeviceId,
        seq: u64,
        keep: impl Fn(&[u8]) -> bool,
    ) -> io::Result<Vec<String>> {
        let dir = self.own_dir(device)?;
        let (mut kept, mut others) = (Vec::new(), Vec::new());
        for found in std::fs::read_dir(&dir)? {
            let name = found?.file_name().to_string_lossy().into_owned();
            if let Found::File(n) | Found::ConflictCopy(n) = file::classify(&name)
                && n == seq
            {
                match read_change_file(&dir.join(&name))? {
                    Some(bytes) if keep(&bytes) => kept.push(name),
                    _ => others.push(name),
                }
            }
        }
        let [own] = kept.as_slice() else { return Ok(Vec::new()) };
        for name in &others {
            std::fs::rename(dir.join(name), dir.join(format!(".{name}.rejected")))?;
        }
        if *own != file::file_name(seq) {
            std::fs::rename(dir.join(own), dir.join(file::file_name(seq)))?;
        }
        others.sort();
        Ok(others)
    }

    /// Every device's candidates. Folders that are not a device id, files that are not change
    /// files (temporary, placeholder, other names), symbolic links and files larger than any
    /// change file are left out; a file that cannot be read is an error (nothing is guessed).
    pub fn scan(&self) -> io::Result<Candidates> {
        let mut out = Candidates::new();
        for (device, dir) in self.device_dirs()? {
            let files = self.scan_device(&dir)?;
            if !files.is_empty() {
                out.insert(device, files);
            }
        }
        Ok(out)
    }

    /// The folders named by a device id (none while the vault's folder does not exist).
    fn device_dirs(&self) -> io::Result<Vec<(DeviceId, PathBuf)>> {
        let devices = match std::fs::read_dir(&self.root) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut out = Vec::new();
        for entry in devices {
            let entry = entry?;
            let Some(device) = unhex::<16>(&entry.file_name().to_string_lossy()).map(DeviceId) else { continue };
            if entry.file_type()?.is_dir() {
                out.push((device, entry.path()));
            }
        }
        Ok(out)
    }

    /// Every device's change files by number, names only (conflict copies included): what
    /// [`SyncFolder::scan`] would read.
    pub fn list(&self) -> io::Result<BTreeMap<DeviceId, BTreeMap<u64, Vec<PathBuf>>>> {
        let mut out = BTreeMap::new();
        for (device, dir) in self.device_dirs()? {
            let files = list_device(&dir)?;
            if !files.is_empty() {
                out.insert(device, files);
            }
        }
        Ok(out)
    }

    /// The candidates of these files (as [`SyncFolder::scan`] reads them): of each number, the
    /// first [`MAX_CANDIDATES`] in [`list_device`]'s order — the file under its own name first,
    /// so that copies planted beside it cannot crowd it out.
    pub fn read_files(paths: &BTreeMap<u64, Vec<PathBuf>>) -> io::Result<BTreeMap<u64, Vec<Vec<u8>>>> {
        let mut files: BTreeMap<u64, Vec<Vec<u8>>> = BTreeMap::new();
        for (seq, paths) in paths {
            for path in paths.iter().take(MAX_CANDIDATES) {
                if let Some(bytes) = read_change_file(path)? {
                    files.entry(*seq).or_default().push(bytes);
                }
            }
        }
        Ok(files)
    }

    /// One device folder's candidates (none when it does not exist).
    fn scan_device(&self, dir: &Path) -> io::Result<BTreeMap<u64, Vec<Vec<u8>>>> {
        match list_device(dir) {
            Ok(paths) => Self::read_files(&paths),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(e),
        }
    }
}

/// A device folder's change files by number, names only: of each number, the file under its own
/// name first, then its conflict copies by name.
fn list_device(dir: &Path) -> io::Result<BTreeMap<u64, Vec<PathBuf>>> {
    let mut files: BTreeMap<u64, Vec<(bool, PathBuf)>> = BTreeMap::new();
    for found in std::fs::read_dir(dir)? {
        let found = found?;
        match file::classify(&found.file_name().to_string_lossy()) {
            Found::File(seq) => files.entry(seq).or_default().push((false, found.path())),
            Found::ConflictCopy(seq) => files.entry(seq).or_default().push((true, found.path())),
            Found::Ignored => {}
        }
    }
    Ok(files
        .into_iter()
        .map(|(seq, mut paths)| {
            paths.sort();
            (seq, paths.into_iter().map(|(_, path)| path).collect())
        })
        .collect())
}

//! A process that holds a vault open keeps SQLite's locks on it through every operation.
//!
//! SQLite's locks are POSIX record locks, owned by the process: closing *any* descriptor of the
//! database file (or of its `-shm`) drops all of them, those of connections still open included.
//! Another process then thinks it is alone: closing its connection, it checkpoints and deletes
//! the WAL the first one still writes to, and each side loses the other's writes from then on.
//!
//! Each operation below runs on a vault this test process holds open (as the app does), and is
//! followed by three checks: this process still holds its shared lock on the file and its lock
//! on the shared memory (read from `/proc/locks`); a second process cannot take the exclusive
//! lock (python's `fcntl.lockf`, as SQLite takes it); and the real command line, run beside it,
//! leaves the WAL in place and sees a write made afterwards. Linux only (`/proc/locks`).
#![cfg(target_os = "linux")]

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tresor::interchange::export::{self, ExportError};
use tresor::interchange::import::{ImportFile, ImportFileError, Source};
use tresor::interchange::{self, Format, ParseOptions};
use tresor::vault::{ConflictPolicy, held};
use tresor::{KdfParams, Passphrase, SecretEdit, SecretValue, Vault};

mod common;
use common::{name, new_secret, plan_of};

const PASS: &str = "shared vault passphrase";
/// SQLite's lock bytes: the shared range of the database file, and the "DMS" byte of the -shm
/// that says a connection uses it (sqlite3.c, `SHARED_FIRST`, `UNIX_SHM_DMS`).
const SHARED_FIRST: u64 = 0x4000_0002;
const SHARED_SIZE: u64 = 510;
const SHM_DMS: u64 = 128;

/// The POSIX locks this process holds on the file at `path`, as (READ|WRITE, start, end).
fn my_locks(path: &Path) -> Vec<(String, u64, u64)> {
    let Ok(meta) = std::fs::metadata(path) else { return Vec::new() };
    let pid = std::process::id().to_string();
    let inode = format!(":{}", meta.ino());
    std::fs::read_to_string("/proc/locks")
        .unwrap()
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            // "1: POSIX  ADVISORY  READ 1234 fe:00:5678 128 128" (a blocked waiter has "->").
            let f = if f.get(1) == Some(&"->") { &f[1..] } else { &f[..] };
            if f.get(1) != Some(&"POSIX") || f.get(4) != Some(&pid.as_str()) || !f.get(5)?.ends_with(&inode) {
                return None;
            }
            Some((f[3].to_owned(), f.get(6)?.parse().ok()?, f.get(7)?.parse().ok()?))
        })
        .collect()
}

/// Whether another process can take a write lock on `len` bytes at `start` of `path` now.
fn another_process_can_lock(path: &Path, start: u64, len: u64) -> Option<bool> {
    let script = "import fcntl,sys\nf=open(sys.argv[1],'rb+')\n\
                  try:\n fcntl.lockf(f,fcntl.LOCK_EX|fcntl.LOCK_NB,int(sys.argv[3]),int(sys.argv[2]))\n print('locked')\n\
                  except OSError:\n print('busy')\n";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .args([start.to_string(), len.to_string()])
        .output()
        .ok()?;
    match String::from_utf8_lossy(&out.stdout).trim() {
        "locked" => Some(true),
        "busy" => Some(false),
        other => panic!("python3 could not try the lock: {other} {}", String::from_utf8_lossy(&out.stderr)),
    }
}

fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", path.display()))
}

/// Files of this process that are gone from their folder ("(deleted)" in /proc/self/fd).
fn deleted_vault_files(path: &Path) -> Vec<String> {
    let folder = path.parent().unwrap().display().to_string();
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .map(|t| t.display().to_string())
        .filter(|t| t.starts_with(&folder) && t.ends_with("(deleted)"))
        .collect()
}

/// The state folder this test process and the command lines it runs share, as the app and the
/// command line share the user's.
fn state_folder() -> PathBuf {
    static FOLDER: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let path = FOLDER.get_or_init(|| tempfile::tempdir().unwrap()).path().to_owned();
    tresor::state::use_folder_for_tests(Some(path.clone()));
    path
}

struct Shared {
    _dir: tempfile::TempDir,
    path: PathBuf,
    pass_file: PathBuf,
    writes: u32,
}

impl Shared {
    fn new() -> (Shared, Vault) {
        state_folder();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        let pass_file = dir.path().join("pass");
        common::write_private(&pass_file, format!("{PASS}\n"));
        let mut vault = Vault::create(&path, &Passphrase::new(PASS), KdfParams::insecure_for_tests()).unwrap();
        vault.create_secret(new_secret("FIRST", "", "1")).unwrap();
        (Shared { _dir: dir, path, pass_file, writes: 0 }, vault)
    }

    fn cli(&self, args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_tresor"))
            .arg("--vault")
            .arg(&self.path)
            .arg("--passphrase-file")
            .arg(&self.pass_file)
            .args(args)
            .env("TRESOR_STATE_DIR", state_folder())
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// What breaks the rule after `operation`, in words (empty: nothing).
    fn check(&mut self, vault: &mut Vault, operation: &str) -> Vec<String> {
        let mut broken = Vec::new();
        let db = my_locks(&self.path);
        if !db.iter().any(|(kind, start, end)| kind == "READ" && *start <= SHARED_FIRST && *end >= SHARED_FIRST) {
            broken.push(format!("{operation}: this process lost its shared lock on the vault file ({db:?})"));
        }
        let shm = my_locks(&sidecar(&self.path, "-shm"));
        if !shm.iter().any(|(kind, start, end)| kind == "READ" && *start <= SHM_DMS && *end >= SHM_DMS) {
            broken.push(format!("{operation}: this process lost its lock on the vault's shared memory ({shm:?})"));
        }
        if another_process_can_lock(&self.path, SHARED_FIRST, SHARED_SIZE) == Some(true) {
            broken.push(format!("{operation}: another process could take the exclusive lock"));
        }
        // The real command line beside it: reading and closing must not delete our WAL, and it
        // must see what we write next.
        let listed = self.cli(&["list"]);
        if !listed.status.success() {
            broken.push(format!("{operation}: tresor list failed: {}", String::from_utf8_lossy(&listed.stderr)));
        }
        let gone = deleted_vault_files(&self.path);
        if !gone.is_empty() {
            broken.push(format!("{operation}: the command line deleted files this process writes to: {gone:?}"));
        }
        self.writes += 1;
        let marker = format!("AFTER_{}", self.writes);
        let value = format!("written after {operation}");
        match vault.create_secret(new_secret(&marker, "", &value)) {
            Ok(_) => {
                let got = self.cli(&["get", &marker]);
                if got.stdout != value.as_bytes() {
                    broken.push(format!(
                        "{operation}: the command line does not see this process's next write ({})",
                        String::from_utf8_lossy(&got.stderr).trim()
                    ));
                }
            }
            Err(e) => broken.push(format!("{operation}: the next write failed: {e}")),
        }
        broken
    }
}

#[test]
fn every_operation_keeps_the_vault_shared_with_other_processes() {
    let (mut shared, vault) = Shared::new();
    let path = shared.path.clone();
    let pass = Passphrase::new(PASS);
    let mut broken = Vec::new();

    drop(vault);
    let mut vault = Vault::unlock(&path, &pass).unwrap();
    broken.extend(shared.check(&mut vault, "unlock"));

    vault.create_secret(new_secret("CREATED", "", "c")).unwrap();
    broken.extend(shared.check(&mut vault, "create"));

    let id = vault.find(&vault.default_place().unwrap(), &name("CREATED")).unwrap().0;
    vault.edit(id, SecretEdit { value: Some(SecretValue::new("c2")), ..SecretEdit::default() }).unwrap();
    broken.extend(shared.check(&mut vault, "edit"));

    vault.delete(&[id]).unwrap();
    broken.extend(shared.check(&mut vault, "delete"));
    vault.restore(id, None).unwrap();
    broken.extend(shared.check(&mut vault, "undo a delete"));

    let parsed = interchange::parse(Format::Env, b"IMPORTED=1\n", ParseOptions::default()).unwrap();
    let plan = plan_of(&vault, parsed, ConflictPolicy::Fail);
    vault.apply_import(plan).unwrap();
    broken.extend(shared.check(&mut vault, "import"));

    let backup = vault.backup_now().unwrap().expect("backups are on");
    broken.extend(shared.check(&mut vault, "back up now"));

    // Facts and estimates the app reads while the vault is open.
    Vault::info(&path).unwrap();
    broken.extend(shared.check(&mut vault, "info"));
    Vault::unlock_estimate(&path).unwrap();
    broken.extend(shared.check(&mut vault, "unlock estimate"));

    // As the app restores: the vault stays open until the restored one is there.
    let restored = Vault::restore_backup(&path, &backup.path, &pass).unwrap();
    drop(vault);
    let mut vault = restored.vault;
    broken.extend(shared.check(&mut vault, "restore a backup"));

    vault.change_passphrase(&pass, None).unwrap();
    broken.extend(shared.check(&mut vault, "passphrase change"));
    vault.change_passphrase(&pass, Some(KdfParams::insecure_for_tests())).unwrap();
    broken.extend(shared.check(&mut vault, "strengthen"));
    vault.rotate_key(&pass).unwrap();
    broken.extend(shared.check(&mut vault, "rotate key"));

    // Another vault opened and closed meanwhile (the app's "open another vault", or a backup
    // opened to read it) touches nothing of this one.
    let (_other_dir, other_path, other) = common::new_vault("another");
    drop(other);
    drop(Vault::unlock(&other_path, &Passphrase::new("another")).unwrap());
    drop(Vault::unlock_for_salvage(&backup.path, &pass).unwrap());
    broken.extend(shared.check(&mut vault, "open another vault and a backup"));

    // A second connection of this process to the same vault, opened and closed (the app and a
    // worker, or the vault opened twice).
    drop(Vault::unlock(&path, &pass).unwrap());
    broken.extend(shared.check(&mut vault, "a second unlock in the same process"));

    // The vault file itself named as a file to import (dropped on the window, say) or as an
    // export's target with --force: refused, without opening it.
    let read = ImportFile::read(Source::File(&path), Some(Format::Env), ParseOptions::default());
    assert!(matches!(read, Err(ImportFileError::OpenVaultFile { .. })), "{:?}", read.err());
    let wal = sidecar(&path, "-wal");
    let read = ImportFile::read(Source::File(&wal), Some(Format::Env), ParseOptions::default());
    assert!(matches!(read, Err(ImportFileError::OpenVaultFile { .. })), "{:?}", read.err());
    let place = vault.default_place().unwrap();
    let written = export::to_file(&vault, &place, &path, Format::Env, None, true);
    assert!(matches!(written, Err(ExportError::WouldReplaceVault { .. })), "{written:?}");
    broken.extend(shared.check(&mut vault, "import from or export to the vault file"));

    let trashed = vault.find(&vault.default_place().unwrap(), &name("IMPORTED")).unwrap().0;
    vault.delete(&[trashed]).unwrap();
    vault.empty_trash().unwrap();
    broken.extend(shared.check(&mut vault, "purge"));

    assert!(broken.is_empty(), "{}", broken.join("\n"));
    assert_eq!(held::connections_to(&path), 1, "one connection holds the file");
    drop(vault);
    assert_eq!(held::connections_to(&path), 0, "the descriptor is let go with the last connection");
}

#[test]
fn a_vault_migrated_at_unlock_stays_shared() {
    let dir = tempfile::tempdir().unwrap();
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v2/vault.db");
    let path = dir.path().join("vault.db");
    std::fs::copy(&from, &path).unwrap();
    common::write_private(&path, std::fs::read(&from).unwrap());
    let pass_file = dir.path().join("pass");
    common::write_private(&pass_file, "fixture passphrase\n");
    state_folder();
    let mut vault = Vault::unlock(&path, &Passphrase::new("fixture passphrase")).unwrap();
    let mut shared = Shared { _dir: dir, path, pass_file, writes: 0 };
    let broken = shared.check(&mut vault, "unlock with migration");
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

//! Helpers shared by the integration tests. Each test binary uses some of them.
#![allow(dead_code)] // each test file compiles this module on its own and uses a different part

pub mod cli;
pub mod desktop;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use tresor::interchange::Parsed;
use tresor::interchange::import::{ImportFile, PreparedImport};
use tresor::vault::{Clock, ConflictPolicy, ImportPlan};
use tresor::{KdfParams, NewSecret, Passphrase, SecretName, SecretValue, Timestamp, Vault};

/// A clock the test moves by hand. A ticking clock also moves one millisecond at every reading,
/// so that two backups made in a row never share a name.
pub struct TestClock {
    now: AtomicI64,
    tick: i64,
}

impl TestClock {
    pub fn at(ms: i64) -> Arc<Self> {
        Arc::new(TestClock { now: AtomicI64::new(ms), tick: 0 })
    }
    pub fn ticking_at(ms: i64) -> Arc<Self> {
        Arc::new(TestClock { now: AtomicI64::new(ms), tick: 1 })
    }
    pub fn advance(&self, ms: i64) {
        self.now.fetch_add(ms, Ordering::SeqCst);
    }
    pub fn advance_seconds(&self, s: i64) {
        self.advance(s * 1000);
    }
    pub fn advance_days(&self, days: i64) {
        self.advance(days * 86_400_000);
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.now.fetch_add(self.tick, Ordering::SeqCst))
    }
}

pub fn name(text: &str) -> SecretName {
    SecretName::parse(text).unwrap()
}

pub fn new_secret(name: &str, description: &str, value: &str) -> NewSecret {
    NewSecret {
        name: SecretName::parse(name).unwrap(),
        description: description.into(),
        value: SecretValue::new(value),
    }
}

/// A new vault with the cheap test KDF, in a folder of its own.
pub fn new_vault(passphrase: &str) -> (tempfile::TempDir, PathBuf, Vault) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.db");
    let vault = Vault::create(&path, &Passphrase::new(passphrase), KdfParams::insecure_for_tests()).unwrap();
    (dir, path, vault)
}

/// The plan plus the notes about the file, through the import pipeline both front ends use.
pub fn prepared_of(vault: &Vault, parsed: Parsed, policy: ConflictPolicy) -> PreparedImport {
    ImportFile::from_parsed("test".into(), parsed).plan(vault, &vault.default_place().unwrap(), policy).unwrap()
}

/// The import plan of `parsed` for `vault`.
pub fn plan_of(vault: &Vault, parsed: Parsed, policy: ConflictPolicy) -> ImportPlan {
    prepared_of(vault, parsed, policy).plan
}

/// Writes a file readable and writable by its owner only (0600), as a passphrase file must be.
pub fn write_private(path: &std::path::Path, contents: impl AsRef<[u8]>) {
    std::fs::write(path, contents).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

/// The header checksum as `store.rs` specifies it (format v2): SHA-256 over length-prefixed
/// parts. An attacker who edits the header recomputes it; so do the tests that play one.
pub fn checksum_of(conn: &rusqlite::Connection) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let int = |column: &str| -> i64 {
        conn.query_row(&format!("SELECT {column} FROM vault_header WHERE id = 1"), [], |r| r.get(0)).unwrap()
    };
    let blob = |column: &str| -> Vec<u8> {
        conn.query_row(&format!("SELECT {column} FROM vault_header WHERE id = 1"), [], |r| r.get(0)).unwrap()
    };
    let (m, t, p) = (int("kdf_memory_kib") as u32, int("kdf_iterations") as u32, int("kdf_parallelism") as u32);
    let parts: [Vec<u8>; 10] = [
        b"tresor v2 header".to_vec(),
        blob("vault_id"),
        blob("key_id"),
        m.to_le_bytes().to_vec(),
        t.to_le_bytes().to_vec(),
        p.to_le_bytes().to_vec(),
        blob("kdf_salt"),
        blob("wrapped_key"),
        int("created").to_le_bytes().to_vec(),
        blob("key_lineage"),
    ];
    let mut hasher = Sha256::new();
    for part in &parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hasher.finalize().to_vec()
}

/// A display number in `range` that no running X server holds and that this process has not
/// handed out before. The tests of one file run in parallel and start their X servers a moment
/// after asking (inside a D-Bus session): two of them once got the same number, one X server
/// failed, and the first test to finish took the other's display with it ("NO-WINDOW" in CI).
/// An X server killed hard leaves its socket and lock file behind; those of a process that is
/// gone are removed here, so that repeated runs on one machine never run out of numbers.
pub fn free_display(range: std::ops::Range<u32>) -> u32 {
    static GIVEN: std::sync::Mutex<Vec<u32>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let live = |n: u32| {
        let lock = format!("/tmp/.X{n}-lock");
        match std::fs::read_to_string(&lock) {
            Ok(text) => match text.trim().parse::<u32>() {
                Ok(pid) if std::path::Path::new(&format!("/proc/{pid}")).exists() => true,
                _ => {
                    let _ = std::fs::remove_file(&lock);
                    false
                }
            },
            Err(_) => false,
        }
    };
    for n in range.clone() {
        if given.contains(&n) || live(n) {
            continue;
        }
        let socket = format!("/tmp/.X11-unix/X{n}");
        if std::path::Path::new(&socket).exists() {
            // No live server behind it: a leftover.
            let _ = std::fs::remove_file(&socket);
        }
        if !std::path::Path::new(&socket).exists() {
            given.push(n);
            return n;
        }
    }
    panic!("no free X display in {range:?}")
}

/// Stops an X server as it expects to be stopped (SIGTERM): it removes its socket and lock file.
pub fn stop_x_server(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        let pid = child.id() as libc::pid_t;
        // SAFETY: kill(2) with a child's pid and a signal number; no memory is involved.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::time::Instant::now() < deadline {
            if child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

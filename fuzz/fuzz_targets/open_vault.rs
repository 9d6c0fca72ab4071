//! Opening a vault from arbitrary bytes: `info`, `unlock`, salvage and every read either work or
//! give a typed error, never a panic, a hang or a huge allocation; and a file that is refused is
//! left exactly as it was. Seeds (fuzz/corpus/open_vault) are real vaults with cheap KDF
//! parameters and the passphrase "fuzz", so that mutations reach the records, not just the header.

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tresor::vault::backup;
use tresor::{Passphrase, Vault};

fn path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let base = if std::path::Path::new("/dev/shm").is_dir() { "/dev/shm".into() } else { std::env::temp_dir() };
        let dir = base.join(format!("tresor-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("vault.db");
        // No daily backups of fuzzed files.
        backup::set_keep(&path, 0).unwrap();
        path
    })
}

fn reset(path: &PathBuf, data: &[u8]) {
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
    std::fs::write(path, data).unwrap();
}

fuzz_target!(|data: &[u8]| {
    let path = path();
    reset(path, data);
    let info = Vault::info(path);
    if info.is_err() {
        assert_eq!(std::fs::read(path).unwrap(), data, "a refused file was modified: {info:?}");
    }
    match Vault::unlock(path, &Passphrase::new("fuzz")) {
        Ok(vault) => {
            if let Ok(listing) = vault.list() {
                for meta in listing.items {
                    let _ = vault.reveal(meta.id);
                    let _ = vault.history(meta.id);
                }
            }
            let _ = vault.trash();
            if let Ok(place) = vault.default_place() {
                let _ = vault.export_entries(&place, None);
            }
        }
        Err(e) => {
            let _ = e.to_string();
            if !matches!(e, tresor::Error::RecordSetTampered) {
                assert_eq!(std::fs::read(path).unwrap(), data, "a refused file was modified: {e}");
            }
            if let Ok(vault) = Vault::unlock_for_salvage(path, &Passphrase::new("fuzz")) {
                if let Ok(listing) = vault.list() {
                    for meta in listing.items {
                        let _ = vault.reveal(meta.id);
                    }
                }
                let _ = vault.trash();
            }
        }
    }
});

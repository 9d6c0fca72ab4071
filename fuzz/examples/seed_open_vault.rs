//! Writes the seed corpus of the `open_vault` target: small real vaults (cheap KDF parameters,
//! passphrase "fuzz") in the states a user's vault goes through, in the current format, named
//! `vN-<state>.db`. (The corpus keeps the seeds of earlier formats, which unlock migrates.)
//!   cd fuzz && cargo run --example seed_open_vault

use tresor::vault::backup;
use tresor::vault::store::FORMAT_VERSION;
use tresor::{KdfParams, NewSecret, Passphrase, SecretName, SecretEdit, SecretValue, Vault};

fn main() {
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/open_vault");
    std::fs::create_dir_all(&out).unwrap();
    let work = std::env::temp_dir().join(format!("tresor-seeds-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    let pass = Passphrase::new("fuzz");
    for (i, seed) in ["empty", "one", "history_and_trash"].into_iter().enumerate() {
        let path = work.join(format!("{i}.db"));
        backup::set_keep(&path, 0).unwrap();
        let mut vault = Vault::create(&path, &pass, KdfParams::insecure_for_tests()).unwrap();
        if i >= 1 {
            let new = |n: &str, v: &str| NewSecret {
                name: SecretName::parse(n).unwrap(),
                description: format!("about {n}"),
                value: SecretValue::new(v),
            };
            vault.create_secret(new("OPENAI_API_KEY", "sk-proj-abc")).unwrap();
            if i >= 2 {
                vault.create_secret(new("HF_TOKEN", "hf_xyz")).unwrap();
                vault.create_secret(new("OLD", "old")).unwrap();
                let id = vault.find(&SecretName::parse("OPENAI_API_KEY").unwrap()).unwrap();
                vault.edit(id, SecretEdit { name: None, description: None, value: Some(SecretValue::new("sk-2")) }).unwrap();
                let old = vault.find(&SecretName::parse("OLD").unwrap()).unwrap();
                vault.delete(&[old]).unwrap();
            }
        }
        drop(vault);
        std::fs::copy(&path, out.join(format!("v{FORMAT_VERSION}-{seed}.db"))).unwrap();
    }
    std::fs::remove_dir_all(&work).unwrap();
}

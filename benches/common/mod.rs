//! What the benchmarks share: a vault of `n` secrets like `SERVICE_000123_API_KEY`, with a
//! 40-byte description and a 55-byte value, built with cheap KDF parameters.

use std::path::{Path, PathBuf};

use tresor::{KdfParams, NewSecret, Passphrase, SecretName, SecretValue, Vault};

pub const PASS: &str = "benchmark passphrase";

pub fn build_vault(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join(format!("vault-{n}.db"));
    let mut vault = Vault::create(&path, &Passphrase::new(PASS), KdfParams::insecure_for_tests()).unwrap();
    for chunk in (0..n).collect::<Vec<_>>().chunks(10_000) {
        let batch = chunk
            .iter()
            .map(|i| NewSecret {
                name: SecretName::parse(&format!("SERVICE_{i:06}_API_KEY")).unwrap(),
                description: format!("Key number {i} for the benchmark service"),
                value: SecretValue::new(format!("sk-proj-{i:06}-{}", "x".repeat(40))),
            })
            .collect();
        vault.create_many(batch).unwrap();
    }
    path
}

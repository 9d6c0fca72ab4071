//! What the benchmarks share: a vault of `n` secrets like `SERVICE_000123_API_KEY`, with a
#![allow(dead_code)] // each benchmark compiles this module on its own and uses a part of it
//! 40-byte description and a 55-byte value, built with cheap KDF parameters; optionally with
//! earlier values of every secret in its history.

use std::path::{Path, PathBuf};

use tresor::vault::{ConflictPolicy, EntryContent, ImportEntry};
use tresor::{KdfParams, NewSecret, Passphrase, SecretName, SecretValue, Vault};

pub const PASS: &str = "benchmark passphrase";

fn value(i: usize, version: usize) -> SecretValue {
    SecretValue::new(format!("sk-proj-{i:06}-{version}-{}", "x".repeat(38)))
}

pub fn build_vault(dir: &Path, n: usize) -> PathBuf {
    build_vault_with_history(dir, n, 0)
}

/// A vault of `n` secrets, each with `earlier` earlier values (one import of every secret per
/// earlier value: one transaction each).
pub fn build_vault_with_history(dir: &Path, n: usize, earlier: usize) -> PathBuf {
    let path = dir.join(format!("vault-{n}-{earlier}.db"));
    let mut vault = Vault::create(&path, &Passphrase::new(PASS), KdfParams::insecure_for_tests()).unwrap();
    for chunk in (0..n).collect::<Vec<_>>().chunks(10_000) {
        let batch = chunk
            .iter()
            .map(|&i| NewSecret {
                name: SecretName::parse(&format!("SERVICE_{i:06}_API_KEY")).unwrap(),
                description: format!("Key number {i} for the benchmark service"),
                value: value(i, 0),
            })
            .collect();
        vault.create_many(&vault.default_place().unwrap(), batch).unwrap();
    }
    for version in 1..=earlier {
        let entries = (0..n)
            .map(|i| ImportEntry {
                key: format!("SERVICE_{i:06}_API_KEY"),
                line: None,
                content: EntryContent::Value(value(i, version)),
                title: None,
            })
            .collect();
        let plan = vault.plan_import(&vault.default_place().unwrap(), entries, ConflictPolicy::Overwrite).unwrap();
        vault.apply_import(plan).unwrap();
    }
    path
}

/// The projects-and-environments benchmark vault: `projects` projects (plus the default one),
/// each with the usual three environments holding `per_env` secrets each (the same names in
/// each environment, different values) and `shared` secrets at the project level; every secret
/// with one earlier value. Automatic backups are off while it is built.
pub fn build_places_vault(dir: &Path, projects: usize, per_env: usize, shared: usize) -> PathBuf {
    use tresor::{Place, PlaceName};
    let path = dir.join(format!("places-{projects}-{per_env}.db"));
    let mut vault = Vault::create(&path, &Passphrase::new(PASS), KdfParams::insecure_for_tests()).unwrap();
    tresor::vault::backup::set_keep(&path, 0).unwrap();
    for p in 0..projects {
        let project = vault.create_project(&PlaceName::parse(&format!("project {p:03}")).unwrap()).unwrap();
        let mut places = vec![(Place::shared(project), shared)];
        for env in tresor::vault::DEFAULT_ENVIRONMENTS {
            places.push((vault.place(Some(&format!("project {p:03}")), Some(env)).unwrap(), per_env));
        }
        for (k, (place, n)) in places.into_iter().enumerate() {
            let name = |i: usize| if place.env.is_some() { format!("KEY_{i:04}") } else { format!("SHARED_{i:04}") };
            let batch = (0..n)
                .map(|i| NewSecret {
                    name: SecretName::parse(&name(i)).unwrap(),
                    description: format!("Key {i} of project {p} for the benchmark"),
                    value: value(i * 10 + k, 0),
                })
                .collect();
            vault.create_many(&place, batch).unwrap();
            let entries = (0..n)
                .map(|i| ImportEntry {
                    key: name(i),
                    line: None,
                    content: EntryContent::Value(value(i * 10 + k, 1)),
                    title: None,
                })
                .collect();
            let plan = vault.plan_import(&place, entries, ConflictPolicy::Overwrite).unwrap();
            vault.apply_import(plan).unwrap();
        }
    }
    path
}

//! Vault core benchmarks. `cargo bench --bench vault`; numbers go into docs/benchmarks.md.
//!
//! Vaults of 1k, 10k and 100k secrets, each with 5 earlier values in its history, are built once
//! (with cheap KDF parameters, so that "unlock" measures everything *except* Argon2id, which has
//! its own benchmark).

mod common;

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use common::{PASS, build_vault_with_history};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use tresor::{KdfParams, NewSecret, Passphrase, SecretEdit, SecretName, SecretValue, Vault};

const SIZES: [usize; 3] = [1_000, 10_000, 100_000];

fn vaults(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let pass = Passphrase::new(PASS);
    let paths: Vec<(usize, PathBuf)> = SIZES.iter().map(|&n| (n, build_vault_with_history(dir.path(), n, 5))).collect();

    let mut group = c.benchmark_group("unlock_overhead_beyond_kdf");
    group.sample_size(20);
    for (n, path) in &paths {
        group.bench_with_input(BenchmarkId::from_parameter(n), path, |b, path| {
            b.iter(|| black_box(Vault::unlock(path, &pass).unwrap()))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("list_names_and_descriptions");
    group.sample_size(10);
    for (n, path) in &paths {
        let vault = Vault::unlock(path, &pass).unwrap();
        group.bench_with_input(BenchmarkId::from_parameter(n), &vault, |b, vault| {
            b.iter(|| black_box(vault.list().unwrap().items.len()))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("get_one_value");
    for (n, path) in &paths {
        let vault = Vault::unlock(path, &pass).unwrap();
        let name = SecretName::parse(&format!("SERVICE_{:06}_API_KEY", n / 2)).unwrap();
        group.bench_with_input(BenchmarkId::from_parameter(n), &vault, |b, vault| {
            b.iter(|| {
                let id = vault.find(&vault.default_place().unwrap(), &name).unwrap().0;
                black_box(vault.reveal(id).unwrap().len())
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("update_commit_with_fsync");
    group.sample_size(30);
    for (n, path) in &paths {
        let mut vault = Vault::unlock(path, &pass).unwrap();
        let id = vault
            .find(&vault.default_place().unwrap(), &SecretName::parse("SERVICE_000001_API_KEY").unwrap())
            .unwrap()
            .0;
        let mut counter = 0u64;
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| {
                counter += 1;
                let value = SecretValue::new(format!("sk-rotated-{counter}"));
                black_box(vault.edit(id, SecretEdit { name: None, description: None, value: Some(value) }).unwrap());
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("create_commit_with_fsync");
    group.sample_size(30);
    let (_, path) = &paths[1];
    let mut vault = Vault::unlock(path, &pass).unwrap();
    let mut counter = 0u64;
    group.bench_function("10000", |b| {
        b.iter(|| {
            counter += 1;
            let new = NewSecret {
                name: SecretName::parse(&format!("NEW_{counter}")).unwrap(),
                description: String::new(),
                value: SecretValue::new("sk-new"),
            };
            black_box(vault.create_secret(new).unwrap());
        })
    });
    group.finish();

    // A backup (the daily one on unlock, or before an irreversible change): the backup API copy,
    // fsync, rename, and pruning down to the number kept.
    let mut group = c.benchmark_group("backup");
    group.sample_size(10);
    for (n, path) in &paths {
        let vault = Vault::unlock(path, &pass).unwrap();
        group.bench_with_input(BenchmarkId::from_parameter(n), &vault, |b, vault| {
            b.iter(|| black_box(vault.backup_now().unwrap()))
        });
    }
    group.finish();

    // The floor of what a durable commit can cost on this disk: write a page and fsync it.
    let mut group = c.benchmark_group("bare_fsync_for_reference");
    group.sample_size(30);
    let probe = dir.path().join("fsync-probe");
    group.bench_function("write_4k_and_fsync", |b| {
        use std::io::Write;
        let mut file = std::fs::File::create(&probe).unwrap();
        b.iter(|| {
            file.write_all(&[0u8; 4096]).unwrap();
            file.sync_all().unwrap();
        })
    });
    group.finish();
}

fn kdf(c: &mut Criterion) {
    let mut group = c.benchmark_group("argon2id_kdf");
    group.sample_size(10).measurement_time(Duration::from_secs(20));
    let default = KdfParams {
        memory_kib: KdfParams::DEFAULT_MEMORY_KIB,
        iterations: KdfParams::FLOOR.iterations,
        parallelism: KdfParams::DEFAULT_PARALLELISM,
    };
    let salt = [7u8; 32];
    let pass = Passphrase::new(PASS);
    for (label, params) in [("floor_64MiB_t3_p4", KdfParams::FLOOR), ("default_256MiB_t3_p4", default)] {
        group.bench_function(label, |b| {
            b.iter(|| black_box(tresor::vault::crypto::derive_kek(&pass, &salt, params).unwrap()))
        });
    }
    group.finish();
}

criterion_group!(benches, vaults, kdf);
criterion_main!(benches);

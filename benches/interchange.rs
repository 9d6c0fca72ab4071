//! Import and export benchmarks. `cargo bench --bench interchange`; numbers go into docs/benchmarks.md.
//!
//! Goals (issue 4): importing a 10,000-line .env into a vault (parse, plan, one transaction)
//! in at most 1 s, and exporting 10,000 secrets in at most 0.5 s, beyond the key derivation:
//! vaults use cheap KDF parameters, and creating the fresh target vault is not measured.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use tresor::interchange::{self, Format, ParseOptions};
use tresor::vault::ConflictPolicy;
use tresor::{KdfParams, NewSecret, Passphrase, SecretName, SecretValue, Vault};

/// The import plan of `parsed` for `vault`, through the pipeline both front ends use.
fn plan_of(vault: &Vault, parsed: tresor::interchange::Parsed, policy: ConflictPolicy) -> tresor::vault::ImportPlan {
    tresor::interchange::import::ImportFile::from_parsed("test".into(), parsed)
        .plan(vault, &vault.default_place().unwrap(), policy)
        .unwrap()
        .plan
}

const N: usize = 10_000;
const PASS: &str = "benchmark passphrase";

/// A realistic .env: a comment every 50 lines, mostly plain tokens, some quoted values with
/// spaces or `#`, a multi-line PEM block every 500 lines.
fn env_file() -> String {
    let mut text = String::new();
    for i in 0..N {
        if i % 50 == 0 {
            text += &format!("# section {}\n", i / 50);
        }
        match i % 500 {
            0 => text += &format!("CERT_{i:05}=\"-----BEGIN CERTIFICATE-----\nMIIB{i}\n-----END CERTIFICATE-----\"\n"),
            n if n % 10 == 0 => text += &format!("DB_{i:05}_URL='postgres://user:p#ss w0rd@db-{i}:5432/app'\n"),
            _ => text += &format!("export SERVICE_{i:05}_API_KEY=sk-proj-{i:06}-{}\n", "x".repeat(40)),
        }
    }
    text
}

fn fresh_vault(dir: &std::path::Path, counter: &mut u64) -> Vault {
    *counter += 1;
    let path = dir.join(format!("import-{counter}.db"));
    Vault::create(&path, &Passphrase::new(PASS), KdfParams::insecure_for_tests()).unwrap()
}

fn import(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let text = env_file();
    let mut group = c.benchmark_group("import_10k_line_env");
    group.sample_size(10).measurement_time(Duration::from_secs(20));
    let mut counter = 0;
    group.bench_function("parse", |b| {
        b.iter(|| black_box(interchange::parse(Format::Env, text.as_bytes(), ParseOptions::default()).unwrap()))
    });
    group.bench_function("parse_plan_apply_into_empty_vault", |b| {
        b.iter_batched(
            || fresh_vault(dir.path(), &mut counter),
            |mut vault| {
                let parsed = interchange::parse(Format::Env, text.as_bytes(), ParseOptions::default()).unwrap();
                let plan = plan_of(&vault, parsed, ConflictPolicy::Fail);
                assert_eq!(plan.counts().add, N);
                black_box(vault.apply_import(plan).unwrap());
                vault
            },
            BatchSize::PerIteration,
        )
    });
    // The same file again: every entry exists, so planning reads and compares 10k values.
    let mut full = fresh_vault(dir.path(), &mut counter);
    let parsed = interchange::parse(Format::Env, text.as_bytes(), ParseOptions::default()).unwrap();
    let plan = plan_of(&full, parsed, ConflictPolicy::Fail);
    full.apply_import(plan).unwrap();
    group.bench_function("parse_plan_into_vault_holding_them_all", |b| {
        b.iter(|| {
            let parsed = interchange::parse(Format::Env, text.as_bytes(), ParseOptions::default()).unwrap();
            let plan = plan_of(&full, parsed, ConflictPolicy::Fail);
            assert_eq!(plan.counts().same, N);
            black_box(plan)
        })
    });
    group.finish();
}

fn export(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.db");
    let mut vault = Vault::create(&path, &Passphrase::new(PASS), KdfParams::insecure_for_tests()).unwrap();
    let batch = (0..N)
        .map(|i| NewSecret {
            name: SecretName::parse(&format!("SERVICE_{i:05}_API_KEY")).unwrap(),
            description: format!("Key number {i}"),
            value: SecretValue::new(format!("sk-proj-{i:06}-{}", "x".repeat(40))),
        })
        .collect();
    vault.create_many(&vault.default_place().unwrap(), batch).unwrap();

    let mut group = c.benchmark_group("export_10k_secrets");
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    for format in [Format::Env, Format::Toml, Format::Json] {
        group.bench_function(format!("read_and_write_{}", format.name()), |b| {
            b.iter(|| {
                let entries = vault.export_entries(&vault.default_place().unwrap(), None).unwrap();
                let refs: Vec<(&str, &SecretValue)> = entries.iter().map(|(n, v)| (n.as_str(), v)).collect();
                interchange::check_writable(format, &refs).unwrap();
                black_box(interchange::write(format, &refs).len())
            })
        });
    }
    let out = dir.path().join("out.env");
    group.bench_function("read_write_env_and_save_0600_file", |b| {
        b.iter(|| {
            let entries = vault.export_entries(&vault.default_place().unwrap(), None).unwrap();
            let refs: Vec<(&str, &SecretValue)> = entries.iter().map(|(n, v)| (n.as_str(), v)).collect();
            let text = interchange::write(Format::Env, &refs);
            tresor::fs::write_private_file(&out, text.as_bytes(), true).unwrap();
        })
    });
    group.finish();
}

criterion_group!(benches, import, export);
criterion_main!(benches);

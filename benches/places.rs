//! Projects and environments, at the size the issue names: 100 projects × 3 environments × 300
//! secrets (plus 10 shared secrets per project: 91,000 secrets, each with one earlier value).
//! `cargo bench --bench places`; numbers go into docs/benchmarks.md.

mod common;

use std::hint::black_box;

use common::{PASS, build_places_vault};
use criterion::{Criterion, criterion_group, criterion_main};
use tresor::{Passphrase, Vault};

fn places(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = build_places_vault(dir.path(), 100, 300, 10);
    let pass = Passphrase::new(PASS);

    let mut group = c.benchmark_group("places_91k");
    group.sample_size(20);
    group.bench_function("unlock_overhead_beyond_kdf", |b| b.iter(|| black_box(Vault::unlock(&path, &pass).unwrap())));
    let vault = Vault::unlock(&path, &pass).unwrap();
    group.bench_function("list_projects_with_counts", |b| b.iter(|| black_box(vault.projects().unwrap().len())));
    let env = vault.place(Some("project 050"), Some("production")).unwrap();
    group.bench_function("list_an_environment_310_rows", |b| {
        b.iter(|| black_box(vault.list_in(&env).unwrap().items.len()))
    });
    let resolve = vault.place(Some("project 051"), Some("staging")).unwrap();
    group.bench_function("resolve_an_environment_for_run", |b| {
        b.iter(|| black_box(vault.export_entries(&resolve, None).unwrap().len()))
    });
    let envs: Vec<_> = tresor::vault::DEFAULT_ENVIRONMENTS
        .iter()
        .map(|e| vault.place(Some("project 052"), Some(e)).unwrap())
        .collect();
    group.bench_function("all_names_for_the_vault_wide_search", |b| {
        b.iter(|| black_box(vault.all_names().unwrap().len()))
    });
    group.bench_function("compare_three_environments", |b| b.iter(|| black_box(vault.compare(&envs).unwrap().len())));
    group.finish();
}

criterion_group!(benches, places);
criterion_main!(benches);

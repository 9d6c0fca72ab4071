//! Importing 10,000 entries from other managers' exports (issue 24: "10k entries in ≤ 3 s
//! beyond the source's own key derivation"): read, detect, parse, plan and apply in one
//! transaction, through the pipeline the command line uses. `cargo bench --bench managers`;
//! the numbers go into docs/importers.md. The vault uses cheap KDF parameters and creating it
//! is not measured. KeePass is not here: writing a .kdbx takes the keepass crate's writing,
//! which Tresor leaves off (see docs/importers.md for a one-off measurement).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use tresor::interchange::import::{ReadSource, Source};
use tresor::vault::ConflictPolicy;
use tresor::{KdfParams, Passphrase, Vault};

const N: usize = 10_000;

fn bitwarden() -> String {
    let mut json = String::from(r#"{"encrypted": false, "folders": [{"id": "f", "name": "web"}], "items": ["#);
    for i in 0..N {
        if i > 0 {
            json.push(',');
        }
        json.push_str(&format!(
            r#"{{"type": 1, "name": "Service {i} API key", "folderId": "f", "notes": null,
                "login": {{"username": "user{i}", "password": "sk-{i:06}-{}", "uris": [{{"uri": "https://s{i}.example"}}]}}}}"#,
            "x".repeat(40)
        ));
    }
    json + "]}"
}

fn onepassword_csv() -> String {
    let mut csv = String::from("Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes\n");
    for i in 0..N {
        csv.push_str(&format!(
            "Service {i} API key,https://s{i}.example,user{i},sk-{i:06}-{},,false,false,,\n",
            "x".repeat(40)
        ));
    }
    csv
}

fn import(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("import_10k_manager_entries");
    group.sample_size(10).measurement_time(Duration::from_secs(20));
    let mut counter = 0u64;
    for (name, file, text) in
        [("bitwarden_json", "export.json", bitwarden()), ("1password_csv", "export.csv", onepassword_csv())]
    {
        let path = dir.path().join(file);
        std::fs::write(&path, text).unwrap();
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    counter += 1;
                    let vault_path = dir.path().join(format!("vault-{counter}.db"));
                    Vault::create(&vault_path, &Passphrase::new("bench"), KdfParams::insecure_for_tests()).unwrap()
                },
                |mut vault| {
                    let read = ReadSource::read(Source::File(&path), None).unwrap();
                    let (_, file) = read.parse_by_place(None, false).unwrap().pop().unwrap();
                    let plan = file.plan(&vault, &vault.default_place().unwrap(), ConflictPolicy::Fail).unwrap().plan;
                    assert_eq!(plan.counts().add, N);
                    black_box(vault.apply_import(plan).unwrap())
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, import);
criterion_main!(benches);

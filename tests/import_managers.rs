//! Importing other password managers' exports through the real binary: KeePass (KDBX 4, with a
//! passphrase and with a key file), Bitwarden's JSON, 1Password's .1pux and CSV, and Doppler's
//! and Infisical's files, which are plain JSON and .env. Each is planned entry by entry (titles
//! shown, values never), nothing is written before the plan is accepted, and damaged files,
//! wrong passphrases, empty exports and 10,000 entries are covered. The fixtures and how they
//! were made: tests/fixtures/import/README.md.

use std::path::PathBuf;
use std::process::Output;

mod common;
use common::cli::{CliEnv as Env, code, stderr, stdout};

const PASS: &str = "correct horse battery staple";

fn fixture(name: &str) -> String {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", "import", name].iter().collect();
    path.to_str().unwrap().to_owned()
}

/// The plan's row for `name`: its action and the rest of the line.
fn row(out: &Output, name: &str) -> String {
    let text = stdout(out);
    text.lines()
        .find(|l| l.split_whitespace().nth(1) == Some(name))
        .unwrap_or_else(|| panic!("no row for {name}:\n{text}"))
        .to_owned()
}

fn value(env: &Env, args: &[&str]) -> String {
    let out = env.run(args);
    assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
    String::from_utf8(out.stdout).unwrap()
}

/// One line, no panic, no backtrace, no value.
fn assert_clean_error(out: &Output, expected_code: i32) {
    let err = stderr(out);
    assert_eq!(code(out), expected_code, "{err}");
    assert!(err.starts_with("tresor: "), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(!err.contains("panicked") && !err.contains("_fixture"), "{err}");
}

#[test]
fn bitwarden_export_is_planned_by_title_and_imported_only_after_the_plan() {
    let env = Env::new(PASS);
    let out = env.run(&["import", &fixture("bitwarden.json"), "--dry-run"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let plan = stdout(&out);
    assert!(plan.contains("TITLE"), "{plan}");
    assert!(row(&out, "GITHUB_TOKEN").starts_with("add") && row(&out, "GITHUB_TOKEN").contains("GitHub token"));
    assert!(row(&out, "DATABASE_URL").starts_with("add"), "a secure note's text: {plan}");
    assert!(row(&out, "STRIPE").contains("several secret fields (“password”, “webhook secret”)"), "{plan}");
    assert!(row(&out, "NO_PASSWORD").contains("no password or hidden field"), "{plan}");
    assert!(row(&out, "DATABASE_URL").starts_with("add"));
    assert!(plan.contains("DATABASE_URL is the name of an earlier entry (“DATABASE_URL”)"), "{plan}");
    assert!(plan.contains("2 to add, 0 to update, 0 unchanged, 3 skipped."), "{plan}");
    assert!(!plan.contains("_fixture") && !stderr(&out).contains("_fixture"), "no values: {plan}");
    assert_eq!(code(&env.run(&["get", "GITHUB_TOKEN"])), 4, "a dry run writes nothing");

    let out = env.run(&["import", &fixture("bitwarden.json")]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(value(&env, &["get", "GITHUB_TOKEN"]), "ghp_fixture");
    assert_eq!(value(&env, &["get", "DATABASE_URL"]), "postgres://fixture/db");
}

#[test]
fn folders_go_to_projects_of_their_name_with_sections() {
    let env = Env::new(PASS);
    let out = env.run(&["import", &fixture("bitwarden.json"), "--sections"]);
    assert_clean_error(&out, 4);
    assert!(stderr(&out).contains("tresor projects create web"), "{}", stderr(&out));
    assert_eq!(code(&env.run(&["get", "DATABASE_URL"])), 4, "nothing was imported");

    env.ok(&["projects", "create", "web"]);
    let out = env.run(&["import", &fixture("bitwarden.json"), "--sections"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(value(&env, &["get", "-p", "web", "GITHUB_TOKEN"]), "ghp_fixture");
    assert_eq!(value(&env, &["get", "DATABASE_URL"]), "postgres://fixture/db");
    assert_eq!(code(&env.run(&["get", "GITHUB_TOKEN"])), 4, "a folder's entry is in its project only");

    // Or one chosen place for everything, and a folder mapped elsewhere.
    let other = Env::new(PASS);
    other.ok(&["projects", "create", "shop"]);
    let out = other.run(&["-p", "shop", "-e", "production", "import", &fixture("bitwarden.json")]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(value(&other, &["get", "-p", "shop", "-e", "production", "GITHUB_TOKEN"]), "ghp_fixture");
    let out = other.run(&["import", &fixture("bitwarden.json"), "--sections", "--section", "web=shop/development"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(value(&other, &["get", "-p", "shop", "-e", "development", "GITHUB_TOKEN"]), "ghp_fixture");
}

#[test]
fn encrypted_bitwarden_export_is_refused_with_what_to_export_instead() {
    let env = Env::new(PASS);
    let out = env.run(&["import", &fixture("bitwarden-encrypted.json")]);
    assert_clean_error(&out, 1);
    assert!(stderr(&out).contains("encrypted Bitwarden export (password-protected)"), "{}", stderr(&out));
    assert!(stderr(&out).contains("not \"JSON (Encrypted)\""), "{}", stderr(&out));
}

#[test]
fn onepassword_csv_takes_the_password_column_and_lists_archived_items() {
    let env = Env::new(PASS);
    let out = env.run(&["import", &fixture("1password.csv")]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(row(&out, "DEPLOY__KEY").starts_with("add"), "{}", stdout(&out));
    assert!(row(&out, "NO_PASSWORD").contains("no password"));
    assert!(row(&out, "OLD_TOKEN").contains("archived in 1Password"));
    assert_eq!(value(&env, &["get", "GITHUB_TOKEN"]), "ghp_fixture");
    assert_eq!(value(&env, &["get", "DEPLOY__KEY"]), "deploy_fixture");
}

#[test]
fn onepassword_1pux_vaults_go_to_projects_and_hidden_fields_count() {
    let env = Env::new(PASS);
    // The vault's first project is named Personal too: 1Password's Personal vault goes there.
    env.ok(&["projects", "create", "ops"]);
    let out = env.run(&["import", &fixture("1password.1pux"), "--sections"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(row(&out, "OLD_TOKEN").contains("archived in 1Password"), "{}", stdout(&out));
    assert_eq!(value(&env, &["get", "-p", "Personal", "GITHUB_TOKEN"]), "ghp_fixture");
    assert_eq!(value(&env, &["get", "-p", "Personal", "DATABASE_URL"]), "postgres://fixture/db");
    assert_eq!(value(&env, &["get", "-p", "ops", "OPENAI_API_KEY"]), "api_fixture");
}

#[test]
fn keepass_4_opens_with_its_passphrase_and_groups_go_to_projects() {
    let env = Env::new(PASS);
    let pass = env.file("kdbx-pass", "fixture-pass\n");
    let kdbx = fixture("keepass4.kdbx");
    let out = env.run(&["import", &kdbx, "--source-passphrase-file", pass.to_str().unwrap(), "--dry-run"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(row(&out, "STRIPE").contains("several secret fields (“password”, “webhook secret”)"), "{}", stdout(&out));
    assert!(row(&out, "NO_PASSWORD").contains("no password"));

    env.ok(&["projects", "create", "web"]);
    env.ok(&["projects", "create", "ops"]);
    let out = env.run(&["import", &kdbx, "--source-passphrase-file", pass.to_str().unwrap(), "--sections"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(value(&env, &["get", "DATABASE_URL"]), "postgres://fixture/db");
    assert_eq!(value(&env, &["get", "-p", "web", "GITHUB_TOKEN"]), "ghp_fixture");
    assert_eq!(value(&env, &["get", "-p", "ops", "DEPLOY_KEY"]), "deploy_fixture");
}

#[test]
fn keepass_key_file_and_wrong_passphrase() {
    let env = Env::new(PASS);
    let pass = env.file("kdbx-pass", "fixture-pass\n");
    let wrong = env.file("wrong-pass", "not-the-pass\n");
    let kdbx = fixture("keepass4-keyfile.kdbx");
    let key = fixture("keyfile.key");
    let out = env.run(&["import", &kdbx, "--source-passphrase-file", pass.to_str().unwrap(), "--key-file", &key]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(value(&env, &["get", "GITHUB_TOKEN"]), "ghp_fixture");

    for args in [
        vec!["import", &kdbx, "--source-passphrase-file", pass.to_str().unwrap()],
        vec!["import", &kdbx, "--source-passphrase-file", wrong.to_str().unwrap(), "--key-file", &key],
    ] {
        let out = env.run(&args);
        assert_clean_error(&out, 3);
        assert!(
            stderr(&out).contains("the passphrase or key file does not open this KeePass file"),
            "{}",
            stderr(&out)
        );
    }
    let out = env.run(&["import", &fixture("keepass4.kdbx")]);
    assert_clean_error(&out, 2);
    assert!(stderr(&out).contains("no terminal to ask"), "{}", stderr(&out));
}

#[test]
fn damaged_exports_are_refused_before_anything_is_written() {
    let env = Env::new(PASS);
    let pass = env.file("kdbx-pass", "fixture-pass\n");
    let kdbx = std::fs::read(fixture("keepass4.kdbx")).unwrap();
    let pux = std::fs::read(fixture("1password.1pux")).unwrap();
    let cut_kdbx = env.dir.path().join("cut.kdbx");
    std::fs::write(&cut_kdbx, &kdbx[..kdbx.len() / 2]).unwrap();
    let cut_pux = env.dir.path().join("cut.1pux");
    std::fs::write(&cut_pux, &pux[..pux.len() / 2]).unwrap();
    let bad_bitwarden = env.file("bw.json", r#"{"encrypted": false, "items": [{"type": 1, "#);
    let cases = [
        (vec!["import", cut_kdbx.to_str().unwrap(), "--source-passphrase-file", pass.to_str().unwrap()], "KeePass"),
        (vec!["import", cut_pux.to_str().unwrap()], "1Password .1pux"),
        (vec!["import", bad_bitwarden.to_str().unwrap(), "--format", "bitwarden"], "Bitwarden"),
    ];
    for (args, format) in cases {
        let out = env.run(&args);
        assert_clean_error(&out, 1);
        assert!(stderr(&out).contains(&format!("not a readable {format} export")), "{}", stderr(&out));
    }
    assert!(stdout(&env.run(&["list"])).trim().is_empty() || code(&env.run(&["list"])) == 0);
}

#[test]
fn empty_exports_import_nothing() {
    let env = Env::new(PASS);
    let bitwarden = env.file("empty-bw.json", r#"{"encrypted": false, "folders": [], "items": []}"#);
    let csv = env.file("empty.csv", "Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes\n");
    for file in [bitwarden, csv] {
        let out = env.run(&["import", file.to_str().unwrap()]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert!(stderr(&out).contains("Nothing to import"), "{}", stderr(&out));
    }
}

#[test]
fn doppler_json_and_infisical_env_are_plain_files() {
    let env = Env::new(PASS);
    // `doppler secrets download --no-file --format json`: one flat object per config.
    let doppler = env.file(
        "doppler.json",
        r#"{"API_KEY": "doppler_fixture", "DOPPLER_CONFIG": "dev", "DOPPLER_ENVIRONMENT": "dev", "DOPPLER_PROJECT": "shop"}"#,
    );
    // `infisical export` (its default, dotenv): KEY='value' lines, one environment at a time.
    let infisical = env.file("infisical.env", "DATABASE_URL='postgres://infisical/db'\nSTRIPE_KEY='sk_infisical'\n");
    // `infisical export --format=json`: a list of {"key", "value", …} objects.
    let infisical_json = env.file(
        "infisical.json",
        r#"[{"key": "QUEUE_URL", "value": "amqp://infisical", "type": "shared", "id": "1", "workspace": "w"}]"#,
    );
    env.ok(&["projects", "create", "shop"]);
    let out = env.run(&["-p", "shop", "-e", "staging", "import", infisical_json.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(value(&env, &["get", "-p", "shop", "-e", "staging", "QUEUE_URL"]), "amqp://infisical");
    let out = env.run(&["-p", "shop", "-e", "development", "import", doppler.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = env.run(&["-p", "shop", "-e", "production", "import", infisical.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(value(&env, &["get", "-p", "shop", "-e", "development", "API_KEY"]), "doppler_fixture");
    assert_eq!(value(&env, &["get", "-p", "shop", "-e", "production", "DATABASE_URL"]), "postgres://infisical/db");
}

#[test]
fn ten_thousand_entries_import_from_bitwarden_and_1password_csv() {
    let env = Env::new(PASS);
    let mut json = String::from(r#"{"encrypted": false, "folders": [], "items": ["#);
    let mut csv = String::from("Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes\n");
    for i in 0..10_000 {
        if i > 0 {
            json.push(',');
        }
        json.push_str(&format!(r#"{{"type": 1, "name": "service {i} key", "login": {{"password": "v{i}"}}}}"#));
        csv.push_str(&format!("csv service {i},,,c{i},,false,false,,\n"));
    }
    json.push_str("]}");
    let bitwarden = env.file("big-bw.json", &json);
    let csv = env.file("big.csv", &csv);
    for (file, first) in [(bitwarden, "SERVICE_9999_KEY"), (csv, "CSV_SERVICE_9999")] {
        let started = std::time::Instant::now();
        let out = env.run(&["import", file.to_str().unwrap()]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert!(stderr(&out).contains("10000 added"), "{}", stderr(&out));
        assert!(started.elapsed().as_secs() < 60, "{:?}", started.elapsed());
        assert!(!value(&env, &["get", first]).is_empty());
    }
}

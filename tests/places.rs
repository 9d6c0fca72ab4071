//! Projects and environments through the core's public API: every rule about places (names,
//! uniqueness, override, inheritance, copy and move, delete and restore, comparison), and what
//! the file shows and refuses about them.

use std::path::Path;

use rusqlite::Connection;
use tresor::vault::store::FORMAT_VERSION;
use tresor::{Error, Origin, Passphrase, Place, PlaceName, SecretValue, Vault};

mod common;
use common::{TestClock, name, new_vault};

const PASS: &str = "places passphrase";

fn place_name(text: &str) -> PlaceName {
    PlaceName::parse(text).unwrap()
}

fn set(vault: &mut Vault, place: &Place, secret: &str, value: &str) {
    vault.set(place, name(secret), None, Some(SecretValue::new(value))).unwrap();
}

fn value_in(vault: &Vault, place: &Place, secret: &str) -> (String, Origin) {
    let (id, origin) = vault.find(place, &name(secret)).unwrap();
    (vault.reveal(id).unwrap().expose().to_owned(), origin)
}

/// A vault with project `shop` (development, staging, production).
fn shop() -> (tempfile::TempDir, std::path::PathBuf, Vault, Place, Place, Place) {
    let (dir, path, mut vault) = new_vault(PASS);
    vault.create_project(&place_name("shop")).unwrap();
    let shared = vault.place(Some("shop"), None).unwrap();
    let dev = vault.place(Some("shop"), Some("development")).unwrap();
    let prod = vault.place(Some("SHOP"), Some("Production")).unwrap();
    (dir, path, vault, shared, dev, prod)
}

#[test]
fn a_new_vault_has_the_default_project_with_the_usual_environments() {
    let (_dir, path, vault) = new_vault(PASS);
    let projects = vault.projects().unwrap();
    assert_eq!(projects.len(), 1);
    assert_eq!(projects[0].name.as_str(), "Personal");
    assert!(projects[0].is_default);
    let envs: Vec<&str> = projects[0].environments.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(envs, ["development", "staging", "production"]);
    assert_eq!(vault.default_place().unwrap(), Place::shared(projects[0].id));
    assert_eq!(vault.place(None, None).unwrap(), vault.default_place().unwrap());
    assert_eq!(Vault::info(&path).unwrap().format_version, FORMAT_VERSION);
}

#[test]
fn an_environment_resolves_to_its_own_secrets_over_the_project_level() {
    let (_dir, _path, mut vault, shared, dev, prod) = shop();
    set(&mut vault, &shared, "OPENAI_API_KEY", "sk-shared");
    set(&mut vault, &shared, "LOG_LEVEL", "info");
    set(&mut vault, &prod, "OPENAI_API_KEY", "sk-prod");
    set(&mut vault, &prod, "DATABASE_URL", "postgres://prod");

    assert_eq!(value_in(&vault, &dev, "OPENAI_API_KEY"), ("sk-shared".into(), Origin::Inherited));
    assert_eq!(value_in(&vault, &prod, "OPENAI_API_KEY"), ("sk-prod".into(), Origin::Override));
    assert_eq!(value_in(&vault, &prod, "DATABASE_URL"), ("postgres://prod".into(), Origin::Own));
    assert_eq!(value_in(&vault, &shared, "OPENAI_API_KEY"), ("sk-shared".into(), Origin::Own));
    assert!(matches!(vault.find(&dev, &name("DATABASE_URL")), Err(Error::NotFound { .. })));

    let listing = vault.list_in(&prod).unwrap();
    let rows: Vec<(&str, Origin)> = listing.items.iter().map(|p| (p.meta.name.as_str(), p.origin)).collect();
    assert_eq!(
        rows,
        [("DATABASE_URL", Origin::Own), ("LOG_LEVEL", Origin::Inherited), ("OPENAI_API_KEY", Origin::Override)]
    );
    let shared_rows: Vec<String> =
        vault.list_in(&shared).unwrap().items.iter().map(|p| p.meta.name.to_string()).collect();
    assert_eq!(shared_rows, ["LOG_LEVEL", "OPENAI_API_KEY"], "the project level shows shared secrets only");

    // What `run` and export get: the overlay.
    let resolved: Vec<(String, String)> = vault
        .export_entries(&prod, None)
        .unwrap()
        .into_iter()
        .map(|(n, v)| (n.to_string(), v.expose().to_owned()))
        .collect();
    assert_eq!(
        resolved,
        [
            ("DATABASE_URL".to_owned(), "postgres://prod".to_owned()),
            ("LOG_LEVEL".to_owned(), "info".to_owned()),
            ("OPENAI_API_KEY".to_owned(), "sk-prod".to_owned())
        ]
    );
}

#[test]
fn setting_an_inherited_name_in_an_environment_creates_an_override_and_removing_it_there_is_refused() {
    let (_dir, _path, mut vault, shared, dev, _prod) = shop();
    vault.set(&shared, name("API_KEY"), Some("the shared one".into()), Some(SecretValue::new("shared"))).unwrap();
    let outcome = vault.set(&dev, name("API_KEY"), None, Some(SecretValue::new("dev-only"))).unwrap();
    assert!(outcome.created, "an override is a new secret of the environment");
    assert_eq!(outcome.saved.meta.description, "the shared one", "it keeps the shared description");
    assert_eq!(value_in(&vault, &shared, "API_KEY").0, "shared", "the shared secret is unchanged");
    assert_eq!(value_in(&vault, &dev, "API_KEY"), ("dev-only".into(), Origin::Override));

    // Removing the override brings the shared value back; removing again is refused: inherited.
    vault.remove_in(&dev, &[name("API_KEY")]).unwrap();
    assert_eq!(value_in(&vault, &dev, "API_KEY"), ("shared".into(), Origin::Inherited));
    let refused = vault.remove_in(&dev, &[name("API_KEY")]).unwrap_err();
    assert!(matches!(refused, Error::Inherited { .. }), "{refused:?}");
    let message = refused.to_string();
    assert!(message.contains("shop/development") && message.contains("shop's shared secrets"), "{message}");
    assert_eq!(value_in(&vault, &shared, "API_KEY").0, "shared", "nothing was removed");
}

#[test]
fn names_are_unique_within_their_place_only() {
    let (_dir, path, mut vault, shared, dev, prod) = shop();
    let personal = vault.default_place().unwrap();
    for place in [personal, shared, dev, prod] {
        set(&mut vault, &place, "OPENAI_API_KEY", "same value everywhere");
    }
    assert!(matches!(
        vault.create_many(&dev, vec![common::new_secret("OPENAI_API_KEY", "", "again")]),
        Err(Error::NameTaken { .. })
    ));
    // A rename inside a place checks that place only.
    let (id, _) = vault.find(&dev, &name("OPENAI_API_KEY")).unwrap();
    set(&mut vault, &prod, "OTHER", "x");
    vault.edit(id, tresor::SecretEdit { name: Some(name("OTHER")), ..Default::default() }).unwrap();
    drop(vault);

    // The file does not show that four places hold the same name: four unrelated indexes.
    let conn = Connection::open(&path).unwrap();
    let distinct: i64 = conn.query_row("SELECT count(DISTINCT name_index) FROM secrets", [], |r| r.get(0)).unwrap();
    let rows: i64 = conn.query_row("SELECT count(*) FROM secrets", [], |r| r.get(0)).unwrap();
    assert_eq!(distinct, rows);
}

#[test]
fn project_and_environment_names_are_checked_and_unique_ignoring_case() {
    let (_dir, _path, mut vault, shared, _dev, _prod) = shop();
    assert!(matches!(vault.create_project(&place_name("SHOP")), Err(Error::ProjectTaken { .. })));
    assert!(matches!(
        vault.create_environment(shared.project, &place_name("Staging")),
        Err(Error::EnvironmentTaken { .. })
    ));
    assert!(PlaceName::parse("a/b").is_err());
    // The same environment name in two projects is fine.
    let other = vault.create_project(&place_name("docs bot")).unwrap();
    let qa = vault.create_environment(other, &place_name("qa")).unwrap();
    vault.create_environment(shared.project, &place_name("qa")).unwrap();
    // Rename: to a name taken in the scope is refused; to its own name in another case is fine.
    assert!(matches!(vault.rename_place(other, &place_name("Shop")), Err(Error::ProjectTaken { .. })));
    vault.rename_place(qa, &place_name("QA")).unwrap();
    assert_eq!(vault.place(Some("docs bot"), Some("qa")).unwrap().env, Some(qa));
    // Unknown names say what there is.
    let message = vault.place(Some("nope"), None).unwrap_err().to_string();
    assert!(message.contains("Personal") && message.contains("shop") && message.contains("docs bot"), "{message}");
    let message = vault.place(Some("shop"), Some("prod")).unwrap_err().to_string();
    assert!(message.contains("development, staging, production, qa"), "{message}");
    // Reorder.
    let project = vault.projects().unwrap().into_iter().find(|p| p.name.as_str() == "shop").unwrap();
    let mut order: Vec<_> = project.environments.iter().map(|e| e.id).collect();
    order.reverse();
    vault.reorder_environments(project.id, &order).unwrap();
    let project = vault.projects().unwrap().into_iter().find(|p| p.name.as_str() == "shop").unwrap();
    let names: Vec<&str> = project.environments.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["qa", "production", "staging", "development"]);
}

#[test]
fn the_default_project_is_held_by_id_renamed_freely_and_never_deleted() {
    let (_dir, path, mut vault) = new_vault(PASS);
    let default = vault.default_place().unwrap();
    vault.set(&vault.default_place().unwrap(), name("KEY"), None, Some(SecretValue::new("v"))).unwrap();
    vault.rename_place(default.project, &place_name("Me")).unwrap();
    assert_eq!(vault.default_place().unwrap(), default);
    assert_eq!(
        vault.reveal(vault.find(&vault.default_place().unwrap(), &name("KEY")).unwrap().0).unwrap().expose(),
        "v"
    );
    let refused = vault.delete_place(default.project).unwrap_err();
    assert!(matches!(refused, Error::DefaultProject { .. }), "{refused:?}");
    drop(vault);
    let vault = Vault::unlock(&path, &Passphrase::new(PASS)).unwrap();
    assert_eq!(vault.default_place().unwrap(), default);
}

#[test]
fn deleting_an_environment_or_a_project_trashes_its_secrets_and_restoring_brings_them_back() {
    let (_dir, path, mut vault, shared, dev, prod) = shop();
    set(&mut vault, &shared, "SHARED", "s");
    set(&mut vault, &dev, "DEV_ONLY", "d");
    set(&mut vault, &prod, "PROD_ONLY", "p");
    let alone = vault.find(&prod, &name("PROD_ONLY")).unwrap().0;

    assert_eq!(vault.delete_place(dev.env.unwrap()).unwrap(), 1);
    assert!(matches!(vault.place(Some("shop"), Some("development")), Err(Error::EnvironmentNotFound { .. })));
    let trashed = vault.trashed_places().unwrap();
    assert_eq!(trashed.len(), 1);
    assert_eq!(trashed[0].label.to_string(), "shop/development");
    assert_eq!(trashed[0].secrets, 1);
    // Its name is free again; a secret of it cannot come back alone.
    let dev_secret = vault.trash().unwrap().items[0].meta.id;
    assert!(matches!(vault.restore(dev_secret, None), Err(Error::PlaceInTrash { .. })));
    assert_eq!(vault.restore_place(dev.env.unwrap()).unwrap(), 1);
    assert_eq!(value_in(&vault, &dev, "DEV_ONLY"), ("d".into(), Origin::Own));

    // A whole project, with its environments; a new project of that name blocks the restore.
    vault.delete(&[alone]).unwrap(); // trashed before: stays in the trash after the restore
    assert_eq!(vault.delete_place(shared.project).unwrap(), 2);
    assert_eq!(vault.trashed_places().unwrap().len(), 1, "the project, its environments with it");
    let newcomer = vault.create_project(&place_name("Shop")).unwrap();
    assert!(matches!(vault.restore_place(shared.project), Err(Error::ProjectTaken { .. })));
    vault.rename_place(newcomer, &place_name("shop 2")).unwrap();
    assert_eq!(vault.restore_place(shared.project).unwrap(), 2);
    assert_eq!(value_in(&vault, &dev, "SHARED"), ("s".into(), Origin::Inherited));
    assert!(vault.find(&prod, &name("PROD_ONLY")).is_err(), "deleted on its own earlier: still in the trash");
    vault.restore(alone, None).unwrap();
    drop(vault);
    Vault::unlock(&path, &Passphrase::new(PASS)).unwrap();
}

#[test]
fn trashed_places_are_purged_with_their_secrets_after_the_retention() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.db");
    let clock = TestClock::ticking_at(1_780_000_000_000);
    let mut vault =
        Vault::create_with_clock(&path, &Passphrase::new(PASS), tresor::KdfParams::insecure_for_tests(), clock.clone())
            .unwrap();
    let project = vault.create_project(&place_name("old")).unwrap();
    set(&mut vault, &Place::shared(project), "OLD", "x");
    vault.delete_place(project).unwrap();
    drop(vault);
    clock.advance_days(31);
    let vault = Vault::unlock_with_clock(&path, &Passphrase::new(PASS), clock).unwrap();
    assert!(vault.trashed_places().unwrap().is_empty());
    assert!(vault.trash().unwrap().items.is_empty());
    drop(vault);
    let conn = Connection::open(&path).unwrap();
    let places: i64 = conn
        .query_row("SELECT (SELECT count(*) FROM projects) + (SELECT count(*) FROM environments)", [], |r| r.get(0))
        .unwrap();
    assert_eq!(places, 4, "Personal and its three environments are left");
}

#[test]
fn move_keeps_the_history_and_copy_fills_a_gap_or_replaces_on_request() {
    let (_dir, _path, mut vault, shared, dev, prod) = shop();
    set(&mut vault, &dev, "DB_URL", "v1");
    set(&mut vault, &dev, "DB_URL", "v2");
    let id = vault.find(&dev, &name("DB_URL")).unwrap().0;

    let copied = vault.copy_secret(id, &prod, false).unwrap();
    assert_eq!(copied.meta.version, 1, "a copy starts its own history");
    assert_eq!(value_in(&vault, &prod, "DB_URL").0, "v2");
    assert!(matches!(vault.copy_secret(id, &prod, false), Err(Error::NameTaken { .. })));
    set(&mut vault, &dev, "DB_URL", "v3");
    let replaced = vault.copy_secret(id, &prod, true).unwrap();
    assert_eq!((replaced.meta.version, replaced.value_changed), (2, true));

    let moved = vault.move_secret(id, &shared).unwrap();
    assert_eq!((moved.id, moved.version), (id, 3), "same secret, same versions");
    assert_eq!(vault.reveal_version(id, 1).unwrap().expose(), "v1", "its history came along");
    assert_eq!(value_in(&vault, &dev, "DB_URL"), ("v3".into(), Origin::Inherited));
    assert_eq!(vault.place_of(id).unwrap(), shared);
    let other = vault.find(&prod, &name("DB_URL")).unwrap().0;
    assert!(matches!(vault.move_secret(other, &shared), Err(Error::NameTaken { .. })));
}

#[test]
fn compare_tells_missing_same_and_different_values_apart_without_values() {
    let (_dir, _path, mut vault, shared, dev, prod) = shop();
    let staging = vault.place(Some("shop"), Some("staging")).unwrap();
    set(&mut vault, &shared, "SHARED", "same");
    set(&mut vault, &dev, "DB_URL", "dev-db");
    set(&mut vault, &staging, "DB_URL", "prod-db");
    set(&mut vault, &prod, "DB_URL", "prod-db");
    set(&mut vault, &prod, "ONLY_PROD", "x");
    let rows = vault.compare(&[dev, staging, prod]).unwrap();
    let by_name = |n: &str| rows.iter().find(|r| r.name.as_str() == n).unwrap();
    assert_eq!(rows.len(), 3);
    assert!(by_name("SHARED").all_same());
    let db = by_name("DB_URL");
    assert!(!db.all_same());
    let groups: Vec<usize> = db.cells.iter().map(|c| c.as_ref().unwrap().group).collect();
    assert_eq!(groups, [0, 1, 1], "staging and production hold the same value, development another");
    let only = by_name("ONLY_PROD");
    assert_eq!(only.cells.iter().map(Option::is_some).collect::<Vec<_>>(), [false, false, true]);
    assert_eq!(by_name("SHARED").cells[0].as_ref().unwrap().origin, Origin::Inherited);
}

#[test]
fn a_backup_restores_the_places_as_they_were() {
    let (_dir, path, mut vault, shared, _dev, prod) = shop();
    set(&mut vault, &shared, "A", "a");
    set(&mut vault, &prod, "A", "prod-a");
    let backup = vault.backup_now().unwrap().unwrap();
    vault.delete_place(shared.project).unwrap();
    vault.create_project(&place_name("after")).unwrap();
    drop(vault);
    let restored = Vault::restore_backup(&path, &backup.path, &Passphrase::new(PASS)).unwrap();
    let vault = restored.vault;
    let names: Vec<String> = vault.projects().unwrap().iter().map(|p| p.name.to_string()).collect();
    assert_eq!(names, ["Personal", "shop"]);
    assert_eq!(value_in(&vault, &prod, "A"), ("prod-a".into(), Origin::Override));
}

/// Unlocks `path` after `tamper` ran on the file: the record set must refuse it.
fn refused_after(path: &Path, tamper: &str) {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(tamper).unwrap();
    drop(conn);
    let result = Vault::unlock(path, &Passphrase::new(PASS));
    assert!(matches!(result, Err(Error::RecordSetTampered)), "{tamper}: {result:?}");
}

#[test]
fn places_cannot_be_changed_behind_the_vaults_back() {
    let attacks = [
        // A production secret moved into development (its ciphertexts untouched).
        "UPDATE secrets SET place = (SELECT id FROM environments e WHERE e.id != secrets.place LIMIT 1)
         WHERE id = (SELECT min(id) FROM secrets)",
        // Two environments' names swapped.
        "UPDATE environments SET name = (SELECT name FROM environments e WHERE e.id != environments.id LIMIT 1)",
        // An environment removed, or put back in another order.
        "DELETE FROM environments WHERE position = 1",
        "UPDATE environments SET position = 5 - position",
        // Another project made the default.
        "UPDATE projects SET is_default = 1 - is_default",
        // A deleted project brought back by clearing its mark.
        "UPDATE projects SET deleted = NULL",
    ];
    for attack in attacks {
        let (_dir, path, mut vault, shared, dev, prod) = shop();
        set(&mut vault, &dev, "DEV", "d");
        set(&mut vault, &prod, "PROD", "p");
        let gone = vault.create_project(&place_name("gone")).unwrap();
        vault.delete_place(gone).unwrap();
        let _ = shared;
        drop(vault);
        refused_after(&path, attack);
    }
}

#[test]
fn every_older_secret_migrates_to_the_default_project_level() {
    // (The fixtures test checks every field; this checks places on the v2 fixture's copy.)
    let dir = tempfile::tempdir().unwrap();
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v2/vault.db");
    let path = dir.path().join("vault.db");
    std::fs::copy(from, &path).unwrap();
    let clock = TestClock::ticking_at(1_780_000_060_000);
    let vault = Vault::unlock_with_clock(&path, &Passphrase::new("fixture passphrase"), clock).unwrap();
    let default = vault.default_place().unwrap();
    let listed = vault.list_in(&default).unwrap();
    assert_eq!(listed.items.len(), 4);
    assert!(listed.items.iter().all(|p| p.origin == Origin::Own && p.meta.place == default.project));
    let dev = vault.place(None, Some("development")).unwrap();
    let inherited = vault.list_in(&dev).unwrap();
    assert!(inherited.items.iter().all(|p| p.origin == Origin::Inherited));
    assert_eq!(vault.trash().unwrap().items.len(), 1);
}

#[test]
fn a_project_deleted_in_the_same_millisecond_as_one_of_its_environments_restores_without_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.db");
    // A clock that does not move: every write in the same millisecond.
    let clock = TestClock::at(1_780_000_000_000);
    let mut vault =
        Vault::create_with_clock(&path, &Passphrase::new(PASS), tresor::KdfParams::insecure_for_tests(), clock)
            .unwrap();
    let project = vault.create_project(&place_name("shop")).unwrap();
    let qa = vault.create_environment(project, &place_name("qa")).unwrap();
    set(&mut vault, &Place { project, env: Some(qa) }, "QA_ONLY", "q");
    vault.delete_place(qa).unwrap();
    vault.delete_place(project).unwrap();
    vault.restore_place(project).unwrap();
    let envs: Vec<String> = vault
        .projects()
        .unwrap()
        .iter()
        .find(|p| p.id == project)
        .unwrap()
        .environments
        .iter()
        .map(|e| e.name.to_string())
        .collect();
    assert_eq!(
        envs,
        ["development", "staging", "production"],
        "qa was deleted on its own before: it stays in the trash"
    );
    assert_eq!(vault.trashed_places().unwrap().len(), 1);
}

#[test]
fn a_damaged_environment_name_is_shown_as_such_and_hides_nothing_else() {
    let (_dir, path, mut vault, shared, _dev, _prod) = shop();
    set(&mut vault, &shared, "STILL_HERE", "s");
    drop(vault);
    // One byte in the body of an environment's sealed name (not its nonce or tag): the record
    // set still holds, the name no longer opens.
    let conn = Connection::open(&path).unwrap();
    let (id, mut name): (Vec<u8>, Vec<u8>) = conn
        .query_row("SELECT id, name FROM environments ORDER BY id LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    name[14] ^= 1;
    conn.execute("UPDATE environments SET name = ?1 WHERE id = ?2", rusqlite::params![name, id]).unwrap();
    drop(conn);
    let vault = Vault::unlock(&path, &Passphrase::new(PASS)).unwrap();
    let projects = vault.projects().unwrap();
    let names: Vec<String> = projects.iter().flat_map(|p| p.environments.iter().map(|e| e.name.to_string())).collect();
    assert!(names.iter().any(|n| n.starts_with("unreadable environment")), "{names:?}");
    assert_eq!(value_in(&vault, &vault.place(Some("shop"), None).unwrap(), "STILL_HERE").0, "s");
}

//! Tampering with nothing but an index. The record set authenticates every row, but lookups go
//! through SQLite's indexes, which nothing authenticates, and SQLite reads the columns an index
//! holds from the index itself. Each test here edits one entry of one index — rows, header and
//! schema stay byte for byte the same, so unlocking passes — and then takes the path a user or a
//! script takes (the real binary, or the app's core calls): the lookup must stop with the
//! integrity error (exit 5) naming the record, never hand out, inject, restore, purge or write
//! another record than the one asked for. One test per index of the schema (checked below).

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use tresor::vault::Clock;
use tresor::{KdfParams, Passphrase, Place, PlaceName, SecretEdit, SecretId, SecretValue, Vault};

mod common;
use common::{TestClock, name, new_secret};

const PASS: &str = "index tamper passphrase";

/// Now, by the system clock the command line uses (so that nothing in the trash is old enough
/// to be purged by the unlocks these tests make).
fn now() -> i64 {
    tresor::vault::SystemClock.now().0
}

/// A vault with two projects, where the same name lives in several places.
struct Fixture {
    dir: tempfile::TempDir,
    path: PathBuf,
    pass_file: PathBuf,
    staging: Place,
    production: Place,
    shop: Place,
    bank: Place,
}

impl Fixture {
    fn new() -> Fixture {
        Self::with_clock(TestClock::ticking_at(now()))
    }

    fn with_clock(clock: Arc<dyn Clock>) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        let pass_file = dir.path().join("pass");
        common::write_private(&pass_file, format!("{PASS}\n"));
        let mut vault =
            Vault::create_with_clock(&path, &Passphrase::new(PASS), KdfParams::insecure_for_tests(), clock).unwrap();
        vault.create_project(&PlaceName::parse("shop").unwrap()).unwrap();
        vault.create_project(&PlaceName::parse("bank").unwrap()).unwrap();
        let staging = vault.place(Some("shop"), Some("staging")).unwrap();
        let production = vault.place(Some("shop"), Some("production")).unwrap();
        let shop = vault.place(Some("shop"), None).unwrap();
        let bank = vault.place(Some("bank"), None).unwrap();
        let add = |vault: &mut Vault, place: &Place, n: &str, v: &str| {
            vault.create_many(place, vec![new_secret(n, "", v)]).unwrap();
        };
        add(&mut vault, &staging, "DATABASE_URL", "staging-db");
        add(&mut vault, &production, "DATABASE_URL", "production-db");
        add(&mut vault, &staging, "API_KEY", "staging-api");
        add(&mut vault, &shop, "SHARED_KEY", "shop-shared");
        add(&mut vault, &bank, "DATABASE_URL", "bank-db");
        add(&mut vault, &bank, "BANK_TOKEN", "bank-token");
        add(&mut vault, &staging, "REVOKED", "revoked-key");
        add(&mut vault, &staging, "PK", "staging-pk");
        add(&mut vault, &production, "PK", "production-pk");
        let trashed: Vec<SecretId> = [(&staging, "REVOKED"), (&staging, "PK"), (&production, "PK")]
            .iter()
            .map(|(place, n)| vault.find_own_in(place, &name(n)).unwrap())
            .collect();
        vault.delete(&trashed).unwrap();
        drop(vault);
        Fixture { dir, path, pass_file, staging, production, shop, bank }
    }

    fn unlock(&self) -> Vault {
        Vault::unlock(&self.path, &Passphrase::new(PASS)).unwrap()
    }

    /// The id of `name` in `place`, live or trashed (read before any tampering).
    fn id(&self, place: &Place, n: &str) -> SecretId {
        let vault = self.unlock();
        vault.find_own_in(place, &name(n)).or_else(|_| vault.find_in_trash(place, &name(n))).unwrap()
    }

    fn cli(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tresor"))
            .arg("--vault")
            .arg(&self.path)
            .arg("--passphrase-file")
            .arg(&self.pass_file)
            .args(args)
            .env("TRESOR_STATE_DIR", self.dir.path().join("state"))
            .env_remove("TRESOR_PROJECT")
            .env_remove("TRESOR_ENV")
            .current_dir(self.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    /// Runs the command line and expects the integrity error, with nothing on stdout.
    fn refused(&self, args: &[&str], stdin: &str) -> String {
        let out = self.cli(args, stdin);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            out.status.code(),
            Some(5),
            "tresor {args:?}: exit {:?}, stdout {:?}, stderr {stderr}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(out.stdout.is_empty(), "nothing handed out: {:?}", String::from_utf8_lossy(&out.stdout));
        assert!(stderr.contains("index"), "the error names the index: {stderr}");
        stderr
    }

    fn value(&self, place: &Place, n: &str) -> String {
        let vault = self.unlock();
        vault.reveal(vault.find_own_in(place, &name(n)).unwrap()).unwrap().expose().to_owned()
    }
}

/// SQLite's file, as far as these tests read it: the page size and one b-tree's pages.
struct SqliteFile {
    bytes: Vec<u8>,
    page_size: usize,
}

impl SqliteFile {
    fn read(path: &Path) -> SqliteFile {
        let bytes = std::fs::read(path).unwrap();
        let raw = u16::from_be_bytes([bytes[16], bytes[17]]) as usize;
        SqliteFile { bytes, page_size: if raw == 1 { 65536 } else { raw } }
    }

    fn page(&self, n: usize) -> &[u8] {
        &self.bytes[(n - 1) * self.page_size..n * self.page_size]
    }

    /// Every page of the b-tree rooted at `root` (interior index pages hold entries too).
    fn btree_pages(&self, root: usize) -> Vec<usize> {
        let mut pages = vec![root];
        let mut i = 0;
        while i < pages.len() {
            let n = pages[i];
            let page = self.page(n);
            let header = if n == 1 { 100 } else { 0 };
            if page[header] == 0x02 {
                let cells = u16::from_be_bytes([page[header + 3], page[header + 4]]) as usize;
                for c in 0..cells {
                    let at = header + 12 + 2 * c;
                    let cell = u16::from_be_bytes([page[at], page[at + 1]]) as usize;
                    pages.push(u32::from_be_bytes(page[cell..cell + 4].try_into().unwrap()) as usize);
                }
                let right = &page[header + 8..header + 12];
                pages.push(u32::from_be_bytes(right.try_into().unwrap()) as usize);
            } else {
                assert_eq!(page[header], 0x0a, "page {n} is an index page");
            }
            i += 1;
        }
        pages
    }
}

/// Every row of every table and the schema, as the tables themselves hold them (a scan of each
/// table's own b-tree: all columns, which no index covers).
fn rows_and_schema(path: &Path) -> String {
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut out = String::new();
    for table in ["vault_header", "projects", "environments", "secrets", "history", "sqlite_master"] {
        let mut stmt = conn.prepare(&format!("SELECT * FROM {table}")).unwrap();
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| Ok((0..n).map(|i| format!("{:?}", r.get_ref(i).unwrap())).collect::<Vec<_>>().join("|")))
            .unwrap();
        let mut rows: Vec<String> = rows.map(Result::unwrap).collect();
        rows.sort();
        out += &format!("{table}:\n{}\n", rows.join("\n"));
    }
    out
}

/// In the index `index` only, replaces the one occurrence of `from` (16 bytes: an id in an entry)
/// with `to`. The tables' rows and the schema stay exactly as they were.
fn edit_index_entry(path: &Path, index: &str, from: &[u8; 16], to: &[u8; 16]) {
    assert!(
        std::fs::metadata(format!("{}-wal", path.display())).map_or(true, |m| m.len() == 0),
        "the vault is closed and checkpointed"
    );
    let before = rows_and_schema(path);
    let root: i64 = {
        let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        conn.query_row("SELECT rootpage FROM sqlite_master WHERE type = 'index' AND name = ?1", [index], |r| r.get(0))
            .unwrap()
    };
    let mut file = SqliteFile::read(path);
    let mut found = Vec::new();
    for page in file.btree_pages(root as usize) {
        let start = (page - 1) * file.page_size;
        for at in start..=start + file.page_size - 16 {
            if file.bytes[at..at + 16] == from[..] {
                found.push(at);
            }
        }
    }
    assert_eq!(found.len(), 1, "the entry occurs once in {index}");
    file.bytes[found[0]..found[0] + 16].copy_from_slice(to);
    std::fs::write(path, &file.bytes).unwrap();
    assert_eq!(rows_and_schema(path), before, "only the index changed");
}

fn bytes(id: SecretId) -> [u8; 16] {
    *id.as_bytes()
}

fn place_bytes(place: &Place) -> [u8; 16] {
    *place.id().as_bytes()
}

/// The history row ids of a secret, by version.
fn history_ids(path: &Path, secret: SecretId) -> Vec<(u32, [u8; 16])> {
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut stmt = conn.prepare("SELECT version, id FROM history WHERE secret_id = ?1 ORDER BY version").unwrap();
    stmt.query_map([secret.as_bytes().as_slice()], |r| Ok((r.get(0)?, r.get::<_, Vec<u8>>(1)?.try_into().unwrap())))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// The indexes these tests attack, one test each.
const ATTACKED: [&str; 7] = [
    "secrets_live_name",
    "secrets_place",
    "secrets_trash",
    "secrets_trash_name",
    "projects_name",
    "environments_name",
    "sqlite_autoindex_history_2",
];

#[test]
fn every_index_of_the_schema_has_a_tamper_test_here() {
    let fixture = Fixture::new();
    let conn =
        rusqlite::Connection::open_with_flags(&fixture.path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut stmt = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").unwrap();
    let indexes: BTreeSet<String> = stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    let attacked: BTreeSet<String> = ATTACKED.iter().map(|s| s.to_string()).collect();
    assert_eq!(indexes, attacked, "a new index needs its tamper test");
}

#[test]
fn a_name_index_entry_redirected_to_production_neither_reads_nor_writes_production() {
    let f = Fixture::new();
    let (staging_db, production_db) = (f.id(&f.staging, "DATABASE_URL"), f.id(&f.production, "DATABASE_URL"));
    edit_index_entry(&f.path, "secrets_live_name", &bytes(staging_db), &bytes(production_db));

    f.refused(&["get", "-p", "shop", "-e", "staging", "DATABASE_URL"], "");
    f.refused(&["set", "-p", "shop", "-e", "staging", "DATABASE_URL"], "written-by-the-user");
    assert_eq!(f.value(&f.production, "DATABASE_URL"), "production-db", "production was not written");
    // rotate-key checks the whole file before re-sealing anything under the new key.
    let before = std::fs::read(&f.path).unwrap();
    let out = f.cli(&["rotate-key"], "");
    assert_eq!(out.status.code(), Some(5), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(&f.path).unwrap(), before, "nothing was re-sealed");
}

#[test]
fn a_place_index_entry_does_not_inject_production_a_trashed_secret_or_another_projects() {
    // staging's own DATABASE_URL replaced by production's in the place's listing.
    let f = Fixture::new();
    let (staging_db, production_db) = (f.id(&f.staging, "DATABASE_URL"), f.id(&f.production, "DATABASE_URL"));
    edit_index_entry(&f.path, "secrets_place", &bytes(staging_db), &bytes(production_db));
    f.refused(&["run", "-p", "shop", "-e", "staging", "--", "printenv", "DATABASE_URL"], "");
    f.refused(&["list", "-p", "shop", "-e", "staging"], "");

    // A trashed (revoked) secret listed as staging's live one.
    let f = Fixture::new();
    let (api, revoked) = (f.id(&f.staging, "API_KEY"), f.id(&f.staging, "REVOKED"));
    edit_index_entry(&f.path, "secrets_place", &bytes(api), &bytes(revoked));
    f.refused(&["run", "-p", "shop", "-e", "staging", "--", "printenv", "REVOKED"], "");
    f.refused(&["export", "-p", "shop", "-e", "staging"], "");

    // Another project's secret at shop's project level.
    let f = Fixture::new();
    let (shared, bank_token) = (f.id(&f.shop, "SHARED_KEY"), f.id(&f.bank, "BANK_TOKEN"));
    edit_index_entry(&f.path, "secrets_place", &bytes(shared), &bytes(bank_token));
    f.refused(&["run", "-p", "shop", "--", "printenv", "BANK_TOKEN"], "");
}

#[test]
fn a_trash_index_entry_pointing_at_a_live_secret_does_not_purge_it() {
    let clock = TestClock::ticking_at(now());
    let f = Fixture::with_clock(clock.clone());
    let (api, revoked) = (f.id(&f.staging, "API_KEY"), f.id(&f.staging, "REVOKED"));
    edit_index_entry(&f.path, "secrets_trash", &bytes(revoked), &bytes(api));
    // Past the trash's retention: unlocking purges what the trash index lists as old.
    clock.advance_days(31);
    let unlocked = Vault::unlock_with_clock(&f.path, &Passphrase::new(PASS), clock.clone());
    let err = unlocked.expect_err("the unlock stops at the lying index");
    assert!(err.is_integrity_failure() && err.to_string().contains("index"), "{err}");
    // The live secret is still there, as the record set and a salvage read show.
    let salvage = Vault::unlock_for_salvage(&f.path, &Passphrase::new(PASS)).unwrap();
    assert_eq!(salvage.reveal(api).unwrap().expose(), "staging-api");
}

#[test]
fn a_trash_name_index_entry_does_not_restore_another_places_secret() {
    let f = Fixture::new();
    let (staging_pk, production_pk) = (f.id(&f.staging, "PK"), f.id(&f.production, "PK"));
    edit_index_entry(&f.path, "secrets_trash_name", &bytes(staging_pk), &bytes(production_pk));
    f.refused(&["restore", "-p", "shop", "-e", "staging", "PK"], "");
    let vault = f.unlock();
    assert!(vault.find_own_in(&f.production, &name("PK")).is_err(), "production's PK stayed in the trash");
}

#[test]
fn a_project_name_index_entry_does_not_turn_one_project_into_another() {
    let f = Fixture::new();
    edit_index_entry(&f.path, "projects_name", &place_bytes(&f.shop), &place_bytes(&f.bank));
    f.refused(&["get", "-p", "shop", "BANK_TOKEN"], "");
    f.refused(&["run", "-p", "shop", "--", "printenv", "BANK_TOKEN"], "");
}

#[test]
fn an_environment_name_index_entry_does_not_turn_staging_into_production() {
    let f = Fixture::new();
    edit_index_entry(&f.path, "environments_name", &place_bytes(&f.staging), &place_bytes(&f.production));
    f.refused(&["get", "-p", "shop", "-e", "staging", "DATABASE_URL"], "");
    f.refused(&["set", "-p", "shop", "-e", "staging", "NEW_NAME"], "new-value");
    let vault = f.unlock();
    assert!(vault.find_own_in(&f.production, &name("NEW_NAME")).is_err(), "nothing was written to production");
}

#[test]
fn a_history_index_entry_does_not_make_an_edit_delete_another_secrets_history() {
    let f = Fixture::new();
    let mut vault = f.unlock();
    // KEPT has the most earlier values a secret keeps: its next edit drops the oldest. OTHER has
    // one earlier value.
    vault.create_many(&f.staging, vec![new_secret("KEPT", "", "v1")]).unwrap();
    let kept = vault.find_own_in(&f.staging, &name("KEPT")).unwrap();
    for v in 2..=(tresor::vault::HISTORY_LIMIT as u32 + 1) {
        vault
            .edit(kept, SecretEdit { value: Some(SecretValue::new(format!("v{v}"))), ..SecretEdit::default() })
            .unwrap();
    }
    vault.create_many(&f.staging, vec![new_secret("OTHER", "", "other-1")]).unwrap();
    let other = vault.find_own_in(&f.staging, &name("OTHER")).unwrap();
    vault.edit(other, SecretEdit { value: Some(SecretValue::new("other-2")), ..SecretEdit::default() }).unwrap();
    drop(vault);
    let (oldest_kept, other_old) = (history_ids(&f.path, kept)[0].1, history_ids(&f.path, other)[0].1);
    edit_index_entry(&f.path, "sqlite_autoindex_history_2", &oldest_kept, &other_old);

    f.refused(&["set", "-p", "shop", "-e", "staging", "KEPT"], "one more");
    assert_eq!(history_ids(&f.path, other).len(), 1, "OTHER's earlier value is still there");
    let vault = f.unlock();
    assert_eq!(vault.reveal_version(other, 1).unwrap().expose(), "other-1");
}

#[test]
fn a_backup_with_an_edited_index_is_not_restored() {
    let f = Fixture::new();
    let made = f.cli(&["backup"], "");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let backup = tresor::vault::backup::list(&f.path).unwrap().remove(0);
    let (staging_db, production_db) = (f.id(&f.staging, "DATABASE_URL"), f.id(&f.production, "DATABASE_URL"));
    edit_index_entry(&backup.path, "secrets_live_name", &bytes(staging_db), &bytes(production_db));
    let before = std::fs::read(&f.path).unwrap();
    let out = f.cli(&["restore-backup", &backup.name()], "");
    assert_eq!(out.status.code(), Some(5), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(&f.path).unwrap(), before, "the vault is as it was");
}

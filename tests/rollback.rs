//! Old copies of the whole file. Each part of an older copy is genuine, so only what Tresor
//! remembers outside the vault's folder (the state folder, `TRESOR_STATE_DIR`) can tell it from
//! the current file: the write counter sealed in the record set, the key id and the format. An
//! older copy put in place is refused (exit 5, a message of its own), a restore made through
//! Tresor is not taken for one, read-only opens warn, and "latest" is the newest state sealed in
//! a backup, never the newest name. These tests take the real binary, as a user or a script does.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

mod common;

const PASS: &str = "rollback passphrase";

/// A vault made by the command line, with a state folder of its own.
struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        let setup = Setup { dir: tempfile::tempdir().unwrap() };
        common::write_private(&setup.pass_file(), format!("{PASS}\n"));
        let out = setup.cli(&["init", "--kdf-memory-mib", "64", "--kdf-iterations", "3", "--kdf-parallelism", "4"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        setup
    }

    fn vault(&self) -> PathBuf {
        self.dir.path().join("vault.db")
    }

    fn pass_file(&self) -> PathBuf {
        self.dir.path().join("pass")
    }

    fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    fn cli_on(&self, vault: &Path, args: &[&str], stdin: &str) -> Output {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_tresor"))
            .arg("--vault")
            .arg(vault)
            .arg("--passphrase-file")
            .arg(self.pass_file())
            .args(args)
            .env("TRESOR_STATE_DIR", self.state())
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

    fn cli(&self, args: &[&str]) -> Output {
        self.cli_on(&self.vault(), args, "")
    }

    fn set(&self, name: &str, value: &str) {
        let out = self.cli_on(&self.vault(), &["set", name], value);
        assert!(out.status.success(), "set {name}: {}", String::from_utf8_lossy(&out.stderr));
    }

    fn get(&self, name: &str) -> Output {
        self.cli(&["get", name])
    }

    /// A copy of the whole vault file as it is now (every command has closed it: no WAL).
    fn copy_of_file(&self) -> Vec<u8> {
        assert!(!Path::new(&format!("{}-wal", self.vault().display())).exists(), "no WAL left");
        std::fs::read(self.vault()).unwrap()
    }

    /// Someone puts `bytes` in place of the vault file.
    fn put_back(&self, bytes: &[u8]) {
        for side in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{side}", self.vault().display()));
        }
        common::write_private(&self.vault(), bytes);
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_whole_file_replaced_by_an_older_copy_is_refused_until_accepted() {
    let s = Setup::new();
    s.set("LEAKED_KEY", "sk-leaked");
    let before_rotation = s.copy_of_file();
    // The key leaked: the user rotates the vault key and replaces the value.
    let rotated = s.cli(&["rotate-key"]);
    assert!(rotated.status.success(), "{}", stderr(&rotated));
    s.set("LEAKED_KEY", "sk-new");
    s.set("ADDED_LATER", "later");

    // An older copy of the whole file put in place (a backup, a sync tool's history, someone
    // with write access to the folder): every part of it is genuine.
    s.put_back(&before_rotation);
    let out = s.get("LEAKED_KEY");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(out.stdout.is_empty(), "the old key's value is not handed out");
    assert!(err.contains("went back from write") && err.contains("accept-rollback"), "{err}");
    assert!(!err.contains("restore-backup latest"), "its own message, not the damaged-file hint: {err}");
    // Writes are refused too: nothing is built on top of the old copy.
    let out = s.cli_on(&s.vault(), &["set", "ON_TOP"], "x");
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));

    // Read-only opens warn and go on.
    let info = s.cli(&["info"]);
    assert!(info.status.success(), "{}", stderr(&info));
    assert!(stderr(&info).contains("warning:"), "info warns: {}", stderr(&info));
    let salvage = s.cli(&["--salvage", "list"]);
    assert!(salvage.status.success(), "{}", stderr(&salvage));
    assert!(stderr(&salvage).contains("went back from write"), "{}", stderr(&salvage));

    // The user did put it back on purpose: accepted, it opens from now on.
    let accepted = s.cli(&["accept-rollback"]);
    assert!(accepted.status.success(), "{}", stderr(&accepted));
    let out = s.get("LEAKED_KEY");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(out.stdout, b"sk-leaked");
    s.set("AFTER_ACCEPTING", "ok");
    assert!(s.get("AFTER_ACCEPTING").status.success());
}

#[test]
fn a_restore_made_through_tresor_is_not_a_rollback() {
    let s = Setup::new();
    s.set("A", "1");
    let made = s.cli(&["backup"]);
    assert!(made.status.success(), "{}", stderr(&made));
    s.set("B", "2");
    s.set("A", "1b");
    let backup = tresor::vault::backup::list(&s.vault()).unwrap().into_iter().find(|b| b.name().ends_with("manual.db"));
    let restored = s.cli(&["restore-backup", &backup.unwrap().name()]);
    assert!(restored.status.success(), "{}", stderr(&restored));
    let out = s.get("A");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(out.stdout, b"1");
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    s.set("C", "3");
    // Undoing the restore is a restore too.
    let undo = tresor::vault::backup::list(&s.vault()).unwrap().into_iter().find(|b| b.name().ends_with("restore.db"));
    let undone = s.cli(&["restore-backup", &undo.unwrap().name()]);
    assert!(undone.status.success(), "{}", stderr(&undone));
    assert_eq!(s.get("A").stdout, b"1b");
}

#[test]
fn latest_is_the_newest_state_sealed_in_a_backup_not_the_newest_name() {
    let s = Setup::new();
    s.set("A", "old");
    assert!(s.cli(&["backup"]).status.success());
    let old = tresor::vault::backup::list(&s.vault()).unwrap().remove(0);
    s.set("A", "new");
    assert!(s.cli(&["backup"]).status.success());
    // A planted copy of the old backup, named as if it were made in 2099.
    let planted = tresor::vault::backup::backup_dir(&s.vault()).join("2099-01-01T00-00-00.000Z-manual.db");
    std::fs::copy(&old.path, &planted).unwrap();
    common::write_private(&planted, std::fs::read(&old.path).unwrap());
    s.set("A", "newest, then damaged");
    // The vault is damaged; the exit-5 message recommends the latest backup.
    let mut bytes = s.copy_of_file();
    let len = bytes.len();
    bytes[len / 2..].fill(0x5A);
    s.put_back(&bytes);
    let out = s.get("A");
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));

    let restored = s.cli(&["restore-backup", "latest"]);
    assert!(restored.status.success(), "{}", stderr(&restored));
    assert!(!stderr(&restored).contains("2099"), "the planted file was not chosen: {}", stderr(&restored));
    assert_eq!(s.get("A").stdout, b"new", "the newest state, not the newest name");
}

#[test]
fn a_format_1_copy_put_back_after_migration_is_refused_even_without_the_backups_folder() {
    let s = Setup::new();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1/vault.db");
    std::fs::remove_file(s.vault()).unwrap();
    common::write_private(&s.vault(), std::fs::read(&fixture).unwrap());
    common::write_private(&s.pass_file(), "fixture passphrase\n");
    let v1 = s.copy_of_file();
    let migrated = s.cli(&["list"]);
    assert!(migrated.status.success(), "{}", stderr(&migrated));

    // The v1 file put back, and the backups folder (which holds newer-format backups) moved away.
    s.put_back(&v1);
    let backups = tresor::vault::backup::backup_dir(&s.vault());
    std::fs::rename(&backups, s.dir.path().join("moved-away")).unwrap();
    let out = s.cli(&["list"]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(stderr(&out).contains("format 1"), "{}", stderr(&out));
    assert_eq!(std::fs::read(s.vault()).unwrap(), v1, "not migrated again");
}

#[test]
fn a_backup_opened_as_a_vault_is_read_with_a_warning() {
    let s = Setup::new();
    s.set("A", "1");
    assert!(s.cli(&["backup"]).status.success());
    s.set("A", "2");
    let backup = tresor::vault::backup::list(&s.vault()).unwrap().remove(0);
    let out = s.cli_on(&backup.path, &["get", "A"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(out.stdout, b"1");
    assert!(stderr(&out).contains("older copy of the vault at"), "{}", stderr(&out));
}

#[test]
fn a_state_folder_that_cannot_be_written_warns_and_locks_nobody_out() {
    let s = Setup::new();
    // A path under a regular file: no folder can ever be made there.
    let blocked = s.dir.path().join("pass").join("state");
    let out = Command::new(env!("CARGO_BIN_EXE_tresor"))
        .arg("--vault")
        .arg(s.vault())
        .arg("--passphrase-file")
        .arg(s.pass_file())
        .args(["set", "A"])
        .env("TRESOR_STATE_DIR", &blocked)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(b"value")?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("could not remember this vault's state"), "{}", stderr(&out));
}

#[test]
fn what_is_remembered_lives_outside_the_vaults_folder_and_only_goes_up() {
    let s = Setup::new();
    s.set("A", "1");
    let records: Vec<PathBuf> =
        std::fs::read_dir(s.state().join("vaults")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(records.len(), 1, "one record for the one vault file");
    let first = std::fs::read_to_string(&records[0]).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&records[0]).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(s.state()).unwrap().permissions().mode() & 0o777, 0o700);
    }
    s.set("B", "2");
    let second = std::fs::read_to_string(&records[0]).unwrap();
    let writes = |text: &str| -> u64 {
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        v["writes"].as_u64().unwrap()
    };
    assert!(writes(&second) > writes(&first), "raised after a write: {first} -> {second}");
    assert!(!second.contains("\"A\"") && !second.contains("\"B\""), "no names in the record: {second}");
}

/// The app's lock screen, driven as a user does (kittest): an older copy is named as one, and
/// opens only when the user says they put it back.
#[cfg(feature = "gui")]
#[test]
fn the_app_says_the_vault_went_back_and_opens_it_only_when_asked() {
    use egui_kittest::Harness;
    use egui_kittest::kittest::{NodeT, Queryable};
    use tresor::ui::{App, AppOptions, ServeAt};
    use tresor::{KdfParams, Passphrase, Vault};

    // In-process vaults of this test binary remember their state here.
    let state = tempfile::tempdir().unwrap();
    tresor::state::use_folder_for_tests(Some(state.path().to_owned()));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.db");
    let pass = Passphrase::new(PASS);
    let mut vault = Vault::create(&path, &pass, KdfParams::insecure_for_tests()).unwrap();
    vault.create_secret(common::new_secret("OLD_ONE", "", "1")).unwrap();
    drop(vault);
    let older = std::fs::read(&path).unwrap();
    let mut vault = Vault::unlock(&path, &pass).unwrap();
    vault.create_secret(common::new_secret("NEWER_ONE", "", "2")).unwrap();
    drop(vault);
    common::write_private(&path, &older);

    let app = App::new(AppOptions {
        vault_path: path.clone(),
        prefs_path: None,
        clock: common::TestClock::at(tresor::vault::Clock::now(&tresor::vault::SystemClock).0),
        clipboard: Box::new(tresor::clipboard::FakeClipboard::new()),
        background_jobs: false,
        kdf_override: Some(KdfParams::insecure_for_tests()),
        serve: ServeAt::Off,
    });
    let mut harness =
        Harness::builder().with_size([1100.0, 720.0]).build_ui_state(|ui, app: &mut App| app.show(ui), app);
    harness.run();
    fn field<'a>(h: &'a Harness<'_, App>) -> egui_kittest::Node<'a> {
        h.get_all_by_label("Passphrase")
            .find(|n| n.accesskit_node().role() == egui::accesskit::Role::PasswordInput)
            .expect("the passphrase field")
    }
    field(&harness).focus();
    harness.run();
    field(&harness).type_text(PASS);
    harness.run();
    harness.get_by_label("Unlock").click();
    harness.run();
    let shown = |h: &Harness<'_, App>, text: &str| h.query_all_by_label_contains(text).next().is_some();
    assert!(!harness.state().is_unlocked(), "an older copy does not open by itself");
    assert!(shown(&harness, "This vault went back to an older copy"));
    assert!(shown(&harness, "Use this older copy"));

    harness.get_by_label("Use this older copy").click();
    harness.run();
    assert!(harness.state().is_unlocked(), "accepted, it opens");
    assert!(shown(&harness, "OLD_ONE") && !shown(&harness, "NEWER_ONE"), "the older copy, as it is");
    tresor::state::use_folder_for_tests(None);
    drop(harness);
    // From now on it opens without a question.
    Vault::unlock(&path, &pass).unwrap();
}

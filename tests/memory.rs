//! What a locked Tresor leaves in its memory. Two children, each dumped with `gcore` (Debian's
//! gdb) once locked; neither dump may hold any piece of the passphrase, the vault key, a key
//! derived from it, or the revealed value:
//! * the core alone: unlock, reveal, copy (through the real clear-on-lock logic), lock — with the
//!   wipe-on-free allocator turned off, so the core must wipe every copy it made itself;
//! * the whole app, driven through its UI: type the passphrase, unlock, view the value, copy it,
//!   answer a `tresor get` of the command line through the app (approved in its dialog), then
//!   leave it idle until it locks itself — with the allocator the `tresor` binary uses.
//!
//! And while the app serves the command line it cannot be dumped by its own user (it is made
//! non-dumpable): the app runs as a second, unprivileged user (`setpriv`), and `gcore` run as that
//! same user fails while it serves and works once it has locked.
//!
//! Linux only. Skipped, with a message, where `gcore` is missing or may not attach to the child
//! (ptrace not permitted); `.ci/run` installs gdb.

#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use sha2::Sha256;
use tresor::clipboard::{ClipboardGuard, FakeClipboard};
use tresor::ui::{App, AppOptions, ServeAt};
use tresor::vault::Clock;
use tresor::vault::{crypto, store};
use tresor::{KdfParams, NewSecret, Passphrase, SecretName, SecretValue, Timestamp, Vault};

mod common;
use common::write_private;

const VAULT_ENV: &str = "TRESOR_MEMORY_VAULT";
const PASS_FILE_ENV: &str = "TRESOR_MEMORY_PASS_FILE";
const CANARY_ENV: &str = "TRESOR_MEMORY_CANARY";
/// The app child's runtime folder (it serves the command line from it), and the SHA-256 (hex) of
/// the value the command line must get through it.
const RUNTIME_ENV: &str = "TRESOR_MEMORY_RUNTIME";
const VALUE_SUM_ENV: &str = "TRESOR_MEMORY_VALUE_SUM";
const CHILD_LINE: &str = "memory-child: ";

/// The allocator of the `tresor` binary (src/main.rs), so that the app child runs as the app does.
#[global_allocator]
static ALLOCATOR: tresor::alloc::WipeOnFree = tresor::alloc::WipeOnFree;

/// Random letters from the OS, so that no marker can be in the binary or anywhere by chance.
fn random_text(len: usize) -> String {
    let bytes: [u8; 64] = crypto::random_bytes();
    bytes[..len]
        .iter()
        .map(|b| char::from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"[*b as usize % 52]))
        .collect()
}

/// The child: everything a user session does with a secret, then locked, then idle until the
/// parent has dumped its memory.
#[test]
#[ignore = "a child process of a_locked_process_holds_no_passphrase_key_or_revealed_value"]
fn child_reveal_copy_then_lock() {
    let Some(path) = std::env::var_os(VAULT_ENV) else { return };
    // The core must wipe its own copies, without the allocator's help.
    tresor::alloc::set_wiping(false);
    let pass_file = std::env::var_os(PASS_FILE_ENV).unwrap();
    // The canary stays in memory on purpose: finding it proves the dump holds this heap.
    let canary: String = std::env::var(CANARY_ENV).unwrap().chars().rev().collect();
    let canary = std::hint::black_box(Box::new(format!("canary {canary}")));
    {
        // Read into an allocation of exactly the file's size, handed on without a copy.
        let text = String::from_utf8(std::fs::read(&pass_file).unwrap()).unwrap();
        let passphrase = Passphrase::new(text);
        let vault = Vault::unlock(Path::new(&path), &passphrase).unwrap();
        drop(passphrase);
        let id = vault.find(&vault.default_place().unwrap(), &SecretName::parse("MEMORY_TEST").unwrap()).unwrap().0;
        let value = vault.reveal(id).unwrap();
        let mut clipboard = ClipboardGuard::new(Box::new(FakeClipboard::new()));
        clipboard.copy(value.expose(), "MEMORY_TEST".into(), None).unwrap();
        drop(value);
        // Locking: the clipboard is cleared (it still holds our copy), the vault is locked.
        clipboard.clear_ours();
        drop(clipboard);
        vault.lock();
    }
    report_locked_and_wait();
    drop(canary);
}

fn report_locked_and_wait() {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{CHILD_LINE}LOCKED").unwrap();
    out.flush().unwrap();
    drop(out);
    std::thread::sleep(Duration::from_secs(600));
}

struct ChildClock(AtomicI64);

impl Clock for ChildClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

/// The whole app, as a child test runs it: real key derivation, serving the command line from
/// `runtime`, its lock screen drawn.
fn app_child(vault: &Path, clock: Arc<dyn Clock>, runtime: &Path) -> egui_kittest::Harness<'static, App> {
    let app = App::new(AppOptions {
        vault_path: vault.to_owned(),
        prefs_path: None,
        clock,
        clipboard: Box::new(FakeClipboard::new()),
        background_jobs: false,
        kdf_override: None,
        serve: ServeAt::Folder(runtime.join("tresor")),
    });
    let mut harness = egui_kittest::Harness::builder()
        .with_size([1100.0, 720.0])
        .build_ui_state(|ui, app: &mut App| app.show(ui), app);
    harness.run();
    harness
}

/// The app child: a user session in the real UI, ended by the idle lock.
#[test]
#[ignore = "a child process of the_app_locked_by_idleness_holds_no_passphrase_key_or_revealed_value"]
fn child_app_view_copy_then_idle_lock() {
    use egui_kittest::kittest::Queryable;
    let Some(path) = std::env::var_os(VAULT_ENV) else { return };
    let pass_file = std::env::var_os(PASS_FILE_ENV).unwrap();
    let canary: String = std::env::var(CANARY_ENV).unwrap().chars().rev().collect();
    let canary = std::hint::black_box(Box::new(format!("canary {canary}")));
    let clock = Arc::new(ChildClock(AtomicI64::new(1_800_000_000_000)));
    let runtime = PathBuf::from(std::env::var_os(RUNTIME_ENV).unwrap());
    let vault_path = PathBuf::from(path);
    let mut harness = app_child(&vault_path, clock.clone(), &runtime);
    {
        let typed = zeroize::Zeroizing::new(std::fs::read_to_string(&pass_file).unwrap());
        harness.get_by_label("Passphrase").focus();
        harness.run();
        harness.get_by_label("Passphrase").type_text(&typed);
        harness.run();
    }
    harness.get_by_label("Unlock").click();
    harness.run();
    assert!(harness.state().is_unlocked(), "the child unlocked");
    harness.get_by_label("View MEMORY_TEST").click();
    harness.run();
    harness.get_by_label("Close").click();
    harness.run();
    harness.get_by_label("Copy MEMORY_TEST").click();
    harness.run();
    // The command line asks the app for the value; the dialog is answered "Allow once".
    let mut cli = Command::new(env!("CARGO_BIN_EXE_tresor"))
        .arg("--vault")
        .arg(&vault_path)
        .args(["get", "MEMORY_TEST"])
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("TRESOR_STATE_DIR", runtime.join("state"))
        .env_remove("TRESOR_PASSPHRASE_FILE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while !harness.state().is_asking() {
        assert!(started.elapsed() < Duration::from_secs(30), "the app was never asked");
        std::thread::sleep(Duration::from_millis(10));
        harness.step();
    }
    // The dialog settles over a few frames (not `run`: its countdown asks for frames).
    clock.0.fetch_add(tresor::ui::CLICK_GUARD_MS + 100, Ordering::SeqCst);
    harness.run_steps(10);
    harness.get_by_label("Allow once").click();
    harness.run_steps(2);
    while cli.try_wait().unwrap().is_none() {
        assert!(started.elapsed() < Duration::from_secs(30), "the command line never got its answer");
        std::thread::sleep(Duration::from_millis(10));
        harness.step();
    }
    let got = cli.wait_with_output().unwrap();
    let sum = zeroize::Zeroizing::new(got.stdout);
    use sha2::Digest;
    let hex: String = Sha256::digest(&sum[..]).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, std::env::var(VALUE_SUM_ENV).unwrap(), "the command line got the value through the app");
    drop(sum);
    // Idle past the default five minutes: the app locks itself.
    clock.0.fetch_add(6 * 60_000, Ordering::SeqCst);
    harness.run();
    assert!(!harness.state().is_unlocked(), "the idle lock happened");
    // The app stays open, locked, as a user leaves it.
    report_locked_and_wait();
    drop(harness);
    drop(canary);
}

/// The vault key and everything derived from it, computed here in the parent from the file and
/// the passphrase (the child gets no copy of them but its own).
fn keys_of(path: &Path, passphrase: &Passphrase) -> Vec<(&'static str, Vec<u8>)> {
    let conn = store::open(path).unwrap();
    let header = store::read_header(&conn).unwrap();
    let kek = crypto::derive_kek(passphrase, &header.salt, header.kdf).unwrap();
    let vault_key = crypto::unwrap_key(&kek, &header.wrapped_key, &header.wrap_aad()).unwrap();
    let hk = hkdf::Hkdf::<Sha256>::from_prk(vault_key.as_bytes()).unwrap();
    let sub = |label: &[u8]| {
        let mut out = [0u8; 32];
        hk.expand(label, &mut out).unwrap();
        out.to_vec()
    };
    vec![
        ("the key-encryption key", kek.as_bytes().to_vec()),
        ("the vault key", vault_key.as_bytes().to_vec()),
        ("the record key", sub(b"tresor v1 record key")),
        ("the name-index key", sub(b"tresor v1 name index key")),
        ("the manifest key", sub(b"tresor v1 manifest key")),
    ]
}

/// Why the dump cannot be taken here, if it cannot.
fn gcore_unavailable() -> Option<String> {
    match Command::new("gcore").stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).status() {
        Err(_) => Some("gcore is not installed (apt-get install gdb)".into()),
        Ok(_) => None,
    }
}

/// Offsets of every occurrence of `needle` in `haystack`.
fn find_all(haystack: &[u8], needle: &[u8]) -> Vec<usize> {
    let Some((&first, _)) = needle.split_first() else { return Vec::new() };
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(i) = haystack[at..].iter().position(|&b| b == first) {
        let start = at + i;
        if haystack[start..].starts_with(needle) {
            found.push(start);
        }
        at = start + 1;
    }
    found
}

/// The memory mapping of the child (from /proc, read before the dump) that holds `address`.
fn region_of(maps: &str, address: u64) -> String {
    maps.lines()
        .find(|line| {
            let range = line.split_whitespace().next().unwrap_or("");
            let (lo, hi) = range.split_once('-').unwrap_or(("0", "0"));
            let (lo, hi) = (u64::from_str_radix(lo, 16).unwrap_or(0), u64::from_str_radix(hi, 16).unwrap_or(0));
            (lo..hi).contains(&address)
        })
        .unwrap_or("unknown region")
        .to_owned()
}

/// Maps offsets in the core file to addresses: (file offset, address, size) of each PT_LOAD.
fn load_segments(core: &[u8]) -> Vec<(u64, u64, u64)> {
    let u16_at = |o: usize| u16::from_le_bytes(core[o..o + 2].try_into().unwrap()) as u64;
    let u64_at = |o: usize| u64::from_le_bytes(core[o..o + 8].try_into().unwrap());
    assert_eq!(&core[..5], b"\x7fELF\x02", "a 64-bit ELF core");
    let (phoff, phentsize, phnum) = (u64_at(0x20) as usize, u16_at(0x36) as usize, u16_at(0x38) as usize);
    (0..phnum)
        .map(|i| phoff + i * phentsize)
        .filter(|&ph| u32::from_le_bytes(core[ph..ph + 4].try_into().unwrap()) == 1)
        .map(|ph| (u64_at(ph + 8), u64_at(ph + 16), u64_at(ph + 32)))
        .collect()
}

fn address_of(segments: &[(u64, u64, u64)], offset: usize) -> Option<u64> {
    let offset = offset as u64;
    segments.iter().find(|(o, _, size)| (*o..o + size).contains(&offset)).map(|(o, vaddr, _)| vaddr + (offset - o))
}

#[test]
fn a_locked_process_holds_no_passphrase_key_or_revealed_value() {
    dump_locked_child_and_scan("child_reveal_copy_then_lock");
}

#[test]
fn the_app_locked_by_idleness_holds_no_passphrase_key_or_revealed_value() {
    dump_locked_child_and_scan("child_app_view_copy_then_idle_lock");
}

/// Runs the child test `child` against a new vault, dumps its memory once it reports that it
/// locked, and fails on any piece of a secret found in the dump.
fn dump_locked_child_and_scan(child: &str) {
    if let Some(why) = gcore_unavailable() {
        println!("skipped: {why}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.db");
    // Random from end to end: no piece of them is in the binary or anywhere else by chance.
    let passphrase_text = random_text(40);
    let value_text = random_text(48);
    let canary = random_text(32);
    let passphrase = Passphrase::new(passphrase_text.as_str());
    // Real parameters (the floor), not the cheap test ones: Argon2's four lanes then run on
    // their own threads, as they do for a user.
    let mut vault = Vault::create(&path, &passphrase, KdfParams::FLOOR).unwrap();
    vault
        .create_secret(NewSecret {
            name: SecretName::parse("MEMORY_TEST").unwrap(),
            description: "for the memory dump test".into(),
            value: SecretValue::new(value_text.as_str()),
        })
        .unwrap();
    drop(vault);
    let keys = keys_of(&path, &passphrase);
    let pass_file = dir.path().join("pass");
    write_private(&pass_file, &passphrase_text);

    let runtime = dir.path().join("run");
    std::fs::create_dir(&runtime).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    use sha2::Digest;
    let value_sum: String = Sha256::digest(value_text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([child, "--exact", "--ignored", "--nocapture", "--test-threads=1", "-q"])
        .env(VAULT_ENV, &path)
        .env(PASS_FILE_ENV, &pass_file)
        .env(CANARY_ENV, &canary)
        .env(RUNTIME_ENV, &runtime)
        .env(VALUE_SUM_ENV, &value_sum)
        .env("TRESOR_STATE_DIR", dir.path().join("state"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let locked = stdout.lines().map_while(Result::ok).any(|line| line.contains(&format!("{CHILD_LINE}LOCKED")));
    if !locked {
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        panic!("the child did not get to LOCKED:\n{}", String::from_utf8_lossy(&out.stderr));
    }
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap_or_default();
    let prefix: PathBuf = dir.path().join("core");
    let dump = Command::new("gcore").arg("-o").arg(&prefix).arg(pid.to_string()).stdin(Stdio::null()).output().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let core_path = PathBuf::from(format!("{}.{pid}", prefix.display()));
    if !dump.status.success() || !core_path.exists() {
        let err = String::from_utf8_lossy(&dump.stderr);
        println!("skipped: gcore could not dump the child (is ptrace permitted?): {}", err.trim());
        return;
    }
    let core = std::fs::read(&core_path).unwrap();
    let segments = load_segments(&core);

    let canary_in_child = format!("canary {}", canary.chars().rev().collect::<String>());
    assert!(!find_all(&core, canary_in_child.as_bytes()).is_empty(), "the dump holds the child's heap");

    // Pieces, not whole strings: a freed allocation keeps all but its first bytes (where the
    // allocator writes its own pointers), and half a key is as bad as the whole key.
    let mut needles: Vec<(&str, Vec<u8>)> = Vec::new();
    for (what, text) in [("the passphrase", &passphrase_text), ("the revealed value", &value_text)] {
        // Twelve bytes each, the last piece ending at the end (a 4-letter tail would turn up
        // in the binary's own text by chance).
        let bytes = text.as_bytes();
        let starts = (0..bytes.len().saturating_sub(12)).step_by(12).chain([bytes.len().saturating_sub(12)]);
        needles.extend(starts.map(|at| (what, bytes[at..(at + 12).min(bytes.len())].to_vec())));
    }
    for (what, key) in keys {
        needles.extend(key.chunks(16).map(|half| (what, half.to_vec())));
    }
    let mut found = Vec::new();
    for (what, needle) in &needles {
        for offset in find_all(&core, needle) {
            let place = match address_of(&segments, offset) {
                Some(address) => format!("{address:#x} in {}", region_of(&maps, address)),
                None => format!("core offset {offset:#x} (not in a memory segment)"),
            };
            found.push(format!("{what} at {place}"));
        }
    }
    println!("memory dump: {} MiB scanned for {} needles", core.len() >> 20, needles.len());
    assert!(found.is_empty(), "copies left in a locked process's memory:\n{}", found.join("\n"));
}

/// The app child of the non-dumpable test, run as another user: unlocks (serving the command
/// line), says so, locks when told, says so, and waits.
#[test]
#[ignore = "a child process of the_serving_app_cannot_be_dumped_by_its_own_user"]
fn child_app_serving_then_locking() {
    use egui_kittest::kittest::Queryable;
    let Some(path) = std::env::var_os(VAULT_ENV) else { return };
    let passphrase = std::fs::read_to_string(std::env::var_os(PASS_FILE_ENV).unwrap()).unwrap();
    let runtime = PathBuf::from(std::env::var_os(RUNTIME_ENV).unwrap());
    let mut harness = app_child(Path::new(&path), Arc::new(tresor::vault::SystemClock), &runtime);
    assert!(harness.state().serves(), "the app serves from its runtime folder");
    harness.get_by_label("Passphrase").focus();
    harness.run();
    harness.get_by_label("Passphrase").type_text(&passphrase);
    harness.run();
    harness.get_by_label("Unlock").click();
    harness.run();
    assert!(harness.state().is_unlocked());
    let say = |what: &str| {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{CHILD_LINE}{what}").unwrap();
        out.flush().unwrap();
    };
    say("SERVING");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).unwrap();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::L);
    harness.run();
    assert!(!harness.state().is_unlocked());
    say("LOCKED");
    let _ = std::io::stdin().read_line(&mut line);
}

/// While the app serves the command line, a process of its own user cannot dump it (nor trace
/// it): root can, so the app runs as a second, unprivileged user, and `gcore` runs as that user
/// too. Once the app has locked, the same `gcore` works: what stopped it was the app.
#[test]
fn the_serving_app_cannot_be_dumped_by_its_own_user() {
    if let Some(why) = gcore_unavailable() {
        println!("skipped: {why}");
        return;
    }
    if Command::new("setpriv").arg("--version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "CI has setpriv (util-linux)");
        println!("skipped: setpriv is not installed");
        return;
    }
    const NOBODY: u32 = 65534;
    let dir = tempfile::tempdir().unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let home = dir.path().join("nobody");
    std::fs::create_dir(&home).unwrap();
    let path = home.join("vault.db");
    let passphrase_text = random_text(24);
    let mut vault = Vault::create(&path, &Passphrase::new(passphrase_text.as_str()), KdfParams::FLOOR).unwrap();
    vault
        .create_secret(NewSecret {
            name: SecretName::parse("SERVED").unwrap(),
            description: String::new(),
            value: SecretValue::new("a served value"),
        })
        .unwrap();
    drop(vault);
    let pass_file = home.join("pass");
    write_private(&pass_file, &passphrase_text);
    let runtime = home.join("run");
    std::fs::create_dir(&runtime).unwrap();
    std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    // Everything in the folder is the other user's.
    let chown = Command::new("chown").args(["-R", &format!("{NOBODY}:{NOBODY}")]).arg(&home).status().unwrap();
    assert!(chown.success());
    let as_nobody = |program: &str| {
        let mut cmd = Command::new("setpriv");
        cmd.args(["--reuid", &NOBODY.to_string(), "--regid", &NOBODY.to_string(), "--clear-groups", program]);
        cmd
    };
    let mut child = as_nobody(std::env::current_exe().unwrap().to_str().unwrap())
        .args(["child_app_serving_then_locking", "--exact", "--ignored", "--nocapture", "--test-threads=1", "-q"])
        .env(VAULT_ENV, &path)
        .env(PASS_FILE_ENV, &pass_file)
        .env(RUNTIME_ENV, &runtime)
        .env("TRESOR_STATE_DIR", home.join("state"))
        .env("HOME", &home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines().map_while(Result::ok);
    let mut wait_for = |what: &str| lines.any(|line| line.contains(&format!("{CHILD_LINE}{what}")));
    let dump = |name: &str| -> bool {
        let prefix = home.join(name);
        let _ = as_nobody("gcore").arg("-o").arg(&prefix).arg(pid.to_string()).stdin(Stdio::null()).output();
        PathBuf::from(format!("{}.{pid}", prefix.display())).exists()
    };
    if !wait_for("SERVING") {
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        panic!("the child did not get to SERVING:\n{}", String::from_utf8_lossy(&out.stderr));
    }
    let while_serving = dump("serving");
    child.stdin.as_mut().unwrap().write_all(b"lock\n").unwrap();
    assert!(wait_for("LOCKED"), "the child locked");
    let once_locked = dump("locked");
    let _ = child.kill();
    let _ = child.wait();
    if !once_locked {
        println!("skipped: gcore as another user cannot dump even a locked app here (is ptrace permitted?)");
        return;
    }
    assert!(!while_serving, "a process of the app's own user dumped it while it served");
}

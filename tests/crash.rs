//! The day something goes wrong while Tresor is writing: the process is killed mid-change,
//! another process writes the same vault at the same moment, or the disk fills up. Whatever
//! happens, nothing that was acknowledged is lost, nothing half-done is ever visible, and the
//! vault opens afterwards.
//!
//! The kill test runs 200 kills by default; `TRESOR_KILL_RUNS=1000 cargo test --test crash` is the
//! long run, and `TRESOR_KILL_SEED` repeats a run's sequence of changes (the kill moments are
//! timing, and cannot be repeated exactly).
//!
//! Child processes are this test binary run again with one of the ignored `child_*` tests
//! selected and an environment variable that tells it what to do; run on their own, those tests
//! do nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use tresor::vault::HISTORY_LIMIT;
use tresor::{Error, KdfParams, NewSecret, Passphrase, SecretEdit, SecretName, SecretValue, Vault};

mod common;
use common::write_private;

/// The two passphrases the kill test's vault alternates between.
const PASSPHRASES: [&str; 2] = ["first passphrase of the kill test", "second passphrase of the kill test"];

// ---- plumbing shared by the tests ----------------------------------------------------------

/// xorshift64*: enough randomness for choosing changes and kill moments, and repeatable.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A number in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn text(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        (0..len).map(|_| char::from(*self.pick(ALPHABET))).collect()
    }
}

/// Every line a child means for the parent starts with this, so that the test harness's own
/// output around it does not matter.
const CHILD_LINE: &str = "crash-child: ";

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{CHILD_LINE}{line}").unwrap();
    out.flush().unwrap();
}

/// This test binary, set to run only the ignored test `child`.
fn child_command(child: &str) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([child, "--exact", "--ignored", "--nocapture", "--test-threads=1", "-q"]);
    cmd.stdin(Stdio::null());
    cmd
}

/// Reads a child's stdout on a thread; the lines it meant for the parent arrive on the channel.
/// Only whole lines: a child killed while writing one leaves a cut-off last line, which it never
/// finished saying (an `INTENT` cut off was not acted on yet; an `ACK` cut off leaves that change
/// in flight, where either outcome is accepted).
fn child_lines(child: &mut Child) -> (mpsc::Receiver<String>, std::thread::JoinHandle<()>) {
    let stdout = child.stdout.take().expect("stdout is piped");
    let (send, receive) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut stdout = BufReader::new(stdout);
        loop {
            let mut line = String::new();
            match stdout.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) if !line.ends_with('\n') => break,
                Ok(_) => {}
            }
            let line = line.trim_end_matches('\n');
            if let Some(at) = line.find(CHILD_LINE) {
                let _ = send.send(line[at + CHILD_LINE.len()..].to_owned());
            }
        }
    });
    (receive, reader)
}

fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

fn integrity_check(path: &Path) {
    let conn = Connection::open(path).unwrap();
    let result: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(result, "ok", "integrity_check of {}", path.display());
    let dangling: i64 = conn.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0)).unwrap();
    assert_eq!(dangling, 0, "history rows without their secret");
}

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(text) => text.trim().parse().unwrap_or_else(|_| panic!("{name}={text:?} is not a number")),
        Err(_) => default,
    }
}

// ---- what a vault holds, as seen through the API --------------------------------------------

/// One secret as the test tracks it, keyed by its id (hex) in [`State::secrets`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct SecretState {
    name: String,
    description: String,
    /// Versions and values of a live secret; a trashed one shows only its name, description and
    /// version through the API, so these are `None`/empty when observed in the trash.
    value: Option<String>,
    version: u32,
    deleted: bool,
    /// Earlier values, newest first.
    history: Vec<(u32, String)>,
}

/// Everything observable about the vault: the secrets and which passphrase opens it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct State {
    passphrase: usize,
    secrets: BTreeMap<String, SecretState>,
}

impl State {
    /// What the API can show of this state (a trashed secret's value and history are hidden).
    fn observable(&self) -> State {
        let mut seen = self.clone();
        for s in seen.secrets.values_mut().filter(|s| s.deleted) {
            s.value = None;
            s.history.clear();
        }
        seen
    }

    /// The state after `change`, exactly as the vault's rules make it.
    fn apply(&self, change: &Change) -> State {
        let mut next = self.clone();
        match change {
            Change::Create { secrets, ids } => {
                for (i, (name, description, value)) in secrets.iter().enumerate() {
                    let id = ids.get(i).cloned().unwrap_or_else(|| format!("unknown id of {name}"));
                    let secret = SecretState {
                        name: name.clone(),
                        description: description.clone(),
                        value: Some(value.clone()),
                        version: 1,
                        deleted: false,
                        history: Vec::new(),
                    };
                    next.secrets.insert(id, secret);
                }
            }
            Change::Update { id, description, value } => {
                next.update(id, description.clone(), value.clone());
            }
            Change::RestoreVersion { id, version } => {
                let s = &next.secrets[id];
                let value = if *version == s.version {
                    s.value.clone()
                } else {
                    s.history.iter().find(|(v, _)| v == version).map(|(_, value)| value.clone())
                };
                next.update(id, None, Some(value.expect("the version exists")));
            }
            Change::Rename { id, name } => next.secret(id).name = name.clone(),
            Change::Delete { ids } => {
                for id in ids {
                    next.secret(id).deleted = true;
                }
            }
            Change::Restore { id, name } => {
                let s = next.secret(id);
                s.deleted = false;
                if let Some(name) = name {
                    s.name = name.clone();
                }
            }
            Change::Purge { id } => {
                next.secrets.remove(id);
            }
            Change::Passphrase { to } => next.passphrase = *to,
        }
        next
    }

    fn secret(&mut self, id: &str) -> &mut SecretState {
        self.secrets.get_mut(id).unwrap_or_else(|| panic!("the model has no secret {id}"))
    }

    /// `Vault::update`: the version goes up and the old value goes to the history only when the
    /// value changes; the history keeps the newest [`HISTORY_LIMIT`] entries.
    fn update(&mut self, id: &str, description: Option<String>, value: Option<String>) {
        let s = self.secret(id);
        if let Some(d) = description {
            s.description = d;
        }
        if let Some(v) = value.filter(|v| Some(v) != s.value.as_ref()) {
            let old = s.value.replace(v).expect("a live secret has a value");
            s.history.insert(0, (s.version, old));
            s.history.truncate(HISTORY_LIMIT);
            s.version += 1;
        }
    }
}

/// Reads everything the API shows of an unlocked vault.
fn observe(vault: &Vault, passphrase: usize) -> State {
    let mut state = State { passphrase, secrets: BTreeMap::new() };
    let live = vault.list().unwrap();
    assert!(live.damaged.is_empty(), "damaged records: {:?}", live.damaged);
    for meta in live.items {
        let value = vault.reveal(meta.id).unwrap().expose().to_owned();
        let history = vault
            .history(meta.id)
            .unwrap()
            .into_iter()
            .skip(1)
            .map(|v| (v.version, vault.reveal_version(meta.id, v.version).unwrap().expose().to_owned()))
            .collect();
        let secret = SecretState {
            name: meta.name.to_string(),
            description: meta.description,
            value: Some(value),
            version: meta.version,
            deleted: false,
            history,
        };
        state.secrets.insert(meta.id.to_hex(), secret);
    }
    let trash = vault.trash().unwrap();
    assert!(trash.damaged.is_empty(), "damaged records in the trash: {:?}", trash.damaged);
    for t in trash.items {
        let secret = SecretState {
            name: t.meta.name.to_string(),
            description: t.meta.description,
            value: None,
            version: t.meta.version,
            deleted: true,
            history: Vec::new(),
        };
        state.secrets.insert(t.meta.id.to_hex(), secret);
    }
    state
}

/// Opens the vault at `path` with whichever of [`PASSPHRASES`] works — exactly one must — and
/// checks the file with SQLite's own integrity check while it is open.
fn open_with_one_passphrase(path: &Path) -> (Vault, usize) {
    let attempts: Vec<_> = PASSPHRASES.iter().map(|p| Vault::unlock(path, &Passphrase::new(*p))).collect();
    let mut opened = None;
    for (index, attempt) in attempts.into_iter().enumerate() {
        match attempt {
            Ok(vault) => {
                assert!(opened.is_none(), "both passphrases open the vault");
                opened = Some((vault, index));
            }
            Err(Error::WrongPassphrase) => {}
            Err(e) => panic!("opening with passphrase {index}: {e}"),
        }
    }
    let opened = opened.expect("neither passphrase opens the vault");
    integrity_check(path);
    opened
}

// ---- 1. killed at a random moment ----------------------------------------------------------

/// One change the writer makes, in the form it reports it. Ids are hex.
#[derive(Clone, Debug, Serialize, Deserialize)]
enum Change {
    /// (name, description, value) of each new secret, created in one transaction; `ids` is
    /// empty until the commit has returned them.
    Create {
        secrets: Vec<(String, String, String)>,
        ids: Vec<String>,
    },
    Update {
        id: String,
        description: Option<String>,
        value: Option<String>,
    },
    RestoreVersion {
        id: String,
        version: u32,
    },
    Rename {
        id: String,
        name: String,
    },
    Delete {
        ids: Vec<String>,
    },
    Restore {
        id: String,
        name: Option<String>,
    },
    Purge {
        id: String,
    },
    Passphrase {
        to: usize,
    },
}

const WRITER_VAULT: &str = "TRESOR_CRASH_WRITER_VAULT";
const WRITER_SEED: &str = "TRESOR_CRASH_WRITER_SEED";
const WRITER_PASSPHRASE: &str = "TRESOR_CRASH_WRITER_PASSPHRASE";

/// A small pool of names, so that renames, restores and re-creations run into each other.
const NAMES: [&str; 14] = [
    "API_KEY",
    "DB_URL",
    "TOKEN",
    "AWS_SECRET",
    "GH_PAT",
    "HF_TOKEN",
    "SMTP_PASS",
    "S3_KEY",
    "PG_PASS",
    "JWT_KEY",
    "STRIPE_KEY",
    "SENTRY_DSN",
    "NPM_TOKEN",
    "SLACK_HOOK",
];

/// The kill test's writer: unlocks, says READY, then makes random changes forever, saying
/// `INTENT <change>` before each and `ACK <change>` once its commit has returned.
#[test]
#[ignore = "a child process of acknowledged_changes_survive_sigkill_at_random_moments"]
fn child_writer() {
    let Some(path) = std::env::var_os(WRITER_VAULT) else { return };
    let mut rng = Rng::new(env_number(WRITER_SEED, 1));
    let mut passphrase = env_number(WRITER_PASSPHRASE, 0) as usize;
    let mut vault = Vault::unlock(Path::new(&path), &Passphrase::new(PASSPHRASES[passphrase])).unwrap();
    say("READY");
    loop {
        let change = next_change(&vault, &mut rng, passphrase);
        say(&format!("INTENT {}", serde_json::to_string(&change).unwrap()));
        let done = make_change(&mut vault, change);
        if let Change::Passphrase { to } = done {
            passphrase = to;
        }
        say(&format!("ACK {}", serde_json::to_string(&done).unwrap()));
    }
}

fn value(rng: &mut Rng) -> String {
    // Mostly short values; some long enough to need SQLite overflow pages, so that a commit spans
    // many pages and the kill can land in the middle of it.
    let len = if rng.chance(15) { 2_000 + rng.below(40_000) } else { 8 + rng.below(200) };
    rng.text(len)
}

fn next_change(vault: &Vault, rng: &mut Rng, passphrase: usize) -> Change {
    let live = vault.list().unwrap().items;
    let trash = vault.trash().unwrap().items;
    let live_names: BTreeSet<String> = live.iter().map(|m| m.name.to_string()).collect();
    let free_names: Vec<&str> = NAMES.iter().copied().filter(|n| !live_names.contains(*n)).collect();
    let any_live = |rng: &mut Rng| rng.pick(&live).id.to_hex();
    if trash.len() > 8 {
        return Change::Purge { id: trash.last().unwrap().meta.id.to_hex() };
    }
    loop {
        match rng.below(100) {
            0..25 if live.len() < 10 && !free_names.is_empty() => {
                let count = if rng.chance(20) { 2.min(free_names.len()) } else { 1 };
                let start = rng.below(free_names.len() - count + 1);
                let secrets = free_names[start..start + count]
                    .iter()
                    .map(|name| (name.to_string(), format!("made at {}", rng.text(6)), value(rng)))
                    .collect();
                return Change::Create { secrets, ids: Vec::new() };
            }
            25..50 if !live.is_empty() => {
                let description = rng.chance(30).then(|| format!("changed to {}", rng.text(8)));
                return Change::Update { id: any_live(rng), description, value: Some(value(rng)) };
            }
            50..55 if !live.is_empty() => {
                return Change::Update {
                    id: any_live(rng),
                    description: Some(format!("only the description {}", rng.text(8))),
                    value: None,
                };
            }
            55..65 if !live.is_empty() && !free_names.is_empty() => {
                return Change::Rename { id: any_live(rng), name: rng.pick(&free_names).to_string() };
            }
            65..75 if !live.is_empty() => {
                let mut ids = BTreeSet::from([any_live(rng)]);
                if rng.chance(30) {
                    ids.insert(any_live(rng));
                }
                return Change::Delete { ids: ids.into_iter().collect() };
            }
            75..85 if !trash.is_empty() => {
                let t = rng.pick(&trash);
                let taken = live_names.contains(t.meta.name.as_str());
                if taken || rng.chance(20) {
                    if free_names.is_empty() {
                        continue;
                    }
                    return Change::Restore { id: t.meta.id.to_hex(), name: Some(rng.pick(&free_names).to_string()) };
                }
                return Change::Restore { id: t.meta.id.to_hex(), name: None };
            }
            85..90 if !live.is_empty() => {
                let meta = rng.pick(&live);
                let versions = vault.history(meta.id).unwrap();
                if versions.len() < 2 {
                    continue;
                }
                let version = versions[1 + rng.below(versions.len() - 1)].version;
                return Change::RestoreVersion { id: meta.id.to_hex(), version };
            }
            90..95 if !trash.is_empty() => return Change::Purge { id: rng.pick(&trash).meta.id.to_hex() },
            95..100 => return Change::Passphrase { to: 1 - passphrase },
            _ => continue,
        }
    }
}

/// Makes `change` on the vault and returns it as done (with the ids of created secrets).
fn make_change(vault: &mut Vault, change: Change) -> Change {
    let id_of = |vault: &Vault, hex: &str| {
        let live = vault.list().unwrap().items.into_iter().map(|m| m.id);
        let trashed = vault.trash().unwrap().items.into_iter().map(|t| t.meta.id);
        live.chain(trashed).find(|id| id.to_hex() == hex).unwrap()
    };
    let name = |text: &str| SecretName::parse(text).unwrap();
    match &change {
        Change::Create { secrets, .. } => {
            let new = secrets
                .iter()
                .map(|(n, description, value)| NewSecret {
                    name: name(n),
                    description: description.clone(),
                    value: SecretValue::new(value.as_str()),
                })
                .collect();
            let saved = vault.create_many(&vault.default_place().unwrap(), new).unwrap();
            let ids = saved.iter().map(|s| s.meta.id.to_hex()).collect();
            return Change::Create { secrets: secrets.clone(), ids };
        }
        Change::Update { id, description, value } => {
            let update = SecretEdit {
                name: None,
                description: description.clone(),
                value: value.as_deref().map(SecretValue::new),
            };
            vault.edit(id_of(vault, id), update).unwrap();
        }
        Change::RestoreVersion { id, version } => {
            vault.restore_version(id_of(vault, id), *version).unwrap();
        }
        Change::Rename { id, name: new } => {
            vault
                .edit(id_of(vault, id), SecretEdit { name: Some(name(new)), ..SecretEdit::default() })
                .map(|s| s.meta)
                .unwrap();
        }
        Change::Delete { ids } => {
            let ids: Vec<_> = ids.iter().map(|id| id_of(vault, id)).collect();
            vault.delete(&ids).unwrap();
        }
        Change::Restore { id, name: new } => {
            vault.restore(id_of(vault, id), new.as_deref().map(name)).unwrap();
        }
        Change::Purge { id } => vault.purge(id_of(vault, id)).unwrap(),
        Change::Passphrase { to } => vault.change_passphrase(&Passphrase::new(PASSPHRASES[*to]), None).unwrap(),
    }
    change
}

/// What one run of the writer reported before it was killed.
struct Reported {
    acknowledged: Vec<Change>,
    /// The change it had started and not acknowledged, if any.
    in_flight: Option<Change>,
}

fn parse_reports(lines: &[String]) -> Reported {
    let mut reported = Reported { acknowledged: Vec::new(), in_flight: None };
    for line in lines {
        if let Some(json) = line.strip_prefix("INTENT ") {
            assert!(reported.in_flight.is_none(), "two changes in flight: {line}");
            reported.in_flight = Some(serde_json::from_str(json).unwrap());
        } else if let Some(json) = line.strip_prefix("ACK ") {
            assert!(reported.in_flight.take().is_some(), "acknowledged without intent: {line}");
            reported.acknowledged.push(serde_json::from_str(json).unwrap());
        }
    }
    reported
}

/// The in-flight change as it would look had it committed: a create takes the ids of the new
/// secrets it finds in `actual` under its names.
fn as_committed(change: &Change, before: &State, actual: &State) -> Change {
    match change {
        Change::Create { secrets, .. } => {
            let ids = secrets
                .iter()
                .filter_map(|(name, _, _)| {
                    actual
                        .secrets
                        .iter()
                        .find(|(id, s)| !before.secrets.contains_key(*id) && !s.deleted && &s.name == name)
                        .map(|(id, _)| id.clone())
                })
                .collect();
            Change::Create { secrets: secrets.clone(), ids }
        }
        other => other.clone(),
    }
}

#[derive(Default)]
struct KillStats {
    acknowledged: usize,
    in_flight_committed: usize,
    in_flight_absent: usize,
}

#[test]
fn acknowledged_changes_survive_sigkill_at_random_moments() {
    let runs = env_number("TRESOR_KILL_RUNS", 200);
    let seed = env_number(
        "TRESOR_KILL_SEED",
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64,
    );
    println!("kill test: {runs} runs, seed {seed} (TRESOR_KILL_SEED={seed} repeats the changes)");
    let started = Instant::now();
    let mut rng = Rng::new(seed);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.db");
    drop(Vault::create(&path, &Passphrase::new(PASSPHRASES[0]), KdfParams::insecure_for_tests()).unwrap());
    let check = dir.path().join("check");
    std::fs::create_dir(&check).unwrap();
    let mut model = State::default();
    let mut stats = KillStats::default();

    for run in 0..runs {
        let stderr_path = dir.path().join("child.stderr");
        let mut child = child_command("child_writer")
            .env(WRITER_VAULT, &path)
            .env(WRITER_SEED, rng.next().to_string())
            .env(WRITER_PASSPHRASE, model.passphrase.to_string())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_path).unwrap())
            .spawn()
            .unwrap();
        let (lines, reader) = child_lines(&mut child);
        let child_failed = |child: &mut Child, what: &str| -> ! {
            let _ = child.kill();
            let status = child.wait().unwrap();
            let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
            panic!("run {run}: the writer {what} ({status}):\n{stderr}");
        };
        match lines.recv_timeout(Duration::from_secs(60)) {
            Ok(line) if line == "READY" => {}
            Ok(line) => child_failed(&mut child, &format!("said {line:?} before READY")),
            Err(_) => child_failed(&mut child, "did not get ready"),
        }
        // Let it acknowledge 0 to 3 changes first, so that the vault grows however slow the disk
        // is today (a commit waits for fsync), then kill it 0 to 30 ms later.
        let mut seen = Vec::new();
        let wait_for = rng.below(4);
        while seen.iter().filter(|l: &&String| l.starts_with("ACK ")).count() < wait_for {
            match lines.recv_timeout(Duration::from_secs(60)) {
                Ok(line) => seen.push(line),
                Err(_) => child_failed(&mut child, "stopped acknowledging"),
            }
        }
        std::thread::sleep(Duration::from_micros(rng.below(30_001) as u64));
        if let Ok(Some(status)) = child.try_wait() {
            let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
            panic!("run {run}: the writer stopped by itself ({status}):\n{stderr}");
        }
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.signal(), Some(9), "run {run}: {status}");
        reader.join().unwrap();
        seen.extend(lines.try_iter());
        let reported = parse_reports(&seen);

        for change in &reported.acknowledged {
            model = model.apply(change);
        }
        stats.acknowledged += reported.acknowledged.len();

        // Check a copy of the files exactly as the kill left them (the next writer then starts
        // from the crashed original, and recovers it itself).
        for suffix in ["", "-wal"] {
            let from = sidecar(&path, suffix);
            let to = sidecar(&check.join("vault.db"), suffix);
            let _ = std::fs::remove_file(&to);
            if from.exists() {
                std::fs::copy(&from, &to).unwrap();
            }
        }
        let _ = std::fs::remove_file(sidecar(&check.join("vault.db"), "-shm"));
        let (vault, passphrase) = open_with_one_passphrase(&check.join("vault.db"));
        let actual = observe(&vault, passphrase);
        drop(vault);

        let without = model.observable();
        if actual == without {
            if reported.in_flight.is_some() {
                stats.in_flight_absent += 1;
            }
            continue;
        }
        let in_flight = reported.in_flight.as_ref().unwrap_or_else(|| {
            panic!(
                "run {run}: the vault differs from the acknowledged changes\nexpected {without:#?}\nfound {actual:#?}"
            )
        });
        let with = model.apply(&as_committed(in_flight, &model, &actual));
        assert_eq!(
            actual,
            with.observable(),
            "run {run}: the vault is neither without nor with the whole in-flight change {in_flight:?}"
        );
        stats.in_flight_committed += 1;
        model = with;
    }
    println!(
        "kill test: {runs} kills, {} acknowledged changes checked, in-flight change found committed {} times and \
         absent {} times; {:.1} s",
        stats.acknowledged,
        stats.in_flight_committed,
        stats.in_flight_absent,
        started.elapsed().as_secs_f64()
    );
    assert!(stats.acknowledged >= runs as usize, "the writer made too few changes to prove anything");
}

// ---- 2. two processes writing one vault at once --------------------------------------------

const SHARED_PASSPHRASE: &str = "passphrase shared by every writer";
const APP_VAULT: &str = "TRESOR_CRASH_APP_VAULT";
const APP_ROUNDS: &str = "TRESOR_CRASH_APP_ROUNDS";
/// Names every writer updates; the vault has them before the writers start. (Two `tresor set`
/// of the same *new* name at once are a different story: the command line looks the name up and
/// then creates it in a second transaction, so the slower one reports the name as taken.)
const SHARED_NAMES: [&str; 4] = ["SHARED_A", "SHARED_B", "SHARED_C", "SHARED_D"];

/// What writer `writer` sets in round `round`: one of the shared names every third round,
/// otherwise one of its own, with a value nobody else writes.
fn concurrent_write(writer: &str, round: usize, rng: &mut Rng) -> (String, String) {
    let name = if round.is_multiple_of(3) {
        SHARED_NAMES[(round / 3) % SHARED_NAMES.len()].to_owned()
    } else {
        format!("{writer}_{}", round % 8)
    };
    (name, format!("{writer}-round-{round}-{}", rng.text(12)))
}

/// Like the app: one vault unlocked for the whole run, writing while the command line writes
/// too. Every write must succeed; a "database is locked" would panic here.
#[test]
#[ignore = "a child process of concurrent_writers_lose_nothing_and_never_see_a_locked_database"]
fn child_app_writer() {
    let Some(path) = std::env::var_os(APP_VAULT) else { return };
    let rounds = env_number(APP_ROUNDS, 0) as usize;
    let mut vault = Vault::unlock(Path::new(&path), &Passphrase::new(SHARED_PASSPHRASE)).unwrap();
    let mut rng = Rng::new(7);
    for round in 0..rounds {
        let (name, value) = concurrent_write("APP", round, &mut rng);
        let name = SecretName::parse(&name).unwrap();
        let value = SecretValue::new(value.as_str());
        match vault.find(&vault.default_place().unwrap(), &name).map(|(id, _)| id) {
            Ok(id) => drop(vault.edit(id, SecretEdit { name: None, description: None, value: Some(value) }).unwrap()),
            Err(Error::NotFound { .. }) => {
                drop(vault.create_secret(NewSecret { name, description: String::new(), value }).unwrap())
            }
            Err(e) => panic!("{e}"),
        }
        say(&format!("WROTE {round}"));
    }
}

/// Values of `name`, oldest first (its history, then its current value).
fn values_oldest_first(vault: &Vault, name: &str) -> Vec<String> {
    let id = vault.find(&vault.default_place().unwrap(), &SecretName::parse(name).unwrap()).unwrap().0;
    let versions = vault.history(id).unwrap();
    let numbers: Vec<u32> = versions.iter().rev().map(|v| v.version).collect();
    assert_eq!(numbers, (1..=numbers.len() as u32).collect::<Vec<_>>(), "{name}: versions without gaps");
    versions.iter().rev().map(|v| vault.reveal_version(id, v.version).unwrap().expose().to_owned()).collect()
}

#[test]
fn concurrent_writers_lose_nothing_and_never_see_a_locked_database() {
    const ROUNDS: usize = 60;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.db");
    let pass_file = dir.path().join("pass");
    write_private(&pass_file, format!("{SHARED_PASSPHRASE}\n"));
    let mut vault = Vault::create(&path, &Passphrase::new(SHARED_PASSPHRASE), KdfParams::insecure_for_tests()).unwrap();
    for name in SHARED_NAMES {
        let value = SecretValue::new(format!("initial value of {name}"));
        let new = NewSecret { name: SecretName::parse(name).unwrap(), description: String::new(), value };
        vault.create_secret(new).unwrap();
    }
    drop(vault);

    let started = Instant::now();
    // The app's core in one process, holding the vault open throughout...
    let mut app = child_command("child_app_writer")
        .env(APP_VAULT, &path)
        .env(APP_ROUNDS, ROUNDS.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (app_lines, app_reader) = child_lines(&mut app);
    // ...and two command lines, one `tresor set` after another, at the same time.
    let cli_writers: Vec<_> = ["CLI1", "CLI2"]
        .into_iter()
        .enumerate()
        .map(|(n, writer)| {
            let (path, pass_file) = (path.clone(), pass_file.clone());
            std::thread::spawn(move || {
                let mut rng = Rng::new(n as u64 + 1);
                let mut written = Vec::new();
                for round in 0..ROUNDS {
                    let (name, value) = concurrent_write(writer, round, &mut rng);
                    let mut child = Command::new(env!("CARGO_BIN_EXE_tresor"))
                        .args(["set", &name])
                        .env("TRESOR_VAULT", &path)
                        .env("TRESOR_PASSPHRASE_FILE", &pass_file)
                        .stdin(Stdio::piped())
                        .stdout(Stdio::null())
                        .stderr(Stdio::piped())
                        .spawn()
                        .unwrap();
                    child.stdin.take().unwrap().write_all(value.as_bytes()).unwrap();
                    let out = child.wait_with_output().unwrap();
                    let stderr = String::from_utf8_lossy(&out.stderr);
                    assert_eq!(out.status.code(), Some(0), "{writer} round {round}, set {name}: {stderr}");
                    assert!(!stderr.to_lowercase().contains("locked"), "{stderr}");
                    written.push((name, value));
                }
                written
            })
        })
        .collect();
    let mut written: Vec<Vec<(String, String)>> = cli_writers.into_iter().map(|w| w.join().unwrap()).collect();
    let app_out = app.wait_with_output().unwrap();
    app_reader.join().unwrap();
    assert!(app_out.status.success(), "the app's writes failed:\n{}", String::from_utf8_lossy(&app_out.stderr));
    assert_eq!(app_lines.try_iter().count(), ROUNDS);
    let mut rng = Rng::new(7);
    written.push((0..ROUNDS).map(|round| concurrent_write("APP", round, &mut rng)).collect());
    let elapsed = started.elapsed();

    // Every value any writer set is there, as the current value or in the history, and each
    // writer's values of a name are in the order it set them.
    let vault = Vault::unlock(&path, &Passphrase::new(SHARED_PASSPHRASE)).unwrap();
    integrity_check(&path);
    let mut names: BTreeSet<&str> = SHARED_NAMES.into_iter().collect();
    names.extend(written.iter().flatten().map(|(name, _)| name.as_str()));
    for name in &names {
        let stored = values_oldest_first(&vault, name);
        assert!(stored.len() <= HISTORY_LIMIT + 1, "{name}: the test must not outgrow the history");
        let mut expected: Vec<&str> =
            written.iter().flatten().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect();
        if SHARED_NAMES.contains(name) {
            expected.push(stored[0].as_str());
        }
        let mut sorted = stored.iter().map(String::as_str).collect::<Vec<_>>();
        sorted.sort_unstable();
        expected.sort_unstable();
        assert_eq!(sorted, expected, "{name}: every write is there, once");
        for writer in &written {
            let own: Vec<&str> = writer.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect();
            let in_vault: Vec<&str> = stored.iter().map(String::as_str).filter(|v| own.contains(v)).collect();
            assert_eq!(in_vault, own, "{name}: one writer's values in the order it wrote them");
        }
    }
    println!("concurrent writers: {} writes by 3 processes in {:.1} s", 3 * ROUNDS, elapsed.as_secs_f64());
}

// ---- 2b. killed while migrating to a newer format -----------------------------------------

/// The large fixtures of each older format (2,000 secrets, each with one earlier value; see
/// tests/fixtures.rs).
fn large_fixture(format: i64) -> String {
    format!("{}/tests/fixtures/v{format}-large/vault.db", env!("CARGO_MANIFEST_DIR"))
}
const FIXTURE_PASSPHRASE: &str = "fixture passphrase";

#[test]
fn a_migration_killed_at_any_moment_leaves_the_old_format_or_the_new_never_a_broken_one() {
    for format in 1..tresor::vault::store::FORMAT_VERSION {
        killed_while_migrating_from(format);
    }
}

fn killed_while_migrating_from(format: i64) {
    let dir = tempfile::tempdir().unwrap();
    let pass = dir.path().join("pass");
    std::fs::write(&pass, format!("{FIXTURE_PASSPHRASE}\n")).unwrap();
    std::fs::set_permissions(&pass, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let run = |path: &Path| {
        Command::new(env!("CARGO_BIN_EXE_tresor"))
            .arg("--vault")
            .arg(path)
            .arg("--passphrase-file")
            .arg(&pass)
            .arg("list")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let fresh = |i: usize| {
        let sub = dir.path().join(format!("run-{i}"));
        std::fs::create_dir(&sub).unwrap();
        let path = sub.join("vault.db");
        std::fs::copy(large_fixture(format), &path).unwrap();
        path
    };

    // How long an unlock that migrates takes here: the kills spread over that window and past it.
    let path = fresh(0);
    let started = Instant::now();
    assert!(run(&path).wait().unwrap().success());
    let window = started.elapsed();
    let current = tresor::vault::store::FORMAT_VERSION;
    assert_eq!(Vault::info(&path).unwrap().format_version, current);

    const RUNS: usize = 16;
    let (mut stayed, mut upgraded) = (0, 0);
    for i in 1..=RUNS {
        let path = fresh(i);
        let mut child = run(&path);
        std::thread::sleep(window.mul_f64(1.2 * i as f64 / RUNS as f64));
        let _ = child.kill();
        let _ = child.wait();
        integrity_check(&path);
        match Vault::info(&path).unwrap().format_version {
            v if v == format => stayed += 1,
            v if v == current => upgraded += 1,
            other => panic!("v{format}, run {i}: format {other}: a migration stopped between formats"),
        }
        // Whatever the moment, the next unlock (which migrates an old file) finds everything.
        let vault = Vault::unlock(&path, &Passphrase::new(FIXTURE_PASSPHRASE)).unwrap();
        let listing = vault.list().unwrap();
        assert!(listing.damaged.is_empty(), "run {i}: {:?}", listing.damaged);
        assert_eq!(listing.items.len(), 2000, "run {i}");
        for meta in listing.items.iter().step_by(97) {
            let n: usize = meta.name.as_str()["KEY_".len()..].parse().unwrap();
            assert_eq!(vault.reveal(meta.id).unwrap().expose(), format!("value-{n}-v2"), "run {i}");
            assert_eq!(vault.reveal_version(meta.id, 1).unwrap().expose(), format!("value-{n}-v1"), "run {i}");
        }
    }
    println!("migration kill test from v{format}: window {window:?}; {stayed} runs left it, {upgraded} upgraded");
}

// ---- 3. the disk is full -------------------------------------------------------------------

fn new_secret(name: &str, value: &str) -> NewSecret {
    NewSecret {
        name: SecretName::parse(name).unwrap(),
        description: format!("about {name}"),
        value: SecretValue::new(value),
    }
}

#[track_caller]
fn assert_disk_full<T: std::fmt::Debug>(result: tresor::Result<T>) {
    match result {
        Err(e @ Error::DiskFull) => assert_eq!(e.to_string(), "the disk is full; nothing was changed"),
        other => panic!("expected the disk-full error, got {other:?}"),
    }
}

#[test]
fn a_write_that_does_not_fit_fails_cleanly_and_the_vault_stays_usable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.db");
    let mut vault = Vault::create(&path, &Passphrase::new(PASSPHRASES[0]), KdfParams::insecure_for_tests()).unwrap();
    let a = vault.create_secret(new_secret("A", "a-1")).unwrap().meta.id;
    vault.edit(a, SecretEdit { name: None, description: None, value: Some(SecretValue::new("a-2")) }).unwrap();
    let b = vault.create_secret(new_secret("B", "b-1")).unwrap().meta.id;
    let before = observe(&vault, 0);

    // The file may not grow by a single page from now on.
    vault.limit_file_pages_for_tests(Some(0)).unwrap();
    let big = Rng::new(3).text(300_000);
    assert_disk_full(vault.create_secret(new_secret("BIG", &big)));
    assert_disk_full(
        vault.edit(a, SecretEdit { name: None, description: Some("new".into()), value: Some(SecretValue::new(&big)) }),
    );
    assert_disk_full(
        vault.create_many(&vault.default_place().unwrap(), vec![new_secret("SMALL", "s"), new_secret("BIG", &big)]),
    );
    assert_disk_full(vault.delete(&[b]).and_then(|()| vault.create_secret(new_secret("BIG", &big))));
    vault.restore(b, None).unwrap();
    assert_eq!(observe(&vault, 0), before, "nothing of the failed writes is visible, and everything reads");

    // Space frees up: the next writes work, big and small.
    vault.limit_file_pages_for_tests(None).unwrap();
    vault.edit(a, SecretEdit { name: None, description: None, value: Some(SecretValue::new("a-3")) }).unwrap();
    vault.create_secret(new_secret("BIG", &big)).unwrap();
    drop(vault);

    let vault = Vault::unlock(&path, &Passphrase::new(PASSPHRASES[0])).unwrap();
    integrity_check(&path);
    let after = observe(&vault, 0);
    let a_hex = a.to_hex();
    assert_eq!(after.secrets[&a_hex].value.as_deref(), Some("a-3"));
    assert_eq!(after.secrets[&a_hex].history, [(2, "a-2".to_owned()), (1, "a-1".to_owned())]);
    assert_eq!(after.secrets.values().filter(|s| s.value.as_deref() == Some(big.as_str())).count(), 1);
    assert_eq!(after.secrets.len(), 3);
}

#[test]
fn an_edit_that_runs_out_of_disk_midway_leaves_the_secret_exactly_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.db");
    let mut vault = Vault::create(&path, &Passphrase::new(PASSPHRASES[0]), KdfParams::insecure_for_tests()).unwrap();
    let a = vault.create_secret(new_secret("OLD_NAME", "old-1")).unwrap().meta.id;
    vault.edit(a, SecretEdit { name: None, description: None, value: Some(SecretValue::new("old-2")) }).unwrap();
    let before = observe(&vault, 0);

    // The file may not grow from now on: the rename fits in the pages it has, the new value does
    // not. Before `Vault::edit`, the app saved an edit as a rename, then a second transaction
    // for description and value: under this very cap the rename was committed and the value
    // failed, leaving the secret renamed but not updated.
    vault.limit_file_pages_for_tests(Some(0)).unwrap();
    let big = Rng::new(7).text(300_000);
    let edit = SecretEdit {
        name: Some(SecretName::parse("NEW_NAME").unwrap()),
        description: Some("changed".into()),
        value: Some(SecretValue::new(&big)),
    };
    assert_disk_full(vault.edit(a, edit));
    assert_eq!(observe(&vault, 0), before, "nothing of the edit is visible");
    assert_eq!(vault.find(&vault.default_place().unwrap(), &SecretName::parse("OLD_NAME").unwrap()).unwrap().0, a);
    assert!(matches!(
        vault.find(&vault.default_place().unwrap(), &SecretName::parse("NEW_NAME").unwrap()).map(|(id, _)| id),
        Err(Error::NotFound { .. })
    ));
    drop(vault);

    // After a restart too; and the cap really did leave room for the rename on its own, which is
    // what the old two-step save committed.
    let mut vault = Vault::unlock(&path, &Passphrase::new(PASSPHRASES[0])).unwrap();
    integrity_check(&path);
    assert_eq!(observe(&vault, 0), before);
    vault.limit_file_pages_for_tests(Some(0)).unwrap();
    let renamed = SecretEdit { name: Some(SecretName::parse("NEW_NAME").unwrap()), ..SecretEdit::default() };
    assert_eq!(vault.edit(a, renamed).unwrap().meta.name.as_str(), "NEW_NAME");
}

/// A 1 MiB tmpfs, unmounted when dropped. Needs root (or CAP_SYS_ADMIN); `None` where mounting
/// is not allowed.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount() -> Result<SmallDisk, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=1m,mode=0700", "tresor-test"])
            .arg(dir.path())
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(format!("mount failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
        }
        Ok(SmallDisk { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file until the disk is full.
    fn fill(&self) {
        let mut filler = std::fs::File::create(self.path().join("filler")).unwrap();
        let block = [0x5Au8; 4096];
        while filler.write_all(&block).is_ok() {}
        let _ = filler.sync_all();
    }

    fn free(&self) {
        std::fs::remove_file(self.path().join("filler")).unwrap();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("--lazy").arg(self.dir.path()).status();
    }
}

#[test]
fn on_a_full_disk_the_vault_reads_refuses_writes_clearly_and_recovers() {
    let disk = match SmallDisk::mount() {
        Ok(disk) => disk,
        Err(why) => {
            println!("skipped: a full disk needs a small tmpfs, and {why}");
            return;
        }
    };
    let path = disk.path().join("vault.db");
    let pass_file = std::env::temp_dir().join(format!("tresor-crash-pass-{}", std::process::id()));
    write_private(&pass_file, format!("{}\n", PASSPHRASES[0]));
    let tresor = |args: &[&str], stdin: &[u8]| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tresor"))
            .args(args)
            .env("TRESOR_VAULT", &path)
            .env("TRESOR_PASSPHRASE_FILE", &pass_file)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        let out = child.wait_with_output().unwrap();
        (out.status.code(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
    };
    let full = (Some(1), String::new(), "tresor: the disk is full; nothing was changed\n".to_owned());
    let big = Rng::new(5).text(300_000);

    let mut vault = Vault::create(&path, &Passphrase::new(PASSPHRASES[0]), KdfParams::insecure_for_tests()).unwrap();
    vault.create_secret(new_secret("A", "a-1")).unwrap();
    drop(vault);

    // Nothing has the vault open when the disk fills up: it still reads, and writes fail clearly.
    disk.fill();
    let bytes = std::fs::read(&path).unwrap();
    let no_backup = "warning: could not back up the vault for the day (the disk is full); nothing was changed\n";
    assert_eq!(tresor(&["get", "A"], b""), (Some(0), "a-1".to_owned(), no_backup.to_owned()), "read on a full disk");
    assert_eq!(tresor(&["list"], b"").0, Some(0));
    // Each command says that today's backup could not be made, then why the write failed.
    let full_no_backup = (full.0, full.1.clone(), format!("{no_backup}{}", full.2));
    assert_eq!(tresor(&["set", "BIG"], big.as_bytes()), full_no_backup);
    assert_eq!(tresor(&["set", "A"], b"a-2"), full_no_backup);
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "the vault file is as it was");

    // Space frees up: writing works again.
    disk.free();
    assert_eq!(tresor(&["set", "A"], b"a-2").0, Some(0));
    assert_eq!(tresor(&["set", "BIG"], big.as_bytes()).0, Some(0));

    // The app has the vault open when the disk fills up.
    let mut app = Vault::unlock(&path, &Passphrase::new(PASSPHRASES[0])).unwrap();
    let before = observe(&app, 0);
    disk.fill();
    assert_disk_full(app.create_secret(new_secret("BIG2", &big)));
    let a = app.find(&app.default_place().unwrap(), &SecretName::parse("A").unwrap()).unwrap().0;
    assert_disk_full(app.edit(a, SecretEdit { name: None, description: None, value: Some(SecretValue::new(&big)) }));
    assert_eq!(tresor(&["get", "A"], b""), (Some(0), "a-2".to_owned(), String::new()), "the CLI reads meanwhile");
    assert_eq!(tresor(&["set", "B"], b"b-1"), full);
    assert_eq!(observe(&app, 0), before);
    drop(app);
    disk.free();

    let vault = Vault::unlock(&path, &Passphrase::new(PASSPHRASES[0])).unwrap();
    integrity_check(&path);
    assert_eq!(observe(&vault, 0), before);
    drop(vault);
    let _ = std::fs::remove_file(&pass_file);
}

#[test]
fn a_vault_held_by_another_process_for_too_long_is_a_clear_busy_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.db");
    let mut vault = Vault::create(&path, &Passphrase::new(PASSPHRASES[0]), KdfParams::insecure_for_tests()).unwrap();
    vault.create_secret(new_secret("A", "a-1")).unwrap();
    // Another program holds the write lock and does not let go.
    let blocker = Connection::open(&path).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let started = Instant::now();
    let err = vault.create_secret(new_secret("B", "b-1")).unwrap_err();
    assert!(matches!(err, Error::Busy), "{err:?}");
    assert!(err.to_string().contains("the vault is busy"), "{err}");
    assert!(!err.to_string().contains("database is locked"), "{err}");
    assert!(started.elapsed() >= Duration::from_secs(9), "it waited for the other process first");
    // Reading still works meanwhile (WAL), and writing once the other lets go.
    assert_eq!(vault.list().unwrap().items.len(), 1);
    blocker.execute_batch("ROLLBACK").unwrap();
    vault.create_secret(new_secret("B", "b-1")).unwrap();
}

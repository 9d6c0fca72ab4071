//! Synchronisation's merge as devices meet it: 2–4 devices make random creates, edits, renames,
//! moves and deletes with skewed clocks, and exchange their changes late, out of order and more
//! than once. Once every device has every change, all of them show the same vault, and nothing
//! acknowledged is lost: every value ever written is a current value or in its record's history.
//! Change files carry the changes through a real round trip (sealed, chained, read back).

use std::collections::BTreeMap;

use proptest::prelude::*;
use tresor::vault::crypto::{DeviceSecret, Key32, VaultKeys};
use tresor::vault::sync::DeviceId;
use tresor::vault::sync::file::{self, Header};
use tresor::vault::sync::merge::{Change, Merged, RecordId, State};

#[derive(Debug, Clone)]
enum Op {
    /// Device `device` edits record `record` (creates it if new): a value, maybe a new name or place.
    Edit {
        device: usize,
        record: u8,
        name: u8,
        place: u8,
    },
    Delete {
        device: usize,
        record: u8,
    },
    /// Device `to` receives change `pick` (modulo what exists) of device `from`'s outbox.
    Deliver {
        from: usize,
        to: usize,
        pick: usize,
    },
    /// Time passes on one device.
    Tick {
        device: usize,
        millis: u64,
    },
}

fn op(devices: usize) -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..devices, 0u8..6, 0u8..3, 0u8..2).prop_map(|(device, record, name, place)| Op::Edit { device, record, name, place }),
        1 => (0..devices, 0u8..6).prop_map(|(device, record)| Op::Delete { device, record }),
        5 => (0..devices, 0..devices, 0usize..64).prop_map(|(from, to, pick)| Op::Deliver { from, to, pick }),
        1 => (0..devices, 0u64..5_000).prop_map(|(device, millis)| Op::Tick { device, millis }),
    ]
}

struct Device {
    id: DeviceId,
    merged: Merged,
    outbox: Vec<Change>,
    clock: u64,
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn devices_that_have_seen_the_same_changes_show_the_same_vault_and_lose_nothing(
        devices in 2usize..=4,
        skew in proptest::collection::vec(0u64..100_000, 4),
        ops in proptest::collection::vec(op(4), 1..80),
    ) {
        let mut all: Vec<Device> = (0..devices)
            .map(|i| Device { id: DeviceId([i as u8 + 1; 16]), merged: Merged::default(), outbox: Vec::new(), clock: 1_000_000 + skew[i] })
            .collect();
        let mut written: Vec<(RecordId, String)> = Vec::new();
        let mut n = 0;
        for op in ops {
            match op {
                Op::Edit { device, record, name, place } => {
                    let d = &mut all[device % devices];
                    n += 1;
                    let value = format!("value-{n}");
                    let state = State::Live { place: [place; 16], name: format!("NAME_{name}"), description: String::new(), value: value.clone() };
                    let change = d.merged.edit(RecordId([record; 16]), state, d.id, d.clock);
                    written.push((change.record, value));
                    d.outbox.push(change);
                }
                Op::Delete { device, record } => {
                    let d = &mut all[device % devices];
                    let change = d.merged.edit(RecordId([record; 16]), State::Deleted, d.id, d.clock);
                    d.outbox.push(change);
                }
                Op::Deliver { from, to, pick } => {
                    let (from, to) = (from % devices, to % devices);
                    if from == to || all[from].outbox.is_empty() {
                        continue;
                    }
                    let change = all[from].outbox[pick % all[from].outbox.len()].clone();
                    all[to].merged.apply(change);
                }
                Op::Tick { device, millis } => all[device % devices].clock += millis,
            }
        }
        // Everything reaches everyone, through real change files: each device's outbox sealed as
        // one chain, read back and applied, in an order that differs per receiver.
        let keys = tresor::vault::sync::KeyRing::from([([4; 16], VaultKeys::from_vault_key(Key32::from_bytes([5; 32])))]);
        let vault = [9u8; 16];
        type Candidates = BTreeMap<u64, Vec<Vec<u8>>>;
        let mut chains: Vec<(DeviceId, Candidates)> = Vec::new();
        for d in &all {
            let mut prev = [0u8; 32];
            let mut files = BTreeMap::new();
            for (i, change) in d.outbox.iter().enumerate() {
                let body = serde_json::to_vec(&vec![change]).unwrap();
                let bytes = file::seal(&keys[&[4; 16]], &Header { vault, device: d.id, key: [4; 16], seq: i as u64 + 1, prev }, &body);
                prev = file::digest(&bytes);
                files.insert(i as u64 + 1, vec![bytes]);
            }
            chains.push((d.id, files));
        }
        for (i, d) in all.iter_mut().enumerate() {
            for k in 0..chains.len() {
                let (id, files) = &chains[(i + k) % chains.len()];
                let chain = file::read_chain(&keys, &vault, *id, files);
                prop_assert!(chain.stopped.is_none(), "{:?}", chain.stopped);
                for opened in chain.files.iter().rev() {
                    let changes: Vec<Change> = serde_json::from_slice(&opened.body).unwrap();
                    for change in changes {
                        d.merged.apply(change);
                    }
                }
            }
        }
        let first = all[0].merged.shown();
        for d in &all[1..] {
            prop_assert_eq!(&d.merged, &all[0].merged);
            prop_assert_eq!(&d.merged.shown(), &first);
        }
        // Nothing lost: each value written is the winner's or in the record's history.
        let merged = &all[0].merged;
        for (record, value) in &written {
            let kept = merged.winner(record).into_iter().chain(merged.history(record)).any(|c| {
                matches!(&c.state, State::Live { value: v, .. } if v == value)
            });
            prop_assert!(kept, "{value} of {record:?} is lost");
        }
        // Names are unique per place in what shows.
        let mut seen = std::collections::BTreeSet::new();
        for shown in &first {
            prop_assert!(seen.insert((shown.place, shown.name.clone())), "{} twice", shown.name);
        }
    }
}

/// The folder on disk as sync engines leave it: each device publishes its files (never over an
/// existing one), and a scan takes change files and conflict copies, and nothing else —
/// half-written temporary files, an engine's placeholders, other names, folders that are not a
/// device, symbolic links.
#[test]
fn a_folder_holds_each_devices_chain_and_a_scan_takes_nothing_else() {
    use tresor::vault::sync::folder::SyncFolder;
    let dir = tempfile::tempdir().unwrap();
    let keys = tresor::vault::sync::KeyRing::from([([4; 16], VaultKeys::from_vault_key(Key32::from_bytes([5; 32])))]);
    let key = (&keys[&[4; 16]], [4; 16]);
    let vault = [9u8; 16];
    let folder = SyncFolder::new(dir.path(), vault);
    let (laptop, desktop) = (DeviceId([1; 16]), DeviceId([2; 16]));
    let (laptop_secret, desktop_secret) = (DeviceSecret::random(), DeviceSecret::random());
    let (laptop_as, desktop_as) = ((laptop, &laptop_secret), (desktop, &desktop_secret));

    assert_eq!(folder.next(&keys, laptop).unwrap(), (1, [0; 32]));
    let first = folder.publish(key, laptop_as, 1, [0; 32], b"[]").unwrap();
    let second = folder.publish(key, laptop_as, 2, file::digest(&first), b"[]").unwrap();
    folder.publish(key, desktop_as, 1, [0; 32], b"[]").unwrap();
    assert_eq!(folder.next(&keys, laptop).unwrap(), (3, file::digest(&second)));
    let again = folder.publish(key, laptop_as, 2, file::digest(&first), b"[\"other\"]");
    assert_eq!(again.unwrap_err().kind(), std::io::ErrorKind::AlreadyExists, "a number is written once");

    let device_dir = folder.root().join(laptop.hex());
    std::fs::write(device_dir.join(".0000000000000003.tchange.a1b2c3.tmp"), b"half").unwrap();
    std::fs::write(device_dir.join(".syncthing.0000000000000003.tchange.tmp"), b"half").unwrap();
    std::fs::write(device_dir.join("notes.txt"), b"x").unwrap();
    std::fs::write(device_dir.join("0000000000000002.sync-conflict-20261204-101500-ABC.tchange"), &second).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", device_dir.join("0000000000000009.tchange")).unwrap();
    std::fs::create_dir(folder.root().join("not-a-device")).unwrap();

    let found = folder.scan().unwrap();
    assert_eq!(found.keys().copied().collect::<Vec<_>>(), [laptop, desktop]);
    let laptop_files = &found[&laptop];
    assert_eq!(
        laptop_files.keys().copied().collect::<Vec<_>>(),
        [1, 2],
        "the symlink and the temporary files are left out"
    );
    assert_eq!(laptop_files[&2].len(), 2, "the file and its conflict copy");
    let chain = file::read_chain(&keys, &vault, laptop, laptop_files);
    assert_eq!((chain.files.len(), chain.stopped), (2, None));
    // Each file tells the device that wrote it that it did, and no one else; the same header
    // and body sealed by anyone who holds only the vault key is not the laptop's.
    assert!(chain.files.iter().all(|f| file::written_by(f, &laptop_secret)));
    assert!(chain.files.iter().all(|f| !file::written_by(f, &desktop_secret)));
    let copy = file::seal(key.0, &chain.files[1].header, b"[]");
    let copy = file::open(&keys, &vault, &copy).unwrap();
    assert_eq!(*copy.body, *chain.files[1].body);
    assert!(!file::written_by(&copy, &laptop_secret), "another nonce");
    // A device put back from a backup continues from its chain in the folder; a file planted
    // under a high number (the symlink, or garbage) does not move it.
    std::fs::write(device_dir.join("00000000000000ff.tchange"), b"garbage").unwrap();
    assert_eq!(folder.next(&keys, laptop).unwrap(), (3, file::digest(&second)));
    assert_eq!(folder.next(&keys, DeviceId([3; 16])).unwrap(), (1, [0; 32]));
}

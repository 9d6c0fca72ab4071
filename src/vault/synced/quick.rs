//! A sync that only receives, from the cache of what the last sync merged (`cache.rs`): the
//! files written since are read, the records they touch merged from their cached states, and
//! only their rows written. Anything else — an edit made here, a new device, a key, a forget, a
//! project or environment changed, a name two records want, a chain that stops, a file that
//! does not continue what was read — is left to the full sync (`sync_once`), which then writes
//! the cache again. Debug builds check every quick sync against the full merge.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::super::Vault;
use super::super::crypto;
use super::super::error::Result;
use super::super::records::{PlaceRow, SecretRow, live_id_by_index};
use super::super::store;
use super::super::sync::file;
use super::super::sync::folder::SyncFolder;
use super::super::sync::merge::{Merged, RecordId, ShownPlace, State};
use super::super::sync::{DeviceId, hex, unhex};
use super::cache::{self, Cache, Meta};
use super::stored::{self, Body, Connection, folder_error, save_connection};
use super::{DeviceInfo, Snapshot, SyncReport, earlier_values, secret_state};
use crate::vault::secret::Timestamp;

impl Vault {
    /// The quick sync, or `None` when it is the full sync's to do (nothing written then).
    pub(super) fn sync_quick(&mut self, file: &Path, connection: &Connection) -> Result<Option<SyncReport>> {
        if connection.pending_rekey.is_some() || !connection.purged.is_empty() {
            return Ok(None);
        }
        let vault_id = self.header.vault_id;
        let Some(mut cache) = Cache::open(file) else { return Ok(None) };
        let Some(meta) = cache.meta(&self.keys, &vault_id) else { return Ok(None) };
        if !meta.simple
            || meta.key_id != hex(&self.header.key_id)
            || meta.read != connection.read
            || meta.synced_at != connection.synced_at
        {
            return Ok(None);
        }
        let me = connection.device;
        let read_at = self.clock.now().0;

        // Nothing written here since the last sync: an edit, a restored backup, an import — each
        // is for the full sync to tell apart.
        let stored = self.read(store::read_record_set)?;
        if hex(&crypto::sha256(&[&stored])) != meta.record_set {
            return Ok(None);
        }
        let records = self.records();

        // The folder: each device's files as far as read, unchanged; the files after them new,
        // each continuing its chain under the current key.
        let folder = SyncFolder::new(&connection.folder, vault_id);
        let listed = folder.list().map_err(folder_error(folder.root()))?;
        if listed.keys().any(|d| !meta.read.contains_key(d)) {
            return Ok(None);
        }
        let ring = self.sync_ring(connection);
        let forgotten: BTreeSet<DeviceId> = meta.devices.iter().filter(|d| d.4).map(|d| d.0).collect();
        let mut new_files: BTreeMap<DeviceId, Vec<file::Opened>> = BTreeMap::new();
        for (device, (seen, digest)) in &meta.read {
            let Some(files) = listed.get(device) else { return Ok(None) };
            let Some(digest) = unhex::<32>(digest) else { return Ok(None) };
            if (1..=*seen).any(|n| files.get(&n).is_none_or(|c| c.len() != 1)) {
                return Ok(None);
            }
            let last = SyncFolder::read_files(&files.range(*seen..=*seen).map(|(n, p)| (*n, p.clone())).collect())
                .map_err(folder_error(folder.root()))?;
            if last.get(seen).and_then(|c| c.first()).is_none_or(|bytes| file::digest(bytes) != digest) {
                return Ok(None);
            }
            let after: BTreeMap<u64, Vec<std::path::PathBuf>> =
                files.range(seen + 1..).map(|(n, p)| (*n, p.clone())).collect();
            if after.is_empty() {
                continue;
            }
            if forgotten.contains(device) || *device == me {
                return Ok(None);
            }
            let candidates = SyncFolder::read_files(&after).map_err(folder_error(folder.root()))?;
            let chain = file::read_chain_after(&ring, &vault_id, *device, &candidates, (*seen, digest));
            if chain.stopped.is_some()
                || chain.files.len() != after.len()
                || chain.files.iter().any(|f| f.header.key != self.header.key_id)
            {
                return Ok(None);
            }
            new_files.insert(*device, chain.files);
        }
        let mut bodies: BTreeMap<DeviceId, Vec<Body>> = BTreeMap::new();
        for (device, files) in &new_files {
            for f in files {
                let Ok(body) = serde_json::from_slice::<Body>(&f.body) else { return Ok(None) };
                let plain = body.changes.iter().all(|c| matches!(c.state, State::Live { .. } | State::Deleted));
                if body.rekey.is_some() || !plain {
                    return Ok(None);
                }
                bodies.entry(*device).or_default().push(body);
            }
        }

        // The records they touch, merged from their cached states and the new ones.
        let touched: BTreeSet<RecordId> =
            bodies.values().flatten().flat_map(|b| &b.changes).map(|c| c.record).collect();
        let mut merged = Merged::default();
        for record in &touched {
            let Some(states) = cache.load(&self.keys, &vault_id, record) else { return Ok(None) };
            states.into_iter().for_each(|c| merged.apply(c));
        }
        let received: Vec<_> = bodies.values().flatten().flat_map(|b| &b.changes).cloned().collect();
        let count = received.len();
        received.into_iter().for_each(|c| merged.apply(c));
        if merged
            .record_ids()
            .any(|r| merged.states(r).any(|c| !matches!(c.state, State::Live { .. } | State::Deleted)))
        {
            return Ok(None);
        }
        let secrets = merged.shown();
        // Their rows as they are, and the places; every name free but for them, every place shown.
        let (snapshot, places) = self.read(|conn| {
            let mut snapshot = Snapshot::new();
            for record in &touched {
                if let Some(row) = SecretRow::load(conn, super::super::secret::SecretId(record.0))? {
                    snapshot.insert(*record, (secret_state(&records, &row)?, row.modified));
                }
            }
            let mut places = Vec::new();
            for row in PlaceRow::all(conn)?.into_iter().filter(|r| r.deleted.is_none()) {
                places.push(ShownPlace {
                    record: RecordId(row.id.0),
                    project: row.project.map(|p| p.0),
                    name: records.place_name(&row)?.as_str().to_owned(),
                    default: row.is_default,
                    position: row.position,
                    kept_for_contents: false,
                    renamed_from: None,
                });
            }
            for shown in &secrets {
                let holder = live_id_by_index(conn, &self.keys.name_index(&shown.place, &shown.name))?;
                if holder.is_some_and(|id| !touched.contains(&RecordId(id.0))) {
                    return Ok((snapshot, None));
                }
            }
            Ok((snapshot, Some(places)))
        })?;
        let Some(places) = places else { return Ok(None) };
        let shown_places: BTreeSet<[u8; 16]> = places.iter().map(|p| p.record.0).collect();
        if secrets.iter().any(|s| s.renamed_from.is_some() || !shown_places.contains(&s.place)) {
            return Ok(None);
        }

        let mut report = SyncReport {
            folder: connection.folder.clone(),
            device_name: connection.name.clone(),
            received: count,
            ..SyncReport::default()
        };
        let earlier = earlier_values(&merged, &secrets, &snapshot, &touched);
        let (written, record_set) =
            self.apply_merged(&places, &secrets, (&snapshot, &stored), &touched, &earlier, &mut report)?;

        // Remembered, as the full sync does.
        let mut connection = connection.clone();
        for (device, files) in &new_files {
            let last = files.last().expect("new files");
            connection.read.insert(*device, (last.header.seq, hex(&last.digest)));
        }
        connection.synced_at = read_at;
        connection.applied = match written.len() <= stored::APPLIED_KEPT {
            true => written.iter().map(|(id, term)| (hex(id), stored::applied_mark(term))).collect(),
            false => BTreeMap::new(),
        };
        let mut flagged: BTreeSet<String> = connection.flagged.iter().cloned().collect();
        for shown in &secrets {
            flagged.remove(&hex(&shown.record.0));
            if shown.changed_on_two_devices {
                flagged.insert(hex(&shown.record.0));
            }
        }
        for record in touched.iter().filter(|r| !secrets.iter().any(|s| s.record == **r)) {
            flagged.remove(&hex(&record.0));
        }
        connection.flagged = flagged.into_iter().collect();
        // A purge another process noted meanwhile stays for the next sync to publish.
        if let Some(now) = stored::load_connection(file)? {
            connection.purged = now.purged;
        }
        save_connection(file, &connection)?;

        let mut devices = Vec::new();
        for (id, name, files, last_change, forgotten) in &meta.devices {
            let new = bodies.get(id);
            let name = new.and_then(|b| b.last()).map_or_else(|| name.clone(), |b| b.device_name.clone());
            let newest = new.into_iter().flatten().flat_map(|b| &b.changes).map(|c| c.clock.millis as i64).max();
            devices.push((
                *id,
                name,
                files + new.map_or(0, |b| b.len() as u64),
                (*last_change).max(newest),
                *forgotten,
            ));
        }
        let next = Meta { read: connection.read.clone(), synced_at: connection.synced_at, record_set, devices, ..meta };
        let states = touched.iter().map(|r| (*r, merged.states(r).collect::<Vec<_>>()));
        // A cache that could not be written is only not used next time (its state is older).
        let _ = cache.store(&self.keys, &vault_id, cache::Write::Records, states, &next);
        report.devices = next
            .devices
            .iter()
            .map(|(id, name, files, last_change, forgotten)| DeviceInfo {
                id: *id,
                name: name.clone(),
                files: *files,
                last_change: last_change.map(Timestamp),
                this_device: *id == me,
                stopped: None,
                forgotten: *forgotten,
            })
            .collect();
        Ok(Some(report))
    }
}

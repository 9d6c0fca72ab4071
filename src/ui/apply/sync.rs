//! The Sync section's commands and the app's automatic syncs: connect, Sync now, Disconnect,
//! and a sync shortly after the vault or the synced folder changed (and once after unlocking).
//! Each sync runs on a worker thread with the vault (`Vault::sync_now`, the core's); what it did
//! comes back in jobs.rs and is taken in by [`App::synced`].

use super::*;
use crate::vault::SyncReport;

/// How long after a change the automatic sync waits (edits made in a row go out together).
const SETTLE_MS: i64 = 1_500;

impl App {
    /// The first-start screen's "Join a synced vault…": the vault file is made from the folder
    /// (the core's `Vault::sync_join`), and opens like a new one.
    pub(super) fn join_synced_vault(&mut self, ctx: &egui::Context) -> Reply {
        let Screen::Setup(form) = &mut self.screen else { return Reply::Quiet };
        let Some(path) = form.checked_path() else { return Reply::Quiet };
        let Some(folder) = super::super::session::typed_path(&form.folder_text) else { return Reply::Quiet };
        if !form.ready_to_join() {
            return Reply::Quiet;
        }
        let passphrase = Passphrase::new(form.passphrase.as_str());
        let name = Some(form.device_name.trim().to_owned()).filter(|n| !n.is_empty());
        self.vault_path = path.clone();
        self.jobs.spawn(ctx, "Building this device's vault from the folder…", move || {
            let opened = Vault::sync_join(&path, &folder, &passphrase, name.as_deref())
                .and_then(|(vault, _)| vault.list().map(|listing| (vault, listing)));
            JobDone::Opened(opened)
        });
        Reply::Quiet
    }

    pub(super) fn sync_connect(&mut self, ctx: &egui::Context) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(folder) = super::super::session::typed_path(&session.sync.folder_text) else { return Reply::Quiet };
        let name = Some(session.sync.name_text.trim().to_owned()).filter(|n| !n.is_empty());
        if let Some(mut vault) = session.vault.take() {
            self.jobs.spawn(ctx, "Connecting to the sync folder…", move || {
                let result = vault.sync_init(&folder, name.as_deref());
                JobDone::Synced { vault, result, auto: false }
            });
        }
        Reply::Quiet
    }

    /// Syncs now (`auto`: the app's own sync, which says only what changed here).
    pub(in crate::ui) fn sync_now(&mut self, ctx: &egui::Context, auto: bool) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        session.sync.due = None;
        if let Some(mut vault) = session.vault.take() {
            self.jobs.spawn(ctx, "Syncing…", move || {
                let result = vault.sync_now();
                JobDone::Synced { vault, result, auto }
            });
        }
        Reply::Quiet
    }

    pub(super) fn sync_forget(&mut self, ctx: &egui::Context, id: String) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        session.sync.confirm_forget = None;
        if let Some(mut vault) = session.vault.take() {
            self.jobs.spawn(ctx, "Forgetting the device…", move || {
                let result = vault.sync_forget(&id).map(|(_, report)| report);
                JobDone::Synced { vault, result, auto: false }
            });
        }
        Reply::Quiet
    }

    pub(super) fn sync_keep(&mut self, ctx: &egui::Context, id: SecretId) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        if let Some(mut vault) = session.vault.take() {
            self.jobs.spawn(ctx, "Syncing…", move || {
                let result = vault.sync_keep(id);
                JobDone::Synced { vault, result, auto: false }
            });
        }
        Reply::Quiet
    }

    pub(super) fn sync_disconnect(&mut self) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(vault) = session.vault.as_mut() else { return Reply::Quiet };
        let result = vault.sync_disconnect();
        reload_sync(session);
        session.sync.last = None;
        match result {
            Ok(folder) => {
                Reply::Info(format!("This vault no longer syncs through {}; both keep everything.", folder.display()))
            }
            Err(e) => Reply::error(style::sentence(&e.to_string())),
        }
    }

    /// A sync finished: the vault comes back, what shows is read again, and the section says
    /// what happened (a toast too, unless an automatic sync changed nothing here).
    pub(in crate::ui) fn synced(&mut self, vault: Vault, result: Result<SyncReport, Error>, auto: bool) {
        let Some(session) = self.screen.session_mut() else { return };
        let mut vault = vault;
        // The sync's own writes are not edits to sync again.
        vault.take_changes();
        session.vault = Some(vault);
        reload_sync(session);
        match result {
            Ok(mut report) => {
                session.sync.devices = std::mem::take(&mut report.devices);
                session.reload_projects();
                if session.label_of(&session.place).is_none()
                    && let Some(place) = session.vault.as_ref().and_then(|v| v.default_place().ok())
                {
                    session.place = place;
                }
                session.reload_list();
                if session.page == Page::Trash {
                    reload_trash(session);
                }
                let text = said(&report);
                session.sync.last = Some((text.clone(), false));
                session.sync.folder_text.clear();
                let changed_here = report.created + report.updated + report.trashed > 0;
                let notable = !report.conflicts.is_empty()
                    || !report.renamed.is_empty()
                    || !report.stopped.is_empty()
                    || report.rekeyed_by.is_some();
                if !auto || changed_here || notable {
                    self.toast(text, !report.stopped.is_empty());
                }
            }
            Err(e) => {
                let text = format!("Not synced: {}", style::sentence(&e.to_string()));
                // An automatic sync that keeps failing says so once, in the section and a toast.
                let repeated = auto && session.sync.last.as_ref().is_some_and(|(last, _)| *last == text);
                session.sync.last = Some((text.clone(), true));
                if !repeated {
                    self.toast(text, true);
                }
            }
        }
    }

    /// Each frame: an automatic sync when it is due. It is due once after unlocking, and
    /// [`SETTLE_MS`] after the vault (this app's own writes, the command line's) or the synced
    /// folder (another device's change files) changed. `vault_changed`: the vault's watch fired.
    pub(in crate::ui) fn follow_sync(&mut self, ctx: &egui::Context, now: Timestamp, vault_changed: bool) {
        let background = self.jobs.in_background();
        let Some(session) = self.screen.session_mut() else { return };
        if session.sync.folder.is_none() {
            session.sync.watch = None;
            return;
        }
        // The folder's watch follows its device folders (a new device adds one).
        if background && session.sync.watch.as_ref().is_none_or(|(watched, _)| *watched != session.sync.dirs) {
            let dirs = session.sync.dirs.clone();
            session.sync.watch = super::super::watch::Watch::start_sync(ctx, dirs.clone()).map(|w| (dirs, w));
        }
        let folder_changed = session.sync.watch.as_ref().is_some_and(|(_, w)| w.take_changed());
        if (vault_changed || folder_changed) && session.sync.due.is_none() {
            session.sync.due = Some(Timestamp(now.0 + SETTLE_MS));
        }
        match session.sync.due {
            Some(due) if due <= now && session.vault.is_some() && !self.jobs.is_running() => {
                let reply = self.sync_now(ctx, true);
                self.reply(reply);
            }
            Some(due) => ctx.request_repaint_after(std::time::Duration::from_millis((due.0 - now.0).max(0) as u64)),
            None => {}
        }
    }
}

/// The section's folder, flags and watched folders, read again: small reads of the state folder
/// and folder names. The devices come with each sync's report (reading them means reading and
/// checking the whole folder: a worker's job, never the window's).
pub(in crate::ui) fn reload_sync(session: &mut Session) {
    let Some(vault) = &session.vault else { return };
    session.sync.folder = vault.sync_folder().ok().flatten();
    if session.sync.folder.is_none() {
        session.sync.devices.clear();
    }
    session.sync.dirs = vault.sync_watch_dirs().unwrap_or_default();
    session.sync.flagged = vault.sync_flagged().unwrap_or_default();
}

/// What a sync did, in one or two sentences.
fn said(report: &SyncReport) -> String {
    let mut text = match (report.created + report.updated + report.trashed, report.published) {
        (0, 0) => "Synced: nothing new.".to_owned(),
        (0, sent) => format!("Synced: sent {} to the other devices.", changes(sent)),
        (here, 0) => format!("Synced: {} from other devices.", changes(here)),
        (here, sent) => format!("Synced: sent {}, took in {}.", changes(sent), changes(here)),
    };
    if let Some(device) = &report.rekeyed_by {
        text = format!(
            "The passphrase or the vault key was changed on {device}: this vault moved to the new key, and from now \
             on it opens with the passphrase set there. {text}"
        );
    }
    for conflict in &report.conflicts {
        text += &format!(
            " {conflict} was changed on two devices: the later edit shows, the other value is in its earlier versions."
        );
    }
    for (old, new) in &report.renamed {
        text += &format!(" Two devices each created {old}: the other one shows as {new}.");
    }
    for stopped in &report.stopped {
        text += &format!(" {}", style::sentence(stopped));
    }
    text
}

fn changes(n: usize) -> String {
    if n == 1 { "1 change".to_owned() } else { format!("{n} changes") }
}

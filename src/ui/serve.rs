//! Unlock once, the window's side: the app serves the vault file it has open to the user's
//! command line (`crate::agent::server`), asks the user about each new caller in a dialog of its
//! own (over whatever else is open), names waiting requests on the lock screen, and lists the
//! standing approvals in Vault settings.
//!
//! The server follows the screen, checked at the start and at the end of every frame: a server
//! for the vault file while a vault file is shown (locked or not: a request that arrives while
//! locked waits, and the lock screen names it), given a handle of its own (with the keys) while
//! unlocked, and locked again — every approval gone, every pending question denied — as soon as
//! the window locks. A restore or a key rotation gives the server a fresh handle (and, since the
//! socket is the file's, a new socket).

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use egui::{Key, Modifiers, RichText, Ui};

use super::command::Command;
use super::session::{ApprovalView, ServingView};
use super::style::{self, weak};
use super::widgets::{dialog_buttons, dialog_title, section};
use crate::agent::approvals::Reach;
use crate::agent::caller::CallerKey;
use crate::agent::server::{Decision, Pending, Server};
use crate::agent::{APPROVAL_TIMEOUT, FileRef, LOCKED_WAIT};
use crate::vault::{Clock, HandleId, Timestamp, Vault};

/// For how long the approval buttons ignore clicks after the dialog appears or the window
/// regains focus: a click meant for something else never approves.
pub const CLICK_GUARD_MS: i64 = 1000;

/// Where the app serves the command line from.
#[derive(Debug, Clone)]
pub enum ServeAt {
    /// Not at all (the UI tests, unless they ask for it).
    Off,
    /// From this folder of sockets (`$XDG_RUNTIME_DIR/tresor`).
    Folder(PathBuf),
    /// The app would serve, but cannot: why, for Vault settings.
    Unavailable(String),
}

impl ServeAt {
    /// What the app does: `$XDG_RUNTIME_DIR/tresor`, or why not.
    pub fn from_environment() -> Self {
        match crate::agent::runtime_folder() {
            Ok(folder) => ServeAt::Folder(folder),
            Err(why) => ServeAt::Unavailable(why),
        }
    }
}

/// What the window is showing, as far as serving goes.
pub(super) enum Shown<'a> {
    /// No vault file (first start, or "Create a new vault").
    NoFile,
    Locked,
    /// Unlocked; `None` while a worker thread has the vault (the server keeps its own handle).
    Unlocked(Option<&'a Vault>),
}

/// The approval dialog on screen: until when its buttons ignore clicks.
struct Asking {
    guard_until: Timestamp,
    /// Deny takes the focus on the dialog's first frame.
    focused: bool,
}

/// The server and what it handed to the window.
pub(super) struct Serving {
    at: ServeAt,
    clock: Arc<dyn Clock>,
    server: Option<Server>,
    /// The vault path and file the server (or the failed attempt to start one) is for.
    tried: Option<(PathBuf, Option<(u64, u64)>)>,
    /// Why the app does not serve this vault, for Vault settings.
    why_not: Option<String>,
    /// The handle the server was given (`None`: it is locked).
    given: Option<HandleId>,
    /// Requests waiting for an unlock.
    waiting: Vec<Pending>,
    /// Requests waiting for the user's answer, the first one on screen.
    asking: VecDeque<Pending>,
    shown: Option<Asking>,
}

impl Serving {
    pub fn new(at: ServeAt, clock: Arc<dyn Clock>) -> Self {
        Serving {
            at,
            clock,
            server: None,
            tried: None,
            why_not: None,
            given: None,
            waiting: Vec::new(),
            asking: VecDeque::new(),
            shown: None,
        }
    }

    /// Brings the server in line with what the window shows, and takes what arrived.
    pub fn follow(&mut self, ctx: &egui::Context, vault_path: &Path, shown: Shown<'_>) {
        let ServeAt::Folder(folder) = self.at.clone() else {
            if let ServeAt::Unavailable(why) = &self.at {
                self.why_not = Some(format!("the app does not serve the command line: {why}"));
            }
            return;
        };
        if matches!(shown, Shown::NoFile) {
            self.stop();
            return;
        }
        let identity = crate::agent::file_identity(vault_path).ok();
        let wanted = (vault_path.to_owned(), identity);
        if self.tried.as_ref() != Some(&wanted) {
            self.stop();
            self.tried = Some(wanted);
            let wake_ctx = ctx.clone();
            let wake = Box::new(move || {
                wake_ctx
                    .send_viewport_cmd(egui::ViewportCommand::RequestUserAttention(egui::UserAttentionType::Critical));
                wake_ctx.request_repaint();
            });
            match Server::start_in(&folder, vault_path, self.clock.clone(), wake) {
                Ok(server) => {
                    self.server = Some(server);
                    self.why_not = None;
                }
                Err(why) => self.why_not = Some(format!("the app does not serve the command line: {why}")),
            }
        }
        let Some(server) = &self.server else { return };
        match shown {
            Shown::Unlocked(Some(vault)) => {
                let id = vault.handle_id();
                if self.given.as_ref() != Some(&id) {
                    self.given = Some(id);
                    match vault.second_handle() {
                        Ok(handle) => {
                            server.unlock(handle);
                            self.why_not = None;
                        }
                        Err(e) => {
                            server.lock();
                            self.why_not = Some(format!("the app cannot serve this vault: {e}"));
                        }
                    }
                }
            }
            Shown::Unlocked(None) => {}
            Shown::Locked | Shown::NoFile => {
                if self.given.take().is_some() {
                    server.lock();
                }
                // Denied: dropped unanswered.
                self.asking.clear();
                self.shown = None;
            }
        }
        for pending in server.pending() {
            if pending.for_unlock {
                self.waiting.push(pending);
            } else {
                self.asking.push_back(pending);
            }
        }
        let now = self.clock.now();
        if self.given.is_some() {
            // Unlocked: the server answers them now.
            self.waiting.clear();
        }
        let waited = LOCKED_WAIT.as_millis() as i64;
        self.waiting.retain(|p| now.0 - p.arrived.0 < waited && alive(p.caller.pid));
        // Unanswered for a minute, or the caller gone (interrupted): denied.
        let timeout = APPROVAL_TIMEOUT.as_millis() as i64;
        let before = self.asking.len();
        self.asking.retain(|p| now.0 - p.arrived.0 < timeout && alive(p.caller.pid));
        if self.asking.len() != before {
            self.shown = None;
        }
    }

    /// Stops serving (the server's socket goes, every approval ends).
    pub fn stop(&mut self) {
        self.server = None;
        self.tried = None;
        self.given = None;
        self.waiting.clear();
        self.asking.clear();
        self.shown = None;
    }

    /// The lock screen's words about requests waiting for an unlock.
    pub fn waiting_text(&self) -> Option<String> {
        let first = self.waiting.first()?;
        let who = describe_caller(first);
        Some(match self.waiting.len() {
            1 => format!("{who} is waiting: unlock to answer it here."),
            n => format!("{who} and {} more are waiting: unlock to answer them here.", n - 1),
        })
    }

    /// What Vault settings shows.
    pub fn view(&self) -> ServingView {
        let approvals = match &self.server {
            Some(server) => server
                .approvals()
                .into_iter()
                .map(|(key, grant)| ApprovalView {
                    key,
                    ends: grant.ends(),
                    reach: grant.reach.iter().map(Reach::describe).collect(),
                    who: grant.who,
                })
                .collect(),
            None => Vec::new(),
        };
        ServingView {
            serving: self.server.is_some() && self.why_not.is_none(),
            why_not: self.why_not.clone(),
            approvals,
        }
    }

    pub fn revoke(&self, key: CallerKey) {
        if let Some(server) = &self.server {
            server.revoke(key);
        }
    }

    /// The file served, if any (for tests).
    pub fn served_file(&self) -> Option<FileRef> {
        self.server.as_ref().map(Server::file)
    }

    /// Whether an approval dialog is up.
    pub fn is_asking(&self) -> bool {
        !self.asking.is_empty()
    }

    /// The approval dialog for the first request waiting for an answer, over everything else.
    pub fn dialog(&mut self, ctx: &egui::Context) {
        let now = self.clock.now();
        let regained = ctx.input(|i| i.events.iter().any(|e| matches!(e, egui::Event::WindowFocused(true))));
        let Some(pending) = self.asking.front() else {
            self.shown = None;
            return;
        };
        let shown = self.shown.get_or_insert(Asking { guard_until: Timestamp(now.0 + CLICK_GUARD_MS), focused: false });
        if regained {
            shown.guard_until = Timestamp(now.0 + CLICK_GUARD_MS);
        }
        let armed = now >= shown.guard_until;
        let left = (APPROVAL_TIMEOUT.as_millis() as i64 - (now.0 - pending.arrived.0)).max(0);
        let id = egui::Id::unique(("tresor approval", pending.arrived.0, pending.caller.pid));
        let title = "Allow access to your secrets?";
        let area = egui::Modal::default_area(id).accessible_name(title);
        let mut decision = None;
        // Enter never approves: taken before the buttons see it (it denies when Deny has the
        // focus, as a keyboard user expects).
        let enter = ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Enter));
        let deny_id = egui::Id::unique("tresor approval deny");
        let focus_deny = !shown.focused;
        shown.focused = true;
        let frame = style::dialog_frame_of(&ctx.global_style());
        egui::Modal::new(id).area(area).frame(frame).show(ctx, |ui| {
            ui.set_width(520.0);
            dialog_title(ui, title);
            ui.label("A program asks this app for secrets of the unlocked vault:");
            for reach in &pending.reach {
                ui.label(RichText::new(format!("• {}", reach.describe())).strong());
            }
            ui.add_space(6.0);
            egui::Grid::new("approval facts").num_columns(2).spacing([12.0, 4.0]).show(ui, |ui| {
                ui.label(weak("Program"));
                ui.label(RichText::new(format!("tresor ← {}", pending.caller.chain_text())).monospace());
                ui.end_row();
                ui.label(weak("Folder"));
                let folder = pending.caller.folder.as_deref().map_or("(unknown)".into(), |f| f.display().to_string());
                ui.label(RichText::new(folder).monospace());
                ui.end_row();
                ui.label(weak("Terminal"));
                ui.label(match &pending.caller.terminal {
                    Some(t) => RichText::new(t).monospace(),
                    None => RichText::new("none (a tool or an editor, not a terminal window)"),
                });
                ui.end_row();
            });
            ui.add_space(6.0);
            let standing = match pending.caller.key {
                CallerKey::Terminal(_) => "Allow in this terminal",
                CallerKey::Tool(_) => "Allow for this tool",
            };
            ui.label(weak(format!(
                "\"{standing}\" lets it read what is listed above again without asking, until 10 minutes pass \
                 without a request (12 hours at most) or the app locks."
            )));
            ui.label(weak(format!("No answer denies it in {} s.", (left + 999) / 1000)));
            dialog_buttons(ui, |ui| {
                let deny = ui
                    .scope_builder(egui::UiBuilder::new().scope_id(deny_id), |ui| style::primary(ui, true, "Deny"))
                    .inner;
                if focus_deny {
                    deny.request_focus();
                }
                if deny.clicked() || (enter && deny.has_focus()) {
                    decision = Some(Decision::Deny);
                }
                if style::secondary_enabled(ui, armed, "Allow once").clicked() && armed {
                    decision = Some(Decision::Once);
                }
                if style::secondary_enabled(ui, armed, standing).clicked() && armed {
                    decision = Some(Decision::Standing);
                }
            });
        });
        if ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Escape)) {
            decision = Some(Decision::Deny);
        }
        match decision {
            Some(decision) => {
                if let Some(pending) = self.asking.pop_front() {
                    pending.answer(decision);
                }
                self.shown = None;
                if self.asking.is_empty() {
                    ctx.send_viewport_cmd(egui::ViewportCommand::RequestUserAttention(egui::UserAttentionType::Reset));
                }
            }
            None => {
                // The guard's end, and the countdown.
                let next = if armed { 1000 - (left % 1000) } else { shown_guard_left(self.shown.as_ref(), now) };
                ctx.request_repaint_after(std::time::Duration::from_millis(next.clamp(10, 1000) as u64));
            }
        }
    }
}

fn shown_guard_left(shown: Option<&Asking>, now: Timestamp) -> i64 {
    shown.map_or(0, |s| s.guard_until.0 - now.0)
}

/// Whether the process `pid` still runs (a caller interrupted with Ctrl+C is gone: its question
/// is dropped, denied).
fn alive(pid: u32) -> bool {
    #[cfg(target_os = "linux")]
    {
        Path::new(&format!("/proc/{pid}")).exists()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        true
    }
}

fn describe_caller(pending: &Pending) -> String {
    let program = pending.caller.chain.first().map_or("A program", String::as_str);
    match &pending.caller.terminal {
        Some(terminal) => format!("A request from {program} in {terminal}"),
        None => format!("A request from {program}"),
    }
}

/// The "Command line" section of Vault settings.
pub(crate) fn settings_section(ui: &mut Ui, view: &ServingView, now: Timestamp, commands: &mut Vec<Command>) {
    section(ui, "Command line", |ui| {
        if let Some(why) = &view.why_not {
            style::warning_text(ui, why);
            ui.label(weak("Commands such as tresor get unlock the vault themselves, with the passphrase."));
            return;
        }
        if !view.serving {
            ui.label(weak("The app does not serve the command line."));
            return;
        }
        ui.label(weak(
            "While the app is unlocked, tresor get, list, run and diff in your terminals ask it instead of \
             asking for the passphrase; you approve each terminal or tool here. Writes still ask for the \
             passphrase. Approvals end when the app locks.",
        ));
        if view.approvals.is_empty() {
            ui.label("No terminal or tool is approved.");
            return;
        }
        for approval in &view.approvals {
            ui.add_space(4.0);
            ui.horizontal(|ui| {
                ui.vertical(|ui| {
                    ui.label(RichText::new(&approval.who).strong());
                    ui.label(weak(approval.reach.join("; ")));
                    let minutes = ((approval.ends.0 - now.0).max(0) + 59_999) / 60_000;
                    ui.label(weak(format!("Ends in {minutes} min without a request, or at the next lock.")));
                });
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    let revoke = style::secondary(ui, "Revoke")
                        .on_hover_text("End this approval now")
                        .accessible_name(format!("Revoke the approval of {}", approval.who));
                    if revoke.clicked() {
                        commands.push(Command::RevokeApproval(approval.key));
                    }
                });
            });
        }
    });
}

//! The desktop app: Setup → Locked → Unlocked, over the same [`Vault`](crate::vault::Vault) as
//! the command line.
//!
//! # Where a click goes
//! **view → [`Command`](command::Command) → apply.rs.** A view — a page (`secrets.rs`,
//! `trash.rs`, `settings.rs` with `transfer.rs` and `backups.rs`, `lock.rs`) or a dialog
//! (`dialogs/`) — reads the state (`session.rs`) and pushes a command (`command.rs`). After the
//! frame is drawn, `App::apply` in `apply.rs` carries each one out: it is the only UI code that
//! writes to the vault, decrypts a value or touches the clipboard. Slow work (Argon2id, import,
//! export, backups) runs on a worker thread started there; its result comes back in `jobs.rs`.
//!
//! # One frame ([`App::show`])
//! Receive finished jobs → run the timers (clipboard clear, toasts, hiding a revealed value,
//! auto-lock) → read the keyboard shortcuts → draw (`shell.rs` composes the window) → apply the
//! commands → schedule the next wake-up.
//!
//! # The files
//! `command.rs` the enum and the shortcuts · `apply.rs` the effects (`apply/` by family) ·
//! `jobs.rs` worker threads · `session.rs` the state (forms in `session/forms.rs`, the list in
//! `session/list.rs`) · `widgets.rs` shared widgets · `style.rs` the look · `shell.rs` the
//! unlocked frame and toasts · one file per page, `dialogs/` one file per dialog family ·
//! `prefs.rs` preferences · `text.rs` a zeroizing text buffer · `vocabulary.rs` the words for
//! places (shared, own, override). Pages import only widgets, style, command, session and
//! vocabulary, never each other.

mod a11y;
mod apply;
mod backups;
mod command;
mod dialogs;
mod jobs;
mod lock;
mod paste;
mod places;
mod portal;
mod prefs;
mod secrets;
mod serve;
mod session;
mod settings;
mod shell;
mod strength;
mod style;
mod sync;
mod text;
mod transfer;
mod trash;
mod vocabulary;
mod watch;
mod widgets;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::clipboard::{Clipboard, ClipboardGuard, SystemClipboard};
use crate::vault::{Clock, KdfParams, SystemClock, Timestamp};

pub use command::{SHORTCUT_CREATE, SHORTCUT_LOCK, SHORTCUT_QUIT, SHORTCUT_SEARCH};
pub use prefs::Prefs;
pub use serve::{CLICK_GUARD_MS, ServeAt};
pub use session::REVEAL_SECONDS;
pub use text::SecretText;

use jobs::Jobs;
use session::{Dialog, Screen, SetupForm, Toast, UnlockForm};
use widgets::SecretField;

/// How the app is set up. [`AppOptions::new`] gives the real thing; tests swap in a fake clock,
/// a fake clipboard, inline jobs and cheap key derivation.
pub struct AppOptions {
    pub vault_path: PathBuf,
    /// Where preferences are saved; `None` keeps them in memory only.
    pub prefs_path: Option<PathBuf>,
    pub clock: Arc<dyn Clock>,
    pub clipboard: Box<dyn Clipboard>,
    /// Run slow jobs on a worker thread (the app) or inline (tests, so a spinner never spins).
    pub background_jobs: bool,
    /// Key-derivation parameters for new vaults and "strengthen"; `None` calibrates them on this
    /// machine to about one second. Only tests set this.
    pub kdf_override: Option<KdfParams>,
    /// Whether and where the app serves the command line ("unlock once"). Tests leave it off,
    /// or give a folder of their own.
    pub serve: ServeAt,
}

impl AppOptions {
    pub fn new(vault_path: PathBuf) -> Self {
        AppOptions {
            vault_path,
            prefs_path: Prefs::default_path(),
            clock: Arc::new(SystemClock),
            clipboard: Box::new(SystemClipboard::new()),
            background_jobs: true,
            kdf_override: None,
            serve: ServeAt::from_environment(),
        }
    }
}

/// The Tresor window.
pub struct App {
    vault_path: PathBuf,
    prefs_path: Option<PathBuf>,
    prefs: Prefs,
    clock: Arc<dyn Clock>,
    clipboard: ClipboardGuard,
    kdf_override: Option<KdfParams>,
    jobs: Jobs,
    screen: Screen,
    toasts: Vec<Toast>,
    last_activity: Timestamp,
    styled: bool,
    /// The theme last handed to egui (set again only when the preference changes).
    theme_applied: Option<prefs::Theme>,
    /// Whether a dialog was open at the end of the last frame, and the control that opened it.
    dialog_was_open: bool,
    dialog_opener: Option<egui::Id>,
    /// The open dialog's serial at the end of the last frame (a new one means a new dialog).
    dialog_serial_seen: Option<u64>,
    /// A focus to give back at the start of the next frames (the id, and how many more tries).
    refocus: Option<(egui::Id, u8)>,
    /// A dialog just opened: a countdown (3 moves the focus two frames later, once egui knows
    /// the modal's layer, so that it cannot land behind it), unless the dialog took the focus.
    focus_into_dialog: u8,
    /// The move into the dialog is still to do when the count above runs out.
    focus_due: bool,
    /// While unlocked: the watch that wakes the window when another process changes the vault
    /// (with the path it watches).
    watch: Option<(PathBuf, watch::Watch)>,
    /// The command line's way in (see `serve.rs`).
    serving: serve::Serving,
}

impl App {
    pub fn new(options: AppOptions) -> Self {
        let prefs = options.prefs_path.as_deref().map(Prefs::load).unwrap_or_default();
        let screen = if options.vault_path.exists() {
            Screen::Locked(UnlockForm::new())
        } else {
            Screen::Setup(SetupForm::new(&options.vault_path, false))
        };
        App {
            serving: serve::Serving::new(options.serve, options.clock.clone()),
            last_activity: options.clock.now(),
            vault_path: options.vault_path,
            prefs_path: options.prefs_path,
            prefs,
            clock: options.clock,
            clipboard: ClipboardGuard::new(options.clipboard),
            kdf_override: options.kdf_override,
            jobs: Jobs::new(options.background_jobs),
            screen,
            toasts: Vec::new(),
            styled: false,
            theme_applied: None,
            dialog_was_open: false,
            dialog_opener: None,
            refocus: None,
            focus_into_dialog: 0,
            focus_due: false,
            dialog_serial_seen: None,
            watch: None,
        }
    }

    /// Whether a vault is unlocked (for tests and the window title).
    pub fn is_unlocked(&self) -> bool {
        matches!(self.screen, Screen::Unlocked(_))
    }

    /// A dialog that opened remembers the control that opened it; one that closed (by a button,
    /// Esc, or a finished job) gives it the focus back, and drops the secret fields' state.
    fn track_dialog(&mut self, ctx: &egui::Context, focused_when_opened: Option<egui::Id>) {
        let open = self.has_dialog();
        // Which dialog: one dialog replaced by another (Create → Import, View → Edit) counts as
        // opened, for the focus; the opener stays the control that opened the first one.
        let serial = match &self.screen {
            Screen::Unlocked(s) if open => Some(s.dialog_serial),
            _ => None,
        };
        if open && !self.dialog_was_open {
            self.dialog_opener = focused_when_opened;
        }
        if open && self.dialog_was_open && serial != self.dialog_serial_seen {
            // Another dialog in place of the last (Create → Import plan): the secret fields'
            // state (egui's undo history, with plaintext) goes as if it had closed.
            SecretField::forget_all(ctx);
        }
        if open && (!self.dialog_was_open || serial != self.dialog_serial_seen) && self.focus_into_dialog == 0 {
            self.focus_into_dialog = 3;
            self.focus_due = true;
        }
        self.dialog_serial_seen = serial;
        if !open && self.dialog_was_open {
            SecretField::forget_all(ctx);
            // Given back from the next frame on, until it holds: egui takes the focus away from
            // a widget under a modal, and the closed modal still counts for a frame.
            self.refocus = self.dialog_opener.take().filter(|_| self.is_unlocked()).map(|id| (id, 3));
        }
        self.dialog_was_open = open;
    }

    /// Whether a revealed value is shown (as selectable text, which egui could copy).
    fn secret_on_screen(&self) -> bool {
        matches!(&self.screen, Screen::Unlocked(s) if matches!(&s.dialog, Some(Dialog::View(v)) if v.value.is_some()))
    }

    /// Whether the Create or Edit dialog is open (a file dropped then is its value's).
    fn secret_form_open(&self) -> bool {
        matches!(&self.screen, Screen::Unlocked(s) if matches!(s.dialog, Some(Dialog::Create(_) | Dialog::Edit(_))))
    }

    fn has_dialog(&self) -> bool {
        matches!(&self.screen, Screen::Unlocked(s) if s.dialog.is_some())
    }

    /// Draws one frame and carries out what it asked for. This is all of the app: the eframe
    /// wrapper and the UI tests both call it.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        let focused_at_start = ctx.memory(|m| m.focused());
        if !self.styled {
            style::apply(&ctx);
            self.styled = true;
        }
        if self.theme_applied != Some(self.prefs.theme) {
            style::set_theme(&ctx, self.prefs.theme);
            self.theme_applied = Some(self.prefs.theme);
        }
        if let Some((id, _)) = self.refocus {
            ctx.memory_mut(|m| m.request_focus(id));
        }
        self.focus_into_dialog = self.focus_into_dialog.saturating_sub(1);
        if self.focus_into_dialog == 1 {
            self.focus_into_dialog = 0;
        }
        if self.focus_into_dialog == 0 && std::mem::take(&mut self.focus_due) && self.has_dialog() {
            // Still on the control behind the modal (the dialog did not focus a field of its
            // own): to the dialog's first control.
            let focused = ctx.memory(|m| m.focused());
            if focused.is_none() || focused == self.dialog_opener {
                ctx.memory_mut(|m| {
                    if let Some(id) = focused {
                        m.surrender_focus(id);
                    }
                    m.move_focus(egui::FocusDirection::Next);
                });
            }
        }
        self.receive_jobs(&ctx);
        let changed_elsewhere = self.follow_other_processes(&ctx);
        self.follow_serving(&ctx);
        let now = self.clock.now();
        let changed_here =
            self.screen.session_mut().and_then(|s| s.vault.as_mut()).is_some_and(|v| !v.take_changes().is_empty());
        self.follow_sync(&ctx, now, changed_elsewhere || changed_here);
        if ctx.input(|i| !i.events.is_empty()) {
            self.last_activity = now;
        }
        self.run_timers(&ctx, now);
        let mut pasted_import = None;
        match paste::adjust_pastes(&ctx) {
            Some(paste::PasteNote::Assignments(count, text)) => {
                let creating =
                    matches!(&self.screen, Screen::Unlocked(s) if matches!(s.dialog, Some(Dialog::Create(_))));
                let into_value = ctx.memory(|m| m.focused()) == Some(SecretField::Value.id());
                if creating {
                    pasted_import = Some(command::Command::OfferPastedImport(count, command::GuardedText(text)));
                } else if !into_value {
                    let note = paste::PasteNote::NotOneLine(text.lines().count());
                    self.toast(note.text(), true);
                }
            }
            Some(note) => self.toast(note.text(), note.is_error()),
            None => {}
        }
        let undo_showing = self.toasts.iter().any(|t| t.undo.is_some());
        let mut commands = command::read_shortcuts(&ctx, self.is_unlocked(), self.has_dialog(), undo_showing);
        commands.extend(pasted_import);
        // A file dropped on the unlocked window (X11 delivers drops; Wayland does not yet): its
        // import plan, nothing written before the user confirms. Over an open Create or Edit
        // dialog (which covers the window) it is the value's file instead.
        let dropped: Vec<PathBuf> = ctx.input(|i| i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).collect());
        if let Some(path) = dropped.into_iter().next() {
            if self.secret_form_open() {
                commands.push(command::Command::LoadValueFile(path));
            } else if self.is_unlocked() && !self.has_dialog() {
                commands.push(command::Command::ImportDropped(path));
            }
        }
        // Ctrl+F before drawing: the search field then takes the keys of this same frame.
        if let Some(at) = commands.iter().position(|c| matches!(c, command::Command::FocusSearch)) {
            let focus = commands.remove(at);
            self.apply(&ctx, focus);
        }

        let busy = self.jobs.running();
        match &mut self.screen {
            Screen::Setup(form) => lock::setup(ui, form, busy, &mut commands),
            Screen::Locked(form) => {
                let waiting = self.serving.waiting_text();
                lock::locked(ui, form, &self.vault_path, waiting.as_deref(), busy, &mut commands)
            }
            Screen::Unlocked(session) => {
                if session.page == session::Page::Settings {
                    session.serving = self.serving.view();
                }
                shell::unlocked(ui, session, &self.prefs, &self.vault_path, now, busy, &mut commands)
            }
        }
        if self.is_unlocked() {
            self.serving.dialog(&ctx);
        }
        shell::toasts(ui, &self.toasts, self.clipboard.pending(), now, &mut commands);
        commands.extend(paste::guard_copies(&ctx, self.secret_on_screen()));

        // The control that opens a dialog has the focus now (clicked, or Enter on it).
        let focused = ctx.memory(|m| m.focused());
        self.refocus = match self.refocus {
            Some((id, tries)) if focused != Some(id) && tries > 1 => Some((id, tries - 1)),
            _ => None,
        };
        for command in commands {
            self.apply(&ctx, command);
        }
        self.track_dialog(&ctx, focused);
        // A lock this frame locks the server before the frame ends.
        self.follow_serving(&ctx);
        // A focus still to move (into a dialog, or back to its opener) needs the next frames
        // to come even without input; so does a focus given during this frame (a field drawn
        // before it got the focus shows its text cursor in the next one: the cursor does not
        // blink, so nothing else would draw it).
        let field_focused_now = ctx.memory(|m| m.focused()) != focused_at_start && ctx.text_edit_focused();
        if self.focus_into_dialog > 0 || self.refocus.is_some() || field_focused_now {
            ctx.request_repaint();
        }
        self.schedule_repaint(&ctx, now);
    }

    /// What another process wrote (the command line, a second window) shows without any input:
    /// the watch wakes the window when the vault's files change, and every frame asks the vault
    /// whether another connection committed (one pragma, no page read) before reading again.
    /// Returns whether another process changed the vault.
    fn follow_other_processes(&mut self, ctx: &egui::Context) -> bool {
        if !self.is_unlocked() {
            self.watch = None;
            return false;
        }
        // The app's own worker threads run in tests too; the watch only in the app.
        if self.jobs.in_background() && self.watch.as_ref().is_none_or(|(path, _)| *path != self.vault_path) {
            self.watch = watch::Watch::start(ctx, &self.vault_path).map(|w| (self.vault_path.clone(), w));
        }
        if let Some((_, watch)) = &self.watch {
            // It only wakes the frame; whether anything changed is the vault's to say.
            watch.take_changed();
        }
        let Screen::Unlocked(session) = &mut self.screen else { return false };
        let Some(vault) = &session.vault else { return false };
        if !vault.changed_elsewhere() {
            return false;
        }
        session.reload_list();
        match session.page {
            session::Page::Trash => apply::reload_trash(session),
            session::Page::Settings => {
                jobs::reload_backups(session, &self.vault_path);
                apply::reload_sync(session);
            }
            session::Page::Secrets => {}
        }
        true
    }

    /// The server follows the screen (see `serve.rs`).
    fn follow_serving(&mut self, ctx: &egui::Context) {
        let shown = match &self.screen {
            Screen::Setup(_) => serve::Shown::NoFile,
            Screen::Locked(_) => serve::Shown::Locked,
            Screen::Unlocked(session) => serve::Shown::Unlocked(session.vault.as_ref()),
        };
        self.serving.follow(ctx, &self.vault_path, shown);
    }

    /// Whether an approval dialog is up (for tests).
    pub fn is_asking(&self) -> bool {
        self.serving.is_asking()
    }

    /// The socket file the app serves, if it serves (for tests).
    pub fn serves(&self) -> bool {
        self.serving.served_file().is_some()
    }

    /// On quit: clear the clipboard if it still holds our copy, and stop serving (every approval
    /// ends, the socket goes).
    pub fn on_exit(&mut self) {
        self.clear_our_copy();
        self.serving.stop();
    }

    fn toast(&mut self, text: String, is_error: bool) {
        self.toasts.retain(|t| t.undo.is_some());
        self.toasts.push(Toast::message(text, is_error, self.clock.now()));
    }

    fn run_timers(&mut self, ctx: &egui::Context, now: Timestamp) {
        self.clear_clipboard_if_due(now);
        self.toasts.retain(|t| t.until > now);
        if let Screen::Unlocked(session) = &mut self.screen {
            if let Some(Dialog::View(view)) = &mut session.dialog {
                view.hide_if_due(now);
            }
            if let Some(minutes) = self.prefs.auto_lock_minutes
                && session.vault.is_some()
                && now.0 - self.last_activity.0 >= i64::from(minutes) * 60_000
            {
                self.lock(ctx);
                if let Screen::Locked(form) = &mut self.screen {
                    form.notice = Some(format!("Locked after {} without input.", prefs::minutes_label(Some(minutes))));
                }
            }
        }
    }

    /// Wakes the idle window only for what is counting down: the clipboard clear, toasts, the
    /// revealed value, the auto-lock.
    fn schedule_repaint(&self, ctx: &egui::Context, now: Timestamp) {
        let mut next: Option<i64> = None;
        let mut at = |t: i64| next = Some(next.map_or(t, |n| n.min(t)));
        if let Some((_, Some(clear_at))) = self.clipboard.pending() {
            at(now.0 + 1000.min(clear_at.0 - now.0));
        }
        if let Some(t) = self.toasts.iter().map(|t| t.until.0).min() {
            at(t.min(now.0 + 1000));
        }
        if let Screen::Unlocked(session) = &self.screen {
            if let Some(Dialog::View(view)) = &session.dialog
                && view.value.is_some()
            {
                at(now.0 + 1000);
            }
            if let Some(minutes) = self.prefs.auto_lock_minutes {
                at(self.last_activity.0 + i64::from(minutes) * 60_000);
            }
        }
        if let Some(t) = next {
            ctx.request_repaint_after(Duration::from_millis((t - now.0).max(10) as u64));
        }
    }
}

impl eframe::App for App {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        App::on_exit(self);
    }
}

/// Why there is no display to open the window on, in words (Linux and the BSDs: neither X11 nor
/// Wayland is named in the environment), with the way to the command line.
fn no_display() -> Option<String> {
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        if !set("DISPLAY") && !set("WAYLAND_DISPLAY") && !set("WAYLAND_SOCKET") {
            return Some(
                "there is no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set); the \
                 command line works without one: `tresor --help`"
                    .to_owned(),
            );
        }
    }
    None
}

/// Opens the window. Returns when it is closed.
pub fn run(vault_path: PathBuf) -> Result<(), String> {
    if let Some(why) = no_display() {
        return Err(why);
    }
    // Before eframe starts its threads (see `style::read_local_offset`).
    style::read_local_offset();
    let icon = eframe::icon_data::from_png_bytes(include_bytes!("../../assets/icon.png")).ok();
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("Tresor")
        .with_app_id("tresor")
        .with_inner_size([1040.0, 680.0])
        .with_min_inner_size([760.0, 500.0]);
    if let Some(icon) = icon {
        viewport = viewport.with_icon(Arc::new(icon));
    }
    let options = eframe::NativeOptions { viewport, ..Default::default() };
    eframe::run_native(
        "Tresor",
        options,
        Box::new(move |cc| {
            portal::follow_color_scheme(cc.egui_ctx.clone());
            Ok(Box::new(App::new(AppOptions::new(vault_path))))
        }),
    )
    .map_err(|e| format!("could not open the window: {e}"))
}

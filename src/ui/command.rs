//! Everything a view can ask for: the [`Command`] enum, and the keyboard shortcuts next to the
//! commands they trigger. Views push commands; `apply.rs` carries them out after the frame is drawn.

use std::path::PathBuf;

use egui::{Key, KeyboardShortcut, Modifiers};

use super::prefs::Prefs;
use super::session::UndoAction;
use crate::interchange::Format;
use crate::vault::{BackupInfo, ConflictPolicy, Place, PlaceId, SecretId};

/// Ctrl+N (⌘N on macOS): [`Command::OpenCreate`], when no dialog is open.
pub const SHORTCUT_CREATE: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::N);
/// Ctrl+F: [`Command::FocusSearch`], when no dialog is open.
pub const SHORTCUT_SEARCH: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::F);
/// Ctrl+Shift+F: [`Command::OpenSearchAll`], when no dialog is open.
pub const SHORTCUT_SEARCH_ALL: KeyboardShortcut =
    KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::F);
/// Ctrl+PageDown / Ctrl+PageUp: [`Command::SwitchTab`], the project's next or previous tab.
pub const SHORTCUT_NEXT_TAB: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::PageDown);
pub const SHORTCUT_PREVIOUS_TAB: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::PageUp);
/// Ctrl+L: [`Command::Lock`].
pub const SHORTCUT_LOCK: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::L);
/// Ctrl+Z: [`Command::UndoLast`], outside text fields (where it undoes typing) — and in the
/// secrets search while an Undo toast shows (the search has the keyboard after unlocking).
pub const SHORTCUT_UNDO: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Z);
/// Ctrl+Q: [`Command::Quit`], on every screen.
pub const SHORTCUT_QUIT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Q);

/// Text egui copied out of a field that shows a secret, on its way to the clipboard guard.
/// Wiped when dropped; its `Debug` shows no text.
pub(crate) struct GuardedText(pub zeroize::Zeroizing<String>);

impl std::fmt::Debug for GuardedText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GuardedText({} bytes)", self.0.len())
    }
}

/// Everything a view can ask for. Views push these; `apply.rs` carries them out.
#[derive(Debug)]
pub(crate) enum Command {
    // The lock screens and the app as a whole.
    CreateVault,
    Unlock,
    /// Switch the Locked screen to another vault file.
    OpenOtherVault(PathBuf),
    /// Go to the Setup screen to create a new vault file at a path of the user's choice (`Some`:
    /// the path typed in "Open another vault…", where no vault was found).
    StartNewVault(Option<PathBuf>),
    /// Back from Setup to the Locked screen of the current vault.
    CancelNewVault,
    /// On the lock screen of a damaged vault: restore its newest backup with the typed passphrase.
    RestoreLatestBackup,
    /// Unlock a vault file refused as an older copy of itself: the user put it back.
    AcceptRollback,
    /// On the lock screen of a vault that failed its integrity check: open it read-only, to see
    /// and copy out what is intact.
    OpenReadOnly,
    /// The unlock was announced as unusually slow (its stored KDF parameters): start it anyway.
    UnlockAnyway,
    /// ... or not.
    CancelSlowUnlock,
    Lock,
    /// End a terminal's (or tool's) standing approval (Vault settings, Command line).
    RevokeApproval(crate::agent::caller::CallerKey),
    Quit,
    SetPrefs(Prefs),
    ToggleSidebar,
    /// The Secrets page's note: "Got it".
    DismissNote,

    // Moving around the unlocked window.
    ShowPage(Page),
    FocusSearch,
    CloseDialog,
    SortBy(SortKey),
    Select(SecretId, bool),
    /// Ctrl+A in the table: tick every secret the list shows.
    SelectAll(Vec<SecretId>),
    ClearSelection,
    /// The table's highlighted row moved (arrow keys, a click).
    SetCursor(SecretId),

    // Secrets: create, edit, view, copy.
    OpenCreate,
    /// The Name field of the create or edit form changed: ask the vault whether the name is taken.
    CheckName,
    SubmitCreate,
    OpenEdit(SecretId),
    SubmitEdit,
    OpenView(SecretId),
    RevealAgain,
    HideValue,
    /// egui copied text out of a field or view that shows a secret (Ctrl+C, Cut): onto the
    /// clipboard through the same guard as [`Command::Copy`].
    CopySelection(GuardedText),
    Copy {
        id: SecretId,
        as_assignment: bool,
    },
    RestoreVersion(SecretId, u32),
    /// An earlier version's value onto the clipboard (same guard as [`Command::Copy`]).
    CopyVersion(SecretId, u32),

    // Deleting, the undo toast and the Trash.
    AskDelete(Vec<SecretId>),
    ConfirmDelete,
    Undo(UndoAction),
    /// Ctrl+Z: undo the delete whose toast is showing.
    UndoLast,
    RestoreFromTrash(SecretId),
    SubmitRestoreAs,
    /// `None`: empty the whole trash.
    AskPurge(Option<SecretId>),
    ConfirmPurge,

    // The vault's keys.
    ChangePassphrase,
    AskStrengthen,
    SubmitStrengthen,
    AskRotateKey,
    SubmitRotateKey,

    // Import and export.
    /// Open the system's file dialog for the import or export path.
    Pick(Pick),
    /// "Import a file…" on the empty Secrets page: Vault settings, scrolled to Import, and the
    /// file dialog.
    ShowImport,
    /// Read, parse and plan an import of this file.
    PlanImport(PathBuf),
    /// A file dropped on the window: its import plan (the format from its name).
    ImportDropped(PathBuf),
    /// A block of `NAME=value` lines was pasted into the secret form: offer importing it.
    OfferPastedImport(usize, GuardedText),
    /// The create form's "Import N secrets from the pasted text": its import plan.
    ImportPasted,
    SetImportPolicy(ConflictPolicy),
    ConfirmImport,
    /// The import review of a TOML file with sections: plan each section into an environment.
    PlanSections(PathBuf),
    /// Send section `usize` (in file order) somewhere else (`None`: skip it).
    MapSection(usize, Option<Place>),
    SetSectionsPolicy(ConflictPolicy),
    ConfirmSections,
    AskExport(PathBuf, Format),
    ConfirmExport,

    // Projects and environments.
    /// Show this place's secrets (a project level or an environment).
    GoTo(Place),
    /// The Compare tab of the current project.
    ShowCompare,
    /// The project's next (+1) or previous (-1) tab: Shared, each environment, Compare.
    SwitchTab(i8),
    AskNewProject,
    AskNewEnvironment(PlaceId),
    AskRenamePlace(PlaceId),
    SubmitPlaceName,
    AskDeletePlace(PlaceId),
    /// Move an environment one step left (-1) or right (+1) among its project's.
    MoveEnvironment(PlaceId, i8),
    ConfirmDeletePlace,
    RestorePlace(PlaceId),
    /// Copy (`false`) or move (`true`) a secret: open the picker.
    AskCopyMove(SecretId, bool),
    /// The picker's place was chosen: what copying or moving there does.
    PickCopyMoveTarget(Place),
    SubmitCopyMove,
    /// The Compare view's "Copy…": this secret into that place, under its name (asked first).
    AskCopyInto {
        id: SecretId,
        to: Place,
    },
    ConfirmCopyInto,
    /// From the question a shared row's Edit or Delete asks: edit (or delete) the shared
    /// secret itself.
    ChooseShared,
    /// From that question: create an override in the environment shown.
    ChooseOverride,
    OpenSearchAll,
    /// The vault-wide search's query changed.
    SearchAll,
    /// A vault-wide search result: show its place with the secret highlighted.
    GoToSecret(Place, SecretId),

    // Backups.
    SetBackupKeep(usize),
    BackupNow,
    AskRestoreBackup(BackupInfo),
    SubmitRestoreBackup,
}

/// The pages of the unlocked window, chosen in the sidebar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Page {
    Secrets,
    Trash,
    Settings,
}

/// What a file dialog is picking a path for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pick {
    Import,
    Export,
}

/// The Secrets table's sort column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SortKey {
    Name,
    Modified,
}

/// The commands of the shortcuts pressed this frame (consumed, so no widget sees them too).
/// `unlocked` and `dialog_open` say which shortcuts apply: Create and Search wait while a
/// dialog is open; only Quit works on the lock screens.
/// `undo_showing`: an Undo toast is on screen.
pub(crate) fn read_shortcuts(
    ctx: &egui::Context,
    unlocked: bool,
    dialog_open: bool,
    undo_showing: bool,
) -> Vec<Command> {
    let mut commands = Vec::new();
    let in_search = ctx.memory(|m| m.focused()) == Some(super::secrets::search_id());
    let typing = ctx.text_edit_focused() && !(in_search && undo_showing);
    ctx.input_mut(|i| {
        if unlocked && i.consume_shortcut(&SHORTCUT_LOCK) {
            commands.push(Command::Lock);
        }
        if i.consume_shortcut(&SHORTCUT_QUIT) {
            commands.push(Command::Quit);
        }
        if unlocked && !dialog_open && i.consume_shortcut(&SHORTCUT_CREATE) {
            commands.push(Command::OpenCreate);
        }
        // Before Ctrl+F, which would match Ctrl+Shift+F too (egui ignores extra Shift).
        if unlocked && !dialog_open && i.consume_shortcut(&SHORTCUT_SEARCH_ALL) {
            commands.push(Command::OpenSearchAll);
        }
        if unlocked && !dialog_open && i.consume_shortcut(&SHORTCUT_SEARCH) {
            commands.push(Command::FocusSearch);
        }
        if unlocked && !dialog_open && i.consume_shortcut(&SHORTCUT_NEXT_TAB) {
            commands.push(Command::SwitchTab(1));
        }
        if unlocked && !dialog_open && i.consume_shortcut(&SHORTCUT_PREVIOUS_TAB) {
            commands.push(Command::SwitchTab(-1));
        }
        if unlocked && !dialog_open && !typing && i.consume_shortcut(&SHORTCUT_UNDO) {
            commands.push(Command::UndoLast);
        }
    });
    commands
}

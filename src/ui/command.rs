//! Everything a view can ask for: the [`Command`] enum, and the keyboard shortcuts next to the
//! commands they trigger. Views push commands; `apply.rs` carries them out after the frame is drawn.

use std::path::PathBuf;

use egui::{Key, KeyboardShortcut, Modifiers};

use super::prefs::Prefs;
use super::session::{Page, Pick, SortKey, UndoAction};
use crate::interchange::Format;
use crate::vault::{BackupInfo, ConflictPolicy, Place, PlaceId, SecretId};

/// Where a shortcut applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every screen (the lock screens too).
    Everywhere,
    /// While a vault is unlocked, even with a dialog open.
    Unlocked,
    /// While unlocked and no dialog is open.
    NoDialog,
    /// Likewise, and not while typing in a text field (where the keys edit the text) — except in
    /// the secrets search while an Undo toast shows (the search has the keyboard after unlocking).
    NotTyping,
}

/// One keyboard shortcut: its keys, where it applies, what it does, and what it is called in the
/// app's list of shortcuts (Vault settings → Keyboard) and in docs/guide.md (a test compares them).
pub struct Shortcut {
    pub keys: KeyboardShortcut,
    pub scope: Scope,
    pub command: fn() -> Command,
    pub label: &'static str,
}

/// Ctrl+N (⌘N on macOS): [`Command::OpenCreate`].
pub const SHORTCUT_CREATE: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::N);
/// Ctrl+F: [`Command::FocusSearch`].
pub const SHORTCUT_SEARCH: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::F);
/// Ctrl+L: [`Command::Lock`].
pub const SHORTCUT_LOCK: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::L);
/// Ctrl+Q: [`Command::Quit`].
pub const SHORTCUT_QUIT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Q);

/// Every shortcut, in the order they are tried: one table drives what a key does and the lists
/// that name the keys.
pub static SHORTCUTS: [Shortcut; 8] = [
    Shortcut {
        keys: SHORTCUT_CREATE,
        scope: Scope::NoDialog,
        command: || Command::OpenCreate,
        label: "create a secret",
    },
    // Before Ctrl+F, which would match Ctrl+Shift+F too (egui ignores an extra Shift).
    Shortcut {
        keys: KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::F),
        scope: Scope::NoDialog,
        command: || Command::OpenSearchAll,
        label: "find a name in every project",
    },
    Shortcut { keys: SHORTCUT_SEARCH, scope: Scope::NoDialog, command: || Command::FocusSearch, label: "search" },
    Shortcut {
        keys: KeyboardShortcut::new(Modifiers::COMMAND, Key::PageDown),
        scope: Scope::NoDialog,
        command: || Command::SwitchTab(1),
        label: "the project's next tab",
    },
    Shortcut {
        keys: KeyboardShortcut::new(Modifiers::COMMAND, Key::PageUp),
        scope: Scope::NoDialog,
        command: || Command::SwitchTab(-1),
        label: "the project's previous tab",
    },
    Shortcut {
        keys: KeyboardShortcut::new(Modifiers::COMMAND, Key::Z),
        scope: Scope::NotTyping,
        command: || Command::UndoLast,
        label: "undo the last delete, copy or move",
    },
    Shortcut { keys: SHORTCUT_LOCK, scope: Scope::Unlocked, command: || Command::Lock, label: "lock" },
    Shortcut { keys: SHORTCUT_QUIT, scope: Scope::Everywhere, command: || Command::Quit, label: "quit" },
];

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
    /// From the first-start screen: build the vault from a synced folder.
    JoinSyncedVault,
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
    /// The create or edit form's "Load from file…": the system's file dialog (or, where there
    /// is none, the form's path field).
    PickValueFile,
    /// This file's exact text into the create or edit form's value (picked, typed, or dropped on
    /// the dialog); a file the core refuses leaves the value as it was.
    LoadValueFile(PathBuf),
    /// A fresh random value, by the form's rule, into the create or edit form's value.
    GenerateValue,
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

    // Sync.
    SyncConnect,
    SyncNow,
    SyncDisconnect,
    /// Forget this device (its id, 32 hex digits), confirmed.
    SyncForget(String),
    /// Keep what a secret flagged "changed on two devices" shows.
    SyncKeep(SecretId),
}

/// The commands of the shortcuts pressed this frame (consumed, so no widget sees them too), as
/// [`SHORTCUTS`] says where each applies. `undo_showing`: an Undo toast is on screen.
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
        for shortcut in &SHORTCUTS {
            let applies = match shortcut.scope {
                Scope::Everywhere => true,
                Scope::Unlocked => unlocked,
                Scope::NoDialog => unlocked && !dialog_open,
                Scope::NotTyping => unlocked && !dialog_open && !typing,
            };
            if applies && i.consume_shortcut(&shortcut.keys) {
                commands.push((shortcut.command)());
            }
        }
    });
    commands
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys of a shortcut as the app and docs/guide.md write them on Linux and Windows (`Ctrl+Shift+F`).
    pub fn keys_text(keys: &KeyboardShortcut) -> String {
        let mut text = String::new();
        if keys.modifiers.command || keys.modifiers.ctrl {
            text.push_str("Ctrl+");
        }
        if keys.modifiers.alt {
            text.push_str("Alt+");
        }
        if keys.modifiers.shift {
            text.push_str("Shift+");
        }
        text.push_str(keys.logical_key.name());
        text
    }

    /// The guide's keyboard list (docs/guide.md) says what the table does: each shortcut's keys and label.
    #[test]
    fn the_guide_lists_every_shortcut_as_the_table_has_it() {
        let readme = include_str!("../../docs/guide.md").split_whitespace().collect::<Vec<_>>().join(" ");
        for shortcut in &SHORTCUTS {
            let entry = format!("{} {}", keys_text(&shortcut.keys), shortcut.label);
            assert!(readme.contains(&entry), "docs/guide.md's keyboard list lacks {entry:?}");
        }
    }
}

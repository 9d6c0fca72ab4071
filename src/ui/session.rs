//! The app's state: which screen shows (Setup, Locked, Unlocked), and for an unlocked vault the
//! [`Session`] — the vault, the list, the page, the open dialog, the forms. Views read it (and
//! edit their own text fields); apply.rs and jobs.rs change the rest.

mod forms;
mod list;

use std::collections::BTreeSet;

pub use forms::REVEAL_SECONDS;
pub(crate) use forms::{
    BackupsView, ExportConfirm, ImportReview, PassphraseForm, Pick, Picked, RestoreAsForm, RestoreForm, SecretForm,
    SettingsForm, SetupForm, SyncView, TransferForm, UnlockForm, ViewState, typed_path,
};
pub(crate) use list::{SecretList, SortKey};

use crate::vault::{
    ComparedName, Error, KdfParams, Listing, Place, PlaceId, PlaceLabel, PlaceName, ProjectInfo, SecretId, SecretMeta,
    Timestamp, TrashedPlace, TrashedSecret, Vault,
};

/// Which screen shows: first start, locked, or an unlocked vault.
pub(crate) enum Screen {
    Setup(SetupForm),
    Locked(UnlockForm),
    Unlocked(Box<Session>),
}

impl Screen {
    /// The session, if the vault is unlocked.
    pub fn session_mut(&mut self) -> Option<&mut Session> {
        match self {
            Screen::Unlocked(session) => Some(session),
            _ => None,
        }
    }
}

/// How long the "Deleted … Undo" toast stays, in seconds.
const UNDO_SECONDS: i64 = 10;
/// How long a plain message toast stays, in seconds.
const MESSAGE_SECONDS: i64 = 5;

/// What an undo toast undoes: a delete of secrets, or of a project or environment; a copy; a
/// move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UndoAction {
    Secrets(Vec<SecretId>),
    Place(PlaceId),
    /// A copy made as a new secret: undone, it goes to the Trash.
    Copied(SecretId),
    /// A copy that replaced the value of `id`: undone, its value of `version` and its
    /// `description` come back as a new version (the copied value stays in its history).
    Replaced {
        id: SecretId,
        version: u32,
        description: String,
    },
    /// A move: undone, the secret goes back to `from`.
    Moved {
        id: SecretId,
        from: Place,
    },
}

/// A short message at the bottom right; an undo toast carries what to restore.
pub(crate) struct Toast {
    pub text: String,
    pub until: Timestamp,
    pub undo: Option<UndoAction>,
    pub is_error: bool,
}

impl Toast {
    pub fn message(text: String, is_error: bool, now: Timestamp) -> Self {
        Toast { text, until: Timestamp(now.0 + MESSAGE_SECONDS * 1000), undo: None, is_error }
    }

    pub fn undo(text: String, undo: UndoAction, now: Timestamp) -> Self {
        Toast { text, until: Timestamp(now.0 + UNDO_SECONDS * 1000), undo: Some(undo), is_error: false }
    }
}

/// The pages of the unlocked window, chosen in the sidebar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Page {
    Secrets,
    Trash,
    Settings,
}

/// The unlocked vault and everything shown over it. Dropped on lock: keys, revealed values and
/// form contents go with it.
pub(crate) struct Session {
    /// `None` while a worker thread has the vault (e.g. changing the passphrase).
    pub vault: Option<Vault>,
    pub page: Page,
    /// The project level or environment the Secrets page shows.
    pub place: Place,
    /// Every project with its environments and counts (the sidebar, the tabs, pickers): read
    /// at unlock and after every write that changes them.
    pub projects: Vec<ProjectInfo>,
    /// The Compare view of the current project, while it shows: names and value groups, never
    /// a value (and no hash: the core keeps those). Dropped on lock with the session.
    pub compare: Option<CompareView>,
    pub list: SecretList,
    pub selected: BTreeSet<SecretId>,
    pub dialog: Option<Dialog>,
    /// Which dialog was shown last frame and how many have opened: each opening gets a fresh
    /// window id, so egui sizes it for its own content rather than the previous dialog's.
    pub dialog_shown: Option<std::mem::Discriminant<Dialog>>,
    pub dialog_serial: u64,
    /// The Trash page's listing, read when the page opens and after every change.
    pub trash: Vec<TrashRow>,
    /// Projects and environments in the trash, with the Trash page's listing.
    pub trashed_places: Vec<TrashedPlace>,
    pub settings: SettingsForm,
    pub transfer: TransferForm,
    pub backups: BackupsView,
    pub sync: SyncView,
    /// What Vault settings says about serving the command line (filled each frame by the app).
    pub serving: ServingView,
    pub focus_search: bool,
    /// The vault's key-derivation parameters and whether it is read-only, kept while a worker
    /// has the vault, so that Vault settings keeps its layout (and its scroll position).
    pub kdf: KdfParams,
    pub read_only: bool,
}

impl Session {
    /// `listing`: the default project's level (where the session opens).
    pub fn new(vault: Vault, listing: Listing<SecretMeta>) -> Self {
        let damaged = listing.damaged.iter().map(ToString::to_string).collect();
        let projects = vault.projects().unwrap_or_default();
        let place = vault
            .default_place()
            .ok()
            .or_else(|| projects.iter().find(|p| p.is_default).map(|p| Place::shared(p.id)))
            .unwrap_or(Place::shared(PlaceId::from_bytes([0; 16])));
        let (kdf, read_only) = (vault.kdf_params(), vault.is_salvage());
        Session {
            kdf,
            read_only,
            vault: Some(vault),
            page: Page::Secrets,
            place,
            projects,
            compare: None,
            list: SecretList::new(listing.items, damaged),
            selected: BTreeSet::new(),
            dialog: None,
            dialog_shown: None,
            dialog_serial: 0,
            trash: Vec::new(),
            trashed_places: Vec::new(),
            settings: SettingsForm::default(),
            transfer: TransferForm::default(),
            backups: BackupsView::default(),
            sync: SyncView::default(),
            serving: Default::default(),
            focus_search: false,
        }
    }

    /// The current project, if it is still there.
    pub fn project(&self) -> Option<&ProjectInfo> {
        self.projects.iter().find(|p| p.id == self.place.project)
    }

    /// The names of a place, from the projects read last.
    pub fn label_of(&self, place: &Place) -> Option<PlaceLabel> {
        let project = self.projects.iter().find(|p| p.id == place.project)?;
        let env = match place.env {
            None => None,
            Some(env) => Some(project.environments.iter().find(|e| e.id == env)?.name.clone()),
        };
        Some(PlaceLabel { project: project.name.clone(), env })
    }

    /// Every live place, project level first then its environments: for pickers.
    pub fn all_places(&self) -> Vec<(Place, PlaceLabel)> {
        let mut out = Vec::new();
        for project in &self.projects {
            out.push((Place::shared(project.id), PlaceLabel { project: project.name.clone(), env: None }));
            for env in &project.environments {
                out.push((
                    Place { project: project.id, env: Some(env.id) },
                    PlaceLabel { project: project.name.clone(), env: Some(env.name.clone()) },
                ));
            }
        }
        out
    }

    /// Reads the projects (and their counts) again, after a write.
    pub fn reload_projects(&mut self) {
        if let Some(vault) = &self.vault
            && let Ok(projects) = vault.projects()
        {
            self.projects = projects;
        }
    }

    /// Reads the current place's listing again (with where each row comes from), keeping the
    /// query, the sort and the highlighted row; the counts too. After a write in an environment,
    /// where one change can turn an inherited row into an override.
    pub fn reload_list(&mut self) {
        self.read_list();
        self.reload_projects();
        if self.compare.is_some() {
            self.reload_compare();
        }
    }

    /// The current place's listing, read again (nothing else: a switch of place changes no count).
    fn read_list(&mut self) {
        if let Some(vault) = &self.vault {
            match vault.list_in(&self.place) {
                Ok(listing) => {
                    let damaged = listing.damaged.iter().map(ToString::to_string).collect();
                    self.list.replace_placed(listing.items, damaged);
                }
                Err(e) => self.list.damaged = vec![e.to_string()],
            }
        }
    }

    /// Recomputes the Compare view of the current project.
    pub fn reload_compare(&mut self) {
        let Some(project) = self.project() else {
            self.compare = None;
            return;
        };
        let envs: Vec<(Place, PlaceName)> = project
            .environments
            .iter()
            .map(|e| (Place { project: project.id, env: Some(e.id) }, e.name.clone()))
            .collect();
        let Some(vault) = &self.vault else { return };
        let places: Vec<Place> = envs.iter().map(|(p, _)| *p).collect();
        self.compare = Some(match vault.compare(&places) {
            Ok(rows) => CompareView { envs, rows, error: None },
            Err(e) => CompareView { envs, rows: Vec::new(), error: Some(e.to_string()) },
        });
    }

    /// After a write that saved `meta`: at a project level the row is updated in place (a
    /// 100,000-secret list is not read again); in an environment the listing is read again,
    /// since a write there can turn an inherited row into an override.
    pub fn after_write(&mut self, meta: SecretMeta) {
        if self.place.env.is_some() || meta.place != self.place.project {
            self.reload_list();
        } else {
            self.list.upsert(meta);
            self.reload_projects();
            if self.compare.is_some() {
                self.reload_compare();
            }
        }
    }

    /// Shows another place: its listing, no selection, the first row highlighted.
    pub fn go_to(&mut self, place: Place) {
        // Not while a worker has the vault: the listing could not be read.
        if self.vault.is_none() {
            return;
        }
        if place != self.place {
            self.place = place;
            self.selected.clear();
            self.list.cursor = None;
            self.list.query.clear();
        }
        self.compare = None;
        self.page = Page::Secrets;
        self.read_list();
    }

    /// The vault, unless a worker thread has it.
    pub fn vault_mut(&mut self) -> Result<&mut Vault, Error> {
        self.vault.as_mut().ok_or(Error::Io {
            context: "The vault is busy (a passphrase change is running); try again in a moment".into(),
            source: std::io::Error::from(std::io::ErrorKind::WouldBlock),
        })
    }
}

/// The Compare view: every name of the project's environments, and per environment whether it
/// is there and which values are equal.
pub(crate) struct CompareView {
    pub envs: Vec<(Place, PlaceName)>,
    pub rows: Vec<ComparedName>,
    pub error: Option<String>,
}

/// The modal dialog over the unlocked window, with its state.
pub(crate) enum Dialog {
    /// Name a new project or environment, or rename one.
    PlaceName(PlaceNameForm),
    /// Delete a project or an environment (its secrets go to the trash).
    ConfirmDeletePlace {
        id: PlaceId,
        label: PlaceLabel,
        secrets: usize,
    },
    /// Copy or move a secret to another place.
    CopyMove(CopyMoveForm),
    /// Edit or Delete on a shared row: the shared secret, or (Edit) an override here.
    Shared(SharedChoice),
    /// The Compare view's "Copy…": one secret into one environment, said before it is done.
    CopyInto(CopyIntoConfirm),
    /// Ctrl+Shift+F: find a name in every project and environment.
    SearchAll(SearchAllForm),
    /// A TOML file's sections, each planned into a place of its own.
    ImportSections(SectionsReview),
    Create(SecretForm),
    Edit(SecretForm),
    View(ViewState),
    ConfirmDelete(DeleteConfirm),
    /// `None`: empty the whole trash.
    ConfirmPurge(Option<SecretId>),
    RestoreAs(RestoreAsForm),
    Strengthen(PassphraseForm),
    RotateKey(PassphraseForm),
    Import(ImportReview),
    Export(ExportConfirm),
    RestoreBackup(RestoreForm),
}

/// A Streamlit `secrets.toml` imported by section: where each section goes (`None`: skipped)
/// and its plan there.
pub(crate) struct SectionsReview {
    pub path: std::path::PathBuf,
    /// Per section, in file order (the top-level keys first, as `None`).
    pub sections: Vec<SectionReview>,
    pub policy: crate::vault::ConflictPolicy,
    pub error: Option<String>,
}

pub(crate) struct SectionReview {
    pub name: Option<String>,
    pub place: Option<Place>,
    /// Its plan into `place`, and where that is as shown.
    pub plan: Option<crate::interchange::import::PreparedImport>,
    pub label: String,
}

/// What a [`PlaceNameForm`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PlaceNameTarget {
    NewProject,
    NewEnvironment(PlaceId),
    Rename(PlaceId),
}

pub(crate) struct PlaceNameForm {
    pub target: PlaceNameTarget,
    pub name: String,
    pub error: Option<String>,
    /// What is renamed, as shown ("project shop").
    pub what: String,
}

pub(crate) struct CopyMoveForm {
    pub id: SecretId,
    pub name: String,
    pub moving: bool,
    /// Where it is now, and how that is written.
    pub from: Place,
    pub from_text: String,
    pub to: Option<Place>,
    pub replace: bool,
    /// What the copy or move would do to each place it touches (for the place chosen).
    pub reach: Vec<String>,
    pub error: Option<String>,
}

/// A trashed secret with where it lived, as the Trash page lists it.
pub(crate) struct TrashRow {
    pub item: TrashedSecret,
    pub place: String,
}

/// The delete confirmation: which secrets, from where, and what that does to other places.
pub(crate) struct DeleteConfirm {
    pub names: Vec<(SecretId, String)>,
    pub place: String,
    pub reach: Vec<String>,
}

/// Edit or Delete on a shared row of an environment: which secret is meant.
pub(crate) struct SharedChoice {
    pub id: SecretId,
    pub name: String,
    pub delete: bool,
    pub project: String,
    pub env: String,
    /// For a delete: what deleting the shared secret does to the project's environments, and
    /// how many of them (`of`) lose it.
    pub reach: Vec<String>,
    pub losing: usize,
    pub of: usize,
    /// Give the focus to Cancel when it opens (the safe choice).
    pub focus_cancel: bool,
}

/// The Compare view's copy of one secret into an environment where its name is missing.
pub(crate) struct CopyIntoConfirm {
    pub id: SecretId,
    pub name: String,
    pub from: String,
    pub to: Place,
    pub to_text: String,
    pub reach: Vec<String>,
}

pub(crate) struct SearchAllForm {
    pub query: String,
    /// The query the results are for.
    pub searched: String,
    /// Every live secret's name (lower-cased for matching) and where it lives: read once when
    /// the dialog opens, filtered as you type. Names only; dropped with the dialog.
    pub names: Vec<(String, SearchHit)>,
    /// The names are still being read (on the worker).
    pub loading: bool,
    /// The first matches (at most [`SEARCH_SHOWN`]) and how many matched in all.
    pub results: Vec<SearchHit>,
    pub matched: usize,
    pub focus: bool,
}

/// How many matches the vault-wide search lists.
pub const SEARCH_SHOWN: usize = 200;

/// A secret the vault-wide search can show: its name and where it lives.
#[derive(Clone)]
pub(crate) struct SearchHit {
    pub id: SecretId,
    pub name: String,
    pub place: Place,
    pub label: String,
}

impl Dialog {
    pub fn restore_as(id: SecretId, taken: &str) -> Self {
        Dialog::RestoreAs(RestoreAsForm { id, taken: taken.to_owned(), name: format!("{taken}_RESTORED"), error: None })
    }
}

/// One standing approval, as Vault settings lists it.
#[derive(Debug, Clone)]
pub struct ApprovalView {
    pub key: crate::agent::caller::CallerKey,
    pub who: String,
    pub reach: Vec<String>,
    pub ends: Timestamp,
}

/// What Vault settings shows about serving.
#[derive(Debug, Clone, Default)]
pub struct ServingView {
    pub serving: bool,
    pub why_not: Option<String>,
    pub approvals: Vec<ApprovalView>,
}

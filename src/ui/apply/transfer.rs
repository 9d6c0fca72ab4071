//! The commands of import and export: the system's file dialog, reading and planning a file
//! (on the worker), a pasted block, a dropped file, the review's policy, writing the plan, and
//! the export confirmation.

use super::*;

impl App {
    // Import and export (on a worker thread: big files, many decrypts).

    pub(super) fn pick(&mut self, ctx: &egui::Context, what: Pick) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let form = &mut session.transfer;
        if form.picking.is_none() {
            let export_name = format!("secrets.{}", form.export_format.name());
            form.picking = Some((what, jobs::pick_file(ctx, what, export_name)));
        }
        Reply::Quiet
    }

    pub(super) fn show_import(&mut self, ctx: &egui::Context) -> Reply {
        self.show_page(Page::Settings);
        if let Some(session) = self.screen.session_mut() {
            session.transfer.show_import = true;
        }
        self.pick(ctx, Pick::Import)
    }

    pub(super) fn plan_import(&mut self, ctx: &egui::Context, path: PathBuf) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        session.transfer.import_error = None;
        let (format, flatten) = (session.transfer.import_format, session.transfer.flatten);
        // A KeePass file's passphrase leaves the field now; the key file is read on the worker.
        let passphrase = session.transfer.source_passphrase.take_passphrase();
        let key_file = crate::ui::session::typed_path(&session.transfer.key_file);
        let place = session.place;
        if let Some(vault) = session.vault.take() {
            self.jobs.spawn(ctx, "Reading the file…", move || {
                let key = passphrase.map(|p| (p, key_file));
                let result = read_and_plan(&vault, &place, &path, format, flatten, key);
                JobDone::ImportPlanned { vault, path, result }
            });
        }
        Reply::Quiet
    }

    pub(super) fn offer_pasted_import(&mut self, count: usize, text: GuardedText) -> Reply {
        if let Some(session) = self.screen.session_mut()
            && let Some(Dialog::Create(form)) = &mut session.dialog
        {
            form.pasted_import = Some((count, text.0));
        }
        Reply::Quiet
    }

    /// The pasted block's import plan, in place of the create form. Parsed as a `.env` file;
    /// small, so planned at once.
    pub(super) fn import_pasted(&mut self) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(Dialog::Create(form)) = &mut session.dialog else { return Reply::Quiet };
        let Some((_, text)) = form.pasted_import.take() else { return Reply::Quiet };
        let Some(vault) = session.vault.as_ref() else { return Reply::Error("The vault is busy; try again.".into()) };
        let shown = "the pasted text".to_owned();
        let options = ParseOptions { flatten: false };
        let planned = ImportFile::parse(shown, Format::Env, text.as_bytes(), options)
            .map_err(|e| style::sentence(&e.to_string()))
            .and_then(|file| {
                file.plan(vault, &session.place, ConflictPolicy::Fail).map_err(|e| style::sentence(&e.to_string()))
            });
        match planned {
            Ok(prepared) => {
                let into = session.label_of(&prepared.plan.place()).map(|l| super::vocabulary::place_text(&l));
                let review = ImportReview {
                    path: PathBuf::from("the pasted text"),
                    plan: prepared.plan,
                    findings: prepared.findings,
                    into: into.unwrap_or_default(),
                };
                session.dialog = Some(Dialog::Import(review));
                Reply::Quiet
            }
            Err(e) => Reply::Error(e),
        }
    }

    pub(super) fn import_dropped(&mut self, ctx: &egui::Context, path: PathBuf) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        if session.vault.as_ref().is_some_and(|v| v.is_salvage()) {
            return Reply::Error("This vault is read-only: nothing can be imported into it.".into());
        }
        session.transfer.import_error = None;
        if let Some(vault) = session.vault.take() {
            let (flatten, place) = (session.transfer.flatten, session.place);
            self.jobs.spawn(ctx, "Reading the file…", move || {
                let result = read_and_plan(&vault, &place, &path, None, flatten, None);
                JobDone::ImportPlanned { vault, path, result }
            });
        }
        Reply::Quiet
    }

    pub(super) fn set_import_policy(&mut self, policy: ConflictPolicy) -> Reply {
        if let Some(session) = self.screen.session_mut()
            && let Some(Dialog::Import(review)) = &mut session.dialog
        {
            review.plan.set_policy(policy);
        }
        Reply::Quiet
    }

    pub(super) fn confirm_import(&mut self, ctx: &egui::Context) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(Dialog::Import(review)) = session.dialog.take() else { return Reply::Quiet };
        let ImportReview { path, plan, .. } = review;
        let place = plan.place();
        if let Some(mut vault) = session.vault.take() {
            self.jobs.spawn(ctx, "Importing…", move || {
                let result = vault
                    .apply_import(plan)
                    .and_then(|report| vault.list_in(&place).map(|listing| (report, listing)))
                    .map_err(|e| e.to_string());
                JobDone::Imported { vault, path, place, by_section: false, result }
            });
        }
        Reply::Quiet
    }

    pub(super) fn ask_export(&mut self, path: PathBuf, format: Format) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        session.transfer.export_error = None;
        let exists = path.exists();
        let count = session.list.len();
        session.dialog = Some(Dialog::Export(ExportConfirm { path, format, count, overwrite: false, exists }));
        Reply::Quiet
    }

    pub(super) fn confirm_export(&mut self, ctx: &egui::Context) -> Reply {
        let Some(session) = self.screen.session_mut() else { return Reply::Quiet };
        let Some(Dialog::Export(confirm)) = session.dialog.take() else { return Reply::Quiet };
        let ExportConfirm { path, format, overwrite, .. } = confirm;
        let place = session.place;
        if let Some(vault) = session.vault.take() {
            self.jobs.spawn(ctx, "Exporting…", move || {
                let result = export_to_file(&vault, &place, &path, format, overwrite);
                JobDone::Exported { vault, path, result }
            });
        }
        Reply::Quiet
    }
}

/// Reads, parses and plans an import: the shared pipeline, with the app's advice on errors.
pub(super) fn read_and_plan(
    vault: &Vault,
    place: &Place,
    path: &Path,
    format: Option<Format>,
    flatten: bool,
    key: Option<(crate::vault::Passphrase, Option<PathBuf>)>,
) -> Result<PreparedImport, String> {
    let key = match key {
        None => None,
        Some((passphrase, key_file)) => {
            let key_file = match key_file {
                None => None,
                Some(file) => {
                    Some(std::fs::File::open(&file).and_then(crate::interchange::read_limited).map_err(|e| {
                        format!("Cannot read the key file {}: {}.", file.display(), crate::fs::io_reason(&e))
                    })?)
                }
            };
            let passphrase = zeroize::Zeroizing::new(passphrase.expose().to_owned());
            Some(crate::interchange::managers::SourceKey { passphrase, key_file })
        }
    };
    let options = ParseOptions { flatten };
    ImportFile::read_and_plan(vault, place, Source::File(path), format, options, key.as_ref(), ConflictPolicy::Fail)
        .map_err(|e| match e {
            ImportError::File(e @ ImportFileError::UnknownFormat { .. }) => {
                format!("{}; choose .env, TOML or JSON under Format.", style::capitalized(&e.to_string()))
            }
            e => format!("{}.", style::capitalized(&e.to_string())),
        })
}

/// Writes every secret to `path`: the shared pipeline, with the app's advice on errors. Returns
/// how many were written.
pub(super) fn export_to_file(
    vault: &Vault,
    place: &Place,
    path: &Path,
    format: Format,
    overwrite: bool,
) -> Result<usize, String> {
    export::to_file(vault, place, path, format, None, overwrite).map_err(|e| match e {
        ExportError::Exists { .. } => format!("{e}; tick “Replace it” to overwrite it."),
        e => format!("{}.", style::capitalized(&e.to_string())),
    })
}

//! `tresor import` and `tresor export`: files in, plan out; secrets out, to a pipe or a 0600 file.
//! The rules (what is added, updated, skipped; what a format can hold) are the core's.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::output::{shown_path, terminal_safe};
use super::{CliError, CliResult, Context, Output, exit, parse_name};
use crate::interchange::export::{self, ExportError};
use crate::interchange::import::{ImportFile, ImportFileError, Kind, PreparedImport, ReadSource, Source};
use crate::interchange::managers::{Manager, SourceKey};
use crate::interchange::{Finding, Format, ParseError, ParseOptions};
use crate::vault::{ConflictPolicy, Error, ImportPlan, Place, PlanAction, SecretName};

/// A file format on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Env,
    Toml,
    Json,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Env => Format::Env,
            FormatArg::Toml => Format::Toml,
            FormatArg::Json => Format::Json,
        }
    }
}

/// A format an import reads: the text formats, and other managers' exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFormatArg {
    Env,
    Toml,
    Json,
    /// KeePass or KeePassXC .kdbx (KDBX 3.1 and 4)
    Keepass,
    /// Bitwarden's unencrypted JSON export
    Bitwarden,
    /// 1Password's .1pux export
    #[value(name = "1pux")]
    OnePux,
    /// 1Password's CSV export
    #[value(name = "1password-csv")]
    OnePasswordCsv,
}

impl From<ImportFormatArg> for Kind {
    fn from(f: ImportFormatArg) -> Kind {
        match f {
            ImportFormatArg::Env => Kind::Text(Format::Env),
            ImportFormatArg::Toml => Kind::Text(Format::Toml),
            ImportFormatArg::Json => Kind::Text(Format::Json),
            ImportFormatArg::Keepass => Kind::Manager(Manager::Keepass),
            ImportFormatArg::Bitwarden => Kind::Manager(Manager::Bitwarden),
            ImportFormatArg::OnePux => Kind::Manager(Manager::OnePassword1pux),
            ImportFormatArg::OnePasswordCsv => Kind::Manager(Manager::OnePasswordCsv),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConflictArg {
    /// Refuse the whole import (the default)
    Fail,
    /// Keep the vault's value
    Skip,
    /// Replace it (a new version; the old value stays in the history)
    Overwrite,
}

impl From<ConflictArg> for ConflictPolicy {
    fn from(c: ConflictArg) -> ConflictPolicy {
        match c {
            ConflictArg::Fail => ConflictPolicy::Fail,
            ConflictArg::Skip => ConflictPolicy::Skip,
            ConflictArg::Overwrite => ConflictPolicy::Overwrite,
        }
    }
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The file to read; `-` reads stdin (as .env unless --format says otherwise or its content
    /// is another manager's export)
    pub file: PathBuf,
    /// The file's format [default: another manager's export told by its content (KeePass,
    /// Bitwarden JSON, 1Password .1pux and CSV), else from its name: *.toml, *.json, .env /
    /// *.env / .env.*]
    #[arg(long, value_enum)]
    pub format: Option<ImportFormatArg>,
    /// A KeePass file's passphrase: the first line of this file (else it is asked for)
    #[arg(long, value_name = "PATH")]
    pub source_passphrase_file: Option<PathBuf>,
    /// A KeePass file's key file
    #[arg(long, value_name = "PATH")]
    pub key_file: Option<PathBuf>,
    /// Import TOML tables and JSON objects as SECTION_KEY names instead of skipping them
    #[arg(long)]
    pub flatten: bool,
    /// A TOML file's [sections] each into an environment: [production] into the chosen project's
    /// production (top-level keys into the chosen place); another manager's groups, folders and
    /// vaults each into the project of that name (entries at the top into the chosen place)
    #[arg(long, conflicts_with = "flatten")]
    pub sections: bool,
    /// With --sections: section NAME into PROJECT's level or PROJECT/ENV instead (repeatable)
    #[arg(long = "section", value_name = "NAME=PROJECT[/ENV]", requires = "sections")]
    pub section: Vec<String>,
    /// Show the plan and stop: nothing is written
    #[arg(long)]
    pub dry_run: bool,
    /// What to do with a name that exists with a different value
    #[arg(long, value_enum, default_value = "fail", value_name = "POLICY")]
    pub on_conflict: ConflictArg,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The format to write
    #[arg(long, value_enum, default_value = "env")]
    pub format: FormatArg,
    /// Export just these secrets (comma-separated), in this order
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub only: Option<Vec<String>>,
    /// Write to this new file (created readable by you only) instead of stdout
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace the --output file if it exists
    #[arg(long, requires = "output")]
    pub force: bool,
}

pub(super) fn import(ctx: &Context, out: &mut Output, args: ImportArgs) -> CliResult {
    let source = if args.file == Path::new("-") { Source::Stdin } else { Source::File(&args.file) };
    // Read and parse before asking for the passphrase: a bad file needs no unlocking.
    let read = ReadSource::read(source, args.format.map(Kind::from)).map_err(|e| match e {
        ImportFileError::UnknownFormat { .. } => {
            CliError::usage(format!("{e}; pass --format env, toml, json, keepass, bitwarden, 1pux or 1password-csv"))
        }
        e => CliError::other(e.to_string()),
    })?;
    let file = match read.kind {
        Kind::Manager(manager) => {
            let key = if manager.needs_key() { Some(source_key(&args)?) } else { None };
            let files = read.parse_by_place(key.as_ref(), args.sections).map_err(import_file_error)?;
            return import_files(ctx, out, files, &args, Sections::Projects);
        }
        Kind::Text(Format::Toml) if args.sections => {
            let files = read.parse_sections().map_err(import_file_error)?;
            return import_files(ctx, out, files, &args, Sections::Environments);
        }
        Kind::Text(_) if args.sections => {
            return Err(CliError::usage(
                "--sections reads TOML files (Streamlit's secrets.toml) and other managers' exports",
            ));
        }
        Kind::Text(_) => read.parse(ParseOptions { flatten: args.flatten }).map_err(import_file_error)?,
    };

    let mut vault = ctx.unlock()?;
    let PreparedImport { shown, plan, findings } = file.plan(&vault, &ctx.place(&vault)?, args.on_conflict.into())?;
    print_plan(out, &plan, &findings)?;

    let blocked = plan.blocked_conflicts();
    if !blocked.is_empty() {
        let names: Vec<String> = blocked.iter().map(|n| n.to_string()).collect();
        let mut message = Error::ImportConflicts { names }.to_string();
        message += "; choose --on-conflict skip or overwrite";
        return Err(CliError { code: exit::NAME, message });
    }
    if args.dry_run {
        eprintln!("Dry run: nothing was written.");
        return Ok(());
    }
    if plan.writes_nothing() {
        eprintln!("Nothing to import: {}.", plan.counts());
        return Ok(());
    }
    let report = vault.apply_import(plan)?;
    eprintln!("Imported from {}: {report}.", terminal_safe(&shown));
    Ok(())
}

/// What `--sections` maps a file's parts onto.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sections {
    /// A TOML file's [sections]: environments of the chosen project.
    Environments,
    /// Another manager's groups, folders and vaults: projects.
    Projects,
}

/// A manager's passphrase error has its own exit code (the vault's wrong passphrase's).
fn import_file_error(e: ImportFileError) -> CliError {
    match &e {
        ImportFileError::Parse { source: ParseError::WrongSourcePassphrase, .. } => {
            CliError { code: exit::WRONG_PASSPHRASE, message: format!("{e}; nothing was imported") }
        }
        _ => CliError::other(e.to_string()),
    }
}

/// The KeePass file's passphrase (from --source-passphrase-file, else asked for) and key file.
fn source_key(args: &ImportArgs) -> CliResult<SourceKey> {
    let passphrase = match &args.source_passphrase_file {
        Some(file) => super::read_passphrase_file(file)?.expose().to_owned(),
        None => super::prompt_hidden("Passphrase of the KeePass file: ")?,
    };
    let key_file = match &args.key_file {
        None => None,
        Some(path) => {
            let read = std::fs::File::open(path).and_then(crate::interchange::read_limited);
            Some(read.map_err(|e| {
                CliError::other(format!("cannot read the key file {}: {}", path.display(), crate::fs::io_reason(&e)))
            })?)
        }
    };
    Ok(SourceKey { passphrase: zeroize::Zeroizing::new(passphrase), key_file })
}

/// `import --sections`, and every import of another manager's export: each part of the file
/// planned into its place, shown, then written in one transaction (all of them, or nothing).
fn import_files(
    ctx: &Context,
    out: &mut Output,
    sections: Vec<(Option<String>, ImportFile)>,
    args: &ImportArgs,
    mapped: Sections,
) -> CliResult {
    let mut mapping = std::collections::HashMap::new();
    for entry in &args.section {
        let Some((name, to)) = entry.split_once('=') else {
            return Err(CliError::usage(format!("--section {entry}: write NAME=PROJECT or NAME=PROJECT/ENV")));
        };
        mapping.insert(name.trim().to_owned(), to.trim().to_owned());
    }
    let mut vault = ctx.unlock()?;
    let here = ctx.place(&vault)?;
    let project = vault.place_label(&Place::shared(here.project))?.project;
    let mut plans = Vec::new();
    for (section, file) in sections {
        let place = match &section {
            None if file.is_empty() => continue,
            None => here,
            Some(name) => match mapping.remove(name) {
                Some(to) => {
                    let (p, e) = match to.split_once('/') {
                        Some((p, e)) => (p.to_owned(), Some(e.to_owned())),
                        None => (to.clone(), None),
                    };
                    vault.place(Some(&p), e.as_deref())?
                }
                None if mapped == Sections::Projects => vault.place(Some(name), None).map_err(|e| match e {
                    Error::ProjectNotFound { .. } => CliError {
                        code: exit::NOT_FOUND,
                        message: format!(
                            "{name:?}: there is no project of that name; create it with `tresor projects create \
                             {name}`, map it with --section {name:?}=PROJECT[/ENV], or import without --sections \
                             into one place; nothing was imported"
                        ),
                    },
                    e => e.into(),
                })?,
                None => vault.place(Some(project.as_str()), Some(name)).map_err(|e| match e {
                    Error::EnvironmentNotFound { known, .. } => CliError {
                        code: exit::NOT_FOUND,
                        message: format!(
                            "section [{name}]: {project} has no environment {name:?} (environments: {known}); create it \
                             with `tresor envs -p {project} create {name}`, or map the section with --section \
                             {name}=PROJECT[/ENV]; nothing was imported"
                        ),
                    },
                    e => e.into(),
                })?,
            },
        };
        let label = vault.place_label(&place)?;
        let PreparedImport { shown, plan, findings } = file.plan(&vault, &place, args.on_conflict.into())?;
        writeln!(out, "Into {label} ({}):", terminal_safe(&shown))?;
        print_plan(out, &plan, &findings)?;
        plans.push(plan);
    }
    if let Some(name) = mapping.keys().next() {
        return Err(CliError::usage(format!("--section {name}=…: the file has no section [{name}]")));
    }
    let blocked: Vec<String> = plans.iter().flat_map(|p| p.blocked_conflicts()).map(|n| n.to_string()).collect();
    if !blocked.is_empty() {
        let mut message = Error::ImportConflicts { names: blocked }.to_string();
        message += "; choose --on-conflict skip or overwrite";
        return Err(CliError { code: exit::NAME, message });
    }
    if args.dry_run {
        eprintln!("Dry run: nothing was written.");
        return Ok(());
    }
    if plans.iter().all(|p| p.writes_nothing()) {
        eprintln!("Nothing to import.");
        return Ok(());
    }
    let report = vault.apply_imports(plans)?;
    eprintln!("Imported: {report}.");
    Ok(())
}

/// The plan as a table (action, name, line, reason), then the notes, warnings and counts. It
/// holds names, line numbers and reasons only; the core's texts never hold a value.
fn print_plan(out: &mut Output, plan: &ImportPlan, findings: &[Finding]) -> CliResult {
    // Another manager's entries have a title and no line: the title takes the line's column.
    let titled = plan.items.iter().any(|item| item.title.is_some());
    let rows: Vec<[String; 4]> = plan
        .items
        .iter()
        .map(|item| {
            let where_from = match (&item.title, item.line) {
                (Some(title), _) => terminal_safe(title).into_owned(),
                (None, Some(line)) => line.to_string(),
                (None, None) => "-".to_owned(),
            };
            [item.action.label().to_owned(), item.shown_key(), where_from, item.reason().unwrap_or_default()]
        })
        .collect();
    if !rows.is_empty() {
        let third = if titled { "TITLE" } else { "LINE" };
        out.table(["ACTION", "NAME", third, "REASON"], &rows)?;
    }
    for finding in findings {
        let kind = if finding.is_warning() { "warning" } else { "note" };
        writeln!(out, "{kind}: {}", terminal_safe(&finding.to_string()))?;
    }
    for item in plan.items.iter().filter(|i| matches!(i.action, PlanAction::Add | PlanAction::Update)) {
        for warning in &item.warnings {
            writeln!(out, "warning: {}: {warning}", terminal_safe(&item.shown_key()))?;
        }
    }
    writeln!(out, "{}.", capitalized(&plan.counts().to_string()))
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

pub(super) fn export(ctx: &Context, out: &mut Output, args: ExportArgs) -> CliResult {
    let format: Format = args.format.into();
    let only: Option<Vec<SecretName>> =
        args.only.as_ref().map(|names| names.iter().map(|n| parse_name(n.trim())).collect()).transpose()?;
    if let Some(path) = &args.output
        && !args.force
        && path.symlink_metadata().is_ok()
    {
        return Err(exists_error(path));
    }
    let vault = ctx.unlock()?;
    let place = ctx.place(&vault)?;
    let count = |n: usize| match n {
        1 => "1 secret".to_owned(),
        n => format!("{n} secrets"),
    };
    match &args.output {
        Some(path) => {
            let written =
                export::to_file(&vault, &place, path, format, only.as_deref(), args.force).map_err(export_error)?;
            drop(vault);
            eprintln!("Exported {} to {} (readable by you only).", count(written), shown_path(path));
        }
        None => {
            let exported = export::render(&vault, &place, format, only.as_deref()).map_err(export_error)?;
            drop(vault);
            if std::io::stdout().is_terminal() {
                confirm_plaintext_on_terminal(&count(exported.count))?;
            }
            out.bytes(exported.text.as_bytes())?;
        }
    }
    Ok(())
}

fn export_error(e: ExportError) -> CliError {
    match e {
        ExportError::Vault(e) => e.into(),
        ExportError::Exists { path } => exists_error(&path),
        e => CliError::other(e.to_string()),
    }
}

fn exists_error(path: &Path) -> CliError {
    CliError::other(format!("{} already exists; pass --force to replace it", path.display()))
}

/// Values on a terminal stay in its scrollback: ask first, and refuse when nobody can answer.
fn confirm_plaintext_on_terminal(count: &str) -> CliResult {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(CliError::usage(
            "refusing to print secret values to a terminal without confirmation; use --output FILE or a pipe",
        ));
    }
    eprint!("This prints {count} in plaintext on the terminal. Continue? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    stdin.read_line(&mut answer).map_err(|e| CliError::other(format!("cannot read the answer: {e}")))?;
    if matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes") {
        Ok(())
    } else {
        Err(CliError::other("export cancelled; nothing was printed"))
    }
}

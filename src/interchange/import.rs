//! The import pipeline both front ends use: read a file or stdin (bounded), parse it, and hand its
//! entries to the vault's import plan. The command line reads and parses before it asks for the
//! passphrase (a bad file needs no unlocking), so the steps are two calls: [`ImportFile::read`],
//! then [`ImportFile::plan`].

use std::path::Path;

use super::managers::{self, Manager, SourceKey};
use super::{Finding, Format, ParseError, ParseOptions, Parsed};
use crate::vault::{ConflictPolicy, EntryContent, ImportEntry, ImportPlan, Vault};

/// Where an import reads from.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    File(&'a Path),
    Stdin,
}

impl Source<'_> {
    /// How messages name it.
    pub fn shown(&self) -> String {
        match self {
            Source::File(path) => path.display().to_string(),
            Source::Stdin => "stdin".to_owned(),
        }
    }
}

/// A file read and parsed, not yet planned against a vault. Holds values (wiped when dropped).
#[derive(Debug)]
pub struct ImportFile {
    /// How messages name the source.
    pub shown: String,
    entries: Vec<ImportEntry>,
    findings: Vec<Finding>,
}

/// What importing a file will do: the vault's plan, plus the notes about the file that are not
/// entries (keys set twice, lines that are not `KEY=value`, `${…}` kept literally).
#[derive(Debug)]
pub struct PreparedImport {
    pub shown: String,
    pub plan: ImportPlan,
    pub findings: Vec<Finding>,
}

/// Why a file could not be read as secrets. Messages never quote the file's content, and say
/// what happened, not what to do: each front end adds its own advice.
#[derive(Debug, thiserror::Error)]
pub enum ImportFileError {
    #[error("cannot tell the format of {shown} from its name")]
    UnknownFormat { shown: String },
    #[error("{shown} is a folder, not a file")]
    Folder { shown: String },
    #[error("cannot read {shown}: {}", crate::fs::io_reason(source))]
    Read { shown: String, source: std::io::Error },
    #[error("{shown} is the vault file itself (or one of SQLite's files beside it), not secrets to import")]
    OpenVaultFile { shown: String },
    #[error("cannot import {shown}: {source}")]
    Parse { shown: String, source: ParseError },
}

/// The bytes of `source` (at most [`super::MAX_FILE_BYTES`]). A vault file this process has open
/// is refused before it is opened: closing a descriptor of it would drop the locks that keep
/// other processes from deleting its WAL (see `vault::held`).
fn read_source(source: Source<'_>, shown: &str) -> Result<zeroize::Zeroizing<Vec<u8>>, ImportFileError> {
    let read = match source {
        Source::Stdin => super::read_limited(std::io::stdin().lock()),
        Source::File(path) if path.is_dir() => return Err(ImportFileError::Folder { shown: shown.to_owned() }),
        Source::File(path) if crate::vault::held::is_open_vault_file(path) => {
            return Err(ImportFileError::OpenVaultFile { shown: shown.to_owned() });
        }
        Source::File(path) => std::fs::File::open(path).and_then(super::read_limited),
    };
    read.map_err(|source| ImportFileError::Read { shown: shown.to_owned(), source })
}

/// What a file to import is: a text format (`.env`, TOML, JSON) or another manager's export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text(Format),
    Manager(Manager),
}

/// A file read, and what it is, not yet parsed: the command line asks for a KeePass file's
/// passphrase between the two. Holds the bytes (wiped when dropped).
#[derive(Debug)]
pub struct ReadSource {
    pub shown: String,
    pub kind: Kind,
    bytes: zeroize::Zeroizing<Vec<u8>>,
}

impl ReadSource {
    /// Reads `source` (at most [`super::MAX_FILE_BYTES`]) and tells what it is: `forced`, else
    /// another manager's export recognised by its content ([`Manager::detect`]), else the format
    /// its name implies (stdin: `.env`).
    pub fn read(source: Source<'_>, forced: Option<Kind>) -> Result<ReadSource, ImportFileError> {
        let shown = source.shown();
        let bytes = read_source(source, &shown)?;
        let path = match source {
            Source::File(path) => Some(path),
            Source::Stdin => None,
        };
        let kind = match forced {
            Some(kind) => kind,
            None => match (Manager::detect(path, &bytes), path) {
                (Some(manager), _) => Kind::Manager(manager),
                (None, None) => Kind::Text(Format::Env),
                (None, Some(path)) => Kind::Text(
                    Format::from_path(path).ok_or_else(|| ImportFileError::UnknownFormat { shown: shown.clone() })?,
                ),
            },
        };
        Ok(ReadSource { shown, kind, bytes })
    }

    /// Parses it into one file: a manager's export with every folder, group or vault together
    /// (a KeePass file needs [`ReadSource::parse_by_place`] and its key).
    pub fn parse(self, options: ParseOptions) -> Result<ImportFile, ImportFileError> {
        match self.kind {
            Kind::Text(format) => ImportFile::parse(self.shown, format, &self.bytes, options),
            Kind::Manager(_) => {
                let mut files = self.parse_by_place(None, false)?;
                Ok(files
                    .pop()
                    .map(|(_, file)| file)
                    .unwrap_or_else(|| ImportFile::from_parsed(String::new(), Parsed::default())))
            }
        }
    }

    /// Parses a TOML file by section ([`ImportFile::parse_sections`]).
    pub fn parse_sections(self) -> Result<Vec<(Option<String>, ImportFile)>, ImportFileError> {
        ImportFile::parse_sections(self.shown, &self.bytes)
    }

    /// Parses a manager's export into one file per folder, group or vault (`by_place`; the
    /// entries at the top first, under `None`), or all into one. A text file is one file.
    pub fn parse_by_place(
        self,
        key: Option<&SourceKey>,
        by_place: bool,
    ) -> Result<Vec<(Option<String>, ImportFile)>, ImportFileError> {
        let manager = match self.kind {
            Kind::Manager(manager) => manager,
            Kind::Text(format) => {
                return Ok(vec![(None, ImportFile::parse(self.shown, format, &self.bytes, ParseOptions::default())?)]);
            }
        };
        let items = managers::read_items(manager, &self.bytes, key)
            .map_err(|source| ImportFileError::Parse { shown: self.shown.clone(), source })?;
        Ok(managers::into_entries(items, by_place)
            .into_iter()
            .map(|(place, entries)| {
                let shown = match &place {
                    Some(name) => format!("{} [{name}]", self.shown),
                    None => self.shown.clone(),
                };
                (place, ImportFile { shown, entries, findings: Vec::new() })
            })
            .collect())
    }
}

impl ImportFile {
    /// Reads `source` (at most [`super::MAX_FILE_BYTES`]) and parses it as `format`, or as what
    /// [`ReadSource::read`] tells it is.
    pub fn read(
        source: Source<'_>,
        format: Option<Format>,
        options: ParseOptions,
    ) -> Result<ImportFile, ImportFileError> {
        ReadSource::read(source, format.map(Kind::Text))?.parse(options)
    }

    /// Reads a TOML file (Streamlit's `secrets.toml`) by section: the top-level keys first
    /// (`None`), then each `[section]` as a file of its own, to plan into a place of its own.
    pub fn read_sections(source: Source<'_>) -> Result<Vec<(Option<String>, ImportFile)>, ImportFileError> {
        let shown = source.shown();
        let bytes = read_source(source, &shown)?;
        Self::parse_sections(shown, &bytes)
    }

    /// [`ImportFile::read_sections`] of bytes already in memory.
    pub fn parse_sections(shown: String, bytes: &[u8]) -> Result<Vec<(Option<String>, ImportFile)>, ImportFileError> {
        let parse = || {
            let text = std::str::from_utf8(bytes).map_err(|_| ParseError::NotUtf8)?;
            super::toml::parse_sections(text)
        };
        let sections = parse().map_err(|source| ImportFileError::Parse { shown: shown.clone(), source })?;
        Ok(sections
            .into_iter()
            .map(|(section, parsed)| {
                let shown = match &section {
                    Some(name) => format!("{shown} [{name}]"),
                    None => shown.clone(),
                };
                (section, Self::from_parsed(shown, parsed))
            })
            .collect())
    }

    /// Whether the file has no entries (a section with only tables, or none at all).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.findings.is_empty()
    }

    /// Parses bytes already in memory (a pasted block, a dropped file's contents).
    pub fn parse(
        shown: String,
        format: Format,
        bytes: &[u8],
        options: ParseOptions,
    ) -> Result<ImportFile, ImportFileError> {
        let parsed = super::parse(format, bytes, options)
            .map_err(|source| ImportFileError::Parse { shown: shown.clone(), source })?;
        Ok(Self::from_parsed(shown, parsed))
    }

    /// What a parser found, ready to plan.
    pub fn from_parsed(shown: String, parsed: Parsed) -> ImportFile {
        let (entries, findings) = into_entries(parsed);
        ImportFile { shown, entries, findings }
    }

    /// What importing it into `place` (a project level or an environment) of `vault` would do
    /// under `policy` (nothing is written).
    pub fn plan(
        self,
        vault: &Vault,
        place: &crate::vault::Place,
        policy: ConflictPolicy,
    ) -> crate::vault::Result<PreparedImport> {
        let plan = vault.plan_import(place, self.entries, policy)?;
        Ok(PreparedImport { shown: self.shown, plan, findings: self.findings })
    }

    /// Reads and plans in one step into `place` (the app does both on a worker thread); `key`
    /// opens a KeePass file. Another manager's entries all go to `place`.
    pub fn read_and_plan(
        vault: &Vault,
        place: &crate::vault::Place,
        source: Source<'_>,
        format: Option<Format>,
        options: ParseOptions,
        key: Option<&SourceKey>,
        policy: ConflictPolicy,
    ) -> Result<PreparedImport, ImportError> {
        let read = ReadSource::read(source, format.map(Kind::Text))?;
        let file = match read.kind {
            Kind::Text(_) => read.parse(options)?,
            Kind::Manager(_) => {
                let mut files = read.parse_by_place(key, false)?;
                files
                    .pop()
                    .map(|(_, file)| file)
                    .unwrap_or_else(|| ImportFile::from_parsed(String::new(), Parsed::default()))
            }
        };
        Ok(file.plan(vault, place, policy)?)
    }
}

/// Reading, parsing or planning failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    File(#[from] ImportFileError),
    #[error(transparent)]
    Vault(#[from] crate::vault::Error),
}

/// The parser's entries as the vault's plain entries. Findings that name a key with no usable
/// value (nested, null, no value) become entries the plan skips with the reason; the rest stay
/// notes about the file. Each entry whose name changes how programs run gets a warning, first.
fn into_entries(parsed: Parsed) -> (Vec<ImportEntry>, Vec<Finding>) {
    let mut findings: Vec<Finding> = parsed
        .entries
        .iter()
        .filter(|e| super::profile::changes_how_programs_run(&e.key))
        .map(|e| Finding::ChangesHowProgramsRun { key: e.key.clone() })
        .collect();
    let mut entries: Vec<ImportEntry> = parsed
        .entries
        .into_iter()
        .map(|e| ImportEntry { key: e.key, line: e.line, content: EntryContent::Value(e.value), title: None })
        .collect();
    for finding in parsed.findings {
        match finding {
            Finding::Nested { key, kind } => {
                entries.push(ImportEntry { key, line: None, content: EntryContent::Nested { kind }, title: None })
            }
            Finding::Null { key } => {
                entries.push(ImportEntry { key, line: None, content: EntryContent::Null, title: None })
            }
            Finding::NoValue { key, line } => {
                entries.push(ImportEntry { key, line: Some(line), content: EntryContent::NoValue, title: None })
            }
            other => findings.push(other),
        }
    }
    (entries, findings)
}

//! Reading and writing `.env`, TOML and JSON secret files. No vault and no UI here: parsers turn
//! text into entries plus findings (what was not imported, and why); writers turn entries into
//! text that reads back byte for byte.

pub mod dotenv;
pub mod export;
pub mod import;
pub mod json;
pub mod managers;
pub mod mask;
pub mod profile;
pub mod template;
pub mod toml;

use std::fmt;
use std::io::Read;
use std::path::Path;

use crate::vault::SecretValue;

/// A file format Tresor reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Env,
    Toml,
    Json,
}

impl Format {
    /// The format a file name implies: `*.toml`, `*.json`, and `.env` / `*.env` / `.env.*`.
    pub fn from_path(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        if name.ends_with(".toml") {
            Some(Format::Toml)
        } else if name.ends_with(".json") {
            Some(Format::Json)
        } else if name == ".env" || name.ends_with(".env") || name.starts_with(".env.") {
            Some(Format::Env)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Env => "env",
            Format::Toml => "toml",
            Format::Json => "json",
        }
    }
}

/// One key and value found in a file. `key` is as written there, not yet a valid name.
#[derive(Debug, Clone)]
pub struct Entry {
    pub key: String,
    pub value: SecretValue,
    /// The line it starts on, where the format tracks lines.
    pub line: Option<usize>,
}

/// Something in a file that was not imported as it stands, or needs the user's attention.
/// Never holds a value: findings are printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// The key appeared again later; the last value wins.
    Duplicate { key: String, line: usize, earlier_line: usize },
    /// A key with no `=` and no value.
    NoValue { key: String, line: usize },
    /// A line that is not `KEY=value`; skipped.
    Unparsable { line: usize },
    /// The value holds `${…}`, which is kept literally, not expanded.
    NotExpanded { key: String },
    /// A table, array or nested object: not a secret (tables import with `--flatten`).
    Nested { key: String, kind: &'static str },
    /// A JSON `null`.
    Null { key: String },
    /// The name changes how programs load or run (`LD_PRELOAD`, `GIT_SSH_COMMAND`, `HTTPS_PROXY`,
    /// …: [`profile::changes_how_programs_run`]). It is imported like any other; the plan says so
    /// first, since a file that slips one in changes what every `tresor run` of it starts.
    ChangesHowProgramsRun { key: String },
}

impl Finding {
    /// Whether the plan shows it as a warning (something to look at before importing) rather than
    /// a note about the file.
    pub fn is_warning(&self) -> bool {
        matches!(self, Finding::ChangesHowProgramsRun { .. })
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::Duplicate { key, line: 0, .. } => write!(f, "{key} is set more than once; the last value wins"),
            Finding::Duplicate { key, line, earlier_line } => {
                write!(f, "{key} is set again on line {line} (first on line {earlier_line}); the last value wins")
            }
            Finding::NoValue { key, line } => write!(f, "{key} on line {line} has no value"),
            Finding::Unparsable { line } => write!(f, "line {line} is not KEY=value"),
            Finding::NotExpanded { key } => write!(f, "{key} contains ${{…}}, which is kept as written, not expanded"),
            Finding::Nested { key, kind } => write!(f, "{key} is {kind}"),
            Finding::Null { key } => write!(f, "{key} is null"),
            Finding::ChangesHowProgramsRun { key } => write!(
                f,
                "{key} changes how programs load or run; `tresor run` sets it only when it is named (--only, \
                 or a trusted profile)"
            ),
        }
    }
}

/// What a parser found.
#[derive(Debug, Default)]
pub struct Parsed {
    pub entries: Vec<Entry>,
    pub findings: Vec<Finding>,
    /// While parsing: where each key's latest entry is, and which entries a later one replaced.
    /// A map, not a scan, so that a 10,000-line file is not 50 million key comparisons.
    latest: std::collections::HashMap<String, usize>,
    replaced: Vec<usize>,
}

impl Parsed {
    /// Adds an entry; a key seen before is replaced (the last wins) and reported.
    fn push(&mut self, entry: Entry) {
        let position = self.entries.len();
        if let Some(earlier) = self.latest.insert(entry.key.clone(), position) {
            self.findings.push(Finding::Duplicate {
                key: entry.key.clone(),
                line: entry.line.unwrap_or(0),
                earlier_line: self.entries[earlier].line.unwrap_or(0),
            });
            self.replaced.push(earlier);
        }
        self.entries.push(entry);
    }

    /// Drops the replaced entries, keeping the order of the rest. Every parser ends with it.
    fn finish(mut self) -> Parsed {
        if !self.replaced.is_empty() {
            let mut replaced = vec![false; self.entries.len()];
            for i in self.replaced.drain(..) {
                replaced[i] = true;
            }
            let mut i = 0;
            self.entries.retain(|_| {
                i += 1;
                !replaced[i - 1]
            });
        }
        self.latest = Default::default();
        self
    }
}

/// How to read nested structures.
#[derive(Debug, Clone, Copy, Default)]
pub struct ParseOptions {
    /// Import `[section] key` (TOML) and `{"section": {"key": …}}` (JSON) as `section_key`.
    pub flatten: bool,
}

/// A file that cannot be read at all. Messages never quote the file's content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the file is not valid UTF-8 text")]
    NotUtf8,
    #[error("not valid TOML (line {line}): {message}")]
    Toml { line: usize, message: String },
    #[error("not valid JSON: {message}")]
    Json { message: String },
    #[error("the JSON file must hold an object of names to values, or Infisical's list of keys and values")]
    JsonNotAnObject,
    /// Another manager's export that cannot be read (a truncated zip, a damaged KeePass file,
    /// JSON of another shape).
    #[error("not a readable {format} export: {message}")]
    Damaged { format: &'static str, message: String },
    /// The KeePass file's passphrase or key file does not open it.
    #[error("the passphrase or key file does not open this KeePass file")]
    WrongSourcePassphrase,
    /// A KeePass file read without a passphrase (the app, before one is typed).
    #[error("a KeePass file needs its passphrase")]
    SourcePassphraseNeeded,
    /// An encrypted Bitwarden export: not read (see docs/importers.md).
    #[error(
        "this is an encrypted Bitwarden export ({kind}); Tresor reads the unencrypted JSON export: in Bitwarden, \
         File > Export vault, format \"JSON\" (not \"JSON (Encrypted)\")"
    )]
    EncryptedBitwarden { kind: &'static str },
}

/// Parses a whole file.
pub fn parse(format: Format, bytes: &[u8], options: ParseOptions) -> Result<Parsed, ParseError> {
    let text = std::str::from_utf8(bytes).map_err(|_| ParseError::NotUtf8)?;
    match format {
        Format::Env => Ok(dotenv::parse(text)),
        Format::Toml => toml::parse(text, options),
        Format::Json => json::parse(text, options),
    }
}

/// Values a format cannot hold so that they read back byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    #[error(
        "the .env format cannot hold {} exactly (a value that ends with a backslash and needs quotes); \
         export {} as TOML or JSON instead",
        names.join(", "),
        if names.len() == 1 { "it" } else { "them" }
    )]
    EnvCannotHold { names: Vec<String> },
}

/// Checks that every value can be written in `format` and read back byte for byte (only `.env`
/// has values it cannot hold; see [`dotenv::can_write`]). Exports call it before [`write`].
pub fn check_writable(format: Format, entries: &[(&str, &SecretValue)]) -> Result<(), WriteError> {
    if format != Format::Env {
        return Ok(());
    }
    let names: Vec<String> =
        entries.iter().filter(|(_, v)| !dotenv::can_write(v.expose())).map(|(k, _)| k.to_string()).collect();
    if names.is_empty() { Ok(()) } else { Err(WriteError::EnvCannotHold { names }) }
}

/// Writes entries as a file of `format`. The text holds plaintext values: the caller decides
/// where it may go.
pub fn write(format: Format, entries: &[(&str, &SecretValue)]) -> zeroize::Zeroizing<String> {
    let mut out = zeroize::Zeroizing::new(String::new());
    match format {
        Format::Env => {
            for (key, value) in entries {
                dotenv::write_entry(&mut out, key, value.expose());
            }
        }
        Format::Toml => toml::write(&mut out, entries),
        Format::Json => json::write(&mut out, entries),
    }
    out
}

/// The most an import reads. A secrets file is kilobytes; this only keeps a wrong pick (a disk
/// image, say) from filling memory.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a file to import (all of `reader`), refusing more than [`MAX_FILE_BYTES`] with
/// [`std::io::ErrorKind::FileTooLarge`]. The bytes are wiped when dropped.
pub fn read_limited(reader: impl Read) -> std::io::Result<zeroize::Zeroizing<Vec<u8>>> {
    let mut bytes = zeroize::Zeroizing::new(Vec::new());
    reader.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!("it is larger than {} MiB, which is not a secrets file", MAX_FILE_BYTES / (1024 * 1024)),
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_come_from_file_names() {
        for (name, format) in [
            (".env", Format::Env),
            ("prod.env", Format::Env),
            (".env.local", Format::Env),
            ("secrets.toml", Format::Toml),
            ("keys.JSON", Format::Json),
        ] {
            assert_eq!(Format::from_path(Path::new(name)), Some(format), "{name}");
        }
        assert_eq!(Format::from_path(Path::new("notes.txt")), None);
    }
}

//! `tresor trust`, and the check every command makes before it uses the current folder's
//! `tresor.toml` (direnv's `allow` is the model).
//!
//! Why: a folder's `tresor.toml` may come with a cloned repository. It picks the place commands
//! act in (`project = "bank"`, `env = "production"`: a bare `tresor set NOTES` would write there)
//! and which secrets `tresor run` hands to the repository's programs (`from = "Personal/KEY"`
//! reaches any project; `LD_PRELOAD` mapped to a secret prints it in the loader's error). So such
//! a file is used only once the user has seen what it reaches and trusted it; before that, a
//! command it would decide anything for stops with exit 7 before unlocking the vault.
//!
//! A trust record is one small file in the state folder's `trusted/` (see `state.rs`), named by
//! the SHA-256 of the profile's canonical path, holding that path and the SHA-256 of the bytes
//! the user was shown. The canonical path is the file's folder, with every symlink resolved, plus
//! the file's own name: a symlink called `tresor.toml` is trusted where it is, not where it points
//! (else a repository could link to a file trusted for another folder and use it for its own
//! programs). The check reads the file once, hashes those bytes and parses the same bytes, so
//! what was checked is what is used. An edited or moved file needs trusting again.
//!
//! Record format (version 1): `tresor trust 1\nsha256 HEX\npath ` followed by the path's bytes
//! to the end of the file (no newline after it: a path may hold one).

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use sha2::{Digest, Sha256};

use super::output::{shown_path, terminal_safe};
use super::places::{PlaceArgs, variable};
use super::{CliError, CliResult, Output, exit};
use crate::interchange::profile::{Profile, SecretRef, changes_how_programs_run};
use crate::state;

/// The profile read when none is named, if it exists in the current folder.
pub(super) const FOLDER_FILE: &str = "tresor.toml";

/// The most of a profile that is read: a profile is a few lines.
const MAX_PROFILE_BYTES: u64 = 1 << 20;

const RECORD_HEADER: &str = "tresor trust 1\n";

#[derive(Args, Debug)]
pub struct TrustArgs {
    /// The profile to trust [default: ./tresor.toml]
    #[arg(value_name = "PATH", conflicts_with = "list")]
    pub path: Option<PathBuf>,
    /// Forget the file instead: it needs trusting again before it is used
    #[arg(long, conflicts_with = "list")]
    pub revoke: bool,
    /// List the trusted files, and whether each still holds what was trusted
    #[arg(long)]
    pub list: bool,
}

/// A profile read once: where it is, its text, and the hash of exactly those bytes.
pub(super) struct ProfileFile {
    /// As named (`tresor.toml`, or `--profile`'s argument): how messages show it.
    pub path: PathBuf,
    /// What a trust record names (see the module's comment).
    canonical: PathBuf,
    text: String,
    sha256: [u8; 32],
}

impl ProfileFile {
    /// Reads `path` (a regular file, at most 1 MiB of UTF-8 text).
    pub fn read(path: &Path) -> CliResult<ProfileFile> {
        let cannot =
            |reason: String| CliError::other(format!("cannot read the profile {}: {reason}", shown_path(path)));
        let io = |e: std::io::Error| cannot(crate::fs::io_reason(&e).to_string());
        // Not a FIFO or a device: opening one could block or read forever.
        if !std::fs::metadata(path).map_err(io)?.is_file() {
            return Err(cannot("it is not a regular file".into()));
        }
        let canonical = canonical(path).map_err(io)?;
        let mut bytes = Vec::new();
        std::fs::File::open(path).map_err(io)?.take(MAX_PROFILE_BYTES + 1).read_to_end(&mut bytes).map_err(io)?;
        if bytes.len() as u64 > MAX_PROFILE_BYTES {
            return Err(cannot("it is larger than 1 MiB, which is not a profile".into()));
        }
        let sha256 = Sha256::digest(&bytes).into();
        let text = String::from_utf8(bytes).map_err(|_| cannot("it is not UTF-8 text".into()))?;
        Ok(ProfileFile { path: path.to_owned(), canonical, text, sha256 })
    }

    /// The whole profile, as `run` uses it.
    pub fn parse(&self) -> CliResult<Profile> {
        Profile::parse(&self.text)
            .map_err(|e| CliError::other(format!("the profile {} cannot be used: {e}", shown_path(&self.path))))
    }

    /// Only its place (the other commands: the rest of the file does not stop them).
    fn parse_place(&self) -> CliResult<Profile> {
        Profile::parse_place(&self.text)
            .map_err(|e| CliError::other(format!("the profile {} cannot be used: {e}", shown_path(&self.path))))
    }

    /// What it reaches: the whole profile if it parses, else its place alone and why `run`
    /// cannot use the rest.
    fn reach(&self) -> CliResult<Reach> {
        match Profile::parse(&self.text) {
            Ok(profile) => Ok(Reach { profile, unusable: None }),
            Err(e) => Ok(Reach { profile: self.parse_place()?, unusable: Some(e.to_string()) }),
        }
    }

    fn record_path(&self) -> CliResult<PathBuf> {
        record_path(&self.canonical)
    }

    /// Whether the user trusted this file, at this path, with exactly these bytes.
    pub fn is_trusted(&self) -> CliResult<bool> {
        let record = state::read(&self.record_path()?).map_err(|e| self.state_error(e))?;
        Ok(record
            .as_deref()
            .and_then(Record::parse)
            .is_some_and(|r| r.path == path_bytes(&self.canonical) && r.sha256 == state::hex(&self.sha256)))
    }

    /// Records this file (this path, these bytes) as trusted.
    fn record_trust(&self) -> CliResult {
        let _lock = state::lock().map_err(|e| self.state_error(e))?;
        let mut record = format!("{RECORD_HEADER}sha256 {}\npath ", state::hex(&self.sha256)).into_bytes();
        record.extend_from_slice(&path_bytes(&self.canonical));
        state::write(&self.record_path()?, &record).map_err(|e| self.state_error(e))
    }

    fn state_error(&self, e: state::StateError) -> CliError {
        CliError::other(format!("cannot check whether {} is trusted: {e}", shown_path(&self.path)))
    }
}

/// A record's file in the state folder.
fn record_path(canonical: &Path) -> CliResult<PathBuf> {
    let folder = state::folder("trusted").map_err(|e| CliError::other(e.to_string()))?;
    Ok(folder.join(state::hex(&Sha256::digest(path_bytes(canonical)))))
}

/// The folder of `path` with every symlink resolved, joined with the file's own name.
fn canonical(path: &Path) -> std::io::Result<PathBuf> {
    let name = path.file_name().ok_or_else(|| std::io::Error::other("it names no file"))?;
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    Ok(std::fs::canonicalize(folder)?.join(name))
}

fn path_bytes(path: &Path) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        path.as_os_str().as_bytes().to_vec()
    }
    #[cfg(not(unix))]
    {
        path.to_string_lossy().as_bytes().to_vec()
    }
}

fn bytes_path(bytes: &[u8]) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
    }
    #[cfg(not(unix))]
    {
        PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
    }
}

/// A trust record's content.
struct Record {
    sha256: String,
    path: Vec<u8>,
}

impl Record {
    fn parse(bytes: &[u8]) -> Option<Record> {
        let rest = bytes.strip_prefix(RECORD_HEADER.as_bytes())?.strip_prefix(b"sha256 ")?;
        let end = rest.iter().position(|&b| b == b'\n')?;
        let sha256 = std::str::from_utf8(&rest[..end]).ok()?.to_owned();
        let path = rest[end + 1..].strip_prefix(b"path ")?.to_vec();
        Some(Record { sha256, path })
    }
}

// ---- what a profile reaches ------------------------------------------------------------------

/// Whether `from` lies outside the project the profile selects (every source does when it selects
/// none: the project is then whatever the command line or the default says).
fn outside(profile: &Profile, from: &SecretRef) -> bool {
    profile.project.as_ref().is_none_or(|p| p.folded() != from.project.folded())
}

fn place_words(profile: &Profile) -> String {
    match (&profile.project, &profile.env) {
        (Some(p), Some(e)) => format!("project {p}, environment {e}"),
        (Some(p), None) => format!("project {p} (its level)"),
        (None, Some(e)) => format!("environment {e} of the chosen project"),
        (None, None) => "no place".to_owned(),
    }
}

fn loader_names(profile: &Profile) -> Vec<String> {
    let secrets = profile.secrets.iter().flatten();
    secrets.filter(|s| changes_how_programs_run(s.name.as_str())).map(|s| s.name.to_string()).collect()
}

/// What a profile reaches, as far as it can be read.
struct Reach {
    profile: Profile,
    /// Why `run` cannot use its `[secrets]` (the place alone was read).
    unusable: Option<String>,
}

impl Reach {
    /// One sentence's worth: the place, the secrets `run` would get, the sources in other
    /// projects and the names that change how programs run.
    fn summary(&self) -> String {
        let profile = &self.profile;
        let mut parts = vec![format!("it selects {}", place_words(profile))];
        match (&profile.secrets, &self.unusable) {
            (_, Some(_)) => parts.push("its [secrets] cannot be read".to_owned()),
            (None, None) => parts.push("gives `tresor run` all of that place's secrets".to_owned()),
            (Some(secrets), None) => {
                let count =
                    if secrets.len() == 1 { "1 secret".to_owned() } else { format!("{} secrets", secrets.len()) };
                parts.push(format!("gives `tresor run` {count}"));
                let far: Vec<String> = secrets
                    .iter()
                    .filter_map(|s| {
                        s.from.as_ref().filter(|f| outside(profile, f)).map(|f| format!("{} from {f}", s.name))
                    })
                    .collect();
                if !far.is_empty() {
                    parts.push(format!("outside its project: {}", far.join(", ")));
                }
            }
        }
        let loaders = loader_names(profile);
        if !loaders.is_empty() {
            parts.push(format!("names that change how programs run: {}", loaders.join(", ")));
        }
        parts.join("; ")
    }

    /// The whole picture, one line each, for `tresor trust` and `run`'s question.
    fn details(&self, file: &ProfileFile) -> String {
        let profile = &self.profile;
        let mut text = format!("{}\n", file.canonical.display());
        text += &format!("  place: {}", place_words(profile));
        if profile.project.is_some() || profile.env.is_some() {
            text += " (-p/-e, TRESOR_PROJECT and TRESOR_ENV replace it)";
        }
        text += "\n";
        match (&profile.secrets, &self.unusable) {
            (_, Some(problem)) => {
                text += &format!("  secrets for `tresor run`: none, it cannot use the file: {problem}\n")
            }
            (None, None) => text += "  secrets for `tresor run`: all of the place's (it declares none)\n",
            (Some(secrets), None) => {
                text += "  secrets for `tresor run`:\n";
                for secret in secrets {
                    let mut line = format!("    {}", secret.name);
                    match &secret.from {
                        Some(from) if outside(profile, from) => line += &format!(" from {from}  [outside its project]"),
                        Some(from) => line += &format!(" from {from}"),
                        None => line += " (from the run's place)",
                    }
                    if changes_how_programs_run(secret.name.as_str()) {
                        line += "  [changes how programs run]";
                    }
                    text += &line;
                    text += "\n";
                }
            }
        }
        let loaders = loader_names(profile);
        if !loaders.is_empty() {
            text +=
                &format!("  names that change how programs run, set from it once trusted: {}\n", loaders.join(", "));
        }
        // Line by line: the line breaks are the layout's, anything else from the file is escaped.
        text.lines().map(|line| terminal_safe(line) + "\n").collect()
    }
}

// ---- the check before a command uses the folder's file ----------------------------------------

/// What a command would take from the folder's `tresor.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FolderUse {
    /// The project and environment it acts in.
    Place,
    /// Only the project (`envs`, `diff`: they name environments themselves).
    Project,
    /// `run`: its place, and its `[secrets]` unless `--only` names them.
    Run { secrets: bool },
}

/// The folder's `tresor.toml`, parsed, when it decides something for this command and the user
/// trusted it; `None` when there is none or it decides nothing here (the flags and variables
/// name the place, and `run` is not taking its secrets). An untrusted file that would decide
/// something stops the command (exit 7) before the vault is unlocked; on a terminal, `run` asks
/// first (No by default).
pub(super) fn folder_profile(place: &PlaceArgs, usage: FolderUse) -> CliResult<Option<Profile>> {
    let path = Path::new(FOLDER_FILE);
    // As before: a folder (or a pipe) of that name is not a profile, and is left alone.
    if !path.is_file() {
        return Ok(None);
    }
    let file = ProfileFile::read(path)?;
    let profile = match usage {
        FolderUse::Run { secrets: true } => file.parse()?,
        _ => file.parse_place()?,
    };
    let project_given = place.project.is_some() || variable("TRESOR_PROJECT").is_some();
    let env_given = place.shared || place.env.is_some() || variable("TRESOR_ENV").is_some();
    let decides_place = !project_given
        && (profile.project.is_some() || (usage != FolderUse::Project && profile.env.is_some() && !env_given));
    let decides_secrets = matches!(usage, FolderUse::Run { secrets: true }) && profile.secrets.is_some();
    if !decides_place && !decides_secrets {
        return Ok(None);
    }
    if file.is_trusted()? {
        return Ok(Some(profile));
    }
    let run = matches!(usage, FolderUse::Run { .. });
    if run && std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        eprint!("tresor.toml in this folder is not trusted yet. It reaches:\n{}", file.reach()?.details(&file));
        if ask("Trust it and run? [y/N] ")? {
            file.record_trust()?;
            eprintln!("Trusted {} (`tresor trust --revoke` forgets it).", shown_path(&file.canonical));
            return Ok(Some(profile));
        }
    }
    let ways_out = if run {
        "look at it and trust it with `tresor trust`, or name it yourself with `tresor run --profile ./tresor.toml …` \
         (or choose the secrets with --only)"
    } else {
        "look at it and trust it with `tresor trust`, or name the place with -p PROJECT (and -e ENV)"
    };
    Err(CliError {
        code: exit::UNTRUSTED_FOLDER_FILE,
        message: format!(
            "tresor.toml in this folder is not trusted ({}); nothing was run or written; {ways_out}",
            file.reach()?.summary()
        ),
    })
}

/// Asks a yes/no question on the terminal; anything but yes is no.
fn ask(question: &str) -> CliResult<bool> {
    eprint!("{question}");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).map_err(|e| CliError::other(format!("cannot read the answer: {e}")))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES"))
}

// ---- tresor trust ------------------------------------------------------------------------------

pub(super) fn trust(out: &mut Output, args: TrustArgs) -> CliResult {
    if args.list {
        return list(out);
    }
    let path = args.path.unwrap_or_else(|| PathBuf::from(FOLDER_FILE));
    if args.revoke {
        return revoke(&path);
    }
    let file = ProfileFile::read(&path)?;
    out.bytes(file.reach()?.details(&file).as_bytes())?;
    if file.is_trusted()? {
        out.flush()?;
        eprintln!("Already trusted, as it is now.");
        return Ok(());
    }
    // The command is the user's own act; on a terminal, after reading the above, they confirm.
    if std::io::stdin().is_terminal() {
        out.flush()?;
        if !ask("Trust this file? [y/N] ")? {
            return Err(CliError::other("not trusted; nothing was recorded"));
        }
    }
    file.record_trust()?;
    out.flush()?;
    eprintln!(
        "Trusted {}. Any change to it, or moving it, needs `tresor trust` again; `tresor trust --revoke` forgets it.",
        shown_path(&file.canonical)
    );
    Ok(())
}

fn revoke(path: &Path) -> CliResult {
    // A file that is gone can still be forgotten by the path `tresor trust --list` shows.
    let canonical = canonical(path).or_else(|e| if path.is_absolute() { Ok(path.to_owned()) } else { Err(e) });
    let canonical = canonical
        .map_err(|e| CliError::other(format!("cannot find {}: {}", shown_path(path), crate::fs::io_reason(&e))))?;
    let record = record_path(&canonical)?;
    let state_error = |e: state::StateError| CliError::other(e.to_string());
    let _lock = state::lock().map_err(state_error)?;
    if state::read(&record).map_err(state_error)?.is_none() {
        eprintln!("{} was not trusted; nothing to forget.", shown_path(&canonical));
        return Ok(());
    }
    state::remove(&record).map_err(state_error)?;
    eprintln!("Forgot {}: it is not used again until trusted.", shown_path(&canonical));
    Ok(())
}

fn list(out: &mut Output) -> CliResult {
    let state_error = |e: state::StateError| CliError::other(e.to_string());
    let folder = state::folder("trusted").map_err(state_error)?;
    let entries = std::fs::read_dir(&folder)
        .map_err(|e| CliError::other(format!("cannot list {}: {}", shown_path(&folder), crate::fs::io_reason(&e))))?;
    let mut rows = Vec::new();
    for entry in entries.flatten() {
        let Some(record) = state::read(&entry.path()).map_err(state_error)?.as_deref().and_then(Record::parse) else {
            continue;
        };
        let path = bytes_path(&record.path);
        let now = match ProfileFile::read(&path) {
            Ok(file) if state::hex(&file.sha256) == record.sha256 => "trusted",
            Ok(_) => "changed since (not used until trusted again)",
            Err(_) => "gone",
        };
        rows.push([path.display().to_string(), now.to_owned()]);
    }
    if rows.is_empty() {
        eprintln!("No trusted files.");
        return Ok(());
    }
    rows.sort();
    out.table(["PATH", "STATE"], &rows)
}

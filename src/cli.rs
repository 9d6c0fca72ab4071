//! The command line: argument parsing, passphrase input and output formatting over [`Vault`].
//! Every rule is the core's; this file only translates.

mod backups;
mod run;
mod transfer;

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};
use serde::Serialize;

use crate::vault::{Error, KdfParams, Passphrase, SecretEdit, SecretId, SecretMeta, SecretName, SecretValue, Vault};

/// Exit codes, the same for every command.
pub mod exit {
    pub const OK: i32 = 0;
    pub const OTHER: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const WRONG_PASSPHRASE: i32 = 3;
    pub const NOT_FOUND: i32 = 4;
    pub const INTEGRITY: i32 = 5;
    pub const NAME: i32 = 6;
}

#[derive(Parser, Debug)]
#[command(
    name = "tresor",
    version,
    about = "An offline, passphrase-protected vault for environment secrets.",
    after_help = "Exit codes: 0 success, 1 other error, 2 usage error, 3 wrong passphrase, 4 no such secret (or backup),\n\
                  5 integrity failure (damaged or tampered file or record), 6 name already taken or invalid\n\
                  (import: a conflict under --on-conflict fail). `tresor run` exits with the program's code\n\
                  (128 + N when a signal N ended it; 126/127 when it cannot be started or found)."
)]
pub struct Cli {
    /// The vault file [default: the platform's data folder, e.g. ~/.local/share/tresor/vault.db]
    #[arg(long, global = true, env = "TRESOR_VAULT", value_name = "PATH")]
    pub vault: Option<PathBuf>,

    /// Read the passphrase from the first line of this file instead of prompting
    #[arg(long, global = true, env = "TRESOR_PASSPHRASE_FILE", value_name = "PATH", hide_env_values = true)]
    pub passphrase_file: Option<PathBuf>,

    /// Open a vault that fails its integrity check read-only, to get out what is still readable
    #[arg(long, global = true)]
    pub salvage: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a new vault
    Init(KdfArgs),
    /// Show the vault's path, format and KDF parameters, and counts (no passphrase needed)
    Info {
        #[arg(long)]
        json: bool,
    },
    /// List secrets: names, descriptions, versions and times, never values
    List {
        #[arg(long)]
        json: bool,
    },
    /// Print a secret's value, exactly as stored
    Get {
        name: String,
        /// An earlier version (see `tresor history NAME`)
        #[arg(long)]
        version: Option<u32>,
    },
    /// Create or update a secret; the value comes from stdin when piped, else from a hidden prompt
    Set {
        name: String,
        #[arg(long, short)]
        description: Option<String>,
    },
    /// Rename a secret, keeping its versions and history
    Rename { old: String, new: String },
    /// Move secrets to the trash
    Rm {
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// List the versions of a secret
    History {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// List the secrets in the trash
    Trash {
        #[arg(long)]
        json: bool,
    },
    /// Bring a secret back from the trash
    Restore {
        name: String,
        /// Restore under another name (when the old one is taken)
        #[arg(long = "as", value_name = "NEW_NAME")]
        as_name: Option<String>,
    },
    /// Delete trashed secrets for good
    Purge {
        /// Names of trashed secrets
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        names: Vec<String>,
        /// Empty the whole trash
        #[arg(long)]
        all: bool,
    },
    /// Change the passphrase (the new one from --new-passphrase-file, or prompted twice)
    Passwd {
        #[arg(long, value_name = "PATH")]
        new_passphrase_file: Option<PathBuf>,
        #[command(flatten)]
        kdf: KdfArgs,
    },
    /// Replace the vault key and re-encrypt every record under the new one
    RotateKey,
    /// Back the vault up now, list its backups, or set how many are kept
    #[command(after_help = "Tresor also backs up by itself: before an import, a passphrase change, a key \
rotation or a purge, and on the first unlock of each day. Backups are encrypted vault files in \
<vault>.backups/ beside the vault; each opens with the passphrase the vault had when it was made.\n\n\
Examples:\n  tresor backup\n  tresor backup --list\n  tresor backup --keep 10")]
    Backup(backups::BackupArgs),
    /// Put the vault back to the state saved in a backup (the current state is backed up first)
    RestoreBackup(backups::RestoreArgs),
    /// Run a program with secrets added to its environment (no shell; exits with its code)
    #[command(after_help = "Which secrets: --only A,B; else those a profile declares (--profile FILE, or \
tresor.toml in the current folder when present); else all of them.\n\
Profile format:\n  [secrets]\n  OPENAI_API_KEY = { required = true, description = \"GPT calls\" }\n  \
LANGSMITH_API_KEY = { required = false }\n\
A missing required secret, or a missing --only name, stops before the program starts.\n\n\
Example: tresor run --only OPENAI_API_KEY -- python app.py --verbose")]
    Run(run::RunArgs),
    /// Import secrets from a .env, TOML or JSON file, showing the plan first (never values)
    #[command(
        after_help = "The plan has one line per entry: add, update (the value differs), same, conflict, or skip \
with the reason.\n\
--on-conflict says what to do with a name that exists with a different value: fail (the default) refuses \
the whole import, skip keeps the vault's value, overwrite makes the file's value a new version (the old one \
stays in the history).\n\
The write is one transaction: all of the plan, or nothing.\n\n\
Examples:\n  tresor import .env --dry-run\n  tresor import secrets.toml --flatten --on-conflict overwrite\n  \
cat keys.json | tresor import - --format json"
    )]
    Import(transfer::ImportArgs),
    /// Export secrets as .env, TOML or JSON (plaintext: to a pipe, or to a new 0600 file)
    #[command(after_help = "Examples:\n  tresor export --output backup.env\n  \
tresor export --format json --only OPENAI_API_KEY,HF_TOKEN > keys.json\n\
The file reads back byte for byte in Tresor and in python-dotenv / TOML / JSON readers.")]
    Export(transfer::ExportArgs),
}

#[derive(Args, Debug, Default)]
pub struct KdfArgs {
    /// Argon2id memory in MiB (minimum 64; default 256)
    #[arg(long, value_name = "MIB")]
    pub kdf_memory_mib: Option<u32>,
    /// Argon2id passes (minimum 3; default: calibrated to about one second)
    #[arg(long, value_name = "N")]
    pub kdf_iterations: Option<u32>,
    /// Argon2id lanes (minimum 4)
    #[arg(long, value_name = "N")]
    pub kdf_parallelism: Option<u32>,
}

/// A failure with the exit code it maps to. Its message is one sentence for stderr.
#[derive(Debug)]
pub struct CliError {
    pub code: i32,
    pub message: String,
}

impl CliError {
    fn usage(message: impl Into<String>) -> Self {
        CliError { code: exit::USAGE, message: message.into() }
    }
    fn other(message: impl Into<String>) -> Self {
        CliError { code: exit::OTHER, message: message.into() }
    }
}

impl From<Error> for CliError {
    fn from(e: Error) -> Self {
        let code = match &e {
            Error::WrongPassphrase => exit::WRONG_PASSPHRASE,
            Error::NotFound { .. }
            | Error::VersionNotFound { .. }
            | Error::NotInTrash
            | Error::NotFoundInTrash { .. }
            | Error::NoSuchBackup { .. } => exit::NOT_FOUND,
            Error::NameTaken { .. } | Error::InvalidName(_) => exit::NAME,
            Error::KdfTooWeak { .. } | Error::KeepOutOfRange { .. } => exit::USAGE,
            e if e.is_integrity_failure() => exit::INTEGRITY,
            _ => exit::OTHER,
        };
        let mut message = e.to_string();
        match e {
            Error::RecordSetTampered => message += " (`tresor --salvage list` / `get`)",
            Error::NoVault { .. } => message += "; create one with `tresor init`",
            _ => {}
        }
        CliError { code, message }
    }
}

type CliResult<T = ()> = Result<T, CliError>;

/// Parses the process arguments, runs the command, and returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tresor: {}", e.message);
            e.code
        }
    }
}

/// Runs a parsed command line; returns the exit code (`tresor run`: the program's).
pub fn run(cli: Cli) -> CliResult<i32> {
    let path = match &cli.vault {
        Some(p) => p.clone(),
        None => Vault::default_path()
            .ok_or_else(|| CliError::other("cannot find a data folder for the vault; pass --vault PATH"))?,
    };
    let Some(command) = cli.command else {
        // No subcommand: open the window.
        return crate::ui::run(path).map(|()| exit::OK).map_err(CliError::other);
    };
    let ctx = Context { path, passphrase_file: cli.passphrase_file, salvage: cli.salvage };
    let done = match command {
        Command::Run(args) => return run::run(&ctx, args),
        Command::Import(args) => transfer::import(&ctx, args),
        Command::Export(args) => transfer::export(&ctx, args),
        Command::Init(kdf) => init(&ctx, &kdf),
        Command::Info { json } => info(&ctx, json),
        Command::List { json } => list(&ctx, json),
        Command::Get { name, version } => get(&ctx, &name, version),
        Command::Set { name, description } => set(&ctx, &name, description),
        Command::Rename { old, new } => rename(&ctx, &old, &new),
        Command::Rm { names } => rm(&ctx, &names),
        Command::History { name, json } => history(&ctx, &name, json),
        Command::Trash { json } => trash(&ctx, json),
        Command::Restore { name, as_name } => restore(&ctx, &name, as_name.as_deref()),
        Command::Purge { names, all } => purge(&ctx, &names, all),
        Command::Passwd { new_passphrase_file, kdf } => passwd(&ctx, new_passphrase_file.as_deref(), &kdf),
        Command::RotateKey => rotate_key(&ctx),
        Command::Backup(args) => backups::backup(&ctx, args),
        Command::RestoreBackup(args) => backups::restore(&ctx, args),
    };
    done.map(|()| exit::OK)
}

struct Context {
    path: PathBuf,
    passphrase_file: Option<PathBuf>,
    salvage: bool,
}

impl Context {
    fn passphrase(&self, prompt: &str) -> CliResult<Passphrase> {
        match &self.passphrase_file {
            Some(file) => read_passphrase_file(file),
            None => prompt_hidden(prompt).map(Passphrase::new),
        }
    }

    fn unlock(&self) -> CliResult<Vault> {
        // Say "no vault" before asking for a passphrase that cannot be checked.
        if !self.path.exists() {
            return Err(Error::NoVault { path: self.path.clone() }.into());
        }
        let passphrase = self.passphrase(&format!("Passphrase for {}: ", self.path.display()))?;
        self.unlock_with(&passphrase)
    }

    fn unlock_with(&self, passphrase: &Passphrase) -> CliResult<Vault> {
        if self.salvage {
            eprintln!("warning: opened read-only for salvage; the vault's integrity check is skipped");
            return Ok(Vault::unlock_for_salvage(&self.path, passphrase)?);
        }
        let mut vault = Vault::unlock(&self.path, passphrase)?;
        if let Some(warning) = vault.take_warning() {
            eprintln!("warning: {warning}");
        }
        Ok(vault)
    }
}

fn read_passphrase_file(file: &Path) -> CliResult<Passphrase> {
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(file)
            .map_err(|e| CliError::other(format!("cannot read the passphrase file {}: {e}", file.display())))?,
    );
    let first = text.lines().next().unwrap_or("");
    if first.is_empty() {
        return Err(CliError::usage(format!("the passphrase file {} is empty", file.display())));
    }
    Ok(Passphrase::new(first))
}

/// A hidden prompt on the terminal. Without a terminal there is nobody to ask.
fn prompt_hidden(prompt: &str) -> CliResult<String> {
    rpassword::prompt_password(prompt).map_err(|_| {
        CliError::usage("no terminal to ask for the passphrase; use --passphrase-file PATH (or TRESOR_PASSPHRASE_FILE)")
    })
}

fn new_passphrase(file: Option<&Path>, what: &str) -> CliResult<Passphrase> {
    if let Some(file) = file {
        return read_passphrase_file(file);
    }
    let first = Passphrase::new(prompt_hidden(&format!("{what}: "))?);
    if first.is_empty() {
        return Err(Error::EmptyPassphrase.into());
    }
    let second = Passphrase::new(prompt_hidden(&format!("{what} again: "))?);
    if first.expose() != second.expose() {
        return Err(CliError::usage("the two passphrases do not match; nothing was changed"));
    }
    Ok(first)
}

fn kdf_params(args: &KdfArgs) -> CliResult<Option<KdfParams>> {
    if args.kdf_memory_mib.is_none() && args.kdf_iterations.is_none() && args.kdf_parallelism.is_none() {
        return Ok(None);
    }
    let memory_mib = args.kdf_memory_mib.unwrap_or(KdfParams::DEFAULT_MEMORY_KIB / 1024);
    let memory_kib = memory_mib
        .checked_mul(1024)
        .ok_or_else(|| CliError::usage(format!("--kdf-memory-mib {memory_mib} is too large")))?;
    let params = KdfParams::new(
        memory_kib,
        args.kdf_iterations.unwrap_or(KdfParams::FLOOR.iterations),
        args.kdf_parallelism.unwrap_or(KdfParams::DEFAULT_PARALLELISM),
    )
    .map_err(|e| match e {
        Error::KdfOutOfRange { params } => {
            CliError::usage(format!("KDF parameters {params} are above the accepted maximum"))
        }
        e => e.into(),
    })?;
    Ok(Some(params))
}

fn parse_name(text: &str) -> CliResult<SecretName> {
    SecretName::parse(text).map_err(|e| Error::from(e).into())
}

fn find(vault: &Vault, name: &str) -> CliResult<SecretId> {
    Ok(vault.find(&parse_name(name)?)?)
}

fn init(ctx: &Context, kdf: &KdfArgs) -> CliResult {
    if ctx.path.exists() {
        return Err(Error::AlreadyExists { path: ctx.path.clone() }.into());
    }
    let params = kdf_params(kdf)?;
    let passphrase = match &ctx.passphrase_file {
        Some(file) => read_passphrase_file(file)?,
        None => new_passphrase(None, "New passphrase")?,
    };
    let params = match params {
        Some(p) => p,
        None => {
            eprintln!("Calibrating the key derivation for this machine…");
            Vault::calibrate_kdf()
        }
    };
    Vault::create(&ctx.path, &passphrase, params)?;
    eprintln!("Created a vault at {} ({params}).", ctx.path.display());
    Ok(())
}

#[derive(Serialize)]
struct InfoJson {
    path: String,
    format_version: i64,
    kdf: KdfJson,
    created: String,
    secrets: u64,
    trashed: u64,
    history_entries: u64,
    file_bytes: u64,
}

#[derive(Serialize)]
struct KdfJson {
    algorithm: &'static str,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
}

fn info(ctx: &Context, json: bool) -> CliResult {
    let info = Vault::info(&ctx.path)?;
    if json {
        let out = InfoJson {
            path: info.path.display().to_string(),
            format_version: info.format_version,
            kdf: KdfJson {
                algorithm: "argon2id",
                memory_kib: info.kdf.memory_kib,
                iterations: info.kdf.iterations,
                parallelism: info.kdf.parallelism,
            },
            created: info.created.to_rfc3339(),
            secrets: info.secrets,
            trashed: info.trashed,
            history_entries: info.history_entries,
            file_bytes: info.file_bytes,
        };
        print_json(&out)
    } else {
        let mut out = String::new();
        out += &format!("path:            {}\n", info.path.display());
        out += &format!("format version:  {}\n", info.format_version);
        out += &format!("key derivation:  {}\n", info.kdf);
        out += &format!("created:         {}\n", info.created.to_rfc3339());
        out += &format!("secrets:         {}\n", info.secrets);
        out += &format!("in the trash:    {}\n", info.trashed);
        out += &format!("earlier values:  {}\n", info.history_entries);
        out += &format!("file size:       {} bytes\n", info.file_bytes);
        write_stdout(out.as_bytes())
    }
}

#[derive(Serialize)]
struct SecretJson {
    name: String,
    description: String,
    version: u32,
    created: String,
    modified: String,
}

impl From<&SecretMeta> for SecretJson {
    fn from(m: &SecretMeta) -> Self {
        SecretJson {
            name: m.name.to_string(),
            description: m.description.clone(),
            version: m.version,
            created: m.created.to_rfc3339(),
            modified: m.modified.to_rfc3339(),
        }
    }
}

fn print_json(value: &impl Serialize) -> CliResult {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| CliError::other(e.to_string()))?;
    text.push('\n');
    write_stdout(text.as_bytes())
}

fn write_stdout(bytes: &[u8]) -> CliResult {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        // A closed pipe (`tresor list | head`) is the reader's choice, not an error.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::other(format!("cannot write: {e}"))),
        _ => Ok(()),
    }
}

/// Lays out rows in aligned columns; the last column is not padded.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header: Vec<String> = header.iter().map(|s| s.to_string()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let last = row.len() - 1;
        for (i, cell) in row.iter().enumerate() {
            if i == last {
                out += cell;
            } else {
                out += &format!("{cell:<width$}  ", width = widths[i]);
            }
        }
        out = out.trim_end().to_owned();
        out.push('\n');
    }
    out
}

/// Reports damaged records after printing what could be read: the command then fails with 5.
fn damaged_result(damaged: Vec<Error>) -> CliResult {
    let count = damaged.len();
    match damaged.into_iter().next() {
        None => Ok(()),
        Some(first) if count == 1 => Err(first.into()),
        Some(first) => {
            Err(CliError { code: exit::INTEGRITY, message: format!("{count} records are damaged; the first: {first}") })
        }
    }
}

fn list(ctx: &Context, json: bool) -> CliResult {
    let vault = ctx.unlock()?;
    let listing = vault.list()?;
    if json {
        print_json(&listing.items.iter().map(SecretJson::from).collect::<Vec<_>>())?;
    } else if listing.items.is_empty() {
        eprintln!("No secrets yet. Add one with `tresor set NAME`.");
    } else {
        let rows: Vec<Vec<String>> = listing
            .items
            .iter()
            .map(|m| vec![m.name.to_string(), m.version.to_string(), m.modified.to_rfc3339(), m.description.clone()])
            .collect();
        write_stdout(table(&["NAME", "VERSION", "MODIFIED", "DESCRIPTION"], &rows).as_bytes())?;
    }
    damaged_result(listing.damaged)
}

fn get(ctx: &Context, name: &str, version: Option<u32>) -> CliResult {
    let vault = ctx.unlock()?;
    let id = find(&vault, name)?;
    let value = match version {
        Some(v) => vault.reveal_version(id, v)?,
        None => vault.reveal(id)?,
    };
    write_stdout(value.expose().as_bytes())?;
    if std::io::stdout().is_terminal() && !value.expose().ends_with('\n') {
        write_stdout(b"\n")?;
    }
    Ok(())
}

/// The value for `set`: all of stdin when it is piped, else a hidden prompt.
fn read_value(name: &SecretName, exists: bool) -> CliResult<SecretValue> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let prompt = if exists {
            format!("New value for {name} (empty keeps the current one): ")
        } else {
            format!("Value for {name}: ")
        };
        return Ok(SecretValue::new(prompt_hidden(&prompt)?));
    }
    let mut bytes = Vec::new();
    stdin
        .lock()
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::other(format!("cannot read the value from stdin: {e}")))?;
    SecretValue::from_utf8(bytes).map_err(|e| Error::from(e).into())
}

fn set(ctx: &Context, name: &str, description: Option<String>) -> CliResult {
    let name = parse_name(name)?;
    let mut vault = ctx.unlock()?;
    let exists = match vault.find(&name) {
        Ok(_) => true,
        Err(Error::NotFound { .. }) => false,
        Err(e) => return Err(e.into()),
    };
    let value = read_value(&name, exists)?;
    let outcome = vault.set(name, description, SecretEdit::typed_value(value))?;
    let saved = outcome.saved;
    for warning in &saved.warnings {
        eprintln!("warning: {warning}");
    }
    let meta = &saved.meta;
    if outcome.created {
        eprintln!("Created {} (version {}).", meta.name, meta.version);
    } else if saved.value_changed {
        eprintln!("Updated {}: now version {}.", meta.name, meta.version);
    } else {
        eprintln!("Updated {} (value unchanged, version {}).", meta.name, meta.version);
    }
    if let Some(conventional) = meta.name.conventional_form() {
        eprintln!("hint: environment variables are usually UPPER_SNAKE_CASE, e.g. {conventional}");
    }
    Ok(())
}

fn rename(ctx: &Context, old: &str, new: &str) -> CliResult {
    let new = parse_name(new)?;
    let mut vault = ctx.unlock()?;
    let id = find(&vault, old)?;
    let meta = vault.edit(id, SecretEdit { name: Some(new), ..SecretEdit::default() })?.meta;
    eprintln!("Renamed {old} to {}.", meta.name);
    Ok(())
}

fn rm(ctx: &Context, names: &[String]) -> CliResult {
    let mut vault = ctx.unlock()?;
    let ids = names.iter().map(|n| find(&vault, n)).collect::<CliResult<Vec<_>>>()?;
    vault.delete(&ids)?;
    let what = if names.len() == 1 { names[0].clone() } else { format!("{} secrets", names.len()) };
    eprintln!("Moved {what} to the trash (bring back with `tresor restore NAME`).");
    Ok(())
}

#[derive(Serialize)]
struct VersionJson {
    name: String,
    description: String,
    version: u32,
    created: String,
    modified: String,
    current: bool,
}

fn history(ctx: &Context, name: &str, json: bool) -> CliResult {
    let vault = ctx.unlock()?;
    let id = find(&vault, name)?;
    let meta = vault.meta(id)?;
    let versions = vault.history(id)?;
    if json {
        let out: Vec<VersionJson> = versions
            .iter()
            .map(|v| VersionJson {
                name: meta.name.to_string(),
                description: meta.description.clone(),
                version: v.version,
                created: v.created.to_rfc3339(),
                modified: v.replaced.unwrap_or(v.created).to_rfc3339(),
                current: v.replaced.is_none(),
            })
            .collect();
        return print_json(&out);
    }
    let rows: Vec<Vec<String>> = versions
        .iter()
        .map(|v| {
            vec![
                v.version.to_string(),
                v.created.to_rfc3339(),
                v.replaced.map_or_else(|| "(current)".to_owned(), |r| r.to_rfc3339()),
            ]
        })
        .collect();
    write_stdout(table(&["VERSION", "SET", "REPLACED"], &rows).as_bytes())
}

#[derive(Serialize)]
struct TrashJson {
    #[serde(flatten)]
    secret: SecretJson,
    deleted: String,
}

fn trash(ctx: &Context, json: bool) -> CliResult {
    let vault = ctx.unlock()?;
    let listing = vault.trash()?;
    if json {
        let out: Vec<TrashJson> = listing
            .items
            .iter()
            .map(|t| TrashJson { secret: SecretJson::from(&t.meta), deleted: t.deleted.to_rfc3339() })
            .collect();
        print_json(&out)?;
    } else if listing.items.is_empty() {
        eprintln!("The trash is empty.");
    } else {
        let rows: Vec<Vec<String>> = listing
            .items
            .iter()
            .map(|t| vec![t.meta.name.to_string(), t.deleted.to_rfc3339(), t.meta.description.clone()])
            .collect();
        write_stdout(table(&["NAME", "DELETED", "DESCRIPTION"], &rows).as_bytes())?;
    }
    damaged_result(listing.damaged)
}

/// The most recently trashed secret called `name`.
fn find_trashed(vault: &Vault, name: &str) -> CliResult<SecretId> {
    Ok(vault.find_in_trash(&parse_name(name)?)?)
}

fn restore(ctx: &Context, name: &str, as_name: Option<&str>) -> CliResult {
    let new_name = as_name.map(parse_name).transpose()?;
    let mut vault = ctx.unlock()?;
    let id = find_trashed(&vault, name)?;
    let meta = vault.restore(id, new_name).map_err(|e| match e {
        Error::NameTaken { name } => CliError {
            code: exit::NAME,
            message: format!("a secret named {name} already exists; restore under another name with --as NEW_NAME"),
        },
        e => e.into(),
    })?;
    eprintln!("Restored {}.", meta.name);
    Ok(())
}

fn purge(ctx: &Context, names: &[String], all: bool) -> CliResult {
    let mut vault = ctx.unlock()?;
    if all {
        let n = vault.empty_trash()?;
        eprintln!("Purged {n} secrets from the trash.");
        return Ok(());
    }
    let ids = names.iter().map(|n| find_trashed(&vault, n)).collect::<CliResult<Vec<_>>>()?;
    for id in ids {
        vault.purge(id)?;
    }
    eprintln!("Purged {} from the trash.", names.join(", "));
    Ok(())
}

fn passwd(ctx: &Context, new_file: Option<&Path>, kdf: &KdfArgs) -> CliResult {
    let params = kdf_params(kdf)?;
    let mut vault = ctx.unlock()?;
    let new = new_passphrase(new_file, "New passphrase")?;
    vault.change_passphrase(&new, params)?;
    eprintln!("Passphrase changed ({}).", vault.kdf_params());
    if let Some(warning) = vault.take_warning() {
        eprintln!("warning: {warning}");
    }
    eprintln!(
        "If the old passphrase may have leaked, also run `tresor rotate-key`: a copy of the file made before \
         now still opens with it, and holds the same vault key until you do."
    );
    Ok(())
}

fn rotate_key(ctx: &Context) -> CliResult {
    let passphrase = ctx.passphrase(&format!("Passphrase for {}: ", ctx.path.display()))?;
    if !ctx.path.exists() {
        return Err(Error::NoVault { path: ctx.path.clone() }.into());
    }
    let mut vault = ctx.unlock_with(&passphrase)?;
    vault.rotate_key(&passphrase)?;
    eprintln!("Rotated the vault key; every record is re-encrypted.");
    Ok(())
}

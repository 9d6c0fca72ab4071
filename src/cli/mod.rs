//! The command line: the clap definitions, the dispatch to one file per command family, the
//! passphrase and the exit codes. Every rule is the core's; this module only translates. It never
//! opens the app: `main.rs` does, when no subcommand is given.
//!
//! - `secrets.rs`: list, get, set, rename, rm, history, trash, restore, purge
//! - `keys.rs`: init, info, passwd, rotate-key
//! - `backups.rs`: backup, restore-backup
//! - `transfer.rs`: import, export
//! - `run.rs`: run
//! - `inject.rs`: inject (templates)
//! - `trust.rs`: trust, and the check before the current folder's `tresor.toml` is used
//! - `reference.rs`: completions and the man page (no vault, no passphrase)
//! - `output.rs`: stdout (one buffered, locked handle), tables and JSON

mod agent;
mod backups;
mod inject;
mod keys;
#[cfg(unix)]
mod mask_run;
mod output;
mod places;
mod reference;
mod run;
mod secrets;
mod sync;
mod transfer;
mod trust;

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

pub use output::Output;

use crate::vault::ops::{Request, Response};
use crate::vault::{Error, Passphrase, SecretId, SecretName, Vault};

/// Exit codes, the same for every command (the request layer's: the same whether a request ran
/// here or in the app).
pub use crate::vault::ops::exit;

#[derive(Parser, Debug)]
#[command(
    name = "tresor",
    version,
    about = "An offline, passphrase-protected vault for environment secrets.",
    after_help = "Exit codes: 0 success, 1 other error, 2 usage error, 3 wrong passphrase, 4 no such secret (or backup),\n\
                  5 integrity failure (damaged or tampered file or record, an older copy of it, a synced\n\
                  folder that went back, or devices that dispute a key change), 6 name already taken or invalid\n\
                  (import: a conflict under --on-conflict fail), 7 the current folder's tresor.toml is not trusted\n\
                  (see `tresor trust`), 8 denied in the Tresor app (or not answered there in time). `tresor run`\n\
                  becomes the program and ends as it ends (a shell reports 128 + N for signal N); 126/127 when\n\
                  it cannot be started or found."
)]
pub struct Cli {
    /// The vault file [default: the platform's data folder, e.g. ~/.local/share/tresor/vault.db]
    #[arg(long, global = true, env = "TRESOR_VAULT", value_name = "PATH", hide_env_values = true)]
    pub vault: Option<PathBuf>,

    /// Read the passphrase from the first line of this file instead of prompting
    #[arg(long, global = true, env = "TRESOR_PASSPHRASE_FILE", value_name = "PATH", hide_env_values = true)]
    pub passphrase_file: Option<PathBuf>,

    /// Open a vault that fails its integrity check read-only, to get out what is still readable
    #[arg(long, global = true)]
    pub salvage: bool,

    #[command(flatten)]
    pub place: places::PlaceArgs,

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
    #[command(after_help = "The value never goes on the command line (where `ps` and shell history would see \
it): it is read from stdin, a hidden prompt, a file (--from-file: its exact text, every byte kept; UTF-8, \
at most 4 MiB: store a binary file base64-encoded), or generated (--generate: from the operating system's \
random number generator; nothing is printed unless --print).\n\n\
Examples:\n  tresor set OPENAI_API_KEY\n  printf '%s' \"$KEY\" | tresor set OPENAI_API_KEY -d 'GPT calls'\n  \
tresor set GCP_SERVICE_ACCOUNT --from-file ./sa.json\n  tresor set SESSION_SECRET --generate --length 64 --kind base64url")]
    Set(secrets::SetArgs),
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
    /// Change the passphrase (the new one from --new-passphrase-file, or prompted twice); on a synced
    /// vault also a new vault key, which your other devices take with this passphrase at their next sync
    Passwd {
        #[arg(long, value_name = "PATH")]
        new_passphrase_file: Option<PathBuf>,
        #[command(flatten)]
        kdf: KdfArgs,
    },
    /// Replace the vault key and re-encrypt every record under the new one (on a synced vault, your other
    /// devices take it at their next sync)
    RotateKey,
    /// Back the vault up now, list its backups, or set how many are kept
    #[command(after_help = "Tresor also backs up by itself: before an import, a passphrase change, a key \
rotation or a purge, and on the first unlock of each day. Backups are encrypted vault files in \
<vault>.backups/ beside the vault; each opens with the passphrase the vault had when it was made.\n\n\
Examples:\n  tresor backup\n  tresor backup --list\n  tresor backup --keep 10")]
    Backup(backups::BackupArgs),
    /// Put the vault back to the state saved in a backup (the current state is backed up first)
    RestoreBackup(backups::RestoreArgs),
    /// Use a vault file that Tresor refused as an older copy of itself, because you put it back on purpose
    #[command(after_help = "Tresor remembers the newest state it has seen each vault file in (in its state \
folder, outside the vault's: $TRESOR_STATE_DIR, else ~/.local/state/tresor) and refuses a file that went back \
(exit 5): an older copy can bring back deleted secrets or a key you rotated. A restore made with \
`tresor restore-backup` is not a step back. If you replaced the file yourself (copied back a backup, undid a \
sync), this takes the file as it is now.")]
    AcceptRollback,
    /// Keep this vault in step with your other devices through a folder you already sync
    #[command(after_help = "Tresor never syncs its SQLite file: each device writes small encrypted, \
append-only change files into FOLDER/tresor-<vault id>/<device id>/, and every device merges all of them, \
secret by secret. The folder holds only ciphertext and what docs/sync.md lists (vault and device ids, \
numbers, sizes). An edit made on two devices without either seeing the other keeps both: the later \
shows, the other goes to the secret's history; an edit against a deletion keeps the secret. A command \
that writes to a synced vault publishes its change at once; `tresor sync` takes in the other devices' (the \
open app does both by itself). A rolled-back folder is exit 5. See docs/sync.md.\n\n\
Examples:\n  tresor sync init ~/Sync/tresor --name laptop\n  tresor --vault ~/.local/share/tresor/vault.db sync join ~/Sync/tresor --name desktop\n  \
tresor sync\n  tresor sync status")]
    Sync(sync::SyncArgs),
    /// Whether a Tresor app serves this vault to the command line, and what this terminal may reach
    #[command(after_help = "While the app has the vault unlocked, `get`, `list`, `run` and `diff` ask it \
instead of deriving the key: the app shows who asks (the program and its parents, its folder, its \
terminal) and what for, and you allow it once or for this terminal (until 10 minutes without a request, \
12 hours at most, and never past a lock). --passphrase-file or TRESOR_NO_APP=1 skip the app. Denied: exit 8.")]
    Status,
    /// Run a program with secrets added to its environment (no shell; exits with its code)
    #[command(after_help = "Which secrets: --only A,B; else those a profile declares (--profile FILE, or \
tresor.toml in the current folder when present and trusted: see `tresor trust`); else all of them — in an \
environment (-e), the project level's overlaid by the environment's own. A name that changes how programs \
run (PATH, LD_PRELOAD, GIT_SSH_COMMAND, HTTPS_PROXY, …) is set only when --only or a trusted profile names it.\n\
Profile format:\n  project = \"shop\"          # optional: the place, below -p/-e and TRESOR_PROJECT/TRESOR_ENV\n  \
env = \"production\"\n  [secrets]\n  OPENAI_API_KEY = { required = true, description = \"GPT calls\" }\n  \
LANGSMITH_API_KEY = { required = false }\n  DATABASE_URL = { from = \"Personal/PG_URL\" }   # or PROJECT/ENV/NAME\n\
A missing required secret or source, or a missing --only name, stops before the program starts.\n\
--mask: every injected value in the program's stdout and stderr becomes <NAME> as it streams (for logs, CI, \
an assistant reading the output; a value the program encodes, e.g. in base64, is not caught). Values shorter \
than 4 characters are not masked (a warning names them). With --mask Tresor does not become the program: \
it stays its parent, forwards every signal, exits with its code or dies of its signal, and gives it a \
pseudo-terminal for each of stdin, stdout and stderr that is a terminal for Tresor (Unix only). \
See docs/masking.md.\n\n\
Examples:\n  tresor run --only OPENAI_API_KEY -- python app.py --verbose\n  tresor run -p shop -e production -- ./deploy.sh\n  \
tresor run --mask -- npm test 2>&1 | tee ci.log")]
    Run(run::RunArgs),
    /// Trust the current folder's tresor.toml (or PATH) after showing what it reaches; or forget it
    #[command(after_help = "A tresor.toml in the current folder picks the project and environment commands act \
in, and the secrets `tresor run` hands to programs, from any project. It is used only once trusted: until \
then, a command it would decide anything for stops with exit code 7, before the vault is unlocked.\n\
`tresor trust` shows the place it selects, each secret and its `from` source (those outside its project \
marked) and the names that change how programs run, then records the file's path and a hash of its \
content (on a terminal, after you say yes). An edited or moved file needs trusting again.\n\
Scripts and CI jobs in a folder with a tresor.toml: run `tresor trust` once, or name the file with \
`tresor run --profile ./tresor.toml`.\n\n\
Examples:\n  tresor trust\n  tresor trust --list\n  tresor trust --revoke ../other/tresor.toml")]
    Trust(trust::TrustArgs),
    /// Import secrets from a .env, TOML or JSON file or a KeePass, Bitwarden or 1Password export,
    /// showing the plan first (never values)
    #[command(
        after_help = "The plan has one line per entry: add, update (the value differs), same, conflict, or skip \
with the reason.\n\
--on-conflict says what to do with a name that exists with a different value: fail (the default) refuses \
the whole import, skip keeps the vault's value, overwrite makes the file's value a new version (the old one \
stays in the history).\n\
The write is one transaction: all of the plan, or nothing.\n\
Another manager's entry becomes a secret named after its title, holding its one password or hidden field; \
see docs/importers.md. A KeePass file whose passphrase or key file is wrong exits with code 3.\n\n\
Examples:\n  tresor import .env --dry-run\n  tresor import secrets.toml --flatten --on-conflict overwrite\n  \
cat keys.json | tresor import - --format json\n  tresor import Passwords.kdbx --key-file vault.keyx --sections\n  \
tresor -p shop -e production import bitwarden_export.json"
    )]
    Import(transfer::ImportArgs),
    /// Fill a template's {{ tresor://NAME }} references and write it to a new 0600 file (or a pipe)
    #[command(after_help = "References: {{ tresor://NAME }} (in the command's place: -p/-e, the folder's \
tresor.toml), {{ tresor://PROJECT/NAME }} (a project's level) and {{ tresor://PROJECT/ENV/NAME }} (an \
environment, falling back to its project's level), as a profile's `from`. Everything else passes through \
byte for byte (other templates' {{ … }} too). A reference that does not resolve stops with its line and \
column, and nothing is written. The output goes to --output FILE (created 0600; an existing file is \
replaced only with --force), or to stdout when it is not a terminal (or with --force).\n\n\
Examples:\n  tresor inject -i config.yml.tpl -o config.yml\n  tresor -p shop -e production inject -i .env.tpl | docker compose --env-file /dev/stdin up")]
    Inject(inject::InjectArgs),
    /// Export secrets as .env, TOML or JSON (plaintext: to a pipe, or to a new 0600 file)
    #[command(after_help = "Examples:\n  tresor export --output backup.env\n  \
tresor export --format json --only OPENAI_API_KEY,HF_TOKEN > keys.json\n\
The file reads back byte for byte in Tresor and in python-dotenv / TOML / JSON readers.")]
    Export(transfer::ExportArgs),
    /// List projects, or create, rename, delete (to the trash) or restore one
    #[command(after_help = "Examples:\n  tresor projects\n  tresor projects create shop\n  \
tresor projects rename shop 'web shop'\n  tresor projects rm shop\n  tresor projects restore shop")]
    Projects(places::ProjectsArgs),
    /// List a project's environments (-p), or create, rename, delete, restore or reorder them
    #[command(after_help = "Examples:\n  tresor envs -p shop\n  tresor envs -p shop create qa\n  \
tresor envs -p shop order development qa staging production")]
    Envs(places::EnvsArgs),
    /// Compare what environments of a project resolve to: names missing or with different values (never values)
    #[command(after_help = "Exit codes: 0, or with --exit-code 1 when they differ.\n\n\
Example: tresor diff -p shop staging production --exit-code")]
    Diff(places::DiffArgs),
    /// Copy a secret (value and description) to another project or environment
    #[command(after_help = "Examples:\n  tresor cp -p shop -e staging DB_URL shop/production\n  \
tresor cp OPENAI_API_KEY shop            # from the default project to shop's shared secrets")]
    Cp(places::CopyArgs),
    /// Move a secret, with its history, to another project or environment
    Mv(places::MoveArgs),
    /// Print a shell completion script (bash, zsh, fish or powershell) to stdout
    #[command(
        after_help = "Examples:\n  tresor completions bash > ~/.local/share/bash-completion/completions/tresor\n  \
tresor completions zsh > ~/.zfunc/_tresor\n  \
tresor completions fish > ~/.config/fish/completions/tresor.fish"
    )]
    Completions {
        #[arg(value_enum)]
        shell: reference::Shell,
    },
    /// Print the manual page (roff) to stdout: tresor(1), or a command's tresor-COMMAND(1)
    #[command(after_help = "Examples:\n  tresor man > ~/.local/share/man/man1/tresor.1 && man tresor\n  \
tresor man import > ~/.local/share/man/man1/tresor-import.1")]
    Man {
        /// The command whose page to print
        command: Option<String>,
    },
}

#[derive(Args, Debug, Default)]
pub struct KdfArgs {
    /// Argon2id memory in MiB
    #[arg(long, value_name = "MIB", help = keys::memory_help())]
    pub kdf_memory_mib: Option<u32>,
    /// Argon2id passes
    #[arg(long, value_name = "N", help = keys::iterations_help())]
    pub kdf_iterations: Option<u32>,
    /// Argon2id lanes
    #[arg(long, value_name = "N", help = keys::parallelism_help())]
    pub kdf_parallelism: Option<u32>,
}

/// A failure with the exit code it maps to. Its message is one sentence for stderr.
#[derive(Debug)]
pub struct CliError {
    pub code: i32,
    pub message: String,
}

impl CliError {
    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        CliError { code: exit::USAGE, message: message.into() }
    }
    /// Any other failure (exit 1).
    pub fn other(message: impl Into<String>) -> Self {
        CliError { code: exit::OTHER, message: message.into() }
    }
}

impl From<Error> for CliError {
    fn from(e: Error) -> Self {
        crate::vault::ops::Failure::from(e).into()
    }
}

impl From<crate::vault::ops::Failure> for CliError {
    fn from(f: crate::vault::ops::Failure) -> Self {
        CliError { code: f.code, message: f.message }
    }
}

type CliResult<T = ()> = Result<T, CliError>;

/// Parses the process arguments. A usage error (or `--help`, `--version`) is printed and the
/// process exits with clap's code (2 for a usage error, 0 for help).
pub fn parse() -> Cli {
    Cli::parse()
}

impl Cli {
    /// The vault this command line names: `--vault PATH` (or `TRESOR_VAULT`), else the platform's
    /// default. Both front ends open the same file.
    pub fn vault_path(&self) -> Result<PathBuf, CliError> {
        match &self.vault {
            Some(path) => Ok(path.clone()),
            None => Vault::default_path()
                .ok_or_else(|| CliError::other("cannot find a data folder for the vault; pass --vault PATH")),
        }
    }
}

/// Runs a parsed command line with a subcommand; returns the exit code (`tresor run`: the
/// program's). Errors are printed here, as one sentence on stderr.
pub fn run(cli: Cli) -> i32 {
    match execute(cli) {
        Ok(code) => code,
        Err(e) => {
            report(&e);
            e.code
        }
    }
}

/// Prints a failure the way every command does: `tresor: MESSAGE` on stderr.
pub fn report(e: &CliError) {
    eprintln!("tresor: {}", output::terminal_safe(&e.message));
}

fn execute(cli: Cli) -> CliResult<i32> {
    // Completions and the man page need no vault: they describe the command line itself.
    let needs_vault =
        !matches!(cli.command, Some(Command::Completions { .. } | Command::Man { .. } | Command::Trust(_)));
    let path = if needs_vault { cli.vault_path()? } else { PathBuf::new() };
    let Some(command) = cli.command else {
        return Err(CliError::usage("no command given; see `tresor --help`"));
    };
    // The current folder's tresor.toml, checked (and trusted) before anything else happens.
    let folder = match folder_use(&command) {
        Some(usage) => trust::folder_profile(&cli.place, usage)?,
        None => None,
    };
    let mut out = Output::stdout();
    let ctx = Context { path, passphrase_file: cli.passphrase_file, salvage: cli.salvage, place: cli.place, folder };
    let done = match command {
        Command::Run(args) => return run::run(&ctx, args),
        Command::Diff(args) => {
            let exit_code = args.exit_code;
            let differ = places::diff(&ctx, &mut out, args);
            let flushed = out.finish();
            return match (differ, flushed) {
                (Ok(true), Ok(())) if exit_code => Ok(exit::OTHER),
                (Ok(_), Ok(())) => Ok(exit::OK),
                (Err(e), _) | (Ok(_), Err(e)) => Err(e),
            };
        }
        Command::Projects(args) => places::projects(&ctx, &mut out, args),
        Command::Envs(args) => places::envs(&ctx, &mut out, args),
        Command::Cp(args) => places::cp(&ctx, args),
        Command::Mv(args) => places::mv(&ctx, args),
        Command::Import(args) => transfer::import(&ctx, &mut out, args),
        Command::Export(args) => transfer::export(&ctx, &mut out, args),
        Command::Inject(args) => inject::inject(&ctx, &mut out, args),
        Command::Init(kdf) => keys::init(&ctx, &kdf),
        Command::Info { json } => keys::info(&ctx, &mut out, json),
        Command::List { json } => secrets::list(&ctx, &mut out, json),
        Command::Get { name, version } => secrets::get(&ctx, &mut out, &name, version),
        Command::Set(args) => secrets::set(&ctx, &mut out, args),
        Command::Rename { old, new } => secrets::rename(&ctx, &old, &new),
        Command::Rm { names } => secrets::rm(&ctx, &names),
        Command::History { name, json } => secrets::history(&ctx, &mut out, &name, json),
        Command::Trash { json } => secrets::trash(&ctx, &mut out, json),
        Command::Restore { name, as_name } => secrets::restore(&ctx, &name, as_name.as_deref()),
        Command::Purge { names, all } => secrets::purge(&ctx, &names, all),
        Command::Passwd { new_passphrase_file, kdf } => keys::passwd(&ctx, new_passphrase_file.as_deref(), &kdf),
        Command::RotateKey => keys::rotate_key(&ctx),
        Command::Backup(args) => backups::backup(&ctx, &mut out, args),
        Command::RestoreBackup(args) => backups::restore(&ctx, args),
        Command::AcceptRollback => backups::accept_rollback(&ctx),
        Command::Sync(args) => sync::sync(&ctx, &mut out, args),
        Command::Status => agent::status(&ctx, &mut out),
        Command::Trust(args) => trust::trust(&mut out, args),
        Command::Completions { shell } => reference::completions(&mut out, shell),
        Command::Man { command } => reference::man(&mut out, command.as_deref()),
    };
    // What was printed before a failure (e.g. the readable rows before a damaged one) still goes
    // out, before the error's message.
    let flushed = out.finish();
    done.and(flushed).map(|()| exit::OK)
}

/// What a command takes from the current folder's `tresor.toml`, if anything: the commands that
/// act in a place, and `run` without `--profile`. A command left out never reads the file.
fn folder_use(command: &Command) -> Option<trust::FolderUse> {
    use trust::FolderUse;
    match command {
        Command::Run(args) if args.profile.is_some() => None,
        Command::Run(args) => Some(FolderUse::Run { secrets: args.only.is_none() }),
        Command::Envs(_) | Command::Diff(_) => Some(FolderUse::Project),
        Command::Purge { all: true, .. } => None,
        Command::List { .. }
        | Command::Get { .. }
        | Command::Set(_)
        | Command::Rename { .. }
        | Command::Rm { .. }
        | Command::History { .. }
        | Command::Restore { .. }
        | Command::Purge { .. }
        | Command::Import(_)
        | Command::Export(_)
        | Command::Inject(_)
        | Command::Cp(_)
        | Command::Mv(_) => Some(FolderUse::Place),
        Command::Init(_)
        | Command::Info { .. }
        | Command::Trash { .. }
        | Command::Passwd { .. }
        | Command::RotateKey
        | Command::Backup(_)
        | Command::RestoreBackup(_)
        | Command::AcceptRollback
        | Command::Sync(_)
        | Command::Status
        | Command::Projects(_)
        | Command::Trust(_)
        | Command::Completions { .. }
        | Command::Man { .. } => None,
    }
}

/// What every command that opens the vault needs: where it is and how to get the passphrase.
struct Context {
    path: PathBuf,
    passphrase_file: Option<PathBuf>,
    salvage: bool,
    /// Where secret commands act (see `places.rs`).
    place: places::PlaceArgs,
    /// The current folder's `tresor.toml` when it decides something for this command: only ever
    /// a trusted one (see `trust.rs`).
    folder: Option<crate::interchange::profile::Profile>,
}

impl Context {
    /// Runs a request: in this process, after unlocking the vault (the app's way comes first
    /// where it serves the vault: see `agent.rs`).
    fn execute(&self, request: Request) -> CliResult<Response> {
        if let agent::ThroughApp::Answered(answer) = self.through_app(&request) {
            return answer;
        }
        let mut vault = self.unlock()?;
        Ok(vault.execute(request)?)
    }

    fn passphrase(&self, prompt: &str) -> CliResult<Passphrase> {
        match &self.passphrase_file {
            Some(file) => read_passphrase_file(file),
            None => prompt_hidden(prompt).map(Passphrase::new),
        }
    }

    fn unlock(&self) -> CliResult<Unlocked> {
        // Say "no vault" before asking for a passphrase that cannot be checked.
        if !self.path.exists() {
            return Err(Error::NoVault { path: self.path.clone() }.into());
        }
        confirm_slow_unlock(&Vault::unlock_estimate(&self.path)?)?;
        let passphrase = self.passphrase(&format!("Passphrase for {}: ", output::shown_path(&self.path)))?;
        self.unlock_with(&passphrase)
    }

    fn unlock_with(&self, passphrase: &Passphrase) -> CliResult<Unlocked> {
        let mut vault = if self.salvage {
            eprintln!("warning: opened read-only for salvage; the vault's integrity check is skipped");
            Vault::unlock_for_salvage(&self.path, passphrase)?
        } else {
            Vault::unlock(&self.path, passphrase)?
        };
        if let Some(warning) = vault.take_warning() {
            eprintln!("warning: {}", output::terminal_safe(&warning.to_string()));
        }
        Ok(Unlocked(Some(vault)))
    }
}

/// A vault a command unlocked. When the command is done with it, a synced vault that the command
/// wrote to publishes the change at once (the device's next change file, taking in the others'
/// on the way), as the app does: "after each local write". Said on stderr; a sync that fails is
/// a warning (the write itself is done, and the next sync carries it).
pub(crate) struct Unlocked(Option<Vault>);

impl std::ops::Deref for Unlocked {
    type Target = Vault;
    fn deref(&self) -> &Vault {
        self.0.as_ref().expect("held until dropped")
    }
}

impl std::ops::DerefMut for Unlocked {
    fn deref_mut(&mut self) -> &mut Vault {
        self.0.as_mut().expect("held until dropped")
    }
}

impl Drop for Unlocked {
    fn drop(&mut self) {
        let Some(mut vault) = self.0.take() else { return };
        if vault.take_changes().is_empty() || !matches!(vault.sync_folder(), Ok(Some(_))) {
            return;
        }
        match vault.sync_now() {
            Ok(report) => sync::say(&report),
            Err(e) => eprintln!("warning: not synced: {}", output::terminal_safe(&e.to_string())),
        }
    }
}

/// Before an unlock that would run far longer than Tresor ever sets up: on a terminal, ask; in a
/// script, refuse (nobody would see why it hangs).
fn confirm_slow_unlock(estimate: &crate::vault::UnlockEstimate) -> CliResult {
    use std::io::{IsTerminal, Write};
    if !estimate.is_unusual() {
        return Ok(());
    }
    let minutes = (estimate.time.as_secs_f64() / 60.0).ceil();
    let warning = format!(
        "unlocking this vault would take about {minutes} minutes here: its key-derivation parameters ({}) are far \
         above what Tresor sets up (about {} s); if you did not choose them, the file was altered",
        estimate.kdf,
        crate::vault::UNLOCK_TARGET.as_secs()
    );
    if !std::io::stdin().is_terminal() {
        return Err(CliError::other(format!("{warning}; not unlocking without a confirmation on a terminal")));
    }
    eprint!("warning: {warning}. Unlock anyway? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).map_err(|e| CliError::other(format!("cannot read the answer: {e}")))?;
    if matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES") {
        Ok(())
    } else {
        Err(CliError::other("not unlocked; nothing was changed"))
    }
}

/// The most of a passphrase file that is read: its first line is the passphrase.
const PASSPHRASE_FILE_MAX: u64 = 64 * 1024;

/// The first line of a passphrase file (up to the first `\n` or `\r`). Like ssh with a key, a
/// file that others may read or write is refused: a passphrase is only as safe as its file.
fn read_passphrase_file(file: &Path) -> CliResult<Passphrase> {
    use std::io::Read;
    let cannot = |e: std::io::Error| {
        CliError::other(format!("cannot read the passphrase file {}: {}", file.display(), crate::fs::io_reason(&e)))
    };
    let opened = std::fs::File::open(file).map_err(cannot)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let mode = opened.metadata().map_err(cannot)?.mode();
        if mode & 0o077 != 0 {
            return Err(CliError::other(format!(
                "the passphrase file {} can be read or written by other users (mode {:04o}); make it yours \
                 alone with `chmod 600 {}`",
                file.display(),
                mode & 0o7777,
                file.display()
            )));
        }
    }
    let mut bytes = zeroize::Zeroizing::new(Vec::new());
    opened.take(PASSPHRASE_FILE_MAX).read_to_end(&mut bytes).map_err(cannot)?;
    let end = bytes.iter().position(|&b| b == b'\n' || b == b'\r').unwrap_or(bytes.len());
    let first = std::str::from_utf8(&bytes[..end])
        .map_err(|_| CliError::usage(format!("the passphrase file {} is not UTF-8 text", file.display())))?;
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

fn parse_name(text: &str) -> CliResult<SecretName> {
    SecretName::parse(text).map_err(|e| Error::from(e).into())
}

/// The secret `name` resolves to in the command's place (in an environment: its own, else the
/// project level's).
fn find(ctx: &Context, vault: &Vault, name: &str) -> CliResult<SecretId> {
    let place = ctx.place(vault)?;
    Ok(vault.find(&place, &parse_name(name)?)?.0)
}

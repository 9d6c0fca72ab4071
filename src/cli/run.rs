//! `tresor run`: starts a program with secrets in its environment and becomes its exit code.
//!
//! The program is started directly (no shell: nothing is expanded or re-parsed). Which secrets:
//! `--only A,B`; else those a profile declares (`--profile FILE`, or `tresor.toml` in the current
//! folder when present); else all. Everything that can stop the run — a missing secret, a bad
//! profile, a value an environment cannot hold — is checked before the program starts.
//!
//! Signals (Unix): Ctrl+C and Ctrl+\ go from the terminal to the whole foreground process group,
//! so the program gets them directly; Tresor only stops them from ending itself first. SIGTERM
//! and SIGHUP, which are sent to Tresor alone, are passed on to the program. Either way Tresor
//! waits and exits with what the program exits with (128 + N when signal N ended it, as shells
//! report it).
//!
//! Memory: the secrets are read into wiped-on-drop values and dropped as soon as the program has
//! started. The standard library's copy of the environment it builds for the program is freed
//! without being wiped; short of calling `execve` by hand, that copy cannot be reached.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

use clap::Args;

use super::{CliError, CliResult, Context, exit, parse_name};
use crate::interchange::profile::Profile;
use crate::vault::{Error, SecretName, SecretValue, Vault};

/// The profile read when `--profile` is not given, if it exists in the current folder.
pub const DEFAULT_PROFILE: &str = "tresor.toml";

/// What `--no-inherit-env` keeps from Tresor's own environment.
pub const KEPT_WITHOUT_INHERIT: [&str; 5] = ["PATH", "HOME", "USER", "LANG", "TERM"];

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Inject just these secrets (comma-separated); a missing one stops before CMD starts
    #[arg(long, value_delimiter = ',', value_name = "A,B", conflicts_with = "profile")]
    pub only: Option<Vec<String>>,
    /// Start CMD with only the secrets plus PATH, HOME, USER, LANG and TERM
    #[arg(long)]
    pub no_inherit_env: bool,
    /// The secrets CMD needs, as a TOML profile [default: ./tresor.toml when present]
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
    /// The program and its arguments (after `--`)
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

/// Where the list of secrets to inject comes from.
enum Selection {
    All,
    Only(Vec<SecretName>),
    Profile { path: PathBuf, profile: Profile },
}

fn selection(args: &RunArgs) -> CliResult<Selection> {
    if let Some(only) = &args.only {
        let names = only.iter().map(|n| parse_name(n.trim())).collect::<CliResult<Vec<_>>>()?;
        return Ok(Selection::Only(names));
    }
    let path = match &args.profile {
        Some(path) => path.clone(),
        None if Path::new(DEFAULT_PROFILE).is_file() => PathBuf::from(DEFAULT_PROFILE),
        None => return Ok(Selection::All),
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| CliError::other(format!("cannot read the profile {}: {e}", path.display())))?;
    let profile = Profile::parse(&text)
        .map_err(|e| CliError::other(format!("the profile {} cannot be used: {e}", path.display())))?;
    Ok(Selection::Profile { path, profile })
}

/// The secrets to inject, or the error that stops the run before anything starts.
fn secrets_for(vault: &Vault, selection: &Selection) -> CliResult<Vec<(SecretName, SecretValue)>> {
    match selection {
        Selection::All => Ok(vault.export_entries(None)?),
        Selection::Only(names) => vault.export_entries(Some(names)).map_err(|e| match e {
            Error::NotFound { name } => {
                CliError { code: exit::NOT_FOUND, message: format!("no secret named {name}; nothing was started") }
            }
            e => e.into(),
        }),
        Selection::Profile { path, profile } => {
            let mut present = Vec::new();
            let mut missing = Vec::new();
            for declared in &profile.secrets {
                match vault.find(&declared.name) {
                    Ok(_) => present.push(declared.name.clone()),
                    Err(Error::NotFound { .. }) if declared.required => missing.push(declared.name.as_str()),
                    Err(Error::NotFound { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            if !missing.is_empty() {
                return Err(CliError {
                    code: exit::NOT_FOUND,
                    message: format!(
                        "the profile {} requires secrets that are not in the vault: {}; nothing was started",
                        path.display(),
                        missing.join(", ")
                    ),
                });
            }
            Ok(vault.export_entries(Some(&present))?)
        }
    }
}

pub(super) fn run(ctx: &Context, args: RunArgs) -> CliResult<i32> {
    let selection = selection(&args)?;
    let vault = ctx.unlock()?;
    let secrets = secrets_for(&vault, &selection)?;
    drop(vault);
    if let Some((name, _)) = secrets.iter().find(|(_, v)| v.expose().contains('\0')) {
        return Err(CliError::other(format!(
            "{name} contains a NUL character, which an environment variable cannot hold; nothing was started"
        )));
    }

    let (program, program_args) = args.command.split_first().expect("clap requires CMD");
    let mut command = Command::new(program);
    command.args(program_args);
    if args.no_inherit_env {
        command.env_clear();
        for key in KEPT_WITHOUT_INHERIT {
            if let Some(value) = std::env::var_os(key) {
                command.env(key, value);
            }
        }
    }
    for (name, value) in &secrets {
        command.env(name.as_str(), value.expose());
    }

    signals::shield();
    let spawned = command.spawn();
    drop(command);
    drop(secrets);
    let mut child = spawned.map_err(|e| {
        let shown = program.to_string_lossy();
        match e.kind() {
            std::io::ErrorKind::NotFound => CliError { code: 127, message: format!("cannot run {shown}: not found") },
            std::io::ErrorKind::PermissionDenied => {
                CliError { code: 126, message: format!("cannot run {shown}: permission denied") }
            }
            _ => CliError { code: 126, message: format!("cannot run {shown}: {e}") },
        }
    })?;
    signals::forward_to(child.id());
    let status = child.wait().map_err(|e| CliError::other(format!("cannot wait for the program: {e}")))?;
    Ok(exit_code(status))
}

/// The program's exit code; on Unix, 128 + N when signal N ended it (as shells report it).
fn exit_code(status: ExitStatus) -> i32 {
    if let Some(code) = status.code() {
        return code;
    }
    #[cfg(unix)]
    if let Some(signal) = std::os::unix::process::ExitStatusExt::signal(&status) {
        return 128 + signal;
    }
    exit::OTHER
}

#[cfg(unix)]
mod signals {
    //! Handlers, not `SIG_IGN`: an ignored signal stays ignored in the program after `exec`,
    //! while a handled one is reset to its default there. So the program keeps normal Ctrl+C
    //! behaviour, and Tresor outlives it to report its exit code.

    use std::sync::atomic::{AtomicI32, Ordering};

    /// The program's pid once started; 0 before.
    static CHILD: AtomicI32 = AtomicI32::new(0);
    /// A SIGTERM/SIGHUP that came before the program had a pid, to pass on once it has one.
    static PENDING: AtomicI32 = AtomicI32::new(0);

    extern "C" fn do_nothing(_: libc::c_int) {}

    extern "C" fn pass_on(signal: libc::c_int) {
        let pid = CHILD.load(Ordering::SeqCst);
        if pid > 0 {
            // SAFETY: kill(2) is async-signal-safe; `pid` is our own child, which we have not
            // waited for yet, so the pid cannot have been reused.
            unsafe { libc::kill(pid, signal) };
        } else {
            PENDING.store(signal, Ordering::SeqCst);
        }
    }

    fn install(signal: libc::c_int, handler: extern "C" fn(libc::c_int)) {
        // SAFETY: a zeroed sigaction is a valid "no flags, empty mask" value; the handlers above
        // only touch atomics and call kill(2), which is allowed in a signal handler.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = handler as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }

    /// From now until Tresor exits: Ctrl+C and Ctrl+\ do not end Tresor; SIGTERM and SIGHUP
    /// are passed on to the program.
    pub fn shield() {
        install(libc::SIGINT, do_nothing);
        install(libc::SIGQUIT, do_nothing);
        install(libc::SIGTERM, pass_on);
        install(libc::SIGHUP, pass_on);
    }

    pub fn forward_to(pid: u32) {
        let Ok(pid) = i32::try_from(pid) else { return };
        CHILD.store(pid, Ordering::SeqCst);
        let pending = PENDING.swap(0, Ordering::SeqCst);
        if pending != 0 {
            // SAFETY: as in `pass_on`.
            unsafe { libc::kill(pid, pending) };
        }
    }
}

#[cfg(not(unix))]
mod signals {
    //! Elsewhere the console delivers Ctrl+C to every process attached to it, the program
    //! included; there is nothing to pass on.
    pub fn shield() {}
    pub fn forward_to(_pid: u32) {}
}

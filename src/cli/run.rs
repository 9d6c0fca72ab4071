//! `tresor run`: starts a program with secrets in its environment and becomes its exit code.
//!
//! The program is started directly (no shell: nothing is expanded or re-parsed). Which secrets:
//! `--only A,B`; else those a profile declares (`--profile FILE`, or `tresor.toml` in the current
//! folder when present and trusted); else all. Everything that can stop the run — a missing secret, a bad
//! profile, a value an environment cannot hold — is checked before the program starts.
//!
//! On Unix, Tresor *becomes* the program (`execve`, after the vault and its keys are dropped):
//! its process id, its signals and its exit are the program's own. Whatever a supervisor sends
//! to the process (INT, TERM, HUP, QUIT, USR1, USR2, WINCH, …) reaches the program, a signal from
//! the terminal arrives once, and no Tresor is left to outlive the program or to be killed
//! without it. Elsewhere the program is started as a child and waited for, and Tresor exits with
//! its code.
//!
//! What the program gets: the secrets, never a `TRESOR_*` variable (the vault's path, the
//! passphrase file's) of Tresor's own environment. A secret whose name changes how programs load
//! or run (`PATH`, `LD_PRELOAD`, `GIT_SSH_COMMAND`, `HTTPS_PROXY`, …:
//! [`crate::interchange::profile::changes_how_programs_run`]) is injected only when the user
//! named it: `--only`, or a profile they trusted (`tresor trust`, which shows these names);
//! otherwise it is skipped with a warning naming it.
//!
//! The folder's `tresor.toml` reaches this module only once trusted (see `trust.rs`: the check
//! runs before the vault is unlocked); a profile named with `--profile` is the user's own choice
//! and needs no trust, except for the names that change how programs run.
//!
//! Memory: the secrets are read into wiped-on-drop values; the environment handed to the program
//! is the only other copy, and the program's image replaces Tresor's memory.
//!
//! With `--mask` (Unix), Tresor does not become the program: it stays its parent to replace the
//! values in its output (`mask_run.rs`).

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;

use clap::Args;

use super::output::shown_path;
use super::trust::{FOLDER_FILE, ProfileFile};
use super::{CliError, CliResult, Context, exit, parse_name};
#[cfg(unix)]
use crate::interchange::mask::{Masker, SHORTEST_MASKED};
use crate::interchange::profile::{Profile, ProfileSecret, changes_how_programs_run};
use crate::vault::ops::{At, Request, Response, Wanted};
use crate::vault::{SecretName, SecretValue};

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
    /// The secrets CMD needs, as a TOML profile [default: ./tresor.toml when present and trusted]
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
    /// Replace every injected value in CMD's stdout and stderr with <NAME> (Tresor stays CMD's parent)
    #[arg(long)]
    pub mask: bool,
    /// The program and its arguments (after `--`)
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

/// Where the list of secrets to inject comes from.
enum Selection {
    All,
    Only(Vec<SecretName>),
    /// `trusted`: the user trusted this file as it is (`tresor trust`), so the names in it that
    /// change how programs run are set too.
    Profile {
        path: PathBuf,
        secrets: Vec<ProfileSecret>,
        trusted: bool,
    },
}

/// Which secrets, and the profile that names the place (if one is used): `--profile FILE` (read
/// once: the bytes checked against a trust record are the bytes parsed), else the folder's
/// `tresor.toml` as checked before the command started (only ever a trusted one).
fn selection(ctx: &Context, args: &RunArgs) -> CliResult<(Selection, Option<Profile>)> {
    let (path, profile, trusted) = match &args.profile {
        Some(path) => {
            let file = ProfileFile::read(path)?;
            let profile = file.parse()?;
            // Only a file that names such a secret needs its trust record looked up.
            let names_loaders = profile.secrets.iter().flatten().any(|s| changes_how_programs_run(s.name.as_str()));
            let trusted = names_loaders && file.is_trusted()?;
            (path.clone(), Some(profile), trusted)
        }
        None => (PathBuf::from(FOLDER_FILE), ctx.folder.clone(), true),
    };
    if let Some(only) = &args.only {
        let names = only.iter().map(|n| parse_name(n.trim())).collect::<CliResult<Vec<_>>>()?;
        return Ok((Selection::Only(names), profile));
    }
    let selection = match profile.as_ref().and_then(|p| p.secrets.clone()) {
        Some(secrets) => Selection::Profile { path, secrets, trusted },
        // No profile, or one that only names the place: everything there.
        None => Selection::All,
    };
    Ok((selection, profile))
}

fn not_started(message: String) -> CliError {
    CliError { code: exit::NOT_FOUND, message: format!("{message}; nothing was started") }
}

/// The request for the secrets to inject: everything the place resolves to, or the named ones.
fn request_for(at: At, selection: &Selection) -> Request {
    let wanted = match selection {
        Selection::All => None,
        Selection::Only(names) => {
            let mut seen = std::collections::HashSet::new();
            let names = names.iter().filter(|n| seen.insert(*n));
            Some(
                names
                    .map(|n| Wanted {
                        var: n.to_string(),
                        from: None,
                        name: n.to_string(),
                        required: true,
                        shown: n.to_string(),
                    })
                    .collect(),
            )
        }
        Selection::Profile { secrets, .. } => Some(
            secrets
                .iter()
                .map(|declared| match &declared.from {
                    None => Wanted {
                        var: declared.name.to_string(),
                        from: None,
                        name: declared.name.to_string(),
                        required: declared.required,
                        shown: declared.name.to_string(),
                    },
                    Some(from) => Wanted {
                        var: declared.name.to_string(),
                        from: Some(At::new(Some(from.project.as_str()), from.env.as_ref().map(|e| e.as_str()))),
                        name: from.name.to_string(),
                        required: declared.required,
                        shown: format!("{} (from {from})", declared.name),
                    },
                })
                .collect(),
        ),
    };
    Request::Resolve { at, wanted }
}

/// The secrets to inject, or the error that stops the run before anything starts.
fn secrets_for(response: Response, selection: &Selection) -> CliResult<Vec<(String, SecretValue)>> {
    let Response::Resolved { values, missing, bad_sources } = response else {
        unreachable!("a resolve answers with values")
    };
    match selection {
        Selection::Profile { path, .. } => {
            // A source's project or environment that does not exist is a mistake in the profile.
            if let Some((shown, why)) = bad_sources.first() {
                return Err(not_started(format!("the profile {}: {shown}: {why}", shown_path(path))));
            }
            if !missing.is_empty() {
                return Err(not_started(format!(
                    "the profile {} requires secrets that are not in the vault: {}",
                    shown_path(path),
                    missing.join(", ")
                )));
            }
        }
        _ if !missing.is_empty() => return Err(not_started(format!("no secret named {}", missing.join(", ")))),
        _ => {}
    }
    Ok(values)
}

pub(super) fn run(ctx: &Context, args: RunArgs) -> CliResult<i32> {
    #[cfg(unix)]
    if args.mask {
        super::mask_run::protect_memory();
    }
    #[cfg(not(unix))]
    if args.mask {
        return Err(CliError::other("--mask needs a Unix system (pseudo-terminals); nothing was started"));
    }
    let (selection, profile) = selection(ctx, &args)?;
    let request = request_for(ctx.at_with(profile.as_ref()), &selection);
    let mut secrets = secrets_for(ctx.execute(request)?, &selection)?;
    // Names that change how programs run are set only when the user named them: on the command
    // line, or in a profile they trusted (where `tresor trust` showed them).
    let advice = match &selection {
        Selection::Only(_) | Selection::Profile { trusted: true, .. } => None,
        Selection::All => Some("name them with --only or in a trusted profile to set them".to_owned()),
        Selection::Profile { path, .. } => Some(format!(
            "the profile {0} names them but is not trusted; `tresor trust {0}` shows it and allows them",
            shown_path(path)
        )),
    };
    if let Some(advice) = advice {
        let skipped: Vec<String> =
            secrets.iter().filter(|(n, _)| changes_how_programs_run(n)).map(|(n, _)| n.clone()).collect();
        if !skipped.is_empty() {
            secrets.retain(|(n, _)| !changes_how_programs_run(n));
            eprintln!("warning: not setting {} (they change how programs load or run); {advice}", skipped.join(", "));
        }
    }
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
    // Where the vault and its passphrase file are is nothing the program needs to know.
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("TRESOR_") {
            command.env_remove(key);
        }
    }
    for (name, value) in &secrets {
        command.env(name, value.expose());
    }
    #[cfg(unix)]
    let masker = args.mask.then(|| {
        let (masker, too_short) = Masker::new(secrets.iter().map(|(n, v)| (n.as_str(), v.expose().as_bytes())));
        if !too_short.is_empty() {
            eprintln!("warning: not masking {} (shorter than {SHORTEST_MASKED} characters)", too_short.join(", "));
        }
        masker
    });
    drop(secrets);
    let cannot_run = |e: std::io::Error| {
        let shown = program.to_string_lossy();
        match e.kind() {
            std::io::ErrorKind::NotFound => CliError { code: 127, message: format!("cannot run {shown}: not found") },
            std::io::ErrorKind::PermissionDenied => {
                CliError { code: 126, message: format!("cannot run {shown}: permission denied") }
            }
            _ => CliError { code: 126, message: format!("cannot run {shown}: {e}") },
        }
    };
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        if let Some(masker) = masker {
            return super::mask_run::run_masked(command, masker, cannot_run);
        }
        // Returns only if the program could not be started.
        Err(cannot_run(command.exec()))
    }
    #[cfg(not(unix))]
    {
        let status = command.spawn().map_err(cannot_run)?.wait();
        let status = status.map_err(|e| CliError::other(format!("cannot wait for the program: {e}")))?;
        Ok(status.code().unwrap_or(exit::OTHER))
    }
}

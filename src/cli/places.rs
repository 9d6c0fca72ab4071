//! Where secret commands act (`--project`/`-p`, `--env`/`-e`, `--shared`, `TRESOR_PROJECT`,
//! `TRESOR_ENV`, `tresor.toml`), and `tresor projects`, `envs`, `diff`, `cp` and `mv`. The rules
//! (names, uniqueness, override, what an environment resolves to) are the core's.

use clap::{Args, Subcommand};
use serde::Serialize;

use super::{CliError, CliResult, Context, Output, exit, parse_name};
use crate::interchange::profile::Profile;
use crate::vault::ops::{Acted, At, Request, Response, quoted};
use crate::vault::{Error, Origin, Place, PlaceName, ProjectInfo, Vault};

/// The place options every secret command takes.
#[derive(Args, Debug, Default, Clone)]
pub struct PlaceArgs {
    /// The project [default: TRESOR_PROJECT, else `project` in ./tresor.toml once trusted, else the default project]
    #[arg(long, short = 'p', global = true, value_name = "PROJECT")]
    pub project: Option<String>,
    /// The environment of the project [default: TRESOR_ENV, else `env` in ./tresor.toml once trusted, else the project's shared secrets]
    #[arg(long = "env", short = 'e', global = true, value_name = "ENV")]
    pub env: Option<String>,
    /// The project's shared secrets (seen by every environment of the project), even if an environment is set elsewhere
    #[arg(long, global = true, conflicts_with = "env")]
    pub shared: bool,
}

/// A variable's value, if set and not empty.
pub(super) fn variable(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Context {
    /// The project named by the flag, else the variable, else `profile` (the folder's trusted
    /// `tresor.toml`, or `run`'s `--profile`); `None`: the default project.
    fn project_choice(&self, profile: Option<&Profile>) -> Option<String> {
        self.place
            .project
            .clone()
            .or_else(|| variable("TRESOR_PROJECT"))
            .or_else(|| profile.and_then(|p| p.project.as_ref()).map(|p| p.to_string()))
    }

    /// The environment, chosen the same way; `None` (and always with `--shared`): the project level.
    /// The file's `env` goes with the file's project: it is not used when the project comes from
    /// the flag or the variable (`tresor -p Personal …` in a folder whose file says
    /// `project = "shop"`, `env = "production"` means Personal's level, not Personal/production).
    fn env_choice(&self, profile: Option<&Profile>) -> Option<String> {
        if self.place.shared {
            return None;
        }
        let project_given = self.place.project.is_some() || variable("TRESOR_PROJECT").is_some();
        self.place
            .env
            .clone()
            .or_else(|| variable("TRESOR_ENV"))
            .or_else(|| profile.filter(|_| !project_given).and_then(|p| p.env.as_ref()).map(|e| e.to_string()))
    }

    /// The place this command acts in. Each of project and environment comes from its flag, else
    /// its variable, else `profile` (the folder's `tresor.toml`), else the default: the default
    /// project at the project level, so a command without any of these works as before.
    pub(super) fn place_with(&self, vault: &Vault, profile: Option<&Profile>) -> CliResult<Place> {
        Ok(vault.place(self.project_choice(profile).as_deref(), self.env_choice(profile).as_deref())?)
    }

    /// The place as the user named it (flags, variables, `profile`), for a request.
    pub(super) fn at_with(&self, profile: Option<&Profile>) -> At {
        At { project: self.project_choice(profile), env: self.env_choice(profile) }
    }

    /// [`Context::at_with`] the folder's trusted `tresor.toml`.
    pub(super) fn at(&self) -> At {
        self.at_with(self.folder.as_ref())
    }

    /// [`Context::place_with`] the folder's `tresor.toml`, as checked before the command started
    /// (see `trust.rs`: only a trusted one is ever here).
    pub(super) fn place(&self, vault: &Vault) -> CliResult<Place> {
        self.place_with(vault, self.folder.as_ref())
    }

    /// The project level of the chosen project (whatever environment is set).
    fn project_level(&self, vault: &Vault) -> CliResult<Place> {
        Ok(vault.place(self.project_choice(self.folder.as_ref()).as_deref(), None)?)
    }
}

/// " in shop/production", or nothing at the default project's level (messages as before), for
/// where a request acted.
pub(super) fn where_acted(at: &Acted) -> String {
    if at.default { String::new() } else { format!(" in {}", at.label) }
}

/// " in shop/production", or nothing at the default project's level (messages as before).
pub(super) fn where_(vault: &Vault, place: &Place) -> CliResult<String> {
    if *place == vault.default_place()? {
        return Ok(String::new());
    }
    Ok(format!(" in {}", vault.place_label(place)?))
}

/// The flags that name `place` on the command line, for a hint: nothing for the default
/// project's shared secrets, ` -p shop --shared`, ` -p shop -e production`.
pub(super) fn place_flags(vault: &Vault, place: &Place) -> CliResult<String> {
    if *place == vault.default_place()? {
        return Ok(String::new());
    }
    let label = vault.place_label(place)?;
    Ok(match &label.env {
        Some(env) => format!(" -p {} -e {}", quoted(label.project.as_str()), quoted(env.as_str())),
        None => format!(" -p {} --shared", quoted(label.project.as_str())),
    })
}

/// `origin` in `--json`: `own`, `override`, `inherited` (the values it always had).
pub(super) fn origin_json(origin: Origin) -> &'static str {
    match origin {
        Origin::Own => "own",
        Origin::Override => "override",
        Origin::Inherited => "inherited",
    }
}

/// Where a row of an environment comes from, in the words of the app: its own, an override of a
/// shared secret, or shared (the project's, seen in every environment). `--json` keeps the
/// `origin` values it always had (`inherited` for shared): an interface.
pub(super) fn origin_word(origin: Origin) -> &'static str {
    match origin {
        Origin::Own => "own",
        Origin::Override => "override",
        Origin::Inherited => "shared",
    }
}

// ---- tresor projects ------------------------------------------------------------------------

#[derive(Args, Debug)]
pub struct ProjectsArgs {
    #[command(subcommand)]
    pub action: Option<ProjectsAction>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum ProjectsAction {
    /// Create a project (with the environments development, staging and production)
    Create { name: String },
    /// Rename a project (scripts naming the default project by default keep working)
    Rename { old: String, new: String },
    /// Delete a project: it goes to the trash with its environments and secrets
    Rm { name: String },
    /// Bring a deleted project back from the trash, with its environments and secrets
    Restore { name: String },
}

#[derive(Serialize)]
struct ProjectJson {
    name: String,
    default: bool,
    shared_secrets: usize,
    environments: Vec<EnvJson>,
}

#[derive(Serialize)]
struct EnvJson {
    name: String,
    secrets: usize,
}

fn place_name(text: &str) -> CliResult<PlaceName> {
    PlaceName::parse(text).map_err(|e| CliError { code: exit::NAME, message: format!("{text:?}: {e}") })
}

fn project_named(vault: &Vault, name: &str) -> CliResult<ProjectInfo> {
    let place = vault.place(Some(name), None)?;
    Ok(vault.projects()?.into_iter().find(|p| p.id == place.project).ok_or(Error::PlaceGone)?)
}

pub(super) fn projects(ctx: &Context, out: &mut Output, args: ProjectsArgs) -> CliResult {
    let mut vault = ctx.unlock()?;
    match args.action {
        None => {
            let projects = vault.projects()?;
            if args.json {
                let rows: Vec<ProjectJson> = projects
                    .iter()
                    .map(|p| ProjectJson {
                        name: p.name.to_string(),
                        default: p.is_default,
                        shared_secrets: p.shared_secrets,
                        environments: p
                            .environments
                            .iter()
                            .map(|e| EnvJson { name: e.name.to_string(), secrets: e.secrets })
                            .collect(),
                    })
                    .collect();
                return out.json(&rows);
            }
            let rows: Vec<[String; 4]> = projects
                .iter()
                .map(|p| {
                    let envs: Vec<String> = p.environments.iter().map(|e| e.name.to_string()).collect();
                    [
                        p.name.to_string(),
                        p.total_secrets().to_string(),
                        envs.join(", "),
                        if p.is_default { "default".to_owned() } else { String::new() },
                    ]
                })
                .collect();
            out.table(["PROJECT", "SECRETS", "ENVIRONMENTS", ""], &rows)
        }
        Some(ProjectsAction::Create { name }) => {
            let name = place_name(&name)?;
            vault.create_project(&name).map_err(taken)?;
            eprintln!("Created project {name} (environments: development, staging, production).");
            Ok(())
        }
        Some(ProjectsAction::Rename { old, new }) => {
            let project = project_named(&vault, &old)?;
            let new = place_name(&new)?;
            vault.rename_place(project.id, &new).map_err(taken)?;
            eprintln!("Renamed project {} to {new}.", project.name);
            Ok(())
        }
        Some(ProjectsAction::Rm { name }) => {
            let project = project_named(&vault, &name)?;
            let trashed = vault.delete_place(project.id)?;
            eprintln!(
                "Moved project {} and its {} to the trash (bring back with `tresor projects restore {}`).",
                project.name,
                count(trashed),
                quoted(project.name.as_str())
            );
            Ok(())
        }
        Some(ProjectsAction::Restore { name }) => restore_place(&mut vault, &name, None),
    }
}

fn count(secrets: usize) -> String {
    if secrets == 1 { "1 secret".to_owned() } else { format!("{secrets} secrets") }
}

fn taken(e: Error) -> CliError {
    let code = match e {
        Error::ProjectTaken { .. } | Error::EnvironmentTaken { .. } | Error::InvalidPlaceName(_) => exit::NAME,
        _ => return e.into(),
    };
    CliError { code, message: e.to_string() }
}

/// Restores the most recently deleted project (`project: None`) or environment of that name.
fn restore_place(vault: &mut Vault, name: &str, project: Option<&ProjectInfo>) -> CliResult {
    let folded = name.to_lowercase();
    let found = vault.trashed_places()?.into_iter().find(|t| match (&t.label.env, project) {
        (None, None) => t.label.project.as_str().to_lowercase() == folded,
        (Some(env), Some(p)) => env.as_str().to_lowercase() == folded && t.project == Some(p.id),
        _ => false,
    });
    let Some(found) = found else {
        let what = if project.is_some() { "environment" } else { "project" };
        return Err(CliError { code: exit::NOT_FOUND, message: format!("no {what} named {name:?} in the trash") });
    };
    let restored = vault.restore_place(found.id).map_err(taken)?;
    eprintln!("Restored {} with {}.", found.label, count(restored));
    Ok(())
}

// ---- tresor envs ------------------------------------------------------------------------------

#[derive(Args, Debug)]
pub struct EnvsArgs {
    #[command(subcommand)]
    pub action: Option<EnvsAction>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum EnvsAction {
    /// Add an environment to the project
    Create { name: String },
    /// Rename an environment
    Rename { old: String, new: String },
    /// Delete an environment: it goes to the trash with its secrets
    Rm { name: String },
    /// Bring a deleted environment back from the trash, with its secrets
    Restore { name: String },
    /// Put the project's environments in this order (name every one)
    Order {
        #[arg(required = true)]
        names: Vec<String>,
    },
}

pub(super) fn envs(ctx: &Context, out: &mut Output, args: EnvsArgs) -> CliResult {
    let mut vault = ctx.unlock()?;
    let place = ctx.project_level(&vault)?;
    let project = vault.projects()?.into_iter().find(|p| p.id == place.project).ok_or(Error::PlaceGone)?;
    let env_named = |name: &str| {
        project.environment(name).cloned().ok_or_else(|| {
            let known: Vec<String> = project.environments.iter().map(|e| e.name.to_string()).collect();
            CliError::from(Error::EnvironmentNotFound {
                name: name.to_owned(),
                project: project.name.to_string(),
                known: known.join(", "),
            })
        })
    };
    match args.action {
        None => {
            if args.json {
                let rows: Vec<EnvJson> = project
                    .environments
                    .iter()
                    .map(|e| EnvJson { name: e.name.to_string(), secrets: e.secrets })
                    .collect();
                return out.json(&rows);
            }
            let rows: Vec<[String; 2]> =
                project.environments.iter().map(|e| [e.name.to_string(), e.secrets.to_string()]).collect();
            eprintln!("Environments of {} ({} shared secrets):", project.name, project.shared_secrets);
            out.table(["ENVIRONMENT", "SECRETS"], &rows)
        }
        Some(EnvsAction::Create { name }) => {
            let name = place_name(&name)?;
            vault.create_environment(project.id, &name).map_err(taken)?;
            eprintln!("Created environment {}/{name}.", project.name);
            Ok(())
        }
        Some(EnvsAction::Rename { old, new }) => {
            let env = env_named(&old)?;
            let new = place_name(&new)?;
            vault.rename_place(env.id, &new).map_err(taken)?;
            eprintln!("Renamed environment {}/{} to {new}.", project.name, env.name);
            Ok(())
        }
        Some(EnvsAction::Rm { name }) => {
            let env = env_named(&name)?;
            let trashed = vault.delete_place(env.id)?;
            eprintln!(
                "Moved environment {}/{} and its {} to the trash (bring back with `tresor envs restore {}`).",
                project.name,
                env.name,
                count(trashed),
                quoted(env.name.as_str())
            );
            Ok(())
        }
        Some(EnvsAction::Restore { name }) => restore_place(&mut vault, &name, Some(&project)),
        Some(EnvsAction::Order { names }) => {
            let order = names.iter().map(|n| env_named(n).map(|e| e.id)).collect::<CliResult<Vec<_>>>()?;
            if order.len() != project.environments.len()
                || order.iter().collect::<std::collections::HashSet<_>>().len() != order.len()
            {
                return Err(CliError::usage(format!(
                    "name each environment of {} once: {}",
                    project.name,
                    project.environments.iter().map(|e| e.name.to_string()).collect::<Vec<_>>().join(" ")
                )));
            }
            vault.reorder_environments(project.id, &order)?;
            eprintln!("Environments of {}: {}.", project.name, names.join(", "));
            Ok(())
        }
    }
}

// ---- tresor diff --------------------------------------------------------------------------

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The environments to compare (of the project chosen with -p)
    #[arg(required = true, num_args = 2..)]
    pub envs: Vec<String>,
    /// Exit with 1 when they differ (as `git diff --exit-code`)
    #[arg(long)]
    pub exit_code: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct DiffJson {
    name: String,
    /// Per environment: null where missing, else the value's group (equal groups, equal values).
    values: Vec<Option<usize>>,
    same: bool,
}

pub(super) fn diff(ctx: &Context, out: &mut Output, args: DiffArgs) -> CliResult<bool> {
    let request = Request::Diff { project: ctx.at().project, envs: args.envs.clone() };
    let Response::Diff { rows, .. } = ctx.execute(request)? else { unreachable!("a diff answers a diff") };
    let all_same = |r: &crate::vault::ops::DiffRow| r.values.iter().all(|v| *v == Some(0));
    let differing: Vec<_> = rows.iter().filter(|r| !all_same(r)).collect();
    if args.json {
        let rows: Vec<DiffJson> = rows
            .iter()
            .map(|r| DiffJson { name: r.name.clone(), values: r.values.clone(), same: all_same(r) })
            .collect();
        out.json(&rows)?;
    } else if differing.is_empty() {
        eprintln!("{} resolve to the same {} names with the same values.", args.envs.join(" and "), rows.len());
    } else {
        let table: Vec<[String; 2]> = differing
            .iter()
            .map(|r| {
                let missing: Vec<&str> =
                    r.values.iter().zip(&args.envs).filter(|(c, _)| c.is_none()).map(|(_, e)| e.as_str()).collect();
                let what = if missing.is_empty() {
                    "different values".to_owned()
                } else {
                    format!("missing in {}", missing.join(", "))
                };
                [r.name.clone(), what]
            })
            .collect();
        out.table(["NAME", "DIFFERENCE"], &table)?;
    }
    Ok(!differing.is_empty())
}

// ---- tresor cp / mv -------------------------------------------------------------------------

#[derive(Args, Debug)]
pub struct CopyArgs {
    /// The secret (in the place chosen with -p/-e)
    pub name: String,
    /// Where to: PROJECT (its level) or PROJECT/ENV
    pub to: String,
    /// Replace the secret of that name there (its value becomes a new version)
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct MoveArgs {
    /// The secret (in the place chosen with -p/-e; not an inherited one)
    pub name: String,
    /// Where to: PROJECT (its level) or PROJECT/ENV
    pub to: String,
}

fn destination(vault: &Vault, to: &str) -> CliResult<Place> {
    let (project, env) = match to.split_once('/') {
        Some((project, env)) => (project, Some(env)),
        None => (to, None),
    };
    Ok(vault.place(Some(project), env.filter(|e| !e.is_empty()))?)
}

pub(super) fn cp(ctx: &Context, args: CopyArgs) -> CliResult {
    let mut vault = ctx.unlock()?;
    let from = ctx.place(&vault)?;
    let to = destination(&vault, &args.to)?;
    let (id, _) = vault.find(&from, &parse_name(&args.name)?)?;
    let saved = vault.copy_secret(id, &to, args.force).map_err(|e| match e {
        Error::NameTaken { name } => {
            CliError { code: exit::NAME, message: format!("{} already has {name}; replace it with --force", args.to) }
        }
        e => e.into(),
    })?;
    eprintln!("Copied {} to {} (version {}).", saved.meta.name, vault.place_label(&to)?, saved.meta.version);
    Ok(())
}

pub(super) fn mv(ctx: &Context, args: MoveArgs) -> CliResult {
    let mut vault = ctx.unlock()?;
    let from = ctx.place(&vault)?;
    let to = destination(&vault, &args.to)?;
    let id = vault.find_own_in(&from, &parse_name(&args.name)?)?;
    let meta = vault.move_secret(id, &to)?;
    eprintln!("Moved {} to {}, with its history.", meta.name, vault.place_label(&to)?);
    Ok(())
}

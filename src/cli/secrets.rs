//! `tresor list`, `get`, `set`, `rename`, `rm`, `history`, `trash`, `restore` and `purge`: the
//! secrets themselves. Listings decrypt names and descriptions only; `get` is the one that prints
//! a value.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::output::terminal_safe;
use super::places::{origin_json, origin_word, place_flags, where_, where_acted};
use super::{CliError, CliResult, Context, Output, exit, find, parse_name, prompt_hidden};
use crate::vault::ops::{Failure, Request, Response};
use crate::vault::{
    Error, GenerateError, GenerateRule, PlaceLabel, SecretEdit, SecretId, SecretMeta, SecretName, SecretValue,
    Timestamp, ValueKind, Vault,
};

#[derive(Serialize)]
struct SecretJson {
    name: String,
    description: String,
    version: u32,
    created: String,
    modified: String,
    /// Where the secret lives.
    project: String,
    /// `null` at the project level.
    environment: Option<String>,
}

impl SecretJson {
    fn new(m: &SecretMeta, label: &PlaceLabel) -> Self {
        SecretJson {
            name: m.name.to_string(),
            description: m.description.clone(),
            version: m.version,
            created: m.created.to_rfc3339(),
            modified: m.modified.to_rfc3339(),
            project: label.project.to_string(),
            environment: label.env.as_ref().map(|e| e.to_string()),
        }
    }
}

#[derive(Serialize)]
struct ListedJson {
    #[serde(flatten)]
    secret: SecretJson,
    /// "own", "override" (over the project level's) or "inherited" (the project level's).
    origin: &'static str,
}

/// Labels of places, each looked up once.
struct Labels<'a> {
    vault: &'a Vault,
    known: std::collections::HashMap<crate::vault::PlaceId, PlaceLabel>,
}

impl<'a> Labels<'a> {
    fn new(vault: &'a Vault) -> Self {
        Labels { vault, known: Default::default() }
    }

    fn of(&mut self, id: crate::vault::PlaceId) -> CliResult<&PlaceLabel> {
        if !self.known.contains_key(&id) {
            let label = self.vault.place_label_of(id)?;
            self.known.insert(id, label);
        }
        Ok(&self.known[&id])
    }
}

/// Reports damaged records after printing what could be read: the command then fails with 5.
fn damaged_result(damaged: Vec<impl Into<Failure>>) -> CliResult {
    let count = damaged.len();
    match damaged.into_iter().next().map(Into::into) {
        None => Ok(()),
        Some(first) if count == 1 => Err(first.into()),
        Some(first) => {
            Err(CliError { code: exit::INTEGRITY, message: format!("{count} records are damaged; the first: {first}") })
        }
    }
}

pub(super) fn list(ctx: &Context, out: &mut Output, json: bool) -> CliResult {
    let Response::Listing { at, items, damaged } = ctx.execute(Request::List { at: ctx.at() })? else {
        unreachable!("a listing answers a listing")
    };
    let time = |ms: i64| Timestamp(ms).to_rfc3339();
    if json {
        let rows: Vec<ListedJson> = items
            .iter()
            .map(|item| ListedJson {
                secret: SecretJson {
                    name: item.name.clone(),
                    description: item.description.clone(),
                    version: item.version,
                    created: time(item.created),
                    modified: time(item.modified),
                    project: item.project.clone(),
                    environment: item.environment.clone(),
                },
                origin: origin_json(item.origin),
            })
            .collect();
        out.json(&rows)?;
    } else if items.is_empty() {
        eprintln!("No secrets{} yet. Add one with `tresor set NAME`.", where_acted(&at));
    } else if at.environment {
        // An environment: where each row comes from.
        let rows: Vec<[String; 5]> = items
            .iter()
            .map(|m| {
                let from = origin_word(m.origin).to_owned();
                [m.name.clone(), m.version.to_string(), time(m.modified), from, m.description.clone()]
            })
            .collect();
        out.table(["NAME", "VERSION", "MODIFIED", "FROM", "DESCRIPTION"], &rows)?;
    } else {
        let rows: Vec<[String; 4]> = items
            .iter()
            .map(|m| [m.name.clone(), m.version.to_string(), time(m.modified), m.description.clone()])
            .collect();
        out.table(["NAME", "VERSION", "MODIFIED", "DESCRIPTION"], &rows)?;
    }
    damaged_result(damaged)
}

pub(super) fn get(ctx: &Context, out: &mut Output, name: &str, version: Option<u32>) -> CliResult {
    parse_name(name)?;
    let request = Request::Get { at: ctx.at(), name: name.to_owned(), version };
    let Response::Value(value) = ctx.execute(request)? else { unreachable!("a get answers a value") };
    out.bytes(value.expose().as_bytes())?;
    if std::io::stdout().is_terminal() && !value.expose().ends_with('\n') {
        out.bytes(b"\n")?;
    }
    Ok(())
}

/// `tresor set`'s arguments.
#[derive(Args, Debug)]
pub struct SetArgs {
    /// The secret's name: letters A–Z and a–z, digits and _, not starting with a digit (OPENAI_API_KEY)
    pub name: String,
    /// What it is for, shown beside its name (never secret); kept as it was when not given
    #[arg(long, short)]
    pub description: Option<String>,
    /// Take the value from this file, exactly as it is (UTF-8 text, at most 4 MiB)
    #[arg(long, value_name = "PATH", conflicts_with = "generate")]
    pub from_file: Option<PathBuf>,
    /// Generate a random value (see --length and --kind); prints nothing unless --print
    #[arg(long)]
    pub generate: bool,
    /// With --generate: the value's length in characters (8 to 4096) [default: 32]
    #[arg(long, value_name = "N", requires = "generate")]
    pub length: Option<usize>,
    /// With --generate: what the value is made of [default: letters-digits]
    #[arg(long, value_enum, requires = "generate")]
    pub kind: Option<KindArg>,
    /// With --generate: also print the generated value on stdout
    #[arg(long, requires = "generate")]
    pub print: bool,
}

/// A generated value's kind on the command line (the core's [`ValueKind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    /// A–Z, a–z, 0–9
    LettersDigits,
    /// Letters, digits and !#%&()*+,-./:;<=>?@[]^_{|}~ (no quotes, backslash, $ or space)
    Symbols,
    /// 0–9a–f
    Hex,
    /// A–Z, a–z, 0–9, - and _ (no padding)
    Base64url,
}

impl From<KindArg> for ValueKind {
    fn from(kind: KindArg) -> ValueKind {
        match kind {
            KindArg::LettersDigits => ValueKind::LettersDigits,
            KindArg::Symbols => ValueKind::Symbols,
            KindArg::Hex => ValueKind::Hex,
            KindArg::Base64url => ValueKind::Base64Url,
        }
    }
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
    // Read no further than one byte past the limit: a huge or endless stdin is refused, not
    // swallowed.
    let limit = crate::vault::secret::MAX_VALUE_BYTES;
    let mut bytes = Vec::new();
    stdin
        .lock()
        .take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::other(format!("cannot read the value from stdin: {e}")))?;
    if bytes.len() > limit {
        zeroize::Zeroize::zeroize(&mut bytes);
        return Err(CliError::other(format!(
            "the value on stdin is longer than {limit} bytes, the most a value may hold; nothing was changed"
        )));
    }
    SecretValue::from_utf8(bytes).map_err(|e| Error::from(e).into())
}

pub(super) fn set(ctx: &Context, out: &mut Output, args: SetArgs) -> CliResult {
    let name = parse_name(&args.name)?;
    // A value from a file or the generator is settled before the passphrase is asked: a file
    // that cannot be a value needs no unlocking.
    let given = if let Some(path) = &args.from_file {
        let value = SecretValue::read_file(path)
            .map_err(|e| CliError::other(format!("{}; nothing was changed", terminal_safe(&e.to_string()))))?;
        Some(value)
    } else if args.generate {
        let defaults = GenerateRule::default();
        let rule = GenerateRule {
            kind: args.kind.map_or(defaults.kind, ValueKind::from),
            length: args.length.unwrap_or(defaults.length),
        };
        Some(rule.generate().map_err(|e| match e {
            GenerateError::Length { .. } => CliError::usage(e.to_string()),
            GenerateError::Random(_) => CliError::other(e.to_string()),
        })?)
    } else {
        None
    };
    let mut vault = ctx.unlock()?;
    let at = ctx.at();
    // A prompt says whether an empty answer keeps a value: only then is the name looked up first.
    let prompts = given.is_none() && std::io::stdin().is_terminal();
    let exists = prompts
        && match vault.find_own_in(&vault.place_at(&at)?, &name) {
            Ok(_) => true,
            Err(Error::NotFound { .. } | Error::Inherited { .. }) => false,
            Err(e) => return Err(e.into()),
        };
    let value = match &given {
        Some(value) => value.clone(),
        None => read_value(&name, exists)?,
    };
    let request = Request::Set { at, name: name.to_string(), description: args.description, value: Some(value) };
    let Response::Set { at, report } = vault.execute(request)? else { unreachable!("a set answers a set") };
    drop(vault);
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
    let (name, version, at) = (&report.name, report.version, where_acted(&at));
    if report.created && report.overrides_shared {
        eprintln!("Created {name}{at} (version {version}), overriding the shared one.");
    } else if report.created {
        eprintln!("Created {name}{at} (version {version}).");
    } else if report.value_changed {
        eprintln!("Updated {name}{at}: now version {version}.");
    } else {
        eprintln!("Updated {name}{at} (value unchanged, version {version}).");
    }
    if let Some(conventional) = SecretName::parse(name).ok().and_then(|n| n.conventional_form()) {
        eprintln!("hint: environment variables are usually UPPER_SNAKE_CASE, e.g. {conventional}");
    }
    if args.print
        && let Some(value) = &given
    {
        out.bytes(value.expose().as_bytes())?;
        if std::io::stdout().is_terminal() {
            out.bytes(b"\n")?;
        }
    }
    Ok(())
}

pub(super) fn rename(ctx: &Context, old: &str, new: &str) -> CliResult {
    let new = parse_name(new)?;
    let mut vault = ctx.unlock()?;
    let place = ctx.place(&vault)?;
    let id = vault.find_own_in(&place, &parse_name(old)?)?;
    let meta = vault.edit(id, SecretEdit { name: Some(new), ..SecretEdit::default() })?.meta;
    eprintln!("Renamed {old} to {}.", meta.name);
    Ok(())
}

pub(super) fn rm(ctx: &Context, names: &[String]) -> CliResult {
    let mut vault = ctx.unlock()?;
    let place = ctx.place(&vault)?;
    let parsed = names.iter().map(|n| parse_name(n)).collect::<CliResult<Vec<_>>>()?;
    vault.remove_in(&place, &parsed)?;
    let what = if names.len() == 1 { names[0].clone() } else { format!("{} secrets", names.len()) };
    let name = if names.len() == 1 { names[0].as_str() } else { "NAME" };
    let flags = place_flags(&vault, &place)?;
    eprintln!("Moved {what}{} to the trash (bring back with `tresor restore{flags} {name}`).", where_(&vault, &place)?);
    Ok(())
}

#[derive(Serialize)]
struct VersionJson {
    name: String,
    project: String,
    environment: Option<String>,
    description: String,
    version: u32,
    created: String,
    modified: String,
    current: bool,
}

pub(super) fn history(ctx: &Context, out: &mut Output, name: &str, json: bool) -> CliResult {
    let vault = ctx.unlock()?;
    let id = find(ctx, &vault, name)?;
    let meta = vault.meta(id)?;
    let versions = vault.history(id)?;
    if json {
        let label = vault.place_label_of(meta.place)?;
        let rows: Vec<VersionJson> = versions
            .iter()
            .map(|v| VersionJson {
                name: meta.name.to_string(),
                project: label.project.to_string(),
                environment: label.env.as_ref().map(|e| e.to_string()),
                description: meta.description.clone(),
                version: v.version,
                created: v.created.to_rfc3339(),
                modified: v.replaced.unwrap_or(v.created).to_rfc3339(),
                current: v.replaced.is_none(),
            })
            .collect();
        return out.json(&rows);
    }
    let rows: Vec<[String; 3]> = versions
        .iter()
        .map(|v| {
            [
                v.version.to_string(),
                v.created.to_rfc3339(),
                v.replaced.map_or_else(|| "(current)".to_owned(), |r| r.to_rfc3339()),
            ]
        })
        .collect();
    out.table(["VERSION", "SET", "REPLACED"], &rows)
}

#[derive(Serialize)]
struct TrashJson {
    #[serde(flatten)]
    secret: SecretJson,
    deleted: String,
}

pub(super) fn trash(ctx: &Context, out: &mut Output, json: bool) -> CliResult {
    let vault = ctx.unlock()?;
    let listing = vault.trash()?;
    let places = vault.trashed_places()?;
    let mut labels = Labels::new(&vault);
    if json {
        let mut trashed = Vec::with_capacity(listing.items.len());
        for t in &listing.items {
            let label = labels.of(t.meta.place)?;
            trashed.push(TrashJson { secret: SecretJson::new(&t.meta, label), deleted: t.deleted.to_rfc3339() });
        }
        out.json(&trashed)?;
    } else if listing.items.is_empty() && places.is_empty() {
        eprintln!("The trash is empty.");
    } else {
        let mut rows: Vec<[String; 4]> = Vec::with_capacity(listing.items.len());
        for t in &listing.items {
            let label = labels.of(t.meta.place)?.to_string();
            rows.push([t.meta.name.to_string(), label, t.deleted.to_rfc3339(), t.meta.description.clone()]);
        }
        out.table(["NAME", "PLACE", "DELETED", "DESCRIPTION"], &rows)?;
        for place in &places {
            let (what, command) =
                if place.label.env.is_some() { ("environment", "envs") } else { ("project", "projects") };
            eprintln!(
                "Also in the trash: {what} {} with {} secret(s), deleted {} (bring back with `tresor {command} restore`).",
                place.label,
                place.secrets,
                place.deleted.to_rfc3339()
            );
        }
    }
    damaged_result(listing.damaged)
}

/// The most recently trashed secret called `name` in the command's place.
fn find_trashed(ctx: &Context, vault: &Vault, name: &str) -> CliResult<SecretId> {
    let place: crate::vault::Place = ctx.place(vault)?;
    Ok(vault.find_in_trash(&place, &parse_name(name)?)?)
}

pub(super) fn restore(ctx: &Context, name: &str, as_name: Option<&str>) -> CliResult {
    let new_name = as_name.map(parse_name).transpose()?;
    let mut vault = ctx.unlock()?;
    let id = find_trashed(ctx, &vault, name)?;
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

pub(super) fn purge(ctx: &Context, names: &[String], all: bool) -> CliResult {
    let mut vault = ctx.unlock()?;
    if all {
        let n = vault.empty_trash()?;
        eprintln!("Purged {n} secrets from the trash.");
        return Ok(());
    }
    let ids = names.iter().map(|n| find_trashed(ctx, &vault, n)).collect::<CliResult<Vec<_>>>()?;
    for id in ids {
        vault.purge(id)?;
    }
    eprintln!("Purged {} from the trash.", names.join(", "));
    Ok(())
}

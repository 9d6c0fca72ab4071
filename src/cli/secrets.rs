//! `tresor list`, `get`, `set`, `rename`, `rm`, `history`, `trash`, `restore` and `purge`: the
//! secrets themselves. Listings decrypt names and descriptions only; `get` is the one that prints
//! a value.

use std::io::{IsTerminal, Read};

use serde::Serialize;

use super::{CliError, CliResult, Context, Output, exit, find, parse_name, prompt_hidden};
use crate::vault::{Error, SecretEdit, SecretId, SecretMeta, SecretName, SecretValue, Vault};

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

pub(super) fn list(ctx: &Context, out: &mut Output, json: bool) -> CliResult {
    let vault = ctx.unlock()?;
    let listing = vault.list()?;
    if json {
        out.json(&listing.items.iter().map(SecretJson::from).collect::<Vec<_>>())?;
    } else if listing.items.is_empty() {
        eprintln!("No secrets yet. Add one with `tresor set NAME`.");
    } else {
        let rows: Vec<[String; 4]> = listing
            .items
            .iter()
            .map(|m| [m.name.to_string(), m.version.to_string(), m.modified.to_rfc3339(), m.description.clone()])
            .collect();
        out.table(["NAME", "VERSION", "MODIFIED", "DESCRIPTION"], &rows)?;
    }
    damaged_result(listing.damaged)
}

pub(super) fn get(ctx: &Context, out: &mut Output, name: &str, version: Option<u32>) -> CliResult {
    let vault = ctx.unlock()?;
    let id = find(&vault, name)?;
    let value = match version {
        Some(v) => vault.reveal_version(id, v)?,
        None => vault.reveal(id)?,
    };
    out.bytes(value.expose().as_bytes())?;
    if std::io::stdout().is_terminal() && !value.expose().ends_with('\n') {
        out.bytes(b"\n")?;
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

pub(super) fn set(ctx: &Context, name: &str, description: Option<String>) -> CliResult {
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

pub(super) fn rename(ctx: &Context, old: &str, new: &str) -> CliResult {
    let new = parse_name(new)?;
    let mut vault = ctx.unlock()?;
    let id = find(&vault, old)?;
    let meta = vault.edit(id, SecretEdit { name: Some(new), ..SecretEdit::default() })?.meta;
    eprintln!("Renamed {old} to {}.", meta.name);
    Ok(())
}

pub(super) fn rm(ctx: &Context, names: &[String]) -> CliResult {
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

pub(super) fn history(ctx: &Context, out: &mut Output, name: &str, json: bool) -> CliResult {
    let vault = ctx.unlock()?;
    let id = find(&vault, name)?;
    let meta = vault.meta(id)?;
    let versions = vault.history(id)?;
    if json {
        let rows: Vec<VersionJson> = versions
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
    if json {
        let trashed: Vec<TrashJson> = listing
            .items
            .iter()
            .map(|t| TrashJson { secret: SecretJson::from(&t.meta), deleted: t.deleted.to_rfc3339() })
            .collect();
        out.json(&trashed)?;
    } else if listing.items.is_empty() {
        eprintln!("The trash is empty.");
    } else {
        let rows: Vec<[String; 3]> = listing
            .items
            .iter()
            .map(|t| [t.meta.name.to_string(), t.deleted.to_rfc3339(), t.meta.description.clone()])
            .collect();
        out.table(["NAME", "DELETED", "DESCRIPTION"], &rows)?;
    }
    damaged_result(listing.damaged)
}

/// The most recently trashed secret called `name`.
fn find_trashed(vault: &Vault, name: &str) -> CliResult<SecretId> {
    Ok(vault.find_in_trash(&parse_name(name)?)?)
}

pub(super) fn restore(ctx: &Context, name: &str, as_name: Option<&str>) -> CliResult {
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

pub(super) fn purge(ctx: &Context, names: &[String], all: bool) -> CliResult {
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

//! `tresor list`, `get`, `set`, `rename`, `rm`, `history`, `trash`, `restore` and `purge`: the
//! secrets themselves. Listings decrypt names and descriptions only; `get` is the one that prints
//! a value.

use std::io::{IsTerminal, Read};

use serde::Serialize;

use super::places::{origin_word, where_};
use super::{CliError, CliResult, Context, Output, exit, find, parse_name, prompt_hidden};
use crate::vault::{Error, Place, PlaceLabel, SecretEdit, SecretId, SecretMeta, SecretName, SecretValue, Vault};

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

#[derive(Serialize)]
struct ListedJson {
    #[serde(flatten)]
    secret: SecretJson,
    /// "own", "override" (over the project level's) or "inherited" (the project level's).
    origin: &'static str,
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
    let place = ctx.place(&vault)?;
    let listing = vault.list_in(&place)?;
    if json {
        let mut labels = Labels::new(&vault);
        let mut rows = Vec::with_capacity(listing.items.len());
        for item in &listing.items {
            let label = labels.of(item.meta.place)?;
            rows.push(ListedJson { secret: SecretJson::new(&item.meta, label), origin: origin_word(item.origin) });
        }
        out.json(&rows)?;
    } else if listing.items.is_empty() {
        eprintln!("No secrets{} yet. Add one with `tresor set NAME`.", where_(&vault, &place)?);
    } else if place.env.is_some() {
        // An environment: where each row comes from.
        let rows: Vec<[String; 5]> = listing
            .items
            .iter()
            .map(|p| {
                let m = &p.meta;
                let from = origin_word(p.origin).to_owned();
                [m.name.to_string(), m.version.to_string(), m.modified.to_rfc3339(), from, m.description.clone()]
            })
            .collect();
        out.table(["NAME", "VERSION", "MODIFIED", "FROM", "DESCRIPTION"], &rows)?;
    } else {
        let rows: Vec<[String; 4]> = listing
            .items
            .iter()
            .map(|p| {
                let m = &p.meta;
                [m.name.to_string(), m.version.to_string(), m.modified.to_rfc3339(), m.description.clone()]
            })
            .collect();
        out.table(["NAME", "VERSION", "MODIFIED", "DESCRIPTION"], &rows)?;
    }
    damaged_result(listing.damaged)
}

pub(super) fn get(ctx: &Context, out: &mut Output, name: &str, version: Option<u32>) -> CliResult {
    let vault = ctx.unlock()?;
    let id = find(ctx, &vault, name)?;
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
    let place = ctx.place(&vault)?;
    // Only a secret of this place itself is changed; an inherited one gets an override here.
    let exists = match vault.find_own_in(&place, &name) {
        Ok(_) => true,
        Err(Error::NotFound { .. } | Error::Inherited { .. }) => false,
        Err(e) => return Err(e.into()),
    };
    let value = read_value(&name, exists)?;
    let inherited = !exists && vault.find_in(&place, &name).is_ok();
    let outcome = vault.set_in(&place, name, description, SecretEdit::typed_value(value))?;
    let saved = outcome.saved;
    for warning in &saved.warnings {
        eprintln!("warning: {warning}");
    }
    let meta = &saved.meta;
    let at = where_(&vault, &place)?;
    if outcome.created && inherited {
        eprintln!("Created {}{at} (version {}), overriding the project level's.", meta.name, meta.version);
    } else if outcome.created {
        eprintln!("Created {}{at} (version {}).", meta.name, meta.version);
    } else if saved.value_changed {
        eprintln!("Updated {}{at}: now version {}.", meta.name, meta.version);
    } else {
        eprintln!("Updated {}{at} (value unchanged, version {}).", meta.name, meta.version);
    }
    if let Some(conventional) = meta.name.conventional_form() {
        eprintln!("hint: environment variables are usually UPPER_SNAKE_CASE, e.g. {conventional}");
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
    eprintln!("Moved {what}{} to the trash (bring back with `tresor restore NAME`).", where_(&vault, &place)?);
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
    let place: Place = ctx.place(vault)?;
    Ok(vault.find_in_trash_in(&place, &parse_name(name)?)?)
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

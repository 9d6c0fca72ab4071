//! `tresor inject`: fills a template's `{{ tresor://… }}` references (see
//! [`crate::interchange::template`]) and writes the result to a new 0600 file, or to stdout when
//! it is not a terminal. Every reference is resolved before a byte is written: one that does not
//! resolve stops the command with its line and column, and nothing is written.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::Args;

use super::output::{shown_path, terminal_safe};
use super::{CliError, CliResult, Context, Output, exit};
use crate::interchange::export::{self, ExportError};
use crate::interchange::template::{Target, Template};
use crate::vault::SecretValue;
use crate::vault::ops::{At, Request, Response, Wanted};

#[derive(Args, Debug)]
pub struct InjectArgs {
    /// The template; `-` reads stdin
    #[arg(long, short = 'i', value_name = "TEMPLATE")]
    pub input: PathBuf,
    /// Write to this new file (created readable by you only) instead of stdout
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace the --output file if it exists; without --output, print to a terminal
    #[arg(long)]
    pub force: bool,
}

fn read_template(path: &Path) -> CliResult<zeroize::Zeroizing<Vec<u8>>> {
    let shown = shown_path(path);
    let read = if path == Path::new("-") {
        crate::interchange::read_limited(std::io::stdin().lock())
    } else if path.is_dir() {
        return Err(CliError::other(format!("{shown} is a folder, not a template")));
    } else if export::is_vault_file(path) {
        return Err(CliError::other(format!("{shown} is a vault file, not a template")));
    } else {
        std::fs::File::open(path).and_then(crate::interchange::read_limited)
    };
    read.map_err(|e| CliError::other(format!("cannot read {shown}: {}", crate::fs::io_reason(&e))))
}

fn write_error(e: ExportError) -> CliError {
    match e {
        ExportError::Vault(e) => e.into(),
        ExportError::Exists { path } => {
            CliError::other(format!("{} already exists; pass --force to replace it", shown_path(&path)))
        }
        e => CliError::other(e.to_string()),
    }
}

pub(super) fn inject(ctx: &Context, out: &mut Output, args: InjectArgs) -> CliResult {
    // The template and where it goes are checked before the vault is unlocked.
    let bytes = read_template(&args.input)?;
    let shown = shown_path(&args.input);
    let template = Template::parse(&bytes)
        .map_err(|e| CliError::other(format!("{shown}: {}; nothing was written", terminal_safe(&e.to_string()))))?;
    match &args.output {
        Some(path) => export::check_target(path, args.force).map_err(write_error)?,
        None if !args.force && std::io::stdout().is_terminal() => {
            return Err(CliError::usage(
                "refusing to print secret values to a terminal; use --output FILE, a pipe, or --force",
            ));
        }
        None => {}
    }

    // One request for every distinct reference, each resolved where it points.
    let mut first_seen: HashMap<&Target, usize> = HashMap::new();
    let mut wanted = Vec::new();
    for (i, reference) in template.references.iter().enumerate() {
        if first_seen.contains_key(&reference.target) {
            continue;
        }
        first_seen.insert(&reference.target, i);
        let key = i.to_string();
        let (from, name) = match &reference.target {
            Target::Here(name) => (None, name.to_string()),
            Target::There(at) => {
                (Some(At::new(Some(at.project.as_str()), at.env.as_ref().map(|e| e.as_str()))), at.name.to_string())
            }
        };
        wanted.push(Wanted { var: key.clone(), from, name, required: true, shown: key });
    }
    let values = if wanted.is_empty() {
        Vec::new()
    } else {
        let Response::Resolved { values, missing, bad_sources } =
            ctx.execute(Request::Resolve { at: ctx.at(), wanted: Some(wanted) })?
        else {
            unreachable!("a resolve answers with values")
        };
        // The first reference (in the file's order) that does not resolve stops everything.
        let why: HashMap<String, String> =
            missing.into_iter().map(|key| (key, "no such secret".to_owned())).chain(bad_sources).collect();
        if let Some(reference) =
            template.references.iter().find(|r| why.contains_key(&first_seen[&r.target].to_string()))
        {
            let reason = &why[&first_seen[&reference.target].to_string()];
            return Err(CliError {
                code: exit::NOT_FOUND,
                message: format!(
                    "{shown}: line {}, column {}: {{{{ {} }}}} does not resolve: {}; nothing was written",
                    reference.line,
                    reference.column,
                    terminal_safe(&reference.target.to_string()),
                    terminal_safe(reason)
                ),
            });
        }
        values
    };
    let by_key: HashMap<String, SecretValue> = values.into_iter().collect();
    let filled = template
        .render(|target| &by_key[&first_seen[target].to_string()])
        .map_err(|e| CliError::other(format!("{shown}: {e}; nothing was written")))?;
    drop(by_key);
    match &args.output {
        Some(path) => {
            export::write_file(path, &filled, args.force).map_err(write_error)?;
            let count = template.references.len();
            let what = if count == 1 { "1 reference".to_owned() } else { format!("{count} references") };
            eprintln!("Filled {what} into {} (readable by you only).", shown_path(path));
        }
        None => out.bytes(&filled)?,
    }
    Ok(())
}

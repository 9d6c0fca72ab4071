//! `tresor backup` and `tresor restore-backup`: the core's automatic backups, by hand.

use clap::Args;
use serde::Serialize;

use super::output::{shown_path, terminal_safe};
use super::{CliError, CliResult, Context, Output};
use crate::vault::Vault;
use crate::vault::backup;

#[derive(Args, Debug)]
pub struct BackupArgs {
    /// List the backups instead of making one (no passphrase needed)
    #[arg(long, conflicts_with = "keep")]
    pub list: bool,
    /// How many backups to keep from now on; the oldest beyond that are deleted (0 turns
    /// automatic backups off and deletes none) (no passphrase needed)
    #[arg(long, value_name = "N")]
    pub keep: Option<usize>,
    /// With --list: as JSON
    #[arg(long, requires = "list")]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// The backup: its name as `tresor backup --list` shows it, its path, or `latest`
    pub backup: String,
}

#[derive(Serialize)]
struct BackupJson {
    name: String,
    path: String,
    created: String,
    reason: &'static str,
    bytes: u64,
}

pub fn backup(ctx: &Context, out: &mut Output, args: BackupArgs) -> CliResult {
    if let Some(keep) = args.keep {
        backup::set_keep(&ctx.path, keep)?;
        match keep {
            0 => eprintln!(
                "Automatic backups are off; the existing ones are kept in {} (delete them by hand).",
                shown_path(&backup::backup_dir(&ctx.path))
            ),
            n => eprintln!("Keeping the last {n} backups in {}.", shown_path(&backup::backup_dir(&ctx.path))),
        }
        return Ok(());
    }
    if args.list {
        return list(ctx, out, args.json);
    }
    let vault = ctx.unlock()?;
    match vault.backup_now()? {
        Some(info) => {
            eprintln!("Backed up to {} ({} bytes).", shown_path(&info.path), info.bytes);
            Ok(())
        }
        None => Err(CliError::other("backups are turned off; turn them on with `tresor backup --keep 5`")),
    }
}

fn list(ctx: &Context, out: &mut Output, json: bool) -> CliResult {
    let backups = backup::list(&ctx.path)?;
    if json {
        let listed: Vec<BackupJson> = backups
            .iter()
            .map(|b| BackupJson {
                name: b.name(),
                path: b.path.display().to_string(),
                created: b.created.to_rfc3339(),
                reason: b.reason.slug(),
                bytes: b.bytes,
            })
            .collect();
        return out.json(&listed);
    }
    let keep = backup::keep(&ctx.path);
    let dir = backup::backup_dir(&ctx.path);
    if backups.is_empty() {
        eprintln!("No backups yet in {}.", shown_path(&dir));
    } else {
        let rows: Vec<[String; 4]> = backups
            .iter()
            .map(|b| [b.name(), b.created.to_rfc3339(), b.reason.describe().to_owned(), b.bytes.to_string()])
            .collect();
        out.table(["NAME", "MADE", "WHY", "BYTES"], &rows)?;
        eprintln!("In {}; keeping the last {keep}.", shown_path(&dir));
    }
    if keep == 0 {
        eprintln!("Automatic backups are off (`tresor backup --keep 5` turns them on).");
    }
    Ok(())
}

pub fn restore(ctx: &Context, args: RestoreArgs) -> CliResult {
    // `latest` is the backup holding the newest state, which only the passphrase can tell (a
    // file's name says nothing: anyone who can write to the folder can choose it).
    let named = match args.backup.as_str() {
        "latest" => None,
        name => Some(backup::find(&ctx.path, name)?),
    };
    let announce = |chosen: &backup::BackupInfo| {
        eprintln!(
            "Restoring the backup made {} ({}), {}.",
            chosen.created.to_rfc3339(),
            chosen.reason.describe(),
            terminal_safe(&chosen.name())
        )
    };
    if let Some(chosen) = &named {
        announce(chosen);
    }
    let passphrase = ctx.passphrase(
        "Passphrase for this backup (your current one, unless the backup is older than a key rotation): ",
    )?;
    let chosen = match named {
        Some(chosen) => chosen,
        None => {
            let newest = backup::newest(&ctx.path, &passphrase)?;
            announce(&newest);
            newest
        }
    };
    let restored = Vault::restore_backup(&ctx.path, &chosen.path, &passphrase)?;
    if let Some(aside) = &restored.moved_aside {
        eprintln!("The damaged vault file was moved to {}.", shown_path(aside));
    }
    match &restored.previous {
        Some(previous) => eprintln!(
            "Restored. The state it replaced is kept as the backup {} (`tresor restore-backup {}` undoes this).",
            terminal_safe(&previous.name()),
            terminal_safe(&previous.name())
        ),
        None => eprintln!("Restored."),
    }
    eprintln!("The vault now opens with the passphrase you just gave.");
    Ok(())
}

/// `tresor accept-rollback`: the user put an older copy of the vault file back on purpose.
pub fn accept_rollback(ctx: &Context) -> CliResult {
    if !ctx.path.exists() {
        return Err(crate::vault::Error::NoVault { path: ctx.path.clone() }.into());
    }
    let passphrase = ctx.passphrase(&format!("Passphrase for {}: ", shown_path(&ctx.path)))?;
    let mut vault = Vault::accept_rollback(&ctx.path, &passphrase)?;
    if let Some(warning) = vault.take_warning() {
        eprintln!("warning: {}", terminal_safe(&warning.to_string()));
    }
    eprintln!(
        "Accepted {} as it is now: Tresor takes this state as the vault's newest, and refuses anything older than \
         it from now on.",
        shown_path(&ctx.path)
    );
    Ok(())
}

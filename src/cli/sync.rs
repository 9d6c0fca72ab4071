//! `tresor sync`: the vault on every device, through a folder a sync engine keeps in step. The
//! rules are the core's (`vault/synced.rs`); this prints what happened.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde::Serialize;

use super::output::{shown_path, terminal_safe};
use super::{CliResult, Context, Output};
use crate::vault::{Error, SyncReport, Vault};

#[derive(Args, Debug)]
pub struct SyncArgs {
    #[command(subcommand)]
    pub action: Option<SyncAction>,
    /// Say what a sync would publish and change here, and do nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Subcommand, Debug)]
pub enum SyncAction {
    /// Connect this vault to a folder that Syncthing, a cloud drive, a git repository or a USB
    /// stick keeps in step, and publish everything in it
    Init {
        folder: PathBuf,
        /// This device's name, as the other devices list it [default: the host name]
        #[arg(long)]
        name: Option<String>,
    },
    /// Build this device's vault (at --vault, which must not exist yet) from a synced folder,
    /// with the passphrase of any device of it
    Join {
        folder: PathBuf,
        /// This device's name, as the other devices list it [default: the host name]
        #[arg(long)]
        name: Option<String>,
    },
    /// Publish this device's edits and take in every other device's (what `tresor sync` alone does)
    Now,
    /// List the devices writing to the folder (their names, change files, newest change)
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Keep what a secret flagged "changed on two devices" shows (-p/-e for its place): the flag
    /// ends on every device, the other value stays in its history
    Keep { name: String },
    /// Forget a lost or retired device: no device takes in its change files from now on (what it
    /// wrote before stays)
    Forget {
        /// Its name or the start of its id (at least 4 hex digits), as `tresor sync status` lists it
        device: String,
    },
    /// Stop syncing this vault (the folder and the vault keep everything)
    Disconnect,
}

#[derive(Serialize)]
struct DeviceJson {
    id: String,
    name: String,
    files: u64,
    last_change: Option<String>,
    this_device: bool,
    stopped: Option<String>,
    forgotten: bool,
}

pub(super) fn sync(ctx: &Context, out: &mut Output, args: SyncArgs) -> CliResult {
    if args.dry_run {
        if args.action.as_ref().is_some_and(|a| !matches!(a, SyncAction::Now)) {
            return Err(super::CliError::usage("--dry-run goes with `tresor sync` (or `tresor sync now`) alone"));
        }
        let mut vault = ctx.unlock()?;
        let report = vault.sync_dry_run()?;
        eprintln!(
            "A sync now would publish {} and receive {}; here it would create {}, change {} and move {} to the \
             trash. Nothing was done.",
            plural(report.published, "edit"),
            plural(report.received, "edit"),
            report.created,
            report.updated,
            report.trashed
        );
        for conflict in &report.conflicts {
            eprintln!("It would find {} changed on two devices.", terminal_safe(conflict));
        }
        return Ok(());
    }
    match args.action.unwrap_or(SyncAction::Now) {
        SyncAction::Init { folder, name } => {
            let mut vault = ctx.unlock()?;
            let report = vault.sync_init(&folder, name.as_deref())?;
            // Its own writes are not edits to publish again when the vault is put away.
            vault.take_changes();
            eprintln!(
                "This vault now syncs through {} as device \"{}\".",
                shown_path(&report.folder),
                terminal_safe(&report.device_name)
            );
            say(&report);
            eprintln!(
                "On another device: `tresor sync join {}` with this vault's passphrase.",
                shown_path(&report.folder)
            );
            Ok(())
        }
        SyncAction::Join { folder, name } => {
            if ctx.path.exists() {
                return Err(Error::AlreadyExists { path: ctx.path.clone() }.into());
            }
            let passphrase = ctx.passphrase(&format!("Passphrase of the vault in {}: ", shown_path(&folder)))?;
            let (_vault, report) = Vault::sync_join(&ctx.path, &folder, &passphrase, name.as_deref())?;
            eprintln!(
                "Created {} from {} as device \"{}\".",
                shown_path(&ctx.path),
                shown_path(&report.folder),
                terminal_safe(&report.device_name)
            );
            say(&report);
            Ok(())
        }
        SyncAction::Now => {
            let mut vault = ctx.unlock()?;
            let report = vault.sync_now()?;
            vault.take_changes();
            say(&report);
            Ok(())
        }
        SyncAction::Status { json } => {
            let vault = ctx.unlock()?;
            let folder = vault.sync_folder()?.ok_or(Error::NotSynced)?;
            let devices = vault.sync_devices()?;
            if json {
                let list: Vec<DeviceJson> = devices
                    .iter()
                    .map(|d| DeviceJson {
                        id: d.id.hex(),
                        name: d.name.clone(),
                        files: d.files,
                        last_change: d.last_change.map(|t| t.to_rfc3339()),
                        this_device: d.this_device,
                        stopped: d.stopped.clone(),
                        forgotten: d.forgotten,
                    })
                    .collect();
                return out.json(&list);
            }
            writeln!(out, "Syncs through {}", shown_path(&folder))?;
            let flagged = vault.sync_flagged()?;
            for d in &devices {
                let this = match (d.this_device, d.forgotten) {
                    (true, _) => " (this device)",
                    (false, true) => " (forgotten)",
                    (false, false) => "",
                };
                let last = d.last_change.map_or_else(|| "never".to_owned(), |t| t.to_rfc3339());
                writeln!(
                    out,
                    "  {}  {}{this}  {} change files, newest change {last}",
                    d.id.short(),
                    terminal_safe(&d.name),
                    d.files
                )?;
                if let Some(why) = &d.stopped {
                    writeln!(out, "      stops early: {}", terminal_safe(why))?;
                }
            }
            if !flagged.is_empty() {
                writeln!(
                    out,
                    "Changed on two devices (the later edit shows; the other value is in its history; \
                     `tresor sync keep NAME` or an edit ends the flag):"
                )?;
                for (_, label) in &flagged {
                    writeln!(out, "  {}", terminal_safe(label))?;
                }
            }
            Ok(())
        }
        SyncAction::Keep { name } => {
            let mut vault = ctx.unlock()?;
            let place = ctx.place(&vault)?;
            let parsed = crate::vault::SecretName::parse(&name).map_err(Error::from)?;
            let id = vault.find_own_in(&place, &parsed)?;
            if !vault.sync_flagged()?.iter().any(|(flagged, _)| *flagged == id) {
                return Err(super::CliError::other(format!(
                    "{} is not flagged as changed on two devices (see `tresor sync status`)",
                    terminal_safe(&name)
                )));
            }
            let report = vault.sync_keep(id)?;
            vault.take_changes();
            eprintln!("Kept what {} shows; its other values stay in its history.", terminal_safe(&name));
            say(&report);
            Ok(())
        }
        SyncAction::Forget { device } => {
            let mut vault = ctx.unlock()?;
            let (name, report) = vault.sync_forget(&device)?;
            vault.take_changes();
            eprintln!(
                "Forgot device \"{}\": from now on no device takes in its change files. Its own vault file still \
                 holds what it had: if it may be in someone else's hands, replace the values of the secrets it held.",
                terminal_safe(&name)
            );
            say(&report);
            Ok(())
        }
        SyncAction::Disconnect => {
            let mut vault = ctx.unlock()?;
            let folder = vault.sync_disconnect()?;
            eprintln!("This vault no longer syncs through {}; both keep everything.", shown_path(&folder));
            Ok(())
        }
    }
}

/// What a sync did, on stderr (stdout stays for data).
pub(super) fn say(report: &SyncReport) {
    if let Some(device) = &report.rekeyed_by {
        eprintln!(
            "The passphrase or the vault key was changed on \"{}\": this vault moved to the new key, and from now \
             on it opens with the passphrase set there.",
            terminal_safe(device)
        );
    }
    eprintln!(
        "Synced: {} published, {} received; {} created, {} changed, {} moved to the trash here.",
        plural(report.published, "edit"),
        plural(report.received, "edit"),
        report.created,
        report.updated,
        report.trashed
    );
    for conflict in &report.conflicts {
        eprintln!(
            "Changed on two devices: {}. The later edit shows; the other value is in its history (`tresor history`).",
            terminal_safe(conflict)
        );
    }
    for (old, new) in &report.renamed {
        eprintln!(
            "Two devices each created {}: the later keeps the name, the other shows as {}.",
            terminal_safe(old),
            terminal_safe(new)
        );
    }
    for stopped in &report.stopped {
        eprintln!("warning: {}.", terminal_safe(stopped));
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}

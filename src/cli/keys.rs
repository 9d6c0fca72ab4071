//! `tresor init`, `info`, `passwd` and `rotate-key`: the vault file and its keys.

use std::path::Path;

use serde::Serialize;

use super::output::{shown_path, terminal_safe};
use super::{CliError, CliResult, Context, KdfArgs, Output, prompt_hidden, read_passphrase_file};
use crate::vault::{Error, KdfParams, Passphrase, Vault};

/// `--kdf-memory-mib`'s help, from the core's numbers.
pub(super) fn memory_help() -> String {
    format!(
        "Argon2id memory in MiB (minimum {}; default {})",
        KdfParams::FLOOR.memory_kib / 1024,
        KdfParams::DEFAULT_MEMORY_KIB / 1024
    )
}

/// `--kdf-iterations`' help, from the core's numbers.
pub(super) fn iterations_help() -> String {
    format!("Argon2id passes (minimum {}; default: calibrated for this machine)", KdfParams::FLOOR.iterations)
}

/// `--kdf-parallelism`'s help, from the core's numbers.
pub(super) fn parallelism_help() -> String {
    format!("Argon2id lanes (minimum {})", KdfParams::FLOOR.parallelism)
}

/// A new passphrase: from `file`, else prompted twice.
fn new_passphrase(file: Option<&Path>, what: &str) -> CliResult<Passphrase> {
    if let Some(file) = file {
        return read_passphrase_file(file);
    }
    let first = Passphrase::new(prompt_hidden(&format!("{what}: "))?);
    if first.is_empty() {
        return Err(Error::EmptyPassphrase.into());
    }
    let second = Passphrase::new(prompt_hidden(&format!("{what} again: "))?);
    if first.expose() != second.expose() {
        return Err(CliError::usage("the two passphrases do not match; nothing was changed"));
    }
    Ok(first)
}

fn kdf_params(args: &KdfArgs) -> CliResult<Option<KdfParams>> {
    if args.kdf_memory_mib.is_none() && args.kdf_iterations.is_none() && args.kdf_parallelism.is_none() {
        return Ok(None);
    }
    let memory_mib = args.kdf_memory_mib.unwrap_or(KdfParams::DEFAULT_MEMORY_KIB / 1024);
    let memory_kib = memory_mib
        .checked_mul(1024)
        .ok_or_else(|| CliError::usage(format!("--kdf-memory-mib {memory_mib} is too large")))?;
    let params = KdfParams::new(
        memory_kib,
        args.kdf_iterations.unwrap_or(KdfParams::FLOOR.iterations),
        args.kdf_parallelism.unwrap_or(KdfParams::DEFAULT_PARALLELISM),
    )
    .map_err(|e| match e {
        Error::KdfOutOfRange { params } => {
            CliError::usage(format!("KDF parameters {params} are above the accepted maximum"))
        }
        e => e.into(),
    })?;
    Ok(Some(params))
}

pub(super) fn init(ctx: &Context, kdf: &KdfArgs) -> CliResult {
    if ctx.path.exists() {
        return Err(Error::AlreadyExists { path: ctx.path.clone() }.into());
    }
    let params = kdf_params(kdf)?;
    let passphrase = match &ctx.passphrase_file {
        Some(file) => read_passphrase_file(file)?,
        None => new_passphrase(None, "New passphrase")?,
    };
    let params = match params {
        Some(p) => p,
        None => {
            eprintln!("Calibrating the key derivation for this machine…");
            Vault::calibrate_kdf()
        }
    };
    Vault::create(&ctx.path, &passphrase, params)?;
    eprintln!("Created a vault at {} ({params}).", shown_path(&ctx.path));
    Ok(())
}

#[derive(Serialize)]
struct InfoJson {
    path: String,
    format_version: i64,
    kdf: KdfJson,
    created: String,
    secrets: u64,
    trashed: u64,
    history_entries: u64,
    file_bytes: u64,
}

#[derive(Serialize)]
struct KdfJson {
    algorithm: &'static str,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
}

pub(super) fn info(ctx: &Context, out: &mut Output, json: bool) -> CliResult {
    let info = Vault::info(&ctx.path)?;
    if let Some(warning) = &info.warning {
        eprintln!("warning: {warning}");
    }
    if json {
        out.json(&InfoJson {
            path: info.path.display().to_string(),
            format_version: info.format_version,
            kdf: KdfJson {
                algorithm: "argon2id",
                memory_kib: info.kdf.memory_kib,
                iterations: info.kdf.iterations,
                parallelism: info.kdf.parallelism,
            },
            created: info.created.to_rfc3339(),
            secrets: info.secrets,
            trashed: info.trashed,
            history_entries: info.history_entries,
            file_bytes: info.file_bytes,
        })
    } else {
        writeln!(out, "path:            {}", shown_path(&info.path))?;
        writeln!(out, "format version:  {}", info.format_version)?;
        writeln!(out, "key derivation:  {}", info.kdf)?;
        writeln!(out, "created:         {}", info.created.to_rfc3339())?;
        writeln!(out, "secrets:         {}", info.secrets)?;
        writeln!(out, "in the trash:    {}", info.trashed)?;
        writeln!(out, "earlier values:  {}", info.history_entries)?;
        writeln!(out, "file size:       {} bytes", info.file_bytes)
    }
}

pub(super) fn passwd(ctx: &Context, new_file: Option<&Path>, kdf: &KdfArgs) -> CliResult {
    let params = kdf_params(kdf)?;
    let mut vault = ctx.unlock()?;
    let new = new_passphrase(new_file, "New passphrase")?;
    vault.change_passphrase(&new, params)?;
    eprintln!("Passphrase changed ({}).", vault.kdf_params());
    if let Some(warning) = vault.take_warning() {
        eprintln!("warning: {}", terminal_safe(&warning.to_string()));
    }
    if vault.sync_folder()?.is_some() {
        eprintln!(
            "This vault syncs: it also moved to a new vault key, so the old passphrase opens nothing written from \
             now on. Your other devices take the new key and this passphrase at their next sync, or when they are \
             opened with this passphrase; from then on they open with it."
        );
    } else {
        eprintln!(
            "If the old passphrase may have leaked, also run `tresor rotate-key`: a copy of the file made before \
             now still opens with it, and holds the same vault key until you do."
        );
    }
    Ok(())
}

pub(super) fn rotate_key(ctx: &Context) -> CliResult {
    let passphrase = ctx.passphrase(&format!("Passphrase for {}: ", shown_path(&ctx.path)))?;
    if !ctx.path.exists() {
        return Err(Error::NoVault { path: ctx.path.clone() }.into());
    }
    let mut vault = ctx.unlock_with(&passphrase)?;
    vault.rotate_key(&passphrase)?;
    eprintln!("Rotated the vault key; every record is re-encrypted.");
    if let Some(warning) = vault.take_warning() {
        eprintln!("warning: {}", terminal_safe(&warning.to_string()));
    }
    if vault.sync_folder()?.is_some() {
        eprintln!("Your other devices take the new key at their next sync.");
    }
    Ok(())
}

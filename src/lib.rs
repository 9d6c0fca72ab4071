//! Tresor: an offline, passphrase-protected vault for environment secrets.
//!
//! The core lives in [`vault`]; the command line in [`cli`]. Both the desktop app and the command
//! line are thin front ends over [`Vault`].

pub mod cli;
pub mod vault;

pub use vault::{
    Error, KdfParams, Listing, NewSecret, Passphrase, Result, Saved, SecretId, SecretMeta, SecretName, SecretUpdate,
    SecretValue, Timestamp, TrashedSecret, ValueWarning, Vault, VaultInfo, VersionInfo,
};

//! Tresor: an offline, passphrase-protected vault for environment secrets.
//!
//! The core lives in [`vault`]; the file formats and the import and export pipelines in
//! [`interchange`]; the command line in [`cli`]; the desktop app in `ui` (the `gui` feature, on by
//! default). The app and the command line are thin front ends over [`Vault`]; layers point down
//! (checked by `tests/structure.rs`).
//!
//! ```
//! use tresor::{KdfParams, NewSecret, Passphrase, SecretName, SecretValue, Vault};
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("vault.db");
//! let passphrase = Passphrase::new("correct horse battery staple");
//! // Real vaults use `Vault::calibrate_kdf`; tests and examples may use cheap parameters.
//! let mut vault = Vault::create(&path, &passphrase, KdfParams::insecure_for_tests())?;
//! vault.create_secret(NewSecret {
//!     name: SecretName::parse("OPENAI_API_KEY")?,
//!     description: "GPT calls".into(),
//!     value: SecretValue::new("sk-proj-123"),
//! })?;
//! vault.lock();
//!
//! let vault = Vault::unlock(&path, &passphrase)?;
//! let id = vault.find(&vault.default_place()?, &SecretName::parse("OPENAI_API_KEY")?)?.0;
//! assert_eq!(vault.reveal(id)?.expose(), "sk-proj-123");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod agent;
pub mod alloc;
pub mod cli;
#[cfg(feature = "gui")]
pub mod clipboard;
pub mod fs;
pub mod interchange;
pub mod state;
#[cfg(feature = "gui")]
pub mod ui;
pub mod vault;
#[cfg(unix)]
pub mod wait;

pub use vault::{
    Error, KdfParams, Listing, NewSecret, Origin, Passphrase, Place, PlaceId, PlaceName, PlacedSecret, ProjectInfo,
    Result, Saved, SecretEdit, SecretId, SecretMeta, SecretName, SecretValue, SetOutcome, Timestamp, TrashedSecret,
    ValueWarning, Vault, VaultInfo, VersionInfo,
};

/// Stops the process here, as a crash would, when `TRESOR_FAILPOINT` names `point` — in test
/// builds only (release builds compile this to nothing): the tests that a crash between two
/// steps loses nothing run the real binary up to that moment.
#[inline]
pub fn failpoint(point: &str) {
    if cfg!(debug_assertions) && std::env::var_os("TRESOR_FAILPOINT").is_some_and(|v| v == point) {
        std::process::abort();
    }
}

//! Command-line subcommands other than `serve`: output formatting lives here, work in the services.

pub mod badge_token;
pub mod inspect;
pub mod scan;
pub mod vulndb;

use crate::inspect::InspectError;
use crate::registry::{Credentials, RegistryError, docker_config_path, from_docker_config};
use crate::scan::run::ScanError;
use crate::store::StoreError;

/// Why a command failed; `main` prints it as one line.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Inspect(#[from] InspectError),
    #[error(transparent)]
    Scan(#[from] ScanError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Reference(#[from] app::reference::ReferenceError),
    #[error("cannot write JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{0} is not stored: inspect one of its tags first (shipshape inspect {0}:TAG --creds USER:PASS)")]
    UnknownRepository(String),
    #[error("no random source for a new token: {0}")]
    Random(getrandom::Error),
    #[error(transparent)]
    Sync(#[from] crate::vulndb::sync::SyncError),
}

/// `--creds USER:PASS` when given, else the `auths` entry for `registry` in Docker's config.json.
pub fn credentials(flag: Option<&str>, registry: &str) -> Result<Option<Credentials>, RegistryError> {
    match (flag, docker_config_path()) {
        (Some(creds), _) => Ok(Some(Credentials::parse(creds)?)),
        (None, Some(path)) => from_docker_config(&path, registry),
        (None, None) => Ok(None),
    }
}

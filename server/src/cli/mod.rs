//! Command-line subcommands other than `serve`: output formatting lives here, work in the services.

pub mod accounts;
pub mod badge_token;
pub mod index_bases;
pub mod inspect;
pub mod scan;
pub mod secret_key;
pub mod vulndb;

use crate::inspect::InspectError;
use crate::registry::{Credentials, RegistryError, docker_config_path, from_docker_config};
use crate::scan::run::ScanError;
use crate::services::ServiceError;
use crate::store::StoreError;

/// Why a command failed; `main` prints it as one line, with what to type next where a registry
/// wants credentials (advice for a terminal, which web clients never get).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}{hint}", hint = hint(.0))]
    Inspect(InspectError),
    #[error("{0}{hint}", hint = hint(.0))]
    Scan(ScanError),
    #[error("{0}{hint}", hint = hint(.0))]
    Registry(RegistryError),
    #[error("{0}{hint}", hint = hint(.0))]
    Service(ServiceError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Reference(#[from] app::reference::ReferenceError),
    #[error("cannot write JSON: {0}")]
    Json(serde_json::Error),
    #[error("{0} is not stored: inspect one of its tags first (shipshape inspect {0}:TAG --creds USER:PASS)")]
    UnknownRepository(String),
    #[error("no random source for a new token: {0}")]
    Random(getrandom::Error),
    #[error(transparent)]
    Sync(#[from] crate::vulndb::sync::SyncError),
    #[error("{0} ecosystem(s) could not be synced")]
    SyncFailures(usize),
    #[error("no base image could be indexed: {0} failure(s)")]
    NothingIndexed(usize),
    #[error(transparent)]
    Import(#[from] crate::vulndb::ImportError),
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthError),
    #[error("{0}")]
    Password(String),
    #[error("no user named {0:?}: `shipshape user list` shows the accounts")]
    UnknownUser(String),
}

/// `From` without thiserror's `#[from]`, which would also make the inner error the `source`: `main`
/// prints the whole chain, and each message would appear twice.
macro_rules! from_without_source {
    ($($variant:ident($error:ty)),* $(,)?) => {
        $(impl From<$error> for CliError {
            fn from(e: $error) -> Self {
                Self::$variant(e)
            }
        })*
    };
}

from_without_source!(
    Inspect(InspectError),
    Scan(ScanError),
    Registry(RegistryError),
    Service(ServiceError),
    Json(serde_json::Error),
);

fn hint(error: &dyn RegistryCause) -> String {
    match error.registry_error() {
        Some(RegistryError::CredentialsRequired { registry, .. }) => {
            format!(". Pass --creds USER:PASS or run `docker login {registry}`")
        }
        Some(RegistryError::WrongCredentials { registry, .. }) => {
            format!("; check --creds or `docker login {registry}`")
        }
        _ => String::new(),
    }
}

/// The registry's refusal behind an error, if that is what it is.
trait RegistryCause {
    fn registry_error(&self) -> Option<&RegistryError>;
}

impl RegistryCause for RegistryError {
    fn registry_error(&self) -> Option<&RegistryError> {
        Some(self)
    }
}

impl RegistryCause for InspectError {
    fn registry_error(&self) -> Option<&RegistryError> {
        match self {
            InspectError::Registry(e) => Some(e),
            _ => None,
        }
    }
}

impl RegistryCause for ScanError {
    fn registry_error(&self) -> Option<&RegistryError> {
        match self {
            ScanError::Registry(e) => Some(e),
            ScanError::Inspect(e) => e.registry_error(),
            _ => None,
        }
    }
}

impl RegistryCause for ServiceError {
    fn registry_error(&self) -> Option<&RegistryError> {
        match self {
            ServiceError::Inspect(e) => e.registry_error(),
            _ => None,
        }
    }
}

/// `--creds USER:PASS` when given, else the `auths` entry for `registry` in Docker's config.json.
pub fn credentials(flag: Option<&str>, registry: &str) -> Result<Option<Credentials>, RegistryError> {
    match (flag, docker_config_path()) {
        (Some(creds), _) => Ok(Some(Credentials::parse(creds)?)),
        (None, Some(path)) => from_docker_config(&path, registry),
        (None, None) => Ok(None),
    }
}

//! Users' own registry credentials: saved sealed under the instance key (bound to their row),
//! listed without the password, opened only to talk to the registry, and tested against a
//! repository with an answer that says exactly what failed.

mod outcome;
mod registry_name;

use std::sync::Arc;

use app::reference::ImageReference;
use chrono::{DateTime, Utc};
use zeroize::Zeroizing;

pub use outcome::{TestOutcome, TestReport};
pub use registry_name::normalise as normalise_registry;

use crate::registry::{Credentials, Registries, RegistryError};
use crate::secrets::SecretKey;
use crate::store::{SharedStore, StoreError, StoredCredential, UserId};

/// Longest username and password accepted (tokens of cloud registries run to a few KiB).
pub const MAX_USERNAME: usize = 1024;
pub const MAX_PASSWORD: usize = 8192;

#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("the {field} is empty")]
    Empty { field: &'static str },
    #[error("the {field} is longer than {limit} bytes")]
    TooLong { field: &'static str, limit: usize },
    #[error("the username may not contain ':' or control characters")]
    BadUsername,
    #[error("{0:?} is not a registry host; give one as in an image reference, e.g. ghcr.io or registry.lan:5000")]
    BadRegistry(String),
    #[error("{0:?} is not a repository of that registry; give its path, e.g. team/app")]
    BadRepository(String),
    /// The outbound policy refuses the registry: saving would keep credentials nothing can use.
    #[error("{0}")]
    RefusedByPolicy(String),
    #[error("no credentials are saved for {registry}")]
    NotSaved { registry: String },
    /// The row does not open with the instance key (the start-up check passed, so it was altered
    /// or copied from another row): it must be saved again.
    #[error("the saved credentials for {registry} cannot be read; save them again")]
    Unreadable { registry: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A saved credential as its owner sees it: never the password.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SavedCredential {
    pub registry: String,
    pub username: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// "ok", or what failed the last time they were used or tested.
    pub last_result: Option<String>,
}

impl From<StoredCredential> for SavedCredential {
    fn from(s: StoredCredential) -> Self {
        let StoredCredential { registry, username, created_at, updated_at, last_used_at, last_result } = s;
        SavedCredential { registry, username, created_at, updated_at, last_used_at, last_result }
    }
}

#[derive(Clone)]
pub struct RegistryCredentials {
    inner: Arc<Inner>,
}

struct Inner {
    store: SharedStore,
    key: SecretKey,
    registries: Arc<Registries>,
}

/// What a sealed password is bound to: its owner and registry.
pub fn sealing_context(user: UserId, registry: &str) -> Vec<u8> {
    crate::secrets::registry_credential_context(user.0, registry)
}

impl RegistryCredentials {
    pub fn new(store: SharedStore, key: SecretKey, registries: Arc<Registries>) -> Self {
        Self { inner: Arc::new(Inner { store, key, registries }) }
    }

    /// Saves (or replaces) `user`'s credentials for `registry`; the normalised registry name.
    pub async fn save(
        &self,
        user: UserId,
        registry: &str,
        username: &str,
        password: &str,
    ) -> Result<String, CredentialsError> {
        let registry = normalise_registry(registry)?;
        check_field("username", username, MAX_USERNAME)?;
        check_field("password", password, MAX_PASSWORD)?;
        if username.chars().any(|c| c == ':' || c.is_control()) {
            return Err(CredentialsError::BadUsername);
        }
        self.inner.registries.check_policy(&registry).await.map_err(|e| match e {
            RegistryError::Net(net) => CredentialsError::RefusedByPolicy(net.public_message()),
            other => CredentialsError::RefusedByPolicy(other.public_message()),
        })?;
        let sealed = self.inner.key.seal(&sealing_context(user, &registry), password.as_bytes());
        self.inner.store.save_registry_credential(user, &registry, username, &sealed).await?;
        tracing::info!(user = user.0, registry, username, "registry credentials saved");
        Ok(registry)
    }

    /// `user`'s saved credentials, by registry, without their passwords.
    pub async fn list(&self, user: UserId) -> Result<Vec<SavedCredential>, CredentialsError> {
        Ok(self.inner.store.registry_credentials(user).await?.into_iter().map(SavedCredential::from).collect())
    }

    /// Deletes `user`'s credentials for `registry`, and with them the private repositories they
    /// opened to the user; true when there were some.
    pub async fn delete(&self, user: UserId, registry: &str) -> Result<bool, CredentialsError> {
        let registry = normalise_registry(registry)?;
        let deleted = self.inner.store.delete_registry_credential(user, &registry).await?;
        if deleted {
            tracing::info!(user = user.0, registry, "registry credentials deleted");
        }
        Ok(deleted)
    }

    /// `user`'s credentials for `registry`, opened, for a request to it; `None` when none are saved.
    pub async fn credentials_for(&self, user: UserId, registry: &str) -> Result<Option<Credentials>, CredentialsError> {
        let registry = normalise_registry(registry)?;
        let Some(saved) = self.inner.store.sealed_registry_credential(user, &registry).await? else {
            return Ok(None);
        };
        let opened = self
            .inner
            .key
            .open(&sealing_context(user, &registry), &saved.sealed)
            .map(Zeroizing::new)
            .map_err(|_| CredentialsError::Unreadable { registry: registry.clone() })?;
        let password = std::str::from_utf8(&opened).map_err(|_| CredentialsError::Unreadable { registry })?;
        Ok(Some(Credentials::new(saved.username, password)))
    }

    /// Records what a use of `user`'s credentials for `registry` found (an inspection's outcome).
    pub async fn record_use(
        &self,
        user: UserId,
        registry: &str,
        result: Result<(), &RegistryError>,
    ) -> Result<(), CredentialsError> {
        let registry = normalise_registry(registry)?;
        let text = match result {
            Ok(()) => "ok".to_string(),
            Err(error) => {
                let username = self
                    .inner
                    .store
                    .sealed_registry_credential(user, &registry)
                    .await?
                    .map(|s| s.username)
                    .unwrap_or_default();
                TestReport::from_error(error, &registry, &username).message
            }
        };
        self.inner.store.record_registry_credential_use(user, &registry, &text).await?;
        Ok(())
    }

    /// Reads `repository`'s tag list on `registry` with `user`'s saved credentials and reports what
    /// happened; the report is kept as the credentials' last result.
    pub async fn test(&self, user: UserId, registry: &str, repository: &str) -> Result<TestReport, CredentialsError> {
        let registry = normalise_registry(registry)?;
        let repository = repository_path(&registry, repository)?;
        let credentials = self
            .credentials_for(user, &registry)
            .await?
            .ok_or_else(|| CredentialsError::NotSaved { registry: registry.clone() })?;
        let read = async {
            let client = self.inner.registries.client(&registry, Some(&credentials)).await?;
            client.tags(&repository, 1).await
        };
        let report = match read.await {
            Ok(_) => TestReport::ok(&registry, &repository),
            Err(error) => {
                tracing::info!(user = user.0, registry, repository, %error, "registry credentials test failed");
                TestReport::from_error(&error, &registry, &credentials.username)
            }
        };
        self.inner.store.record_registry_credential_use(user, &registry, report.last_result()).await?;
        Ok(report)
    }
}

fn check_field(field: &'static str, value: &str, limit: usize) -> Result<(), CredentialsError> {
    if value.is_empty() {
        return Err(CredentialsError::Empty { field });
    }
    if value.len() > limit {
        return Err(CredentialsError::TooLong { field, limit });
    }
    Ok(())
}

/// `repository` as a path on `registry` (`alpine` on Docker Hub is `library/alpine`).
fn repository_path(registry: &str, repository: &str) -> Result<String, CredentialsError> {
    let typed = repository.trim().trim_start_matches('/');
    if typed.is_empty() {
        return Err(CredentialsError::Empty { field: "repository" });
    }
    let bad = || CredentialsError::BadRepository(typed.to_string());
    let parsed = ImageReference::parse_repository(&format!("{registry}/{typed}")).map_err(|_| bad())?;
    if parsed.registry != registry {
        return Err(bad());
    }
    Ok(parsed.repository)
}

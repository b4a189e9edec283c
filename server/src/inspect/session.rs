//! The registry side of one inspection: tries anonymously first, so that only repositories that
//! really need credentials are marked private.

use std::sync::Arc;

use futures_util::future::{BoxFuture, FutureExt};

use super::Inspector;
use crate::registry::{Credentials, FetchedManifest, RegistryClient, RegistryError};

/// One inspection's registry client, switched to credentials when the repository needs them.
pub(super) struct Session<'a> {
    pub(super) inspector: &'a Inspector,
    pub(super) registry: String,
    pub(super) credentials: Option<Credentials>,
    pub(super) client: Option<Arc<RegistryClient>>,
    pub(super) private: bool,
}

impl Session<'_> {
    pub(super) async fn client(&mut self) -> Result<Arc<RegistryClient>, RegistryError> {
        if let Some(client) = &self.client {
            return Ok(client.clone());
        }
        let client = self.inspector.registries.client(&self.registry, None).await?;
        self.client = Some(client.clone());
        Ok(client)
    }

    /// Runs the first request of the session; on "credentials required" switches to the
    /// credentials (if any) and marks the repository private.
    pub(super) async fn first<T>(
        &mut self,
        request: impl Fn(Arc<RegistryClient>) -> BoxFuture<'static, Result<T, RegistryError>>,
    ) -> Result<T, RegistryError> {
        let client = self.client().await?;
        match request(client).await {
            Err(RegistryError::CredentialsRequired { .. }) if self.credentials.is_some() && !self.private => {
                let client = self.inspector.registries.client(&self.registry, self.credentials.as_ref()).await?;
                self.client = Some(client.clone());
                self.private = true;
                request(client).await
            }
            other => other,
        }
    }
}

pub(super) fn fetch_manifest(
    repository: &str,
    reference: &str,
) -> impl Fn(Arc<RegistryClient>) -> BoxFuture<'static, Result<FetchedManifest, RegistryError>> {
    let (repository, reference) = (repository.to_string(), reference.to_string());
    move |client| {
        let (repository, reference) = (repository.clone(), reference.clone());
        async move { client.manifest(&repository, &reference).await }.boxed()
    }
}

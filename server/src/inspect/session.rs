//! The registry side of one inspection: who may see the repository, and a client that tries
//! anonymously first, so that only repositories that really need credentials are marked private.

use std::sync::Arc;

use app::reference::ImageReference;
use futures_util::future::{BoxFuture, FutureExt};

use super::request::Viewer;
use super::{InspectError, Inspector};
use crate::registry::{Credentials, FetchedManifest, RegistryClient, RegistryError};
use crate::store::{Repository, Visibility};

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

impl Inspector {
    /// The repository's row (when stored) and the registry session that reads it: straight with
    /// credentials when it is known to need them (the operator's only). A stored repository the
    /// viewer may not see answers as one never seen.
    pub(super) async fn open_session(
        &self,
        reference: &ImageReference,
        credentials: Option<Credentials>,
        viewer: Viewer,
        stored_only: bool,
    ) -> Result<(Option<Repository>, Session<'_>), InspectError> {
        let stored_repo = self.store.repository(&reference.registry, &reference.repository).await?;
        if stored_repo.as_ref().is_some_and(|r| !viewer.may_see(r)) {
            if stored_only {
                return Err(InspectError::NotStored { reference: reference.to_string() });
            }
            let asked = reference.digest.clone().or_else(|| reference.tag.clone()).unwrap_or_else(|| "latest".into());
            let hidden = reference.repository_path();
            return Err(self.probe(&reference.registry, hidden, fetch_manifest(&reference.repository, &asked)).await);
        }
        if stored_only && stored_repo.is_none() {
            return Err(InspectError::NotStored { reference: reference.to_string() });
        }
        let private = stored_repo.as_ref().is_some_and(|r| r.visibility == Visibility::Private);
        let credentials = if viewer == Viewer::Operator { credentials } else { None };
        let mut session =
            Session { inspector: self, registry: reference.registry.clone(), credentials, client: None, private };
        if private && let Some(creds) = session.credentials.clone() {
            // Known to need credentials: skip the anonymous attempt.
            session.client = Some(self.registries.client(&reference.registry, Some(&creds)).await?);
        }
        Ok((stored_repo, session))
    }

    /// The answer for a stored repository the viewer may not see: the registry is asked
    /// anonymously, as it is for a repository never seen, and its refusal (401, 404) is the
    /// answer, in the same time and words. Should it serve the repository now, what was stored
    /// while it needed credentials stays hidden all the same.
    pub(super) async fn probe<T>(
        &self,
        registry: &str,
        hidden: String,
        request: impl Fn(Arc<RegistryClient>) -> BoxFuture<'static, Result<T, RegistryError>>,
    ) -> InspectError {
        let answer = match self.registries.client(registry, None).await {
            Ok(client) => request(client).await.map(drop),
            Err(e) => Err(e),
        };
        match answer {
            Ok(()) => InspectError::Hidden { reference: hidden },
            Err(refused) => refused.into(),
        }
    }
}

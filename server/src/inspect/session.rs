//! The registry side of one inspection: who may see the repository, and a client that tries
//! anonymously first, so that only repositories that really need credentials are marked private.

use std::sync::Arc;

use app::reference::ImageReference;
use futures_util::future::{BoxFuture, FutureExt};

use super::admission::Admission;
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
    /// The credentials were needed and accepted: the repository turned out private here.
    pub(super) switched: bool,
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
                let answer = request(client).await;
                self.switched = answer.is_ok();
                answer
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
    /// credentials when it is known to need them. A stored repository the viewer may not see
    /// answers as one never seen.
    pub(super) async fn open_session(
        &self,
        reference: &ImageReference,
        credentials: Option<Credentials>,
        viewer: Viewer,
        stored_only: bool,
    ) -> Result<(Option<Repository>, Session<'_>), InspectError> {
        let stored_repo = self.store.repository(&reference.registry, &reference.repository).await?;
        let credentials = if viewer.uses_credentials() { credentials } else { None };
        if let Some(repo) = &stored_repo {
            let asked = reference.digest.clone().or_else(|| reference.tag.clone()).unwrap_or_else(|| "latest".into());
            let read = fetch_manifest(&reference.repository, &asked);
            let hidden = reference.repository_path();
            let refused = match self.admit(repo, viewer, credentials.as_ref(), stored_only, hidden, read).await? {
                Admission::Admitted => None,
                Admission::Refused(_) if stored_only => Some(not_stored(reference)),
                Admission::Refused(answer) => Some(answer),
            };
            if let Some(answer) = refused {
                return Err(answer);
            }
        }
        if stored_only && stored_repo.is_none() {
            return Err(not_stored(reference));
        }
        let private = stored_repo.as_ref().is_some_and(|r| r.visibility == Visibility::Private);
        let mut session = Session {
            inspector: self,
            registry: reference.registry.clone(),
            credentials,
            client: None,
            private,
            switched: false,
        };
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

fn not_stored(reference: &ImageReference) -> InspectError {
    InspectError::NotStored { reference: reference.to_string() }
}

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

/// Whether a viewer may go on to a stored repository, after asking its registry if need be.
pub(super) enum Admission {
    Admitted,
    /// Answered exactly as a repository never seen would be, for this viewer.
    Refused(InspectError),
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

    /// Whether `viewer` may go on to the stored `repo`. A public one, and everything for the
    /// operator and administrators: yes. A private one: for its badge token's holder; for a user
    /// with a grant younger than the tag TTL; for a user whose own credentials read it now with
    /// `read` (the grant is recorded or renewed). Anyone else is refused with the registry's answer
    /// to the same requests a repository never seen gets (`stored_only`: no request, a bare refusal).
    pub(super) async fn admit<T>(
        &self,
        repo: &Repository,
        viewer: Viewer,
        credentials: Option<&Credentials>,
        stored_only: bool,
        hidden: String,
        read: impl Fn(Arc<RegistryClient>) -> BoxFuture<'static, Result<T, RegistryError>>,
    ) -> Result<Admission, InspectError> {
        if repo.visibility == Visibility::Public || viewer.sees_all() {
            return Ok(Admission::Admitted);
        }
        let user = match viewer {
            Viewer::BadgeToken(id) if id == repo.id => return Ok(Admission::Admitted),
            Viewer::User { id, .. } => id,
            _ => return Ok(self.refused(stored_only, &repo.registry, hidden, read).await),
        };
        let granted = self.store.repository_grant(user, repo.id).await?;
        if stored_only {
            // No registry request from the store alone: any grant stands until a read re-checks it.
            return Ok(match granted {
                Some(_) => Admission::Admitted,
                None => Admission::Refused(InspectError::NotStored { reference: hidden }),
            });
        }
        // A user with no saved credentials for the registry gets what anyone gets.
        let Some(credentials) = credentials else {
            return Ok(self.refused(false, &repo.registry, hidden, read).await);
        };
        let fresh = granted.is_some_and(|at| (chrono::Utc::now() - at).to_std().is_ok_and(|age| age < self.tag_ttl));
        if fresh {
            return Ok(Admission::Admitted);
        }
        // Asked as a repository never seen is, for this user: anonymously, then with their credentials.
        match self.read_as(&repo.registry, credentials, &read).await {
            Ok(true) => {
                self.store.grant_repository(user, repo.id).await?;
                Ok(Admission::Admitted)
            }
            Ok(false) => Ok(Admission::Refused(InspectError::Hidden { reference: hidden })),
            // The repository answers and the user may read it; what they asked for is not there
            // (the inspection that follows finds that out itself and records a deleted tag).
            Err(RegistryError::ManifestNotFound { .. }) if granted.is_some() => {
                self.store.grant_repository(user, repo.id).await?;
                Ok(Admission::Admitted)
            }
            Err(refused) if is_refusal(&refused) || granted.is_none() => {
                if granted.is_some() {
                    // Access revoked at the registry disappears here too.
                    self.store.revoke_repository_grant(user, repo.id).await?;
                }
                Ok(Admission::Refused(refused.into()))
            }
            Err(e) => {
                // The registry could not be asked (unreachable, timed out, 5xx): the grant stays,
                // and what is stored keeps being served, stale, until the registry answers again.
                tracing::debug!(error = %e, "a grant could not be re-checked; kept");
                Ok(Admission::Admitted)
            }
        }
    }

    /// The refusal for a viewer who may not see a stored repository: as for one never seen.
    async fn refused<T>(
        &self,
        stored_only: bool,
        registry: &str,
        hidden: String,
        read: impl Fn(Arc<RegistryClient>) -> BoxFuture<'static, Result<T, RegistryError>>,
    ) -> Admission {
        if stored_only {
            return Admission::Refused(InspectError::NotStored { reference: hidden });
        }
        Admission::Refused(self.probe(registry, hidden, read).await)
    }

    /// `read` as a session does it for a repository never seen: anonymously, then, when that needs
    /// credentials, with `credentials`. True when only the credentials could read it; false when
    /// anyone could (the repository turned public at the registry).
    async fn read_as<T>(
        &self,
        registry: &str,
        credentials: &Credentials,
        read: &impl Fn(Arc<RegistryClient>) -> BoxFuture<'static, Result<T, RegistryError>>,
    ) -> Result<bool, RegistryError> {
        let client = self.registries.client(registry, None).await?;
        match read(client).await {
            Ok(_) => Ok(false),
            Err(RegistryError::CredentialsRequired { .. }) => {
                let client = self.registries.client(registry, Some(credentials)).await?;
                read(client).await.map(|_| true)
            }
            Err(e) => Err(e),
        }
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

/// The registry's answers that say the credentials do not (or no longer) read the repository.
fn is_refusal(error: &RegistryError) -> bool {
    matches!(
        error,
        RegistryError::CredentialsRequired { .. }
            | RegistryError::WrongCredentials { .. }
            | RegistryError::AccessDenied { .. }
            | RegistryError::RepositoryNotFound { .. }
            | RegistryError::ManifestNotFound { .. }
    )
}

fn not_stored(reference: &ImageReference) -> InspectError {
    InspectError::NotStored { reference: reference.to_string() }
}

//! Whether a viewer may go on to a stored private repository: its badge token's holder, the
//! operator and administrators, and a user whose own credentials read it (a grant, re-checked at
//! the registry once older than the tag TTL). Anyone else is refused with exactly the answer a
//! repository never seen gets from the registry, after the same requests.

use std::sync::Arc;

use futures_util::future::BoxFuture;

use super::request::Viewer;
use super::{InspectError, Inspector};
use crate::registry::{Credentials, RegistryClient, RegistryError};
use crate::store::{Repository, Visibility};

/// Whether a viewer may go on to a stored repository, after asking its registry if need be.
pub(super) enum Admission {
    Admitted,
    /// Answered exactly as a repository never seen would be, for this viewer.
    Refused(InspectError),
}

impl Inspector {
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


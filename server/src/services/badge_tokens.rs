//! Badge tokens as users manage them: a private repository's own, for those who may see it, with
//! a user's grant re-checked at the registry once it is older than the tag TTL.

use chrono::{DateTime, Utc};

use super::Services;
use crate::badge::BadgeTokenError;
use crate::inspect::Viewer;
use crate::store::Visibility;

impl Services {
    /// When the private repository `repository` (`registry/name`) got its badge token (`None`:
    /// none yet), for a viewer who may see it; anyone else is told it was not found.
    pub async fn badge_token_status(
        &self,
        viewer: Viewer,
        repository: &str,
    ) -> Result<Option<DateTime<Utc>>, BadgeTokenError> {
        let status = self.badges.badge_token_status(viewer, repository).await;
        if self.recheck(viewer, repository, &status).await? {
            return self.badges.badge_token_status(viewer, repository).await;
        }
        status
    }

    /// A new badge token for `repository`, retiring its old one; for the same viewers.
    pub async fn rotate_badge_token(&self, viewer: Viewer, repository: &str) -> Result<String, BadgeTokenError> {
        let rotated = self.badges.rotate_badge_token(viewer, repository).await;
        if self.recheck(viewer, repository, &rotated).await? {
            return self.badges.rotate_badge_token(viewer, repository).await;
        }
        rotated
    }

    /// After a refusal, for a user who may hold a grant that is stale or still on its way (their
    /// first visit's listing may be running): list the repository once, which re-checks the grant
    /// with their credentials, records or renews it, or withdraws it. True when worth asking again.
    async fn recheck<T>(
        &self,
        viewer: Viewer,
        repository: &str,
        answer: &Result<T, BadgeTokenError>,
    ) -> Result<bool, BadgeTokenError> {
        if !matches!(answer, Err(BadgeTokenError::NotFound(_))) || !matches!(viewer, Viewer::User { .. }) || viewer.sees_all() {
            return Ok(false);
        }
        // Public repositories have no token: no registry request for them.
        let Some((registry, name)) = repository.trim_matches('/').split_once('/') else { return Ok(false) };
        let stored = self.store.repository(registry, name).await?;
        if stored.is_some_and(|r| r.visibility == Visibility::Public) {
            return Ok(false);
        }
        Ok(self.images.tags(viewer, repository, 1, None).await.is_ok())
    }
}

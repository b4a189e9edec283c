//! A repository's tags as the registry lists them, each summarised through the inspection cache;
//! tag names for the base indexer; blob clients for scans.

use std::sync::Arc;

use app::dto::ImageReport;
use app::reference::ImageReference;
use futures_util::StreamExt;
use futures_util::future::FutureExt;

use super::request::{InspectRequest, Viewer};
use super::admission::Admission;
use super::session::Session;
use super::{InspectError, Inspector};
use crate::registry::{Credentials, RegistryClient, RegistryError};
use crate::store::Visibility;

/// A listing this long may be cut short: no tag is taken as deleted for missing from it.
const TAG_LIST_LIMIT: usize = 10_000;
/// Stored tags missing from a listing that are confirmed gone (one HEAD each) per listing; the
/// rest are looked at by the next one.
const CONFIRM_PER_LISTING: usize = 16;

impl Inspector {
    /// Stored tags missing from the registry's listing (made at `listed_at`) are asked for once
    /// more, since registries may list short: those it answers 404 for are recorded as deleted
    /// (each raising `tag.deleted`). Failures here are logged, never the listing's.
    async fn record_deleted_tags(
        &self,
        client: &RegistryClient,
        repository: &crate::store::Repository,
        listed: &[String],
        listed_at: chrono::DateTime<chrono::Utc>,
    ) {
        if listed.len() >= TAG_LIST_LIMIT {
            return;
        }
        let listed: std::collections::HashSet<&str> = listed.iter().map(String::as_str).collect();
        let stored = match self.store.live_tags(repository.id).await {
            Ok(stored) => stored,
            Err(e) => return tracing::warn!(error = %e, "stored tags not compared with the listing"),
        };
        let missing = stored.into_iter().filter(|t| !listed.contains(t.as_str())).take(CONFIRM_PER_LISTING);
        for tag in missing {
            match client.manifest_digest(&repository.name, &tag).await {
                Err(RegistryError::ManifestNotFound { .. }) => {
                    if let Err(e) = self.store.record_tag_deleted(repository.id, &tag, listed_at).await {
                        tracing::warn!(tag, error = %e, "a deleted tag was not recorded");
                    }
                }
                Ok(_) => tracing::debug!(tag, "missing from the listing, but the registry still has it"),
                Err(e) => tracing::debug!(tag, error = %e, "a tag missing from the listing could not be checked"),
            }
        }
    }

    /// A client for reading `reference`'s blobs: with `credentials` when the repository is private.
    pub async fn blob_client(
        &self,
        reference: &ImageReference,
        credentials: Option<&Credentials>,
    ) -> Result<Arc<RegistryClient>, InspectError> {
        let repo = self.store.repository(&reference.registry, &reference.repository).await?;
        let private = repo.is_some_and(|r| r.visibility == Visibility::Private);
        Ok(self.registries.client(&reference.registry, if private { credentials } else { None }).await?)
    }

    /// A public repository's tag names as the registry lists them (at most `max`).
    pub async fn tag_names(&self, repository: &ImageReference, max: usize) -> Result<Vec<String>, InspectError> {
        let client = self.registries.client(&repository.registry, None).await?;
        Ok(client.tags(&repository.repository, max).await?)
    }

    /// Whether `viewer` may see the stored `repository` outside an inspection (its scans and
    /// packages), as a tag listing admits: a user's grant older than the tag TTL is re-checked
    /// with their `credentials` first (and withdrawn when the registry refuses them).
    pub async fn admit_stored(
        &self,
        repository: &ImageReference,
        viewer: Viewer,
        credentials: Option<Credentials>,
    ) -> Result<(), InspectError> {
        let hidden = repository.repository_path();
        let Some(repo) = self.store.repository(&repository.registry, &repository.repository).await? else {
            return Err(InspectError::Hidden { reference: hidden });
        };
        let credentials = if viewer.uses_credentials() { credentials } else { None };
        match self.admit(&repo, viewer, credentials.as_ref(), false, hidden, tag_listing(&repository.repository)).await? {
            Admission::Admitted => Ok(()),
            Admission::Refused(answer) => Err(answer),
        }
    }

    /// A page of a repository's tags as the registry lists them (sorted as it sorts them), each
    /// inspected through the cache so the table can show size, layers, platforms and dates.
    pub async fn repository_tags(
        &self,
        repository: &ImageReference,
        page_size: usize,
        after: Option<&str>,
        credentials: Option<Credentials>,
        viewer: Viewer,
    ) -> Result<app::dto::RepositoryTags, InspectError> {
        let registry = repository.registry.clone();
        let name = repository.repository.clone();
        let stored = self.store.repository(&registry, &name).await?;
        let private = stored.as_ref().is_some_and(|r| r.visibility == Visibility::Private);
        let credentials = if viewer.uses_credentials() { credentials } else { None };
        if let Some(repo) = &stored {
            // Refused as a repository never seen is: the registry's own refusal of the listing.
            let hidden = repository.repository_path();
            if let Admission::Refused(answer) =
                self.admit(repo, viewer, credentials.as_ref(), false, hidden, tag_listing(&name)).await?
            {
                return Err(answer);
            }
        }
        let mut session =
            Session { inspector: self, registry: registry.clone(), credentials, client: None, private, switched: false };
        if private && let Some(creds) = session.credentials.clone() {
            // Known to need credentials: skip the anonymous attempt.
            session.client = Some(self.registries.client(&registry, Some(&creds)).await?);
        }
        let listed_at = chrono::Utc::now();
        let all = session.first(tag_listing(&name)).await?;
        if let Some(repo) = &stored {
            let client = session.client().await?;
            self.record_deleted_tags(&client, repo, &all, listed_at).await;
        }
        let start = after.map_or(0, |last| all.iter().position(|t| t.as_str() == last).map_or(0, |i| i + 1));
        let page: Vec<String> = all.iter().skip(start).take(page_size).cloned().collect();
        let next = (start + page.len() < all.len()).then(|| page.last().cloned()).flatten();

        let summaries = futures_util::stream::iter(page.into_iter().map(|tag| {
            let mut reference = repository.clone();
            reference.tag = Some(tag.clone());
            reference.digest = None;
            let credentials = session.credentials.clone();
            async move {
                match self.inspect(InspectRequest::new(&reference, viewer).credentials(credentials)).await {
                    Ok(report) => summary(tag, &report),
                    Err(e) => {
                        tracing::debug!(tag = %tag, error = %e, "tag not inspected");
                        app::dto::TagSummary {
                            name: tag,
                            digest: None,
                            size: None,
                            layers: None,
                            platforms: Vec::new(),
                            created: None,
                            last_changed: None,
                        }
                    }
                }
            }
        }))
        .buffered(4)
        .collect::<Vec<_>>()
        .await;
        Ok(app::dto::RepositoryTags {
            repository: repository.repository_path(),
            registry,
            name,
            private: session.private || private,
            total: all.len(),
            tags: summaries,
            next,
        })
    }
}

/// The registry's tag list of `repository` (at most [`TAG_LIST_LIMIT`]).
fn tag_listing(
    repository: &str,
) -> impl Fn(Arc<RegistryClient>) -> futures_util::future::BoxFuture<'static, Result<Vec<String>, RegistryError>> {
    let repository = repository.to_string();
    move |client| {
        let repository = repository.clone();
        async move { client.tags(&repository, TAG_LIST_LIMIT).await }.boxed()
    }
}

fn summary(tag: String, report: &ImageReport) -> app::dto::TagSummary {
    // The table shows the first platform's figures (linux/amd64 comes first in most indexes).
    let first = report.platforms.first();
    app::dto::TagSummary {
        name: tag,
        digest: Some(report.digest.clone()),
        size: first.map(|p| p.size),
        layers: first.map(|p| p.layers.len()),
        platforms: report.platforms.iter().map(|p| p.platform.to_string()).collect(),
        created: report.platforms.iter().filter_map(|p| p.created.clone()).max(),
        last_changed: report.tag_history.first().map(|h| h.first_seen.clone()),
    }
}

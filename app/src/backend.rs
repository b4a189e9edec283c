//! What the UI needs from the server, as one trait the server implements (SSR only).

use std::sync::Arc;

use crate::dto::{ImageReport, PackageRow, RepositoryTags, ScanSummary, ServerStatus};
use crate::error::AppError;

#[async_trait::async_trait]
pub trait Backend: Send + Sync + 'static {
    async fn status(&self) -> Result<ServerStatus, AppError>;
    /// `reference` as a user writes it; an anonymous visitor's view (public images only).
    async fn inspect(&self, reference: String, platform: Option<String>) -> Result<ImageReport, AppError>;
    /// The scan of platform image `digest` of `reference`'s repository, queued on first ask.
    async fn scan(&self, reference: String, digest: String) -> Result<ScanSummary, AppError>;
    /// The packages that scan found; `None` until it is done.
    async fn scan_packages(&self, reference: String, digest: String) -> Result<Option<Vec<PackageRow>>, AppError>;
    async fn repository_tags(
        &self,
        repository: String,
        page_size: usize,
        after: Option<String>,
    ) -> Result<RepositoryTags, AppError>;
}

/// The form in which the backend travels through Leptos' context.
pub type SharedBackend = Arc<dyn Backend>;

//! Server functions: thin wrappers that find the backend in context and call it.

use leptos::prelude::*;

use crate::dto::{ImageReport, PackageRow, RepositoryTags, ScanSummary, ServerStatus};
use crate::error::AppError;

#[cfg(feature = "ssr")]
fn backend() -> Result<crate::backend::SharedBackend, AppError> {
    use_context::<crate::backend::SharedBackend>().ok_or(AppError::Internal)
}

#[server(endpoint = "status")]
pub async fn get_server_status() -> Result<ServerStatus, AppError> {
    backend()?.status().await
}

#[server(endpoint = "inspect")]
pub async fn inspect_image(reference: String, platform: Option<String>) -> Result<ImageReport, AppError> {
    backend()?.inspect(reference, platform).await
}

#[server(endpoint = "tags")]
pub async fn list_repository_tags(
    repository: String,
    page_size: usize,
    after: Option<String>,
) -> Result<RepositoryTags, AppError> {
    backend()?.repository_tags(repository, page_size.clamp(1, 100), after).await
}

#[server(endpoint = "scan")]
pub async fn scan_status(reference: String, digest: String) -> Result<ScanSummary, AppError> {
    backend()?.scan(reference, digest).await
}

#[server(endpoint = "scan-packages")]
pub async fn scan_packages(reference: String, digest: String) -> Result<Option<Vec<PackageRow>>, AppError> {
    backend()?.scan_packages(reference, digest).await
}

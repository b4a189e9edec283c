//! Server functions: thin wrappers that find the backend in context and call it.

use leptos::prelude::*;

use crate::dto::{
    AccountPage, BadgeTokenPanel, ChannelChoice, ChannelLogPage, ImageReport, Me, NotificationsPage, PackageRow,
    RegistryRow, RepositoryTags, ScanSummary, ServerStatus, TokensPage,
};
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

#[server(endpoint = "me")]
pub async fn current_user() -> Result<Option<Me>, AppError> {
    backend()?.me().await
}

#[server(endpoint = "signup-open")]
pub async fn signup_open() -> Result<bool, AppError> {
    backend()?.signup_open().await
}

#[server(endpoint = "account")]
pub async fn account_settings() -> Result<AccountPage, AppError> {
    backend()?.account().await
}

#[server(endpoint = "api-tokens")]
pub async fn api_tokens() -> Result<TokensPage, AppError> {
    backend()?.api_tokens().await
}

#[server(endpoint = "registries")]
pub async fn saved_registries() -> Result<Vec<RegistryRow>, AppError> {
    backend()?.registries().await
}

#[server(endpoint = "badge-token")]
pub async fn repository_badge_token(repository: String) -> Result<Option<BadgeTokenPanel>, AppError> {
    backend()?.badge_token(repository).await
}

#[server(endpoint = "notifications")]
pub async fn notifications() -> Result<NotificationsPage, AppError> {
    backend()?.notifications().await
}

#[server(endpoint = "channel-log")]
pub async fn channel_log(channel: i64) -> Result<ChannelLogPage, AppError> {
    backend()?.channel_log(channel).await
}

#[server(endpoint = "watch-channels")]
pub async fn watch_channels() -> Result<Option<Vec<ChannelChoice>>, AppError> {
    backend()?.watch_channels().await
}

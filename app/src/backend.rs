//! What the UI needs from the server, as one trait the server implements (SSR only).

use std::sync::Arc;

use crate::dto::{
    AccountPage, BadgeTokenPanel, ChannelChoice, ChannelLogPage, ImageReport, Me, NotificationsPage, PackageRow,
    RegistryRow, RepositoryTags, ScanSummary, ServerStatus, TokensPage,
};
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

    // Accounts. The caller is the request's signed-in user, found by the server from its session
    // cookie; the methods below answer `AppError::LoginRequired` to anonymous visitors.
    /// `None` for an anonymous visitor.
    async fn me(&self) -> Result<Option<Me>, AppError>;
    /// Whether the sign-up page may make an account (`SHIPSHAPE_SIGNUP`, or no account yet).
    async fn signup_open(&self) -> Result<bool, AppError>;
    async fn account(&self) -> Result<AccountPage, AppError>;
    /// The user's API tokens, and the one made a moment ago (shown once).
    async fn api_tokens(&self) -> Result<TokensPage, AppError>;
    async fn registries(&self) -> Result<Vec<RegistryRow>, AppError>;
    /// The badge-token panel of repository `repository` (`registry/name`), for a user who may see it
    /// and it is private; `None` otherwise (public repositories need no token).
    async fn badge_token(&self, repository: String) -> Result<Option<BadgeTokenPanel>, AppError>;
    /// The user's channels and watches, and a webhook secret made a moment ago (shown once).
    async fn notifications(&self) -> Result<NotificationsPage, AppError>;
    /// The user's channel `channel` and its newest deliveries.
    async fn channel_log(&self, channel: i64) -> Result<ChannelLogPage, AppError>;
    /// The channels a "Watch" panel offers; `None` for an anonymous visitor (no error: the panel
    /// offers to log in instead).
    async fn watch_channels(&self) -> Result<Option<Vec<ChannelChoice>>, AppError>;
}

/// The form in which the backend travels through Leptos' context.
pub type SharedBackend = Arc<dyn Backend>;

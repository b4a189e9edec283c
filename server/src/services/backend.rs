//! The UI's `Backend`: each server function's call, made as the request's caller (signed in by
//! its session cookie, or anonymous).

use app::backend::Backend;
use app::dto::{
    AccountPage, BadgeTokenPanel, ChannelChoice, ChannelLogPage, FreshSecret, ImageReport, Me, NotificationsPage,
    PackageRow, RegistryRow, RepositoryTags, ScanSummary, ServerStatus, SessionRow, TokenRow, TokensPage,
};
use app::error::AppError;

use super::{ImageQuery, ServiceError, Services};
use crate::auth::Account;
use crate::http::fresh;
use crate::http::caller::{Caller, SecureCookies};

#[async_trait::async_trait]
impl Backend for Services {
    async fn status(&self) -> Result<ServerStatus, AppError> {
        // Counted as visitors may see: a private repository must not show even as a number.
        let counts = self.store.public_counts().await.map_err(ServiceError::from)?;
        Ok(ServerStatus {
            version: env!("CARGO_PKG_VERSION").to_string(),
            database: self.store.backend_name().to_string(),
            repositories: counts.repositories,
            manifests: counts.manifests,
        })
    }

    async fn inspect(&self, reference: String, platform: Option<String>) -> Result<ImageReport, AppError> {
        let query = ImageQuery { platform: platform.as_deref(), ..ImageQuery::new(&reference) };
        Ok(self.images.inspect(caller().viewer(), query).await?)
    }

    async fn scan(&self, reference: String, digest: String) -> Result<ScanSummary, AppError> {
        Ok(self.scans.of_image(caller().viewer(), &reference, &digest).await?)
    }

    async fn scan_packages(&self, reference: String, digest: String) -> Result<Option<Vec<PackageRow>>, AppError> {
        Ok(self.scans.packages(caller().viewer(), &reference, &digest).await?)
    }

    async fn repository_tags(
        &self,
        repository: String,
        page_size: usize,
        after: Option<String>,
    ) -> Result<RepositoryTags, AppError> {
        Ok(self.images.tags(caller().viewer(), &repository, page_size, after.as_deref()).await?)
    }

    async fn me(&self) -> Result<Option<Me>, AppError> {
        Ok(caller().account().map(me))
    }

    async fn signup_open(&self) -> Result<bool, AppError> {
        // A closed server still takes its first account, so a fresh install can be claimed.
        let open = self.accounts.settings().signup == crate::auth::Signup::Open;
        Ok(open || self.store.count_users().await.map_err(ServiceError::from)? == 0)
    }

    async fn account(&self) -> Result<AccountPage, AppError> {
        let caller = caller();
        let account = signed_in(&caller)?;
        let sessions = self.accounts.sessions(account, caller.session_cookie()).await.map_err(ServiceError::from)?;
        let sessions = sessions
            .into_iter()
            .map(|s| SessionRow {
                id: s.id,
                created_at: time(s.created_at),
                last_seen_at: time(s.last_seen_at),
                user_agent: s.user_agent,
                current: s.current,
            })
            .collect();
        Ok(AccountPage { me: me(account), sessions })
    }

    async fn api_tokens(&self) -> Result<TokensPage, AppError> {
        let caller = caller();
        let account = signed_in(&caller)?;
        let fresh = take_fresh(fresh::Kind::ApiToken, |_| true).map(|(name, value)| FreshSecret { name, value });
        let tokens = self.accounts.tokens(account).await.map_err(ServiceError::from)?;
        let tokens = tokens
            .into_iter()
            .map(|t| TokenRow {
                id: t.id,
                name: t.name,
                hint: t.hint,
                scope: t.scope.as_str().to_string(),
                created_at: time(t.created_at),
                last_used_at: t.last_used_at.map(time),
            })
            .collect();
        Ok(TokensPage { tokens, fresh })
    }

    async fn registries(&self) -> Result<Vec<RegistryRow>, AppError> {
        let caller = caller();
        let account = signed_in(&caller)?;
        let credentials = self.credentials.as_ref().ok_or(ServiceError::NoCredentialStore)?;
        let saved = credentials.list(account.id).await.map_err(ServiceError::from)?;
        Ok(saved
            .into_iter()
            .map(|c| RegistryRow {
                registry: c.registry,
                username: c.username,
                created_at: time(c.created_at),
                updated_at: time(c.updated_at),
                last_used_at: c.last_used_at.map(time),
                last_result: c.last_result,
            })
            .collect())
    }

    async fn badge_token(&self, repository: String) -> Result<Option<BadgeTokenPanel>, AppError> {
        let caller = caller();
        if caller.account().is_none() {
            return Ok(None);
        }
        // Public repositories need no token, and others' private ones are not this user's to manage.
        let status = self.badge_token_status(caller.viewer(), &repository).await;
        let created_at = match status {
            Ok(created_at) => created_at,
            Err(crate::badge::BadgeTokenError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(ServiceError::from(e).into()),
        };
        let fresh = take_fresh(fresh::Kind::BadgeToken, |name| name.trim_matches('/') == repository.trim_matches('/'))
            .map(|(name, value)| FreshSecret { name, value });
        Ok(Some(BadgeTokenPanel { created_at: created_at.map(time), fresh }))
    }

    async fn notifications(&self) -> Result<NotificationsPage, AppError> {
        let caller = caller();
        let account = signed_in(&caller)?;
        // One cookie carries one fresh secret: whichever kind the last form made.
        let secret = take_fresh(fresh::Kind::WebhookSecret, |_| true).map(|(name, value)| FreshSecret { name, value });
        let hook = take_fresh(fresh::Kind::RefreshHook, |_| true).map(|(name, value)| FreshSecret { name, value });
        Ok(self.notifications_page(caller.viewer(), account.id, secret, hook).await?)
    }

    async fn channel_log(&self, channel: i64) -> Result<ChannelLogPage, AppError> {
        let caller = caller();
        let account = signed_in(&caller)?;
        Ok(self.channel_log_page(account.id, channel).await?)
    }

    async fn watch_channels(&self) -> Result<Option<Vec<ChannelChoice>>, AppError> {
        match caller().account() {
            Some(account) => Ok(Some(self.channel_choices(account.id).await?)),
            None => Ok(None),
        }
    }
}

/// The request's caller, as `http::caller::identify` found it (server functions and pages run
/// inside the request's Leptos context).
fn caller() -> Caller {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Caller>().cloned())
        .unwrap_or_default()
}

fn signed_in(caller: &Caller) -> Result<&Account, AppError> {
    caller.account().ok_or(AppError::LoginRequired)
}

fn me(account: &Account) -> Me {
    Me { username: account.username.clone(), admin: account.admin }
}

fn time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The secret a form made a moment ago, once, when it is the one `wanted`: the cookie that
/// carried it is cleared in this answer.
fn take_fresh(kind: fresh::Kind, wanted: impl Fn(&str) -> bool) -> Option<(String, String)> {
    let parts = leptos::prelude::use_context::<axum::http::request::Parts>()?;
    let found = fresh::read(&parts.headers, kind).filter(|(name, _)| wanted(name))?;
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        let secure = parts.extensions.get::<SecureCookies>().is_some_and(|s| s.0);
        response.append_header(axum::http::header::SET_COOKIE, fresh::clear(secure));
    }
    Some(found)
}

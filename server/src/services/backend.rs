//! The UI's `Backend`: each server function's call, made as an anonymous visitor (accounts will
//! bring the signed-in viewer here).

use app::backend::Backend;
use app::dto::{
    AccountPage, BadgeTokenPanel, ImageReport, Me, PackageRow, RegistryRow, RepositoryTags, ScanSummary, ServerStatus,
    TokensPage,
};
use app::error::AppError;

use super::{ImageQuery, ServiceError, Services};
use crate::inspect::Viewer;

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
        Ok(self.images.inspect(Viewer::Anonymous, query).await?)
    }

    async fn scan(&self, reference: String, digest: String) -> Result<ScanSummary, AppError> {
        Ok(self.scans.of_image(Viewer::Anonymous, &reference, &digest).await?)
    }

    async fn scan_packages(&self, reference: String, digest: String) -> Result<Option<Vec<PackageRow>>, AppError> {
        Ok(self.scans.packages(Viewer::Anonymous, &reference, &digest).await?)
    }

    async fn repository_tags(
        &self,
        repository: String,
        page_size: usize,
        after: Option<String>,
    ) -> Result<RepositoryTags, AppError> {
        Ok(self.images.tags(Viewer::Anonymous, &repository, page_size, after.as_deref()).await?)
    }

    async fn me(&self) -> Result<Option<Me>, AppError> {
        Ok(None)
    }

    async fn signup_open(&self) -> Result<bool, AppError> {
        Ok(false)
    }

    async fn account(&self) -> Result<AccountPage, AppError> {
        Err(AppError::LoginRequired)
    }

    async fn api_tokens(&self) -> Result<TokensPage, AppError> {
        Err(AppError::LoginRequired)
    }

    async fn registries(&self) -> Result<Vec<RegistryRow>, AppError> {
        Err(AppError::LoginRequired)
    }

    async fn badge_token(&self, _repository: String) -> Result<Option<BadgeTokenPanel>, AppError> {
        Ok(None)
    }
}

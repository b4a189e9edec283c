//! `Services`: the server's implementation of the UI's `Backend` trait.

use app::backend::Backend;
use app::dto::ServerStatus;
use app::error::AppError;

use crate::store::SharedStore;

pub struct Services {
    pub store: SharedStore,
}

#[async_trait::async_trait]
impl Backend for Services {
    async fn status(&self) -> Result<ServerStatus, AppError> {
        let counts = self.store.counts().await.map_err(|e| {
            tracing::error!(error = %e, "reading store counts");
            AppError::Internal
        })?;
        Ok(ServerStatus {
            version: env!("CARGO_PKG_VERSION").to_string(),
            database: self.store.backend_name().to_string(),
            repositories: counts.repositories,
            manifests: counts.manifests,
        })
    }
}

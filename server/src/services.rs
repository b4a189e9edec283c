//! `Services`: everything the HTTP layer and the UI call, assembled once per process; the server's
//! implementation of the UI's `Backend` trait.

use std::sync::{Arc, Once};

use app::backend::Backend;
use app::dto::{ImageReport, PackageRow, RepositoryTags, ScanSummary, ServerStatus};
use app::error::AppError;
use app::reference::ImageReference;

use crate::badge::Badges;
use crate::config::Config;
use crate::inspect::{InspectError, InspectRequest, Inspector, PlatformFilter, Viewer};
use crate::net::Policy;
use crate::registry::{Registries, RegistryError, RegistrySettings};
use crate::store::SharedStore;

pub struct Services {
    pub store: SharedStore,
    pub inspector: Arc<Inspector>,
    pub badges: Badges,
}

impl Services {
    pub fn new(store: SharedStore, config: &Config) -> Self {
        Self::with_registries(store, Arc::new(registries(config)), config)
    }

    /// With registry clients made beforehand (a command warms its registry's client while the
    /// database opens).
    pub fn with_registries(store: SharedStore, registries: Arc<Registries>, config: &Config) -> Self {
        let inspector = Arc::new(Inspector::new(store.clone(), registries, config.tag_ttl));
        let badges = Badges::new(store.clone(), inspector.clone(), config.tag_ttl);
        Self { store, inspector, badges }
    }

    /// `reference`'s repository when it is public and known to hold `digest`: the page's scan
    /// calls name nothing else, so nothing else is queued or shown.
    async fn public_image(&self, reference: &str, digest: &str) -> Result<ImageReference, AppError> {
        let reference = ImageReference::parse(reference).map_err(|e| AppError::InvalidInput(e.to_string()))?;
        let hidden =
            || AppError::NotFound(format!("{} has no image {digest}, or it is private", reference.repository_path()));
        let repo =
            self.store.repository(&reference.registry, &reference.repository).await.map_err(scan_store_error)?;
        let repo = repo.filter(|r| r.visibility == crate::store::Visibility::Public).ok_or_else(hidden)?;
        if !self.store.repository_has_manifest(repo.id, digest).await.map_err(scan_store_error)? {
            return Err(hidden());
        }
        Ok(reference)
    }
}

fn scan_store_error(e: crate::store::StoreError) -> AppError {
    tracing::error!(error = %e, "reading a scan");
    AppError::Internal
}

/// The registry clients' cache, under the configured outbound policy and settings.
pub fn registries(config: &Config) -> Registries {
    install_crypto_provider();
    Registries::new(
        Policy::new(config.allow_hosts.clone()),
        RegistrySettings { timeout: config.registry_timeout, insecure: config.insecure_registries.clone() },
    )
}

/// reqwest is built without a bundled TLS provider: install ring once per process.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// What a visitor may learn from an inspection failure; internals go to the log.
pub fn app_error(err: InspectError) -> AppError {
    match err {
        InspectError::Reference(e) => AppError::InvalidInput(e.to_string()),
        InspectError::BadPlatform(_) => AppError::InvalidInput(err.to_string()),
        InspectError::Hidden { .. } | InspectError::NoPlatform { .. } | InspectError::NotStored { .. } => {
            AppError::NotFound(err.to_string())
        }
        InspectError::Registry(
            RegistryError::CredentialsRequired { .. }
            | RegistryError::RepositoryNotFound { .. }
            | RegistryError::ManifestNotFound { .. },
        ) => AppError::NotFound(err.to_string()),
        InspectError::Registry(e @ RegistryError::Net(_)) => AppError::NotAllowed(e.to_string()),
        InspectError::Registry(e) => AppError::Registry(e.to_string()),
        InspectError::Malformed { .. } => AppError::Registry(err.to_string()),
        InspectError::Store(e) => {
            tracing::error!(error = %e, "store failure during inspection");
            AppError::Internal
        }
    }
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

    async fn inspect(&self, reference: String, platform: Option<String>) -> Result<ImageReport, AppError> {
        let reference = ImageReference::parse(&reference).map_err(|e| AppError::InvalidInput(e.to_string()))?;
        let platform = match platform.filter(|p| !p.is_empty()) {
            Some(p) => Some(PlatformFilter::parse(&p).map_err(app_error)?),
            None => None,
        };
        self.inspector.inspect(InspectRequest::new(&reference, Viewer::Anonymous).platform(platform.as_ref())).await.map_err(app_error)
    }

    async fn scan(&self, reference: String, digest: String) -> Result<ScanSummary, AppError> {
        let reference = self.public_image(&reference, &digest).await?;
        crate::scan::service::request(&self.store, &reference.repository_path(), &digest)
            .await
            .map_err(scan_store_error)?;
        crate::scan::service::summary(&self.store, &digest, false).await.map_err(scan_store_error)
    }

    async fn scan_packages(&self, reference: String, digest: String) -> Result<Option<Vec<PackageRow>>, AppError> {
        self.public_image(&reference, &digest).await?;
        crate::scan::service::packages(&self.store, &digest).await.map_err(scan_store_error)
    }

    async fn repository_tags(
        &self,
        repository: String,
        page_size: usize,
        after: Option<String>,
    ) -> Result<RepositoryTags, AppError> {
        let reference =
            ImageReference::parse_repository(&repository).map_err(|e| AppError::InvalidInput(e.to_string()))?;
        self.inspector
            .repository_tags(&reference, page_size, after.as_deref(), None, Viewer::Anonymous)
            .await
            .map_err(app_error)
    }
}

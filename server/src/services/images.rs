//! Images as web visitors, API clients and the CLI ask for them: references and platforms as
//! written, parsed here once; what the viewer may see decided by inspection.

use std::sync::Arc;

use app::digest::Digest;
use app::dto::{ImageReport, RepositoryTags};
use app::reference::ImageReference;

use super::ServiceError;
use crate::inspect::{InspectError, InspectRequest, Inspector, PlatformFilter, Viewer};
use crate::registry::{Credentials, RegistryError};
use crate::store::UserId;

/// A signed-in user's saved credentials for a registry (`docker.io`, `host:5000`), opened for one
/// inspection; `None` when they saved none (or they cannot be opened: the user then gets what
/// anyone gets). The HTTP layer provides it ([`Images::with_credentials_for`]); the CLI has none.
#[async_trait::async_trait]
pub trait CredentialsFor: Send + Sync {
    async fn credentials_for(&self, user: UserId, registry: &str) -> Option<Credentials>;

    /// What a use of them found, for the registries page's "last used, last result": `Ok` when
    /// they showed the user a private image, the registry's refusal when it refused them.
    async fn record_use(&self, user: UserId, registry: &str, result: Result<(), &RegistryError>);
}

/// One inspection, with its parts as a URL, form or command line gives them.
#[derive(Clone, Default)]
pub struct ImageQuery<'a> {
    pub reference: &'a str,
    /// `os/arch[/variant]`; empty means none.
    pub platform: Option<&'a str>,
    pub refresh: bool,
    /// The operator's (CLI); for a signed-in user, their own are found by [`CredentialsFor`];
    /// inspection ignores them for anyone else.
    pub credentials: Option<Credentials>,
}

impl<'a> ImageQuery<'a> {
    pub fn new(reference: &'a str) -> Self {
        Self { reference, ..Self::default() }
    }
}

/// The platform image a reference means (asked for, else the default), and that reference.
pub struct ChosenImage {
    pub reference: ImageReference,
    digest: Digest,
}

impl ChosenImage {
    /// The platform image's manifest digest.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }
}

#[derive(Clone)]
pub struct Images {
    inspector: Arc<Inspector>,
    credentials_for: Option<Arc<dyn CredentialsFor>>,
}

impl Images {
    pub fn new(inspector: Arc<Inspector>) -> Self {
        Self { inspector, credentials_for: None }
    }

    /// Where signed-in users' registry credentials come from.
    pub fn with_credentials_for(self, credentials_for: Arc<dyn CredentialsFor>) -> Self {
        Self { credentials_for: Some(credentials_for), ..self }
    }

    /// The credentials an inspection for `viewer` of `registry` uses: given ones (the CLI's), else
    /// a signed-in user's own.
    async fn credentials(&self, viewer: Viewer, registry: &str, given: Option<Credentials>) -> Option<Credentials> {
        match (given, viewer, &self.credentials_for) {
            (Some(given), _, _) => Some(given),
            (None, Viewer::User { id, .. }, Some(source)) => source.credentials_for(id, registry).await,
            _ => None,
        }
    }

    pub async fn inspect(&self, viewer: Viewer, query: ImageQuery<'_>) -> Result<ImageReport, ServiceError> {
        Ok(self.inspect_parsed(viewer, query).await?.1)
    }

    /// The platform image `query` means: `?platform=` when given, else linux/amd64, else the first.
    pub async fn choose(&self, viewer: Viewer, query: ImageQuery<'_>) -> Result<ChosenImage, ServiceError> {
        let (reference, report) = self.inspect_parsed(viewer, query).await?;
        let index = app::platform_choice::chosen(&report.platforms, None).ok_or_else(|| InspectError::NoPlatform {
            reference: report.reference.clone(),
            wanted: app::platform_choice::DEFAULT_PLATFORM.into(),
            available: "none".into(),
        })?;
        let digest = Digest::parse(&report.platforms[index].digest).map_err(|e| InspectError::Malformed {
            what: format!("the platform image of {}", report.reference),
            detail: e.to_string(),
        })?;
        Ok(ChosenImage { reference, digest })
    }

    /// Whether `viewer` may see the stored repository of `reference` outside an inspection; a
    /// user's stale grant is re-checked at the registry with their credentials first.
    pub async fn admit_repository(&self, viewer: Viewer, reference: &ImageReference) -> Result<(), ServiceError> {
        let credentials = self.credentials(viewer, &reference.registry, None).await;
        Ok(self.inspector.admit_stored(reference, viewer, credentials).await?)
    }

    /// A page of a repository's tags (`registry/name` as written), each summarised from its inspection.
    pub async fn tags(
        &self,
        viewer: Viewer,
        repository: &str,
        page_size: usize,
        after: Option<&str>,
    ) -> Result<RepositoryTags, ServiceError> {
        let reference = ImageReference::parse_repository(repository)?;
        let credentials = self.credentials(viewer, &reference.registry, None).await;
        Ok(self.inspector.repository_tags(&reference, page_size.clamp(1, 100), after, credentials, viewer).await?)
    }

    async fn inspect_parsed(
        &self,
        viewer: Viewer,
        query: ImageQuery<'_>,
    ) -> Result<(ImageReference, ImageReport), ServiceError> {
        let reference = ImageReference::parse(query.reference)?;
        let platform = query.platform.filter(|p| !p.is_empty()).map(PlatformFilter::parse).transpose()?;
        let saved = query.credentials.is_none();
        let credentials = self.credentials(viewer, &reference.registry, query.credentials).await;
        let used = saved && credentials.is_some();
        let request = InspectRequest::new(&reference, viewer)
            .platform(platform.as_ref())
            .refresh(query.refresh)
            .credentials(credentials);
        let report = self.inspector.inspect(request).await;
        if used && let (Viewer::User { id, .. }, Some(source)) = (viewer, &self.credentials_for) {
            match &report {
                Ok(report) if report.private => source.record_use(id, &reference.registry, Ok(())).await,
                Err(InspectError::Registry(
                    refused @ (RegistryError::WrongCredentials { .. } | RegistryError::AccessDenied { .. }),
                )) => source.record_use(id, &reference.registry, Err(refused)).await,
                _ => {}
            }
        }
        Ok((reference, report?))
    }
}

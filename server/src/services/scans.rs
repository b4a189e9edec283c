//! Scans as the web asks for them: the summary (a view may queue a scan, never run one), the
//! package list, the SBOM. Whether a viewer may see a platform image's scan is decided in
//! [`Scans::visible`], for every route alike.

use app::digest::Digest;
use app::dto::{PackageRow, ScanSummary};
use app::reference::ImageReference;

use super::images::{ChosenImage, ImageQuery, Images};
use super::ServiceError;
use crate::inspect::{InspectError, Viewer};
use crate::scan::{run::ScanReport, sbom, service};
use crate::store::{SharedStore, StoreError, Visibility};

/// A bill of materials, ready to download.
pub struct Sbom {
    pub body: serde_json::Value,
    pub file_name: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SbomFormat {
    CycloneDx,
    Spdx,
}

impl SbomFormat {
    pub fn parse(text: Option<&str>) -> Result<Self, ServiceError> {
        match text.unwrap_or("cyclonedx") {
            "cyclonedx" => Ok(Self::CycloneDx),
            "spdx" => Ok(Self::Spdx),
            other => Err(ServiceError::SbomFormat(other.to_string())),
        }
    }
}

#[derive(Clone)]
pub struct Scans {
    store: SharedStore,
    images: Images,
}

impl Scans {
    pub fn new(store: SharedStore, images: Images) -> Self {
        Self { store, images }
    }

    /// The scan of platform image `digest` of `reference`'s repository (the tag page knows both,
    /// as written), queued on first ask.
    pub async fn of_image(&self, viewer: Viewer, reference: &str, digest: &str) -> Result<ScanSummary, ServiceError> {
        let (reference, digest) = (ImageReference::parse(reference)?, Digest::parse(digest)?);
        let private = self.visible(viewer, &reference, &digest).await?;
        self.requested(viewer, &reference, &digest, private).await
    }

    /// The scan of the platform image `query` means (`?platform=`, else the default), queued on
    /// first ask.
    pub async fn of_reference(&self, viewer: Viewer, query: ImageQuery<'_>) -> Result<ScanSummary, ServiceError> {
        let (chosen, private) = self.chosen(viewer, query).await?;
        self.requested(viewer, &chosen.reference, chosen.digest(), private).await
    }

    /// The platform image whose scan a progress stream follows, after the same checks as a summary.
    pub async fn followed(&self, viewer: Viewer, query: ImageQuery<'_>) -> Result<Digest, ServiceError> {
        Ok(self.chosen(viewer, query).await?.0.digest().clone())
    }

    /// What the stored scan (or its job) says now: for a stream that checked visibility already.
    pub async fn current(&self, digest: &Digest) -> Result<ScanSummary, StoreError> {
        service::summary(&self.store, digest, true).await
    }

    /// The packages the scan found; `None` until it is done.
    pub async fn packages(
        &self,
        viewer: Viewer,
        reference: &str,
        digest: &str,
    ) -> Result<Option<Vec<PackageRow>>, ServiceError> {
        let (reference, digest) = (ImageReference::parse(reference)?, Digest::parse(digest)?);
        self.visible(viewer, &reference, &digest).await?;
        Ok(service::packages(&self.store, &digest).await?)
    }

    pub async fn sbom(
        &self,
        viewer: Viewer,
        query: ImageQuery<'_>,
        format: SbomFormat,
    ) -> Result<Sbom, ServiceError> {
        let written = query.reference.to_string();
        let (chosen, _) = self.chosen(viewer, query).await?;
        let digest = chosen.digest();
        let stored = self.store.scan_result(digest).await?;
        let report = stored
            .and_then(|(json, _)| serde_json::from_str::<ScanReport>(&json).ok())
            .ok_or(ServiceError::NotScanned(written))?;
        let (body, extension) = match format {
            SbomFormat::Spdx => (sbom::spdx(&report), "spdx.json"),
            SbomFormat::CycloneDx => (sbom::cyclonedx(&report), "cdx.json"),
        };
        Ok(Sbom { body, file_name: format!("{}.{extension}", digest.as_str().replace(':', "-")) })
    }

    /// The platform image `query` means, once the viewer may see its scan, and whether it is private.
    async fn chosen(&self, viewer: Viewer, query: ImageQuery<'_>) -> Result<(ChosenImage, bool), ServiceError> {
        let chosen = self.images.choose(viewer, query).await?;
        let private = self.visible(viewer, &chosen.reference, chosen.digest()).await?;
        Ok((chosen, private))
    }

    /// The summary, queuing a scan if need be: a private image's with the credentials of the user
    /// asking (whose grant `visible` just confirmed). A private image for a viewer with none to
    /// lend (the operator's own view: `shipshape scan` does it) reads "unavailable" until scanned.
    async fn requested(
        &self,
        viewer: Viewer,
        reference: &ImageReference,
        digest: &Digest,
        private: bool,
    ) -> Result<ScanSummary, ServiceError> {
        let user = match viewer {
            Viewer::User { id, .. } => Some(id),
            _ => None,
        };
        let queueable = !private || user.is_some();
        if queueable {
            service::request(&self.store, &reference.repository_path(), digest, user.filter(|_| private)).await?;
        }
        Ok(service::summary(&self.store, digest, queueable).await?)
    }

    /// The rule: the operator and administrators see every scan; anyone else only scans of images
    /// that a repository they may see (public, or opened by their grant) is known to hold, and a
    /// hidden one reads exactly like a missing one. Whether the repository is private.
    async fn visible(&self, viewer: Viewer, reference: &ImageReference, digest: &Digest) -> Result<bool, ServiceError> {
        let (registry, name) = (&reference.registry, &reference.repository);
        let repository = self.store.visible_repository(registry, name, viewer.visible()).await?;
        let shown = match &repository {
            _ if viewer.sees_all() => true,
            Some(repository) => self.store.repository_has_manifest(repository.id, digest).await?,
            None => false,
        };
        // A user's grant counts only while the registry confirms it (re-checked past the tag TTL).
        let private = repository.as_ref().is_some_and(|r| r.visibility == Visibility::Private);
        let shown = if shown && private && !viewer.sees_all() {
            match self.images.admit_repository(viewer, reference).await {
                Ok(()) => true,
                Err(ServiceError::Inspect(InspectError::Store(e))) => return Err(e.into()),
                Err(_) => false,
            }
        } else {
            shown
        };
        if shown {
            Ok(repository.is_some_and(|r| r.visibility == Visibility::Private))
        } else {
            Err(InspectError::Hidden { reference: format!("{}@{digest}", reference.repository_path()) }.into())
        }
    }
}

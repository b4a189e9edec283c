//! Content by digest: a top-level manifest recorded with its tag, platform manifests and configs
//! from the store when seen before (under any name) and from the registry otherwise.

use app::digest::Digest;
use app::dto::{Platform, PlatformImage, TagPeriod};
use chrono::Utc;

use super::model::{self, Descriptor, Manifest};
use super::request::{PlatformFilter, Viewer};
use super::service::TagFacts;
use super::{InspectError, Inspector};
use crate::lineage;
use crate::registry::{CONFIG_LIMIT, FetchedManifest, RegistryClient, RegistryError};
use crate::store::{ConfigRecord, LayerRecord, ManifestRecord, Repository};

impl Inspector {
    /// Stores a top-level manifest (linking it to the repository) unless it is `linked` already,
    /// and, when the registry was asked
    /// (`seen_at`), records what the tag names; returns the tag's check time and history, and the
    /// other tags naming the manifest.
    pub(super) async fn record_top(
        &self,
        repo: &Repository,
        top: &ManifestRecord,
        tag: Option<&str>,
        seen_at: Option<chrono::DateTime<Utc>>,
        linked: bool,
    ) -> Result<TagFacts, InspectError> {
        // put_manifest also links a manifest first stored under another repository.
        if !linked {
            self.store.put_manifest(repo.id, top).await?;
            if let Manifest::Index(index) = model::parse_manifest(&top.media_type, &top.body, &top.digest)? {
                let children: Vec<Digest> = index.images().map(|d| d.digest.clone()).collect();
                self.store.put_index_children(&top.digest, &children).await?;
            }
        }
        let mut also_tagged = self.store.tags_on(repo.id, &top.digest).await?;
        also_tagged.retain(|t| Some(t.as_str()) != tag);
        let Some(tag) = tag else { return Ok((None, Vec::new(), also_tagged)) };
        // What changed is recorded as an event with the tag; lineage and scans react to it as jobs.
        if let Some(seen_at) = seen_at {
            self.store.record_tag(repo.id, tag, &top.digest, seen_at).await?;
        }
        let checked_at = self.store.tag(repo.id, tag).await?.map(|t| t.checked_at.to_rfc3339());
        let history = self
            .store
            .tag_history(repo.id, tag)
            .await?
            .into_iter()
            .map(|h| TagPeriod {
                digest: h.digest.into(),
                first_seen: h.first_seen.to_rfc3339(),
                last_seen: h.last_seen.to_rfc3339(),
            })
            .collect();
        Ok((checked_at, history, also_tagged))
    }

    pub(super) async fn platform(
        &self,
        client: Option<&RegistryClient>,
        repo: &Repository,
        entry: &Descriptor,
        viewer: Viewer,
    ) -> Result<PlatformImage, InspectError> {
        // Stored but never seen in this repository (first read through another one, maybe
        // private): its bytes are fetched from this repository once, which links it here. Digest
        // verification makes that proof: a registry cannot serve what it does not have.
        let stored = match self.store.repository_has_manifest(repo.id, &entry.digest).await? {
            true => self.store.manifest(&entry.digest).await?,
            false => None,
        };
        let record = match stored {
            Some(record) => record,
            None => {
                let client = client.ok_or_else(|| missing(&entry.digest))?;
                let manifest = client.manifest(&repo.name, entry.digest.as_str()).await?;
                self.save_manifest(repo, manifest).await?
            }
        };
        let Manifest::Image(image) = model::parse_manifest(&record.media_type, &record.body, &record.digest)? else {
            return Err(InspectError::Malformed {
                what: format!("index entry {}", entry.digest),
                detail: "an index nested in an index".into(),
            });
        };
        let config = self.config(client, repo, &image.config).await?;
        let found = model::platform_image(
            &record.digest,
            &record.media_type,
            &image,
            &config.body,
            entry.platform.as_ref().map(Platform::from),
        )?;
        self.with_lineage(found, &record.digest, &image, viewer).await
    }

    /// Adds what the lineage index knows of the image's bases (indexing the image if it is new).
    pub(super) async fn with_lineage(
        &self,
        mut found: PlatformImage,
        digest: &Digest,
        manifest: &model::ImageManifest,
        viewer: Viewer,
    ) -> Result<PlatformImage, InspectError> {
        let visible = viewer.bases_visible();
        found.lineage = lineage::lineage(&self.store, &found, digest, &manifest.annotations, visible).await?;
        Ok(found)
    }

    /// The config as `repo` serves it: from the store when this repository (or a public one) served
    /// it before, else from the registry, credited to this repository. A config stored from a
    /// private repository is not shown because another repository's manifest names its digest.
    pub(super) async fn config(
        &self,
        client: Option<&RegistryClient>,
        repo: &Repository,
        descriptor: &Descriptor,
    ) -> Result<ConfigRecord, InspectError> {
        if let Some(config) = self.store.config_in(&descriptor.digest, Some(repo.id)).await? {
            return Ok(config);
        }
        let client = client.ok_or_else(|| missing(&descriptor.digest))?;
        let record = self.fetch_config(client, &repo.name, descriptor).await?;
        self.store.put_config_in(repo.id, &record).await?;
        Ok(record)
    }

    /// A config from the registry (size-capped, digest-verified), not stored.
    pub(super) async fn fetch_config(
        &self,
        client: &RegistryClient,
        repository: &str,
        descriptor: &Descriptor,
    ) -> Result<ConfigRecord, InspectError> {
        if descriptor.size > CONFIG_LIMIT {
            return Err(RegistryError::TooLarge {
                what: format!("image config {}", descriptor.digest),
                size: descriptor.size,
                limit: CONFIG_LIMIT,
            }
            .into());
        }
        let body = client
            .blob(repository, &descriptor.digest, CONFIG_LIMIT, &format!("image config {}", descriptor.digest))
            .await?;
        Ok(ConfigRecord { digest: descriptor.digest.clone(), body: body.to_vec() })
    }

    /// Whether everything `manifest` needs (for `platform`) is stored as `repo` may show it (see
    /// [`Inspector::config`]), its platform manifests linked to `repo`: then no registry client is
    /// needed.
    pub(super) async fn complete_in_store(
        &self,
        repo: &Repository,
        manifest: &Manifest,
        platform: Option<&PlatformFilter>,
    ) -> Result<bool, InspectError> {
        let image_complete = async |image: &model::ImageManifest| -> Result<bool, InspectError> {
            Ok(self.store.config_in(&image.config.digest, Some(repo.id)).await?.is_some())
        };
        match manifest {
            Manifest::Image(image) => image_complete(image).await,
            Manifest::Index(index) => {
                // The entries an inspection reads: those past the cap are never stored.
                for entry in super::fanout::entries_to_read(index, platform).0 {
                    if !self.store.repository_has_manifest(repo.id, &entry.digest).await? {
                        return Ok(false);
                    }
                    let Some(record) = self.store.manifest(&entry.digest).await? else { return Ok(false) };
                    match model::parse_manifest(&record.media_type, &record.body, &record.digest)? {
                        Manifest::Image(image) if image_complete(&image).await? => {}
                        _ => return Ok(false),
                    }
                }
                Ok(true)
            }
        }
    }

    async fn save_manifest(
        &self,
        repo: &Repository,
        manifest: FetchedManifest,
    ) -> Result<ManifestRecord, InspectError> {
        let record = manifest_record(manifest)?;
        self.store.put_manifest(repo.id, &record).await?;
        Ok(record)
    }
}

/// What the store keeps of a fetched manifest: its bytes, and its config and layers for queries.
pub(super) fn manifest_record(manifest: FetchedManifest) -> Result<ManifestRecord, InspectError> {
    let (config_digest, layers) = match model::parse_manifest(&manifest.media_type, &manifest.body, &manifest.digest)? {
        Manifest::Image(image) => (
            Some(image.config.digest.clone()),
            image
                .layers
                .iter()
                .map(|l| LayerRecord {
                    digest: l.digest.clone(),
                    media_type: l.media_type.clone(),
                    size: l.size as i64,
                })
                .collect(),
        ),
        Manifest::Index(_) => (None, Vec::new()),
    };
    Ok(ManifestRecord {
        digest: manifest.digest,
        media_type: manifest.media_type,
        body: manifest.body.to_vec(),
        config_digest,
        layers,
    })
}

pub(super) fn missing(digest: &Digest) -> InspectError {
    InspectError::Malformed {
        what: format!("stored image {digest}"),
        detail: "a part is missing from the store".into(),
    }
}

//! The inspection service: a reference in, an [`ImageReport`] out, fetching from the registry only
//! what the store lacks. Content addressed by digest is fetched once; a tag is re-resolved with one
//! HEAD request when its cached answer is older than the TTL (or on `refresh`).

use std::sync::Arc;
use std::time::Duration;

use app::dto::{ImageReport, Platform, PlatformImage, TagPeriod};
use app::reference::ImageReference;
use chrono::Utc;
use futures_util::StreamExt;
use futures_util::future::try_join_all;
use futures_util::future::{BoxFuture, FutureExt};

use super::InspectError;
use super::model::{self, Descriptor, Manifest};
use crate::lineage;
use crate::registry::{CONFIG_LIMIT, Credentials, FetchedManifest, Registries, RegistryClient, RegistryError};
use crate::store::{ConfigRecord, LayerRecord, ManifestRecord, Repository, SharedStore, TagChange, Visibility};

/// Who is asking: the operator at the CLI sees everything stored; web visitors only public images.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Viewer {
    Operator,
    Anonymous,
}

/// `os/arch[/variant]` as `--platform` and `?platform=` take it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlatformFilter {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl PlatformFilter {
    pub fn parse(text: &str) -> Result<Self, InspectError> {
        let parts: Vec<&str> = text.trim().split('/').collect();
        let valid = |s: &&str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        match parts.as_slice() {
            [os, arch] if valid(os) && valid(arch) => {
                Ok(Self { os: os.to_string(), architecture: arch.to_string(), variant: None })
            }
            [os, arch, variant] if valid(os) && valid(arch) && valid(variant) => {
                Ok(Self { os: os.to_string(), architecture: arch.to_string(), variant: Some(variant.to_string()) })
            }
            _ => Err(InspectError::BadPlatform(text.to_string())),
        }
    }

    fn matches(&self, platform: &Platform) -> bool {
        self.os == platform.os
            && self.architecture == platform.architecture
            && self.variant.as_ref().is_none_or(|v| platform.variant.as_ref() == Some(v))
    }
}

/// Where an inspection may look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    /// The store, and the registry for what it lacks or what is older than the TTL (all of it on
    /// `refresh`).
    Registry { refresh: bool },
    /// The store alone.
    Store,
}

/// A tag's check time, its history, and the other tags naming the same manifest.
type TagFacts = (Option<String>, Vec<TagPeriod>, Vec<String>);

pub struct Inspector {
    store: SharedStore,
    registries: Arc<Registries>,
    tag_ttl: Duration,
}

/// The registry side of one inspection: tries anonymously first, so that only repositories that
/// really need credentials are marked private.
struct Session<'a> {
    inspector: &'a Inspector,
    registry: String,
    credentials: Option<Credentials>,
    client: Option<Arc<RegistryClient>>,
    private: bool,
}

impl Session<'_> {
    async fn client(&mut self) -> Result<Arc<RegistryClient>, RegistryError> {
        if let Some(client) = &self.client {
            return Ok(client.clone());
        }
        let client = self.inspector.registries.client(&self.registry, None).await?;
        self.client = Some(client.clone());
        Ok(client)
    }

    /// Runs the first request of the session; on "credentials required" switches to the
    /// credentials (if any) and marks the repository private.
    async fn first<T>(
        &mut self,
        request: impl Fn(Arc<RegistryClient>) -> BoxFuture<'static, Result<T, RegistryError>>,
    ) -> Result<T, RegistryError> {
        let client = self.client().await?;
        match request(client).await {
            Err(RegistryError::CredentialsRequired { .. }) if self.credentials.is_some() && !self.private => {
                let client = self.inspector.registries.client(&self.registry, self.credentials.as_ref()).await?;
                self.client = Some(client.clone());
                self.private = true;
                request(client).await
            }
            other => other,
        }
    }
}

impl Inspector {
    pub fn new(store: SharedStore, registries: Arc<Registries>, tag_ttl: Duration) -> Self {
        Self { store, registries, tag_ttl }
    }

    pub async fn inspect(
        &self,
        reference: &ImageReference,
        platform: Option<&PlatformFilter>,
        refresh: bool,
        credentials: Option<Credentials>,
        viewer: Viewer,
    ) -> Result<ImageReport, InspectError> {
        self.run(reference, platform, Source::Registry { refresh }, credentials, viewer).await
    }

    /// What the store holds for `reference`, however old, without a registry request:
    /// [`InspectError::NotStored`] when any part is missing. Badges are served this way.
    pub async fn stored(&self, reference: &ImageReference, viewer: Viewer) -> Result<ImageReport, InspectError> {
        self.run(reference, None, Source::Store, None, viewer).await
    }

    async fn run(
        &self,
        reference: &ImageReference,
        platform: Option<&PlatformFilter>,
        source: Source,
        credentials: Option<Credentials>,
        viewer: Viewer,
    ) -> Result<ImageReport, InspectError> {
        let stored_only = source == Source::Store;
        let refresh = matches!(source, Source::Registry { refresh: true });
        let mut reference = reference.clone();
        if reference.tag.is_none() && reference.digest.is_none() {
            reference.tag = Some("latest".to_string());
        }
        let reference = &reference;
        let registry = reference.registry.clone();
        let repository = reference.repository.clone();
        let stored_repo = self.store.repository(&registry, &repository).await?;
        if viewer == Viewer::Anonymous && stored_repo.as_ref().is_some_and(|r| r.visibility == Visibility::Private) {
            return Err(InspectError::Hidden { reference: reference.to_string() });
        }
        let not_stored = || InspectError::NotStored { reference: reference.to_string() };
        if stored_only && stored_repo.is_none() {
            return Err(not_stored());
        }
        let mut session = Session {
            inspector: self,
            registry: registry.clone(),
            credentials: if viewer == Viewer::Operator { credentials } else { None },
            client: None,
            private: stored_repo.as_ref().is_some_and(|r| r.visibility == Visibility::Private),
        };
        if session.private {
            // Known to need credentials: skip the anonymous attempt.
            if let Some(creds) = session.credentials.clone() {
                session.client = Some(self.registries.client(&registry, Some(&creds)).await?);
            }
        }

        // 1. Which digest does the reference name now?
        let mut fetched: Option<FetchedManifest> = None;
        let now = Utc::now();
        // Set when the registry confirmed what the tag names now; a cached answer is no check, and
        // recording it would keep pushing the tag's next re-check away while people look at it.
        let mut checked = true;
        let digest = match (reference.digest.as_deref(), reference.tag.as_deref()) {
            (Some(digest), _) => digest.to_string(),
            (None, tag) => {
                let tag = tag.unwrap_or("latest");
                let cached = match &stored_repo {
                    Some(repo) => self.store.tag(repo.id, tag).await?,
                    None => None,
                };
                let fresh = cached.as_ref().filter(|t| {
                    stored_only || !refresh && (now - t.checked_at).to_std().is_ok_and(|age| age < self.tag_ttl)
                });
                match (fresh, cached.as_ref()) {
                    (Some(tag), _) => {
                        checked = false;
                        tag.digest.clone()
                    }
                    (None, Some(_)) => {
                        let (repository, tag) = (repository.clone(), tag.to_string());
                        session
                            .first(move |c| {
                                let (repository, tag) = (repository.clone(), tag.clone());
                                async move { c.manifest_digest(&repository, &tag).await }.boxed()
                            })
                            .await?
                    }
                    (None, None) if stored_only => return Err(not_stored()),
                    (None, None) => {
                        let manifest = session.first(fetch_manifest(&repository, tag)).await?;
                        let digest = manifest.digest.clone();
                        fetched = Some(manifest);
                        digest
                    }
                }
            }
        };

        // 2. The manifest (from the store when seen before, under any name). On the cold path the
        // config request goes out at once, and the repository, manifest and tag are stored while
        // it travels.
        let tag =
            reference.digest.as_deref().is_none().then(|| reference.tag.as_deref().unwrap_or("latest").to_string());
        let seen_at = checked.then_some(now);
        let fetched = fetched.map(manifest_record).transpose()?;
        let prefetch_client = if fetched.is_some() { Some(session.client().await?) } else { None };
        let prefetch = async {
            if let (Some(manifest), Some(client)) = (&fetched, &prefetch_client)
                && let Manifest::Image(image) =
                    model::parse_manifest(&manifest.media_type, &manifest.body, &manifest.digest)?
            {
                return Ok(Some(self.config(Some(client), &repository, &image.config).await?));
            }
            Ok::<_, InspectError>(None)
        };
        let store_side = async {
            let visibility = if session.private { Visibility::Private } else { Visibility::Public };
            let repo = self.store.upsert_repository(&registry, &repository, visibility).await?;
            let recorded = match &fetched {
                Some(top) => Some(self.record_top(&repo, top, tag.as_deref(), seen_at).await?),
                None => None,
            };
            Ok::<_, InspectError>((repo, recorded))
        };
        // The config lookup goes first on the (possibly single) database connection: the first write
        // of a run waits for the WAL header to reach the disk, and the request need not wait for it.
        let (prefetched, (repo, recorded)) = tokio::try_join!(prefetch, store_side)?;
        let top = match fetched {
            Some(record) => record,
            // A digest stored from another repository is only reused for the operator: for visitors
            // it could come from a private repository, so the registry must confirm it is here too.
            None => match self.store.manifest(&digest).await? {
                Some(record)
                    if viewer == Viewer::Operator || self.store.repository_has_manifest(repo.id, &digest).await? =>
                {
                    record
                }
                _ if stored_only => return Err(not_stored()),
                _ => manifest_record(session.first(fetch_manifest(&repository, &digest)).await?)?,
            },
        };
        // Stored (and linked to this repository) while the configs are fetched: the writes
        // overlap the registry's round trips.
        let record_top = async {
            match recorded {
                Some(recorded) => Ok(recorded),
                None => self.record_top(&repo, &top, tag.as_deref(), seen_at).await,
            }
        };

        // 3. Per platform: image manifest and config.
        let parsed = model::parse_manifest(&top.media_type, &top.body, &top.digest)?;
        let client = if prefetched.is_some() || self.complete_in_store(&parsed, platform).await? {
            None
        } else if stored_only {
            return Err(not_stored());
        } else {
            Some(session.client().await?)
        };
        let platforms = async {
            Ok::<_, InspectError>(match &parsed {
                Manifest::Image(image) => {
                    let config = match prefetched {
                        Some(config) => config,
                        None => self.config(client.as_deref(), &repository, &image.config).await?,
                    };
                    let found = model::platform_image(&top.digest, &top.media_type, image, &config.body, None)?;
                    if let Some(filter) = platform
                        && !filter.matches(&found.platform)
                    {
                        return Err(InspectError::NoPlatform {
                            reference: reference.to_string(),
                            wanted: format_filter(filter),
                            available: found.platform.to_string(),
                        });
                    }
                    vec![self.with_lineage(found, image, viewer).await?]
                }
                Manifest::Index(index) => {
                    let entries: Vec<&Descriptor> = index.images().collect();
                    let wanted: Vec<&Descriptor> = entries
                        .iter()
                        .copied()
                        .filter(|d| {
                            platform.is_none_or(|f| d.platform.as_ref().is_some_and(|p| f.matches(&Platform::from(p))))
                        })
                        .collect();
                    if wanted.is_empty() {
                        let available = entries
                            .iter()
                            .filter_map(|d| d.platform.as_ref().map(|p| Platform::from(p).to_string()))
                            .collect::<Vec<_>>()
                            .join(", ");
                        return Err(InspectError::NoPlatform {
                            reference: reference.to_string(),
                            wanted: platform.map(format_filter).unwrap_or_else(|| "any platform".into()),
                            available: if available.is_empty() { "no platform images".into() } else { available },
                        });
                    }
                    try_join_all(wanted.into_iter().map(|entry| self.platform(client.as_deref(), &repo, entry, viewer)))
                        .await?
                }
            })
        };
        let ((checked_at, tag_history, also_tagged), platforms) = tokio::try_join!(record_top, platforms)?;
        Ok(ImageReport {
            reference: reference.to_string(),
            registry,
            repository,
            tag,
            digest: top.digest,
            media_type: top.media_type,
            private: repo.visibility == Visibility::Private,
            checked_at,
            platforms,
            tag_history,
            also_tagged,
        })
    }

    /// Stores a top-level manifest (linking it to the repository) and, when the registry was asked
    /// (`seen_at`), records what the tag names; returns the tag's check time and history, and the
    /// other tags naming the manifest.
    async fn record_top(
        &self,
        repo: &Repository,
        top: &ManifestRecord,
        tag: Option<&str>,
        seen_at: Option<chrono::DateTime<Utc>>,
    ) -> Result<TagFacts, InspectError> {
        // put_manifest also links a manifest first stored under another repository.
        self.store.put_manifest(repo.id, top).await?;
        if let Manifest::Index(index) = model::parse_manifest(&top.media_type, &top.body, &top.digest)? {
            let children: Vec<String> = index.images().map(|d| d.digest.clone()).collect();
            self.store.put_index_children(&top.digest, &children).await?;
        }
        let mut also_tagged = self.store.tags_on(repo.id, &top.digest).await?;
        also_tagged.retain(|t| Some(t.as_str()) != tag);
        let Some(tag) = tag else { return Ok((None, Vec::new(), also_tagged)) };
        if let Some(seen_at) = seen_at
            && let TagChange::Moved { from } = self.store.record_tag(repo.id, tag, &top.digest, seen_at).await?
        {
            let raised = lineage::raise_base_moved(&self.store, repo, tag, &from, &top.digest).await?;
            // Workers hold no credentials: private images are rescanned with `shipshape scan`.
            let rescan = repo.visibility == Visibility::Public
                && crate::scan::service::rescan_moved_tag(
                    &self.store,
                    &format!("{}/{}", repo.registry, repo.name),
                    &from,
                    &top.digest,
                )
                .await?;
            tracing::info!(repository = %repo.name, tag, from, to = %top.digest, raised, rescan, "tag moved");
        }
        let checked_at = self.store.tag(repo.id, tag).await?.map(|t| t.checked_at.to_rfc3339());
        let history = self
            .store
            .tag_history(repo.id, tag)
            .await?
            .into_iter()
            .map(|h| TagPeriod {
                digest: h.digest,
                first_seen: h.first_seen.to_rfc3339(),
                last_seen: h.last_seen.to_rfc3339(),
            })
            .collect();
        Ok((checked_at, history, also_tagged))
    }

    async fn platform(
        &self,
        client: Option<&RegistryClient>,
        repo: &Repository,
        entry: &Descriptor,
        viewer: Viewer,
    ) -> Result<PlatformImage, InspectError> {
        let record = match self.store.manifest(&entry.digest).await? {
            Some(record) => record,
            None => {
                let client = client.ok_or_else(|| missing(&entry.digest))?;
                let manifest = client.manifest(&repo.name, &entry.digest).await?;
                self.save_manifest(repo, manifest).await?
            }
        };
        let Manifest::Image(image) = model::parse_manifest(&record.media_type, &record.body, &record.digest)? else {
            return Err(InspectError::Malformed {
                what: format!("index entry {}", entry.digest),
                detail: "an index nested in an index".into(),
            });
        };
        let config = self.config(client, &repo.name, &image.config).await?;
        let found = model::platform_image(
            &record.digest,
            &record.media_type,
            &image,
            &config.body,
            entry.platform.as_ref().map(Platform::from),
        )?;
        self.with_lineage(found, &image, viewer).await
    }

    /// Adds what the lineage index knows of the image's bases (indexing the image if it is new).
    async fn with_lineage(
        &self,
        mut found: PlatformImage,
        manifest: &model::ImageManifest,
        viewer: Viewer,
    ) -> Result<PlatformImage, InspectError> {
        found.lineage =
            lineage::lineage(&self.store, &found, &manifest.annotations, viewer == Viewer::Operator).await?;
        Ok(found)
    }

    async fn config(
        &self,
        client: Option<&RegistryClient>,
        repository: &str,
        descriptor: &Descriptor,
    ) -> Result<ConfigRecord, InspectError> {
        if let Some(config) = self.store.config(&descriptor.digest).await? {
            return Ok(config);
        }
        if descriptor.size > CONFIG_LIMIT {
            return Err(RegistryError::TooLarge {
                what: format!("image config {}", descriptor.digest),
                size: descriptor.size,
                limit: CONFIG_LIMIT,
            }
            .into());
        }
        let client = client.ok_or_else(|| missing(&descriptor.digest))?;
        let body = client
            .blob(repository, &descriptor.digest, CONFIG_LIMIT, &format!("image config {}", descriptor.digest))
            .await?;
        let record = ConfigRecord { digest: descriptor.digest.clone(), body: body.to_vec() };
        self.store.put_config(&record).await?;
        Ok(record)
    }

    /// Whether everything below `manifest` is already stored, so no registry client is needed.
    async fn complete_in_store(
        &self,
        manifest: &Manifest,
        platform: Option<&PlatformFilter>,
    ) -> Result<bool, InspectError> {
        let image_complete = async |image: &model::ImageManifest| -> Result<bool, InspectError> {
            Ok(self.store.config(&image.config.digest).await?.is_some())
        };
        match manifest {
            Manifest::Image(image) => image_complete(image).await,
            Manifest::Index(index) => {
                for entry in index.images() {
                    if platform.is_some_and(|f| entry.platform.as_ref().is_none_or(|p| !f.matches(&Platform::from(p))))
                    {
                        continue;
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
fn manifest_record(manifest: FetchedManifest) -> Result<ManifestRecord, InspectError> {
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

fn fetch_manifest(
    repository: &str,
    reference: &str,
) -> impl Fn(Arc<RegistryClient>) -> BoxFuture<'static, Result<FetchedManifest, RegistryError>> {
    let (repository, reference) = (repository.to_string(), reference.to_string());
    move |client| {
        let (repository, reference) = (repository.clone(), reference.clone());
        async move { client.manifest(&repository, &reference).await }.boxed()
    }
}

fn missing(digest: &str) -> InspectError {
    InspectError::Malformed {
        what: format!("stored image {digest}"),
        detail: "a part is missing from the store".into(),
    }
}

fn format_filter(filter: &PlatformFilter) -> String {
    Platform { os: filter.os.clone(), architecture: filter.architecture.clone(), variant: filter.variant.clone() }
        .to_string()
}

impl Inspector {
    /// A client for reading `reference`'s blobs: with `credentials` when the repository is private.
    pub async fn blob_client(
        &self,
        reference: &ImageReference,
        credentials: Option<&Credentials>,
    ) -> Result<Arc<RegistryClient>, InspectError> {
        let repo = self.store.repository(&reference.registry, &reference.repository).await?;
        let private = repo.is_some_and(|r| r.visibility == Visibility::Private);
        Ok(self.registries.client(&reference.registry, if private { credentials } else { None }).await?)
    }

    /// A public repository's tag names as the registry lists them (at most `max`).
    pub async fn tag_names(&self, repository: &ImageReference, max: usize) -> Result<Vec<String>, InspectError> {
        let client = self.registries.client(&repository.registry, None).await?;
        Ok(client.tags(&repository.repository, max).await?)
    }

    /// A page of a repository's tags as the registry lists them (sorted as it sorts them), each
    /// inspected through the cache so the table can show size, layers, platforms and dates.
    pub async fn repository_tags(
        &self,
        repository: &ImageReference,
        page_size: usize,
        after: Option<&str>,
        credentials: Option<Credentials>,
        viewer: Viewer,
    ) -> Result<app::dto::RepositoryTags, InspectError> {
        let registry = repository.registry.clone();
        let name = repository.repository.clone();
        let stored = self.store.repository(&registry, &name).await?;
        let private = stored.as_ref().is_some_and(|r| r.visibility == Visibility::Private);
        if viewer == Viewer::Anonymous && private {
            return Err(InspectError::Hidden { reference: repository.repository_path() });
        }
        let credentials = if viewer == Viewer::Operator { credentials } else { None };
        let mut session = Session { inspector: self, registry: registry.clone(), credentials, client: None, private };
        let all = {
            let name = name.clone();
            session
                .first(move |c| {
                    let name = name.clone();
                    async move { c.tags(&name, 10_000).await }.boxed()
                })
                .await?
        };
        let start = after.map_or(0, |last| all.iter().position(|t| t.as_str() == last).map_or(0, |i| i + 1));
        let page: Vec<String> = all.iter().skip(start).take(page_size).cloned().collect();
        let next = (start + page.len() < all.len()).then(|| page.last().cloned()).flatten();

        let summaries = futures_util::stream::iter(page.into_iter().map(|tag| {
            let mut reference = repository.clone();
            reference.tag = Some(tag.clone());
            reference.digest = None;
            let credentials = session.credentials.clone();
            async move {
                match self.inspect(&reference, None, false, credentials, viewer).await {
                    Ok(report) => summary(tag, &report),
                    Err(e) => {
                        tracing::debug!(tag = %tag, error = %e, "tag not inspected");
                        app::dto::TagSummary {
                            name: tag,
                            digest: None,
                            size: None,
                            layers: None,
                            platforms: Vec::new(),
                            created: None,
                            last_changed: None,
                        }
                    }
                }
            }
        }))
        .buffered(4)
        .collect::<Vec<_>>()
        .await;
        Ok(app::dto::RepositoryTags {
            repository: repository.repository_path(),
            registry,
            name,
            private: session.private || private,
            total: all.len(),
            tags: summaries,
            next,
        })
    }
}

fn summary(tag: String, report: &ImageReport) -> app::dto::TagSummary {
    // The table shows the first platform's figures (linux/amd64 comes first in most indexes).
    let first = report.platforms.first();
    app::dto::TagSummary {
        name: tag,
        digest: Some(report.digest.clone()),
        size: first.map(|p| p.size),
        layers: first.map(|p| p.layers.len()),
        platforms: report.platforms.iter().map(|p| p.platform.to_string()).collect(),
        created: report.platforms.iter().filter_map(|p| p.created.clone()).max(),
        last_changed: report.tag_history.first().map(|h| h.first_seen.clone()),
    }
}

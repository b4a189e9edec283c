//! The inspection service: a reference in, an [`ImageReport`] out, fetching from the registry only
//! what the store lacks. Content addressed by digest is fetched once; a tag is re-resolved with one
//! HEAD request when its cached answer is older than the TTL (or on `refresh`).

use std::sync::Arc;
use std::time::Duration;

use app::digest::Digest;
use app::dto::{ImageReport, PlatformImage, TagPeriod};
use app::reference::{ImageReference, ReferenceError};
use chrono::{DateTime, Utc};
use futures_util::future::FutureExt;

use super::InspectError;
use super::content::manifest_record;
use super::fanout::PlatformsRead;
use super::model::{self, Manifest};
use super::request::{InspectRequest, PlatformFilter, Viewer};
use super::session::{Session, fetch_manifest};
use crate::registry::{FetchedManifest, RegistryError, Registries};
use crate::store::{ConfigRecord, ManifestRecord, Repository, SharedStore, Visibility};

/// Where an inspection may look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    /// The store, and the registry for what it lacks or what is older than the TTL (all of it on
    /// `refresh`).
    Registry { refresh: bool },
    /// The store alone.
    Store,
}

/// What steps 2 and 3 need to know of the request.
#[derive(Clone, Copy)]
struct TopStep<'a> {
    reference: &'a ImageReference,
    tag: Option<&'a str>,
    viewer: Viewer,
    stored_only: bool,
    /// The repository's row before this inspection.
    stored: Option<&'a Repository>,
}

/// What step 2 found: the top manifest, its repository's row, the tag facts when already
/// recorded, and the config when it was fetched ahead.
struct Top {
    top: ManifestRecord,
    repo: Repository,
    recorded: Option<TagFacts>,
    prefetched: Option<ConfigRecord>,
    /// Stored before and linked to this repository: recording it again would write nothing new.
    linked: bool,
}

/// A tag's check time, its history, and the other tags naming the same manifest.
pub(super) type TagFacts = (Option<String>, Vec<TagPeriod>, Vec<String>);

pub struct Inspector {
    pub(super) store: SharedStore,
    pub(super) registries: Arc<Registries>,
    pub(super) tag_ttl: Duration,
}

/// What step 1 found: the digest the reference names now, the manifest when it had to be fetched
/// to learn it, and whether the registry confirmed it (a cached answer is no check).
struct Resolved {
    digest: Digest,
    fetched: Option<FetchedManifest>,
    checked_at: Option<DateTime<Utc>>,
}

impl Inspector {
    pub fn new(store: SharedStore, registries: Arc<Registries>, tag_ttl: Duration) -> Self {
        Self { store, registries, tag_ttl }
    }

    pub async fn inspect(&self, request: InspectRequest<'_>) -> Result<ImageReport, InspectError> {
        let source = Source::Registry { refresh: request.refresh };
        self.run(request, source).await
    }

    /// What the store holds for `reference`, however old, without a registry request:
    /// [`InspectError::NotStored`] when any part is missing. Badges are served this way.
    pub async fn stored(&self, reference: &ImageReference, viewer: Viewer) -> Result<ImageReport, InspectError> {
        self.run(InspectRequest::new(reference, viewer), Source::Store).await
    }

    async fn run(&self, request: InspectRequest<'_>, source: Source) -> Result<ImageReport, InspectError> {
        let stored_only = source == Source::Store;
        let mut reference = request.reference.clone();
        if reference.tag.is_none() && reference.digest.is_none() {
            reference.tag = Some("latest".to_string());
        }
        let reference = &reference;
        let (stored_repo, mut session) =
            self.open_session(reference, request.credentials, request.viewer, stored_only).await?;

        // 1. Which digest does the reference name now?
        let resolved = self.resolve(&mut session, reference, stored_repo.as_ref(), source).await?;
        let seen_at = resolved.checked_at;
        let tag =
            reference.digest.as_deref().is_none().then(|| reference.tag.as_deref().unwrap_or("latest").to_string());

        // 2. The manifest, its repository row, and (on the cold path) the config.
        let step = TopStep { reference, tag: tag.as_deref(), viewer: request.viewer, stored_only, stored: stored_repo.as_ref() };
        let Top { top, repo, recorded, prefetched, linked } = self.top(&mut session, step, resolved).await?;
        // Stored (and linked to this repository) while the configs are fetched: the writes
        // overlap the registry's round trips.
        let record_top = async {
            match recorded {
                Some(recorded) => Ok(recorded),
                None => self.record_top(&repo, &top, tag.as_deref(), seen_at, linked).await,
            }
        };

        // 3. Per platform: image manifest and config.
        let platforms = self.platforms(&mut session, &repo, &top, prefetched, step, request.platform);
        let ((checked_at, tag_history, also_tagged), read) = tokio::try_join!(record_top, platforms)?;
        Ok(ImageReport {
            reference: reference.to_string(),
            registry: reference.registry.clone(),
            repository: reference.repository.clone(),
            tag,
            digest: top.digest.into(),
            media_type: top.media_type,
            private: repo.visibility == Visibility::Private,
            checked_at,
            platforms: read.images,
            platforms_not_fetched: read.not_fetched,
            tag_history,
            also_tagged,
        })
    }

    /// Step 2: the top manifest (from the store when this repository served it before, else from
    /// the registry) and the repository's row.
    async fn top(&self, session: &mut Session<'_>, step: TopStep<'_>, resolved: Resolved) -> Result<Top, InspectError> {
        let Resolved { digest, fetched, checked_at: seen_at } = resolved;
        let fetched = fetched.map(manifest_record).transpose()?;
        let (repo, recorded, prefetched) = match &fetched {
            Some(top) => self.cold_top(session, step, top, seen_at).await?,
            None => (self.repository_row(session, step).await?, None, None),
        };
        let (top, linked) = match fetched {
            Some(record) => (record, true),
            None => self.stored_top(session, step, &repo, &digest).await?,
        };
        // Asked by digest, the registry's first answer came only now: one that needed credentials
        // makes the repository private before anything is linked to it.
        let repo = if session.private && repo.visibility == Visibility::Public {
            self.store
                .upsert_repository(&step.reference.registry, &step.reference.repository, Visibility::Private)
                .await?
        } else {
            repo
        };
        // A user's own credentials read what anonymous requests could not: the user may see it.
        if session.switched && let Viewer::User { id, .. } = step.viewer {
            self.store.grant_repository(id, repo.id).await?;
        }
        Ok(Top { top, repo, recorded, prefetched, linked })
    }

    /// The repository's row: written only when new or turning private (a stored view writes nothing).
    async fn repository_row(&self, session: &Session<'_>, step: TopStep<'_>) -> Result<Repository, InspectError> {
        Ok(match step.stored {
            Some(repo) if repo.visibility == Visibility::Private || !session.private => repo.clone(),
            _ => {
                let visibility = if session.private { Visibility::Private } else { Visibility::Public };
                self.store.upsert_repository(&step.reference.registry, &step.reference.repository, visibility).await?
            }
        })
    }

    /// Step 2 on the cold path (the manifest just fetched): the config request goes out at once,
    /// and the repository, manifest and tag are stored while it travels. A config fetched here is
    /// credited to the repository once its row exists.
    async fn cold_top(
        &self,
        session: &mut Session<'_>,
        step: TopStep<'_>,
        top: &ManifestRecord,
        seen_at: Option<DateTime<Utc>>,
    ) -> Result<(Repository, Option<TagFacts>, Option<ConfigRecord>), InspectError> {
        let client = session.client().await?;
        let prefetch = async {
            let Manifest::Image(image) = model::parse_manifest(&top.media_type, &top.body, &top.digest)? else {
                return Ok(None);
            };
            if let Some(config) = self.store.config_in(&image.config.digest, step.stored.map(|r| r.id)).await? {
                return Ok(Some((config, true)));
            }
            let config = self.fetch_config(&client, &step.reference.repository, &image.config).await?;
            Ok::<_, InspectError>(Some((config, false)))
        };
        // The config lookup goes first on the (possibly single) database connection: the first write
        // of a run waits for the WAL header to reach the disk, and the request need not wait for it.
        let (prefetched, repo) = tokio::try_join!(prefetch, self.repository_row(session, step))?;
        // The manifest and tag are recorded only once the config is read and verified: a config
        // that fails must not leave a tag naming an image that could not be read.
        if let Some((config, false)) = &prefetched {
            self.store.put_config_in(repo.id, config).await?;
        }
        let recorded = self.record_top(&repo, top, step.tag, seen_at, false).await?;
        let prefetched = prefetched.map(|(config, _)| config);
        Ok((repo, Some(recorded), prefetched))
    }

    /// The top manifest from the store only when this repository served it: a digest stored from
    /// another repository (maybe private) is fetched from this one, which proves it is here (the
    /// digest is verified). The same for every viewer: the scan worker publishes what it reads.
    async fn stored_top(
        &self,
        session: &mut Session<'_>,
        step: TopStep<'_>,
        repo: &Repository,
        digest: &Digest,
    ) -> Result<(ManifestRecord, bool), InspectError> {
        if self.store.repository_has_manifest(repo.id, digest).await?
            && let Some(record) = self.store.manifest(digest).await?
        {
            return Ok((record, true));
        }
        if step.stored_only {
            return Err(not_stored(step.reference));
        }
        Ok((self.fetch_top(session, &step.reference.repository, digest).await?, false))
    }

    async fn fetch_top(
        &self,
        session: &mut Session<'_>,
        repository: &str,
        digest: &Digest,
    ) -> Result<ManifestRecord, InspectError> {
        manifest_record(session.first(fetch_manifest(repository, digest.as_str())).await?)
    }

    /// Step 3: the platform images, from the store when complete there, else from the registry.
    async fn platforms(
        &self,
        session: &mut Session<'_>,
        repo: &Repository,
        top: &ManifestRecord,
        prefetched: Option<ConfigRecord>,
        step: TopStep<'_>,
        platform: Option<&PlatformFilter>,
    ) -> Result<PlatformsRead, InspectError> {
        let TopStep { reference, viewer, stored_only, .. } = step;
        let parsed = model::parse_manifest(&top.media_type, &top.body, &top.digest)?;
        let client = if prefetched.is_some() || self.complete_in_store(repo, &parsed, platform).await? {
            None
        } else if stored_only {
            return Err(InspectError::NotStored { reference: reference.to_string() });
        } else {
            Some(session.client().await?)
        };
        Ok(match &parsed {
            Manifest::Image(image) => {
                let config = match prefetched {
                    Some(config) => config,
                    None => self.config(client.as_deref(), repo, &image.config).await?,
                };
                let image = self.image_platform(top, image, &config, reference, platform, viewer).await?;
                PlatformsRead { images: vec![image], not_fetched: 0 }
            }
            Manifest::Index(index) => {
                self.index_platforms(client.as_deref(), repo, index, reference, platform, viewer).await?
            }
        })
    }

    /// Step 1: the digest `reference` names now: its own, a cached tag younger than the TTL (or
    /// any cached tag from the store alone), else the registry's answer.
    async fn resolve(
        &self,
        session: &mut Session<'_>,
        reference: &ImageReference,
        stored_repo: Option<&Repository>,
        source: Source,
    ) -> Result<Resolved, InspectError> {
        let now = Utc::now();
        let (stored_only, refresh) = (source == Source::Store, source == Source::Registry { refresh: true });
        let tag = match (reference.digest.as_deref(), reference.tag.as_deref()) {
            (Some(digest), _) => {
                let digest = Digest::parse(digest).map_err(ReferenceError::from)?;
                return Ok(Resolved { digest, fetched: None, checked_at: Some(now) });
            }
            (None, tag) => tag.unwrap_or("latest"),
        };
        let cached = match stored_repo {
            Some(repo) => self.store.tag(repo.id, tag).await?,
            None => None,
        };
        let fresh = cached.as_ref().filter(|t| {
            stored_only || !refresh && (now - t.checked_at).to_std().is_ok_and(|age| age < self.tag_ttl)
        });
        let repository = reference.repository.clone();
        Ok(match (fresh, cached.as_ref()) {
            // Recording a cached answer would keep pushing the tag's next re-check away while people look.
            (Some(tag), _) => Resolved { digest: tag.digest.clone(), fetched: None, checked_at: None },
            (None, Some(cached)) => {
                let name = tag.to_string();
                let answer = session
                    .first(move |c| {
                        let (repository, tag) = (repository.clone(), name.clone());
                        async move { c.manifest_digest(&repository, &tag).await }.boxed()
                    })
                    .await;
                let digest = match answer {
                    Err(gone @ RegistryError::ManifestNotFound { .. }) => {
                        // The repository answers, the tag is gone: what was seen is recorded (a
                        // failure to record it is not the viewer's problem).
                        if let Err(e) = self.store.record_tag_deleted(cached.repository, tag, now).await {
                            tracing::warn!(tag, error = %e, "a deleted tag was not recorded");
                        }
                        return Err(gone.into());
                    }
                    answer => answer?,
                };
                Resolved { digest, fetched: None, checked_at: Some(now) }
            }
            (None, None) if stored_only => return Err(InspectError::NotStored { reference: reference.to_string() }),
            (None, None) => {
                let manifest = session.first(fetch_manifest(&repository, tag)).await?;
                Resolved { digest: manifest.digest.clone(), fetched: Some(manifest), checked_at: Some(now) }
            }
        })
    }

    /// Step 3 for a single image: its platform must be the one asked for.
    async fn image_platform(
        &self,
        top: &ManifestRecord,
        image: &model::ImageManifest,
        config: &ConfigRecord,
        reference: &ImageReference,
        platform: Option<&PlatformFilter>,
        viewer: Viewer,
    ) -> Result<PlatformImage, InspectError> {
        let found = model::platform_image(&top.digest, &top.media_type, image, &config.body, None)?;
        if let Some(filter) = platform
            && !filter.matches(&found.platform)
        {
            return Err(InspectError::NoPlatform {
                reference: reference.to_string(),
                wanted: filter.label(),
                available: found.platform.to_string(),
            });
        }
        self.with_lineage(found, &top.digest, image, viewer).await
    }
}

fn not_stored(reference: &ImageReference) -> InspectError {
    InspectError::NotStored { reference: reference.to_string() }
}

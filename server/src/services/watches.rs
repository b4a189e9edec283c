//! The watches service: a signed-in user watches a repository or a tag they may see, through
//! channels of their own; lists and deletes their watches.

use app::reference::ImageReference;
use chrono::{DateTime, Utc};

use super::{ImageQuery, Images, ServiceError};
use crate::inspect::Viewer;
use crate::notify::NotifyError;
use crate::store::{Capped, NewWatch, SharedStore, UserId, WatchRecord};
use crate::watch::WatchRules;

/// What a user asks to watch (the API's body).
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct WatchInput {
    /// As in a reference: `alpine`, `ghcr.io/o/r`.
    pub repository: String,
    #[serde(default)]
    pub tag: Option<String>,
    #[serde(default)]
    pub include: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    pub events: Vec<String>,
    #[serde(default)]
    pub min_severity: Option<String>,
    pub channels: Vec<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct WatchView {
    pub id: i64,
    pub repository: String,
    pub tag: Option<String>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub events: Vec<String>,
    pub min_severity: Option<String>,
    pub channels: Vec<i64>,
    pub created_at: DateTime<Utc>,
    /// The refresh hook's URL: a POST to it re-checks the watched tags at once (a build pipeline
    /// calls it after pushing). Only in the answer that made the watch: it holds a secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_hook: Option<String>,
}

#[derive(Clone)]
pub struct Watches {
    store: SharedStore,
    images: Images,
    /// Where hook URLs point (SHIPSHAPE_PUBLIC_URL, else the listening address).
    site: String,
}

/// Watches one user may have: each costs registry requests every round.
pub const MAX_WATCHES: usize = 200;

/// The path a refresh hook is called at, before its token.
pub const HOOK_PATH: &str = "/api/v1/hooks/";

/// SHA-256 (hex) of a refresh-hook token, as stored.
pub fn hook_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn signed_in(viewer: Viewer) -> Result<UserId, ServiceError> {
    match viewer {
        Viewer::User { id, .. } => Ok(id),
        _ => Err(ServiceError::LoginRequired),
    }
}

impl Watches {
    pub fn new(store: SharedStore, images: Images, site: String) -> Self {
        Self { store, images, site }
    }

    /// Saves a watch once the repository (or tag) opened for `viewer` as a page would.
    pub async fn create(&self, viewer: Viewer, input: &WatchInput) -> Result<WatchView, ServiceError> {
        let user = signed_in(viewer)?;
        let invalid = |why: String| ServiceError::Notify(NotifyError::Invalid(why));
        let rules =
            WatchRules::parse(input.tag.as_deref(), &input.include, &input.exclude, &input.events, input.min_severity.as_deref())
                .map_err(invalid)?;
        if input.channels.is_empty() {
            return Err(invalid("channels: name at least one of your channels (POST /api/v1/channels makes one)".into()));
        }
        for id in &input.channels {
            if !self.store.channel(*id).await?.is_some_and(|c| c.user_id == user.0) {
                return Err(invalid(format!("channels: you have no channel {id}")));
            }
        }
        let repository = ImageReference::parse_repository(&input.repository)?;
        // Opened as its page opens it: a repository the user may not see is "not found".
        match &rules.tag {
            Some(tag) => {
                let reference = format!("{}:{tag}", repository.repository_path());
                self.images.inspect(viewer, ImageQuery::new(&reference)).await?;
            }
            None => {
                self.images.tags(viewer, &repository.repository_path(), 1, None).await?;
            }
        }
        let repo = self
            .store
            .repository(&repository.registry, &repository.repository)
            .await?
            .ok_or_else(|| invalid(format!("repository: {} has no tags to watch yet", repository.repository_path())))?;
        let json = |items: Vec<String>| serde_json::to_string(&items).unwrap_or_else(|_| "[]".into());
        let (include, exclude, events) = (json(rules.include()), json(rules.exclude()), json(rules.events().to_vec()));
        let min_severity = rules.min_severity().map(|s| s.as_str());
        let mut random = [0u8; 24];
        getrandom::fill(&mut random).map_err(|e| invalid(format!("no randomness for the hook's token: {e}")))?;
        let token = format!("shk_{}", hex::encode(random));
        let hash = hook_hash(&token);
        let new = NewWatch {
            user,
            hook_hash: &hash,
            repository: repo.id,
            tag: rules.tag.as_deref(),
            include: &include,
            exclude: &exclude,
            events: &events,
            min_severity,
            channels: &input.channels,
        };
        let Capped::Saved(id) = self.store.insert_watch(&new, MAX_WATCHES).await? else {
            let why = format!("you have {MAX_WATCHES} watches, the most one user may have: delete one first");
            return Err(invalid(why));
        };
        tracing::info!(user = user.0, watch = id, repository = %repository.repository_path(), "watch saved");
        let record = self.store.watch(id).await?.ok_or(ServiceError::Notify(NotifyError::NotFound))?;
        let mut view = self.view(&record).await?;
        view.refresh_hook = Some(format!("{}{HOOK_PATH}{token}", self.site.trim_end_matches('/')));
        Ok(view)
    }

    /// A refresh hook was called: the watched tags of its watch are re-checked at once (queued);
    /// `false` when no watch has that token.
    pub async fn refresh(&self, token: &str) -> Result<bool, ServiceError> {
        let Some(watch) = self.store.watch_by_hook(&hook_hash(token)).await? else { return Ok(false) };
        let job = crate::watch::RecheckWatched { registry: watch.registry, repository: watch.repository, tag: watch.tag };
        crate::jobs::enqueue(&self.store, &job).await?;
        Ok(true)
    }

    pub async fn list(&self, viewer: Viewer) -> Result<Vec<WatchView>, ServiceError> {
        let user = signed_in(viewer)?;
        let mut views = Vec::new();
        for record in self.store.watches(user).await? {
            views.push(self.view(&record).await?);
        }
        Ok(views)
    }

    pub async fn delete(&self, viewer: Viewer, id: i64) -> Result<(), ServiceError> {
        let user = signed_in(viewer)?;
        if self.store.delete_watch(user, id).await? { Ok(()) } else { Err(ServiceError::Notify(NotifyError::NotFound)) }
    }

    async fn view(&self, record: &WatchRecord) -> Result<WatchView, ServiceError> {
        let list = |text: &str| serde_json::from_str::<Vec<String>>(text).unwrap_or_default();
        Ok(WatchView {
            id: record.id,
            repository: format!("{}/{}", record.registry, record.repository),
            tag: record.tag.clone(),
            include: list(&record.include),
            exclude: list(&record.exclude),
            events: list(&record.events),
            min_severity: record.min_severity.clone(),
            channels: self.store.watch_channels(record.id).await?,
            created_at: record.created_at,
            refresh_hook: None,
        })
    }
}

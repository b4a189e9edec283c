//! The watcher: every SHIPSHAPE_WATCH_INTERVAL, each watched tag is re-checked with one `HEAD`
//! (its digest compared with the stored one; an inspection fetches more only when it moved), a
//! repository's tags listed only for whole-repository watches. A moved, new or deleted tag is
//! recorded by the inspection as it always is, raising the event the notifier fans out.
//! At most [`PER_REGISTRY`] checks run at once per registry; a registry answering 429 is left
//! alone for its `Retry-After` (the rest of its tags wait for the next round).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::reference::ImageReference;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use super::WatchRules;
use crate::inspect::{InspectError, InspectRequest, Viewer};
use crate::jobs::{BackgroundJob, Context, JobError, Lane, RunningJob};
use crate::registry::RegistryError;
use crate::store::{UserId, WatchRecord};

/// Checks in flight per registry.
const PER_REGISTRY: usize = 8;
/// Checks in flight in all: each may write (a tag's check time, an event), and on SQLite 32 at once
/// starved the job lease's renewals (the bench's first round over 10,000 new tags lost its lease).
const IN_ALL: usize = 8;
/// Tags a whole-repository watch lists at most.
const LIST_AT_MOST: usize = 10_000;

/// One round over every watch (a periodic job: one replica runs each round).
#[derive(Serialize, Deserialize)]
pub struct PollWatches {}

#[async_trait::async_trait]
impl BackgroundJob for PollWatches {
    const KIND: &'static str = "watch_round";
    const MAX_ATTEMPTS: i32 = 1;

    async fn run(&self, context: &Context, _job: &RunningJob) -> Result<(), JobError> {
        let watches = context.store.all_watches().await?;
        let summary = check(context, &watches, None).await;
        tracing::info!(
            tags = summary.checked,
            failed = summary.failed,
            deferred = summary.deferred,
            seconds = summary.took.as_secs_f64(),
            "watch round"
        );
        Ok(())
    }
}

/// Re-checks the watched tags of one repository now (a registry's push notification, a refresh
/// hook); `tag` narrows it to one tag.
#[derive(Serialize, Deserialize)]
pub struct RecheckWatched {
    pub registry: String,
    pub repository: String,
    pub tag: Option<String>,
}

#[async_trait::async_trait]
impl BackgroundJob for RecheckWatched {
    const KIND: &'static str = "watch_recheck";
    const LANE: Lane = Lane::Prompt;
    const PRIORITY: i32 = 20;

    fn dedupe_key(&self) -> Option<String> {
        Some(format!("watch_recheck:{}/{}:{}", self.registry, self.repository, self.tag.as_deref().unwrap_or("*")))
    }

    async fn run(&self, context: &Context, _job: &RunningJob) -> Result<(), JobError> {
        let Some(repo) = context.store.repository(&self.registry, &self.repository).await? else { return Ok(()) };
        let watches = context.store.watches_of(repo.id).await?;
        let summary = check(context, &watches, self.tag.as_deref()).await;
        tracing::info!(repository = %self.repository, tag = ?self.tag, tags = summary.checked, "watched tags re-checked");
        Ok(())
    }
}

#[derive(Debug, Default)]
pub struct RoundSummary {
    pub checked: usize,
    pub failed: usize,
    pub deferred: usize,
    pub took: Duration,
}

/// One repository's watches: which tags, whose credentials.
struct Target {
    registry: String,
    repository: String,
    private: bool,
    /// Users watching it (a private repository is read with the first of those still admitted).
    users: BTreeSet<i64>,
    tags: BTreeSet<String>,
    rules: Vec<WatchRules>,
}

/// A check of one tag.
struct Check {
    reference: ImageReference,
    viewer: Viewer,
    user: Option<UserId>,
    /// Whether the tag's base images are checked after it.
    bases: bool,
}

/// Re-checks the tags `watches` name (only `only_tag`, when given).
pub async fn check(context: &Context, watches: &[WatchRecord], only_tag: Option<&str>) -> RoundSummary {
    let started = Instant::now();
    let mut summary = RoundSummary::default();
    let mut checks = Vec::new();
    for mut target in targets(watches) {
        if target.private {
            // Each watcher's access is confirmed (re-checked at the registry with their own
            // credentials when older than the tag TTL, withdrawn when refused): events go only to
            // those who still may see it, and it is read as one of them.
            target.users = admitted(context, &target).await;
            if target.users.is_empty() {
                summary.failed += 1;
                continue;
            }
        }
        let mut tags = target.tags.clone();
        let wants_listing = !target.rules.is_empty() && only_tag.is_none();
        if wants_listing {
            match list_tags(context, &target).await {
                Ok(listed) => tags.extend(listed.into_iter().filter(|t| target.rules.iter().any(|r| r.watches_tag(t)))),
                Err(e) => {
                    tracing::info!(repository = %target.repository, error = %e, "watched repository not listed");
                    summary.failed += 1;
                }
            }
        }
        if let Some(only) = only_tag {
            let watched = tags.contains(only) || target.rules.iter().any(|r| r.watches_tag(only));
            tags = if watched { BTreeSet::from([only.to_string()]) } else { BTreeSet::new() };
        }
        for tag in tags {
            let Ok(reference) = ImageReference::parse(&format!("{}/{}:{tag}", target.registry, target.repository)) else {
                continue;
            };
            let user = target.private.then(|| target.users.first().copied().map(UserId)).flatten();
            let viewer = match user {
                Some(id) => Viewer::User { id, admin: false },
                None => Viewer::Operator,
            };
            checks.push(Check { reference, viewer, user, bases: true });
        }
    }
    let limits: Mutex<HashMap<String, Arc<Semaphore>>> = Mutex::new(HashMap::new());
    let paused: Mutex<HashMap<String, Instant>> = Mutex::new(HashMap::new());
    let run = |checks: Vec<Check>| {
        futures_util::stream::iter(checks)
            .map(|check| one(context, check, &limits, &paused))
            .buffer_unordered(IN_ALL)
            .collect::<Vec<Outcome>>()
    };
    let watched = run(checks).await;
    // Then the base images the watched tags are built on: a base that moved raises `base.updated`
    // for every image built on it (the seed's "rebuild when the base changed").
    let mut bases = BTreeMap::new();
    for outcome in &watched {
        if let Outcome::Checked(Some(found)) = outcome {
            for base in &found.bases {
                bases.entry(base.to_string()).or_insert_with(|| Check {
                    reference: base.clone(),
                    viewer: found.viewer,
                    user: found.user,
                    bases: false,
                });
            }
        }
    }
    let based = run(bases.into_values().collect()).await;
    for outcome in watched.iter().chain(&based) {
        match outcome {
            Outcome::Checked(_) => summary.checked += 1,
            Outcome::Failed => summary.failed += 1,
            Outcome::Deferred => summary.deferred += 1,
        }
    }
    summary.took = started.elapsed();
    summary
}

enum Outcome {
    Checked(Option<Found>),
    Failed,
    Deferred,
}

/// What a check of a watched tag found that the round goes on with: the tags its bases are.
struct Found {
    viewer: Viewer,
    user: Option<UserId>,
    bases: Vec<ImageReference>,
}

/// The base images, by tag, of each platform of `report`.
fn bases_of(report: &app::dto::ImageReport) -> Vec<ImageReference> {
    let mut bases: Vec<ImageReference> = report
        .platforms
        .iter()
        .filter_map(|p| p.lineage.base.as_ref())
        .filter_map(|base| ImageReference::parse(&base.reference).ok())
        .filter(|base| base.tag.is_some() && base.digest.is_none())
        .collect();
    bases.sort_by_key(|b| b.to_string());
    bases.dedup_by_key(|b| b.to_string());
    bases
}

async fn one(
    context: &Context,
    check: Check,
    limits: &Mutex<HashMap<String, Arc<Semaphore>>>,
    paused: &Mutex<HashMap<String, Instant>>,
) -> Outcome {
    let registry = check.reference.registry.clone();
    let semaphore = {
        let mut limits = limits.lock().unwrap_or_else(|e| e.into_inner());
        limits.entry(registry.clone()).or_insert_with(|| Arc::new(Semaphore::new(PER_REGISTRY))).clone()
    };
    let Ok(_permit) = semaphore.acquire().await else { return Outcome::Deferred };
    let is_paused = |paused: &Mutex<HashMap<String, Instant>>| {
        paused.lock().unwrap_or_else(|e| e.into_inner()).get(&registry).is_some_and(|until| *until > Instant::now())
    };
    if is_paused(paused) {
        return Outcome::Deferred;
    }
    let credentials = match (check.user, &context.credentials_for) {
        (Some(user), Some(source)) => source.credentials_for(user, &registry).await,
        _ => None,
    };
    let request = InspectRequest::new(&check.reference, check.viewer).refresh(true).credentials(credentials);
    match context.inspector.inspect(request).await {
        Ok(report) if check.bases => {
            Outcome::Checked(Some(Found { viewer: check.viewer, user: check.user, bases: bases_of(&report) }))
        }
        Ok(_) => Outcome::Checked(None),
        Err(InspectError::Registry(RegistryError::RateLimited { retry_after, .. })) => {
            let wait = Duration::from_secs(retry_after.unwrap_or(60).min(3600));
            paused.lock().unwrap_or_else(|e| e.into_inner()).insert(registry.clone(), Instant::now() + wait);
            tracing::info!(registry, seconds = wait.as_secs(), "registry asked the watcher to wait (429)");
            Outcome::Deferred
        }
        Err(e) => {
            tracing::debug!(reference = %check.reference, error = %e, "watched tag not checked");
            Outcome::Failed
        }
    }
}

/// The repositories `watches` name, each once, with their tags and rules.
fn targets(watches: &[WatchRecord]) -> Vec<Target> {
    let mut by_repository: BTreeMap<(String, String), Target> = BTreeMap::new();
    for watch in watches {
        let Ok(rules) = WatchRules::from_record(watch) else { continue };
        let target = by_repository.entry((watch.registry.clone(), watch.repository.clone())).or_insert_with(|| Target {
            registry: watch.registry.clone(),
            repository: watch.repository.clone(),
            private: watch.visibility == "private",
            users: BTreeSet::new(),
            tags: BTreeSet::new(),
            rules: Vec::new(),
        });
        target.users.insert(watch.user_id);
        match &rules.tag {
            Some(tag) => {
                target.tags.insert(tag.clone());
            }
            None => target.rules.push(rules),
        }
    }
    by_repository.into_values().collect()
}

/// The watchers of private `target` who may still see it.
async fn admitted(context: &Context, target: &Target) -> BTreeSet<i64> {
    let Ok(repository) = ImageReference::parse_repository(&format!("{}/{}", target.registry, target.repository)) else {
        return BTreeSet::new();
    };
    let mut admitted = BTreeSet::new();
    for user in &target.users {
        let credentials = match &context.credentials_for {
            Some(source) => source.credentials_for(UserId(*user), &target.registry).await,
            None => None,
        };
        let viewer = Viewer::User { id: UserId(*user), admin: false };
        match context.inspector.admit_stored(&repository, viewer, credentials).await {
            Ok(()) => {
                admitted.insert(*user);
            }
            Err(e) => tracing::info!(user, repository = %target.repository, error = %e, "a watcher may no longer see it"),
        }
    }
    admitted
}

async fn list_tags(context: &Context, target: &Target) -> Result<Vec<String>, InspectError> {
    let repository = ImageReference::parse_repository(&format!("{}/{}", target.registry, target.repository))?;
    if !target.private {
        return context.inspector.tag_names(&repository, LIST_AT_MOST).await;
    }
    let user = target.users.first().copied().map(UserId);
    let credentials = match (user, &context.credentials_for) {
        (Some(user), Some(source)) => source.credentials_for(user, &target.registry).await,
        _ => None,
    };
    let client = context.inspector.blob_client(&repository, credentials.as_ref()).await?;
    Ok(client.tags(&target.repository, LIST_AT_MOST).await?)
}

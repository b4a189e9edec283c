//! Known bases (for lineage): the repositories most images are built `FROM` (Docker's official images by
//! default) are indexed in the background, so that lineage names a base on a fresh install and a
//! base tag that moves is noticed (one HEAD per tag per round, through the tag TTL) without anyone
//! looking at it.

use app::reference::ImageReference;
use app::tag_order::by_version_desc;

use crate::config::KnownBases;
use crate::inspect::{InspectError, InspectRequest, Inspector, PlatformFilter, Viewer};
use crate::jobs::{BackgroundJob, Context, JobError, RunningJob};

/// Registries list thousands of tags for some official images; more than this are not read.
const TAG_LIST_LIMIT: usize = 10_000;

/// What one round did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RoundSummary {
    /// Platform images inspected (from the store or the registry).
    pub images: usize,
    /// `reference: error` for each tag or repository that failed; the round goes on.
    pub failures: Vec<String>,
}

/// The tags of a base repository worth indexing: `latest`, then the newest `count` release tags
/// (plain versions like `3.20` or `3.20.1`; variants like `3.20-slim` are other bases).
pub fn chosen_tags(mut tags: Vec<String>, count: usize) -> Vec<String> {
    let is_release = |t: &str| {
        let body = t.strip_prefix('v').unwrap_or(t);
        !body.is_empty() && body.split('.').all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    let latest = tags.iter().any(|t| t == "latest");
    tags.retain(|t| is_release(t));
    tags.sort_by(|a, b| by_version_desc(a, b));
    tags.truncate(count);
    if latest {
        tags.insert(0, "latest".to_string());
    }
    tags
}

/// Indexes every configured base repository once, telling `progress` about each repository.
pub async fn index_round(inspector: &Inspector, bases: &KnownBases, progress: impl Fn(&str)) -> RoundSummary {
    let mut summary = RoundSummary::default();
    let platforms: Vec<PlatformFilter> = bases.platforms.iter().filter_map(|p| PlatformFilter::parse(p).ok()).collect();
    for repository in &bases.repositories {
        progress(&repository.repository_path());
        let tags = match inspector.tag_names(repository, TAG_LIST_LIMIT).await {
            Ok(tags) => chosen_tags(tags, bases.tags_per_repository),
            Err(e) => {
                summary.failures.push(format!("{}: {e}", repository.repository_path()));
                continue;
            }
        };
        for tag in tags {
            let reference = ImageReference { tag: Some(tag), digest: None, ..repository.clone() };
            for platform in &platforms {
                match inspector.inspect(InspectRequest::new(&reference, Viewer::Operator).platform(Some(platform))).await {
                    Ok(report) => summary.images += report.platforms.len(),
                    // Not every base is built for every platform.
                    Err(InspectError::NoPlatform { .. }) => {}
                    Err(e) => {
                        summary.failures.push(format!("{reference}: {e}"));
                        break;
                    }
                }
            }
        }
    }
    summary
}

/// One round of indexing as a scheduled job (`serve` and `worker` run it every
/// SHIPSHAPE_BASE_INTERVAL, once per round however many replicas there are).
#[derive(serde::Serialize, serde::Deserialize)]
pub struct IndexKnownBases {}

#[async_trait::async_trait]
impl BackgroundJob for IndexKnownBases {
    const KIND: &'static str = "index_known_bases";
    const MAX_ATTEMPTS: i32 = 1;

    async fn run(&self, context: &Context, _job: &RunningJob) -> Result<(), JobError> {
        let bases = &context.base_images;
        let summary =
            index_round(&context.inspector, bases, |repository| tracing::debug!(repository, "indexing base")).await;
        tracing::info!(
            repositories = bases.repositories.len(),
            images = summary.images,
            failures = summary.failures.len(),
            "known bases indexed"
        );
        for failure in &summary.failures {
            tracing::warn!(failure, "known base not indexed");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_then_the_newest_releases() {
        let tags = ["3.9", "3.10", "3.20", "3.20.1", "latest", "edge", "3.20-slim", "20240101", "v3.21", "3.21.0-rc1"]
            .map(String::from)
            .to_vec();
        assert_eq!(chosen_tags(tags.clone(), 3), ["latest", "20240101", "v3.21", "3.20.1"]);
        assert_eq!(chosen_tags(tags, 0), ["latest"]);
        assert!(chosen_tags(vec!["edge".into()], 5).is_empty());
    }
}

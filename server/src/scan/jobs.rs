//! Scan work as jobs: scan one platform image, re-match one stored scan against the advisories
//! stored now, or re-match every stored scan after the advisory database changed.

use serde::{Deserialize, Serialize};

use app::digest::Digest;
use app::reference::ImageReference;

use super::run::{Progress, ScanError, ScanReport, matched_before, rematch, scan};
use crate::jobs::{BackgroundJob, Context, JobError, Lane, RunningJob};
use crate::inspect::InspectError;
use crate::registry::RegistryError;
use crate::store::{SharedStore, StoreError, UserId};

/// The dedupe key of `digest`'s scan job, also how its state is looked up.
pub fn scan_key(digest: &Digest) -> String {
    format!("scan:{digest}")
}

/// Scans the platform image `reference` (`registry/repository@digest`; an index's linux/amd64
/// image, else its first) and stores the report.
#[derive(Serialize, Deserialize)]
pub struct ScanImage {
    pub reference: String,
    /// For a private image: the user who asked, whose saved credentials read it (the job holds
    /// no secret, only whose to open when it runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<i64>,
}

#[async_trait::async_trait]
impl BackgroundJob for ScanImage {
    const KIND: &'static str = "scan";
    const LANE: Lane = Lane::Scans;
    const MAX_ATTEMPTS: i32 = 2;

    fn dedupe_key(&self) -> Option<String> {
        // By digest, as `scan_key` looks it up; a reference without one is its own key.
        Some(match self.reference.rsplit_once('@').and_then(|(_, d)| Digest::parse(d).ok()) {
            Some(digest) => scan_key(&digest),
            None => format!("scan:{}", self.reference),
        })
    }

    async fn run(&self, context: &Context, job: &RunningJob) -> Result<(), JobError> {
        let reference = ImageReference::parse(&self.reference).map_err(|e| JobError::Failed(e.to_string()))?;
        let credentials = match self.user {
            None => None,
            Some(user) => {
                let saved = match &context.credentials_for {
                    Some(source) => source.credentials_for(UserId(user), &reference.registry).await,
                    None => None,
                };
                // Deleted since, or never readable here: nobody else's credentials are borrowed.
                Some(saved.ok_or_else(|| {
                    JobError::Failed(format!(
                        "the credentials for {} of the user who asked are gone: save them again under Account → Registries",
                        reference.registry
                    ))
                })?)
            }
        };
        // Progress goes to the job row from its own task: the scan's callback cannot wait.
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(i64, i64)>();
        let writer = async {
            while let Some((done, total)) = rx.recv().await {
                if let Err(e) = job.progress(done, total).await {
                    tracing::warn!(error = %e, "scan progress not recorded");
                }
            }
        };
        let total = std::sync::atomic::AtomicI64::new(0);
        let done = std::sync::atomic::AtomicI64::new(0);
        let progress = move |p: Progress| {
            use std::sync::atomic::Ordering::Relaxed;
            match p {
                Progress::Resolved { layers, .. } => total.store(layers as i64, Relaxed),
                Progress::LayerDone { .. } => {
                    done.fetch_add(1, Relaxed);
                }
                Progress::Matching => {}
            }
            let _ = tx.send((done.load(Relaxed), total.load(Relaxed)));
        };
        let scanning = async {
            let result =
                scan(&context.inspector, &context.store, &reference, None, credentials, &context.scan_limits, &progress).await;
            drop(progress);
            result
        };
        let (result, ()) = tokio::join!(scanning, writer);
        let report = result.map_err(scan_error)?;
        let json = serde_json::to_string(&report).unwrap_or_default();
        let previous = stored_report(&context.store, &report.digest).await?;
        context.store.put_scan_result(&report.digest, &json).await?;
        super::events::raise(&context.store, previous.as_ref(), &report, true).await?;
        tracing::info!(reference = %self.reference, findings = report.findings.len(), "scanned");
        Ok(())
    }
}

/// A registry that is down or busy is worth another attempt; a bad image is not. The reason is
/// shown to anyone who views the scan: a registry's own words and addresses go to the log only.
fn scan_error(e: ScanError) -> JobError {
    let registry = match &e {
        ScanError::Registry(r) | ScanError::Inspect(InspectError::Registry(r)) => Some(r),
        _ => None,
    };
    if let Some(r) = registry {
        tracing::info!(error = %r, "scan: registry failure");
    }
    let reason = registry.map_or_else(|| e.to_string(), RegistryError::public_message);
    match e {
        ScanError::Store(e) => JobError::Store(e),
        ScanError::Registry(
            RegistryError::Unreachable { .. } | RegistryError::Timeout { .. } | RegistryError::RateLimited { .. },
        ) => JobError::Retry(reason),
        _ => JobError::Failed(reason),
    }
}

/// Matches one stored scan again (advisories changed since it was matched).
#[derive(Serialize, Deserialize)]
pub struct RematchScan {
    /// Validated as the payload is read.
    pub digest: Digest,
}

#[async_trait::async_trait]
impl BackgroundJob for RematchScan {
    const KIND: &'static str = "rematch_scan";
    const LANE: Lane = Lane::Scans;
    const PRIORITY: i32 = 5;

    fn dedupe_key(&self) -> Option<String> {
        Some(format!("{}:{}", Self::KIND, self.digest))
    }

    async fn run(&self, context: &Context, _job: &RunningJob) -> Result<(), JobError> {
        rematch_if_stale(&context.store, &self.digest).await?;
        Ok(())
    }
}

/// Matches every stored scan again whose advisories changed (queued after an import or a sync).
/// Not deduplicated: an import landing while one runs must not be lost, and a second pass only
/// re-matches what is still stale.
#[derive(Serialize, Deserialize)]
pub struct RematchAll {}

#[async_trait::async_trait]
impl BackgroundJob for RematchAll {
    const KIND: &'static str = "rematch_all";
    const LANE: Lane = Lane::Scans;

    async fn run(&self, context: &Context, _job: &RunningJob) -> Result<(), JobError> {
        let mut after = None;
        let mut rematched = 0;
        loop {
            let page = context.store.scanned_digests(after.as_ref(), 100).await?;
            let Some(last) = page.last().cloned() else { break };
            for digest in page {
                rematched += usize::from(rematch_if_stale(&context.store, &digest).await?);
            }
            after = Some(last);
        }
        tracing::info!(rematched, "stored scans matched against the new advisories");
        Ok(())
    }
}

/// True when the stored scan of `digest` was matched before the advisories changed, and is now
/// matched again.
async fn rematch_if_stale(store: &SharedStore, digest: &Digest) -> Result<bool, StoreError> {
    let Some(report) = stored_report(store, digest).await? else { return Ok(false) };
    if !matched_before(&report, &store.vulndb_sources().await?) {
        return Ok(false);
    }
    let previous = report.clone();
    let report = rematch(store, report).await?;
    store.replace_scan_report(digest, &serde_json::to_string(&report).unwrap_or_default()).await?;
    // New advisories that now match: watchers hear of them as after a scan.
    super::events::raise(store, Some(&previous), &report, false).await?;
    Ok(true)
}

/// The stored scan of `digest`, when there is one this release can read.
async fn stored_report(store: &SharedStore, digest: &Digest) -> Result<Option<ScanReport>, StoreError> {
    let Some((json, _)) = store.scan_result(digest).await? else { return Ok(None) };
    Ok(serde_json::from_str(&json).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn a_rematch_payload_is_its_digest_as_a_string_and_checked_when_read() {
        let job = RematchScan { digest: Digest::parse(DIGEST).unwrap() };
        let payload = serde_json::to_string(&job).unwrap();
        assert_eq!(payload, format!(r#"{{"digest":"{DIGEST}"}}"#));
        assert_eq!(serde_json::from_str::<RematchScan>(&payload).unwrap().digest, job.digest);
        assert!(serde_json::from_str::<RematchScan>(r#"{"digest":"latest"}"#).is_err());
    }

    #[test]
    fn a_scan_is_deduplicated_by_the_digest_its_reference_names() {
        let scan = |reference: &str| ScanImage { reference: reference.to_string(), user: None }.dedupe_key().unwrap();
        assert_eq!(scan(&format!("r.example/app@{DIGEST}")), scan_key(&Digest::parse(DIGEST).unwrap()));
        assert_eq!(scan("r.example/app:1"), "scan:r.example/app:1");
    }
}

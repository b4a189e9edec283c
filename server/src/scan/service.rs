//! Scans in the web app: a platform image's stored scan as the page shows it, and the durable
//! job that makes one (queued on first view; a new digest is a new image, so a moved tag is
//! scanned again when it is next viewed).

use std::sync::Arc;
use std::time::Duration;

use app::dto::{EcosystemCount, FindingRow, PackageRow, ScanSummary, SeverityCounts};
use app::reference::ImageReference;

use super::findings::severity_rank;
use super::run::{Progress, ScanReport, matched_before, rematch, scan};
use crate::services::Services;
use crate::store::{SharedStore, StoreError};

pub const SCAN_JOB: &str = "scan";
/// A scan that takes longer than this is taken to have died with its worker and is claimed again.
const LEASE: Duration = Duration::from_secs(30 * 60);
/// A failed scan (registry down, say) is tried again when viewed this long after it failed.
const RETRY_AFTER: Duration = Duration::from_secs(60 * 60);

fn job_key(digest: &str) -> String {
    format!("{SCAN_JOB}:{digest}")
}

/// The scan of the platform image `digest` in `repository` (`registry/name`). With `enqueue`, a
/// public image never scanned is queued.
pub async fn summary(
    store: &SharedStore,
    repository: &str,
    digest: &str,
    private: bool,
    enqueue: bool,
) -> Result<ScanSummary, StoreError> {
    if let Some((report, scanned_at)) = store.scan_result(digest).await? {
        match serde_json::from_str::<ScanReport>(&report) {
            Ok(report) if matched_before(&report, &store.vulndb_sources().await?) => {
                // New advisories since: the findings are matched again from the stored packages.
                let report = rematch(store, report).await?;
                store.put_scan_result(digest, &serde_json::to_string(&report).unwrap_or_default()).await?;
                return Ok(done(&report, scanned_at));
            }
            Ok(report) => return Ok(done(&report, scanned_at)),
            Err(e) => tracing::warn!(digest, error = %e, "a stored scan no longer reads; scanning again"),
        }
    }
    if private {
        // Workers hold no registry credentials: private images are scanned with `shipshape scan`.
        return Ok(ScanSummary { state: "unavailable".into(), ..ScanSummary::default() });
    }
    let key = job_key(digest);
    let job = match store.job(&key).await? {
        Some(job) => Some(job),
        None if enqueue => {
            store.enqueue_job(SCAN_JOB, &format!("{repository}@{digest}"), &key).await?;
            store.job(&key).await?
        }
        None => None,
    };
    Ok(match job {
        // A result that would not read sends a finished job round again.
        Some(job) if job.state == "done" => {
            store.retry_job(&key).await?;
            ScanSummary { state: "queued".into(), ..ScanSummary::default() }
        }
        Some(job)
            if enqueue
                && job.state == "failed"
                && (chrono::Utc::now() - job.updated_at).to_std().is_ok_and(|age| age > RETRY_AFTER) =>
        {
            store.retry_job(&key).await?;
            ScanSummary { state: "queued".into(), ..ScanSummary::default() }
        }
        Some(job) => ScanSummary {
            state: job.state,
            layers_done: job.progress_done.max(0) as u32,
            layers_total: job.progress_total.max(0) as u32,
            error: job.error,
            ..ScanSummary::default()
        },
        None => ScanSummary { state: "none".into(), ..ScanSummary::default() },
    })
}

/// A tag that moved off an image that was scanned: its new image is queued at once, so its
/// findings are ready before anyone looks (`to` may be an index; the worker scans its linux/amd64
/// image, else its first).
pub async fn rescan_moved_tag(store: &SharedStore, repository: &str, from: &str, to: &str) -> Result<bool, StoreError> {
    let mut before = store.index_children(from).await?;
    before.push(from.to_string());
    for digest in &before {
        if store.scan_result(digest).await?.is_some() {
            let key = job_key(to);
            if store.job(&key).await?.is_none() {
                store.enqueue_job(SCAN_JOB, &format!("{repository}@{to}"), &key).await?;
            }
            return Ok(true);
        }
    }
    Ok(false)
}

fn done(report: &ScanReport, scanned_at: chrono::DateTime<chrono::Utc>) -> ScanSummary {
    let mut counts = SeverityCounts::default();
    for finding in &report.findings {
        match finding.finding.severity.as_str() {
            "critical" => counts.critical += 1,
            "high" => counts.high += 1,
            "medium" => counts.medium += 1,
            "low" => counts.low += 1,
            _ => counts.unknown += 1,
        }
    }
    let mut findings: Vec<FindingRow> = report
        .findings
        .iter()
        .map(|f| FindingRow {
            id: f.finding.id.clone(),
            aliases: f.finding.aliases.clone(),
            ecosystem: f.finding.ecosystem.clone(),
            package: f.finding.package.clone(),
            version: f.finding.version.clone(),
            fixed_version: f.finding.fixed_version.clone(),
            severity: f.finding.severity.clone(),
            summary: f.finding.summary.clone(),
            layer_digest: f.layer_digest.clone(),
            layer_command: f.layer_command.clone(),
        })
        .collect();
    findings.sort_by(|a, b| severity_rank(&a.severity).cmp(&severity_rank(&b.severity)).then_with(|| a.id.cmp(&b.id)));
    ScanSummary {
        state: "done".into(),
        layers_done: report.layers.len() as u32,
        layers_total: report.layers.len() as u32,
        error: None,
        scanned_at: Some(scanned_at.to_rfc3339()),
        vulndb_as_of: report.vulndb.iter().filter_map(|s| s.newest_modified.clone()).max(),
        os: report.os.as_ref().map(|o| o.pretty_name.clone().unwrap_or_else(|| format!("{} {}", o.id, o.version))),
        packages: report.packages.len(),
        ecosystems: ecosystem_counts(report),
        counts,
        findings,
        checks: report.checks.clone(),
        wasted_bytes: report.wasted_bytes,
        efficiency: report.efficiency,
    }
}

/// The packages of the stored scan of `digest`, with how many findings name each; `None` when it
/// is not scanned (yet).
pub async fn packages(store: &SharedStore, digest: &str) -> Result<Option<Vec<PackageRow>>, StoreError> {
    let Some((json, _)) = store.scan_result(digest).await? else { return Ok(None) };
    let Ok(report) = serde_json::from_str::<ScanReport>(&json) else { return Ok(None) };
    let mut rows: Vec<PackageRow> = report
        .packages
        .iter()
        .map(|p| PackageRow {
            ecosystem: p.ecosystem.clone(),
            name: p.name.clone(),
            version: p.version.clone(),
            license: p.license.clone(),
            purl: p.purl.clone(),
            path: p.path.clone(),
            layer_digest: p.layer_digest.clone(),
            layer_command: p.layer_command.clone(),
            findings: report
                .findings
                .iter()
                .filter(|f| f.finding.package == p.name && f.finding.version == p.version)
                .count() as u32,
        })
        .collect();
    // Packages with findings first.
    rows.sort_by(|a, b| {
        (std::cmp::Reverse(a.findings), &a.ecosystem, &a.name, &a.version).cmp(&(
            std::cmp::Reverse(b.findings),
            &b.ecosystem,
            &b.name,
            &b.version,
        ))
    });
    Ok(Some(rows))
}

/// Packages per ecosystem, most first.
pub fn ecosystem_counts(report: &ScanReport) -> Vec<EcosystemCount> {
    let mut counts: Vec<EcosystemCount> = Vec::new();
    for package in &report.packages {
        match counts.iter_mut().find(|c| c.ecosystem == package.ecosystem) {
            Some(c) => c.count += 1,
            None => counts.push(EcosystemCount { ecosystem: package.ecosystem.clone(), count: 1 }),
        }
    }
    counts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.ecosystem.cmp(&b.ecosystem)));
    counts
}

/// Runs queued scans one at a time, for as long as the process lives (`serve` starts it).
pub async fn run_forever(services: Arc<Services>) {
    loop {
        match run_one(&services).await {
            Ok(true) => {}
            Ok(false) => tokio::time::sleep(Duration::from_secs(1)).await,
            Err(e) => {
                tracing::warn!(error = %e, "scan queue: store unavailable");
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }
    }
}

/// Claims and runs one scan job; false when none was waiting.
pub async fn run_one(services: &Services) -> Result<bool, StoreError> {
    let store = &services.store;
    let Some(job) = store.claim_job(SCAN_JOB, LEASE).await? else { return Ok(false) };
    let reference = match ImageReference::parse(&job.subject) {
        Ok(r) => r,
        Err(e) => {
            store.finish_job(job.id, Some(&e.to_string())).await?;
            return Ok(true);
        }
    };
    // Progress goes to the job row from its own task: the scan's callback cannot wait.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(i64, i64)>();
    let writer = {
        let store = store.clone();
        let id = job.id;
        tokio::spawn(async move {
            while let Some((done, total)) = rx.recv().await {
                if let Err(e) = store.job_progress(id, done, total).await {
                    tracing::warn!(error = %e, "scan progress not recorded");
                }
            }
        })
    };
    let total = std::sync::atomic::AtomicI64::new(0);
    let done = std::sync::atomic::AtomicI64::new(0);
    let progress = |p: Progress| {
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
    let result = scan(&services.inspector, store, &reference, None, None, &progress).await;
    drop(tx);
    let _ = writer.await;
    match result {
        Ok(report) => {
            let json = serde_json::to_string(&report).unwrap_or_default();
            store.put_scan_result(&report.digest, &json).await?;
            store.finish_job(job.id, None).await?;
            tracing::info!(reference = %job.subject, findings = report.findings.len(), "scanned");
        }
        Err(e) => {
            tracing::info!(reference = %job.subject, error = %e, "scan failed");
            store.finish_job(job.id, Some(&e.to_string())).await?;
        }
    }
    Ok(true)
}

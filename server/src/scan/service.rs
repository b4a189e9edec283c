//! Scans in the web app: a platform image's stored scan as the page shows it (a read, nothing
//! more), and the request that queues the work a page or badge needs: a scan of an image never
//! scanned, or a re-match of one matched before the advisories changed.

use std::time::Duration;

use app::digest::Digest;
use app::dto::{EcosystemCount, FindingRow, PackageRow, ScanSummary, SeverityCounts};
use app::severity::Severity;

use super::jobs::{RematchScan, ScanImage, scan_key};
use super::run::{ScanReport, matched_before};
use crate::inspect::{Manifest, parse_manifest};
use crate::jobs::enqueue;
use crate::store::{JobState, SharedStore, StoreError, UserId};

/// A failed scan (registry down, say) is tried again when asked for this long after it failed.
const RETRY_AFTER: Duration = Duration::from_secs(60 * 60);

/// The stored scan of the platform image `digest`, or the state of the job making it. `queueable`:
/// whether this viewer's ask could queue one (not for a private image's badge-token holder, who
/// lends no credentials): if not, and no job exists, "unavailable".
pub async fn summary(store: &SharedStore, digest: &Digest, queueable: bool) -> Result<ScanSummary, StoreError> {
    if let Some((report, scanned_at)) = store.scan_result(digest).await? {
        match serde_json::from_str::<ScanReport>(&report) {
            Ok(report) => return Ok(done(&report, scanned_at)),
            Err(e) => tracing::warn!(%digest, error = %e, "a stored scan no longer reads; it is scanned again"),
        }
    }
    Ok(match store.latest_job(&scan_key(digest)).await? {
        // Finished without a readable result: `request` queues it again.
        Some(job) if job.state == JobState::Done => ScanSummary { state: "queued".into(), ..ScanSummary::default() },
        Some(job) => ScanSummary {
            state: job.state.as_str().into(),
            layers_done: job.progress_done.max(0) as u32,
            layers_total: job.progress_total.max(0) as u32,
            error: job.error,
            ..ScanSummary::default()
        },
        None if !queueable => ScanSummary { state: "unavailable".into(), ..ScanSummary::default() },
        None => ScanSummary { state: "none".into(), ..ScanSummary::default() },
    })
}

/// Queues what the scan of image `digest` in `repository` (`registry/name`) needs: a scan when
/// there is none (or it failed over an hour ago), a re-match when advisories changed since. A
/// private image is read with the credentials of `user`, who asked and may see it.
pub async fn request(
    store: &SharedStore,
    repository: &str,
    digest: &Digest,
    user: Option<UserId>,
) -> Result<(), StoreError> {
    if let Some((json, _)) = store.scan_result(digest).await?
        && let Ok(report) = serde_json::from_str::<ScanReport>(&json)
    {
        if matched_before(&report, &store.vulndb_sources().await?) {
            enqueue(store, &RematchScan { digest: digest.clone() }).await?;
        }
        return Ok(());
    }
    let retry = match store.latest_job(&scan_key(digest)).await? {
        None => true,
        Some(job) => match job.state {
            JobState::Queued | JobState::Running => false,
            JobState::Done => true,
            JobState::Failed => (chrono::Utc::now() - job.updated_at).to_std().is_ok_and(|age| age > RETRY_AFTER),
        },
    };
    if retry {
        enqueue(store, &ScanImage { reference: format!("{repository}@{digest}"), user: user.map(|u| u.0) }).await?;
    }
    Ok(())
}

/// A tag that moved off an image that was scanned: its new image is queued at once, so its
/// findings are ready before anyone looks. When `to` is an index, its default platform image is
/// queued, under the same key a page's request for it uses (so the two never both scan it).
pub async fn rescan_moved_tag(
    store: &SharedStore,
    repository: &str,
    from: &Digest,
    to: &Digest,
) -> Result<bool, StoreError> {
    let mut before = store.index_children(from).await?;
    before.push(from.clone());
    for digest in &before {
        if store.scan_result(digest).await?.is_some() {
            let image = default_image(store, to).await?;
            enqueue(store, &ScanImage { reference: format!("{repository}@{image}"), user: None }).await?;
            return Ok(true);
        }
    }
    Ok(false)
}

/// `digest` itself, or the platform image it means when it is a stored index.
async fn default_image(store: &SharedStore, digest: &Digest) -> Result<Digest, StoreError> {
    let Some(record) = store.manifest(digest).await? else { return Ok(digest.clone()) };
    Ok(match parse_manifest(&record.media_type, &record.body, digest) {
        Ok(Manifest::Index(index)) => index.default_image().map_or_else(|| digest.clone(), |d| d.digest.clone()),
        _ => digest.clone(),
    })
}

fn done(report: &ScanReport, scanned_at: chrono::DateTime<chrono::Utc>) -> ScanSummary {
    let mut counts = SeverityCounts::default();
    for finding in &report.findings {
        match finding.finding.severity {
            Severity::Critical => counts.critical += 1,
            Severity::High => counts.high += 1,
            Severity::Medium => counts.medium += 1,
            Severity::Low => counts.low += 1,
            Severity::None | Severity::Unknown => counts.unknown += 1,
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
            severity: f.finding.severity,
            summary: f.finding.summary.clone(),
            layer_digest: f.layer_digest.clone(),
            layer_command: f.layer_command.clone(),
        })
        .collect();
    findings.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
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
pub async fn packages(store: &SharedStore, digest: &Digest) -> Result<Option<Vec<PackageRow>>, StoreError> {
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

//! One scan: inspect the reference, read its platform's layers (in parallel, each once, streamed),
//! build the filesystem, inventory it, match advisories, run the tune-up checks.

use app::digest::{Digest, DigestError};
use app::dto::{CheckRow, PlatformImage};
use app::reference::ImageReference;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use super::filesystem::Filesystem;
use super::findings::{Finding, Undecided, match_packages};
use super::layers::{LayerContents, LayerError, read_layer};
use super::limits::{Budget, ScanLimits, Stop, Stoppable};
use super::os::OsRelease;
use super::packages::Package;
use super::{inventory, layer_cache, tuneup};
use crate::inspect::{InspectError, InspectRequest, Inspector, PlatformFilter, Viewer};
use crate::registry::{BlobReader, Credentials, RegistryError};
use crate::store::{SharedStore, StoreError, VulnDbSource};

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(transparent)]
    Inspect(#[from] InspectError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Layer(#[from] LayerError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Inspection wrote the image's digests from validated ones: this is a bug, told, not a panic.
    #[error("the inspected image names a malformed digest: {0}")]
    Digest(#[from] DigestError),
    #[error("{0} has no platform image to scan")]
    NoImage(String),
    #[error(
        "the scan took longer than {} s, the limit SHIPSHAPE_SCAN_TIMEOUT sets: the registry may be sending too slowly",
        .0.as_secs()
    )]
    Deadline(std::time::Duration),
    #[error("image too large to scan ({0})")]
    TooLarge(String),
    /// A bug met by this image's contents: told as the scan's failure, the worker goes on.
    #[error("the scan failed on this image's contents: {0}")]
    Crashed(String),
}

/// What a scan tells, as `shipshape scan --format json` prints it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScanReport {
    pub reference: String,
    /// The platform image's manifest digest.
    pub digest: Digest,
    pub platform: String,
    pub os: Option<OsRelease>,
    pub packages: Vec<PackageOut>,
    pub findings: Vec<FindingOut>,
    /// Advisories that may apply but whose versions could not be compared.
    pub undecided: Vec<Undecided>,
    pub checks: Vec<CheckRow>,
    pub layers: Vec<LayerOut>,
    pub wasted_bytes: u64,
    pub efficiency: f64,
    /// The advisory sources the findings come from, with their age.
    pub vulndb: Vec<VulnDbOut>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PackageOut {
    pub ecosystem: String,
    pub name: String,
    pub version: String,
    pub source_name: String,
    pub source_version: String,
    pub architecture: Option<String>,
    pub license: Option<String>,
    pub purl: String,
    /// Where a language package was found: its manifest, lock file or binary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub layer_digest: Option<String>,
    pub layer_command: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FindingOut {
    #[serde(flatten)]
    pub finding: Finding,
    pub layer_digest: Option<String>,
    pub layer_command: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LayerOut {
    pub digest: String,
    pub size: u64,
    pub uncompressed: u64,
    pub command: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VulnDbOut {
    pub source: String,
    pub records: i64,
    pub newest_modified: Option<String>,
    pub imported_at: String,
}

/// Progress of a scan, for a bar on a terminal or the tag page.
#[derive(Clone, Debug)]
pub enum Progress {
    Resolved { layers: usize, bytes: u64 },
    LayerDone { index: usize, bytes: u64 },
    Matching,
}

pub async fn scan(
    inspector: &Inspector,
    store: &SharedStore,
    reference: &ImageReference,
    platform: Option<&PlatformFilter>,
    credentials: Option<Credentials>,
    limits: &ScanLimits,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<ScanReport, ScanError> {
    let (stop, _stop_readers) = Stop::new(std::time::Instant::now() + limits.deadline);
    let scanning = scan_within(inspector, store, reference, platform, credentials, limits, stop, progress);
    tokio::time::timeout(limits.deadline, scanning).await.map_err(|_| ScanError::Deadline(limits.deadline))?
}

#[allow(clippy::too_many_arguments)]
async fn scan_within(
    inspector: &Inspector,
    store: &SharedStore,
    reference: &ImageReference,
    platform: Option<&PlatformFilter>,
    credentials: Option<Credentials>,
    limits: &ScanLimits,
    stop: Stop,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<ScanReport, ScanError> {
    let report = inspector.inspect(InspectRequest::new(reference, Viewer::Operator).platform(platform).credentials(credentials.clone())).await?;
    let image = chosen(&report.platforms).ok_or_else(|| ScanError::NoImage(report.reference.clone()))?.clone();
    progress(Progress::Resolved { layers: image.layers.len(), bytes: image.size });
    let reading = LayerReading {
        client: inspector.blob_client(reference, credentials.as_ref()).await?,
        registry: reference.registry.clone(),
        repository: reference.repository.clone(),
        store: store.clone(),
        limits: *limits,
        budget: std::sync::Arc::new(Budget::for_scan(limits)),
        stop,
    };
    let layers = reading.all(&image, progress).await?;
    progress(Progress::Matching);

    let (fs, os, packages, layers) = off_the_runtime(move || {
        let fs = Filesystem::build(&layers);
        let os = inventory::os_release(&layers);
        let packages = inventory::packages(&layers).map_err(|e| ScanError::TooLarge(e.to_string()))?;
        Ok((fs, os, packages, layers))
    })
    .await?;
    let (findings, undecided) = match_packages(store, os.as_ref(), &packages).await?;
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let checks = tuneup::checks(&tuneup::Scanned {
        image: &image,
        packages: &packages,
        fs: &fs,
        os: os.as_ref(),
        today: &today,
    });
    let vulndb = store.vulndb_sources().await?;
    Ok(assemble(&report.reference, &image, os, &packages, findings, undecided, checks, &layers, &fs, vulndb)?)
}

/// Work on a blocking thread, where a panic on a hostile image's contents is this scan's failure.
async fn off_the_runtime<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ScanError> + Send + 'static,
) -> Result<T, ScanError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => Err(ScanError::Crashed(crate::jobs::panic_message(e.into_panic()))),
        Err(e) => Err(ScanError::Crashed(e.to_string())),
    }
}

/// How one scan reads its layers: in parallel, each once, from the analysis cache when stored.
struct LayerReading {
    client: std::sync::Arc<crate::registry::RegistryClient>,
    registry: String,
    repository: String,
    store: SharedStore,
    limits: ScanLimits,
    budget: std::sync::Arc<Budget>,
    stop: Stop,
}

impl LayerReading {
    async fn all(&self, image: &PlatformImage, progress: &(dyn Fn(Progress) + Sync)) -> Result<Vec<LayerContents>, ScanError> {
        let parallel = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 4);
        let wanted: Vec<(usize, Digest, u64)> = image
            .layers
            .iter()
            .enumerate()
            .map(|(i, l)| Ok((i, Digest::parse(&l.digest)?, l.size)))
            .collect::<Result<_, DigestError>>()?;
        let mut reads =
            futures_util::stream::iter(wanted.into_iter().map(|(index, digest, size)| self.one(index, digest, size)))
                .buffered(parallel);
        let mut layers = Vec::with_capacity(image.layers.len());
        while let Some(read) = reads.next().await {
            let (index, contents) = read?;
            progress(Progress::LayerDone { index, bytes: contents.compressed_bytes });
            layers.push(contents);
        }
        Ok(layers)
    }

    async fn one(&self, index: usize, digest: Digest, size: u64) -> Result<(usize, LayerContents), ScanError> {
        if let Some(contents) = layer_cache::load(&self.store, &self.registry, &self.repository, &digest).await? {
            // A stored analysis is held like a read one.
            self.budget.charge(contents.footprint()).map_err(|over| LayerError::ScanOverBudget {
                digest: digest.to_string(),
                limit: over.limit,
            })?;
            return Ok((index, contents));
        }
        let response = self.client.blob_response(&self.repository, &digest).await?;
        let reader = Stoppable { inner: BlobReader::new(response, self.client.timeout(), size.max(1)), stop: self.stop.clone() };
        let (budget, limits, layer_digest) = (self.budget.clone(), self.limits.layer, digest.clone());
        let contents = off_the_runtime(move || {
            Ok(read_layer(reader, &layer_digest, &inventory::WANTED, limits, &budget)?)
        })
        .await?;
        layer_cache::save(&self.store, &self.registry, &self.repository, &digest, &contents).await?;
        Ok((index, contents))
    }
}

/// The platform chosen by default, as the pages choose.
fn chosen(platforms: &[PlatformImage]) -> Option<&PlatformImage> {
    app::platform_choice::chosen(platforms, None).map(|i| &platforms[i])
}

#[allow(clippy::too_many_arguments)]
fn assemble(
    reference: &str,
    image: &PlatformImage,
    os: Option<OsRelease>,
    packages: &[Package],
    findings: Vec<Finding>,
    undecided: Vec<Undecided>,
    checks: Vec<tuneup::Check>,
    layers: &[LayerContents],
    fs: &Filesystem,
    vulndb: Vec<VulnDbSource>,
) -> Result<ScanReport, DigestError> {
    let digest_of = |layer: Option<usize>| layer.and_then(|i| image.layers.get(i)).map(|l| l.digest.clone());
    let command_of = |layer: Option<usize>| {
        layer.and_then(|i| image.layers.get(i)).and_then(|l| l.instruction.clone().or_else(|| l.created_by.clone()))
    };
    Ok(ScanReport {
        reference: reference.to_string(),
        digest: Digest::parse(&image.digest)?,
        platform: image.platform.to_string(),
        packages: packages
            .iter()
            .map(|p| PackageOut {
                ecosystem: p.ecosystem.label().to_string(),
                purl: super::purl::purl(p, os.as_ref()),
                path: p.path.clone(),
                name: p.name.clone(),
                version: p.version.clone(),
                source_name: p.source_name.clone(),
                source_version: p.source_version.clone(),
                architecture: p.architecture.clone(),
                license: p.license.clone(),
                layer_digest: digest_of(p.layer),
                layer_command: command_of(p.layer),
            })
            .collect(),
        findings: findings
            .into_iter()
            .map(|f| FindingOut { layer_digest: digest_of(f.layer), layer_command: command_of(f.layer), finding: f })
            .collect(),
        undecided,
        checks: checks
            .into_iter()
            .map(|c| CheckRow {
                layer_digest: digest_of(c.layer),
                layer_command: command_of(c.layer),
                id: c.id.to_string(),
                severity: c.severity,
                title: c.title,
                detail: c.detail,
                fix: c.fix.to_string(),
            })
            .collect(),
        layers: image
            .layers
            .iter()
            .zip(layers)
            .map(|(l, c)| LayerOut {
                digest: l.digest.clone(),
                size: l.size,
                uncompressed: c.uncompressed_bytes,
                command: l.instruction.clone().or_else(|| l.created_by.clone()),
            })
            .collect(),
        wasted_bytes: fs.wasted_bytes(),
        efficiency: fs.efficiency(),
        os,
        vulndb: vulndb_out(vulndb),
    })
}

fn vulndb_out(sources: Vec<VulnDbSource>) -> Vec<VulnDbOut> {
    sources
        .into_iter()
        .map(|s| VulnDbOut {
            source: s.source,
            records: s.records,
            newest_modified: s.newest_modified.map(|t| t.to_rfc3339()),
            imported_at: s.imported_at.to_rfc3339(),
        })
        .collect()
}

/// Whether advisories were imported (or synced) since the report's findings were matched.
pub fn matched_before(report: &ScanReport, sources: &[VulnDbSource]) -> bool {
    let now: Vec<(&str, String)> = sources.iter().map(|s| (s.source.as_str(), s.imported_at.to_rfc3339())).collect();
    let then: Vec<(&str, String)> = report.vulndb.iter().map(|s| (s.source.as_str(), s.imported_at.clone())).collect();
    now != then
}

/// The report's findings matched again against the advisories stored now, from its package list:
/// no layer is read again.
pub async fn rematch(store: &SharedStore, mut report: ScanReport) -> Result<ScanReport, StoreError> {
    let index = |digest: &Option<String>| digest.as_ref().and_then(|d| report.layers.iter().position(|l| &l.digest == d));
    let packages: Vec<Package> = report
        .packages
        .iter()
        .filter_map(|p| {
            Some(Package {
                ecosystem: super::packages::Ecosystem::from_label(&p.ecosystem)?,
                name: p.name.clone(),
                version: p.version.clone(),
                source_name: p.source_name.clone(),
                source_version: p.source_version.clone(),
                architecture: p.architecture.clone(),
                license: p.license.clone(),
                layer: index(&p.layer_digest),
                path: p.path.clone(),
            })
        })
        .collect();
    let (findings, undecided) = match_packages(store, report.os.as_ref(), &packages).await?;
    let layer = |i: Option<usize>| i.and_then(|i| report.layers.get(i));
    report.findings = findings
        .into_iter()
        .map(|f| FindingOut {
            layer_digest: layer(f.layer).map(|l| l.digest.clone()),
            layer_command: layer(f.layer).and_then(|l| l.command.clone()),
            finding: f,
        })
        .collect();
    report.undecided = undecided;
    report.vulndb = vulndb_out(store.vulndb_sources().await?);
    Ok(report)
}

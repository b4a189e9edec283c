//! `shipshape vulndb sync`: each configured ecosystem's `all.zip` downloaded from a base URL laid
//! out like osv.dev's bucket (`{base}/{ecosystem}/all.zip`), through the same outbound policy as
//! registry traffic, streamed to a temporary file, and imported. The ETag of each import is kept,
//! so an unchanged feed is answered `304 Not Modified` and not downloaded again.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use super::import::{ImportError, ImportSummary, import_feed};
use crate::config::VulnDbSync;
use crate::jobs::{BackgroundJob, Context, JobError, RunningJob};
use crate::net::{EgressProxy, Policy};
use crate::store::{SharedStore, StoreError};

/// One ecosystem's zip larger than this is refused (Debian's, the largest, is a few hundred MB).
const MAX_DOWNLOAD: u64 = 4 << 30;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("cannot fetch {url}: {detail}")]
    Fetch { url: String, detail: String },
    #[error("{url} answered {status}{hint}")]
    Status { url: String, status: u16, hint: &'static str },
    #[error("{url} is larger than {limit} bytes: refused")]
    TooLarge { url: String, limit: u64 },
    #[error("cannot write the download to {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error("not tried: {url} was unreachable for the ecosystem before")]
    NotTried { url: String },
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The server's copy has the ETag of the last import.
    Unchanged,
    Imported(ImportSummary),
}

/// Progress of one download, for the CLI's bar.
pub type Progress<'a> = &'a (dyn Fn(&str, u64, Option<u64>) + Sync);

/// The source name an ecosystem's feed is imported under.
pub fn source_name(ecosystem: &str) -> String {
    format!("osv:{ecosystem}")
}

/// Syncs every configured ecosystem; one failing does not stop the others.
pub async fn sync(
    store: &SharedStore,
    policy: Arc<Policy>,
    settings: &VulnDbSync,
    timeout: Duration,
    progress: Progress<'_>,
) -> Result<Vec<(String, Result<Outcome, SyncError>)>, SyncError> {
    let setup = |detail: String| SyncError::Fetch { url: settings.url.to_string(), detail };
    let proxy = EgressProxy::start(policy).await.map_err(|e| setup(format!("egress proxy: {e}")))?;
    let http = reqwest::Client::builder()
        .tls_backend_preconfigured(crate::net::tls::client_config())
        .proxy(reqwest::Proxy::all(proxy.url()).map_err(|e| setup(e.to_string()))?)
        .connect_timeout(crate::net::CONNECT_TIMEOUT)
        .read_timeout(timeout)
        .redirect(reqwest::redirect::Policy::limited(5))
        .user_agent(concat!("shipshape/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| setup(e.to_string()))?;
    let known = store.vulndb_sources().await?;
    let mut outcomes = Vec::new();
    for ecosystem in &settings.ecosystems {
        let etag = known.iter().find(|s| s.source == source_name(ecosystem)).and_then(|s| s.etag.clone());
        proxy.clear_failure();
        let outcome = one(store, &http, &settings.url, ecosystem, etag, progress).await.map_err(|e| {
            // The proxy knows why it refused a connection (a private address not allow-listed); the
            // client saw only an error or a 403.
            match proxy.take_failure() {
                Some(refused) => SyncError::Fetch { url: feed_url(&settings.url, ecosystem).to_string(), detail: refused.to_string() },
                None => e,
            }
        });
        // Every feed comes from one host: one that cannot be reached is not asked again this round.
        let unreachable = matches!(outcome, Err(SyncError::Fetch { .. }));
        outcomes.push((ecosystem.clone(), outcome));
        if unreachable {
            for rest in settings.ecosystems.iter().skip(outcomes.len()) {
                outcomes.push((rest.clone(), Err(SyncError::NotTried { url: settings.url.to_string() })));
            }
            break;
        }
    }
    Ok(outcomes)
}

/// One advisory sync as a scheduled job (`serve` and `worker` run it every
/// SHIPSHAPE_VULNDB_INTERVAL); stored scans are re-matched afterwards when anything was imported.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct SyncAdvisories {}

#[async_trait::async_trait]
impl BackgroundJob for SyncAdvisories {
    const KIND: &'static str = "vulndb_sync";
    const MAX_ATTEMPTS: i32 = 1;

    async fn run(&self, context: &Context, _job: &RunningJob) -> Result<(), JobError> {
        let (store, settings) = (&context.store, &context.vulndb);
        if settings.interval.is_none() {
            // A round queued before SHIPSHAPE_VULNDB_INTERVAL was set to 0.
            tracing::info!("advisory sync skipped: SHIPSHAPE_VULNDB_INTERVAL=0");
            return Ok(());
        }
        let outcomes = sync(store, context.policy.clone(), settings, context.registry_timeout, &|_, _, _| {})
            .await
            .map_err(|e| JobError::Failed(format!("advisory sync could not start: {e}")))?;
        let mut imported = false;
        for (ecosystem, outcome) in outcomes {
            match outcome {
                Ok(Outcome::Unchanged) => tracing::debug!(ecosystem, "advisories unchanged"),
                Ok(Outcome::Imported(s)) => {
                    imported = true;
                    tracing::info!(ecosystem, read = s.read, written = s.written, "advisories synced")
                }
                Err(SyncError::NotTried { .. }) => {}
                Err(e) => tracing::warn!(
                    ecosystem,
                    error = %e,
                    "advisories not synced (next try in SHIPSHAPE_VULNDB_INTERVAL; offline, import files with \
                     `shipshape vulndb import`, point SHIPSHAPE_VULNDB_URL at a mirror, or set \
                     SHIPSHAPE_VULNDB_INTERVAL=0)"
                ),
            }
        }
        if imported {
            crate::jobs::enqueue(store, &crate::scan::jobs::RematchAll {}).await?;
        }
        Ok(())
    }
}

/// `{base}/{ecosystem}/all.zip`, the ecosystem as one path segment (`Rocky%20Linux`).
pub fn feed_url(base: &url::Url, ecosystem: &str) -> url::Url {
    let mut url = base.clone();
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty().push(ecosystem).push("all.zip");
    }
    url
}

async fn one(
    store: &SharedStore,
    http: &reqwest::Client,
    base: &url::Url,
    ecosystem: &str,
    etag: Option<String>,
    progress: Progress<'_>,
) -> Result<Outcome, SyncError> {
    let url = feed_url(base, ecosystem);
    let shown = url.to_string();
    let fetch = |e: reqwest::Error| SyncError::Fetch { url: shown.clone(), detail: e.to_string() };
    let mut request = http.get(url.clone());
    if let Some(etag) = &etag {
        request = request.header(reqwest::header::IF_NONE_MATCH, etag);
    }
    let response = request.send().await.map_err(fetch)?;
    let status = response.status();
    if status == reqwest::StatusCode::NOT_MODIFIED {
        return Ok(Outcome::Unchanged);
    }
    if !status.is_success() {
        let hint = match status.as_u16() {
            404 => ": no such ecosystem there (names are OSV's, e.g. Debian, PyPI, crates.io)",
            _ => "",
        };
        return Err(SyncError::Status { url: shown, status: status.as_u16(), hint });
    }
    let total = response.content_length();
    if total.is_some_and(|t| t > MAX_DOWNLOAD) {
        return Err(SyncError::TooLarge { url: shown, limit: MAX_DOWNLOAD });
    }
    let new_etag = response.headers().get(reqwest::header::ETAG).and_then(|v| v.to_str().ok()).map(str::to_string);
    let download = Download::new(ecosystem);
    let write = |source| SyncError::Write { path: download.path.display().to_string(), source };
    let mut file = tokio::fs::File::create(&download.path).await.map_err(write)?;
    let mut body = response.bytes_stream();
    let mut received = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(fetch)?;
        received += chunk.len() as u64;
        if received > MAX_DOWNLOAD {
            return Err(SyncError::TooLarge { url: shown, limit: MAX_DOWNLOAD });
        }
        file.write_all(&chunk).await.map_err(write)?;
        progress(ecosystem, received, total);
    }
    file.flush().await.map_err(write)?;
    drop(file);
    let summary = import_feed(store, &source_name(ecosystem), std::slice::from_ref(&download.path), new_etag).await?;
    Ok(Outcome::Imported(summary))
}

/// A temporary `.zip` removed when the import is done (or fails).
struct Download {
    path: PathBuf,
}

impl Download {
    fn new(ecosystem: &str) -> Self {
        let mut random = [0u8; 8];
        let _ = getrandom::fill(&mut random);
        let safe: String = ecosystem.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
        Self { path: std::env::temp_dir().join(format!("shipshape-{safe}-{}.zip", hex::encode(random))) }
    }
}

impl Drop for Download {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_urls_are_laid_out_like_osv_dev() {
        let base = url::Url::parse("https://osv-vulnerabilities.storage.googleapis.com").unwrap();
        assert_eq!(feed_url(&base, "Debian").as_str(), "https://osv-vulnerabilities.storage.googleapis.com/Debian/all.zip");
        assert_eq!(feed_url(&base, "Rocky Linux").as_str(), "https://osv-vulnerabilities.storage.googleapis.com/Rocky%20Linux/all.zip");
        let mirror = url::Url::parse("http://mirror.lan:8080/osv/").unwrap();
        assert_eq!(feed_url(&mirror, "crates.io").as_str(), "http://mirror.lan:8080/osv/crates.io/all.zip");
    }
}

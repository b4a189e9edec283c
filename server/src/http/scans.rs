//! `/api/v1/scans/{reference}` (the scan of a tag's platform image, queued on first ask),
//! `/api/v1/scan-events/{reference}` (the same summary pushed as server-sent events while the scan
//! runs, for the tag page) and `/api/v1/sbom/{reference}?format=cyclonedx|spdx` (its bill of
//! materials once scanned).

use std::sync::Arc;

use app::digest::Digest;
use app::dto::ScanSummary;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Json, Response};
use serde::Deserialize;

use super::ApiError;
use crate::inspect::Viewer;
use crate::services::{ImageQuery, SbomFormat, Scans, Services};

#[derive(Deserialize)]
pub struct ScanParams {
    platform: Option<String>,
    format: Option<String>,
}

impl ScanParams {
    fn query<'a>(&'a self, reference: &'a str) -> ImageQuery<'a> {
        ImageQuery { platform: self.platform.as_deref(), ..ImageQuery::new(reference) }
    }
}

pub async fn scan(
    State(services): State<Arc<Services>>,
    Path(reference): Path<String>,
    Query(params): Query<ScanParams>,
) -> Result<Json<ScanSummary>, ApiError> {
    Ok(Json(services.scans.of_reference(Viewer::Anonymous, params.query(&reference)).await?))
}

/// How often the stream looks at the job (progress is written by whichever replica runs it).
const EVENTS_EVERY: std::time::Duration = std::time::Duration::from_millis(500);
/// A stream ends after this even if the scan has not: the page then asks again.
const EVENTS_FOR: std::time::Duration = std::time::Duration::from_secs(30 * 60);

/// Server-sent events: one `data:` line of `ScanSummary` JSON each time it changes, ending with a
/// state that will not change by itself (`done`, `failed`, `unavailable`, `none`).
pub async fn scan_events(
    State(services): State<Arc<Services>>,
    Path(reference): Path<String>,
    Query(params): Query<ScanParams>,
) -> Result<Response, ApiError> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    let digest = services.scans.followed(Viewer::Anonymous, params.query(&reference)).await?;
    let scans = services.scans.clone();
    let started = std::time::Instant::now();
    let events = futures_util::stream::unfold(Some(String::new()), move |last| {
        let (scans, digest) = (scans.clone(), digest.clone());
        async move {
            let mut last = last?;
            loop {
                let (json, settled) = current(&scans, &digest).await?;
                if json != last || settled {
                    let event = Event::default().data(json.clone());
                    // After a settled state the stream ends (the next poll of `unfold` sees `None`).
                    let next = (!settled && started.elapsed() < EVENTS_FOR).then_some(json);
                    return Some((Ok::<_, std::convert::Infallible>(event), next));
                }
                last = json;
                tokio::time::sleep(EVENTS_EVERY).await;
            }
        }
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()).into_response())
}

/// The summary now as JSON, and whether it is settled; `None` (the stream ends) when the store fails.
async fn current(scans: &Scans, digest: &Digest) -> Option<(String, bool)> {
    match scans.current(digest).await {
        Ok(summary) => {
            let settled = !matches!(summary.state.as_str(), "queued" | "running");
            Some((serde_json::to_string(&summary).unwrap_or_default(), settled))
        }
        Err(e) => {
            tracing::warn!(error = %e, "scan events: store unavailable");
            None
        }
    }
}

pub async fn sbom(
    State(services): State<Arc<Services>>,
    Path(reference): Path<String>,
    Query(params): Query<ScanParams>,
) -> Result<Response, ApiError> {
    let format = SbomFormat::parse(params.format.as_deref())?;
    let sbom = services.scans.sbom(Viewer::Anonymous, params.query(&reference), format).await?;
    let disposition = format!("attachment; filename=\"{}\"", sbom.file_name);
    Ok(([(header::CONTENT_DISPOSITION, disposition)], Json(sbom.body)).into_response())
}

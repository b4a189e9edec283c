//! `/api/v1/scans/{reference}` (the scan of a tag's platform image, queued on first ask),
//! `/api/v1/scan-events/{reference}` (the same summary pushed as server-sent events while the scan
//! runs, for the tag page) and `/api/v1/sbom/{reference}?format=cyclonedx|spdx` (its bill of
//! materials once scanned).

use std::sync::Arc;

use app::reference::ImageReference;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use serde::Deserialize;

use super::{api_error, error_response};
use crate::inspect::{InspectError, InspectRequest, PlatformFilter, Viewer};
use crate::scan::{run::ScanReport, sbom, service};
use crate::services::Services;

#[derive(Deserialize)]
pub struct ScanQuery {
    platform: Option<String>,
    format: Option<String>,
}

/// The reference's platform image (`?platform=`, else linux/amd64, else the first) and its repository.
async fn platform_image(
    services: &Services,
    reference: &str,
    platform: Option<&str>,
) -> Result<(String, String), Response> {
    let reference = ImageReference::parse(reference).map_err(|e| api_error(InspectError::Reference(e)))?;
    let filter = platform.filter(|p| !p.is_empty()).map(PlatformFilter::parse).transpose().map_err(api_error)?;
    let report = services
        .inspector
        .inspect(InspectRequest::new(&reference, Viewer::Anonymous).platform(filter.as_ref()))
        .await
        .map_err(api_error)?;
    let image = report
        .platforms
        .iter()
        .find(|p| p.platform.to_string() == "linux/amd64")
        .or(report.platforms.first())
        .ok_or_else(|| error_response(StatusCode::NOT_FOUND, "platform_not_found", "no platform image".into(), None))?;
    Ok((reference.repository_path(), image.digest.clone()))
}

fn internal(e: crate::store::StoreError) -> Response {
    tracing::error!(error = %e, "store failure reading a scan");
    error_response(StatusCode::INTERNAL_SERVER_ERROR, "internal", "the server's log has the details".into(), None)
}

pub async fn scan(
    State(services): State<Arc<Services>>,
    Path(reference): Path<String>,
    Query(query): Query<ScanQuery>,
) -> Response {
    let (repository, digest) = match platform_image(&services, &reference, query.platform.as_deref()).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let summary = async {
        service::request(&services.store, &repository, &digest).await?;
        service::summary(&services.store, &digest, false).await
    };
    match summary.await {
        Ok(summary) => Json(summary).into_response(),
        Err(e) => internal(e),
    }
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
    Query(query): Query<ScanQuery>,
) -> Response {
    use axum::response::sse::{Event, KeepAlive, Sse};
    let (_, digest) = match platform_image(&services, &reference, query.platform.as_deref()).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let store = services.store.clone();
    let started = std::time::Instant::now();
    let events = futures_util::stream::unfold(Some(String::new()), move |last| {
        let (store, digest) = (store.clone(), digest.clone());
        async move {
            let mut last = last?;
            loop {
                let summary = match service::summary(&store, &digest, false).await {
                    Ok(summary) => summary,
                    Err(e) => {
                        tracing::warn!(error = %e, "scan events: store unavailable");
                        return None;
                    }
                };
                let json = serde_json::to_string(&summary).unwrap_or_default();
                let settled = !matches!(summary.state.as_str(), "queued" | "running");
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
    Sse::new(events).keep_alive(KeepAlive::default()).into_response()
}

pub async fn sbom(
    State(services): State<Arc<Services>>,
    Path(reference): Path<String>,
    Query(query): Query<ScanQuery>,
) -> Response {
    let format = query.format.as_deref().unwrap_or("cyclonedx");
    if format != "cyclonedx" && format != "spdx" {
        let message = format!("format {format:?}: use cyclonedx or spdx");
        return error_response(StatusCode::BAD_REQUEST, "invalid_format", message, None);
    }
    let (_, digest) = match platform_image(&services, &reference, query.platform.as_deref()).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let stored = match services.store.scan_result(&digest).await {
        Ok(stored) => stored.and_then(|(json, _)| serde_json::from_str::<ScanReport>(&json).ok()),
        Err(e) => return internal(e),
    };
    let Some(report) = stored else {
        let message = format!(
            "{reference} has not been scanned yet: open its page, or GET /api/v1/scans/{reference}, and try again when it is done"
        );
        return error_response(StatusCode::NOT_FOUND, "not_scanned", message, None);
    };
    let (body, name) = match format {
        "spdx" => (sbom::spdx(&report), "spdx.json"),
        _ => (sbom::cyclonedx(&report), "cdx.json"),
    };
    let file = format!("attachment; filename=\"{}.{name}\"", digest.replace(':', "-"));
    ([(header::CONTENT_DISPOSITION, file)], Json(body)).into_response()
}

//! Routes outside Leptos: `/healthz`, the REST API under `/api/v1` and the badges.

pub mod account_api;
pub mod account_forms;
mod badges;
pub mod caller;
pub mod client;
mod error;
mod events;
mod feeds;
pub mod fresh;
pub mod headers;
mod limits;
pub mod listen;
pub mod notify_api;
pub mod notify_forms;
mod openapi;
mod openapi_accounts;
mod openapi_notify;
mod scans;
mod slots;

use std::sync::Arc;

use app::dto::ImageReport;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;

pub use error::ApiError;
pub use limits::Limits;

use crate::services::{ImageQuery, Services};

pub fn router(services: Arc<Services>, limits: &Limits) -> Router {
    let scan_events = Router::new()
        .route("/api/v1/scan-events/{*reference}", get(events::scan_events))
        .with_state(events::ScanEvents::new(services.clone(), limits));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/api/v1/images/{*reference}", get(image))
        .route("/api/v1/repositories/{*path}", get(repository_tags))
        .route("/api/v1/scans/{*reference}", get(scans::scan))
        .route("/api/v1/sbom/{*reference}", get(scans::sbom))
        .route("/badges/{kind}/{*file}", get(badges::badge))
        .with_state(services)
        .merge(scan_events)
}

/// 200 while the database answers, 503 otherwise: what a load balancer needs to know.
async fn healthz(State(services): State<Arc<Services>>) -> impl IntoResponse {
    let store = &services.store;
    match store.ping().await {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ok", "database": store.backend_name() }))),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "database": store.backend_name() })),
            )
        }
    }
}

#[derive(Deserialize)]
struct ImageParams {
    platform: Option<String>,
    #[serde(default)]
    refresh: bool,
}

async fn image(
    State(services): State<Arc<Services>>,
    caller: caller::Caller,
    Path(reference): Path<String>,
    Query(params): Query<ImageParams>,
) -> Result<Json<ImageReport>, ApiError> {
    let query =
        ImageQuery { platform: params.platform.as_deref(), refresh: params.refresh, ..ImageQuery::new(&reference) };
    Ok(Json(services.images.inspect(caller.viewer(), query).await?))
}

#[derive(Deserialize)]
struct TagsQuery {
    n: Option<usize>,
    last: Option<String>,
}

/// `/api/v1/repositories/{registry/name}/tags`: axum wildcards must end the path, so the
/// `/tags` suffix is taken off here.
async fn repository_tags(
    State(services): State<Arc<Services>>,
    caller: caller::Caller,
    Path(path): Path<String>,
    Query(query): Query<TagsQuery>,
) -> Result<Response, ApiError> {
    let repository = path.strip_suffix("/tags").ok_or(ApiError::Route("use /api/v1/repositories/{repository}/tags"))?;
    let page_size = query.n.unwrap_or(50).clamp(1, 100);
    let tags = services.images.tags(caller.viewer(), repository, page_size, query.last.as_deref()).await?;
    let mut response = Json(&tags).into_response();
    if let Some(next) = &tags.next {
        // Docker distribution's pagination header, relative to this API.
        let link = format!(
            "</api/v1/repositories/{}/tags?n={page_size}&last={}>; rel=\"next\"",
            tags.repository,
            app::format::query_escape(next)
        );
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(response)
}

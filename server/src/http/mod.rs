//! Routes outside Leptos: `/healthz`, the REST API under `/api/v1` and the badges.

mod badges;
mod openapi;
mod scans;

use std::sync::Arc;

use app::reference::ImageReference;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;

use crate::inspect::{InspectError, InspectRequest, PlatformFilter, Viewer};
use crate::registry::RegistryError;
use crate::services::Services;

pub fn router(services: Arc<Services>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/api/v1/images/{*reference}", get(image))
        .route("/api/v1/repositories/{*path}", get(repository_tags))
        .route("/api/v1/scans/{*reference}", get(scans::scan))
        .route("/api/v1/scan-events/{*reference}", get(scans::scan_events))
        .route("/api/v1/sbom/{*reference}", get(scans::sbom))
        .route("/badges/{kind}/{*file}", get(badges::badge))
        .with_state(services)
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
struct ImageQuery {
    platform: Option<String>,
    #[serde(default)]
    refresh: bool,
}

async fn image(
    State(services): State<Arc<Services>>,
    Path(reference): Path<String>,
    Query(query): Query<ImageQuery>,
) -> Response {
    let reference = match ImageReference::parse(&reference) {
        Ok(r) => r,
        Err(e) => return api_error(InspectError::Reference(e)),
    };
    let platform = match query.platform.as_deref().filter(|p| !p.is_empty()).map(PlatformFilter::parse).transpose() {
        Ok(p) => p,
        Err(e) => return api_error(e),
    };
    match services.inspector.inspect(InspectRequest::new(&reference, Viewer::Anonymous).platform(platform.as_ref()).refresh(query.refresh)).await {
        Ok(report) => Json(report).into_response(),
        Err(e) => api_error(e),
    }
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
    Path(path): Path<String>,
    Query(query): Query<TagsQuery>,
) -> Response {
    let Some(repository) = path.strip_suffix("/tags") else {
        return error_response(
            StatusCode::NOT_FOUND,
            "not_found",
            "use /api/v1/repositories/{repository}/tags".into(),
            None,
        );
    };
    let reference = match ImageReference::parse_repository(repository) {
        Ok(r) => r,
        Err(e) => return api_error(InspectError::Reference(e)),
    };
    let page_size = query.n.unwrap_or(50).clamp(1, 100);
    match services
        .inspector
        .repository_tags(&reference, page_size, query.last.as_deref(), None, Viewer::Anonymous)
        .await
    {
        Ok(tags) => {
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
            response
        }
        Err(e) => api_error(e),
    }
}

/// Maps an inspection failure to a status and a stable error code, with the message that says
/// what to do.
pub(crate) fn api_error(err: InspectError) -> Response {
    use RegistryError as R;
    let (status, code) = match &err {
        InspectError::Reference(_) => (StatusCode::BAD_REQUEST, "invalid_reference"),
        InspectError::BadPlatform(_) => (StatusCode::BAD_REQUEST, "invalid_platform"),
        InspectError::Hidden { .. } | InspectError::Registry(R::CredentialsRequired { .. }) => {
            (StatusCode::NOT_FOUND, "not_found_or_private")
        }
        InspectError::Registry(R::RepositoryNotFound { .. }) => (StatusCode::NOT_FOUND, "repository_not_found"),
        InspectError::Registry(R::ManifestNotFound { .. }) => (StatusCode::NOT_FOUND, "manifest_not_found"),
        InspectError::NoPlatform { .. } => (StatusCode::NOT_FOUND, "platform_not_found"),
        InspectError::NotStored { .. } => (StatusCode::NOT_FOUND, "not_inspected"),
        InspectError::Registry(R::Net(_)) => (StatusCode::FORBIDDEN, "destination_not_allowed"),
        InspectError::Registry(R::RateLimited { .. }) => (StatusCode::SERVICE_UNAVAILABLE, "registry_rate_limited"),
        InspectError::Registry(R::Timeout { .. }) => (StatusCode::GATEWAY_TIMEOUT, "registry_timeout"),
        InspectError::Registry(R::Unreachable { .. }) => (StatusCode::BAD_GATEWAY, "registry_unreachable"),
        InspectError::Registry(R::WrongCredentials { .. } | R::AccessDenied { .. }) => {
            (StatusCode::BAD_GATEWAY, "registry_credentials_rejected")
        }
        InspectError::Registry(R::Schema1 { .. } | R::UnsupportedMediaType { .. }) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "unsupported_manifest")
        }
        InspectError::Registry(_) | InspectError::Malformed { .. } => (StatusCode::BAD_GATEWAY, "registry_error"),
        InspectError::Store(e) => {
            tracing::error!(error = %e, "store failure during inspection");
            return error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the server could not complete this request; its log has the details".into(),
                None,
            );
        }
    };
    let retry_after = match &err {
        InspectError::Registry(R::RateLimited { retry_after, .. }) => *retry_after,
        _ => None,
    };
    error_response(status, code, err.to_string(), retry_after)
}

pub(crate) fn error_response(status: StatusCode, code: &str, message: String, retry_after: Option<u64>) -> Response {
    let mut response = (status, Json(json!({ "error": { "code": code, "message": message } }))).into_response();
    if let Some(seconds) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

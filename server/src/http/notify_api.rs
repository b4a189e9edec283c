//! The REST side of notifications, for scripts with an API token (or a signed-in browser):
//! channels (a webhook's signing secret returned once, when made), watches, the delivery log,
//! "send test" and "redeliver"; and the registry-events endpoint a registry's notifications call.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{delete, get, post};
use serde::Deserialize;
use serde_json::json;

use super::ApiError;
use super::caller::Caller;
use crate::notify::{ChannelInput, Notifier};
use crate::services::{ServiceError, Services, WatchInput};
use crate::store::UserId;

/// A registry's notification envelope is small; a burst of pushes is still well under this.
pub const MAX_ENVELOPE_BYTES: usize = 1 << 20;

pub fn routes(services: Arc<Services>) -> Router {
    Router::new()
        .route("/api/v1/channels", get(channels).post(create_channel))
        .route("/api/v1/channels/{id}", delete(delete_channel))
        .route("/api/v1/channels/{id}/test", post(test_channel))
        .route("/api/v1/channels/{id}/enable", post(enable_channel))
        .route("/api/v1/watches", get(watches).post(create_watch))
        .route("/api/v1/watches/{id}", delete(delete_watch))
        .route("/api/v1/deliveries", get(deliveries))
        .route("/api/v1/deliveries/{id}/redeliver", post(redeliver))
        .route("/api/v1/registry-events", post(registry_events))
        .route("/api/v1/hooks/{token}", post(refresh_hook))
        .with_state(services)
}

fn user(caller: &Caller) -> Result<UserId, ApiError> {
    caller.account().map(|a| a.id).ok_or(ApiError::Service(ServiceError::LoginRequired))
}

fn notifier(services: &Services) -> Result<&Notifier, ApiError> {
    services.notifier.as_deref().ok_or(ApiError::Service(ServiceError::NoCredentialStore))
}

async fn channels(State(services): State<Arc<Services>>, caller: Caller) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(json!(notifier(&services)?.channels(user(&caller)?).await?)))
}

async fn create_channel(
    State(services): State<Arc<Services>>,
    caller: Caller,
    Json(input): Json<ChannelInput>,
) -> Result<Response, ApiError> {
    let (view, secret) = notifier(&services)?.create_channel(user(&caller)?, &input).await?;
    let mut body = json!(view);
    if let Some(secret) = secret {
        body["secret"] = json!(secret);
    }
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

async fn delete_channel(
    State(services): State<Arc<Services>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    notifier(&services)?.delete_channel(user(&caller)?, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn test_channel(
    State(services): State<Arc<Services>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(json!(notifier(&services)?.test_channel(user(&caller)?, id).await?)))
}

async fn enable_channel(
    State(services): State<Arc<Services>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(json!(notifier(&services)?.enable_channel(user(&caller)?, id).await?)))
}

async fn watches(State(services): State<Arc<Services>>, caller: Caller) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(json!(services.watches.list(caller.viewer()).await?)))
}

async fn create_watch(
    State(services): State<Arc<Services>>,
    caller: Caller,
    Json(input): Json<WatchInput>,
) -> Result<Response, ApiError> {
    user(&caller)?;
    let view = services.watches.create(caller.viewer(), &input).await?;
    Ok((StatusCode::CREATED, Json(json!(view))).into_response())
}

async fn delete_watch(
    State(services): State<Arc<Services>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    user(&caller)?;
    services.watches.delete(caller.viewer(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct DeliveryQuery {
    channel: Option<i64>,
}

async fn deliveries(
    State(services): State<Arc<Services>>,
    caller: Caller,
    Query(query): Query<DeliveryQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let channel = query.channel.ok_or(ApiError::Invalid("name the channel: /api/v1/deliveries?channel=ID"))?;
    Ok(Json(json!(notifier(&services)?.deliveries(user(&caller)?, channel).await?)))
}

async fn redeliver(
    State(services): State<Arc<Services>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    notifier(&services)?.redeliver(user(&caller)?, id).await?;
    Ok(StatusCode::ACCEPTED)
}

/// `POST /api/v1/hooks/{token}`: a watch's refresh hook (the token is the credential), for a
/// build pipeline to call after it pushed.
async fn refresh_hook(State(services): State<Arc<Services>>, Path(token): Path<String>) -> Result<Response, ApiError> {
    if !services.watches.refresh(&token).await? {
        return Err(ApiError::Route("no watch has this refresh hook: it was deleted, or the URL is incomplete"));
    }
    Ok((StatusCode::ACCEPTED, Json(json!({ "recheck": "queued" }))).into_response())
}

/// `POST /api/v1/registry-events`: the bearer secret SHIPSHAPE_REGISTRY_EVENTS_TOKEN (the caller
/// middleware leaves this path's `Authorization` to this handler), then the envelope.
async fn registry_events(State(services): State<Arc<Services>>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let refuse = |status: StatusCode, code: &str, message: &str| {
        (status, Json(json!({ "error": { "code": code, "message": message } }))).into_response()
    };
    let Some(secret) = &services.registry_events_token else {
        return refuse(
            StatusCode::NOT_FOUND,
            "not_configured",
            "registry events are off: the operator sets SHIPSHAPE_REGISTRY_EVENTS_TOKEN to turn them on",
        );
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    if !given.is_some_and(|token| secret.matches(token)) {
        return refuse(StatusCode::UNAUTHORIZED, "invalid_token", "send Authorization: Bearer <SHIPSHAPE_REGISTRY_EVENTS_TOKEN>");
    }
    if body.len() > MAX_ENVELOPE_BYTES {
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "an envelope of at most 1 MiB");
    }
    let envelope: crate::watch::Envelope = match serde_json::from_slice(&body) {
        Ok(envelope) => envelope,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, "invalid_envelope", &format!("not a registry events envelope: {e}")),
    };
    match crate::watch::accept_registry_events(&services.store, &envelope).await {
        Ok(queued) => (StatusCode::ACCEPTED, Json(json!({ "rechecks_queued": queued }))).into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

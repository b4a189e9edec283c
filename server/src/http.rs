//! Routes outside Leptos.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json};
use axum::routing::get;
use serde_json::json;

use crate::store::SharedStore;

pub fn router(store: SharedStore) -> Router {
    Router::new().route("/healthz", get(healthz)).with_state(store)
}

/// 200 while the database answers, 503 otherwise: what a load balancer needs to know.
async fn healthz(State(store): State<SharedStore>) -> impl IntoResponse {
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

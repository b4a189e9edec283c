//! The REST side of accounts, for scripts holding an API token (or a signed-in browser): who am I,
//! API tokens, and registry credentials. Passwords are accepted, never returned; a token is
//! returned once, when it is made.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{delete, get, post};
use serde::Deserialize;
use serde_json::json;

use super::ApiError;
use super::caller::Caller;
use crate::auth::{Account, ApiTokenInfo, Scope};
use crate::credentials::RegistryCredentials;
use crate::services::{ServiceError, Services};

pub fn routes(services: Arc<Services>) -> Router {
    Router::new()
        .route("/api/v1/user", get(user))
        .route("/api/v1/tokens", get(tokens).post(create_token))
        .route("/api/v1/tokens/{id}", delete(revoke_token))
        .route("/api/v1/registries", get(registries).post(save_registry))
        .route("/api/v1/registries/{registry}", delete(delete_registry))
        .route("/api/v1/registries/{registry}/test", post(test_registry))
        .with_state(services)
}

fn account(caller: &Caller) -> Result<&Account, ApiError> {
    caller.account().ok_or(ApiError::Service(ServiceError::LoginRequired))
}

fn credentials(services: &Services) -> Result<&RegistryCredentials, ApiError> {
    services.credentials.as_ref().ok_or(ApiError::Service(ServiceError::NoCredentialStore))
}

async fn user(caller: Caller) -> Result<Json<serde_json::Value>, ApiError> {
    let account = account(&caller)?;
    Ok(Json(json!({ "username": account.username, "admin": account.admin })))
}

fn token_json(info: &ApiTokenInfo) -> serde_json::Value {
    json!({
        "id": info.id,
        "name": info.name,
        "hint": info.hint,
        "scope": info.scope,
        "created_at": info.created_at,
        "last_used_at": info.last_used_at,
    })
}

async fn tokens(State(services): State<Arc<Services>>, caller: Caller) -> Result<Json<serde_json::Value>, ApiError> {
    let tokens = services.accounts.tokens(account(&caller)?).await?;
    Ok(Json(tokens.iter().map(token_json).collect()))
}

#[derive(Deserialize)]
struct NewToken {
    name: String,
    #[serde(default)]
    scope: Option<String>,
}

async fn create_token(
    State(services): State<Arc<Services>>,
    caller: Caller,
    Json(body): Json<NewToken>,
) -> Result<Response, ApiError> {
    let account = account(&caller)?;
    let scope = match body.scope.as_deref() {
        None => Scope::Read,
        Some(text) => Scope::parse(text).ok_or(ApiError::Invalid("scope: use read or write"))?,
    };
    let (info, token) = services.accounts.create_token(account, &body.name, scope).await?;
    let mut created = token_json(&info);
    created["token"] = json!(token);
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

async fn revoke_token(
    State(services): State<Arc<Services>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    services.accounts.revoke_token(account(&caller)?, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn registries(
    State(services): State<Arc<Services>>,
    caller: Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    let saved = credentials(&services)?.list(account(&caller)?.id).await?;
    Ok(Json(json!(saved)))
}

#[derive(Deserialize)]
struct SaveRegistry {
    registry: String,
    username: String,
    password: String,
}

async fn save_registry(
    State(services): State<Arc<Services>>,
    caller: Caller,
    Json(body): Json<SaveRegistry>,
) -> Result<Response, ApiError> {
    let user = account(&caller)?.id;
    let credentials = credentials(&services)?;
    let registry = credentials.save(user, &body.registry, &body.username, &body.password).await?;
    let saved = credentials.list(user).await?.into_iter().find(|c| c.registry == registry);
    Ok((StatusCode::CREATED, Json(json!(saved))).into_response())
}

async fn delete_registry(
    State(services): State<Arc<Services>>,
    caller: Caller,
    Path(registry): Path<String>,
) -> Result<StatusCode, ApiError> {
    let user = account(&caller)?.id;
    match credentials(&services)?.delete(user, &registry).await? {
        true => Ok(StatusCode::NO_CONTENT),
        false => Err(crate::credentials::CredentialsError::NotSaved { registry }.into()),
    }
}

#[derive(Deserialize)]
struct TestRegistry {
    repository: String,
}

async fn test_registry(
    State(services): State<Arc<Services>>,
    caller: Caller,
    Path(registry): Path<String>,
    Json(body): Json<TestRegistry>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = account(&caller)?.id;
    let report = credentials(&services)?.test(user, &registry, &body.repository).await?;
    Ok(Json(json!({ "outcome": report.outcome, "code": report.outcome.code(), "message": report.message })))
}

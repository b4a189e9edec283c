//! The REST API's one error edge: handlers return `Result<_, ApiError>` and use `?` on service,
//! inspection and store errors; this turns each into a status, a stable code and a message
//! (`{"error":{"code","message"}}`), with `Retry-After` when a registry gave one.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use serde_json::json;

use crate::inspect::InspectError;
use crate::services::{Kind, Public, ServiceError};
use crate::store::StoreError;

#[derive(Debug)]
pub enum ApiError {
    Service(ServiceError),
    /// A path no route answers, with the one that would.
    Route(&'static str),
    /// A request body the route cannot use, and how to fix it.
    Invalid(&'static str),
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        Self::Service(e)
    }
}

impl From<InspectError> for ApiError {
    fn from(e: InspectError) -> Self {
        Self::Service(e.into())
    }
}

impl From<crate::auth::AuthError> for ApiError {
    fn from(e: crate::auth::AuthError) -> Self {
        Self::Service(e.into())
    }
}

impl From<crate::credentials::CredentialsError> for ApiError {
    fn from(e: crate::credentials::CredentialsError) -> Self {
        Self::Service(e.into())
    }
}

impl From<crate::notify::NotifyError> for ApiError {
    fn from(e: crate::notify::NotifyError) -> Self {
        Self::Service(e.into())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        Self::Service(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let Public { kind, code, message } = match self {
            Self::Service(e) => e.public(),
            Self::Route(hint) => Public { kind: Kind::NotFound, code: "not_found", message: hint.to_string() },
            Self::Invalid(hint) => Public { kind: Kind::Invalid, code: "invalid_request", message: hint.to_string() },
        };
        let status = match kind {
            Kind::Invalid => StatusCode::BAD_REQUEST,
            Kind::NotFound => StatusCode::NOT_FOUND,
            Kind::NotAllowed => StatusCode::FORBIDDEN,
            Kind::Unsupported => StatusCode::UNPROCESSABLE_ENTITY,
            Kind::RateLimited { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Kind::Timeout => StatusCode::GATEWAY_TIMEOUT,
            Kind::Upstream => StatusCode::BAD_GATEWAY,
            Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Kind::Unauthenticated => StatusCode::UNAUTHORIZED,
            Kind::Conflict => StatusCode::CONFLICT,
            Kind::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
        };
        let mut response = (status, Json(json!({ "error": { "code": code, "message": message } }))).into_response();
        if let Kind::RateLimited { retry_after: Some(seconds) } | Kind::TooManyAttempts { retry_after: seconds } = kind {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

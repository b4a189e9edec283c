//! Server functions: thin wrappers that find the backend in context and call it.

use leptos::prelude::*;

use crate::dto::ServerStatus;
use crate::error::AppError;

#[server(endpoint = "status")]
pub async fn get_server_status() -> Result<ServerStatus, AppError> {
    let backend = use_context::<crate::backend::SharedBackend>().ok_or(AppError::Internal)?;
    backend.status().await
}

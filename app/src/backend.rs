//! What the UI needs from the server, as one trait the server implements (SSR only).

use std::sync::Arc;

use crate::dto::ServerStatus;
use crate::error::AppError;

#[async_trait::async_trait]
pub trait Backend: Send + Sync + 'static {
    async fn status(&self) -> Result<ServerStatus, AppError>;
}

/// The form in which the backend travels through Leptos' context.
pub type SharedBackend = Arc<dyn Backend>;

//! The UI layer's error: what a server function can tell the browser.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    InvalidInput(String),
    /// Missing, or private and not for this viewer: the message says what to do.
    #[error("{0}")]
    NotFound(String),
    /// The outbound policy refused the registry's address (SHIPSHAPE_ALLOW_HOSTS).
    #[error("{0}")]
    NotAllowed(String),
    /// The page or action is for signed-in users: the page sends the visitor to `/login`.
    #[error("log in to see this page")]
    LoginRequired,
    /// The registry failed or refused (unreachable, rate limited, outbound policy): its message.
    #[error("{0}")]
    Registry(String),
    /// Details stay in the server log; the browser only learns that something failed.
    #[error("the server could not complete this request; its log has the details")]
    Internal,
    #[error("could not reach the server: {0}")]
    Transport(String),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

/// Put in each request's extensions by the server when it may keep the page in memory; set when
/// the page shows an error (a registry's passing failure is not kept for the next visitors).
#[cfg(feature = "ssr")]
#[derive(Clone, Debug, Default)]
pub struct ShowsError(pub std::sync::Arc<std::sync::atomic::AtomicBool>);

/// Marks the page being rendered on the server as showing an error; nothing in the browser.
pub fn mark_page_as_error() {
    #[cfg(feature = "ssr")]
    if let Some(parts) = leptos::prelude::use_context::<http::request::Parts>()
        && let Some(mark) = parts.extensions.get::<ShowsError>()
    {
        mark.0.store(true, std::sync::atomic::Ordering::Release);
    }
}

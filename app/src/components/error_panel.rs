//! What went wrong, in words that say what to do next.

use leptos::prelude::*;

use crate::error::AppError;

/// The page's HTTP status when `error` is its answer (not a part's): a missing or private image is
/// a 404, as in the API. Only on the server; a no-op in the browser.
pub fn set_page_status(error: &AppError) {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        use http::StatusCode;
        response.set_status(match error {
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::InvalidInput(_) => StatusCode::BAD_REQUEST,
            AppError::NotAllowed(_) => StatusCode::FORBIDDEN,
            AppError::LoginRequired => StatusCode::UNAUTHORIZED,
            AppError::Registry(_) | AppError::Transport(_) => StatusCode::BAD_GATEWAY,
            AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        });
    }
    #[cfg(not(feature = "ssr"))]
    let _ = error;
}

#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    crate::error::mark_page_as_error();
    let (title, advice) = match &error {
        AppError::NotFound(_) => (
            "Not found, or private",
            "Check the repository name and tag (the tag list on the repository page shows what exists). \
             This site shows public images only: a private repository looks the same as a missing one.",
        ),
        AppError::NotAllowed(_) => (
            "This registry is not allowed",
            "Its address is on a private, loopback or link-local network, which this server does not reach on a \
             visitor's behalf. If the registry is meant to be reachable, the server's operator can add it to \
             SHIPSHAPE_ALLOW_HOSTS.",
        ),
        AppError::LoginRequired => ("Log in first", "This page is about your account: log in, or sign up."),
        AppError::Registry(_) => (
            "The registry did not answer as hoped",
            "Try again in a moment; if it keeps failing, check the registry's address and status.",
        ),
        AppError::InvalidInput(_) => (
            "Not a valid image reference",
            "Write it as for docker pull: alpine, library/alpine:3.20, ghcr.io/owner/repo@sha256:…",
        ),
        AppError::Internal | AppError::Transport(_) => {
            ("Something failed on our side", "Reload the page; if it persists, the server log has the details.")
        }
    };
    view! {
        <div role="alert" data-testid="error-panel" class="space-y-2 rounded-lg border border-red-200 bg-red-50 px-5 py-4 text-red-900">
            <h2 class="text-lg font-semibold">{title}</h2>
            <p class="font-mono text-sm break-words">{error.to_string()}</p>
            <p class="text-sm text-red-800">{advice}</p>
        </div>
    }
}

#[component]
pub fn Loading(what: &'static str) -> impl IntoView {
    view! {
        <div role="status" class="flex items-center gap-3 rounded-lg border border-slate-200 bg-white px-5 py-4 text-slate-600">
            <span class="h-4 w-4 animate-spin rounded-full border-2 border-sky-600 border-t-transparent"></span>
            {what}
        </div>
    }
}

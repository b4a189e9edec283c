//! `/images/{reference}`: a repository page when the reference names no tag or digest, else the
//! page of that tag (or digest).

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::components::error_panel::ErrorPanel;
use crate::error::AppError;
use crate::pages::{repository::RepositoryView, tag::TagView};
use crate::reference::ImageReference;

#[component]
pub fn ImagePage() -> impl IntoView {
    let params = use_params_map();
    let raw = Memo::new(move |_| params.read().get("ref").unwrap_or_default());
    move || {
        let raw = raw.get();
        if let Ok(repository) = ImageReference::parse_repository(&raw) {
            return view! { <RepositoryView repository /> }.into_any();
        }
        match ImageReference::parse(&raw) {
            Ok(reference) => view! { <TagView reference /> }.into_any(),
            Err(e) => view! { <ErrorPanel error=AppError::InvalidInput(e.to_string()) /> }.into_any(),
        }
    }
}

/// The page of a reference: `/images/docker.io/library/alpine:3.20`.
pub fn image_href(reference: &str) -> String {
    format!("/images/{reference}")
}

//! The HTML shell and the router.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::hooks::use_params_map;
use leptos_router::{SsrMode, path};

use crate::components::error_panel::ErrorPanel;
use crate::components::layout::{Footer, Header, PageLoad};
use crate::error::AppError;
use crate::pages::account::{
    channel_log::ChannelLogRoute, login::LoginPage, notifications::NotificationSettingsPage, registries::RegistriesPage,
    settings::AccountSettingsPage, signup::SignupPage, tokens::ApiTokensPage,
};
use crate::pages::{home::HomePage, not_found::NotFound, repository::RepositoryView, tag::TagView};
use crate::reference::ImageReference;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body class="min-h-screen bg-slate-50 text-slate-900 antialiased">
                <App />
            </body>
        </html>
    }
}

/// Routes render in order (each `Suspense` resolved in place) so every page is complete without JavaScript.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    PageLoad::provide();
    mark_hydrated();

    view! {
        <Stylesheet id="leptos" href="/pkg/shipshape.css" />
        <Title formatter=|page: String| if page.is_empty() { "Shipshape".to_string() } else { format!("{page} · Shipshape") } />
        <Router>
            <div class="flex min-h-screen flex-col">
                <Header />
                <main class="mx-auto w-full max-w-5xl flex-1 px-4 py-10">
                    <Routes fallback=NotFound>
                        <Route path=path!("/") view=HomePage ssr=SsrMode::InOrder />
                        // Whole before the first byte, so the status can say what the page says (404
                        // for a missing or private image, as the API does).
                        <Route path=path!("/images/*ref") view=ImagePage ssr=SsrMode::Async />
                        <Route path=path!("/login") view=LoginPage ssr=SsrMode::InOrder />
                        <Route path=path!("/signup") view=SignupPage ssr=SsrMode::InOrder />
                        <Route path=path!("/account") view=AccountSettingsPage ssr=SsrMode::InOrder />
                        <Route path=path!("/account/tokens") view=ApiTokensPage ssr=SsrMode::InOrder />
                        <Route path=path!("/account/registries") view=RegistriesPage ssr=SsrMode::InOrder />
                        <Route path=path!("/account/notifications") view=NotificationSettingsPage ssr=SsrMode::InOrder />
                        <Route path=path!("/account/notifications/channels/:id") view=ChannelLogRoute ssr=SsrMode::InOrder />
                    </Routes>
                </main>
                <Footer />
            </div>
        </Router>
    }
}

/// `/images/{reference}`: the repository page when the reference names no tag or digest, else the
/// page of that tag (or digest).
#[component]
fn ImagePage() -> impl IntoView {
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

/// Tells end-to-end tests (and curious users) that the wasm bundle has taken over the page.
fn mark_hydrated() {
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found" />
        <section class="space-y-4">
            <h1 class="text-2xl font-semibold">"Page not found"</h1>
            <p class="text-slate-600">
                "There is nothing at this address. Start again from the "
                <a class="text-sky-700 underline" href="/">"home page"</a>
                " and paste an image reference."
            </p>
        </section>
    }
}

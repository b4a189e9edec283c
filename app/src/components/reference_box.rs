//! The image-reference box: validates as you type once hydrated, and as a plain GET form without JavaScript.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::format::query_escape;
use crate::links::image_href;
use crate::reference::ImageReference;

const EXAMPLES: [&str; 3] = ["alpine", "library/alpine:3.20", "ghcr.io/owner/repo@sha256:…"];

#[component]
pub fn ReferenceBox() -> impl IntoView {
    let query = use_query_map();
    let submitted = query.read_untracked().get("ref").unwrap_or_default();
    let (text, set_text) = signal(submitted);
    let outcome = Memo::new(move |_| {
        let text = text.get();
        (!text.trim().is_empty()).then(|| ImageReference::parse(&text).map_err(|e| e.to_string()))
    });
    let invalid = move || matches!(outcome.get(), Some(Err(_)));
    // Without JavaScript this is a plain GET form; hydrated, it navigates in place with a clean URL.
    let navigate = use_navigate();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // A valid reference opens its page; an invalid one stays here with the reason.
        let text = text.get_untracked();
        let target = match ImageReference::parse(&text) {
            Ok(reference) => image_href(&reference.to_string()),
            Err(_) => format!("/?ref={}", query_escape(&text)),
        };
        navigate(&target, NavigateOptions::default());
    };

    view! {
        <form method="get" action="/" class="space-y-3" role="search" on:submit=on_submit>
            <label for="ref" class="block text-sm font-medium text-slate-700">"Image reference"</label>
            <div class="flex gap-2">
                <input
                    id="ref"
                    name="ref"
                    type="text"
                    autocomplete="off"
                    autocapitalize="off"
                    spellcheck="false"
                    placeholder=EXAMPLES.join(", ")
                    aria-describedby="ref-feedback"
                    aria-invalid=move || invalid().to_string()
                    class="flex-1 rounded-md border border-slate-300 bg-white px-3 py-2 font-mono text-sm shadow-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-200 aria-[invalid=true]:border-red-500"
                    value=text
                    on:input=move |ev| set_text.set(event_target_value(&ev))
                />
                <button
                    type="submit"
                    class="rounded-md bg-sky-700 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-sky-800"
                >
                    "Inspect"
                </button>
            </div>
        </form>
        <div id="ref-feedback" aria-live="polite">
            {move || match outcome.get() {
                None => view! {
                    <p class="text-sm text-slate-500">
                        "Examples: " {EXAMPLES.join(" · ")}
                    </p>
                }
                    .into_any(),
                Some(Err(reason)) => view! {
                    <p data-testid="ref-error" role="alert" class="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
                        "Not a valid reference: " {reason}
                    </p>
                }
                    .into_any(),
                Some(Ok(reference)) => view! { <ResolvedReference reference /> }.into_any(),
            }}
        </div>
    }
}

/// How Docker would read the reference: the parts and the canonical form.
#[component]
fn ResolvedReference(reference: ImageReference) -> impl IntoView {
    let canonical = reference.to_string();
    let familiar = reference.familiar();
    let row = |name: &'static str, value: String| {
        view! {
            <div class="flex gap-3">
                <dt class="w-24 shrink-0 text-slate-500">{name}</dt>
                <dd class="break-all font-mono">{value}</dd>
            </div>
        }
    };
    view! {
        <div class="space-y-2 rounded-md border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm">
            <p>
                "Resolves to "
                <code data-testid="ref-normalized" class="font-mono font-semibold text-emerald-900">{canonical}</code>
            </p>
            <dl class="space-y-1 text-slate-700">
                {row("Registry", reference.registry.clone())}
                {row("Repository", reference.repository.clone())}
                {reference.tag.clone().map(|tag| row("Tag", tag))}
                {reference.digest.clone().map(|digest| row("Digest", digest))}
                {row("Short form", familiar)}
            </dl>
        </div>
    }
}

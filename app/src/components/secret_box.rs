//! A secret made a moment ago (an API token, a badge token), shown once: highlighted, selectable
//! without JavaScript, and copied with one click once hydrated.

use leptos::prelude::*;

use crate::components::badge_builder::copy_to_clipboard;
use crate::dto::FreshSecret;

#[component]
pub fn SecretBox(secret: FreshSecret, title: String, children: Children) -> impl IntoView {
    let (copied, set_copied) = signal(false);
    // The button only works hydrated (effects run only there); without JavaScript the text is selectable.
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    let value = secret.value.clone();
    let copy = move |_| {
        if copy_to_clipboard(&value) {
            set_copied.set(true);
        }
    };
    view! {
        <div role="status" class="space-y-2 rounded-lg border-2 border-amber-400 bg-amber-50 p-4" data-testid="fresh-secret">
            <p class="font-semibold text-amber-900">{title}</p>
            <div class="flex flex-wrap items-center gap-2">
                <code class="select-all break-all rounded border border-amber-300 bg-white px-2 py-1 font-mono text-sm" data-testid="fresh-secret-value">
                    {secret.value}
                </code>
                <button type="button" class:hidden=move || !hydrated.get() on:click=copy data-testid="copy-secret"
                    class="rounded border border-amber-400 bg-white px-2 py-1 text-xs hover:border-amber-600">
                    {move || if copied.get() { "Copied" } else { "Copy" }}
                </button>
            </div>
            <div class="text-sm text-amber-900">{children()}</div>
        </div>
    }
}

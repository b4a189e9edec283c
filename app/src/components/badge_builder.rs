//! The badge builder on the tag page: pick a kind and a style, see the badge, copy it as Markdown,
//! HTML or a URL. Without JavaScript the pickers are a GET form that re-renders the page.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::badge::{BadgeKind, BadgeStyle};
use crate::format::query_escape;

/// Where this page is served from, for absolute badge URLs: the browser's own origin once
/// hydrated; on the server, the request's Host (and X-Forwarded-Proto behind a proxy).
fn origin() -> String {
    #[cfg(feature = "hydrate")]
    {
        window().location().origin().unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        #[cfg(feature = "ssr")]
        if let Some(parts) = use_context::<http::request::Parts>() {
            let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
            if let Some(host) = header("host") {
                let scheme = header("x-forwarded-proto").filter(|p| p == "https").unwrap_or_else(|| "http".into());
                return format!("{scheme}://{host}");
            }
        }
        String::new()
    }
}

/// The three ways to paste a badge.
pub fn snippets(badge_url: &str, page_url: &str, alt: &str) -> [(&'static str, String); 3] {
    [
        ("Markdown", format!("[![{alt}]({badge_url})]({page_url})")),
        ("HTML", format!(r#"<a href="{page_url}"><img src="{badge_url}" alt="{alt}"></a>"#)),
        ("URL", badge_url.to_string()),
    ]
}

/// `reference` as badge URLs take it (`alpine:3.20`), `platform` when not linux/amd64.
#[component]
pub fn BadgeBuilder(reference: String, page_path: String, platform: Option<String>) -> impl IntoView {
    let query = use_query_map();
    let initial_kind =
        query.read_untracked().get("badge").and_then(|k| BadgeKind::parse(&k)).unwrap_or(BadgeKind::Image);
    let initial_style =
        query.read_untracked().get("badge_style").and_then(|s| BadgeStyle::parse(&s)).unwrap_or_default();
    let (kind, set_kind) = signal(initial_kind);
    let (style, set_style) = signal(initial_style);
    // Hydrated, the pickers act at once and the form's button is not needed (effects run only there).
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    let origin = origin();
    let badge_path = move || {
        let mut params = Vec::new();
        if style.get() != BadgeStyle::Flat {
            params.push(format!("style={}", style.get().as_str()));
        }
        if let Some(p) = &platform {
            params.push(format!("platform={}", query_escape(p)));
        }
        let query = if params.is_empty() { String::new() } else { format!("?{}", params.join("&")) };
        format!("/badges/{}/{reference}.svg{query}", kind.get().as_str())
    };
    let page_url = format!("{origin}{page_path}");
    let badge_path = Memo::new(move |_| badge_path());
    let snippet_list = {
        let origin = origin.clone();
        move || snippets(&format!("{origin}{}", badge_path.get()), &page_url, kind.get().as_str())
    };
    let kind_options = move || {
        BadgeKind::ALL
            .into_iter()
            .map(|k| view! { <option value=k.as_str() selected=move || kind.get() == k>{format!("{} — {}", k.as_str(), k.description())}</option> })
            .collect_view()
    };
    let style_options = move || {
        BadgeStyle::ALL
            .into_iter()
            .map(|s| view! { <option value=s.as_str() selected=move || style.get() == s>{s.as_str()}</option> })
            .collect_view()
    };
    view! {
        <section class="space-y-3" data-testid="badge-builder">
            <h2 class="text-lg font-semibold">"README badge"</h2>
            <form method="get" class="flex flex-wrap items-end gap-3 text-sm">
                <label class="space-y-1">
                    <span class="block text-xs uppercase tracking-wide text-slate-500">"Kind"</span>
                    <select name="badge" data-testid="badge-kind" class="rounded-md border border-slate-300 bg-white px-2 py-1.5"
                        on:change=move |ev| if let Some(k) = BadgeKind::parse(&event_target_value(&ev)) { set_kind.set(k) }>
                        {kind_options}
                    </select>
                </label>
                <label class="space-y-1">
                    <span class="block text-xs uppercase tracking-wide text-slate-500">"Style"</span>
                    <select name="badge_style" data-testid="badge-style" class="rounded-md border border-slate-300 bg-white px-2 py-1.5"
                        on:change=move |ev| if let Some(s) = BadgeStyle::parse(&event_target_value(&ev)) { set_style.set(s) }>
                        {style_options}
                    </select>
                </label>
                <button type="submit" class:hidden=move || hydrated.get() class="rounded-md border border-slate-300 bg-white px-3 py-1.5 hover:border-sky-500">"Show"</button>
                <img data-testid="badge-preview" class="mb-1.5" src=move || badge_path.get() alt=move || format!("{} badge", kind.get().as_str()) />
            </form>
            <div class="space-y-2 rounded-lg border border-slate-200 bg-white p-3">
                {move || snippet_list().into_iter().map(|(name, text)| view! {
                    <div class="grid grid-cols-[5.5rem_1fr_auto] items-center gap-2 text-sm">
                        <span class="text-slate-500">{name}</span>
                        <input type="text" readonly data-testid=format!("badge-{}", name.to_lowercase())
                            class="min-w-0 rounded border border-slate-200 bg-slate-50 px-2 py-1 font-mono text-xs"
                            value=text.clone() on:focus=move |ev| select_all(&ev) />
                        <CopyButton text />
                    </div>
                }).collect_view()}
            </div>
        </section>
    }
}

fn select_all(_ev: &leptos::ev::FocusEvent) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        if let Some(input) = _ev.target().and_then(|t| t.dyn_into::<leptos::web_sys::HtmlInputElement>().ok()) {
            input.select();
        }
    }
}

/// Copies through the asynchronous clipboard API; says "Copied" once it did.
#[component]
fn CopyButton(text: String) -> impl IntoView {
    let (copied, set_copied) = signal(false);
    let on_click = move |_| {
        if copy_to_clipboard(&text) {
            set_copied.set(true);
        }
    };
    view! {
        <button type="button" on:click=on_click class="rounded border border-slate-300 px-2 py-1 text-xs hover:border-sky-500">
            {move || if copied.get() { "Copied" } else { "Copy" }}
        </button>
    }
}

/// Writes `text` to the clipboard when the page is hydrated; false when it could not.
pub(crate) fn copy_to_clipboard(_text: &str) -> bool {
    // js-sys is a dependency on wasm32 only.
    #[cfg(all(feature = "hydrate", target_arch = "wasm32"))]
    {
        use js_sys::{Function, Reflect};
        use leptos::wasm_bindgen::{JsCast, JsValue};
        let navigator = Reflect::get(&window(), &JsValue::from_str("navigator")).ok();
        let clipboard = navigator.and_then(|n| Reflect::get(&n, &JsValue::from_str("clipboard")).ok());
        let Some(clipboard) = clipboard.filter(|c| !c.is_undefined()) else { return false };
        let write =
            Reflect::get(&clipboard, &JsValue::from_str("writeText")).ok().and_then(|f| f.dyn_into::<Function>().ok());
        return write.is_some_and(|f| f.call1(&clipboard, &JsValue::from_str(_text)).is_ok());
    }
    #[allow(unreachable_code)]
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_link_the_badge_to_the_page() {
        let [(_, markdown), (_, html), (_, url)] =
            snippets("http://h/badges/image/alpine:3.20.svg", "http://h/images/alpine:3.20", "image");
        assert_eq!(markdown, "[![image](http://h/badges/image/alpine:3.20.svg)](http://h/images/alpine:3.20)");
        assert_eq!(
            html,
            r#"<a href="http://h/images/alpine:3.20"><img src="http://h/badges/image/alpine:3.20.svg" alt="image"></a>"#
        );
        assert_eq!(url, "http://h/badges/image/alpine:3.20.svg");
    }
}

//! The base chain: a stacked bar of layers per image (root first) and the list from this image
//! down to its root, with "rebuild" when an ancestor's tag has moved on.

use leptos::prelude::*;

use crate::dto::{Ancestor, Lineage};
use crate::format::{short_digest, timestamp};
use crate::links::image_href;

/// Segment colours, root first; the image's own layers are always emerald.
const ANCESTOR_COLOURS: [&str; 4] = ["bg-slate-400", "bg-indigo-400", "bg-sky-500", "bg-violet-400"];
pub const OWN_COLOUR: &str = "bg-emerald-500";
const UNKNOWN_COLOUR: &str = "bg-slate-300";

/// For each layer, the ancestor that brought it in (`None`: the image's own) and its colour.
pub fn layer_origins(lineage: &Lineage, layers: usize) -> Vec<(Option<String>, &'static str)> {
    let root_first: Vec<_> = lineage.chain.iter().rev().collect();
    let unknown_base = if root_first.is_empty() { lineage.unknown_base_layers.unwrap_or(0) } else { 0 };
    (0..layers)
        .map(|i| match root_first.iter().position(|a| i < a.layers) {
            Some(k) => (Some(root_first[k].reference.clone()), ANCESTOR_COLOURS[k % ANCESTOR_COLOURS.len()]),
            None if i < unknown_base => (Some("an unknown base".to_string()), UNKNOWN_COLOUR),
            None => (None, OWN_COLOUR),
        })
        .collect()
}

#[component]
pub fn LineageGraph(lineage: Lineage, total: usize) -> impl IntoView {
    let moved = lineage.chain.iter().find(|a| a.moved).cloned();
    let annotated = lineage.annotated_base.clone().filter(|a| !a.confirmed);
    let known = if lineage.chain.is_empty() {
        let text = match lineage.unknown_base_layers {
            Some(n) => format!("Unknown base, {n} layer(s): the history ends a Dockerfile there, but no image Shipshape knows has exactly those layers. Inspect the base image to name it."),
            None => "No known base: none of the images Shipshape has seen has this image's first layers.".to_string(),
        };
        view! { <p class="text-sm text-slate-600" data-testid="lineage-unknown">{text}</p> }.into_any()
    } else {
        view! {
            <LineageBar lineage=lineage.clone() total />
            <LineageChain lineage />
        }
        .into_any()
    };
    view! {
        <section class="space-y-2" data-testid="lineage">
            <h2 class="text-lg font-semibold">"Base images"</h2>
            {moved.map(|a| view! {
                <div class="rounded-lg border border-red-300 bg-red-50 p-3 text-red-900" data-testid="base-moved">
                    <strong>{format!("Base updated {}: rebuild. ", a.moved_at.as_deref().map(timestamp).unwrap_or_default())}</strong>
                    {format!("{} now names a different image", a.reference)}
                    {a.current_digest.as_deref().map(|d| format!(" ({})", short_digest(d)))}
                    "; rebuild this image to pick up its changes."
                </div>
            })}
            {known}
            {annotated.map(|a| view! {
                <p class="text-xs text-slate-500" data-testid="annotation-unconfirmed">
                    {format!("The image names {} as its base, but Shipshape {} — shown above is what the layers say.",
                        a.name.or(a.digest).unwrap_or_default(),
                        "does not know that image or its layers are not where this image's begin")}
                </p>
            })}
        </section>
    }
}

/// Layers per image as one bar, root first, each segment as wide as its share of the layers.
#[component]
fn LineageBar(lineage: Lineage, total: usize) -> impl IntoView {
    let share =
        move |n: usize| format!("width: {:.2}%", if total == 0 { 0.0 } else { n as f64 * 100.0 / total as f64 });
    let segments: Vec<_> = lineage
        .chain
        .iter()
        .rev()
        .enumerate()
        .map(|(k, a)| (a.reference.clone(), a.contributes, ANCESTOR_COLOURS[k % ANCESTOR_COLOURS.len()]))
        .chain(std::iter::once(("this image".to_string(), lineage.own_layers, OWN_COLOUR)))
        .filter(|(_, n, _)| *n > 0)
        .collect();
    view! {
        <div class="flex h-3 w-full overflow-hidden rounded bg-slate-100" data-testid="lineage-bar">
            {segments.into_iter().map(|(name, n, colour)| view! {
                <div class=format!("h-3 {colour}") style=share(n) title=format!("{name}: {n} layer(s)")></div>
            }).collect_view()}
        </div>
    }
}

/// This image, then each ancestor indented under the one built on it.
#[component]
fn LineageChain(lineage: Lineage) -> impl IntoView {
    let depth_colour = |depth: usize| ANCESTOR_COLOURS[(lineage.chain.len() - 1 - depth) % ANCESTOR_COLOURS.len()];
    view! {
        <ol class="space-y-1 rounded-lg border border-slate-200 bg-white p-3 text-sm" data-testid="lineage-chain">
            <li class="flex items-center gap-2">
                <span class=format!("inline-block h-3 w-3 rounded-sm {OWN_COLOUR}")></span>
                <span class="font-medium">"This image"</span>
                <span class="text-slate-500">{format!("adds {} layer(s)", lineage.own_layers)}</span>
            </li>
            {lineage.chain.iter().enumerate().map(|(depth, a)| view! {
                <AncestorRow ancestor=a.clone() depth colour=depth_colour(depth) />
            }).collect_view()}
        </ol>
    }
}

#[component]
fn AncestorRow(ancestor: Ancestor, depth: usize, colour: &'static str) -> impl IntoView {
    let a = ancestor;
    let indent = format!("padding-left: {}rem", (depth + 1) as f64 * 1.25);
    view! {
        <li class="flex flex-wrap items-center gap-2" style=indent data-testid="ancestor" data-moved=a.moved.to_string()>
            <span class="text-slate-400">"↳"</span>
            <span class=format!("inline-block h-3 w-3 rounded-sm {colour}")></span>
            <a class="font-mono text-sky-700 hover:underline" href=image_href(&a.reference)>{a.reference.clone()}</a>
            <span class="font-mono text-xs text-slate-400" title=a.digest.clone()>{short_digest(&a.digest).to_string()}</span>
            <span class="text-slate-500">{format!("+{} layer(s)", a.contributes)}</span>
            {a.official.then(|| view! { <span class="rounded bg-sky-100 px-1.5 text-xs text-sky-800">"official"</span> })}
            {a.annotated.then(|| view! { <span class="rounded bg-slate-100 px-1.5 text-xs text-slate-700" title="Named by the image's org.opencontainers.image.base annotations, and its layers agree">"annotated"</span> })}
            {a.moved.then(|| view! { <span class="rounded bg-red-100 px-1.5 text-xs text-red-800">"tag moved: rebuild"</span> })}
        </li>
    }
}

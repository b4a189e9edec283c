//! The layers, in order: size with its share of the image, the command that made each, and the
//! image that brought it in.

use leptos::prelude::*;

use super::lineage::OWN_COLOUR;
use crate::dto::LayerInfo;
use crate::format::{human_size, short_digest};

#[component]
pub fn Layers(layers: Vec<LayerInfo>, origins: Vec<(Option<String>, &'static str)>) -> impl IntoView {
    view! {
        <section class="space-y-2">
            <h2 class="text-lg font-semibold">"Layers"</h2>
            <ol class="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white" data-testid="layers">
                {layers
                    .into_iter()
                    .enumerate()
                    .map(|(i, layer)| {
                        let (origin, colour) = origins.get(i).cloned().unwrap_or((None, OWN_COLOUR));
                        view! { <LayerRow number=i + 1 layer origin colour /> }
                    })
                    .collect_view()}
            </ol>
        </section>
    }
}

#[component]
fn LayerRow(number: usize, layer: LayerInfo, origin: Option<String>, colour: &'static str) -> impl IntoView {
    let width = format!("width: {:.2}%", (layer.share * 100.0).max(0.5));
    let command = layer.instruction.clone().or(layer.created_by.clone()).unwrap_or_else(|| "(no history)".into());
    view! {
        <li class="grid grid-cols-[2.5rem_8rem_1fr] items-start gap-3 px-4 py-2" data-testid="layer">
            <span class="pt-0.5 text-right font-mono text-xs text-slate-400">{number}</span>
            <div class="space-y-1">
                <div class="font-mono text-sm">{human_size(layer.size)}</div>
                <div class="h-1.5 w-full rounded bg-slate-100" title=format!("{:.1}% of the image", layer.share * 100.0)>
                    <div class="h-1.5 rounded bg-sky-600" style=width></div>
                </div>
            </div>
            <div class="min-w-0 space-y-0.5">
                <code class="block whitespace-pre-wrap break-words text-sm" data-testid="layer-command">{command}</code>
                <span class="font-mono text-xs text-slate-400" title=layer.digest.clone()>{short_digest(&layer.digest).to_string()}</span>
                <span class="ml-2 inline-flex items-center gap-1 text-xs text-slate-500" data-testid="layer-origin">
                    <span class=format!("inline-block h-2 w-2 rounded-sm {colour}")></span>
                    {origin.map(|o| format!("from {o}")).unwrap_or_else(|| "this image".into())}
                </span>
            </div>
        </li>
    }
}

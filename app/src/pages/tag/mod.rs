//! The tag page: overview, platform switcher, then per platform the facts, base images, layers,
//! labels, scan, config and badge builder, and the tag's history.

mod config;
mod history;
mod labels;
mod layers;
mod lineage;
mod platform;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::error_panel::{ErrorPanel, Loading, set_page_status};
use crate::components::layout::PageLoad;
use crate::components::watch_panel::WatchSection;
use crate::dto::ImageReport;
use crate::format::{short_digest, timestamp};
use crate::links::image_href;
use crate::reference::ImageReference;
use crate::server_fns::inspect_image;

use history::TagHistory;
use platform::PlatformDetails;

#[component]
pub fn TagView(reference: ImageReference) -> impl IntoView {
    let canonical = reference.to_string();
    let title = reference.familiar();
    let report = crate::codec::resource(move || canonical.clone(), |reference| inspect_image(reference, None));
    // A first inspection stores the image: the footer counts after it.
    PageLoad::stores_with(report);
    view! {
        <Title text=title />
        <Suspense fallback=|| view! { <Loading what="Fetching the manifest and config from the registry…" /> }>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(report) => view! { <Report report /> }.into_any(),
                    Err(error) => {
                        set_page_status(&error);
                        view! { <ErrorPanel error /> }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// Which platform to show: `?platform=` when it names one, else linux/amd64, else the first.
fn chosen_platform(report: &ImageReport, wanted: Option<&str>) -> usize {
    crate::platform_choice::chosen(&report.platforms, wanted).unwrap_or(0)
}

#[component]
fn Report(report: ImageReport) -> impl IntoView {
    let query = use_query_map();
    let report = StoredValue::new(report);
    let chosen = Memo::new(move |_| report.with_value(|r| chosen_platform(r, query.read().get("platform").as_deref())));
    let r = report.get_value();
    let repository = format!("{}/{}", r.registry, r.repository);
    let is_index = r.media_type.contains("index") || r.media_type.contains("list");
    let kind = if is_index { format!("index of {} platform images", r.platforms.len()) } else { "single-platform image".into() };
    view! {
        <section class="space-y-6" data-testid="tag-page">
            <nav class="text-sm text-slate-500">
                <a class="text-sky-700 hover:underline" href=image_href(&repository)>{repository.clone()}</a>
                " / "
                <span>{r.tag.clone().unwrap_or_else(|| short_digest(&r.digest).to_string())}</span>
            </nav>
            <header class="space-y-2">
                <h1 class="break-all font-mono text-2xl font-semibold" data-testid="reference">{r.reference.clone()}</h1>
                <div class="flex flex-wrap items-center gap-2 text-sm text-slate-600">
                    <span class="rounded bg-slate-200 px-2 py-0.5 font-mono" title=r.digest.clone()>{r.digest.clone()}</span>
                    <span>{kind}</span>
                    {(r.platforms_not_fetched > 0).then(|| view! {
                        <span class="rounded bg-amber-100 px-2 py-0.5 text-amber-900" data-testid="platforms-not-fetched" title="An inspection reads at most 256 entries of an index">
                            {r.platforms_not_fetched} " more platforms not fetched"
                        </span>
                    })}
                    {r.private.then(|| view! { <span class="rounded bg-amber-100 px-2 py-0.5 text-amber-900">"private"</span> })}
                    {r.checked_at.clone().map(|c| view! { <span>"checked " {timestamp(&c)}</span> })}
                </div>
            </header>
            {(r.platforms.len() > 1).then(|| view! { <PlatformSwitcher report chosen /> })}
            {move || {
                let image = report.with_value(|r| r.platforms.get(chosen.get()).cloned());
                image.map(|image| view! { <PlatformDetails report=report.get_value() image /> })
            }}
            <TagHistory report />
            <WatchSection repository=repository.clone() tag=r.tag.clone() />
        </section>
    }
}

#[component]
fn PlatformSwitcher(report: StoredValue<ImageReport>, chosen: Memo<usize>) -> impl IntoView {
    let platforms = report.with_value(|r| r.platforms.iter().map(|p| p.platform.to_string()).collect::<Vec<_>>());
    view! {
        <nav aria-label="Platforms" class="flex flex-wrap gap-2" data-testid="platforms">
            {platforms
                .into_iter()
                .enumerate()
                .map(|(i, name)| {
                    let href = format!("?platform={name}");
                    view! {
                        <a
                            href=href
                            aria-current=move || (chosen.get() == i).then_some("page")
                            class="rounded-full border border-slate-300 px-3 py-1 font-mono text-sm hover:border-sky-500 aria-[current=page]:border-sky-700 aria-[current=page]:bg-sky-700 aria-[current=page]:text-white"
                        >
                            {name}
                        </a>
                    }
                })
                .collect_view()}
        </nav>
    }
}

/// Label values and facts link out only when they are web addresses.
fn is_web_link(value: &str) -> bool {
    value.starts_with("https://") || value.starts_with("http://")
}

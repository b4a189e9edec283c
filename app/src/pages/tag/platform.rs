//! One platform image: its facts at a glance, then each section of the page about it.

use leptos::prelude::*;

use super::config::Config;
use super::is_web_link;
use super::labels::Labels;
use super::layers::Layers;
use super::lineage::{LineageGraph, layer_origins};
use crate::badge;
use crate::components::badge_builder::BadgeBuilder;
use crate::components::scan_panel::ScanPanel;
use crate::dto::{ImageReport, PlatformImage};
use crate::format::{counted, human_size, now_unix, relative_age, short_digest, timestamp};
use crate::links::image_href;
use crate::reference::ImageReference;

#[component]
pub fn PlatformDetails(report: ImageReport, image: PlatformImage) -> impl IntoView {
    let platform_name = image.platform.to_string();
    let badge_reference = ImageReference::parse(&report.reference).map_or(report.reference.clone(), |r| r.familiar());
    // Badges without `?platform=` show the platform chosen by default: name any other.
    let default = crate::platform_choice::chosen(&report.platforms, None).map(|i| report.platforms[i].platform.to_string());
    let badge_platform = (default.as_deref() != Some(platform_name.as_str())).then(|| platform_name.clone());
    let page_path = image_href(&report.reference);
    view! {
        <article class="space-y-6" data-testid="platform" data-platform=platform_name.clone()>
            <Overview report=report.clone() image=image.clone() />
            {image.label_facts.description.clone().map(|d| view! { <p class="text-slate-700">{d}</p> })}
            <LineageGraph lineage=image.lineage.clone() total=image.layers.len() />
            <Layers layers=image.layers.clone() origins=layer_origins(&image.lineage, image.layers.len()) />
            <Labels labels=image.labels.clone() />
            <ScanPanel reference=report.reference.clone() digest=image.digest.clone() platform=platform_name.clone() />
            <Config image />
            <BadgeBuilder reference=badge_reference page_path platform=badge_platform />
        </article>
    }
}

/// The facts people look for first: size, age, user, version, and what the labels say.
#[component]
fn Overview(report: ImageReport, image: PlatformImage) -> impl IntoView {
    let facts = image.label_facts.clone();
    let (version, version_from_tag) = badge::version(&report, &image);
    let updated = badge::updated(&report, &image);
    view! {
        <div class="grid gap-4 rounded-lg border border-slate-200 bg-white p-5 shadow-sm sm:grid-cols-2 lg:grid-cols-4" data-testid="overview">
            {fact("Platform", Some(image.platform.to_string()), None)}
            {fact("Compressed size", Some(format!("{} in {}", human_size(image.size), counted(image.layers.len() as u64, "layer", "layers"))), None)}
            {fact("Created", image.created.as_deref().map(timestamp), None)}
            <div>
                <dt class="text-xs uppercase tracking-wide text-slate-500">"Updated"</dt>
                <dd class="font-medium" data-testid="updated">{updated.map_or("unknown".to_string(), |at| relative_age(now_unix() - at))}</dd>
            </div>
            <div>
                <dt class="text-xs uppercase tracking-wide text-slate-500">"Runs as"</dt>
                <dd><UserBadge user=image.user.clone() root=image.runs_as_root /></dd>
            </div>
            <div>
                <dt class="text-xs uppercase tracking-wide text-slate-500">"Version"</dt>
                <dd class="break-words font-medium" data-testid="version">
                    {version}
                    {version_from_tag.then(|| view! { <span class="ml-1 text-xs font-normal text-slate-500">"(tag; no version label)"</span> })}
                </dd>
            </div>
            {(!report.also_tagged.is_empty()).then(|| fact("Also tagged", Some(report.also_tagged.join(", ")), None))}
            {fact("Commit", facts.revision.clone().map(|r| short_digest(&r).to_string()), facts.commit_url.clone())}
            {fact("Source", facts.source.clone(), facts.source.clone())}
            {fact("License", facts.license.clone(), None)}
            {fact("Title", facts.title.clone(), facts.url.clone())}
            {fact("Authors", facts.authors.clone(), None)}
        </div>
    }
}

/// One fact of the overview, when the image tells it; linked when `href` is a web address.
fn fact(name: &'static str, value: Option<String>, href: Option<String>) -> Option<impl IntoView> {
    value.map(|value| {
        let shown = match href.filter(|h| is_web_link(h)) {
            Some(href) => {
                view! { <a class="text-sky-700 hover:underline" href=href rel="nofollow noopener">{value}</a> }.into_any()
            }
            None => view! { <span>{value}</span> }.into_any(),
        };
        view! {
            <div>
                <dt class="text-xs uppercase tracking-wide text-slate-500">{name}</dt>
                <dd class="break-words font-medium">{shown}</dd>
            </div>
        }
    })
}

#[component]
fn UserBadge(user: String, root: bool) -> impl IntoView {
    let (text, class, title) = if root {
        let text = if user.is_empty() { "root (no USER)".to_string() } else { format!("root ({user})") };
        (
            text,
            "bg-red-100 text-red-800 ring-red-300",
            "The container runs as root: add a USER instruction with a non-root user.",
        )
    } else {
        (user, "bg-emerald-100 text-emerald-800 ring-emerald-300", "Runs as a non-root user.")
    };
    view! {
        <span data-testid="user-badge" data-root=root.to_string() title=title class=format!("inline-block rounded-full px-2.5 py-0.5 font-mono text-sm ring-1 {class}")>
            {text}
        </span>
    }
}

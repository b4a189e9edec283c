//! The tag page: overview, platform switcher, layers with size bars and commands, labels, config,
//! user badge and the tag's history.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::badge;
use crate::components::badge_builder::BadgeBuilder;
use crate::components::error_panel::{ErrorPanel, Loading};
use crate::components::scan_panel::ScanPanel;
use crate::dto::{ImageReport, LayerInfo, Lineage, PlatformImage};
use crate::format::{human_size, now_unix, relative_age, short_digest, timestamp};
use crate::pages::image::image_href;
use crate::reference::ImageReference;
use crate::server_fns::inspect_image;

#[component]
pub fn TagView(reference: ImageReference) -> impl IntoView {
    let canonical = reference.to_string();
    let title = reference.familiar();
    let report = Resource::new(move || canonical.clone(), |reference| inspect_image(reference, None));
    view! {
        <Title text=title />
        <Suspense fallback=|| view! { <Loading what="Fetching the manifest and config from the registry…" /> }>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(report) => view! { <Report report /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Which platform to show: `?platform=` when it names one, else linux/amd64, else the first.
fn chosen_platform(report: &ImageReport, wanted: Option<&str>) -> usize {
    let position = |name: &str| report.platforms.iter().position(|p| p.platform.to_string() == name);
    wanted.and_then(position).or_else(|| position("linux/amd64")).unwrap_or(0)
}

#[component]
fn Report(report: ImageReport) -> impl IntoView {
    let query = use_query_map();
    let report = StoredValue::new(report);
    let chosen = Memo::new(move |_| report.with_value(|r| chosen_platform(r, query.read().get("platform").as_deref())));
    let r = report.get_value();
    let repository_href = image_href(&format!("{}/{}", r.registry, r.repository));
    let is_index = r.media_type.contains("index") || r.media_type.contains("list");
    view! {
        <section class="space-y-6" data-testid="tag-page">
            <nav class="text-sm text-slate-500">
                <a class="text-sky-700 hover:underline" href=repository_href.clone()>{format!("{}/{}", r.registry, r.repository)}</a>
                " / "
                <span>{r.tag.clone().unwrap_or_else(|| short_digest(&r.digest).to_string())}</span>
            </nav>
            <header class="space-y-2">
                <h1 class="break-all font-mono text-2xl font-semibold" data-testid="reference">{r.reference.clone()}</h1>
                <div class="flex flex-wrap items-center gap-2 text-sm text-slate-600">
                    <span class="rounded bg-slate-200 px-2 py-0.5 font-mono" title=r.digest.clone()>{r.digest.clone()}</span>
                    <span>{if is_index { format!("index of {} platform images", r.platforms.len()) } else { "single-platform image".to_string() }}</span>
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

#[component]
fn PlatformDetails(report: ImageReport, image: PlatformImage) -> impl IntoView {
    let facts = image.label_facts.clone();
    let platform_name = image.platform.to_string();
    let (version, version_from_tag) = badge::version(&report, &image);
    let updated = badge::updated(&report, &image);
    let badge_reference = ImageReference::parse(&report.reference).map_or(report.reference.clone(), |r| r.familiar());
    let badge_platform = (platform_name != "linux/amd64" && report.platforms.len() > 1).then(|| platform_name.clone());
    let page_path = image_href(&report.reference);
    let fact = |name: &'static str, value: Option<String>, href: Option<String>| {
        value.map(|value| {
            let shown = match href.filter(|h| is_web_link(h)) {
                Some(href) => {
                    view! { <a class="text-sky-700 hover:underline" href=href rel="nofollow noopener">{value}</a> }
                        .into_any()
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
    };
    view! {
        <article class="space-y-6" data-testid="platform" data-platform=platform_name>
            <div class="grid gap-4 rounded-lg border border-slate-200 bg-white p-5 shadow-sm sm:grid-cols-2 lg:grid-cols-4" data-testid="overview">
                {fact("Platform", Some(image.platform.to_string()), None)}
                {fact("Compressed size", Some(format!("{} in {} layers", human_size(image.size), image.layers.len())), None)}
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
            {facts.description.clone().map(|d| view! { <p class="text-slate-700">{d}</p> })}
            <LineageGraph lineage=image.lineage.clone() total=image.layers.len() />
            <Layers layers=image.layers.clone() origins=layer_origins(&image.lineage, image.layers.len()) />
            <Labels labels=image.labels.clone() />
            <ScanPanel reference=report.reference.clone() digest=image.digest.clone() platform=platform_name.clone() />
            <Config image />
            <BadgeBuilder reference=badge_reference page_path platform=badge_platform />
        </article>
    }
}

fn is_web_link(value: &str) -> bool {
    value.starts_with("https://") || value.starts_with("http://")
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

/// Segment colours, root first; the image's own layers are always emerald.
const ANCESTOR_COLOURS: [&str; 4] = ["bg-slate-400", "bg-indigo-400", "bg-sky-500", "bg-violet-400"];
const OWN_COLOUR: &str = "bg-emerald-500";
const UNKNOWN_COLOUR: &str = "bg-slate-300";

/// For each layer, the ancestor that brought it in (`None`: the image's own) and its colour.
fn layer_origins(lineage: &Lineage, layers: usize) -> Vec<(Option<String>, &'static str)> {
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

/// The base chain as a stacked bar (layers per image, root first) and a list from this image down
/// to its root, with "rebuild" when an ancestor's tag has moved on.
#[component]
fn LineageGraph(lineage: Lineage, total: usize) -> impl IntoView {
    let moved = lineage.chain.iter().find(|a| a.moved).cloned();
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
    let unknown = lineage.chain.is_empty().then_some(lineage.unknown_base_layers).flatten();
    let annotated = lineage.annotated_base.clone().filter(|a| !a.confirmed);
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
            {if lineage.chain.is_empty() {
                let text = match unknown {
                    Some(n) => format!("Unknown base, {n} layer(s): the history ends a Dockerfile there, but no image Shipshape knows has exactly those layers. Inspect the base image to name it."),
                    None => "No known base: none of the images Shipshape has seen has this image's first layers.".to_string(),
                };
                view! { <p class="text-sm text-slate-600" data-testid="lineage-unknown">{text}</p> }.into_any()
            } else {
                view! {
                    <div class="flex h-3 w-full overflow-hidden rounded bg-slate-100" data-testid="lineage-bar">
                        {segments.into_iter().map(|(name, n, colour)| view! {
                            <div class=format!("h-3 {colour}") style=share(n) title=format!("{name}: {n} layer(s)")></div>
                        }).collect_view()}
                    </div>
                    <ol class="space-y-1 rounded-lg border border-slate-200 bg-white p-3 text-sm" data-testid="lineage-chain">
                        <li class="flex items-center gap-2">
                            <span class=format!("inline-block h-3 w-3 rounded-sm {OWN_COLOUR}")></span>
                            <span class="font-medium">"This image"</span>
                            <span class="text-slate-500">{format!("adds {} layer(s)", lineage.own_layers)}</span>
                        </li>
                        {lineage.chain.iter().enumerate().map(|(depth, a)| {
                            let colour = ANCESTOR_COLOURS[(lineage.chain.len() - 1 - depth) % ANCESTOR_COLOURS.len()];
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
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
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

#[component]
fn Layers(layers: Vec<LayerInfo>, origins: Vec<(Option<String>, &'static str)>) -> impl IntoView {
    view! {
        <section class="space-y-2">
            <h2 class="text-lg font-semibold">"Layers"</h2>
            <ol class="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white" data-testid="layers">
                {layers
                    .into_iter()
                    .enumerate()
                    .map(|(i, layer)| {
                        let width = format!("width: {:.2}%", (layer.share * 100.0).max(0.5));
                        let (origin, colour) = origins.get(i).cloned().unwrap_or((None, OWN_COLOUR));
                        let command = layer.instruction.clone().or(layer.created_by.clone()).unwrap_or_else(|| "(no history)".into());
                        view! {
                            <li class="grid grid-cols-[2.5rem_8rem_1fr] items-start gap-3 px-4 py-2" data-testid="layer">
                                <span class="pt-0.5 text-right font-mono text-xs text-slate-400">{i + 1}</span>
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
                    })
                    .collect_view()}
            </ol>
        </section>
    }
}

#[component]
fn Labels(labels: std::collections::BTreeMap<String, String>) -> impl IntoView {
    let empty = labels.is_empty();
    view! {
        <section class="space-y-2">
            <h2 class="text-lg font-semibold">"Labels"</h2>
            {if empty {
                view! { <p class="text-sm text-slate-500">"No labels. OCI labels (org.opencontainers.image.*) let tools show version, source and license."</p> }.into_any()
            } else {
                view! {
                    <table class="w-full table-fixed rounded-lg border border-slate-200 bg-white text-sm" data-testid="labels">
                        <tbody class="divide-y divide-slate-200">
                            {labels
                                .into_iter()
                                .map(|(key, value)| {
                                    let shown = if is_web_link(&value) {
                                        let href = value.clone();
                                        view! { <a class="text-sky-700 hover:underline" href=href rel="nofollow noopener">{value}</a> }.into_any()
                                    } else {
                                        view! { <span>{value}</span> }.into_any()
                                    };
                                    view! {
                                        <tr>
                                            <th scope="row" class="w-2/5 break-words px-3 py-1.5 text-left font-mono font-normal text-slate-600">{key}</th>
                                            <td class="break-words px-3 py-1.5 font-mono">{shown}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn Config(image: PlatformImage) -> impl IntoView {
    let row = |name: &'static str, value: Option<String>| {
        value.map(|value| {
            view! {
                <tr>
                    <th scope="row" class="w-40 px-3 py-1.5 text-left font-normal text-slate-600">{name}</th>
                    <td class="break-words px-3 py-1.5 font-mono">{value}</td>
                </tr>
            }
        })
    };
    let list = |items: &Option<Vec<String>>| items.as_ref().map(|v| format!("{v:?}"));
    let joined = |items: &Vec<String>| (!items.is_empty()).then(|| items.join(", "));
    let health = image.healthcheck.as_ref().map(|h| {
        let mut text = h.test.join(" ");
        if let Some(s) = h.interval_seconds {
            text.push_str(&format!(" (every {s} s)"));
        }
        text
    });
    view! {
        <section class="space-y-2">
            <h2 class="text-lg font-semibold">"Config"</h2>
            <table class="w-full table-fixed rounded-lg border border-slate-200 bg-white text-sm" data-testid="config">
                <tbody class="divide-y divide-slate-200">
                    {row("User", Some(if image.user.is_empty() { "(unset: root)".to_string() } else { image.user.clone() }))}
                    {row("Entrypoint", list(&image.entrypoint))}
                    {row("Cmd", list(&image.cmd))}
                    {row("Working dir", image.workdir.clone())}
                    {row("Exposed ports", joined(&image.exposed_ports))}
                    {row("Volumes", joined(&image.volumes))}
                    {row("Healthcheck", health)}
                    {row("Stop signal", image.stop_signal.clone())}
                    {row("Config digest", Some(image.config_digest.clone()))}
                    {row("Manifest digest", Some(image.digest.clone()))}
                    {image
                        .env
                        .iter()
                        .map(|e| {
                            let value = if e.masked { format!("{}=•••••• (masked)", e.name) } else { format!("{}={}", e.name, e.value) };
                            row("Env", Some(value))
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn TagHistory(report: StoredValue<ImageReport>) -> impl IntoView {
    let history = report.with_value(|r| r.tag_history.clone());
    (!history.is_empty()).then(|| {
        view! {
            <section class="space-y-2">
                <h2 class="text-lg font-semibold">"Tag history"</h2>
                <table class="w-full rounded-lg border border-slate-200 bg-white text-sm" data-testid="tag-history">
                    <thead class="text-left text-slate-500">
                        <tr><th class="px-3 py-1.5 font-normal">"Digest"</th><th class="px-3 py-1.5 font-normal">"First seen"</th><th class="px-3 py-1.5 font-normal">"Last seen"</th></tr>
                    </thead>
                    <tbody class="divide-y divide-slate-200">
                        {history
                            .into_iter()
                            .enumerate()
                            .map(|(i, h)| view! {
                                <tr>
                                    <td class="px-3 py-1.5 font-mono" title=h.digest.clone()>
                                        {short_digest(&h.digest).to_string()}
                                        {(i == 0).then(|| view! { <span class="ml-2 rounded bg-sky-100 px-1.5 text-xs text-sky-800">"current"</span> })}
                                    </td>
                                    <td class="px-3 py-1.5">{timestamp(&h.first_seen)}</td>
                                    <td class="px-3 py-1.5">{timestamp(&h.last_seen)}</td>
                                </tr>
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </section>
        }
    })
}

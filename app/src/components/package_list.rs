//! The scanned image's packages, on demand (`?packages=all`, or one ecosystem: `?packages=npm`),
//! so a page of an image with thousands of packages stays light until someone asks; links work
//! without JavaScript.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::codec::resource;
use crate::components::error_panel::ErrorPanel;
use crate::dto::PackageRow;
use crate::format::query_escape;
use crate::server_fns::scan_packages;

#[component]
pub fn PackageList(reference: String, digest: String) -> impl IntoView {
    let query = use_query_map();
    let wanted = Memo::new(move |_| query.read().get("packages"));
    let rows = resource(
        move || wanted.get().map(|_| (reference.clone(), digest.clone())),
        |key| async move {
            match key {
                Some((reference, digest)) => scan_packages(reference, digest).await.map(Some),
                // Not asked for: nothing fetched.
                None => Ok(None),
            }
        },
    );
    view! {
        <section class="space-y-2" data-testid="packages">
            <h3 class="text-base font-semibold">"Packages"</h3>
            <Suspense fallback=|| view! { <p class="text-sm text-slate-500">"Loading the packages…"</p> }>
                {move || Suspend::new(async move {
                    match rows.await {
                        Ok(None) => view! {
                            <a class="text-sm text-sky-700 hover:underline" href="?packages=all" data-testid="show-packages">
                                "Show every package, with its version, license and the layer that added it"
                            </a>
                        }
                        .into_any(),
                        Ok(Some(None)) => view! {
                            <p class="text-sm text-slate-500" data-testid="packages-pending">
                                "The list appears when the scan is done."
                            </p>
                        }
                        .into_any(),
                        Ok(Some(Some(rows))) if rows.is_empty() => view! {
                            <p class="text-sm text-slate-500" data-testid="packages-none">
                                "No packages: the image holds no package database or manifest Shipshape reads (dpkg, apk, rpm, npm, Python, RubyGems, Cargo, Go and Rust binaries)."
                            </p>
                        }
                        .into_any(),
                        // The filter follows the URL: a client-side navigation changes it, not the rows.
                        Ok(Some(Some(rows))) => (move || {
                            let filter = wanted.get().unwrap_or_default();
                            view! { <PackageTable rows=rows.clone() filter /> }
                        })
                        .into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn PackageTable(rows: Vec<PackageRow>, filter: String) -> impl IntoView {
    let mut ecosystems: Vec<(String, usize)> = Vec::new();
    for row in &rows {
        match ecosystems.iter_mut().find(|(e, _)| *e == row.ecosystem) {
            Some((_, n)) => *n += 1,
            None => ecosystems.push((row.ecosystem.clone(), 1)),
        }
    }
    let total = rows.len();
    let shown: Vec<PackageRow> = rows.into_iter().filter(|r| filter == "all" || r.ecosystem == filter).collect();
    let link = |target: &str, text: String, current: bool| {
        let class = if current { "font-semibold text-slate-900" } else { "text-sky-700 hover:underline" };
        view! { <a class=class href=format!("?packages={}", query_escape(target)) data-testid="package-filter">{text}</a> }
    };
    view! {
        <div class="flex flex-wrap items-center gap-3 text-sm">
            {link("all", format!("all {total}"), filter == "all")}
            {ecosystems
                .into_iter()
                .map(|(ecosystem, n)| {
                    let current = filter == ecosystem;
                    link(&ecosystem, format!("{ecosystem} {n}"), current)
                })
                .collect_view()}
            <a class="text-slate-500 hover:underline" href="?" data-testid="hide-packages">"hide"</a>
        </div>
        <div class="max-h-[32rem] overflow-auto rounded-lg border border-slate-200 bg-white">
            <table class="w-full text-left text-sm">
                <thead class="sticky top-0 bg-slate-50 text-slate-500">
                    <tr>
                        <th class="px-3 py-1.5 font-normal">"Package"</th>
                        <th class="px-3 py-1.5 font-normal">"Version"</th>
                        <th class="px-3 py-1.5 font-normal">"License"</th>
                        <th class="px-3 py-1.5 font-normal">"Findings"</th>
                        <th class="px-3 py-1.5 font-normal">"Added by"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-200">
                    {shown
                        .into_iter()
                        .map(|p| {
                            let flagged = p.findings > 0;
                            view! {
                                <tr data-testid="package" data-ecosystem=p.ecosystem.clone() title=p.purl.clone()>
                                    <td class="max-w-sm px-3 py-1.5">
                                        <span class="break-all font-mono">{p.name.clone()}</span>
                                        <span class="ml-1 rounded bg-slate-100 px-1 text-xs text-slate-600">{p.ecosystem.clone()}</span>
                                        {p.path.clone().map(|path| view! { <div class="break-all font-mono text-xs text-slate-500">{path}</div> })}
                                    </td>
                                    <td class="px-3 py-1.5 font-mono">{p.version.clone()}</td>
                                    <td class="px-3 py-1.5 text-xs">{p.license.clone().unwrap_or_default()}</td>
                                    <td class=if flagged { "px-3 py-1.5 font-semibold text-red-700" } else { "px-3 py-1.5 text-slate-400" }>
                                        {p.findings}
                                    </td>
                                    <td
                                        class="max-w-[16rem] truncate px-3 py-1.5 font-mono text-xs"
                                        title=format!("{}\n{}", p.layer_command.clone().unwrap_or_default(), p.layer_digest.clone().unwrap_or_default())
                                    >
                                        {p.layer_command.clone().unwrap_or_default()}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

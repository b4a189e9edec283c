//! The tag page's scan: its state while it runs (pushed over server-sent events once hydrated,
//! asked for every two seconds where the stream cannot be held; a refresh link without
//! JavaScript), then the findings with a severity chart and filter, the tune-up report, and SBOM
//! downloads.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::badge::vulnerabilities;
use crate::components::error_panel::ErrorPanel;
use crate::components::package_list::PackageList;
use crate::dto::{CheckRow, FindingRow, ScanSummary};
use crate::format::{counted, human_size, query_escape, short_digest, timestamp};
use crate::server_fns::scan_status;

const SEVERITIES: [(&str, &str); 5] = [
    ("critical", "bg-red-600"),
    ("high", "bg-orange-500"),
    ("medium", "bg-amber-400"),
    ("low", "bg-lime-500"),
    ("unknown", "bg-slate-400"),
];

#[component]
pub fn ScanPanel(reference: String, digest: String, platform: String) -> impl IntoView {
    let (list_reference, list_digest) = (reference.clone(), digest.clone());
    let key = (reference.clone(), digest.clone());
    let scan = crate::codec::resource(move || key.clone(), |(reference, digest)| scan_status(reference, digest));
    // What the event stream last said; it replaces the server-rendered answer once it speaks.
    let live: RwSignal<Option<ScanSummary>> = RwSignal::new(None);
    // Set when the stream could not be opened or was refused: then the panel asks every 2 s.
    let polling = RwSignal::new(false);
    let following = StoredValue::new(false);
    let events = format!("/api/v1/scan-events/{reference}?platform={}", query_escape(&platform));
    // Hydrated only: effects never run on the server.
    Effect::new(move |_| {
        let Some(Ok(summary)) = scan.get() else { return };
        if !running(&summary) {
            return;
        }
        if polling.get() {
            set_timeout(move || scan.refetch(), std::time::Duration::from_secs(2));
        } else if !following.get_value() {
            following.set_value(true);
            follow(&events, live, polling);
        }
    });
    let sbom =
        move |format: &str| format!("/api/v1/sbom/{reference}?format={format}&platform={}", query_escape(&platform));
    let (cyclonedx, spdx) = (sbom("cyclonedx"), sbom("spdx"));
    let (live_cyclonedx, live_spdx) = (cyclonedx.clone(), spdx.clone());
    view! {
        <section class="space-y-3" data-testid="scan">
            <h2 class="text-lg font-semibold">"Vulnerabilities and tune-up"</h2>
            <Show
                when=move || live.with(Option::is_some)
                fallback=move || {
                    let (cyclonedx, spdx) = (cyclonedx.clone(), spdx.clone());
                    // A Transition keeps the last answer on screen while the next one loads.
                    view! {
                        <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading the scan…"</p> }>
                            {move || Suspend::new({
                                let (cyclonedx, spdx) = (cyclonedx.clone(), spdx.clone());
                                async move {
                                    match scan.await {
                                        Ok(summary) => view! { <ScanState summary cyclonedx spdx /> }.into_any(),
                                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                                    }
                                }
                            })}
                        </Transition>
                    }
                }
            >
                {
                    let (cyclonedx, spdx) = (live_cyclonedx.clone(), live_spdx.clone());
                    move || {
                        live.get().map(|summary| {
                            let (cyclonedx, spdx) = (cyclonedx.clone(), spdx.clone());
                            view! { <ScanState summary cyclonedx spdx /> }
                        })
                    }
                }
            </Show>
            <PackageList reference=list_reference digest=list_digest />
        </section>
    }
}

fn running(summary: &ScanSummary) -> bool {
    summary.state == "queued" || summary.state == "running"
}

/// Opens the scan's event stream: each message is the summary as it stands; the stream is closed
/// once the scan settles. A stream the browser cannot open, or the server refuses, turns polling on.
#[cfg(target_arch = "wasm32")]
fn follow(url: &str, live: RwSignal<Option<ScanSummary>>, polling: RwSignal<bool>) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let Ok(source) = web_sys::EventSource::new(url) else {
        polling.set(true);
        return;
    };
    let stream = source.clone();
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
        let Some(summary) = event.data().as_string().and_then(|t| crate::codec::from_json::<ScanSummary>(&t).ok())
        else {
            return;
        };
        if !running(&summary) {
            stream.close();
        }
        live.set(Some(summary));
    });
    source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let stream = source.clone();
    // The browser reconnects a dropped stream by itself; CLOSED means it gave up (an error status).
    let on_error = Closure::<dyn FnMut()>::new(move || {
        if stream.ready_state() == web_sys::EventSource::CLOSED && live.with_untracked(|l| l.as_ref().is_none_or(running)) {
            // The server-rendered answer (refetched every 2 s) is shown again.
            live.set(None);
            polling.set(true);
        }
    });
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
}

#[cfg(not(target_arch = "wasm32"))]
fn follow(_url: &str, _live: RwSignal<Option<ScanSummary>>, _polling: RwSignal<bool>) {}

#[component]
fn ScanState(summary: ScanSummary, cyclonedx: String, spdx: String) -> impl IntoView {
    let (message, _) = vulnerabilities(Some(&summary));
    let status = status_text(&summary);
    let running = running(&summary);
    let done = summary.state == "done";
    let checked = done && summary.vulnerabilities_checked();
    let share =
        if summary.layers_total == 0 { 0.0 } else { summary.layers_done as f64 * 100.0 / summary.layers_total as f64 };
    view! {
        <div class="space-y-3 rounded-lg border border-slate-200 bg-white p-4" data-testid="scan-state" data-state=summary.state.clone()>
            <p class="flex flex-wrap items-baseline gap-2">
                <span class="font-mono text-lg font-semibold" data-testid="scan-message">{message}</span>
                <span class="text-sm text-slate-600">{status}</span>
            </p>
            {running.then(|| view! {
                <div class="h-2 w-full overflow-hidden rounded bg-slate-100" data-testid="scan-progress">
                    <div class="h-2 bg-sky-600 transition-all" style=format!("width: {share:.0}%")></div>
                </div>
                <a class="text-sm text-sky-700 hover:underline" href="">"Refresh"</a>
            })}
            {(done && !checked).then(|| view! { <NotChecked /> })}
            {checked.then(|| view! { <SeverityChart summary=summary.clone() /> })}
            {done.then(|| view! {
                <div class="flex gap-3 text-sm">
                    <a class="text-sky-700 hover:underline" href=cyclonedx data-testid="sbom-cyclonedx">"CycloneDX SBOM"</a>
                    <a class="text-sky-700 hover:underline" href=spdx data-testid="sbom-spdx">"SPDX SBOM"</a>
                </div>
            })}
        </div>
        {checked.then(|| view! { <Findings findings=summary.findings.clone() /> })}
        {done.then(|| view! {
            <TuneUp checks=summary.checks.clone() wasted=summary.wasted_bytes efficiency=summary.efficiency />
        })}
    }
}

/// The line beside the headline: the scan's progress, or what was scanned and against what.
fn status_text(summary: &ScanSummary) -> String {
    match summary.state.as_str() {
        "queued" => "The scan is queued.".to_string(),
        "running" => format!("Scanning: {} of {} layers read.", summary.layers_done, summary.layers_total.max(1)),
        "failed" => format!("The scan failed: {}", summary.error.clone().unwrap_or_default()),
        "unavailable" => "Not scanned yet: a private image is scanned when a user who saved credentials for its registry opens it (or with shipshape scan REF --creds USER:PASS).".into(),
        "done" => {
            let ecosystems = if summary.ecosystems.len() > 1 {
                let parts: Vec<String> = summary.ecosystems.iter().map(|e| format!("{} {}", e.count, e.ecosystem)).collect();
                format!(" ({})", parts.join(", "))
            } else {
                String::new()
            };
            let advisories = match summary.vulndb_as_of.as_deref() {
                Some(as_of) => format!(" · vulnerability DB as of {}", timestamp(as_of)),
                None => String::new(),
            };
            format!(
                "{} · {}{ecosystems} · scanned {}{advisories}",
                summary.os.clone().unwrap_or_else(|| "unknown OS".into()),
                counted(summary.packages as u64, "package", "packages"),
                summary.scanned_at.as_deref().map(timestamp).unwrap_or_default(),
            )
        }
        _ => "Not scanned.".into(),
    }
}

/// Why there are no findings to show when no advisories are imported, and how to get them.
#[component]
fn NotChecked() -> impl IntoView {
    let command = |text: &'static str| view! { <code class="rounded bg-amber-100 px-1 font-mono">{text}</code> };
    view! {
        <p class="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900" data-testid="vulndb-missing">
            <strong>"Vulnerabilities were not checked: "</strong>
            "no advisory database is imported, so the image's packages were not matched against any advisory. Run "
            {command("shipshape vulndb sync")}
            " (downloads osv.dev's advisories), or "
            {command("shipshape vulndb import PATH")}
            " on a machine without internet access; scans already made are then matched against them, without reading the image again."
        </p>
    }
}

/// Findings per severity as one stacked bar, each part a filter link.
#[component]
fn SeverityChart(summary: ScanSummary) -> impl IntoView {
    let counts = summary.counts;
    let total = counts.total();
    let count = |name: &str| match name {
        "critical" => counts.critical,
        "high" => counts.high,
        "medium" => counts.medium,
        "low" => counts.low,
        _ => counts.unknown,
    };
    view! {
        <div class="space-y-1" data-testid="severity-chart">
            <div class="flex h-4 w-full overflow-hidden rounded bg-emerald-100">
                {SEVERITIES.iter().filter(|(s, _)| count(s) > 0).map(|(s, colour)| {
                    let width = format!("width: {:.2}%", count(s) as f64 * 100.0 / total.max(1) as f64);
                    view! { <div class=format!("h-4 {colour}") style=width title=format!("{} {s}", count(s))></div> }
                }).collect_view()}
            </div>
            <div class="flex flex-wrap gap-3 text-sm">
                {SEVERITIES.iter().map(|(s, colour)| view! {
                    <a class="inline-flex items-center gap-1 hover:underline" href=format!("?severity={s}") data-testid="severity-count" data-severity=*s>
                        <span class=format!("inline-block h-2.5 w-2.5 rounded-sm {colour}")></span>
                        {format!("{} {s}", count(s))}
                    </a>
                }).collect_view()}
                <a class="text-sky-700 hover:underline" href="?">"all"</a>
            </div>
        </div>
    }
}

#[component]
fn Findings(findings: Vec<FindingRow>) -> impl IntoView {
    let query = use_query_map();
    let findings = StoredValue::new(findings);
    let shown = move || {
        let wanted = query.read().get("severity");
        findings.with_value(|all| {
            all.iter().filter(|f| wanted.as_deref().is_none_or(|w| f.severity.as_str() == w)).cloned().collect::<Vec<_>>()
        })
    };
    view! {
        <div class="space-y-2">
            <h3 class="font-semibold">"Findings"</h3>
            {move || {
                let rows = shown();
                if rows.is_empty() {
                    view! { <p class="text-sm text-slate-500" data-testid="no-findings">"No findings."</p> }.into_any()
                } else {
                    view! {
                        <table class="w-full rounded-lg border border-slate-200 bg-white text-sm" data-testid="findings">
                            <thead class="text-left text-slate-500">
                                <tr>
                                    <th class="px-3 py-1.5 font-normal">"Severity"</th>
                                    <th class="px-3 py-1.5 font-normal">"ID"</th>
                                    <th class="px-3 py-1.5 font-normal">"Package"</th>
                                    <th class="px-3 py-1.5 font-normal">"Installed"</th>
                                    <th class="px-3 py-1.5 font-normal">"Fixed in"</th>
                                    <th class="px-3 py-1.5 font-normal">"Introduced by"</th>
                                </tr>
                            </thead>
                            <tbody class="divide-y divide-slate-200">
                                {rows.into_iter().map(|f| view! {
                                    <tr data-testid="finding" data-severity=f.severity.as_str()>
                                        <td class="px-3 py-1.5">{f.severity.as_str()}</td>
                                        <td class="px-3 py-1.5 font-mono" title=f.aliases.join(", ")>{f.id.clone()}</td>
                                        <td class="px-3 py-1.5">
                                            <span class="font-mono">{f.package.clone()}</span>
                                            {(!f.ecosystem.is_empty()).then(|| view! {
                                                <span class="ml-1 rounded bg-slate-100 px-1 text-xs text-slate-600">{f.ecosystem.clone()}</span>
                                            })}
                                        </td>
                                        <td class="px-3 py-1.5 font-mono">{f.version.clone()}</td>
                                        <td class="px-3 py-1.5 font-mono">{f.fixed_version.clone().unwrap_or_else(|| "no fix yet".into())}</td>
                                        <td class="px-3 py-1.5 font-mono text-xs" title=f.layer_digest.clone().unwrap_or_default()>
                                            {f.layer_command.clone().or(f.layer_digest.as_deref().map(|d| short_digest(d).to_string())).unwrap_or_default()}
                                        </td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }
            }}
        </div>
    }
}

#[component]
fn TuneUp(checks: Vec<CheckRow>, wasted: u64, efficiency: f64) -> impl IntoView {
    view! {
        <div class="space-y-2">
            <h3 class="font-semibold">"Security tune-up"</h3>
            <p class="text-sm text-slate-600">{format!("Image efficiency {:.1}%: {} in files a later layer replaces or deletes.", efficiency * 100.0, human_size(wasted))}</p>
            {if checks.is_empty() {
                view! { <p class="text-sm text-slate-500">"Nothing to tune up."</p> }.into_any()
            } else {
                view! {
                    <ul class="space-y-2" data-testid="checks">
                        {checks.into_iter().map(|c| view! {
                            <li class="rounded-lg border border-slate-200 bg-white p-3 text-sm" data-testid="check" data-check=c.id.clone()>
                                <p class="font-medium"><span class="mr-2 rounded bg-slate-100 px-1.5 text-xs uppercase">{c.severity.as_str()}</span>{c.title.clone()}</p>
                                <p class="text-slate-700">{c.detail.clone()}</p>
                                {c.layer_command.clone().map(|cmd| view! { <p class="font-mono text-xs text-slate-500">{format!("layer: {cmd}")}</p> })}
                                <p class="text-slate-600">{format!("Fix: {}", c.fix)}</p>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </div>
    }
}

//! Which digests the tag has named, newest first, and when Shipshape saw each.

use leptos::prelude::*;

use crate::dto::ImageReport;
use crate::format::{short_digest, timestamp};

#[component]
pub fn TagHistory(report: StoredValue<ImageReport>) -> impl IntoView {
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

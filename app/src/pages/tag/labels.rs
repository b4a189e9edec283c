//! The image's labels as a table; values that are web addresses are links.

use std::collections::BTreeMap;

use leptos::prelude::*;

use super::is_web_link;

#[component]
pub fn Labels(labels: BTreeMap<String, String>) -> impl IntoView {
    let body = if labels.is_empty() {
        view! { <p class="text-sm text-slate-500">"No labels. OCI labels (org.opencontainers.image.*) let tools show version, source and license."</p> }.into_any()
    } else {
        view! {
            <table class="w-full table-fixed rounded-lg border border-slate-200 bg-white text-sm" data-testid="labels">
                <tbody class="divide-y divide-slate-200">
                    {labels.into_iter().map(|(key, value)| view! { <LabelRow key value /> }).collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    };
    view! {
        <section class="space-y-2">
            <h2 class="text-lg font-semibold">"Labels"</h2>
            {body}
        </section>
    }
}

#[component]
fn LabelRow(key: String, value: String) -> impl IntoView {
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
}

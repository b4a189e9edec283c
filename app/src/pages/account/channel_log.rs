//! `/account/notifications/channels/:id`: a channel's newest deliveries, every attempt with the
//! receiver's answer, "Redeliver" (same webhook-id) and "Send test".

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::notifications::{ChannelState, kind_label};
use super::{BUTTON, Flash, SMALL_BUTTON, TABLE_HEAD, account_resource, body_or_error, when};
use crate::components::error_panel::{ErrorPanel, Loading};
use crate::dto::{AttemptRow, ChannelLogPage, DeliveryRow};
use crate::error::AppError;
use crate::server_fns::channel_log;

/// Where a visitor who is not signed in comes back to after logging in.
const PATH: &str = "/account/notifications";
/// Of a receiver's answer, what a table cell shows (the log keeps the rest).
const EXCERPT_CHARS: usize = 160;

#[component]
pub fn ChannelLogRoute() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").and_then(|id| id.parse::<i64>().ok()));
    // Made anew for each channel, so moving from one log to another loads the other's.
    move || match id.get() {
        Some(id) => view! { <ChannelLogView id /> }.into_any(),
        None => {
            let error = AppError::NotFound("no such channel: pick one on your notifications page".into());
            view! { <ErrorPanel error /> }.into_any()
        }
    }
}

#[component]
fn ChannelLogView(id: i64) -> impl IntoView {
    let log = account_resource(PATH, move || channel_log(id));
    view! {
        <Title text="Delivery log" />
        <section class="space-y-6" data-testid="channel-log-page">
            <p class="text-sm"><a class="text-sky-700 hover:underline" href=PATH>"← Notifications"</a></p>
            <Flash />
            <Suspense fallback=|| view! { <Loading what="Loading the deliveries…" /> }>
                {move || Suspend::new(async move {
                    body_or_error(PATH, log.await, |page| view! { <Log page /> }.into_any())
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Log(page: ChannelLogPage) -> impl IntoView {
    let ChannelLogPage { channel, deliveries } = page;
    let channel_id = channel.id;
    view! {
        <header class="space-y-2">
            <h1 class="text-2xl font-semibold" data-testid="channel-name">{channel.name.clone()}</h1>
            <p class="text-sm text-slate-600">
                {kind_label(&channel.kind, channel.cloudevents)} " to "
                <span class="break-all font-mono">{channel.target.clone()}</span>
            </p>
            <div class="text-sm"><ChannelState channel=channel.clone() /></div>
            <form method="post" action="/account/channels/test">
                <input type="hidden" name="id" value=channel_id.to_string() />
                <button type="submit" class=BUTTON data-testid="channel-test">"Send test"</button>
            </form>
        </header>
        {if deliveries.is_empty() {
            view! { <p class="text-slate-600" data-testid="no-deliveries">"Nothing was sent through this channel yet."</p> }.into_any()
        } else {
            view! {
                <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white">
                    <table class="w-full text-sm" data-testid="delivery-table">
                        <thead class=TABLE_HEAD>
                            <tr>
                                <th class="px-3 py-2 font-medium">"Time"</th>
                                <th class="px-3 py-2 font-medium">"Event"</th>
                                <th class="px-3 py-2 font-medium">"Webhook-id"</th>
                                <th class="px-3 py-2 font-medium">"State"</th>
                                <th class="px-3 py-2 font-medium">"Attempts"</th>
                                <th class="px-3 py-2 font-medium"><span class="sr-only">"Action"</span></th>
                            </tr>
                        </thead>
                        <tbody class="divide-y divide-slate-200">
                            {deliveries.into_iter().map(|delivery| view! { <DeliveryLine channel_id delivery /> }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
    }
}

#[component]
fn DeliveryLine(channel_id: i64, delivery: DeliveryRow) -> impl IntoView {
    let state_class = match delivery.state.as_str() {
        "delivered" => "text-green-800",
        "failed" => "font-medium text-red-800",
        _ => "text-slate-600",
    };
    view! {
        <tr class="align-top" data-testid="delivery-row" data-event=delivery.event_type.clone() data-state=delivery.state.clone()>
            <td class="px-3 py-2 whitespace-nowrap">{when(Some(delivery.created_at.as_str()), "–")}</td>
            <td class="px-3 py-2 font-mono text-xs">{delivery.event_type.clone()}</td>
            <td class="px-3 py-2 break-all font-mono text-xs">{delivery.webhook_id.clone()}</td>
            <td class=format!("px-3 py-2 {state_class}") data-testid="delivery-state">{delivery.state.clone()}</td>
            <td class="px-3 py-2">
                <ol class="space-y-1">
                    {delivery.attempts.into_iter().map(|attempt| view! { <Attempt attempt /> }).collect_view()}
                </ol>
            </td>
            <td class="px-3 py-2 text-right">
                <form method="post" action="/account/deliveries/redeliver">
                    <input type="hidden" name="delivery" value=delivery.id.to_string() />
                    <input type="hidden" name="channel" value=channel_id.to_string() />
                    <button type="submit" class=SMALL_BUTTON data-testid="delivery-redeliver">"Redeliver"</button>
                </form>
            </td>
        </tr>
    }
}

/// `text` cut at `max` characters, marked when cut.
fn excerpt(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

#[component]
fn Attempt(attempt: AttemptRow) -> impl IntoView {
    let code = attempt.response_code.map_or_else(|| "no answer".to_string(), |c| format!("HTTP {c}"));
    view! {
        <li class="text-xs" data-testid="delivery-attempt" data-status=attempt.status.clone()>
            <span class="font-medium">"#" {attempt.attempt}</span> " "
            <span class="font-mono" data-testid="attempt-code">{code}</span>
            " · " {format!("{} ms", attempt.duration_ms)} " · " {when(Some(attempt.at.as_str()), "–")}
            <div class="break-all text-slate-600" title=attempt.detail.clone() data-testid="attempt-detail">
                {excerpt(&attempt.detail, EXCERPT_CHARS)}
            </div>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_answer_is_cut_on_a_character() {
        assert_eq!(excerpt("short", 10), "short");
        assert_eq!(excerpt("ééééé", 3), "ééé…");
    }
}

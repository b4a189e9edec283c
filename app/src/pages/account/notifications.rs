//! `/account/notifications`: the user's channels (where notifications go; never a secret, except
//! a new webhook's signing secret, once), with send test, log, delete and "enable again"; the form
//! that adds one; and the user's watches.

use leptos::prelude::*;
use leptos_meta::Title;

use super::channel_form::ChannelForm;
use super::watch_list::Watches;
use super::{Flash, SMALL_BUTTON, TABLE_HEAD, account_resource, body_or_error, when};
use crate::components::error_panel::Loading;
use crate::components::secret_box::SecretBox;
use crate::dto::{ChannelRow, NotificationsPage};
use crate::server_fns::notifications;

const PATH: &str = "/account/notifications";

#[component]
pub fn NotificationSettingsPage() -> impl IntoView {
    let page = account_resource(PATH, notifications);
    view! {
        <Title text="Notifications" />
        <section class="space-y-6" data-testid="notifications-page">
            <header class="space-y-1">
                <h1 class="text-2xl font-semibold">"Notifications"</h1>
                <p class="text-sm text-slate-600">
                    "Watch a repository or a tag from its page, and hear about it through your channels: "
                    "a new or moved tag, an updated base image, vulnerabilities found."
                </p>
            </header>
            <Flash />
            <Suspense fallback=|| view! { <Loading what="Loading your channels and watches…" /> }>
                {move || Suspend::new(async move {
                    body_or_error(PATH, page.await, |page| view! { <Notifications page /> }.into_any())
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Notifications(page: NotificationsPage) -> impl IntoView {
    let NotificationsPage { channels, watches, email_enabled, fresh_secret, fresh_hook } = page;
    view! {
        {fresh_secret.map(|secret| {
            let title = format!("The signing secret of “{}”", secret.name);
            view! {
                <SecretBox secret title>
                    "Shown once: copy it now, this page will not show it again. Your receiver checks each "
                    "delivery's " <code class="rounded bg-white px-1">"webhook-signature"</code>
                    " header with it (Standard Webhooks)."
                </SecretBox>
            }
        })}
        {fresh_hook.map(|secret| {
            let title = format!("The refresh hook of your watch of {}", secret.name);
            view! {
                <SecretBox secret title>
                    "Shown once: copy it now. A POST to this URL (for example "
                    <code class="rounded bg-white px-1">"curl -X POST <URL>"</code>
                    " as the last step of your build) re-checks the watched tags at once instead of at the next round."
                </SecretBox>
            }
        })}
        <section class="space-y-3">
            <h2 class="text-lg font-semibold">"Channels"</h2>
            <Channels channels />
        </section>
        <ChannelForm email_enabled />
        <section class="space-y-3">
            <h2 class="text-lg font-semibold">"Watches"</h2>
            <Watches watches />
        </section>
    }
}

#[component]
fn Channels(channels: Vec<ChannelRow>) -> impl IntoView {
    if channels.is_empty() {
        return view! {
            <p class="text-slate-600" data-testid="no-channels">"You have no channels yet: add one below."</p>
        }
        .into_any();
    }
    view! {
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white">
            <table class="w-full text-sm" data-testid="channel-table">
                <thead class=TABLE_HEAD>
                    <tr>
                        <th class="px-3 py-2 font-medium">"Name"</th>
                        <th class="px-3 py-2 font-medium">"Kind"</th>
                        <th class="px-3 py-2 font-medium">"Target"</th>
                        <th class="px-3 py-2 font-medium">"State"</th>
                        <th class="px-3 py-2 font-medium"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-200">
                    {channels.into_iter().map(|channel| view! { <ChannelLine channel /> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// "webhook (CloudEvents)", "GitHub dispatch": the kind as a reader says it.
pub fn kind_label(kind: &str, cloudevents: bool) -> String {
    match kind {
        "webhook" if cloudevents => "webhook (CloudEvents)".into(),
        "github_dispatch" => "GitHub dispatch".into(),
        "email" => "e-mail".into(),
        "slack" => "Slack".into(),
        other => other.into(),
    }
}

#[component]
fn ChannelLine(channel: ChannelRow) -> impl IntoView {
    let id = channel.id.to_string();
    let log = format!("/account/notifications/channels/{}", channel.id);
    let delete_label = format!("Delete channel {}", channel.name);
    let test_label = format!("Send a test through {}", channel.name);
    view! {
        <tr data-testid="channel-row" data-name=channel.name.clone() data-disabled=channel.disabled_at.is_some().to_string()>
            <td class="px-3 py-2 font-medium">{channel.name.clone()}</td>
            <td class="px-3 py-2">{kind_label(&channel.kind, channel.cloudevents)}</td>
            <td class="px-3 py-2 break-all font-mono text-xs">{channel.target.clone()}</td>
            <td class="px-3 py-2"><ChannelState channel=channel.clone() /></td>
            <td class="px-3 py-2">
                <div class="flex flex-wrap items-center justify-end gap-2">
                    <form method="post" action="/account/channels/test">
                        <input type="hidden" name="id" value=id.clone() />
                        <button type="submit" class=SMALL_BUTTON aria-label=test_label data-testid="channel-test">"Send test"</button>
                    </form>
                    <a href=log class=SMALL_BUTTON data-testid="channel-log">"Log"</a>
                    <form method="post" action="/account/channels/delete">
                        <input type="hidden" name="id" value=id />
                        <button type="submit" class=SMALL_BUTTON aria-label=delete_label data-testid="channel-delete">"Delete"</button>
                    </form>
                </div>
            </td>
        </tr>
    }
}

/// Active, failing since when, or disabled with the reason and a button to turn it back on.
#[component]
pub fn ChannelState(channel: ChannelRow) -> impl IntoView {
    if let Some(disabled_at) = channel.disabled_at.as_deref() {
        let reason = channel.disabled_reason.clone().unwrap_or_else(|| "deliveries kept failing".into());
        return view! {
            <div class="space-y-1" data-testid="channel-state" data-state="disabled">
                <p class="rounded border border-red-300 bg-red-50 px-2 py-1 font-medium text-red-900">
                    "disabled: " {reason}
                </p>
                <p class="text-xs text-slate-500">"since " {when(Some(disabled_at), "–")} "; fix the receiver, then:"</p>
                <form method="post" action="/account/channels/enable">
                    <input type="hidden" name="id" value=channel.id.to_string() />
                    <button type="submit" class=SMALL_BUTTON data-testid="channel-enable">"Enable again"</button>
                </form>
            </div>
        }
        .into_any();
    }
    match channel.failing_since.as_deref() {
        Some(since) => view! {
            <span class="text-amber-800" data-testid="channel-state" data-state="failing">
                "failing since " {when(Some(since), "–")}
            </span>
        }
        .into_any(),
        None => view! { <span class="text-green-800" data-testid="channel-state" data-state="active">"active"</span> }.into_any(),
    }
}

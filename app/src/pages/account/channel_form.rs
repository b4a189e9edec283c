//! The "Add channel" form of `/account/notifications`: one plain form for every kind, its fields
//! grouped by the kinds they are for, so it needs no script to switch between them.

use leptos::prelude::*;

use super::{BUTTON, Field, INPUT, SECTION, kept};

const KINDS: &[(&str, &str)] =
    &[("webhook", "Webhook"), ("slack", "Slack"), ("email", "E-mail"), ("github_dispatch", "GitHub repository_dispatch")];

#[component]
pub fn ChannelForm(email_enabled: bool) -> impl IntoView {
    let chosen = kept("kind").unwrap_or_else(|| "webhook".into());
    let cloudevents = kept("cloudevents").is_some();
    let options = KINDS
        .iter()
        .filter(|(kind, _)| email_enabled || *kind != "email")
        .map(|(kind, label)| view! { <option value=*kind selected={chosen == *kind}>{*label}</option> })
        .collect_view();
    view! {
        <section class=SECTION>
            <h2 class="text-lg font-semibold">"Add channel"</h2>
            <form method="post" action="/account/channels" class="space-y-4" data-testid="channel-form">
                <div class="grid max-w-xl gap-3 sm:grid-cols-2">
                    <Field label="Name" name="name" placeholder="ci-hook" value=kept("name").unwrap_or_default() />
                    <label class="block space-y-1 text-sm">
                        <span class="block font-medium text-slate-700">"Kind"</span>
                        <select name="kind" class=INPUT data-testid="channel-kind">{options}</select>
                    </label>
                </div>
                <fieldset class="max-w-xl space-y-2 rounded-md border border-slate-200 p-3">
                    <legend class="px-1 text-sm font-medium text-slate-700">"Webhook or Slack"</legend>
                    <Field label="URL" name="url" kind="url" required=false placeholder="https://ci.example/hooks/shipshape"
                        value=kept("url").unwrap_or_default() />
                    <label class="flex items-center gap-2 text-sm">
                        <input type="checkbox" name="cloudevents" checked=cloudevents />
                        "Send CloudEvents 1.0 (webhooks only; else the Standard Webhooks body)"
                    </label>
                    <p class="text-xs text-slate-500">
                        "A webhook gets a signing secret, shown once after saving. A Slack URL is kept secret: only its host is shown."
                    </p>
                </fieldset>
                {email_enabled.then(|| view! {
                    <fieldset class="max-w-xl space-y-2 rounded-md border border-slate-200 p-3">
                        <legend class="px-1 text-sm font-medium text-slate-700">"E-mail"</legend>
                        <Field label="E-mail address" name="to" kind="email" required=false value=kept("to").unwrap_or_default() />
                    </fieldset>
                })}
                <fieldset class="grid max-w-xl gap-3 rounded-md border border-slate-200 p-3 sm:grid-cols-2">
                    <legend class="px-1 text-sm font-medium text-slate-700">"GitHub repository_dispatch"</legend>
                    <Field label="GitHub repository" name="repository" required=false placeholder="owner/name"
                        value=kept("repository").unwrap_or_default() />
                    <Field label="GitHub token" name="token" kind="password" required=false />
                    <Field label="Event type" name="event_type" required=false placeholder="shipshape"
                        value=kept("event_type").unwrap_or_default() />
                    <Field label="GitHub API URL" name="api_url" kind="url" required=false placeholder="https://api.github.com"
                        value=kept("api_url").unwrap_or_default() />
                    <p class="text-xs text-slate-500 sm:col-span-2">
                        "A fine-grained token with Contents read and write on the repository; it is encrypted and never shown again."
                    </p>
                </fieldset>
                {(!email_enabled).then(|| view! {
                    <p class="text-xs text-slate-500" data-testid="email-off">
                        "E-mail channels are off on this server: its operator sets SHIPSHAPE_SMTP_URL to turn them on."
                    </p>
                })}
                <button type="submit" class=BUTTON data-testid="channel-save">"Add channel"</button>
            </form>
        </section>
    }
}

//! The image pages' "Watch" panel: a signed-in user watches the repository (or the tag) through
//! their channels, with a plain form posting to `/account/watches`; an anonymous visitor is offered
//! to log in. A user without a channel is sent to add one first.

use leptos::prelude::*;

use crate::codec::resource;
use crate::dto::{ChannelChoice, WATCH_EVENTS};
use crate::links::image_href;
use crate::pages::account::{BUTTON, Flash, INPUT, login_href};
use crate::server_fns::watch_channels;

const PANEL: &str = "space-y-3 rounded-lg border border-slate-200 bg-white p-5";

/// `repository` as `registry/name`; `tag` on a tag page.
#[component]
pub fn WatchSection(repository: String, tag: Option<String>) -> impl IntoView {
    let channels = resource(|| (), |()| watch_channels());
    let here = match &tag {
        Some(tag) => image_href(&format!("{repository}:{tag}")),
        None => image_href(&repository),
    };
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let (repository, tag, here) = (repository.clone(), tag.clone(), here.clone());
                Suspend::new(async move {
                    match channels.await {
                        Ok(Some(channels)) => view! { <Panel repository tag channels /> }.into_any(),
                        Ok(None) => view! {
                            <p class="text-sm" data-testid="watch-login">
                                <a class="text-sky-700 hover:underline" href=login_href(&here)>
                                    "Log in to get notified when this image or its base changes"
                                </a>
                            </p>
                        }
                        .into_any(),
                        // The page works without the panel; its own errors are what matter here.
                        Err(_) => ().into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// Ticked at first: on a tag page, the tag moving and its base being updated (time to rebuild);
/// on a repository page, new and moved tags.
fn ticked_by_default(event: &str, tag_page: bool) -> bool {
    if tag_page { matches!(event, "tag.updated" | "base.updated") } else { matches!(event, "tag.created" | "tag.updated") }
}

#[component]
fn Panel(repository: String, tag: Option<String>, channels: Vec<ChannelChoice>) -> impl IntoView {
    let tag_page = tag.is_some();
    let what = if tag_page { "this tag" } else { "this repository" };
    let body = if channels.is_empty() {
        view! {
            <p class="text-sm text-slate-600" data-testid="watch-no-channel">
                "To be notified you need a channel (a webhook, Slack, e-mail or GitHub): "
                <a class="text-sky-700 hover:underline" href="/account/notifications" data-testid="watch-add-channel">"add one"</a>
                ", then come back here."
            </p>
        }
        .into_any()
    } else {
        view! { <WatchForm repository tag channels /> }.into_any()
    };
    view! {
        <section class=PANEL data-testid="watch-panel">
            <h2 class="text-lg font-semibold">"Watch"</h2>
            <p class="text-sm text-slate-600">{format!("Get notified when {what} or its base image changes.")}</p>
            <Flash />
            {body}
        </section>
    }
}

#[component]
fn WatchForm(repository: String, tag: Option<String>, channels: Vec<ChannelChoice>) -> impl IntoView {
    let tag_page = tag.is_some();
    let events = WATCH_EVENTS
        .iter()
        .map(|(event, meaning)| {
            view! {
                <label class="flex items-center gap-2 text-sm">
                    <input type="checkbox" name="events" value=*event checked=ticked_by_default(event, tag_page) />
                    <span class="font-mono text-xs">{*event}</span>
                    <span class="text-slate-600">{*meaning}</span>
                </label>
            }
        })
        .collect_view();
    let channels = channels
        .into_iter()
        .map(|c| {
            let label = if c.disabled { format!("{} ({}, disabled)", c.name, c.kind) } else { format!("{} ({})", c.name, c.kind) };
            view! {
                <label class="flex items-center gap-2 text-sm">
                    <input type="checkbox" name="channels" value=c.id.to_string() checked=!c.disabled data-testid="watch-channel" />
                    {label}
                </label>
            }
        })
        .collect_view();
    view! {
        <form method="post" action="/account/watches" class="space-y-3" data-testid="watch-form">
            <input type="hidden" name="repository" value=repository />
            {tag.map(|tag| view! { <input type="hidden" name="tag" value=tag /> })}
            <fieldset class="space-y-1">
                <legend class="text-sm font-medium text-slate-700">"Events"</legend>
                {events}
            </fieldset>
            <fieldset class="space-y-1">
                <legend class="text-sm font-medium text-slate-700">"Through"</legend>
                {channels}
            </fieldset>
            <details class="text-sm">
                <summary class="cursor-pointer text-slate-700">"More options"</summary>
                <div class="mt-2 grid max-w-xl gap-3">
                    {(!tag_page).then(|| view! {
                        <label class="block space-y-1">
                            <span class="block font-medium text-slate-700">"Only tags matching (one regex a line)"</span>
                            <textarea name="include" rows="2" class=INPUT placeholder="^3\\."></textarea>
                        </label>
                        <label class="block space-y-1">
                            <span class="block font-medium text-slate-700">"Except tags matching (one regex a line)"</span>
                            <textarea name="exclude" rows="2" class=INPUT placeholder="-rc"></textarea>
                        </label>
                    })}
                    <label class="block space-y-1">
                        <span class="block font-medium text-slate-700">"Vulnerabilities from severity"</span>
                        <select name="min_severity" class=INPUT>
                            <option value="" selected=true>"any"</option>
                            <option value="low">"low"</option>
                            <option value="medium">"medium"</option>
                            <option value="high">"high"</option>
                            <option value="critical">"critical"</option>
                        </select>
                    </label>
                </div>
            </details>
            <button type="submit" class=BUTTON data-testid="watch-submit">"Watch"</button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_page_ticks_rebuild_events_and_a_repository_page_new_tags() {
        let ticked = |tag_page| WATCH_EVENTS.iter().filter(|(e, _)| ticked_by_default(e, tag_page)).map(|(e, _)| *e).collect::<Vec<_>>();
        assert_eq!(ticked(true), ["tag.updated", "base.updated"]);
        assert_eq!(ticked(false), ["tag.created", "tag.updated"]);
    }
}

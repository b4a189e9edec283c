//! The watches table of `/account/notifications`: what each watch follows, for which events,
//! through which channels; and delete. Watches are made on the image pages ("Watch" panel).

use leptos::prelude::*;

use super::{SMALL_BUTTON, TABLE_HEAD};
use crate::dto::WatchRow;
use crate::links::image_href;

#[component]
pub fn Watches(watches: Vec<WatchRow>) -> impl IntoView {
    if watches.is_empty() {
        return view! {
            <p class="text-slate-600" data-testid="no-watches">
                "You watch nothing yet: open an image's page and use its “Watch” panel."
            </p>
        }
        .into_any();
    }
    view! {
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white">
            <table class="w-full text-sm" data-testid="watch-table">
                <thead class=TABLE_HEAD>
                    <tr>
                        <th class="px-3 py-2 font-medium">"Repository"</th>
                        <th class="px-3 py-2 font-medium">"Tags"</th>
                        <th class="px-3 py-2 font-medium">"Events"</th>
                        <th class="px-3 py-2 font-medium">"Channels"</th>
                        <th class="px-3 py-2 font-medium"><span class="sr-only">"Action"</span></th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-200">
                    {watches.into_iter().map(|watch| view! { <WatchLine watch /> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// "1.1", or "all", or "include ^3\. · exclude rc": which tags a watch follows.
fn tags_watched(watch: &WatchRow) -> String {
    if let Some(tag) = &watch.tag {
        return tag.clone();
    }
    let mut parts = Vec::new();
    if !watch.include.is_empty() {
        parts.push(format!("include {}", watch.include.join(", ")));
    }
    if !watch.exclude.is_empty() {
        parts.push(format!("exclude {}", watch.exclude.join(", ")));
    }
    if parts.is_empty() { "all tags".into() } else { parts.join(" · ") }
}

#[component]
fn WatchLine(watch: WatchRow) -> impl IntoView {
    let target = match &watch.tag {
        Some(tag) => format!("{}:{tag}", watch.repository),
        None => watch.repository.clone(),
    };
    let delete_label = format!("Stop watching {target}");
    let mut events = watch.events.join(", ");
    if let Some(severity) = &watch.min_severity {
        events.push_str(&format!(" (from {severity})"));
    }
    view! {
        <tr data-testid="watch-row" data-target=target.clone()>
            <td class="px-3 py-2 break-all font-mono">
                <a class="text-sky-700 hover:underline" href=image_href(&target)>{watch.repository.clone()}</a>
            </td>
            <td class="px-3 py-2 font-mono text-xs" data-testid="watch-tags">{tags_watched(&watch)}</td>
            <td class="px-3 py-2 text-xs" data-testid="watch-events">{events}</td>
            <td class="px-3 py-2 text-xs">{watch.channels.join(", ")}</td>
            <td class="px-3 py-2 text-right">
                <form method="post" action="/account/watches/delete">
                    <input type="hidden" name="id" value=watch.id.to_string() />
                    <button type="submit" class=SMALL_BUTTON aria-label=delete_label data-testid="watch-delete">"Delete"</button>
                </form>
            </td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watch(tag: Option<&str>, include: &[&str], exclude: &[&str]) -> WatchRow {
        WatchRow {
            id: 1,
            repository: "docker.io/library/alpine".into(),
            tag: tag.map(str::to_string),
            include: include.iter().map(|s| s.to_string()).collect(),
            exclude: exclude.iter().map(|s| s.to_string()).collect(),
            events: vec!["tag.updated".into()],
            min_severity: None,
            channels: vec!["ci".into()],
            created_at: "2026-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn a_watch_says_which_tags_it_follows() {
        assert_eq!(tags_watched(&watch(Some("3.20"), &[], &[])), "3.20");
        assert_eq!(tags_watched(&watch(None, &[], &[])), "all tags");
        assert_eq!(tags_watched(&watch(None, &["^3\\."], &["rc"])), "include ^3\\. · exclude rc");
    }
}

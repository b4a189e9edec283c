//! The repository page: every tag with its digest, size, layers, platforms and dates; sortable by
//! version or date, filterable; links work without JavaScript (`?sort=`, `?q=`, `?after=`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::codec::resource;
use crate::components::badge_token::BadgeTokenSection;
use crate::components::error_panel::{ErrorPanel, Loading, set_page_status};
use crate::components::layout::PageLoad;
use crate::components::watch_panel::WatchSection;
use crate::dto::{RepositoryTags, TagSummary};
use crate::format::{counted, human_size, short_digest, timestamp};
use crate::links::image_href;
use crate::reference::ImageReference;
use crate::server_fns::list_repository_tags;
use crate::tag_order::by_version_desc;

const PAGE_SIZE: usize = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sort {
    Version,
    Date,
    Name,
}

impl Sort {
    fn parse(text: Option<&str>) -> Self {
        match text {
            Some("date") => Sort::Date,
            Some("name") => Sort::Name,
            _ => Sort::Version,
        }
    }

    fn key(self) -> &'static str {
        match self {
            Sort::Version => "version",
            Sort::Date => "date",
            Sort::Name => "name",
        }
    }

    fn apply(self, tags: &mut [TagSummary]) {
        match self {
            Sort::Version => tags.sort_by(|a, b| by_version_desc(&a.name, &b.name)),
            // RFC 3339 in UTC sorts as text; tags never inspected go last.
            Sort::Date => tags.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.name.cmp(&b.name))),
            Sort::Name => tags.sort_by(|a, b| a.name.cmp(&b.name)),
        }
    }
}

#[component]
pub fn RepositoryView(repository: ImageReference) -> impl IntoView {
    let path = repository.repository_path();
    let title = repository.familiar();
    let query = use_query_map();
    let tags = resource(
        {
            let path = path.clone();
            move || (path.clone(), query.read().get("after"))
        },
        |(path, after)| list_repository_tags(path, PAGE_SIZE, after),
    );
    // Listing reads (and stores) each tag's manifest: the footer counts after it.
    PageLoad::stores_with(tags);
    let badge_repository = path.clone();
    let watch_repository = path.clone();
    view! {
        <Title text=title />
        <section class="space-y-6" data-testid="repository-page">
            <header class="space-y-1">
                <p class="text-sm text-slate-500">"Repository"</p>
                <h1 class="break-all font-mono text-2xl font-semibold">{path}</h1>
            </header>
            <Suspense fallback=|| view! { <Loading what="Listing tags and reading each one's manifest…" /> }>
                {move || Suspend::new(async move {
                    match tags.await {
                        Ok(tags) => view! { <TagTable tags /> }.into_any(),
                        Err(error) => {
                            set_page_status(&error);
                            view! { <ErrorPanel error /> }.into_any()
                        }
                    }
                })}
            </Suspense>
            <WatchSection repository=watch_repository tag=None />
            <BadgeTokenSection repository=badge_repository />
        </section>
    }
}

#[component]
fn TagTable(tags: RepositoryTags) -> impl IntoView {
    let query = use_query_map();
    let sort = Memo::new(move |_| Sort::parse(query.read().get("sort").as_deref()));
    let initial_filter = query.read_untracked().get("q").unwrap_or_default();
    let (filter, set_filter) = signal(initial_filter.clone());
    let repository = tags.repository.clone();
    let rows = StoredValue::new(tags.tags.clone());
    let visible = Memo::new(move |_| {
        let needle = filter.get().trim().to_lowercase();
        let mut shown: Vec<TagSummary> =
            rows.with_value(|r| r.iter().filter(|t| t.name.to_lowercase().contains(&needle)).cloned().collect());
        sort.get().apply(&mut shown);
        shown
    });
    let sort_link = move |to: Sort, label: &'static str| {
        let q = filter.get();
        let mut href = format!("?sort={}", to.key());
        if !q.is_empty() {
            href.push_str(&format!("&q={}", crate::format::query_escape(&q)));
        }
        view! {
            <a href=href aria-current=move || (sort.get() == to).then_some("true")
               class="rounded px-2 py-0.5 hover:bg-slate-200 aria-[current=true]:bg-slate-800 aria-[current=true]:text-white">
                {label}
            </a>
        }
    };
    let next = tags.next.clone().map(|after| format!("?after={}", crate::format::query_escape(&after)));
    view! {
        <div class="flex flex-wrap items-center justify-between gap-3">
            <form method="get" class="flex gap-2" role="search">
                <input type="hidden" name="sort" value=move || sort.get().key() />
                <input
                    name="q"
                    type="search"
                    placeholder="Filter tags"
                    aria-label="Filter tags"
                    data-testid="tag-filter"
                    class="rounded-md border border-slate-300 px-3 py-1.5 text-sm"
                    value=initial_filter
                    on:input=move |ev| set_filter.set(event_target_value(&ev))
                />
                <noscript><button class="rounded-md border border-slate-300 px-3 py-1.5 text-sm">"Filter"</button></noscript>
            </form>
            <div class="flex items-center gap-1 text-sm text-slate-600" data-testid="tag-sort">
                "Sort by " {move || sort_link(Sort::Version, "version")} {move || sort_link(Sort::Date, "date")} {move || sort_link(Sort::Name, "name")}
            </div>
        </div>
        <p class="text-sm text-slate-500">
            {counted(tags.total as u64, "tag", "tags")}
            {tags.private.then_some(" · private repository")}
        </p>
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white">
            <table class="w-full text-sm" data-testid="tag-table">
                <thead class="bg-slate-50 text-left text-slate-500">
                    <tr>
                        <th class="px-3 py-2 font-medium">"Tag"</th>
                        <th class="px-3 py-2 font-medium">"Digest"</th>
                        <th class="px-3 py-2 text-right font-medium">"Size"</th>
                        <th class="px-3 py-2 text-right font-medium">"Layers"</th>
                        <th class="px-3 py-2 font-medium">"Platforms"</th>
                        <th class="px-3 py-2 font-medium">"Created"</th>
                        <th class="px-3 py-2 font-medium">"Last changed"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-200">
                    {move || {
                        let repository = repository.clone();
                        visible.get().into_iter().map(|tag| view! { <TagRow repository=repository.clone() tag /> }).collect_view()
                    }}
                </tbody>
            </table>
        </div>
        {next.map(|href| view! { <a class="inline-block text-sky-700 hover:underline" href=href>"Next page →"</a> })}
    }
}

#[component]
fn TagRow(repository: String, tag: TagSummary) -> impl IntoView {
    let t = tag;
    let href = image_href(&format!("{repository}:{}", t.name));
    let dash = || "–".to_string();
    view! {
        <tr data-testid="tag-row" data-tag=t.name.clone()>
            <td class="px-3 py-2 font-mono"><a class="text-sky-700 hover:underline" href=href>{t.name.clone()}</a></td>
            <td class="px-3 py-2 font-mono text-slate-600">{t.digest.as_deref().map(|d| short_digest(d).to_string()).unwrap_or_else(dash)}</td>
            <td class="px-3 py-2 text-right font-mono">{t.size.map(human_size).unwrap_or_else(dash)}</td>
            <td class="px-3 py-2 text-right font-mono">{t.layers.map(|l| l.to_string()).unwrap_or_else(dash)}</td>
            <td class="px-3 py-2 font-mono text-xs">{if t.platforms.is_empty() { dash() } else { t.platforms.join(" ") }}</td>
            <td class="px-3 py-2 whitespace-nowrap">{t.created.as_deref().map(timestamp).unwrap_or_else(dash)}</td>
            <td class="px-3 py-2 whitespace-nowrap">{t.last_changed.as_deref().map(timestamp).unwrap_or_else(dash)}</td>
        </tr>
    }
}

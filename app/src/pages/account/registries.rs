//! `/account/registries`: the user's saved registry credentials (never the password), add, delete
//! and "test connection".

use leptos::prelude::*;
use leptos_meta::Title;

use super::{BUTTON, Field, Flash, SECTION, SMALL_BUTTON, TABLE_HEAD, account_resource, body_or_error, kept, when};
use crate::components::error_panel::Loading;
use crate::dto::RegistryRow;
use crate::server_fns::saved_registries;

const PATH: &str = "/account/registries";

#[component]
pub fn RegistriesPage() -> impl IntoView {
    let registries = account_resource(PATH, saved_registries);
    view! {
        <Title text="Registry credentials" />
        <section class="space-y-6" data-testid="registries-page">
            <header class="space-y-1">
                <h1 class="text-2xl font-semibold">"Registry credentials"</h1>
                <p class="text-sm text-slate-600">
                    "With your credentials for a registry, Shipshape reads its private repositories for you; "
                    "they are shown to you and to nobody else."
                </p>
            </header>
            <Flash />
            <Suspense fallback=|| view! { <Loading what="Loading your registries…" /> }>
                {move || Suspend::new(async move {
                    body_or_error(PATH, registries.await, |rows| view! { <Registries rows /> }.into_any())
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Registries(rows: Vec<RegistryRow>) -> impl IntoView {
    view! {
        {if rows.is_empty() {
            view! { <p class="text-slate-600" data-testid="no-registries">"You have saved no registry credentials."</p> }.into_any()
        } else {
            view! {
                <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white">
                    <table class="w-full text-sm" data-testid="registry-table">
                        <thead class=TABLE_HEAD>
                            <tr>
                                <th class="px-3 py-2 font-medium">"Registry"</th>
                                <th class="px-3 py-2 font-medium">"Username"</th>
                                <th class="px-3 py-2 font-medium">"Saved"</th>
                                <th class="px-3 py-2 font-medium">"Last used"</th>
                                <th class="px-3 py-2 font-medium">"Last result"</th>
                                <th class="px-3 py-2 font-medium"><span class="sr-only">"Actions"</span></th>
                            </tr>
                        </thead>
                        <tbody class="divide-y divide-slate-200">
                            {rows.into_iter().map(|row| view! { <RegistryLine row /> }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
        <section class=SECTION>
            <h2 class="text-lg font-semibold">"Add credentials"</h2>
            <p class="text-sm text-slate-600">
                "The password (or access token) is encrypted on the server and never shown again, not even to you. "
                "Saving again for the same registry replaces it."
            </p>
            <form method="post" action="/account/registries" class="grid max-w-xl gap-3 sm:grid-cols-3" data-testid="registry-form">
                <Field label="Registry" name="registry" placeholder="ghcr.io" value=kept("registry").unwrap_or_default() />
                <Field label="Username" name="username" value=kept("username").unwrap_or_default() />
                <Field label="Password or token" name="password" kind="password" />
                <div class="sm:col-span-3">
                    <button type="submit" class=BUTTON data-testid="registry-save">"Save credentials"</button>
                </div>
            </form>
        </section>
    }
}

#[component]
fn RegistryLine(row: RegistryRow) -> impl IntoView {
    let result_class = match row.last_result.as_deref() {
        Some("ok") => "text-green-800",
        Some(_) => "text-red-800",
        None => "text-slate-500",
    };
    let registry = row.registry.clone();
    let test_label = format!("Repository on {} to test", row.registry);
    let delete_label = format!("Delete credentials for {}", row.registry);
    view! {
        <tr data-testid="registry-row" data-registry=row.registry.clone()>
            <td class="px-3 py-2 font-mono">{row.registry.clone()}</td>
            <td class="px-3 py-2">{row.username}</td>
            <td class="px-3 py-2 whitespace-nowrap">{when(Some(row.updated_at.as_str()), "–")}</td>
            <td class="px-3 py-2 whitespace-nowrap">{when(row.last_used_at.as_deref(), "never")}</td>
            <td class=format!("px-3 py-2 {result_class}") data-testid="registry-last-result">
                {row.last_result.unwrap_or_else(|| "not tested".to_string())}
            </td>
            <td class="px-3 py-2">
                <div class="flex flex-wrap items-center justify-end gap-2">
                    <form method="post" action="/account/registries/test" class="flex items-center gap-1">
                        <input type="hidden" name="registry" value=registry.clone() />
                        <input name="repository" required placeholder="owner/name" aria-label=test_label
                            class="w-36 rounded-md border border-slate-300 bg-white px-2 py-1 text-xs" data-testid="registry-test-repository" />
                        <button type="submit" class=SMALL_BUTTON data-testid="registry-test">"Test connection"</button>
                    </form>
                    <form method="post" action="/account/registries/delete">
                        <input type="hidden" name="registry" value=registry />
                        <button type="submit" class=SMALL_BUTTON aria-label=delete_label data-testid="registry-delete">"Delete"</button>
                    </form>
                </div>
            </td>
        </tr>
    }
}

//! `/account/tokens`: the user's API tokens (never their secrets), make one (shown once), revoke.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{BUTTON, Field, Flash, INPUT, SECTION, SMALL_BUTTON, TABLE_HEAD, account_resource, body_or_error, kept, when};
use crate::components::error_panel::Loading;
use crate::components::secret_box::SecretBox;
use crate::dto::{TokenRow, TokensPage};
use crate::server_fns::api_tokens;

const PATH: &str = "/account/tokens";

#[component]
pub fn ApiTokensPage() -> impl IntoView {
    let tokens = account_resource(PATH, api_tokens);
    view! {
        <Title text="API tokens" />
        <section class="space-y-6" data-testid="tokens-page">
            <header class="space-y-1">
                <h1 class="text-2xl font-semibold">"API tokens"</h1>
                <p class="text-sm text-slate-600">
                    "For scripts and CI: send one as "
                    <code class="rounded bg-slate-200 px-1">"Authorization: Bearer shp_…"</code>
                    " to any " <code class="rounded bg-slate-200 px-1">"/api/v1/…"</code> " route."
                </p>
            </header>
            <Flash />
            <Suspense fallback=|| view! { <Loading what="Loading your tokens…" /> }>
                {move || Suspend::new(async move {
                    body_or_error(PATH, tokens.await, |page| view! { <Tokens page /> }.into_any())
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Tokens(page: TokensPage) -> impl IntoView {
    let TokensPage { tokens, fresh } = page;
    let write = kept("scope").as_deref() == Some("write");
    view! {
        {fresh.map(|secret| {
            let title = format!("Your new token “{}”", secret.name);
            view! {
                <SecretBox secret title>
                    "Shown once: copy it now, this page will not show it again. Use it as "
                    <code class="rounded bg-white px-1">"Authorization: Bearer …"</code> "."
                </SecretBox>
            }
        })}
        <section class=SECTION>
            <h2 class="text-lg font-semibold">"Make a token"</h2>
            <form method="post" action="/account/tokens" class="flex flex-wrap items-end gap-3" data-testid="token-form">
                <div class="w-64"><Field label="Name" name="name" placeholder="ci-pipeline" value=kept("name").unwrap_or_default() /></div>
                <label class="block space-y-1 text-sm">
                    <span class="block font-medium text-slate-700">"Scope"</span>
                    <select name="scope" class=INPUT>
                        <option value="read" selected=!write>"read"</option>
                        <option value="write" selected=write>"write"</option>
                    </select>
                </label>
                <button type="submit" class=BUTTON data-testid="token-create">"Make token"</button>
            </form>
        </section>
        {if tokens.is_empty() {
            view! { <p class="text-slate-600" data-testid="no-tokens">"You have no API tokens."</p> }.into_any()
        } else {
            view! {
                <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white">
                    <table class="w-full text-sm" data-testid="token-table">
                        <thead class=TABLE_HEAD>
                            <tr>
                                <th class="px-3 py-2 font-medium">"Name"</th>
                                <th class="px-3 py-2 font-medium">"Token"</th>
                                <th class="px-3 py-2 font-medium">"Scope"</th>
                                <th class="px-3 py-2 font-medium">"Created"</th>
                                <th class="px-3 py-2 font-medium">"Last used"</th>
                                <th class="px-3 py-2 font-medium"><span class="sr-only">"Action"</span></th>
                            </tr>
                        </thead>
                        <tbody class="divide-y divide-slate-200">
                            {tokens.into_iter().map(|token| view! { <TokenLine token /> }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
    }
}

#[component]
fn TokenLine(token: TokenRow) -> impl IntoView {
    let revoke_label = format!("Revoke {}", token.name);
    view! {
        <tr data-testid="token-row" data-name=token.name.clone()>
            <td class="px-3 py-2">{token.name.clone()}</td>
            <td class="px-3 py-2 font-mono text-slate-600">{format!("{}…", token.hint)}</td>
            <td class="px-3 py-2">{token.scope}</td>
            <td class="px-3 py-2 whitespace-nowrap">{when(Some(token.created_at.as_str()), "–")}</td>
            <td class="px-3 py-2 whitespace-nowrap">{when(token.last_used_at.as_deref(), "never")}</td>
            <td class="px-3 py-2 text-right">
                <form method="post" action="/account/tokens/revoke">
                    <input type="hidden" name="id" value=token.id.to_string() />
                    <button type="submit" class=SMALL_BUTTON aria-label=revoke_label data-testid="token-revoke">"Revoke"</button>
                </form>
            </td>
        </tr>
    }
}

//! `/account`: who is signed in, change password, the sessions (sign others out), delete the account.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{BUTTON, DANGER_BUTTON, Field, Flash, SECTION, SMALL_BUTTON, TABLE_HEAD, account_resource, body_or_error, when};
use crate::components::error_panel::Loading;
use crate::dto::{AccountPage, SessionRow};
use crate::server_fns::account_settings;

const PATH: &str = "/account";

#[component]
pub fn AccountSettingsPage() -> impl IntoView {
    let account = account_resource(PATH, account_settings);
    view! {
        <Title text="Account" />
        <section class="space-y-6" data-testid="account-page">
            <h1 class="text-2xl font-semibold">"Account"</h1>
            <Flash />
            <Suspense fallback=|| view! { <Loading what="Loading your account…" /> }>
                {move || Suspend::new(async move {
                    body_or_error(PATH, account.await, |page| view! { <Settings page /> }.into_any())
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Settings(page: AccountPage) -> impl IntoView {
    let AccountPage { me, sessions } = page;
    view! {
        <p class="text-slate-700" data-testid="signed-in-as">
            "Signed in as " <strong class="font-mono">{me.username}</strong>
            {me.admin.then(|| view! { <span class="ml-2 rounded bg-slate-200 px-2 py-0.5 text-xs">"administrator"</span> })}
        </p>
        <p class="text-sm text-slate-600">
            <a class="text-sky-700 hover:underline" href="/account/tokens">"API tokens"</a>
            " · "
            <a class="text-sky-700 hover:underline" href="/account/registries">"Registry credentials"</a>
        </p>

        <section class=SECTION>
            <h2 class="text-lg font-semibold">"Change password"</h2>
            <p class="text-sm text-slate-600">"Your other browsers are signed out when the password changes."</p>
            <form method="post" action="/account/password" class="max-w-sm space-y-3" data-testid="password-form">
                <Field label="Current password" name="current" kind="password" autocomplete="current-password" />
                <Field label="New password" name="new" kind="password" autocomplete="new-password" />
                <Field label="Confirm new password" name="confirm" kind="password" autocomplete="new-password" />
                <button type="submit" class=BUTTON data-testid="password-submit">"Change password"</button>
            </form>
        </section>

        <section class=SECTION>
            <h2 class="text-lg font-semibold">"Where you are signed in"</h2>
            <div class="overflow-x-auto">
                <table class="w-full text-sm" data-testid="session-table">
                    <thead class=TABLE_HEAD>
                        <tr>
                            <th class="px-3 py-2 font-medium">"Browser"</th>
                            <th class="px-3 py-2 font-medium">"Signed in"</th>
                            <th class="px-3 py-2 font-medium">"Last seen"</th>
                            <th class="px-3 py-2 font-medium"><span class="sr-only">"Action"</span></th>
                        </tr>
                    </thead>
                    <tbody class="divide-y divide-slate-200">
                        {sessions.into_iter().map(|session| view! { <SessionLine session /> }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>

        <section class="space-y-3 rounded-lg border border-red-200 bg-red-50 p-5" data-testid="delete-account">
            <h2 class="text-lg font-semibold text-red-900">"Delete this account"</h2>
            <p class="text-sm text-red-900">
                "This cannot be undone. Your sessions, API tokens and saved registry credentials are deleted, "
                "and the private repositories your credentials opened are no longer shown to you."
            </p>
            <form method="post" action="/account/delete" class="max-w-sm space-y-3">
                <Field label="Your password, to confirm" name="password" kind="password" autocomplete="current-password" />
                <button type="submit" class=DANGER_BUTTON data-testid="delete-account-submit">"Delete my account"</button>
            </form>
        </section>
    }
}

#[component]
fn SessionLine(session: SessionRow) -> impl IntoView {
    let browser = if session.user_agent.is_empty() { "unknown browser".to_string() } else { session.user_agent };
    view! {
        <tr data-testid="session-row" data-current=session.current.to_string()>
            <td class="max-w-md px-3 py-2 break-words text-slate-700">{browser}</td>
            <td class="px-3 py-2 whitespace-nowrap">{when(Some(session.created_at.as_str()), "–")}</td>
            <td class="px-3 py-2 whitespace-nowrap">{when(Some(session.last_seen_at.as_str()), "–")}</td>
            <td class="px-3 py-2 text-right">
                {if session.current {
                    view! { <span class="rounded bg-green-100 px-2 py-0.5 text-xs text-green-900" data-testid="this-browser">"this browser"</span> }.into_any()
                } else {
                    view! {
                        <form method="post" action="/account/sessions/end">
                            <input type="hidden" name="id" value=session.id />
                            <button type="submit" class=SMALL_BUTTON data-testid="end-session">"Sign out"</button>
                        </form>
                    }.into_any()
                }}
            </td>
        </tr>
    }
}

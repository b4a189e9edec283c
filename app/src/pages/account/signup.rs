//! `/signup`: username, password twice (POST /signup); when sign-up is closed, says so instead.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{BUTTON, Field, Flash};
use crate::codec::resource;
use crate::components::error_panel::ErrorPanel;
use crate::server_fns::signup_open;

#[component]
pub fn SignupPage() -> impl IntoView {
    let query = use_query_map();
    let username = query.read_untracked().get("username");
    let open = resource(|| (), |()| signup_open());
    view! {
        <Title text="Sign up" />
        <section class="mx-auto max-w-sm space-y-6" data-testid="signup-page">
            <h1 class="text-2xl font-semibold">"Sign up"</h1>
            <Flash />
            <Suspense fallback=|| ()>
                {move || {
                    let username = username.clone();
                    Suspend::new(async move {
                        match open.await {
                            Ok(true) => view! { <SignupForm username /> }.into_any(),
                            Ok(false) => view! {
                                <p class="rounded-md border border-slate-200 bg-white px-4 py-3 text-slate-700" data-testid="signup-closed">
                                    "Sign-up is closed on this server: an administrator makes accounts "
                                    "(" <code class="rounded bg-slate-200 px-1">"shipshape user create"</code> ")."
                                </p>
                            }.into_any(),
                            Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
            <p class="text-sm text-slate-600">
                "Have an account? " <a class="text-sky-700 hover:underline" href="/login">"Log in"</a>
            </p>
        </section>
    }
}

#[component]
fn SignupForm(username: Option<String>) -> impl IntoView {
    view! {
        <form method="post" action="/signup" class="space-y-4" data-testid="signup-form">
            <Field label="Username" name="username" value=username.unwrap_or_default() autocomplete="username" />
            <Field label="Password" name="password" kind="password" autocomplete="new-password" />
            <Field label="Confirm password" name="confirm" kind="password" autocomplete="new-password" />
            <button type="submit" class=BUTTON data-testid="signup-submit">"Sign up"</button>
        </form>
    }
}

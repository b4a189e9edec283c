//! `/login`: username and password, back to `?next=` afterwards (POST /login).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{BUTTON, Field, Flash, local_path};
use crate::codec::resource;
use crate::server_fns::signup_open;

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let username = query.read_untracked().get("username");
    let next = query.read_untracked().get("next").and_then(|n| local_path(&n)).unwrap_or_default();
    let signup = resource(|| (), |()| signup_open());
    view! {
        <Title text="Log in" />
        <section class="mx-auto max-w-sm space-y-6" data-testid="login-page">
            <h1 class="text-2xl font-semibold">"Log in"</h1>
            <Flash />
            <form method="post" action="/login" class="space-y-4" data-testid="login-form">
                <Field label="Username" name="username" value=username.unwrap_or_default() autocomplete="username" />
                <Field label="Password" name="password" kind="password" autocomplete="current-password" />
                <input type="hidden" name="next" value=next />
                <button type="submit" class=BUTTON data-testid="login-submit">"Log in"</button>
            </form>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    matches!(signup.await, Ok(true)).then(|| view! {
                        <p class="text-sm text-slate-600" data-testid="signup-link">
                            "No account yet? " <a class="text-sky-700 hover:underline" href="/signup">"Sign up"</a>
                        </p>
                    })
                })}
            </Suspense>
        </section>
    }
}

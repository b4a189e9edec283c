//! The account pages: log in, sign up, settings, API tokens, registry credentials and notifications.
//!
//! Every change is a plain HTML form posting to a server route that answers `303 See Other` back to
//! a page, which shows `?notice=` or `?error=` from its query: the same with and without JavaScript.
//! A page for signed-in users loads its data before anything is sent, so an anonymous visitor is
//! redirected to `/login?next=…` by the server (302), or navigated there by the router once hydrated.

pub mod channel_form;
pub mod channel_log;
pub mod login;
pub mod notifications;
pub mod registries;
pub mod settings;
pub mod signup;
pub mod tokens;
pub mod watch_list;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::codec::Json;
use crate::components::error_panel::ErrorPanel;
use crate::error::AppError;
use crate::format::query_escape;

pub const INPUT: &str = "w-full rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm";
pub const BUTTON: &str = "rounded-md bg-sky-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-sky-800";
pub const SMALL_BUTTON: &str = "rounded border border-slate-300 bg-white px-2 py-1 text-xs hover:border-sky-500";
pub const DANGER_BUTTON: &str = "rounded-md bg-red-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-red-800";
pub const SECTION: &str = "space-y-3 rounded-lg border border-slate-200 bg-white p-5";
pub const TABLE_HEAD: &str = "bg-slate-50 text-left text-slate-500";

/// `/login?next=/account/tokens`: the log-in page, coming back to `next` afterwards.
pub fn login_href(next: &str) -> String {
    format!("/login?next={}", query_escape(next))
}

/// `next` when it is a path on this site (`/account`), never another origin (`//evil.example`).
pub fn local_path(next: &str) -> Option<String> {
    // Visible ASCII only: browsers drop tabs and newlines, turning `/<TAB>/x` into `//x`.
    let local = next.starts_with('/') && !next.starts_with("//") && next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    local.then(|| next.to_string())
}

/// The data of a page for signed-in users, loaded before the page is sent (a blocking resource) so
/// that the server can still answer an anonymous visitor with a redirect to the log-in page.
pub fn account_resource<T, F, Fut>(path: &'static str, fetch: F) -> Resource<Result<T, AppError>, Json>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, AppError>> + Send + 'static,
{
    Resource::new_with_options(
        || (),
        move |()| {
            let load = fetch();
            async move {
                let result = load.await;
                if matches!(result, Err(AppError::LoginRequired)) {
                    send_to_login(path);
                }
                result
            }
        },
        true,
    )
}

/// On the server a `302` to the log-in page; in the browser, the router navigates there.
fn send_to_login(path: &str) {
    let to = login_href(path);
    #[cfg(feature = "ssr")]
    leptos_axum::redirect(&to);
    #[cfg(not(feature = "ssr"))]
    {
        let navigate = leptos_router::hooks::use_navigate();
        // After the resource has settled, not while the router is still rendering this page.
        request_animation_frame(move || {
            navigate(&to, leptos_router::NavigateOptions { replace: true, ..Default::default() })
        });
    }
}

/// The page's body, or (while the visitor is being sent to the log-in page, or when loading
/// failed) what happened, with a link to log in.
pub fn body_or_error<T>(path: &'static str, result: Result<T, AppError>, body: impl FnOnce(T) -> AnyView) -> AnyView {
    match result {
        Ok(data) => body(data),
        Err(AppError::LoginRequired) => view! {
            <ErrorPanel error=AppError::LoginRequired />
            <p class="text-sm"><a class="text-sky-700 hover:underline" href=login_href(path)>"Log in"</a></p>
        }
        .into_any(),
        Err(error) => view! { <ErrorPanel error /> }.into_any(),
    }
}

/// `?error=` (red) and `?notice=` (green) that a form's redirect brought back.
#[component]
pub fn Flash() -> impl IntoView {
    let query = use_query_map();
    move || {
        let query = query.read();
        let error = query.get("error").filter(|e| !e.is_empty());
        let notice = query.get("notice").filter(|n| !n.is_empty());
        view! {
            {error.map(|e| view! {
                <p role="alert" data-testid="form-error" class="rounded-md border border-red-200 bg-red-50 px-4 py-2 text-sm text-red-900">{e}</p>
            })}
            {notice.map(|n| view! {
                <p role="status" data-testid="form-notice" class="rounded-md border border-green-200 bg-green-50 px-4 py-2 text-sm text-green-900">{n}</p>
            })}
        }
    }
}

/// A labelled input: the label names it for screen readers and for tests (`getByLabel`).
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional, into)] value: Option<String>,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional)] placeholder: Option<&'static str>,
    #[prop(default = true)] required: bool,
) -> impl IntoView {
    view! {
        <label class="block space-y-1 text-sm">
            <span class="block font-medium text-slate-700">{label}</span>
            <input type=kind name=name value=value autocomplete=autocomplete placeholder=placeholder
                required=required class=INPUT />
        </label>
    }
}

/// What a form sent back in the query (after an error, or kept across a log-in when the session
/// had ended), to fill its field again; never a password.
pub fn kept(name: &'static str) -> Option<String> {
    use_query_map().read_untracked().get(name).filter(|v| !v.is_empty())
}

/// A time as the other pages show it, or a word when there is none.
pub fn when(time: Option<&str>, none: &'static str) -> String {
    time.map(crate::format::timestamp).unwrap_or_else(|| none.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_kept_as_next() {
        assert_eq!(local_path("/account/tokens").as_deref(), Some("/account/tokens"));
        assert_eq!(local_path("//evil.example/x"), None);
        assert_eq!(local_path("https://evil.example"), None);
        assert_eq!(local_path("/\\evil.example"), None);
        assert_eq!(login_href("/account/tokens"), "/login?next=/account/tokens");
    }
}

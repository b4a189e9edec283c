//! The frame of every page: the header, and the footer with what this instance has stored.

use std::sync::Arc;

use leptos::prelude::*;
use leptos::reactive::computed::AsyncDerivedReadyFuture;
use leptos_router::hooks::use_location;

use crate::codec::resource;
use crate::dto::{Me, ServerStatus};
use crate::format::counted;
use crate::server_fns::{current_user, get_server_status};

#[component]
pub fn Header() -> impl IntoView {
    let me = resource(|| (), |()| current_user());
    view! {
        <header class="border-b border-slate-200 bg-white">
            <nav class="mx-auto flex max-w-5xl items-center gap-3 px-4 py-3">
                <a href="/" class="flex items-center gap-2 text-lg font-semibold text-slate-900">
                    <img src="/favicon.svg" alt="" class="h-7 w-7" />
                    "Shipshape"
                </a>
                <span class="hidden text-sm text-slate-500 sm:inline">"container image explorer"</span>
                <div class="ml-auto flex items-center gap-3 text-sm" data-testid="account-nav">
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            match me.await {
                                Ok(Some(me)) => view! { <SignedIn me /> }.into_any(),
                                // An error here is shown by the page itself if it matters; the nav offers to log in.
                                _ => view! { <Anonymous /> }.into_any(),
                            }
                        })}
                    </Suspense>
                </div>
            </nav>
        </header>
    }
}

/// Log-in and sign-up are full page loads, so the nav is fetched anew after each.
#[component]
fn SignedIn(me: Me) -> impl IntoView {
    let link = "text-slate-700 hover:text-sky-700 hover:underline";
    view! {
        <a href="/account" class="font-medium text-slate-900 hover:underline" data-testid="nav-username">{me.username}</a>
        <a href="/account/tokens" class=link>"Tokens"</a>
        <a href="/account/registries" class=link>"Registries"</a>
        <a href="/account/notifications" class=link data-testid="nav-notifications">"Notifications"</a>
        <form method="post" action="/logout">
            <button type="submit" class="rounded-md border border-slate-300 px-2 py-1 hover:border-sky-500" data-testid="logout">"Log out"</button>
        </form>
    }
}

#[component]
fn Anonymous() -> impl IntoView {
    view! {
        <a href="/login" class="text-slate-700 hover:text-sky-700 hover:underline" data-testid="nav-login">"Log in"</a>
        <a href="/signup" class="rounded-md bg-sky-700 px-2 py-1 font-medium text-white hover:bg-sky-800" data-testid="nav-signup">"Sign up"</a>
    }
}

/// Counted again on every navigation, once the page's own load has finished (see [`PageLoad`]).
#[component]
pub fn Footer() -> impl IntoView {
    let location = use_location();
    let page_load = use_context::<PageLoad>();
    let status = resource(
        move || (location.pathname.get(), location.search.get(), page_load.map(PageLoad::serial)),
        // Which load to wait for is read when the fetch first runs, not when it is made: on the
        // server the footer is made before the page has said what it loads.
        move |_| async move {
            if let Some(load) = page_load {
                load.finished().await;
            }
            get_server_status().await
        },
    );
    view! {
        <footer class="border-t border-slate-200 bg-white">
            <div class="mx-auto max-w-5xl px-4 py-3 text-sm text-slate-500" data-testid="server-status">
                // A Transition keeps the last counts on screen while the next ones load.
                <Transition fallback=|| "Shipshape">
                    {move || Suspend::new(async move {
                        match status.await {
                            Ok(s) => status_line(&s),
                            Err(e) => format!("Shipshape · status unavailable: {e}"),
                        }
                    })}
                </Transition>
            </div>
        </footer>
    }
}

/// `Shipshape 0.1.0 · SQLite · 1 repository, 3 manifests stored`.
pub fn status_line(s: &ServerStatus) -> String {
    format!(
        "Shipshape {} · {} · {}, {} stored",
        s.version,
        s.database,
        counted(s.repositories, "repository", "repositories"),
        counted(s.manifests, "manifest", "manifests"),
    )
}

/// The load of the page on screen that may store images (a first inspection, a tag listing).
///
/// Resources start loading as soon as they are created, so without this the footer's count would
/// be read while the page's inspection is still storing the image, and a first view would count
/// everything but that image.
#[derive(Clone, Copy)]
pub struct PageLoad(RwSignal<Option<StoringLoad>>);

#[derive(Clone)]
struct StoringLoad {
    /// Tells one page's load from the next, so that the footer counts again for each.
    serial: u64,
    /// Holds the resource's shared state, not its arena slot: still safe once the page is gone.
    ready: Arc<dyn Fn() -> AsyncDerivedReadyFuture + Send + Sync>,
}

impl PartialEq for StoringLoad {
    fn eq(&self, other: &Self) -> bool {
        self.serial == other.serial
    }
}

impl PageLoad {
    /// Once, around all pages and the footer.
    pub fn provide() {
        provide_context(Self(RwSignal::new(None)));
    }

    /// Called by a page whose `resource` may store images when it loads.
    pub fn stores_with<T: Send + Sync + 'static, Ser: Send + Sync + 'static>(resource: Resource<T, Ser>) {
        let Some(Self(current)) = use_context::<Self>() else { return };
        let resource = ArcResource::from(resource);
        let serial = current.with_untracked(|load| load.as_ref().map_or(0, |l| l.serial)) + 1;
        current.set(Some(StoringLoad { serial, ready: Arc::new(move || resource.ready()) }));
    }

    /// Which load the page is on; tracked, so the footer follows it.
    fn serial(self) -> u64 {
        self.0.with(|load| load.as_ref().map_or(0, |l| l.serial))
    }

    /// Resolves when the page's load has finished, or at once when the page stores nothing.
    fn finished(self) -> impl Future<Output = ()> + Send + 'static {
        let ready = self.0.with_untracked(|load| load.as_ref().map(|l| (l.ready)()));
        async move {
            if let Some(ready) = ready {
                ready.await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_line_counts_in_words() {
        let status = |repositories, manifests| ServerStatus {
            version: "0.1.0".into(),
            database: "SQLite".into(),
            repositories,
            manifests,
        };
        assert_eq!(status_line(&status(1, 1)), "Shipshape 0.1.0 · SQLite · 1 repository, 1 manifest stored");
        assert_eq!(status_line(&status(2, 0)), "Shipshape 0.1.0 · SQLite · 2 repositories, 0 manifests stored");
    }
}

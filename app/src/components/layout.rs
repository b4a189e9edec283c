use leptos::prelude::*;

use crate::server_fns::get_server_status;

#[component]
pub fn Header() -> impl IntoView {
    view! {
        <header class="border-b border-slate-200 bg-white">
            <nav class="mx-auto flex max-w-5xl items-center gap-3 px-4 py-3">
                <a href="/" class="flex items-center gap-2 text-lg font-semibold text-slate-900">
                    <img src="/favicon.svg" alt="" class="h-7 w-7" />
                    "Shipshape"
                </a>
                <span class="text-sm text-slate-500">"container image explorer"</span>
            </nav>
        </header>
    }
}

#[component]
pub fn Footer() -> impl IntoView {
    let status = Resource::new(|| (), |_| get_server_status());
    view! {
        <footer class="border-t border-slate-200 bg-white">
            <div class="mx-auto max-w-5xl px-4 py-3 text-sm text-slate-500" data-testid="server-status">
                <Suspense fallback=|| "Shipshape">
                    {move || Suspend::new(async move {
                        match status.await {
                            Ok(s) => format!(
                                "Shipshape {} · {} · {} repositories, {} manifests stored",
                                s.version, s.database, s.repositories, s.manifests,
                            ),
                            Err(e) => format!("Shipshape · status unavailable: {e}"),
                        }
                    })}
                </Suspense>
            </div>
        </footer>
    }
}

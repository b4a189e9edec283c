use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::reference_box::ReferenceBox;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="" />
        <section class="space-y-6">
            <div class="space-y-2">
                <h1 class="text-3xl font-bold tracking-tight">"Explore any container image"</h1>
                <p class="max-w-2xl text-slate-600">
                    "Paste an image reference the way you would give it to "
                    <code class="rounded bg-slate-200 px-1">"docker pull"</code>
                    ": Shipshape shows what it resolves to, then its tags, platforms, layers, labels and the user it runs as."
                </p>
            </div>
            <ReferenceBox />
            <ul class="max-w-2xl list-disc space-y-1 pl-5 text-sm text-slate-600" data-testid="home-features">
                <li>"Each tag shows its base image lineage, a vulnerability scan and a security tune-up, with README badges for all of it."</li>
                <li>
                    <a class="text-sky-700 hover:underline" href="/signup">"Sign up"</a>
                    " to add private registries and to "
                    <a class="text-sky-700 hover:underline" href="/account/notifications">"watch images"</a>
                    ": a webhook, Slack, e-mail or GitHub Actions hears when a tag moves or its base image is updated, so you know to rebuild."
                </li>
            </ul>
        </section>
    }
}

//! The repository page's badge-token panel, for a private repository the viewer may see: when its
//! token was made, a form that makes or rotates it (POST /repositories/badge-token), and the new
//! token once, with a badge URL that uses it. Public repositories need no token: nothing is shown.

use leptos::prelude::*;

use crate::codec::resource;
use crate::components::secret_box::SecretBox;
use crate::dto::BadgeTokenPanel;
use crate::format::{query_escape, timestamp};
use crate::server_fns::repository_badge_token;

/// `repository` as `registry/name`.
#[component]
pub fn BadgeTokenSection(repository: String) -> impl IntoView {
    let panel = resource(
        {
            let repository = repository.clone();
            move || repository.clone()
        },
        repository_badge_token,
    );
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let repository = repository.clone();
                Suspend::new(async move {
                    // Anonymous visitors and public repositories get no panel (nor an error about it).
                    match panel.await {
                        Ok(Some(panel)) => view! { <Panel repository panel /> }.into_any(),
                        _ => ().into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// `/badges/image/ghcr.io/o/r:latest.svg?token=…`.
pub fn badge_url(repository: &str, token: &str) -> String {
    format!("/badges/image/{repository}:latest.svg?token={}", query_escape(token))
}

#[component]
fn Panel(repository: String, panel: BadgeTokenPanel) -> impl IntoView {
    let made = panel.created_at.as_deref().map(timestamp);
    let action = if made.is_some() { "Rotate" } else { "Make a badge token" };
    view! {
        <section class="space-y-3 rounded-lg border border-slate-200 bg-white p-5" data-testid="badge-token-panel">
            <h2 class="text-lg font-semibold">"Badge token"</h2>
            <p class="text-sm text-slate-600">
                "This repository is private: its README badges show only with its token in the badge URL ("
                <code class="rounded bg-slate-200 px-1">"?token=…"</code>
                "). The token shows this repository's badges and nothing else."
            </p>
            <p class="text-sm" data-testid="badge-token-made">
                {match made {
                    Some(made) => format!("The current token was made {made}. Rotating it makes a new one; the old one stops working."),
                    None => "There is no badge token yet.".to_string(),
                }}
            </p>
            {panel.fresh.map(|secret| {
                let url = badge_url(&repository, &secret.value);
                view! {
                    <SecretBox secret title="The new badge token".to_string()>
                        "Shown once: copy it now. A badge URL with it: "
                        <code class="select-all break-all rounded bg-white px-1" data-testid="badge-token-url">{url}</code>
                    </SecretBox>
                }
            })}
            <form method="post" action="/repositories/badge-token">
                <input type="hidden" name="repository" value=repository.clone() />
                <button type="submit" data-testid="badge-token-submit"
                    class="rounded-md bg-sky-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-sky-800">{action}</button>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_badge_url_carries_the_token() {
        assert_eq!(
            badge_url("127.0.0.1:5000/team/app", "bt_ab+c"),
            "/badges/image/127.0.0.1:5000/team/app:latest.svg?token=bt_ab%2Bc"
        );
    }
}

//! The image config: how the container starts, what it exposes, and its environment (secrets masked).

use leptos::prelude::*;

use crate::dto::PlatformImage;

#[component]
pub fn Config(image: PlatformImage) -> impl IntoView {
    let list = |items: &Option<Vec<String>>| items.as_ref().map(|v| format!("{v:?}"));
    let joined = |items: &Vec<String>| (!items.is_empty()).then(|| items.join(", "));
    let health = image.healthcheck.as_ref().map(|h| {
        let mut text = h.test.join(" ");
        if let Some(s) = h.interval_seconds {
            text.push_str(&format!(" (every {s} s)"));
        }
        text
    });
    let user = if image.user.is_empty() { "(unset: root)".to_string() } else { image.user.clone() };
    view! {
        <section class="space-y-2">
            <h2 class="text-lg font-semibold">"Config"</h2>
            <table class="w-full table-fixed rounded-lg border border-slate-200 bg-white text-sm" data-testid="config">
                <tbody class="divide-y divide-slate-200">
                    {row("User", Some(user))}
                    {row("Entrypoint", list(&image.entrypoint))}
                    {row("Cmd", list(&image.cmd))}
                    {row("Working dir", image.workdir.clone())}
                    {row("Exposed ports", joined(&image.exposed_ports))}
                    {row("Volumes", joined(&image.volumes))}
                    {row("Healthcheck", health)}
                    {row("Stop signal", image.stop_signal.clone())}
                    {row("Config digest", Some(image.config_digest.clone()))}
                    {row("Manifest digest", Some(image.digest.clone()))}
                    {image
                        .env
                        .iter()
                        .map(|e| {
                            let value = if e.masked { format!("{}=•••••• (masked)", e.name) } else { format!("{}={}", e.name, e.value) };
                            row("Env", Some(value))
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
}

/// A row when the image sets the value; nothing when it does not.
fn row(name: &'static str, value: Option<String>) -> Option<impl IntoView> {
    value.map(|value| {
        view! {
            <tr>
                <th scope="row" class="w-40 px-3 py-1.5 text-left font-normal text-slate-600">{name}</th>
                <td class="break-words px-3 py-1.5 font-mono">{value}</td>
            </tr>
        }
    })
}

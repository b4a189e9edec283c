//! The notification pages' forms, answered as the account forms are (`303` back to a page with
//! `?notice=` or `?error=`), so each works without JavaScript: channels (add, delete, send a test,
//! enable again), watches (add from an image page, delete) and "redeliver". A new webhook's signing
//! secret travels to the notifications page once ([`fresh`]).

use app::reference::ImageReference;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Form, State};
use axum::response::Response;
use axum::routing::post;
use serde::Deserialize;

use super::account_forms::{Forms, back, message, signed_in, with_cookie};
use super::caller::Caller;
use super::fresh;
use crate::notify::{ChannelInput, Notifier};
use crate::services::{ServiceError, WatchInput};

const PAGE: &str = "/account/notifications";

pub fn routes(forms: Forms) -> Router {
    Router::new()
        .route("/account/channels", post(create_channel))
        .route("/account/channels/delete", post(delete_channel))
        .route("/account/channels/test", post(test_channel))
        .route("/account/channels/enable", post(enable_channel))
        .route("/account/watches", post(create_watch))
        .route("/account/watches/delete", post(delete_watch))
        .route("/account/deliveries/redeliver", post(redeliver))
        .with_state(forms)
}

/// `/account/notifications/channels/7`: a channel's delivery log.
fn log_page(channel: i64) -> String {
    format!("{PAGE}/channels/{channel}")
}

/// The notifier, or the page's error when there is none (no instance key).
/// The signed-in account and the notifier, or the answer that sends the form back: to log in
/// (keeping `kept`), or to `page` saying the server keeps no channels.
fn caller_and_notifier<'a, 'c>(
    forms: &'a Forms,
    caller: &'c Caller,
    page: &str,
    kept: &[(&str, &str)],
) -> Result<(&'c crate::auth::Account, &'a Notifier), Response> {
    let account = signed_in(caller, page, kept)?;
    let missing = || back(page, &[("error", &message(ServiceError::NoCredentialStore))]);
    Ok((account, forms.services.notifier.as_deref().ok_or_else(missing)?))
}

/// What the "Add channel" form sends: every kind's fields, of which the kind's own count.
#[derive(Deserialize)]
struct ChannelForm {
    name: String,
    kind: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    repository: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    event_type: String,
    #[serde(default)]
    api_url: String,
    /// A checkbox: present ("on") when ticked.
    #[serde(default)]
    cloudevents: Option<String>,
}

impl ChannelForm {
    fn input(&self) -> ChannelInput {
        let given = |text: &str| Some(text.trim().to_string()).filter(|t| !t.is_empty());
        ChannelInput {
            name: self.name.clone(),
            kind: self.kind.clone(),
            url: given(&self.url),
            to: given(&self.to),
            repository: given(&self.repository),
            token: given(&self.token),
            event_type: given(&self.event_type),
            api_url: given(&self.api_url),
            cloudevents: self.cloudevents.is_some(),
        }
    }

    /// The fields given back to the form after an error or a log-in: never the token, nor a
    /// Slack URL (that URL is the credential).
    fn kept(&self) -> Vec<(&'static str, &str)> {
        let url = if self.kind == "slack" { "" } else { self.url.as_str() };
        let cloudevents = if self.cloudevents.is_some() { "on" } else { "" };
        vec![
            ("name", &self.name),
            ("kind", &self.kind),
            ("url", url),
            ("to", &self.to),
            ("repository", &self.repository),
            ("event_type", &self.event_type),
            ("api_url", &self.api_url),
            ("cloudevents", cloudevents),
        ]
    }
}

async fn create_channel(State(forms): State<Forms>, caller: Caller, Form(form): Form<ChannelForm>) -> Response {
    let kept = form.kept();
    let (account, notifier) = match caller_and_notifier(&forms, &caller, PAGE, &kept) {
        Ok(found) => found,
        Err(response) => return response,
    };
    match notifier.create_channel(account.id, &form.input()).await {
        Ok((view, Some(secret))) => {
            let cookie = fresh::cookie(fresh::Kind::WebhookSecret, &view.name, &secret, forms.secure_cookies);
            with_cookie(back(PAGE, &[("notice", &format!("saved the channel {}", view.name))]), cookie)
        }
        Ok((view, None)) => back(PAGE, &[("notice", &format!("saved the channel {}", view.name))]),
        Err(e) => {
            let error = message(e);
            let mut pairs: Vec<(&str, &str)> = kept.into_iter().filter(|(_, v)| !v.is_empty()).collect();
            pairs.insert(0, ("error", &error));
            back(PAGE, &pairs)
        }
    }
}

#[derive(Deserialize)]
struct ChannelId {
    id: i64,
}

async fn delete_channel(State(forms): State<Forms>, caller: Caller, Form(form): Form<ChannelId>) -> Response {
    let (account, notifier) = match caller_and_notifier(&forms, &caller, PAGE, &[]) {
        Ok(found) => found,
        Err(response) => return response,
    };
    match notifier.delete_channel(account.id, form.id).await {
        Ok(()) => back(PAGE, &[("notice", "the channel was deleted, and taken out of your watches")]),
        Err(e) => back(PAGE, &[("error", &message(e))]),
    }
}

/// Sends the test now and shows the channel's log, where the attempt (and the receiver's answer)
/// is the first row.
async fn test_channel(State(forms): State<Forms>, caller: Caller, Form(form): Form<ChannelId>) -> Response {
    let page = log_page(form.id);
    let (account, notifier) = match caller_and_notifier(&forms, &caller, &page, &[]) {
        Ok(found) => found,
        Err(response) => return response,
    };
    match notifier.test_channel(account.id, form.id).await {
        Ok(delivery) if delivery.state == "delivered" => back(&page, &[("notice", "the test message was delivered")]),
        Ok(delivery) => {
            let why = delivery.attempts.last().map(|a| a.detail.as_str()).unwrap_or("no attempt was logged");
            let error = format!(
                "the test message was not delivered ({why}): check the receiver, then send a test again"
            );
            back(&page, &[("error", &error)])
        }
        // A channel that is not the user's has no log page to show.
        Err(e @ crate::notify::NotifyError::NotFound) => back(PAGE, &[("error", &message(e))]),
        Err(e) => back(&page, &[("error", &message(e))]),
    }
}

async fn enable_channel(State(forms): State<Forms>, caller: Caller, Form(form): Form<ChannelId>) -> Response {
    let (account, notifier) = match caller_and_notifier(&forms, &caller, PAGE, &[]) {
        Ok(found) => found,
        Err(response) => return response,
    };
    match notifier.enable_channel(account.id, form.id).await {
        Ok(view) => back(PAGE, &[("notice", &format!("the channel {} is enabled again", view.name))]),
        Err(e) => back(PAGE, &[("error", &message(e))]),
    }
}

#[derive(Deserialize)]
struct Redeliver {
    delivery: i64,
    /// Only to come back to its log.
    channel: i64,
}

async fn redeliver(State(forms): State<Forms>, caller: Caller, Form(form): Form<Redeliver>) -> Response {
    let page = log_page(form.channel);
    let (account, notifier) = match caller_and_notifier(&forms, &caller, &page, &[]) {
        Ok(found) => found,
        Err(response) => return response,
    };
    match notifier.redeliver(account.id, form.delivery).await {
        Ok(()) => back(&page, &[("notice", "the delivery is queued to be sent again, with the same webhook-id")]),
        Err(e) => back(&page, &[("error", &message(e))]),
    }
}

/// The "Watch" panel's form. Its `events` and `channels` repeat, which `Form` does not read into
/// lists: the body is read as pairs.
struct WatchForm {
    input: WatchInput,
    /// The image page the form was on: where errors are shown.
    page: String,
}

impl WatchForm {
    fn parse(body: &[u8]) -> Result<Self, String> {
        let mut input = WatchInput::default();
        let lines = |text: &str| -> Vec<String> {
            text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
        };
        for (key, value) in url::form_urlencoded::parse(body) {
            match key.as_ref() {
                "repository" => input.repository = value.trim().to_string(),
                "tag" => input.tag = Some(value.trim().to_string()).filter(|t| !t.is_empty()),
                "events" => input.events.push(value.into_owned()),
                "channels" => {
                    input.channels.push(value.parse().map_err(|_| format!("channels: {value:?} is not a channel"))?)
                }
                "include" => input.include = lines(&value),
                "exclude" => input.exclude = lines(&value),
                "min_severity" => input.min_severity = Some(value.trim().to_string()).filter(|s| !s.is_empty()),
                _ => {}
            }
        }
        let repository = ImageReference::parse_repository(&input.repository).map_err(|e| format!("repository: {e}"))?;
        let mut page = format!("/images/{}", repository.repository_path());
        // Only a tag that is a tag goes into the address; the service says what is wrong with another.
        let plain = |tag: &&str| tag.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
        if let Some(tag) = input.tag.as_deref().filter(plain) {
            page.push(':');
            page.push_str(tag);
        }
        Ok(Self { input, page })
    }
}

async fn create_watch(State(forms): State<Forms>, caller: Caller, body: Bytes) -> Response {
    let form = match WatchForm::parse(&body) {
        Ok(form) => form,
        Err(error) => return back(PAGE, &[("error", &error)]),
    };
    if let Err(response) = signed_in(&caller, &form.page, &[]) {
        return response;
    }
    match forms.services.watches.create(caller.viewer(), &form.input).await {
        Ok(view) => {
            let what = match &view.tag {
                Some(tag) => format!("{}:{tag}", view.repository),
                None => view.repository.clone(),
            };
            let notice = back(PAGE, &[("notice", &format!("you now watch {what}"))]);
            match view.refresh_hook {
                Some(url) => with_cookie(notice, fresh::cookie(fresh::Kind::RefreshHook, &what, &url, forms.secure_cookies)),
                None => notice,
            }
        }
        Err(e) => back(&form.page, &[("error", &message(e))]),
    }
}

#[derive(Deserialize)]
struct WatchId {
    id: i64,
}

async fn delete_watch(State(forms): State<Forms>, caller: Caller, Form(form): Form<WatchId>) -> Response {
    if let Err(response) = signed_in(&caller, PAGE, &[]) {
        return response;
    }
    match forms.services.watches.delete(caller.viewer(), form.id).await {
        Ok(()) => back(PAGE, &[("notice", "the watch was deleted")]),
        Err(e) => back(PAGE, &[("error", &message(e))]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_watch_form_reads_repeated_events_and_channels() {
        let body = b"repository=127.0.0.1%3A5123%2Fe2e%2Fapp&tag=1.1&events=tag.updated&events=base.updated\
                     &channels=3&channels=4&include=&min_severity=";
        let form = WatchForm::parse(body).unwrap();
        assert_eq!(form.input.events, ["tag.updated", "base.updated"]);
        assert_eq!(form.input.channels, [3, 4]);
        assert_eq!(form.input.tag.as_deref(), Some("1.1"));
        assert!(form.input.include.is_empty() && form.input.min_severity.is_none());
        assert_eq!(form.page, "/images/127.0.0.1:5123/e2e/app:1.1");
    }

    #[test]
    fn include_and_exclude_are_one_pattern_per_line() {
        let body = b"repository=alpine&include=%5E3%5C.%0D%0A%0D%0A%5Elatest%24&exclude=rc";
        let form = WatchForm::parse(body).unwrap();
        assert_eq!(form.input.include, ["^3\\.", "^latest$"]);
        assert_eq!(form.input.exclude, ["rc"]);
        assert_eq!(form.input.tag, None);
        assert_eq!(form.page, "/images/docker.io/library/alpine");
    }

    #[test]
    fn a_slack_url_and_a_token_are_never_given_back_to_the_form() {
        let form = ChannelForm {
            name: "ops".into(),
            kind: "slack".into(),
            url: "https://hooks.slack.com/services/T/B/secret".into(),
            to: String::new(),
            repository: String::new(),
            token: "ghp_secret".into(),
            event_type: String::new(),
            api_url: String::new(),
            cloudevents: None,
        };
        let kept = form.kept();
        assert!(kept.iter().all(|(_, value)| !value.contains("secret")));
    }
}

//! The account pages' forms: plain `application/x-www-form-urlencoded` POSTs answered with
//! `303 See Other`, so each works without JavaScript. The page posted from shows `?error=` or
//! `?notice=`, with the inputs that are safe to give back (a username, never a password).
//! A secret made here (an API token, a badge token) travels to the next page once ([`fresh`]).

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use axum::Router;
use axum::extract::{Form, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::post;
use serde::Deserialize;

use super::caller::{self, Caller};
use super::fresh;
use super::client;
use crate::auth::rate_limit::LoginLimiter;
use crate::auth::{Account, Scope};
use crate::services::{ServiceError, Services};

/// What the form routes need: the services, and whether cookies are `Secure`.
#[derive(Clone)]
pub struct Forms {
    pub services: Arc<Services>,
    pub secure_cookies: bool,
    /// Sign-ups per client address (each costs a password hash): 10 a minute, as log-ins.
    signups: Arc<LoginLimiter>,
}

impl Forms {
    pub fn new(services: Arc<Services>, secure_cookies: bool) -> Self {
        Self { services, secure_cookies, signups: Arc::new(LoginLimiter::default()) }
    }
}

pub fn routes(forms: Forms) -> Router {
    Router::new()
        .route("/signup", post(sign_up))
        .route("/login", post(log_in))
        .route("/logout", post(log_out))
        .route("/account/password", post(change_password))
        .route("/account/sessions/end", post(end_session))
        .route("/account/delete", post(delete_account))
        .route("/account/tokens", post(create_token))
        .route("/account/tokens/revoke", post(revoke_token))
        .route("/account/registries", post(save_registry))
        .route("/account/registries/delete", post(delete_registry))
        .route("/account/registries/test", post(test_registry))
        .route("/repositories/badge-token", post(rotate_badge_token))
        .with_state(forms)
}

/// `303` to `path` with the query pairs.
pub(crate) fn back(path: &str, pairs: &[(&str, &str)]) -> Response {
    let mut location = path.to_string();
    if !pairs.is_empty() {
        let query: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        location.push(if path.contains('?') { '&' } else { '?' });
        location.push_str(&query);
    }
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// What a failure tells the form's user: the service's public message (internal ones stay logged).
pub(crate) fn message(err: impl Into<ServiceError>) -> String {
    err.into().public().message
}

/// A local path to go to after logging in; anything else (another site, `//host`) is `/`.
fn local_path(next: Option<&str>) -> &str {
    match next {
        // Visible ASCII only: browsers drop tabs and newlines from URLs, so `/<TAB>/evil.example`
        // would become `//evil.example`, another site.
        Some(path) if path.starts_with('/') && !path.starts_with("//") && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') => path,
        _ => "/",
    }
}

/// The caller's account; without one (never signed in, or the session ended while the form was
/// open), the log-in page, which comes back to `page` afterwards with the form's `kept` fields
/// (never a password) in its query, so nothing typed is lost.
pub(crate) fn signed_in<'a>(caller: &'a Caller, page: &str, kept: &[(&str, &str)]) -> Result<&'a Account, Response> {
    caller.account().ok_or_else(|| {
        let kept: Vec<_> = kept.iter().filter(|(_, value)| !value.is_empty()).collect();
        let mut next = page.to_string();
        if !kept.is_empty() {
            next.push('?');
            next.push_str(&url::form_urlencoded::Serializer::new(String::new()).extend_pairs(kept).finish());
        }
        back("/login", &[("error", "your session has ended: log in, then send the form again"), ("next", &next)])
    })
}

pub(crate) fn with_cookie(mut response: Response, cookie: HeaderValue) -> Response {
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

#[derive(Deserialize)]
struct SignUp {
    username: String,
    password: String,
    confirm: String,
}

async fn sign_up(
    State(forms): State<Forms>,
    extensions: Extensions,
    headers: HeaderMap,
    Form(form): Form<SignUp>,
) -> Response {
    let again = |error: String| back("/signup", &[("error", &error), ("username", &form.username)]);
    // Keyed by the new name too, which is new each time: in effect, per client address.
    let client = client::address(&extensions);
    if let Err(wait) = forms.signups.attempt(&form.username, client, std::time::Instant::now()) {
        return too_many_attempts(crate::auth::retry_seconds(wait.0));
    }
    if form.password != form.confirm {
        return again("the two passwords differ: type the same password twice".into());
    }
    let accounts = &forms.services.accounts;
    match accounts.sign_up(&form.username, &form.password).await {
        Ok(account) => start_session(&forms, &account, &headers, "/").await,
        Err(e) => again(message(e)),
    }
}

#[derive(Deserialize)]
struct LogIn {
    username: String,
    password: String,
    next: Option<String>,
}

async fn log_in(
    State(forms): State<Forms>,
    extensions: Extensions,
    headers: HeaderMap,
    Form(form): Form<LogIn>,
) -> Response {
    let next = local_path(form.next.as_deref()).to_string();
    let client = client::address(&extensions).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    match forms.services.accounts.log_in(&form.username, &form.password, client).await {
        Ok(account) => start_session(&forms, &account, &headers, &next).await,
        Err(crate::auth::AuthError::RateLimited { retry_after }) => too_many_attempts(crate::auth::retry_seconds(retry_after)),
        Err(e) => back("/login", &[("error", &message(e)), ("username", &form.username), ("next", &next)]),
    }
}

/// 429 at once, before any password is hashed or checked: a page a person can read, and `Retry-After`.
fn too_many_attempts(seconds: u64) -> Response {
    let page = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Too many attempts · Shipshape</title></head>\
         <body><h1>Too many attempts</h1><p>Wait {seconds} seconds, then <a href=\"/login\">try again</a>.</p></body></html>"
    );
    let mut response = (StatusCode::TOO_MANY_REQUESTS, Html(page)).into_response();
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

async fn start_session(forms: &Forms, account: &Account, headers: &HeaderMap, next: &str) -> Response {
    let agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    match forms.services.accounts.start_session(account, agent).await {
        Ok(session) => {
            let max_age = forms.services.accounts.settings().session_absolute.as_secs() as i64;
            let cookie = caller::session_cookie(Some(&session.cookie_value), max_age, forms.secure_cookies);
            tracing::info!(user = %account.username, "logged in");
            // A secret made for whoever used this browser before is not shown to this user.
            with_cookie(with_cookie(back(next, &[]), cookie), fresh::clear(forms.secure_cookies))
        }
        Err(e) => back("/login", &[("error", &message(e))]),
    }
}

async fn log_out(State(forms): State<Forms>, caller: Caller) -> Response {
    if let Some(cookie) = caller.session_cookie()
        && let Err(e) = forms.services.accounts.end_session(cookie).await
    {
        tracing::error!(error = %e, "could not end a session at log-out");
    }
    let response = with_cookie(back("/", &[]), caller::session_cookie(None, 0, forms.secure_cookies));
    with_cookie(response, fresh::clear(forms.secure_cookies))
}

#[derive(Deserialize)]
struct ChangePassword {
    current: String,
    new: String,
    confirm: String,
}

async fn change_password(State(forms): State<Forms>, caller: Caller, Form(form): Form<ChangePassword>) -> Response {
    let account = match signed_in(&caller, "/account", &[]) {
        Ok(account) => account,
        Err(response) => return response,
    };
    if form.new != form.confirm {
        return back("/account", &[("error", "the two new passwords differ: type the same password twice")]);
    }
    let accounts = &forms.services.accounts;
    match accounts.change_password(account, &form.current, &form.new, caller.session_cookie()).await {
        Ok(()) => back("/account", &[("notice", "password changed; your other sessions were signed out")]),
        Err(e) => back("/account", &[("error", &message(e))]),
    }
}

#[derive(Deserialize)]
struct EndSession {
    id: String,
}

async fn end_session(State(forms): State<Forms>, caller: Caller, Form(form): Form<EndSession>) -> Response {
    let account = match signed_in(&caller, "/account", &[]) {
        Ok(account) => account,
        Err(response) => return response,
    };
    match forms.services.accounts.end_session_by_id(account, &form.id).await {
        Ok(()) => back("/account", &[("notice", "that session was signed out")]),
        Err(e) => back("/account", &[("error", &message(e))]),
    }
}

#[derive(Deserialize)]
struct DeleteAccount {
    password: String,
}

async fn delete_account(State(forms): State<Forms>, caller: Caller, Form(form): Form<DeleteAccount>) -> Response {
    let account = match signed_in(&caller, "/account", &[]) {
        Ok(account) => account,
        Err(response) => return response,
    };
    match forms.services.accounts.delete_account(account, &form.password).await {
        Ok(()) => {
            tracing::info!(user = %account.username, "account deleted");
            let cookie = caller::session_cookie(None, 0, forms.secure_cookies);
            with_cookie(back("/", &[("notice", "your account was deleted")]), cookie)
        }
        Err(e) => back("/account", &[("error", &message(e))]),
    }
}

#[derive(Deserialize)]
struct CreateToken {
    name: String,
    scope: String,
}

async fn create_token(State(forms): State<Forms>, caller: Caller, Form(form): Form<CreateToken>) -> Response {
    let account = match signed_in(&caller, "/account/tokens", &[("name", &form.name), ("scope", &form.scope)]) {
        Ok(account) => account,
        Err(response) => return response,
    };
    let Some(scope) = Scope::parse(&form.scope) else {
        return back("/account/tokens", &[("error", "choose read or write")]);
    };
    match forms.services.accounts.create_token(account, &form.name, scope).await {
        Ok((info, token)) => {
            let cookie = fresh::cookie(fresh::Kind::ApiToken, &info.name, &token, forms.secure_cookies);
            with_cookie(back("/account/tokens", &[]), cookie)
        }
        Err(e) => back("/account/tokens", &[("error", &message(e))]),
    }
}

#[derive(Deserialize)]
struct RevokeToken {
    id: i64,
}

async fn revoke_token(State(forms): State<Forms>, caller: Caller, Form(form): Form<RevokeToken>) -> Response {
    let account = match signed_in(&caller, "/account/tokens", &[]) {
        Ok(account) => account,
        Err(response) => return response,
    };
    match forms.services.accounts.revoke_token(account, form.id).await {
        Ok(()) => back("/account/tokens", &[("notice", "the token was revoked")]),
        Err(e) => back("/account/tokens", &[("error", &message(e))]),
    }
}

#[derive(Deserialize)]
struct SaveRegistry {
    registry: String,
    username: String,
    password: String,
}

const REGISTRIES: &str = "/account/registries";

async fn save_registry(State(forms): State<Forms>, caller: Caller, Form(form): Form<SaveRegistry>) -> Response {
    let account = match signed_in(&caller, REGISTRIES, &[("registry", &form.registry), ("username", &form.username)]) {
        Ok(account) => account,
        Err(response) => return response,
    };
    let Some(credentials) = &forms.services.credentials else {
        return back(REGISTRIES, &[("error", &message(ServiceError::NoCredentialStore))]);
    };
    match credentials.save(account.id, &form.registry, &form.username, &form.password).await {
        Ok(registry) => back(REGISTRIES, &[("notice", &format!("saved the credentials for {registry}"))]),
        Err(e) => back(REGISTRIES, &[("error", &message(e)), ("registry", &form.registry), ("username", &form.username)]),
    }
}

#[derive(Deserialize)]
struct DeleteRegistry {
    registry: String,
}

async fn delete_registry(State(forms): State<Forms>, caller: Caller, Form(form): Form<DeleteRegistry>) -> Response {
    let account = match signed_in(&caller, REGISTRIES, &[]) {
        Ok(account) => account,
        Err(response) => return response,
    };
    let Some(credentials) = &forms.services.credentials else {
        return back(REGISTRIES, &[("error", &message(ServiceError::NoCredentialStore))]);
    };
    match credentials.delete(account.id, &form.registry).await {
        Ok(_) => back(REGISTRIES, &[("notice", &format!("deleted the credentials for {}", form.registry))]),
        Err(e) => back(REGISTRIES, &[("error", &message(e))]),
    }
}

#[derive(Deserialize)]
struct TestRegistry {
    registry: String,
    repository: String,
}

async fn test_registry(State(forms): State<Forms>, caller: Caller, Form(form): Form<TestRegistry>) -> Response {
    let account = match signed_in(&caller, REGISTRIES, &[]) {
        Ok(account) => account,
        Err(response) => return response,
    };
    let Some(credentials) = &forms.services.credentials else {
        return back(REGISTRIES, &[("error", &message(ServiceError::NoCredentialStore))]);
    };
    match credentials.test(account.id, &form.registry, &form.repository).await {
        Ok(report) if report.outcome == crate::credentials::TestOutcome::Ok => {
            back(REGISTRIES, &[("notice", &report.message)])
        }
        Ok(report) => back(REGISTRIES, &[("error", &report.message)]),
        Err(e) => back(REGISTRIES, &[("error", &message(e))]),
    }
}

#[derive(Deserialize)]
struct RotateBadgeToken {
    repository: String,
}

async fn rotate_badge_token(State(forms): State<Forms>, caller: Caller, Form(form): Form<RotateBadgeToken>) -> Response {
    let page = format!("/images/{}", form.repository.trim_matches('/'));
    if caller.account().is_none() {
        return back("/login", &[("error", "log in first"), ("next", &page)]);
    }
    match forms.services.rotate_badge_token(caller.viewer(), &form.repository).await {
        Ok(token) => {
            let cookie = fresh::cookie(fresh::Kind::BadgeToken, &form.repository, &token, forms.secure_cookies);
            with_cookie(back(&page, &[]), cookie)
        }
        Err(e) => back(&page, &[("error", &message(e))]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_log_in() {
        assert_eq!(local_path(Some("/account/tokens")), "/account/tokens");
        assert_eq!(local_path(Some("//evil.example/")), "/");
        assert_eq!(local_path(Some("https://evil.example/")), "/");
        assert_eq!(local_path(Some("/\\evil.example")), "/");
        assert_eq!(local_path(Some("/\t/evil.example")), "/");
        assert_eq!(local_path(Some("/ok?next=%2F")), "/ok?next=%2F");
        assert_eq!(local_path(None), "/");
    }

    #[test]
    fn a_fresh_secret_is_read_back_for_its_kind_only() {
        let cookie = fresh::cookie(fresh::Kind::ApiToken, "ci", "shp_abc", false);
        let pair = cookie.to_str().unwrap().split(';').next().unwrap().to_string();
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(&pair).unwrap());
        assert_eq!(fresh::read(&headers, fresh::Kind::ApiToken), Some(("ci".into(), "shp_abc".into())));
        assert_eq!(fresh::read(&headers, fresh::Kind::BadgeToken), None);
    }
}

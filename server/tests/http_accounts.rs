//! Accounts over HTTP, on the assembled router with both stores: the forms (sign up, log in, log
//! out, tokens, registry credentials) as a browser without JavaScript posts them, the REST API
//! with bearer tokens, same-origin checks on cookie-authenticated changes, the log-in rate limit,
//! and the raw database holding no session id, API token or registry password.

mod common;

use std::time::Instant;

use common::{Running, serve};
use shipshape::config::DatabaseUrl;
use shipshape::store::{self, SharedStore};
use shipshape_testkit::{ImageBuilder, Layer, ManifestFormat, TestDatabase, TestRegistry};

const PASSWORD: &str = "correct horse battery";
const REGISTRY_PASSWORD: &str = "registry-s3cret-Zq9";

/// A browser without JavaScript, on this site: keeps the cookies it is given (by hand: the
/// server's `Set-Cookie` is part of what is tested), sends its own `Origin` on posts, and does not
/// follow redirects (the test reads them).
struct Browser {
    base: String,
    client: reqwest::Client,
    cookies: std::sync::Mutex<std::collections::BTreeMap<String, String>>,
}

impl Browser {
    fn new(server: &Running) -> Self {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { base: server.base.clone(), client, cookies: Default::default() }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn cookie_header(&self) -> String {
        self.cookies.lock().unwrap().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn session(&self) -> Option<String> {
        self.cookies.lock().unwrap().get("shipshape_session").cloned()
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> reqwest::Response {
        let response = request.header("cookie", self.cookie_header()).send().await.unwrap();
        let mut cookies = self.cookies.lock().unwrap();
        for set in response.headers().get_all("set-cookie") {
            let text = set.to_str().unwrap();
            let (name, value) = text.split(';').next().unwrap().split_once('=').unwrap();
            if text.contains("Max-Age=0") {
                cookies.remove(name);
            } else {
                cookies.insert(name.to_string(), value.to_string());
            }
        }
        response
    }

    /// A form post from this site's own page; the answer's status and `Location`.
    async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        let request = self.client.post(self.url(path)).header("origin", &self.base).header("content-type", FORM).body(form_body(form));
        let response = self.send(request).await;
        let location = response.headers().get("location").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        (response.status().as_u16(), location)
    }

    async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        json(self.send(self.client.get(self.url(path))).await).await
    }

    async fn post_json(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        json(self.send(self.client.post(self.url(path)).header("origin", &self.base).json(&body)).await).await
    }
}

const FORM: &str = "application/x-www-form-urlencoded";

fn form_body(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

async fn json(response: reqwest::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}

async fn accounts_over_http(store: SharedStore, raw: impl AsyncFn() -> Vec<u8>) {
    let registry = TestRegistry::basic("robot", REGISTRY_PASSWORD).await.unwrap();
    let server = serve(store, &registry.host()).await;
    let alice = Browser::new(&server);
    let script = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", server.base);

    // Sign up (the first account: an administrator), and the session cookie works at once.
    let (status, location) =
        alice.post_form("/signup", &[("username", "Alice"), ("password", PASSWORD), ("confirm", PASSWORD)]).await;
    assert_eq!((status, location.as_str()), (303, "/"));
    let (status, me) = alice.get_json("/api/v1/user").await;
    assert_eq!((status, me["username"].as_str(), me["admin"].as_bool()), (200, Some("alice"), Some(true)));
    let first_session = alice.session().expect("a session cookie");

    // A sign-up that fails comes back to the form with the reason and the username, never the password.
    let (status, location) = Browser::new(&server)
        .post_form("/signup", &[("username", "alice"), ("password", PASSWORD), ("confirm", PASSWORD)])
        .await;
    assert_eq!(status, 303);
    assert!(location.starts_with("/signup?error=") && location.contains("username=alice"), "{location}");
    assert!(!location.contains("horse"), "{location}");

    // A state change with the cookie from another site is refused; the same from this site is not.
    let forged = script
        .post(url("/account/tokens"))
        .header("cookie", alice.cookie_header())
        .header("origin", "https://elsewhere.example")
        .header("content-type", FORM)
        .body(form_body(&[("name", "forged"), ("scope", "write")]));
    assert_eq!(forged.send().await.unwrap().status(), 403);
    let forged = script
        .post(url("/api/v1/tokens"))
        .header("cookie", alice.cookie_header())
        .header("sec-fetch-site", "cross-site")
        .json(&serde_json::json!({ "name": "forged" }));
    assert_eq!(forged.send().await.unwrap().status(), 403);

    // An API token made with the form comes once, to the next page, in a cookie (never in the URL).
    let (status, location) = alice.post_form("/account/tokens", &[("name", "ci"), ("scope", "write")]).await;
    assert_eq!((status, location.as_str()), (303, "/account/tokens"));
    assert!(alice.cookie_header().contains("shipshape_fresh="), "the new token travels in a cookie");
    let (_, listed) = alice.get_json("/api/v1/tokens").await;
    assert_eq!(listed[0]["name"], "ci", "{listed}");
    assert!(listed[0]["hint"].as_str().unwrap().starts_with("shp_"));

    // Through the API: a write token made by the signed-in browser, then used alone.
    let (status, made) = alice.post_json("/api/v1/tokens", serde_json::json!({ "name": "deploy", "scope": "write" })).await;
    assert_eq!(status, 201, "{made}");
    let token = made["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("shp_"), "{token}");
    let (status, me) = json(script.get(url("/api/v1/user")).bearer_auth(&token).send().await.unwrap()).await;
    assert_eq!((status, me["username"].as_str()), (200, Some("alice")));

    // Registry credentials through the API: saved, listed without the password, tested for real.
    let saved = script
        .post(url("/api/v1/registries"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "registry": registry.host(), "username": "robot", "password": REGISTRY_PASSWORD }));
    let (status, saved) = json(saved.send().await.unwrap()).await;
    assert_eq!(status, 201, "{saved}");
    assert_eq!(saved["username"], "robot");
    let listing = script.get(url("/api/v1/registries")).bearer_auth(&token).send().await.unwrap().text().await.unwrap();
    assert!(listing.contains("robot") && !listing.contains(REGISTRY_PASSWORD), "{listing}");
    let tested = script
        .post(url(&format!("/api/v1/registries/{}/test", registry.host())))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "repository": "team/app" }));
    let (status, tested) = json(tested.send().await.unwrap()).await;
    assert_eq!(status, 200, "{tested}");
    assert!(matches!(tested["outcome"].as_str(), Some("ok" | "not_found")), "the password was accepted: {tested}");

    // The private image: its owner's token reads it; another user's token and no token get the
    // answer a repository that does not exist gets, byte for byte.
    let image = ImageBuilder::new()
        .layer(Layer::builder().file("etc/secret", "private").build().unwrap(), "COPY secret /etc/")
        .build(ManifestFormat::Oci);
    image.push(&registry, "team/secret", Some("1")).await.unwrap();
    let private = url(&format!("/api/v1/images/{}/team/secret:1", registry.host()));
    let missing = url(&format!("/api/v1/images/{}/team/nothing:1", registry.host()));
    let (status, report) = json(script.get(&private).bearer_auth(&token).send().await.unwrap()).await;
    assert_eq!((status, report["digest"].as_str()), (200, Some(image.manifest_digest.as_str())), "{report}");
    let bob = Browser::new(&server);
    let form = [("username", "bob"), ("password", PASSWORD), ("confirm", PASSWORD)];
    assert_eq!(bob.post_form("/signup", &form).await.0, 303);
    let (_, bobs) = bob.post_json("/api/v1/tokens", serde_json::json!({ "name": "bob", "scope": "read" })).await;
    let bobs = bobs["token"].as_str().unwrap().to_string();
    let answer = async |request: reqwest::RequestBuilder| {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    };
    let (status, nothing) = answer(script.get(&missing).bearer_auth(&bobs)).await;
    assert_eq!(status, 404, "{nothing}");
    let expected = nothing.replace("team/nothing", "team/secret");
    assert_eq!(answer(script.get(&private).bearer_auth(&bobs)).await, (404, expected.clone()), "another user");
    assert_eq!(answer(script.get(&private)).await, (404, expected.clone()), "no token");
    let page = url(&format!("/images/{}/team/secret:1", registry.host()));
    let bobs_page = bob.send(bob.client.get(&page)).await;
    let status = bobs_page.status().as_u16();
    let html = bobs_page.text().await.unwrap();
    assert!(html.contains("was not found, or it is private") && !html.contains(image.manifest_digest.as_str()), "{html}");
    assert_eq!(status, 404, "the page too");

    // A read token may read, not change; a revoked or unknown token is refused outright.
    let (_, reader) = alice.post_json("/api/v1/tokens", serde_json::json!({ "name": "reader", "scope": "read" })).await;
    let read = reader["token"].as_str().unwrap().to_string();
    assert_eq!(script.get(url("/api/v1/tokens")).bearer_auth(&read).send().await.unwrap().status(), 200);
    let write = script.post(url("/api/v1/tokens")).bearer_auth(&read).json(&serde_json::json!({ "name": "x" }));
    assert_eq!(write.send().await.unwrap().status(), 403);
    let id = made["id"].as_i64().unwrap();
    let revoked = script.delete(url(&format!("/api/v1/tokens/{id}"))).bearer_auth(&token).send().await.unwrap();
    assert_eq!(revoked.status(), 204);
    let after = script.get(url("/api/v1/user")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(after.status(), 401);
    assert_eq!(after.headers()["www-authenticate"], "Bearer");
    let unknown = script.get(url("/api/v1/user")).bearer_auth("shp_not-a-token").send().await.unwrap();
    assert_eq!(unknown.status(), 401);
    assert_eq!(script.get(url("/api/v1/user")).send().await.unwrap().status(), 401, "anonymous");

    // Log out ends the session on the server: the old cookie no longer signs anyone in.
    let (status, _) = alice.post_form("/logout", &[]).await;
    assert_eq!(status, 303);
    assert_eq!(alice.session(), None, "the browser was told to forget it");
    let replayed = script.get(url("/api/v1/user")).header("cookie", format!("shipshape_session={first_session}"));
    assert_eq!(replayed.send().await.unwrap().status(), 401, "the logged-out session is gone");

    // A form sent after the session ended goes to the log-in page, which comes back to the form
    // with what was typed (never the password).
    let form = [("registry", "ghcr.io"), ("username", "robot"), ("password", REGISTRY_PASSWORD)];
    let (status, location) = alice.post_form("/account/registries", &form).await;
    assert_eq!(status, 303);
    let login = url::Url::parse(&format!("http://x{location}")).unwrap();
    let query: std::collections::HashMap<_, _> = login.query_pairs().into_owned().collect();
    assert_eq!(login.path(), "/login");
    assert_eq!(query["next"], "/account/registries?registry=ghcr.io&username=robot", "{location}");
    assert!(!location.contains(REGISTRY_PASSWORD), "{location}");

    // Log in again: to `next` when it is a path here, never elsewhere.
    let form = [("username", "alice"), ("password", PASSWORD), ("next", "/account/tokens")];
    assert_eq!(alice.post_form("/login", &form).await, (303, "/account/tokens".to_string()));
    let form = [("username", "alice"), ("password", PASSWORD), ("next", "//evil.example/")];
    assert_eq!(Browser::new(&server).post_form("/login", &form).await, (303, "/".to_string()));

    // Wrong passwords: one message whether or not the user exists, then 429 before any argon2 work.
    let wrong = Browser::new(&server).post_form("/login", &[("username", "alice"), ("password", "nope-nope")]).await.1;
    let missing = Browser::new(&server).post_form("/login", &[("username", "nobody"), ("password", "nope-nope")]).await.1;
    let reason = |location: &str| location.split('&').next().unwrap().to_string();
    assert_eq!(reason(&wrong), reason(&missing), "no such user and wrong password read the same");
    for _ in 0..10 {
        Browser::new(&server).post_form("/login", &[("username", "alice"), ("password", "nope-nope")]).await;
    }
    let checks_before = server.services.accounts.password_checks();
    let started = Instant::now();
    let limited = script.post(url("/login")).header("origin", &server.base).header("content-type", FORM).body(form_body(&[("username", "alice"), ("password", "x")]));
    let limited = limited.send().await.unwrap();
    let took = started.elapsed();
    assert_eq!(limited.status().as_u16(), 429);
    assert!(limited.headers().contains_key("retry-after"));
    assert_eq!(server.services.accounts.password_checks(), checks_before, "no password was checked");
    eprintln!("a log-in attempt past the limit was refused in {took:?}");
    // A cross-site log-in form is refused too (log-in CSRF).
    let cross = script.post(url("/login")).header("origin", "https://elsewhere.example");
    let cross = cross.header("content-type", FORM).body(form_body(&[("username", "alice"), ("password", PASSWORD)])).send().await.unwrap();
    assert_eq!(cross.status(), 403);

    // Nothing secret is stored as given.
    let bytes = raw().await;
    let contains = |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(!contains(REGISTRY_PASSWORD), "the registry password is sealed");
    assert!(!contains(&token) && !contains(&read), "API tokens are stored hashed");
    assert!(!contains(&first_session), "session ids are stored hashed");
    assert!(!contains(alice.session().as_deref().unwrap()), "session ids are stored hashed");
    assert!(!contains(PASSWORD), "the account password is hashed");
}

#[tokio::test]
async fn accounts_over_http_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shipshape.db");
    let store = store::open(&DatabaseUrl::Sqlite(path.clone())).await.unwrap();
    let raw = async || {
        // The WAL holds recent writes until a checkpoint: read both files, from another process
        // (closing a descriptor of the file here would drop this process's SQLite locks on it).
        std::process::Command::new("cat").arg(&path).arg(path.with_extension("db-wal")).output().unwrap().stdout
    };
    accounts_over_http(store, raw).await;
}

#[tokio::test]
async fn accounts_over_http_on_postgres() {
    let Some(database) = TestDatabase::create().await.unwrap() else { return };
    let store = store::open(&DatabaseUrl::parse(database.url()).unwrap()).await.unwrap();
    let url = database.url().to_string();
    let raw = async || {
        let dump = std::process::Command::new("pg_dump").arg("--data-only").arg(&url).output().expect("pg_dump runs");
        assert!(dump.status.success(), "{}", String::from_utf8_lossy(&dump.stderr));
        dump.stdout
    };
    accounts_over_http(store, raw).await;
}

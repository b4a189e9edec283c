//! A user's registry credentials: saved sealed (the database file and a pg_dump never hold the
//! password), listed without it, deleted with the grants they earned, and tested against real
//! basic-auth and token-auth registries with an answer that says exactly what failed.

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use shipshape::config::Config;
use shipshape::credentials::{CredentialsError, RegistryCredentials, TestOutcome};
use shipshape::registry::RegistryError;
use shipshape::secrets::{self, SecretKey};
use shipshape::store::{NewUser, SharedStore, UserId, UserInsert, Visibility};
use shipshape_testkit::{ImageBuilder, Layer, ManifestFormat, TestDatabase, TestRegistry};

const PASSWORD: &str = "Corr3ct-Horse-Battery-Staple";

struct Fixture {
    store: SharedStore,
    config: Config,
    credentials: RegistryCredentials,
    _dir: tempfile::TempDir,
}

fn config(database_url: &str, allow_hosts: &str, key: &str) -> Config {
    Config::from_vars(vec![
        ("SHIPSHAPE_DATABASE_URL".to_string(), database_url.to_string()),
        ("SHIPSHAPE_ALLOW_HOSTS".to_string(), allow_hosts.to_string()),
        ("SHIPSHAPE_SECRET_KEY".to_string(), key.to_string()),
    ])
    .unwrap()
}

async fn fixture_on(database_url: Option<&str>, allow_hosts: &str) -> Fixture {
    shipshape_testkit::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let url = database_url.map_or_else(|| format!("sqlite://{}", dir.path().join("shipshape.db").display()), str::to_string);
    let config = config(&url, allow_hosts, &SecretKey::generate().to_base64());
    let store = shipshape::store::open(&config.database_url).await.unwrap();
    let key = secrets::load(&config, &store).await.unwrap();
    let registries = Arc::new(shipshape::services::registries(&config));
    let credentials = RegistryCredentials::new(store.clone(), key, registries);
    Fixture { store, config, credentials, _dir: dir }
}

async fn fixture(allow_hosts: &str) -> Fixture {
    fixture_on(None, allow_hosts).await
}

async fn user(store: &SharedStore, name: &str) -> UserId {
    let new = NewUser { username: name, password_hash: "$argon2id$test", admin: false, only_if_first: false, at: Utc::now() };
    match store.insert_user(&new).await.unwrap() {
        UserInsert::Created(user) => user.id,
        other => panic!("{other:?}"),
    }
}

async fn push_image(registry: &TestRegistry, repository: &str) {
    let layer = Layer::builder().file("etc/app.conf", "x=1\n").build().unwrap();
    let image = ImageBuilder::new().layer(layer, "COPY app.conf /etc/").build(ManifestFormat::Oci);
    image.push(registry, repository, Some("v1")).await.unwrap();
}

/// Saving, listing, grants and deleting, the same on both backends; the database's bytes never
/// hold the password.
async fn saved_credentials_story(fixture: &Fixture) {
    let (store, service) = (&fixture.store, &fixture.credentials);
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    assert_eq!(service.save(alice, "https://index.docker.io/v1/", "alice", PASSWORD).await.unwrap(), "docker.io");
    service.save(alice, "127.0.0.1:5000", "alice-ci", PASSWORD).await.unwrap();
    service.save(alice, "127.0.0.1:5000", "alice", PASSWORD).await.unwrap();

    let listed = service.list(alice).await.unwrap();
    let registries: Vec<_> = listed.iter().map(|c| (c.registry.as_str(), c.username.as_str())).collect();
    assert_eq!(registries, [("127.0.0.1:5000", "alice"), ("docker.io", "alice")], "saving again replaces");
    let json = serde_json::to_string(&listed).unwrap();
    assert!(!json.contains(PASSWORD) && !json.contains("sealed"), "{json}");
    assert!(listed.iter().all(|c| c.last_used_at.is_none() && c.last_result.is_none()));
    assert!(service.list(bob).await.unwrap().is_empty(), "one user's credentials are theirs alone");
    assert_eq!(service.credentials_for(alice, "registry-1.docker.io").await.unwrap().unwrap().password(), PASSWORD);
    assert!(service.credentials_for(bob, "docker.io").await.unwrap().is_none());

    // A sealed password copied into another user's row does not open there.
    let sealed = store.sealed_registry_credential(alice, "docker.io").await.unwrap().unwrap();
    store.save_registry_credential(bob, "docker.io", "bob", &sealed.sealed).await.unwrap();
    let err = service.credentials_for(bob, "docker.io").await.unwrap_err();
    assert!(matches!(err, CredentialsError::Unreadable { .. }), "{err}");

    // What an inspection found is kept for the settings page.
    let refused = RegistryError::WrongCredentials { registry: "docker.io".into(), username: "alice".into() };
    service.record_use(alice, "docker.io", Err(&refused)).await.unwrap();
    let hub = service.list(alice).await.unwrap().into_iter().find(|c| c.registry == "docker.io").unwrap();
    assert!(hub.last_used_at.is_some());
    assert!(hub.last_result.as_deref().unwrap().contains("rejected the username or password"), "{hub:?}");

    // Deleting credentials withdraws what they opened on that registry, and nothing else.
    let private = store.upsert_repository("127.0.0.1:5000", "corp/api", Visibility::Private).await.unwrap();
    let hub_private = store.upsert_repository("docker.io", "alice/secret", Visibility::Private).await.unwrap();
    for repository in [private.id, hub_private.id] {
        store.grant_repository(alice, repository).await.unwrap();
    }
    store.grant_repository(bob, private.id).await.unwrap();
    assert!(store.repository_grant(alice, private.id).await.unwrap().is_some());
    assert!(service.delete(alice, "127.0.0.1:5000").await.unwrap());
    assert!(!service.delete(alice, "127.0.0.1:5000").await.unwrap(), "already gone");
    assert_eq!(store.repository_grant(alice, private.id).await.unwrap(), None);
    assert!(store.repository_grant(alice, hub_private.id).await.unwrap().is_some());
    assert!(store.repository_grant(bob, private.id).await.unwrap().is_some(), "bob's own grant stays");
    assert!(store.revoke_repository_grant(bob, private.id).await.unwrap());
    assert_eq!(service.list(alice).await.unwrap().len(), 1);
}

fn assert_absent(haystack: &[u8], what: &str) {
    assert!(!haystack.windows(PASSWORD.len()).any(|w| w == PASSWORD.as_bytes()), "{what} holds the password");
}

#[tokio::test]
async fn sqlite_file_never_holds_the_password() {
    let fixture = fixture("127.0.0.1/32").await;
    saved_credentials_story(&fixture).await;
    // The database file, its write-ahead log and anything else beside it.
    let mut files = 0;
    for entry in std::fs::read_dir(fixture._dir.path()).unwrap() {
        let path = entry.unwrap().path();
        assert_absent(&std::fs::read(&path).unwrap(), &path.display().to_string());
        files += 1;
    }
    assert!(files >= 1);
}

#[tokio::test]
async fn postgres_dump_never_holds_the_password() {
    let Some(db) = TestDatabase::create().await.unwrap() else { return };
    let fixture = fixture_on(Some(db.url()), "127.0.0.1/32").await;
    saved_credentials_story(&fixture).await;
    let dump = match std::process::Command::new("pg_dump").arg("--data-only").arg(db.url()).output() {
        Ok(output) if output.status.success() => output.stdout,
        Ok(output) => panic!("pg_dump failed: {}", String::from_utf8_lossy(&output.stderr)),
        Err(e) => panic!("pg_dump is not on PATH ({e}): install postgresql-client"),
    };
    let text = String::from_utf8_lossy(&dump);
    assert!(text.contains("registry_credentials") && text.contains("alice"), "the dump holds the table");
    assert_absent(&dump, "pg_dump");
    drop(fixture);
    db.drop_database().await.unwrap();
}

#[tokio::test]
async fn bad_input_and_refused_registries_are_not_saved() {
    let fixture = fixture("127.0.0.1/32").await;
    let service = &fixture.credentials;
    let alice = user(&fixture.store, "alice").await;
    let long_password = "p".repeat(8193);
    for (registry, username, password, wanted) in [
        ("", "a", "p", "registry is empty"),
        ("ghcr.io", "", "p", "username is empty"),
        ("ghcr.io", "a", "", "password is empty"),
        ("ghcr.io", "a", long_password.as_str(), "longer than 8192 bytes"),
        ("ghcr.io", "a:b", "p", "may not contain ':'"),
        ("alpine", "a", "p", "not a registry host"),
    ] {
        let err = service.save(alice, registry, username, password).await.unwrap_err().to_string();
        assert!(err.contains(wanted), "{registry}/{username}: {err}");
    }
    let err = service.save(alice, "10.0.0.1:5000", "a", "p").await.unwrap_err();
    assert!(matches!(err, CredentialsError::RefusedByPolicy(_)), "{err}");
    let text = err.to_string();
    assert!(text.contains("SHIPSHAPE_ALLOW_HOSTS=10.0.0.1:5000") && !text.contains("private address"), "{text}");
    assert!(service.list(alice).await.unwrap().is_empty());
    let err = service.test(alice, "ghcr.io", "team/app").await.unwrap_err();
    assert!(matches!(err, CredentialsError::NotSaved { .. }), "{err}");
}

async fn outcome(fixture: &Fixture, user: UserId, registry: &str, repository: &str) -> (TestOutcome, String) {
    let report = fixture.credentials.test(user, registry, repository).await.unwrap();
    (report.outcome, report.message)
}

/// Right password, wrong password and a missing repository on one registry; the last result is kept.
async fn right_wrong_and_missing(fixture: &Fixture, registry: &TestRegistry, username: &str, password: &str, repository: &str) {
    let host = registry.host();
    let alice = user(&fixture.store, "alice").await;
    fixture.credentials.save(alice, &host, username, password).await.unwrap();
    assert_eq!(outcome(fixture, alice, &host, repository).await.0, TestOutcome::Ok);
    let saved = &fixture.credentials.list(alice).await.unwrap()[0];
    assert_eq!((saved.last_result.as_deref(), saved.last_used_at.is_some()), (Some("ok"), true));

    let (found, message) = outcome(fixture, alice, &host, "nobody/here").await;
    assert_eq!(found, TestOutcome::NotFound, "{message}");
    assert!(message.contains("nobody/here does not exist"), "{message}");

    fixture.credentials.save(alice, &host, username, "not-the-password").await.unwrap();
    let (found, message) = outcome(fixture, alice, &host, repository).await;
    assert_eq!(found, TestOutcome::WrongPassword, "{message}");
    assert!(message.contains(username) && !message.contains("not-the-password"), "{message}");
    let saved = &fixture.credentials.list(alice).await.unwrap()[0];
    assert_eq!(saved.last_result.as_deref(), Some(message.as_str()));
}

#[tokio::test]
async fn test_connection_on_a_basic_auth_registry() {
    let registry = TestRegistry::basic("alice", "s3cret").await.unwrap();
    push_image(&registry, "corp/api").await;
    let fixture = fixture("127.0.0.1/32").await;
    right_wrong_and_missing(&fixture, &registry, "alice", "s3cret", "corp/api").await;
}

#[tokio::test]
async fn test_connection_on_a_token_auth_registry() {
    let registry = TestRegistry::token("bob", "hunter2").await.unwrap();
    push_image(&registry, "private/tool").await;
    let fixture = fixture("127.0.0.1/32").await;
    right_wrong_and_missing(&fixture, &registry, "bob", "hunter2", "private/tool").await;
}

/// A registry that lets `carol:pw` read `team/app` only. With `bearer`, in Docker Hub's manner:
/// tokens from a realm, and another repository answers 401 to the granted token; without, basic
/// auth as Harbor or Artifactory do it: another repository answers 403. (The test registry grants
/// an authenticated user every repository, so it cannot show this.)
async fn one_repository_registry(bearer: bool) -> String {
    use base64::Engine;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let challenge = if bearer {
        format!(r#"Bearer realm="http://{addr}/token",service="one-repository""#)
    } else {
        r#"Basic realm="one-repository""#.to_string()
    };
    let carol = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("carol:pw"));
    let app = Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
        let (challenge, carol) = (challenge.clone(), carol.clone());
        async move {
            let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
            if bearer && uri.path() == "/token" {
                return if authorization == carol {
                    (StatusCode::OK, r#"{"token":"granted"}"#).into_response()
                } else {
                    (StatusCode::UNAUTHORIZED, r#"{"details":"incorrect username or password"}"#).into_response()
                };
            }
            let refuse = |status: StatusCode, error: &str| {
                Response::builder()
                    .status(status)
                    .header(header::WWW_AUTHENTICATE, format!("{challenge}{error}"))
                    .body(axum::body::Body::from(r#"{"errors":[{"code":"DENIED","message":"upstream secret"}]}"#))
                    .unwrap()
            };
            let signed_in = if bearer { authorization == "Bearer granted" } else { authorization == carol };
            if !signed_in {
                return refuse(StatusCode::UNAUTHORIZED, "");
            }
            if uri.path() == "/v2/team/app/tags/list" {
                return (StatusCode::OK, r#"{"name":"team/app","tags":["v1"]}"#).into_response();
            }
            if bearer { refuse(StatusCode::UNAUTHORIZED, r#",error="insufficient_scope""#) } else { refuse(StatusCode::FORBIDDEN, "") }
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr.to_string()
}

#[tokio::test]
async fn accepted_credentials_without_access_to_the_repository() {
    let fixture = fixture("127.0.0.1/32").await;
    let carol = user(&fixture.store, "carol").await;
    for bearer in [true, false] {
        let host = one_repository_registry(bearer).await;
        fixture.credentials.save(carol, &host, "carol", "pw").await.unwrap();
        assert_eq!(outcome(&fixture, carol, &host, "team/app").await.0, TestOutcome::Ok);
        let (found, message) = outcome(&fixture, carol, &host, "other/app").await;
        assert_eq!(found, TestOutcome::NoAccess, "bearer {bearer}: {message}");
        assert!(message.contains("no access to other/app") && !message.contains("upstream secret"), "{message}");
        fixture.credentials.save(carol, &host, "carol", "wrong").await.unwrap();
        assert_eq!(outcome(&fixture, carol, &host, "team/app").await.0, TestOutcome::WrongPassword, "bearer {bearer}");
    }
}

#[tokio::test]
async fn unreachable_registries_and_the_outbound_policy() {
    let fixture = fixture("127.0.0.1/32").await;
    let dave = user(&fixture.store, "dave").await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = listener.local_addr().unwrap().to_string();
    drop(listener);
    fixture.credentials.save(dave, &closed, "dave", "pw").await.unwrap();
    let (found, message) = outcome(&fixture, dave, &closed, "team/app").await;
    assert_eq!(found, TestOutcome::Unreachable, "{message}");
    assert!(message.contains(&closed) && !message.contains("refused"), "{message}");

    // Saved while the operator allowed 10.0.0.0/8, tested after the allow list was narrowed.
    let wide = Config::from_vars(vec![("SHIPSHAPE_ALLOW_HOSTS".to_string(), "10.0.0.0/8".to_string())]).unwrap();
    let key = SecretKey::generate();
    let before =
        RegistryCredentials::new(fixture.store.clone(), key.clone(), Arc::new(shipshape::services::registries(&wide)));
    before.save(dave, "10.0.0.1:5000", "dave", "pw").await.unwrap();
    let after = RegistryCredentials::new(fixture.store.clone(), key, Arc::new(shipshape::services::registries(&fixture.config)));
    let report = after.test(dave, "10.0.0.1:5000", "team/app").await.unwrap();
    assert_eq!(report.outcome, TestOutcome::RefusedByPolicy, "{}", report.message);
    assert!(report.message.contains("SHIPSHAPE_ALLOW_HOSTS") && !report.message.contains("private address"), "{}", report.message);
}

//! The instance key at start-up: from SHIPSHAPE_SECRET_KEY, or on SQLite a key file made once
//! beside the database (mode 0600); a key that does not open what the database holds stops
//! start-up naming where it came from, on both backends; PostgreSQL without the variable refuses.

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use chrono::Utc;
use shipshape::config::Config;
use shipshape::credentials::RegistryCredentials;
use shipshape::secrets::{self, SecretKey, SecretsError};
use shipshape::store::{NewUser, SharedStore, UserId, UserInsert};
use shipshape_testkit::TestDatabase;

fn config(database_url: &str, key: Option<&str>) -> Config {
    let mut vars = vec![
        ("SHIPSHAPE_DATABASE_URL".to_string(), database_url.to_string()),
        ("SHIPSHAPE_ALLOW_HOSTS".to_string(), "127.0.0.1/32".to_string()),
    ];
    if let Some(key) = key {
        vars.push(("SHIPSHAPE_SECRET_KEY".to_string(), key.to_string()));
    }
    Config::from_vars(vars).unwrap()
}

async fn user(store: &SharedStore, name: &str) -> UserId {
    let new = NewUser { username: name, password_hash: "$argon2id$test", admin: false, only_if_first: false, at: Utc::now() };
    match store.insert_user(&new).await.unwrap() {
        UserInsert::Created(user) => user.id,
        other => panic!("{other:?}"),
    }
}

fn service(store: &SharedStore, config: &Config, key: SecretKey) -> RegistryCredentials {
    RegistryCredentials::new(store.clone(), key, Arc::new(shipshape::services::registries(config)))
}

/// Saves a credential under key `a`, then starts with key `b`: refused, naming the variable; `a` still starts.
async fn a_wrong_key_is_named_at_start_up(url: &str) {
    let (a, b) = (SecretKey::generate().to_base64(), SecretKey::generate().to_base64());
    let with_a = config(url, Some(&a));
    let store = shipshape::store::open(&with_a.database_url).await.unwrap();
    let key = secrets::load(&with_a, &store).await.unwrap();
    let alice = user(&store, "alice").await;
    service(&store, &with_a, key).save(alice, "127.0.0.1:5000", "alice", "pa55word").await.unwrap();

    let err = secrets::load(&config(url, Some(&b)), &store).await.unwrap_err();
    assert!(matches!(err, SecretsError::WrongKey { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains("SHIPSHAPE_SECRET_KEY") && text.contains("different key"), "{text}");
    assert!(!text.contains(&b) && !text.contains(&a), "the key itself is never shown: {text}");

    let key = secrets::load(&with_a, &store).await.unwrap();
    let opened = service(&store, &with_a, key).credentials_for(alice, "127.0.0.1:5000").await.unwrap().unwrap();
    assert_eq!(opened.password(), "pa55word");
}

#[tokio::test]
async fn malformed_keys_are_refused_naming_the_variable() {
    let short = "c2hvcnQ=";
    for value in ["", "not base64 at all!", short] {
        let vars = vec![("SHIPSHAPE_SECRET_KEY".to_string(), value.to_string())];
        let err = Config::from_vars(vars).unwrap_err().to_string();
        assert!(err.starts_with("SHIPSHAPE_SECRET_KEY:"), "{err}");
        assert!(err.contains("head -c 32 /dev/urandom | base64"), "{err}");
    }
    let key = SecretKey::generate().to_base64();
    let config = config("sqlite://x.db", Some(key.trim_end_matches('=')));
    assert!(!format!("{config:?}").contains(key.trim_end_matches('=')), "Debug hides the key");
}

#[tokio::test]
async fn sqlite_without_the_variable_keeps_its_key_in_a_0600_file_beside_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("db/shipshape.db").display());
    let config = config(&url, None);
    let store = shipshape::store::open(&config.database_url).await.unwrap();
    let key_file = dir.path().join("db/secret.key");

    let key = secrets::load(&config, &store).await.unwrap();
    assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    let bob = user(&store, "bob").await;
    service(&store, &config, key).save(bob, "ghcr.io", "bob", "t0ken").await.unwrap();

    // The next start reads the same file and opens what the first sealed.
    let again = secrets::load(&config, &store).await.unwrap();
    let opened = service(&store, &config, again).credentials_for(bob, "ghcr.io").await.unwrap().unwrap();
    assert_eq!(opened.password(), "t0ken");

    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = secrets::load(&config, &store).await.unwrap_err().to_string();
    assert!(err.contains(&key_file.display().to_string()) && err.contains("read by group or others"), "{err}");
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();

    // Another key in the file: named, and not replaced.
    let kept = std::fs::read_to_string(&key_file).unwrap();
    std::fs::write(&key_file, SecretKey::generate().to_base64()).unwrap();
    let err = secrets::load(&config, &store).await.unwrap_err().to_string();
    assert!(err.contains(&key_file.display().to_string()) && err.contains("SHIPSHAPE_SECRET_KEY"), "{err}");

    // A lost key file is not silently replaced by a new key.
    std::fs::remove_file(&key_file).unwrap();
    let err = secrets::load(&config, &store).await.unwrap_err();
    assert!(matches!(err, SecretsError::KeyFileMissing { .. }), "{err}");
    assert!(err.to_string().contains("SHIPSHAPE_SECRET_KEY"), "{err}");
    assert!(!key_file.exists());

    // The variable, set to the key of the file, takes over from it.
    let from_variable = self::config(&url, Some(kept.trim()));
    secrets::load(&from_variable, &store).await.unwrap();
}

#[tokio::test]
async fn a_wrong_key_stops_start_up_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    a_wrong_key_is_named_at_start_up(&format!("sqlite://{}", dir.path().join("shipshape.db").display())).await;
}

#[tokio::test]
async fn a_wrong_key_stops_start_up_on_postgres_and_no_key_is_refused() {
    let Some(db) = TestDatabase::create().await.unwrap() else { return };
    a_wrong_key_is_named_at_start_up(db.url()).await;

    let without = config(db.url(), None);
    let store = shipshape::store::open(&without.database_url).await.unwrap();
    let err = secrets::load(&without, &store).await.unwrap_err();
    assert!(matches!(err, SecretsError::PostgresNeedsKey), "{err}");
    let text = err.to_string();
    assert!(text.contains("SHIPSHAPE_SECRET_KEY") && text.contains("head -c 32 /dev/urandom | base64"), "{text}");
    drop(store);
    db.drop_database().await.unwrap();
}

/// Rotation re-seals every credential and the check row, or (one value that does not open) nothing.
async fn rotation_reseals_everything_or_nothing(url: &str) {
    let (a, b) = (SecretKey::generate(), SecretKey::generate());
    let with_a = config(url, Some(&a.to_base64()));
    let store = shipshape::store::open(&with_a.database_url).await.unwrap();
    let key = secrets::load(&with_a, &store).await.unwrap();
    let (alice, bob) = (user(&store, "alice").await, user(&store, "bob").await);
    let service_a = service(&store, &with_a, key);
    service_a.save(alice, "ghcr.io", "alice", "one").await.unwrap();
    service_a.save(alice, "127.0.0.1:5000", "alice", "two").await.unwrap();

    assert_eq!(secrets::reseal(&store, &a, &b).await.unwrap(), 2);
    let err = secrets::load(&with_a, &store).await.unwrap_err();
    assert!(matches!(err, SecretsError::WrongKey { .. }), "{err}");
    let with_b = config(url, Some(&b.to_base64()));
    let service_b = service(&store, &with_b, secrets::load(&with_b, &store).await.unwrap());
    assert_eq!(service_b.credentials_for(alice, "ghcr.io").await.unwrap().unwrap().password(), "one");
    assert_eq!(service_b.credentials_for(alice, "127.0.0.1:5000").await.unwrap().unwrap().password(), "two");

    // Alice's sealed value copied into bob's row does not open there: the rotation names it and
    // changes nothing.
    let sealed = store.sealed_registry_credential(alice, "ghcr.io").await.unwrap().unwrap();
    store.save_registry_credential(bob, "ghcr.io", "bob", &sealed.sealed).await.unwrap();
    let err = secrets::reseal(&store, &b, &SecretKey::generate()).await.unwrap_err().to_string();
    assert!(err.contains(&format!("user {}", bob.0)) && err.contains("ghcr.io"), "{err}");
    secrets::load(&with_b, &store).await.unwrap();
    assert_eq!(service_b.credentials_for(alice, "ghcr.io").await.unwrap().unwrap().password(), "one");
}

#[tokio::test]
async fn rotation_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    rotation_reseals_everything_or_nothing(&format!("sqlite://{}", dir.path().join("shipshape.db").display())).await;
}

#[tokio::test]
async fn rotation_on_postgres() {
    let Some(db) = TestDatabase::create().await.unwrap() else { return };
    rotation_reseals_everything_or_nothing(db.url()).await;
    db.drop_database().await.unwrap();
}

#[tokio::test]
async fn the_rotate_command_replaces_the_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("shipshape.db").display());
    let config = config(&url, None);
    let store = shipshape::store::open(&config.database_url).await.unwrap();
    let old = secrets::load(&config, &store).await.unwrap();
    let erin = user(&store, "erin").await;
    service(&store, &config, old.clone()).save(erin, "ghcr.io", "erin", "pw-of-erin").await.unwrap();
    let key_file = dir.path().join("secret.key");
    let before = std::fs::read_to_string(&key_file).unwrap();

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_shipshape"))
        .args(["secret-key", "rotate"])
        .env("SHIPSHAPE_DATABASE_URL", &url)
        .env("SHIPSHAPE_BASE_IMAGES", "")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("re-sealed 1 registry credential(s)") && stdout.contains("secret.key"), "{stdout}");

    let after = std::fs::read_to_string(&key_file).unwrap();
    assert_ne!(before, after);
    assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(!dir.path().join("secret.key.new").exists());
    let new = secrets::load(&config, &store).await.unwrap();
    assert_eq!(service(&store, &config, new).credentials_for(erin, "ghcr.io").await.unwrap().unwrap().password(), "pw-of-erin");
    let err = secrets::load(&self::config(&url, Some(before.trim())), &store).await.unwrap_err();
    assert!(matches!(err, SecretsError::WrongKey { .. }), "{err}");
}

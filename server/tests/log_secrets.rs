//! The database password stays out of everything `shipshape` prints (issue 14, item 8), wherever
//! the URL carries it: in its user part or in a `password=` parameter, on success and on failure.

use std::process::Stdio;

use shipshape_testkit::TestDatabase;
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_shipshape");

/// `shipshape migrate` against `url` at the most talkative log level: whether it succeeded, and
/// everything it printed.
async fn migrate(url: &str) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(BIN)
        .arg("migrate")
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SHIPSHAPE_DATABASE_URL", url)
        .env("SHIPSHAPE_LOG", "debug")
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    let printed = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), printed)
}

#[tokio::test]
async fn the_database_password_is_never_printed() {
    let Some(db) = TestDatabase::create().await.unwrap() else { return };
    let parsed = url::Url::parse(db.url()).unwrap();
    let (user, password) = (parsed.username(), parsed.password().expect("TEST_POSTGRES_URL has a password"));
    let server = format!("{}:{}{}", parsed.host_str().unwrap(), parsed.port().unwrap_or(5432), parsed.path());
    let as_parameter = format!("postgres://{server}?user={user}&password={password}");

    for url in [db.url().to_string(), as_parameter] {
        let (ok, printed) = migrate(&url).await;
        assert!(ok && printed.contains("schema is current"), "{printed}");
        assert!(printed.contains("***"), "the URL is logged, masked: {printed}");
        assert!(!printed.contains(&format!("password={password}")), "{printed}");
        assert!(!printed.contains(&format!(":{password}@")), "{printed}");
    }
    // Refused: the error is told, the password given is not.
    let (ok, printed) = migrate(&format!("postgres://{server}?user={user}&password=Wr0ng-s3cret")).await;
    assert!(!ok && printed.contains("error"), "{printed}");
    assert!(!printed.contains("Wr0ng-s3cret"), "{printed}");
    db.drop_database().await.unwrap();
}

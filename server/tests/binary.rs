//! The `shipshape` binary as an operator runs it: defaults, first start, and configuration errors.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_shipshape");

fn fake_site(dir: &std::path::Path) -> std::path::PathBuf {
    let site = dir.join("site");
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    std::fs::write(site.join("pkg/shipshape.wasm"), b"\0asm\x01\0\0\0").unwrap();
    site
}

/// Only what the test sets: no SHIPSHAPE_* from the developer's shell leaks in.
fn shipshape(cwd: &std::path::Path) -> Command {
    let mut command = Command::new(BIN);
    command.current_dir(cwd).env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
    command
}

#[tokio::test]
async fn first_start_creates_the_sqlite_database_under_data_and_answers_health_checks() {
    shipshape_testkit::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let site = fake_site(dir.path());
    let mut child = shipshape(dir.path())
        .args(["serve"])
        // Port 0: the test cannot count on 3000 being free; everything else is the default.
        .env("SHIPSHAPE_LISTEN", "127.0.0.1:0")
        .env("LEPTOS_SITE_ROOT", &site)
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(url) = line.split("listening on ").nth(1) {
                return url.trim().to_string();
            }
        }
        panic!("server exited before listening");
    })
    .await
    .expect("server listens within 30 s");

    assert!(dir.path().join("data/shipshape.db").is_file(), "./data/shipshape.db created on first start");
    let health = reqwest::get(format!("{url}/healthz")).await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
    assert!(health.text().await.unwrap().contains("SQLite"));
    let wasm = reqwest::get(format!("{url}/pkg/shipshape.wasm")).await.unwrap();
    assert_eq!(wasm.headers()["content-type"], "application/wasm");
}

#[tokio::test]
async fn misconfiguration_stops_start_up_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("SHIPSHAPE_LISTN", "127.0.0.1:1", "SHIPSHAPE_LISTN is not a Shipshape setting"),
        ("SHIPSHAPE_DATABASE_URL", "mysql://root:hunter2@db/x", "SHIPSHAPE_DATABASE_URL: unsupported database URL"),
        ("SHIPSHAPE_ALLOW_HOSTS", "10.0.0.0/40", "SHIPSHAPE_ALLOW_HOSTS:"),
    ];
    for (name, value, expected) in cases {
        // RUST_BACKTRACE set, as many developers have it: still one line.
        let output =
            shipshape(dir.path()).args(["serve"]).env(name, value).env("RUST_BACKTRACE", "1").output().await.unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{name}={value} must stop start-up");
        assert!(stderr.starts_with(&format!("error: {expected}")), "{stderr}");
        assert!(!stderr.contains("hunter2"), "password leaked: {stderr}");
        assert!(!stderr.contains("backtrace"), "one readable line, not a backtrace: {stderr}");
    }
    assert!(!dir.path().join("data").exists(), "nothing is created when configuration is refused");
}

#[tokio::test]
async fn missing_site_assets_say_how_to_build_them() {
    let dir = tempfile::tempdir().unwrap();
    let output = shipshape(dir.path())
        .args(["serve"])
        .env("LEPTOS_SITE_ROOT", dir.path().join("nowhere"))
        .env("SHIPSHAPE_LISTEN", "127.0.0.1:0")
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("make build"));
}

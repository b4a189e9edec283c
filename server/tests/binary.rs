//! The `shipshape` binary as an operator runs it: defaults, first start, and configuration errors.

use std::process::Stdio;
use std::time::Duration;

use common::process::{fake_site, listening_url};
use tokio::process::Command;

#[allow(dead_code)]
mod common;

const BIN: &str = env!("CARGO_BIN_EXE_shipshape");

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
    let url = listening_url(&mut child, Duration::from_secs(30)).await;

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

mod inspect_command {
    use super::shipshape;
    use base64::Engine;
    use shipshape_testkit::{ImageBuilder, Layer, ManifestFormat, TestRegistry};

    fn image() -> shipshape_testkit::BuiltImage {
        let layer = Layer::builder().file("srv/app", "binary").build().unwrap();
        ImageBuilder::new()
            .layer(layer, "COPY app /srv/ # buildkit")
            .empty_layer("USER 10001")
            .label("org.opencontainers.image.version", "3.1.4")
            .user("10001")
            .build(ManifestFormat::Oci)
    }

    #[tokio::test]
    async fn json_table_and_errors() {
        let registry = TestRegistry::anonymous().await.unwrap();
        let built = image();
        built.push(&registry, "cli/app", Some("3.1.4")).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let reference = format!("{}/cli/app:3.1.4", registry.host());

        let output = shipshape(dir.path())
            .args(["inspect", &reference, "--json"])
            .env("SHIPSHAPE_ALLOW_HOSTS", registry.host())
            .output()
            .await
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(json["reference"], reference);
        assert_eq!(json["digest"], built.manifest_digest);
        let platform = &json["platforms"][0];
        assert_eq!(platform["platform"]["os"], "linux");
        assert_eq!(platform["user"], "10001");
        assert_eq!(platform["labels"]["org.opencontainers.image.version"], "3.1.4");
        assert_eq!(platform["layers"][0]["digest"], built.layers[0].digest.as_str());
        assert_eq!(platform["layers"][0]["created_by"], "COPY app /srv/ # buildkit");
        assert!(dir.path().join("data/shipshape.db").is_file(), "stored in the configured database");

        // The table, from the store this time (the registry is gone).
        drop(registry);
        let output = shipshape(dir.path()).args(["inspect", &reference]).output().await.unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let table = String::from_utf8(output.stdout).unwrap();
        assert!(table.contains("COPY app /srv/") && table.contains("10001"), "{table}");

        let output = shipshape(dir.path()).args(["inspect", &reference, "--refresh"]).output().await.unwrap();
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.starts_with("error: ") && stderr.contains("SHIPSHAPE_ALLOW_HOSTS"), "{stderr}");
        assert!(output.stdout.is_empty());
    }

    #[tokio::test]
    async fn credentials_from_docker_config_or_flag() {
        let registry = TestRegistry::basic("carol", "pw").await.unwrap();
        image().push(&registry, "team/private", Some("v1")).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let reference = format!("{}/team/private:v1", registry.host());
        let run = |args: Vec<String>, docker_config: Option<std::path::PathBuf>| {
            let mut command = shipshape(dir.path());
            command.args(args).env("SHIPSHAPE_ALLOW_HOSTS", registry.host());
            if let Some(path) = docker_config {
                command.env("DOCKER_CONFIG", path);
            }
            command.output()
        };

        let output = run(vec!["inspect".into(), reference.clone()], None).await.unwrap();
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("needs credentials") && stderr.contains("Pass --creds USER:PASS"), "{stderr}");
        assert_eq!(stderr.matches("needs credentials").count(), 1, "said once: {stderr}");

        let wrong =
            run(vec!["inspect".into(), reference.clone(), "--creds".into(), "carol:bad".into()], None).await.unwrap();
        let stderr = String::from_utf8_lossy(&wrong.stderr);
        assert!(stderr.contains("rejected the username or password") && stderr.contains("check --creds"), "{stderr}");

        let config_dir = dir.path().join("docker");
        std::fs::create_dir_all(&config_dir).unwrap();
        let auth = base64::engine::general_purpose::STANDARD.encode("carol:pw");
        std::fs::write(
            config_dir.join("config.json"),
            format!(r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#, registry.host()),
        )
        .unwrap();
        let output = run(vec!["inspect".into(), reference, "--json".into()], Some(config_dir)).await.unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(json["private"], true);

        // The private repository's badge token: made once, printed again, replaced on --rotate.
        let repository = format!("{}/team/private", registry.host());
        let token = |rotate: bool| {
            let mut args = vec!["badge-token".to_string(), repository.clone()];
            if rotate {
                args.push("--rotate".into());
            }
            let run = run(args, None);
            async move {
                let output = run.await.unwrap();
                assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
                assert!(String::from_utf8_lossy(&output.stderr).contains("?token="));
                String::from_utf8(output.stdout).unwrap().trim().to_string()
            }
        };
        let first = token(false).await;
        assert_eq!(first.len(), 43, "{first}");
        assert_eq!(token(false).await, first);
        let rotated = token(true).await;
        assert_ne!(rotated, first);
        assert_eq!(token(false).await, rotated);
        let unknown = run(vec!["badge-token".into(), format!("{}/team/none", registry.host())], None).await.unwrap();
        assert!(!unknown.status.success());
        assert!(String::from_utf8_lossy(&unknown.stderr).contains("inspect one of its tags first"));
    }
}

/// `shipshape vulndb import` then `shipshape scan`, as an operator runs them.
#[tokio::test]
async fn vulndb_import_then_scan() {
    use shipshape_testkit::{ImageBuilder, Layer, ManifestFormat, TestRegistry};
    let registry = TestRegistry::anonymous().await.unwrap();
    let status =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pkgdb/debian/claircore-postgresql.status"));
    let layer = Layer::builder()
        .file("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
        .file("var/lib/dpkg/status", status.unwrap())
        .build()
        .unwrap();
    ImageBuilder::new()
        .layer(layer, "ADD rootfs.tar /")
        .build(ManifestFormat::Oci)
        .push(&registry, "cli/db", Some("1"))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let advisory = dir.path().join("advisory.json");
    std::fs::write(
        &advisory,
        r#"{"id":"DEBIAN-CVE-2099-0010","modified":"2026-10-01T00:00:00Z","aliases":["CVE-2099-0010"],
            "affected":[{"package":{"ecosystem":"Debian:12","name":"postgresql-11"},
                         "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"11.23-0+deb10u1"}]}]}]}"#,
    )
    .unwrap();
    let output = shipshape(dir.path()).args(["vulndb", "import"]).arg(&advisory).output().await.unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("1 record(s) read, 0 withdrawn skipped, 1 written"));

    let reference = format!("{}/cli/db:1", registry.host());
    let scan = |format: &'static str| {
        shipshape(dir.path())
            .args(["scan", &reference, "--format", format])
            .env("SHIPSHAPE_ALLOW_HOSTS", registry.host())
            .output()
    };
    let output = scan("json").await.unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["os"]["id"], "debian");
    assert_eq!(json["packages"].as_array().unwrap().len(), 3);
    assert_eq!(json["findings"][0]["id"], "CVE-2099-0010");
    assert_eq!(json["findings"][0]["fixed_version"], "11.23-0+deb10u1");
    assert!(
        output.stderr.is_empty() || !String::from_utf8_lossy(&output.stderr).contains('['),
        "no progress bar off a terminal"
    );
    let table = String::from_utf8(scan("table").await.unwrap().stdout).unwrap();
    assert!(
        table.contains("3 packages; 1 findings") && table.contains("CVE-2099-0010") && table.contains("Runs as root"),
        "{table}"
    );
    let bad = shipshape(dir.path()).args(["scan", &reference, "--format", "xml"]).output().await.unwrap();
    assert!(!bad.status.success());
}

//! What the registry fault tests share: a real registry holding one small image, a `FaultProxy`
//! in front of it, and Shipshape pointed at the proxy three ways (its services, its REST API over
//! the real router, its `inspect` command), with a short registry timeout so silence ends soon.

use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

use app::reference::ImageReference;
use shipshape::config::Config;
use shipshape::inspect::{InspectError, InspectRequest, Viewer};
use shipshape::services::Services;
use shipshape_testkit::{BuiltImage, FaultProxy, ImageBuilder, Layer, ManifestFormat, Rule, TestRegistry};

/// Seconds a registry request may stall (`SHIPSHAPE_REGISTRY_TIMEOUT`).
pub const REGISTRY_TIMEOUT: &str = "2";
/// What "bounded time" means here: far above any honest answer, far below forever.
pub const GUARD: Duration = Duration::from_secs(60);

pub struct Faulty {
    pub registry: TestRegistry,
    pub proxy: FaultProxy,
    pub image: BuiltImage,
    /// `<proxy>/faults/app:1`
    pub reference: String,
    pub services: Arc<Services>,
    /// The REST API's base URL.
    pub base: String,
    pub dir: tempfile::TempDir,
}

impl Faulty {
    /// `layer` is the image's one layer (a scan test wants one worth trickling).
    pub async fn start(layer: Layer) -> Self {
        let registry = TestRegistry::anonymous().await.unwrap();
        let image = ImageBuilder::new().layer(layer, "COPY hello / # buildkit").build(ManifestFormat::Oci);
        image.push(&registry, "faults/app", Some("1")).await.unwrap();
        let proxy = FaultProxy::start(&registry).await.unwrap();
        let reference = format!("{}/faults/app:1", proxy.host());
        let dir = tempfile::tempdir().unwrap();
        let config = Config::from_vars(vec![
            ("SHIPSHAPE_DATABASE_URL".to_string(), format!("sqlite://{}", dir.path().join("db.sqlite").display())),
            ("SHIPSHAPE_ALLOW_HOSTS".to_string(), proxy.host()),
            ("SHIPSHAPE_REGISTRY_TIMEOUT".to_string(), REGISTRY_TIMEOUT.to_string()),
        ])
        .unwrap();
        let store = shipshape::store::open(&config.database_url).await.unwrap();
        let services = Arc::new(Services::new(store, &config));
        let app = shipshape::serve::router(services.clone(), dir.path().join("site"), &config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { registry, proxy, image, reference, services, base, dir }
    }

    pub fn parsed(&self) -> ImageReference {
        ImageReference::parse(&self.reference).unwrap()
    }

    /// The operator's inspection, as the CLI and the jobs run it, within the guard.
    pub async fn inspect(&self) -> Result<app::dto::ImageReport, InspectError> {
        let reference = self.parsed();
        let inspecting = self.services.inspector.inspect(InspectRequest::new(&reference, Viewer::Operator));
        tokio::time::timeout(GUARD, inspecting).await.expect("inspection ends in bounded time")
    }

    /// `GET /api/v1/images/<reference>`: status, error code and message.
    pub async fn api(&self) -> (u16, String, String) {
        let url = format!("{}/api/v1/images/{}", self.base, self.reference);
        let response = tokio::time::timeout(GUARD, reqwest::get(url)).await.expect("the API answers in bounded time");
        let response = response.unwrap();
        let status = response.status().as_u16();
        let body: serde_json::Value = response.json().await.unwrap();
        let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
        (status, text(&body["error"]["code"]), text(&body["error"]["message"]))
    }

    /// `shipshape inspect <reference>` with its own database, as an operator runs it.
    pub async fn cli(&self) -> Output {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_shipshape"));
        command
            .args(["inspect", &self.reference])
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("SHIPSHAPE_ALLOW_HOSTS", self.proxy.host())
            .env("SHIPSHAPE_REGISTRY_TIMEOUT", REGISTRY_TIMEOUT)
            .env("SHIPSHAPE_DATABASE_URL", format!("sqlite://{}", self.dir.path().join("cli.sqlite").display()))
            .kill_on_drop(true);
        tokio::time::timeout(GUARD, command.output()).await.expect("the CLI ends in bounded time").unwrap()
    }

    /// No tag and no manifest row: a failed inspection left nothing behind.
    pub async fn nothing_stored(&self) -> Result<(), String> {
        let counts = self.services.store.counts().await.unwrap();
        let repository = self.services.store.repository(&self.proxy.host(), "faults/app").await.unwrap();
        let tag = match repository {
            Some(repository) => self.services.store.tag(repository.id, "1").await.unwrap(),
            None => None,
        };
        match (counts.manifests, tag) {
            (0, None) => Ok(()),
            (manifests, tag) => {
                Err(format!("{manifests} manifest row(s) and tag {tag:?} stored by a failed inspection"))
            }
        }
    }

    /// With `rule` on, Shipshape fails the same way everywhere: `expect` holds for the operator's
    /// error, the API answers `status`/`code` without the registry's text, the CLI exits non-zero
    /// with one line saying `cli_says`, and nothing is stored. Then the fault is healed and the inspection succeeds.
    pub async fn fails_clearly(
        &self,
        rule: Rule,
        expect: impl Fn(&InspectError) -> bool,
        (status, code): (u16, &str),
        cli_says: &str,
    ) {
        self.proxy.set_rules(vec![rule]);
        let err = self.inspect().await.unwrap_err();
        assert!(expect(&err), "the operator's error: {err:?}");
        assert!(self.proxy.faulted() > 0, "the fault was met");

        let (got_status, got_code, message) = self.api().await;
        assert_eq!((got_status, got_code.as_str()), (status, code), "the API's answer: {message}");
        assert!(!message.is_empty() && !message.contains('\n'), "{message:?}");
        assert!(!message.contains("hunter2") && !message.contains(&self.registry.host()), "leaks: {message}");

        let output = self.cli().await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        eprintln!("operator: {err}\nAPI: {got_status} {got_code}: {message}\nCLI: {stderr}");
        assert!(!output.status.success(), "the CLI must fail: {stderr}");
        assert!(stderr.starts_with("error: ") && stderr.trim_end().lines().count() == 1, "one line: {stderr}");
        assert!(stderr.contains(cli_says), "the CLI should say {cli_says:?}: {stderr}");
        self.nothing_stored().await.unwrap();

        self.proxy.set_rules(vec![]);
        let report = self.inspect().await.expect("healed, the same inspection succeeds");
        assert_eq!(report.digest, self.image.manifest_digest);
    }
}

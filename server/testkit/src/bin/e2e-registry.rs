//! The registry the Playwright specs browse: Debian's docker-registry on a fixed loopback port
//! (`E2E_REGISTRY_PORT`, default 5123) with a few images pushed, running until killed; once the
//! images are in, `http://127.0.0.1:{port+1}/ready` answers.
//!
//! `e2e/app`: tags 1.0, 1.1, 2.0-rc1, latest; three layers, OCI labels, a non-root user.
//! `e2e/multi:latest`: an OCI index for linux/amd64 and linux/arm64/v8.
//! `e2e/root:latest`: runs as root, no labels.
//! `e2e/live:1`: another such image with two npm modules and a Python package, opened only by the
//! hydrated scan spec, so its first view always finds the scan queued and the page has a running
//! scan to follow and packages to filter.
//! `e2e/base:12` ← `e2e/runtime:1` ← `e2e/service:1`: a lineage, each built on the one before.

use shipshape_testkit::{BuiltIndex, ImageBuilder, Layer, ManifestFormat, RegistryAuthMode, TestRegistry};

fn app(version: &str, arch: &str, variant: Option<&str>) -> shipshape_testkit::BuiltImage {
    let base = Layer::builder()
        .file("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
        .file("usr/lib/base", vec![1u8; 60_000])
        .build();
    let deps = Layer::builder().file("usr/lib/deps", vec![2u8; 20_000]).build();
    let app = Layer::builder().file("app/server", format!("server {version} {arch}")).build();
    ImageBuilder::new()
        .platform("linux", arch, variant)
        .created("2024-06-01T12:00:00Z")
        .layer(base.expect("layer builds"), "/bin/sh -c #(nop) ADD file:5ab1c2 in / ")
        .empty_layer("/bin/sh -c #(nop)  CMD [\"bash\"]")
        .layer(
            deps.expect("layer builds"),
            "RUN /bin/sh -c apt-get update && apt-get install -y ca-certificates # buildkit",
        )
        .layer(app.expect("layer builds"), "COPY server /app/ # buildkit")
        .empty_layer("USER 10001:10001")
        .label("org.opencontainers.image.title", "E2E app")
        .label("org.opencontainers.image.version", version)
        .label("org.opencontainers.image.source", "https://github.com/example/e2e-app")
        .label("org.opencontainers.image.revision", "9f8e7d6c5b4a")
        .label("org.opencontainers.image.licenses", "Apache-2.0")
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("API_TOKEN", "not-for-your-eyes")
        .user("10001:10001")
        .workdir("/app")
        .expose("8080/tcp")
        .entrypoint(&["/app/server"])
        .build(ManifestFormat::Oci)
}

/// `e2e/base:12`, then each later image adds one layer on top of the one before.
fn lineage(depth: usize) -> shipshape_testkit::BuiltImage {
    let steps = [
        ("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n", "/bin/sh -c #(nop) ADD file:9c1d in / ", "CMD [\"bash\"]"),
        ("usr/lib/runtime.so", "runtime", "RUN /bin/sh -c apt-get install -y runtime # buildkit", "CMD [\"runtime\"]"),
        ("srv/service", "service", "COPY service /srv/ # buildkit", "CMD [\"/srv/service\"]"),
    ];
    let mut image = ImageBuilder::new().created("2024-07-01T00:00:00Z");
    for (path, content, made_by, cmd) in &steps[..=depth] {
        let layer = Layer::builder().file(path, *content).build().expect("layer builds");
        image = image.layer(layer, made_by).empty_layer(cmd);
    }
    image.build(ManifestFormat::Oci)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = std::env::var("E2E_REGISTRY_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(5123);
    let registry = TestRegistry::start_on(RegistryAuthMode::Anonymous, port).await?;
    for version in ["1.0", "1.1", "2.0-rc1"] {
        app(version, "amd64", None).push(&registry, "e2e/app", Some(version)).await?;
    }
    app("1.1", "amd64", None).push(&registry, "e2e/app", Some("latest")).await?;
    let index = BuiltIndex::new(ManifestFormat::Oci, vec![app("3.0", "amd64", None), app("3.0", "arm64", Some("v8"))]);
    index.push(&registry, "e2e/multi", "latest").await?;
    let layer = Layer::builder().file("bin/tool", "tool").build()?;
    ImageBuilder::new()
        .layer(layer, "COPY tool /bin/ # buildkit")
        .build(ManifestFormat::Docker)
        .push(&registry, "e2e/root", Some("latest"))
        .await?;
    let layer = Layer::builder()
        .file("bin/live", "followed over server-sent events")
        .file("usr/lib/node_modules/left-pad/package.json", r#"{"name":"left-pad","version":"1.3.0","license":"WTFPL"}"#)
        .file("usr/lib/node_modules/ms/package.json", r#"{"name":"ms","version":"2.1.3","license":"MIT"}"#)
        .file("usr/lib/python3/site-packages/six-1.16.0.dist-info/METADATA", "Name: six\nVersion: 1.16.0\nLicense: MIT\n")
        .build()?;
    ImageBuilder::new()
        .layer(layer, "COPY live /bin/ # buildkit")
        .build(ManifestFormat::Docker)
        .push(&registry, "e2e/live", Some("1"))
        .await?;
    for (depth, (repository, tag)) in
        [("e2e/base", "12"), ("e2e/runtime", "1"), ("e2e/service", "1")].iter().enumerate()
    {
        lineage(depth).push(&registry, repository, Some(tag)).await?;
    }
    // The registry answers before the images are pushed: readiness is a second port, opened last.
    // `/requests`: how many requests the registry has answered (benchmarks count a round's).
    let registry = std::sync::Arc::new(registry);
    let counted = registry.clone();
    let ready = tokio::net::TcpListener::bind(("127.0.0.1", port + 1)).await?;
    tokio::spawn(async move {
        let app = axum::Router::new()
            .route("/ready", axum::routing::get(|| async { "ready" }))
            .route("/requests", axum::routing::get(move || async move { counted.request_count().to_string() }));
        let _ = axum::serve(ready, app).await;
    });
    println!("e2e registry ready on {}", registry.host());
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! { _ = tokio::signal::ctrl_c() => {}, _ = term.recv() => {} }
    Ok(())
}

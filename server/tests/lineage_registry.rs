//! Lineage end to end on Debian's docker-registry: a base (an OCI index), an image built on it and
//! one built on that; bases found by chain ID whatever the order of inspection, the history
//! heuristic before any base is known, annotations checked against the layers, and "base moved"
//! (with its events) once the base's tag names a new image.

use app::dto::{ImageReport, Lineage};
use app::reference::ImageReference;
use shipshape::config::Config;
use shipshape::inspect::Viewer;
use shipshape::services::Services;
use shipshape_testkit::{BuiltImage, BuiltIndex, ImageBuilder, Layer, ManifestFormat, TestRegistry};

struct Fixture {
    config: Config,
    services: Services,
    jobs: shipshape::jobs::Runner,
    registry: TestRegistry,
    _dir: tempfile::TempDir,
}

impl Fixture {
    /// The `base_updated` events raised so far (tags created and moved are events too).
    async fn base_events(&self) -> Vec<shipshape::store::EventRecord> {
        let events = self.services.store.events(0, 1000).await.unwrap();
        events.into_iter().filter(|e| e.kind == shipshape::lineage::BASE_UPDATED).collect()
    }

    async fn new() -> Self {
        Self::with(|_| Vec::new()).await
    }

    /// With more settings, which may name the registry's host.
    async fn with(extra: impl Fn(&str) -> Vec<(&'static str, String)>) -> Self {
        let registry = TestRegistry::anonymous().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut vars = vec![
            ("SHIPSHAPE_DATABASE_URL".to_string(), format!("sqlite://{}", dir.path().join("s.db").display())),
            ("SHIPSHAPE_ALLOW_HOSTS".to_string(), registry.host()),
        ];
        vars.extend(extra(&registry.host()).into_iter().map(|(k, v)| (k.to_string(), v)));
        let config = Config::from_vars(vars).unwrap();
        let store = shipshape::store::open(&config.database_url).await.unwrap();
        let services = Services::new(store, &config);
        let jobs = shipshape::worker::runner(&services, &config);
        Self { config, services, jobs, registry, _dir: dir }
    }

    fn reference(&self, rest: &str) -> ImageReference {
        ImageReference::parse(&format!("{}/{rest}", self.registry.host())).unwrap()
    }

    async fn inspect_as(&self, rest: &str, refresh: bool, viewer: Viewer) -> ImageReport {
        self.services.inspector.inspect(shipshape::inspect::InspectRequest::new(&self.reference(rest), viewer).refresh(refresh)).await.unwrap()
    }

    async fn lineage(&self, rest: &str) -> Lineage {
        let report = self.inspect_as(rest, false, Viewer::Operator).await;
        assert_eq!(report.platforms.len(), 1, "{rest} is single-platform here");
        report.platforms[0].lineage.clone()
    }
}

fn layer(path: &str, content: &str) -> Layer {
    Layer::builder().file(path, content).build().unwrap()
}

/// Debian-like base: a rootfs layer, a package layer, `CMD ["bash"]`.
fn base_image(arch: &str, release: &str) -> ImageBuilder {
    ImageBuilder::new()
        .platform("linux", arch, None)
        .created("2024-01-01T00:00:00Z")
        .layer(layer("etc/os-release", &format!("ID=debian\nARCH={arch}\n")), "/bin/sh -c #(nop) ADD file:r in / ")
        .layer(layer("var/lib/dpkg/status", release), "/bin/sh -c apt-get update && apt-get install -y ca-certificates")
        .empty_layer("/bin/sh -c #(nop)  CMD [\"bash\"]")
}

fn runtime_on(base: ImageBuilder) -> ImageBuilder {
    base.created("2024-02-01T00:00:00Z")
        .layer(layer("usr/lib/runtime.so", "runtime"), "RUN /bin/sh -c apt-get install -y runtime # buildkit")
        .empty_layer("CMD [\"runtime\"]")
}

fn app_on(runtime: ImageBuilder) -> ImageBuilder {
    runtime
        .created("2024-03-01T00:00:00Z")
        .layer(layer("app/app", "app"), "COPY app /app/ # buildkit")
        .user("1000")
        .empty_layer("CMD [\"/app/app\"]")
}

fn index(images: Vec<BuiltImage>) -> BuiltIndex {
    BuiltIndex::new(ManifestFormat::Oci, images)
}

#[tokio::test]
async fn bases_chain_and_base_moved() {
    let f = Fixture::new().await;
    let base_amd = base_image("amd64", "v1").build(ManifestFormat::Oci);
    let base_arm = base_image("arm64", "v1").build(ManifestFormat::Oci);
    let runtime = runtime_on(base_image("amd64", "v1")).build(ManifestFormat::Oci);
    let app = app_on(runtime_on(base_image("amd64", "v1"))).build(ManifestFormat::Docker);
    let base_index = index(vec![base_amd.clone(), base_arm]);
    base_index.push(&f.registry, "lib/base", "12").await.unwrap();
    runtime.push(&f.registry, "lib/runtime", Some("1")).await.unwrap();
    app.push(&f.registry, "team/app", Some("2.0")).await.unwrap();

    // Nothing else known yet: the history's last CMD before the app's own layers marks 3 base layers.
    let alone = f.lineage("team/app:2.0").await;
    assert!(alone.base.is_none() && alone.chain.is_empty());
    assert_eq!((alone.own_layers, alone.unknown_base_layers), (4, Some(3)));

    // Bases inspected after the app still become its ancestors: the index is consulted on each read.
    f.inspect_as("lib/base:12", false, Viewer::Operator).await;
    f.inspect_as("lib/runtime:1", false, Viewer::Operator).await;
    let host = f.registry.host();
    let lineage = f.lineage("team/app:2.0").await;
    let base = lineage.base.clone().expect("a base");
    assert_eq!(base.reference, format!("{host}/lib/runtime:1"));
    assert_eq!(base.digest, runtime.manifest_digest);
    let chain: Vec<(&str, usize, usize)> =
        lineage.chain.iter().map(|a| (a.reference.as_str(), a.layers, a.contributes)).collect();
    let (runtime_ref, base_ref) = (format!("{host}/lib/runtime:1"), format!("{host}/lib/base:12"));
    assert_eq!(chain, vec![(runtime_ref.as_str(), 3, 1), (base_ref.as_str(), 2, 2)]);
    assert_eq!(lineage.chain[1].digest, base_amd.manifest_digest, "the platform image, not the index");
    assert_eq!((lineage.own_layers, lineage.unknown_base_layers), (1, None));
    assert!(!lineage.base_moved && lineage.base_moved_at.is_none());
    let root = f.inspect_as("lib/base:12", false, Viewer::Operator).await;
    assert!(root.platforms.iter().all(|p| p.lineage.chain.is_empty() && !p.lineage.base_moved), "roots have no base");

    // The base's tag moves to a rebuilt image; re-checking it flags both descendants.
    let rebuilt = index(vec![
        base_image("amd64", "v2").created("2024-04-01T00:00:00Z").build(ManifestFormat::Oci),
        base_image("arm64", "v2").created("2024-04-01T00:00:00Z").build(ManifestFormat::Oci),
    ]);
    rebuilt.push(&f.registry, "lib/base", "12").await.unwrap();
    let rechecked = f.inspect_as("lib/base:12", true, Viewer::Operator).await;
    assert_eq!(rechecked.digest, rebuilt.digest);

    let runtime_lineage = f.lineage("lib/runtime:1").await;
    assert!(runtime_lineage.base_moved, "{runtime_lineage:?}");
    assert!(runtime_lineage.base_moved_at.is_some());
    let moved = &runtime_lineage.chain[0];
    assert_eq!((moved.reference.as_str(), moved.moved), (base_ref.as_str(), true));
    assert_eq!(moved.current_digest.as_deref(), Some(rebuilt.digest.as_str()));

    let app_lineage = f.lineage("team/app:2.0").await;
    assert!(app_lineage.base_moved, "a moved grandparent needs a rebuild too");
    assert_eq!(app_lineage.base_moved_at, runtime_lineage.base_moved_at);
    assert!(!app_lineage.chain[0].moved && app_lineage.chain[1].moved, "nearest first: runtime, then base");

    // One event per descendant tag, for the notifier, raised by the job reacting to the move.
    f.jobs.drain().await.unwrap();
    let events = f.base_events().await;
    let mut subjects: Vec<(String, Option<String>)> =
        events.iter().map(|e| (e.repository.clone(), e.tag.clone())).collect();
    subjects.sort();
    assert_eq!(subjects, vec![("lib/runtime".into(), Some("1".into())), ("team/app".into(), Some("2.0".into()))]);
    assert!(events.iter().all(|e| e.kind == shipshape::lineage::BASE_UPDATED && e.detail["base"] == base_ref.as_str()));

    // Re-checking again raises nothing new.
    f.inspect_as("lib/base:12", true, Viewer::Operator).await;
    f.jobs.drain().await.unwrap();
    assert_eq!(f.base_events().await.len(), 2);
}

#[tokio::test]
async fn annotations_are_checked_against_the_layers() {
    let f = Fixture::new().await;
    let base = base_image("amd64", "v1").build(ManifestFormat::Oci);
    let other = base_image("amd64", "other").build(ManifestFormat::Oci);
    base.push(&f.registry, "lib/base", Some("12")).await.unwrap();
    other.push(&f.registry, "lib/other", Some("1")).await.unwrap();
    let host = f.registry.host();
    let honest = runtime_on(base_image("amd64", "v1"))
        .annotation("org.opencontainers.image.base.name", &format!("{host}/lib/base:12"))
        .annotation("org.opencontainers.image.base.digest", &base.manifest_digest)
        .build(ManifestFormat::Oci);
    let wrong = runtime_on(base_image("amd64", "v1"))
        .label("org.opencontainers.image.base.name", &format!("{host}/lib/other:1"))
        .label("org.opencontainers.image.base.digest", &other.manifest_digest)
        .build(ManifestFormat::Oci);
    honest.push(&f.registry, "team/honest", Some("1")).await.unwrap();
    wrong.push(&f.registry, "team/wrong", Some("1")).await.unwrap();
    f.inspect_as("lib/base:12", false, Viewer::Operator).await;
    f.inspect_as("lib/other:1", false, Viewer::Operator).await;

    let confirmed = f.lineage("team/honest:1").await;
    let annotated = confirmed.annotated_base.clone().unwrap();
    assert!(annotated.confirmed);
    assert!(confirmed.chain[0].annotated);
    assert_eq!(confirmed.base.unwrap().reference, format!("{host}/lib/base:12"));

    // The labels name an image whose layers are not where this one's begin: the chain decides.
    let refuted = f.lineage("team/wrong:1").await;
    assert!(!refuted.annotated_base.unwrap().confirmed);
    assert_eq!(refuted.base.unwrap().reference, format!("{host}/lib/base:12"));
    assert!(!refuted.chain[0].annotated);
}

#[tokio::test]
async fn known_bases_are_indexed_in_the_background() {
    let f = Fixture::with(|host| {
        vec![
            ("SHIPSHAPE_BASE_IMAGES", format!("{host}/lib/base")),
            ("SHIPSHAPE_BASE_TAGS", "2".into()),
            ("SHIPSHAPE_BASE_PLATFORMS", "linux/amd64".into()),
            // Every round re-checks each tag (one HEAD), as a round hours apart would.
            ("SHIPSHAPE_TAG_TTL", "0".into()),
        ]
    })
    .await;
    let release = |version: &str| base_image("amd64", version).build(ManifestFormat::Oci);
    for version in ["1.0", "1.1", "2.0-slim"] {
        release(version).push(&f.registry, "lib/base", Some(version)).await.unwrap();
    }
    let two = index(vec![release("2.0"), base_image("arm64", "2.0").build(ManifestFormat::Oci)]);
    two.push(&f.registry, "lib/base", "2.0").await.unwrap();
    two.push(&f.registry, "lib/base", "latest").await.unwrap();
    let app = app_on(runtime_on(base_image("amd64", "1.1"))).build(ManifestFormat::Oci);
    app.push(&f.registry, "team/app", Some("1")).await.unwrap();

    // latest, 2.0 and 1.1 (the newest two releases; 1.0 is older, 2.0-slim a variant), amd64 only.
    assert_eq!(round(&f, "first").await.images, 3);
    let lineage = f.lineage("team/app:1").await;
    assert_eq!(lineage.base.unwrap().reference, format!("{}/lib/base:1.1", f.registry.host()));
    assert_eq!(lineage.own_layers, 2, "the runtime and app layers, on no known runtime image");

    // 1.1 is rebuilt; the next round notices without anyone looking at it.
    release("1.1-patched").push(&f.registry, "lib/base", Some("1.1")).await.unwrap();
    round(&f, "second").await;
    assert!(f.lineage("team/app:1").await.base_moved);
    f.jobs.drain().await.unwrap();
    let events = f.base_events().await;
    assert_eq!(events.len(), 1);
    assert_eq!((events[0].repository.as_str(), events[0].tag.as_deref()), ("team/app", Some("1")));
}

async fn round(f: &Fixture, label: &str) -> shipshape::worker::known_bases::RoundSummary {
    let seen = std::sync::Mutex::new(Vec::new());
    let summary =
        shipshape::worker::known_bases::index_round(&f.services.inspector, &f.config.base_images, |repository| {
            seen.lock().unwrap().push(repository.to_string())
        })
        .await;
    assert!(summary.failures.is_empty(), "{label}: {:?}", summary.failures);
    assert_eq!(seen.into_inner().unwrap(), vec![format!("{}/lib/base", f.registry.host())], "progress per repository");
    summary
}

//! Inspection end to end against Debian's real docker-registry in its three auth modes: every
//! manifest kind, the model's fields, caching, credentials and visibility, and the distinct errors.

use app::dto::ImageReport;
use app::reference::ImageReference;
use shipshape::config::Config;
use shipshape::inspect::{InspectError, PlatformFilter, Viewer};
use shipshape::registry::{Credentials, RegistryError};
use shipshape::services::Services;
use shipshape_testkit::{BuiltImage, BuiltIndex, ImageBuilder, Layer, ManifestFormat, TestRegistry};

struct Fixture {
    services: Services,
    _dir: tempfile::TempDir,
}

async fn services(vars: &[(&str, &str)]) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("shipshape.db").display());
    let mut all: Vec<(String, String)> = vec![("SHIPSHAPE_DATABASE_URL".into(), db)];
    all.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let config = Config::from_vars(all).unwrap();
    let store = shipshape::store::open(&config.database_url).await.unwrap();
    Fixture { services: Services::new(store, &config), _dir: dir }
}

/// A service allowed to reach the test registry (and nothing else on loopback).
async fn allowed(registry: &TestRegistry) -> Fixture {
    services(&[("SHIPSHAPE_ALLOW_HOSTS", &registry.host())]).await
}

fn app_image(format: ManifestFormat, arch: &str, variant: Option<&str>) -> BuiltImage {
    let base = Layer::builder().file("etc/os-release", format!("ID=debian\nARCH={arch}\n")).build().unwrap();
    let app = Layer::builder().file("app/run.sh", "#!/bin/sh\necho hi\n").build().unwrap();
    let tools = Layer::builder().file("usr/bin/tool", vec![7u8; 4096]).build().unwrap();
    ImageBuilder::new()
        .platform("linux", arch, variant)
        .created("2024-05-06T07:08:09.123456789Z")
        .layer(base, "/bin/sh -c #(nop) ADD file:abc in / ")
        .empty_layer("/bin/sh -c #(nop)  CMD [\"bash\"]")
        .layer(tools, "/bin/sh -c apt-get install -y tool")
        .empty_layer("LABEL org.opencontainers.image.version=1.2.3 # buildkit")
        .layer(app, "COPY run.sh /app/ # buildkit")
        .label("org.opencontainers.image.version", "1.2.3")
        .label("org.opencontainers.image.source", "https://github.com/example/app")
        .label("org.opencontainers.image.revision", "0123abc")
        .label("org.label-schema.license", "MIT")
        .env("PATH", "/usr/local/bin:/usr/bin")
        .env("DB_PASSWORD", "hunter2")
        .user("1000:1000")
        .workdir("/app")
        .expose("8080/tcp")
        .cmd(&["/app/run.sh"])
        .config_field("StopSignal", "SIGQUIT".into())
        .config_field("Healthcheck", serde_json::json!({"Test": ["CMD", "true"], "Interval": 30_000_000_000u64}))
        .build(format)
}

fn reference(registry: &TestRegistry, rest: &str) -> ImageReference {
    ImageReference::parse(&format!("{}/{rest}", registry.host())).unwrap()
}

async fn inspect(fixture: &Fixture, reference: &ImageReference) -> Result<ImageReport, InspectError> {
    fixture.services.inspector.inspect(shipshape::inspect::InspectRequest::new(reference, Viewer::Operator)).await
}

/// The model's fields agree with what was pushed, byte for byte where the registry keeps bytes.
fn assert_matches_built(image: &app::dto::PlatformImage, built: &BuiltImage) {
    let config: serde_json::Value = serde_json::from_slice(&built.config).unwrap();
    assert_eq!(image.digest, built.manifest_digest);
    assert_eq!(image.config_digest, built.config_digest);
    assert_eq!(image.platform.architecture, built.platform.architecture);
    assert_eq!(image.platform.variant, built.platform.variant);
    assert_eq!(image.created.as_deref(), config["created"].as_str());
    assert_eq!(image.user, "1000:1000");
    assert!(!image.runs_as_root);
    let layer_digests: Vec<&str> = image.layers.iter().map(|l| l.digest.as_str()).collect();
    let built_digests: Vec<&str> = built.layers.iter().map(|l| l.digest.as_str()).collect();
    assert_eq!(layer_digests, built_digests);
    let diff_ids: Vec<Option<&str>> = image.layers.iter().map(|l| l.diff_id.as_deref()).collect();
    assert_eq!(diff_ids, built.layers.iter().map(|l| Some(l.diff_id.as_str())).collect::<Vec<_>>());
    let sizes: Vec<u64> = image.layers.iter().map(|l| l.size).collect();
    assert_eq!(sizes, built.layers.iter().map(|l| l.blob.len() as u64).collect::<Vec<_>>());
    assert_eq!(image.size, sizes.iter().sum::<u64>());
    let created_by: Vec<&str> = image.layers.iter().map(|l| l.created_by.as_deref().unwrap()).collect();
    assert_eq!(
        created_by,
        ["/bin/sh -c #(nop) ADD file:abc in / ", "/bin/sh -c apt-get install -y tool", "COPY run.sh /app/ # buildkit"]
    );
    let instructions: Vec<&str> = image.layers.iter().map(|l| l.instruction.as_deref().unwrap()).collect();
    assert_eq!(instructions, ["ADD file:abc in /", "RUN apt-get install -y tool", "COPY run.sh /app/"]);
    assert_eq!(image.history.len(), 5);
    assert_eq!(image.history.iter().filter(|h| h.empty_layer).count(), 2);
    assert_eq!(image.labels.get("org.opencontainers.image.version").map(String::as_str), Some("1.2.3"));
    assert_eq!(image.label_facts.license.as_deref(), Some("MIT"));
    assert_eq!(image.label_facts.commit_url.as_deref(), Some("https://github.com/example/app/commit/0123abc"));
    let password = image.env.iter().find(|e| e.name == "DB_PASSWORD").unwrap();
    assert!(password.masked && !password.value.contains("hunter2"));
    assert_eq!(image.exposed_ports, ["8080/tcp"]);
    assert_eq!(image.workdir.as_deref(), Some("/app"));
    assert_eq!(image.stop_signal.as_deref(), Some("SIGQUIT"));
    assert_eq!(image.healthcheck.as_ref().unwrap().interval_seconds, Some(30));
}

#[tokio::test]
async fn every_manifest_kind_on_an_anonymous_registry() {
    let registry = TestRegistry::anonymous().await.unwrap();
    let fixture = allowed(&registry).await;
    for format in [ManifestFormat::Oci, ManifestFormat::Docker] {
        let single = app_image(format, "amd64", None);
        let tag = format!("{format:?}-single").to_lowercase();
        single.push(&registry, "team/app", Some(&tag)).await.unwrap();
        let report = inspect(&fixture, &reference(&registry, &format!("team/app:{tag}"))).await.unwrap();
        assert_eq!(report.digest, single.manifest_digest);
        assert_eq!(report.media_type, format.manifest_media_type());
        assert_eq!(report.platforms.len(), 1);
        assert_matches_built(&report.platforms[0], &single);
        assert!(!report.private);

        let images = vec![app_image(format, "amd64", None), app_image(format, "arm64", Some("v8"))];
        let index = BuiltIndex::new(format, images.clone());
        let tag = format!("{format:?}-index").to_lowercase();
        index.push(&registry, "team/app", &tag).await.unwrap();
        let index_ref = reference(&registry, &format!("team/app:{tag}"));
        let report = inspect(&fixture, &index_ref).await.unwrap();
        assert_eq!(
            (report.digest.as_str(), report.media_type.as_str()),
            (index.digest.as_str(), format.index_media_type())
        );
        assert_eq!(report.platforms.len(), 2);
        for (platform, built) in report.platforms.iter().zip(&images) {
            assert_matches_built(platform, built);
        }

        let arm = PlatformFilter::parse("linux/arm64/v8").unwrap();
        let only =
            fixture.services.inspector.inspect(shipshape::inspect::InspectRequest::new(&index_ref, Viewer::Operator).platform(Some(&arm))).await.unwrap();
        assert_eq!(only.platforms.len(), 1);
        assert_eq!(only.platforms[0].platform.to_string(), "linux/arm64/v8");
        let missing = PlatformFilter::parse("linux/arm64/v7").unwrap();
        let err = fixture.services.inspector.inspect(shipshape::inspect::InspectRequest::new(&index_ref, Viewer::Operator).platform(Some(&missing))).await;
        assert!(
            matches!(&err, Err(InspectError::NoPlatform { available, .. }) if available.contains("linux/arm64/v8")),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn cached_content_is_not_fetched_again_and_tags_move_with_history() {
    let registry = TestRegistry::anonymous().await.unwrap();
    let fixture = services(&[("SHIPSHAPE_ALLOW_HOSTS", &registry.host()), ("SHIPSHAPE_TAG_TTL", "3600")]).await;
    let first = app_image(ManifestFormat::Oci, "amd64", None);
    first.push(&registry, "cache/app", Some("v1")).await.unwrap();
    let tag = reference(&registry, "cache/app:v1");
    let by_digest = reference(&registry, &format!("cache/app@{}", first.manifest_digest));
    let cold = inspect(&fixture, &tag).await.unwrap();

    // Within the TTL the tag, and by digest anything stored, are answered without the registry.
    let second = app_image(ManifestFormat::Oci, "arm64", None);
    second.push(&registry, "cache/app", Some("v1")).await.unwrap();
    let cached = inspect(&fixture, &tag).await.unwrap();
    assert_eq!(cached.digest, first.manifest_digest, "cached within the TTL");
    // A cached answer is not a check: views must not keep pushing the next re-check away.
    assert_eq!(cached.checked_at, cold.checked_at);
    assert_eq!(cached.tag_history[0].last_seen, cold.tag_history[0].last_seen);

    // --refresh re-resolves: the tag moved, and its history shows both digests.
    let moved = fixture.services.inspector.inspect(shipshape::inspect::InspectRequest::new(&tag, Viewer::Operator).refresh(true)).await.unwrap();
    assert_eq!(moved.digest, second.manifest_digest);
    let history: Vec<&str> = moved.tag_history.iter().map(|h| h.digest.as_str()).collect();
    assert_eq!(history, [second.manifest_digest.as_str(), first.manifest_digest.as_str()]);

    drop(registry);
    let offline = inspect(&fixture, &by_digest).await.unwrap();
    assert_eq!(offline.platforms[0].layers.len(), 3, "served from the store with the registry gone");
}

#[tokio::test]
async fn tags_deleted_at_the_registry_are_recorded_once_with_their_event() {
    let registry = TestRegistry::anonymous().await.unwrap();
    let fixture = services(&[("SHIPSHAPE_ALLOW_HOSTS", &registry.host()), ("SHIPSHAPE_TAG_TTL", "3600")]).await;
    let (one, two) = (app_image(ManifestFormat::Oci, "amd64", None), app_image(ManifestFormat::Oci, "arm64", None));
    one.push(&registry, "gone/app", Some("v1")).await.unwrap();
    two.push(&registry, "gone/app", Some("v2")).await.unwrap();
    app_image(ManifestFormat::Oci, "s390x", None).push(&registry, "gone/app", Some("v3")).await.unwrap();
    let (v1, v2) = (reference(&registry, "gone/app:v1"), reference(&registry, "gone/app:v2"));
    inspect(&fixture, &v1).await.unwrap();
    inspect(&fixture, &v2).await.unwrap();
    let store = &fixture.services.store;
    let repo = store.repository(&v1.registry, &v1.repository).await.unwrap().unwrap();

    // A re-check of a stored tag finds it gone.
    assert_eq!(registry.delete_manifest("gone/app", &one.manifest_digest).await.unwrap(), 202);
    let refresh = shipshape::inspect::InspectRequest::new(&v1, Viewer::Anonymous).refresh(true);
    let err = fixture.services.inspector.inspect(refresh).await.unwrap_err();
    assert!(matches!(err, InspectError::Registry(RegistryError::ManifestNotFound { .. })), "{err}");
    // Listing the repository finds the other one gone.
    assert_eq!(registry.delete_manifest("gone/app", &two.manifest_digest).await.unwrap(), 202);
    let listed = fixture.services.inspector.repository_tags(&v1, 50, None, None, Viewer::Anonymous).await.unwrap();
    assert_eq!(listed.tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["v3"]);
    // A second look changes nothing: each deletion was an event once.
    let _ = inspect(&fixture, &v1).await;
    assert_eq!(store.live_tags(repo.id).await.unwrap(), ["v3"]);
    let deleted: Vec<_> = store.events(0, 100).await.unwrap().into_iter().filter(|e| e.kind == "tag.deleted").collect();
    let seen: Vec<_> = deleted.iter().map(|e| (e.tag.clone().unwrap(), e.detail["from"].clone())).collect();
    assert_eq!(seen, [("v1".to_string(), one.manifest_digest.clone().into()), ("v2".into(), two.manifest_digest.clone().into())]);
}

#[tokio::test]
async fn distinct_errors_for_missing_repository_tag_and_unreachable_registry() {
    let registry = TestRegistry::anonymous().await.unwrap();
    let fixture = services(&[("SHIPSHAPE_ALLOW_HOSTS", "127.0.0.0/8")]).await;
    app_image(ManifestFormat::Oci, "amd64", None).push(&registry, "exists/app", Some("v1")).await.unwrap();

    let err = inspect(&fixture, &reference(&registry, "nope/app:v1")).await.unwrap_err();
    assert!(matches!(err, InspectError::Registry(RegistryError::RepositoryNotFound { .. })), "{err}");
    let err = inspect(&fixture, &reference(&registry, "exists/app:v2")).await.unwrap_err();
    assert!(matches!(err, InspectError::Registry(RegistryError::ManifestNotFound { .. })), "{err}");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = listener.local_addr().unwrap();
    drop(listener);
    let err = inspect(&fixture, &ImageReference::parse(&format!("{closed}/x/y:1")).unwrap()).await.unwrap_err();
    assert!(matches!(err, InspectError::Registry(RegistryError::Unreachable { .. })), "{err}");
}

#[tokio::test]
async fn private_addresses_are_refused_in_every_spelling_unless_allow_listed() {
    let registry = TestRegistry::anonymous().await.unwrap();
    app_image(ManifestFormat::Oci, "amd64", None).push(&registry, "ssrf/app", Some("v1")).await.unwrap();
    let port = registry.host().rsplit_once(':').unwrap().1.to_string();
    let fixture = services(&[]).await;
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
        // IPv4-mapped, in hex (Docker refuses the dotted spelling in a reference).
        format!("[::ffff:7f00:1]:{port}"),
        format!("2130706433:{port}"),
        format!("0177.0.0.1:{port}"),
        "169.254.169.254".to_string(),
        "10.0.0.1:5000".to_string(),
    ] {
        let reference = ImageReference::parse(&format!("{host}/ssrf/app:v1")).unwrap();
        let err = inspect(&fixture, &reference).await.unwrap_err();
        assert!(matches!(err, InspectError::Registry(RegistryError::Net(_))), "{host}: {err}");
        assert!(err.to_string().contains("SHIPSHAPE_ALLOW_HOSTS"), "{host}: {err}");
    }
    // The decimal spelling reaches the registry once its address is allow-listed (a /32: every port).
    let fixture = services(&[("SHIPSHAPE_ALLOW_HOSTS", "127.0.0.1/32")]).await;
    let reference = ImageReference::parse(&format!("2130706433:{port}/ssrf/app:v1")).unwrap();
    assert_eq!(inspect(&fixture, &reference).await.unwrap().platforms.len(), 1);
}

#[tokio::test]
async fn basic_auth_registry_needs_the_right_password_and_stays_private() {
    let registry = TestRegistry::basic("alice", "s3cret").await.unwrap();
    let fixture = allowed(&registry).await;
    app_image(ManifestFormat::Docker, "amd64", None).push(&registry, "corp/api", Some("1.0")).await.unwrap();
    let api = reference(&registry, "corp/api:1.0");

    let err = inspect(&fixture, &api).await.unwrap_err();
    assert!(matches!(err, InspectError::Registry(RegistryError::CredentialsRequired { .. })), "{err}");
    // What to type is the terminal's business (tests/binary.rs); the web's answer is a 404.
    assert!(!err.to_string().contains("--creds"), "{err}");
    let public = shipshape::services::ServiceError::from(err).public();
    assert_eq!((public.kind, public.code), (shipshape::services::Kind::NotFound, "not_found_or_private"));

    let wrong = Some(Credentials::new("alice", "nope"));
    let err = fixture.services.inspector.inspect(shipshape::inspect::InspectRequest::new(&api, Viewer::Operator).credentials(wrong)).await.unwrap_err();
    assert!(matches!(err, InspectError::Registry(RegistryError::WrongCredentials { .. })), "{err}");

    let right = Some(Credentials::new("alice", "s3cret"));
    let report = fixture.services.inspector.inspect(shipshape::inspect::InspectRequest::new(&api, Viewer::Operator).credentials(right)).await.unwrap();
    assert!(report.private);
    assert_eq!(report.platforms[0].layers.len(), 3);

    // Anonymous visitors never see it: the registry is asked as for a repository never seen, and
    // its refusal is the answer.
    let err = fixture.services.inspector.inspect(shipshape::inspect::InspectRequest::new(&api, Viewer::Anonymous)).await.unwrap_err();
    assert!(matches!(err, InspectError::Registry(RegistryError::CredentialsRequired { .. })), "{err}");
    let repo = reference(&registry, "corp/api");
    let err = fixture.services.inspector.repository_tags(&repo, 10, None, None, Viewer::Anonymous).await.unwrap_err();
    assert!(matches!(err, InspectError::Registry(RegistryError::CredentialsRequired { .. })), "{err}");
    first_asked_by_digest_stays_private(&registry).await;
}

/// The first inspection of a private repository, by digest: nothing is fetched before the manifest,
/// which needs the credentials; the repository must be stored private before it is linked.
async fn first_asked_by_digest_stays_private(registry: &TestRegistry) {
    let fixture = allowed(registry).await;
    let image = app_image(ManifestFormat::Oci, "arm64", None);
    image.push(registry, "corp/digest", None).await.unwrap();
    let by_digest = reference(registry, &format!("corp/digest@{}", image.manifest_digest));
    let right = Some(Credentials::new("alice", "s3cret"));
    let request = shipshape::inspect::InspectRequest::new(&by_digest, Viewer::Operator).credentials(right);
    assert!(fixture.services.inspector.inspect(request).await.unwrap().private);
    let err = fixture.services.inspector.inspect(shipshape::inspect::InspectRequest::new(&by_digest, Viewer::Anonymous));
    let err = err.await.unwrap_err();
    assert!(matches!(err, InspectError::Registry(RegistryError::CredentialsRequired { .. })), "stored as private: {err}");
}

#[tokio::test]
async fn token_auth_registry_public_and_private_repositories() {
    let registry = TestRegistry::token("bob", "hunter2").await.unwrap();
    // The token realm is another loopback port: without it allow-listed the policy refuses the realm.
    let fixture = allowed(&registry).await;
    app_image(ManifestFormat::Oci, "amd64", None).push(&registry, "public/tool", Some("latest")).await.unwrap();
    let err = inspect(&fixture, &reference(&registry, "public/tool")).await.unwrap_err();
    assert!(matches!(&err, InspectError::Registry(RegistryError::Net(_))), "{err}");
    let fixture = services(&[("SHIPSHAPE_ALLOW_HOSTS", "127.0.0.1/32")]).await;
    app_image(ManifestFormat::Oci, "arm64", None).push(&registry, "private/tool", Some("latest")).await.unwrap();

    // Anonymous tokens read public/*, like Docker Hub's official images.
    let public = inspect(&fixture, &reference(&registry, "public/tool")).await.unwrap();
    assert!(!public.private);
    assert_eq!(public.reference, format!("{}/public/tool:latest", registry.host()));

    let secret = reference(&registry, "private/tool:latest");
    let err = inspect(&fixture, &secret).await.unwrap_err();
    assert!(matches!(err, InspectError::Registry(RegistryError::CredentialsRequired { .. })), "{err}");
    let wrong = Some(Credentials::new("bob", "wrong"));
    let err = fixture.services.inspector.inspect(shipshape::inspect::InspectRequest::new(&secret, Viewer::Operator).credentials(wrong)).await.unwrap_err();
    assert!(matches!(err, InspectError::Registry(RegistryError::WrongCredentials { .. })), "{err}");
    let right = Some(Credentials::new("bob", "hunter2"));
    let report =
        fixture.services.inspector.inspect(shipshape::inspect::InspectRequest::new(&secret, Viewer::Operator).credentials(right.clone())).await.unwrap();
    assert!(report.private);

    // Its content is stored now, but a visitor naming its digest under a public repository gets
    // only what the registry confirms is there.
    let probe = reference(&registry, &format!("public/tool@{}", report.digest));
    let err = fixture.services.inspector.inspect(shipshape::inspect::InspectRequest::new(&probe, Viewer::Anonymous)).await.unwrap_err();
    assert!(matches!(err, InspectError::Registry(RegistryError::ManifestNotFound { .. })), "{err}");

    let tags = fixture
        .services
        .inspector
        .repository_tags(&reference(&registry, "public/tool"), 10, None, None, Viewer::Anonymous)
        .await
        .unwrap();
    assert_eq!(tags.tags.len(), 1);
    assert_eq!(tags.tags[0].layers, Some(3));
}

#[tokio::test]
async fn tag_lists_paginate() {
    let registry = TestRegistry::anonymous().await.unwrap();
    let fixture = allowed(&registry).await;
    let image = app_image(ManifestFormat::Oci, "amd64", None);
    for tag in ["1.0", "1.1", "2.0", "latest"] {
        image.push(&registry, "many/tags", Some(tag)).await.unwrap();
    }
    let repo = reference(&registry, "many/tags");
    let inspector = &fixture.services.inspector;
    let page = inspector.repository_tags(&repo, 3, None, None, Viewer::Anonymous).await.unwrap();
    assert_eq!(page.total, 4);
    assert_eq!(page.tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["1.0", "1.1", "2.0"]);
    assert_eq!(page.next.as_deref(), Some("2.0"));
    assert_eq!(page.tags[0].digest.as_deref(), Some(image.manifest_digest.as_str()));
    let rest = inspector.repository_tags(&repo, 3, Some("2.0"), None, Viewer::Anonymous).await.unwrap();
    assert_eq!(rest.tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["latest"]);
    assert_eq!(rest.next, None);
}

//! Private content stays private, against real registries and both stores: a private image read
//! with credentials (as the CLI reads it), then an attacker's public registry whose index and
//! manifest name its digests without serving its blobs; badge tokens that show their repository
//! only; and a stored private repository that answers anonymous visitors exactly as a repository
//! never seen.

mod common;

use app::backend::Backend;
use app::reference::ImageReference;
use common::{Running, serve};
use shipshape::config::DatabaseUrl;
use shipshape::inspect::{InspectRequest, Viewer};
use shipshape::registry::Credentials;
use shipshape::store::{self, SharedStore};
use shipshape_testkit::{BuiltImage, BuiltIndex, ImageBuilder, Layer, ManifestFormat, TestDatabase, TestRegistry};

/// What only the private image holds: none of it may reach an anonymous answer or a scan.
const SECRETS: [&str; 3] = ["classified", "secret-sauce", "LAUNCH_CODE"];

struct World {
    server: Running,
    private: TestRegistry,
    attacker: TestRegistry,
    secret: BuiltImage,
}

async fn get(url: &str) -> (u16, String) {
    let response = reqwest::get(url).await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The page with its per-response CSP nonce taken out (it differs on every answer).
fn without_nonce(body: &str) -> String {
    let nonce = body.split("nonce=\"").nth(1).and_then(|rest| rest.split('"').next()).filter(|n| !n.is_empty());
    nonce.map_or_else(|| body.to_string(), |nonce| body.replace(nonce, "NONCE"))
}

fn assert_no_secret(what: &str, body: &str) {
    for secret in SECRETS {
        assert!(!body.contains(secret), "{what} shows {secret:?}: {body}");
    }
}

fn creds() -> Option<Credentials> {
    Some(Credentials::new("alice", "s3cret"))
}

/// An Alpine image with a package, an environment, a label and a build step of its own.
fn secret_image() -> BuiltImage {
    let layer = Layer::builder()
        .file("etc/os-release", "ID=alpine\nVERSION_ID=3.20.0\n")
        .file("lib/apk/db/installed", "P:secret-sauce\nV:1.0-r0\nA:x86_64\no:secret-sauce\nL:MIT\n\n")
        .build()
        .unwrap();
    ImageBuilder::new()
        .layer(layer, "RUN make --recipe=classified-recipe # buildkit")
        .env("LAUNCH_CODE", "0000")
        .label("com.example.note", "classified")
        .build(ManifestFormat::Oci)
}

/// The operator reads the private image at the command line, with credentials, and scans it (so
/// its layer analyses are stored). Visitors' counts do not move.
async fn the_operator_reads_it(world: &World) {
    let services = &world.server.services;
    let reference = ImageReference::parse(&format!("{}/team/secret:1", world.private.host())).unwrap();
    let request = InspectRequest::new(&reference, Viewer::Operator).credentials(creds());
    assert!(services.inspector.inspect(request).await.unwrap().private);
    let report = shipshape::scan::run::scan(
        &services.inspector,
        &services.store,
        &reference,
        None,
        creds(),
        &Default::default(),
        &|_| {},
    )
    .await
    .unwrap();
    assert!(report.packages.iter().any(|p| p.name == "secret-sauce"), "the private scan found its package");
    let status = services.status().await.unwrap();
    assert_eq!((status.repositories, status.manifests), (0, 0), "the footer counts no private repository");
}

/// The attacker's repository: an index naming the private image (pushed with it, since the
/// registry checks what an index names), then the private blobs deleted from it. It serves the
/// index and the private manifest, and the config only when `with_config`: what a registry that
/// knows the private digests, but not the private bytes, would serve.
async fn hostile_repository(world: &World, repository: &str, with_config: bool) {
    let index = BuiltIndex::new(ManifestFormat::Oci, vec![world.secret.clone()]);
    index.push(&world.attacker, repository, "1").await.unwrap();
    let mut deleted: Vec<&str> = world.secret.layers.iter().map(|l| l.digest.as_str()).collect();
    if !with_config {
        deleted.push(&world.secret.config_digest);
    }
    let client = reqwest::Client::new();
    for digest in deleted {
        let url = format!("{}/v2/{repository}/blobs/{digest}", world.attacker.url());
        assert_eq!(client.delete(&url).send().await.unwrap().status().as_u16(), 202, "DELETE {url}");
    }
}

/// Item 3: the private manifest is served by the attacker, its config is not: nothing of the
/// config shows, through the index or by digest.
async fn an_index_naming_a_private_digest_shows_no_private_config(world: &World) {
    hostile_repository(world, "evil/config", false).await;
    let (base, host) = (&world.server.base, world.attacker.host());
    for reference in ["evil/config:1".to_string(), format!("evil/config@{}", world.secret.manifest_digest)] {
        let (status, body) = get(&format!("{base}/api/v1/images/{host}/{reference}")).await;
        assert_ne!(status, 200, "{reference}: {body}");
        assert_no_secret(&format!("the API for {reference}"), &body);
        let (_, page) = get(&format!("{base}/images/{host}/{reference}")).await;
        assert_no_secret(&format!("the page of {reference}"), &page);
    }
}

/// Item 3: the attacker serves the private manifest and config but no layer: the scan the worker
/// runs must read the layers from the attacker (and fail), not reuse the private analyses.
async fn a_scan_of_a_hostile_manifest_publishes_no_private_packages(world: &World) {
    hostile_repository(world, "evil/layers", true).await;
    let url = format!("{}/api/v1/scans/{}/evil/layers:1", world.server.base, world.attacker.host());
    let (status, body) = get(&url).await;
    assert_eq!(status, 200, "the scan is queued: {body}");
    world.server.jobs.drain().await.unwrap();
    let (_, body) = get(&url).await;
    let summary: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(summary["state"], "failed", "the layers are not served: {body}");
    // The config was served by the attacker's registry, so the page shows it; packages it may not.
    assert!(!body.contains("secret-sauce"), "{body}");
    let page = format!("{}/images/{}/evil/layers:1?packages=all", world.server.base, world.attacker.host());
    let page = get(&page).await.1;
    assert!(!page.contains("secret-sauce"), "the package list: {page}");
}

async fn badge_message(world: &World, path: &str) -> String {
    let (_, body) = get(&format!("{}/badges/{path}", world.server.base)).await;
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    json["message"].as_str().unwrap().to_string()
}

/// Item 7: `team/secret`'s token shows `team/secret` and public content, nothing else: not
/// another private repository's image by digest, not a private base's name.
async fn a_badge_token_shows_its_repository_only(world: &World) {
    let (private, host) = (&world.private, world.private.host());
    let base_layer = Layer::builder().file("etc/os-release", "ID=alpine\n").build().unwrap();
    let app_layer = Layer::builder().file("app/run", "run").build().unwrap();
    let base = ImageBuilder::new().layer(base_layer.clone(), "ADD rootfs / # buildkit").build(ManifestFormat::Oci);
    base.push(private, "team/base", Some("1")).await.unwrap();
    let app = ImageBuilder::new()
        .layer(base_layer, "ADD rootfs / # buildkit")
        .layer(app_layer, "COPY run /app/ # buildkit")
        .user("app-user")
        .build(ManifestFormat::Oci);
    app.push(private, "team/secret", Some("2")).await.unwrap();
    let other = ImageBuilder::new()
        .layer(Layer::builder().file("other", "other").build().unwrap(), "COPY other / # buildkit")
        .user("other-user")
        .build(ManifestFormat::Oci);
    other.push(private, "team/other", Some("1")).await.unwrap();
    let inspector = &world.server.services.inspector;
    let mut operator_sees = None;
    for name in ["team/base:1", "team/other:1", "team/secret:2"] {
        let reference = ImageReference::parse(&format!("{host}/{name}")).unwrap();
        let report = inspector.inspect(InspectRequest::new(&reference, Viewer::Operator).credentials(creds())).await;
        operator_sees = Some(report.unwrap());
    }
    let lineage = &operator_sees.unwrap().platforms[0].lineage;
    assert!(lineage.base.as_ref().is_some_and(|b| b.reference.contains("team/base")), "the operator sees the base");

    let repository = format!("{host}/team/secret");
    let token = shipshape::cli::badge_token::run(&world.server.services.store, &repository, false).await.unwrap().token;
    assert_eq!(badge_message(world, &format!("user/{repository}:2.json?token={token}")).await, "app-user");
    let other_by_digest = format!("user/{repository}@{}.json?token={token}", other.manifest_digest);
    assert_eq!(badge_message(world, &other_by_digest).await, "not found", "another repository's image");
    let base_badge = badge_message(world, &format!("base/{repository}:2.json?token={token}")).await;
    assert_eq!(base_badge, "unknown", "a private base is not named");
}

/// Manifest requests the private registry has answered for `repository` so far.
fn manifest_requests(registry: &TestRegistry, repository: &str) -> usize {
    registry.requests().iter().filter(|r| r.contains(&format!("/v2/{repository}/manifests/"))).count()
}

/// Item 6: for an anonymous visitor the stored private `team/secret` answers as `team/nothing`
/// (never seen) does, on the API, the pages and badges, after the same registry request.
async fn a_stored_private_repository_answers_as_one_never_seen(world: &World) {
    let (base, host) = (&world.server.base, world.private.host());
    let paths = [
        "api/v1/images/{host}/{repo}:1",
        "api/v1/scans/{host}/{repo}:1",
        "api/v1/repositories/{host}/{repo}/tags",
        "images/{host}/{repo}:1",
        "images/{host}/{repo}",
    ];
    for path in paths {
        let url = |repo: &str| format!("{base}/{}", path.replace("{host}", &host).replace("{repo}", repo));
        let asked_before = manifest_requests(&world.private, "team/secret");
        let (status, body) = get(&url("team/secret")).await;
        let (unknown_status, unknown_body) = get(&url("team/nothing")).await;
        assert_eq!(status, unknown_status, "{path}: {body}");
        assert_eq!(without_nonce(&body.replace("team/secret", "team/nothing")), without_nonce(&unknown_body), "{path}");
        assert_no_secret(path, &body);
        if path.starts_with("api/v1/images") {
            let asked = manifest_requests(&world.private, "team/secret") - asked_before;
            assert_eq!(asked, 1, "the registry is asked, as for a repository never seen");
        }
    }
    let api: serde_json::Value =
        serde_json::from_str(&get(&format!("{base}/api/v1/images/{host}/team/secret:1")).await.1).unwrap();
    assert_eq!(api["error"]["code"], "not_found_or_private");

    // Badges: "inspecting" while the registry is asked, then "not found", for both.
    let badge = |repo: &str| format!("{base}/badges/user/{host}/{repo}:1.svg");
    let (first, unknown_first) = (get(&badge("team/secret")).await, get(&badge("team/nothing")).await);
    assert_eq!(first, unknown_first);
    assert!(first.1.contains("inspecting"), "{}", first.1);
    let settled = |url: String| async move {
        for _ in 0..150 {
            let answer = get(&url).await;
            if !answer.1.contains("inspecting") {
                return answer;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("{url} still inspecting after 15 s");
    };
    let (done, unknown_done) = (settled(badge("team/secret")).await, settled(badge("team/nothing")).await);
    assert_eq!(done, unknown_done);
    assert!(done.1.contains("not found"), "{}", done.1);
}

async fn private_content_stays_private(store: SharedStore) {
    let private = TestRegistry::basic("alice", "s3cret").await.unwrap();
    let attacker = TestRegistry::anonymous().await.unwrap();
    let server = serve(store, &format!("{},{}", private.host(), attacker.host())).await;
    let secret = secret_image();
    secret.push(&private, "team/secret", Some("1")).await.unwrap();
    let world = World { server, private, attacker, secret };
    the_operator_reads_it(&world).await;
    a_stored_private_repository_answers_as_one_never_seen(&world).await;
    an_index_naming_a_private_digest_shows_no_private_config(&world).await;
    a_scan_of_a_hostile_manifest_publishes_no_private_packages(&world).await;
    a_badge_token_shows_its_repository_only(&world).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_content_stays_private_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = store::open(&DatabaseUrl::Sqlite(dir.path().join("shipshape.db"))).await.unwrap();
    private_content_stays_private(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_content_stays_private_on_postgres() {
    let Some(db) = TestDatabase::create().await.unwrap() else { return };
    let store = store::open(&DatabaseUrl::parse(db.url()).unwrap()).await.unwrap();
    private_content_stays_private(store).await;
    db.drop_database().await.unwrap();
}

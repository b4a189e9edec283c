//! Who sees a private repository, against a real basic-auth registry and both stores: the user
//! whose own credentials read it (a grant is recorded), an administrator, and nobody else. A
//! second user and an anonymous visitor get, for every route, the answer a repository never seen
//! gets; a private base shows in the first user's lineage only; the grant goes when the
//! credentials stop working after the tag TTL; the owner rotates the badge token.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use shipshape::badge::BadgeRequest;
use shipshape::config::{Config, DatabaseUrl};
use shipshape::inspect::Viewer;
use shipshape::registry::{Credentials, RegistryError};
use shipshape::services::{CredentialsFor, ImageQuery, Public, ServiceError, Services};
use shipshape::store::{self, NewUser, SharedStore, UserId, UserInsert};
use shipshape_testkit::{ImageBuilder, Layer, ManifestFormat, TestDatabase, TestRegistry};

/// Users' saved credentials, as the credentials service would open them, and the uses it was told of.
#[derive(Default)]
struct Saved(Mutex<HashMap<(UserId, String), Credentials>>, Mutex<Vec<(UserId, Result<(), String>)>>);

impl Saved {
    fn save(&self, user: UserId, registry: &str, credentials: Credentials) {
        self.0.lock().unwrap().insert((user, registry.to_string()), credentials);
    }
}

#[async_trait::async_trait]
impl CredentialsFor for Saved {
    async fn credentials_for(&self, user: UserId, registry: &str) -> Option<Credentials> {
        self.0.lock().unwrap().get(&(user, registry.to_string())).cloned()
    }

    async fn record_use(&self, user: UserId, _registry: &str, result: Result<(), &RegistryError>) {
        self.1.lock().unwrap().push((user, result.map_err(|e| e.to_string())));
    }
}

impl Saved {
    /// The uses recorded since the last call.
    fn uses(&self) -> Vec<(UserId, Result<(), String>)> {
        std::mem::take(&mut *self.1.lock().unwrap())
    }
}

struct World {
    services: Services,
    /// The same store and credentials with a tag TTL of zero: every grant is due for a re-check.
    expired: Services,
    saved: Arc<Saved>,
    store: SharedStore,
    private: TestRegistry,
    public: TestRegistry,
    admin: Viewer,
    alice: Viewer,
    bob: Viewer,
}

fn services(store: &SharedStore, allow: &str, ttl: &str, saved: &Arc<Saved>) -> Services {
    let config = Config::from_vars(vec![
        ("SHIPSHAPE_ALLOW_HOSTS".to_string(), allow.to_string()),
        ("SHIPSHAPE_TAG_TTL".to_string(), ttl.to_string()),
    ])
    .unwrap();
    Services::new(store.clone(), &config).with_credentials_for(saved.clone())
}

async fn user(store: &SharedStore, name: &str, admin: bool) -> Viewer {
    let new = NewUser { username: name, password_hash: "x", admin, only_if_first: false, at: Utc::now() };
    let UserInsert::Created(record) = store.insert_user(&new).await.unwrap() else { panic!("{name} not created") };
    Viewer::User { id: record.id, admin: record.admin }
}

fn id(viewer: Viewer) -> UserId {
    let Viewer::User { id, .. } = viewer else { panic!("not a user") };
    id
}

/// What a web client is told: kind, code and message.
fn told<T: std::fmt::Debug>(answer: Result<T, ServiceError>) -> (String, &'static str, String) {
    let Public { kind, code, message } = answer.expect_err("refused").public();
    (format!("{kind:?}"), code, message)
}

/// `told` for `secret`, written as for `nothing`, so the two compare.
fn as_nothing((kind, code, message): (String, &'static str, String)) -> (String, &'static str, String) {
    (kind, code, message.replace("team/secret", "team/nothing"))
}

impl World {
    fn reference(&self, path: &str) -> String {
        format!("{}/{path}", self.private.host())
    }

    /// Makes `viewer`'s grant look as old as a day.
    async fn age_grant(&self, viewer: Viewer, repository: &str) {
        let repo = self.store.repository(&self.private.host(), repository).await.unwrap().unwrap();
        self.store.revoke_repository_grant(id(viewer), repo.id).await.unwrap();
        self.store.grant_repository_at(id(viewer), repo.id, Utc::now() - chrono::Duration::days(1)).await.unwrap();
    }

    async fn grant(&self, viewer: Viewer, repository: &str) -> Option<chrono::DateTime<Utc>> {
        let repo = self.store.repository(&self.private.host(), repository).await.unwrap().unwrap();
        self.store.repository_grant(id(viewer), repo.id).await.unwrap()
    }
}

async fn alice_sees_her_private_image_and_a_grant_is_recorded(world: &World) {
    let reference = world.reference("team/secret:1");
    let report = world.services.images.inspect(world.alice, ImageQuery::new(&reference)).await.unwrap();
    assert!(report.private, "read with alice's credentials only");
    assert!(world.grant(world.alice, "team/secret").await.is_some(), "alice's grant");
    assert!(world.grant(world.bob, "team/secret").await.is_none());
    assert_eq!(world.saved.uses(), vec![(id(world.alice), Ok(()))], "her credentials' use is recorded");
    // Within the TTL her grant answers without asking the registry again.
    let again = world.services.images.inspect(world.alice, ImageQuery::new(&reference)).await.unwrap();
    assert_eq!(again.digest, report.digest);
}

async fn bob_and_a_visitor_are_told_what_a_missing_repository_tells(world: &World) {
    let images = &world.services.images;
    for viewer in [world.bob, Viewer::Anonymous] {
        let hidden = told(images.inspect(viewer, ImageQuery::new(&world.reference("team/secret:1"))).await);
        let missing = told(images.inspect(viewer, ImageQuery::new(&world.reference("team/nothing:1"))).await);
        assert_eq!(as_nothing(hidden.clone()), missing, "{viewer:?}");
        assert_eq!(hidden.1, "not_found_or_private");
        assert!(!hidden.2.contains("classified"));

        let tags = told(images.tags(viewer, &world.reference("team/secret"), 10, None).await);
        let missing = told(images.tags(viewer, &world.reference("team/nothing"), 10, None).await);
        assert_eq!(as_nothing(tags), missing, "{viewer:?}: tag listing");
    }
    // Bob saves credentials that do not open the repository: still the answer for one never seen.
    world.saved.save(id(world.bob), &world.private.host(), Credentials::new("bob", "guess"));
    let hidden = told(images.inspect(world.bob, ImageQuery::new(&world.reference("team/secret:1"))).await);
    let missing = told(images.inspect(world.bob, ImageQuery::new(&world.reference("team/nothing:1"))).await);
    assert_eq!(as_nothing(hidden), missing, "bob with wrong credentials");
    assert!(world.grant(world.bob, "team/secret").await.is_none());
    let uses = world.saved.uses();
    assert!(matches!(uses.as_slice(), [.., (user, Err(_))] if *user == id(world.bob)), "bob's refusal is recorded: {uses:?}");
}

async fn an_administrator_sees_it(world: &World) {
    let reference = world.reference("team/secret:1");
    let report = world.services.images.inspect(world.admin, ImageQuery::new(&reference)).await.unwrap();
    assert!(report.private);
}

async fn scans_and_sboms_are_hidden_from_bob(world: &World) {
    let scans = &world.services.scans;
    let reference = world.reference("team/secret:1");
    let report = world.services.images.inspect(world.alice, ImageQuery::new(&reference)).await.unwrap();
    let digest = report.platforms[0].digest.clone();
    let alice = scans.of_image(world.alice, &reference, &digest).await.unwrap();
    assert_eq!(alice.state, "queued", "her ask queues the scan, to be read with her credentials");
    let job = world.store.latest_job(&format!("scan:{digest}")).await.unwrap().unwrap();
    assert!(job.payload.contains(&format!("\"user\":{}", id(world.alice).0)), "whose, not the secret: {}", job.payload);
    assert!(!job.payload.contains("s3cret"));
    let vars = [("SHIPSHAPE_ALLOW_HOSTS", world.private.host()), ("SHIPSHAPE_BASE_IMAGES", String::new())];
    let config = Config::from_vars(vars.map(|(k, v)| (k.to_string(), v))).unwrap();
    let ran = shipshape::worker::runner(&world.services, &config).drain().await.unwrap();
    assert!(ran >= 1);
    let alice = scans.of_image(world.alice, &reference, &digest).await.unwrap();
    assert_eq!(alice.state, "done", "{alice:?}");
    let packages = scans.packages(world.alice, &reference, &digest).await.unwrap();
    assert!(packages.is_some(), "her packages");
    for viewer in [world.bob, Viewer::Anonymous] {
        let hidden = told(scans.of_image(viewer, &reference, &digest).await);
        let missing = told(scans.of_image(viewer, &world.reference("team/nothing:1"), &digest).await);
        assert_eq!(as_nothing(hidden), missing, "{viewer:?}: scan");
        let packages = told(scans.packages(viewer, &reference, &digest).await);
        assert_eq!(packages.1, "not_found_or_private");
        let format = shipshape::services::SbomFormat::CycloneDx;
        let sbom = told(scans.sbom(viewer, ImageQuery::new(&reference), format).await.map(|s| s.file_name));
        let missing =
            told(scans.sbom(viewer, ImageQuery::new(&world.reference("team/nothing:1")), format).await.map(|s| s.file_name));
        assert_eq!(as_nothing(sbom), missing, "{viewer:?}: SBOM");
    }
}

/// A public application image built on a private base: alice (granted the base) sees the base in
/// its lineage, bob and visitors do not.
async fn a_private_base_shows_in_alice_lineage_only(world: &World) {
    let base_layer = Layer::builder().file("etc/os-release", "ID=alpine\n").build().unwrap();
    let base = ImageBuilder::new().layer(base_layer.clone(), "ADD rootfs / # buildkit").build(ManifestFormat::Oci);
    base.push(&world.private, "team/base", Some("1")).await.unwrap();
    let app = ImageBuilder::new()
        .layer(base_layer, "ADD rootfs / # buildkit")
        .layer(Layer::builder().file("app/run", "run").build().unwrap(), "COPY run /app/ # buildkit")
        .build(ManifestFormat::Oci);
    app.push(&world.public, "someone/app", Some("1")).await.unwrap();
    let images = &world.services.images;
    images.inspect(world.alice, ImageQuery::new(&world.reference("team/base:1"))).await.unwrap();

    let app_reference = format!("{}/someone/app:1", world.public.host());
    let base_of = |report: app::dto::ImageReport| report.platforms[0].lineage.base.clone().map(|b| b.reference);
    let alice = base_of(images.inspect(world.alice, ImageQuery::new(&app_reference)).await.unwrap());
    assert!(alice.as_deref().is_some_and(|b| b.contains("team/base")), "alice's lineage: {alice:?}");
    for viewer in [world.bob, Viewer::Anonymous] {
        let base = base_of(images.inspect(viewer, ImageQuery::new(&app_reference)).await.unwrap());
        assert_eq!(base, None, "{viewer:?} sees no private base");
    }
    let admin = base_of(images.inspect(world.admin, ImageQuery::new(&app_reference)).await.unwrap());
    assert!(admin.is_some_and(|b| b.contains("team/base")));
}

async fn badge_message(world: &World, path: &str, query: &str) -> String {
    let (kind, file) = path.split_once('/').unwrap();
    let request = BadgeRequest::parse(kind, file, query).unwrap();
    let rendered = world.services.badges.answer(format!("{path}?{query}"), &request).await;
    let json: serde_json::Value = serde_json::from_slice(&rendered.body).unwrap();
    json["message"].as_str().unwrap().to_string()
}

async fn alice_rotates_the_badge_token(world: &World) {
    let badges = &world.services;
    let repository = world.reference("team/secret");
    assert_eq!(badges.badge_token_status(world.alice, &repository).await.unwrap(), None);
    for viewer in [world.bob, Viewer::Anonymous] {
        assert!(badges.badge_token_status(viewer, &repository).await.is_err(), "{viewer:?}");
        assert!(badges.rotate_badge_token(viewer, &repository).await.is_err(), "{viewer:?}");
    }
    let first = badges.rotate_badge_token(world.alice, &repository).await.unwrap();
    assert!(badges.badge_token_status(world.alice, &repository).await.unwrap().is_some());
    let badge = format!("user/{repository}:1.json");
    assert_eq!(badge_message(world, &badge, &format!("token={first}")).await, "root");
    let second = badges.rotate_badge_token(world.admin, &repository).await.unwrap();
    assert_ne!(first, second);
    // Past the TTL her grant is re-checked at the registry before the token is hers to see.
    world.age_grant(world.alice, "team/secret").await;
    assert!(badges.badge_token_status(world.alice, &repository).await.unwrap().is_some(), "re-checked");
    assert!(world.grant(world.alice, "team/secret").await.unwrap() > Utc::now() - chrono::Duration::minutes(1));
    // The old token reads as no token: "inspecting" while the registry is asked, then "not found".
    let mut old = badge_message(world, &badge, &format!("token={first}")).await;
    for _ in 0..150 {
        if old != "inspecting" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        old = badge_message(world, &badge, &format!("token={first}")).await;
    }
    assert_eq!(old, "not found", "the old token");
    assert_eq!(badge_message(world, &badge, &format!("token={second}")).await, "root");
    // A public repository needs no token: there is none to manage.
    let public = format!("{}/someone/app", world.public.host());
    assert!(badges.rotate_badge_token(world.admin, &public).await.is_err());
}

async fn the_grant_goes_when_the_credentials_stop_working(world: &World) {
    let reference = world.reference("team/secret:1");
    world.saved.save(id(world.alice), &world.private.host(), Credentials::new("alice", "changed"));
    let refused = told(world.expired.images.inspect(world.alice, ImageQuery::new(&reference)).await);
    assert_eq!(world.grant(world.alice, "team/secret").await, None, "revoked on the re-check: {refused:?}");
    // From then on she is told what bob is.
    world.saved.save(id(world.alice), &world.private.host(), Credentials::new("bob", "guess"));
    let alice = told(world.services.images.inspect(world.alice, ImageQuery::new(&reference)).await);
    let bob = told(world.services.images.inspect(world.bob, ImageQuery::new(&reference)).await);
    assert_eq!(alice, bob);
    let tags = world.services.images.tags(world.alice, &world.reference("team/secret"), 10, None).await;
    assert!(tags.is_err(), "her tag listing too");
    let token = world.services.badge_token_status(world.alice, &world.reference("team/secret")).await;
    assert!(token.is_err(), "and the badge token");
    // Her good credentials again: a fresh read records a new grant.
    world.saved.save(id(world.alice), &world.private.host(), Credentials::new("alice", "s3cret"));
    world.expired.images.inspect(world.alice, ImageQuery::new(&reference)).await.unwrap();
    assert!(world.grant(world.alice, "team/secret").await.is_some());
}

async fn only_granted_users_see_private_repositories(store: SharedStore) {
    shipshape_testkit::install_crypto_provider();
    let private = TestRegistry::basic("alice", "s3cret").await.unwrap();
    let public = TestRegistry::anonymous().await.unwrap();
    let allow = format!("{},{}", private.host(), public.host());
    let saved = Arc::new(Saved::default());
    let secret = ImageBuilder::new()
        .layer(Layer::builder().file("secret", "classified").build().unwrap(), "COPY secret / # buildkit")
        .user("root")
        .build(ManifestFormat::Oci);
    secret.push(&private, "team/secret", Some("1")).await.unwrap();
    let admin = user(&store, "root", true).await;
    let (alice, bob) = (user(&store, "alice", false).await, user(&store, "bob", false).await);
    saved.save(id(alice), &private.host(), Credentials::new("alice", "s3cret"));
    let world = World {
        services: services(&store, &allow, "300", &saved),
        expired: services(&store, &allow, "0", &saved),
        saved,
        store,
        private,
        public,
        admin,
        alice,
        bob,
    };
    alice_sees_her_private_image_and_a_grant_is_recorded(&world).await;
    bob_and_a_visitor_are_told_what_a_missing_repository_tells(&world).await;
    an_administrator_sees_it(&world).await;
    scans_and_sboms_are_hidden_from_bob(&world).await;
    a_private_base_shows_in_alice_lineage_only(&world).await;
    alice_rotates_the_badge_token(&world).await;
    the_grant_goes_when_the_credentials_stop_working(&world).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_granted_users_see_private_repositories_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = store::open(&DatabaseUrl::Sqlite(dir.path().join("shipshape.db"))).await.unwrap();
    only_granted_users_see_private_repositories(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_granted_users_see_private_repositories_on_postgres() {
    let Some(db) = TestDatabase::create().await.unwrap() else { return };
    let store = store::open(&DatabaseUrl::parse(db.url()).unwrap()).await.unwrap();
    only_granted_users_see_private_repositories(store).await;
    db.drop_database().await.unwrap();
}

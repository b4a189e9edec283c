//! Per-user limits on channels and watches hold when one user's requests race, on SQLite and on
//! PostgreSQL with two replicas' pools: never one row past the limit, and a refused insert is told
//! apart from a taken name.

use futures_util::future::join_all;
use shipshape::config::DatabaseUrl;
use shipshape::store::{self, Capped, NewChannel, NewUser, NewWatch, SharedStore, UserId, UserInsert, Visibility};
use shipshape_testkit::TestDatabase;

const LIMIT: usize = 5;
const TRIES: usize = 16;

async fn user(store: &SharedStore, username: &str) -> UserId {
    let new = NewUser {
        username,
        password_hash: "$argon2id$stand-in",
        admin: false,
        only_if_first: false,
        at: chrono::Utc::now(),
    };
    match store.insert_user(&new).await.unwrap() {
        UserInsert::Created(record) => record.id,
        other => panic!("{username} not created: {other:?}"),
    }
}

async fn add_channel(store: SharedStore, user: UserId, name: String) -> Capped {
    let new = NewChannel { user, name: &name, kind: "webhook", target: "https://hooks.example/x", settings: "{}" };
    store.insert_channel(&new, LIMIT, |_| None).await.unwrap()
}

async fn add_watch(store: SharedStore, user: UserId, repository: store::RepositoryId, n: usize) -> Capped {
    let (hash, tag) = (format!("{n:064x}"), format!("v{n}"));
    let new = NewWatch {
        user,
        hook_hash: &hash,
        repository,
        tag: Some(&tag),
        include: "[]",
        exclude: "[]",
        events: r#"["tag.updated"]"#,
        min_severity: None,
        channels: &[],
    };
    store.insert_watch(&new, LIMIT).await.unwrap()
}

fn saved(outcomes: &[Capped]) -> usize {
    outcomes.iter().filter(|o| matches!(o, Capped::Saved(_))).count()
}

async fn racing_inserts_stop_at_the_limit(replicas: [SharedStore; 2]) {
    let store = replicas[0].clone();
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;

    let tries = (0..TRIES).map(|n| add_channel(replicas[n % 2].clone(), alice, format!("hook-{n}")));
    let outcomes = join_all(tries).await;
    assert_eq!(saved(&outcomes), LIMIT, "{outcomes:?}");
    assert!(outcomes.iter().all(|o| matches!(o, Capped::Saved(_) | Capped::Full)), "{outcomes:?}");
    assert_eq!(store.channels(alice).await.unwrap().len(), LIMIT);
    // Another user's limit is their own; a taken name is not "full".
    assert!(matches!(add_channel(store.clone(), bob, "hook-0".into()).await, Capped::Saved(_)));
    assert_eq!(add_channel(store.clone(), bob, "hook-0".into()).await, Capped::Duplicate);

    let repository = store.upsert_repository("registry.example", "team/app", Visibility::Public).await.unwrap().id;
    let tries = (0..TRIES).map(|n| add_watch(replicas[n % 2].clone(), alice, repository, n));
    let outcomes = join_all(tries).await;
    assert_eq!(saved(&outcomes), LIMIT, "{outcomes:?}");
    assert_eq!(store.watches(alice).await.unwrap().len(), LIMIT);
    assert!(matches!(add_watch(store, bob, repository, TRIES).await, Capped::Saved(_)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_limits_hold_when_inserts_race() {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::Sqlite(dir.path().join("shipshape.db"));
    let (one, two) = (store::open(&url).await.unwrap(), store::open(&url).await.unwrap());
    racing_inserts_stop_at_the_limit([one, two]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_limits_hold_when_inserts_race() {
    let Some(db) = TestDatabase::create().await.unwrap() else { return };
    let url = DatabaseUrl::parse(db.url()).unwrap();
    let (one, two) = (store::open(&url).await.unwrap(), store::open(&url).await.unwrap());
    racing_inserts_stop_at_the_limit([one.clone(), two.clone()]).await;
    drop((one, two));
    db.drop_database().await.unwrap();
}

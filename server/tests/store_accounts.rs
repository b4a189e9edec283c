//! The accounts part of the store, run against SQLite and PostgreSQL: users, sessions, API tokens,
//! and the first account becoming the only administrator even when sign-ups race.

use chrono::{Duration, TimeZone, Utc};
use shipshape::config::DatabaseUrl;
use shipshape::store::{self, ApiTokenRecord, NewUser, SessionRecord, SharedStore, UserId, UserInsert, UserRecord};
use shipshape_testkit::TestDatabase;

fn t(minutes: i64) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap() + Duration::minutes(minutes)
}

fn new_user(username: &str) -> NewUser<'_> {
    NewUser { username, password_hash: "$argon2id$stand-in", admin: false, only_if_first: false, at: t(0) }
}

async fn created(store: &SharedStore, user: NewUser<'_>) -> UserRecord {
    match store.insert_user(&user).await.unwrap() {
        UserInsert::Created(record) => record,
        other => panic!("{} not created: {other:?}", user.username),
    }
}

fn session(id_hash: &str, user: UserId, seen: i64) -> SessionRecord {
    SessionRecord {
        id_hash: id_hash.into(),
        user_id: user,
        created_at: t(0),
        last_seen_at: t(seen),
        expires_at: t(60 * 24 * 30),
        user_agent: "curl/8".into(),
    }
}

fn token(user: UserId, name: &str, hash: &str) -> ApiTokenRecord {
    ApiTokenRecord {
        id: 0,
        user_id: user,
        name: name.into(),
        token_hash: hash.into(),
        hint: "shp_ab12".into(),
        scope: "read".into(),
        created_at: t(0),
        last_used_at: None,
    }
}

async fn accounts(store: SharedStore) {
    // Users: the first is an administrator whatever was asked, later ones only when asked.
    assert_eq!(store.count_users().await.unwrap(), 0);
    let first = created(&store, new_user("alice")).await;
    assert!(first.admin, "the first account is an administrator");
    assert_eq!((first.username.as_str(), first.created_at, first.password_changed_at), ("alice", t(0), t(0)));
    let bob = created(&store, new_user("bob")).await;
    assert!(!bob.admin);
    let carol = created(&store, NewUser { admin: true, ..new_user("carol") }).await;
    assert!(carol.admin);
    assert_eq!(store.insert_user(&new_user("bob")).await.unwrap(), UserInsert::UsernameTaken);
    let closed = NewUser { only_if_first: true, ..new_user("dave") };
    assert_eq!(store.insert_user(&closed).await.unwrap(), UserInsert::NotFirst);
    assert_eq!(store.count_users().await.unwrap(), 3);

    assert_eq!(store.user_by_name("bob").await.unwrap().unwrap(), bob);
    assert_eq!(store.user(carol.id).await.unwrap().unwrap(), carol);
    assert!(store.user_by_name("nobody").await.unwrap().is_none());
    let names: Vec<String> = store.users().await.unwrap().into_iter().map(|u| u.username).collect();
    assert_eq!(names, ["alice", "bob", "carol"]);
    assert!(store.set_password_hash(bob.id, "$argon2id$new", t(5)).await.unwrap());
    let changed = store.user(bob.id).await.unwrap().unwrap();
    assert_eq!((changed.password_hash.as_str(), changed.password_changed_at), ("$argon2id$new", t(5)));
    assert!(!format!("{changed:?}").contains("argon2id"), "Debug hides the hash");

    // Sessions: found with their user by hash, touched, listed, ended one, all but one, or by age.
    store.insert_session(&session("s1", bob.id, 0)).await.unwrap();
    store.insert_session(&session("s2", bob.id, 1)).await.unwrap();
    store.insert_session(&session("s3", bob.id, 2)).await.unwrap();
    store.insert_session(&session("a1", first.id, 0)).await.unwrap();
    let (found, owner) = store.session("s1").await.unwrap().unwrap();
    assert_eq!((found, owner), (session("s1", bob.id, 0), changed.clone()));
    assert!(store.session("nope").await.unwrap().is_none());
    store.touch_session("s1", t(10)).await.unwrap();
    let listed: Vec<String> = store.user_sessions(bob.id).await.unwrap().into_iter().map(|s| s.id_hash).collect();
    assert_eq!(listed, ["s1", "s3", "s2"], "most recently seen first");
    assert!(store.delete_session("s2").await.unwrap());
    assert!(!store.delete_session("s2").await.unwrap());
    assert_eq!(store.delete_other_sessions(bob.id, Some("s1")).await.unwrap(), 1);
    assert_eq!(store.user_sessions(bob.id).await.unwrap().len(), 1);
    assert_eq!(store.user_sessions(first.id).await.unwrap().len(), 1, "other users' sessions stay");
    store.insert_session(&SessionRecord { expires_at: t(20), ..session("old", bob.id, 0) }).await.unwrap();
    // At t(30): "old" is past its absolute end; "a1" was last seen before the idle cut at t(5).
    assert_eq!(store.delete_expired_sessions(t(30), t(5)).await.unwrap(), 2);
    assert!(store.session("s1").await.unwrap().is_some());
    assert_eq!(store.delete_other_sessions(bob.id, None).await.unwrap(), 1);

    // API tokens: names unique per user, found by hash with their user, revoked only by the owner.
    let read = store.insert_api_token(&token(bob.id, "ci", "h1")).await.unwrap().unwrap();
    assert!(read.id > 0);
    assert_eq!(read, ApiTokenRecord { id: read.id, ..token(bob.id, "ci", "h1") });
    assert!(store.insert_api_token(&token(bob.id, "ci", "h2")).await.unwrap().is_none(), "name taken");
    let carols = store.insert_api_token(&token(carol.id, "ci", "h3")).await.unwrap().unwrap();
    let deploy = ApiTokenRecord { scope: "write".into(), ..token(bob.id, "deploy", "h4") };
    let write = store.insert_api_token(&deploy).await.unwrap().unwrap();
    let (found, owner) = store.api_token("h4").await.unwrap().unwrap();
    assert_eq!((found.scope.as_str(), owner.username.as_str()), ("write", "bob"));
    assert!(store.api_token("h2").await.unwrap().is_none());
    store.touch_api_token(read.id, t(7)).await.unwrap();
    let listed = store.user_api_tokens(bob.id).await.unwrap();
    assert_eq!(listed.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["ci", "deploy"]);
    assert_eq!(listed[0].last_used_at, Some(t(7)));
    assert!(!store.delete_api_token(bob.id, carols.id).await.unwrap(), "only the owner revokes");
    assert!(store.delete_api_token(bob.id, write.id).await.unwrap());
    assert!(store.api_token("h4").await.unwrap().is_none());

    // Deleting a user takes their sessions and tokens with it.
    store.insert_session(&session("b9", bob.id, 30)).await.unwrap();
    assert!(store.delete_user(bob.id).await.unwrap());
    assert!(!store.delete_user(bob.id).await.unwrap());
    assert!(store.session("b9").await.unwrap().is_none());
    assert!(store.api_token("h1").await.unwrap().is_none());
    assert!(store.user_api_tokens(bob.id).await.unwrap().is_empty());
    assert!(store.api_token("h3").await.unwrap().is_some(), "carol's token stays");
    assert_eq!(store.count_users().await.unwrap(), 2);
}

/// Sign-ups on an empty database at once: exactly one becomes administrator.
async fn racing_first_sign_ups(stores: [SharedStore; 2]) {
    let names: Vec<String> = (0..8).map(|i| format!("racer{i}")).collect();
    let handles: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let store = stores[i % 2].clone();
            let name = name.clone();
            tokio::spawn(async move { store.insert_user(&new_user(&name)).await.unwrap() })
        })
        .collect();
    let mut admins = 0;
    for handle in handles {
        if let UserInsert::Created(user) = handle.await.unwrap() {
            admins += usize::from(user.admin);
        }
    }
    assert_eq!(admins, 1, "exactly one first account");
    assert_eq!(stores[0].count_users().await.unwrap(), 8);
}

#[tokio::test]
async fn sqlite_accounts_conform() {
    let dir = tempfile::tempdir().unwrap();
    let store = store::open(&DatabaseUrl::Sqlite(dir.path().join("shipshape.db"))).await.unwrap();
    accounts(store).await;
}

#[tokio::test]
async fn postgres_accounts_conform() {
    let Some(db) = TestDatabase::create().await.unwrap() else { return };
    let store = store::open(&DatabaseUrl::parse(db.url()).unwrap()).await.unwrap();
    accounts(store.clone()).await;
    drop(store);
    db.drop_database().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_first_sign_ups_racing_make_one_admin() {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::Sqlite(dir.path().join("shipshape.db"));
    let one = store::open(&url).await.unwrap();
    let two = store::open(&url).await.unwrap();
    racing_first_sign_ups([one, two]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_first_sign_ups_racing_make_one_admin() {
    let Some(db) = TestDatabase::create().await.unwrap() else { return };
    let url = DatabaseUrl::parse(db.url()).unwrap();
    let (one, two) = (store::open(&url).await.unwrap(), store::open(&url).await.unwrap());
    racing_first_sign_ups([one.clone(), two.clone()]).await;
    drop((one, two));
    db.drop_database().await.unwrap();
}

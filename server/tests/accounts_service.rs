//! The accounts service as the web app and the CLI use it, on SQLite and on PostgreSQL: sign-up,
//! log-in and its rate limit, sessions and their expiry, password change, account deletion, and
//! API tokens. Time is moved by a test clock rather than slept through.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use shipshape::auth::{AccountSettings, Accounts, AuthError, Scope, Signup};
use shipshape::config::DatabaseUrl;
use shipshape::store::{self, SharedStore};
use shipshape_testkit::TestDatabase;

const PASSWORD: &str = "correct horse battery";

struct Fixture {
    accounts: Accounts,
    store: SharedStore,
    now: Arc<Mutex<DateTime<Utc>>>,
}

impl Fixture {
    fn new(store: SharedStore, signup: Signup) -> Self {
        let now = Arc::new(Mutex::new(Utc.with_ymd_and_hms(2026, 5, 1, 9, 0, 0).unwrap()));
        let clock = now.clone();
        let accounts =
            Accounts::with_clock(store.clone(), AccountSettings::with_signup(signup), Arc::new(move || *clock.lock().unwrap()));
        Fixture { accounts, store, now }
    }

    fn advance(&self, by: chrono::TimeDelta) {
        *self.now.lock().unwrap() += by;
    }
}

fn ip(last: u8) -> IpAddr {
    IpAddr::from([192, 0, 2, last])
}

fn days(n: i64) -> chrono::TimeDelta {
    chrono::TimeDelta::days(n)
}

async fn story(store: SharedStore) {
    let f = Fixture::new(store.clone(), Signup::Open);
    signing_up(&f).await;
    logging_in(&f).await;
    sessions_expire(&f).await;
    changing_the_password(&f).await;
    tokens(&f).await;
    deleting_accounts(&f).await;
    closed_sign_up(store).await;
}

async fn signing_up(f: &Fixture) {
    let a = &f.accounts;
    let alice = a.sign_up("Alice", PASSWORD).await.unwrap();
    assert_eq!((alice.username.as_str(), alice.admin), ("alice", true), "the first account is an administrator");
    let bob = a.sign_up("bob", PASSWORD).await.unwrap();
    assert!(!bob.admin);
    let err = a.sign_up("ALICE", PASSWORD).await.unwrap_err();
    assert!(matches!(err, AuthError::UsernameTaken(_)), "{err:?}");
    assert_eq!(err.to_string(), "the username \"alice\" is taken: choose another");
    assert!(matches!(a.sign_up("carol", "short").await, Err(AuthError::WeakPassword(_))));
    assert!(matches!(a.sign_up(".carol", PASSWORD).await, Err(AuthError::BadUsername(_))));
    let admin = a.create_user("ops", PASSWORD, true).await.unwrap();
    assert!(admin.admin);
    let names: Vec<(String, bool)> = a.users().await.unwrap().into_iter().map(|u| (u.username, u.admin)).collect();
    assert_eq!(names, [("alice".to_string(), true), ("bob".into(), false), ("ops".into(), true)]);
    // Only the hash is stored.
    let stored = f.store.user_by_name("alice").await.unwrap().unwrap().password_hash;
    assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$") && !stored.contains(PASSWORD), "{stored}");
}

async fn logging_in(f: &Fixture) {
    let a = &f.accounts;
    let alice = a.log_in("ALICE", PASSWORD, ip(1)).await.unwrap();
    assert_eq!(alice.username, "alice");
    let wrong = a.log_in("alice", "not the password", ip(1)).await.unwrap_err();
    let nobody = a.log_in("nobody", PASSWORD, ip(1)).await.unwrap_err();
    let invalid = a.log_in("-not a name-", PASSWORD, ip(1)).await.unwrap_err();
    assert_eq!(wrong.to_string(), "wrong username or password");
    assert_eq!(nobody.to_string(), wrong.to_string(), "no such user and a wrong password read the same");
    assert_eq!(invalid.to_string(), wrong.to_string());

    // A name under attack: 10 attempts a minute, then refusals that cost no password check.
    let checks = a.password_checks();
    for i in 0..10 {
        assert!(matches!(a.log_in("victim", "guess", ip(10 + i)).await, Err(AuthError::WrongCredentials)));
    }
    assert_eq!(a.password_checks(), checks + 10, "every attempt checked a password, existing user or not");
    let started = Instant::now();
    let refused = a.log_in("victim", "guess", ip(99)).await.unwrap_err();
    let took = started.elapsed();
    let AuthError::RateLimited { retry_after } = refused else { panic!("{refused:?}") };
    assert!(retry_after > Duration::ZERO && retry_after <= Duration::from_secs(60), "{retry_after:?}");
    assert!(refused.to_string().starts_with("too many log-in attempts: wait"), "{refused}");
    assert_eq!(a.password_checks(), checks + 10, "the eleventh attempt did no argon2 work");
    assert!(took < Duration::from_millis(50), "refused in {took:?}");
    // And one address trying many names.
    for i in 0..10 {
        let _ = a.log_in(&format!("spray{i}"), "guess", ip(200)).await;
    }
    assert!(matches!(a.log_in("bob", PASSWORD, ip(200)).await, Err(AuthError::RateLimited { .. })));
    assert!(a.log_in("bob", PASSWORD, ip(201)).await.is_ok(), "another address is not held up");
}

async fn sessions_expire(f: &Fixture) {
    let a = &f.accounts;
    let bob = a.log_in("bob", PASSWORD, ip(2)).await.unwrap();
    let laptop = a.start_session(&bob, "Mozilla/5.0 (laptop)").await.unwrap();
    assert!(!format!("{laptop:?}").contains(&laptop.cookie_value), "Debug hides the cookie");
    assert_eq!(a.session(&laptop.cookie_value).await.unwrap().unwrap().username, "bob");
    assert!(a.session("no-such-cookie").await.unwrap().is_none());
    assert!(a.session(&laptop.cookie_value.replace(&laptop.cookie_value[..4], "AAAA")).await.unwrap().is_none());

    // Used every 6 days it stays past the idle limit of 7, up to the absolute end of 30.
    let started = *f.now.lock().unwrap();
    assert_eq!(laptop.expires_at, started + days(30));
    for _ in 0..4 {
        f.advance(days(6));
        assert!(a.session(&laptop.cookie_value).await.unwrap().is_some());
    }
    let listed = a.sessions(&bob, Some(&laptop.cookie_value)).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].current && listed[0].user_agent == "Mozilla/5.0 (laptop)" && listed[0].id.len() == 16);
    assert_eq!(listed[0].last_seen_at, started + days(24), "seen at the last use");
    f.advance(days(6));
    assert!(a.session(&laptop.cookie_value).await.unwrap().is_none(), "30 days after log-in it ends, used or not");
    assert!(f.store.user_sessions(bob.id).await.unwrap().is_empty(), "and is deleted");

    // Idle for 7 days: ended.
    let phone = a.start_session(&bob, "phone").await.unwrap();
    f.advance(days(7));
    assert!(a.session(&phone.cookie_value).await.unwrap().is_none());

    // last_seen is written at most once a minute.
    let tablet = a.start_session(&bob, "tablet").await.unwrap();
    let hash = |s: &str| shipshape::auth::secret_token::stored_hash(s);
    let seen = || async { f.store.session(&hash(&tablet.cookie_value)).await.unwrap().unwrap().0.last_seen_at };
    let created = seen().await;
    f.advance(chrono::TimeDelta::seconds(30));
    a.session(&tablet.cookie_value).await.unwrap().unwrap();
    assert_eq!(seen().await, created);
    f.advance(chrono::TimeDelta::seconds(40));
    a.session(&tablet.cookie_value).await.unwrap().unwrap();
    assert_eq!(seen().await, created + chrono::TimeDelta::seconds(70));

    // Log-out and "end that session" from the list; someone else's id is not found.
    let other = a.start_session(&bob, "other").await.unwrap();
    let listed = a.sessions(&bob, Some(&tablet.cookie_value)).await.unwrap();
    let other_id = listed.iter().find(|s| !s.current).unwrap().id.clone();
    let alice = a.log_in("alice", PASSWORD, ip(3)).await.unwrap();
    assert!(matches!(a.end_session_by_id(&alice, &other_id).await, Err(AuthError::NotFound)));
    a.end_session_by_id(&bob, &other_id).await.unwrap();
    assert!(a.session(&other.cookie_value).await.unwrap().is_none());
    a.end_session(&tablet.cookie_value).await.unwrap();
    assert!(a.session(&tablet.cookie_value).await.unwrap().is_none());
    a.end_session("garbage").await.unwrap();
}

async fn changing_the_password(f: &Fixture) {
    let a = &f.accounts;
    let alice = a.log_in("alice", PASSWORD, ip(4)).await.unwrap();
    let here = a.start_session(&alice, "here").await.unwrap();
    let elsewhere = a.start_session(&alice, "elsewhere").await.unwrap();
    let err = a.change_password(&alice, "wrong current", "a new password", Some(&here.cookie_value)).await;
    assert!(matches!(err, Err(AuthError::WrongPassword)), "{err:?}");
    assert!(matches!(a.change_password(&alice, PASSWORD, "short", None).await, Err(AuthError::WeakPassword(_))));
    assert!(a.session(&elsewhere.cookie_value).await.unwrap().is_some(), "a refused change ends nothing");

    a.change_password(&alice, PASSWORD, "a new password", Some(&here.cookie_value)).await.unwrap();
    assert!(a.session(&here.cookie_value).await.unwrap().is_some(), "the session that changed it stays");
    assert!(a.session(&elsewhere.cookie_value).await.unwrap().is_none(), "every other session ends");
    assert!(matches!(a.log_in("alice", PASSWORD, ip(4)).await, Err(AuthError::WrongCredentials)));
    a.log_in("alice", "a new password", ip(4)).await.unwrap();
}

async fn tokens(f: &Fixture) {
    let a = &f.accounts;
    let bob = a.log_in("bob", PASSWORD, ip(5)).await.unwrap();
    let (ci, secret) = a.create_token(&bob, "ci", Scope::Read).await.unwrap();
    assert!(secret.starts_with("shp_") && secret.starts_with(&ci.hint) && ci.hint.len() == 8, "{secret} {ci:?}");
    assert_eq!((ci.name.as_str(), ci.scope, ci.last_used_at), ("ci", Scope::Read, None));
    assert!(matches!(a.create_token(&bob, " ci ", Scope::Write).await, Err(AuthError::TokenNameTaken(_))));
    let (deploy, deploy_secret) = a.create_token_for("BOB", "deploy", Scope::Write).await.unwrap();
    assert!(matches!(a.create_token_for("nobody", "x", Scope::Read).await, Err(AuthError::NotFound)));

    let listed = a.tokens(&bob).await.unwrap();
    assert_eq!(listed.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["ci", "deploy"]);
    let stored = f.store.user_api_tokens(bob.id).await.unwrap();
    assert!(stored.iter().all(|t| !t.token_hash.contains(&secret[4..]) && t.token_hash.len() == 64));

    let (who, scope) = a.token(&secret).await.unwrap().unwrap();
    assert_eq!((who.username.as_str(), scope), ("bob", Scope::Read));
    assert_eq!(a.token(&deploy_secret).await.unwrap().unwrap().1, Scope::Write);
    let used = a.tokens(&bob).await.unwrap()[0].last_used_at.expect("last use recorded");
    f.advance(chrono::TimeDelta::seconds(20));
    a.token(&secret).await.unwrap().unwrap();
    assert_eq!(a.tokens(&bob).await.unwrap()[0].last_used_at, Some(used), "written at most once a minute");
    f.advance(chrono::TimeDelta::minutes(2));
    a.token(&secret).await.unwrap().unwrap();
    assert_eq!(a.tokens(&bob).await.unwrap()[0].last_used_at, Some(used + chrono::TimeDelta::seconds(140)));
    assert!(a.token("shp_notatoken").await.unwrap().is_none());
    assert!(a.token(&secret.replace("shp_", "xyz_")).await.unwrap().is_none());

    let alice = a.log_in("alice", "a new password", ip(5)).await.unwrap();
    assert!(matches!(a.revoke_token(&alice, ci.id).await, Err(AuthError::NotFound)), "only the owner revokes");
    a.revoke_token(&bob, ci.id).await.unwrap();
    assert!(a.token(&secret).await.unwrap().is_none());
    let left: Vec<i64> = a.tokens(&bob).await.unwrap().into_iter().map(|t| t.id).collect();
    assert_eq!(left, [deploy.id]);
}

async fn deleting_accounts(f: &Fixture) {
    let a = &f.accounts;
    let bob = a.log_in("bob", PASSWORD, ip(6)).await.unwrap();
    let session = a.start_session(&bob, "x").await.unwrap();
    let (_, secret) = a.create_token(&bob, "last", Scope::Read).await.unwrap();
    assert!(matches!(a.delete_account(&bob, "wrong").await, Err(AuthError::WrongPassword)));
    a.delete_account(&bob, PASSWORD).await.unwrap();
    assert!(a.session(&session.cookie_value).await.unwrap().is_none(), "sessions go with the account");
    assert!(a.token(&secret).await.unwrap().is_none(), "tokens go with the account");
    assert!(matches!(a.log_in("bob", PASSWORD, ip(6)).await, Err(AuthError::WrongCredentials)));

    a.delete_user("OPS").await.unwrap();
    assert!(matches!(a.delete_user("ops").await, Err(AuthError::NotFound)));
    assert_eq!(a.users().await.unwrap().len(), 1);
}

/// With sign-up closed, the first account can still be made (and is admin); nobody else can.
async fn closed_sign_up(store: SharedStore) {
    // A fresh database is what "first" means: use another one's worth of users by deleting.
    for user in store.users().await.unwrap() {
        store.delete_user(user.id).await.unwrap();
    }
    let f = Fixture::new(store, Signup::Closed);
    let first = f.accounts.sign_up("founder", PASSWORD).await.unwrap();
    assert!(first.admin);
    let err = f.accounts.sign_up("late", PASSWORD).await.unwrap_err();
    assert_eq!(err.to_string(), "sign-up is closed on this server: ask an administrator for an account");
    assert!(!f.accounts.create_user("late", PASSWORD, false).await.unwrap().admin, "an operator still can");
}

#[tokio::test]
async fn sqlite_accounts_service() {
    let dir = tempfile::tempdir().unwrap();
    story(store::open(&DatabaseUrl::Sqlite(dir.path().join("shipshape.db"))).await.unwrap()).await;
}

#[tokio::test]
async fn postgres_accounts_service() {
    let Some(db) = TestDatabase::create().await.unwrap() else { return };
    let store = store::open(&DatabaseUrl::parse(db.url()).unwrap()).await.unwrap();
    story(store.clone()).await;
    drop(store);
    db.drop_database().await.unwrap();
}

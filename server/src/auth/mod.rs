//! Accounts: users with argon2id passwords, server-side sessions, and API tokens. [`Accounts`] is
//! the one service the HTTP layer, the pages and the CLI call; it enforces the rules (usernames,
//! password strength, who may sign up, log-in rate limits) and keeps secrets out of the database
//! (only hashes are stored) and out of logs (`Debug` shows no secret).

mod error;
pub mod password;
pub mod rate_limit;
pub mod secret_token;
mod sessions;
mod tokens;
pub mod username;
mod users;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use chrono::{DateTime, Utc};

pub use crate::store::UserId;
use crate::store::{SharedStore, UserRecord};
pub use error::{AuthError, retry_seconds};
use rate_limit::LoginLimiter;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub id: UserId,
    pub username: String,
    pub admin: bool,
}

impl From<UserRecord> for Account {
    fn from(user: UserRecord) -> Self {
        Account { id: user.id, username: user.username, admin: user.admin }
    }
}

/// What an API token may do: `Read` is GET only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Read,
    Write,
}

impl Scope {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "read" => Some(Scope::Read),
            "write" => Some(Scope::Write),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
        }
    }
}

/// Who may make an account: anyone (`open`, the default) or only an administrator and
/// `shipshape user create` (`closed`; the very first account can still sign up, and is admin).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Signup {
    #[default]
    Open,
    Closed,
}

impl Signup {
    /// `SHIPSHAPE_SIGNUP`'s values.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "open" => Some(Signup::Open),
            "closed" => Some(Signup::Closed),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct AccountSettings {
    pub signup: Signup,
    /// A session not used for this long ends.
    pub session_idle: Duration,
    /// A session ends this long after log-in, however much it is used.
    pub session_absolute: Duration,
}

impl Default for AccountSettings {
    fn default() -> Self {
        AccountSettings {
            signup: Signup::Open,
            session_idle: Duration::from_secs(7 * 24 * 3600),
            session_absolute: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

impl AccountSettings {
    pub fn with_signup(signup: Signup) -> Self {
        AccountSettings { signup, ..Self::default() }
    }
}

/// A session just started: the cookie to set, and when it must expire at the latest.
pub struct NewSession {
    pub cookie_value: String,
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for NewSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewSession").field("cookie_value", &"<hidden>").field("expires_at", &self.expires_at).finish()
    }
}

/// One of a user's sessions, as their settings page lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInfo {
    /// The first 16 hex characters of the session's stored hash: names it for "end this session"
    /// without opening it.
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub user_agent: String,
    /// The session the list was asked from.
    pub current: bool,
}

/// One of a user's API tokens, as listed: never the token itself (it is shown once, at creation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiTokenInfo {
    pub id: i64,
    pub name: String,
    /// `shp_` and the token's next 4 characters.
    pub hint: String,
    pub scope: Scope,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The time accounts read: the wall clock, or a test's.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// How often at most a session's `last_seen_at` or a token's `last_used_at` is written: every
/// request writing would make reads writes.
const TOUCH_EVERY: chrono::TimeDelta = chrono::TimeDelta::minutes(1);

/// The accounts service; cheap to clone.
#[derive(Clone)]
pub struct Accounts {
    inner: Arc<Inner>,
}

struct Inner {
    store: SharedStore,
    settings: AccountSettings,
    limiter: LoginLimiter,
    clock: Clock,
    /// Password checks made (argon2 runs), so tests can tell a refused attempt cost none.
    password_checks: AtomicU64,
}

impl Accounts {
    pub fn new(store: SharedStore, settings: AccountSettings) -> Self {
        Self::with_clock(store, settings, Arc::new(Utc::now))
    }

    /// With a clock of the caller's (tests move time instead of sleeping).
    pub fn with_clock(store: SharedStore, settings: AccountSettings, clock: Clock) -> Self {
        let inner = Inner { store, settings, limiter: LoginLimiter::default(), clock, password_checks: AtomicU64::new(0) };
        Accounts { inner: Arc::new(inner) }
    }

    pub fn settings(&self) -> &AccountSettings {
        &self.inner.settings
    }

    /// How many password checks (argon2 verifications) this service has made.
    pub fn password_checks(&self) -> u64 {
        self.inner.password_checks.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn store(&self) -> &SharedStore {
        &self.inner.store
    }

    fn now(&self) -> DateTime<Utc> {
        (self.inner.clock)()
    }
}

fn to_chrono(d: Duration) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(d).unwrap_or(chrono::TimeDelta::MAX)
}

impl fmt::Debug for Accounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Accounts").field("settings", &self.inner.settings).finish_non_exhaustive()
    }
}

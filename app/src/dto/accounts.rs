//! What the account pages show: the user, sessions, API tokens, saved registries, badge tokens.

use serde::{Deserialize, Serialize};

/// The signed-in user, for the nav and the account pages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub username: String,
    pub admin: bool,
}

/// One of the user's signed-in sessions (browsers). Times are RFC 3339.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRow {
    /// A public handle for "sign this session out" (not the session's secret).
    pub id: String,
    pub created_at: String,
    pub last_seen_at: String,
    pub user_agent: String,
    /// The session this page was loaded with.
    pub current: bool,
}

/// The account settings page: who, and where they are signed in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountPage {
    pub me: Me,
    pub sessions: Vec<SessionRow>,
}

/// An API token as its owner sees it after creation: never the secret, only its first characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    /// `shp_ab12`: enough to tell tokens apart and to match a leaked one.
    pub hint: String,
    /// "read" or "write".
    pub scope: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

/// A secret made a moment ago, shown once (a new API token, a new badge token).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreshSecret {
    /// What it is for: the token's name, or the repository of a badge token.
    pub name: String,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokensPage {
    pub tokens: Vec<TokenRow>,
    pub fresh: Option<FreshSecret>,
}

/// Saved credentials for one registry: never the password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryRow {
    /// As in a reference: `docker.io`, `ghcr.io`, `registry.example:5000`.
    pub registry: String,
    pub username: String,
    pub created_at: String,
    pub updated_at: String,
    pub last_used_at: Option<String>,
    /// "ok", or what failed the last time these credentials were used or tested.
    pub last_result: Option<String>,
}

/// What the repository page offers the owner of a private repository: its badge token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadgeTokenPanel {
    /// When the current token was made (RFC 3339); `None` when there is none yet.
    pub created_at: Option<String>,
    /// The token made a moment ago, shown once.
    pub fresh: Option<FreshSecret>,
}

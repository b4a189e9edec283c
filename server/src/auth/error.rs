//! Why an account operation was refused, in words that say what to do next. Internal failures
//! (the database, the random source) carry their cause for the log; HTTP shows them generically.

use std::time::Duration;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// One message for "no such user" and "wrong password".
    #[error("wrong username or password")]
    WrongCredentials,
    /// A logged-in user's password, asked again before a change, is not theirs.
    #[error("that is not your current password")]
    WrongPassword,
    #[error("the username {0:?} is taken: choose another")]
    UsernameTaken(String),
    #[error("sign-up is closed on this server: ask an administrator for an account")]
    SignupClosed,
    #[error("{0}")]
    WeakPassword(String),
    #[error("{0}")]
    BadUsername(String),
    #[error("{0}")]
    BadTokenName(String),
    #[error("you already have a token named {0:?}: choose another name, or revoke that one first")]
    TokenNameTaken(String),
    #[error("too many log-in attempts: wait {} seconds and try again", retry_seconds(*.retry_after))]
    RateLimited { retry_after: Duration },
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

/// Whole seconds, rounded up: "wait 0 seconds" would be a lie.
pub fn retry_seconds(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

impl AuthError {
    /// Whether the user can fix it (the message is for them); else it is ours to log.
    pub fn is_internal(&self) -> bool {
        matches!(self, AuthError::Store(_) | AuthError::Internal(_))
    }
}

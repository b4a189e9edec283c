//! Server-side sessions: the cookie holds 32 random bytes, the database their SHA-256. A session
//! ends when idle for `session_idle`, at `session_absolute` after log-in, at log-out, or when its
//! user changes the password elsewhere.

use super::{Account, Accounts, AuthError, NewSession, SessionInfo, TOUCH_EVERY, secret_token, to_chrono};
use crate::store::SessionRecord;

/// Bounds what is stored from a client's `User-Agent`.
const MAX_USER_AGENT: usize = 256;

impl Accounts {
    /// Starts a session for a user who just logged in or signed up.
    pub async fn start_session(&self, account: &Account, user_agent: &str) -> Result<NewSession, AuthError> {
        let cookie_value = secret_token::new_session_id()
            .map_err(|e| AuthError::Internal(format!("no random source for a session id: {e}")))?;
        let now = self.now();
        let expires_at = now + to_chrono(self.settings().session_absolute);
        let session = SessionRecord {
            id_hash: secret_token::stored_hash(&cookie_value),
            user_id: account.id,
            created_at: now,
            last_seen_at: now,
            expires_at,
            user_agent: user_agent.chars().filter(|c| !c.is_control()).take(MAX_USER_AGENT).collect(),
        };
        self.store().insert_session(&session).await?;
        Ok(NewSession { cookie_value, expires_at })
    }

    /// The account a session cookie belongs to; `None` when the session is unknown or has ended
    /// (an ended one is deleted).
    pub async fn session(&self, cookie_value: &str) -> Result<Option<Account>, AuthError> {
        if !secret_token::looks_like_session_id(cookie_value) {
            return Ok(None);
        }
        let id_hash = secret_token::stored_hash(cookie_value);
        let Some((session, user)) = self.store().session(&id_hash).await? else { return Ok(None) };
        let now = self.now();
        let idle_end = session.last_seen_at + to_chrono(self.settings().session_idle);
        if now >= session.expires_at || now >= idle_end {
            self.store().delete_session(&id_hash).await?;
            return Ok(None);
        }
        if now - session.last_seen_at >= TOUCH_EVERY {
            self.store().touch_session(&id_hash, now).await?;
        }
        Ok(Some(user.into()))
    }

    /// The user's sessions, most recently used first; `current_cookie` marks the asking one.
    pub async fn sessions(&self, account: &Account, current_cookie: Option<&str>) -> Result<Vec<SessionInfo>, AuthError> {
        let current = current_cookie.map(secret_token::stored_hash);
        let now = self.now();
        let idle = to_chrono(self.settings().session_idle);
        let sessions = self.store().user_sessions(account.id).await?;
        Ok(sessions
            .into_iter()
            .filter(|s| now < s.expires_at && now < s.last_seen_at + idle)
            .map(|s| SessionInfo {
                id: secret_token::public_id(&s.id_hash),
                current: current.as_deref() == Some(s.id_hash.as_str()),
                created_at: s.created_at,
                last_seen_at: s.last_seen_at,
                expires_at: s.expires_at,
                user_agent: s.user_agent,
            })
            .collect())
    }

    /// Log-out: ends the session the cookie names (nothing to do when there is none).
    pub async fn end_session(&self, cookie_value: &str) -> Result<(), AuthError> {
        if secret_token::looks_like_session_id(cookie_value) {
            self.store().delete_session(&secret_token::stored_hash(cookie_value)).await?;
        }
        Ok(())
    }

    /// Ends one of the user's own sessions by the public id the sessions list shows.
    pub async fn end_session_by_id(&self, account: &Account, public_id: &str) -> Result<(), AuthError> {
        if public_id.len() != secret_token::PUBLIC_ID_LEN {
            return Err(AuthError::NotFound);
        }
        let sessions = self.store().user_sessions(account.id).await?;
        let session = sessions.iter().find(|s| s.id_hash.starts_with(public_id)).ok_or(AuthError::NotFound)?;
        self.store().delete_session(&session.id_hash).await?;
        Ok(())
    }

    /// Deletes every session past its idle or absolute end; how many (for a periodic job).
    pub async fn prune_sessions(&self) -> Result<u64, AuthError> {
        let now = self.now();
        Ok(self.store().delete_expired_sessions(now, now - to_chrono(self.settings().session_idle)).await?)
    }
}

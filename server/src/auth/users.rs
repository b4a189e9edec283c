//! The account's life: sign-up (or creation by an operator), log-in, password change, deletion.

use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::time::Instant;

use super::rate_limit::RetryAfter;
use super::{Account, Accounts, AuthError, Signup, password, secret_token, username};
use crate::store::{NewUser, UserInsert};

impl Accounts {
    /// Someone making their own account. Refused when sign-up is closed, unless no account exists
    /// yet; the first account is an administrator.
    pub async fn sign_up(&self, username: &str, password: &str) -> Result<Account, AuthError> {
        let closed = self.settings().signup == Signup::Closed;
        // Cheap refusal first: no argon2 work for a sign-up that cannot succeed.
        if closed && self.store().count_users().await? > 0 {
            return Err(AuthError::SignupClosed);
        }
        self.insert(username, password, false, closed).await
    }

    /// An account made by an operator (`shipshape user create`) or an administrator, whatever
    /// the sign-up setting.
    pub async fn create_user(&self, username: &str, password: &str, admin: bool) -> Result<Account, AuthError> {
        self.insert(username, password, admin, false).await
    }

    async fn insert(&self, username: &str, password: &str, admin: bool, only_if_first: bool) -> Result<Account, AuthError> {
        let name = username::normalize(username)?;
        password::check_new(password)?;
        let password_hash = password::hash(password).await?;
        let new = NewUser { username: &name, password_hash: &password_hash, admin, only_if_first, at: self.now() };
        match self.store().insert_user(&new).await? {
            UserInsert::Created(user) => {
                tracing::info!(username = %user.username, admin = user.admin, "account created");
                Ok(user.into())
            }
            UserInsert::UsernameTaken => Err(AuthError::UsernameTaken(name)),
            UserInsert::NotFirst => Err(AuthError::SignupClosed),
        }
    }

    /// Checks a log-in. Past the rate limit (per username and per client address) it answers
    /// `RateLimited` before any password work; an unknown user and a wrong password get the same
    /// answer after the same work.
    pub async fn log_in(&self, username: &str, password: &str, client: IpAddr) -> Result<Account, AuthError> {
        self.count_attempt(username, Some(client))?;
        let user = match username::normalize(username) {
            Ok(name) => self.store().user_by_name(&name).await?,
            Err(_) => None,
        };
        let matches = self.check_password(password, user.as_ref().map(|u| u.password_hash.clone())).await?;
        match user {
            Some(user) if matches => {
                self.inner.limiter.succeeded(&username::attempt_key(username), Some(client));
                Ok(user.into())
            }
            _ => Err(AuthError::WrongCredentials),
        }
    }

    /// Replaces the password after checking the current one, and ends every other session of the
    /// user (`keep_cookie` is the session making the change). API tokens stay.
    pub async fn change_password(
        &self,
        account: &Account,
        current: &str,
        new: &str,
        keep_cookie: Option<&str>,
    ) -> Result<(), AuthError> {
        password::check_new(new)?;
        self.confirm_password(account, current).await?;
        let password_hash = password::hash(new).await?;
        if !self.store().set_password_hash(account.id, &password_hash, self.now()).await? {
            return Err(AuthError::NotFound);
        }
        let keep = keep_cookie.map(secret_token::stored_hash);
        let ended = self.store().delete_other_sessions(account.id, keep.as_deref()).await?;
        tracing::info!(username = %account.username, ended_sessions = ended, "password changed");
        Ok(())
    }

    /// Deletes the user's own account after checking their password; sessions, tokens and saved
    /// credentials go with it.
    pub async fn delete_account(&self, account: &Account, password: &str) -> Result<(), AuthError> {
        self.confirm_password(account, password).await?;
        if !self.store().delete_user(account.id).await? {
            return Err(AuthError::NotFound);
        }
        tracing::info!(username = %account.username, "account deleted by its owner");
        Ok(())
    }

    /// Every account, by username.
    pub async fn users(&self) -> Result<Vec<Account>, AuthError> {
        Ok(self.store().users().await?.into_iter().map(Account::from).collect())
    }

    /// Deletes an account by name (`shipshape user delete`, administrators).
    pub async fn delete_user(&self, username: &str) -> Result<(), AuthError> {
        let name = username::normalize(username).map_err(|_| AuthError::NotFound)?;
        let user = self.store().user_by_name(&name).await?.ok_or(AuthError::NotFound)?;
        if !self.store().delete_user(user.id).await? {
            return Err(AuthError::NotFound);
        }
        tracing::info!(username = %name, "account deleted");
        Ok(())
    }

    /// Makes an account an administrator, or takes that away (`shipshape user admin`); its
    /// sessions see the change at their next request.
    pub async fn set_admin(&self, username: &str, admin: bool) -> Result<Account, AuthError> {
        let name = username::normalize(username).map_err(|_| AuthError::NotFound)?;
        let user = self.store().user_by_name(&name).await?.ok_or(AuthError::NotFound)?;
        if !self.store().set_admin(user.id, admin).await? {
            return Err(AuthError::NotFound);
        }
        tracing::info!(username = %name, admin, "administrator rights changed");
        Ok(Account { admin, ..Account::from(user) })
    }

    /// The password of a logged-in user, for changes that need it again. Counted like a log-in
    /// under their name, so a stolen session cannot guess it quickly either.
    async fn confirm_password(&self, account: &Account, password: &str) -> Result<(), AuthError> {
        self.count_attempt(&account.username, None)?;
        let user = self.store().user(account.id).await?.ok_or(AuthError::NotFound)?;
        if self.check_password(password, Some(user.password_hash)).await? {
            Ok(())
        } else {
            Err(AuthError::WrongPassword)
        }
    }

    fn count_attempt(&self, username: &str, client: Option<IpAddr>) -> Result<(), AuthError> {
        let key = username::attempt_key(username);
        self.inner.limiter.attempt(&key, client, Instant::now()).map_err(|RetryAfter(wait)| {
            tracing::info!(username = %key, client = ?client, "log-in attempts over the limit");
            AuthError::RateLimited { retry_after: wait }
        })
    }

    async fn check_password(&self, password: &str, stored: Option<String>) -> Result<bool, AuthError> {
        self.inner.password_checks.fetch_add(1, Ordering::Relaxed);
        password::verify(password, stored).await
    }
}

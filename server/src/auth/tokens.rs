//! API tokens: `shp_` and 32 random bytes, shown once, stored as SHA-256; named per user, with a
//! scope (`read`: GET only, `write`: everything the user may do).

use super::{Account, Accounts, ApiTokenInfo, AuthError, Scope, TOUCH_EVERY, secret_token, username};
use crate::store::{ApiTokenRecord, UserId};

const MAX_NAME_CHARS: usize = 100;

impl Accounts {
    /// A new token for the user: its listing, and the token itself (shown to them this once).
    pub async fn create_token(&self, account: &Account, name: &str, scope: Scope) -> Result<(ApiTokenInfo, String), AuthError> {
        self.issue(account.id, name, scope).await
    }

    /// The same for a user named by an operator (`shipshape token create`).
    pub async fn create_token_for(&self, username: &str, name: &str, scope: Scope) -> Result<(ApiTokenInfo, String), AuthError> {
        let name_of_user = username::normalize(username).map_err(|_| AuthError::NotFound)?;
        let user = self.store().user_by_name(&name_of_user).await?.ok_or(AuthError::NotFound)?;
        self.issue(user.id, name, scope).await
    }

    async fn issue(&self, user: UserId, name: &str, scope: Scope) -> Result<(ApiTokenInfo, String), AuthError> {
        let name = token_name(name)?;
        let token = secret_token::new_api_token()
            .map_err(|e| AuthError::Internal(format!("no random source for a token: {e}")))?;
        let record = ApiTokenRecord {
            id: 0,
            user_id: user,
            name: name.clone(),
            token_hash: secret_token::stored_hash(&token),
            hint: secret_token::hint(&token),
            scope: scope.as_str().to_string(),
            created_at: self.now(),
            last_used_at: None,
        };
        let stored = self.store().insert_api_token(&record).await?.ok_or(AuthError::TokenNameTaken(name))?;
        Ok((info(stored), token))
    }

    /// The user's tokens, oldest first (never the tokens themselves).
    pub async fn tokens(&self, account: &Account) -> Result<Vec<ApiTokenInfo>, AuthError> {
        Ok(self.store().user_api_tokens(account.id).await?.into_iter().map(info).collect())
    }

    /// Revokes one of the user's own tokens; `NotFound` for anyone else's.
    pub async fn revoke_token(&self, account: &Account, id: i64) -> Result<(), AuthError> {
        if self.store().delete_api_token(account.id, id).await? { Ok(()) } else { Err(AuthError::NotFound) }
    }

    /// The account and scope a bearer token stands for; `None` for anything else.
    pub async fn token(&self, bearer: &str) -> Result<Option<(super::Account, Scope)>, AuthError> {
        let bearer = bearer.trim();
        if !secret_token::looks_like_api_token(bearer) {
            return Ok(None);
        }
        let Some((token, user)) = self.store().api_token(&secret_token::stored_hash(bearer)).await? else {
            return Ok(None);
        };
        let Some(scope) = Scope::parse(&token.scope) else { return Ok(None) };
        let now = self.now();
        if token.last_used_at.is_none_or(|used| now - used >= TOUCH_EVERY) {
            self.store().touch_api_token(token.id, now).await?;
        }
        Ok(Some((user.into(), scope)))
    }
}

fn token_name(name: &str) -> Result<String, AuthError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AuthError::BadTokenName("give the token a name, such as the machine or job that uses it".into()));
    }
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(AuthError::BadTokenName(format!("a token name is one line of at most {MAX_NAME_CHARS} characters")));
    }
    Ok(name.to_string())
}

fn info(record: ApiTokenRecord) -> ApiTokenInfo {
    ApiTokenInfo {
        id: record.id,
        scope: Scope::parse(&record.scope).unwrap_or(Scope::Read),
        name: record.name,
        hint: record.hint,
        created_at: record.created_at,
        last_used_at: record.last_used_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_names_are_one_trimmed_line() {
        assert_eq!(token_name("  ci deploy ").unwrap(), "ci deploy");
        assert!(token_name("   ").unwrap_err().to_string().contains("give the token a name"));
        assert!(token_name("a\nb").is_err());
        assert!(token_name(&"n".repeat(101)).is_err());
    }

    #[test]
    fn scopes_read_and_write() {
        assert_eq!(Scope::parse("READ"), Some(Scope::Read));
        assert_eq!(Scope::parse("write").map(Scope::as_str), Some("write"));
        assert_eq!(Scope::parse("admin"), None);
    }
}

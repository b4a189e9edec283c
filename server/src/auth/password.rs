//! Passwords: the rules a new one must meet, and argon2id hashing with OWASP's parameters
//! (m = 19 MiB, t = 2, p = 1) in PHC strings. Hashing takes tens of milliseconds of CPU, so it runs
//! on the blocking pool; a log-in for a user that does not exist verifies against a fixed hash
//! with the same parameters, so it costs what a wrong password costs.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use super::AuthError;

pub const MIN_CHARS: usize = 8;
/// Bounds the input argon2 reads (it would take megabytes).
pub const MAX_BYTES: usize = 1024;

/// An argon2id PHC string with [`argon2id`]'s parameters whose output was never derived from a
/// password: checking anything against it costs a real check and matches nothing.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$ZHVtbXktc2FsdC1mb3ItdGltaW5n$Xx5YqZ6yqkXl0wq0m5g2Zf8qP2lJc8d1mQy9Jf7hTzE";

fn argon2id() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP's argon2id parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Whether `password` may become someone's password.
pub fn check_new(password: &str) -> Result<(), AuthError> {
    if password.chars().count() < MIN_CHARS {
        return Err(AuthError::WeakPassword(format!("a password needs at least {MIN_CHARS} characters")));
    }
    if password.len() > MAX_BYTES {
        return Err(AuthError::WeakPassword(format!("a password may have at most {MAX_BYTES} bytes")));
    }
    Ok(())
}

/// Password work at once, process-wide: each takes 19 MiB and a core, and the per-address limits
/// do not bound what many addresses ask together. Past it, callers wait their turn.
fn permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::sync::Semaphore::new(cores)
    })
}

/// The PHC string to store for `password` (checked with [`check_new`] first).
pub async fn hash(password: &str) -> Result<String, AuthError> {
    let _turn = permits().acquire().await.map_err(|e| AuthError::Internal(e.to_string()))?;
    let password = password.to_string();
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| AuthError::Internal(format!("no random source for a salt: {e}")))?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&salt).map_err(|e| AuthError::Internal(e.to_string()))?;
        let hashed = argon2id().hash_password(password.as_bytes(), &salt);
        hashed.map(|h| h.to_string()).map_err(|e| AuthError::Internal(format!("cannot hash a password: {e}")))
    })
    .await
    .map_err(|e| AuthError::Internal(format!("password hashing stopped: {e}")))?
}

/// Whether `password` matches `stored` (a PHC string); with `None` (no such user) the same work
/// is done against a hash nothing matches. A stored hash that does not parse matches nothing.
pub async fn verify(password: &str, stored: Option<String>) -> Result<bool, AuthError> {
    // Longer than any password we accept: cannot match, and argon2 need not read it.
    if password.len() > MAX_BYTES {
        return Ok(false);
    }
    let password = password.to_string();
    let _turn = permits().acquire().await.map_err(|e| AuthError::Internal(e.to_string()))?;
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let phc = stored.unwrap_or_else(|| DUMMY_HASH.to_string());
        let Ok(parsed) = PasswordHash::new(&phc) else {
            tracing::warn!("a stored password hash does not parse; the account cannot log in");
            return false;
        };
        argon2id().verify_password(password.as_bytes(), &parsed).is_ok() && known
    })
    .await
    .map_err(|e| AuthError::Internal(format!("password check stopped: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_passwords_need_eight_characters_and_at_most_1024_bytes() {
        assert!(check_new("seven77").is_err());
        assert!(check_new("eight888").is_ok());
        assert!(check_new("ünïcödé!").is_ok(), "characters, not bytes, count toward the minimum");
        assert!(check_new(&"x".repeat(1024)).is_ok());
        let err = check_new(&"x".repeat(1025)).unwrap_err().to_string();
        assert!(err.contains("1024"), "{err}");
        assert!(check_new("short").unwrap_err().to_string().contains("at least 8 characters"));
    }

    #[tokio::test]
    async fn hashes_are_argon2id_phc_strings_that_never_contain_the_password() {
        let stored = hash("correct horse battery").await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
        assert!(!stored.contains("correct horse"));
        assert_ne!(stored, hash("correct horse battery").await.unwrap(), "salted");
        assert!(verify("correct horse battery", Some(stored.clone())).await.unwrap());
        assert!(!verify("correct horse batterY", Some(stored.clone())).await.unwrap());
        assert!(!verify(&"x".repeat(2000), Some(stored)).await.unwrap());
        assert!(!verify("garbage", Some("not a phc string".into())).await.unwrap());
    }

    #[tokio::test]
    async fn an_unknown_user_is_checked_against_a_hash_of_the_same_cost() {
        let dummy = PasswordHash::new(DUMMY_HASH).unwrap();
        let real = hash("whatever-password").await.unwrap();
        let real = PasswordHash::new(&real).unwrap();
        assert_eq!(dummy.algorithm, real.algorithm);
        assert_eq!(dummy.params, real.params);
        assert_eq!(dummy.hash.unwrap().len(), real.hash.unwrap().len());
        assert!(!verify("anything at all", None).await.unwrap());
    }
}

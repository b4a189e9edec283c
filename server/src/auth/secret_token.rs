//! The secrets accounts hand out: session cookies and API tokens. Each is 32 random bytes; the
//! database keeps only its SHA-256 (hex), looked up by equality, so a copy of the database opens
//! nothing. No secret needs a slow hash: 256 random bits cannot be guessed offline.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// What an API token starts with, so secret scanners (and people) recognise a leaked one.
pub const TOKEN_PREFIX: &str = "shp_";
/// Characters of a token shown to its owner to tell tokens apart: the prefix and 4 more.
const HINT_LEN: usize = 8;
/// 32 bytes in base62: 62^43 > 2^256.
const TOKEN_BODY_LEN: usize = 43;
/// 32 bytes in unpadded base64url.
const SESSION_ID_LEN: usize = 43;
/// Hex characters of a session's id hash shown as its public id (on the sessions list).
pub const PUBLIC_ID_LEN: usize = 16;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn random_bytes() -> Result<[u8; 32], getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(bytes)
}

/// A new session id: the cookie value.
pub fn new_session_id() -> Result<String, getrandom::Error> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes()?))
}

/// Whether `value` is shaped like a session id (no lookup for anything else).
pub fn looks_like_session_id(value: &str) -> bool {
    value.len() == SESSION_ID_LEN && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A new API token: `shp_` and 32 random bytes in base62.
pub fn new_api_token() -> Result<String, getrandom::Error> {
    Ok(format!("{TOKEN_PREFIX}{}", base62(&random_bytes()?)))
}

/// Whether `value` is shaped like an API token.
pub fn looks_like_api_token(value: &str) -> bool {
    value.strip_prefix(TOKEN_PREFIX).is_some_and(|body| {
        body.len() == TOKEN_BODY_LEN && body.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

/// The part of a token its owner is shown again: `shp_` and 4 characters.
pub fn hint(token: &str) -> String {
    token.chars().take(HINT_LEN).collect()
}

/// What the database stores for a secret: its SHA-256, hex.
pub fn stored_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A session's public id: a prefix of its stored hash, enough to pick it out of one user's list
/// and useless for opening it.
pub fn public_id(id_hash: &str) -> String {
    id_hash.chars().take(PUBLIC_ID_LEN).collect()
}

/// Big-endian base62, fixed width (leading zeros kept) so every token has one length.
fn base62(bytes: &[u8; 32]) -> String {
    let mut number = bytes.to_vec();
    let mut digits = Vec::with_capacity(TOKEN_BODY_LEN);
    for _ in 0..TOKEN_BODY_LEN {
        // Long division of the whole number by 62; the remainder is the next digit.
        let mut remainder = 0u32;
        for byte in number.iter_mut() {
            let value = (remainder << 8) | u32::from(*byte);
            *byte = (value / 62) as u8;
            remainder = value % 62;
        }
        digits.push(BASE62[remainder as usize]);
    }
    debug_assert!(number.iter().all(|b| *b == 0), "43 base62 digits hold 256 bits");
    digits.reverse();
    String::from_utf8(digits).expect("base62 is ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_the_prefix_a_fixed_length_and_a_short_hint() {
        let token = new_api_token().unwrap();
        assert!(token.starts_with("shp_"), "{token}");
        assert_eq!(token.len(), 4 + 43);
        assert!(looks_like_api_token(&token));
        assert_eq!(hint(&token).len(), 8);
        assert!(token.starts_with(&hint(&token)));
        assert_ne!(token, new_api_token().unwrap());
        assert!(!looks_like_api_token("shp_short"));
        assert!(!looks_like_api_token(&token.replace("shp_", "ghp_")));
    }

    #[test]
    fn base62_is_the_number_in_62_digits() {
        assert_eq!(base62(&[0; 32]), "0".repeat(43));
        let mut one = [0u8; 32];
        one[31] = 63;
        assert_eq!(base62(&one), format!("{}11", "0".repeat(41)));
        // 2^256 - 1 in base62, computed independently (Python: repeated divmod by 62).
        assert_eq!(base62(&[0xff; 32]), "yhjskwdA6OZ1AL1YmHWZWm8LLG7HjnuCA2j5rOw8Xp1");
    }

    #[test]
    fn session_ids_are_43_characters_of_base64url() {
        let id = new_session_id().unwrap();
        assert!(looks_like_session_id(&id), "{id}");
        assert!(!looks_like_session_id("not-a-session"));
        assert!(!looks_like_session_id(&format!("{}=", &id[..42])));
    }

    #[test]
    fn only_the_hash_is_stored_and_it_hides_the_secret() {
        let token = new_api_token().unwrap();
        let stored = stored_hash(&token);
        assert_eq!(stored.len(), 64);
        assert!(!stored.contains(&token[4..12]));
        assert_eq!(stored, stored_hash(&token), "deterministic, so lookups are by equality");
        assert_eq!(stored_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(public_id(&stored), stored[..16]);
    }
}

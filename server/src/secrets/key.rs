//! The instance key and what it does: seal and open small secrets (registry passwords) with
//! XChaCha20-Poly1305. A sealed value is `nonce (24 bytes) ‖ ciphertext ‖ tag`; the nonce is random,
//! which at 192 bits is safe for any number of values under one key. The associated data names the
//! row a value belongs to, so a sealed password copied into another user's row does not open.

use std::fmt;

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use zeroize::Zeroize;

pub const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;

/// 32 secret bytes, wiped from memory when dropped; `Debug` never shows them.
#[derive(Clone)]
pub struct SecretKey(Box<[u8; KEY_LEN]>);

/// A sealed value did not open: another key sealed it, it belongs to another row, or it was altered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the sealed value does not open with this key (another key, another row, or altered)")]
pub struct OpenError;

impl SecretKey {
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        let mut bytes = bytes;
        let key = Self(Box::new(bytes));
        bytes.zeroize();
        key
    }

    /// A new random key.
    pub fn generate() -> Self {
        let mut bytes = [0u8; KEY_LEN];
        getrandom::fill(&mut bytes).expect("the operating system provides random bytes");
        Self::from_bytes(bytes)
    }

    /// Standard base64 (padding optional, surrounding whitespace ignored) of exactly 32 bytes, as
    /// `head -c 32 /dev/urandom | base64` prints it. The reason says what is wrong, never the value.
    pub fn from_base64(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err(format!("is empty; make a key with `{MAKE_KEY}`"));
        }
        let unpadded = text.trim_end_matches('=');
        let mut decoded = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(unpadded)
            .map_err(|_| format!("is not standard base64; make a key with `{MAKE_KEY}`"))?;
        if decoded.len() != KEY_LEN {
            let len = decoded.len();
            decoded.zeroize();
            return Err(format!("decodes to {len} bytes, not {KEY_LEN}; make a key with `{MAKE_KEY}`"));
        }
        let mut bytes = [0u8; KEY_LEN];
        bytes.copy_from_slice(&decoded);
        decoded.zeroize();
        Ok(Self::from_bytes(bytes))
    }

    /// Standard base64 with padding: what a key file holds and SHIPSHAPE_SECRET_KEY takes.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0.as_slice())
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&Key::from(*self.0))
    }

    /// Seals `plaintext` for the row that `aad` names.
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).expect("the operating system provides random bytes");
        let sealed = self
            .cipher()
            .encrypt(&XNonce::from(nonce), Payload { msg: plaintext, aad })
            .expect("XChaCha20-Poly1305 seals any message under 256 GiB");
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens what [`seal`](Self::seal) made for the same `aad` under the same key.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
        if sealed.len() < NONCE_LEN {
            return Err(OpenError);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| OpenError)?;
        self.cipher().decrypt(&XNonce::from(nonce), Payload { msg: ciphertext, aad }).map_err(|_| OpenError)
    }
}

/// The command the messages advise for making a key.
pub const MAKE_KEY: &str = "head -c 32 /dev/urandom | base64";

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AAD: &[u8] = b"registry-credential\x001\x00ghcr.io";

    #[test]
    fn sealed_values_open_with_the_same_key_and_row_only() {
        let key = SecretKey::generate();
        let sealed = key.seal(AAD, b"hunter2");
        assert_eq!(sealed.len(), 24 + 7 + 16);
        assert!(!sealed.windows(7).any(|w| w == b"hunter2"));
        assert_eq!(key.open(AAD, &sealed).unwrap(), b"hunter2");
        assert_ne!(key.seal(AAD, b"hunter2"), sealed, "a fresh nonce each time");

        assert_eq!(SecretKey::generate().open(AAD, &sealed), Err(OpenError), "another key");
        assert_eq!(key.open(b"registry-credential\x002\x00ghcr.io", &sealed), Err(OpenError), "another row");
        for i in [0, 24, sealed.len() - 1] {
            let mut tampered = sealed.clone();
            tampered[i] ^= 1;
            assert_eq!(key.open(AAD, &tampered), Err(OpenError), "byte {i} altered");
        }
        assert_eq!(key.open(AAD, &sealed[..10]), Err(OpenError), "truncated");
    }

    #[test]
    fn keys_parse_from_base64_with_or_without_padding() {
        let key = SecretKey::generate();
        let text = key.to_base64();
        assert!(text.ends_with('='));
        let again = SecretKey::from_base64(&format!("  {text}\n")).unwrap();
        let sealed = key.seal(b"", b"x");
        assert_eq!(again.open(b"", &sealed).unwrap(), b"x");
        let unpadded = SecretKey::from_base64(text.trim_end_matches('=')).unwrap();
        assert_eq!(unpadded.open(b"", &sealed).unwrap(), b"x");
    }

    #[test]
    fn bad_keys_say_what_is_wrong_without_the_value() {
        let short = base64::engine::general_purpose::STANDARD.encode([7u8; 16]);
        for (text, wanted) in [("", "is empty"), ("not base64!!", "not standard base64"), (&short, "16 bytes, not 32")] {
            let reason = SecretKey::from_base64(text).unwrap_err();
            assert!(reason.contains(wanted) && reason.contains(MAKE_KEY), "{reason}");
            assert!(text.is_empty() || !reason.contains(text), "{reason}");
        }
        assert_eq!(format!("{:?}", SecretKey::generate()), "SecretKey(***)");
    }
}

//! Content digests (`sha256:<64 hex>`): what names a manifest, a config, a layer blob or an index's
//! child. A [`Digest`] is valid by construction, so no tag, repository or other text can stand in
//! for one.
//!
//! The OCI image spec's descriptor rules for the algorithms it registers: `sha256` with 64 and
//! `sha512` with 128 lowercase hex digits. Image references (`repo@sha256:…`) accept the same, no more.
//! Pure code: the server parses digests at its edges (registry answers, references, database rows,
//! job payloads), the browser could do the same.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A validated content digest; serialised as its plain string.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Digest(String);

/// Why text is not a digest; the message says what one looks like.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a valid digest: expected sha256: followed by 64 lowercase hex digits (or sha512: and 128)")]
pub struct DigestError(pub String);

impl Digest {
    pub fn parse(text: &str) -> Result<Self, DigestError> {
        let bad = || DigestError(text.to_string());
        let (algorithm, hex) = text.split_once(':').ok_or_else(bad)?;
        let expected_len = match algorithm {
            "sha256" => 64,
            "sha512" => 128,
            _ => return Err(bad()),
        };
        let lower_hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
        if hex.len() != expected_len || !hex.bytes().all(lower_hex) {
            return Err(bad());
        }
        Ok(Self(text.to_string()))
    }

    /// The digest of content whose SHA-256 is `hash`.
    pub fn from_sha256(hash: [u8; 32]) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut text = String::with_capacity(7 + 64);
        text.push_str("sha256:");
        for byte in hash {
            text.push(HEX[usize::from(byte >> 4)] as char);
            text.push(HEX[usize::from(byte & 0xf)] as char);
        }
        Self(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `sha256` or `sha512`.
    pub fn algorithm(&self) -> &str {
        self.split().0
    }

    /// The encoded part, after the colon.
    pub fn hex(&self) -> &str {
        self.split().1
    }

    /// The first 12 hex digits, as `docker images` shows an ID.
    pub fn short(&self) -> &str {
        crate::format::short_digest(&self.0)
    }

    fn split(&self) -> (&str, &str) {
        // Valid by construction: the colon is there.
        self.0.split_once(':').unwrap_or(("", &self.0))
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl FromStr for Digest {
    type Err = DigestError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl TryFrom<String> for Digest {
    type Error = DigestError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<Digest> for String {
    fn from(digest: Digest) -> Self {
        digest.0
    }
}

impl AsRef<str> for Digest {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// DTOs carry digests as strings: comparing with them needs no parse.
impl PartialEq<str> for Digest {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Digest {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for Digest {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA256: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn sha256_and_sha512_digests_parse() {
        let digest = Digest::parse(SHA256).unwrap();
        assert_eq!((digest.algorithm(), digest.hex()), ("sha256", &SHA256[7..]));
        assert_eq!((digest.as_str(), digest.to_string().as_str(), digest.short()), (SHA256, SHA256, "0123456789ab"));
        let sha512 = format!("sha512:{}", "ab".repeat(64));
        assert_eq!(Digest::parse(&sha512).unwrap().algorithm(), "sha512");
        assert_eq!(SHA256.parse::<Digest>(), Ok(digest));
    }

    #[test]
    fn anything_else_is_refused_with_what_was_given() {
        let sha512_of_sha256_length = format!("sha512:{}", &SHA256[7..]);
        for bad in [
            "",
            " ",
            "sha256:",
            &SHA256.to_uppercase(),
            &format!("sha256:{}", SHA256[7..].to_uppercase()),
            &SHA256[..70],
            &format!("{SHA256}0"),
            &SHA256[7..],
            &format!(":{}", &SHA256[7..]),
            &format!(" {SHA256}"),
            &format!("{SHA256} "),
            &SHA256.replace(':', ": "),
            &SHA256.replace("sha256", "md5"),
            &sha512_of_sha256_length,
            "latest",
            "library/alpine",
        ] {
            assert_eq!(Digest::parse(bad), Err(DigestError(bad.to_string())), "{bad:?}");
        }
        assert!(DigestError("x".into()).to_string().contains("64 lowercase hex digits"));
    }

    #[test]
    fn a_sha256_hash_is_written_in_lowercase_hex() {
        let mut hash = [0u8; 32];
        hash[0] = 0xAB;
        hash[31] = 0x0F;
        let digest = Digest::from_sha256(hash);
        assert_eq!(digest.as_str(), format!("sha256:ab{}0f", "0".repeat(60)));
        assert_eq!(Digest::parse(digest.as_str()), Ok(digest));
    }

    #[test]
    fn serde_reads_and_writes_the_plain_string_and_validates() {
        use serde::de::IntoDeserializer;
        use serde::de::value::Error;
        let read = |text: &str| Digest::deserialize(text.to_string().into_deserializer());
        let digest: Result<Digest, Error> = read(SHA256);
        let digest = digest.unwrap();
        // `into = "String"`: written as the very string it was read from.
        assert_eq!(String::from(digest.clone()), SHA256);
        assert_eq!(read(&String::from(digest.clone())).unwrap(), digest);
        let refused: Result<Digest, Error> = read("sha256:abc");
        assert!(refused.unwrap_err().to_string().contains("not a valid digest"));
    }

    #[test]
    fn compares_with_the_strings_dtos_carry() {
        let digest = Digest::parse(SHA256).unwrap();
        assert!(digest == SHA256 && digest == *SHA256 && digest == SHA256.to_string());
        assert!(digest != "sha256:other");
    }
}

//! A token service like Docker Hub's `auth.docker.io`: `GET /token?service=…&scope=…` (scope may
//! repeat, Basic credentials optional) answers an ES256 JWT the registry verifies against our certificate.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{DecodePrivateKey, EncodePublicKey};
use serde_json::json;
use sha2::Digest;

use crate::HarnessError;

const TOKEN_LIFETIME_SECS: u64 = 300;
/// Repositories anonymous clients may pull, as public images on Docker Hub.
const PUBLIC_PREFIX: &str = "public/";

pub struct TokenIssuer {
    addr: SocketAddr,
    cert: PathBuf,
    task: tokio::task::JoinHandle<()>,
}

struct Issuer {
    key: SigningKey,
    kid: String,
    username: String,
    password: String,
}

impl TokenIssuer {
    pub const SERVICE: &'static str = "shipshape-test-registry";
    pub const ISSUER: &'static str = "shipshape-test-issuer";

    pub async fn start(dir: &Path, username: &str, password: &str) -> Result<Self, HarnessError> {
        let key_path = dir.join("token-key.pem");
        let cert = dir.join("token-cert.pem");
        openssl(&["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path(&key_path)])?;
        openssl(&[
            "req",
            "-new",
            "-x509",
            "-key",
            path(&key_path),
            "-out",
            path(&cert),
            "-days",
            "3650",
            "-subj",
            "/CN=shipshape-test-issuer",
        ])?;

        let pem = std::fs::read_to_string(&key_path)?;
        let key = SigningKey::from_pkcs8_pem(&pem).map_err(|e| HarnessError::Key(e.to_string()))?;
        let der = key.verifying_key().to_public_key_der().map_err(|e| HarnessError::Key(e.to_string()))?;
        let issuer = Arc::new(Issuer {
            kid: libtrust_key_id(der.as_bytes()),
            key,
            username: username.into(),
            password: password.into(),
        });

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = axum::Router::new().route("/token", get(token)).with_state(issuer);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, cert, task })
    }

    pub fn realm(&self) -> String {
        format!("http://{}/token", self.addr)
    }

    pub fn cert_path(&self) -> &Path {
        &self.cert
    }
}

impl Drop for TokenIssuer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

fn openssl(args: &[&str]) -> Result<(), HarnessError> {
    let output = std::process::Command::new("openssl").args(args).output().map_err(|source| HarnessError::Missing {
        program: "openssl",
        package: "openssl",
        source,
    })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(HarnessError::Command {
            what: format!("openssl {}", args[0]),
            detail: String::from_utf8_lossy(&output.stderr).into(),
        })
    }
}

/// libtrust's key ID: SHA-256 of the DER public key, first 240 bits, base32, in groups of four.
pub(crate) fn libtrust_key_id(public_key_der: &[u8]) -> String {
    let hash = sha2::Sha256::digest(public_key_der);
    let encoded = base32(&hash[..30]);
    encoded.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).expect("base32 is ASCII")).collect::<Vec<_>>().join(":")
}

fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

async fn token(State(issuer): State<Arc<Issuer>>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let authenticated = match headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        None => false,
        Some(value) => {
            let given = value.strip_prefix("Basic ").and_then(|b| STANDARD.decode(b).ok());
            let expected = format!("{}:{}", issuer.username, issuer.password);
            if given.as_deref() != Some(expected.as_bytes()) {
                return (StatusCode::UNAUTHORIZED, Json(json!({"details": "incorrect username or password"})))
                    .into_response();
            }
            true
        }
    };
    let mut service = String::new();
    let mut access = Vec::new();
    for (key, value) in form_pairs(query.as_deref().unwrap_or_default()) {
        match key.as_str() {
            "service" => service = value,
            "scope" => {
                // repository:NAME:pull,push (NAME may contain ':' only for a port-less host, so split from both ends)
                let mut parts = value.splitn(2, ':');
                let kind = parts.next().unwrap_or_default().to_string();
                let Some((name, actions)) = parts.next().and_then(|rest| rest.rsplit_once(':')) else { continue };
                let granted: Vec<&str> = actions
                    .split(',')
                    .filter(|_| authenticated || (kind == "repository" && name.starts_with(PUBLIC_PREFIX)))
                    .filter(|action| authenticated || *action == "pull")
                    .collect();
                access.push(json!({"type": kind, "name": name, "actions": granted}));
            }
            _ => {}
        }
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_secs();
    let claims = json!({
        "iss": TokenIssuer::ISSUER,
        "sub": if authenticated { issuer.username.as_str() } else { "" },
        "aud": service,
        "exp": now + TOKEN_LIFETIME_SECS,
        "nbf": now - 10,
        "iat": now,
        "jti": format!("{now}-{}", rand_u64()),
        "access": access,
    });
    let header = json!({"typ": "JWT", "alg": "ES256", "kid": issuer.kid});
    let signing_input =
        format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
    let signature: Signature = issuer.key.sign(signing_input.as_bytes());
    let jwt = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()));
    Json(json!({"token": jwt, "access_token": jwt, "expires_in": TOKEN_LIFETIME_SECS})).into_response()
}

fn rand_u64() -> u64 {
    use rand_core::RngCore;
    rand_core::OsRng.next_u64()
}

fn form_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (percent_decode(k), percent_decode(v)))
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(high), Some(low)) => {
                out.push(high << 4 | low);
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_matches_rfc4648() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"f"), "MY");
    }

    #[test]
    fn key_id_has_twelve_groups_of_four() {
        let kid = libtrust_key_id(b"any key");
        assert_eq!(kid.split(':').count(), 12);
        assert!(kid.split(':').all(|g| g.len() == 4));
    }

    #[test]
    fn query_decoding() {
        assert_eq!(
            form_pairs("service=reg&scope=repository%3Apublic%2Fa%3Apull%2Cpush"),
            vec![("service".into(), "reg".into()), ("scope".into(), "repository:public/a:pull,push".into())]
        );
    }
}

//! Real test harnesses for Shipshape's tests: a `docker-registry` per test in three auth modes,
//! images built in-process and pushed with the distribution API, and fresh PostgreSQL databases.
//!
//! Nothing here is mocked: the registry is Debian's distribution 2.8, the token issuer signs real
//! ES256 JWTs that the registry verifies, and the database is a real server.

mod error;
pub mod fault_proxy;
pub mod image;
pub mod postgres;
pub mod receiver;
pub mod registry;
pub mod smtp;
mod token_issuer;

pub use error::HarnessError;
pub use fault_proxy::{Endpoint, Fault, FaultProxy, Rule};
mod streamed;
pub use image::{BuiltImage, BuiltIndex, ImageBuilder, Layer, ManifestFormat};
pub use postgres::TestDatabase;
pub use receiver::{Received, Receiver, verify_standard_webhook};
pub use registry::{RegistryAuthMode, TestRegistry};
pub use smtp::SmtpServer;

/// reqwest (under oci-client) is built without a bundled crypto provider; tests install ring once.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub fn sha256_digest(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

//! Authorization for the requests made with reqwest: oci-client runs the auth flow (it follows the
//! `WWW-Authenticate` challenge to the token realm), and its token is reused here, cached per
//! repository until it expires, so a 401 costs one flow and not one per request.

use std::time::{Duration, Instant};

use base64::Engine;
use oci_client::RegistryOperation;
use oci_client::errors::OciDistributionError;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderValue};

use super::RegistryClient;
use crate::registry::RegistryError;

#[derive(Clone)]
pub(super) struct Authorization {
    header: HeaderValue,
    /// Whether it came from a token realm (a later 401 then means "no access", not "wrong password").
    pub(super) bearer: bool,
    expires: Option<Instant>,
}

impl RegistryClient {
    /// Sends a request with this repository's authorization, authenticating once on a 401.
    pub(super) async fn send(
        &self,
        repository: &str,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, RegistryError> {
        let mut authorization = self.cached_authorization(repository).await;
        let mut authenticated = false;
        loop {
            self.proxy.clear_failure();
            let mut request = build(&self.http);
            if let Some(auth) = &authorization {
                request = request.header(AUTHORIZATION, auth.header.clone());
            }
            let response = match tokio::time::timeout(self.timeout, request.send()).await {
                Err(_) => return Err(self.timeout_error()),
                Ok(Err(e)) => return Err(self.transport_error(&e)),
                Ok(Ok(response)) => response,
            };
            if response.status() != StatusCode::UNAUTHORIZED || authenticated {
                return Ok(response);
            }
            authenticated = true;
            match self.authenticate(repository).await? {
                Some(auth) => authorization = Some(auth),
                None => return Ok(response),
            }
        }
    }

    pub(super) async fn cached_authorization(&self, repository: &str) -> Option<Authorization> {
        let cache = self.authorizations.lock().await;
        cache.get(repository).filter(|a| a.expires.is_none_or(|at| Instant::now() < at)).cloned()
    }

    /// Runs the registry's auth flow for pull access to `repository` (oci-client follows the
    /// `WWW-Authenticate` challenge to the token realm) and caches the result until it expires.
    async fn authenticate(&self, repository: &str) -> Result<Option<Authorization>, RegistryError> {
        self.proxy.clear_failure();
        let reference = self.oci_reference(repository);
        let granted = tokio::time::timeout(
            self.timeout,
            self.oci().await?.auth(&reference, &self.oci_auth(), RegistryOperation::Pull),
        )
        .await
        .map_err(|_| self.timeout_error())?;
        let authorization = match granted {
            Ok(Some(token)) => Some(Authorization {
                header: header_value(&format!("Bearer {token}"), &self.registry)?,
                bearer: true,
                expires: Some(Instant::now() + token_lifetime(&token)),
            }),
            Ok(None) => self.basic_authorization()?,
            Err(e) => {
                // The token realm may be another host: the policy can refuse it too.
                if let Some(failure) = self.proxy.take_failure() {
                    return Err(self.net_error(failure));
                }
                return Err(match e {
                    OciDistributionError::AuthenticationFailure(_) => self.unauthorized(repository, false),
                    other => self.oci_error(other, repository, "authentication"),
                });
            }
        };
        let mut cache = self.authorizations.lock().await;
        match &authorization {
            Some(auth) => cache.insert(repository.to_string(), auth.clone()),
            None => cache.remove(repository),
        };
        Ok(authorization)
    }

    /// No token realm: the credentials, if any, go as basic auth on every request.
    fn basic_authorization(&self) -> Result<Option<Authorization>, RegistryError> {
        let Some(creds) = &self.credentials else { return Ok(None) };
        let basic =
            base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", creds.username, creds.password()));
        Ok(Some(Authorization {
            header: header_value(&format!("Basic {basic}"), &self.registry)?,
            bearer: false,
            expires: None,
        }))
    }
}

fn header_value(text: &str, registry: &str) -> Result<HeaderValue, RegistryError> {
    HeaderValue::from_str(text).map_err(|_| RegistryError::Protocol {
        registry: registry.to_string(),
        detail: "the token realm returned a token that is not a valid header value".into(),
    })
}

/// How long to reuse a bearer token: its `exp` claim when it is a JWT (less a margin), else the
/// 60 s the distribution spec guarantees as a minimum.
fn token_lifetime(token: &str) -> Duration {
    const FALLBACK: Duration = Duration::from_secs(60);
    let Some(payload) = token.split('.').nth(1) else { return FALLBACK };
    let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')) else {
        return FALLBACK;
    };
    let Some(exp) = serde_json::from_slice::<serde_json::Value>(&bytes).ok().and_then(|v| v.get("exp")?.as_u64())
    else {
        return FALLBACK;
    };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs();
    Duration::from_secs(exp.saturating_sub(now).saturating_sub(10).min(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_lifetime_reads_the_exp_claim() {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(r#"{{"exp":{}}}"#, now + 300));
        let lifetime = token_lifetime(&format!("h.{payload}.s"));
        assert!((285..=290).contains(&lifetime.as_secs()), "{lifetime:?}");
        assert_eq!(token_lifetime("opaque"), Duration::from_secs(60));
    }
}

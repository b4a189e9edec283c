//! Authorization for registry requests: on a 401 the registry's `WWW-Authenticate` challenge says
//! where a token comes from (its realm) or that basic auth is wanted. The token is fetched here,
//! through this client's egress proxy (so the realm is held to this registry's policy) and read
//! within [`TOKEN_LIMIT`], then cached per repository until it expires, so a 401 costs one flow
//! and not one per request.

use std::time::{Duration, Instant};

use base64::Engine;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderValue};

use super::RegistryClient;
use super::challenge::Challenge;
use crate::registry::RegistryError;

/// A token realm's answer larger than this is refused (real ones are a few KiB).
pub const TOKEN_LIMIT: u64 = 64 << 10;

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
            let challenge = Challenge::from_headers(response.headers());
            match self.authenticate(repository, challenge).await? {
                Some(auth) => authorization = Some(auth),
                None => return Ok(response),
            }
        }
    }

    pub(super) async fn cached_authorization(&self, repository: &str) -> Option<Authorization> {
        let cache = self.authorizations.lock().await;
        cache.get(repository).filter(|a| a.expires.is_none_or(|at| Instant::now() < at)).cloned()
    }

    /// Answers a challenge for pull access to `repository`: a token from the realm, or basic auth
    /// when the registry asks for no token; cached until it expires.
    async fn authenticate(
        &self,
        repository: &str,
        challenge: Challenge,
    ) -> Result<Option<Authorization>, RegistryError> {
        let authorization = match challenge {
            Challenge::Bearer { realm, service } => {
                let token = self.token(repository, &realm, service.as_deref()).await?;
                Some(Authorization {
                    header: header_value(&format!("Bearer {token}"), &self.registry)?,
                    bearer: true,
                    expires: Some(Instant::now() + token_lifetime(&token)),
                })
            }
            Challenge::Other => self.basic_authorization()?,
        };
        let mut cache = self.authorizations.lock().await;
        match &authorization {
            Some(auth) => cache.insert(repository.to_string(), auth.clone()),
            None => cache.remove(repository),
        };
        Ok(authorization)
    }

    /// GETs a pull token for `repository` from the realm, with the credentials (if any) as basic auth.
    async fn token(&self, repository: &str, realm: &str, service: Option<&str>) -> Result<String, RegistryError> {
        let protocol = |detail: String| RegistryError::Protocol { registry: self.registry.clone(), detail };
        let url = reqwest::Url::parse(realm)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| protocol(format!("its token realm {realm:?} is not an http(s) URL")))?;
        let mut request = self.http.get(url).query(&[("scope", format!("repository:{repository}:pull"))]);
        if let Some(service) = service {
            request = request.query(&[("service", service)]);
        }
        if let Some(creds) = &self.credentials {
            request = request.basic_auth(&creds.username, Some(creds.password()));
        }
        self.proxy.clear_failure();
        let response = match tokio::time::timeout(self.timeout, request.send()).await {
            Err(_) => return Err(self.timeout_error()),
            Ok(Err(e)) => return Err(self.transport_error(&e)),
            Ok(Ok(response)) => response,
        };
        if !response.status().is_success() {
            return Err(self.realm_refusal(response, repository).await);
        }
        let body = self.read_capped(response, TOKEN_LIMIT, "the token realm's answer").await?;
        #[derive(serde::Deserialize)]
        struct Answer {
            token: Option<String>,
            access_token: Option<String>,
        }
        let answer: Answer =
            serde_json::from_slice(&body).map_err(|e| protocol(format!("its token realm answered: {e}")))?;
        answer
            .token
            .or(answer.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| protocol("its token realm answered without a token".into()))
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

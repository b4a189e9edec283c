//! Failures as [`RegistryError`]s that say what to do: HTTP statuses with their headers and error
//! codes (429 with `Retry-After`, 404 repository vs tag, 401 after a token was granted), token
//! realms' refusals, transport errors, and the egress proxy's refusals, which take precedence over
//! whatever the client saw of them.

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

use super::RegistryClient;
use crate::net::NetError;
use crate::registry::RegistryError;

impl RegistryClient {
    pub(super) async fn check_status(
        &self,
        response: reqwest::Response,
        repository: &str,
        reference: &str,
    ) -> Result<reqwest::Response, RegistryError> {
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        if let Some(failure) = self.proxy.take_failure() {
            return Err(self.net_error(failure));
        }
        let retry_after = retry_after(response.headers());
        let bearer = self.cached_authorization(repository).await.is_some_and(|a| a.bearer);
        let body = read_prefix(response).await;
        let codes = error_codes(&body);
        Err(match status {
            // 403 is "who you are may not": the credentials were taken, the repository is not theirs.
            StatusCode::FORBIDDEN if self.credentials.is_some() => self.unauthorized(repository, true),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => self.unauthorized(repository, bearer),
            StatusCode::TOO_MANY_REQUESTS => {
                RegistryError::RateLimited { registry: self.registry.clone(), retry_after }
            }
            StatusCode::NOT_FOUND if codes.iter().any(|c| c == "NAME_UNKNOWN") => {
                RegistryError::RepositoryNotFound { registry: self.registry.clone(), repository: repository.into() }
            }
            StatusCode::NOT_FOUND if self.repository_missing(repository).await => {
                RegistryError::RepositoryNotFound { registry: self.registry.clone(), repository: repository.into() }
            }
            StatusCode::NOT_FOUND => {
                RegistryError::ManifestNotFound { repository: repository.into(), reference: reference.into() }
            }
            _ => RegistryError::Status { registry: self.registry.clone(), status: status.as_u16(), message: body },
        })
    }

    /// Registries answer MANIFEST_UNKNOWN for a tag of a repository that does not exist at all;
    /// the tag list (404 NAME_UNKNOWN) tells the two apart.
    async fn repository_missing(&self, repository: &str) -> bool {
        let url = self.url(&format!("{repository}/tags/list?n=1"));
        match self.send(repository, |http| http.get(&url)).await {
            Ok(response) if response.status() == StatusCode::NOT_FOUND => {
                error_codes(&read_prefix(response).await).iter().any(|c| c == "NAME_UNKNOWN")
            }
            _ => false,
        }
    }

    /// A refusal after auth: without credentials they are needed; with them, either the password
    /// is wrong (basic auth, or the token realm refused it) or the account lacks access.
    pub(super) fn unauthorized(&self, repository: &str, granted_token: bool) -> RegistryError {
        match &self.credentials {
            None => {
                RegistryError::CredentialsRequired { registry: self.registry.clone(), repository: repository.into() }
            }
            Some(creds) if granted_token => {
                RegistryError::AccessDenied { repository: repository.into(), username: creds.username.clone() }
            }
            Some(creds) => {
                RegistryError::WrongCredentials { registry: self.registry.clone(), username: creds.username.clone() }
            }
        }
    }

    /// A token realm's refusal: the egress proxy's when it was one; a 401 or 403 means the
    /// credentials are missing or wrong.
    pub(super) async fn realm_refusal(&self, response: reqwest::Response, repository: &str) -> RegistryError {
        if let Some(failure) = self.proxy.take_failure() {
            return self.net_error(failure);
        }
        let registry = self.registry.clone();
        match response.status() {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => self.unauthorized(repository, false),
            StatusCode::TOO_MANY_REQUESTS => {
                RegistryError::RateLimited { registry, retry_after: retry_after(response.headers()) }
            }
            status => RegistryError::Status { registry, status: status.as_u16(), message: read_prefix(response).await },
        }
    }

    pub(super) fn transport_error(&self, err: &reqwest::Error) -> RegistryError {
        if let Some(failure) = self.proxy.take_failure() {
            return self.net_error(failure);
        }
        if err.is_timeout() {
            return self.timeout_error();
        }
        // Not the network's fault: telling it as "unreachable" sends the user to check the name.
        if err.is_redirect() {
            let detail = format!("it redirected more than 5 times (a redirect loop?): {err}");
            return RegistryError::Protocol { registry: self.registry.clone(), detail };
        }
        let mut detail = err.to_string();
        let mut source = std::error::Error::source(err);
        while let Some(cause) = source {
            detail = format!("{detail}: {cause}");
            source = cause.source();
        }
        // The registry answered and then broke off mid-body: it was reached, and its answer is bad.
        if err.is_body() || err.is_decode() {
            return RegistryError::Protocol { registry: self.registry.clone(), detail: format!("its answer broke off: {detail}") };
        }
        RegistryError::Unreachable { registry: self.registry.clone(), detail }
    }

    pub(super) fn net_error(&self, failure: NetError) -> RegistryError {
        match failure {
            NetError::Refused { .. } | NetError::NotForRegistry { .. } | NetError::BadHost { .. } => {
                RegistryError::Net(failure)
            }
            other => RegistryError::Unreachable { registry: self.registry.clone(), detail: other.to_string() },
        }
    }

    pub(super) fn timeout_error(&self) -> RegistryError {
        self.timeout_error_after(self.timeout)
    }

    pub(super) fn timeout_error_after(&self, after: std::time::Duration) -> RegistryError {
        RegistryError::Timeout { registry: self.registry.clone(), after }
    }
}

fn retry_after(headers: &HeaderMap) -> Option<u64> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(seconds);
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some((at.timestamp() - chrono::Utc::now().timestamp()).max(0) as u64)
}

async fn read_prefix(response: reqwest::Response) -> String {
    let mut response = response;
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() > 4096 {
            break;
        }
    }
    truncate(String::from_utf8_lossy(&body).into_owned())
}

fn error_codes(body: &str) -> Vec<String> {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            Some(
                v.get("errors")?
                    .as_array()?
                    .iter()
                    .filter_map(|e| Some(e.get("code")?.as_str()?.to_string()))
                    .collect(),
            )
        })
        .unwrap_or_default()
}

fn truncate(mut text: String) -> String {
    if text.len() > 300 {
        let cut = (0..=300).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
        text.truncate(cut);
        text.push('…');
    }
    text.trim().to_string()
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    #[test]
    fn retry_after_in_seconds() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("42"));
        assert_eq!(retry_after(&headers), Some(42));
    }
}

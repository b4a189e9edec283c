//! The application layer's one error: what went wrong in a service call, classified once for web
//! clients ([`ServiceError::public`]: a kind, a stable code and a message fit for a browser or an
//! API client) while the terminal keeps the full story (`Display`, with the CLI's hints added there).

use app::digest::DigestError;
use app::error::AppError;
use app::reference::ReferenceError;

use crate::auth::AuthError;
use crate::credentials::CredentialsError;
use crate::inspect::InspectError;
use crate::registry::RegistryError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Inspect(#[from] InspectError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("format {0:?}: use cyclonedx or spdx")]
    SbomFormat(String),
    #[error(
        "{0} has not been scanned yet: open its page, or GET /api/v1/scans/{0}, and try again when it is done"
    )]
    NotScanned(String),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    #[error(transparent)]
    BadgeToken(#[from] crate::badge::BadgeTokenError),
    #[error("log in first (or send an API token as Authorization: Bearer)")]
    LoginRequired,
    /// Started without the instance key (a test's or a command's services).
    #[error("this server keeps no registry credentials (it was started without its secret key)")]
    NoCredentialStore,
    #[error(transparent)]
    Notify(#[from] crate::notify::NotifyError),
}

impl From<ReferenceError> for ServiceError {
    fn from(e: ReferenceError) -> Self {
        Self::Inspect(InspectError::Reference(e))
    }
}

/// A digest the caller wrote: refused as a reference's would be.
impl From<DigestError> for ServiceError {
    fn from(e: DigestError) -> Self {
        ReferenceError::from(e).into()
    }
}

/// How a failure reaches a web client: the HTTP edge turns the kind into a status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Invalid,
    /// Missing, or private and not for this viewer: the two look the same.
    NotFound,
    /// The outbound policy refused the registry's address.
    NotAllowed,
    /// The registry holds something Shipshape does not read (schema 1, artifacts).
    Unsupported,
    RateLimited { retry_after: Option<u64> },
    Timeout,
    /// The registry failed, refused or answered nonsense.
    Upstream,
    /// Ours: details are in the log only.
    Internal,
    /// The caller is not signed in, or gave the wrong username or password.
    Unauthenticated,
    /// The name is taken.
    Conflict,
    /// Too many attempts from this client or for this account (log-in).
    TooManyAttempts { retry_after: u64 },
}

/// A failure as a web client sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Public {
    pub kind: Kind,
    /// Stable, for API clients to branch on.
    pub code: &'static str,
    pub message: String,
}

const INTERNAL: &str = "the server could not complete this request; its log has the details";

impl ServiceError {
    /// The web's view of this failure. Store failures are logged here, once, and told as internal.
    pub fn public(&self) -> Public {
        let (kind, code) = match self {
            Self::Inspect(e) => inspect_class(e),
            Self::SbomFormat(_) => (Kind::Invalid, "invalid_format"),
            Self::NotScanned(_) => (Kind::NotFound, "not_scanned"),
            Self::Store(e) => {
                tracing::error!(error = %e, "store failure");
                (Kind::Internal, "internal")
            }
            Self::Auth(e) => auth_class(e),
            Self::Credentials(e) => credentials_class(e),
            Self::BadgeToken(crate::badge::BadgeTokenError::NotFound(_)) => (Kind::NotFound, "not_found_or_private"),
            Self::BadgeToken(e) => {
                tracing::error!(error = %e, "badge token failure");
                (Kind::Internal, "internal")
            }
            Self::LoginRequired => (Kind::Unauthenticated, "login_required"),
            Self::NoCredentialStore => (Kind::Internal, "internal"),
            Self::Notify(e) => notify_class(e),
        };
        let message = match (kind, self) {
            (Kind::Internal, _) => INTERNAL.to_string(),
            // "Needs credentials" and "no such repository" are one answer on the web, in one
            // wording (as Docker Hub gives it): either tells whether a private repository exists.
            (
                _,
                Self::Inspect(InspectError::Registry(
                    RegistryError::CredentialsRequired { registry, repository }
                    | RegistryError::RepositoryNotFound { registry, repository },
                )),
            ) => InspectError::Hidden { reference: format!("{registry}/{repository}") }.to_string(),
            // The registry's own error text and resolved addresses go to the operator's log only.
            (_, Self::Inspect(InspectError::Registry(e))) => {
                tracing::info!(error = %e, "registry failure (the web client was told less)");
                e.public_message()
            }
            _ => self.to_string(),
        };
        Public { kind, code, message }
    }
}

fn auth_class(err: &AuthError) -> (Kind, &'static str) {
    match err {
        AuthError::WrongCredentials => (Kind::Unauthenticated, "wrong_credentials"),
        AuthError::WrongPassword => (Kind::Invalid, "wrong_password"),
        AuthError::UsernameTaken(_) => (Kind::Conflict, "username_taken"),
        AuthError::TokenNameTaken(_) => (Kind::Conflict, "token_name_taken"),
        AuthError::SignupClosed => (Kind::NotAllowed, "signup_closed"),
        AuthError::WeakPassword(_) => (Kind::Invalid, "weak_password"),
        AuthError::BadUsername(_) => (Kind::Invalid, "invalid_username"),
        AuthError::BadTokenName(_) => (Kind::Invalid, "invalid_token_name"),
        AuthError::RateLimited { retry_after } => {
            (Kind::TooManyAttempts { retry_after: crate::auth::retry_seconds(*retry_after) }, "too_many_attempts")
        }
        AuthError::NotFound => (Kind::NotFound, "not_found"),
        AuthError::Store(e) => {
            tracing::error!(error = %e, "store failure (accounts)");
            (Kind::Internal, "internal")
        }
        AuthError::Internal(e) => {
            tracing::error!(error = %e, "accounts failure");
            (Kind::Internal, "internal")
        }
    }
}

fn notify_class(err: &crate::notify::NotifyError) -> (Kind, &'static str) {
    use crate::notify::NotifyError;
    match err {
        NotifyError::Invalid(_) => (Kind::Invalid, "invalid_notification_setting"),
        NotifyError::Refused(_) => (Kind::NotAllowed, "destination_not_allowed"),
        NotifyError::Conflict(_) => (Kind::Conflict, "conflict"),
        NotifyError::NotFound => (Kind::NotFound, "not_found"),
        NotifyError::Store(e) => {
            tracing::error!(error = %e, "store failure (notifications)");
            (Kind::Internal, "internal")
        }
    }
}

fn credentials_class(err: &CredentialsError) -> (Kind, &'static str) {
    match err {
        CredentialsError::RefusedByPolicy(_) => (Kind::NotAllowed, "destination_not_allowed"),
        CredentialsError::NotSaved { .. } => (Kind::NotFound, "not_saved"),
        CredentialsError::Unreadable { .. } => (Kind::Invalid, "unreadable_credentials"),
        CredentialsError::Store(e) => {
            tracing::error!(error = %e, "store failure (credentials)");
            (Kind::Internal, "internal")
        }
        _ => (Kind::Invalid, "invalid_credentials"),
    }
}

fn inspect_class(err: &InspectError) -> (Kind, &'static str) {
    use RegistryError as R;
    match err {
        InspectError::Reference(_) => (Kind::Invalid, "invalid_reference"),
        InspectError::BadPlatform(_) => (Kind::Invalid, "invalid_platform"),
        InspectError::Hidden { .. }
        | InspectError::Registry(R::CredentialsRequired { .. } | R::RepositoryNotFound { .. }) => {
            (Kind::NotFound, "not_found_or_private")
        }
        InspectError::Registry(R::ManifestNotFound { .. }) => (Kind::NotFound, "manifest_not_found"),
        InspectError::NoPlatform { .. } => (Kind::NotFound, "platform_not_found"),
        InspectError::NotStored { .. } => (Kind::NotFound, "not_inspected"),
        InspectError::Registry(R::Net(_)) => (Kind::NotAllowed, "destination_not_allowed"),
        InspectError::Registry(R::RateLimited { retry_after, .. }) => {
            (Kind::RateLimited { retry_after: *retry_after }, "registry_rate_limited")
        }
        InspectError::Registry(R::Timeout { .. }) => (Kind::Timeout, "registry_timeout"),
        InspectError::Registry(R::Unreachable { .. }) => (Kind::Upstream, "registry_unreachable"),
        InspectError::Registry(R::WrongCredentials { .. } | R::AccessDenied { .. }) => {
            (Kind::Upstream, "registry_credentials_rejected")
        }
        InspectError::Registry(R::Schema1 { .. } | R::UnsupportedMediaType { .. }) => {
            (Kind::Unsupported, "unsupported_manifest")
        }
        InspectError::Registry(_) | InspectError::Malformed { .. } => (Kind::Upstream, "registry_error"),
        InspectError::Store(e) => {
            tracing::error!(error = %e, "store failure during inspection");
            (Kind::Internal, "internal")
        }
    }
}

/// Server functions tell the browser what the API tells its clients.
impl From<ServiceError> for AppError {
    fn from(err: ServiceError) -> Self {
        let Public { kind, message, .. } = err.public();
        match kind {
            Kind::Invalid => AppError::InvalidInput(message),
            Kind::NotFound => AppError::NotFound(message),
            Kind::NotAllowed => AppError::NotAllowed(message),
            Kind::Unsupported | Kind::RateLimited { .. } | Kind::Timeout | Kind::Upstream => {
                AppError::Registry(message)
            }
            Kind::Internal => AppError::Internal,
            Kind::Unauthenticated => AppError::LoginRequired,
            Kind::Conflict | Kind::TooManyAttempts { .. } => AppError::InvalidInput(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needing_credentials_reads_as_missing_on_the_web() {
        let (registry, repository) = ("r.example".to_string(), "team/api".to_string());
        let needs = ServiceError::from(InspectError::Registry(RegistryError::CredentialsRequired {
            registry: registry.clone(),
            repository: repository.clone(),
        }));
        let missing =
            ServiceError::from(InspectError::Registry(RegistryError::RepositoryNotFound { registry, repository }));
        let hidden = ServiceError::from(InspectError::Hidden { reference: "r.example/team/api".into() });
        assert_eq!(needs.public(), hidden.public());
        assert_eq!(missing.public(), hidden.public(), "a missing repository reads as a private one");
        assert!(!needs.public().message.contains("--creds"));
    }

    #[test]
    fn store_failures_tell_nothing() {
        let public = ServiceError::from(StoreError::Database(sqlx::Error::Protocol("row 7: bad json".into()))).public();
        assert_eq!((public.kind, public.code, public.message.as_str()), (Kind::Internal, "internal", INTERNAL));
    }
}

//! `shipshape badge-token REPO [--rotate]`: the token that shows a private repository's badges,
//! until an accounts UI hands them out.

use app::reference::ImageReference;

use crate::badge::new_token;
use crate::store::{SharedStore, Visibility};

#[derive(Debug, thiserror::Error)]
pub enum BadgeTokenError {
    #[error(transparent)]
    Reference(#[from] app::reference::ReferenceError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("{0} is not stored: inspect one of its tags first (shipshape inspect {0}:TAG --creds USER:PASS)")]
    Unknown(String),
    #[error("no random source for a new token: {0}")]
    Random(getrandom::Error),
}

/// What the command prints: the token on stdout, a hint on stderr.
pub struct Issued {
    pub token: String,
    pub created: bool,
    pub private: bool,
    pub repository: String,
}

/// The repository's badge token, made when it has none (or on `rotate`, which retires the old one).
pub async fn run(store: &SharedStore, repository: &str, rotate: bool) -> Result<Issued, BadgeTokenError> {
    let reference = ImageReference::parse_repository(repository)?;
    let path = reference.repository_path();
    let repo = store
        .repository(&reference.registry, &reference.repository)
        .await?
        .ok_or(BadgeTokenError::Unknown(path.clone()))?;
    let (token, created) = match store.badge_token(repo.id).await? {
        Some(token) if !rotate => (token, false),
        _ => {
            let token = new_token().map_err(BadgeTokenError::Random)?;
            store.set_badge_token(repo.id, &token).await?;
            (token, true)
        }
    };
    Ok(Issued { token, created, private: repo.visibility == Visibility::Private, repository: path })
}

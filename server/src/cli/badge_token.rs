//! `shipshape badge-token REPO [--rotate]`: the token that shows a private repository's badges,
//! until an accounts UI hands them out.

use app::reference::ImageReference;

use super::CliError;
use crate::badge::new_token;
use crate::store::{SharedStore, Visibility};

/// What the command prints: the token on stdout, a hint on stderr.
pub struct Issued {
    pub token: String,
    pub created: bool,
    pub private: bool,
    pub repository: String,
}

/// The repository's badge token, made when it has none (or on `rotate`, which retires the old one).
pub async fn run(store: &SharedStore, repository: &str, rotate: bool) -> Result<Issued, CliError> {
    let reference = ImageReference::parse_repository(repository)?;
    let path = reference.repository_path();
    let repo = store
        .repository(&reference.registry, &reference.repository)
        .await?
        .ok_or(CliError::UnknownRepository(path.clone()))?;
    let (token, created) = match store.badge_token(repo.id).await? {
        Some(token) if !rotate => (token, false),
        _ => {
            let token = new_token().map_err(CliError::Random)?;
            store.set_badge_token(repo.id, &token).await?;
            (token, true)
        }
    };
    Ok(Issued { token, created, private: repo.visibility == Visibility::Private, repository: path })
}

//! `shipshape badge-token REPO [--rotate]`: the token that shows a private repository's badges,
//! until an accounts UI hands them out.

use app::reference::ImageReference;

use super::CliError;
use crate::badge::new_token;
use crate::config::Config;
use crate::store::{SharedStore, Visibility};

/// What the command prints: the token on stdout, a hint on stderr.
pub struct Issued {
    pub token: String,
    pub created: bool,
    pub private: bool,
    pub repository: String,
}

/// The command: the token alone on stdout (for scripts), the badge URL and notes on stderr.
pub async fn print(config: &Config, repository: &str, rotate: bool) -> Result<String, CliError> {
    let store = crate::store::open_for_command(&config.database_url).await?;
    let issued = run(&store, repository, rotate).await?;
    let what = if issued.created { "new token" } else { "existing token (--rotate replaces it)" };
    eprintln!("{what}; badge URL: /badges/image/{}.svg?token={}", issued.repository, issued.token);
    if !issued.private {
        eprintln!("note: {} is public: its badges show without a token", issued.repository);
    }
    Ok(format!("{}\n", issued.token))
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

//! `shipshape secret-key rotate`: re-seals the stored registry credentials with a new key. The
//! current key is the configured one (checked as at start-up); the new one comes from
//! `--new-key-file` or is made here. With a key file (SQLite without SHIPSHAPE_SECRET_KEY) the file
//! is replaced; with the variable, the operator sets it to the new key before the next start.

use std::path::Path;

use crate::config::{Config, DatabaseUrl};
use crate::secrets::{self, SecretKey, SecretsError};

pub async fn rotate(config: &Config, new_key_file: Option<&Path>) -> Result<String, SecretsError> {
    let store = crate::store::open_for_command(&config.database_url).await?;
    let current = secrets::load(config, &store).await?;
    let new = match new_key_file {
        Some(path) => secrets::read_new_key(path)?,
        None => SecretKey::generate(),
    };
    let key_file = match (&config.secret_key, &config.database_url) {
        (None, DatabaseUrl::Sqlite(database)) => Some(secrets::key_file_path(database)),
        _ => None,
    };
    let staged = key_file.as_deref().map(|file| secrets::stage_key_file(file, &new)).transpose()?;
    let resealed = match secrets::reseal(&store, &current, &new).await {
        Ok(count) => count,
        Err(e) => {
            if let Some(staged) = &staged {
                let _ = std::fs::remove_file(staged);
            }
            return Err(e);
        }
    };
    let done = format!("re-sealed {resealed} registry credential(s) with the new key\n");
    Ok(match (key_file, staged) {
        (Some(file), Some(staged)) => {
            std::fs::rename(&staged, &file).map_err(|source| SecretsError::KeyFileIo { path: file.clone(), source })?;
            format!("{done}{} now holds the new key\n", file.display())
        }
        _ => match new_key_file {
            Some(path) => format!("{done}set SHIPSHAPE_SECRET_KEY to the content of {} before starting Shipshape\n", path.display()),
            None => format!(
                "{done}set SHIPSHAPE_SECRET_KEY to this new key (on every replica) before starting Shipshape:\n{}\n",
                new.to_base64()
            ),
        },
    })
}

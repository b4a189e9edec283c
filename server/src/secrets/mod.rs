//! The instance key that seals what Shipshape must keep but never show (users' registry
//! passwords): SHIPSHAPE_SECRET_KEY, else on SQLite a key file beside the database made on first
//! start. PostgreSQL deployments (several replicas, no shared disk) must set the variable.
//!
//! A known text sealed with the key is kept in the database (`secret_key_check`), so a wrong key
//! stops start-up with an error naming where the key came from, instead of failing each stored
//! credential later; nothing is ever re-sealed behind the operator's back.

mod key;
mod key_file;
mod rotate;

use std::fmt;
use std::path::PathBuf;

pub use key::{KEY_LEN, MAKE_KEY, OpenError, SecretKey};
pub use key_file::{KEY_FILE_NAME, key_file_path};
pub use rotate::{read_new_key, registry_credential_context, reseal, stage_key_file};

use crate::config::Config;
use crate::store::{DatabaseUrl, Store, StoreError};

/// The associated data and text of the check row.
const CHECK_AAD: &[u8] = b"secret-key-check";
const CHECK_TEXT: &[u8] = b"shipshape secret key check v1";

/// Where the key in use came from, as messages name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    Variable,
    File(PathBuf),
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::Variable => f.write_str("SHIPSHAPE_SECRET_KEY"),
            KeySource::File(path) => write!(f, "the key file {} (SHIPSHAPE_SECRET_KEY is not set)", path.display()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error(
        "SHIPSHAPE_SECRET_KEY is not set: with PostgreSQL, Shipshape needs it to seal users' registry \
         credentials (every replica the same key). Make one with `{MAKE_KEY}` and set SHIPSHAPE_SECRET_KEY to it"
    )]
    PostgresNeedsKey,
    #[error(
        "the stored registry credentials were sealed with a different key than {from}: set \
         SHIPSHAPE_SECRET_KEY (or restore the key file) to the key they were sealed with. Shipshape does not \
         re-seal them with a new key by itself; to start over without them, see \"Rotating the secret key\" \
         in the README"
    )]
    WrongKey { from: KeySource },
    #[error(
        "the key file {} is missing, but the database was set up with a key (table secret_key_check) and its \
         registry credentials are sealed with it: restore the file (mode 0600), or set SHIPSHAPE_SECRET_KEY to \
         that key; if it is lost, see \"Rotating the secret key\" in the README", .path.display()
    )]
    KeyFileMissing { path: PathBuf },
    #[error(
        "the key file {} may be read by group or others (mode {mode:04o}), so its key must be presumed copied; \
         run `chmod 600 {}` if nobody else could read it, else rotate the key (see the README)",
        .path.display(), .path.display()
    )]
    KeyFileExposed { path: PathBuf, mode: u32 },
    #[error("the key file {}: its content {reason}", .path.display())]
    KeyFileInvalid { path: PathBuf, reason: String },
    #[error("the key file {}: {source}", .path.display())]
    KeyFileIo { path: PathBuf, source: std::io::Error },
    #[error(
        "the stored credentials of user {user_id} for {registry} do not open with the current key (altered, or \
         copied from another row); nothing was re-sealed. Delete them (DELETE FROM registry_credentials WHERE \
         user_id = {user_id} AND registry = '{registry}') and rotate again"
    )]
    Unreadable { user_id: i64, registry: String },
    #[error(
        "the secret of notification channel {channel} does not open with the current key (altered, or copied \
         from another row); nothing was re-sealed. Delete the channel (DELETE FROM channels WHERE id = {channel}) \
         and rotate again"
    )]
    UnreadableChannel { channel: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The key for this deployment, checked against the database: what `serve`, `worker` and the
/// commands that touch stored credentials call once the store is open.
pub async fn load(config: &Config, store: &Store) -> Result<SecretKey, SecretsError> {
    let stored = store.secret_key_check().await?;
    let (key, source) = match (&config.secret_key, &config.database_url) {
        (Some(key), _) => (key.clone(), KeySource::Variable),
        (None, DatabaseUrl::Postgres(_)) => return Err(SecretsError::PostgresNeedsKey),
        (None, DatabaseUrl::Sqlite(database)) => {
            let path = key_file_path(database);
            let key = match stored {
                // A lost key file is not replaced by a new one: that would only hide the loss.
                Some(_) => key_file::read(&path)?.ok_or_else(|| SecretsError::KeyFileMissing { path: path.clone() })?,
                None => key_file::read_or_create(&path)?,
            };
            (key, KeySource::File(path))
        }
    };
    check(&key, &source, store, stored).await?;
    Ok(key)
}

/// Verifies `key` against the check row, writing the row if there is none yet.
async fn check(key: &SecretKey, source: &KeySource, store: &Store, stored: Option<Vec<u8>>) -> Result<(), SecretsError> {
    let sealed = match stored {
        Some(sealed) => sealed,
        // Replicas starting together: the first row written is the one every replica checks.
        None => store.put_secret_key_check(&check_row(key)).await?,
    };
    if opens_check_row(key, &sealed) { Ok(()) } else { Err(SecretsError::WrongKey { from: source.clone() }) }
}

/// The check row's value sealed with `key` (also what a rotation writes).
pub fn check_row(key: &SecretKey) -> Vec<u8> {
    key.seal(CHECK_AAD, CHECK_TEXT)
}

pub fn opens_check_row(key: &SecretKey, sealed: &[u8]) -> bool {
    key.open(CHECK_AAD, sealed).is_ok_and(|text| text == CHECK_TEXT)
}

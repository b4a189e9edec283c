//! Key rotation: every stored registry credential, channel secret and the check row re-sealed with a new key in one
//! transaction, so the database holds either the old key's values or the new key's, never a mix.
//! Run with every `serve` and `worker` stopped: they hold the old key and would seal with it.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::{SecretKey, SecretsError, check_row};
use crate::store::{SealedOwner, Store};

/// What a sealed registry password is bound to: its owner and registry.
pub fn registry_credential_context(user_id: i64, registry: &str) -> Vec<u8> {
    format!("registry-credential\0{user_id}\0{registry}").into_bytes()
}

/// Re-seals what `current` sealed with `new`; the number of credentials re-sealed. A value that
/// does not open with `current` fails the whole rotation, which then changes nothing.
pub async fn reseal(store: &Store, current: &SecretKey, new: &SecretKey) -> Result<usize, SecretsError> {
    store
        .reseal_credentials(&check_row(new), |row| {
            let (context, unreadable) = match &row.owner {
                SealedOwner::Registry { user_id, registry } => (
                    registry_credential_context(*user_id, registry),
                    SecretsError::Unreadable { user_id: *user_id, registry: registry.clone() },
                ),
                SealedOwner::Channel { id, user_id } => (
                    crate::notify::channel_sealing_context(*id, *user_id),
                    SecretsError::UnreadableChannel { channel: *id },
                ),
            };
            let plain = current.open(&context, &row.sealed).map(Zeroizing::new).map_err(|_| unreadable)?;
            Ok(new.seal(&context, &plain))
        })
        .await
}

/// The key in `path` for a rotation: a file only its owner may read, holding base64 of 32 bytes.
pub fn read_new_key(path: &Path) -> Result<SecretKey, SecretsError> {
    super::key_file::read(path)?.ok_or_else(|| SecretsError::KeyFileIo {
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
    })
}

/// Writes `key` beside `key_file` as `secret.key.new` (mode 0600), to be renamed over it once the
/// database holds the new key's values: a crash in between leaves both keys on disk.
pub fn stage_key_file(key_file: &Path, key: &SecretKey) -> Result<PathBuf, SecretsError> {
    let staged = key_file.with_file_name(format!("{}.new", super::KEY_FILE_NAME));
    let _ = std::fs::remove_file(&staged);
    super::key_file::create(&staged, key)?;
    Ok(staged)
}

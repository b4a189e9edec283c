//! The key file of a SQLite deployment without SHIPSHAPE_SECRET_KEY: `secret.key` beside the
//! database, base64 of the key, mode 0600. It is written under a temporary name created 0600 (never
//! readable by others, not even while being written) and published with a hard link, which fails
//! rather than replaces when another process published one first: two first starts agree on one key.

use std::fs::OpenOptions;
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::{SecretKey, SecretsError};

pub const KEY_FILE_NAME: &str = "secret.key";

/// Where the key file of the SQLite database at `database` lives.
pub fn key_file_path(database: &Path) -> PathBuf {
    match database.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => dir.join(KEY_FILE_NAME),
        None => PathBuf::from(KEY_FILE_NAME),
    }
}

/// The key in `path`, or `None` when there is no such file. A file that group or others may read
/// is refused: the key it holds must be presumed copied.
pub fn read(path: &Path) -> Result<Option<SecretKey>, SecretsError> {
    let io = |source: std::io::Error| SecretsError::KeyFileIo { path: path.to_path_buf(), source };
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    let mode = metadata.permissions().mode() & 0o777;
    if !metadata.is_file() || mode & 0o077 != 0 {
        return Err(SecretsError::KeyFileExposed { path: path.to_path_buf(), mode });
    }
    let text = zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(io)?);
    SecretKey::from_base64(&text).map(Some).map_err(|reason| SecretsError::KeyFileInvalid { path: path.to_path_buf(), reason })
}

/// The key in `path`, made and written there first if there is none.
pub fn read_or_create(path: &Path) -> Result<SecretKey, SecretsError> {
    if let Some(key) = read(path)? {
        return Ok(key);
    }
    create(path, &SecretKey::generate())?;
    // Whichever process published first, its key is the one.
    read(path)?.ok_or_else(|| SecretsError::KeyFileIo {
        path: path.to_path_buf(),
        source: std::io::Error::new(ErrorKind::NotFound, "vanished right after it was written"),
    })
}

/// Writes `key` to `path` unless a file is there already (then that one stays).
pub(super) fn create(path: &Path, key: &SecretKey) -> Result<(), SecretsError> {
    let io = |source: std::io::Error| SecretsError::KeyFileIo { path: path.to_path_buf(), source };
    let temporary = path.with_file_name(format!(".{KEY_FILE_NAME}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&temporary);
    let mut file =
        OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temporary).map_err(io)?;
    let written = file
        .write_all(zeroize::Zeroizing::new(format!("{}\n", key.to_base64())).as_bytes())
        .and_then(|()| file.sync_all());
    drop(file);
    let published = written.and_then(|()| match std::fs::hard_link(&temporary, path) {
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
        other => other,
    });
    let _ = std::fs::remove_file(&temporary);
    published.map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_file_sits_beside_the_database() {
        assert_eq!(key_file_path(Path::new("./data/shipshape.db")), Path::new("./data/secret.key"));
        assert_eq!(key_file_path(Path::new("shipshape.db")), Path::new("secret.key"));
    }

    #[test]
    fn created_once_with_mode_0600_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE_NAME);
        let key = read_or_create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let again = read_or_create(&path).unwrap();
        assert_eq!(again.open(b"", &key.seal(b"", b"same")).unwrap(), b"same");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, [KEY_FILE_NAME], "no temporary file left behind");
    }

    #[test]
    fn a_readable_or_malformed_key_file_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE_NAME);
        read_or_create(&path).unwrap();
        for loose in [0o640, 0o604, 0o644] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(loose)).unwrap();
            let err = read_or_create(&path).unwrap_err().to_string();
            assert!(err.contains(&path.display().to_string()) && err.contains("chmod 600"), "{err}");
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(&path, "short\n").unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains(&path.display().to_string()) && err.contains("base64"), "{err}");
    }
}

//! Where the built site (wasm, JS glue, CSS, public assets) lives, so the binary runs from any directory.

use std::path::{Path, PathBuf};

/// The file every usable site has: the hydration bundle.
const MARKER: &str = "pkg/shipshape.wasm";

#[derive(Debug, thiserror::Error)]
#[error(
    "site assets not found (looked for {MARKER} in {tried}): build them with `make build`, \
     or point LEPTOS_SITE_ROOT at the directory cargo-leptos wrote (target/site)"
)]
pub struct SiteNotFound {
    tried: String,
}

/// `LEPTOS_SITE_ROOT` when set; else `site/` beside the binary or one level up (cargo-leptos puts
/// `target/release/shipshape` next to `target/site`); else `./target/site`.
pub fn locate(env_override: Option<PathBuf>, exe: Option<&Path>) -> Result<PathBuf, SiteNotFound> {
    let mut candidates = Vec::new();
    if let Some(root) = env_override {
        candidates.push(root);
    } else {
        if let Some(dir) = exe.and_then(Path::parent) {
            candidates.push(dir.join("site"));
            if let Some(up) = dir.parent() {
                candidates.push(up.join("site"));
            }
        }
        candidates.push(PathBuf::from("target/site"));
    }
    candidates.iter().find(|dir| dir.join(MARKER).is_file()).cloned().ok_or_else(|| SiteNotFound {
        tried: candidates.iter().map(|c| c.display().to_string()).collect::<Vec<_>>().join(", "),
    })
}

/// Resolves the site root for this process.
pub fn locate_for_current_process() -> Result<PathBuf, SiteNotFound> {
    let exe = std::env::current_exe().ok().and_then(|p| p.canonicalize().ok());
    locate(std::env::var_os("LEPTOS_SITE_ROOT").map(PathBuf::from), exe.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site_at(dir: &Path) {
        std::fs::create_dir_all(dir.join("pkg")).unwrap();
        std::fs::write(dir.join(MARKER), b"\0asm").unwrap();
    }

    #[test]
    fn finds_the_site_next_to_the_release_directory() {
        let tmp = tempfile::tempdir().unwrap();
        site_at(&tmp.path().join("target/site"));
        let exe = tmp.path().join("target/release/shipshape");
        assert_eq!(locate(None, Some(&exe)).unwrap(), tmp.path().join("target/site"));
    }

    #[test]
    fn override_wins_and_a_missing_site_says_how_to_build_it() {
        let tmp = tempfile::tempdir().unwrap();
        site_at(&tmp.path().join("elsewhere"));
        assert_eq!(locate(Some(tmp.path().join("elsewhere")), None).unwrap(), tmp.path().join("elsewhere"));
        let err = locate(Some(tmp.path().join("nothing")), None).unwrap_err().to_string();
        assert!(err.contains("make build") && err.contains("LEPTOS_SITE_ROOT"), "{err}");
    }
}

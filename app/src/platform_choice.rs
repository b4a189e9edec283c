//! Which platform image of a multi-platform reference is meant when nobody says: the one rule the
//! tag page, badges, scans and the REST API share.

use crate::dto::PlatformImage;

/// What `docker pull` on the machines most readers use picks.
pub const DEFAULT_PLATFORM: &str = "linux/amd64";

/// The position of `wanted` (`os/arch[/variant]`) when the image has it, else of linux/amd64, else
/// the first; `None` only for an image without platforms.
pub fn chosen(platforms: &[PlatformImage], wanted: Option<&str>) -> Option<usize> {
    position(&names(platforms), wanted)
}

/// The position of the platform written `wanted`, if the image has it (no fallback).
pub fn exact(platforms: &[PlatformImage], wanted: &str) -> Option<usize> {
    names(platforms).iter().position(|name| name == wanted)
}

fn names(platforms: &[PlatformImage]) -> Vec<String> {
    platforms.iter().map(|p| p.platform.to_string()).collect()
}

/// [`chosen`] over platforms written `os/arch[/variant]` (an index's entries, before they are read).
pub fn position(names: &[String], wanted: Option<&str>) -> Option<usize> {
    let position = |wanted: &str| names.iter().position(|name| name == wanted);
    wanted.and_then(position).or_else(|| position(DEFAULT_PLATFORM)).or_else(|| (!names.is_empty()).then_some(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asked_for_then_amd64_then_first() {
        let names: Vec<String> = ["linux/arm64/v8", "linux/amd64", "linux/s390x"].map(String::from).into();
        assert_eq!(position(&names, Some("linux/s390x")), Some(2));
        assert_eq!(position(&names, Some("windows/amd64")), Some(1));
        assert_eq!(position(&names, None), Some(1));
        assert_eq!(position(&names[..1], None), Some(0));
        assert_eq!(position(&[], None), None);
    }
}

//! Python distributions: `*.dist-info/METADATA` (wheels, pip) and `*.egg-info/PKG-INFO` or a
//! bare `*.egg-info` file (setuptools), read as the email-style headers PEP 566 describes.

use super::{Ecosystem, Package};

pub fn wanted(path: &str) -> bool {
    path.ends_with(".dist-info/METADATA") || path.ends_with(".egg-info/PKG-INFO") || path.ends_with(".egg-info")
}

/// The headers only: the description after them can be long.
pub fn reduce(data: Vec<u8>) -> Vec<u8> {
    let end = data.windows(2).position(|w| w == b"\n\n").map_or(data.len(), |at| at + 1);
    data[..end].to_vec()
}

pub fn parse(data: &[u8]) -> Option<Package> {
    let text = String::from_utf8_lossy(data);
    let header = |key: &str| {
        text.lines()
            .take_while(|l| !l.is_empty())
            .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.trim()))
            .filter(|v| !v.is_empty() && *v != "UNKNOWN")
            .map(str::to_string)
    };
    let name = header("Name")?;
    let version = header("Version")?;
    let license = header("License-Expression").or_else(|| header("License"));
    // Named in the normalised form, as PyPI's index, OSV and syft name it (`Jinja2` is `jinja2`).
    Some(Package::language(Ecosystem::PyPI, normalise_name(&name), version, license))
}

/// PEP 503: lowercase, runs of `-`, `_` and `.` as one `-` (how advisories and indexes name it).
pub fn normalise_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_headers() {
        let metadata = b"Metadata-Version: 2.1\nName: Jinja2\nVersion: 3.1.2\nLicense: BSD-3-Clause\n\nName: not this\n";
        let package = parse(&reduce(metadata.to_vec())).unwrap();
        assert_eq!((package.name.as_str(), package.version.as_str()), ("jinja2", "3.1.2"));
        assert_eq!(package.license.as_deref(), Some("BSD-3-Clause"));
        assert_eq!(normalise_name("Zope.Interface__x"), "zope-interface-x");
        assert!(parse(b"Name: x\n").is_none());
        assert!(wanted("usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA"));
        assert!(wanted("usr/lib/python3/dist-packages/chardet.egg-info"));
    }
}

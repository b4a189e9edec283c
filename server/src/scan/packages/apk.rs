//! apk's database, `lib/apk/db/installed`: one stanza per package, a letter and a colon per line
//! (`P:` name, `V:` version, `o:` origin, the source package; `A:` architecture, `L:` licence).

use super::{Ecosystem, Package};

pub fn parse_installed(text: &str) -> Vec<Package> {
    text.split("\n\n")
        .filter_map(|stanza| {
            let field =
                |key: &str| stanza.lines().find_map(|l| l.strip_prefix(key)).map(str::trim).filter(|v| !v.is_empty());
            let name = field("P:")?.to_string();
            let version = field("V:")?.to_string();
            let origin = field("o:").unwrap_or(&name).to_string();
            let architecture = field("A:").map(str::to_string);
            let license = field("L:").map(str::to_string);
            Some(Package {
                ecosystem: Ecosystem::Alpine,
                source_name: origin,
                source_version: version.clone(),
                name,
                version,
                architecture,
                license,
                layer: None,
                path: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stanzas_with_name_and_version_become_packages() {
        let db = "C:Q1abc=\nP:musl\nV:1.2.2-r7\nA:x86_64\no:musl\nL:MIT\n\nP:broken\n\nP:libcrypto1.1\nV:1.1.1l-r7\no:openssl\n";
        let packages = parse_installed(db);
        let summary: Vec<_> =
            packages.iter().map(|p| (p.name.as_str(), p.version.as_str(), p.source_name.as_str())).collect();
        assert_eq!(summary, vec![("musl", "1.2.2-r7", "musl"), ("libcrypto1.1", "1.1.1l-r7", "openssl")]);
        assert_eq!(packages[0].license.as_deref(), Some("MIT"));
    }
}

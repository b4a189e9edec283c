//! dpkg's database: `var/lib/dpkg/status` (every package dpkg knows, with its state) and the
//! distroless `var/lib/dpkg/status.d/*` (one file per package, all installed).

use super::{Ecosystem, Package};

/// The installed packages of one status file; deinstalled or half-installed entries are skipped.
pub fn parse_status(text: &str) -> Vec<Package> {
    stanzas(text).filter_map(|fields| package(&fields, true)).collect()
}

/// A `status.d/` file: the same stanzas, without a `Status:` field.
pub fn parse_status_d(text: &str) -> Vec<Package> {
    stanzas(text).filter_map(|fields| package(&fields, false)).collect()
}

fn package(fields: &[(&str, String)], needs_status: bool) -> Option<Package> {
    let get = |name: &str| fields.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim());
    if needs_status || get("Status").is_some() {
        // "install ok installed": the third word is the state.
        let state = get("Status")?.split_whitespace().nth(2)?;
        if state != "installed" {
            return None;
        }
    }
    let name = get("Package").filter(|n| !n.is_empty())?.to_string();
    let version = get("Version").filter(|v| !v.is_empty())?.to_string();
    // `Source: name` or `Source: name (version)` when the source version differs (binNMUs).
    let (source_name, source_version) = match get("Source") {
        Some(source) if !source.is_empty() => match source.split_once('(') {
            Some((n, v)) => (n.trim().to_string(), v.trim_end_matches(')').trim().to_string()),
            None => (source.to_string(), version.clone()),
        },
        _ => (name.clone(), version.clone()),
    };
    Some(Package {
        ecosystem: Ecosystem::Debian,
        name,
        version,
        source_name,
        source_version,
        architecture: get("Architecture").map(str::to_string),
        license: None,
        layer: None,
        path: None,
    })
}

/// RFC 822-style stanzas: `Field: value`, continuation lines start with a space or tab.
fn stanzas(text: &str) -> impl Iterator<Item = Vec<(&str, String)>> {
    text.split("\n\n").filter(|s| !s.trim().is_empty()).map(|stanza| {
        let mut fields: Vec<(&str, String)> = Vec::new();
        for line in stanza.lines() {
            if line.starts_with([' ', '\t']) {
                if let Some((_, value)) = fields.last_mut() {
                    value.push('\n');
                    value.push_str(line.trim());
                }
            } else if let Some((key, value)) = line.split_once(':') {
                fields.push((key.trim(), value.trim().to_string()));
            }
        }
        fields
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installed_packages_with_their_sources() {
        let status = "Package: libc6\nStatus: install ok installed\nVersion: 2.36-9+deb12u4\nSource: glibc\nArchitecture: amd64\nDescription: x\n more\n\n\
                      Package: gone\nStatus: deinstall ok config-files\nVersion: 1.0\n\n\
                      Package: libfoo1\nStatus: install ok installed\nVersion: 1.2-3+b1\nSource: foo (1.2-3)\n";
        let packages = parse_status(status);
        let summary: Vec<_> = packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.source_name.as_str(), p.source_version.as_str()))
            .collect();
        assert_eq!(
            summary,
            vec![("libc6", "2.36-9+deb12u4", "glibc", "2.36-9+deb12u4"), ("libfoo1", "1.2-3+b1", "foo", "1.2-3")]
        );
    }
}

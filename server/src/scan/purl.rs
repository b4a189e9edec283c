//! Package URLs (purl) as the spec writes each ecosystem's type.

use super::os::OsRelease;
use super::packages::Package;

/// The package URL, as the purl spec writes each type: `pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12`,
/// `pkg:npm/%40types/node@20.1.0`, `pkg:golang/golang.org/x/net@v0.1.0`, `pkg:pypi/jinja2@3.1.2`.
pub fn purl(package: &Package, os: Option<&OsRelease>) -> String {
    use super::packages::Ecosystem;
    let mut qualifiers = Vec::new();
    let mut version = package.version.clone();
    let (namespace, name) = match package.ecosystem {
        Ecosystem::Debian | Ecosystem::Alpine | Ecosystem::Rpm => {
            if package.ecosystem == Ecosystem::Rpm
                && let Some((epoch, rest)) = package.version.split_once(':')
            {
                qualifiers.push(format!("epoch={}", encode(epoch)));
                version = rest.to_string();
            }
            if let Some(arch) = &package.architecture {
                qualifiers.push(format!("arch={}", encode(arch)));
            }
            if let Some(os) = os {
                qualifiers.push(format!("distro={}-{}", encode(&os.id), encode(&os.version)));
            }
            let namespace = os.map_or_else(|| package.ecosystem.label().to_ascii_lowercase(), |o| o.id.clone());
            (Some(encode(&namespace)), encode(&package.name))
        }
        Ecosystem::Npm => match package.name.split_once('/') {
            Some((scope, name)) => (Some(encode(scope)), encode(name)),
            None => (None, encode(&package.name)),
        },
        Ecosystem::PyPI => (None, encode(&package.source_name)),
        Ecosystem::Go => match package.name.rsplit_once('/') {
            Some((path, name)) => (Some(path.split('/').map(encode).collect::<Vec<_>>().join("/")), encode(name)),
            None => (None, encode(&package.name)),
        },
        Ecosystem::RubyGems | Ecosystem::Cargo => (None, encode(&package.name)),
    };
    let mut purl = format!("pkg:{}/", package.ecosystem.purl_type());
    if let Some(namespace) = namespace {
        purl.push_str(&namespace);
        purl.push('/');
    }
    purl.push_str(&format!("{name}@{}", encode(&version)));
    if !qualifiers.is_empty() {
        purl.push('?');
        purl.push_str(&qualifiers.join("&"));
    }
    purl
}

/// Percent-encodes what the purl spec does not allow bare in a component.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

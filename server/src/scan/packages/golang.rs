//! Go modules linked into a binary, from the module info in its buildinfo (`path`, `mod`, `dep`
//! and `=>` replacement lines), plus the standard library at the toolchain's version. A main
//! module built from a checkout says `(devel)`; its version is then read, as syft reads it, from
//! a `-X …version=` linker flag, else made the pseudo-version of the recorded VCS revision.

use super::{Ecosystem, Package};

pub fn parse(go_version: &str, modules: &str) -> Vec<Package> {
    let mut found: Vec<Package> = Vec::new();
    let build = |key: &str| {
        modules.lines().find_map(|l| l.strip_prefix("build\t")?.strip_prefix(key)?.strip_prefix('=').map(str::to_string))
    };
    for line in modules.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields.as_slice() {
            ["mod", path, "(devel)", ..] => {
                let version = build("-ldflags")
                    .and_then(|flags| version_flag(&flags))
                    .or_else(|| pseudo_version(&build("vcs.revision")?, &build("vcs.time")?))
                    .unwrap_or_else(|| "(devel)".into());
                found.push(module(path, &version));
            }
            ["mod" | "dep", path, version, ..] => found.push(module(path, version)),
            // A replacement stands in for the module on the line before it.
            ["=>", path, version, ..] => {
                if let Some(last) = found.last_mut() {
                    *last = module(path, version);
                }
            }
            _ => {}
        }
    }
    // OSV names the toolchain's own packages `stdlib`, at versions without the `go` prefix.
    let mut stdlib = Package::language(Ecosystem::Go, "stdlib".into(), go_version.into(), None);
    stdlib.source_version = go_version.trim_start_matches("go").to_string();
    found.push(stdlib);
    found
}

/// `-X main.version=1.18.1` (or `…/internal.Version=v2.0.0`) → `v1.18.1`.
fn version_flag(flags: &str) -> Option<String> {
    let flags = flags.trim_matches('"');
    let mut words = flags.split_whitespace();
    while let Some(word) = words.next() {
        let assignment = if word == "-X" { words.next()? } else { word.strip_prefix("-X=").unwrap_or("") };
        let Some((symbol, value)) = assignment.split_once('=') else { continue };
        let variable = symbol.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
        let value = value.trim_matches(|c| c == '\'' || c == '"');
        let bare = value.strip_prefix('v').unwrap_or(value);
        if variable == "version" && crate::scan::version::Semver::parse(bare).is_some() && bare.contains('.') {
            return Some(format!("v{bare}"));
        }
    }
    None
}

/// Go's pseudo-version for a commit: `v0.0.0-20241213183011-5e16e5031a13`. The revision comes from
/// the binary: anything but a hex commit id (a crafted one, multi-byte text) gives none.
fn pseudo_version(revision: &str, time: &str) -> Option<String> {
    let stamp: String = chrono::DateTime::parse_from_rfc3339(time).ok()?.to_utc().format("%Y%m%d%H%M%S").to_string();
    let short = revision.get(..12).filter(|r| r.bytes().all(|b| b.is_ascii_hexdigit()))?;
    Some(format!("v0.0.0-{stamp}-{short}"))
}

fn module(path: &str, version: &str) -> Package {
    Package::language(Ecosystem::Go, path.to_string(), version.to_string(), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_replacements_and_stdlib() {
        let info = "path\texample.com/app\nmod\texample.com/app\t(devel)\t\n\
                    dep\tgolang.org/x/net\tv0.1.0\th1:a=\n\
                    dep\tgithub.com/old/lib\tv1.0.0\t\n=>\tgithub.com/fork/lib\tv1.0.1\th1:b=\n\
                    build\t-compiler=gc\n";
        let found: Vec<_> = parse("go1.21.5", info).into_iter().map(|p| (p.name, p.version, p.source_version)).collect();
        let want = [
            ("example.com/app", "(devel)", "(devel)"),
            ("golang.org/x/net", "v0.1.0", "v0.1.0"),
            ("github.com/fork/lib", "v1.0.1", "v1.0.1"),
            ("stdlib", "go1.21.5", "1.21.5"),
        ];
        assert_eq!(found, want.map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())));
        let flags = "mod\tgithub.com/anchore/syft\t(devel)\t\nbuild\t-ldflags=\"-w -s -X main.version=1.18.1 -X main.gitCommit=5e16e50\"\n";
        assert_eq!(parse("go1.23.4", flags)[0].version, "v1.18.1");
        let vcs = "mod\texample.com/app\t(devel)\t\nbuild\tvcs.revision=5e16e5031a13f8a11057feb8544decebfc43b4ed\nbuild\tvcs.time=2024-12-13T18:30:11Z\n";
        assert_eq!(parse("go1.23.4", vcs)[0].version, "v0.0.0-20241213183011-5e16e5031a13");
    }

    #[test]
    fn crafted_revisions_give_no_pseudo_version_and_no_panic() {
        let time = "2024-12-13T18:30:11Z";
        // 11 ASCII bytes and a 2-byte character across byte 12: slicing there used to panic.
        assert_eq!(pseudo_version("5e16e5031a1é3", time), None);
        assert_eq!(pseudo_version("zzzzzzzzzzzzzz", time), None);
        assert_eq!(pseudo_version("5e16e50", time), None);
        assert!(pseudo_version("5e16e5031a13f8a1", time).is_some());
    }
}

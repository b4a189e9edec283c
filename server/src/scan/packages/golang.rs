//! Go modules linked into a binary, from the module info in its buildinfo (`path`, `mod`, `dep`
//! and `=>` replacement lines), plus the standard library at the toolchain's version.

use super::{Ecosystem, Package};

pub fn parse(go_version: &str, modules: &str) -> Vec<Package> {
    let mut found: Vec<Package> = Vec::new();
    for line in modules.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields.as_slice() {
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
    }
}

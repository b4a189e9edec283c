//! Scans of images pushed to a real registry, built from real package databases (see
//! `fixtures/ATTRIBUTION.md`), with advisories written in OSV as a user would: the package set
//! agrees with dpkg's own `dpkg-query`, findings with `dpkg --compare-versions`, and the tune-up
//! report names the layers at fault.

use std::path::Path;
use std::process::Command;

use app::severity::Severity;
use shipshape::config::{Config, DatabaseUrl};
use shipshape::scan::run::{ScanReport, scan};
use shipshape::scan::sbom;
use shipshape::services::Services;
use shipshape::store;
use shipshape_testkit::{BuiltImage, ImageBuilder, Layer, ManifestFormat, TestRegistry};

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(path)).unwrap()
}

/// An OSV record naming one package and one range.
fn advisory(id: &str, alias: &str, ecosystem: &str, name: &str, events: &str, extra: &str) -> String {
    format!(
        r#"{{"schema_version":"1.6.0","id":"{id}","modified":"2026-10-01T00:00:00Z","aliases":["{alias}"],
            "summary":"{id} in {name}",{extra}
            "affected":[{{"package":{{"ecosystem":"{ecosystem}","name":"{name}"}},
                          "ranges":[{{"type":"ECOSYSTEM","events":{events}}}]}}]}}"#
    )
}

async fn services(dir: &Path, registry: &TestRegistry) -> Services {
    shipshape_testkit::install_crypto_provider();
    let store = store::open(&DatabaseUrl::Sqlite(dir.join("shipshape.db"))).await.unwrap();
    let config = Config::from_vars(vec![("SHIPSHAPE_ALLOW_HOSTS".to_string(), registry.host())]).unwrap();
    Services::new(store, &config)
}

async fn scan_of(services: &Services, reference: &str) -> ScanReport {
    let reference = app::reference::ImageReference::parse(reference).unwrap();
    scan(&services.inspector, &services.store, &reference, None, None, &Default::default(), &|_| {}).await.unwrap()
}

fn dpkg_says(a: &str, op: &str, b: &str) -> bool {
    Command::new("dpkg").args(["--compare-versions", a, op, b]).status().unwrap().success()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_debian_image_with_leftovers() {
    let registry = TestRegistry::anonymous().await.unwrap();
    let image = debian_with_leftovers();
    image.push(&registry, "scan/debian", Some("1")).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let services = services(dir.path(), &registry).await;
    import_debian_advisories(&services, dir.path()).await;

    let report = scan_of(&services, &format!("{}/scan/debian:1", registry.host())).await;
    let os = report.os.as_ref().unwrap();
    assert_eq!((os.id.as_str(), os.version.as_str()), ("debian", "12"));
    packages_are_what_dpkg_lists(&report, &image, dir.path());
    findings_are_what_dpkg_orders_imply(&report, &image);
    tune_up_names_the_layers_at_fault(&report, &image);
    sboms_list_every_package(&report);
}

const DEBIAN_STATUS: &str = "pkgdb/debian/claircore-postgresql.status";

/// A Debian 12 image whose second layer leaves apt's lists and archives behind and a 3 MiB file the
/// third deletes, with a password in its environment.
fn debian_with_leftovers() -> BuiltImage {
    let base = Layer::builder()
        .file("etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n")
        .file("var/lib/dpkg/status", fixture(DEBIAN_STATUS))
        .build()
        .unwrap();
    let big = vec![7u8; 3 << 20];
    let install = Layer::builder()
        .file("var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease", "lists")
        .file("var/lib/apt/lists/lock", "")
        .file("var/cache/apt/archives/postgresql-client_11.deb", "deb")
        .file("var/lib/dpkg/status.d/dash", fixture("pkgdb/debian/status.d/dash"))
        .file("var/lib/dpkg/status.d/netbase", fixture("pkgdb/debian/status.d/netbase"))
        .file("tmp/build.tar", &big)
        .build()
        .unwrap();
    let cleanup = Layer::builder().whiteout("tmp/build.tar").build().unwrap();
    ImageBuilder::new()
        .layer(base, "ADD rootfs.tar / # buildkit")
        .layer(install, "RUN apt-get update && apt-get install -y postgresql-client # buildkit")
        .layer(cleanup, "RUN rm /tmp/build.tar # buildkit")
        .env("DB_PASSWORD", "hunter2")
        .build(ManifestFormat::Oci)
}

/// Advisories as a user writes them, in files and a directory: six records and one withdrawn.
async fn import_debian_advisories(services: &Services, dir: &Path) {
    let osv = dir.join("osv");
    std::fs::create_dir_all(&osv).unwrap();
    for (i, record) in debian_advisories().iter().enumerate() {
        std::fs::write(osv.join(format!("r{i}.json")), record).unwrap();
    }
    let withdrawn = advisory(
        "DEBIAN-CVE-2099-0007",
        "CVE-2099-0007",
        "Debian:12",
        "dash",
        r#"[{"introduced":"0"}]"#,
        r#""withdrawn":"2026-10-02T00:00:00Z","#,
    );
    std::fs::write(dir.join("withdrawn.json"), withdrawn).unwrap();
    let summary =
        shipshape::vulndb::import_paths(&services.store, "test-osv", &[osv.clone(), dir.join("withdrawn.json")])
            .await
            .unwrap();
    assert_eq!((summary.read, summary.withdrawn, summary.written), (7, 1, 6));
    let again = shipshape::vulndb::import_paths(&services.store, "test-osv", &[osv]).await.unwrap();
    assert_eq!(again.written, 0, "records no newer than the stored ones are not rewritten");
}

fn debian_advisories() -> [String; 6] {
    let critical = r#""severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],"#;
    [
        // Source postgresql-common at 200+deb10u5 (the binary postgresql-client is 11+200+deb10u5).
        advisory(
            "DEBIAN-CVE-2099-0001",
            "CVE-2099-0001",
            "Debian:12",
            "postgresql-common",
            r#"[{"introduced":"0"},{"fixed":"200+deb10u6"}]"#,
            critical,
        ),
        advisory(
            "DEBIAN-CVE-2099-0002",
            "CVE-2099-0002",
            "Debian:12",
            "postgresql-common",
            r#"[{"introduced":"0"},{"fixed":"199"}]"#,
            "",
        ),
        advisory(
            "DEBIAN-CVE-2099-0003",
            "CVE-2099-0003",
            "Debian:11",
            "postgresql-common",
            r#"[{"introduced":"0"},{"fixed":"999"}]"#,
            "",
        ),
        advisory(
            "DEBIAN-CVE-2099-0004",
            "CVE-2099-0004",
            "Debian:12",
            "postgresql-11",
            r#"[{"introduced":"11.0"},{"fixed":"11.22-0+deb10u3"}]"#,
            r#""database_specific":{"severity":"Low"},"#,
        ),
        advisory(
            "DEBIAN-CVE-2099-0005",
            "CVE-2099-0005",
            "Debian:12",
            "postgresql-11",
            r#"[{"introduced":"0"},{"fixed":"not a version"}]"#,
            "",
        ),
        advisory(
            "DEBIAN-CVE-2099-0006",
            "CVE-2099-0006",
            "Debian:12",
            "netbase",
            r#"[{"introduced":"0"},{"fixed":"5.4"}]"#,
            "",
        ),
    ]
}

/// The package set: what dpkg itself lists from the status file, plus the distroless entries.
fn packages_are_what_dpkg_lists(report: &ScanReport, image: &BuiltImage, dir: &Path) {
    let admin = dir.join("dpkg");
    std::fs::create_dir_all(&admin).unwrap();
    std::fs::write(admin.join("status"), fixture(DEBIAN_STATUS)).unwrap();
    let listed = Command::new("dpkg-query")
        .arg(format!("--admindir={}", admin.display()))
        .args(["-W", "-f", "${Package} ${Version}\n"])
        .output()
        .unwrap();
    let mut expected: Vec<String> = String::from_utf8(listed.stdout).unwrap().lines().map(String::from).collect();
    expected.extend(["dash 0.5.8-2.4".to_string(), "netbase 5.4".to_string()]);
    expected.sort();
    let mut ours: Vec<String> = report.packages.iter().map(|p| format!("{} {}", p.name, p.version)).collect();
    ours.sort();
    assert_eq!(ours, expected);
    let client = report.packages.iter().find(|p| p.name == "postgresql-client").unwrap();
    assert_eq!((client.source_name.as_str(), client.source_version.as_str()), ("postgresql-common", "200+deb10u5"));
    assert_eq!(client.layer_digest.as_deref(), Some(image.layers[0].digest.as_str()));
    assert_eq!(client.purl, "pkg:deb/debian/postgresql-client@11%2B200%2Bdeb10u5?arch=all&distro=debian-12");
    let dash = report.packages.iter().find(|p| p.name == "dash").unwrap();
    assert_eq!(dash.layer_command.as_deref(), Some("RUN apt-get update && apt-get install -y postgresql-client"));
}

/// Findings: exactly what dpkg's own order implies for each Debian:12 advisory, by source version.
fn findings_are_what_dpkg_orders_imply(report: &ScanReport, image: &BuiltImage) {
    let mut implied = Vec::new();
    for (id, source, fixed) in [
        ("CVE-2099-0001", "postgresql-common", "200+deb10u6"),
        ("CVE-2099-0002", "postgresql-common", "199"),
        ("CVE-2099-0004", "postgresql-11", "11.22-0+deb10u3"),
        ("CVE-2099-0006", "netbase", "5.4"),
    ] {
        for p in report.packages.iter().filter(|p| p.source_name == source) {
            if dpkg_says(&p.source_version, "lt", fixed) {
                implied.push(format!("{id} {}", p.name));
            }
        }
    }
    implied.sort();
    let mut found: Vec<String> =
        report.findings.iter().map(|f| format!("{} {}", f.finding.id, f.finding.package)).collect();
    found.sort();
    assert_eq!(found, implied);
    assert_eq!(found.len(), 3, "two binaries of postgresql-common, and postgresql-client-11: {found:?}");
    let first = report.findings.iter().find(|f| f.finding.id == "CVE-2099-0001").unwrap();
    assert_eq!(
        (first.finding.severity, first.finding.fixed_version.as_deref(), first.finding.aliases.clone()),
        (Severity::Critical, Some("200+deb10u6"), vec!["DEBIAN-CVE-2099-0001".to_string()])
    );
    assert_eq!(first.layer_digest.as_deref(), Some(image.layers[0].digest.as_str()));
    let fourth = report.findings.iter().find(|f| f.finding.id == "CVE-2099-0004").unwrap();
    assert_eq!(fourth.finding.severity, Severity::Low, "the feed's \"Low\"");
    assert_eq!(report.undecided.len(), 1, "an unreadable fixed version is undecided, not a finding");
    assert_eq!(report.vulndb[0].records, 6);
}

/// The tune-up report: root, leftovers with the layer that left them, the secret, the waste.
fn tune_up_names_the_layers_at_fault(report: &ScanReport, image: &BuiltImage) {
    let check =
        |id: &str| report.checks.iter().find(|c| c.id == id).unwrap_or_else(|| panic!("no {id}: {:#?}", report.checks));
    assert_eq!(check("root-user").severity, Severity::High);
    let lists = report.checks.iter().find(|c| c.title.contains("/var/lib/apt/lists")).unwrap();
    assert_eq!(lists.layer_digest.as_deref(), Some(image.layers[1].digest.as_str()));
    assert!(lists.detail.starts_with("1 file(s), 5 B"), "the lock file does not count: {}", lists.detail);
    assert!(report.checks.iter().any(|c| c.title.contains("/var/cache/apt/archives")));
    assert!(check("secret-env").title.contains("DB_PASSWORD"));
    let waste = check("wasted-space");
    assert_eq!(waste.layer_digest.as_deref(), Some(image.layers[1].digest.as_str()));
    assert_eq!(report.wasted_bytes, 3 << 20);
}

/// SBOMs: every package with its purl.
fn sboms_list_every_package(report: &ScanReport) {
    let cyclonedx = sbom::cyclonedx(report);
    assert_eq!((cyclonedx["bomFormat"].as_str(), cyclonedx["specVersion"].as_str()), (Some("CycloneDX"), Some("1.6")));
    let components = cyclonedx["components"].as_array().unwrap();
    assert_eq!(components.len(), report.packages.len());
    assert!(components.iter().all(|c| c["purl"].as_str().is_some_and(|p| p.starts_with("pkg:deb/debian/"))));
    assert_eq!(cyclonedx["vulnerabilities"].as_array().unwrap().len(), 3);
    let spdx = sbom::spdx(report);
    assert_eq!(spdx["spdxVersion"], "SPDX-2.3");
    assert_eq!(spdx["packages"].as_array().unwrap().len(), report.packages.len() + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alpine_image_matched_on_origins() {
    let registry = TestRegistry::anonymous().await.unwrap();
    let layer = Layer::builder()
        .file("etc/alpine-release", "3.15.4\n")
        .file("lib/apk/db/installed", fixture("pkgdb/alpine/trivy-analyzer-apk.installed"))
        .build()
        .unwrap();
    ImageBuilder::new()
        .layer(layer, "ADD alpine-minirootfs.tar.gz /")
        .user("nobody")
        .build(ManifestFormat::Docker)
        .push(&registry, "scan/alpine", Some("3.15"))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let services = services(dir.path(), &registry).await;
    let record = advisory(
        "ALPINE-CVE-2099-0100",
        "CVE-2099-0100",
        "Alpine:v3.15",
        "musl",
        r#"[{"introduced":"0"},{"fixed":"1.1.14-r11"}]"#,
        "",
    );
    std::fs::write(dir.path().join("musl.json"), record).unwrap();
    shipshape::vulndb::import_paths(&services.store, "alpine", &[dir.path().join("musl.json")]).await.unwrap();

    let report = scan_of(&services, &format!("{}/scan/alpine:3.15", registry.host())).await;
    assert_eq!(report.os.as_ref().unwrap().id, "alpine");
    assert_eq!(report.packages.len(), 15, "the stanza without a version is skipped");
    let musl = report.packages.iter().find(|p| p.name == "musl").unwrap();
    assert_eq!(musl.purl, "pkg:apk/alpine/musl@1.1.14-r10?arch=x86_64&distro=alpine-3.15.4");
    let found: Vec<_> = report.findings.iter().map(|f| (f.finding.id.as_str(), f.finding.package.as_str())).collect();
    assert_eq!(found, [("CVE-2099-0100", "musl"), ("CVE-2099-0100", "musl-utils")], "both built from origin musl");
    assert!(report.checks.iter().all(|c| c.id != "root-user"), "runs as nobody");
    let build = report.checks.iter().find(|c| c.id == "build-tools").unwrap();
    assert_eq!(build.title, "Build packages left in the image: pkgconf");
    assert_eq!(build.layer_command.as_deref(), Some("ADD alpine-minirootfs.tar.gz /"));
    let eol = report.checks.iter().find(|c| c.id == "end-of-life").unwrap();
    assert!(eol.detail.contains("2023-11-01"));

    // Layers are read once: with the registry gone, a second scan comes from the stored analyses.
    drop(registry);
    let again = scan_of(&services, &report.reference).await;
    assert_eq!(again.packages.len(), 15);
    assert_eq!(again.findings.len(), 2);
}

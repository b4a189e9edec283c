//! A hostile image cannot take the scanner's memory: a layer keeping 40 package databases of 64 MiB
//! each (2.5 GiB of text, as anyone may push and ask Shipshape to scan) ends its scan "failed" with
//! the limit named, the server's peak memory stays under 1 GiB, it keeps answering, and the next
//! scan succeeds. The server is the real binary, so its memory is its own.

use std::io::Read;
use std::time::{Duration, Instant};

use common::process::serve;
use shipshape_testkit::{ImageBuilder, Layer, ManifestFormat, TestRegistry};

#[allow(dead_code)]
mod common;

const FILES: usize = 40;
const FILE_BYTES: u64 = 64 << 20;

/// 64 MiB of dpkg status stanzas, numbered so that no two are alike (made once, shared by the files).
fn status_text() -> std::sync::Arc<Vec<u8>> {
    let mut text = Vec::with_capacity(FILE_BYTES as usize + 256);
    let mut n = 0u64;
    while (text.len() as u64) < FILE_BYTES {
        let stanza = format!(
            "Package: pkg{n}\nStatus: install ok installed\nPriority: optional\nVersion: 1.{n}-1\n\
             Architecture: amd64\nDescription: filler package number {n}\n\n"
        );
        text.extend_from_slice(stanza.as_bytes());
        n += 1;
    }
    text.truncate(FILE_BYTES as usize);
    std::sync::Arc::new(text)
}

/// Shared bytes as a reader, so forty files cost one buffer.
struct Shared(std::sync::Arc<Vec<u8>>, usize);

impl Read for Shared {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (&self.0[self.1..]).read(buf)?;
        self.1 += n;
        Ok(n)
    }
}

fn hostile_image() -> shipshape_testkit::BuiltImage {
    let text = status_text();
    let files = (0..FILES).map(|i| {
        let contents: Box<dyn Read> = Box::new(Shared(text.clone(), 0));
        (format!("var/lib/dpkg/status.d/pkg{i}"), FILE_BYTES, contents)
    });
    let layer = Layer::streamed(files).unwrap();
    ImageBuilder::new().layer(layer, "COPY status.d /var/lib/dpkg/status.d").build(ManifestFormat::Oci)
}

fn fine_image() -> shipshape_testkit::BuiltImage {
    let status = "Package: base-files\nStatus: install ok installed\nVersion: 12.4\nArchitecture: amd64\n\n";
    let layer = Layer::builder().file("var/lib/dpkg/status", status).build().unwrap();
    ImageBuilder::new().layer(layer, "ADD rootfs /").build(ManifestFormat::Oci)
}

/// The scan summary once the scan of `reference` has ended (asking for it queues it).
async fn scanned(url: &str, reference: &str) -> serde_json::Value {
    let scan_url = format!("{url}/api/v1/scans/{reference}");
    let start = Instant::now();
    loop {
        let summary: serde_json::Value = reqwest::get(&scan_url).await.unwrap().json().await.unwrap();
        if matches!(summary["state"].as_str(), Some("done" | "failed")) {
            return summary;
        }
        assert!(start.elapsed() < Duration::from_secs(600), "the scan of {reference} never ended: {summary}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The process's peak resident memory, from the kernel's own count.
fn peak_rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_64_mib_package_databases_fail_the_scan_within_memory_and_the_next_scan_succeeds() {
    let registry = TestRegistry::anonymous().await.unwrap();
    let hostile = tokio::task::spawn_blocking(hostile_image).await.unwrap();
    hostile.push(&registry, "evil/bloat", Some("1")).await.unwrap();
    fine_image().push(&registry, "team/fine", Some("1")).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let vars = [
        ("SHIPSHAPE_DATABASE_URL", format!("sqlite://{}", dir.path().join("shipshape.db").display())),
        ("SHIPSHAPE_ALLOW_HOSTS", registry.host()),
        ("SHIPSHAPE_BASE_IMAGES", String::new()),
    ];
    let (server, url) = serve(dir.path(), &vars).await;
    let pid = server.id().unwrap();

    let failed = scanned(&url, &format!("{}/evil/bloat:1", registry.host())).await;
    assert_eq!(failed["state"], "failed", "{failed}");
    let error = failed["error"].as_str().unwrap_or_default();
    assert!(error.contains("image too large to scan") && error.contains("192 MiB"), "{error}");
    let peak = peak_rss_bytes(pid);
    assert!(peak < 1 << 30, "the server's peak memory was {} MiB", peak >> 20);

    let fine = scanned(&url, &format!("{}/team/fine:1", registry.host())).await;
    assert_eq!((fine["state"].as_str(), fine["packages"].as_u64()), (Some("done"), Some(1)), "{fine}");
}

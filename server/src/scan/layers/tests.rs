use super::*;

fn tar_gz(entries: &[(&str, &[u8])]) -> (Vec<u8>, Digest) {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, data) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, path, *data).unwrap();
    }
    let tar = builder.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut gz, &tar).unwrap();
    let blob = gz.finish().unwrap();
    let digest = Digest::from_sha256(Sha256::digest(&blob).into());
    (blob, digest)
}

#[test]
fn wanted_files_whiteouts_and_entries() {
    let (blob, digest) = tar_gz(&[
        ("./var/lib/dpkg/status", b"Package: a\n"),
        ("usr/bin/tool", b"binary"),
        ("etc/.wh.motd", b""),
        ("opt/app/.wh..wh..opq", b""),
    ]);
    let wanted = Wanted::files(|p| p == "var/lib/dpkg/status");
    let layer = read_layer(&blob[..], &digest, &wanted, Limits::default(), &Budget::unlimited()).unwrap();
    assert_eq!(layer.files, vec![("var/lib/dpkg/status".to_string(), b"Package: a\n".to_vec())]);
    assert_eq!(layer.whiteouts, vec!["etc/motd".to_string()]);
    assert_eq!(layer.opaque, vec!["opt/app".to_string()]);
    assert_eq!(
        layer.entries.iter().map(|e| e.path.as_str()).collect::<Vec<_>>(),
        ["var/lib/dpkg/status", "usr/bin/tool"]
    );
    assert_eq!(layer.compressed_bytes, blob.len() as u64);
}

#[test]
fn tampered_and_oversized_layers_are_refused() {
    let (blob, _) = tar_gz(&[("a", b"x")]);
    let wrong = Digest::from_sha256([0; 32]);
    assert!(matches!(
        read_layer(&blob[..], &wrong, &Wanted::files(|_| false), Limits::default(), &Budget::unlimited()),
        Err(LayerError::DigestMismatch { .. })
    ));
    let big = vec![0u8; 4096];
    let (blob, digest) = tar_gz(&[("big", &big)]);
    let limits = Limits { file_bytes: 1024, ..Limits::default() };
    assert!(matches!(
        read_layer(&blob[..], &digest, &Wanted::files(|_| false), limits, &Budget::unlimited()),
        Err(LayerError::FileTooLarge { .. })
    ));
    let limits = Limits { layer_bytes: 2048, ..Limits::default() };
    assert!(matches!(
        read_layer(&blob[..], &digest, &Wanted::files(|_| false), limits, &Budget::unlimited()),
        Err(LayerError::TooLarge { .. })
    ));
    let zeros = vec![0u8; 8 << 20];
    let (blob, digest) = tar_gz(&[("zeros", &zeros)]);
    let limits = Limits { bomb_after: 1 << 20, ..Limits::default() };
    let bomb = read_layer(&blob[..], &digest, &Wanted::files(|_| false), limits, &Budget::unlimited());
    assert!(matches!(bomb, Err(LayerError::Bomb { .. })), "{bomb:?} {}", blob.len());
    let garbage = b"not a layer at all, just text that is long enough".repeat(20);
    let digest = Digest::from_sha256(Sha256::digest(&garbage).into());
    assert!(read_layer(&garbage[..], &digest, &Wanted::files(|_| false), Limits::default(), &Budget::unlimited()).is_err());
}

fn statuses(count: usize, size: usize) -> Vec<(String, Vec<u8>)> {
    (0..count).map(|i| (format!("var/lib/dpkg/status.d/p{i}"), vec![b'x'; size])).collect()
}

fn refs(files: &[(String, Vec<u8>)]) -> Vec<(&str, &[u8])> {
    files.iter().map(|(p, d)| (p.as_str(), d.as_slice())).collect()
}

#[test]
fn kept_files_are_bounded_per_layer_and_per_scan() {
    let wanted = Wanted::files(|p| p.starts_with("var/lib/dpkg/status.d/"));
    let files = statuses(5, 4096);
    let (blob, digest) = tar_gz(&refs(&files));
    let limits = Limits { layer_memory: 3 * 4096, ..Limits::default() };
    let over = read_layer(&blob[..], &digest, &wanted, limits, &Budget::unlimited()).unwrap_err();
    assert!(matches!(over, LayerError::LayerOverBudget { .. }), "{over:?}");
    assert!(over.to_string().starts_with("image too large to scan ("), "{over}");

    // Two layers of one scan share its budget: the first fits, the second does not.
    let budget = Budget::new(7 * 4096, u64::MAX);
    read_layer(&blob[..], &digest, &wanted, Limits::default(), &budget).unwrap();
    let over = read_layer(&blob[..], &digest, &wanted, Limits::default(), &budget).unwrap_err();
    assert!(matches!(over, LayerError::ScanOverBudget { .. }), "{over:?}");
}

/// Found by `make fuzz` (target `layer`): a kept file that its reduction makes larger underflowed
/// the refund of what the reduction saved (a panic in debug builds, the budget emptied in release).
#[test]
fn a_file_its_reduction_makes_larger_is_charged_for_the_growth() {
    let (blob, digest) = tar_gz(&[("app/package.json", b"{}")]);
    let wanted = crate::scan::inventory::WANTED;
    let layer = read_layer(&blob[..], &digest, &wanted, Limits::default(), &Budget::new(1 << 20, u64::MAX)).unwrap();
    let reduced = br#"{"license":null,"name":null,"version":null}"#.to_vec();
    assert_eq!(layer.files, vec![("app/package.json".to_string(), reduced)]);
}

#[test]
fn paths_and_whiteouts_count_against_the_layer() {
    let names: Vec<(String, Vec<u8>)> = (0..200).map(|i| (format!("etc/.wh.gone{i}"), Vec::new())).collect();
    let (blob, digest) = tar_gz(&refs(&names));
    let limits = Limits { layer_memory: 100 * 40, ..Limits::default() };
    let over = read_layer(&blob[..], &digest, &Wanted::files(|_| false), limits, &Budget::unlimited());
    assert!(matches!(over, Err(LayerError::LayerOverBudget { .. })), "{over:?}");
}

#[test]
fn long_extension_headers_and_paths_are_refused() {
    // A GNU long name the tar reader would read whole: refused past the header limit.
    let long = format!("{}/f", "d".repeat(64 << 10));
    let (blob, digest) = tar_gz(&[(long.as_str(), b"x")]);
    let limits = Limits { extension_header: 16 << 10, ..Limits::default() };
    let refused = read_layer(&blob[..], &digest, &Wanted::files(|_| false), limits, &Budget::unlimited());
    assert!(matches!(refused, Err(LayerError::ExtensionHeader { .. })), "{refused:?}");
    // Within the header limit, still longer than any path Linux opens.
    let refused = read_layer(&blob[..], &digest, &Wanted::files(|_| false), Limits::default(), &Budget::unlimited());
    assert!(matches!(refused, Err(LayerError::LongPath { .. })), "{refused:?}");
    // A large entry read by its owner is not an extension header.
    let big = vec![7u8; 64 << 10];
    let (blob, digest) = tar_gz(&[("var/lib/dpkg/status", &big), ("b", &big)]);
    let wanted = Wanted::files(|p| p == "var/lib/dpkg/status");
    read_layer(&blob[..], &digest, &wanted, limits, &Budget::unlimited()).unwrap();
}

#[test]
fn a_stopped_scan_stops_its_reads() {
    let (blob, digest) = tar_gz(&[("a", b"x")]);
    let (stop, guard) = crate::scan::limits::Stop::new(std::time::Instant::now() + std::time::Duration::from_secs(60));
    drop(guard);
    let reader = crate::scan::limits::Stoppable { inner: &blob[..], stop };
    let stopped = read_layer(reader, &digest, &Wanted::files(|_| false), Limits::default(), &Budget::unlimited());
    assert!(matches!(stopped, Err(LayerError::Stopped { .. })), "{stopped:?}");
}

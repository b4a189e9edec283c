//! An OSV record (before the first 0xff byte) and the verdict of each of its affected entries on
//! the versions after it (one a line), in every version scheme; and its CVSS vectors.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shipshape::fuzzing::{OsvRecord, Scheme, cvss_base_score};

const SCHEMES: [Scheme; 6] =
    [Scheme::Dpkg, Scheme::Apk, Scheme::Rpm, Scheme::Semver, Scheme::Pep440, Scheme::RubyGems];

fuzz_target!(|data: &[u8]| {
    let [record, versions] = shipshape_fuzz::parts(data);
    let Ok(record) = serde_json::from_slice::<OsvRecord>(record) else { return };
    let versions = shipshape_fuzz::text(versions);
    for affected in &record.affected {
        for version in versions.lines().take(4) {
            for scheme in SCHEMES {
                let _ = affected.verdict(version, scheme);
            }
        }
    }
    for score in record.severity.iter().chain(record.affected.iter().flat_map(|a| &a.severity)) {
        let _ = cvss_base_score(&score.score);
    }
});

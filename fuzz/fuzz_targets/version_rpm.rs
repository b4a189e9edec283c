//! The rpm version order on the input's first three lines is a total order, transitivity checked
//! among versions that all have a release or all have none: a bound without a release equals every
//! release of its version on purpose (OSV ranges), so `1.0-1 = 1.0 = 1.0-2` while `1.0-1 < 1.0-2`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shipshape::fuzzing::Scheme;

/// Whether an `[epoch:]version[-release]` has a release.
fn has_release(evr: &str) -> bool {
    let evr = evr.trim();
    evr.split_once(':').map_or(evr, |(_, rest)| rest).contains('-')
}

fuzz_target!(|data: &[u8]| shipshape_fuzz::check_total_order(Scheme::Rpm, data, has_release));

//! Go's module info text (`path`, `mod`, `dep`, `=>`, `build` lines) and the toolchain version,
//! split at the first 0xff byte, as a binary's buildinfo gives them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shipshape::fuzzing::golang;

fuzz_target!(|data: &[u8]| {
    let [version, modules] = shipshape_fuzz::parts(data);
    let _ = golang::parse(&shipshape_fuzz::text(version), &shipshape_fuzz::text(modules));
});

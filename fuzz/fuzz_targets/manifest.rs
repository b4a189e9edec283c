//! A manifest body read as an index and as an image manifest; an image manifest with the config
//! after the first 0xff byte made into the platform image the pages show.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shipshape::fuzzing::inspect_manifest;

fuzz_target!(|data: &[u8]| {
    let [manifest, config] = shipshape_fuzz::parts(data);
    let _ = inspect_manifest(true, manifest, config);
    let _ = inspect_manifest(false, manifest, config);
});

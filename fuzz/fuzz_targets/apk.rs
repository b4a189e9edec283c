//! apk's installed database.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shipshape::fuzzing::apk;

fuzz_target!(|data: &[u8]| {
    let _ = apk::parse_installed(&shipshape_fuzz::text(data));
});

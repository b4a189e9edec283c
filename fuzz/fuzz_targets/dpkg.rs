//! dpkg's status file and distroless `status.d` files.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shipshape::fuzzing::dpkg;

fuzz_target!(|data: &[u8]| {
    let text = shipshape_fuzz::text(data);
    let _ = dpkg::parse_status(&text);
    let _ = dpkg::parse_status_d(&text);
});

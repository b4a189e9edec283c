//! A layer blob (gzip, zstd or plain tar) through the layer pass under small limits and budget,
//! then the OS and package readers over what it kept.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shipshape::fuzzing::{Limits, scan_layer};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        layer_bytes: 4 << 20,
        file_bytes: 1 << 20,
        kept_bytes: 256 << 10,
        bomb_after: 256 << 10,
        entries: 1000,
        executable_bytes: 256 << 10,
        ..Limits::default()
    };
    let _ = scan_layer(data, limits, 2 << 20);
});

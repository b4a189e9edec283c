//! rpm's `rpmdb.sqlite`: the SQLite reader, then each package header blob.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shipshape::fuzzing::rpm;

fuzz_target!(|data: &[u8]| {
    let _ = rpm::parse_sqlite(data);
});

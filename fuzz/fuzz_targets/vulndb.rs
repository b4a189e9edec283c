//! An advisory feed file as `vulndb import` reads it: Alpine's secdb as YAML (first byte odd) or
//! JSON, the Debian tracker's JSON, or one OSV record; each record then stored.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shipshape::fuzzing::import_feed_text;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let _ = import_feed_text(&shipshape_fuzz::text(rest), first % 2 == 1);
});

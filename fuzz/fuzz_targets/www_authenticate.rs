//! A 401's `WWW-Authenticate` header values (one a line): a Bearer challenge the client answers
//! always names a realm.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shipshape::fuzzing::www_authenticate;

fuzz_target!(|data: &[u8]| {
    if let Some((realm, _service)) = www_authenticate(data) {
        assert!(!realm.is_empty(), "a Bearer challenge without a realm was taken");
    }
});

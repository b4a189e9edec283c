//! An image reference, once parsed, prints (in full and in Docker's short form) to text that
//! parses back to the same reference.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shipshape::fuzzing::ImageReference;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else { return };
    let Ok(reference) = ImageReference::parse(input) else { return };
    for printed in [reference.to_string(), reference.familiar()] {
        assert_eq!(ImageReference::parse(&printed).as_ref(), Ok(&reference), "{input:?} printed as {printed:?}");
    }
    let repository = ImageReference::parse_repository(&reference.familiar_name());
    let repository = repository.unwrap_or_else(|e| panic!("{input:?}: its repository does not parse: {e}"));
    assert_eq!((&repository.registry, &repository.repository), (&reference.registry, &reference.repository));
});

//! distribution/reference's own test tables (`normalize_test.go`, `reference_test.go`): the spec
//! for image references, read the way Shipshape reads them. Written from the tables' data.
//!
//! Shipshape has two entry points: [`ImageReference::parse`] (Docker's `ParseNormalizedNamed`,
//! then the default tag) and [`ImageReference::parse_repository`] (a name alone). Cases written
//! for Docker's other functions are mapped onto those; each table says how, and why when a case
//! cannot be kept as it is.

mod normalize;
mod parse;

use std::mem::discriminant;

use super::ReferenceError::{self, *};
use super::ImageReference;

const NAMED_HEX: &str = "docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a";

fn parsed(input: &str) -> ImageReference {
    ImageReference::parse(input).unwrap_or_else(|e| panic!("{input:?} should parse: {e}"))
}

fn refused(input: &str) -> ReferenceError {
    match ImageReference::parse(input) {
        Ok(r) => panic!("{input:?} should be refused, got {r}"),
        Err(e) => e,
    }
}

fn repository(input: &str) -> ImageReference {
    ImageReference::parse_repository(input).unwrap_or_else(|e| panic!("{input:?} should name a repository: {e}"))
}

fn same_kind(actual: &ReferenceError, expected: &ReferenceError) -> bool {
    discriminant(actual) == discriminant(expected)
}


//! The rubygems version order on the input's first three lines is a total order.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shipshape::fuzzing::Scheme;

fuzz_target!(|data: &[u8]| shipshape_fuzz::check_total_order(Scheme::RubyGems, data, shipshape_fuzz::one_class));

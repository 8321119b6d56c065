//! Keyless structural parsing (docs/SPEC.md §1) on arbitrary bytes: the parsers agree
//! with each other and with the input.
//!
//! The properties are in `ffce-core/tests/fuzz_properties/`, shared with the
//! regression tests.
#![no_main]

use libfuzzer_sys::fuzz_target;

// Each target calls one of the shared properties.
#[allow(dead_code)]
#[path = "../../ffce-core/tests/fuzz_properties/mod.rs"]
mod properties;

fuzz_target!(|data: &[u8]| properties::header(data));

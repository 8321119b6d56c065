//! The cloud's upload check (docs/SPEC.md §3) on arbitrary bodies, against a separate
//! model of the spec's rules.
//!
//! The properties are in `ffce-core/tests/fuzz_properties/`, shared with the
//! regression tests.
#![no_main]

use libfuzzer_sys::fuzz_target;

// Each target calls one of the shared properties.
#[allow(dead_code)]
#[path = "../../ffce-core/tests/fuzz_properties/mod.rs"]
mod properties;

fuzz_target!(|data: &[u8]| properties::upload(data));

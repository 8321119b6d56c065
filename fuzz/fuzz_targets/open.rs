//! Opening arbitrary blobs with a fixed key (docs/SPEC.md §1): the three open paths agree,
//! a failure leaves no plaintext, a success re-seals to the identical blob.
//!
//! The properties are in `ffce-core/tests/fuzz_properties/`, shared with the
//! regression tests.
#![no_main]

use std::sync::LazyLock;

use ffce_core::{Key, MasterSecret, Purpose};
use libfuzzer_sys::fuzz_target;

// Each target calls one of the shared properties.
#[allow(dead_code)]
#[path = "../../ffce-core/tests/fuzz_properties/mod.rs"]
mod properties;

/// The fixtures' backup key (master secret `11` x 32), so the seed corpus
/// (fixtures/vectors) holds blobs that open.
static KEY: LazyLock<Key> =
    LazyLock::new(|| MasterSecret::from_bytes([0x11; 32]).derive(Purpose::Backup));

fuzz_target!(|data: &[u8]| properties::open(&KEY, data));

//! What a decrypted backup holds: the controller's Dexie export (docs/SPEC.md §4).
//!
//! - [`summarise`]: a value-free summary of any plaintext (names, counts and types,
//!   never values), safe to print anywhere; streamed, so it never holds the document.
//!
//! Nothing here renders text for people beyond the `Display` of errors and problems:
//! how a summary is laid out is the business of the tool that shows it.

mod summary;

pub use summary::{
    ContentSummary, DexieSummary, JsonKey, JsonShape, JsonSummary, JsonType, MAX_LISTED,
    TableSummary, summarise,
};

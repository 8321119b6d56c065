//! Recognising inputs that are not FFCE blobs but are often mistaken for one, so a tool
//! can say what the input *is* instead of decoding nonsense header fields from it.
//!
//! The usual mistakes: the plaintext itself (a Dexie JSON export), a blob copied as
//! base64 (the device API sends blobs base64-encoded, docs/SPEC.md §7) or as hex, and an
//! empty file. Only inputs that do not start with the magic `FFCE` are judged: anything
//! that does is a blob, valid or not, and [`inspect`](crate::inspect) says what is wrong.

use crate::header::MAGIC;

/// What an input that is not an FFCE blob looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Lookalike {
    /// No bytes at all.
    Empty,
    /// UTF-8 text starting with `{` or `[`: a JSON document, most likely the plaintext.
    Json,
    /// Base64 text (standard alphabet, line breaks allowed) that decodes to bytes
    /// starting with `FFCE`: a base64 copy of a blob.
    Base64Blob,
    /// Hex digits (either case, whitespace allowed) that decode to bytes starting with
    /// `FFCE`: a hex copy of a blob.
    HexBlob,
}

impl Lookalike {
    /// A short, stable, machine-readable name: `empty`, `json`, `base64_blob`, `hex_blob`.
    pub fn code(self) -> &'static str {
        match self {
            Lookalike::Empty => "empty",
            Lookalike::Json => "json",
            Lookalike::Base64Blob => "base64_blob",
            Lookalike::HexBlob => "hex_blob",
        }
    }
}

/// Says what `bytes` look like when they are not an FFCE blob; `None` when they start
/// with the magic (a blob, maybe a broken one) or look like nothing in particular.
///
/// ```
/// use ffce_core::{format::{Lookalike, recognise}};
///
/// assert_eq!(recognise(b""), Some(Lookalike::Empty));
/// assert_eq!(recognise(b"  {\"formatName\":\"dexie\"}"), Some(Lookalike::Json));
/// assert_eq!(recognise(b"RkZDRQFsb3Jl\n"), Some(Lookalike::Base64Blob));
/// assert_eq!(recognise(b"4646434501aa"), Some(Lookalike::HexBlob));
/// assert_eq!(recognise(b"FFCE\x02"), None);
/// ```
pub fn recognise(bytes: &[u8]) -> Option<Lookalike> {
    if bytes.is_empty() {
        return Some(Lookalike::Empty);
    }
    if bytes.starts_with(&MAGIC) {
        return None;
    }
    if is_hex_blob(bytes) {
        return Some(Lookalike::HexBlob);
    }
    if is_base64_blob(bytes) {
        return Some(Lookalike::Base64Blob);
    }
    if is_json_text(bytes) {
        return Some(Lookalike::Json);
    }
    None
}

/// The first `N` bytes that are not ASCII whitespace, if there are that many.
fn first_non_space<const N: usize>(bytes: &[u8]) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    let mut it = bytes.iter().filter(|b| !b.is_ascii_whitespace());
    for slot in &mut out {
        *slot = *it.next()?;
    }
    Some(out)
}

fn is_hex_blob(bytes: &[u8]) -> bool {
    let Some(start) = first_non_space::<8>(bytes) else {
        return false;
    };
    let mut decoded = [0u8; 4];
    hex::decode_to_slice(start, &mut decoded).is_ok()
        && decoded == MAGIC
        && bytes
            .iter()
            .all(|b| b.is_ascii_hexdigit() || b.is_ascii_whitespace())
}

fn is_base64_blob(bytes: &[u8]) -> bool {
    use base64::Engine as _;
    // 8 base64 characters are 6 bytes, enough to see the magic.
    let Some(start) = first_non_space::<8>(bytes) else {
        return false;
    };
    let mut decoded = [0u8; 6];
    let opened = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode_slice(start, &mut decoded)
        .is_ok_and(|n| n == 6);
    opened
        && decoded.starts_with(&MAGIC)
        && bytes.iter().all(|&b| {
            b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=') || b.is_ascii_whitespace()
        })
}

fn is_json_text(bytes: &[u8]) -> bool {
    let text = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let first = text.iter().find(|b| !b.is_ascii_whitespace());
    matches!(first, Some(b'{' | b'[')) && core::str::from_utf8(text).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_lookalike() {
        assert_eq!(recognise(b""), Some(Lookalike::Empty));
        assert_eq!(recognise(b"\xef\xbb\xbf\n[1,2]"), Some(Lookalike::Json));
        assert_eq!(recognise(b"{\"a\":\"\xff\"}"), None, "not UTF-8");
        // `FFCE\x01` + nonce, base64 wrapped over lines, and hex in both cases.
        assert_eq!(
            recognise(b"RkZD\nRQE0\nMSIM\n"),
            Some(Lookalike::Base64Blob)
        );
        assert_eq!(recognise(b"RkZDRQE0MSIM=="), Some(Lookalike::Base64Blob));
        assert_eq!(recognise(b"46 46 43 45 01"), Some(Lookalike::HexBlob));
        assert_eq!(recognise(b"464643450A0b"), Some(Lookalike::HexBlob));
    }

    #[test]
    fn blobs_and_other_bytes_are_not_judged() {
        assert_eq!(recognise(b"FFCE"), None);
        assert_eq!(recognise(b"FFCE{\"a\":1}"), None);
        assert_eq!(recognise(b"FFCF\x01"), None);
        assert_eq!(recognise(b"hello"), None);
        assert_eq!(recognise(b"4646434"), None, "too short to hold the magic");
        assert_eq!(recognise(b"46464346aa"), None, "hex, but not of a blob");
        assert_eq!(recognise(b"46464345zz"), None, "not all hex");
        assert_eq!(recognise(b"RkZDRgE0"), None, "base64 of FFCF");
        assert_eq!(recognise(b"RkZDRQE0 !"), None, "not all base64");
        for n in 0..64u8 {
            let _ = recognise(&[n; 9]);
        }
    }
}

//! What the FireFly controller firmware will make of a blob and its plaintext, so a
//! tool can warn before a backup that "works" fails on the device (docs/SPEC.md §1, §4).
//!
//! Two firmware behaviours matter:
//! - It returns a decrypted backup as a C string, so a plaintext is cut at its first
//!   NUL byte on restore, and what it restores is its `/backup.json`: UTF-8 JSON.
//! - It accepts a blob with `plaintext_len == 0` without checking its tag, so a forged
//!   empty blob restores (nothing) on the device although it does not authenticate.

use alloc::vec::Vec;
use core::fmt;

use serde::de::IgnoredAny;

use crate::Header;
use crate::numbers::bytes;

/// True when the firmware would accept this blob without checking its tag: an empty
/// plaintext (docs/SPEC.md §1). This crate always checks it.
///
/// ```
/// use ffce_core::{Blob, Key, firmware};
///
/// let key = Key::from_bytes(&[7; 32]);
/// let empty = key.seal(b"").unwrap();
/// assert!(firmware::skips_tag_check(Blob::parse(&empty).unwrap().header()));
/// ```
pub fn skips_tag_check(header: &Header) -> bool {
    header.plaintext_len() == 0
}

/// Why the device would not restore a plaintext as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RestoreProblem {
    /// No bytes: nothing to restore.
    Empty,
    /// A NUL byte: the firmware's C string ends there.
    Nul {
        /// Offset of the first NUL byte, i.e. how many bytes the device keeps.
        offset: usize,
        /// Length of the whole plaintext.
        len: usize,
    },
    /// Not valid UTF-8.
    NotUtf8 {
        /// Offset of the first byte that is not part of valid UTF-8.
        offset: usize,
    },
    /// Valid UTF-8 without NUL bytes, but not a JSON document.
    NotJson,
}

impl RestoreProblem {
    /// A short, stable, machine-readable name: `empty_plaintext`, `nul_byte`,
    /// `not_utf8`, `not_json`.
    pub fn code(&self) -> &'static str {
        match self {
            RestoreProblem::Empty => "empty_plaintext",
            RestoreProblem::Nul { .. } => "nul_byte",
            RestoreProblem::NotUtf8 { .. } => "not_utf8",
            RestoreProblem::NotJson => "not_json",
        }
    }

    /// The byte offset the problem is at, when it has one.
    pub fn offset(&self) -> Option<usize> {
        match self {
            RestoreProblem::Nul { offset, .. } | RestoreProblem::NotUtf8 { offset } => {
                Some(*offset)
            }
            _ => None,
        }
    }
}

impl fmt::Display for RestoreProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RestoreProblem::Empty => {
                write!(f, "empty plaintext: the device has nothing to restore")
            }
            RestoreProblem::Nul { offset, len } => write!(
                f,
                "NUL byte at offset {offset}: the device reads the plaintext as a C string \
                 and cuts it there on restore (keeps {} of {})",
                crate::numbers::Grouped(*offset as u64),
                bytes(*len)
            ),
            RestoreProblem::NotUtf8 { offset } => write!(
                f,
                "not UTF-8 (invalid byte at offset {offset}): the device restores only UTF-8 JSON"
            ),
            RestoreProblem::NotJson => write!(
                f,
                "not JSON: the device restores only a JSON document (its /backup.json)"
            ),
        }
    }
}

/// Every reason the device would not restore `plaintext` as it is; empty when it would.
///
/// The JSON check runs only on UTF-8 without NUL bytes (otherwise the other problems
/// already say why). Only the document's syntax is checked, never its values.
///
/// ```
/// use ffce_core::firmware::{RestoreProblem, restore_problems};
///
/// assert!(restore_problems(br#"{"formatName":"dexie"}"#).is_empty());
/// assert_eq!(restore_problems(b"{}\0{}"), [RestoreProblem::Nul { offset: 2, len: 5 }]);
/// ```
pub fn restore_problems(plaintext: &[u8]) -> Vec<RestoreProblem> {
    let mut problems = byte_problems(plaintext);
    if problems.is_empty() && !is_json(plaintext) {
        problems.push(RestoreProblem::NotJson);
    }
    problems
}

/// [`restore_problems`] before the JSON check: empty, a NUL byte, not UTF-8.
pub(crate) fn byte_problems(plaintext: &[u8]) -> Vec<RestoreProblem> {
    let mut problems = Vec::new();
    if plaintext.is_empty() {
        problems.push(RestoreProblem::Empty);
        return problems;
    }
    if let Some(offset) = plaintext.iter().position(|&b| b == 0) {
        problems.push(RestoreProblem::Nul {
            offset,
            len: plaintext.len(),
        });
    }
    if let Err(e) = core::str::from_utf8(plaintext) {
        problems.push(RestoreProblem::NotUtf8 {
            offset: e.valid_up_to(),
        });
    }
    problems
}

/// [`restore_problems`]' JSON check: one document, its syntax only.
pub(crate) fn is_json(plaintext: &[u8]) -> bool {
    serde_json::from_slice::<IgnoredAny>(plaintext).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn what_the_device_restores() {
        assert_eq!(restore_problems(b"{\"a\":[1,2]}\n"), []);
        assert_eq!(restore_problems(b"[]"), []);
        assert_eq!(restore_problems(b""), [RestoreProblem::Empty]);
        assert_eq!(
            restore_problems(b"{\"a\":1}\0{}"),
            [RestoreProblem::Nul { offset: 7, len: 10 }]
        );
        assert_eq!(
            restore_problems(b"{\"n\":\"Caf\xe9\"}"),
            [RestoreProblem::NotUtf8 { offset: 9 }]
        );
        assert_eq!(restore_problems(b"hello"), [RestoreProblem::NotJson]);
        assert_eq!(
            restore_problems(b"{\"a\":1} trailing"),
            [RestoreProblem::NotJson]
        );
        let binary: Vec<u8> = (0..=255).collect();
        assert_eq!(
            restore_problems(&binary),
            [
                RestoreProblem::Nul {
                    offset: 0,
                    len: 256
                },
                RestoreProblem::NotUtf8 { offset: 128 }
            ]
        );
    }

    #[test]
    fn messages_name_the_offsets() {
        let m = RestoreProblem::Nul { offset: 7, len: 1 }.to_string();
        assert!(
            m.contains("offset 7") && m.contains("keeps 7 of 1 byte)"),
            "{m}"
        );
        let m = RestoreProblem::NotUtf8 { offset: 1234 }.to_string();
        assert!(m.contains("offset 1234"), "{m}");
        assert_eq!(RestoreProblem::Nul { offset: 3, len: 4 }.offset(), Some(3));
        assert_eq!(RestoreProblem::NotJson.offset(), None);
    }

    #[test]
    fn empty_blobs_skip_the_tag_check() {
        let key = crate::MasterSecret::from_bytes([1; 32]).derive(crate::Purpose::Backup);
        let empty = key.seal(b"").unwrap();
        let one = key.seal(b"x").unwrap();
        assert!(skips_tag_check(&Header::read(&empty).unwrap()));
        assert!(!skips_tag_check(&Header::read(&one).unwrap()));
    }
}

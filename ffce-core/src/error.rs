//! The one error type of `ffce-core`.
//!
//! Every failure the spec names (docs/SPEC.md §1, §3) has its own variant so callers can map
//! them to HTTP statuses or their own reports without parsing messages. Authentication failures
//! are deliberately a single opaque variant: telling a caller *which* byte was wrong would
//! hand an attacker an oracle.

use core::fmt;

use crate::header::{HEADER_LEN, MAGIC};
use crate::numbers::{Count, Grouped, bytes};

/// Everything that can go wrong while reading, validating, sealing or opening a blob.
///
/// Messages name the numbers involved (lengths, versions) but never key or plaintext bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The blob is shorter than the 37-byte header.
    TooShort {
        /// Length of the input in bytes.
        len: usize,
    },
    /// The first four bytes are not ASCII `FFCE`.
    BadMagic {
        /// The four bytes found instead.
        found: [u8; 4],
    },
    /// The version byte is not `0x01`, the only version that exists.
    UnsupportedVersion {
        /// The version byte found.
        version: u8,
    },
    /// The header's `plaintext_len` differs from the number of bytes after the header.
    LengthMismatch {
        /// `plaintext_len` as declared in the header.
        declared: u32,
        /// Bytes actually present after the header.
        actual: usize,
    },
    /// An upload body with no bytes at all (the cloud answers 400).
    Empty,
    /// An upload body over the cloud's limit (the cloud answers 413).
    TooLarge {
        /// Length of the body in bytes.
        len: usize,
        /// The limit, [`MAX_BLOB_LEN`](crate::upload::MAX_BLOB_LEN).
        max: usize,
    },
    /// The tag did not verify: wrong key, wrong purpose, or a modified blob.
    AuthenticationFailed,
    /// Key material of the wrong size was given.
    BadKeyLength {
        /// Bytes given.
        len: usize,
    },
    /// A plaintext that a 32-bit `plaintext_len` cannot describe.
    PlaintextTooLong {
        /// Length of the plaintext in bytes.
        len: usize,
    },
    /// A buffer handed to an in-place seal has no room for the header.
    NoRoomForHeader {
        /// Length of the buffer in bytes.
        len: usize,
    },
    /// The operating system could not supply random bytes for a nonce.
    RandomUnavailable,
}

impl Error {
    /// True when the blob itself is at fault: malformed, oversized or not authentic.
    ///
    /// Tells a bad blob (malformed, oversized, forged or sealed with another key) from
    /// misuse of the API or bad key material, e.g. to answer "the data is bad" rather
    /// than "the request is wrong".
    pub fn is_integrity_failure(&self) -> bool {
        matches!(
            self,
            Error::TooShort { .. }
                | Error::BadMagic { .. }
                | Error::UnsupportedVersion { .. }
                | Error::LengthMismatch { .. }
                | Error::Empty
                | Error::TooLarge { .. }
                | Error::AuthenticationFailed
        )
    }

    /// A short, stable, machine-readable name for the variant (used in JSON output and
    /// in the fixtures manifest).
    pub fn code(&self) -> &'static str {
        match self {
            Error::TooShort { .. } => "too_short",
            Error::BadMagic { .. } => "bad_magic",
            Error::UnsupportedVersion { .. } => "unsupported_version",
            Error::LengthMismatch { .. } => "length_mismatch",
            Error::Empty => "empty",
            Error::TooLarge { .. } => "too_large",
            Error::AuthenticationFailed => "authentication_failed",
            Error::BadKeyLength { .. } => "bad_key_length",
            Error::PlaintextTooLong { .. } => "plaintext_too_long",
            Error::NoRoomForHeader { .. } => "no_room_for_header",
            Error::RandomUnavailable => "random_unavailable",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::TooShort { len } => write!(
                f,
                "blob is {}, shorter than the {HEADER_LEN}-byte FFCE header",
                bytes(*len)
            ),
            Error::BadMagic { found } => {
                write!(f, "bad magic: expected ")?;
                write_escaped(f, &MAGIC)?;
                write!(f, ", found ")?;
                write_escaped(f, found)
            }
            Error::UnsupportedVersion { version } => write!(
                f,
                "unsupported FFCE version {version} (only version 1 exists)"
            ),
            Error::LengthMismatch { declared, actual } => {
                let how = if (*declared as usize) > *actual {
                    "truncated"
                } else {
                    "trailing bytes"
                };
                write!(
                    f,
                    "length mismatch ({how}): header declares {}, {} follow{} the header",
                    Count(u64::from(*declared), "plaintext byte"),
                    bytes(*actual),
                    if *actual == 1 { "s" } else { "" }
                )
            }
            Error::Empty => write!(f, "empty body: a backup must contain an FFCE blob"),
            Error::TooLarge { len, max } => {
                write!(
                    f,
                    "blob is {}, over the {}-byte upload limit",
                    bytes(*len),
                    Grouped(*max as u64)
                )
            }
            Error::AuthenticationFailed => write!(
                f,
                "authentication failed: wrong key or purpose, or the blob was modified"
            ),
            Error::BadKeyLength { len } => {
                write!(f, "key material is {}, expected exactly 32", bytes(*len))
            }
            Error::PlaintextTooLong { len } => write!(
                f,
                "plaintext is {}, more than a 32-bit length field can describe",
                bytes(*len)
            ),
            Error::NoRoomForHeader { len } => write!(
                f,
                "buffer is {}, it must start with {HEADER_LEN} bytes reserved for the header",
                bytes(*len)
            ),
            Error::RandomUnavailable => {
                write!(f, "the operating system could not supply random bytes")
            }
        }
    }
}

/// Writes bytes as `"FFCE"` when printable ASCII, as hex otherwise.
fn write_escaped(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    if bytes.iter().all(|b| b.is_ascii_graphic()) {
        f.write_str("\"")?;
        for &b in bytes {
            write!(f, "{}", b as char)?;
        }
        f.write_str("\"")
    } else {
        f.write_str("0x")?;
        for b in bytes {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

// `core::error::Error` (Rust 1.81, within the MSRV): the same trait as
// `std::error::Error`, so no_std builds get it too.
impl core::error::Error for Error {}

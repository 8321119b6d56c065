//! Parsing key material: the bytes of a key file (or of a key environment variable)
//! into 32 key bytes.
//!
//! The accepted forms: 64 hex digits (optionally after `0x`), standard base64 of 32
//! bytes, or exactly 32 raw bytes, with surrounding whitespace ignored. The parser is pure (bytes in,
//! key out, no I/O) so that a fuzz target and property tests can call it directly.
//!
//! Errors describe what was found (a length, an apparent encoding) and never contain any
//! of the input bytes: a near-miss key is still mostly a key.

use alloc::vec;
use core::fmt;

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use zeroize::Zeroizing;

use crate::keys::KEY_LEN;
use crate::numbers::{Count, bytes};

/// Inputs longer than this are rejected without decoding: no key encoding is anywhere
/// near it, and it keeps the work per call bounded.
const MAX_TEXT_LEN: usize = 1024;

/// Standard base64 alphabet; padding optional, because `base64 -w0 | tr -d =` style
/// inputs are common and unambiguous for 32 bytes (43 or 44 characters).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why some bytes are not key material. Describes the input, never shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyMaterialError {
    /// Nothing but whitespace (or nothing at all).
    Empty,
    /// Only hex digits, but not 64 of them.
    HexLength {
        /// How many hex digits were found.
        digits: usize,
    },
    /// Meant as hex (a `0x` prefix, or 64 characters nearly all hex digits), but this
    /// byte is not a hex digit. One stray character is not key material, so it is named.
    NotHex {
        /// The offending byte.
        byte: u8,
        /// Its position, counting from 1 after surrounding whitespace (a `0x` prefix
        /// counts).
        position: usize,
    },
    /// Valid base64, but it does not decode to 32 bytes.
    Base64Length {
        /// How many bytes it decodes to.
        decoded: usize,
    },
    /// Exactly 32 bytes, all of them printable text: almost certainly not a random
    /// raw key (a typed password, a truncated text key), so it is refused.
    TextNotRaw,
    /// Neither hex nor base64 (nor 32 raw bytes).
    Unrecognised {
        /// Length in bytes after trimming surrounding whitespace.
        len: usize,
        /// True when the input contains whitespace inside it (e.g. a key split over lines).
        inner_whitespace: bool,
    },
    /// Far longer than any key encoding.
    TooLong {
        /// Length in bytes.
        len: usize,
    },
}

impl fmt::Display for KeyMaterialError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let KeyMaterialError::NotHex { byte, position } = self {
            f.write_str("not hex: ")?;
            if byte.is_ascii_graphic() {
                write!(f, "character {:?}", *byte as char)?;
            } else {
                write!(f, "byte 0x{byte:02x}")?;
            }
            write!(f, " at position {position}")?;
            return f.write_str(EXPECTED);
        }
        f.write_str("found ")?;
        match self {
            KeyMaterialError::Empty => f.write_str("no key (empty or only whitespace)")?,
            KeyMaterialError::HexLength { digits } => {
                write!(f, "{}", Count(*digits as u64, "hex digit"))?
            }
            KeyMaterialError::Base64Length { decoded } => {
                write!(f, "base64 decoding to {}", bytes(*decoded))?
            }
            KeyMaterialError::TextNotRaw => f.write_str(
                "32 bytes of printable text (not hex or base64 of a key, \
                 and too regular to be 32 raw key bytes)",
            )?,
            KeyMaterialError::Unrecognised {
                len,
                inner_whitespace,
            } => {
                let verb = if *len == 1 { "is" } else { "are" };
                write!(f, "{} that {verb} neither hex nor base64", bytes(*len))?;
                if *inner_whitespace {
                    f.write_str(" (there is whitespace inside)")?;
                }
            }
            KeyMaterialError::TooLong { len } => {
                write!(f, "{}, far too long to be a key", bytes(*len))?
            }
            KeyMaterialError::NotHex { .. } => {}
        }
        f.write_str(EXPECTED)
    }
}

const EXPECTED: &str = "; expected 64 hex digits, base64 of 32 bytes, or exactly 32 raw bytes";

/// A 64-character input with at most this many non-hex characters is a hex key with
/// typos: random base64 of that length has about 42 of them.
const MAX_HEX_TYPOS: usize = 3;

impl core::error::Error for KeyMaterialError {}

/// Parses the contents of a key file.
///
/// Accepts, in this order:
/// 1. exactly 32 bytes (untrimmed) that are not all printable text → the raw key;
/// 2. after trimming ASCII whitespace, 64 hex digits (either case, optionally after
///    `0x` or `0X`) → decoded;
/// 3. after trimming, standard base64 (padding optional) of 32 bytes → decoded.
///
/// Raw keys are tried first and untrimmed because random key bytes often begin or end
/// with a byte that happens to be whitespace. A 32-byte input made only of printable
/// ASCII and whitespace is refused ([`KeyMaterialError::TextNotRaw`]): a random key looks
/// like that with probability about 10⁻¹⁴, while a typed password, 32 hex digits of a
/// 128-bit key or a truncated text key look like that every time.
///
/// ```
/// use ffce_core::key_material::parse_key_material;
///
/// let hex = b"  fa38e736ef4d08926fdf50970b942048c3c8c7cc49cbc9fb951b4a76e2333c0d\n";
/// assert_eq!(parse_key_material(hex).unwrap()[0], 0xfa);
/// let err = parse_key_material(&hex[..60]).unwrap_err();
/// assert!(err.to_string().starts_with("found 58 hex digits"));
/// ```
pub fn parse_key_material(bytes: &[u8]) -> Result<Zeroizing<[u8; KEY_LEN]>, KeyMaterialError> {
    if bytes.len() == KEY_LEN {
        if bytes.iter().all(|b| is_text_byte(*b)) {
            // Text of 32 bytes: still report the most useful description of it.
            return match parse_text(bytes) {
                Ok(key) => Ok(key),
                Err(KeyMaterialError::Unrecognised { .. }) => Err(KeyMaterialError::TextNotRaw),
                Err(e) => Err(e),
            };
        }
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        key.copy_from_slice(bytes);
        return Ok(key);
    }
    parse_text(bytes)
}

/// Parses key material given as text (an environment variable): hex or base64 only,
/// never raw bytes, with surrounding whitespace ignored.
///
/// ```
/// use ffce_core::key_material::parse_key_text;
///
/// assert_eq!(*parse_key_text(format!(" {}\n", "11".repeat(32)).as_bytes()).unwrap(), [0x11; 32]);
/// assert!(parse_key_text(&[0x11; 32]).is_err(), "raw bytes are not text");
/// ```
pub fn parse_key_text(bytes: &[u8]) -> Result<Zeroizing<[u8; KEY_LEN]>, KeyMaterialError> {
    parse_text(bytes)
}

/// True when `bytes` (e.g. a value given where a file name was expected) would parse as
/// text key material: a message about such a value must not echo it.
///
/// ```
/// use ffce_core::key_material::looks_like_key_text;
///
/// assert!(looks_like_key_text("11".repeat(32).as_bytes()));
/// assert!(!looks_like_key_text(b"keys/device.key"));
/// ```
pub fn looks_like_key_text(bytes: &[u8]) -> bool {
    parse_text(bytes).is_ok()
}

fn is_text_byte(b: u8) -> bool {
    b.is_ascii_graphic() || b.is_ascii_whitespace()
}

fn parse_text(bytes: &[u8]) -> Result<Zeroizing<[u8; KEY_LEN]>, KeyMaterialError> {
    let text = bytes.trim_ascii();
    if text.is_empty() {
        return Err(KeyMaterialError::Empty);
    }
    if text.len() > MAX_TEXT_LEN {
        return Err(KeyMaterialError::TooLong { len: text.len() });
    }
    // `0x` is how C and Python print bytes; only hex can follow it (base64 that happens
    // to start with `0x` is still tried below).
    let (digits, prefix) = match text {
        [b'0', b'x' | b'X', rest @ ..] => (rest, 2),
        _ => (text, 0),
    };
    if digits.len() == 2 * KEY_LEN && digits.iter().all(u8::is_ascii_hexdigit) {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        // Cannot fail: 64 hex digits, checked above.
        hex::decode_to_slice(digits, &mut key[..]).map_err(|_| KeyMaterialError::HexLength {
            digits: digits.len(),
        })?;
        return Ok(key);
    }
    let all_hex = text.iter().all(u8::is_ascii_hexdigit);
    // Base64 of 32 bytes is 43 characters (44 with padding); decode into a buffer big
    // enough for anything up to MAX_TEXT_LEN so the error can say what it decodes to.
    let mut decoded = Zeroizing::new(vec![0u8; MAX_TEXT_LEN]);
    let base64_len = BASE64.decode_slice(text, &mut decoded[..]).ok();
    if base64_len == Some(KEY_LEN) && !all_hex {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        key.copy_from_slice(&decoded[..KEY_LEN]);
        return Ok(key);
    }
    // Meant as hex: say which character is wrong rather than what it decodes to as
    // base64 (64 characters of hex with a typo are valid base64 of 48 bytes).
    let first_typo = digits.iter().position(|b| !b.is_ascii_hexdigit());
    let typos = digits.iter().filter(|b| !b.is_ascii_hexdigit()).count();
    if prefix > 0 || (digits.len() == 2 * KEY_LEN && typos <= MAX_HEX_TYPOS) {
        return Err(match first_typo {
            Some(at) => KeyMaterialError::NotHex {
                byte: digits[at],
                position: prefix + at + 1,
            },
            None => KeyMaterialError::HexLength {
                digits: digits.len(),
            },
        });
    }
    if let Some(n) = base64_len {
        if !all_hex {
            return Err(KeyMaterialError::Base64Length { decoded: n });
        }
    }
    if all_hex {
        return Err(KeyMaterialError::HexLength { digits: text.len() });
    }
    Err(KeyMaterialError::Unrecognised {
        len: text.len(),
        inner_whitespace: text.iter().any(u8::is_ascii_whitespace),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose;

    const KEY_HEX: &str = "fa38e736ef4d08926fdf50970b942048c3c8c7cc49cbc9fb951b4a76e2333c0d";

    fn key() -> [u8; 32] {
        let mut k = [0u8; 32];
        hex::decode_to_slice(KEY_HEX, &mut k).unwrap();
        k
    }

    fn b64(bytes: &[u8]) -> String {
        general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn hex_either_case_with_whitespace() {
        assert_eq!(*parse_key_material(KEY_HEX.as_bytes()).unwrap(), key());
        let upper = format!("\t {}\r\n\n", KEY_HEX.to_uppercase());
        assert_eq!(*parse_key_material(upper.as_bytes()).unwrap(), key());
    }

    #[test]
    fn base64_padded_and_unpadded() {
        let padded = b64(&key());
        assert_eq!(padded.len(), 44);
        assert_eq!(*parse_key_material(padded.as_bytes()).unwrap(), key());
        let unpadded = format!("{}\n", padded.trim_end_matches('='));
        assert_eq!(*parse_key_material(unpadded.as_bytes()).unwrap(), key());
    }

    #[test]
    fn raw_bytes_even_with_whitespace_at_the_ends() {
        let mut raw = key();
        raw[0] = b' ';
        raw[31] = b'\n';
        assert_eq!(*parse_key_material(&raw).unwrap(), raw);
        assert_eq!(*parse_key_material(&key()).unwrap(), key());
    }

    #[test]
    fn hex_after_0x() {
        assert_eq!(
            *parse_key_material(format!("0x{KEY_HEX}").as_bytes()).unwrap(),
            key()
        );
        let upper = format!(" 0X{}\n", KEY_HEX.to_uppercase());
        assert_eq!(*parse_key_text(upper.as_bytes()).unwrap(), key());
        // Base64 of a key that happens to start with `0x` is still base64.
        let mut k = [0u8; 32];
        k[0] = 0xd3; // the 6-bit values 52 ('0') and 49 ('x')
        k[1] = 0x10;
        let b = b64(&k);
        assert!(b.starts_with("0x"), "{b}");
        assert_eq!(*parse_key_text(b.as_bytes()).unwrap(), k);
    }

    #[test]
    fn a_bad_hex_digit_is_named_with_its_position() {
        let mut bad = KEY_HEX.to_string();
        bad.replace_range(16..17, "g");
        let err = parse_key_material(bad.as_bytes()).unwrap_err();
        assert_eq!(
            err,
            KeyMaterialError::NotHex {
                byte: b'g',
                position: 17
            }
        );
        assert!(
            err.to_string()
                .starts_with("not hex: character 'g' at position 17; expected 64 hex digits"),
            "{err}"
        );
        // After 0x, positions count the prefix; a non-printable byte is shown as a number.
        let mut bad = format!("0x{KEY_HEX}").into_bytes();
        bad[5] = 0x07;
        let err = parse_key_text(&bad).unwrap_err().to_string();
        assert!(
            err.starts_with("not hex: byte 0x07 at position 6;"),
            "{err}"
        );
        // 0x and too few digits: a length, not base64.
        let err = parse_key_text(format!("0x{}", &KEY_HEX[..62]).as_bytes()).unwrap_err();
        assert_eq!(err, KeyMaterialError::HexLength { digits: 62 });
        // Three typos are still hex; 64 characters of real base64 are not.
        let mut bad = KEY_HEX.to_string();
        bad.replace_range(0..1, "z");
        bad.replace_range(30..31, "-");
        bad.replace_range(63..64, "q");
        let err = parse_key_text(bad.as_bytes()).unwrap_err();
        assert!(
            matches!(
                err,
                KeyMaterialError::NotHex {
                    byte: b'z',
                    position: 1
                }
            ),
            "{err:?}"
        );
        let err = parse_key_text(b64(&[7u8; 48]).as_bytes()).unwrap_err();
        assert_eq!(err, KeyMaterialError::Base64Length { decoded: 48 });
    }

    #[test]
    fn raw_is_not_accepted_from_text_sources() {
        assert!(parse_key_text(&key()).is_err());
    }

    #[test]
    fn errors_describe_the_input() {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (KEY_HEX.as_bytes()[..62].to_vec(), "found 62 hex digits"),
            (format!("{KEY_HEX}00").into_bytes(), "found 66 hex digits"),
            (
                b64(&[7u8; 31]).into_bytes(),
                "found base64 decoding to 31 bytes",
            ),
            (
                b64(&[7u8; 33]).into_bytes(),
                "found base64 decoding to 33 bytes",
            ),
            (
                vec![b'!'; 45],
                "found 45 bytes that are neither hex nor base64",
            ),
            (b"   \n\t".to_vec(), "found no key"),
            (Vec::new(), "found no key"),
            (vec![b'a'; 5000], "found 5,000 bytes, far too long"),
            (KEY_HEX.as_bytes()[..32].to_vec(), "found 32 hex digits"),
            (
                b"correct horse battery staple 123".to_vec(),
                "found 32 bytes of printable text",
            ),
            (
                format!("{}\n{}", &KEY_HEX[..30], &KEY_HEX[30..]).into_bytes(),
                "(there is whitespace inside)",
            ),
        ];
        for (input, want) in cases {
            let err = parse_key_material(&input).unwrap_err().to_string();
            assert!(err.contains(want), "{err:?} should contain {want:?}");
            assert!(err.contains("expected 64 hex digits"), "{err}");
        }
    }

    #[test]
    fn errors_never_contain_the_input() {
        let near_misses = [
            KEY_HEX[..63].to_string(),
            format!("{KEY_HEX}ab"),
            b64(&key()[..31]),
            format!("{}!", &KEY_HEX[..44]),
        ];
        for input in near_misses {
            let err = parse_key_material(input.as_bytes()).unwrap_err();
            let shown = format!("{err} {err:?}");
            // No 8-character window of the input appears in the message.
            for window in input.as_bytes().windows(8) {
                let w = std::str::from_utf8(window).unwrap();
                assert!(!shown.contains(w), "{shown:?} leaks {w:?}");
            }
        }
    }

    #[test]
    fn looks_like_key_text_matches_parse() {
        assert!(looks_like_key_text(KEY_HEX.as_bytes()));
        assert!(looks_like_key_text(b64(&key()).as_bytes()));
        assert!(!looks_like_key_text(b"/etc/ffce/device.key"));
    }

    mod props {
        use super::super::*;
        use base64::engine::general_purpose;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
                let _ = parse_key_material(&bytes);
                let _ = parse_key_text(&bytes);
            }

            #[test]
            fn never_panics_on_text(s in "[0-9a-zA-Z+/= \\n\\t]{0,100}") {
                let _ = parse_key_material(s.as_bytes());
            }

            #[test]
            fn round_trips(key in proptest::array::uniform32(any::<u8>())) {
                let hex = hex::encode(key);
                prop_assert_eq!(*parse_key_material(hex.as_bytes()).unwrap(), key);
                let b = general_purpose::STANDARD.encode(key);
                prop_assert_eq!(*parse_key_material(format!(" {b}\n").as_bytes()).unwrap(), key);
                // Raw: accepted unless all 32 bytes are printable text.
                if !key.iter().all(|b| is_text_byte(*b)) {
                    prop_assert_eq!(*parse_key_material(&key).unwrap(), key);
                }
            }
        }
    }
}

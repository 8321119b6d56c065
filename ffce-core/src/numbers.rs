//! How numbers read in messages: digits grouped in threes (`524,288`) and byte counts
//! with the right plural (`1 byte`, `5,729 bytes`). Used by [`Error`](crate::Error)'s
//! messages and the content summary, and public so that tools built on this crate
//! write their numbers the same way.
//!
//! Display wrappers rather than functions returning `String`, so that `Error`'s
//! `Display` works without allocating (this crate is `no_std`).

use core::fmt;

/// Writes `n` with its digits grouped in threes: `1234567` → `1,234,567`.
///
/// ```
/// assert_eq!(ffce_core::numbers::Grouped(524_288).to_string(), "524,288");
/// assert_eq!(ffce_core::numbers::Grouped(999).to_string(), "999");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grouped(pub u64);

impl fmt::Display for Grouped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // u64::MAX has 20 digits.
        let mut digits = [0u8; 20];
        let mut n = self.0;
        let mut len = 0;
        loop {
            digits[len] = b'0' + (n % 10) as u8;
            len += 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        for i in (0..len).rev() {
            write!(f, "{}", digits[i] as char)?;
            if i > 0 && i % 3 == 0 {
                f.write_str(",")?;
            }
        }
        Ok(())
    }
}

/// Writes a count of things, grouped, with the noun in the singular for exactly one:
/// `Count(1, "byte")` → `1 byte`, `Count(5729, "byte")` → `5,729 bytes`. The plural
/// adds an `s` to the last word, so a phrase works too (`"plaintext byte"`).
///
/// ```
/// use ffce_core::numbers::Count;
///
/// assert_eq!(Count(1, "byte").to_string(), "1 byte");
/// assert_eq!(Count(5_729, "plaintext byte").to_string(), "5,729 plaintext bytes");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Count(pub u64, pub &'static str);

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Count(n, noun) = *self;
        write!(f, "{} {noun}{}", Grouped(n), if n == 1 { "" } else { "s" })
    }
}

/// `Count(n, "byte")` for a length.
///
/// ```
/// assert_eq!(ffce_core::numbers::bytes(524_288).to_string(), "524,288 bytes");
/// ```
pub fn bytes(n: usize) -> Count {
    Count(n as u64, "byte")
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn grouping() {
        for (n, s) in [
            (0, "0"),
            (7, "7"),
            (999, "999"),
            (1_000, "1,000"),
            (524_288, "524,288"),
            (1_234_567_890, "1,234,567,890"),
            (u64::MAX, "18,446,744,073,709,551,615"),
        ] {
            assert_eq!(Grouped(n).to_string(), s);
        }
    }

    #[test]
    fn plurals() {
        assert_eq!(bytes(0).to_string(), "0 bytes");
        assert_eq!(bytes(1).to_string(), "1 byte");
        assert_eq!(bytes(2).to_string(), "2 bytes");
        assert_eq!(Count(1, "plaintext byte").to_string(), "1 plaintext byte");
        assert_eq!(
            Count(4096, "plaintext byte").to_string(),
            "4,096 plaintext bytes"
        );
    }
}

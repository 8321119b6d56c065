//! Reading a whole file or stream, but never more than a limit: the one bounded reader
//! behind every key file (`DIR/{uuid}.key`, the CLI's key flags) and every input a
//! command reads whole.
//!
//! The reader stops one byte past the limit (which tells "exactly the limit" from
//! "more"), so an endless stream is refused rather than buffered, and the buffer grows
//! without leaving copies behind: every buffer it outgrows is wiped, so the result may
//! hold a secret.

use std::io::{self, Read};

use zeroize::Zeroizing;

/// Key files larger than this are refused (a regular file without being read, a stream
/// after this many bytes): every accepted encoding of a 32-byte key, with generous
/// whitespace, is far smaller.
pub const MAX_KEY_FILE_LEN: u64 = 4096;

/// What a bounded read found.
#[derive(Debug)]
pub enum Bounded {
    /// The whole input, at most the limit, in a buffer wiped on drop.
    Within(Zeroizing<Vec<u8>>),
    /// More than the limit; what was read is wiped.
    TooLong,
}

/// Reads `reader` to its end, but never more than one byte past `max`. `hint` is the
/// expected length (a file's size), to allocate once.
///
/// ```
/// use ffce_store::bounded::{Bounded, MAX_KEY_FILE_LEN, read_at_most};
///
/// let key_file = "11".repeat(32);
/// match read_at_most(key_file.as_bytes(), MAX_KEY_FILE_LEN, 64).unwrap() {
///     Bounded::Within(bytes) => assert_eq!(bytes.len(), 64), // wiped on drop
///     Bounded::TooLong => unreachable!(),
/// }
/// let endless = std::io::repeat(b' ');
/// assert!(matches!(read_at_most(endless, MAX_KEY_FILE_LEN, 64).unwrap(), Bounded::TooLong));
/// ```
pub fn read_at_most(reader: impl Read, max: u64, hint: usize) -> io::Result<Bounded> {
    let buf = read_all(reader.take(max.saturating_add(1)), hint)?;
    if buf.len() as u64 > max {
        return Ok(Bounded::TooLong);
    }
    Ok(Bounded::Within(buf))
}

/// Reads to the end into a buffer that wipes every allocation it outgrows.
fn read_all(mut reader: impl Read, hint: usize) -> io::Result<Zeroizing<Vec<u8>>> {
    let mut buf = Zeroizing::new(Vec::with_capacity(hint));
    let mut chunk = Zeroizing::new(vec![0u8; 64 * 1024]);
    loop {
        let n = match reader.read(&mut chunk[..]) {
            Ok(0) => return Ok(buf),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.capacity() - buf.len() < n {
            let wanted = buf
                .len()
                .saturating_add(n)
                .max(buf.capacity().saturating_mul(2));
            let mut bigger = Zeroizing::new(Vec::with_capacity(wanted));
            bigger.extend_from_slice(&buf);
            buf = bigger; // the old buffer is wiped as it drops
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_one_byte_past_the_limit() {
        match read_at_most(&[7u8; 10][..], 10, 0).unwrap() {
            Bounded::Within(b) => assert_eq!(&b[..], &[7u8; 10]),
            Bounded::TooLong => panic!("exactly the limit is within it"),
        }
        // An endless stream is refused, not read to its (never) end.
        assert!(matches!(
            read_at_most(io::repeat(0), 10, 0).unwrap(),
            Bounded::TooLong
        ));
    }

    #[test]
    fn grows_past_the_hint() {
        let data: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
        match read_at_most(&data[..], 1 << 20, 10).unwrap() {
            Bounded::Within(b) => assert_eq!(&b[..], &data[..]),
            Bounded::TooLong => panic!("within the limit"),
        }
    }
}

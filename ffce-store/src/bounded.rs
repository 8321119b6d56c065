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

/// At most this much of the buffer's spare room is offered to one `read`.
const READ_WINDOW: usize = 64 * 1024;

/// Reads to the end into a buffer that wipes every allocation it outgrows. Each read
/// goes straight into the buffer's spare room, so there is no second buffer to wipe:
/// a 65-byte key file costs a wipe of its own small buffer, not of a 64 KiB chunk.
fn read_all(mut reader: impl Read, hint: usize) -> io::Result<Zeroizing<Vec<u8>>> {
    // One byte past the hint, so that reading a file of exactly the size announced
    // finds its end without growing.
    let mut buf = Zeroizing::new(Vec::with_capacity(hint.saturating_add(1).max(64)));
    loop {
        if buf.len() == buf.capacity() {
            let mut bigger = Zeroizing::new(Vec::with_capacity(buf.capacity().saturating_mul(2)));
            bigger.extend_from_slice(&buf);
            buf = bigger; // the old buffer is wiped as it drops
        }
        let filled = buf.len();
        // Within the capacity: no reallocation; the bytes past what is read are cut
        // again below (the wipe on drop covers the whole capacity).
        let window = (buf.capacity() - filled).min(READ_WINDOW);
        buf.resize(filled + window, 0);
        let read = reader.read(&mut buf[filled..]);
        buf.truncate(filled + *read.as_ref().unwrap_or(&0));
        match read {
            Ok(0) => return Ok(buf),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
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

    /// A reader that hands out at most 3 bytes per call, and is interrupted before each.
    struct Trickle<'a>(&'a [u8], bool);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            self.1 = !self.1;
            if self.1 {
                return Err(io::ErrorKind::Interrupted.into());
            }
            let n = self.0.len().min(3).min(out.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn short_and_interrupted_reads_lose_nothing() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
        for hint in [0, 999, 1000, 5000] {
            match read_at_most(Trickle(&data, false), 1000, hint).unwrap() {
                Bounded::Within(b) => assert_eq!(&b[..], &data[..], "hint {hint}"),
                Bounded::TooLong => panic!("exactly the limit is within it"),
            }
            assert!(matches!(
                read_at_most(Trickle(&data, false), 999, hint).unwrap(),
                Bounded::TooLong
            ));
        }
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

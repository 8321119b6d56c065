//! The bucket's key space cut into spans that can be listed at the same time.
//!
//! A listing request returns at most one page (1,000 keys on S3), and the next page
//! can only be asked for with the token of the one before: one listing of a million
//! keys is a thousand round trips, one after the other. Object keys start with a device
//! UUID (docs/SPEC.md §5), whose first hex digit spreads them evenly over sixteen
//! prefixes, `0` to `f`, each of which can be paginated on its own at the same time.
//!
//! Keys outside the layout (`README`, an uppercase UUID, `_x`, anything) must still be
//! seen, exactly once: three more spans own the keys whose first character is before
//! `0`, between `9` and `a`, and after `f`. A span that is not a prefix is listed from
//! just past the digit before it (`start-after`) and stops at the first key past its
//! end; the keys it is handed that another span owns (only absurd ones such as `9~x`
//! can be) are dropped, so every key belongs to exactly one span whatever the server
//! returns in order.

/// How far a whole-store listing may run ahead of its reader
/// ([`Store::list_pages`](crate::Store::list_pages)).
///
/// Each span has at most one request in flight and one page its reader has not taken
/// yet, so the spans listed at once are what the listing holds in memory: about a
/// megabyte per 1,000-key page between the response and its parsed form.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ffce_store::{ListPace, MemoryStore, Store};
/// use futures_util::StreamExt as _;
///
/// let store = MemoryStore::new();
/// let mut pages = store.list_pages(ListPace::Feeding { reads: 128 });
/// let mut keys = 0;
/// while let Some(page) = pages.next().await {
///     keys += page?.len();
/// }
/// assert_eq!(keys, 0);
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListPace {
    /// As fast as the store can list (a listing shown whole): on S3, all nineteen spans
    /// at once.
    Fastest,
    /// Just fast enough to keep this many reads in flight busy (an audit): on S3, one
    /// span at a time for every 32 reads (4 at 128).
    ///
    /// Why 32: a listing page brings up to 1,000 keys per round trip, which 32 reads
    /// take more than ten GET round trips to get through; so the reads never wait on
    /// the listing, and the listing's memory follows the audit's concurrency, not the
    /// fleet's size. Measured (benches/fleet.sh's server, 128 reads in flight, the
    /// listing on its own connections): the same audit rate with 4 spans at once as
    /// with all 19, and a peak RSS of an audit streaming its findings at 100,000 objects of 26.8 MiB
    /// against 25.2 at 10,000; all 19 at once gave 34.6 against 26.5. In a fleet of
    /// more than 19,000 keys every span's page is full, and nineteen were in memory.
    Feeding {
        /// The reads the listing feeds.
        reads: usize,
    },
}

impl ListPace {
    /// How many of the nineteen spans are listed at the same time.
    pub(crate) fn spans_at_once(self) -> usize {
        match self {
            ListPace::Fastest => SPANS,
            ListPace::Feeding { reads } => reads.div_ceil(32).clamp(1, SPANS),
        }
    }
}

/// The number of spans: sixteen hex digits and three gaps.
const SPANS: usize = 19;

/// One part of the key space, listed by its own chain of pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Span {
    /// The keys that start with this (lowercase hex) character: a prefix listing.
    Digit(char),
    /// The keys whose first character is at least `from` (when given) and below
    /// `below` (when given).
    Gap {
        from: Option<char>,
        below: Option<char>,
    },
}

/// The nineteen spans: the sixteen hex digits and the three gaps around them.
pub(crate) fn spans() -> Vec<Span> {
    let mut spans: Vec<Span> = "0123456789abcdef".chars().map(Span::Digit).collect();
    spans.extend([
        Span::Gap {
            from: None,
            below: Some('0'),
        },
        Span::Gap {
            from: Some(':'),
            below: Some('a'),
        },
        Span::Gap {
            from: Some('g'),
            below: None,
        },
    ]);
    spans
}

impl Span {
    /// The listing's `prefix`.
    pub(crate) fn prefix(self) -> Option<String> {
        match self {
            Span::Digit(c) => Some(c.to_string()),
            Span::Gap { .. } => None,
        }
    }

    /// The listing's `start-after`: past every key that starts with the character
    /// before `from` (`~` is above every character a UUID key has there; the rare key
    /// above it is dropped by [`owns`](Self::owns)).
    pub(crate) fn start_after(self) -> Option<String> {
        match self {
            Span::Gap { from: Some(c), .. } => {
                let before = char::from_u32(u32::from(c) - 1).unwrap_or(c);
                Some(format!("{before}~"))
            }
            _ => None,
        }
    }

    /// Whether `key` belongs to this span.
    pub(crate) fn owns(self, key: &str) -> bool {
        let Some(first) = key.chars().next() else {
            return false;
        };
        match self {
            Span::Digit(c) => first == c,
            Span::Gap { from, below } => {
                from.is_none_or(|f| first >= f) && below.is_none_or(|b| first < b)
            }
        }
    }

    /// Whether `key` and every key after it in listing order are past this span, so
    /// that its listing can stop. (Listings are in UTF-8 byte order, the order of
    /// `str`'s comparison.)
    pub(crate) fn is_past(self, key: &str) -> bool {
        match self {
            Span::Digit(_) => false,
            Span::Gap { below, .. } => below.is_some_and(|b| key.chars().next() >= Some(b)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys inside and outside the layout, and the awkward ones at the edges.
    const KEYS: &[&str] = &[
        "3f2504e0-4f89-41d3-9a0c-0305e82c3301/backup.ffce",
        "f0000000-0000-4000-8000-000000000000",
        "0",
        "9",
        "9~x",
        "9\u{7f}",
        "9\u{10ffff}",
        ":",
        "@",
        "ABCDEF00-0000-4000-8000-000000000000/backup.ffce",
        "README",
        "_x",
        "`",
        "a",
        "f",
        "f~",
        "g",
        "z/y",
        "~",
        "\u{7f}",
        "é",
        "\u{10ffff}",
        " ",
        "!",
        "-x",
        ".hidden",
        "/",
    ];

    /// Every key belongs to exactly one span.
    #[test]
    fn every_key_has_exactly_one_span() {
        for key in KEYS {
            let owners: Vec<Span> = spans().into_iter().filter(|s| s.owns(key)).collect();
            assert_eq!(owners.len(), 1, "{key:?}: {owners:?}");
        }
        assert_eq!(spans().len(), SPANS);
    }

    #[test]
    fn an_audit_lists_one_span_at_a_time_per_32_reads() {
        let at_once = |reads| ListPace::Feeding { reads }.spans_at_once();
        assert_eq!(ListPace::Fastest.spans_at_once(), 19);
        assert_eq!(
            [at_once(0), at_once(1), at_once(32), at_once(33)],
            [1, 1, 1, 2]
        );
        assert_eq!([at_once(128), at_once(608), at_once(10_000)], [4, 19, 19]);
    }

    /// A span's listing starts at or before every key it owns and stops only after
    /// all of them: a sorted listing from `start-after` (or the prefix), cut at the
    /// first key past the span, holds every key the span owns.
    #[test]
    fn a_span_listing_sees_every_key_it_owns() {
        let mut sorted: Vec<&str> = KEYS.to_vec();
        sorted.sort();
        for span in spans() {
            let listed: Vec<&str> = sorted
                .iter()
                .copied()
                .filter(|k| span.prefix().is_none_or(|p| k.starts_with(&p)))
                .filter(|k| span.start_after().is_none_or(|s| *k > s.as_str()))
                .take_while(|k| !span.is_past(k))
                .filter(|k| span.owns(k))
                .collect();
            let owned: Vec<&str> = sorted.iter().copied().filter(|k| span.owns(k)).collect();
            assert_eq!(listed, owned, "{span:?}");
        }
    }
}

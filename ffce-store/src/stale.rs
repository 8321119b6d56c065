//! Devices that stopped backing up: a cut-off time ([`Cutoff`]) that says whether a
//! backup's last-modified time is older.
//!
//! A controller writes a backup about once a day (docs/SPEC.md §2), so a latest backup
//! weeks old is the first sign of a broken device. How the cut-off is written (an age,
//! a date) is the caller's business; the library takes a `Duration` or a `SystemTime`.

use std::time::{Duration, SystemTime};

/// "Last modified before this time": the test a stale backup fails.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use ffce_store::stale::Cutoff;
///
/// let now = SystemTime::now();
/// let cutoff = Cutoff::older_than(Duration::from_secs(30 * 86_400), now);
/// assert!(cutoff.is_stale(Some(now - Duration::from_secs(31 * 86_400))));
/// assert!(!cutoff.is_stale(Some(now - Duration::from_secs(86_400))));
/// assert!(!cutoff.is_stale(None), "an unknown time is not stale");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cutoff {
    /// `None`: before the earliest time there is, so nothing is stale.
    before: Option<SystemTime>,
}

impl Cutoff {
    /// Older than `age` as of `now` (a caller auditing a fleet takes `now` once, so
    /// every device is judged against the same moment).
    pub fn older_than(age: Duration, now: SystemTime) -> Cutoff {
        Cutoff {
            before: now.checked_sub(age),
        }
    }

    /// Last modified before `time`.
    pub fn before(time: SystemTime) -> Cutoff {
        Cutoff { before: Some(time) }
    }

    /// The cut-off time, if there is one.
    pub fn time(&self) -> Option<SystemTime> {
        self.before
    }

    /// Whether a backup last modified at `last_modified` is older than the cut-off
    /// (strictly). An unknown time is not stale, and neither is one in the future
    /// (clock skew).
    pub fn is_stale(&self, last_modified: Option<SystemTime>) -> bool {
        matches!((last_modified, self.before), (Some(t), Some(before)) if t < before)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_means_strictly_older() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let cutoff = Cutoff::older_than(Duration::from_secs(3_600), now);
        let ago = |s| Some(now - Duration::from_secs(s));
        assert!(cutoff.is_stale(ago(3_601)));
        assert!(!cutoff.is_stale(ago(3_600)));
        assert!(!cutoff.is_stale(ago(0)));
        assert!(!cutoff.is_stale(Some(now + Duration::from_secs(60))));
        assert!(!cutoff.is_stale(None));
        // An age longer than the clock has run: nothing is stale.
        let forever = Cutoff::older_than(Duration::MAX, now);
        assert_eq!(forever.time(), None);
        assert!(!forever.is_stale(Some(SystemTime::UNIX_EPOCH)));
        let at = Cutoff::before(now);
        assert!(at.is_stale(ago(1)) && !at.is_stale(ago(0)));
    }
}

//! Devices that stopped backing up: an age such as `30d` ([`Age`]) and the cut-off it
//! makes relative to now ([`Cutoff`]), which says whether a backup's last-modified
//! time is older.
//!
//! A controller writes a backup about once a day (FFCE-SPEC §2), so a latest backup
//! weeks old is the first sign of a broken device. The ages are the short forms people
//! type (`45s`, `90m`, `12h`, `30d`, `2w`, or several at once, `1d12h`); no month or
//! year, whose length is not fixed.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

/// The units an [`Age`] is written in, largest first, with their seconds.
const UNITS: [(char, u64); 5] = [
    ('w', 7 * 86_400),
    ('d', 86_400),
    ('h', 3_600),
    ('m', 60),
    ('s', 1),
];

/// A duration as people write it, e.g. `30d` or `1d12h`; whole seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Age(Duration);

/// Why a text is not an [`Age`]. Its message names what was wrong and the forms
/// expected; the caller adds the text itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgeError(String);

impl fmt::Display for AgeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}; expected a number and a unit (s, m, h, d or w), e.g. 30d, 12h, 90m, 45s or 1d12h",
            self.0
        )
    }
}

impl std::error::Error for AgeError {}

impl Age {
    /// An age of `duration` (fractions of a second are dropped).
    pub fn new(duration: Duration) -> Age {
        Age(Duration::from_secs(duration.as_secs()))
    }

    /// The duration.
    pub fn duration(self) -> Duration {
        self.0
    }
}

impl FromStr for Age {
    type Err = AgeError;

    fn from_str(text: &str) -> Result<Age, AgeError> {
        if text.is_empty() {
            return Err(AgeError("empty".to_string()));
        }
        let mut total: u64 = 0;
        let mut number: Option<u64> = None;
        for c in text.chars() {
            if let Some(d) = c.to_digit(10) {
                let n = number.unwrap_or(0);
                number = Some(
                    n.checked_mul(10)
                        .and_then(|n| n.checked_add(u64::from(d)))
                        .ok_or_else(|| AgeError("too long".to_string()))?,
                );
            } else if let Some((_, secs)) = UNITS.iter().find(|(u, _)| *u == c) {
                let n = number
                    .take()
                    .ok_or_else(|| AgeError(format!("unit `{c}` without a number before it")))?;
                total = n
                    .checked_mul(*secs)
                    .and_then(|s| total.checked_add(s))
                    .ok_or_else(|| AgeError("too long".to_string()))?;
            } else {
                return Err(AgeError(format!("unexpected {c:?}")));
            }
        }
        if number.is_some() {
            return Err(AgeError("a number without a unit at the end".to_string()));
        }
        Ok(Age(Duration::from_secs(total)))
    }
}

impl fmt::Display for Age {
    /// In the largest unit that divides it exactly: `120m` is shown as `2h`, `90m`
    /// stays `90m`, `1d12h` is `36h`; zero is `0s`. Parsing the text gives the same age.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.as_secs();
        let (unit, size) = UNITS
            .iter()
            .find(|(_, size)| secs % size == 0 && secs >= *size)
            .unwrap_or(&('s', 1));
        write!(f, "{}{unit}", secs / size)
    }
}

/// "Older than `age`, as of `now`": the test a stale backup fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cutoff {
    age: Age,
    now: SystemTime,
}

impl Cutoff {
    /// Older than `age` as of `now` (a caller auditing a fleet takes `now` once, so
    /// every device is judged against the same moment).
    pub fn new(age: Age, now: SystemTime) -> Cutoff {
        Cutoff { age, now }
    }

    /// The age.
    pub fn age(&self) -> Age {
        self.age
    }

    /// Whether a backup last modified at `last_modified` is older than the age. An
    /// unknown time, or one in the future (clock skew), is not stale.
    pub fn is_stale(&self, last_modified: Option<SystemTime>) -> bool {
        last_modified
            .and_then(|t| self.now.duration_since(t).ok())
            .is_some_and(|elapsed| elapsed > self.age.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(text: &str) -> Result<u64, String> {
        text.parse::<Age>()
            .map(|a| a.duration().as_secs())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn ages_people_write() {
        assert_eq!(secs("45s"), Ok(45));
        assert_eq!(secs("90m"), Ok(5_400));
        assert_eq!(secs("12h"), Ok(43_200));
        assert_eq!(secs("30d"), Ok(2_592_000));
        assert_eq!(secs("2w"), Ok(1_209_600));
        assert_eq!(secs("1d12h"), Ok(129_600));
        assert_eq!(secs("0s"), Ok(0));
    }

    #[test]
    fn what_is_not_an_age() {
        for (text, why) in [
            ("", "empty"),
            ("12", "a number without a unit"),
            ("d", "unit `d` without a number"),
            ("30x", "unexpected 'x'"),
            ("5 d", "unexpected ' '"),
            ("-5d", "unexpected '-'"),
            ("1.5h", "unexpected '.'"),
            ("99999999999999999999s", "too long"),
            ("999999999999999w", "too long"),
        ] {
            let err = secs(text).unwrap_err();
            assert!(err.starts_with(why), "{text}: {err}");
            assert!(err.contains("e.g. 30d"), "{err}");
        }
    }

    #[test]
    fn ages_are_shown_in_the_largest_exact_unit() {
        for (text, shown) in [
            ("90m", "90m"),
            ("120m", "2h"),
            ("14d", "2w"),
            ("1d12h", "36h"),
            ("61s", "61s"),
            ("0s", "0s"),
        ] {
            assert_eq!(text.parse::<Age>().unwrap().to_string(), shown, "{text}");
        }
    }

    #[test]
    fn stale_means_strictly_older() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let cutoff = Cutoff::new("1h".parse().unwrap(), now);
        let ago = |s| Some(now - Duration::from_secs(s));
        assert!(cutoff.is_stale(ago(3_601)));
        assert!(!cutoff.is_stale(ago(3_600)));
        assert!(!cutoff.is_stale(ago(0)));
        assert!(!cutoff.is_stale(Some(now + Duration::from_secs(60))));
        assert!(!cutoff.is_stale(None));
    }
}

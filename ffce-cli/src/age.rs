//! `--older-than`'s value ([`OlderThan`]): an age as people type it (`45s`, `90m`,
//! `12h`, `30d`, `2w`, or several at once, `1d12h`; no month or year, whose length is
//! not fixed), or a moment: a date (`2026-11-01`, before midnight UTC that day) or an
//! RFC 3339 time (`2026-11-01T08:00:00Z`). [`Cutoff`] keeps the value, for messages,
//! beside the library's cut-off.

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

/// What `--older-than` takes: an age before now, or a moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OlderThan {
    /// Longer ago than this.
    Age(Age),
    /// Before this moment (a date means its first second, UTC).
    Before(SystemTime),
}

/// Neither an age nor a date or time: both forms are named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OlderThanError(AgeError);

impl fmt::Display for OlderThanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, or a date (2026-11-01: before midnight UTC that day) or an RFC 3339 time \
             (2026-11-01T08:00:00Z)",
            self.0
        )
    }
}

impl std::error::Error for OlderThanError {}

impl FromStr for OlderThan {
    type Err = OlderThanError;

    fn from_str(text: &str) -> Result<OlderThan, OlderThanError> {
        match text.parse::<Age>() {
            Ok(age) => Ok(OlderThan::Age(age)),
            Err(not_an_age) => ffce_store::parse_time(text)
                .map(OlderThan::Before)
                .ok_or(OlderThanError(not_an_age)),
        }
    }
}

/// The age as [`Age`] shows it (`30d`), or the moment in RFC 3339 UTC.
impl fmt::Display for OlderThan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OlderThan::Age(age) => age.fmt(f),
            OlderThan::Before(t) => f.write_str(&ffce_store::format_time(*t)),
        }
    }
}

/// "Older than `age`, as of `now`": the library's cut-off and the value it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cutoff {
    older_than: OlderThan,
    cutoff: ffce_store::stale::Cutoff,
}

impl Cutoff {
    /// Older than `older_than` as of `now` (taken once, so every device is judged
    /// against the same moment).
    pub fn new(older_than: OlderThan, now: SystemTime) -> Cutoff {
        let cutoff = match older_than {
            OlderThan::Age(age) => ffce_store::stale::Cutoff::older_than(age.0, now),
            OlderThan::Before(t) => ffce_store::stale::Cutoff::before(t),
        };
        Cutoff { older_than, cutoff }
    }

    /// The value given.
    pub fn age(&self) -> OlderThan {
        self.older_than
    }

    /// How a message says it after "last written": `more than 30d ago`, `before
    /// 2026-11-01T00:00:00Z`.
    pub fn phrase(&self) -> String {
        match self.older_than {
            OlderThan::Age(age) => format!("more than {age} ago"),
            OlderThan::Before(_) => format!("before {}", self.older_than),
        }
    }
}

/// The library's cut-off (`is_stale`), wherever the library takes one.
impl std::ops::Deref for Cutoff {
    type Target = ffce_store::stale::Cutoff;

    fn deref(&self) -> &ffce_store::stale::Cutoff {
        &self.cutoff
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(text: &str) -> Result<u64, String> {
        text.parse::<Age>()
            .map(|a| a.0.as_secs())
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
    fn dates_and_times_are_moments() {
        let day = SystemTime::UNIX_EPOCH + Duration::from_secs(1_793_491_200);
        assert_eq!(
            "2026-11-01".parse::<OlderThan>(),
            Ok(OlderThan::Before(day))
        );
        assert_eq!(
            "2026-11-01T08:00:00Z".parse::<OlderThan>(),
            Ok(OlderThan::Before(day + Duration::from_secs(8 * 3_600)))
        );
        assert_eq!(
            "30d".parse::<OlderThan>(),
            Ok(OlderThan::Age(Age(Duration::from_secs(2_592_000))))
        );
        let c = Cutoff::new("2026-11-01".parse().unwrap(), day + Duration::from_secs(9));
        assert_eq!(c.phrase(), "before 2026-11-01T00:00:00Z");
        assert!(c.is_stale(Some(day - Duration::from_secs(1))));
        assert!(!c.is_stale(Some(day)));
        for bad in ["2026-13-01", "yesterday", "2026-11"] {
            let err = bad.parse::<OlderThan>().unwrap_err().to_string();
            assert!(
                err.contains("e.g. 30d") && err.contains("RFC 3339"),
                "{err}"
            );
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
}

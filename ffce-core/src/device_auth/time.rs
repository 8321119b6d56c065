//! The request time: its strict ISO 8601 UTC form (docs/SPEC.md §7, and §8 for how
//! strict), and the window around the server's clock. The lexical form is checked
//! here; the calendar (month lengths, leap years, days since 1970) is the `time`
//! crate's.

use alloc::string::String;

use ::time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use super::WINDOW_SECS;
use super::headers::AuthError;

/// Refuses a request time more than [`WINDOW_SECS`] from the server's `now` (either way),
/// as [`AuthError::TimestampOutsideWindow`] (401). Exactly 10 s apart is accepted.
///
/// ```
/// use ffce_core::device_auth::check_window;
///
/// let now = 1_746_792_000;
/// assert!(check_window(now - 10, now).is_ok());
/// assert_eq!(check_window(now + 11, now).unwrap_err().http_status(), 401);
/// ```
pub fn check_window(request_unix_secs: i64, now_unix_secs: i64) -> Result<(), AuthError> {
    let skew_secs = request_unix_secs.saturating_sub(now_unix_secs);
    if skew_secs.unsigned_abs() > WINDOW_SECS {
        return Err(AuthError::TimestampOutsideWindow { skew_secs });
    }
    Ok(())
}

/// Parses an ISO 8601 UTC time to Unix seconds, strictly: `YYYY-MM-DDTHH:MM:SS`, an
/// optional fraction of 1 to 9 digits (dropped: the window is whole seconds), then `Z`
/// or `+00:00`. Years 1970 to 9999; no leap second; no other offsets or spellings.
///
/// ```
/// use ffce_core::device_auth::parse_timestamp;
///
/// assert_eq!(parse_timestamp("2025-05-09T12:00:00Z"), Ok(1_746_792_000));
/// assert_eq!(parse_timestamp("2025-05-09T12:00:00.5+00:00"), Ok(1_746_792_000));
/// assert!(parse_timestamp("2025-05-09T12:00:00+01:00").is_err());
/// assert!(parse_timestamp("2025-02-29T12:00:00Z").is_err());
/// ```
pub fn parse_timestamp(text: &str) -> Result<i64, AuthError> {
    let b = text.as_bytes();
    let bad = AuthError::TimestampFormat;
    if b.len() < 20 {
        return Err(bad);
    }
    let num = |range: core::ops::Range<usize>| -> Result<u16, AuthError> {
        let digits = &b[range];
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(AuthError::TimestampFormat);
        }
        Ok(digits
            .iter()
            .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0')))
    };
    if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return Err(bad);
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &b[19..];
    if let Some(fraction) = rest.strip_prefix(b".") {
        let digits = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if !(1..=9).contains(&digits) {
            return Err(bad);
        }
        rest = &fraction[digits..];
    }
    if rest != b"Z" && rest != b"+00:00" {
        return Err(bad);
    }
    if year < 1970 {
        return Err(bad);
    }
    // Two digits each: the casts cannot truncate.
    let month = Month::try_from(month as u8).map_err(|_| bad.clone())?;
    let date =
        Date::from_calendar_date(i32::from(year), month, day as u8).map_err(|_| bad.clone())?;
    // `from_hms` accepts seconds 0 to 59 only: no leap second.
    let time = Time::from_hms(hour as u8, minute as u8, second as u8).map_err(|_| bad)?;
    Ok(PrimitiveDateTime::new(date, time)
        .assume_utc()
        .unix_timestamp())
}

/// Seconds since the Unix epoch on this machine's clock: what a device signs and what
/// the server compares it with (0 for a clock before 1970).
///
/// ```
/// use ffce_core::device_auth::{check_window, now_unix_secs};
///
/// let now = now_unix_secs();
/// assert!(now > 1_700_000_000);
/// assert!(check_window(now, now_unix_secs()).is_ok());
/// ```
#[cfg(feature = "std")]
pub fn now_unix_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Unix seconds as `%Y-%m-%dT%H:%M:%SZ`, the form a device sends and the API stores as
/// `last_backup_date`. A time beyond the years ±9999, which no clock shows, is written
/// as the nearest of them.
///
/// ```
/// use ffce_core::device_auth::format_timestamp;
///
/// assert_eq!(format_timestamp(1_746_792_000), "2025-05-09T12:00:00Z");
/// ```
pub fn format_timestamp(unix_secs: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp(unix_secs).unwrap_or(if unix_secs < 0 {
        PrimitiveDateTime::MIN.assume_utc()
    } else {
        PrimitiveDateTime::MAX.assume_utc()
    });
    alloc::format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

//! Judging a fleet of backups (issue 5, `ffce audit`): what one object's read says
//! about it, and the totals over all of them. No I/O here; the command reads, this
//! module decides.
//!
//! Without a key each object is judged from its first 37 bytes and its total size
//! (one ranged GET on S3): magic, version, the declared `plaintext_len` against
//! `size − 37`, and the cloud's 524,288-byte limit (FFCE-SPEC §1, §3). That is every
//! structural check `ffce_core::inspect` makes of a whole blob, without downloading
//! the ciphertext. With a key the whole object is read, its stored SHA-256 checksum
//! compared, and the blob authenticated.
//!
//! Unlike `ffce verify`, an object over the upload limit is a finding here: the
//! bucket holds cloud backups only, and the cloud never accepts one that large.

use std::collections::BTreeMap;

use ffce_core::{Error, HEADER_LEN, Key, MAX_BLOB_LEN};
use serde_json::{Value, json};

use crate::device::ObjectKey;
use crate::report::{Problem, build_report};
use crate::store::{StoreError, StoreResult};

/// How many bytes a keyless audit reads of each object: the header.
pub const HEADER_BYTES: usize = HEADER_LEN;

/// The verdict on one object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Well-formed (and with a key, authentic).
    Valid,
    /// Structurally broken: too short, wrong magic, another version, or a declared
    /// length that does not match the size.
    Malformed,
    /// Well-formed, but larger than the cloud accepts (524,288 bytes).
    TooLarge,
    /// Well-formed, but the tag does not verify with the key given.
    AuthenticationFailed,
    /// The body does not match the SHA-256 checksum stored with it.
    ChecksumMismatch,
    /// Listed, but deleted before it could be read (not a failure).
    Gone,
    /// The read failed (after the SDK's retries); nothing is known about the object.
    Error,
}

impl Status {
    /// The name used in JSON and in the human output.
    pub fn name(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Malformed => "malformed",
            Status::TooLarge => "too_large",
            Status::AuthenticationFailed => "authentication_failed",
            Status::ChecksumMismatch => "checksum_mismatch",
            Status::Gone => "gone",
            Status::Error => "error",
        }
    }

    /// True for the verdicts that fail the audit with exit 4.
    pub fn is_invalid(self) -> bool {
        matches!(
            self,
            Status::Malformed
                | Status::TooLarge
                | Status::AuthenticationFailed
                | Status::ChecksumMismatch
        )
    }
}

/// One audited object.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// The object.
    pub key: ObjectKey,
    /// Its size in bytes (from the read; from the listing when the read failed).
    pub size: u64,
    /// The verdict.
    pub status: Status,
    /// Why, most important first (empty when valid).
    pub problems: Vec<Problem>,
}

impl Finding {
    /// The code that `invalid_by_reason` counts this object under.
    pub fn reason(&self) -> Option<&'static str> {
        self.problems.first().map(|p| p.code)
    }

    /// The object as one JSON record: `key`, `uuid`, `size`, `status`, `errors`
    /// (`[{code, message}]`).
    pub fn to_json(&self) -> Value {
        json!({
            "key": self.key.as_string(),
            "uuid": self.key.device().to_string(),
            "size": self.size,
            "status": self.status.name(),
            "errors": self.problems.iter()
                .map(|p| json!({ "code": p.code, "message": p.message }))
                .collect::<Vec<_>>(),
        })
    }
}

fn problem(e: &Error) -> Problem {
    Problem {
        code: e.code(),
        message: e.to_string(),
    }
}

/// The structural problems of an object from its first bytes and its total size,
/// in the order of FFCE-SPEC §1 (too short, magic, version, length), then the
/// upload limit. Empty for a well-formed blob within the limit.
///
/// `prefix` holds the first `min(total_len, 37)` bytes (more are ignored).
pub fn structural_problems(prefix: &[u8], total_len: u64) -> Vec<Error> {
    let total = usize::try_from(total_len).unwrap_or(usize::MAX);
    let mut problems = if total < HEADER_LEN {
        // The prefix is the whole object: inspect it as it is.
        ffce_core::inspect(&prefix[..prefix.len().min(total)]).problems
    } else {
        let header = &prefix[..prefix.len().min(HEADER_LEN)];
        // `inspect` of the bare header checks magic and version; its length check
        // compares with the 0 bytes it was given, so that one is redone with the size.
        let mut found: Vec<Error> = ffce_core::inspect(header)
            .problems
            .into_iter()
            .filter(|e| !matches!(e, Error::LengthMismatch { .. }))
            .collect();
        if let Ok(h) = ffce_core::Header::read(header) {
            let body = total - HEADER_LEN;
            if u64::from(h.plaintext_len()) != body as u64 {
                found.push(Error::LengthMismatch {
                    declared: h.plaintext_len(),
                    actual: body,
                });
            }
        }
        found
    };
    if total > MAX_BLOB_LEN {
        problems.push(Error::TooLarge {
            len: total,
            max: MAX_BLOB_LEN,
        });
    }
    problems
}

/// The verdict from structural problems (and, with a key, an authentication failure).
fn status_of(problems: &[Problem]) -> Status {
    if problems.is_empty() {
        Status::Valid
    } else if problems
        .iter()
        .any(|p| !matches!(p.code, "too_large" | "authentication_failed"))
    {
        Status::Malformed
    } else if problems.iter().any(|p| p.code == "too_large") {
        Status::TooLarge
    } else {
        Status::AuthenticationFailed
    }
}

/// Judges one object from a keyless read (header bytes and total size).
pub fn judge_header(key: ObjectKey, prefix: &[u8], total_len: u64) -> Finding {
    let problems: Vec<Problem> = structural_problems(prefix, total_len)
        .iter()
        .map(problem)
        .collect();
    Finding {
        key,
        size: total_len,
        status: status_of(&problems),
        problems,
    }
}

/// Judges one object from its whole body and a key: structure, the upload limit, and
/// authentication (tried only on a well-formed blob, as `ffce verify` does).
pub fn judge_whole(object: ObjectKey, body: &[u8], key: &Key) -> Finding {
    let report = build_report(body, Some(key));
    let mut problems = report.errors.clone();
    // `build_report` counts the limit as a warning (configfs files have none); a
    // backups bucket holds backups only.
    if report.warnings.iter().any(|w| w.code == "too_large") {
        problems.push(problem(&Error::TooLarge {
            len: body.len(),
            max: MAX_BLOB_LEN,
        }));
    }
    // Authentication last, after every structural problem.
    problems.sort_by_key(|p| p.code == "authentication_failed");
    Finding {
        key: object,
        size: body.len() as u64,
        status: status_of(&problems),
        problems,
    }
}

/// Judges a read that did not produce a body: a checksum mismatch (an integrity
/// finding), an object deleted since the listing, or a failed request.
pub fn judge_failure(key: ObjectKey, listed_size: u64, err: &StoreError) -> Finding {
    let (status, code) = match err {
        StoreError::ChecksumMismatch { .. } => (Status::ChecksumMismatch, "checksum_mismatch"),
        StoreError::NotFound { .. } => (Status::Gone, "not_found"),
        _ => (Status::Error, "request_failed"),
    };
    let message = match err {
        StoreError::NotFound { .. } => "deleted after the listing, before it was read".into(),
        other => other.to_string(),
    };
    Finding {
        key,
        size: listed_size,
        status,
        problems: vec![Problem { code, message }],
    }
}

/// Judges one read result in the chosen mode.
pub fn judge(
    object: ObjectKey,
    listed_size: u64,
    read: StoreResult<crate::store::Fetched>,
    key: Option<&Key>,
) -> Finding {
    match (read, key) {
        (Ok(f), None) => judge_header(object, &f.bytes, f.total_len),
        (Ok(f), Some(k)) => judge_whole(object, &f.bytes, k),
        (Err(e), _) => judge_failure(object, listed_size, &e),
    }
}

/// The totals of an audit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Backup objects of the layout (each device's latest backup).
    pub objects: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Valid ones.
    pub valid: u64,
    /// Invalid ones (malformed, too large, unauthentic, checksum mismatch).
    pub invalid: u64,
    /// Invalid ones by their first problem's code.
    pub invalid_by_reason: BTreeMap<&'static str, u64>,
    /// Keys that are not backups of the layout.
    pub stray: u64,
    /// Reads that failed.
    pub errors: u64,
    /// Objects deleted between the listing and the read.
    pub gone: u64,
}

impl Totals {
    /// Counts one finding.
    pub fn add(&mut self, f: &Finding) {
        self.objects += 1;
        self.bytes += f.size;
        match f.status {
            Status::Valid => self.valid += 1,
            Status::Gone => self.gone += 1,
            Status::Error => self.errors += 1,
            s if s.is_invalid() => {
                self.invalid += 1;
                *self
                    .invalid_by_reason
                    .entry(f.reason().unwrap_or(s.name()))
                    .or_default() += 1;
            }
            _ => {}
        }
    }

    /// The totals as JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "objects": self.objects,
            "bytes": self.bytes,
            "valid": self.valid,
            "invalid": self.invalid,
            "invalid_by_reason": self.invalid_by_reason,
            "stray": self.stray,
            "errors": self.errors,
            "gone": self.gone,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{DeviceId, Layout};
    use ffce_core::{MasterSecret, Purpose};

    fn object() -> ObjectKey {
        ObjectKey::new(
            DeviceId::parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301").unwrap(),
            Layout::Nested,
        )
    }

    fn key() -> Key {
        MasterSecret::from_bytes([0x11; 32]).derive(Purpose::Backup)
    }

    fn codes(f: &Finding) -> Vec<&'static str> {
        f.problems.iter().map(|p| p.code).collect()
    }

    /// The header-only verdict agrees with `inspect` of the whole blob, for every
    /// length from empty to a few bytes past the header, and for damaged headers.
    #[test]
    fn header_verdict_matches_a_whole_inspection() {
        let blob = key().seal(b"hello, world").unwrap();
        let mut cases: Vec<Vec<u8>> = (0..=blob.len() + 3)
            .map(|n| {
                let mut b = blob.clone();
                b.resize(n, 0);
                b
            })
            .collect();
        for (at, value) in [(0, b'X'), (4, 2), (4, 0), (17, 99)] {
            let mut b = blob.clone();
            b[at] = value;
            cases.push(b);
        }
        for case in cases {
            let whole: Vec<&str> = ffce_core::inspect(&case)
                .problems
                .iter()
                .map(Error::code)
                .collect();
            let head = &case[..case.len().min(HEADER_BYTES)];
            let f = judge_header(object(), head, case.len() as u64);
            assert_eq!(codes(&f), whole, "{} bytes", case.len());
        }
    }

    #[test]
    fn verdicts() {
        let blob = key().seal(b"{}").unwrap();
        let f = judge_header(object(), &blob[..37], blob.len() as u64);
        assert_eq!((f.status, f.reason()), (Status::Valid, None));

        let mut v2 = blob.clone();
        v2[4] = 2;
        let f = judge_header(object(), &v2[..37], v2.len() as u64);
        assert_eq!(f.status, Status::Malformed);
        assert_eq!(f.reason(), Some("unsupported_version"));

        let f = judge_header(object(), &[], 0);
        assert_eq!(
            (f.status, f.reason()),
            (Status::Malformed, Some("too_short"))
        );

        // Oversize: a well-formed header declaring the length that fits the size.
        let big = key().seal(&vec![0; MAX_BLOB_LEN]).unwrap();
        let f = judge_header(object(), &big[..37], big.len() as u64);
        assert_eq!(
            (f.status, f.reason()),
            (Status::TooLarge, Some("too_large"))
        );
        // Oversize and a length mismatch: malformed first.
        let f = judge_header(object(), &blob[..37], big.len() as u64);
        assert_eq!(codes(&f), vec!["length_mismatch", "too_large"]);
        assert_eq!(f.status, Status::Malformed);
    }

    #[test]
    fn with_a_key() {
        let blob = key().seal(b"[1]").unwrap();
        assert_eq!(judge_whole(object(), &blob, &key()).status, Status::Valid);
        let other = Key::from_bytes(&[9; 32]);
        let f = judge_whole(object(), &blob, &other);
        assert_eq!(
            (f.status, f.reason()),
            (Status::AuthenticationFailed, Some("authentication_failed"))
        );
        let big = key().seal(&vec![0; MAX_BLOB_LEN]).unwrap();
        let f = judge_whole(object(), &big, &key());
        assert_eq!(
            (f.status, f.reason()),
            (Status::TooLarge, Some("too_large"))
        );
        let f = judge_whole(object(), &blob[..20], &key());
        assert_eq!(f.status, Status::Malformed);
    }

    #[test]
    fn totals_count_every_kind_once() {
        let blob = key().seal(b"x").unwrap();
        let mut t = Totals::default();
        t.add(&judge_header(object(), &blob, blob.len() as u64));
        t.add(&judge_header(object(), b"FFCX", 4));
        t.add(&judge_failure(
            object(),
            10,
            &StoreError::Other {
                message: "boom".into(),
                source: None,
            },
        ));
        t.add(&judge_failure(
            object(),
            10,
            &StoreError::NotFound { what: "x".into() },
        ));
        assert_eq!(
            (t.objects, t.valid, t.invalid, t.errors, t.gone),
            (4, 1, 1, 1, 1)
        );
        assert_eq!(t.invalid_by_reason.get("too_short"), Some(&1));
        assert_eq!(t.bytes, blob.len() as u64 + 4 + 20);
    }
}

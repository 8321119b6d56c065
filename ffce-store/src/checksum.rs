//! S3's object checksums: which algorithm an object carries, and checking a body
//! against it.
//!
//! ffce uploads with SHA-256, but an object put by `aws s3 cp`, boto3 or the console
//! carries CRC32 (the SDKs' default), and S3 knows five algorithms in all. A download
//! is checked against whichever the object has, and every message names that one: a
//! CRC32 failure reported as a "SHA-256 mismatch" sends people looking in the wrong
//! place. The digests come from `aws-smithy-checksums`, the SDK's own implementation.

use std::fmt;

use aws_smithy_checksums::ChecksumAlgorithm as Sdk;

use crate::error::{StoreError, StoreResult};

/// An S3 checksum algorithm.
///
/// ```
/// use ffce_store::ChecksumAlgorithm;
///
/// assert_eq!(ChecksumAlgorithm::Sha256.name(), "SHA256");
/// assert_eq!(ChecksumAlgorithm::Crc32.digest_base64(b""), "AAAAAA==");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChecksumAlgorithm {
    /// CRC-64/NVME (S3's default for new objects).
    Crc64Nvme,
    /// CRC-32C (Castagnoli).
    Crc32c,
    /// CRC-32 (the AWS SDKs' and `aws s3 cp`'s default).
    Crc32,
    /// SHA-1.
    Sha1,
    /// SHA-256 (what ffce uploads with).
    Sha256,
}

impl ChecksumAlgorithm {
    /// Every algorithm, in the order the AWS SDK prefers them when an object carries
    /// several (fastest first); the SDK validates the first one present.
    pub const ALL: [ChecksumAlgorithm; 5] = [
        ChecksumAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Crc32c,
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
    ];

    /// S3's name, as in `x-amz-checksum-algorithm` (`CRC32`, `SHA256`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc64Nvme => "CRC64NVME",
            ChecksumAlgorithm::Crc32c => "CRC32C",
            ChecksumAlgorithm::Crc32 => "CRC32",
            ChecksumAlgorithm::Sha1 => "SHA1",
            ChecksumAlgorithm::Sha256 => "SHA256",
        }
    }

    /// The checksum of `body` in this algorithm, base64 as S3 reports it.
    ///
    /// ```
    /// use ffce_store::ChecksumAlgorithm;
    /// assert_eq!(ChecksumAlgorithm::Crc32.digest_base64(b"hello world"), "DUoRhQ==");
    /// ```
    pub fn digest_base64(self, body: &[u8]) -> String {
        let mut hasher = self.sdk().into_impl();
        hasher.update(body);
        let value = hasher.header_value();
        // Base64 is always a valid header value, hence always ASCII.
        value.to_str().unwrap_or_default().to_string()
    }

    fn sdk(self) -> Sdk {
        match self {
            ChecksumAlgorithm::Crc64Nvme => Sdk::Crc64Nvme,
            ChecksumAlgorithm::Crc32c => Sdk::Crc32c,
            ChecksumAlgorithm::Crc32 => Sdk::Crc32,
            ChecksumAlgorithm::Sha1 => Sdk::Sha1,
            ChecksumAlgorithm::Sha256 => Sdk::Sha256,
        }
    }
}

impl fmt::Display for ChecksumAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A checksum stored with an object: its algorithm and base64 value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredChecksum {
    /// The algorithm.
    pub algorithm: ChecksumAlgorithm,
    /// The value, base64.
    pub value: String,
}

/// How a downloaded body was checked against the checksum stored with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChecksumCheck {
    /// The body matches the stored checksum.
    Verified {
        /// The algorithm of the stored checksum.
        algorithm: ChecksumAlgorithm,
        /// Its value (base64).
        value_base64: String,
    },
    /// The object has no checksum stored (or only a multipart one, which is a checksum
    /// of its parts and cannot be compared with the whole body).
    Absent,
    /// A local file: the local store keeps no checksums.
    LocalFile,
    /// Not compared: only part of the body (a range) or none of it (a head) was read,
    /// and a checksum covers the whole object.
    PartialRead,
}

/// Checks `body` against every checksum stored with it (an object normally has one);
/// the check reported is the first in [`ChecksumAlgorithm::ALL`] order. A mismatch of
/// any is [`StoreError::ChecksumMismatch`] naming its algorithm.
///
/// ```
/// use ffce_store::{ChecksumAlgorithm, ChecksumCheck, StoredChecksum, StoreError, verify_checksum};
///
/// let body = b"FFCE";
/// let stored = [StoredChecksum { algorithm: ChecksumAlgorithm::Crc32, value: ChecksumAlgorithm::Crc32.digest_base64(body) }];
/// assert!(matches!(verify_checksum(body, &stored, "s3://b/k"), Ok(ChecksumCheck::Verified { .. })));
/// assert!(matches!(verify_checksum(b"FFCX", &stored, "s3://b/k"), Err(StoreError::ChecksumMismatch { .. })));
/// assert_eq!(verify_checksum(body, &[], "s3://b/k").unwrap(), ChecksumCheck::Absent);
/// ```
pub fn verify(body: &[u8], stored: &[StoredChecksum], what: &str) -> StoreResult<ChecksumCheck> {
    let mut first = None;
    for algorithm in ChecksumAlgorithm::ALL {
        let Some(s) = stored.iter().find(|s| s.algorithm == algorithm) else {
            continue;
        };
        // A multipart object's checksum is of its parts ("...-N"); not comparable.
        if is_composite(&s.value) {
            continue;
        }
        let actual = algorithm.digest_base64(body);
        if actual != s.value.trim() {
            return Err(StoreError::ChecksumMismatch {
                what: what.to_string(),
                algorithm,
                expected: s.value.clone(),
                actual,
            });
        }
        first.get_or_insert(ChecksumCheck::Verified {
            algorithm,
            value_base64: actual,
        });
    }
    Ok(first.unwrap_or(ChecksumCheck::Absent))
}

/// A multipart object's checksum: base64, `-`, part count.
pub(crate) fn is_composite(checksum: &str) -> bool {
    checksum
        .rsplit_once('-')
        .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The check values of each CRC (the digest of "123456789") and the known digests
    /// of "abc", so the SDK's implementations are pinned to the standards.
    #[test]
    fn digests_match_the_standards() {
        use base64::Engine as _;
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        let check = b"123456789";
        assert_eq!(
            ChecksumAlgorithm::Crc32.digest_base64(check),
            b64(&0xCBF4_3926u32.to_be_bytes())
        );
        assert_eq!(
            ChecksumAlgorithm::Crc32c.digest_base64(check),
            b64(&0xE306_9283u32.to_be_bytes())
        );
        assert_eq!(
            ChecksumAlgorithm::Crc64Nvme.digest_base64(check),
            b64(&0xAE8B_1486_0A79_9888u64.to_be_bytes())
        );
        assert_eq!(
            ChecksumAlgorithm::Sha1.digest_base64(b"abc"),
            b64(&hex::decode("a9993e364706816aba3e25717850c26c9cd0d89d").unwrap())
        );
        assert_eq!(
            ChecksumAlgorithm::Sha256.digest_base64(b"abc"),
            b64(
                &hex::decode("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
                    .unwrap()
            )
        );
    }

    #[test]
    fn verify_names_the_algorithm() {
        let body = b"FFCE body";
        for algorithm in ChecksumAlgorithm::ALL {
            let good = StoredChecksum {
                algorithm,
                value: algorithm.digest_base64(body),
            };
            assert_eq!(
                verify(body, std::slice::from_ref(&good), "x").unwrap(),
                ChecksumCheck::Verified {
                    algorithm,
                    value_base64: good.value.clone()
                }
            );
            let bad = StoredChecksum {
                algorithm,
                value: algorithm.digest_base64(b"other"),
            };
            match verify(body, &[bad], "x") {
                Err(StoreError::ChecksumMismatch { algorithm: a, .. }) => assert_eq!(a, algorithm),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(verify(body, &[], "x").unwrap(), ChecksumCheck::Absent);
        let composite = StoredChecksum {
            algorithm: ChecksumAlgorithm::Crc32,
            value: "abc=-3".into(),
        };
        assert_eq!(
            verify(body, &[composite], "x").unwrap(),
            ChecksumCheck::Absent
        );
        let not_base64 = StoredChecksum {
            algorithm: ChecksumAlgorithm::Sha256,
            value: "not base64".into(),
        };
        assert!(verify(body, &[not_base64], "x").is_err());
    }

    #[test]
    fn composite_checksums() {
        assert!(is_composite("abc=-3"));
        assert!(!is_composite(
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        ));
    }
}

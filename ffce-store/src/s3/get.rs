//! The S3 store's download of one object: one GetObject (sent directly when the store
//! can, `direct.rs`, by the SDK otherwise and for whatever that attempt could not
//! read) with the stored checksum compared by the store itself, a body cut off in
//! transit retried, and a missing key explained when asked.

use std::time::{Duration, SystemTime};

use aws_sdk_s3::types::ChecksumMode;
use ffce_core::layout::{ObjectKey, PLAINTEXT_DIGEST_METADATA};

use super::direct::{Answer, Read};
use super::errors::sdk_checksum_mismatch;
use super::{AfterDirect, MissingKey, S3Store};
use crate::checksum::{self, ChecksumAlgorithm as Algorithm, StoredChecksum};
use crate::error::{StoreError, StoreResult, VersionId};
use crate::store::{Object, PlaintextDigest, unquote_etag};

/// Why one download attempt failed: cut off in transit (worth another attempt) or
/// anything else (final).
enum GetFailure {
    Interrupted(StoreError),
    Store(StoreError),
}

impl S3Store {
    /// Downloads an object, retrying a body cut off in transit (the SDK retries only
    /// until the response headers arrive). A body that arrives whole but does not match
    /// its checksum is not retried: that is an integrity failure to report.
    ///
    /// The operation limit bounds the whole download, every attempt included.
    pub(super) async fn get_object(
        &self,
        key: &ObjectKey,
        version: Option<&VersionId>,
        missing: MissingKey,
    ) -> StoreResult<Object> {
        let what = self.what(key, version);
        self.read_within(&what, self.get_attempts(key, version, missing))
            .await
    }

    async fn get_attempts(
        &self,
        key: &ObjectKey,
        version: Option<&VersionId>,
        missing: MissingKey,
    ) -> StoreResult<Object> {
        let mut attempt = 1;
        let client = match self.read_directly(key, version, Read::Whole).await {
            AfterDirect::Answered(answer) => {
                return whole_object(&self.what(key, version), answer);
            }
            AfterDirect::ToTheSdk { path, retried } => {
                attempt += u32::from(retried);
                &path.rest_whole
            }
            // (A whole read asks for no range, so the direct path never answers 416.)
            AfterDirect::NotTried | AfterDirect::NoByteZero => &self.client,
        };
        loop {
            match self.get_once(client, key, version, missing).await {
                Ok(object) => return Ok(object),
                Err(GetFailure::Interrupted(_)) if attempt < self.max_attempts => {
                    attempt += 1;
                    self.activity.count_retry();
                    tokio::time::sleep(Duration::from_millis(100 << attempt.min(6))).await;
                }
                Err(GetFailure::Interrupted(e) | GetFailure::Store(e)) => return Err(e),
            }
        }
    }

    /// The object as errors name it: its URL, or the version of it.
    fn what(&self, key: &ObjectKey, version: Option<&VersionId>) -> String {
        let url = self.url(key);
        match version {
            Some(v) => format!("version {v} of {url}"),
            None => url,
        }
    }

    async fn get_once(
        &self,
        client: &aws_sdk_s3::Client,
        key: &ObjectKey,
        version: Option<&VersionId>,
        missing: MissingKey,
    ) -> Result<Object, GetFailure> {
        let what = self.what(key, version);
        let resp = client
            .get_object()
            .bucket(&self.bucket)
            .key(key.as_string())
            .set_version_id(version.map(|v| v.as_str().to_owned()))
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await;
        let resp = match resp {
            Ok(r) => r,
            Err(e) => {
                let status = e.raw_response().map(|r| r.status().as_u16());
                return Err(GetFailure::Store(match self.classify(e, &what) {
                    StoreError::NotFound { what }
                        if version.is_none() && missing == MissingKey::Explain =>
                    {
                        self.explain_missing(key, what).await
                    }
                    // GET of a delete marker's version id: 405 Method Not Allowed.
                    StoreError::Other { .. } if status == Some(405) => StoreError::NotFound {
                        what: format!("{what} (a delete marker, which has no content)"),
                    },
                    StoreError::Other { .. } if status == Some(400) && version.is_some() => {
                        StoreError::NotFound {
                            what: format!("{what} (S3 does not accept this version id)"),
                        }
                    }
                    other => other,
                }));
            }
        };
        let stored = stored_checksums(&resp);
        let etag = resp.e_tag().map(unquote_etag);
        let version_id = resp.version_id().map(VersionId::from_store);
        let last_modified = resp
            .last_modified()
            .and_then(|t| SystemTime::try_from(*t).ok());
        let digest_meta = resp
            .metadata()
            .and_then(|m| m.get(PLAINTEXT_DIGEST_METADATA))
            .map(|s| PlaintextDigest::parse(s));
        let body = resp.body.collect().await.map_err(|e| {
            if let Some((expected, actual)) = sdk_checksum_mismatch(&e) {
                // The SDK checked the first stored checksum in its order of preference
                // (Algorithm::ALL); its error does not say which, the value does.
                let algorithm = stored
                    .iter()
                    .find(|s| s.value == expected)
                    .or(stored.first())
                    .map_or(Algorithm::Crc32, |s| s.algorithm);
                return GetFailure::Store(StoreError::ChecksumMismatch {
                    what: what.clone(),
                    algorithm,
                    expected,
                    actual,
                });
            }
            GetFailure::Interrupted(StoreError::other(
                format!("{what}: the download failed (cut off in transit)"),
                e,
            ))
        })?;
        let body = body.into_bytes();

        // Checked here too, whatever the SDK's settings or a server's behaviour.
        let checksum = checksum::verify(&body, &stored, &what).map_err(GetFailure::Store)?;
        Ok(Object {
            size: body.len() as u64,
            body,
            etag,
            version_id,
            plaintext_digest: digest_meta,
            checksum,
            last_modified,
        })
    }
}

/// The object of a direct whole read's answer, its stored checksums compared with the
/// body as after the SDK's download (a mismatch is final, never retried).
fn whole_object(what: &str, answer: Answer) -> StoreResult<Object> {
    let checksum = checksum::verify(&answer.body, &answer.checksums, what)?;
    Ok(Object {
        size: answer.body.len() as u64,
        body: answer.body,
        etag: answer.etag.as_deref().map(unquote_etag),
        version_id: answer.version_id.as_deref().map(VersionId::from_store),
        plaintext_digest: answer
            .plaintext_digest
            .as_deref()
            .map(PlaintextDigest::parse),
        checksum,
        last_modified: answer.last_modified,
    })
}

/// Every checksum stored with a downloaded object, in the SDK's order of preference.
fn stored_checksums(
    resp: &aws_sdk_s3::operation::get_object::GetObjectOutput,
) -> Vec<StoredChecksum> {
    Algorithm::ALL
        .into_iter()
        .filter_map(|algorithm| {
            let value = match algorithm {
                Algorithm::Crc64Nvme => resp.checksum_crc64_nvme(),
                Algorithm::Crc32c => resp.checksum_crc32_c(),
                Algorithm::Crc32 => resp.checksum_crc32(),
                Algorithm::Sha1 => resp.checksum_sha1(),
                Algorithm::Sha256 => resp.checksum_sha256(),
            }?;
            Some(StoredChecksum {
                algorithm,
                value: value.to_string(),
            })
        })
        .collect()
}

//! Reads without the SDK's per-operation machinery: an audit's one GET per object (a
//! ranged header read, or a whole object for a keyed audit and every `get`), signed
//! and sent here, on the same kind of connection the SDK uses.
//!
//! Why: the work per object is small (sign one GET, read a 37-byte or a few-KiB
//! answer), and the SDK's machinery around each operation (its orchestrator,
//! interceptors, endpoint rules and response deserializers) cost more than that work;
//! the profile is in `benches/README.md`. Everything that decides *what* is sent stays
//! the SDK's:
//!
//! - **Where**: the endpoint, the addressing style and the signing region come from a
//!   presigned GetObject that the ranged client builds once for a probe key (no request
//!   is sent), so the SDK's own endpoint rules decide them (custom endpoints, path
//!   style, FIPS, dual-stack, partitions). The probe's key holds every character class
//!   a key's path can hold, and its URL must end with this module's encoding of it.
//! - **Who**: the client's own credentials provider, its answer kept until 10 s before
//!   it expires (the buffer of the SDK's lazy identity cache).
//! - **The signature**: `aws-sigv4`, the crate the SDK signs with, with the SDK's
//!   settings for S3 (single percent-encoding, no path normalization, the payload's
//!   SHA-256 in `x-amz-content-sha256`).
//! - **The connection**: a connector built as the SDK builds its default one (hyper 1,
//!   rustls with aws-lc, the proxy from the environment, a 10 s connect timeout), on a
//!   pool of its own, each attempt bounded by the store's attempt timeout.
//! - **Every answer but a success** goes back to the SDK: the store makes the request
//!   again on an SDK client that has the attempts left (`max_attempts - 1`), which
//!   sorts its errors exactly as every other read's and retries what is retryable. A
//!   retryable failure here (a 5xx, 408 or 429 answer, a connection error, a timeout, a
//!   body cut off) first waits the SDK's first backoff and counts as a retry; 416 (an
//!   empty object has no byte 0) goes to the HEAD that the SDK path uses too.
//! - **A whole object** is asked for with its checksums (`x-amz-checksum-mode:
//!   ENABLED`), and the store compares them with the body itself, as it does after the
//!   SDK's download (`crate::checksum::verify`): a mismatch is the same error.
//!
//! Not used (the SDK serves every read): with one attempt per request
//! (nothing would be left to hand a failure to), and when the probe's URL is not a
//! plain SigV4 one this module can reproduce (S3 Express, multi-region access points,
//! extra endpoint headers, a different key encoding).

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode, sign,
};
use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::identity::Identity;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use aws_smithy_types::date_time::{DateTime, Format};
use ffce_core::layout::{ObjectKey, PLAINTEXT_DIGEST_METADATA};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use super::activity::{Activity, endpoint_of};
use crate::checksum::{ChecksumAlgorithm, StoredChecksum};
use crate::error::VersionId;

/// What a key's path leaves as it is: RFC 3986's unreserved characters and `/` (the
/// SDK's encoding of an S3 key, its "greedy label").
const KEY_PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// A query value: as a key's path, `/` encoded as well.
const QUERY_VALUE: &AsciiSet = &KEY_PATH.add(b'/');

/// The probe's key: a letter, a digit, each unreserved mark, `/`, and the characters a
/// key may hold that an URL must encode (space, the reserved marks, `%`, non-ASCII).
const PROBE_KEY: &str = "ffce-probe/aZ09-._~/ !\"#$%&'()*+,:;<=>?@[]^`{|}\u{e9}\u{2603}";

/// Kept credentials are renewed this long before they expire, as the SDK's lazy
/// identity cache does.
const CREDENTIALS_BUFFER: Duration = Duration::from_secs(10);

/// What a direct read asks for.
#[derive(Clone, Copy, Debug)]
pub(super) enum Read {
    /// The first `n` bytes (`n` > 0) and the total size: `Range: bytes=0-{n-1}`.
    FirstBytes(usize),
    /// The whole object and its stored checksums.
    Whole,
}

/// What a GET answered (a direct one, or the SDK's): the headers an
/// [`Object`](crate::store::Object) is made of, and the body.
#[derive(Debug, Default)]
pub(super) struct Answer {
    pub(super) content_range: Option<String>,
    pub(super) content_length: Option<u64>,
    /// As sent, quoted.
    pub(super) etag: Option<String>,
    pub(super) version_id: Option<String>,
    /// The plaintext digest's user metadata, as sent.
    pub(super) plaintext_digest: Option<String>,
    pub(super) last_modified: Option<SystemTime>,
    /// The checksums stored with the object (a whole read's; none for a range).
    pub(super) checksums: Vec<StoredChecksum>,
    pub(super) body: bytes::Bytes,
}

/// Why a direct read gave no object; the store decides what happens next.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Failed {
    /// `416`: the object has no byte 0 (it is empty).
    NoByteZero,
    /// Worth another attempt: a 5xx, 408 or 429 answer, a connection error, the attempt
    /// timeout, a body cut off.
    Retryable,
    /// An answer only the SDK can read fully (another 4xx, a redirect, a header it
    /// would refuse), or no credentials: the SDK's request tells what it is.
    ForTheSdk,
}

/// The direct path of one store: where its objects are, how to sign for them, and the
/// connection pool it sends on.
pub(super) struct DirectReads {
    connector: SharedHttpConnector,
    credentials: CredentialsCache,
    /// `scheme://host[:port]` and the bucket's path, if any: an object's URL is this,
    /// `/` and its encoded key.
    base: String,
    /// The `Host` header, signed and sent: the URL's authority.
    host: String,
    /// `scheme://host[:port]`, as [`Activity`] names it.
    endpoint: String,
    /// The signing region of the probe's credential scope.
    region: String,
    /// `x-amz-meta-` and the plaintext digest's metadata name.
    digest_header: String,
    attempt_timeout: Duration,
}

impl std::fmt::Debug for DirectReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectReads")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl DirectReads {
    /// The direct path for `client`'s bucket, signed with `provider`'s credentials (the
    /// client's own), or `None` when the SDK's presigned probe
    /// is not a request this module reproduces. `Err` when the probe could not be
    /// presigned (no credentials yet): the caller may try again later.
    pub(super) async fn probe(
        client: &aws_sdk_s3::Client,
        provider: SharedCredentialsProvider,
        bucket: &str,
        attempt_timeout: Duration,
    ) -> Result<Option<DirectReads>, ()> {
        let config = PresigningConfig::expires_in(Duration::from_secs(60)).map_err(|_| ())?;
        let presigned = client
            .get_object()
            .bucket(bucket)
            .key(PROBE_KEY)
            .presigned(config)
            .await
            .map_err(|_| ())?;
        if presigned.method() != "GET" || presigned.headers().next().is_some() {
            return Ok(None);
        }
        let Some((base, region)) = base_and_region(presigned.uri()) else {
            return Ok(None);
        };
        Ok(DirectReads::new(provider, base, region, attempt_timeout))
    }

    /// The direct path to the objects under `base` (`scheme://host[:port][/bucket]`),
    /// signed for `region`; `None` for a base that is not an http(s) URL.
    fn new(
        provider: SharedCredentialsProvider,
        base: String,
        region: String,
        attempt_timeout: Duration,
    ) -> Option<DirectReads> {
        let (scheme, rest) = base.split_once("://")?;
        let host = rest.split('/').next().unwrap_or_default().to_owned();
        if !matches!(scheme, "http" | "https") || host.is_empty() {
            return None;
        }
        let settings = HttpConnectorSettings::builder()
            .connect_timeout(Duration::from_secs(10))
            .build();
        let sleep = aws_smithy_async::rt::sleep::default_async_sleep();
        Some(DirectReads {
            connector: SharedHttpConnector::new(super::connect::default_connector(
                Some(settings),
                sleep,
            )),
            credentials: CredentialsCache::new(provider),
            endpoint: endpoint_of(&base),
            base,
            host,
            region,
            digest_header: format!("x-amz-meta-{PLAINTEXT_DIGEST_METADATA}"),
            attempt_timeout,
        })
    }

    /// `read` of `key` (or `version`): one signed GET, one attempt, bounded by the
    /// attempt timeout, counted in `activity`.
    pub(super) async fn read(
        &self,
        key: &ObjectKey,
        version: Option<&VersionId>,
        read: Read,
        activity: &Activity,
    ) -> Result<Answer, Failed> {
        let credentials = self.credentials.get().await.ok_or(Failed::ForTheSdk)?;
        let mut url = format!(
            "{}/{}",
            self.base,
            utf8_percent_encode(&key.as_string(), KEY_PATH)
        );
        if let Some(version) = version {
            url.push_str("?versionId=");
            url.extend(utf8_percent_encode(version.as_str(), QUERY_VALUE));
        }
        let range;
        let asked = match read {
            Read::FirstBytes(n) => {
                range = format!("bytes=0-{}", n.saturating_sub(1));
                ("range", range.as_str())
            }
            Read::Whole => ("x-amz-checksum-mode", "ENABLED"),
        };
        let request = self
            .signed_get(credentials, &url, asked, SystemTime::now())
            .ok_or(Failed::ForTheSdk)?;
        let _attempt = activity.direct_attempt(&self.endpoint);
        tokio::time::timeout(self.attempt_timeout, self.send(request, read))
            .await
            .unwrap_or(Err(Failed::Retryable))
    }

    /// `GET url` with the header `asked` (the range, or the checksum mode), signed at
    /// `time` as the SDK signs an S3 request.
    fn signed_get(
        &self,
        credentials: Credentials,
        url: &str,
        asked: (&str, &str),
        time: SystemTime,
    ) -> Option<aws_smithy_runtime_api::http::Request> {
        let identity = Identity::from(credentials);
        let mut settings = SigningSettings::default();
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("s3")
            .time(time)
            .settings(settings)
            .build()
            .ok()?
            .into();
        let headers = [("host", self.host.as_str()), asked];
        let signable =
            SignableRequest::new("GET", url, headers.into_iter(), SignableBody::Bytes(&[])).ok()?;
        let (instructions, _signature) = sign(signable, &params).ok()?.into_parts();
        let mut request = http::Request::builder()
            .method("GET")
            .uri(url)
            .header("host", &self.host)
            .header(asked.0, asked.1)
            .body(SdkBody::empty())
            .ok()?;
        instructions.apply_to_request_http1x(&mut request);
        aws_smithy_runtime_api::http::Request::try_from(request).ok()
    }

    async fn send(
        &self,
        request: aws_smithy_runtime_api::http::Request,
        read: Read,
    ) -> Result<Answer, Failed> {
        let response = self
            .connector
            .call(request)
            .await
            .map_err(|_| Failed::Retryable)?;
        match (response.status().as_u16(), read) {
            (200, _) | (206, Read::FirstBytes(_)) => {}
            (416, Read::FirstBytes(_)) => return Err(Failed::NoByteZero),
            (408 | 429 | 500..=599, _) => return Err(Failed::Retryable),
            _ => return Err(Failed::ForTheSdk),
        }
        let headers = response.headers();
        let text = |name: &str| headers.get(name).map(str::to_owned);
        let content_length = match headers.get("content-length") {
            Some(v) => Some(v.trim().parse::<u64>().map_err(|_| Failed::ForTheSdk)?),
            None => None,
        };
        let last_modified = match headers.get("last-modified") {
            // As the SDK reads it: an unreadable date is its error, a date out of
            // `SystemTime`'s range is none.
            Some(v) => DateTime::from_str(v, Format::HttpDate)
                .map_err(|_| Failed::ForTheSdk)?
                .try_into()
                .ok(),
            None => None,
        };
        let checksums = match read {
            Read::FirstBytes(_) => Vec::new(),
            Read::Whole => ChecksumAlgorithm::ALL
                .into_iter()
                .filter_map(|algorithm| {
                    Some(StoredChecksum {
                        algorithm,
                        value: text(checksum_header(algorithm))?,
                    })
                })
                .collect(),
        };
        let mut answer = Answer {
            content_range: text("content-range"),
            content_length,
            etag: text("etag"),
            version_id: text("x-amz-version-id"),
            plaintext_digest: text(&self.digest_header),
            last_modified,
            checksums,
            body: bytes::Bytes::new(),
        };
        answer.body = ByteStream::new(response.into_body())
            .collect()
            .await
            .map_err(|_| Failed::Retryable)?
            .into_bytes();
        Ok(answer)
    }
}

/// The response header of a stored checksum.
fn checksum_header(algorithm: ChecksumAlgorithm) -> &'static str {
    match algorithm {
        ChecksumAlgorithm::Crc64Nvme => "x-amz-checksum-crc64nvme",
        ChecksumAlgorithm::Crc32c => "x-amz-checksum-crc32c",
        ChecksumAlgorithm::Crc32 => "x-amz-checksum-crc32",
        ChecksumAlgorithm::Sha1 => "x-amz-checksum-sha1",
        ChecksumAlgorithm::Sha256 => "x-amz-checksum-sha256",
    }
}

/// The object URLs' base and the signing region of a presigned GET of [`PROBE_KEY`]:
/// `None` unless the URL ends with this module's encoding of the key and its query is
/// a plain SigV4 credential scope for `s3`.
fn base_and_region(presigned: &str) -> Option<(String, String)> {
    let (path, query) = presigned.split_once('?')?;
    let encoded_key = format!("/{}", utf8_percent_encode(PROBE_KEY, KEY_PATH));
    let base = path.strip_suffix(&encoded_key)?;
    let param = |name: &str| {
        query
            .split('&')
            .find_map(|p| p.strip_prefix(name)?.strip_prefix('='))
            .map(|v| percent_decode_str(v).decode_utf8_lossy().into_owned())
    };
    if param("X-Amz-Algorithm")? != "AWS4-HMAC-SHA256" {
        return None;
    }
    // ACCESS_KEY/DATE/REGION/SERVICE/aws4_request
    let scope = param("X-Amz-Credential")?;
    let parts: Vec<&str> = scope.rsplitn(4, '/').collect();
    match parts.as_slice() {
        ["aws4_request", "s3", region, _] if !region.is_empty() => {
            Some((base.to_owned(), (*region).to_owned()))
        }
        _ => None,
    }
}

/// The client's credentials, asked for once and kept until shortly before they expire.
struct CredentialsCache {
    provider: SharedCredentialsProvider,
    current: Mutex<Option<Credentials>>,
    /// One renewal at a time; the others wait for its answer.
    renewing: tokio::sync::Mutex<()>,
}

impl CredentialsCache {
    fn new(provider: SharedCredentialsProvider) -> CredentialsCache {
        CredentialsCache {
            provider,
            current: Mutex::new(None),
            renewing: tokio::sync::Mutex::new(()),
        }
    }

    /// Fresh credentials, or `None` when the provider has none (the SDK's request then
    /// names why).
    async fn get(&self) -> Option<Credentials> {
        if let Some(fresh) = self.fresh() {
            return Some(fresh);
        }
        let _one = self.renewing.lock().await;
        if let Some(fresh) = self.fresh() {
            return Some(fresh);
        }
        let credentials = self.provider.provide_credentials().await.ok()?;
        if let Ok(mut current) = self.current.lock() {
            *current = Some(credentials.clone());
        }
        Some(credentials)
    }

    fn fresh(&self) -> Option<Credentials> {
        let current = self.current.lock().ok()?.clone()?;
        match current.expiry() {
            Some(expiry) if expiry <= SystemTime::now() + CREDENTIALS_BUFFER => None,
            _ => Some(current),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_presigned_probe_gives_the_base_and_the_region() {
        let key = utf8_percent_encode(PROBE_KEY, KEY_PATH).to_string();
        let url = format!(
            "http://127.0.0.1:9000/bucket/{key}?x-id=GetObject&X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=AKID%2F20261207%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Date=x"
        );
        assert_eq!(
            base_and_region(&url),
            Some(("http://127.0.0.1:9000/bucket".into(), "eu-west-1".into()))
        );
        // Another encoding of the key, another algorithm, another service: not ours.
        assert_eq!(base_and_region(&url.replace("%20", "+")), None);
        assert_eq!(
            base_and_region(&url.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256")),
            None
        );
        assert_eq!(
            base_and_region(&url.replace("%2Fs3%2F", "%2Fs3express%2F")),
            None
        );
    }

    #[test]
    fn keys_are_encoded_as_the_sdk_encodes_a_greedy_label() {
        let encode = |k: &str| utf8_percent_encode(k, KEY_PATH).to_string();
        assert_eq!(encode("0f0e/backup.ffce"), "0f0e/backup.ffce");
        assert_eq!(encode("a b+c%/é~"), "a%20b%2Bc%25/%C3%A9~");
        assert_eq!(
            utf8_percent_encode("a/b=c", QUERY_VALUE).to_string(),
            "a%2Fb%3Dc"
        );
    }

    /// AWS's own worked example of a signed S3 request (the first 10 bytes of
    /// `test.txt` in `examplebucket`, signed with the example keys on 2013-05-24; "Example:
    /// GET Object" in the S3 API reference's "Signature calculations for the
    /// authorization header"), which is a header read's shape exactly.
    #[test]
    fn a_header_read_is_signed_as_aws_documents() {
        let provider = SharedCredentialsProvider::new(Credentials::new(
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            None,
            None,
            "example",
        ));
        let reads = DirectReads::new(
            provider.clone(),
            "https://examplebucket.s3.amazonaws.com".into(),
            "us-east-1".into(),
            Duration::from_secs(60),
        )
        .unwrap();
        let credentials = Credentials::new(
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            None,
            None,
            "example",
        );
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_369_353_600);
        let request = reads
            .signed_get(
                credentials,
                "https://examplebucket.s3.amazonaws.com/test.txt",
                ("range", "bytes=0-9"),
                time,
            )
            .unwrap();
        let header = |name: &str| request.headers().get(name).unwrap().to_owned();
        assert_eq!(header("host"), "examplebucket.s3.amazonaws.com");
        assert_eq!(header("range"), "bytes=0-9");
        assert_eq!(header("x-amz-date"), "20130524T000000Z");
        assert_eq!(
            header("x-amz-content-sha256"),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let authorization = header("authorization").replace(' ', "");
        assert_eq!(
            authorization,
            "AWS4-HMAC-SHA256Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,\
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,\
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
        assert!(
            DirectReads::new(
                provider,
                "ftp://x".into(),
                "r".into(),
                Duration::from_secs(1)
            )
            .is_none()
        );
    }

    /// Against the test server: the probe finds the direct path, and a direct read of
    /// each kind of object (longer than the range, shorter, empty, an older version, a
    /// missing key) answers exactly what the SDK's read answers.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn direct_reads_answer_as_the_sdk_does() {
        use crate::s3::{MissingKey, S3Config, S3Store};
        use ffce_core::layout::{DeviceId, Layout};

        ffce_test_support::isolate_process();
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let config = S3Config {
            endpoint_url: Some(ffce_test_support::s3_endpoint()),
            region: Some("us-east-1".into()),
            ..S3Config::new(format!("ffce-direct-{}-{nanos}", std::process::id()))
        };
        let store = S3Store::connect(&config).await.unwrap();
        store.create_provisioned(None).await.unwrap();
        let direct = store.direct.clone().expect("3 attempts: a direct path");
        let reads = direct.reads(&store).await.expect("the probe finds it");
        assert_eq!(reads.region, "us-east-1");
        assert!(
            reads.base.ends_with(&format!("/{}", config.bucket)),
            "{reads:?}"
        );
        let sdk_only = S3Store {
            direct: None,
            ..store.clone()
        };

        let key = |n: u8| {
            let uuid = format!("00000000-0000-4000-8000-0000000000{n:02x}");
            ObjectKey::new(DeviceId::parse(&uuid).unwrap(), Layout::Nested)
        };
        let put = |key: ObjectKey, body: Vec<u8>| {
            let store = &store;
            async move {
                store
                    .client
                    .put_object()
                    .bucket(&store.bucket)
                    .key(key.as_string())
                    .metadata(PLAINTEXT_DIGEST_METADATA, "ab".repeat(32))
                    .checksum_algorithm(aws_sdk_s3::types::ChecksumAlgorithm::Sha256)
                    .body(body.into())
                    .send()
                    .await
                    .unwrap()
                    .version_id()
                    .map(VersionId::from_store)
            }
        };
        put(key(1), (0..100).collect()).await;
        put(key(2), vec![7; 20]).await;
        put(key(3), Vec::new()).await;
        let older = put(key(4), vec![1; 50]).await.expect("a versioned bucket");
        put(key(4), vec![2; 60]).await;

        let cases = [
            (key(1), None),
            (key(2), None),
            (key(3), None),
            (key(4), Some(older)),
            (key(4), None),
            (key(5), None),
        ];
        for (key, version) in &cases {
            let what = format!("{key} {version:?}");
            let direct_read = store
                .read_prefix(key, version.as_ref(), 37, MissingKey::AsIs)
                .await;
            let sdk_read = sdk_only
                .read_prefix(key, version.as_ref(), 37, MissingKey::AsIs)
                .await;
            match (&direct_read, &sdk_read) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{what}"),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{what}"),
                _ => panic!("{what}: direct {direct_read:?}, SDK {sdk_read:?}"),
            }
        }
        // Whole reads too: the same object, its checksum verified the same way.
        for (key, version) in &cases {
            let what = format!("whole {key} {version:?}");
            let direct_read = store
                .get_object(key, version.as_ref(), MissingKey::AsIs)
                .await;
            let sdk_read = sdk_only
                .get_object(key, version.as_ref(), MissingKey::AsIs)
                .await;
            match (&direct_read, &sdk_read) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{what}"),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{what}"),
                _ => panic!("{what}: direct {direct_read:?}, SDK {sdk_read:?}"),
            }
        }
        let whole = reads
            .read(&key(1), None, Read::Whole, &store.activity)
            .await
            .unwrap();
        assert_eq!(whole.body.len(), 100);
        assert_eq!(
            whole
                .checksums
                .iter()
                .map(|c| c.algorithm)
                .collect::<Vec<_>>(),
            [ChecksumAlgorithm::Sha256],
            "the stored checksum comes with a whole read"
        );
        // Each answered on the direct path itself (none was handed to the SDK), but
        // the empty object (416, then a HEAD) and the missing key (404).
        for (key, version) in &cases[..2] {
            let answer = reads
                .read(key, version.as_ref(), Read::FirstBytes(37), &store.activity)
                .await;
            assert!(answer.is_ok(), "{key}: {answer:?}");
        }
        assert_eq!(
            reads
                .read(&key(3), None, Read::FirstBytes(37), &store.activity)
                .await
                .err(),
            Some(Failed::NoByteZero)
        );
        assert_eq!(
            reads
                .read(&key(5), None, Read::FirstBytes(37), &store.activity)
                .await
                .err(),
            Some(Failed::ForTheSdk)
        );
        assert_eq!(store.activity.retries(), 0);
    }
}

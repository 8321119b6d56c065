//! From an [`S3Config`] to the clients of an [`S3Store`]: the configuration in plain
//! values, its checks, and how the SDK clients are built (retries, timeouts, the
//! addressing style, and the three clients that share one configuration: single
//! objects, the whole bucket's listing on a connection pool of its own, and ranged
//! reads without the SDK's checksum validation).

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::{Region, ResponseChecksumValidation, StalledStreamProtectionConfig};

use super::{Activity, S3Store, profile};
use crate::error::{StoreError, StoreResult};

/// How to reach a bucket: everything the store needs, in plain values (no command-line
/// types). Unset fields fall back to the AWS SDK's own chain (environment variables,
/// profiles, SSO, instance metadata).
///
/// ```
/// use std::time::Duration;
/// use ffce_store::S3Config;
///
/// let config = S3Config {
///     endpoint_url: Some("http://127.0.0.1:9000".into()),
///     max_attempts: 5,
///     ..S3Config::new("firefly-device-backups")
/// };
/// assert!(config.validate().is_ok());
/// assert_eq!(config.attempt_timeout, Duration::from_secs(60));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct S3Config {
    /// The bucket.
    pub bucket: String,
    /// The AWS region; `None`: from the environment or profile.
    pub region: Option<String>,
    /// A named AWS profile; `None`: the default chain. [`S3Store::connect`] refuses a
    /// profile that is in neither AWS file, as the AWS CLI does (the SDK would ignore
    /// it whenever credentials are in the environment).
    pub profile: Option<String>,
    /// A custom endpoint (an S3-compatible server); implies path-style addressing.
    pub endpoint_url: Option<String>,
    /// Attempts per request, the first included (the SDK's standard retry mode).
    pub max_attempts: u32,
    /// The limit of one attempt; a stalled attempt is abandoned and retried.
    pub attempt_timeout: Duration,
    /// The limit of a whole operation, retries included; `None`: no limit beyond the
    /// attempts'.
    pub timeout: Option<Duration>,
}

impl S3Config {
    /// The defaults for `bucket`: 3 attempts of at most 60 s each, the SDK's chain for
    /// everything else.
    pub fn new(bucket: impl Into<String>) -> S3Config {
        S3Config {
            bucket: bucket.into(),
            region: None,
            profile: None,
            endpoint_url: None,
            max_attempts: 3,
            attempt_timeout: Duration::from_secs(60),
            timeout: None,
        }
    }

    /// Checks the values before any configuration is loaded: a plausible bucket name,
    /// at least one attempt, timeouts above zero and at most a day, an http(s)
    /// endpoint. Each error is [`StoreError::Config`] naming the field.
    pub fn validate(&self) -> StoreResult<()> {
        let bad = |setting: &'static str, problem: &str| {
            Err(StoreError::Config {
                setting,
                problem: problem.to_string(),
            })
        };
        if !check_bucket_name(&self.bucket) {
            return bad(
                "bucket",
                "not a bucket name (3 to 255 letters, digits, '.', '-' or '_')",
            );
        }
        if self.max_attempts == 0 {
            return bad("max_attempts", "must be at least 1 (the first try counts)");
        }
        let day = Duration::from_secs(86_400);
        for (setting, value) in [
            ("attempt_timeout", Some(self.attempt_timeout)),
            ("timeout", self.timeout),
        ] {
            if value.is_some_and(|t| t.is_zero() || t > day) {
                return bad(setting, "must be above 0 and at most 86400 seconds");
            }
        }
        if let Some(url) = &self.endpoint_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return bad("endpoint_url", "must start with http:// or https://");
            }
        }
        Ok(())
    }

    /// The custom endpoint configured here or by `AWS_ENDPOINT_URL_S3`, as errors name
    /// it (`AWS_ENDPOINT_URL` and a profile's reach the SDK's config).
    fn endpoint_named(&self) -> Option<String> {
        self.endpoint_url.clone().or_else(|| {
            std::env::var("AWS_ENDPOINT_URL_S3")
                .ok()
                .filter(|v| !v.is_empty())
        })
    }

    /// True when a custom endpoint is configured here or by the SDK's environment
    /// variables (a profile's `endpoint_url` is not seen here; set
    /// [`endpoint_url`](Self::endpoint_url) as well if a profile points at an
    /// S3-compatible server without virtual-host DNS).
    fn custom_endpoint(&self) -> bool {
        if self.endpoint_url.is_some() {
            return true;
        }
        let ignored = std::env::var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
            .is_ok_and(|v| v.eq_ignore_ascii_case("true"));
        !ignored
            && ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
                .iter()
                .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
    }
}

/// A second HTTP client like the SDK's default one (hyper 1, rustls with aws-lc, the
/// proxy from the environment), so that listing the whole bucket has a connection pool
/// of its own.
///
/// Why: a listing page is up to about 300 KB of XML, and hyper grows a connection's
/// read buffer to fit and keeps it for the connection's life. On one shared pool,
/// every connection that ever carried a page keeps a buffer that size, and during an
/// audit of a large fleet (115 pages at 100,000 objects, 128 reads in flight) that
/// becomes many of the reads' connections: heaptrack put 10 MB of a 25 MB peak heap in
/// those buffers at 100,000 objects. On their own pool the pages grow only the
/// listing's few connections. Measured with [`ListPace`] (benches/fleet.sh's server):
/// an audit streaming its findings peaked at 27.0–28.0 MiB at 100,000 objects and 25.3–27.1 MiB at
/// 10,000; on one pool, 33.2–35.1 MiB at 100,000.
fn listing_http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    aws_smithy_http_client::Builder::new().build_with_connector_fn(|settings, components| {
        default_connector(settings.cloned(), components.and_then(|c| c.sleep_impl()))
    })
}

/// A connector as the SDK's default HTTP client builds one: hyper 1, rustls with
/// aws-lc, the proxy from the environment, the given connect timeout and sleep.
pub(super) fn default_connector(
    settings: Option<aws_smithy_runtime_api::client::http::HttpConnectorSettings>,
    sleep: Option<aws_smithy_async::rt::sleep::SharedAsyncSleep>,
) -> aws_smithy_http_client::Connector {
    use aws_smithy_http_client::{ConnectorBuilder, proxy::ProxyConfig, tls};
    let mut connector = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(
        tls::rustls_provider::CryptoMode::AwsLc,
    ));
    connector.set_connector_settings(settings);
    connector.set_sleep_impl(sleep);
    connector.set_proxy_config(Some(ProxyConfig::from_env()));
    connector.build()
}

/// The client of the ranged reads (an audit's 37-byte header reads, one per object):
/// the store's configuration less what cannot apply to a part of an object. Each
/// setting, and why:
///
/// - Response checksum validation: off (`WhenRequired`). A stored checksum covers the
///   whole object, never a part, so the SDK could validate nothing here; whole reads
///   (`get`, a keyed audit) stay on the main client, which validates, and the store
///   compares the stored checksum itself as well.
/// - Stalled-stream protection: off. Its throughput monitor wraps every response body
///   in a timer-driven watcher, a cost per object for a body of 37 bytes that arrives
///   with its headers; `read_prefix` bounds the body's read with the attempt timeout
///   instead, so a body that stops arriving is still an error in bounded time.
/// - Kept as the main client has them: the retries (standard mode, `max_attempts`, the
///   store's retry partition: a throttled read is retried and counted), the timeouts,
///   the credentials and their cache, the addressing style, the interceptor that
///   records what the store waits for.
fn ranged_config(conf: aws_sdk_s3::config::Builder) -> aws_sdk_s3::config::Builder {
    conf.response_checksum_validation(ResponseChecksumValidation::WhenRequired)
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
}

/// The store's own retry partition, without the SDK's shared retry quota.
///
/// The SDK's standard mode takes 5 tokens of a process-wide bucket of 500 for each
/// retry and returns few of them, so a fleet audit throttled for a while (`503
/// SlowDown` on a few hundred reads) runs out of quota and its reads fail unretried.
/// The store bounds its own load instead: each request is tried at most
/// `max_attempts` times, each retry after its own exponential backoff with jitter,
/// and an audit keeps at most its `concurrency` requests in flight, so other reads go
/// on while one waits.
fn retry_partition() -> aws_sdk_s3::config::retry::RetryPartition {
    aws_sdk_s3::config::retry::RetryPartition::custom("ffce-store")
        .token_bucket(aws_smithy_runtime::client::retries::TokenBucket::unlimited())
        .build()
}

/// True for a plausible bucket name: 3–255 characters of letters, digits, `.`, `-` and
/// `_` (today's rules are stricter; this admits legacy names and nothing that could
/// change a URL's meaning).
///
/// ```
/// use ffce_store::check_bucket_name;
///
/// assert!(check_bucket_name("firefly-device-backups"));
/// assert!(!check_bucket_name("backups/other"));
/// assert!(!check_bucket_name("ab"));
/// ```
pub fn check_bucket_name(name: &str) -> bool {
    (3..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

impl S3Store {
    /// Validates `config`, loads the AWS configuration and builds a client. No request
    /// is made. A missing region is [`StoreError::Config`] for `region`; a named profile
    /// that is in neither the AWS config file nor the credentials file (`AWS_CONFIG_FILE`
    /// and `AWS_SHARED_CREDENTIALS_FILE` are honoured) is [`StoreError::Config`] for
    /// `profile`, naming the files.
    pub async fn connect(config: &S3Config) -> StoreResult<S3Store> {
        config.validate()?;
        if let Some(name) = &config.profile {
            profile::check_exists(name).await?;
        }
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::standard().with_max_attempts(config.max_attempts));
        if let Some(profile) = &config.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &config.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(url) = &config.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        // Each attempt has its own limit, so a stalled request is abandoned and retried
        // instead of hanging forever. The operation timeout, which bounds the whole on
        // top, is the store's own timer (`limit.rs`), so that which one fired is known
        // by type.
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(10))
            .operation_attempt_timeout(config.attempt_timeout);
        loader = loader.timeout_config(timeouts.build());
        let sdk_config = loader.load().await;
        if sdk_config.region().is_none() {
            return Err(StoreError::Config {
                setting: "region",
                problem: "no AWS region configured".into(),
            });
        }
        let activity = Activity::new(config.max_attempts.max(1));
        let mut conf = aws_sdk_s3::config::Builder::from(&sdk_config)
            .interceptor(activity.interceptor())
            .retry_partition(retry_partition());
        let path_style = config.custom_endpoint();
        if path_style {
            conf = conf.force_path_style(true);
        }
        let endpoint = config
            .endpoint_named()
            .or_else(|| sdk_config.endpoint_url().map(str::to_owned))
            .unwrap_or_else(|| {
                let region = sdk_config.region().map_or("us-east-1", |r| r.as_ref());
                format!("https://s3.{region}.amazonaws.com")
            });
        let lister = Client::from_conf(conf.clone().http_client(listing_http_client()).build());
        let ranged = Client::from_conf(ranged_config(conf.clone()).build());
        // The direct reads hand a failed attempt to an SDK client with the
        // attempts left, so that a request is still tried at most `max_attempts` times.
        let credentials = sdk_config.credentials_provider();
        let direct = credentials
            .filter(|_| config.max_attempts > 1)
            .map(|credentials| {
                let rest = RetryConfig::standard().with_max_attempts(config.max_attempts - 1);
                std::sync::Arc::new(super::DirectPath {
                    reads: tokio::sync::OnceCell::new(),
                    credentials,
                    rest_ranged: Client::from_conf(
                        ranged_config(conf.clone())
                            .retry_config(rest.clone())
                            .build(),
                    ),
                    rest_whole: Client::from_conf(conf.clone().retry_config(rest).build()),
                })
            });
        Ok(S3Store {
            bucket: config.bucket.clone(),
            client: Client::from_conf(conf.build()),
            lister,
            ranged,
            direct,
            max_attempts: config.max_attempts.max(1),
            path_style,
            endpoint,
            profile: config.profile.clone(),
            attempt_timeout: config.attempt_timeout,
            timeout: config.timeout,
            activity,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names() {
        assert!(check_bucket_name("firefly-device-backups"));
        assert!(check_bucket_name("a.b_c"));
        for bad in ["", "ab", "a/b", "a?b", "a b", "bucket#x"] {
            assert!(!check_bucket_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn configs_are_validated_by_field() {
        let setting = |c: S3Config| match c.validate() {
            Err(StoreError::Config { setting, .. }) => setting,
            other => panic!("{other:?}"),
        };
        assert!(S3Config::new("good-bucket").validate().is_ok());
        assert_eq!(setting(S3Config::new("a/b")), "bucket");
        let base = || S3Config::new("good-bucket");
        assert_eq!(
            setting(S3Config {
                max_attempts: 0,
                ..base()
            }),
            "max_attempts"
        );
        assert_eq!(
            setting(S3Config {
                attempt_timeout: Duration::ZERO,
                ..base()
            }),
            "attempt_timeout"
        );
        assert_eq!(
            setting(S3Config {
                timeout: Some(Duration::from_secs(86_401)),
                ..base()
            }),
            "timeout"
        );
        assert_eq!(
            setting(S3Config {
                endpoint_url: Some("ftp://x".into()),
                ..base()
            }),
            "endpoint_url"
        );
    }

    /// A ranged read gets part of an object, which a stored checksum (of the whole)
    /// cannot vouch for; every other read keeps the SDK's validation.
    #[tokio::test]
    async fn only_ranged_reads_skip_the_sdks_checksum_validation() {
        let config = S3Config {
            endpoint_url: Some("http://127.0.0.1:9".into()),
            region: Some("us-east-1".into()),
            ..S3Config::new("good-bucket")
        };
        let store = S3Store::connect(&config).await.unwrap();
        let validation = |c: &Client| c.config().response_checksum_validation().cloned();
        assert_eq!(
            validation(&store.ranged),
            Some(ResponseChecksumValidation::WhenRequired)
        );
        for other in [&store.client, &store.lister] {
            assert_ne!(
                validation(other),
                Some(ResponseChecksumValidation::WhenRequired)
            );
        }
    }

    /// Only the ranged reads' client goes without stalled-stream protection (its body
    /// read has the store's own bound); whole reads and uploads keep the SDK's.
    #[tokio::test]
    async fn only_ranged_reads_skip_stalled_stream_protection() {
        let config = S3Config {
            endpoint_url: Some("http://127.0.0.1:9".into()),
            region: Some("us-east-1".into()),
            ..S3Config::new("good-bucket")
        };
        let store = S3Store::connect(&config).await.unwrap();
        let protected = |c: &Client| {
            c.config()
                .stalled_stream_protection()
                .is_none_or(|p| p.is_enabled())
        };
        assert!(!protected(&store.ranged));
        assert!(protected(&store.client));
        assert!(protected(&store.lister));
    }
}

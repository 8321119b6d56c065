//! The whole-bucket listing against an in-process fake of S3's ListObjectsV2 (the
//! real `aws-sdk-s3` client; its HTTP client answers from a sorted set of keys, 100 to
//! a page, as S3 answers 1,000): every key is seen exactly once, `list` is in key
//! order, and no more requests are made than pages.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::listing::ListPace;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::{HttpRequest, HttpResponse};
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use futures_util::StreamExt as _;

use super::super::{Activity, S3Store};
use crate::store::Store;

const PAGE: usize = 100;

/// A bucket that only lists: ListObjectsV2 with `prefix`, `start-after` and
/// `continuation-token` (here the hex of the page's last key), `PAGE` keys a page.
#[derive(Clone, Debug, Default)]
struct FakeBucket {
    keys: Arc<BTreeSet<String>>,
    /// Each request's query, in the order they came.
    requests: Arc<Mutex<Vec<String>>>,
    /// How many of the next requests to answer `503 SlowDown`.
    throttle: Arc<Mutex<usize>>,
    /// How long each page takes to come (none: at once).
    delay: Option<Duration>,
    /// Requests in flight now, and the most there ever were at once.
    in_flight: Arc<AtomicUsize>,
    most_in_flight: Arc<AtomicUsize>,
}

/// One request in flight, until dropped.
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn start(bucket: &FakeBucket) -> InFlight {
        let now = bucket.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        bucket.most_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(bucket.in_flight.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl FakeBucket {
    fn page(&self, query: &str) -> String {
        let mut prefix = String::new();
        let mut after = String::new();
        for pair in query.split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_encoding::percent_decode_str(value)
                .decode_utf8()
                .unwrap()
                .into_owned();
            match name {
                "prefix" => prefix = value,
                "start-after" => after = after.max(value),
                "continuation-token" => {
                    after = after.max(String::from_utf8(hex::decode(value).unwrap()).unwrap())
                }
                _ => {}
            }
        }
        let matching: Vec<&String> = self
            .keys
            .iter()
            .filter(|k| k.starts_with(&prefix) && **k > after)
            .take(PAGE + 1)
            .collect();
        let truncated = matching.len() > PAGE;
        let page = &matching[..matching.len().min(PAGE)];
        let mut xml = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult \
             xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>bucket</Name>",
        );
        xml.push_str(&format!(
            "<Prefix>{}</Prefix><KeyCount>{}</KeyCount><MaxKeys>{PAGE}</MaxKeys>\
             <IsTruncated>{truncated}</IsTruncated>",
            escape(&prefix),
            page.len()
        ));
        if truncated {
            let last = page.last().unwrap();
            xml.push_str(&format!(
                "<NextContinuationToken>{}</NextContinuationToken>",
                hex::encode(last)
            ));
        }
        for key in page {
            xml.push_str(&format!(
                "<Contents><Key>{}</Key><LastModified>2025-01-31T12:00:00.000Z</LastModified>\
                 <ETag>\"0\"</ETag><Size>37</Size><StorageClass>STANDARD</StorageClass>\
                 </Contents>",
                escape(key)
            ));
        }
        xml.push_str("</ListBucketResult>");
        xml
    }
}

impl HttpConnector for FakeBucket {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let uri = request.uri().to_string();
        let query = uri.split_once('?').map_or("", |(_, q)| q).to_string();
        assert!(query.contains("list-type=2"), "not a listing: {uri}");
        self.requests.lock().unwrap().push(query.clone());
        let mut throttle = self.throttle.lock().unwrap();
        if *throttle > 0 {
            *throttle -= 1;
            let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>\
                        <Message>Please reduce your request rate.</Message></Error>";
            let mut response =
                HttpResponse::new(StatusCode::try_from(503).unwrap(), SdkBody::from(body));
            response
                .headers_mut()
                .insert("content-type", "application/xml".to_string());
            return HttpConnectorFuture::ready(Ok(response));
        }
        drop(throttle);
        let mut response = HttpResponse::new(
            StatusCode::try_from(200).unwrap(),
            SdkBody::from(self.page(&query)),
        );
        response
            .headers_mut()
            .insert("content-type", "application/xml".to_string());
        let Some(delay) = self.delay else {
            return HttpConnectorFuture::ready(Ok(response));
        };
        let in_flight = InFlight::start(self);
        HttpConnectorFuture::new(async move {
            tokio::time::sleep(delay).await;
            drop(in_flight);
            Ok(response)
        })
    }
}

impl HttpClient for FakeBucket {
    fn http_connector(
        &self,
        _: &HttpConnectorSettings,
        _: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

fn store(fake: &FakeBucket, max_attempts: u32) -> S3Store {
    let credentials = Credentials::new("AKIDEXAMPLE", "secret", None, None, "fake");
    let activity = Activity::new(max_attempts);
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .retry_config(RetryConfig::standard().with_max_attempts(max_attempts))
        .credentials_provider(credentials)
        .http_client(fake.clone())
        .interceptor(activity.interceptor())
        .build();
    S3Store {
        direct: None,
        bucket: "bucket".into(),
        client: Client::from_conf(conf.clone()),
        lister: Client::from_conf(conf.clone()),
        ranged: Client::from_conf(conf),
        max_attempts,
        path_style: false,
        endpoint: "http://fake".into(),
        profile: None,
        attempt_timeout: Duration::from_secs(60),
        timeout: None,
        activity,
    }
}

/// A fleet with 0 to 250 devices per prefix (so pages are full, partial and empty),
/// and keys outside the layout in every gap, two of the gaps more than a page long.
fn keys() -> (BTreeSet<String>, Vec<usize>) {
    let mut keys = BTreeSet::new();
    let mut per_digit = Vec::new();
    for d in 0..16u32 {
        let n = (d as usize * 53) % 260;
        per_digit.push(n);
        for i in 0..n {
            keys.insert(format!("{d:x}{i:07x}-2222-4333-8444-{i:012x}/backup.ffce"));
        }
    }
    keys.extend(["+a", "9~x", "f~", "README", "ABC/backup.ffce"].map(String::from));
    keys.extend((0..150).map(|i| format!("_k{i:03}")));
    keys.extend((0..120).map(|i| format!("zz{i:03}")));
    (keys, per_digit)
}

#[tokio::test]
async fn every_key_once_and_one_request_per_page() {
    let (keys, per_digit) = keys();
    let fake = FakeBucket {
        keys: Arc::new(keys.clone()),
        ..FakeBucket::default()
    };
    let store = store(&fake, 1);

    let mut seen: Vec<String> = Vec::new();
    let mut pages = store.list_pages(ListPace::Fastest);
    while let Some(page) = pages.next().await {
        seen.extend(page.unwrap().into_iter().map(|e| e.key));
    }
    drop(pages);
    let unique: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(seen.len(), unique.len(), "a key was listed twice");
    assert_eq!(unique, keys, "every key is listed");

    // One request per page: each prefix its own pages (an empty one still asks once);
    // below `0` one page; `:`..`a` (`9~x`, README, ABC.., 150 `_k`) two; above `f`
    // (120 `zz`) two. None more.
    let digit_pages: usize = per_digit.iter().map(|n| n.div_ceil(PAGE).max(1)).sum();
    let requests = fake.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), digit_pages + 1 + 2 + 2, "{requests:#?}");
    for d in "0123456789abcdef".chars() {
        let prefix = format!("prefix={d}");
        assert!(
            requests.iter().any(|q| q.split('&').any(|p| p == prefix)),
            "no listing of prefix {d}"
        );
    }

    fake.requests.lock().unwrap().clear();
    let listed: Vec<String> = store
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.key)
        .collect();
    assert_eq!(listed, keys.into_iter().collect::<Vec<_>>(), "key order");
    assert_eq!(fake.requests.lock().unwrap().len(), requests.len());
}

/// The pace sets how many spans are listed at once: an audit's only as many as its
/// reads need (4 for 128 reads, 1 for a few), `ls`'s all nineteen.
#[tokio::test]
async fn the_pace_bounds_the_listing_requests_in_flight() {
    let (keys, _) = keys();
    for (pace, most) in [
        (ListPace::Feeding { reads: 128 }, 4),
        (ListPace::Feeding { reads: 8 }, 1),
        (ListPace::Fastest, 19),
    ] {
        let fake = FakeBucket {
            keys: Arc::new(keys.clone()),
            delay: Some(Duration::from_millis(20)),
            ..FakeBucket::default()
        };
        let store = store(&fake, 1);
        let mut listed = 0;
        let mut pages = store.list_pages(pace);
        while let Some(page) = pages.next().await {
            listed += page.unwrap().len();
        }
        assert_eq!(listed, keys.len(), "{pace:?}");
        assert_eq!(fake.most_in_flight.load(Ordering::SeqCst), most, "{pace:?}");
    }
}

/// Throttled listing requests are retried by the SDK (standard mode, with backoff)
/// and counted by the store's [`Activity`]; the listing is still complete.
#[tokio::test]
async fn throttled_requests_are_retried_and_counted() {
    let (keys, _) = keys();
    let fake = FakeBucket {
        keys: Arc::new(keys.clone()),
        throttle: Arc::new(Mutex::new(2)),
        ..FakeBucket::default()
    };
    let store = store(&fake, 3);
    assert_eq!(store.retries(), 0);
    let listed = store.list().await.unwrap();
    assert_eq!(listed.len(), keys.len());
    assert_eq!(store.retries(), 2);
}

//! What the S3 store is waiting for right now, so that a caller can tell people while
//! a request hangs (a stalled endpoint otherwise means minutes of silence), and how
//! many attempts were retries (a throttled audit reports them in its summary).
//!
//! An SDK interceptor sees each attempt start and end; [`Activity::waiting`] reads the
//! state: how long the oldest attempt in flight has gone unanswered (with many
//! requests at once, the others coming and going must not hide a stalled one). The
//! library only records: printing (and when) is the caller's business.
//!
//! An attempt cut off by a timeout never reaches the "after attempt" hook, so each
//! attempt is counted by a guard kept in the operation's config bag: the next attempt
//! replaces it, the end of the attempt removes it, and a cancelled operation drops it
//! with its bag; whichever happens, the guard's `Drop` ends the count.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

#[derive(Debug, Default)]
struct State {
    in_flight: usize,
    /// When each attempt in flight started (how many started at that instant).
    started: BTreeMap<Instant, usize>,
    attempt: u32,
    endpoint: String,
    /// Attempts after a request's first (the SDK's retries and the store's own).
    retries: u64,
}

/// A handle on what an [`S3Store`](crate::S3Store) is doing; cheap to clone and to
/// read from another thread.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ffce_store::{S3Config, S3Store};
///
/// let config = S3Config { region: Some("eu-west-1".into()), ..S3Config::new("backups") };
/// let activity = S3Store::connect(&config).await?.activity();
/// // Polled by a caller that tells people what a slow request waits for.
/// assert_eq!(activity.waiting(), None, "nothing in flight");
/// assert_eq!(activity.retries(), 0);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Activity {
    state: Arc<Mutex<State>>,
    max_attempts: u32,
}

/// Requests are in flight, and the oldest has had no answer for [`for_`](Waiting::for_).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiting {
    /// The endpoint the latest attempt went to (`scheme://host[:port]`).
    pub endpoint: String,
    /// How long the oldest attempt in flight has gone unanswered. With many requests
    /// in flight (a listing of many prefixes, an audit) the others starting and ending
    /// meanwhile do not hide it.
    pub for_: Duration,
    /// The latest attempt's number (1 for the first try).
    pub attempt: u32,
    /// Attempts allowed per request.
    pub max_attempts: u32,
    /// Requests in flight (more than one during an audit).
    pub in_flight: usize,
    /// When the oldest attempt in flight began (the same value until it ends).
    pub since: Instant,
}

impl Activity {
    pub(crate) fn new(max_attempts: u32) -> Activity {
        Activity {
            state: Arc::default(),
            max_attempts,
        }
    }

    /// What the store waits for, or `None` when no request is in flight.
    pub fn waiting(&self) -> Option<Waiting> {
        let state = self.state.lock().ok()?;
        let since = *state.started.keys().next()?;
        (state.in_flight > 0).then(|| Waiting {
            endpoint: state.endpoint.clone(),
            for_: since.elapsed(),
            attempt: state.attempt,
            max_attempts: self.max_attempts,
            in_flight: state.in_flight,
            since,
        })
    }

    /// How many attempts were retries (after throttling, a server error, a timeout
    /// or a connection cut off), since the store was made. Each retry waits its own
    /// backoff; the other requests in flight go on meanwhile.
    pub fn retries(&self) -> u64 {
        self.state.lock().map_or(0, |s| s.retries)
    }

    /// Counts one retry that the store makes itself (a download cut off mid-body,
    /// which the SDK does not retry).
    pub(crate) fn count_retry(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.retries += 1;
        }
    }

    /// Counts an attempt that the store sends itself, outside the SDK (a direct header
    /// read, `direct.rs`), to `endpoint` (`scheme://host[:port]`), until the guard drops.
    pub(crate) fn direct_attempt(&self, endpoint: &str) -> AttemptGuard {
        if let Ok(mut state) = self.state.lock() {
            if state.endpoint != endpoint {
                endpoint.clone_into(&mut state.endpoint);
            }
        }
        AttemptGuard::start(&self.state, 1)
    }

    pub(crate) fn interceptor(&self) -> ActivityInterceptor {
        ActivityInterceptor(self.state.clone())
    }
}

/// Records attempts into an [`Activity`].
#[derive(Debug)]
pub(crate) struct ActivityInterceptor(Arc<Mutex<State>>);

impl Intercept for ActivityInterceptor {
    fn name(&self) -> &'static str {
        "ffce activity"
    }

    fn read_before_attempt(
        &self,
        _: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let attempt = cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts());
        // Replaces (and so ends) the previous attempt's guard, if it is still there.
        cfg.interceptor_state()
            .store_put(AttemptGuard::start(&self.0, attempt));
        Ok(())
    }

    /// The endpoint is resolved by now (it is not before the attempt).
    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Ok(mut state) = self.0.lock() {
            state.endpoint = endpoint_of(context.request().uri());
        }
        Ok(())
    }

    fn read_after_attempt(
        &self,
        _: &FinalizerInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().unset::<AttemptGuard>();
        Ok(())
    }
}

/// One attempt in flight; dropping it ends the attempt (see the module doc).
#[derive(Debug)]
pub(crate) struct AttemptGuard(Arc<Mutex<State>>, Instant);

impl Storable for AttemptGuard {
    type Storer = StoreReplace<AttemptGuard>;
}

impl AttemptGuard {
    /// Counts attempt number `attempt` of a request as started now.
    fn start(state: &Arc<Mutex<State>>, attempt: u32) -> AttemptGuard {
        let started = Instant::now();
        if let Ok(mut s) = state.lock() {
            *s.started.entry(started).or_default() += 1;
            s.in_flight += 1;
            s.attempt = attempt;
            if attempt > 1 {
                s.retries += 1;
            }
        }
        AttemptGuard(state.clone(), started)
    }
}

impl Drop for AttemptGuard {
    fn drop(&mut self) {
        if let Ok(mut state) = self.0.lock() {
            state.in_flight = state.in_flight.saturating_sub(1);
            if let Some(n) = state.started.get_mut(&self.1) {
                *n -= 1;
                if *n == 0 {
                    state.started.remove(&self.1);
                }
            }
        }
    }
}

/// `scheme://host[:port]` of a request URI (no path, no query: nothing about objects).
pub(super) fn endpoint_of(uri: &str) -> String {
    match uri.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split(['/', '?']).next().unwrap_or_default();
            format!("{scheme}://{host}")
        }
        None => uri.split(['/', '?']).next().unwrap_or_default().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_drop_the_path() {
        assert_eq!(
            endpoint_of("http://127.0.0.1:9000/bucket/key?x-id=GetObject"),
            "http://127.0.0.1:9000"
        );
        assert_eq!(
            endpoint_of("https://b.s3.eu-west-1.amazonaws.com/?list-type=2"),
            "https://b.s3.eu-west-1.amazonaws.com"
        );
    }

    #[test]
    fn idle_until_an_attempt_starts() {
        let activity = Activity::new(3);
        assert_eq!(activity.waiting(), None);
        {
            let mut s = activity.state.lock().unwrap();
            s.in_flight = 1;
            s.started.insert(Instant::now(), 1);
            s.attempt = 2;
        }
        let w = activity.waiting().unwrap();
        assert_eq!((w.attempt, w.max_attempts, w.in_flight), (2, 3, 1));
    }

    /// The wait is the oldest attempt's: a newer one starting or ending does not hide
    /// it; once it ends, the next oldest's. Retries (attempts after the first) count.
    #[test]
    fn the_oldest_attempt_in_flight_is_the_wait() {
        let activity = Activity::new(3);
        let first = AttemptGuard::start(&activity.state, 1);
        std::thread::sleep(Duration::from_millis(20));
        let second = AttemptGuard::start(&activity.state, 2);
        let third = AttemptGuard::start(&activity.state, 1);
        drop(third);
        let w = activity.waiting().unwrap();
        assert!(w.for_ >= Duration::from_millis(20), "{w:?}");
        assert_eq!((w.in_flight, w.attempt), (2, 1));
        drop(first);
        let w = activity.waiting().unwrap();
        assert!(w.for_ < Duration::from_millis(20), "{w:?}");
        drop(second);
        assert_eq!(activity.waiting(), None);
        assert_eq!(activity.retries(), 1);
    }

    /// An attempt the store sends itself is waited for like the SDK's: it names its
    /// endpoint, counts as attempt 1 (no retry), and ends when its guard drops.
    #[test]
    fn a_direct_attempt_is_waited_for_like_the_sdks() {
        let activity = Activity::new(3);
        let attempt = activity.direct_attempt("http://127.0.0.1:9000");
        let w = activity.waiting().unwrap();
        assert_eq!(w.endpoint, "http://127.0.0.1:9000");
        assert_eq!((w.attempt, w.max_attempts, w.in_flight), (1, 3, 1));
        drop(attempt);
        assert_eq!(activity.waiting(), None);
        assert_eq!(activity.retries(), 0);
    }
}

//! Structured logs: one JSON object per line on stdout (CloudWatch under Lambda), one
//! line per request with its id, method, route, device, status and duration. A line
//! never holds a body, a key, a signature or a nonce: the request line takes only the
//! fields of [`RequestLine`], and errors are logged by their messages, which name
//! objects and problems, not header values.

use tracing::Level;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt as _;

/// What the log says about one request.
#[derive(Clone, Copy, Debug)]
pub struct RequestLine<'a> {
    /// Lambda's request id, or the local server's counter.
    pub request_id: &'a str,
    /// The HTTP method.
    pub method: &'a str,
    /// `POST /devices/{uuid}/backup` and so on, `unmatched`, or (`--listen`)
    /// `unread body` for a body refused before routing.
    pub route: &'a str,
    /// The path's device UUID, once it is a valid one.
    pub device: Option<&'a str>,
    /// The answer's status.
    pub status: u16,
    /// From the request's arrival to its answer.
    pub duration_ms: f64,
}

/// Logs `line` (message `request`, level INFO).
pub fn request_line(line: &RequestLine<'_>) {
    tracing::info!(
        request_id = line.request_id,
        method = line.method,
        route = line.route,
        device = line.device,
        status = line.status,
        duration_ms = (line.duration_ms * 1000.0).round() / 1000.0,
        "request"
    );
}

/// The JSON-lines subscriber writing to `writer`: this crate's events from INFO,
/// everything else (the runtime, the AWS SDK) from WARN.
pub fn subscriber<W>(writer: W) -> impl tracing::Subscriber + Send + Sync + 'static
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let targets = Targets::new()
        .with_target("ffce_lambda", Level::INFO)
        .with_target("ffce_backup_api", Level::INFO)
        .with_default(Level::WARN);
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_max_level(Level::INFO)
        .with_writer(writer)
        .finish()
        .with(targets)
}

/// Installs [`subscriber`] on stdout for the whole process.
pub fn init() {
    // Fails only when a subscriber is already installed, which then keeps logging.
    let _ = tracing::subscriber::set_global_default(subscriber(std::io::stdout));
}

//! `--listen ADDR`: the same router as a plain HTTP/1.1 server (hyper), for development
//! and tests. Request ids are `local-1`, `local-2`, ...

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::app::App;
use crate::{logging, reply};

/// The largest body read from a connection: Lambda's own request limit (6 MB). Bodies
/// between the API's 512 KiB and this reach the router, which answers 413 after the
/// device is authenticated, as under Lambda.
pub const MAX_REQUEST_BODY: usize = 6 * 1024 * 1024;

/// Serves `app` on `listener` until the process ends.
pub async fn serve(app: Arc<App>, listener: TcpListener) -> std::io::Result<()> {
    let counter = Arc::new(AtomicU64::new(0));
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // E.g. out of file descriptors: wait a little, keep serving.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let app = Arc::clone(&app);
        let counter = Arc::clone(&counter);
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let app = Arc::clone(&app);
                let id = format!("local-{}", counter.fetch_add(1, Ordering::Relaxed) + 1);
                async move { Ok::<_, Infallible>(answer(&app, request, &id).await) }
            });
            if let Err(e) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
}

async fn answer(
    app: &App,
    request: hyper::Request<Incoming>,
    id: &str,
) -> hyper::Response<Full<Bytes>> {
    let started = std::time::Instant::now();
    let (parts, body) = request.into_parts();
    let refusal = match Limited::new(body, MAX_REQUEST_BODY).collect().await {
        Ok(collected) => {
            let request = http::Request::from_parts(parts, collected.to_bytes());
            return app.handle(request, id).await.map(Full::new);
        }
        Err(e) if e.is::<http_body_util::LengthLimitError>() => reply::message(
            413,
            &format!("Request body is over {MAX_REQUEST_BODY} bytes"),
        ),
        Err(_) => reply::message(400, "Request body could not be read"),
    };
    // Refused before routing, still one line like every other request.
    logging::request_line(&logging::RequestLine {
        request_id: id,
        method: parts.method.as_str(),
        route: "unread body",
        device: None,
        status: refusal.status().as_u16(),
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
    });
    refusal.map(Full::new)
}

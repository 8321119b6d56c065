//! `s3s-fs-indexed`: the s3s-fs S3 server, with listings that cost what they cost on
//! S3. benches/fleet.sh compares ffce with other S3 clients on it.
//!
//! s3s-fs (crates.io) serves a folder of plain files over the S3 API and answers each
//! read much as S3 does, but it walks the whole bucket folder for every listing page,
//! so listing time on it grows with the square of the bucket. This server answers the
//! same operations with s3s-fs's own code, except the two listings, which come from a
//! sorted index of the keys made at start-up (see `index.rs`). Same command line as
//! `s3s-fs`, minus virtual-host domains; it logs each request as s3s does
//! (`RUST_LOG=s3s::ops=debug` gives one "resolved route, op: X" per request).
//!
//! `--delay-ms N` holds every answer back by N ms on a timer (no CPU spent), to model
//! S3's first-byte latency (about 20 ms for a small object) on loopback.

mod index;
mod s3;

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use hyper::body::Incoming;
use hyper::service::Service;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::{S3Service, S3ServiceBuilder};
use tokio::net::TcpListener;

#[derive(Debug, Parser)]
#[command(version)]
struct Opt {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,

    /// Port to listen on.
    #[arg(long)]
    port: u16,

    /// Access key for signed requests (with --secret-key).
    #[arg(long, requires = "secret_key")]
    access_key: Option<String>,

    /// Secret key for signed requests (with --access-key).
    #[arg(long, requires = "access_key")]
    secret_key: Option<String>,

    /// Hold every answer back by this many milliseconds (a timer, no CPU): a model of
    /// S3's first-byte latency. 0: answer at once.
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,

    /// The data folder: one folder per bucket, one file per object.
    root: PathBuf,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let opt = Opt::parse();
    tracing_subscriber::fmt()
        .pretty()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_ansi(false)
        .init();

    let mut service = S3ServiceBuilder::new(s3::Indexed::new(opt.root)?);
    if let (Some(ak), Some(sk)) = (opt.access_key, opt.secret_key) {
        service.set_auth(SimpleAuth::from_single(ak, sk));
    }
    let service = Delayed {
        inner: service.build(),
        delay: Duration::from_millis(opt.delay_ms),
    };

    let listener = TcpListener::bind((opt.host.as_str(), opt.port)).await?;
    eprintln!("server is running at http://{}", listener.local_addr()?);
    let http = ConnBuilder::new(TokioExecutor::new());
    loop {
        let (socket, _) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                tracing::error!("accepting a connection: {e}");
                continue;
            }
        };
        let conn = http
            .serve_connection(TokioIo::new(socket), service.clone())
            .into_owned();
        tokio::spawn(async move {
            let _ = conn.await;
        });
    }
}

/// The S3 service with each answer sent `delay` after it is ready.
#[derive(Clone)]
struct Delayed {
    inner: S3Service,
    delay: Duration,
}

impl Service<hyper::Request<Incoming>> for Delayed {
    type Response = <S3Service as Service<hyper::Request<Incoming>>>::Response;
    type Error = <S3Service as Service<hyper::Request<Incoming>>>::Error;
    type Future = std::pin::Pin<
        Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send + 'static>,
    >;

    fn call(&self, req: hyper::Request<Incoming>) -> Self::Future {
        let answer = Service::call(&self.inner, req);
        let delay = self.delay;
        Box::pin(async move {
            let answer = answer.await;
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            answer
        })
    }
}

//! `ffce-backup-api`: the device backup API as a Lambda function (when
//! `AWS_LAMBDA_RUNTIME_API` is set) or a local HTTP server (`--listen ADDR`).

use std::process::ExitCode;
use std::sync::Arc;

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use ffce_lambda::{App, Config, listen, logging};
use lambda_runtime::{LambdaEvent, service_fn};

const USAGE: &str = "\
usage: ffce-backup-api --listen ADDR     serve the API over HTTP on ADDR (e.g. 127.0.0.1:8080)
       ffce-backup-api                   under the AWS Lambda runtime (AWS_LAMBDA_RUNTIME_API set)

environment: S3_BACKUP_BUCKET_NAME and DYNAMODB_DEVICES_TABLE_NAME (required),
DYNAMODB_NONCES_TABLE_NAME (the nonce table that refuses replayed requests; without it
they are not refused), BACKUP_KEY_LAYOUT (nested, the default, or flat), and the usual
AWS variables (AWS_REGION, credentials, AWS_ENDPOINT_URL).";

enum Mode {
    Lambda,
    Listen(String),
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("ffce-backup-api: {message}\n\n{USAGE}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut listen_addr = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "--listen" => match args.next() {
                Some(addr) if !addr.is_empty() => listen_addr = Some(addr),
                _ => return usage_error("--listen needs an address, e.g. 127.0.0.1:8080"),
            },
            other => return usage_error(&format!("unexpected argument {other:?}")),
        }
    }
    let under_lambda = std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some_and(|v| !v.is_empty());
    let mode = match (under_lambda, listen_addr) {
        (true, _) => Mode::Lambda,
        (false, Some(addr)) => Mode::Listen(addr),
        (false, None) => {
            return usage_error(
                "not under the Lambda runtime (AWS_LAMBDA_RUNTIME_API is not set): \
                 give --listen ADDR to serve over HTTP",
            );
        }
    };
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ffce-backup-api: {e}");
            return ExitCode::from(2);
        }
    };
    logging::init();
    // One request at a time under Lambda; a local server takes them concurrently.
    let runtime = match mode {
        Mode::Lambda => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        Mode::Listen(_) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
    };
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ffce-backup-api: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(mode, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!(target: "ffce_backup_api", error = %message, "stopped");
            eprintln!("ffce-backup-api: {message}");
            ExitCode::from(1)
        }
    }
}

async fn run(mode: Mode, config: Config) -> Result<(), String> {
    let app = Arc::new(App::connect(config).await.map_err(|e| e.to_string())?);
    if !app.refuses_replays() {
        // Once per process (per cold start under Lambda).
        tracing::warn!(target: "ffce_backup_api",
            "replay protection is off: DYNAMODB_NONCES_TABLE_NAME is not set, so a signed \
             request seen by anyone can be sent again within its 10 s window");
    }
    match mode {
        Mode::Lambda => {
            let handler = service_fn(|event: LambdaEvent<ApiGatewayV2httpRequest>| {
                let app = Arc::clone(&app);
                async move {
                    let id = event.context.request_id.clone();
                    Ok::<_, std::convert::Infallible>(app.handle_event(event.payload, &id).await)
                }
            });
            lambda_runtime::run(handler)
                .await
                .map_err(|e| e.to_string())
        }
        Mode::Listen(addr) => {
            let listener = tokio::net::TcpListener::bind(&addr)
                .await
                .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
            let local = listener.local_addr().map_err(|e| e.to_string())?;
            tracing::info!(target: "ffce_backup_api", addr = %local, bucket = %app.config().bucket,
                table = %app.config().table, layout = app.config().layout.name(),
                nonces_table = app.config().nonces_table.as_deref().unwrap_or(""), "listening");
            listen::serve(app, listener)
                .await
                .map_err(|e| format!("serving on {local}: {e}"))
        }
    }
}

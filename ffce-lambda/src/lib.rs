//! The FFCE device backup API (docs/SPEC.md §7) in Rust: `POST`, `GET` and `DELETE`
//! `/devices/{uuid}/backup`, on `ffce-core` (upload validation, device authentication)
//! and `ffce-store` (the bucket), with the device table in DynamoDB.
//!
//! The binary `ffce-backup-api` runs as an AWS Lambda function behind an API Gateway
//! HTTP API (payload 2.0) when `AWS_LAMBDA_RUNTIME_API` is set, or as a plain HTTP
//! server with `--listen ADDR`; both modes hand requests to the one router,
//! [`App::handle`]. The library is that router, so tests and other programs can drive
//! it directly ([`App::handle_event`] takes an API Gateway event).
//!
//! Stricter than the Python functions it replaces, on purpose: the path's UUID is
//! checked before any AWS call (400); an upload passes `ffce-core`'s full validation
//! (400 naming the problem, 413 over 524,288 bytes); `If-None-Match` is compared with
//! the stored object's `etag` metadata; a GET answers 404 only for a missing object.
//!
//! Each signed request is good once ([`nonces`]): with a nonce table configured, the
//! request's nonce is recorded after its signature verifies and before anything is read
//! or written; the same headers again, on any route and with any body, are refused with
//! 401 ([`REPLAYED_MESSAGE`]); a nonce table that cannot answer is a 503
//! ([`NONCES_UNAVAILABLE_MESSAGE`], `Retry-After: 1`) and the request does nothing.
//!
//! Every answer comes within Lambda's 15 s ([`TIME_BUDGET`], [`DYNAMODB_TIMEOUT`]), and
//! `last_backup_date` never outlives the backup it dates: a DELETE removes it before and
//! after the delete, and a POST overtaken by a DELETE does not set it
//! ([`devices`]). The README's "When AWS fails" has the status of each fault.
//!
//! A path UUID not in lowercase is looked up in the device table, and compared with
//! `X-Device-UUID`, as sent (as the Python functions do). Its backup goes under the
//! canonical lowercase key, the one every ffce tool reads, where the Python functions
//! used the key as sent; so that backups they stored that way stay reachable, a GET that
//! finds no lowercase object reads the key as sent, and a DELETE deletes both keys. A
//! POST's `If-None-Match` is compared with the lowercase object only, so such a device
//! uploads once more before its next `304`. (`ffce ls` lists a key not in lowercase as
//! a stray, `uppercase_uuid`.)
//!
//! # Environment
//!
//! | variable | meaning |
//! |---|---|
//! | `S3_BACKUP_BUCKET_NAME` | the bucket (required) |
//! | `DYNAMODB_DEVICES_TABLE_NAME` | the device table (required) |
//! | `DYNAMODB_NONCES_TABLE_NAME` | the nonce table (optional; unset: replays are not refused, and the binary says so at start-up) |
//! | `BACKUP_KEY_LAYOUT` | `nested` (default, `{uuid}/backup.ffce`) or `flat` (`{uuid}`) |
//! | `AWS_REGION`, credentials, `AWS_ENDPOINT_URL` | as for any AWS SDK program |
//!
//! A missing or invalid variable stops the binary with exit code 2, naming it.
//!
//! # Running it locally
//!
//! Against the moto test server (`scripts/s3-server.sh start` prints its endpoint),
//! which serves S3 and DynamoDB on one port:
//!
//! ```text
//! export AWS_ENDPOINT_URL=http://127.0.0.1:PORT AWS_REGION=us-east-1 \
//!        AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
//!        S3_BACKUP_BUCKET_NAME=my-bucket DYNAMODB_DEVICES_TABLE_NAME=firefly-devices \
//!        DYNAMODB_NONCES_TABLE_NAME=firefly-nonces
//! ffce-backup-api --listen 127.0.0.1:8080
//! ```
//!
//! Each request is logged as one JSON line on stdout ([`logging`]).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

mod app;
mod auth;
pub mod config;
pub mod devices;
pub mod event;
pub mod listen;
pub mod logging;
pub mod nonces;
pub mod reply;

pub use app::{
    App, DYNAMODB_ATTEMPT_TIMEOUT, DYNAMODB_TIMEOUT, NONCES_UNAVAILABLE_MESSAGE,
    OUT_OF_TIME_MESSAGE, REPLAYED_MESSAGE, StartError, TIME_BUDGET,
};
pub use config::{Config, ConfigError};

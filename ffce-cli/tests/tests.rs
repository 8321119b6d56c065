//! The `ffce` command's integration tests, as one test binary: one module per command or
//! topic, and one shared harness (`common`: run the real binary, temporary folders and key
//! files, the fixtures, the moto S3 server, the fault proxy and the device API server).
//! One binary links the harness once, where one binary per file would compile it twenty
//! times.
//!
//! Tests that need the S3 test server read `FFCE_TEST_S3_ENDPOINT` (set by
//! `scripts/test.sh`); without it they fail, they never skip.

mod common;

mod atomic;
mod audit;
mod bucket;
mod bucket_admin;
mod cli;
mod content;
mod content_input;
mod crypt;
mod device_api;
mod device_api_faults;
mod device_api_races;
mod faults;
mod fleet;
mod fleet_listing;
mod guards;
mod help;
mod inspect;
mod key_dir;
mod keys;
mod local_store;
mod outputs;
mod oversize;
mod provenance;
mod quiet;
mod reader_left;
mod reports;
mod snapshots;
mod store_errors;
mod store_verdicts;
mod units_and_lookalikes;
mod verdicts;
mod verify;

//! The per-object work of a `--key-dir` audit without the network: for each backup in a
//! served folder, what `ffce audit --key-dir` does once the GET's body is in memory.
//!
//! `benches/floor.py` runs it as a child process and takes its CPU from rusage, so that
//! the keyed audit's floor is "curl's whole-object GETs + this", both measured in the
//! same run. Per object, in one thread:
//!
//! - the device's key file loaded and its key derived (HKDF-SHA-256), as the audit does;
//! - the blob read from the folder (what the GET's body would hold);
//! - a SHA-256 of the blob: the cost of one SHA-256 over the object, as validating an
//!   `x-amz-checksum-sha256` or comparing the `etag` metadata's plaintext digest spends
//!   (the planted objects carry neither, so the audit itself computes no SHA-256; this
//!   makes the floor the more generous one);
//! - [`judge_whole`]: the header checked, AES-256-GCM opened and the Dexie export's
//!   restore check.
//!
//! A device without a key file is counted and skipped (the audit reads its header
//! instead, which curl's whole-object GET of it more than covers).
//!
//! `cargo run --release -p ffce-benches --example keyed_work -- ROOT KEY_DIR < KEYS`
//! (KEYS: one object key per line, relative to ROOT) prints `objects N valid V no_key K`.

use std::io::{self, BufRead};
use std::path::PathBuf;
use std::process::ExitCode;

use ffce_core::Purpose;
use ffce_core::layout::ObjectKey;
use ffce_store::audit::{Status, judge_whole};
use ffce_store::keyring::KeyDir;
use sha2::{Digest, Sha256};

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(root), Some(key_dir)) = (args.next(), args.next()) else {
        eprintln!("usage: keyed_work ROOT KEY_DIR < KEYS");
        return ExitCode::from(2);
    };
    let root = PathBuf::from(root);
    let keys = match KeyDir::open(PathBuf::from(key_dir), Purpose::Backup) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("keyed_work: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (mut objects, mut valid, mut no_key) = (0u64, 0u64, 0u64);
    for line in io::stdin().lock().lines() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                eprintln!("keyed_work: reading the key list: {e}");
                return ExitCode::FAILURE;
            }
        };
        let Some(object) = ObjectKey::parse(&line) else {
            eprintln!("keyed_work: not a backup key: {line:?}");
            return ExitCode::FAILURE;
        };
        objects += 1;
        let key = match keys.load(object.device()) {
            Ok(Some(k)) => k,
            Ok(None) => {
                no_key += 1;
                continue;
            }
            Err(e) => {
                eprintln!("keyed_work: {e}");
                return ExitCode::FAILURE;
            }
        };
        let body = match std::fs::read(root.join(&line)) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("keyed_work: reading {line}: {e}");
                return ExitCode::FAILURE;
            }
        };
        std::hint::black_box(Sha256::digest(&body));
        valid += u64::from(judge_whole(object, &body, &key).status == Status::Valid);
    }
    println!("objects {objects} valid {valid} no_key {no_key}");
    ExitCode::SUCCESS
}

//! Criterion benchmark of the device API's per-request signature check, next to the bare
//! P-256 ECDSA verification of the two crates it can use, so that the backend choice
//! (`ffce-core`'s `ring-verify` feature, which the device API enables) shows as a ratio.
//!
//! Ids:
//!
//! - `verify/ffce`: `ffce_core::device_auth::verify` of one request's parsed headers, with
//!   the backend this build selects (`p256` by default, `ring` with `--features
//!   ring-verify`, which this crate forwards);
//! - `verify/raw/p256`, `verify/raw/ring`: each crate's bare verification of the same
//!   DER signature over the same `nonce || timestamp` message: the baselines.

use std::hint::black_box;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use criterion::{Criterion, criterion_group, criterion_main};
use ffce_core::device_auth::{AuthHeaders, DeviceSigningKey, RawAuthHeaders, verify};
use ffce_core::layout::DeviceId;
use p256::ecdsa::signature::Verifier as _;

const DEVICE: &str = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
const TIMESTAMP: &str = "2025-05-09T12:00:00Z";
/// The Unix time of `TIMESTAMP`, so the headers parse inside the window.
const NOW: i64 = 1_746_792_000;
const NONCE: [u8; 32] = [7; 32];
const SCALAR: [u8; 32] = [0x42; 32];

fn bench(c: &mut Criterion) {
    let device = DeviceId::parse(DEVICE).expect("a valid UUID");
    let signer = DeviceSigningKey::from_scalar_bytes(&SCALAR).expect("a valid scalar");
    let signed = signer.sign(&device, &NONCE, TIMESTAMP);
    let raw = RawAuthHeaders {
        uuid: Some(signed.uuid()),
        nonce: Some(signed.nonce()),
        timestamp: Some(signed.timestamp()),
        signature: Some(signed.signature()),
    };
    let headers = AuthHeaders::parse(DEVICE, raw, NOW).expect("headers in the window");
    let public = signer.public_key();
    verify(&public, &headers).expect("the genuine signature verifies");

    // The same inputs for the bare crates.
    let mut message = NONCE.to_vec();
    message.extend_from_slice(TIMESTAMP.as_bytes());
    let der = STANDARD.decode(signed.signature()).expect("base64");
    let p256_key = p256::ecdsa::SigningKey::from_slice(&SCALAR).expect("a valid scalar");
    let p256_public = *p256_key.verifying_key();
    let p256_signature = p256::ecdsa::DerSignature::try_from(der.as_slice()).expect("DER");
    let sec1 = p256_public.to_sec1_point(false);
    let ring_public = ring::signature::UnparsedPublicKey::new(
        &ring::signature::ECDSA_P256_SHA256_ASN1,
        sec1.as_bytes().to_vec(),
    );
    ring_public.verify(&message, &der).expect("ring verifies");

    let mut group = c.benchmark_group("verify");
    group.bench_function("ffce", |b| {
        b.iter(|| verify(black_box(&public), black_box(&headers)))
    });
    group.bench_function("raw/p256", |b| {
        b.iter(|| p256_public.verify(black_box(&message), black_box(&p256_signature)))
    });
    group.bench_function("raw/ring", |b| {
        b.iter(|| ring_public.verify(black_box(&message), black_box(&der)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Criterion benchmarks of ffce-core's hot path and of the bare AEAD crates, side by side,
//! so that what the framing costs shows as a ratio.
//!
//! Ids are stable so results compare over time:
//!
//! - `seal/{1KiB,64KiB,512KiB}`, `open/…`: the allocating API (`Key::seal` with a fresh
//!   random nonce, `Key::open` into a new `Plaintext`);
//! - `seal_in_place/…`, `open_in_place/…`: `Key::seal_in_place_with_nonce` and
//!   `Key::open_in_place` on a buffer laid out as the blob;
//! - `derive`: HKDF-SHA256 of one purpose plus the key setup (`MasterSecret::derive`);
//! - `inspect`: `Blob::parse` + `ffce_core::inspect` of a 512 KiB blob (header parse and
//!   structural check, O(1) in the blob's size);
//! - `raw/{aes-gcm,ring,aws-lc-rs}/512KiB`: each crate's bare AES-256-GCM sealing the same
//!   512 KiB buffer in place with a detached tag and empty AAD: the baselines;
//! - `raw_open/{aes-gcm,ring,aws-lc-rs}/512KiB`: the same crates opening in place.
//!
//! The sizes are plaintext sizes and throughput counts plaintext bytes, so
//! `seal_in_place/512KiB` encrypts exactly what `raw/*/512KiB` encrypts.
//!
//! Which AEAD ffce-core uses is fixed at build time: the pure-Rust `aes-gcm` by default,
//! `ring` with `--features ring` (this crate forwards it). `benches/run.sh` runs both and
//! puts each ffce figure next to the raw figure of its own backend.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ffce_core::{
    Blob, Key, MasterSecret, Purpose,
    format::HEADER_LEN,
    keys::{Nonce, buffer_with_header_room},
};

const KEY: [u8; 32] = [7; 32];
const NONCE: [u8; 12] = [1; 12];
const RAW_LEN: usize = 512 * 1024;
const SIZES: [(&str, usize); 3] = [("1KiB", 1024), ("64KiB", 64 * 1024), ("512KiB", RAW_LEN)];

/// The batching for routines that consume their input (an opened blob is plaintext).
///
/// Large inputs are made one at a time, just before each run, so the buffer is as hot in
/// cache as the reused buffer of the in-place seal; a pre-made batch of 512 KiB buffers
/// would spill out of L2 and measure memory instead of the cipher.
fn batching(len: usize) -> BatchSize {
    if len >= 64 * 1024 {
        BatchSize::PerIteration
    } else {
        BatchSize::SmallInput
    }
}

fn plaintext(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

fn sealed_blob(key: &Key, len: usize) -> Vec<u8> {
    key.seal_with_nonce(Nonce::assume_unique_for_key(NONCE), &plaintext(len))
        .expect("seal")
}

fn seal(c: &mut Criterion) {
    let key = Key::from_bytes(&KEY);
    let mut g = c.benchmark_group("seal");
    for (id, len) in SIZES {
        let pt = plaintext(len);
        g.throughput(Throughput::Bytes(len as u64));
        g.bench_function(id, |b| b.iter(|| key.seal(black_box(&pt)).expect("seal")));
    }
    g.finish();

    let mut g = c.benchmark_group("seal_in_place");
    for (id, len) in SIZES {
        let mut blob = buffer_with_header_room(len);
        blob.extend_from_slice(&plaintext(len));
        g.throughput(Throughput::Bytes(len as u64));
        // Sealing the previous round's ciphertext again is the same work as sealing
        // plaintext, and reusing the nonce is harmless in a benchmark.
        g.bench_function(id, |b| {
            b.iter(|| {
                key.seal_in_place_with_nonce(Nonce::assume_unique_for_key(NONCE), &mut blob)
                    .expect("seal")
            })
        });
    }
    g.finish();
}

fn open(c: &mut Criterion) {
    let key = Key::from_bytes(&KEY);
    let mut g = c.benchmark_group("open");
    for (id, len) in SIZES {
        let blob = sealed_blob(&key, len);
        g.throughput(Throughput::Bytes(len as u64));
        g.bench_function(id, |b| b.iter(|| key.open(black_box(&blob)).expect("open")));
    }
    g.finish();

    let mut g = c.benchmark_group("open_in_place");
    for (id, len) in SIZES {
        let blob = sealed_blob(&key, len);
        g.throughput(Throughput::Bytes(len as u64));
        g.bench_function(id, |b| {
            b.iter_batched_ref(
                || blob.clone(),
                |buf| key.open_in_place(buf).expect("open").len(),
                batching(len),
            )
        });
    }
    g.finish();
}

// `derive` and `inspect` are single benchmarks whose ids are exactly `derive` and
// `inspect`, so that a comparison across runs finds them by name. Criterion attaches a throughput to a group only, and a group's
// ids are always `group/function`, so these two report time per operation; their
// byte counts (a 32-byte key; a 512 KiB blob inspected in O(1)) would say nothing.

fn derive(c: &mut Criterion) {
    let master = MasterSecret::from_bytes([0x11; 32]);
    c.bench_function("derive", |b| {
        b.iter(|| black_box(&master).derive(Purpose::Backup))
    });
}

fn inspect(c: &mut Criterion) {
    let key = Key::from_bytes(&KEY);
    let blob = sealed_blob(&key, RAW_LEN - HEADER_LEN);
    c.bench_function("inspect", |b| {
        b.iter(|| {
            let parsed = Blob::parse(black_box(&blob)).expect("valid");
            let report = ffce_core::inspect(black_box(&blob));
            (parsed.header().plaintext_len(), report.is_valid())
        })
    });
}

/// The bare AEAD crates, same key, nonce, buffer size, detached tag, empty AAD.
fn raw(c: &mut Criterion) {
    let pt = plaintext(RAW_LEN);
    let mut seal = c.benchmark_group("raw");
    seal.throughput(Throughput::Bytes(RAW_LEN as u64));
    // The same ciphertext and tag serve all three opens: they implement the same
    // AES-256-GCM.
    let (ct, tag) = {
        use aes_gcm::aead::{AeadInOut, KeyInit};
        let k = aes_gcm::Aes256Gcm::new(&KEY.into());
        let mut buf = pt.clone();
        seal.bench_function("aes-gcm/512KiB", |b| {
            b.iter(|| {
                k.encrypt_inout_detached(&NONCE.into(), &[], buf.as_mut_slice().into())
                    .expect("seal")
            })
        });
        let mut ct = pt.clone();
        let tag = k
            .encrypt_inout_detached(&NONCE.into(), &[], ct.as_mut_slice().into())
            .expect("seal");
        (ct, <[u8; 16]>::from(tag))
    };
    let ring_key = {
        use ring::aead;
        let k =
            aead::LessSafeKey::new(aead::UnboundKey::new(&aead::AES_256_GCM, &KEY).expect("key"));
        let mut buf = pt.clone();
        seal.bench_function("ring/512KiB", |b| {
            b.iter(|| {
                k.seal_in_place_separate_tag(
                    aead::Nonce::assume_unique_for_key(NONCE),
                    aead::Aad::empty(),
                    &mut buf,
                )
                .expect("seal")
            })
        });
        k
    };
    let aws_key = {
        use aws_lc_rs::aead;
        let k =
            aead::LessSafeKey::new(aead::UnboundKey::new(&aead::AES_256_GCM, &KEY).expect("key"));
        let mut buf = pt.clone();
        seal.bench_function("aws-lc-rs/512KiB", |b| {
            b.iter(|| {
                k.seal_in_place_separate_tag(
                    aead::Nonce::assume_unique_for_key(NONCE),
                    aead::Aad::empty(),
                    &mut buf,
                )
                .expect("seal")
            })
        });
        k
    };
    seal.finish();

    let mut open = c.benchmark_group("raw_open");
    open.throughput(Throughput::Bytes(RAW_LEN as u64));
    {
        use aes_gcm::aead::{AeadInOut, KeyInit};
        let k = aes_gcm::Aes256Gcm::new(&KEY.into());
        open.bench_function("aes-gcm/512KiB", |b| {
            b.iter_batched_ref(
                || ct.clone(),
                |buf| {
                    k.decrypt_inout_detached(
                        &NONCE.into(),
                        &[],
                        buf.as_mut_slice().into(),
                        &tag.into(),
                    )
                    .expect("open")
                },
                batching(RAW_LEN),
            )
        });
    }
    {
        use ring::aead;
        open.bench_function("ring/512KiB", |b| {
            b.iter_batched_ref(
                || ct.clone(),
                |buf| {
                    ring_key
                        .open_in_place_separate_tag(
                            aead::Nonce::assume_unique_for_key(NONCE),
                            aead::Aad::empty(),
                            aead::Tag::from(tag),
                            buf,
                            0..,
                        )
                        .expect("open")
                        .len()
                },
                batching(RAW_LEN),
            )
        });
    }
    {
        use aws_lc_rs::aead;
        open.bench_function("aws-lc-rs/512KiB", |b| {
            b.iter_batched_ref(
                || ct.clone(),
                |buf| {
                    aws_key
                        .open_in_place_separate_tag(
                            aead::Nonce::assume_unique_for_key(NONCE),
                            aead::Aad::empty(),
                            &tag,
                            buf,
                        )
                        .expect("open")
                        .len()
                },
                batching(RAW_LEN),
            )
        });
    }
    open.finish();
}

criterion_group!(benches, seal, open, derive, inspect, raw);
criterion_main!(benches);

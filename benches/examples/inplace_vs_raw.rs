//! Interleaved A/B check that ffce-core's in-place paths keep pace with the bare AEAD of
//! the same backend, at 512 KiB (the framing should cost next to nothing).
//!
//! Criterion measures one benchmark after another, so on a shared machine a burst of
//! other work can land on one side of a ratio only. Here each round times ffce and the
//! raw crate back to back on the same buffers, and the fastest round of each is kept:
//! interference only ever adds time, so the minimum is the steadiest estimate.
//!
//! `cargo run --release -p ffce-benches [--features ring] --example inplace_vs_raw [ROUNDS]`
//! prints Markdown table rows (used by `benches/run.sh`).

use std::time::Instant;

use ffce_core::{
    Key,
    format::HEADER_LEN,
    keys::{Nonce, buffer_with_header_room},
};

const LEN: usize = 512 * 1024;
const KEY: [u8; 32] = [7; 32];
const NONCE: [u8; 12] = [1; 12];

/// The backend ffce-core was built with (this crate forwards its `ring` feature).
const BACKEND: &str = if cfg!(feature = "ring") {
    "ring"
} else {
    "aes-gcm"
};

/// The bare crate of [`BACKEND`]: seal in place, open in place, detached tag, no AAD.
#[cfg(not(feature = "ring"))]
mod raw {
    use aes_gcm::aead::{AeadInOut, KeyInit};
    use aes_gcm::{Aes256Gcm, Tag};

    pub struct Raw(Aes256Gcm);

    impl Raw {
        pub fn new() -> Raw {
            Raw(Aes256Gcm::new(&super::KEY.into()))
        }
        pub fn seal(&self, buf: &mut [u8]) -> [u8; 16] {
            self.0
                .encrypt_inout_detached(&super::NONCE.into(), &[], buf.into())
                .expect("seal")
                .into()
        }
        pub fn open(&self, buf: &mut [u8], tag: &[u8; 16]) {
            self.0
                .decrypt_inout_detached(&super::NONCE.into(), &[], buf.into(), &Tag::from(*tag))
                .expect("open")
        }
    }
}

#[cfg(feature = "ring")]
mod raw {
    use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, Tag, UnboundKey};

    pub struct Raw(LessSafeKey);

    impl Raw {
        pub fn new() -> Raw {
            Raw(LessSafeKey::new(
                UnboundKey::new(&AES_256_GCM, &super::KEY).expect("key"),
            ))
        }
        pub fn seal(&self, buf: &mut [u8]) -> [u8; 16] {
            let tag = self
                .0
                .seal_in_place_separate_tag(
                    Nonce::assume_unique_for_key(super::NONCE),
                    Aad::empty(),
                    buf,
                )
                .expect("seal");
            tag.as_ref().try_into().expect("16 bytes")
        }
        pub fn open(&self, buf: &mut [u8], tag: &[u8; 16]) {
            self.0
                .open_in_place_separate_tag(
                    Nonce::assume_unique_for_key(super::NONCE),
                    Aad::empty(),
                    Tag::from(*tag),
                    buf,
                    0..,
                )
                .expect("open");
        }
    }
}

fn timed(f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64()
}

fn gib_s(secs: f64) -> f64 {
    LEN as f64 / secs / f64::from(1u32 << 30)
}

fn row(id: &str, base: &str, ffce: f64, raw: f64) {
    println!(
        "| `{id}` | {BACKEND} | {:.2} GiB/s | {:.2} GiB/s `{base}` | {:.3}× |",
        gib_s(ffce),
        gib_s(raw),
        raw / ffce
    );
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("ROUNDS is a number"))
        .unwrap_or(1000);
    let key = Key::from_bytes(&KEY);
    let raw = raw::Raw::new();
    let nonce = Nonce::assume_unique_for_key(NONCE);

    let mut blob = buffer_with_header_room(LEN);
    blob.resize(HEADER_LEN + LEN, 0x5a);
    let mut buf = vec![0x5a; LEN];

    // Sealing: both re-encrypt their own buffer each round (the same work as plaintext).
    let (mut ffce, mut bare) = (f64::MAX, f64::MAX);
    for _ in 0..rounds {
        ffce = ffce.min(timed(|| {
            key.seal_in_place_with_nonce(nonce, &mut blob)
                .expect("seal")
        }));
        bare = bare.min(timed(|| {
            raw.seal(&mut buf);
        }));
    }
    row(
        "seal_in_place/512KiB",
        &format!("raw/{BACKEND}/512KiB"),
        ffce,
        bare,
    );

    // Opening consumes the ciphertext: restore it (untimed) before every round.
    let sealed_blob = key.seal_with_nonce(nonce, &vec![0x5a; LEN]).expect("seal");
    let mut sealed_raw = vec![0x5a; LEN];
    let tag = raw.seal(&mut sealed_raw);
    let (mut ffce, mut bare) = (f64::MAX, f64::MAX);
    for _ in 0..rounds {
        blob.copy_from_slice(&sealed_blob);
        ffce = ffce.min(timed(|| {
            key.open_in_place(&mut blob).expect("open");
        }));
        buf.copy_from_slice(&sealed_raw);
        bare = bare.min(timed(|| raw.open(&mut buf, &tag)));
    }
    row(
        "open_in_place/512KiB",
        &format!("raw_open/{BACKEND}/512KiB"),
        ffce,
        bare,
    );
}

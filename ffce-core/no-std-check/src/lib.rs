//! The no_std proof of `ffce-core`: a `#![no_std]` static library that uses ffce-core's API
//! with ffce-core's default features off (`bash check.sh` builds it; see README.md).
//!
//! How it catches `std`: this crate defines the `panic_impl` lang item itself (the
//! `#[panic_handler]` below). A staticlib is a final artifact, so rustc collects the lang
//! items of the whole crate graph; if ffce-core or any of its dependencies links `std`,
//! std's own `panic_impl` collides with ours and the build fails. Checked both ways:
//!
//! ```text
//! $ cargo build --locked                      # builds
//! $ cargo build --locked --features ring      # builds
//! $ cargo build --locked --features std-canary
//! error[E0152]: found duplicate lang item `panic_impl`
//! ```
//!
//! (`std-canary` turns ffce-core's `std` feature on; check.sh fails if that build
//! succeeds, or fails for any other reason.)
//!
//! The allocator and the panic handler are never run: the library is only built, to see
//! what it links. `unsafe` is allowed here (the allocator needs it), never in ffce-core.
#![no_std]

extern crate alloc;

use alloc::vec::Vec;
use core::alloc::{GlobalAlloc, Layout};
use core::panic::PanicInfo;

use ffce_core::{Blob, MasterSecret, Purpose, inspect, format::HEADER_LEN, keys::{buffer_with_header_room, Nonce}, upload::validate_upload};

/// Seals a small plaintext under a key derived from `seed`, then parses, validates,
/// inspects and opens the blob, so that every part of ffce-core's no_std API is linked.
/// The seed comes from the caller, so none of it can be computed at build time.
///
/// Returns 0 when the round trip worked, or the number of the first step that failed.
#[unsafe(no_mangle)]
pub extern "C" fn ffce_no_std_check(seed: u8) -> u32 {
    let key = MasterSecret::from_bytes([seed; 32]).derive(Purpose::Backup);
    let plaintext = br#"{"formatName":"dexie"}"#;

    let mut blob: Vec<u8> = buffer_with_header_room(plaintext.len());
    blob.extend_from_slice(plaintext);
    let nonce = Nonce::assume_unique_for_key([seed; 12]);
    if key.seal_in_place_with_nonce(nonce, &mut blob).is_err() {
        return 1;
    }

    let declared = match Blob::parse(&blob) {
        Ok(parsed) => parsed.header().plaintext_len(),
        Err(_) => return 2,
    };
    if validate_upload(&blob).is_err() {
        return 3;
    }
    if !inspect(&blob).is_valid() {
        return 4;
    }

    match key.open_in_place(&mut blob) {
        Ok(opened) if opened == plaintext && opened.len() == declared as usize => {}
        _ => return 5,
    }
    if blob.len() != HEADER_LEN + plaintext.len() {
        return 6;
    }
    #[cfg(feature = "bytes")]
    if bytes_round_trip(&key, plaintext).is_none() {
        return 7;
    }
    #[cfg(feature = "device-auth")]
    if device_auth_round_trip(seed).is_none() {
        return 8;
    }
    0
}

/// Signs a device request, then parses and verifies its headers as a server does.
#[cfg(feature = "device-auth")]
fn device_auth_round_trip(seed: u8) -> Option<()> {
    use ffce_core::layout::DeviceId;
    use ffce_core::device_auth::{
        AuthHeaders, DevicePublicKey, DeviceSigningKey, RawAuthHeaders, format_timestamp, verify,
    };
    let key = DeviceSigningKey::from_scalar_bytes(&[seed | 1; 32]).ok()?;
    let device = DeviceId::parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301").ok()?;
    let now = 1_746_792_000 + i64::from(seed);
    let signed = key.sign(&device, &[seed; 32], &format_timestamp(now));
    let raw = RawAuthHeaders {
        uuid: Some(signed.uuid()),
        nonce: Some(signed.nonce()),
        timestamp: Some(signed.timestamp()),
        signature: Some(signed.signature()),
    };
    let headers = AuthHeaders::parse(signed.uuid(), raw, now).ok()?;
    let public = DevicePublicKey::from_table_base64(&key.public_key().to_table_base64()).ok()?;
    verify(&public, &headers).ok()
}

/// Seals again and checks the blob as a `bytes::Bytes` upload body, then opens the
/// validated blob without parsing it again.
#[cfg(feature = "bytes")]
fn bytes_round_trip(key: &ffce_core::Key, plaintext: &[u8]) -> Option<()> {
    let nonce = Nonce::assume_unique_for_key([1; 12]);
    let body = bytes::Bytes::from(key.seal_with_nonce(nonce, plaintext).ok()?);
    let blob = ffce_core::upload::validate_upload_bytes(body).ok()?;
    let opened = key.open_blob(&blob.as_blob()).ok()?;
    (*opened == *plaintext).then_some(())
}

/// Every error type of ffce-core is a `core::error::Error` without its `std` feature, so
/// no_std callers can box them and walk their sources too.
const _: () = {
    const fn is_error<E: core::error::Error>() {}
    is_error::<ffce_core::Error>();
    is_error::<ffce_core::upload::UploadError>();
    is_error::<ffce_core::layout::InvalidDeviceId>();
    is_error::<ffce_core::key_material::KeyMaterialError>();
    #[cfg(feature = "device-auth")]
    is_error::<ffce_core::device_auth::AuthError>();
    #[cfg(feature = "device-auth")]
    is_error::<ffce_core::device_auth::KeyFileError>();
    #[cfg(feature = "device-auth")]
    is_error::<ffce_core::device_auth::PublicKeyError>();
};

/// Never called (the library is only built); required because ffce-core allocates.
struct NoHeap;

// SAFETY: always reporting failure (a null pointer) is a valid `GlobalAlloc`.
unsafe impl GlobalAlloc for NoHeap {
    unsafe fn alloc(&self, _layout: Layout) -> *mut u8 {
        core::ptr::null_mut()
    }

    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
}

#[global_allocator]
static ALLOCATOR: NoHeap = NoHeap;

/// The `panic_impl` lang item: the one std also defines, hence the proof.
#[panic_handler]
fn panic(_info: &PanicInfo) -> ! {
    loop {
        core::hint::spin_loop();
    }
}

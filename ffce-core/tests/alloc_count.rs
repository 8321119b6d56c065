//! Allocation counts of the hot path: it allocates nothing beyond the output buffer,
//! proven by a counting allocator rather than a timing.
//!
//! A `#[global_allocator]` wrapper around the system allocator counts allocations and
//! bytes, but only on a thread that switched counting on and only while it is on, so
//! other test threads (and libtest itself) cannot disturb the numbers.
//!
//! `ffce-core`'s `#![forbid(unsafe_code)]` covers its library only; an integration test
//! is a crate of its own, and implementing `GlobalAlloc` needs `unsafe`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use ffce_core::{
    Key, MasterSecret, Purpose,
    format::HEADER_LEN,
    keys::{Nonce, buffer_with_header_room},
    upload::MAX_PLAINTEXT_LEN,
};

struct Counting;

thread_local! {
    static ON: Cell<bool> = const { Cell::new(false) };
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
    static BYTES: Cell<usize> = const { Cell::new(0) };
    static SIZES: Cell<[usize; 4]> = const { Cell::new([0; 4]) };
}

fn record(size: usize) {
    // `try_with`: the allocator can run while thread-locals are being torn down.
    if ON.try_with(Cell::get).unwrap_or(false) {
        let n = ALLOCS.with(Cell::get);
        ALLOCS.with(|c| c.set(n + 1));
        BYTES.with(|c| c.set(c.get() + size));
        SIZES.with(|c| {
            let mut sizes = c.get();
            if let Some(slot) = sizes.get_mut(n) {
                *slot = size;
            }
            c.set(sizes);
        });
    }
}

// SAFETY: every call is forwarded unchanged to the system allocator; the bookkeeping
// only touches const-initialised thread-locals, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // A growth or shrink is an allocation as far as this test is concerned.
        record(new_size);
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// What `f` allocated on this thread: (number of allocations, total bytes, first sizes).
fn count<T>(f: impl FnOnce() -> T) -> (T, usize, usize, Vec<usize>) {
    ALLOCS.with(|c| c.set(0));
    BYTES.with(|c| c.set(0));
    SIZES.with(|c| c.set([0; 4]));
    ON.with(|c| c.set(true));
    let out = f();
    ON.with(|c| c.set(false));
    let n = ALLOCS.with(Cell::get);
    let sizes = SIZES.with(Cell::get)[..n.min(4)].to_vec();
    (out, n, BYTES.with(Cell::get), sizes)
}

// One test, so the counting code runs on a single thread with nothing else around it.
#[test]
fn hot_path_allocates_only_the_output() {
    let nonce = Nonce::assume_unique_for_key([3; 12]);

    // The counter itself must see an allocation, or every "0" below proves nothing.
    let (v, n, bytes, _) = count(|| Vec::<u8>::with_capacity(100));
    assert_eq!(
        (n, bytes),
        (1, 100),
        "the counting allocator is not counting"
    );
    drop(v);

    // Key setup: HKDF and the key schedule, once per key, on the stack.
    let master = MasterSecret::from_bytes([0x11; 32]);
    let (key, n, bytes, _) = count(|| master.derive(Purpose::Backup));
    assert_eq!((n, bytes), (0, 0), "derive allocated");
    let (_imported, n, _, _) = count(|| Key::from_bytes(&[7; 32]));
    assert_eq!(n, 0, "Key::from_bytes allocated");

    for len in [1, 1000, 64 * 1024, MAX_PLAINTEXT_LEN] {
        let plaintext: Vec<u8> = (0..len).map(|i| i as u8).collect();

        // In place: nothing at all.
        let mut blob = buffer_with_header_room(len);
        blob.extend_from_slice(&plaintext);
        let (sealed, n, bytes, sizes) = count(|| key.seal_in_place_with_nonce(nonce, &mut blob));
        sealed.unwrap();
        assert_eq!(
            (n, bytes),
            (0, 0),
            "seal_in_place_with_nonce({len}) allocated {sizes:?}"
        );
        let reference = blob.clone();

        let (opened, n, bytes, sizes) = count(|| key.open_in_place(&mut blob).map(|p| p.len()));
        assert_eq!(opened.unwrap(), len);
        assert_eq!(
            (n, bytes),
            (0, 0),
            "open_in_place({len}) allocated {sizes:?}"
        );
        assert_eq!(&blob[HEADER_LEN..], &plaintext[..]);

        // A failed in-place open allocates nothing either.
        let mut forged = reference.clone();
        forged[HEADER_LEN] ^= 1;
        let (failed, n, _, _) = count(|| key.open_in_place(&mut forged).is_err());
        assert!(failed);
        assert_eq!(n, 0, "failed open_in_place({len}) allocated");

        // Allocating API: exactly one buffer, of exactly the output's size.
        let (sealed, n, bytes, sizes) = count(|| key.seal_with_nonce(nonce, &plaintext));
        let sealed = sealed.unwrap();
        assert_eq!(sealed, reference);
        assert_eq!(
            (n, bytes),
            (1, HEADER_LEN + len),
            "seal_with_nonce({len}) allocated {sizes:?}"
        );

        let (opened, n, bytes, sizes) = count(|| key.open(&reference));
        let opened = opened.unwrap();
        assert_eq!(&*opened, &plaintext[..]);
        assert_eq!((n, bytes), (1, len), "open({len}) allocated {sizes:?}");
        // Dropping the plaintext wipes it in place, without a copy.
        let ((), n, _, _) = count(|| drop(opened));
        assert_eq!(n, 0, "dropping a Plaintext allocated");

        // Owned input: the blob's own allocation becomes the plaintext's.
        let owned = reference.clone();
        let (opened, n, bytes, sizes) = count(|| key.open_vec(owned));
        assert_eq!(&*opened.unwrap(), &plaintext[..]);
        assert_eq!((n, bytes), (0, 0), "open_vec({len}) allocated {sizes:?}");
    }

    // The empty plaintext: the blob is the header alone, and nothing else is allocated.
    let (sealed, n, bytes, _) = count(|| key.seal_with_nonce(nonce, b""));
    let sealed = sealed.unwrap();
    assert_eq!((n, bytes), (1, HEADER_LEN));
    let (opened, n, _, _) = count(|| key.open(&sealed).map(|p| p.len()));
    assert_eq!(opened.unwrap(), 0);
    assert_eq!(n, 0, "an empty Vec needs no allocation");
}

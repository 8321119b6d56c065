//! The key-material parser: `ffce_core::key_material::parse_key_material` and its
//! text-only sibling `parse_key_text` on arbitrary bytes.
//!
//! Properties:
//! - never panics, and errors print;
//! - an accepted key is what the input encodes: the 32 raw bytes themselves, or the
//!   (trimmed) input is exactly the hex (optionally after `0x`) or the canonical base64
//!   of the key;
//! - text parsing and file parsing agree: whatever `parse_key_text` accepts,
//!   `parse_key_material` accepts as the same key, and `looks_like_key_text` is exactly
//!   "`parse_key_text` accepts".
#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use ffce_core::key_material::{looks_like_key_text, parse_key_material, parse_key_text};
use libfuzzer_sys::fuzz_target;

fn is_text_byte(b: u8) -> bool {
    b.is_ascii_graphic() || b.is_ascii_whitespace()
}

fuzz_target!(|data: &[u8]| {
    let material = parse_key_material(data);
    let text = parse_key_text(data);

    assert_eq!(looks_like_key_text(data), text.is_ok());

    for err in [material.as_ref().err(), text.as_ref().err()]
        .into_iter()
        .flatten()
    {
        let shown = err.to_string();
        assert!(shown.contains("expected 64 hex digits"), "{shown}");
        let _ = format!("{err:?}");
    }

    let raw_path = data.len() == 32 && !data.iter().all(|b| is_text_byte(*b));
    if let Ok(key) = &material {
        if raw_path {
            assert_eq!(&key[..], data, "a raw key must be the input itself");
        } else {
            let trimmed = data.trim_ascii();
            // Hex may come after `0x`.
            let digits = trimmed
                .strip_prefix(b"0x")
                .or_else(|| trimmed.strip_prefix(b"0X"))
                .unwrap_or(trimmed);
            let as_hex = [trimmed, digits].iter().any(|t| {
                t.len() == 64 && t.eq_ignore_ascii_case(hex::encode(&key[..]).as_bytes())
            });
            let unpadded = trimmed.strip_suffix(b"=").unwrap_or(trimmed);
            let as_base64 = unpadded == STANDARD_NO_PAD.encode(&key[..]).as_bytes();
            assert!(
                as_hex || as_base64,
                "accepted key is neither the hex nor the base64 of the input"
            );
        }
    }

    match (&text, &material) {
        (Ok(t), Ok(m)) => assert_eq!(&t[..], &m[..]),
        (Ok(_), Err(e)) => panic!("text key refused as key material: {e:?}"),
        (Err(_), Ok(_)) => assert!(
            raw_path,
            "key material accepted as text only via the raw path"
        ),
        (Err(_), Err(_)) => {}
    }
});

#!/usr/bin/env bash
# The no_std proof of ffce-core (see README.md): build the #![no_std] staticlib with each
# AEAD backend and with ffce-core's optional `content` and `bytes` features, then check that the same
# build with ffce-core's `std` feature on fails with the duplicate-lang-item error, i.e.
# that this check really detects std. New optional features of ffce-core get a build here.
set -euo pipefail
cd "$(dirname "$0")"

echo "no_std check: default backend (aes-gcm)"
cargo build --quiet --locked

echo "no_std check: ring backend"
cargo build --quiet --locked --features ring

echo "no_std check: content feature"
cargo build --quiet --locked --features content

echo "no_std check: bytes feature"
cargo build --quiet --locked --features bytes

echo "no_std check: device-auth feature"
cargo build --quiet --locked --features device-auth

echo "no_std check: canary (ffce-core/std on) must fail"
if out=$(cargo build --quiet --locked --features std-canary 2>&1); then
    echo "FAIL: the std canary built, so this check cannot detect a crate that links std" >&2
    exit 1
fi
# Only the expected failure counts: a canary that fails for another reason (a stale
# Cargo.lock, a compile error in ffce-core) proves nothing.
if ! grep -q 'duplicate lang item' <<<"$out"; then
    echo "FAIL: the std canary failed, but not with the duplicate-lang-item error:" >&2
    printf '%s\n' "$out" >&2
    exit 1
fi
grep -m1 'duplicate lang item' <<<"$out" | sed 's/^/  as expected: /'
echo "no_std check: ok"

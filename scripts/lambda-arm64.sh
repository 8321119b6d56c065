#!/usr/bin/env bash
# The device API as Lambda runs it (deploy/backup-api.yaml: provided.al2023, arm64):
# builds ffce-backup-api for aarch64-unknown-linux-gnu with Debian's cross gcc, checks
# that it asks for no glibc newer than Amazon Linux 2023's (2.34), copies it to the
# template's CodeUri (target/lambda/ffce-backup-api/bootstrap), then runs the tests that
# start the binary (ffce-cli/tests/device_api.rs: the API end to end through `ffce api`;
# ffce-lambda/tests/binary.rs: start-up refusals, --listen, the Lambda runtime loop)
# against that arm64 binary under qemu-user, on a moto server of its own on loopback.
#
#   scripts/lambda-arm64.sh            build, check, copy, test (~10 min on 2 cores)
#   scripts/lambda-arm64.sh --no-test  build, check, copy
#
# Not part of scripts/test.sh: the cross build alone takes minutes. Needs rustup (it adds
# the target) and, when aarch64-linux-gnu-gcc or qemu-aarch64 is missing, apt-get (Debian
# packages gcc-aarch64-linux-gnu and qemu-user; run as root or with sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib.sh
. scripts/lib.sh

log() { printf 'lambda-arm64: %s\n' "$*" >&2; }
test=1
case "${1:-}" in
    "") ;;
    --no-test) test=0 ;;
    *) echo "usage: $0 [--no-test]" >&2; exit 2 ;;
esac

triple=aarch64-unknown-linux-gnu
glibc_max=2.34 # Amazon Linux 2023, the provided.al2023 runtime

missing=()
command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || missing+=(gcc-aarch64-linux-gnu)
[[ $test == 0 ]] || command -v qemu-aarch64 >/dev/null 2>&1 || missing+=(qemu-user)
if ((${#missing[@]})); then
    log "installing ${missing[*]} (apt-get)"
    sudo=()
    [[ $(id -u) == 0 ]] || sudo=(sudo)
    { "${sudo[@]}" apt-get update -qq &&
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >&2
fi
rustup target add "$triple" >&2

log "building ffce-backup-api for $triple (release)"
CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
    cargo build --release --locked --target "$triple" -p ffce-lambda --bin ffce-backup-api >&2
target=$(cargo_target_dir)
bin="$target/$triple/release/ffce-backup-api"

# The newest glibc symbol version the binary asks for: the runtime's glibc must have it.
newest=$(aarch64-linux-gnu-objdump -T "$bin" | grep -o 'GLIBC_[0-9][0-9.]*' |
    sed 's/^GLIBC_//' | sort -V | tail -n 1)
if [[ $(printf '%s\n%s\n' "$newest" "$glibc_max" | sort -V | tail -n 1) != "$glibc_max" ]]; then
    log "FAILED: $bin needs glibc $newest; Amazon Linux 2023 has $glibc_max"
    exit 1
fi
log "glibc: the binary needs at most $newest (Amazon Linux 2023 has $glibc_max)"

mkdir -p "$target/lambda/ffce-backup-api"
cp "$bin" "$target/lambda/ffce-backup-api/bootstrap"
log "wrote $target/lambda/ffce-backup-api/bootstrap ($(stat -c %s "$bin") bytes)"
[[ $test == 1 ]] || exit 0

# The tests start the server through FFCE_TEST_API_SERVER: a wrapper that runs the arm64
# binary under qemu (exec, so that the tests' kill reaches qemu itself; qemu by its full
# path, as some tests start the server with an empty environment).
work=$(mktemp -d)
state="$target/lambda-arm64-moto"
cleanup() {
    moto_stop "$state"
    rm -rf -- "$work"
}
trap cleanup EXIT
printf '#!/bin/sh\nexec %s -L /usr/aarch64-linux-gnu "%s" "$@"\n' "$(command -v qemu-aarch64)" "$bin" \
    >"$work/ffce-backup-api"
chmod +x "$work/ffce-backup-api"
"$work/ffce-backup-api" --help >/dev/null 2>&1 || {
    log "FAILED: the arm64 binary does not run under qemu-aarch64"
    exit 1
}

venv=$(scripts/python-env.sh)
export FFCE_TEST_PYTHON="$venv/bin/python"
moto_start "$state"
log "moto on $FFCE_TEST_S3_ENDPOINT; the device API tests against the arm64 binary under qemu"
export FFCE_TEST_API_SERVER="$work/ffce-backup-api"
cargo test --locked -p ffce-cli --test integration device_api::
cargo test --locked -p ffce-lambda --test binary

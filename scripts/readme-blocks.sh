#!/usr/bin/env bash
# Runs every ```sh block of README.md, so that no command the README shows can rot
# unnoticed (the `console` walkthrough of the device path is scripts/device-path.sh).
#
# A block that cannot run here by nature (the suite itself, `cargo install`, a cross
# build, a deploy to AWS) is marked in the README by a visible line just above it,
# blank lines allowed in between:
#
#     *Not run by the README test: REASON.*
#
# Every other block must run and exit 0: `bash -euo pipefail`, in a fresh folder where
# the repository's scripts/, fixtures/ and target/ are linked (so a block's paths are the
# repository root's), `ffce` and the venv's python on PATH, nothing from the caller's
# AWS set-up, and a loopback moto server of its own (scripts/s3-server.sh with a private
# FFCE_S3_STATE_DIR; stopped after the block). A block the README shows against a
# prepared bucket says so by a visible line above it:
#
#     *The README test runs this on a bucket holding three versions of $DEVICE ...*
#
# and gets that: the bucket `device-backups` (FFCE_BUCKET, AWS_ENDPOINT_URL set), a
# `device.key` (the test master secret, 32 bytes of 0x11), the fixtures' exports
# device-v1/v2/v3 sealed with it as three versions of
# 3f2504e0-4f89-41d3-9a0c-0305e82c3301; the date 2026-11-30 in the block is replaced by
# the time of the first version (the versions are made now, so no version was live on
# that date). An unmarked block that fails, or a marker of neither kind, fails the test.
#
# Usage: scripts/readme-blocks.sh [README]. Environment: FFCE_VENV, FFCE_PYTHON (passed
# to scripts/python-env.sh); FFCE_README_NO_BUILD=1 skips the cargo build.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
readme=${1:-README.md}

die() {
    printf 'readme-blocks: FAILED: %s\n' "$*" >&2
    exit 1
}

if [[ -z "${FFCE_README_NO_BUILD:-}" ]]; then
    cargo build --quiet --locked -p ffce-cli
fi
[[ -x target/debug/ffce ]] || die "target/debug/ffce is missing (cargo build -p ffce-cli)"
venv=$(scripts/python-env.sh)
export FFCE_VENV="$venv"

work=$(mktemp -d)
state=
cleanup() {
    if [[ -n "$state" ]]; then
        FFCE_S3_STATE_DIR="$state" "$repo/scripts/s3-server.sh" stop >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# Each block as a file, blocks/NNNN.sh (NNNN: the line of its opening fence), with the
# marker above it, if any, in blocks/NNNN.marker.
mkdir "$work/blocks"
awk -v out="$work/blocks" '
    /^```sh[[:space:]]*$/ && !inside {
        inside = 1; start = NR
        file = sprintf("%s/%04d.sh", out, NR)
        printf "" > file
        if (marker != "") { print marker > sprintf("%s/%04d.marker", out, NR) }
        next
    }
    /^```/ && inside { inside = 0; close(file); marker = ""; next }
    inside { print >> file; next }
    /^\*(Not run by the README test|The README test runs this)/ { marker = $0; next }
    /^[[:space:]]*$/ { next }
    { marker = "" }
' "$readme"

export PATH="$repo/target/debug:$venv/bin:$PATH"
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 \
    AWS_ENDPOINT_URL_DYNAMODB AWS_DEFAULT_REGION FFCE_BUCKET FFCE_DIR FFCE_MASTER_KEY \
    FFCE_KEY FFCE_API_URL FFCE_DEVICE_KEY S3_BACKUP_BUCKET_NAME FFCE_TEST_S3_ENDPOINT
export AWS_EC2_METADATA_DISABLED=true \
    AWS_CONFIG_FILE=/nonexistent/ffce-readme/config \
    AWS_SHARED_CREDENTIALS_FILE=/nonexistent/ffce-readme/credentials \
    NO_COLOR=1

device=3f2504e0-4f89-41d3-9a0c-0305e82c3301

# The preparation of a block marked "runs this on a bucket holding three versions". It
# runs before the block in the same shell (so that a failure of it fails the block) and
# leaves the bucket, device.key, and in $FIRST the first version's time.
prepare_versions=$(
    cat <<EOF
eval "export \$("$repo/scripts/s3-server.sh" start)"
export AWS_ENDPOINT_URL=\$FFCE_TEST_S3_ENDPOINT AWS_ACCESS_KEY_ID=test \\
    AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 FFCE_BUCKET=device-backups
printf '%064d\\n' 0 | tr 0 1 >device.key
chmod 600 device.key
ffce -q bucket create --bucket device-backups
for v in 1 2 3; do
    ffce -q put --encrypt --master-key-file device.key $device fixtures/exports/device-v\$v.json
    sleep 1 # S3 keeps whole seconds: one version a second
done
FIRST=\$(ffce versions --json $device |
    python -c 'import json,sys; print(json.load(sys.stdin)["versions"][-1]["last_modified"])')
# ---- the README's block:
EOF
)

ran=0
skipped=0
for block in "$work"/blocks/*.sh; do
    n=$(basename "$block" .sh)
    line=$((10#$n))
    marker=
    [[ -f "$work/blocks/$n.marker" ]] && marker=$(cat "$work/blocks/$n.marker")
    case "$marker" in
    "*Not run by the README test:"*)
        skipped=$((skipped + 1))
        reason=${marker#\*Not run by the README test: }
        printf 'readme-blocks: line %d: not run (%s)\n' "$line" "${reason%.\*}" >&2
        continue
        ;;
    "" | "*The README test runs this on a bucket holding three versions of"*) ;;
    *) die "line $line: a marker of no known kind: $marker" ;;
    esac
    dir="$work/run-$n"
    mkdir -p "$dir"
    ln -s "$repo/scripts" "$repo/fixtures" "$repo/target" "$dir/"
    state="$work/moto-$n"
    mkdir "$state"
    script=$(cat "$block")
    (
        cd "$dir"
        export FFCE_S3_STATE_DIR="$state"
        if [[ -n "$marker" ]]; then
            script="$prepare_versions"$'\n'"${script//2026-11-30/\$FIRST}"
        fi
        printf '%s\n' "$script" >"$dir/block.sh"
        if ! bash -euo pipefail "$dir/block.sh" >"$dir/out" 2>&1; then
            printf 'readme-blocks: the block at %s line %d failed:\n' "$readme" "$line" >&2
            sed 's/^/    | /' "$dir/block.sh" >&2
            printf '  its output:\n' >&2
            sed 's/^/    > /' "$dir/out" >&2
            exit 1
        fi
    ) || die "line $line"
    FFCE_S3_STATE_DIR="$state" scripts/s3-server.sh stop >/dev/null 2>&1 || true
    state=
    ran=$((ran + 1))
done
[[ $ran -gt 0 ]] || die "no block ran: is $readme's syntax what this script reads?"
printf 'readme-blocks: %d block(s) ran, %d marked as not runnable\n' "$ran" "$skipped" >&2

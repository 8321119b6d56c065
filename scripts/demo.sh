#!/usr/bin/env bash
# The main job, end to end, on a fresh machine with no AWS account: upload a device's
# backup, list the store, download it again and inspect it with the device key.
#
# With no --bucket/FFCE_BUCKET and no --dir/FFCE_DIR, ffce uses its embedded default, a
# local store in the user's data directory ($XDG_DATA_HOME/ffce/backups or
# ~/.local/share/ffce/backups), and says so on stderr. Set FFCE_BUCKET (plus the usual
# AWS settings) to run the same steps against a real bucket.
#
# The key is the test fixture's master secret (32 bytes of 0x11), never a real device's.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --quiet --locked -p ffce-cli
ffce=target/debug/ffce
uuid=3f2504e0-4f89-41d3-9a0c-0305e82c3301

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
key="$work/device.key"
(umask 077 && printf '%064d\n' 0 | tr 0 1 >"$key")

step() { printf '\n$ %s\n' "$*"; "$@"; }

step "$ffce" put "$uuid" fixtures/vectors/dexie-backup.ffce
step "$ffce" ls
step "$ffce" get "$uuid" -o "$work/backup.ffce"
step "$ffce" inspect --master-key-file "$key" "$work/backup.ffce"

#!/usr/bin/env bash
# The main job, end to end, on a fresh machine with no AWS account: upload a device's
# backup, list the store, download it again and inspect it with the device key; then
# what a support engineer asks of it: what does the backup hold (`ffce show`), and after
# the device's next backup, what changed (`ffce diff`).
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

# --yes: the local store keeps no versions, so replacing a backup (this one on a second
# run, and the day's backups below) is confirmed rather than asked on the terminal.
step "$ffce" put --yes "$uuid" fixtures/vectors/dexie-backup.ffce
step "$ffce" ls
step "$ffce" get "$uuid" -o "$work/backup.ffce"
step "$ffce" inspect --master-key-file "$key" "$work/backup.ffce"

# A day's backup of the controller (fixtures/exports.py writes these exports), then what
# it holds: secrets show as [redacted].
step "$ffce" put --yes --encrypt --master-key-file "$key" "$uuid" fixtures/exports/device-v1.json
step "$ffce" show --master-key-file "$key" "$uuid" --table breakers --table settings

# The next day's backup replaces it (the local store keeps no versions; on a versioned
# bucket `ffce diff $uuid` compares the latest with the version before). What changed
# since the earlier export, rows matched by their primary key:
step "$ffce" put --yes --encrypt --master-key-file "$key" "$uuid" fixtures/exports/device-v2.json
step "$ffce" diff --master-key-file "$key" fixtures/exports/device-v1.json "$uuid"
# Same or not, for a script: 0 identical, 6 different.
step "$ffce" diff --exit-code --stat --master-key-file "$key" \
  fixtures/exports/device-v1.json "$uuid" || echo "(exit $?: the contents differ)"

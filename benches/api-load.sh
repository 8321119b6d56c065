#!/usr/bin/env bash
# The device API under load: `ffce-backup-api --listen` and the Python baseline
# (benches/api/baseline_api.py) each serving N devices at once against the same fresh moto
# on loopback (S3 and DynamoDB). In one run, one server after the other: N client threads,
# one per device, each POSTing a 5 KB blob and GETting it back R times, every request
# freshly signed. Measured per server: throughput, p50/p99 latency of POST and GET, errors,
# the server's CPU per request (utime + stime during the load) and peak RSS (VmHWM);
# then every device's last POST must be what GET returns and its last_backup_date set.
# Prints a Markdown table with the ratios Rust / Python (goal: CPU per request at most 1/5).
#
#   benches/api-load.sh            release build, 200 devices, 3 POST+GET each
#   benches/api-load.sh --short    smoke run for CI: debug build, 20 devices, 2 each
#                                  (figures not comparable with a full run)
#   options: --devices N  --iterations R  --rounds K (alternating which server goes
#            first)  --keep (keep the work folder with the server logs)
#
# The build and the set-up (bucket, device and nonce tables, 2N registered test devices
# with key pairs and blobs made by the client) are not timed. moto runs on a free loopback
# port with its state in target/api-load and is stopped at the end; the test server of
# scripts/test.sh is not touched. The load is bounded: at most 500 devices and 20
# iterations, and a 300 s deadline per load phase. Needs cargo and python3.
set -euo pipefail

devices=200
iterations=3
rounds=1
profile=release
keep=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --short) devices=20; iterations=2; profile=debug; shift ;;
    --devices) devices=${2:?}; shift 2 ;;
    --iterations) iterations=${2:?}; shift 2 ;;
    --rounds) rounds=${2:?}; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--short] [--devices N] [--iterations R] [--rounds K] [--keep]" >&2; exit 2 ;;
  esac
done
for n in "$devices" "$iterations" "$rounds"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "api-load: not a positive number: $n" >&2; exit 2; }
done

. "$(dirname "$0")/lib.sh" api-load
bench_python
bench_target
log "building ffce-backup-api ($profile; not timed)"
if [[ $profile == release ]]; then
  cargo build --release --locked -p ffce-lambda --bin ffce-backup-api >&2
else
  cargo build --locked -p ffce-lambda --bin ffce-backup-api >&2
fi
bin="$target/$profile/ffce-backup-api"

state="$target/api-load"
work=$(mktemp -d "${TMPDIR:-/tmp}/ffce-api-load.XXXXXX")
cleanup() {
  bench_moto_stop "$state"
  if [[ $keep == 1 ]]; then log "kept $work"; else rm -rf -- "$work"; fi
}
trap cleanup EXIT

bench_moto_start "$state"
log "moto on $endpoint"

"$py" benches/api/load_bench.py --endpoint "$endpoint" --rust "$bin" --rust-profile "$profile" \
  --python "$py" --devices "$devices" --iterations "$iterations" --rounds "$rounds" --workdir "$work"

#!/usr/bin/env bash
# The device API in Rust against the Python functions it replaces: `ffce-backup-api --listen`
# next to benches/api/baseline_api.py (written the way the cloud's Python functions are:
# module-level boto3 clients, the same calls per request, behind a minimal local HTTP
# adapter), both against the same fresh moto (S3 + DynamoDB) on loopback. In one run:
#
#   - start-up: process spawn to the first answered GET (a signed request for a stored
#     backup), median of K runs per server, alternating which goes first;
#   - latency p50/p99 of POST and GET of a 5 KB and a 512 KiB FFCE blob, N requests per case
#     and server from one Python client (keep-alive, each request signed), alternating the
#     two servers request by request;
#   - peak memory: VmHWM from /proc/PID/status, after the first answer and after the load;
#
# then a Markdown table with the ratios Rust/Python (goals: start-up at least 10x faster,
# at most a quarter of the memory). Both servers spend most of each request waiting for
# moto, so the latency figures measure moto nearly as much as either server.
#
#   benches/api-vs-python.sh            release build, 10 start-ups, 200 requests per case
#   benches/api-vs-python.sh --short    smoke run for CI: debug build, 3 start-ups, 20
#                                       requests (figures not comparable with a full run)
#   options: --startups K  --requests N  --keep (keep the work folder with the server logs)
#
# The build (`cargo build --release -p ffce-lambda --bin ffce-backup-api`) and the set-up
# (bucket, device table, two registered test devices with key pairs made by the client) are
# not timed. moto runs on a free loopback port with its state in target/api-bench and is
# stopped at the end; the test server of scripts/test.sh is not touched. Needs cargo,
# python3 and, once, the network to PyPI (scripts/python-env.sh builds the venv).
set -euo pipefail

startups=10
requests=200
profile=release
keep=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --short) startups=3; requests=20; profile=debug; shift ;;
    --startups) startups=${2:?}; shift 2 ;;
    --requests) requests=${2:?}; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--short] [--startups K] [--requests N] [--keep]" >&2; exit 2 ;;
  esac
done
for n in "$startups" "$requests"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "api-vs-python: not a positive number: $n" >&2; exit 2; }
done

. "$(dirname "$0")/lib.sh" api-vs-python
bench_python
bench_target
log "building ffce-backup-api ($profile; not timed)"
if [[ $profile == release ]]; then
  cargo build --release --locked -p ffce-lambda --bin ffce-backup-api >&2
else
  cargo build --locked -p ffce-lambda --bin ffce-backup-api >&2
fi
bin="$target/$profile/ffce-backup-api"

state="$target/api-bench"
work=$(mktemp -d "${TMPDIR:-/tmp}/ffce-api-bench.XXXXXX")
cleanup() {
  bench_moto_stop "$state"
  if [[ $keep == 1 ]]; then log "kept $work"; else rm -rf -- "$work"; fi
}
trap cleanup EXIT

bench_moto_start "$state"
log "moto on $endpoint"

"$py" benches/api/api_bench.py --endpoint "$endpoint" --rust "$bin" --rust-profile "$profile" \
  --python "$py" --startups "$startups" --requests "$requests" --workdir "$work"

#!/usr/bin/env bash
# The per-object floor of `ffce audit`: curl (libcurl, C) making the same SigV4-signed
# ranged GETs as the structure audit, next to ffce at the same concurrency, in one run,
# interleaved; then, on a second server that holds every answer back by a fixed time
# (S3's first-byte latency, modelled on a timer), the same again and the peers at their
# own defaults.
#
#   benches/floor.sh             full run: 10,000 backups, 3 rounds, 20 ms delay, peers
#   benches/floor.sh --short     CI smoke run (from run.sh --short): moto, 200 backups,
#                                debug ffce, 1 round, no delay, no peers (~45 s once built)
#   options: --devices N (10000)  --rounds K (3)  --delay-ms D (20; 0: no delayed server)
#            --concurrency C (128, ffce's default)  --no-peers  --keep (keep the work folder)
#   FFCE_FLOOR_BASELINE=PATH: another ffce binary (e.g. main's build) audited in every round
#   too, so that a change is measured against it in the same run
#
# The server is benches/tools/s3s-fs-indexed (see benches/fleet.sh), built once into
# target/bench-tools/ (not timed); with --delay-ms a second one serves the same folder
# with `--delay-ms D`. benches/fleet_plant.py writes the backups into its folder (no
# malformed ones: an empty object has no byte 0, and curl's 416 would not be the same
# work), a key folder for the `--key-dir` audit, and a one-device bucket, whose runs
# give each client's fixed cost (start-up, configuration, first connection).
#
# Each round runs, in turn: curl --parallel --parallel-max C over a --config file of the
# URLs (`-r 0-36 --aws-sigv4 aws:amz:us-east-1:s3 --user KEY:SECRET`, every answer's
# status and Content-Range written out and checked: all 206), ffce audit --jsonl
# --concurrency C, ffce ls --jsonl (the listing alone), both clients on the one-device
# bucket, ffce audit --jsonl --key-dir, and its floor: curl's whole-object GETs and
# benches/examples/keyed_work.rs (the keyed audit's own work per object on the folder's
# files, no network; full runs only); on the delayed server curl and ffce at C and at 10.
# Then `aws s3 sync` (awscli from the venv, 10 concurrent requests) and `rclone copy` (4
# transfers; installed with apt-get if missing) once each on both servers. CPU is each
# client process's own rusage (benches/floor.py, os.wait4), peak RSS its ru_maxrss;
# medians of the rounds. Needs cargo, python3 and curl with --aws-sigv4 (7.75 or later).
set -euo pipefail

mode=full
devices=10000
rounds=3
delay=20
conc=128
peers=1
keep=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --short) mode=short; shift ;;
    --devices) devices=${2:?}; shift 2 ;;
    --rounds) rounds=${2:?}; shift 2 ;;
    --delay-ms) delay=${2:?}; shift 2 ;;
    --concurrency) conc=${2:?}; shift 2 ;;
    --no-peers) peers=0; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) awk 'NR > 1 && /^set -euo/ { exit } NR > 1' "$0"; exit 0 ;;
    *) echo "usage: $0 [--short] [--devices N] [--rounds K] [--delay-ms D] [--concurrency C] [--no-peers] [--keep]" >&2; exit 2 ;;
  esac
done
if [[ $mode == short ]]; then
  devices=200 rounds=1 delay=0 peers=0
fi
for v in "$devices" "$rounds" "$conc"; do
  [[ $v =~ ^[1-9][0-9]*$ ]] || { echo "floor: not a positive number: $v" >&2; exit 2; }
done
[[ $delay =~ ^[0-9]+$ ]] || { echo "floor: --delay-ms is not a number: $delay" >&2; exit 2; }
. "$(dirname "$0")/lib.sh" floor

# The peers come from Debian when a fresh machine lacks them (curl is the floor itself).
apt_install() {
  log "installing $* (apt-get)"
  local sudo=()
  [[ $(id -u) == 0 ]] || sudo=(sudo)
  { "${sudo[@]}" apt-get update -qq &&
      "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"; } >&2
}
command -v curl >/dev/null 2>&1 || apt_install curl
curl --help all 2>/dev/null | grep -q -- --aws-sigv4 \
  || { echo "floor: this curl has no --aws-sigv4 (7.75 or later needed)" >&2; exit 1; }

bench_python
bench_target
rclone_bin=""
if [[ $peers == 1 ]]; then
  command -v rclone >/dev/null 2>&1 || apt_install rclone
  rclone_bin=$(command -v rclone)
fi
if [[ $mode == short ]]; then
  log "building ffce (debug; not timed)"
  cargo build --locked -p ffce-cli >&2
  ffce="$target/debug/ffce"
  build=debug
else
  log "building ffce (release) and benches/tools/s3s-fs-indexed (not timed)"
  cargo build --release --locked -p ffce-cli >&2
  cargo build --release --locked --manifest-path benches/tools/s3s-fs-indexed/Cargo.toml \
    --target-dir "$target/bench-tools/build" >&2
  cargo build --release --locked -p ffce-benches --example keyed_work >&2
  ffce="$target/release/ffce"
  keyed_work="$target/release/examples/keyed_work"
  s3s="$target/bench-tools/build/release/s3s-fs-indexed"
  build=release
fi

state="$target/floor-bench"
[[ $mode == short ]] && state="$target/floor-bench-short"
work=$(mktemp -d "${TMPDIR:-/tmp}/ffce-floor-bench.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  if [[ $mode == short ]]; then bench_moto_stop "$state"; fi
  rm -rf -- "$state/data"
  if [[ $keep == 1 ]]; then log "kept $work"; else rm -rf -- "$work"; fi
}
trap cleanup EXIT
rm -rf -- "$state/data"
mkdir -p "$state/data"
bench_isolate_aws

bucket=ffce-floor
one=ffce-floor-one
plant=(--key-dir "$work/keys" --bad-every 0 --stale-every 0)
servers="[]"
if [[ $mode == short ]]; then
  bench_moto_start "$state"
  server="moto (scripts/s3-server.sh)"
  for b in "$bucket" "$one"; do "$ffce" -q bucket create --bucket "$b" --endpoint-url "$endpoint" >&2; done
  log "planting $devices backups with PUTs (not timed)"
  "$py" benches/fleet_plant.py --endpoint "$endpoint" "$bucket" "$devices" "${plant[@]}" --gap 0 >"$work/planted.json"
  "$py" benches/fleet_plant.py --endpoint "$endpoint" "$one" 1 --bad-every 0 --gap 0 >/dev/null
  servers="[{\"name\": \"moto\", \"endpoint\": \"$endpoint\", \"log\": null, \"delay_ms\": 0}]"
else
  log "planting $devices backups in the data folder (not timed)"
  "$py" benches/fleet_plant.py --dir "$state/data" "$bucket" "$devices" "${plant[@]}" >"$work/planted.json"
  "$py" benches/fleet_plant.py --dir "$state/data" "$one" 1 --bad-every 0 --seed 15 >/dev/null
  start_server() {  # start_server NAME DELAY_MS: sets endpoint; appends to servers
    local port log_file=$work/server-$1.log
    port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    RUST_LOG=s3s::ops=debug "$s3s" --host 127.0.0.1 --port "$port" --delay-ms "$2" \
      --access-key test --secret-key test "$state/data" >"$log_file" 2>&1 &
    pids+=($!)
    local ready=0
    for _ in $(seq 600); do
      kill -0 "${pids[-1]}" 2>/dev/null || { cat "$log_file" >&2; log "the server did not start"; exit 1; }
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then ready=1; break; fi
      sleep 0.1
    done
    [[ $ready == 1 ]] || { log "the server did not listen on $port within a minute"; exit 1; }
    servers=$("$py" -c 'import json,sys; s=json.loads(sys.argv[1]); s.append({"name": sys.argv[2], "endpoint": sys.argv[3], "log": sys.argv[4], "delay_ms": int(sys.argv[5])}); print(json.dumps(s))' \
      "$servers" "$1" "http://127.0.0.1:$port" "$log_file" "$2")
  }
  start_server fast 0
  [[ $delay -gt 0 ]] && start_server delayed "$delay"
  server="s3s-fs-indexed $("$s3s" --version | awk '{print $2}')"
fi

"$py" - "$work/config.json" <<EOF
import json, os, sys
sys.path.insert(0, "benches")
from floor import BACKUP
cfg = {
    "mode": "$mode", "work": "$work", "ffce": "$ffce", "build": "$build", "server": "$server",
    "bucket": "$bucket", "one_bucket": "$one", "concurrency": $conc, "rounds": $rounds,
    "servers": json.loads('''$servers'''), "key_dir": "$work/keys",
    "aws": "$aws" if $peers else None, "rclone": "$rclone_bin" or None,
    "ffce_baseline": "${FFCE_FLOOR_BASELINE:-}" or None,
    "keyed_work": "${keyed_work:-}" or None, "data_root": "$state/data/$bucket",
    "planted": json.load(open("$work/planted.json")),
}
if "$mode" == "short":
    # moto: the keys are the planter's (a UUID per device, nested layout).
    import subprocess
    out = subprocess.run(["$ffce", "-q", "ls", "--jsonl", "--bucket", "$bucket", "--endpoint-url",
                          cfg["servers"][0]["endpoint"]], capture_output=True, text=True, check=True)
    cfg["keys"] = [r["key"] for r in map(json.loads, out.stdout.splitlines()) if r.get("type") == "device"]
    out = subprocess.run(["$ffce", "-q", "ls", "--jsonl", "--bucket", "$one", "--endpoint-url",
                          cfg["servers"][0]["endpoint"]], capture_output=True, text=True, check=True)
    cfg["one_keys"] = [r["key"] for r in map(json.loads, out.stdout.splitlines()) if r.get("type") == "device"]
else:
    def keys(b):
        root = os.path.join("$state/data", b)
        found = []
        for d, _, files in os.walk(root):
            for f in files:
                rel = os.path.relpath(os.path.join(d, f), root)
                if BACKUP.match(rel):
                    found.append(rel)
        return found
    cfg["keys"], cfg["one_keys"] = keys("$bucket"), keys("$one")
json.dump(cfg, open(sys.argv[1], "w"))
EOF
"$py" benches/floor.py "$work/config.json"

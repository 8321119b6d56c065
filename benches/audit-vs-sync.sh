#!/usr/bin/env bash
# Fleet audit at scale: plant N device backups in a bucket on a fresh loopback
# moto S3 server, then time, in the same run and against the same bucket:
#
#   (a) `ffce audit --json` without a key: one ranged GET of the 37-byte header per
#       object. Its totals must be exactly what was planted, or the bench fails.
#   (b) the obvious alternative: `aws s3 sync s3://BUCKET DIR` (awscli from PyPI, as
#       pinned in scripts/requirements-test.txt) followed by `ffce verify --jsonl` of
#       every downloaded backup. Its counts are checked too.
#
# and print both wall times, objects per second and the ratio (b)/(a).
#
#   benches/audit-vs-sync.sh                      10,000 devices
#   benches/audit-vs-sync.sh --devices 2000       fewer
#   options: --devices N (default 10000)  --concurrency N (ffce audit, default 32)
#            --threads N (boto3 upload threads when planting, default 16)
#            --bad-every K (every K-th device is a malformed or oversize vector,
#            default 500)  --keep (keep the work folder with the JSON outputs)
#
# The backups are the fixtures' vectors (fixtures/vectors), mostly well-formed, every
# K-th one bad, plus a few stray keys; what a correct audit must count is computed by
# scripts/s3_oracle.py (plant-fleet) from fixtures/manifest.json, not by ffce. The
# release build of ffce and the server start are not timed. The server is a new moto
# on a free loopback port (state in target/audit-bench), stopped at the end; the test
# server of scripts/test.sh is not touched. Needs cargo, python3 and the network to
# PyPI once (scripts/python-env.sh builds the venv).
set -euo pipefail

devices=10000
concurrency=32
threads=16
bad_every=500
keep=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --devices) devices=${2:?}; shift 2 ;;
    --concurrency) concurrency=${2:?}; shift 2 ;;
    --threads) threads=${2:?}; shift 2 ;;
    --bad-every) bad_every=${2:?}; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--devices N] [--concurrency N] [--threads N] [--bad-every K] [--keep]" >&2; exit 2 ;;
  esac
done
for n in "$devices" "$concurrency" "$threads" "$bad_every"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "audit-vs-sync: not a positive number: $n" >&2; exit 2; }
done

. "$(dirname "$0")/lib.sh" audit-vs-sync
bench_python
bench_target
log "building ffce (release; not timed)"
cargo build --release --locked -p ffce-cli >&2
ffce="$target/release/ffce"

state="$target/audit-bench"
work=$(mktemp -d "${TMPDIR:-/tmp}/ffce-audit-bench.XXXXXX")
cleanup() {
  bench_moto_stop "$state"
  if [[ $keep == 1 ]]; then log "kept $work"; else rm -rf -- "$work"; fi
}
trap cleanup EXIT

bench_moto_start "$state"
log "moto on $endpoint"

bench_isolate_aws

bucket="ffce-audit-bench-$$"
"$ffce" -q bucket create --bucket "$bucket" --endpoint-url "$endpoint"

log "planting $devices devices with $threads threads (not timed)"
"$py" scripts/s3_oracle.py --endpoint "$endpoint" plant-fleet "$bucket" "$devices" \
  --threads "$threads" --bad-every "$bad_every" >"$work/planted.json"
plant_s=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["elapsed_seconds"])' "$work/planted.json")
log "planted in ${plant_s} s"

now() { date +%s.%N; }

# (a) ffce audit, no key. Exit 4 is expected (bad backups were planted).
log "(a) ffce audit --json --concurrency $concurrency"
t0=$(now)
set +e
"$ffce" -q audit --json --concurrency "$concurrency" --bucket "$bucket" \
  --endpoint-url "$endpoint" >"$work/audit.json" 2>"$work/audit.err"
audit_rc=$?
set -e
t1=$(now)

# (b) aws s3 sync, then ffce verify of every downloaded device backup, i.e. the files
# at a canonical `{uuid}/backup.ffce` path (exit 4 expected too; xargs may split the
# list, so the totals of each call are added up).
log "(b) aws s3 sync + ffce verify"
t2=$(now)
"$aws" s3 sync "s3://$bucket" "$work/sync" --endpoint-url "$endpoint" \
  --only-show-errors --no-progress
t3=$(now)
set +e
find "$work/sync" -type f -regextype posix-extended \
    -regex '.*/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}/backup\.ffce' -print0 \
  | sort -z | xargs -0 "$ffce" -q verify --jsonl >"$work/verify.ndjson" 2>"$work/verify.err"
set -e
t4=$(now)

"$py" - "$work" "$audit_rc" "$t0" "$t1" "$t2" "$t3" "$t4" "$concurrency" <<'EOF'
import json, os, platform, subprocess, sys

work, audit_rc = sys.argv[1], int(sys.argv[2])
t0, t1, t2, t3, t4 = map(float, sys.argv[3:8])
concurrency = int(sys.argv[8])
planted = json.load(open(os.path.join(work, "planted.json")))
audit = json.load(open(os.path.join(work, "audit.json")))
expected = planted["expected"]
problems = []

if audit["totals"] != expected:
    problems.append(f"audit totals {audit['totals']} != planted {expected}")
records = {o["key"]: o for o in audit["objects"]}
for key, reason in planted["bad_keys"].items():
    got = records.get(key, {}).get("errors", [{}])
    if not got or got[0].get("code") != reason:
        problems.append(f"{key}: expected {reason}, audit said {records.get(key)}")
want_rc = 4 if expected["invalid"] else 0
if audit_rc != want_rc or audit["exit_code"] != want_rc:
    problems.append(f"audit exit {audit_rc} (json {audit['exit_code']}), expected {want_rc}")

verify = {"files": 0, "ok": 0, "invalid": 0}
for line in open(os.path.join(work, "verify.ndjson")):
    rec = json.loads(line)
    if rec.get("type") == "summary":
        for k in verify:
            verify[k] += rec[k]
if verify != planted["expected_verify"]:
    problems.append(f"verify totals {verify} != planted {planted['expected_verify']}")
synced = sum(len(files) for _, _, files in os.walk(os.path.join(work, "sync")))
if synced != planted["devices"] + planted["strays"]:
    problems.append(f"aws s3 sync wrote {synced} files, expected {planted['devices'] + planted['strays']}")

n = audit["totals"]["objects"]
audit_s, sync_s, verify_s = t1 - t0, t3 - t2, t4 - t3
alt_s = sync_s + verify_s

def cpu():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"

print(f"machine: {cpu()}, {os.cpu_count()} CPUs, Linux {platform.release()}, moto on loopback")
print(f"objects: {n} device backups ({expected['invalid']} planted bad, {expected['stray']} stray keys), "
      f"{expected['bytes']:,} bytes")
print(f"(a) ffce audit (no key, concurrency {concurrency}):   {audit_s:8.2f} s  {n / audit_s:9.0f} objects/s")
print(f"(b) aws s3 sync:                        {sync_s:8.2f} s")
print(f"    ffce verify of the files:           {verify_s:8.2f} s")
print(f"    sync + verify:                      {alt_s:8.2f} s  {n / alt_s:9.0f} objects/s")
print(f"ratio (b)/(a): {alt_s / audit_s:.1f}x (ffce audit is that many times faster)")
print("counts: audit and verify both match what was planted" if not problems else "COUNTS WRONG:")
for p in problems:
    print("  " + p)
print("result: " + json.dumps({
    "devices": n, "audit_seconds": round(audit_s, 3), "audit_objects_per_second": round(n / audit_s, 1),
    "sync_seconds": round(sync_s, 3), "verify_seconds": round(verify_s, 3),
    "sync_verify_objects_per_second": round(n / alt_s, 1), "ratio": round(alt_s / audit_s, 2),
    "concurrency": concurrency, "counts_ok": not problems,
}))
sys.exit(1 if problems else 0)
EOF

#!/usr/bin/env bash
# ffce's download-and-decrypt path end to end, against what a user would do without it,
# in one run against a fresh loopback moto S3 server:
#
#   (a) ffce get UUID --decrypt --master-key-file K -o OUT
#   (b) aws s3 cp s3://BUCKET/UUID/backup.ffce BLOB   (awscli from PyPI)
#       then python e2e/decrypt_ffce.py BLOB K OUT      (Python `cryptography`)
#   (c) curl --aws-sigv4 ... -o BLOB: one signed GET of the blob, nothing decrypted (the
#       floor: what fetching the bytes costs a C client)
#
# for a realistic Dexie backup (fixtures' dexie-backup, 5.7 KB) and the largest the cloud
# accepts (max-plaintext-backup, 512 KiB). The three run in turn, run after run (so they
# share the machine's drift). Prints the median wall time, CPU time (user + system, each
# process's own rusage) and peak memory (max RSS, per os.wait4) of each, the ratios
# (b)/(a), and ffce's ratios to the floor, (a)/(c). Outputs (a) and (b) are checked to be
# the expected plaintext, (c) to be the stored blob.
#
#   benches/get-vs-awscli.sh [--runs N]     (default 15 runs of each)
set -euo pipefail
runs=15
case "${1:-}" in
  --runs) runs=${2:?}; [[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "--runs: not a positive number" >&2; exit 2; } ;;
  "") ;;
  *) echo "usage: $0 [--runs N]" >&2; exit 2 ;;
esac

. "$(dirname "$0")/lib.sh" get-vs-awscli
bench_python
bench_target

log "building ffce (release; not timed)"
cargo build --quiet --release --locked -p ffce-cli
ffce="$target/release/ffce"

state="$target/e2e-bench"
work=$(mktemp -d)
trap 'bench_moto_stop "$state"; rm -rf "$work"' EXIT
bench_moto_start "$state"
bench_isolate_aws
bucket=e2e-bench
"$ffce" -q bucket create --bucket "$bucket" --endpoint-url "$endpoint" >/dev/null

key="$work/master.key"
(umask 077 && printf '%064d\n' 0 | tr 0 1 >"$key")   # the fixtures' master secret 0x11..11

uuid=3f2504e0-4f89-41d3-9a0c-0305e82c3301
results=()
for vector in dexie-backup max-plaintext-backup; do
  "$ffce" -q put --bucket "$bucket" --endpoint-url "$endpoint" "$uuid" "fixtures/vectors/$vector.ffce" >/dev/null
  expected=$("$py" -c "import json;print(next(v['plaintext_sha256'] for v in json.load(open('fixtures/manifest.json'))['vectors'] if v['name']=='$vector'))")

  a=() b=() c=()
  for _ in $(seq "$runs"); do
    a+=("$("$py" benches/e2e/measure.py 1 "ffce get --decrypt" -- \
        "$ffce" -q get --bucket "$bucket" --endpoint-url "$endpoint" "$uuid" \
        --decrypt --master-key-file "$key" -o "$work/a.out" --force)")
    c+=("$("$py" benches/e2e/measure.py 1 "curl (one signed GET)" -- \
        curl -sS --fail --aws-sigv4 "aws:amz:$AWS_REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
        -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
        -o "$work/c.blob" "$endpoint/$bucket/$uuid/backup.ffce")")
    b+=("$("$py" benches/e2e/measure.py 1 "aws s3 cp + python" -- \
        "$venv/bin/aws" s3 cp --quiet --endpoint-url "$endpoint" "s3://$bucket/$uuid/backup.ffce" "$work/b.blob" \
        --then "$py" benches/e2e/decrypt_ffce.py "$work/b.blob" "$key" "$work/b.out")")
  done
  for out in a.out b.out; do
    got=$(sha256sum "$work/$out" | cut -d' ' -f1)
    [[ $got == "$expected" ]] || { echo "$vector: $out has the wrong plaintext" >&2; exit 1; }
  done
  cmp -s "$work/c.blob" "fixtures/vectors/$vector.ffce" || { echo "$vector: curl fetched other bytes" >&2; exit 1; }
  merge() { "$py" -c 'import json, statistics, sys
rs = [json.loads(a) for a in sys.argv[1:]]
out = {"label": rs[0]["label"], "runs": len(rs)}
for k in ("wall_s", "cpu_s", "peak_rss_kib"):
    out[k] = [r[k][0] for r in rs]
    out["median_" + k] = statistics.median(out[k])
print(json.dumps(out))' "$@"; }
  results+=("$vector" "$(merge "${a[@]}")" "$(merge "${b[@]}")" "$(merge "${c[@]}")")
done

"$py" - "${results[@]}" <<'PY'
import json, platform, subprocess, sys
args = sys.argv[1:]
cpu = next((l.split(":", 1)[1].strip() for l in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines() if l.startswith("Model name")), platform.processor())
print(f"machine: {cpu}, {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores")
print()
print("| backup | ffce get --decrypt | aws s3 cp + python | time ratio | memory ratio |")
print("|---|---:|---:|---:|---:|")
rows = []
for i in range(0, len(args), 4):
    name, a, b, c = args[i], json.loads(args[i + 1]), json.loads(args[i + 2]), json.loads(args[i + 3])
    rows.append((name, a, c))
    ta, tb = a["median_wall_s"], b["median_wall_s"]
    ma, mb = a["median_peak_rss_kib"], b["median_peak_rss_kib"]
    print(f"| {name} | {ta*1000:.0f} ms, {ma/1024:.1f} MiB | {tb*1000:.0f} ms, {mb/1024:.1f} MiB | {tb/ta:.1f}x | {mb/ma:.1f}x |")
print()
print(f"medians of {json.loads(args[1])['runs']} runs each; ratios are (aws s3 cp + python) / ffce")
print()
print("Against the floor, one signed `curl` GET of the same blob (no decryption):")
print()
print("| backup | ffce wall, CPU | curl wall, CPU | wall ffce / curl | CPU ffce / curl | memory ffce / curl |")
print("|---|---:|---:|---:|---:|---:|")
for name, a, c in rows:
    print(f"| {name} | {a['median_wall_s']*1000:.0f} ms, {a['median_cpu_s']*1000:.0f} ms | "
          f"{c['median_wall_s']*1000:.0f} ms, {c['median_cpu_s']*1000:.0f} ms | "
          f"{a['median_wall_s']/c['median_wall_s']:.2f}x | {a['median_cpu_s']/c['median_cpu_s']:.2f}x | "
          f"{a['median_peak_rss_kib']/c['median_peak_rss_kib']:.2f}x |")
PY

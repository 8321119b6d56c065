#!/usr/bin/env bash
# `ffce show` and `ffce diff` of the largest backups the cloud accepts, against the cost
# of getting their plaintext at all (`ffce decrypt`), measured in the same run:
#
#   fixtures/exports.py --max writes two Dexie exports of exactly 524,251 bytes (the
#   largest plaintext, docs/SPEC.md §3) with 3,830 circuits, the second with 40 rows
#   changed, one removed and one added (and a padding setting that differs); both are
#   sealed with `ffce encrypt`. Then, as
#   whole processes (start-up included), each RUNS times:
#
#   (a) ffce decrypt A.ffce -o -                     the baseline: open one blob
#   (b) ffce show A.ffce                             every table, aligned
#   (c) ffce show --json A.ffce                      the export itself, redacted
#   (d) ffce diff A.ffce B.ffce                      open both, match 3,830 rows by key
#   (e) ffce diff --json A.ffce B.ffce
#
# and prints the median wall time and peak memory of each, and its ratio to (a).
#
#   benches/show-diff.sh [--runs N]     release build, 15 runs of each (default)
#   benches/show-diff.sh --short        CI smoke run: the debug build, 3 runs of each, so
#                                       that the script cannot rot (its figures mean little)
set -euo pipefail
runs=15
profile=release
case "${1:-}" in
  --runs) runs=${2:?}; [[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "--runs: not a positive number" >&2; exit 2; } ;;
  --short) runs=3; profile=debug ;;
  "") ;;
  *) echo "usage: $0 [--runs N | --short]" >&2; exit 2 ;;
esac

. "$(dirname "$0")/lib.sh" show-diff
bench_target

log "building ffce ($profile; not timed)"
if [[ $profile == release ]]; then
  cargo build --quiet --release --locked -p ffce-cli
else
  cargo build --quiet --locked -p ffce-cli
fi
ffce="$target/$profile/ffce"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
key="$work/master.key"
(umask 077 && printf '%064d\n' 0 | tr 0 1 >"$key")   # the fixtures' master secret 0x11..11
python3 fixtures/exports.py --max "$work/a.json" "$work/b.json"
for x in a b; do
  "$ffce" -q encrypt --master-key-file "$key" "$work/$x.json" -o "$work/$x.ffce"
done
# Each form must succeed and find the changes before anything is timed.
"$ffce" -q diff --stat --master-key-file "$key" "$work/a.ffce" "$work/b.ffce" \
  | grep -q "circuits  *1  *1  *40  3830 → 3830" || { log "the diff did not find the changes"; exit 1; }

measure() {
  local label=$1; shift
  python3 benches/e2e/measure.py "$runs" "$label" -- "$@"
}
k=(--master-key-file "$key")
results=(
  "$(measure "ffce decrypt" "$ffce" -q decrypt "${k[@]}" "$work/a.ffce" -o -)"
  "$(measure "ffce show" "$ffce" -q show "${k[@]}" "$work/a.ffce")"
  "$(measure "ffce show --json" "$ffce" -q show --json "${k[@]}" "$work/a.ffce")"
  "$(measure "ffce diff" "$ffce" -q diff "${k[@]}" "$work/a.ffce" "$work/b.ffce")"
  "$(measure "ffce diff --json" "$ffce" -q diff --json "${k[@]}" "$work/a.ffce" "$work/b.ffce")"
)

python3 - "$profile" "${results[@]}" <<'PY'
import json, platform, subprocess, sys
profile = sys.argv[1]
rows = [json.loads(a) for a in sys.argv[2:]]
cpu = next((l.split(":", 1)[1].strip() for l in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines() if l.startswith("Model name")), platform.processor())
print(f"machine: {cpu}, {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores")
print()
print("| two 524,251-byte exports (3,830 circuits each) | median time | peak memory | time vs decrypt |")
print("|---|---:|---:|---:|")
base = rows[0]["median_wall_s"]
for r in rows:
    t, m = r["median_wall_s"], r["median_peak_rss_kib"]
    print(f"| `{r['label']}` | {t*1000:.1f} ms | {m/1024:.1f} MiB | {t/base:.1f}x |")
print()
print(f"medians of {rows[0]['runs']} runs each, whole processes, {profile} build; the ratio is each command's time / `ffce decrypt` of one blob")
PY

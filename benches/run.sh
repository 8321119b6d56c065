#!/usr/bin/env bash
# Runs the Criterion benches of ffce-core with both AEAD backends and prints a Markdown
# table: each ffce figure next to the bare AEAD of the same backend, so that the cost of
# the framing shows as a ratio.
#
#   benches/run.sh            full run (Criterion defaults: 3 s warm-up, 5 s, 100 samples)
#   benches/run.sh --short    smoke run for CI, well under a minute once compiled, then
#                             benches/api-vs-python.sh --short (about 20 s more once built),
#                             benches/api-load.sh --short (about 10 s more),
#                             benches/fleet.sh --short (about 30 s more),
#                             benches/floor.sh --short (about 45 s more), then
#                             benches/show-diff.sh --short (a few seconds)
#
# Compilation happens first and is not part of the timed part. Results go to
# target/criterion/backend-{aes-gcm,ring}/ (CRITERION_HOME), so the two backends' runs of
# the same id do not overwrite each other. The table is printed on stdout; Criterion's
# own output goes to stderr. Needs cargo, python3 and lscpu.
set -euo pipefail

mode=full
case "${1:-}" in
  --short) mode=short ;;
  "") ;;
  -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
  *) echo "usage: $0 [--short]" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=../scripts/lib.sh
. scripts/lib.sh
target=$(cargo_target_dir)
out="$target/criterion"

# --noplot: plots cost seconds per benchmark and nobody looks at them here.
args=(--noplot)
if [[ $mode == short ]]; then
  # 10 samples (Criterion's minimum) in 0.5 s each; fewer bootstrap resamples, since
  # the table reports the median, not confidence intervals.
  args+=(--warm-up-time 0.2 --measurement-time 0.5 --sample-size 10 --nresamples 10000)
fi

rounds=2000
[[ $mode == short ]] && rounds=200

echo "building the benches (both backends)..." >&2
for features in "" "--features=ring"; do
  cargo bench -p ffce-benches --bench hot_path $features --no-run >&2
  cargo build -p ffce-benches --profile bench --example inplace_vs_raw $features >&2
done
for features in "" "--features=ring-verify"; do
  cargo bench -p ffce-benches --bench device_auth $features --no-run >&2
done

start=$(date +%s)
started_at=$(python3 -c 'import time; print(time.time())')

# Default backend (pure-Rust aes-gcm): every benchmark, raw baselines included.
CRITERION_HOME="$out/backend-aes-gcm" \
  cargo bench -p ffce-benches --bench hot_path -- "${args[@]}" >&2
# ring backend: only ffce-core's own ids (the raw ones do not depend on the feature).
CRITERION_HOME="$out/backend-ring" \
  cargo bench -p ffce-benches --bench hot_path --features ring -- "${args[@]}" \
  '^(seal|open|derive|inspect)' >&2

# The device API's signature check: ffce with p256 (default) and with ring
# (`ring-verify`, what the device API builds), next to both crates bare.
CRITERION_HOME="$out/backend-aes-gcm" \
  cargo bench -p ffce-benches --bench device_auth -- "${args[@]}" >&2
CRITERION_HOME="$out/backend-ring-verify" \
  cargo bench -p ffce-benches --bench device_auth --features ring-verify -- "${args[@]}" \
  '^verify/ffce' >&2

# The target itself, measured interleaved (robust to other work on the machine).
ab=$(for features in "" "--features=ring"; do
  cargo run -q -p ffce-benches --profile bench --example inplace_vs_raw $features -- "$rounds"
done)

elapsed=$(( $(date +%s) - start ))

model=$(lscpu | sed -n 's/^Model name: *//p' | head -n1)
cpus=$(nproc)
rustc_v=$(rustc --version)

python3 - "$out" "$started_at" "$mode" "$elapsed" "$model" "$cpus" "$rustc_v" "$rounds" "$ab" <<'PY'
import datetime, json, os, sys

out, started_at, mode, elapsed, model, cpus, rustc, rounds, ab = sys.argv[1:10]
started_at = float(started_at)

def load(backend):
    """full_id -> (median ns, fastest sample's ns, bytes or None) per iteration, this run only."""
    found = {}
    root = os.path.join(out, "backend-" + backend)
    for dirpath, _, files in os.walk(root):
        if os.path.basename(dirpath) != "new" or "estimates.json" not in files:
            continue
        est_path = os.path.join(dirpath, "estimates.json")
        if os.path.getmtime(est_path) < started_at:
            continue  # left over from an earlier run or a removed benchmark
        with open(os.path.join(dirpath, "benchmark.json")) as f:
            bench = json.load(f)
        with open(est_path) as f:
            est = json.load(f)
        with open(os.path.join(dirpath, "sample.json")) as f:
            sample = json.load(f)
        best = min(t / n for t, n in zip(sample["times"], sample["iters"]))
        tp = bench.get("throughput") or {}
        found[bench["full_id"]] = (est["median"]["point_estimate"], best, tp.get("Bytes"))
    return found

results = {"aes-gcm": load("aes-gcm"), "ring": load("ring"), "ring-verify": load("ring-verify")}
raw = results["aes-gcm"]  # the raw baselines ran once, in the default build

def gib_s(ns, nbytes):
    return nbytes / (ns * 1e-9) / 2**30

def fmt_time(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"

ops = ["seal", "seal_in_place", "open", "open_in_place"]
sizes = ["1KiB", "64KiB", "512KiB"]
rows = []
for backend in ("aes-gcm", "ring"):
    r = results[backend]
    for op in ops:
        for size in sizes:
            rows.append((f"{op}/{size}", backend, r))
    for single in ("derive", "inspect"):
        rows.append((single, backend, r))
for crate in ("aes-gcm", "ring", "aws-lc-rs"):
    rows.append((f"raw/{crate}/512KiB", crate, raw))
for crate in ("aes-gcm", "ring", "aws-lc-rs"):
    rows.append((f"raw_open/{crate}/512KiB", crate, raw))

missing = []
print(f"### ffce-core benchmarks ({mode} run)\n")
print(f"Machine: {model}, {cpus} CPUs (`lscpu`/`nproc`); {rustc}; "
      f"{datetime.date.today().isoformat()}; measuring took {elapsed} s.\n")
print("| id | backend | time (median) | throughput (median) | ratio vs raw, same backend |")
print("|---|---|---:|---:|---:|")
for bench_id, backend, r in rows:
    if bench_id not in r:
        missing.append(f"{bench_id} ({backend})")
        continue
    ns, best, nbytes = r[bench_id]
    tp = f"{gib_s(ns, nbytes):.2f} GiB/s" if nbytes else "—"
    ratio = "—"
    if bench_id.endswith("/512KiB") and not bench_id.startswith("raw"):
        # Seals compare with the raw seal, opens with the raw open, of the same crate.
        # Same byte count on both sides, so the throughput ratio is the time ratio.
        base_id = ("raw_open" if bench_id.startswith("open") else "raw") + f"/{backend}/512KiB"
        if base_id in raw:
            base_ns, base_best, _ = raw[base_id]
            ratio = f"{base_ns / ns:.2f}× (best {base_best / best:.2f}×) `{base_id}`"
    print(f"| `{bench_id}` | {backend} | {fmt_time(ns)} | {tp} | {ratio} |")

print("\nThroughput counts plaintext bytes (1 GiB/s = 2^30 B/s). `seal`/`open` are the "
      "allocating API (`seal` draws a random nonce), `*_in_place` work in the caller's "
      "buffer; `raw*` are the bare crates, detached tag, empty AAD, same 512 KiB buffer. "
      "Ratios are throughput ffce / raw: of the medians, and (best) of each side's fastest "
      "sample, which is steadier when other work shares the machine.")
print("\n#### The device API's signature check (`benches/device_auth.rs`)\n")
print("One P-256 ECDSA verification of a request's `nonce || timestamp`, as "
      "`device_auth::verify` does it for every device API request.\n")
print("| id | backend | time (median) | ratio vs raw, same crate | ratio vs ffce on p256 |")
print("|---|---|---:|---:|---:|")
verify_rows = [("verify/ffce", "p256", raw, "verify/raw/p256"),
               ("verify/ffce", "ring (`ring-verify`)", results["ring-verify"], "verify/raw/ring"),
               ("verify/raw/p256", "p256", raw, None),
               ("verify/raw/ring", "ring", raw, None)]
p256_ffce = raw.get("verify/ffce")
for bench_id, backend, r, base_id in verify_rows:
    if bench_id not in r:
        missing.append(f"{bench_id} ({backend})")
        continue
    ns = r[bench_id][0]
    vs_raw = f"{ns / raw[base_id][0]:.2f}×" if base_id and base_id in raw else "—"
    vs_p256 = f"{ns / p256_ffce[0]:.2f}×" if p256_ffce else "—"
    print(f"| `{bench_id}` | {backend} | {fmt_time(ns)} | {vs_raw} | {vs_p256} |")
print("\nRatios are times (lower is faster): ffce / the bare crate it calls, and each row / "
      "ffce's default (p256) verification.")
print(f"\n#### In-place paths vs the bare AEAD of the same backend, 512 KiB\n")
print(f"Interleaved A/B (`examples/inplace_vs_raw.rs`): fastest of {rounds} back-to-back "
      "rounds each. Target: ≥ 0.95×.\n")
print("| id | backend | ffce | raw | ratio |")
print("|---|---|---:|---:|---:|")
print(ab)
if missing:
    print("\nmissing results: " + ", ".join(missing), file=sys.stderr)
    sys.exit(1)
PY

# The device API against its Python baseline (one request at a time, and under load), the
# fleet bench (moto, 300 devices, ffce only), the audit's floor (moto, curl and ffce) and
# show/diff of the largest exports, each in
# its own smoke mode, so that no script can rot (their figures from a debug build are not
# the README's; run each script alone for the full comparison).
if [[ $mode == short ]]; then
  echo
  bash benches/api-vs-python.sh --short
  echo
  bash benches/api-load.sh --short
  echo
  bash benches/fleet.sh --short
  echo
  bash benches/floor.sh --short
  echo
  bash benches/show-diff.sh --short
fi

#!/usr/bin/env bash
# Bounded fuzz smoke run for CI, so that no target rots: every fuzz target for SECONDS_PER_TARGET
# seconds (default 15), one after another, from a freshly seeded corpus; `open` runs twice,
# on ffce-core's default AEAD backend and on `ring` (six runs, 90 s at the default).
#
#   fuzz/smoke.sh [SECONDS_PER_TARGET]
#
# Installs the pinned cargo-fuzz if it is missing, seeds the corpora (seed-corpus.sh),
# builds the targets (once per feature set), runs each with libFuzzer's -max_total_time and
# -print_final_stats=1, and prints the executions and time of each target. Exits non-zero
# if any target crashes, times out, runs out of memory or fails to build; the crashing
# input is left in fuzz/artifacts/TARGET/ and the log in fuzz/artifacts/smoke/RUN.log.
#
# Environment: FFCE_FUZZ_TARGETS="header open-ring" runs a subset of the runs header, open,
# open-ring, upload, keyfile, content (default: all six). FFCE_FUZZ_BUILD_ARGS adds
# cargo-fuzz build options to every build and run, e.g. "--codegen-units 16" for a faster
# build at some cost in executions per second.
# Needs no nightly toolchain: RUSTC_BOOTSTRAP=1 lets stable rustc take cargo-fuzz's
# sanitizer flags.
set -euo pipefail

secs=${1:-15}
case $secs in
    '' | *[!0-9]* | 0) echo "usage: $0 [SECONDS_PER_TARGET]" >&2; exit 2 ;;
esac
CARGO_FUZZ_VERSION=0.13.2

fuzz_dir=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$fuzz_dir")
cd "$root"
export RUSTC_BOOTSTRAP=1
export CARGO_TERM_COLOR=never

if ! cargo fuzz --version 2>/dev/null | grep -qx "cargo-fuzz $CARGO_FUZZ_VERSION"; then
    echo "== installing cargo-fuzz $CARGO_FUZZ_VERSION" >&2
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

echo "== seeding fuzz/corpus" >&2
"$fuzz_dir/seed-corpus.sh"

read -r -a runs <<<"${FFCE_FUZZ_TARGETS:-header open open-ring upload keyfile content}"
read -r -a build_args <<<"${FFCE_FUZZ_BUILD_ARGS:-}"

# Cargo features per run: every target fuzzes ffce-core on its default pure-Rust AEAD
# backend, and `open-ring` runs `open` once more on the `ring` backend.
run_target() {
    case $1 in
        open-ring) echo open ;;
        *) echo "$1" ;;
    esac
}
run_features() {
    case $1 in
        header | open | upload | keyfile | content) echo "" ;;
        open-ring) echo "--features ring" ;;
        *) echo "unknown fuzz run: $1 (expected header, open, open-ring, upload, keyfile, content)" >&2
            return 1 ;;
    esac
}

# Build each feature set once up front, so a build failure is reported as one and the
# fuzzing time below is all fuzzing.
declare -A built=()
for run in "${runs[@]}"; do
    feats=$(run_features "$run")
    [ -n "${built["x$feats"]:-}" ] && continue
    built["x$feats"]=1
    read -r -a features <<<"$feats"
    echo "== building fuzz targets (${feats:-default features})" >&2
    build_start=$SECONDS
    cargo fuzz build "${build_args[@]}" "${features[@]}"
    echo "   built in $((SECONDS - build_start)) s" >&2
done

# Per-target libFuzzer options. header/open: inputs up to 8 KiB (the valid seeds are at
# most 5.8 KiB; the two 512 KiB vectors only slow every execution down ~20x). upload keeps
# libFuzzer's default, the largest seed (524,289 bytes), so the 413 boundary is exercised.
target_args() {
    case $1 in
        header | open) echo "-max_len=8192" ;;
        content) echo "-dict=$fuzz_dir/dicts/content.dict" ;;
        *) echo "" ;;
    esac
}

logs="$fuzz_dir/artifacts/smoke"
mkdir -p "$logs"
failed=()
results=()
for run in "${runs[@]}"; do
    target=$(run_target "$run")
    log="$logs/$run.log"
    echo "== fuzzing $run for ${secs} s" >&2
    read -r -a features <<<"$(run_features "$run")"
    read -r -a extra <<<"$(target_args "$target")"
    rc=0
    cargo fuzz run "${build_args[@]}" "${features[@]}" "$target" -- \
        -max_total_time="$secs" -timeout=20 -print_final_stats=1 "${extra[@]}" \
        >"$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
    new=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -n1)
    took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n1)
    status=ok
    if [ "$rc" -ne 0 ]; then
        status="FAILED (exit $rc)"
        failed+=("$run")
        echo "-- last lines of $log:" >&2
        tail -n 40 "$log" >&2
    fi
    results+=("$(printf '%-9s %12s execs %6s s %8s exec/s %5s new units  %s' \
        "$run" "${execs:-?}" "${took:-?}" "${rate:-?}" "${new:-?}" "$status")")
done

echo "== fuzz smoke results (${secs} s per target)"
printf '%s\n' "${results[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz smoke: ${#failed[@]} run(s) failed: ${failed[*]}" >&2
    echo "reproduce: RUSTC_BOOTSTRAP=1 cargo fuzz run TARGET fuzz/artifacts/TARGET/<file>" >&2
    exit 1
fi
echo "fuzz smoke: ${#runs[@]} runs, no crash"

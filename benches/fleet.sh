#!/usr/bin/env bash
# Fleet health at scale: `ffce ls` and `ffce audit` against the tools people already use,
# in one run, on one S3-compatible server that the script starts on loopback.
#
#   benches/fleet.sh            full run: 10,000 devices with the peers, then 100,000 (~15 min)
#   benches/fleet.sh --short    CI smoke run: moto, 300 devices, ffce only (under a minute)
#   options: --devices N (10000)  --large N (100000; 0 skips it)
#            --sweep "8 16 32 64 128 256" (audit --concurrency values at --devices)
#            --rclone-transfers "4 64"  --no-peers (ffce only)  --keep (keep the work folder)
#            --repeat K (3: runs of the audit pair the CPU and memory goals compare)
#            --server s3s-fs-indexed|s3s-fs (the full run's server; the first by default)
#
# Full run. The server is benches/tools/s3s-fs-indexed: s3s-fs 0.14 (crates.io) with its
# two listings answered from a sorted index of the keys, made at start-up, as S3 answers
# them (a seek, then the page). s3s-fs itself walks the whole bucket folder for every
# list page, so on it listing time grows with the square of the fleet and a listing bench
# measures the walk; `--server s3s-fs` runs on it all the same (with the flat layout at
# --large, so that its walk reads one folder, not one per device). Either is built once
# (--locked) into target/bench-tools/, not timed, and serves a data folder under
# target/fleet-bench/ on a free 127.0.0.1 port. Its request log (RUST_LOG=s3s::ops=debug:
# one "resolved route, op: X" line per request) is how requests are counted, for every
# tool alike. benches/fleet_plant.py writes the objects straight into that folder (s3s-fs
# serves plain files) before the server starts, each device with its own master secret (a
# key folder for `--key-dir`), a known number of malformed backups, of devices with a
# wrong key or no key file, and of stale ones (mtime 60 days ago), plus a few stray keys;
# the bench fails if any count of ffce's is not what was planted. At --devices, in this
# order:
#   ffce ls --jsonl | aws s3 ls --recursive | ffce audit --json --older-than 30d
#   (structure only) | ffce audit --json --key-dir (per-device keys) | ffce audit --jsonl
#   at each --sweep concurrency | aws s3 sync + ffce verify | rclone copy (each
#   --rclone-transfers) + ffce verify.
# At --large (a second bucket on the same server): ffce audit --jsonl and ffce ls --jsonl;
# then the audit at --devices and at --large again, K-1 more times each, interleaved: the
# CPU-per-object and memory goals compare the medians of K runs at each size, since one
# run against one other differs by about 5% from run to run on a shared machine.
# Each step is timed by /usr/bin/time: wall time, user+sys CPU (of the client and its
# children) and peak RSS; the server's CPU comes from /proc. Tables in Markdown on stdout,
# progress on stderr, and a last `result: {json}` line.
#
# --short: moto (scripts/s3-server.sh, state in target/fleet-bench-short) and the debug
# build of ffce (building s3s-fs or a release ffce would take minutes on a fresh machine):
# 300 devices planted with PUTs, ffce ls, both audits, and a two-value sweep, with the same
# count checks; no peers, no request counts (moto has no request log), no --large.
#
# Needs cargo, python3 (the venv of scripts/python-env.sh: awscli, boto3, cryptography,
# moto), /usr/bin/time (Debian `time`) and rclone (Debian `rclone`): the two are installed
# with apt-get when missing and the script runs as root.
set -euo pipefail

mode=full
devices=10000
large=100000
sweep="8 16 32 64 128 256"
transfers="4 64"
keep=0
peers=1
repeat=3
server_kind=s3s-fs-indexed
while [[ $# -gt 0 ]]; do
  case "$1" in
    --short) mode=short; shift ;;
    --devices) devices=${2:?}; shift 2 ;;
    --large) large=${2:?}; shift 2 ;;
    --sweep) sweep=${2:?}; shift 2 ;;
    --rclone-transfers) transfers=${2:?}; shift 2 ;;
    --no-peers) peers=0; shift ;;
    --keep) keep=1; shift ;;
    --server) server_kind=${2:?}; shift 2 ;;
    --repeat) repeat=${2:?}; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^set -euo/ { exit } NR > 1' "$0"; exit 0 ;;
    *) echo "usage: $0 [--short] [--devices N] [--large N] [--sweep \"C...\"] [--rclone-transfers \"T...\"] [--no-peers] [--server S] [--repeat K] [--keep]" >&2; exit 2 ;;
  esac
done
if [[ $mode == short ]]; then
  devices=300 large=0 sweep="8 32" peers=0
fi
[[ $peers == 1 ]] || transfers=""
for n in "$devices" $sweep $transfers "$repeat"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "fleet: not a positive number: $n" >&2; exit 2; }
done
[[ $large =~ ^[0-9]+$ ]] || { echo "fleet: not a number: $large" >&2; exit 2; }
case "$server_kind" in
  # s3s-fs walks every folder of the bucket for every list page: at --large, the flat
  # layout (one folder, not one per device) keeps its listing from being all that is measured.
  s3s-fs) large_layout=flat ;;
  s3s-fs-indexed) large_layout=nested ;;
  *) echo "fleet: --server is s3s-fs-indexed or s3s-fs, not $server_kind" >&2; exit 2 ;;
esac

. "$(dirname "$0")/lib.sh" fleet

need_apt() {  # need_apt COMMAND PACKAGE
  command -v "$1" >/dev/null 2>&1 && return 0
  log "installing $2 (apt-get)"
  if [[ $(id -u) == 0 ]]; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2"; } >&2
  else
    sudo apt-get update -qq >&2 && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >&2
  fi
}
need_apt /usr/bin/time time
[[ $mode == full && -n $transfers ]] && need_apt rclone rclone

bench_python
bench_target
if [[ $mode == short ]]; then
  log "building ffce (debug; not timed)"
  cargo build --locked -p ffce-cli >&2
  ffce="$target/debug/ffce"
  build="debug"
else
  log "building ffce (release; not timed)"
  cargo build --release --locked -p ffce-cli >&2
  ffce="$target/release/ffce"
  build="release"
  # Both servers are built once under target/bench-tools and not timed.
  if [[ $server_kind == s3s-fs ]]; then
    s3s="$target/bench-tools/bin/s3s-fs"
    if [[ ! -x $s3s ]]; then
      log "building s3s-fs 0.14 from crates.io into $target/bench-tools (once; not timed)"
      cargo install s3s-fs --version '^0.14' --features binary --locked \
        --root "$target/bench-tools" >&2
    fi
  else
    log "building benches/tools/s3s-fs-indexed (release; not timed)"
    cargo build --release --locked --manifest-path benches/tools/s3s-fs-indexed/Cargo.toml \
      --target-dir "$target/bench-tools/build" >&2
    s3s="$target/bench-tools/build/release/s3s-fs-indexed"
  fi
fi

state="$target/fleet-bench"
[[ $mode == short ]] && state="$target/fleet-bench-short"
work=$(mktemp -d "${TMPDIR:-/tmp}/ffce-fleet-bench.XXXXXX")
server_pid=""
cleanup() {
  if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [[ $mode == short ]]; then bench_moto_stop "$state"; fi
  rm -rf -- "$state/data"
  if [[ $keep == 1 ]]; then log "kept $work"; else rm -rf -- "$work"; fi
}
trap cleanup EXIT
rm -rf -- "$state/data"
mkdir -p "$state/data"

bench_isolate_aws

bucket=ffce-fleet
big_bucket=ffce-fleet-large
server_log="$work/server.log"
: >"$server_log"
if [[ $mode == short ]]; then
  bench_moto_start "$state"
  server="moto (scripts/s3-server.sh)"
  "$ffce" -q bucket create --bucket "$bucket" --endpoint-url "$endpoint" >&2
  log "planting $devices devices with PUTs (not timed)"
  "$py" benches/fleet_plant.py --endpoint "$endpoint" "$bucket" "$devices" \
    --key-dir "$work/keys" --bad-every 50 --wrong-key-every 40 --no-key-every 30 \
    --stale-every 10 --gap 6 >"$work/planted.json"
else
  log "planting $devices devices in the data folder (not timed)"
  "$py" benches/fleet_plant.py --dir "$state/data" "$bucket" "$devices" \
    --key-dir "$work/keys" >"$work/planted.json"
  if [[ $large -gt 0 ]]; then
    # Planted before the server starts: s3s-fs-indexed indexes the folder at start-up.
    log "planting $large devices in a second bucket, $large_layout layout (not timed)"
    "$py" benches/fleet_plant.py --dir "$state/data" "$big_bucket" "$large" \
      --layout "$large_layout" --seed 14 >"$work/planted_large.json"
  fi
  port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  RUST_LOG=s3s::ops=debug "$s3s" --host 127.0.0.1 --port "$port" \
    --access-key test --secret-key test "$state/data" >"$server_log" 2>&1 &
  server_pid=$!
  endpoint="http://127.0.0.1:$port"
  # Ready when the port takes connections (s3s-fs-indexed indexes the folder first: about
  # a minute for 110,000 cold files); a server that dies or takes over 5 minutes fails the bench.
  ready=0
  for _ in $(seq 3000); do
    kill -0 "$server_pid" 2>/dev/null || { cat "$server_log" >&2; log "$server_kind did not start"; exit 1; }
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then ready=1; break; fi
    sleep 0.1
  done
  [[ $ready == 1 ]] || { log "$server_kind did not listen on $port within 5 minutes"; exit 1; }
  server="$server_kind $("$s3s" --version | awk '{print $2}')"
fi
log "$server on $endpoint"

# One line per step in $work/steps.tsv: name, exit code, the server log's line numbers
# before and after, the server's CPU ticks before and after. /usr/bin/time writes
# "wall user sys maxrss_kb" to $work/NAME.time; stdout goes to $work/NAME.out.
server_ticks() {
  if [[ -n $server_pid ]]; then awk '{print $14 + $15}' "/proc/$server_pid/stat"; else echo 0; fi
}
step() {  # step NAME CMD...
  local name=$1; shift
  local l0 l1 c0 c1 rc
  log "$name"
  l0=$(wc -l <"$server_log"); c0=$(server_ticks)
  set +e
  /usr/bin/time -f '%e %U %S %M' -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err"
  rc=$?
  set -e
  l1=$(wc -l <"$server_log"); c1=$(server_ticks)
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$rc" "$l0" "$l1" "$c0" "$c1" >>"$work/steps.tsv"
}
: >"$work/steps.tsv"
# `--older-than` for the stale devices: 30d on s3s-fs (their mtime is 60 days ago); on
# moto, the seconds since a time between the stale uploads and the others.
older_than() {
  if [[ $mode == short ]]; then
    "$py" -c 'import json,sys,time; cut = json.load(open(sys.argv[1]))["stale_cutoff_epoch"]; print(str(max(1, round(time.time() - cut))) + "s")' "$work/planted.json"
  else
    echo 30d
  fi
}
ep=(--endpoint-url "$endpoint")
verify_files() {  # verify_files DIR: ffce verify --jsonl of every downloaded backup
  find "$1" -type f -regextype posix-extended \
      -regex '.*/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}/backup\.ffce' -print0 \
    | xargs -0 "$ffce" -q verify --jsonl
}
export -f verify_files
export ffce

load_before=$(cut -d' ' -f1-3 /proc/loadavg)

step ls "$ffce" -q ls --jsonl --bucket "$bucket" "${ep[@]}"
[[ $peers == 1 ]] && step aws_ls "$aws" s3 ls --recursive "s3://$bucket" --endpoint-url "$endpoint"
step audit "$ffce" -q audit --json --older-than "$(older_than)" --bucket "$bucket" "${ep[@]}"
step audit_keys "$ffce" -q audit --json --key-dir "$work/keys" --bucket "$bucket" "${ep[@]}"
for c in $sweep; do
  step "sweep_$c" "$ffce" -q audit --jsonl --concurrency "$c" --bucket "$bucket" "${ep[@]}"
done
if [[ $peers == 1 ]]; then
  step aws_sync "$aws" s3 sync "s3://$bucket" "$work/sync" --endpoint-url "$endpoint" \
    --only-show-errors --no-progress
  step aws_sync_verify bash -c 'verify_files "$1"' _ "$work/sync"
  export RCLONE_CONFIG=/dev/null RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Other \
    RCLONE_CONFIG_BENCH_ENDPOINT="$endpoint" RCLONE_CONFIG_BENCH_ACCESS_KEY_ID=test \
    RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY=test RCLONE_CONFIG_BENCH_REGION=us-east-1
  for t in $transfers; do
    # rclone lists each device's folder on its own (one request per device); its
    # --fast-list (one listing of the whole bucket) copies nothing from s3s-fs 0.14,
    # which answers an empty `delimiter=` with an empty listing.
    step "rclone_$t" rclone copy "bench:$bucket" "$work/rclone_$t" --transfers "$t"
    step "rclone_${t}_verify" bash -c 'verify_files "$1"' _ "$work/rclone_$t"
  done
  rm -rf -- "$work/sync" "$work"/rclone_*/
fi
if [[ $large -gt 0 ]]; then
  step large_audit "$ffce" -q audit --jsonl --layout "$large_layout" --bucket "$big_bucket" "${ep[@]}"
  step large_ls "$ffce" -q ls --jsonl --layout "$large_layout" --bucket "$big_bucket" "${ep[@]}"
  # The pair the CPU and memory goals compare, again (the first runs: sweep at the
  # default concurrency, and large_audit), interleaved so that both sizes share the
  # machine's drift.
  for i in $(seq 2 "$repeat"); do
    step "again_small_$i" "$ffce" -q audit --jsonl --bucket "$bucket" "${ep[@]}"
    step "again_large_$i" "$ffce" -q audit --jsonl --layout "$large_layout" \
      --bucket "$big_bucket" "${ep[@]}"
  done
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

"$py" - "$work" "$mode" "$build" "$server" "$devices" "$large" "$sweep" "$transfers" \
  "$load_before" "$load_after" "$(getconf CLK_TCK)" "$peers" "${large_layout:-nested}" \
  "$repeat" <<'EOF'
import json, os, platform, re, subprocess, sys

work, mode, build, server = sys.argv[1:5]
devices, large = int(sys.argv[5]), int(sys.argv[6])
sweep = [int(c) for c in sys.argv[7].split()]
transfers = [int(t) for t in sys.argv[8].split()]
load_before, load_after, clk = sys.argv[9], sys.argv[10], int(sys.argv[11])
full, peers = mode == "full", sys.argv[12] == "1"
large_layout = sys.argv[13]
repeat = int(sys.argv[14])
planted = json.load(open(os.path.join(work, "planted.json")))
log_lines = open(os.path.join(work, "server.log"), errors="replace").read().splitlines()
route = re.compile(r"resolved route, op: (\w+)")

steps = {}
for line in open(os.path.join(work, "steps.tsv")):
    name, rc, l0, l1, c0, c1 = line.rstrip("\n").split("\t")
    wall, user, sys_, rss = open(os.path.join(work, name + ".time")).read().split()[-4:]
    ops = {}
    for entry in log_lines[int(l0):int(l1)]:
        m = route.search(entry)
        if m:
            ops[m.group(1)] = ops.get(m.group(1), 0) + 1
    steps[name] = {
        "rc": int(rc), "wall": float(wall), "cpu": float(user) + float(sys_),
        "rss_mib": int(rss) / 1024, "ops": ops, "requests": sum(ops.values()),
        "server_cpu": (int(c1) - int(c0)) / clk,
    }

def out(name):
    return open(os.path.join(work, name + ".out")).read()

def err(name):
    return open(os.path.join(work, name + ".err")).read().strip()[-2000:]

problems = []
def check(what, got, want):
    if got != want:
        problems.append(f"{what}: got {got}, planted {want}")

def last_summary(name):
    lines = out(name).splitlines()
    try:
        last = json.loads(lines[-1])
        if last["type"] != "summary":
            raise KeyError("type")
        return last
    except (IndexError, ValueError, KeyError):
        problems.append(f"{name}: no summary line (exit {steps[name]['rc']}): {err(name)}")
        return None

exp, keyed = planted["expected"], planted["expected_keyed"]
want_rc = 4 if exp["invalid"] else 0

# ffce ls --jsonl: every device and stray key once.
s = last_summary("ls")
if s:
    uuids = [json.loads(l).get("device") for l in out("ls").splitlines()[:-1]]
    check("ls devices", s["devices"], planted["devices"])
    check("ls stray keys", s["stray_keys"], planted["strays"])
    check("ls distinct device lines", len({u for u in uuids if u}), planted["devices"])
check("ls exit", steps["ls"]["rc"], 0)
if peers:
    check("aws s3 ls lines", len(out("aws_ls").splitlines()), planted["devices"] + planted["strays"])

# The structure audit (with stale counts) and the per-device keys audit.
for name, want, extra in (("audit", exp, {"stale": planted["expected_stale"]}),
                          ("audit_keys", keyed, {})):
    try:
        doc = json.loads(out(name))
    except ValueError:
        problems.append(f"{name}: no JSON (exit {steps[name]['rc']}): {err(name)}")
        continue
    check(f"{name} totals", doc["totals"], {**want, **extra})
    check(f"{name} exit", steps[name]["rc"], 4 if want["invalid"] else 0)
for c in sweep:
    s = last_summary(f"sweep_{c}")
    if s:
        check(f"audit --jsonl --concurrency {c} totals", s["totals"], exp)
    check(f"audit --jsonl --concurrency {c} exit", steps[f"sweep_{c}"]["rc"], want_rc)

def verify_totals(name):
    t = {"files": 0, "ok": 0, "invalid": 0}
    for line in out(name).splitlines():
        rec = json.loads(line)
        if rec.get("type") == "summary":
            for k in t:
                t[k] += rec[k]
    return t
if peers:
    check("aws s3 sync + verify", verify_totals("aws_sync_verify"), planted["expected_verify"])
    for t in transfers:
        check(f"rclone --transfers {t} + verify", verify_totals(f"rclone_{t}_verify"),
              planted["expected_verify"])
if large:
    big = json.load(open(os.path.join(work, "planted_large.json")))
    s = last_summary("large_audit")
    if s:
        check("large audit totals", s["totals"], big["expected"])
    s = last_summary("large_ls")
    if s:
        check("large ls devices", s["devices"], big["devices"])
    for i in range(2, repeat + 1):
        for name, want in ((f"again_small_{i}", exp), (f"again_large_{i}", big["expected"])):
            if name in steps:
                s = last_summary(name)
                if s:
                    check(f"{name} totals", s["totals"], want)

# --- report -------------------------------------------------------------------------------
def cpu_model():
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"

n = planted["devices"]
try:
    default_c = json.loads(out("audit"))["concurrency"]
except ValueError:
    default_c = None
print(f"### Fleet bench ({mode} run)\n")
print(f"Machine: {cpu_model()}, {os.cpu_count()} CPUs (`nproc`), Linux {platform.release()}; "
      f"load average {load_before} before, {load_after} after. Server: {server} on loopback, "
      f"started by the script. ffce {build} build, default concurrency {default_c}.\n")
print(f"{n:,} devices ({planted['bytes']:,} bytes; {exp['invalid']} malformed, "
      f"{keyed['invalid'] - exp['invalid']} with a wrong key, {keyed['no_key']} without a key "
      f"file, {planted['expected_stale']} stale; {planted['strays']} stray keys).\n")

def row(label, names, objects):
    ss = [steps[x] for x in names]
    wall = sum(x["wall"] for x in ss)
    cpu = sum(x["cpu"] for x in ss)
    rss = max(x["rss_mib"] for x in ss)
    reqs = sum(x["requests"] for x in ss)
    ops = {}
    for x in ss:
        for k, v in x["ops"].items():
            ops[k] = ops.get(k, 0) + v
    srv = sum(x["server_cpu"] for x in ss)
    detail = ", ".join(f"{v:,} {k}" for k, v in sorted(ops.items()))
    req = f"{reqs / objects:.3f} ({detail})" if full else "–"
    srv_s = f"{srv:.2f}" if full else "–"
    print(f"| {label} | {wall:.2f} | {objects / wall:,.0f} | {rss:.0f} | {cpu:.2f} | "
          f"{cpu / objects * 1e6:,.0f} | {req} | {srv_s} |")
    return {"wall": wall, "objects_per_s": objects / wall, "rss_mib": rss, "cpu": cpu,
            "cpu_us_per_object": cpu / objects * 1e6, "requests": reqs, "ops": ops,
            "requests_per_object": reqs / objects, "server_cpu": srv}

head = ("| what | wall s | objects/s | peak RSS MiB | client CPU s | CPU µs/object | "
        "requests/object | server CPU s |\n|---|---:|---:|---:|---:|---:|---|---:|")
print(f"#### {n:,} objects, one run\n")
print(head)
r = {}
r["ls"] = row("`ffce ls --jsonl`", ["ls"], n)
if peers:
    r["aws_ls"] = row("`aws s3 ls --recursive`", ["aws_ls"], n)
r["audit"] = row(f"`ffce audit --json --older-than` (structure)", ["audit"], n)
r["audit_keys"] = row("`ffce audit --json --key-dir` (per-device keys)", ["audit_keys"], n)
if peers:
    r["sync"] = row("`aws s3 sync` + `ffce verify`", ["aws_sync", "aws_sync_verify"], n)
    for t in transfers:
        r[f"rclone_{t}"] = row(f"`rclone copy --transfers {t}` + `ffce verify`",
                               [f"rclone_{t}", f"rclone_{t}_verify"], n)

print(f"\n#### `ffce audit --jsonl --concurrency C` at {n:,} objects\n")
print(head)
for c in sweep:
    r[f"sweep_{c}"] = row(f"C = {c}", [f"sweep_{c}"], n)

if large:
    print(f"\n#### {large:,} objects ({large_layout} layout), same server\n")
    print(head)
    r["large_audit"] = row("`ffce audit --jsonl`", ["large_audit"], large)
    r["large_ls"] = row("`ffce ls --jsonl`", ["large_ls"], large)

# Goals, each with its numbers.
goals = []
if peers:
    peer_walls = {"aws s3 sync + verify": r["sync"]["wall"]}
    peer_walls.update({f"rclone {t} + verify": r[f"rclone_{t}"]["wall"] for t in transfers})
    best_name = min(peer_walls, key=peer_walls.get)
    ratio = peer_walls[best_name] / r["audit"]["wall"]
    goals.append((ratio >= 10, f"audit ≥ 10× the fastest peer: {ratio:.1f}× ({best_name} "
                  f"{peer_walls[best_name]:.1f} s vs {r['audit']['wall']:.2f} s)"))
    ls_ratio = r["aws_ls"]["wall"] / r["ls"]["wall"]
    goals.append((ls_ratio >= 5, f"ls ≥ 5× aws s3 ls: {ls_ratio:.1f}× ({r['aws_ls']['wall']:.2f} s "
                  f"vs {r['ls']['wall']:.2f} s)"))
if full:
    ops = r["audit"]["ops"]
    pages, gets, heads = (ops.get(k, 0) for k in ("ListObjectsV2", "GetObject", "HeadObject"))
    other = r["audit"]["requests"] - pages - gets - heads
    empty = planted["empty_objects"]
    goals.append((gets <= n and heads <= empty and other == 0,
                  f"audit ≤ 1 request per object + 1 per page: {gets:,} GETs for {n:,} objects, "
                  f"{pages} list pages, {heads} HEAD (the server answers a ranged GET of an "
                  f"empty object with 416, and the size then comes from a HEAD: {empty} "
                  f"empty object(s) planted), {other} other"))
if large and default_c in sweep:
    # Medians of the `repeat` runs at each size (the first of each is in the tables).
    small_runs = [f"sweep_{default_c}"] + [f"again_small_{i}" for i in range(2, repeat + 1)]
    big_runs = ["large_audit"] + [f"again_large_{i}" for i in range(2, repeat + 1)]
    def median(xs):
        xs = sorted(xs)
        return (xs[(len(xs) - 1) // 2] + xs[len(xs) // 2]) / 2
    def per_object(names, objects):
        return [steps[x]["cpu"] / objects * 1e6 for x in names if x in steps]
    def rss(names):
        return [steps[x]["rss_mib"] for x in names if x in steps]
    def listed(xs, fmt):
        return ", ".join(format(x, fmt) for x in xs)
    cpu_small, cpu_big = per_object(small_runs, n), per_object(big_runs, large)
    big_cpu, small_cpu = median(cpu_big), median(cpu_small)
    runs = f"median of {len(cpu_big)} runs at each size, interleaved"
    goals.append((big_cpu <= small_cpu * 1.05, f"client CPU per object at {large:,} ≤ at {n:,} "
                  f"(5% allowed for noise; {runs}): {big_cpu:,.0f} vs {small_cpu:,.0f} µs "
                  f"(runs: {listed(cpu_big, ',.0f')} vs {listed(cpu_small, ',.0f')})"))
    rss_small, rss_big = rss(small_runs), rss(big_runs)
    m_big, m_small = median(rss_big), median(rss_small)
    goals.append((abs(m_big - m_small) <= 0.2 * m_small, f"audit --jsonl peak RSS at {large:,} "
                  f"within 20% of {n:,} ({runs}): {m_big:.0f} vs {m_small:.0f} MiB "
                  f"(runs: {listed(rss_big, '.1f')} vs {listed(rss_small, '.1f')})"))
if goals:
    print("\nGoals:\n")
    for ok, text in goals:
        print(f"- {'met' if ok else 'NOT MET'}: {text}")
print("\ncounts: every ffce count matches what was planted" if not problems else "\nCOUNTS WRONG:")
for p in problems:
    print("  " + p)
print("result: " + json.dumps({"mode": mode, "devices": n, "large": large, "counts_ok": not problems,
                               "steps": {k: {kk: (round(vv, 3) if isinstance(vv, float) else vv)
                                             for kk, vv in v.items()} for k, v in r.items()}}))
sys.exit(1 if problems else 0)
EOF

#!/usr/bin/env python3
"""The per-object floor of an audit, measured in one run (benches/floor.sh sets it up).

    floor.py CONFIG.json

CONFIG names the ffce binary, the buckets (the fleet and a one-device bucket), the
servers (endpoint, log file, delay), the planted folder, the rounds and the peers. Every
command runs as a child of this process and its CPU is the child's own rusage (os.wait4:
user + system time of the process and its threads), never wall time; peak RSS is the
child's ru_maxrss. Requests are counted from the server's log (one "resolved route, op:
X" line per request). Rounds interleave the clients (curl, ffce audit, ffce ls, ...), so
that all of them share the machine's drift; each figure is the median over the rounds.

Prints Markdown tables and a last `result: {json}` line; exits 1 if a client did not do
the work (curl: an answer other than 206; ffce: totals other than the planted ones).
"""

import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

ROUTE = re.compile(r"resolved route, op: (\w+)")
BACKUP = re.compile(r"^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}/backup\.ffce$")


def run(cmd, out_path, env=None, stdin_path=None):
    """Runs cmd with stdout to out_path; returns wall s, CPU s (user + sys), max RSS KiB, rc."""
    with open(out_path, "wb") as out, open(out_path + ".err", "wb") as err, \
            open(stdin_path or os.devnull, "rb") as stdin:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=stdin, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "user": usage.ru_utime,
            "sys": usage.ru_stime, "rss_kib": usage.ru_maxrss,
            "rc": os.waitstatus_to_exitcode(status)}


def log_lines(path):
    if not path:
        return 0
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def ops_between(path, l0, l1):
    ops = {}
    if not path:
        return ops
    with open(path, errors="replace") as f:
        for i, line in enumerate(f):
            if i < l0:
                continue
            if i >= l1:
                break
            m = ROUTE.search(line)
            if m:
                ops[m.group(1)] = ops.get(m.group(1), 0) + 1
    return ops


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def cpu_model():
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main():
    cfg = json.load(open(sys.argv[1]))
    work, ffce, bucket, one = cfg["work"], cfg["ffce"], cfg["bucket"], cfg["one_bucket"]
    keys = sorted(cfg["keys"])  # the fleet's backup keys (strays excluded)
    n = len(keys)
    conc = cfg["concurrency"]
    rounds = cfg["rounds"]
    region = "us-east-1"
    problems = []
    results = {}  # name -> list of measurements

    def curl_config(server, bucket_name, key_list, parallel, whole=False):
        kind = "whole" if whole else "ranged"
        path = os.path.join(work, f"curl-{bucket_name}-{server['name']}-{parallel}-{kind}.cfg")
        with open(path, "w") as f:
            # Exactly the audit's request: a SigV4-signed GET of bytes 0-36 (or, for the
            # `--key-dir` audit's floor, of the whole object); its answer (status,
            # Content-Range) written out, the body dropped.
            f.write("parallel\nparallel-immediate\n"
                    f"parallel-max = {parallel}\n"
                    "silent\nshow-error\n"
                    + ("" if whole else 'range = "0-36"\n') +
                    f'aws-sigv4 = "aws:amz:{region}:s3"\n'
                    'user = "test:test"\n'
                    # The SDK sends (and signs) the payload's hash; s3s requires it.
                    'header = "x-amz-content-sha256: '
                    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"\n'
                    'write-out = "%{http_code} %header{content-range}\\n"\n')
            for k in key_list:
                f.write(f'url = "{server["endpoint"]}/{bucket_name}/{k}"\noutput = "/dev/null"\n')
        return path

    def step(name, server, cmd, check, stdin_path=None):
        l0 = log_lines(server.get("log"))
        out = os.path.join(work, f"{name}.{len(results.get(name, []))}.out")
        m = run(cmd, out, stdin_path=stdin_path)
        l1 = log_lines(server.get("log"))
        m["ops"] = ops_between(server.get("log"), l0, l1)
        m["requests"] = sum(m["ops"].values())
        why = check(out, m)
        if why:
            err = open(out + ".err", errors="replace").read()[-1500:]
            problems.append(f"{name}: {why} (exit {m['rc']}) {err}")
        results.setdefault(name, []).append(m)
        return m

    def check_curl(count, want="206"):
        def check(out, m):
            lines = open(out).read().split("\n")[:-1]
            codes = [line.split(" ", 1)[0] for line in lines]
            good = sum(1 for c in codes if c == want)
            if m["rc"] != 0 or good != count:
                return f"{good} of {count} answers were {want} (others: {sorted(set(codes) - {want})})"
            return None
        return check

    def check_keyed_work(want):
        # want: the planter's totals of the keyed audit (valid, no_key; the rest are
        # refused: wrong keys).
        def check(out, m):
            got = open(out).read().split()
            exp = ["objects", str(n), "valid", str(want["valid"]), "no_key", str(want["no_key"])]
            if m["rc"] != 0 or got != exp:
                return f"keyed_work printed {got}, not {exp}"
            return None
        return check

    def check_audit(want):
        def check(out, m):
            try:
                last = json.loads(open(out).read().splitlines()[-1])
            except (IndexError, ValueError):
                return "no summary line"
            if last.get("type") != "summary" or last["totals"]["objects"] != want:
                return f"summary {last.get('totals')} for {want} objects"
            return None
        return check

    def check_ls(want):
        def check(out, m):
            try:
                last = json.loads(open(out).read().splitlines()[-1])
            except (IndexError, ValueError):
                return "no summary line"
            if last.get("devices") != want:
                return f"ls summary {last}"
            return None
        return check

    def ffce_audit(server, b, c=None):
        cmd = [ffce, "-q", "audit", "--jsonl", "--bucket", b, "--endpoint-url", server["endpoint"]]
        if c is not None:
            cmd += ["--concurrency", str(c)]
        return cmd

    def ffce_ls(server, b):
        return [ffce, "-q", "ls", "--jsonl", "--bucket", b, "--endpoint-url", server["endpoint"]]

    fast = cfg["servers"][0]
    slow = cfg["servers"][1] if len(cfg["servers"]) > 1 else None
    cfg_fast = curl_config(fast, bucket, keys, conc)
    cfg_one = curl_config(fast, one, cfg["one_keys"], conc)
    cfg_whole = curl_config(fast, bucket, keys, conc, whole=True)
    key_list = os.path.join(work, "keys.txt")
    with open(key_list, "w") as f:
        f.write("".join(k + "\n" for k in keys))
    cfg_slow = curl_config(slow, bucket, keys, conc) if slow else None
    cfg_slow_10 = curl_config(slow, bucket, keys, 10) if slow else None

    load_before = open("/proc/loadavg").read().split()[:3]
    # The interleaved rounds: the floor and ffce at equal concurrency, on the server as
    # fast as loopback, then (with a delayed server) the same with S3's latency modelled.
    for r in range(rounds):
        print(f"floor: round {r + 1} of {rounds}", file=sys.stderr)
        order = [
            ("curl", fast, ["curl", "--config", cfg_fast], check_curl(n)),
            ("ffce_audit", fast, ffce_audit(fast, bucket, conc), check_audit(n)),
            ("ffce_ls", fast, ffce_ls(fast, bucket), check_ls(n)),
            ("curl_one", fast, ["curl", "--config", cfg_one], check_curl(len(cfg["one_keys"]))),
            ("ffce_audit_one", fast, ffce_audit(fast, one, conc), check_audit(len(cfg["one_keys"]))),
        ]
        if cfg.get("ffce_baseline"):
            # Another build of ffce (FFCE_FLOOR_BASELINE=path: e.g. main's), same work.
            order.append(("ffce_audit_base", fast, [cfg["ffce_baseline"]] + ffce_audit(fast, bucket, conc)[1:],
                          check_audit(n)))
            if cfg.get("key_dir"):
                order.append(("ffce_audit_keys_base", fast, [cfg["ffce_baseline"]]
                              + ffce_audit(fast, bucket, conc)[1:] + ["--key-dir", cfg["key_dir"]],
                              check_audit(n)))
        if cfg.get("key_dir"):
            order.append(("ffce_audit_keys", fast, ffce_audit(fast, bucket, conc)
                          + ["--key-dir", cfg["key_dir"]], check_audit(n)))
            # The `--key-dir` audit's floor: curl's whole-object GETs, plus ffce's own
            # per-object work on the same bytes without the network (keyed_work).
            order.append(("curl_whole", fast, ["curl", "--config", cfg_whole], check_curl(n, "200")))
            if cfg.get("keyed_work"):
                order.append(("keyed_work", fast, [cfg["keyed_work"], cfg["data_root"], cfg["key_dir"]],
                              check_keyed_work(cfg["planted"]["expected_keyed"]), key_list))
        if slow:
            order += [
                ("delay_curl", slow, ["curl", "--config", cfg_slow], check_curl(n)),
                ("delay_ffce_audit", slow, ffce_audit(slow, bucket), check_audit(n)),
                ("delay_curl_10", slow, ["curl", "--config", cfg_slow_10], check_curl(n)),
                ("delay_ffce_audit_10", slow, ffce_audit(slow, bucket, 10), check_audit(n)),
            ]
        # Alternate which client goes first, so neither always follows the other.
        if r % 2:
            order[0], order[1] = order[1], order[0]
        for name, server, cmd, check, *stdin_path in order:
            step(name, server, cmd, check, *stdin_path)

    # The peers at their own defaults, once each (they take tens of seconds), on both servers.
    peers = []
    env = dict(os.environ)
    if cfg.get("aws"):
        for server in cfg["servers"]:
            dest = os.path.join(work, "sync-" + server["name"])
            name = f"aws_sync_{server['name']}"
            print(f"floor: {name}", file=sys.stderr)
            step(name, server, [cfg["aws"], "s3", "sync", f"s3://{bucket}", dest, "--endpoint-url",
                                server["endpoint"], "--only-show-errors", "--no-progress"],
                 lambda out, m, dest=dest: None if m["rc"] == 0 and count_backups(dest) == n
                 else f"{count_backups(dest)} of {n} backups downloaded")
            subprocess.run(["rm", "-rf", "--", dest])
            peers.append((name, server, "`aws s3 sync` (10 concurrent requests, its default)"))
    if cfg.get("rclone"):
        for server in cfg["servers"]:
            dest = os.path.join(work, "rclone-" + server["name"])
            name = f"rclone_{server['name']}"
            print(f"floor: {name}", file=sys.stderr)
            renv = dict(env, RCLONE_CONFIG="/dev/null", RCLONE_CONFIG_BENCH_TYPE="s3",
                        RCLONE_CONFIG_BENCH_PROVIDER="Other",
                        RCLONE_CONFIG_BENCH_ENDPOINT=server["endpoint"],
                        RCLONE_CONFIG_BENCH_ACCESS_KEY_ID="test",
                        RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY="test",
                        RCLONE_CONFIG_BENCH_REGION=region)
            l0 = log_lines(server.get("log"))
            out = os.path.join(work, f"{name}.0.out")
            m = run([cfg["rclone"], "copy", f"bench:{bucket}", dest], out, env=renv)
            m["ops"] = ops_between(server.get("log"), l0, log_lines(server.get("log")))
            m["requests"] = sum(m["ops"].values())
            if m["rc"] != 0 or count_backups(dest) != n:
                problems.append(f"{name}: {count_backups(dest)} of {n} backups (exit {m['rc']})")
            results[name] = [m]
            subprocess.run(["rm", "-rf", "--", dest])
            peers.append((name, server, "`rclone copy` (4 transfers, its default)"))
    load_after = open("/proc/loadavg").read().split()[:3]

    # --- report ------------------------------------------------------------------------
    def fig(name, objects):
        ms = results[name]
        return {
            "runs": len(ms),
            "wall": median([m["wall"] for m in ms]),
            "cpu": median([m["cpu"] for m in ms]),
            "cpu_us_per_object": median([m["cpu"] / objects * 1e6 for m in ms]),
            "cpu_runs_us": [round(m["cpu"] / objects * 1e6, 1) for m in ms],
            "user_us_per_object": median([m["user"] / objects * 1e6 for m in ms]),
            "sys_us_per_object": median([m["sys"] / objects * 1e6 for m in ms]),
            "rss_mib": median([m["rss_kib"] / 1024 for m in ms]),
            "requests_per_object": median([m["requests"] / objects for m in ms]),
            "ops": ms[-1]["ops"],
        }

    figs = {name: fig(name, len(cfg["one_keys"]) if name.endswith("_one") else n)
            for name in results}
    print(f"### The audit's floor ({cfg['mode']} run)\n")
    print(f"Machine: {cpu_model()}, {os.cpu_count()} CPUs, Linux {platform.release()}; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average "
          f"{' '.join(load_before)} before, {' '.join(load_after)} after. Server: "
          f"{cfg['server']} on loopback. ffce {cfg['build']} build; "
          f"{subprocess.run(['curl', '--version'], capture_output=True, text=True).stdout.split(chr(10))[0]}.\n")
    print(f"{n:,} backups; {rounds} interleaved rounds, medians; CPU = the client process's "
          "own user + system time (rusage), per object.\n")
    head = ("| client | wall s | CPU µs/object (user + sys) | runs µs/object | peak RSS MiB | "
            "requests/object |\n|---|---:|---:|---|---:|---|")

    def row(label, name):
        f = figs[name]
        ops = ", ".join(f"{v:,} {k}" for k, v in sorted(f["ops"].items())) or "–"
        req = f"{f['requests_per_object']:.3f} ({ops})" if f["ops"] else "–"
        print(f"| {label} | {f['wall']:.2f} | {f['cpu_us_per_object']:,.1f} "
              f"({f['user_us_per_object']:,.1f} + {f['sys_us_per_object']:,.1f}) | "
              f"{', '.join(str(x) for x in f['cpu_runs_us'])} | {f['rss_mib']:.1f} | {req} |")

    print(f"#### No added latency, {conc} requests in flight\n")
    print(head)
    row(f"`curl --parallel-max {conc}` (signed ranged GETs, the floor)", "curl")
    row(f"`ffce audit --jsonl --concurrency {conc}` (lists, then the same GETs)", "ffce_audit")
    if "ffce_audit_keys" in figs:
        row("`ffce audit --jsonl --key-dir` (whole objects, per-device keys)", "ffce_audit_keys")
        row(f"`curl --parallel-max {conc}`, whole objects (the `--key-dir` floor's GETs)", "curl_whole")
    if "keyed_work" in figs:
        row("`keyed_work`: key load, SHA-256, AEAD open, restore check; no network", "keyed_work")
    if "ffce_audit_base" in figs:
        row("the same audit, baseline build (`FFCE_FLOOR_BASELINE`)", "ffce_audit_base")
        row("the `--key-dir` audit, baseline build", "ffce_audit_keys_base")
    row("`ffce ls --jsonl` (the listing alone)", "ffce_ls")
    one_n = len(cfg["one_keys"])
    row(f"`curl`, {one_n} object (start-up; µs/object = per run)", "curl_one")
    row(f"`ffce audit`, {one_n} object (start-up; µs/object = per run)", "ffce_audit_one")

    def ratio(a, b, key="cpu_us_per_object"):
        return figs[a][key] / figs[b][key]

    summary = {}
    c_curl, c_ffce = figs["curl"]["cpu"], figs["ffce_audit"]["cpu"]
    summary["cpu_ratio"] = c_ffce / c_curl
    # Per object at the margin: the whole run less a one-object run (start-up, config,
    # first connection), and for ffce less its listing.
    marg_curl = (c_curl - figs["curl_one"]["cpu"]) / (n - one_n) * 1e6
    marg_ffce = (c_ffce - figs["ffce_audit_one"]["cpu"]) / (n - one_n) * 1e6
    marg_ffce_nolist = marg_ffce - (figs["ffce_ls"]["cpu"] - figs["ffce_audit_one"]["cpu"]) / n * 1e6
    summary.update(marginal_curl_us=marg_curl, marginal_ffce_us=marg_ffce,
                   marginal_ffce_without_listing_us=marg_ffce_nolist)
    print("\nRatios (ffce / curl, same run):\n")
    print(f"- client CPU per object, whole runs: **{summary['cpu_ratio']:.2f}×** "
          f"({figs['ffce_audit']['cpu_us_per_object']:.1f} vs {figs['curl']['cpu_us_per_object']:.1f} µs)")
    print(f"- per object at the margin (run less a {one_n}-object run): "
          f"{marg_ffce / marg_curl:.2f}× ({marg_ffce:.1f} vs {marg_curl:.1f} µs); without ffce's "
          f"listing (`ls` less start-up): {marg_ffce_nolist / marg_curl:.2f}× ({marg_ffce_nolist:.1f} µs)")
    print(f"- wall time: {figs['ffce_audit']['wall'] / figs['curl']['wall']:.2f}× "
          f"({figs['ffce_audit']['wall']:.2f} vs {figs['curl']['wall']:.2f} s)")
    print(f"- peak RSS: {figs['ffce_audit']['rss_mib'] / figs['curl']['rss_mib']:.2f}× "
          f"({figs['ffce_audit']['rss_mib']:.1f} vs {figs['curl']['rss_mib']:.1f} MiB)")
    if "ffce_audit_base" in figs:
        summary["vs_baseline"] = ratio("ffce_audit", "ffce_audit_base")
        summary["keys_vs_baseline"] = ratio("ffce_audit_keys", "ffce_audit_keys_base")
        summary["rss_vs_baseline"] = ratio("ffce_audit", "ffce_audit_base", "rss_mib")
        print(f"- this build against the baseline build: CPU {summary['vs_baseline']:.2f}× "
              f"(structure), {summary['keys_vs_baseline']:.2f}× (`--key-dir`); peak RSS "
              f"{summary['rss_vs_baseline']:.2f}×")
    if "ffce_audit_keys" in figs:
        summary["keys_cpu_ratio"] = ratio("ffce_audit_keys", "curl")
        print(f"- `--key-dir` audit CPU per object: {summary['keys_cpu_ratio']:.2f}× curl's "
              "ranged GET (it reads whole 5.7 KiB objects, a key file each, and authenticates)")
    if "keyed_work" in figs:
        keyed_floor = figs["curl_whole"]["cpu_us_per_object"] + figs["keyed_work"]["cpu_us_per_object"]
        summary["keys_floor_ratio"] = figs["ffce_audit_keys"]["cpu_us_per_object"] / keyed_floor
        print(f"- `--key-dir` audit against its floor (curl's whole-object GETs + `keyed_work`): "
              f"**{summary['keys_floor_ratio']:.2f}×** ({figs['ffce_audit_keys']['cpu_us_per_object']:.1f} vs "
              f"{figs['curl_whole']['cpu_us_per_object']:.1f} + {figs['keyed_work']['cpu_us_per_object']:.1f} µs; "
              "goal ≤ 1.3×)")
    if slow:
        print(f"\n#### {slow['delay_ms']} ms added to every answer (a timer in the server)\n")
        print(head)
        row(f"`curl --parallel-max {conc}`", "delay_curl")
        row("`ffce audit --jsonl` (its default concurrency)", "delay_ffce_audit")
        row("`curl --parallel-max 10`", "delay_curl_10")
        row("`ffce audit --jsonl --concurrency 10`", "delay_ffce_audit_10")
        summary["delay_wall_ratio"] = figs["delay_ffce_audit"]["wall"] / figs["delay_curl"]["wall"]
        summary["delay_wall_ratio_10"] = figs["delay_ffce_audit_10"]["wall"] / figs["delay_curl_10"]["wall"]
        print(f"\nWall time ffce / curl at equal concurrency: {summary['delay_wall_ratio']:.2f}× at "
              f"{conc}, {summary['delay_wall_ratio_10']:.2f}× at 10.")
    if peers:
        print("\n#### The peers at their own defaults (one run each), against `ffce audit` at its default\n")
        print(head.replace("| runs µs/object ", "| server delay ").replace("|---|---:|---:|---|", "|---|---:|---:|---:|"))
        for name, server, label in peers:
            f = figs[name]
            ops = ", ".join(f"{v:,} {k}" for k, v in sorted(f["ops"].items()))
            print(f"| {label} | {f['wall']:.2f} | {f['cpu_us_per_object']:,.1f} ({f['user_us_per_object']:,.1f} + "
                  f"{f['sys_us_per_object']:,.1f}) | {server['delay_ms']} ms | {f['rss_mib']:.1f} | "
                  f"{f['requests_per_object']:.3f} ({ops}) |")
        print("\nffce audit faster than each peer (wall time, each on the same server):\n")
        for name, server, label in peers:
            mine = "ffce_audit" if server is fast else "delay_ffce_audit"
            x = figs[name]["wall"] / figs[mine]["wall"]
            summary[f"{name}_speedup"] = x
            print(f"- {'met' if x >= 10 else 'NOT MET'} (goal ≥ 10×): {x:.1f}× faster than {label}, "
                  f"{server['delay_ms']} ms delay ({figs[name]['wall']:.1f} s vs {figs[mine]['wall']:.2f} s)")
    if problems:
        print("\nPROBLEMS:")
        for p in problems:
            print("  " + p)
    print("result: " + json.dumps({"mode": cfg["mode"], "objects": n, "ok": not problems,
                                   "summary": {k: round(v, 3) for k, v in summary.items()},
                                   "figures": figs}))
    sys.exit(1 if problems else 0)


def count_backups(folder):
    count = 0
    for dirpath, _, files in os.walk(folder):
        for f in files:
            rel = os.path.relpath(os.path.join(dirpath, f), folder)
            count += bool(BACKUP.match(rel))
    return count


if __name__ == "__main__":
    main()

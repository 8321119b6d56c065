#!/usr/bin/env python3
"""The device API under load: `ffce-backup-api --listen` against the Python baseline.

Driven by benches/api-load.sh, which starts moto and builds the binary; this program does
the rest against that moto (S3 and DynamoDB on one loopback endpoint):

1. Set-up (not timed): a versioned bucket, a device table, the nonce table the Rust server
   records every request's nonce in, and N registered test devices per server, each with
   its own P-256 key pair and R sealed 5 KB blobs per round. Three servers: Rust as
   deployed (with the nonce table), Rust without it (the same work as the baseline, which
   has no replay protection), and the Python baseline.
2. Load, one server at a time (in that order, then reversed, round after round when
   --rounds is 2 or more): N client threads, one per device, each with its own keep-alive
   connection, released together; each device POSTs its next blob, then GETs it back and
   checks the bytes, R times. Every request is freshly signed, outside its timing.
3. Measured per server and round: throughput (requests answered per second of the load's
   wall time), p50 and p99 latency (nearest rank) of POST and GET at the client, errors
   (any answer but 200, a failed connection, a GET whose bytes are not the blob just
   posted), the server's CPU per request (utime + stime from /proc/PID/stat, the kernel's
   rusage counters, before and after the load), and its peak RSS (VmHWM from
   /proc/PID/status when it is stopped; start-up included).
4. Then no lost write: for every device, a signed GET returns its last POSTed blob, and its
   device item has last_backup_date (read with a consistent read).

Loopback only and bounded: at most 500 devices and 20 rounds of POST+GET per device, a
30 s socket timeout per request and a deadline for the whole load (--deadline). Prints a
Markdown table with the ratios Rust / Python measured in this run, the machine and its
load average, and a `result:` JSON line. Exits 1 if any request failed or any write was
lost (the goal on CPU per request is reported, not enforced).
"""

import argparse
import base64
import http.client
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid as uuidlib
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import boto3
from botocore.config import Config
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HOST = "127.0.0.1"
BLOB_SIZE = 5_000  # a typical controller backup, header included
MAX_DEVICES = 500
MAX_ITERATIONS = 20
START_TIMEOUT = 60.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
RUST = "Rust"
RUST_OPEN = "Rust, no nonce table"
PYTHON = "Python"


class BenchError(Exception):
    pass


def seal(size):
    """A valid FFCE v1 blob of exactly `size` bytes (docs/SPEC.md §1), under a random key."""
    plaintext = os.urandom(size - 37)
    nonce = os.urandom(12)
    ct = AESGCM(os.urandom(32)).encrypt(nonce, plaintext, None)
    body, tag = ct[:-16], ct[-16:]
    return b"FFCE\x01" + nonce + len(plaintext).to_bytes(4, "little") + tag + body


class Device:
    def __init__(self, iterations):
        self.uuid = str(uuidlib.uuid4())
        self.key = ec.generate_private_key(ec.SECP256R1())
        point = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.public_key_b64 = base64.b64encode(point).decode("ascii")
        self.blobs = [seal(BLOB_SIZE) for _ in range(iterations)]
        self.last_posted = None  # the blob of the last POST answered 200

    def headers(self):
        """The four device headers, signed now with a fresh nonce (docs/SPEC.md §7.1)."""
        nonce = os.urandom(32)
        ts = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        sig = self.key.sign(nonce + ts.encode("ascii"), ec.ECDSA(hashes.SHA256()))
        return {
            "X-Device-UUID": self.uuid,
            "X-Device-Nonce": base64.b64encode(nonce).decode("ascii"),
            "X-Device-Timestamp": ts,
            "X-Device-Signature": base64.b64encode(sig).decode("ascii"),
        }


def free_port():
    s = socket.socket()
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def cpu_seconds(pid):
    """utime + stime of a live process, in seconds (fields 14 and 15 of /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def quantile(xs, q):
    """Nearest-rank quantile."""
    s = sorted(xs)
    k = max(0, min(len(s) - 1, -(-len(s) * q // 1) - 1))
    return s[int(k)]


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def one_request(conn, method, device, body=None):
    headers = device.headers()
    if body is not None:
        headers["Content-Type"] = "application/octet-stream"
    t0 = time.perf_counter()
    conn.request(method, f"/devices/{device.uuid}/backup", body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    return resp.status, data, time.perf_counter() - t0


class Server:
    def __init__(self, name, argv, env, devices, logdir):
        self.name, self.argv, self.env, self.devices, self.logdir = name, argv, env, devices, logdir
        self.proc = None
        self.port = None

    def start(self):
        self.port = free_port()
        log = open(os.path.join(self.logdir, f"{self.name.lower().replace(' ', '-').replace(',', '')}.log"), "ab")
        self.proc = subprocess.Popen(
            self.argv + ["--listen", f"{HOST}:{self.port}"], env=self.env,
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"{self.name} exited with {self.proc.returncode} (log in {self.logdir})")
            try:
                socket.create_connection((HOST, self.port), 1).close()
                return
            except OSError:
                time.sleep(0.01)
        raise BenchError(f"{self.name} did not listen within {START_TIMEOUT:.0f} s")

    def stop(self):
        """Stops the server; its peak RSS in KiB: VmHWM, read just before. (Not wait4's
        ru_maxrss: Linux carries the forking parent's high-water mark into the child
        across exec, so a small server would report this Python client's size.)"""
        with open(f"/proc/{self.proc.pid}/status") as f:
            hwm = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
        self.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        while True:
            pid, status, usage = os.wait4(self.proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                self.proc.kill()
                pid, status, usage = os.wait4(self.proc.pid, 0)
                break
            time.sleep(0.02)
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        return hwm


def load(server, iterations, deadline_s):
    """One load phase; the measurements."""
    devices = server.devices
    start = threading.Barrier(len(devices) + 1)
    lock = threading.Lock()
    times = {"POST": [], "GET": []}
    errors = []
    answered = [0]
    stop_at = [None]

    def run(device):
        conn = http.client.HTTPConnection(HOST, server.port, timeout=30)
        try:
            conn.connect()  # set up before the load starts, not inside it
        except OSError as e:
            with lock:
                errors.append(f"connect: {e}")
        start.wait()
        for blob in device.blobs[:iterations]:
            for method in ("POST", "GET"):
                if time.monotonic() > stop_at[0]:
                    with lock:
                        errors.append(f"{method}: past the {deadline_s:.0f} s deadline")
                    return
                try:
                    status, data, secs = one_request(conn, method, device, blob if method == "POST" else None)
                except (OSError, http.client.HTTPException) as e:
                    conn.close()
                    conn = http.client.HTTPConnection(HOST, server.port, timeout=30)
                    with lock:
                        errors.append(f"{method}: {type(e).__name__}: {e}")
                    continue
                with lock:
                    answered[0] += 1
                    times[method].append(secs)
                    if status != 200:
                        errors.append(f"{method}: {status} {data[:120]!r}")
                    elif method == "POST":
                        device.last_posted = blob
                    elif data != device.last_posted:
                        errors.append(f"GET: {len(data)} bytes, not the blob just posted")
        conn.close()

    threads = [threading.Thread(target=run, args=(d,), daemon=True) for d in devices]
    for t in threads:
        t.start()
    cpu0 = cpu_seconds(server.proc.pid)
    t0 = time.perf_counter()
    stop_at[0] = time.monotonic() + deadline_s
    start.wait()
    for t in threads:
        t.join(timeout=max(0.0, stop_at[0] - time.monotonic()) + 35)
    wall = time.perf_counter() - t0
    cpu = cpu_seconds(server.proc.pid) - cpu0
    if any(t.is_alive() for t in threads):
        errors.append("client threads still running after the deadline")
    n = answered[0]
    return {
        "requests": n,
        "wall_s": wall,
        "throughput": n / wall if wall else 0.0,
        "post_p50_ms": quantile(times["POST"], 0.5) * 1000 if times["POST"] else None,
        "post_p99_ms": quantile(times["POST"], 0.99) * 1000 if times["POST"] else None,
        "get_p50_ms": quantile(times["GET"], 0.5) * 1000 if times["GET"] else None,
        "get_p99_ms": quantile(times["GET"], 0.99) * 1000 if times["GET"] else None,
        "cpu_s": cpu,
        "cpu_per_request_ms": cpu / n * 1000 if n else None,
        "errors": errors,
    }


def verify(server, ddb, table):
    """Lost writes: devices whose GET is not their last POST, or that have no date."""
    lost = []

    def check(device):
        if device.last_posted is None:
            return f"{device.uuid}: no POST was answered 200"
        conn = http.client.HTTPConnection(HOST, server.port, timeout=30)
        try:
            status, data, _ = one_request(conn, "GET", device)
        finally:
            conn.close()
        if status != 200 or data != device.last_posted:
            return f"{device.uuid}: GET {status}, {len(data)} bytes, not the last POST"
        item = ddb.get_item(TableName=table, Key={"uuid": {"S": device.uuid}}, ConsistentRead=True).get("Item", {})
        if "last_backup_date" not in item:
            return f"{device.uuid}: no last_backup_date"
        return None

    with ThreadPoolExecutor(max_workers=16) as pool:
        for problem in pool.map(check, server.devices):
            if problem:
                lost.append(problem)
    return lost


def fmt(v, unit=""):
    if v is None:
        return "—"
    return f"{v:.3g}{unit}" if abs(v) < 100 else f"{v:.0f}{unit}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--endpoint", required=True, help="moto, e.g. http://127.0.0.1:PORT")
    ap.add_argument("--rust", required=True, help="path of the ffce-backup-api binary")
    ap.add_argument("--rust-profile", default="release", help="how the binary was built (for the table)")
    ap.add_argument("--python", default=sys.executable, help="interpreter for the baseline")
    ap.add_argument("--devices", type=int, default=200, help=f"concurrent devices per server (at most {MAX_DEVICES})")
    ap.add_argument("--iterations", type=int, default=3, help=f"POST+GET per device (at most {MAX_ITERATIONS})")
    ap.add_argument("--rounds", type=int, default=1, help="load phases per server, alternating the order")
    ap.add_argument("--deadline", type=float, default=300.0, help="seconds one load phase may take")
    ap.add_argument("--workdir", default=None, help="server logs go here")
    args = ap.parse_args()
    if not 1 <= args.devices <= MAX_DEVICES or not 1 <= args.iterations <= MAX_ITERATIONS:
        ap.error(f"--devices must be 1..{MAX_DEVICES}, --iterations 1..{MAX_ITERATIONS}")
    if args.rounds < 1 or args.deadline <= 0:
        ap.error("--rounds and --deadline must be positive")
    if not args.endpoint.startswith("http://127."):
        ap.error("--endpoint must be a loopback moto (http://127.x.x.x:PORT)")

    workdir = args.workdir or tempfile.mkdtemp(prefix="ffce-api-load.")
    os.makedirs(workdir, exist_ok=True)
    here = os.path.dirname(os.path.abspath(__file__))
    tag = os.getpid()
    bucket, table, nonces = f"ffce-api-load-{tag}", f"ffce-api-load-devices-{tag}", f"ffce-api-load-nonces-{tag}"
    load_before = os.getloadavg()

    aws_env = {
        "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": args.endpoint, "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }
    base_env = dict(aws_env, PATH=os.environ.get("PATH", "/usr/bin:/bin"),
                    S3_BACKUP_BUCKET_NAME=bucket, DYNAMODB_DEVICES_TABLE_NAME=table,
                    BACKUP_KEY_LAYOUT="nested")

    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    s3 = session.client("s3", endpoint_url=args.endpoint, config=Config(s3={"addressing_style": "path"}))
    ddb = session.client("dynamodb", endpoint_url=args.endpoint, config=Config(max_pool_connections=16))
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for name, key in ((table, "uuid"), (nonces, "id")):
        ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": key, "KeyType": "HASH"}])
    ddb.update_time_to_live(TableName=nonces, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})

    print(f"load-bench: set-up: {3 * args.devices} devices, {args.iterations * args.rounds} blobs each",
          file=sys.stderr)
    servers = []
    for name, argv, env in (
        (RUST, [args.rust], dict(base_env, DYNAMODB_NONCES_TABLE_NAME=nonces)),
        (RUST_OPEN, [args.rust], base_env),
        (PYTHON, [args.python, os.path.join(here, "baseline_api.py")], base_env),
    ):
        devices = [Device(args.iterations * args.rounds) for _ in range(args.devices)]
        for d in devices:
            ddb.put_item(TableName=table, Item={"uuid": {"S": d.uuid}, "public_key": {"S": d.public_key_b64}})
        servers.append(Server(name, argv, env, devices, workdir))

    results = {s.name: [] for s in servers}
    peak = {}
    lost = {}
    try:
        for s in servers:
            s.start()
        for r in range(args.rounds):
            order = servers if r % 2 == 0 else servers[::-1]
            for s in order:
                for d in s.devices:  # this round's blobs
                    d.blobs = d.blobs[args.iterations:] if r else d.blobs
                m = load(s, args.iterations, args.deadline)
                results[s.name].append(m)
                print(f"load-bench: round {r + 1}/{args.rounds} {s.name}: {m['requests']} requests in "
                      f"{m['wall_s']:.1f} s, {len(m['errors'])} errors, "
                      f"{fmt(m['cpu_per_request_ms'])} ms CPU per request", file=sys.stderr)
        for s in servers:
            lost[s.name] = verify(s, ddb, table)
    finally:
        for s in servers:
            if s.proc is not None and s.proc.poll() is None:
                peak[s.name] = s.stop()
    load_after = os.getloadavg()

    def median(name, field):
        values = [m[field] for m in results[name] if m[field] is not None]
        return statistics.median(values) if values else None

    rows = [
        ("throughput (requests/s)", "throughput", ""),
        ("POST latency p50", "post_p50_ms", " ms"),
        ("POST latency p99", "post_p99_ms", " ms"),
        ("GET latency p50", "get_p50_ms", " ms"),
        ("GET latency p99", "get_p99_ms", " ms"),
        ("server CPU per request", "cpu_per_request_ms", " ms"),
    ]
    total = 2 * args.devices * args.iterations
    names = [s.name for s in servers]
    print(f"### Device API under load: {args.devices} devices at once, {args.iterations} POST+GET each "
          f"({total} requests per server and round, {args.rounds} round(s))\n")
    print(f"Machine: {cpu_model()}, {os.cpu_count()} CPUs; load average {load_before[0]:.2f} before, "
          f"{load_after[0]:.2f} after (1 min); {datetime.now(timezone.utc).date().isoformat()}; "
          f"ffce-backup-api {args.rust_profile} build, as deployed (with its nonce table: one more "
          "DynamoDB write per request than the baseline) and without it; moto on loopback.\n")
    print(f"| measure | {RUST} | {RUST_OPEN} | {PYTHON} | {RUST} / {PYTHON} | {RUST_OPEN} / {PYTHON} |")
    print("|---|---:|---:|---:|---:|---:|")
    summary = {}

    def row(label, values, unit):
        base = values[PYTHON]
        ratios = {n: values[n] / base if values[n] is not None and base else None for n in (RUST, RUST_OPEN)}
        print(f"| {label} | " + " | ".join(fmt(values[n], unit) for n in names) + " | "
              + " | ".join(fmt(ratios[n]) for n in (RUST, RUST_OPEN)) + " |")
        return {"values": values, "ratios": ratios}

    for label, field, unit in rows:
        summary[field] = row(label, {n: median(n, field) for n in names}, unit)
    summary["peak_rss_mib"] = row("peak RSS (VmHWM)",
                                  {n: peak[n] / 1024 if peak.get(n) else None for n in names}, " MiB")
    errors = {n: sum(len(m["errors"]) for m in results[n]) for n in names}
    print("| errors (any answer but 200, failed connection, wrong GET) | "
          + " | ".join(str(errors[n]) for n in names) + " | | |")
    print("| lost writes (last POST not what GET returns, or no last_backup_date) | "
          + " | ".join(str(len(lost.get(n, []))) for n in names) + " | | |")
    goal = summary["cpu_per_request_ms"]["ratios"][RUST]
    verdict = "met" if goal is not None and goal <= 0.2 else "not met"
    print(f"\nGoal: server CPU per request at most 1/5 of the Python baseline's: {verdict} "
          f"(ratio {fmt(goal)} as deployed, {fmt(summary['cpu_per_request_ms']['ratios'][RUST_OPEN])} "
          "without the nonce table). CPU is utime + stime of the server process during the load, "
          "over the requests it answered; all servers wait on the same moto. Figures are medians "
          "over the rounds.")
    for name in names:
        for m in results[name]:
            for e in m["errors"][:5]:
                print(f"{name} error: {e}", file=sys.stderr)
        for problem in lost.get(name, [])[:5]:
            print(f"{name} lost write: {problem}", file=sys.stderr)
    print("result: " + json.dumps({
        "devices": args.devices, "iterations": args.iterations, "rounds": args.rounds,
        "load_average": [load_before[0], load_after[0]], "summary": summary,
        "errors": errors, "lost_writes": {n: len(v) for n, v in lost.items()},
        "cpu_goal": verdict,
    }))
    failed = any(errors.values()) or any(lost.values()) or len(lost) < len(servers)
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"load-bench: {e}", file=sys.stderr)
        sys.exit(1)

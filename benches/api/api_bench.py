#!/usr/bin/env python3
"""Start-up, latency and memory of `ffce-backup-api --listen` against the Python baseline.

Driven by benches/api-vs-python.sh, which starts moto and builds the binary; this program
does the rest against that moto (S3 and DynamoDB on one endpoint):

1. Set-up (not timed): a bucket, a device table, one registered test device per server (a
   P-256 key pair made here; the table holds the base64 uncompressed public point, docs/SPEC.md
   §7), and a stored backup for each so that the first GET answers 200.
2. Start-up: from process spawn to the first answered request, a signed GET of that device's
   backup (status 200 and the exact bytes required), polled every millisecond until the
   port accepts. K times per server, alternating which server goes first; median reported.
3. Latency: both servers running, one keep-alive connection to each from this one client;
   for POST and GET of a 5 KB and a 512 KiB FFCE blob, N requests per server, each freshly
   signed (the signing is outside the timed part), alternating Rust and Python request by
   request so both see the same machine load. p50 and p99 (nearest rank) per case.
4. Peak memory: VmHWM from /proc/PID/status of the server processes that served step 3,
   read before they are stopped (and of the start-up runs, after their first answer).

Both servers talk to the same moto, which dominates the request latency; the table says so.
Prints a Markdown table, the ratios measured in this run, and a `result:` JSON line. Exits
non-zero if any request got an unexpected answer.
"""

import argparse
import base64
import hashlib
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
import time
import uuid as uuidlib
from datetime import datetime, timezone

import boto3
from botocore.config import Config
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HOST = "127.0.0.1"
SIZES = {"5 KB": 5_000, "512 KiB": 524_288}  # whole blobs, header included
START_TIMEOUT = 60.0


class BenchError(Exception):
    pass


def seal(size):
    """A valid FFCE v1 blob of exactly `size` bytes (docs/SPEC.md §1), under a random key."""
    plaintext = os.urandom(size - 37)
    nonce = os.urandom(12)
    ct = AESGCM(os.urandom(32)).encrypt(nonce, plaintext, None)
    body, tag = ct[:-16], ct[-16:]
    blob = b"FFCE\x01" + nonce + len(plaintext).to_bytes(4, "little") + tag + body
    assert len(blob) == size
    return blob, hashlib.sha256(plaintext).hexdigest()


class Device:
    def __init__(self):
        self.uuid = str(uuidlib.uuid4())
        self.key = ec.generate_private_key(ec.SECP256R1())
        point = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.public_key_b64 = base64.b64encode(point).decode("ascii")

    def headers(self):
        """The four device headers, signed now (docs/SPEC.md §7)."""
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


def proc_status(pid):
    """{'VmHWM': kB, 'VmRSS': kB} of a live process."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                out[key] = int(value.split()[0])
    return out


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def request(conn, method, device, body=None, etag=None):
    headers = device.headers()
    if body is not None:
        headers["Content-Type"] = "application/octet-stream"
        if etag:
            headers["ETag"] = f'"{etag}"'
    t0 = time.perf_counter()
    conn.request(method, f"/devices/{device.uuid}/backup", body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    t1 = time.perf_counter()
    return resp.status, data, t1 - t0


class Server:
    """One implementation: how to start it and the device it serves."""

    def __init__(self, name, argv, env, device, logdir):
        self.name, self.argv, self.env, self.device, self.logdir = name, argv, env, device, logdir
        self.proc = None
        self.runs = 0

    def spawn(self):
        port = free_port()
        self.runs += 1
        log = open(os.path.join(self.logdir, f"{self.name.lower()}-{self.runs}.log"), "wb")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            self.argv + ["--listen", f"{HOST}:{port}"], env=self.env,
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        return port, t0

    def start_and_first_answer(self, blob):
        """Seconds from spawn to the end of the first answered GET (which must be right)."""
        port, t0 = self.spawn()
        headers = self.device.headers()  # signed before the clock matters; valid for 10 s
        path = f"/devices/{self.device.uuid}/backup"
        while True:
            if self.proc.poll() is not None:
                raise BenchError(f"{self.name} exited with {self.proc.returncode} before answering "
                                 f"(log in {self.logdir})")
            if time.perf_counter() - t0 > START_TIMEOUT:
                raise BenchError(f"{self.name} did not answer within {START_TIMEOUT:.0f} s")
            conn = http.client.HTTPConnection(HOST, port, timeout=30)
            try:
                conn.request("GET", path, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
            except (ConnectionRefusedError, ConnectionResetError):
                conn.close()
                time.sleep(0.001)
                continue
            t1 = time.perf_counter()
            if resp.status != 200 or data != blob:
                raise BenchError(f"{self.name}: first GET answered {resp.status} "
                                 f"({len(data)} bytes, expected 200 and the {len(blob)}-byte backup): {data[:200]!r}")
            return t1 - t0, conn, port


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


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--endpoint", required=True, help="moto, e.g. http://127.0.0.1:PORT")
    ap.add_argument("--rust", required=True, help="path of the ffce-backup-api binary")
    ap.add_argument("--rust-profile", default="release", help="how the binary was built (for the table)")
    ap.add_argument("--python", default=sys.executable, help="interpreter for the baseline")
    ap.add_argument("--startups", type=int, default=10, help="start-up runs per server")
    ap.add_argument("--requests", type=int, default=200, help="requests per case and server")
    ap.add_argument("--workdir", default=None, help="server logs go here")
    args = ap.parse_args()
    if args.startups < 1 or args.requests < 1:
        ap.error("--startups and --requests must be positive")

    workdir = args.workdir or tempfile.mkdtemp(prefix="ffce-api-bench.")
    os.makedirs(workdir, exist_ok=True)
    here = os.path.dirname(os.path.abspath(__file__))
    bucket = f"ffce-api-bench-{os.getpid()}"
    table_name = f"ffce-api-bench-devices-{os.getpid()}"

    aws_env = {
        "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": args.endpoint, "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }
    # The servers get nothing else from this environment (no profile, no proxy settings).
    server_env = dict(aws_env, PATH=os.environ.get("PATH", "/usr/bin:/bin"),
                      S3_BACKUP_BUCKET_NAME=bucket, DYNAMODB_DEVICES_TABLE_NAME=table_name,
                      BACKUP_KEY_LAYOUT="nested")

    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    s3 = session.client("s3", endpoint_url=args.endpoint, config=Config(s3={"addressing_style": "path"}))
    ddb = session.client("dynamodb", endpoint_url=args.endpoint)
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    ddb.create_table(
        TableName=table_name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "uuid", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "uuid", "KeyType": "HASH"}],
    )

    blobs = {name: seal(size) for name, size in SIZES.items()}
    small_blob = blobs["5 KB"][0]
    servers = []
    for name, argv in (("Rust", [args.rust]),
                       ("Python", [args.python, os.path.join(here, "baseline_api.py")])):
        device = Device()
        ddb.put_item(TableName=table_name, Item={"uuid": {"S": device.uuid}, "public_key": {"S": device.public_key_b64}})
        s3.put_object(Bucket=bucket, Key=f"{device.uuid}/backup.ffce", Body=small_blob,
                      ContentType="application/octet-stream")
        servers.append(Server(name, argv, server_env, device, workdir))
    rust, python = servers

    # 2. Start-up, alternating the order.
    startup = {s.name: [] for s in servers}
    first_hwm = {s.name: [] for s in servers}
    for i in range(args.startups):
        for s in (servers if i % 2 == 0 else servers[::-1]):
            try:
                secs, conn, _ = s.start_and_first_answer(small_blob)
                first_hwm[s.name].append(proc_status(s.proc.pid)["VmHWM"])
                conn.close()
            finally:
                stop(s.proc)
            startup[s.name].append(secs)
        print(f"api-bench: start-up run {i + 1}/{args.startups}: "
              + ", ".join(f"{n} {v[-1] * 1000:.0f} ms" for n, v in startup.items()), file=sys.stderr)

    # 3. Latency, both servers up, request by request alternation.
    conns = {}
    try:
        for s in servers:
            _, conns[s.name], _ = s.start_and_first_answer(small_blob)
        latency = {}
        for size_name, (blob, digest) in blobs.items():
            for method in ("POST", "GET"):
                case = f"{method} {size_name}"
                times = {s.name: [] for s in servers}
                for i in range(args.requests):
                    for s in (servers if i % 2 == 0 else servers[::-1]):
                        body = blob if method == "POST" else None
                        status, data, secs = request(conns[s.name], method, s.device, body, digest)
                        if status != 200 or (method == "GET" and data != blob):
                            raise BenchError(f"{s.name} {case}: status {status}, {len(data)} bytes: {data[:200]!r}")
                        times[s.name].append(secs)
                latency[case] = times
                print(f"api-bench: {case}: " + ", ".join(
                    f"{n} p50 {quantile(v, 0.5) * 1000:.1f} ms" for n, v in times.items()), file=sys.stderr)
        peak = {s.name: proc_status(s.proc.pid) for s in servers}
    finally:
        for c in conns.values():
            c.close()
        for s in servers:
            if s.proc:
                stop(s.proc)

    # 4. Report.
    load = os.getloadavg()
    ms = lambda v: f"{v * 1000:.1f} ms"  # noqa: E731
    mib = lambda kb: f"{kb / 1024:.1f} MiB"  # noqa: E731
    su = {n: statistics.median(v) for n, v in startup.items()}
    print(f"machine: {cpu_model()}, {os.cpu_count()} CPUs (nproc), Linux {platform.release()}, "
          f"load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"ffce-backup-api: {args.rust_profile} build; Python baseline: {platform.python_implementation()} "
          f"{platform.python_version()}, boto3 {boto3.__version__}; both against moto on loopback "
          f"(S3 + DynamoDB), nested layout\n")
    print("| measure | ffce-backup-api (Rust) | Python baseline | Rust / Python |")
    print("|---|---:|---:|---:|")
    print(f"| start-up to first answered GET, median of {args.startups} | {ms(su['Rust'])} | {ms(su['Python'])} "
          f"| {su['Rust'] / su['Python']:.3f} ({su['Python'] / su['Rust']:.1f}x faster) |")
    for case, times in latency.items():
        for q, label in ((0.5, "p50"), (0.99, "p99")):
            r, p = quantile(times["Rust"], q), quantile(times["Python"], q)
            print(f"| {case} latency {label} ({args.requests} requests) | {ms(r)} | {ms(p)} | {r / p:.2f} |")
    fh = {n: statistics.median(v) for n, v in first_hwm.items()}
    print(f"| peak memory (VmHWM) after the first answer, median | {mib(fh['Rust'])} | {mib(fh['Python'])} "
          f"| {fh['Rust'] / fh['Python']:.3f} |")
    pr, pp = peak["Rust"]["VmHWM"], peak["Python"]["VmHWM"]
    print(f"| peak memory (VmHWM) after all {4 * args.requests} requests | {mib(pr)} | {mib(pp)} | {pr / pp:.3f} |")
    print()
    print("Latency is measured at the client (one keep-alive connection per server, requests "
          "signed outside the timing) and is dominated by moto, which both servers call for "
          "every request (DynamoDB get_item and update_item, S3 put/get).")
    ok_start = su["Python"] / su["Rust"] >= 10
    ok_mem = pr / pp <= 0.25
    if args.rust_profile == "release":
        print(f"goals: start-up >= 10x faster: {'met' if ok_start else 'NOT met'} "
              f"({su['Python'] / su['Rust']:.1f}x); peak memory <= 1/4: {'met' if ok_mem else 'NOT met'} "
              f"({pr / pp:.3f})")
    else:
        print(f"goals: not judged on a {args.rust_profile} build (the goals are for the release build)")
    print("result: " + json.dumps({
        "rust_profile": args.rust_profile, "startups": args.startups, "requests": args.requests,
        "startup_ms": {n: round(v * 1000, 1) for n, v in su.items()},
        "startup_ms_all": {n: [round(x * 1000, 1) for x in v] for n, v in startup.items()},
        "latency_ms": {case: {n: {"p50": round(quantile(v, 0.5) * 1000, 2), "p99": round(quantile(v, 0.99) * 1000, 2)}
                              for n, v in times.items()} for case, times in latency.items()},
        "vmhwm_kib_first_answer": fh, "vmhwm_kib_after_load": {n: v["VmHWM"] for n, v in peak.items()},
        "startup_speedup": round(su["Python"] / su["Rust"], 2), "memory_ratio": round(pr / pp, 3),
        "loadavg": load,
    }))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"api-bench: {e}", file=sys.stderr)
        sys.exit(1)

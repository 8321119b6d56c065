#!/usr/bin/env python3
"""Self-test of scripts/fault_proxy.py: boto3 (and raw http.client) through the
proxy against moto's S3 server, one check per fault and selection mode.

Usage:
    target/py-venv/bin/python scripts/fault_proxy_selftest.py [-v]

The S3 endpoint is $FFCE_TEST_S3_ENDPOINT if set; otherwise the test starts its
own moto server with scripts/s3-server.sh (in a private state directory) and
stops it at the end. The proxy is always started (and stopped) by the test.
Prints one PASS/FAIL line per check and ends with "N passed, N failed"; exits
1 if anything failed.
"""

import base64
import hashlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
import uuid
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def _reexec_in_test_venv():
    venv = os.path.realpath(os.environ.get("FFCE_VENV") or os.path.join(REPO, "target", "py-venv"))
    py = os.path.join(venv, "bin", "python")
    if os.path.realpath(sys.prefix) != venv and os.path.exists(py) and not os.environ.get("FFCE_SELFTEST_REEXEC"):
        os.environ["FFCE_SELFTEST_REEXEC"] = "1"
        os.execv(py, [py, os.path.abspath(__file__)] + sys.argv[1:])


_reexec_in_test_venv()

import boto3  # noqa: E402
import botocore.exceptions  # noqa: E402
from botocore.config import Config  # noqa: E402

VERBOSE = "-v" in sys.argv[1:]
RESULTS = {"passed": 0, "failed": 0}


def check(name):
    def wrap(fn):
        def run(ctx):
            try:
                detail = fn(ctx)
                RESULTS["passed"] += 1
                print(f"PASS {name}" + (f": {detail}" if detail else ""), flush=True)
            except Exception as e:
                RESULTS["failed"] += 1
                print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)
                if VERBOSE:
                    traceback.print_exc()
        run.check_name = name
        return run
    return wrap


class Ctx:
    def __init__(self, proxy_url, endpoint):
        self.url = proxy_url
        self.endpoint = endpoint
        self.port = int(proxy_url.rsplit(":", 1)[1])
        self.bucket = f"fault-selftest-{uuid.uuid4().hex[:12]}"

    def client(self, attempts=1, read_timeout=10, direct=False):
        return boto3.client(
            "s3", endpoint_url=self.endpoint if direct else self.url, region_name="us-east-1",
            aws_access_key_id="test", aws_secret_access_key="test",
            config=Config(s3={"addressing_style": "path"}, connect_timeout=5, read_timeout=read_timeout,
                          retries={"mode": "standard", "total_max_attempts": attempts}))

    def control(self, method, what, body=None):
        req = urllib.request.Request(f"{self.url}/__fault__/{what}", method=method,
                                     data=None if body is None else json.dumps(body).encode())
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)

    def plan(self, *rules, seed=0):
        self.control("POST", "plan", {"seed": seed, "rules": list(rules)})

    def log(self):
        return self.control("GET", "log")

    def raw_get(self, key):
        """A presigned GET of key through the proxy with http.client (moto refuses unsigned GETs)."""
        url = self.client().generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": key})
        return self.raw("GET", url.split(str(self.port), 1)[1])

    def raw(self, method, path, body=None, headers=None, encode_chunked=False):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request(method, path, body=body, headers=headers or {}, encode_chunked=encode_chunked)
        return conn, conn.getresponse()


def expect_raises(exc_types, fn):
    try:
        fn()
    except exc_types as e:
        return e
    raise AssertionError(f"expected {exc_types}, got no error")


def faulted(log):
    return [e for e in log if e["fault"]]


BLOB = bytes(range(256)) * 400  # 102400 bytes
OLD = b"old version " * 1000


# ---------------------------------------------------------------- checks
@check("passthrough: put/get round trip, headers and body forwarded, no fault")
def t_passthrough(c):
    c.plan()
    s3 = c.client()
    s3.put_object(Bucket=c.bucket, Key="p/backup.ffce", Body=BLOB, ChecksumAlgorithm="SHA256")
    r = s3.get_object(Bucket=c.bucket, Key="p/backup.ffce", ChecksumMode="ENABLED")
    assert r["Body"].read() == BLOB
    want = base64.b64encode(hashlib.sha256(BLOB).digest()).decode()
    assert r.get("ChecksumSHA256") == want, r.get("ChecksumSHA256")
    head = s3.head_object(Bucket=c.bucket, Key="p/backup.ffce")
    assert head["ContentLength"] == len(BLOB)
    log = c.log()
    assert [e["method"] for e in log] == ["PUT", "GET", "HEAD"], log
    assert not faulted(log)
    put = log[0]
    assert put["request_body_bytes"] == len(BLOB) and put["headers"].get("x-amz-checksum-sha256") == want
    assert all("Authorization" not in e["headers"] for e in log), "Authorization leaked into the log"
    return f"{len(log)} requests, checksum header forwarded"


@check("status 503: boto3 without retries sees SlowDown; the PUT never reached S3")
def t_status_503(c):
    c.plan({"fault": "status", "status": 503, "method": "PUT", "first": 1})
    s3 = c.client(attempts=1)
    e = expect_raises(botocore.exceptions.ClientError,
                      lambda: s3.put_object(Bucket=c.bucket, Key="s503/backup.ffce", Body=BLOB))
    assert e.response["Error"]["Code"] == "SlowDown", e.response
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    direct = c.client(direct=True)
    expect_raises(botocore.exceptions.ClientError, lambda: direct.head_object(Bucket=c.bucket, Key="s503/backup.ffce"))
    log = c.log()
    assert len(log) == 1 and log[0]["fault"] == "status" and log[0]["status"] == 503
    assert log[0]["upstream_status"] is None and log[0]["request_body_bytes"] == len(BLOB)
    return "SlowDown / 503, object absent"


@check("status 500 x2: boto3 with 3 attempts succeeds after 2 faults")
def t_status_retry(c):
    c.plan({"fault": "status", "status": 500, "first": 2})
    s3 = c.client(attempts=3)
    s3.put_object(Bucket=c.bucket, Key="s500/backup.ffce", Body=BLOB)
    log = c.log()
    assert [e["status"] for e in log] == [500, 500, 200], log
    assert c.client(direct=True).get_object(Bucket=c.bucket, Key="s500/backup.ffce")["Body"].read() == BLOB
    return "statuses 500, 500, 200"


@check("status with forward: the upstream applies the PUT, the client sees InternalError")
def t_status_forward(c):
    c.plan({"fault": "status", "status": 500, "forward": True, "first": 1})
    s3 = c.client(attempts=1)
    e = expect_raises(botocore.exceptions.ClientError,
                      lambda: s3.put_object(Bucket=c.bucket, Key="fwd/backup.ffce", Body=BLOB))
    assert e.response["Error"]["Code"] == "InternalError"
    assert c.client(direct=True).get_object(Bucket=c.bucket, Key="fwd/backup.ffce")["Body"].read() == BLOB
    log = c.log()
    assert log[0]["upstream_status"] == 200 and log[0]["status"] == 500
    return "upstream 200, client 500"


def _put_direct(c, key, body):
    c.client(direct=True).put_object(Bucket=c.bucket, Key=key, Body=body)


@check("reset mid-body: raw client gets exactly N bytes then ECONNRESET")
def t_reset_raw(c):
    _put_direct(c, "rst/backup.ffce", BLOB)
    c.plan({"fault": "reset", "bytes": 1000, "method": "GET"})
    conn, resp = c.raw_get("rst/backup.ffce")
    assert resp.status == 200 and int(resp.getheader("Content-Length")) == len(BLOB)
    got = b""
    err = None
    try:
        while True:
            chunk = resp.fp.read1(65536) if hasattr(resp.fp, "read1") else resp.read(65536)
            if not chunk:
                break
            got += chunk
    except (ConnectionResetError, http.client.IncompleteRead) as e:
        err = e
    conn.close()
    assert got == BLOB[:1000], len(got)
    assert isinstance(err, ConnectionResetError), f"expected ECONNRESET, got {err!r} after {len(got)} bytes"
    assert c.log()[0]["body_bytes"] == 1000
    return "1000 bytes, then ConnectionResetError"


@check("reset mid-body: boto3 without retries fails reading the body")
def t_reset_boto(c):
    c.plan({"fault": "reset", "bytes": 1000, "method": "GET"})
    s3 = c.client(attempts=1)

    def read():
        s3.get_object(Bucket=c.bucket, Key="rst/backup.ffce")["Body"].read()
    e = expect_raises((botocore.exceptions.ResponseStreamingError, botocore.exceptions.ConnectionClosedError,
                       botocore.exceptions.IncompleteReadError), read)
    return type(e).__name__


@check("reset before the response: boto3 fails without retries, succeeds with them")
def t_reset_before(c):
    c.plan({"fault": "reset", "bytes": -1, "method": "GET", "first": 1})
    e = expect_raises(botocore.exceptions.ConnectionClosedError,
                      lambda: c.client(attempts=1).get_object(Bucket=c.bucket, Key="rst/backup.ffce"))
    c.plan({"fault": "reset", "bytes": -1, "method": "GET", "first": 1})
    body = c.client(attempts=2).get_object(Bucket=c.bucket, Key="rst/backup.ffce")["Body"].read()
    assert body == BLOB
    assert [x["fault"] for x in c.log()] == ["reset", None]
    return type(e).__name__ + "; retried OK"


@check("reset mid-upload: only N request bytes reach S3, the client sees a reset, the old object stays")
def t_reset_request(c):
    _put_direct(c, "upl/backup.ffce", OLD)
    c.plan({"fault": "reset", "request_bytes": 4096, "method": "PUT"})
    s3 = c.client(attempts=1)
    e = expect_raises((botocore.exceptions.ConnectionClosedError, botocore.exceptions.EndpointConnectionError,
                       botocore.exceptions.ClientError),
                      lambda: s3.put_object(Bucket=c.bucket, Key="upl/backup.ffce", Body=BLOB))
    entry = c.log()[0]
    assert entry["request_body_bytes"] == 4096 and entry["applied"], entry
    time.sleep(0.3)  # the upstream handles the cut request in its own time
    got = c.client(direct=True).get_object(Bucket=c.bucket, Key="upl/backup.ffce")["Body"].read()
    assert got == OLD, f"upstream stored {len(got)} bytes"
    return f"{type(e).__name__}; upstream kept the old object"


@check("truncate: full Content-Length, N bytes, FIN -> IncompleteRead")
def t_truncate(c):
    c.plan({"fault": "truncate", "bytes": 5000, "method": "GET"})
    conn, resp = c.raw_get("rst/backup.ffce")
    assert int(resp.getheader("Content-Length")) == len(BLOB)
    e = expect_raises(http.client.IncompleteRead, resp.read)
    conn.close()
    assert e.partial == BLOB[:5000], len(e.partial)
    s3 = c.client(attempts=1)
    e2 = expect_raises((botocore.exceptions.IncompleteReadError, botocore.exceptions.ResponseStreamingError),
                       lambda: s3.get_object(Bucket=c.bucket, Key="rst/backup.ffce")["Body"].read())
    return f"IncompleteRead after {len(e.partial)} bytes; boto3: {type(e2).__name__}"


@check("truncate default: half the body")
def t_truncate_half(c):
    c.plan({"fault": "truncate", "method": "GET"})
    conn, resp = c.raw_get("rst/backup.ffce")
    e = expect_raises(http.client.IncompleteRead, resp.read)
    conn.close()
    assert len(e.partial) == len(BLOB) // 2
    return f"{len(e.partial)} of {len(BLOB)} bytes"


@check("corrupt: same length, exactly one byte flipped; boto3 checksum mode detects it")
def t_corrupt(c):
    c.client(direct=True).put_object(Bucket=c.bucket, Key="cor/backup.ffce", Body=BLOB, ChecksumAlgorithm="SHA256")
    c.plan({"fault": "corrupt", "offset": 777, "xor": 0x80, "method": "GET"})
    conn, resp = c.raw_get("cor/backup.ffce")
    body = resp.read()
    conn.close()
    diff = [i for i in range(len(BLOB)) if body[i] != BLOB[i]]
    assert len(body) == len(BLOB) and diff == [777], diff[:5]
    assert body[777] == BLOB[777] ^ 0x80
    c.plan({"fault": "corrupt", "method": "GET"})  # default: the middle byte
    conn, resp = c.raw_get("cor/backup.ffce")
    body = resp.read()
    conn.close()
    assert [i for i in range(len(BLOB)) if body[i] != BLOB[i]] == [len(BLOB) // 2]
    c.plan({"fault": "corrupt", "offset": -1, "method": "GET"})
    s3 = c.client(attempts=1)
    e = expect_raises(botocore.exceptions.FlexibleChecksumError,
                      lambda: s3.get_object(Bucket=c.bucket, Key="cor/backup.ffce", ChecksumMode="ENABLED")["Body"].read())
    return f"offset 777 / middle / last; boto3: {type(e).__name__}"


@check("corrupt on an empty body is logged as not applied")
def t_corrupt_empty(c):
    _put_direct(c, "empty/backup.ffce", b"")
    c.plan({"fault": "corrupt", "method": "GET"})
    assert c.client().get_object(Bucket=c.bucket, Key="empty/backup.ffce")["Body"].read() == b""
    entry = c.log()[0]
    assert entry["fault"] == "corrupt" and entry["applied"] is False, entry
    return entry["note"]


@check("latency: the answer comes after the delay, unchanged")
def t_latency(c):
    c.plan({"fault": "latency", "seconds": 1.5, "method": "GET"})
    t0 = time.monotonic()
    body = c.client().get_object(Bucket=c.bucket, Key="rst/backup.ffce")["Body"].read()
    dt = time.monotonic() - t0
    assert body == BLOB and 1.5 <= dt < 5, dt
    return f"{dt:.2f} s"


@check("stall: boto3 read timeout 1 s ends the request; the proxy sees the client leave")
def t_stall(c):
    c.plan({"fault": "stall", "method": "GET"})
    s3 = c.client(attempts=1, read_timeout=1)
    t0 = time.monotonic()
    expect_raises(botocore.exceptions.ReadTimeoutError, lambda: s3.get_object(Bucket=c.bucket, Key="rst/backup.ffce"))
    dt = time.monotonic() - t0
    assert dt < 4, dt
    s3.close()
    for _ in range(50):
        note = c.log()[0]["note"]
        if note != "stalled":
            break
        time.sleep(0.1)
    assert note in ("stalled; client closed", "stalled; client reset"), note
    return f"ReadTimeoutError after {dt:.2f} s; {note}"


@check("stall with forward: the PUT takes effect upstream, the client times out")
def t_stall_forward(c):
    c.plan({"fault": "stall", "forward": True, "method": "PUT"})
    s3 = c.client(attempts=1, read_timeout=1)
    expect_raises(botocore.exceptions.ReadTimeoutError,
                  lambda: s3.put_object(Bucket=c.bucket, Key="stallfwd/backup.ffce", Body=b"new"))
    assert c.client(direct=True).get_object(Bucket=c.bucket, Key="stallfwd/backup.ffce")["Body"].read() == b"new"
    return "upstream has the object"


@check("selection by method and path substring")
def t_select_filter(c):
    _put_direct(c, "a/backup.ffce", b"A")
    _put_direct(c, "b/backup.ffce", b"B")
    c.plan({"fault": "status", "method": "GET", "path": "/b/"})
    s3 = c.client(attempts=1)
    assert s3.get_object(Bucket=c.bucket, Key="a/backup.ffce")["Body"].read() == b"A"
    s3.head_object(Bucket=c.bucket, Key="b/backup.ffce")
    expect_raises(botocore.exceptions.ClientError, lambda: s3.get_object(Bucket=c.bucket, Key="b/backup.ffce"))
    assert [e["fault"] for e in c.log()] == [None, None, "status"]
    return "only GET .../b/ faulted"


@check("DynamoDB: selection by X-Amz-Target, JSON error bodies boto3 reads as their codes")
def t_dynamodb(c):
    ddb = boto3.client(
        "dynamodb", endpoint_url=c.url, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}))
    table = f"fault-selftest-{uuid.uuid4().hex[:12]}"
    c.plan()
    ddb.create_table(TableName=table, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    item = {"id": {"S": "k"}}
    codes = []
    for status, code in [(500, None), (503, None), (400, None), (400, "ProvisionedThroughputExceededException")]:
        rule = {"fault": "status", "status": status, "target": "PutItem"}
        if code:
            rule["code"] = code
        c.plan(rule)
        ddb.get_item(TableName=table, Key=item)  # another operation: not selected
        e = expect_raises(botocore.exceptions.ClientError, lambda: ddb.put_item(TableName=table, Item=item))
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == status, e.response
        codes.append(e.response["Error"]["Code"])
        assert [x["fault"] for x in c.log()] == [None, "status"], c.log()
    assert codes == ["InternalServerError", "ServiceUnavailable", "ThrottlingException",
                     "ProvisionedThroughputExceededException"], codes
    assert "Item" not in ddb.get_item(TableName=table, Key=item), "a faulted PutItem reached the table"
    # `code` names another S3 error too.
    c.plan({"fault": "status", "status": 503, "code": "ServiceUnavailable"})
    e = expect_raises(botocore.exceptions.ClientError,
                      lambda: c.client(attempts=1).head_object(Bucket=c.bucket, Key="a/backup.ffce"))
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    return " ".join(codes)


@check("selection by ordinal range nth [2, 3]")
def t_select_nth(c):
    c.plan({"fault": "status", "nth": [2, 3]})
    s3 = c.client(attempts=1)
    outcomes = []
    for _ in range(5):
        try:
            s3.head_object(Bucket=c.bucket, Key="a/backup.ffce")
            outcomes.append("ok")
        except botocore.exceptions.ClientError:
            outcomes.append("err")
    assert outcomes == ["ok", "err", "err", "ok", "ok"], outcomes
    assert [e["n"] for e in c.log()] == [1, 2, 3, 4, 5]
    return " ".join(outcomes)


@check("selection at random: same seed, same faults; rate near the probability")
def t_select_random(c):
    def pattern(seed):
        c.plan({"fault": "status", "probability": 0.3}, seed=seed)
        s3 = c.client(attempts=1)
        for _ in range(40):
            try:
                s3.head_object(Bucket=c.bucket, Key="a/backup.ffce")
            except botocore.exceptions.ClientError:
                pass
        return [e["fault"] is not None for e in c.log()]
    p1, p2, p3 = pattern(7), pattern(7), pattern(8)
    assert p1 == p2, "same seed gave different faults"
    assert p1 != p3, "different seeds gave the same 40 draws"
    assert 4 <= sum(p1) <= 22, sum(p1)
    return f"seed 7: {sum(p1)}/40 faulted, reproducible"


@check("request bodies: chunked, aws-chunked with a trailer, and 100-continue forwarded intact")
def t_request_bodies(c):
    c.plan()
    body = os.urandom(70000)
    parts = [body[:30000], body[30000:]]
    conn, resp = c.raw("PUT", f"/{c.bucket}/chunked/backup.ffce", body=iter(parts), encode_chunked=True,
                       headers={"Transfer-Encoding": "chunked"})
    resp.read()
    conn.close()
    assert resp.status == 200, resp.status
    entry = c.log()[0]
    assert entry["headers"].get("Transfer-Encoding") == "chunked"
    assert entry["request_body_bytes"] > len(body), entry  # raw bytes: payload plus chunk framing
    got = c.client(direct=True).get_object(Bucket=c.bucket, Key="chunked/backup.ffce")["Body"].read()
    assert got == body, (len(got), len(body))
    # aws-chunked (what SDKs send for trailing checksums): Content-Length framing, chunks and a trailer inside
    c.plan()
    crc = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    enc = (b"%x\r\n" % 40000 + body[:40000] + b"\r\n" + b"%x\r\n" % 30000 + body[40000:] + b"\r\n0\r\n"
           + f"x-amz-checksum-crc32:{crc}\r\n\r\n".encode())
    conn, resp = c.raw("PUT", f"/{c.bucket}/awschunked/backup.ffce", body=enc, headers={
        "Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(body)),
        "x-amz-trailer": "x-amz-checksum-crc32", "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER"})
    resp.read()
    conn.close()
    assert resp.status == 200, resp.status
    assert c.log()[0]["request_body_bytes"] == len(enc)
    got = c.client(direct=True).get_object(Bucket=c.bucket, Key="awschunked/backup.ffce")["Body"].read()
    assert got == body, (len(got), len(body))
    # 100-continue (boto3 sends Expect for PutObject bodies): the proxy answers it itself
    c.plan()
    c.client().put_object(Bucket=c.bucket, Key="expect/backup.ffce", Body=BLOB)
    assert c.log()[0]["headers"].get("Expect") == "100-continue"
    return f"chunked {entry['request_body_bytes']} raw bytes, aws-chunked {len(enc)} bytes, both stored intact"


@check("control endpoint: bad plans refused with 400, plan readable, reset clears the log")
def t_control(c):
    for bad in ({"rules": [{"fault": "explode"}]}, {"rules": [{"fault": "status", "oops": 1}]}, {"zzz": 1}):
        try:
            c.control("POST", "plan", bad)
            raise AssertionError(f"accepted {bad}")
        except urllib.error.HTTPError as e:
            assert e.code == 400
    c.plan({"fault": "latency", "seconds": 0.01})
    assert c.control("GET", "plan")["rules"][0]["fault"] == "latency"
    c.client().head_object(Bucket=c.bucket, Key="a/backup.ffce")
    assert len(c.log()) == 1
    c.control("POST", "reset", {})
    assert c.log() == []
    # "Connection: close" is honoured, so a client may read the answer to EOF
    with socket.create_connection(("127.0.0.1", c.port), timeout=5) as sock:
        sock.sendall(b"GET /__fault__/log HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 200") and data.endswith(b"[]"), data
    return "3 bad plans refused; Connection: close honoured"


@check("command line: --plan applies from the start; non-loopback upstreams refused")
def t_cmdline(c):
    plan = json.dumps({"rules": [{"fault": "status", "status": 503, "first": 1}]})
    proc, url = start_proxy(c.endpoint, plan)
    try:
        s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test",
                          aws_secret_access_key="test",
                          config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1}))
        expect_raises(botocore.exceptions.ClientError, lambda: s3.head_object(Bucket=c.bucket, Key="a/backup.ffce"))
        s3.head_object(Bucket=c.bucket, Key="a/backup.ffce")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    for bad in ("http://192.0.2.1:80", "http://example.invalid:80", "https://127.0.0.1:1", "http://127.0.0.1:1/path"):
        r = subprocess.run([sys.executable, os.path.join(HERE, "fault_proxy.py"), "--upstream", bad],
                           capture_output=True, text=True, timeout=20)
        assert r.returncode != 0 and "FAULT_PROXY_URL" not in r.stdout, (bad, r)
    return "first request 503 from --plan; 4 bad upstreams refused"


CHECKS = [t_passthrough, t_status_503, t_status_retry, t_status_forward, t_reset_raw, t_reset_boto,
          t_reset_before, t_reset_request, t_truncate, t_truncate_half, t_corrupt, t_corrupt_empty, t_latency, t_stall,
          t_stall_forward, t_select_filter, t_dynamodb, t_select_nth, t_select_random, t_request_bodies, t_control,
          t_cmdline]


# ---------------------------------------------------------------- harness
def start_proxy(endpoint, plan=None):
    cmd = [sys.executable, os.path.join(HERE, "fault_proxy.py"), "--upstream", endpoint]
    if plan:
        cmd += ["--plan", plan]
    if VERBOSE:
        cmd.append("-v")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()
    if not line.startswith("FAULT_PROXY_URL="):
        proc.kill()
        raise SystemExit(f"fault proxy did not start: {line!r}")
    return proc, line.split("=", 1)[1]


def main():
    own_server = None
    endpoint = os.environ.get("FFCE_TEST_S3_ENDPOINT")
    if not endpoint:
        state = tempfile.mkdtemp(prefix="fault-selftest-")
        env = dict(os.environ, FFCE_S3_STATE_DIR=state)
        out = subprocess.run([os.path.join(HERE, "s3-server.sh"), "start"], env=env, capture_output=True,
                             text=True, check=True).stdout
        endpoint = out.strip().split("=", 1)[1]
        own_server = env
    proxy = None
    try:
        proxy, url = start_proxy(endpoint)
        ctx = Ctx(url, endpoint)
        ctx.client(direct=True).create_bucket(Bucket=ctx.bucket)
        print(f"# moto {endpoint}, proxy {url}, bucket {ctx.bucket}", flush=True)
        for t in CHECKS:
            t(ctx)
    finally:
        if proxy:
            proxy.terminate()
            proxy.wait(timeout=10)
        if own_server:
            subprocess.run([os.path.join(HERE, "s3-server.sh"), "stop"], env=own_server, capture_output=True)
            shutil.rmtree(own_server["FFCE_S3_STATE_DIR"], ignore_errors=True)
    print(f"{RESULTS['passed']} passed, {RESULTS['failed']} failed")
    sys.exit(1 if RESULTS["failed"] else 0)


if __name__ == "__main__":
    main()

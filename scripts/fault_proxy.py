#!/usr/bin/env python3
"""A test-only HTTP reverse proxy that injects faults between a client and a
loopback S3 server (moto), for ffce's fault-injection tests (ffce-cli/tests/faults.rs).

Usage:
    target/py-venv/bin/python scripts/fault_proxy.py \\
        --upstream http://127.0.0.1:PORT [--port 0] [--plan JSON | --plan @FILE] [-v]

It listens on 127.0.0.1 (port 0 = any free port), prints one line
``FAULT_PROXY_URL=http://127.0.0.1:PORT`` on stdout once it is listening and
then runs until SIGTERM/SIGINT. Point the client at that URL with path-style
addressing: SigV4 signs the Host header the client sent, and the proxy
forwards every header unchanged (only the hop-by-hop ``Connection``,
``Keep-Alive``, ``Proxy-Connection`` and ``Expect`` headers are rewritten),
so the upstream must not verify signatures (moto does not).

Bounded on purpose: it only ever connects to the one upstream given on the
command line, which must be a loopback address (anything else is refused at
start-up), it listens on loopback only, and it refuses absolute-form
(forward-proxy) request targets. Standard library only.

Control endpoint (on the proxy itself, never forwarded, never counted):
    POST /__fault__/plan   body = a JSON plan; replaces the plan and resets the
                           rule counters, the random generator and the log
    GET  /__fault__/plan   the current plan
    GET  /__fault__/log    JSON list, one entry per proxied request, in order
    POST /__fault__/reset  clear the log and the counters, keep the plan

Plan (all keys optional; ``{}`` passes everything through; a bare list is
taken as ``rules``)::

    {"seed": 7,                    # seed of the random generator (default 0)
     "rules": [                    # the FIRST rule that selects a request applies
       {"fault": "status",         # what to do, see below
        # -- selection: every condition given must hold --
        "method": "GET",           # request method (case-insensitive)
        "path": "/backup.ffce",    # substring of the request target (path?query)
        "target": "PutItem",       # substring of the X-Amz-Target header (DynamoDB's
                                   # operation); a request without one does not match
        "first": 2,                # the first 2 requests this rule's method/path match
        "nth": [3, 5],             # matching requests number 3..5 (1-based; an int = one)
        "probability": 0.5,        # drawn from random.Random(seed), in request order
        # -- parameters (per fault) --
        "status": 503, "code": "SlowDown", "bytes": 100, "request_bytes": 10, "offset": -1,
        "xor": 1, "seconds": 2.0, "forward": false}]}

Ordinals count per rule: request k is the k-th request matching that rule's
``method``, ``path`` and ``target`` filters (without filters: the k-th proxied request).

Faults:
    status    answer ``status`` (default 503) with an error body the client's SDK
              parses: for S3 an XML ``<Error>`` (503 -> ``SlowDown``, 500 ->
              ``InternalError``); for a DynamoDB request (one with an X-Amz-Target
              header) a JSON ``__type`` (500 -> ``InternalServerError``, 503 ->
              ``ServiceUnavailable``, 400 -> ``ThrottlingException``). ``code``
              names another error code. The request body is read
              and dropped; with ``"forward": true`` the request is first sent
              upstream (so it takes effect) and its answer is thrown away.
    reset     forward, send the response headers and ``bytes`` body bytes
              (default 0), then abort the connection (SO_LINGER 0 -> RST).
              ``"bytes": -1`` resets before any response byte. With
              ``"request_bytes": N`` it is the upload that is cut instead: only the
              first N request body bytes reach the upstream, then both the upstream
              and the client connection are reset.
    truncate  forward, send the headers unchanged (full Content-Length) and only
              ``bytes`` body bytes (default: half), then close normally (FIN); with
              ``seconds``, hold the connection open that long first (a body that
              stalls mid-way, after its headers were answered).
    corrupt   forward, XOR the body byte at ``offset`` with ``xor`` (default 0x01);
              ``offset`` negative counts from the end, default the middle byte.
              The length is unchanged.
    latency   sleep ``seconds`` (default 1) before forwarding, then pass through.
    stall     read the request, never answer; hold the connection until the
              client gives up (or ``seconds``, default 3600). ``"forward": true``
              sends the request upstream first.

Body offsets count the body bytes on the wire (for a chunked response, the raw
chunked encoding). Request bodies (Content-Length, or ``Transfer-Encoding:
chunked`` including ``aws-chunked`` content) are forwarded byte for byte, as
they arrive.

Log entry: ``{"n", "method", "path", "headers" (request headers without
Authorization), "fault", "rule", "applied", "upstream_status", "status",
"request_body_bytes", "body_bytes", "note"}``; ``applied`` is false when a
selected fault could not act (e.g. ``corrupt`` on an empty body).
"""

import argparse
import asyncio
import ipaddress
import json
import random
import signal
import socket
import struct
import sys
import urllib.parse

CONTROL_PREFIX = "/__fault__/"
FAULTS = ("status", "reset", "truncate", "corrupt", "latency", "stall")
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "expect"}
MAX_HEAD = 64 * 1024
IO_CHUNK = 64 * 1024
S3_ERRORS = {
    500: ("InternalError", "We encountered an internal error. Please try again."),
    503: ("SlowDown", "Please reduce your request rate."),
}
DYNAMODB_ERRORS = {
    400: "ThrottlingException",
    500: "InternalServerError",
    503: "ServiceUnavailable",
}
VERBOSE = False


def note(msg):
    if VERBOSE:
        print(f"fault_proxy: {msg}", file=sys.stderr, flush=True)


class PlanError(ValueError):
    pass


class Plan:
    """A validated plan plus its mutable state (counters, random generator)."""

    RULE_KEYS = {"fault", "method", "path", "target", "first", "nth", "probability",
                 "status", "code", "bytes", "request_bytes", "offset", "xor", "seconds",
                 "forward"}

    def __init__(self, raw):
        if isinstance(raw, list):
            raw = {"rules": raw}
        if not isinstance(raw, dict):
            raise PlanError("a plan is a JSON object (or a list of rules)")
        unknown = set(raw) - {"seed", "rules"}
        if unknown:
            raise PlanError(f"unknown plan keys: {sorted(unknown)}")
        self.raw = raw
        self.rules = list(raw.get("rules", []))
        for i, rule in enumerate(self.rules):
            if not isinstance(rule, dict):
                raise PlanError(f"rule {i} is not an object")
            if rule.get("fault") not in FAULTS:
                raise PlanError(f"rule {i}: fault must be one of {FAULTS}")
            bad = set(rule) - self.RULE_KEYS
            if bad:
                raise PlanError(f"rule {i}: unknown keys {sorted(bad)}")
            nth = rule.get("nth")
            if nth is not None and not (isinstance(nth, int) or (
                    isinstance(nth, list) and len(nth) == 2 and all(isinstance(x, int) for x in nth))):
                raise PlanError(f"rule {i}: nth is an int or [k, m]")
        self.rng = random.Random(raw.get("seed", 0))
        self.counts = [0] * len(self.rules)

    def select(self, method, target, amz_target=None):
        """Returns (index, rule) of the rule that applies to this request, or (None, None).
        `amz_target` is the request's X-Amz-Target header (DynamoDB's operation), if any."""
        chosen = (None, None)
        for i, rule in enumerate(self.rules):
            if "method" in rule and rule["method"].upper() != method.upper():
                continue
            if "path" in rule and rule["path"] not in target:
                continue
            if "target" in rule and (amz_target is None or rule["target"] not in amz_target):
                continue
            self.counts[i] += 1  # every rule counts its own matches
            if chosen[0] is not None:
                continue
            k = self.counts[i]
            if "first" in rule and k > rule["first"]:
                continue
            nth = rule.get("nth")
            if nth is not None:
                lo, hi = (nth, nth) if isinstance(nth, int) else nth
                if not lo <= k <= hi:
                    continue
            if "probability" in rule and not self.rng.random() < rule["probability"]:
                continue
            chosen = (i, rule)
        return chosen


class Head:
    """A parsed request or response head: the start line and ordered headers."""

    def __init__(self, start, headers):
        self.start = start
        self.headers = headers  # list of (name, value), as received

    @classmethod
    async def read(cls, reader):
        data = await reader.readuntil(b"\r\n\r\n")
        lines = data.decode("latin-1").split("\r\n")[:-2]
        headers = []
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep:
                raise ValueError(f"malformed header line {line!r}")
            headers.append((name.strip(), value.strip()))
        return cls(lines[0], headers)

    def get(self, name, default=None):
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def encode(self, drop=(), extra=()):
        lines = [self.start]
        lines += [f"{k}: {v}" for k, v in self.headers if k.lower() not in drop]
        lines += [f"{k}: {v}" for k, v in extra]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def framing(self, no_body=False):
        """('none'|'length'|'chunked'|'eof', length)."""
        if no_body:
            return "none", 0
        if "chunked" in (self.get("transfer-encoding") or "").lower():
            return "chunked", None
        length = self.get("content-length")
        if length is not None:
            return "length", int(length)
        return None, None


async def copy_body(reader, kind, length, sink):
    """Reads one body framed as (kind, length) from reader and passes the raw
    bytes to ``await sink(bytes)``. Returns the number of raw bytes."""
    total = 0
    if kind == "length":
        left = length
        while left > 0:
            data = await reader.read(min(IO_CHUNK, left))
            if not data:
                raise ConnectionError(f"body ended {left} bytes early")
            left -= len(data)
            total += len(data)
            await sink(data)
    elif kind == "chunked":
        while True:
            line = await reader.readuntil(b"\r\n")
            total += len(line)
            await sink(line)
            size = int(line.split(b";")[0].strip(), 16)
            if size == 0:
                while True:  # trailers (aws-chunked checksums) up to the empty line
                    line = await reader.readuntil(b"\r\n")
                    total += len(line)
                    await sink(line)
                    if line == b"\r\n":
                        return total
            data = await reader.readexactly(size + 2)
            total += len(data)
            await sink(data)
    elif kind == "eof":
        while True:
            data = await reader.read(IO_CHUNK)
            if not data:
                break
            total += len(data)
            await sink(data)
    return total


def s3_error(status, target, close=False, code=None):
    default_code, message = S3_ERRORS.get(status, ("InternalError", "Injected fault."))
    code = code or default_code
    reason = {500: "Internal Server Error", 503: "Slow Down"}.get(status, "Error")
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{message}</Message><Resource>{target}</Resource>"
            f"<RequestId>fault-proxy</RequestId></Error>").encode()
    head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/xml\r\n"
            f"Content-Length: {len(body)}\r\nx-amz-request-id: fault-proxy\r\n"
            + ("Connection: close\r\n" if close else "") + "\r\n")
    return head.encode() + body


def dynamodb_error(status, code=None, close=False):
    """A DynamoDB error answer (JSON 1.0 protocol), as the SDKs parse it."""
    code = code or DYNAMODB_ERRORS.get(status, "InternalServerError")
    body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}",
                       "message": "Injected fault."}).encode()
    reason = {400: "Bad Request", 500: "Internal Server Error", 503: "Service Unavailable"}.get(status, "Error")
    head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/x-amz-json-1.0\r\n"
            f"Content-Length: {len(body)}\r\nx-amzn-RequestId: fault-proxy\r\n"
            + ("Connection: close\r\n" if close else "") + "\r\n")
    return head.encode() + body


def abort(writer):
    """Closes with RST (SO_LINGER 0) instead of FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.transport.abort()


class _RequestCut(Exception):
    pass


class Proxy:
    def __init__(self, upstream_host, upstream_port, plan):
        self.up = (upstream_host, upstream_port)
        self.plan = plan
        self.log = []

    # -- control endpoint -------------------------------------------------
    async def control(self, head, method, target, body, writer):
        path = urllib.parse.urlsplit(target).path
        status, out = 200, None
        if method == "POST" and path == CONTROL_PREFIX + "plan":
            try:
                self.plan = Plan(json.loads(body or b"{}"))
                self.log = []
                out = {"ok": True}
            except (ValueError, PlanError) as e:
                status, out = 400, {"error": str(e)}
        elif method == "GET" and path == CONTROL_PREFIX + "plan":
            out = self.plan.raw
        elif method == "GET" and path == CONTROL_PREFIX + "log":
            out = self.log
        elif method == "POST" and path == CONTROL_PREFIX + "reset":
            self.plan = Plan(self.plan.raw)
            self.log = []
            out = {"ok": True}
        else:
            status, out = 404, {"error": f"no control endpoint {method} {path}"}
        data = json.dumps(out).encode()
        writer.write(f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
        await writer.drain()

    # -- one client connection ------------------------------------------
    async def client(self, reader, writer):
        try:
            while await self.one_request(reader, writer):
                pass
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError) as e:
            note(f"client connection ended: {e!r}")
        except asyncio.CancelledError:  # shutting down
            pass
        except Exception as e:  # keep serving other connections
            note(f"error: {e!r}")
        finally:
            if not writer.transport.is_closing():
                writer.close()

    async def one_request(self, reader, writer):
        """Handles one request; returns True to keep the connection open."""
        try:
            head = await Head.read(reader)
        except asyncio.IncompleteReadError:
            return False
        method, target, version = head.start.split(" ", 2)
        if not target.startswith("/"):
            writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            await writer.drain()
            return False
        kind, length = head.framing()
        if kind is None:
            kind, length = "length", 0  # requests without framing have no body
        expect = (head.get("expect") or "").lower() == "100-continue"
        # the client asked to close after this request (HTTP/1.0 closes by default)
        client_close = (head.get("connection") or "").lower() == "close" or version == "HTTP/1.0"

        if target.startswith(CONTROL_PREFIX):
            chunks = []

            async def keep(b):
                chunks.append(b)

            await copy_body(reader, kind, length, keep)
            await self.control(head, method, target, b"".join(chunks), writer)
            return not client_close

        idx, rule = self.plan.select(method, target, head.get("x-amz-target"))
        fault = rule["fault"] if rule else None
        entry = {
            "n": len(self.log) + 1, "method": method, "path": target,
            "headers": {k: v for k, v in head.headers if k.lower() != "authorization"},
            "fault": fault, "rule": idx, "applied": fault is not None,
            "upstream_status": None, "status": None,
            "request_body_bytes": 0, "body_bytes": 0, "note": None,
        }
        self.log.append(entry)
        note(f"#{entry['n']} {method} {target} fault={fault}")
        if expect:  # answer 100 ourselves; the upstream never sees Expect
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            await writer.drain()

        forward = rule is None or fault in ("reset", "truncate", "corrupt", "latency") or rule.get("forward", False)
        if fault == "latency":
            await asyncio.sleep(float(rule.get("seconds", 1.0)))

        if not forward:
            async def drop(_b):
                pass

            entry["request_body_bytes"] = await copy_body(reader, kind, length, drop)
            if fault == "status":
                return await self.answer_status(rule, target, entry, writer, client_close)
            return await self.stall(rule, reader, writer, entry)

        # Forward the request to the upstream, on a fresh connection.
        up_reader, up_writer = await asyncio.open_connection(*self.up, limit=MAX_HEAD)
        try:
            up_writer.write(head.encode(drop=HOP_BY_HOP, extra=[("Connection", "close")]))

            cut = int(rule["request_bytes"]) if fault == "reset" and "request_bytes" in rule else None

            async def send_up(b):
                if cut is not None:
                    b = b[:max(0, cut - entry["request_body_bytes"])]
                up_writer.write(b)
                await up_writer.drain()
                entry["request_body_bytes"] += len(b)
                if cut is not None and entry["request_body_bytes"] >= cut:
                    raise _RequestCut()

            try:
                await copy_body(reader, kind, length, send_up)
            except _RequestCut:
                await asyncio.sleep(0.05)  # let the bytes reach the upstream before the RSTs
                entry["note"] = f"reset after {entry['request_body_bytes']} request body bytes"
                abort(up_writer)
                abort(writer)
                return False
            if cut is not None:
                entry["applied"] = False
                entry["note"] = f"request body of {entry['request_body_bytes']} bytes is not longer than {cut}"
            resp = await Head.read(up_reader)
            status = int(resp.start.split(" ", 2)[1])
            entry["upstream_status"] = status
            no_body = method == "HEAD" or status in (204, 304) or 100 <= status < 200
            rkind, rlength = resp.framing(no_body)
            if rkind is None:
                rkind = "eof"

            if fault == "status":  # forwarded: the upstream acted, the client hears an error
                await copy_body(up_reader, rkind, rlength, self._discard)
                return await self.answer_status(rule, target, entry, writer, client_close)
            if fault == "stall":
                await copy_body(up_reader, rkind, rlength, self._discard)
                return await self.stall(rule, reader, writer, entry)
            if fault == "reset" and int(rule.get("bytes", 0)) < 0:
                entry["note"] = "reset before the response"
                abort(writer)
                return False

            keep_alive = rkind != "eof" and not client_close
            writer.write(resp.encode(drop=HOP_BY_HOP, extra=[] if keep_alive else [("Connection", "close")]))
            entry["status"] = status
            return await self.relay_body(rule, up_reader, rkind, rlength, writer, entry) and keep_alive
        finally:
            up_writer.close()

    @staticmethod
    async def _discard(_b):
        pass

    async def answer_status(self, rule, target, entry, writer, close):
        status = int(rule.get("status", 503))
        entry["status"] = status
        if any(k.lower() == "x-amz-target" for k in entry["headers"]):
            writer.write(dynamodb_error(status, rule.get("code"), close))
        else:
            writer.write(s3_error(status, urllib.parse.urlsplit(target).path, close, rule.get("code")))
        await writer.drain()
        return not close

    async def stall(self, rule, reader, writer, entry):
        entry["note"] = "stalled"
        try:  # wait for the client to give up (EOF/reset) or the time limit
            await asyncio.wait_for(reader.read(), timeout=float(rule.get("seconds", 3600)))
            entry["note"] = "stalled; client closed"
        except asyncio.TimeoutError:
            entry["note"] = "stalled; time limit"
        except ConnectionError:
            entry["note"] = "stalled; client reset"
        writer.close()
        return False

    async def relay_body(self, rule, up_reader, kind, length, writer, entry):
        """Streams the upstream body to the client, applying reset/truncate/corrupt.
        Returns False if the connection must end afterwards."""
        fault = rule["fault"] if rule else None
        limit = None  # body bytes to send before cutting the connection
        flip_at = None
        if fault == "reset":
            limit = int(rule.get("bytes", 0))
        elif fault == "truncate":
            limit = int(rule.get("bytes", (length or 0) // 2))
        elif fault == "corrupt":
            off = rule.get("offset")
            if off is None:
                flip_at = (length // 2) if length else None
            elif off < 0:
                flip_at = length + off if length is not None and length + off >= 0 else None
            else:
                flip_at = off
        xor = int(rule.get("xor", 1)) & 0xFF if rule else 0
        sent = 0

        async def sink(data):
            nonlocal sent
            if limit is not None:
                data = data[:max(0, limit - sent)]
            if flip_at is not None and sent <= flip_at < sent + len(data):
                i = flip_at - sent
                data = data[:i] + bytes([data[i] ^ xor]) + data[i + 1:]
                entry["note"] = f"flipped byte {flip_at} with xor {xor:#04x}"
            if data:
                writer.write(data)
                await writer.drain()
                sent += len(data)
                entry["body_bytes"] = sent

        await copy_body(up_reader, kind, length, sink)
        if fault == "corrupt" and entry["note"] is None:
            entry["applied"] = False
            entry["note"] = "body too short to corrupt"
        if limit is None:
            return True
        if length is not None and limit >= length and kind == "length":
            entry["applied"] = False
            entry["note"] = f"body of {length} bytes is not longer than {limit}"
        await writer.drain()
        if fault == "reset":
            await asyncio.sleep(0.05)  # let the bytes reach the peer before the RST
            entry["note"] = entry["note"] or f"reset after {sent} body bytes"
            abort(writer)
        else:
            if rule.get("seconds") is not None:
                entry["note"] = entry["note"] or f"stalled after {sent} body bytes"
                await asyncio.sleep(float(rule["seconds"]))
            entry["note"] = entry["note"] or f"truncated after {sent} body bytes"
            writer.close()
        return False


def loopback_upstream(url):
    """(host, port) of a http:// loopback URL, or raises SystemExit."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or not parts.hostname or parts.path not in ("", "/"):
        raise SystemExit(f"fault_proxy: --upstream must be http://HOST:PORT, got {url!r}")
    port = parts.port or 80
    try:
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as e:
        raise SystemExit(f"fault_proxy: cannot resolve {parts.hostname!r}: {e}")
    addrs = {info[4][0] for info in infos}
    if not addrs or not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addrs):
        raise SystemExit(f"fault_proxy: refusing non-loopback upstream {url!r} ({sorted(addrs)})")
    return sorted(addrs)[0], port


def load_plan(text):
    if text is None:
        return Plan({})
    if text.startswith("@"):
        with open(text[1:], encoding="utf-8") as f:
            text = f.read()
    try:
        return Plan(json.loads(text))
    except (ValueError, PlanError) as e:
        raise SystemExit(f"fault_proxy: bad --plan: {e}")


async def main_async(args):
    host, port = loopback_upstream(args.upstream)
    proxy = Proxy(host, port, load_plan(args.plan))
    server = await asyncio.start_server(proxy.client, "127.0.0.1", args.port, limit=MAX_HEAD)
    bound = server.sockets[0].getsockname()[1]
    print(f"FAULT_PROXY_URL=http://127.0.0.1:{bound}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main():
    global VERBOSE
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--upstream", required=True, help="http://127.0.0.1:PORT (loopback only)")
    ap.add_argument("--port", type=int, default=0, help="listen port on 127.0.0.1 (default: any)")
    ap.add_argument("--plan", help="JSON plan, or @FILE")
    ap.add_argument("-v", "--verbose", action="store_true", help="log each request to stderr")
    args = ap.parse_args()
    VERBOSE = args.verbose
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()

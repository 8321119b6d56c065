#!/usr/bin/env python3
"""The device backup API the way the cloud's Python functions are written (docs/SPEC.md §7).

This is the baseline that `benches/api-vs-python.sh` measures `ffce-backup-api` against: three
`lambda_handler`-style functions (POST, GET, DELETE /devices/{uuid}/backup) taking an API
Gateway HTTP API payload-2.0 event dict and returning a response dict, with the AWS clients
built once at module level (a boto3 DynamoDB resource and an S3 client) and the same calls
per request as the cloud's functions: get_item, the four header checks, the ECDSA P-256
verification with `cryptography`, put_object/get_object/delete_object, update_item. Like
them it checks an upload's magic and size only, compares the request's `ETag` with its own
`If-None-Match`, and answers 404 for every S3 error on GET.

Run as a program, it serves those handlers on 127.0.0.1:PORT through a minimal local adapter
(`http.server`'s ThreadingHTTPServer, HTTP/1.1 keep-alive) that turns each request into a
payload-2.0 event (binary bodies base64-encoded, as API Gateway does) and each returned dict
into a response, so that it can be compared with `ffce-backup-api --listen`:

    S3_BACKUP_BUCKET_NAME=... DYNAMODB_DEVICES_TABLE_NAME=... [BACKUP_KEY_LAYOUT=nested|flat] \\
    AWS_ENDPOINT_URL=http://127.0.0.1:PORT AWS_REGION=... python baseline_api.py --listen 127.0.0.1:8080

The AWS settings come from the usual variables (AWS_ENDPOINT_URL, region, credentials), as
for any boto3 program. Logs go to stderr only for server faults.
"""

import base64
import binascii
import json
import os
import sys
import time
import uuid as uuidlib
from datetime import datetime, timezone

import boto3
from botocore.exceptions import ClientError
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

MAX_BODY = 524_288
TIMESTAMP_WINDOW_SECONDS = 10

BUCKET = os.environ["S3_BACKUP_BUCKET_NAME"]
LAYOUT = os.environ.get("BACKUP_KEY_LAYOUT", "nested")

# Module level, as in the cloud's functions: built once per process (cold start), reused by
# every request the process serves.
dynamodb = boto3.resource("dynamodb")
devices_table = dynamodb.Table(os.environ["DYNAMODB_DEVICES_TABLE_NAME"])
s3 = boto3.client("s3")


def response(status, body=None, headers=None):
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    return {"statusCode": status, "headers": h, "body": json.dumps(body) if body is not None else ""}


def error(status, message):
    return response(status, {"message": message})


def object_key(device_uuid):
    return f"{device_uuid}/backup.ffce" if LAYOUT == "nested" else device_uuid


def b64_strict(value):
    return base64.b64decode(value, validate=True)


def authenticate(event):
    """(uuid, None) for an authenticated device, else (None, error response)."""
    device_uuid = (event.get("pathParameters") or {}).get("uuid", "").strip()
    item = devices_table.get_item(Key={"uuid": device_uuid}).get("Item")
    if not item:
        return None, error(401, "Device not registered")

    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    names = ("x-device-uuid", "x-device-nonce", "x-device-timestamp", "x-device-signature")
    if any(not headers.get(n) for n in names):
        return None, error(400, "Missing authentication headers")
    if headers["x-device-uuid"] != device_uuid:
        return None, error(403, "Device UUID mismatch")
    try:
        nonce = b64_strict(headers["x-device-nonce"])
    except (binascii.Error, ValueError):
        return None, error(400, "Invalid nonce encoding")
    if len(nonce) != 32:
        return None, error(400, "Invalid nonce length")
    timestamp = headers["x-device-timestamp"]
    try:
        ts = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
        if ts.tzinfo is None:
            ts = ts.replace(tzinfo=timezone.utc)
    except ValueError:
        return None, error(400, "Invalid timestamp format")
    if abs((datetime.now(timezone.utc) - ts).total_seconds()) > TIMESTAMP_WINDOW_SECONDS:
        return None, error(401, "Request timestamp out of range")
    try:
        signature = b64_strict(headers["x-device-signature"])
    except (binascii.Error, ValueError):
        return None, error(400, "Invalid signature encoding")
    try:
        point = b64_strict(item["public_key"])
        public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except Exception:  # a broken table entry is the server's fault
        print(json.dumps({"level": "error", "message": "bad public_key", "device": device_uuid}), file=sys.stderr)
        return None, error(500, "Internal server error")
    try:
        public_key.verify(signature, nonce + timestamp.encode("ascii"), ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return None, error(401, "Invalid signature")
    return device_uuid, None


def now_utc():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def post_handler(event, context):
    device_uuid, err = authenticate(event)
    if err:
        return err
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            body = b64_strict(raw)
        except (binascii.Error, ValueError):
            return error(400, "Invalid base64 body")
    else:
        body = raw.encode("utf-8") if isinstance(raw, str) else raw
    if not body:
        return error(400, "Request body is required")
    if len(body) > MAX_BODY:
        return error(413, "Backup too large")
    if body[:4] != b"FFCE":
        return error(400, "Invalid backup format")

    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    etag = (headers.get("etag") or "").strip('"')
    if_none_match = (headers.get("if-none-match") or "").strip('"')
    # As the cloud's function does: the request's two headers compared with each other.
    if etag and if_none_match and etag == if_none_match:
        return {"statusCode": 304, "headers": {"ETag": f'"{etag}"'}, "body": ""}

    put = {"Bucket": BUCKET, "Key": object_key(device_uuid), "Body": body, "ContentType": "application/octet-stream"}
    if etag:
        put["Metadata"] = {"etag": etag}
    try:
        s3.put_object(**put)
    except ClientError:
        return error(500, "Failed to store backup")
    date = now_utc()
    try:
        devices_table.update_item(
            Key={"uuid": device_uuid},
            UpdateExpression="SET last_backup_date = :d",
            ExpressionAttributeValues={":d": date},
        )
    except ClientError:
        pass  # logged and ignored by the cloud's function
    return response(200, {"message": "Backup stored", "last_backup_date": date},
                    {"ETag": f'"{etag}"'} if etag else None)


def get_handler(event, context):
    device_uuid, err = authenticate(event)
    if err:
        return err
    try:
        obj = s3.get_object(Bucket=BUCKET, Key=object_key(device_uuid))
    except ClientError:
        return error(404, "No backup found for this device")
    data = obj["Body"].read()
    etag = obj.get("Metadata", {}).get("etag", "")
    return {
        "statusCode": 200,
        "headers": {
            "Content-Type": "application/octet-stream",
            "Content-Length": str(len(data)),
            "ETag": f'"{etag}"',
        },
        "body": base64.b64encode(data).decode("ascii"),
        "isBase64Encoded": True,
    }


def delete_handler(event, context):
    device_uuid, err = authenticate(event)
    if err:
        return err
    try:
        s3.delete_object(Bucket=BUCKET, Key=object_key(device_uuid))
    except ClientError:
        return error(500, "Failed to delete backup")
    try:
        devices_table.update_item(Key={"uuid": device_uuid}, UpdateExpression="REMOVE last_backup_date")
    except ClientError:
        pass
    return response(200, {"message": "Backup deleted"})


HANDLERS = {"POST": post_handler, "GET": get_handler, "DELETE": delete_handler}


def serve(host, port):
    """The local adapter: HTTP request -> payload-2.0 event -> handler -> HTTP response."""
    import re
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    route = re.compile(r"^/devices/([^/]+)/backup$")

    class Adapter(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like API Gateway's front end
        # Headers and body go out in separate writes; with Nagle's algorithm on, the
        # second waits for the client's delayed ACK (about 40 ms on Linux), a cost of this
        # adapter that the cloud's functions behind API Gateway do not have.
        disable_nagle_algorithm = True

        def log_message(self, *args):
            pass

        def _dispatch(self):
            path, _, query = self.path.partition("?")
            m = route.match(path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if not m or self.command not in HANDLERS:
                self._send(error(404, "Not Found"))
                return
            headers = {}
            for k, v in self.headers.items():
                k = k.lower()
                headers[k] = f"{headers[k]},{v}" if k in headers else v
            event = {
                "version": "2.0",
                "routeKey": f"{self.command} /devices/{{uuid}}/backup",
                "rawPath": path,
                "rawQueryString": query,
                "headers": headers,
                "pathParameters": {"uuid": m.group(1)},
                "requestContext": {
                    "http": {"method": self.command, "path": path, "protocol": "HTTP/1.1",
                             "sourceIp": self.client_address[0]},
                    "requestId": str(uuidlib.uuid4()),
                    "routeKey": f"{self.command} /devices/{{uuid}}/backup",
                    "stage": "$default",
                    "timeEpoch": int(time.time() * 1000),
                },
                "body": base64.b64encode(body).decode("ascii") if body else None,
                "isBase64Encoded": bool(body),
            }
            try:
                result = HANDLERS[self.command](event, None)
            except Exception as e:  # what Lambda turns into a 500
                print(json.dumps({"level": "error", "message": type(e).__name__}), file=sys.stderr)
                result = error(500, "Internal Server Error")
            self._send(result)

        def _send(self, result):
            body = result.get("body") or ""
            data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
            self.send_response(result["statusCode"])
            for k, v in (result.get("headers") or {}).items():
                if k.lower() != "content-length":
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = do_PUT = _dispatch

    ThreadingHTTPServer.daemon_threads = True
    # http.server's default listen backlog is 5: many devices connecting at once would be
    # reset, which API Gateway in front of the cloud's functions never does.
    ThreadingHTTPServer.request_queue_size = 1024
    server = ThreadingHTTPServer((host, port), Adapter)
    server.serve_forever()


def main(argv):
    if len(argv) != 2 or argv[0] != "--listen" or ":" not in argv[1]:
        print("usage: baseline_api.py --listen HOST:PORT", file=sys.stderr)
        return 2
    host, _, port = argv[1].rpartition(":")
    try:
        serve(host, int(port))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""An independent S3 client (boto3) for ffce's integration tests: it prepares bucket
state and reports what landed, so the tests never check ffce with ffce.

Usage (run with the test venv's python, target/py-venv/bin/python):
    s3_oracle.py [--endpoint URL] COMMAND ARGS...

Endpoint: --endpoint, else $FFCE_TEST_S3_ENDPOINT. Credentials are dummies
(test/test, us-east-1, path-style); a developer's AWS configuration is ignored.

Commands (each prints one JSON value on stdout; exit 1 with a message on stderr on
an unexpected error):
    create-bucket BUCKET [--versioned] [--kms KEY_ID]
        -> {"bucket": ...}; --kms sets default encryption aws:kms with KEY_ID
    put BUCKET KEY FILE [--checksum-sha256 B64] [--metadata K=V]... [--content-type T]
        -> {"etag", "version_id"}; --checksum-sha256 is sent verbatim (a wrong value
           plants an object whose stored checksum does not match its body)
    head BUCKET KEY [--version-id V]
        -> {"exists": false} or {"exists": true, "size", "content_type",
           "checksum_sha256", "metadata", "sse", "sse_kms_key_id", "etag", "version_id",
           "delete_marker"}
    get BUCKET KEY [--version-id V]
        -> head fields plus "body_b64" and "body_sha256" (hex); the body is not checked
           against the stored checksum here (that is ffce's job under test)
    list BUCKET -> [{"key", "size"}]
    list-versions BUCKET [--prefix P]
        -> {"versions": [{"key", "version_id", "is_latest", "size", "etag"}],
            "delete_markers": [{"key", "version_id", "is_latest"}]}
    delete BUCKET KEY [--version-id V] -> {"delete_marker", "version_id"}
    put-many BUCKET COUNT (--key KEY | --devices nested|flat) [--file FILE]
        -> {"keys": [...], "version_ids": [...]}; COUNT small objects (FILE's bytes, or
           b"x"), either COUNT versions of KEY or one object for each of COUNT made-up
           device UUIDs; for the pagination tests (S3 pages hold 1,000 entries)
"""

import argparse
import base64
import hashlib
import json
import os
import sys

try:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError
except ImportError:  # pragma: no cover
    sys.stderr.write(
        "s3_oracle: boto3 is not importable; run with the test venv's python "
        "(scripts/python-env.sh creates target/py-venv)\n"
    )
    sys.exit(2)

REGION = "us-east-1"


def client(endpoint):
    for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        os.environ.pop(k, None)
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(
            s3={"addressing_style": "path"},
            # Never let boto3 check or compute checksums on its own: the oracle must
            # report (and plant) exactly what the server holds.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            retries={"max_attempts": 2, "mode": "standard"},
        ),
    )


def head_fields(resp):
    return {
        "exists": True,
        "size": resp.get("ContentLength"),
        "content_type": resp.get("ContentType"),
        "checksum_sha256": resp.get("ChecksumSHA256"),
        "metadata": resp.get("Metadata", {}),
        "sse": resp.get("ServerSideEncryption"),
        "sse_kms_key_id": resp.get("SSEKMSKeyId"),
        "etag": (resp.get("ETag") or "").strip('"') or None,
        "version_id": resp.get("VersionId"),
        "delete_marker": bool(resp.get("DeleteMarker", False)),
    }


def version_kw(args):
    return {"VersionId": args.version_id} if getattr(args, "version_id", None) else {}


def cmd_create_bucket(s3, args):
    s3.create_bucket(Bucket=args.bucket)
    if args.versioned:
        s3.put_bucket_versioning(
            Bucket=args.bucket, VersioningConfiguration={"Status": "Enabled"}
        )
    if args.kms:
        s3.put_bucket_encryption(
            Bucket=args.bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": args.kms,
                        },
                        "BucketKeyEnabled": True,
                    }
                ]
            },
        )
    return {"bucket": args.bucket}


def cmd_put(s3, args):
    with open(args.file, "rb") as f:
        body = f.read()
    kw = {
        "Bucket": args.bucket,
        "Key": args.key,
        "Body": body,
        "ContentType": args.content_type,
    }
    if args.checksum_sha256:
        kw["ChecksumAlgorithm"] = "SHA256"
        kw["ChecksumSHA256"] = args.checksum_sha256
    if args.metadata:
        kw["Metadata"] = dict(m.split("=", 1) for m in args.metadata)
    resp = s3.put_object(**kw)
    return {"etag": (resp.get("ETag") or "").strip('"'), "version_id": resp.get("VersionId")}


def cmd_head(s3, args):
    try:
        resp = s3.head_object(
            Bucket=args.bucket, Key=args.key, ChecksumMode="ENABLED", **version_kw(args)
        )
    except ClientError as e:
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status in (404, 405):
            headers = e.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
            return {
                "exists": False,
                "delete_marker": headers.get("x-amz-delete-marker") == "true",
            }
        raise
    return head_fields(resp)


def cmd_get(s3, args):
    out = cmd_head(s3, args)
    if not out["exists"]:
        return out
    resp = s3.get_object(Bucket=args.bucket, Key=args.key, **version_kw(args))
    body = resp["Body"].read()
    out["body_b64"] = base64.b64encode(body).decode()
    out["body_sha256"] = hashlib.sha256(body).hexdigest()
    return out


def cmd_list(s3, args):
    out = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=args.bucket):
        for o in page.get("Contents", []):
            out.append({"key": o["Key"], "size": o["Size"]})
    return out


def cmd_list_versions(s3, args):
    versions, markers = [], []
    kw = {"Bucket": args.bucket}
    if args.prefix:
        kw["Prefix"] = args.prefix
    for page in s3.get_paginator("list_object_versions").paginate(**kw):
        for v in page.get("Versions", []):
            versions.append(
                {
                    "key": v["Key"],
                    "version_id": v["VersionId"],
                    "is_latest": v["IsLatest"],
                    "size": v["Size"],
                    "etag": v["ETag"].strip('"'),
                }
            )
        for m in page.get("DeleteMarkers", []):
            markers.append(
                {"key": m["Key"], "version_id": m["VersionId"], "is_latest": m["IsLatest"]}
            )
    return {"versions": versions, "delete_markers": markers}


def cmd_delete(s3, args):
    resp = s3.delete_object(Bucket=args.bucket, Key=args.key, **version_kw(args))
    return {
        "delete_marker": bool(resp.get("DeleteMarker", False)),
        "version_id": resp.get("VersionId"),
    }


def cmd_put_many(s3, args):
    body = b"x"
    if args.file:
        with open(args.file, "rb") as f:
            body = f.read()
    keys, version_ids = [], []
    for i in range(args.count):
        if args.key:
            key = args.key
        else:
            device = f"{i:08x}-0000-4000-8000-{i:012x}"
            key = f"{device}/backup.ffce" if args.devices == "nested" else device
        resp = s3.put_object(
            Bucket=args.bucket, Key=key, Body=body, ContentType="application/octet-stream"
        )
        keys.append(key)
        version_ids.append(resp.get("VersionId"))
    return {"keys": keys, "version_ids": version_ids}


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--endpoint", default=os.environ.get("FFCE_TEST_S3_ENDPOINT"))
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("create-bucket")
    p.add_argument("bucket")
    p.add_argument("--versioned", action="store_true")
    p.add_argument("--kms")
    p.set_defaults(fn=cmd_create_bucket)

    p = sub.add_parser("put")
    p.add_argument("bucket")
    p.add_argument("key")
    p.add_argument("file")
    p.add_argument("--checksum-sha256")
    p.add_argument("--metadata", action="append", default=[])
    p.add_argument("--content-type", default="application/octet-stream")
    p.set_defaults(fn=cmd_put)

    for name, fn in (("head", cmd_head), ("get", cmd_get), ("delete", cmd_delete)):
        p = sub.add_parser(name)
        p.add_argument("bucket")
        p.add_argument("key")
        p.add_argument("--version-id")
        p.set_defaults(fn=fn)

    p = sub.add_parser("put-many")
    p.add_argument("bucket")
    p.add_argument("count", type=int)
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--key")
    group.add_argument("--devices", choices=("nested", "flat"))
    p.add_argument("--file")
    p.set_defaults(fn=cmd_put_many)

    p = sub.add_parser("list")
    p.add_argument("bucket")
    p.set_defaults(fn=cmd_list)

    p = sub.add_parser("list-versions")
    p.add_argument("bucket")
    p.add_argument("--prefix")
    p.set_defaults(fn=cmd_list_versions)

    args = ap.parse_args()
    if not args.endpoint:
        sys.stderr.write("s3_oracle: no endpoint (--endpoint or FFCE_TEST_S3_ENDPOINT)\n")
        return 2
    try:
        result = args.fn(client(args.endpoint), args)
    except ClientError as e:
        err = e.response.get("Error", {})
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        sys.stderr.write(f"s3_oracle: {args.command}: HTTP {status} {err.get('Code')} {err.get('Message', '')}\n")
        return 1
    json.dump(result, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

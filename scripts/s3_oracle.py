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

Bucket-wide state (for the tests of bucket create/check/empty and audit):
    create-bucket BUCKET ... [--object-lock]   (object lock also enables versioning)
    put ... [--legal-hold]                      (a version that cannot be deleted)
    put-public-access-block BUCKET [--off SETTING]...
        -> {"bucket"}; all four settings on except each SETTING named (snake case:
           block_public_acls, ignore_public_acls, block_public_policy,
           restrict_public_buckets)
    put-versioning BUCKET Enabled|Suspended -> {"bucket"}
    put-encryption BUCKET ALGORITHM [--kms KEY_ID] -> {"bucket"}  (aws:kms, AES256)
    bucket-settings BUCKET
        -> {"exists", "public_access_block": {SETTING: bool} | null,
            "versioning": "Enabled" | "Suspended" | null,
            "encryption": {"algorithm", "kms_key_id", "bucket_key_enabled"} | null}
    put-files BUCKET KEY=FILE... -> [{"key", "version_id"}]; many plain puts in one
        process, in the order given (later ones make newer versions)
    create-multipart BUCKET KEY -> {"upload_id"}
    list-uploads BUCKET -> [{"key", "upload_id"}]
    count-versions BUCKET -> {"versions", "delete_markers", "uploads"}
    plant-fleet BUCKET COUNT [--threads N] [--bad-every K] [--strays S]
        -> {"devices", "strays", "expected": {audit totals}, "expected_verify": {...},
            "bad_keys": {key: reason}, "elapsed_seconds"}
           COUNT device backups `{uuid}/backup.ffce` from fixtures/vectors, uploaded
           from N threads: every K-th one (default 500) a malformed or oversize
           vector, the rest structurally valid ones; plus S stray keys. "expected" is
           what a keyless `ffce audit` must count, derived from fixtures/manifest.json
           (the fixtures' independent generator), not from ffce.
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


def client(endpoint, pool=10):
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
            max_pool_connections=pool,
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
    kw = {"ObjectLockEnabledForBucket": True} if args.object_lock else {}
    s3.create_bucket(Bucket=args.bucket, **kw)
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
    if args.legal_hold:
        kw["ObjectLockLegalHoldStatus"] = "ON"
        # Object lock requires a checksum (or Content-MD5); let boto3 compute one.
        kw.setdefault("ChecksumAlgorithm", "SHA256")
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


PAB_SETTINGS = {
    "block_public_acls": "BlockPublicAcls",
    "ignore_public_acls": "IgnorePublicAcls",
    "block_public_policy": "BlockPublicPolicy",
    "restrict_public_buckets": "RestrictPublicBuckets",
}


def cmd_put_public_access_block(s3, args):
    for off in args.off:
        if off not in PAB_SETTINGS:
            raise SystemExit(f"s3_oracle: unknown setting {off!r}")
    conf = {aws: name not in args.off for name, aws in PAB_SETTINGS.items()}
    s3.put_public_access_block(Bucket=args.bucket, PublicAccessBlockConfiguration=conf)
    return {"bucket": args.bucket}


def cmd_put_versioning(s3, args):
    s3.put_bucket_versioning(
        Bucket=args.bucket, VersioningConfiguration={"Status": args.status}
    )
    return {"bucket": args.bucket}


def cmd_put_encryption(s3, args):
    by_default = {"SSEAlgorithm": args.algorithm}
    if args.kms:
        by_default["KMSMasterKeyID"] = args.kms
    s3.put_bucket_encryption(
        Bucket=args.bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": by_default}]
        },
    )
    return {"bucket": args.bucket}


def _error_code(e):
    return e.response.get("Error", {}).get("Code")


def cmd_bucket_settings(s3, args):
    try:
        s3.head_bucket(Bucket=args.bucket)
    except ClientError as e:
        if e.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
            return {"exists": False}
        raise
    out = {"exists": True}
    try:
        conf = s3.get_public_access_block(Bucket=args.bucket)["PublicAccessBlockConfiguration"]
        out["public_access_block"] = {name: conf.get(aws) for name, aws in PAB_SETTINGS.items()}
    except ClientError as e:
        if _error_code(e) != "NoSuchPublicAccessBlockConfiguration":
            raise
        out["public_access_block"] = None
    out["versioning"] = s3.get_bucket_versioning(Bucket=args.bucket).get("Status")
    try:
        rules = s3.get_bucket_encryption(Bucket=args.bucket)[
            "ServerSideEncryptionConfiguration"
        ]["Rules"]
        rule = rules[0]
        by_default = rule.get("ApplyServerSideEncryptionByDefault", {})
        out["encryption"] = {
            "algorithm": by_default.get("SSEAlgorithm"),
            "kms_key_id": by_default.get("KMSMasterKeyID"),
            "bucket_key_enabled": rule.get("BucketKeyEnabled"),
        }
    except ClientError as e:
        if _error_code(e) != "ServerSideEncryptionConfigurationNotFoundError":
            raise
        out["encryption"] = None
    return out


def cmd_put_files(s3, args):
    out = []
    for pair in args.pairs:
        key, _, path = pair.partition("=")
        with open(path, "rb") as f:
            body = f.read()
        resp = s3.put_object(
            Bucket=args.bucket, Key=key, Body=body, ContentType="application/octet-stream"
        )
        out.append({"key": key, "version_id": resp.get("VersionId")})
    return out


def cmd_create_multipart(s3, args):
    resp = s3.create_multipart_upload(Bucket=args.bucket, Key=args.key)
    return {"upload_id": resp["UploadId"]}


def _uploads(s3, bucket):
    out, kw = [], {"Bucket": bucket}
    while True:
        page = s3.list_multipart_uploads(**kw)
        out += [{"key": u["Key"], "upload_id": u["UploadId"]} for u in page.get("Uploads", [])]
        if not page.get("IsTruncated") or not page.get("NextKeyMarker"):
            return out
        kw["KeyMarker"] = page["NextKeyMarker"]
        kw["UploadIdMarker"] = page.get("NextUploadIdMarker", "")


def cmd_list_uploads(s3, args):
    return _uploads(s3, args.bucket)


def cmd_count_versions(s3, args):
    versions = cmd_list_versions(s3, argparse.Namespace(bucket=args.bucket, prefix=None))
    return {
        "versions": len(versions["versions"]),
        "delete_markers": len(versions["delete_markers"]),
        "uploads": len(_uploads(s3, args.bucket)),
    }


FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
# Structurally valid backups (a keyless audit counts them valid; some fail to open).
GOOD_POOL = ["dexie-backup"] * 6 + [
    "not-dexie-backup", "binary-backup", "empty-backup", "one-byte-backup",
    "tag-flipped", "dexie-configfs",
]
# Every malformed vector, and the oversize one.
BAD_POOL = [
    "truncated-header", "empty-file", "bad-magic", "version-2", "version-0",
    "trailing-bytes", "truncated-body", "oversize-backup",
]
STRAY_KEYS = [
    "README.txt",
    "00000000-0000-4000-8000-00000000000A/backup.ffce",   # uppercase UUID
    "00000000-0000-4000-8000-00000000000b",                # the flat layout
    "00000000-0000-4000-8000-00000000000c/other.ffce",
    "logs/2024-01-01.txt",
]


def cmd_plant_fleet(s3, args):
    import concurrent.futures
    import time

    with open(os.path.join(FIXTURES, "manifest.json")) as f:
        manifest = {v["name"]: v for v in json.load(f)["vectors"]}
    blobs = {}
    for name in set(GOOD_POOL + BAD_POOL):
        with open(os.path.join(FIXTURES, manifest[name]["file"]), "rb") as f:
            blobs[name] = f.read()

    def verdict(name):
        """(audit reason or None, verify ok) from the manifest."""
        v = manifest[name]
        if v["structure"] != "ok":
            return v["structure"], False
        if v["upload"] == "too_large":
            return "too_large", True  # ffce verify warns, it does not fail
        return None, True

    plan = []
    bad_i = good_i = 0
    for i in range(args.count):
        key = f"{i:08x}-0000-4000-8000-{i:012x}/backup.ffce"
        if args.bad_every and i % args.bad_every == args.bad_every - 1:
            name = BAD_POOL[bad_i % len(BAD_POOL)]
            bad_i += 1
        else:
            name = GOOD_POOL[good_i % len(GOOD_POOL)]
            good_i += 1
        plan.append((key, name))
    strays = [(k, "README") for k in STRAY_KEYS[: args.strays]]

    expected = {"objects": 0, "bytes": 0, "valid": 0, "invalid": 0,
                "invalid_by_reason": {}, "stray": len(strays), "errors": 0, "gone": 0}
    expected_verify = {"files": 0, "ok": 0, "invalid": 0}
    bad_keys = {}
    for key, name in plan:
        reason, verify_ok = verdict(name)
        expected["objects"] += 1
        expected["bytes"] += len(blobs[name])
        expected_verify["files"] += 1
        expected_verify["ok" if verify_ok else "invalid"] += 1
        if reason is None:
            expected["valid"] += 1
        else:
            expected["invalid"] += 1
            by = expected["invalid_by_reason"]
            by[reason] = by.get(reason, 0) + 1
            bad_keys[key] = reason

    readme = open(os.path.join(FIXTURES, "README.md"), "rb").read()

    def put(item):
        key, name = item
        body = readme if name == "README" else blobs[name]
        s3.put_object(Bucket=args.bucket, Key=key, Body=body,
                      ContentType="application/octet-stream")

    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.threads) as pool:
        for _ in pool.map(put, plan + strays):
            pass
    return {
        "devices": len(plan),
        "strays": len(strays),
        "expected": expected,
        "expected_verify": expected_verify,
        "bad_keys": bad_keys,
        "elapsed_seconds": round(time.monotonic() - start, 3),
    }


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
    p.add_argument("--object-lock", action="store_true")
    p.set_defaults(fn=cmd_create_bucket)

    p = sub.add_parser("put")
    p.add_argument("bucket")
    p.add_argument("key")
    p.add_argument("file")
    p.add_argument("--checksum-sha256")
    p.add_argument("--metadata", action="append", default=[])
    p.add_argument("--content-type", default="application/octet-stream")
    p.add_argument("--legal-hold", action="store_true")
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

    p = sub.add_parser("put-public-access-block")
    p.add_argument("bucket")
    p.add_argument("--off", action="append", default=[])
    p.set_defaults(fn=cmd_put_public_access_block)

    p = sub.add_parser("put-versioning")
    p.add_argument("bucket")
    p.add_argument("status", choices=("Enabled", "Suspended"))
    p.set_defaults(fn=cmd_put_versioning)

    p = sub.add_parser("put-encryption")
    p.add_argument("bucket")
    p.add_argument("algorithm")
    p.add_argument("--kms")
    p.set_defaults(fn=cmd_put_encryption)

    for name, fn in (
        ("bucket-settings", cmd_bucket_settings),
        ("list-uploads", cmd_list_uploads),
        ("count-versions", cmd_count_versions),
    ):
        p = sub.add_parser(name)
        p.add_argument("bucket")
        p.set_defaults(fn=fn)

    p = sub.add_parser("put-files")
    p.add_argument("bucket")
    p.add_argument("pairs", nargs="+", metavar="KEY=FILE")
    p.set_defaults(fn=cmd_put_files)

    p = sub.add_parser("create-multipart")
    p.add_argument("bucket")
    p.add_argument("key")
    p.set_defaults(fn=cmd_create_multipart)

    p = sub.add_parser("plant-fleet")
    p.add_argument("bucket")
    p.add_argument("count", type=int)
    p.add_argument("--threads", type=int, default=16)
    p.add_argument("--bad-every", type=int, default=500)
    p.add_argument("--strays", type=int, default=len(STRAY_KEYS))
    p.set_defaults(fn=cmd_plant_fleet, pool=16)

    args = ap.parse_args()
    if not args.endpoint:
        sys.stderr.write("s3_oracle: no endpoint (--endpoint or FFCE_TEST_S3_ENDPOINT)\n")
        return 2
    try:
        pool = max(10, getattr(args, "threads", 0))
        result = args.fn(client(args.endpoint, pool=pool), args)
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

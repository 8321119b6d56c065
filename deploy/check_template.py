#!/usr/bin/env python3
"""Checks deploy/s3-device-backups.yaml against the provisioning spec (docs/SPEC.md §5).

cfn-lint checks that the template is valid CloudFormation; this script checks that it
is *our* bucket: parameter BucketName, all four public-access-block settings on,
versioning enabled, default encryption aws:kms, DeletionPolicy and UpdateReplacePolicy
Retain, and outputs for the bucket name and ARN. It parses the template with cfn-lint's
own decoder (the same reading CloudFormation gives it) and prints one line per check,
then "N passed, N failed"; it exits non-zero if any check fails.

Usage: python deploy/check_template.py [TEMPLATE]
"""

import sys
from pathlib import Path

from cfnlint.decode import decode

HERE = Path(__file__).resolve().parent


def checks(t):
    res = t.get("Resources", {})
    buckets = [r for r in res.values() if r.get("Type") == "AWS::S3::Bucket"]
    yield "exactly one bucket", len(buckets) == 1
    b = buckets[0] if buckets else {}
    p = b.get("Properties", {})
    yield "parameter BucketName is a String", t.get("Parameters", {}).get("BucketName", {}).get("Type") == "String"
    yield "bucket name comes from BucketName", p.get("BucketName") == {"Ref": "BucketName"}
    pab = p.get("PublicAccessBlockConfiguration", {})
    for flag in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"):
        yield f"public access block {flag}", pab.get(flag) is True
    yield "versioning enabled", p.get("VersioningConfiguration", {}).get("Status") == "Enabled"
    rules = p.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", [])
    yield "default encryption aws:kms", any(
        r.get("ServerSideEncryptionByDefault", {}).get("SSEAlgorithm") == "aws:kms" for r in rules
    )
    yield "DeletionPolicy Retain", b.get("DeletionPolicy") == "Retain"
    yield "UpdateReplacePolicy Retain", b.get("UpdateReplacePolicy") == "Retain"
    outputs = t.get("Outputs", {})
    yield "output BucketName", "BucketName" in outputs
    yield "output BucketArn uses GetAtt Arn", "Arn" in str(outputs.get("BucketArn", {}).get("Value"))


MUTATIONS = {
    "versioning suspended": lambda b: b["Properties"]["VersioningConfiguration"].update(Status="Suspended"),
    "one public-access flag off": lambda b: b["Properties"]["PublicAccessBlockConfiguration"].update(
        RestrictPublicBuckets=False
    ),
    "AES256 instead of KMS": lambda b: b["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"
    ].update(SSEAlgorithm="AES256"),
    "no DeletionPolicy": lambda b: b.pop("DeletionPolicy"),
    "UpdateReplacePolicy Delete": lambda b: b.update(UpdateReplacePolicy="Delete"),
}


def self_test(template):
    """Each mutation of the real template must make at least one check fail."""
    import copy

    passed = failed = 0
    for name, mutate in MUTATIONS.items():
        t = copy.deepcopy(template)
        mutate(t["Resources"]["DeviceBackupsBucket"])
        caught = not all(ok for _, ok in checks(t))
        print(f"{'PASS' if caught else 'FAIL'} self-test: {name} is caught")
        passed += caught
        failed += not caught
    return passed, failed


def main():
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "s3-device-backups.yaml"
    template, matches = decode(str(path))
    if template is None:
        for m in matches:
            print(f"parse error: {m}")
        print("0 passed, 1 failed")
        return 1
    passed = failed = 0
    for name, ok in checks(template):
        print(f"{'PASS' if ok else 'FAIL'} {name}")
        passed += ok
        failed += not ok
    p2, f2 = self_test(template)
    passed += p2
    failed += f2
    print(f"template: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Checks deploy/backup-api.yaml: the device API's functions and their least-privilege roles.

cfn-lint checks that the template is valid CloudFormation and SAM; this script checks that
it is *our* API (docs/SPEC.md §7): three functions (POST, GET, DELETE /devices/{uuid}/backup)
on one HTTP API with payload format 2.0, each on provided.al2023 / arm64 / bootstrap with
256 MB and 15 s like the Python functions, the environment the binary reads, BACKUP_KEY_LAYOUT
limited to nested|flat, the nonce table (on demand, key `id`, TTL on `expires_at`; its name
always given to the functions, so that replayed requests are always refused), and ONE IAM
role per route that allows exactly the actions its handler calls on exactly the bucket's
objects, the device table, the nonce table (dynamodb:PutItem alone) and (only when the
bucket has a customer managed key) that key: never a `*` action or a `*` resource.

A role's statements may use Fn::If on the template's conditions; every statement is
checked with each condition true and false, so a KMS grant cannot hide in either branch.
Like check_template.py it parses with cfn-lint's decoder, prints one line per check, then
mutates the template in ways that must be caught (self-test), and exits non-zero if any
check fails.

Usage: python deploy/check_api_template.py [TEMPLATE]
"""

import copy
import itertools
import sys
from pathlib import Path

from cfnlint.decode import decode

HERE = Path(__file__).resolve().parent

PATH = "/devices/{uuid}/backup"
BUCKET_OBJECTS = {"Fn::Sub": "arn:${AWS::Partition}:s3:::${BackupBucketName}/*"}
TABLE = {"Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${DevicesTableName}"}
KMS_KEY = {"Ref": "BackupBucketKmsKeyArn"}
NONCES = {"Fn::GetAtt": ["NoncesTable", "Arn"]}
NONCES_ACTIONS = {"dynamodb:PutItem"}
BASIC_LOGGING = {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}
DYNAMODB = {"dynamodb:GetItem", "dynamodb:UpdateItem"}

# Per route: the exact actions on each resource, without and with a customer managed key.
EXPECTED = {
    "POST": {"s3": {"s3:PutObject", "s3:GetObject"}, "kms": {"kms:GenerateDataKey", "kms:Decrypt"}},
    "GET": {"s3": {"s3:GetObject"}, "kms": {"kms:Decrypt"}},
    "DELETE": {"s3": {"s3:DeleteObject"}, "kms": set()},
}
ENVIRONMENT = {
    "S3_BACKUP_BUCKET_NAME": {"Ref": "BackupBucketName"},
    "DYNAMODB_DEVICES_TABLE_NAME": {"Ref": "DevicesTableName"},
    "BACKUP_KEY_LAYOUT": {"Ref": "BackupKeyLayout"},
    "DYNAMODB_NONCES_TABLE_NAME": {"Ref": "NoncesTable"},
}
NONCES_TABLE = {
    "BillingMode": "PAY_PER_REQUEST",
    "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
    "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
}


def merged(globals_, props):
    """A function's effective properties: SAM's Globals.Function under its own."""
    out = copy.deepcopy(globals_)
    for k, v in props.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merged(out[k], v)
        else:
            out[k] = v
    return out


def as_list(v):
    return v if isinstance(v, list) else [v]


def resolve(node, conds):
    """Evaluates Fn::If with the given condition values; AWS::NoValue disappears (None)."""
    if isinstance(node, dict):
        if set(node) == {"Fn::If"}:
            name, yes, no = node["Fn::If"]
            return resolve(yes if conds[name] else no, conds)
        if node == {"Ref": "AWS::NoValue"}:
            return None
        return {k: r for k, v in node.items() if (r := resolve(v, conds)) is not None}
    if isinstance(node, list):
        return [r for v in node if (r := resolve(v, conds)) is not None]
    return node


def role_grants(role, conds):
    """[(effect, actions, resources, statement)] of a role's inline policies, resolved."""
    grants = []
    for policy in resolve(role.get("Properties", {}).get("Policies", []), conds):
        for st in as_list(policy.get("PolicyDocument", {}).get("Statement", [])):
            actions = [a for a in as_list(st.get("Action", [])) if a is not None]
            resources = as_list(st.get("Resource", []))
            grants.append((st.get("Effect"), actions, resources, st))
    return grants


def route_of(fn):
    events = fn.get("Events", {})
    http = [e.get("Properties", {}) for e in events.values() if e.get("Type") == "HttpApi"]
    return events, http


def checks(t):
    res = t.get("Resources", {})
    params = t.get("Parameters", {})
    yield "SAM transform", t.get("Transform") == "AWS::Serverless-2016-10-31"
    for p in ("BackupBucketName", "DevicesTableName", "BackupKeyLayout", "BackupBucketKmsKeyArn"):
        yield f"parameter {p} is a String", params.get(p, {}).get("Type") == "String"
    layout = params.get("BackupKeyLayout", {})
    yield "BackupKeyLayout allows exactly nested and flat", sorted(layout.get("AllowedValues", [])) == ["flat", "nested"]
    yield "BackupKeyLayout defaults to nested", layout.get("Default") == "nested"

    tables = [n for n, r in res.items() if r.get("Type") == "AWS::DynamoDB::Table"]
    yield "exactly one table, NoncesTable", tables == ["NoncesTable"]
    nonces = res.get("NoncesTable", {}).get("Properties", {})
    yield "NoncesTable: on demand, string key id, TTL on expires_at, nothing else", nonces == NONCES_TABLE

    apis = [n for n, r in res.items() if r.get("Type") == "AWS::Serverless::HttpApi"]
    yield "exactly one HttpApi", len(apis) == 1
    api = apis[0] if apis else None
    fns = {n: r for n, r in res.items() if r.get("Type") == "AWS::Serverless::Function"}
    yield "exactly three functions", len(fns) == 3

    glob = t.get("Globals", {}).get("Function", {})
    conditions = sorted(t.get("Conditions", {}))
    roles_seen = {}
    methods = []
    for name, r in sorted(fns.items()):
        p = merged(glob, r.get("Properties", {}))
        yield f"{name}: runtime provided.al2023", p.get("Runtime") == "provided.al2023"
        yield f"{name}: architectures [arm64]", p.get("Architectures") == ["arm64"]
        yield f"{name}: handler bootstrap", p.get("Handler") == "bootstrap"
        yield f"{name}: 256 MB", p.get("MemorySize") == 256
        yield f"{name}: 15 s timeout", p.get("Timeout") == 15
        yield f"{name}: CodeUri is the built bootstrap folder", p.get("CodeUri") == "../target/lambda/ffce-backup-api/"
        env = p.get("Environment", {}).get("Variables", {})
        yield f"{name}: environment is exactly {sorted(ENVIRONMENT)}", env == ENVIRONMENT
        events, http = route_of(p)
        yield f"{name}: exactly one event, an HttpApi one", len(events) == 1 and len(http) == 1
        e = http[0] if http else {}
        method = str(e.get("Method", "")).upper()
        methods.append(method)
        yield f"{name}: path {PATH}", e.get("Path") == PATH
        yield f"{name}: on the one HttpApi", api is not None and e.get("ApiId") == {"Ref": api}
        yield f"{name}: payload format 2.0", e.get("PayloadFormatVersion") == "2.0"
        yield f"{name}: no SAM policy templates (the role is explicit)", "Policies" not in p

        role_ref = p.get("Role")
        role_name = role_ref.get("Fn::GetAtt", [None])[0] if isinstance(role_ref, dict) else None
        role = res.get(role_name, {})
        yield f"{name}: role is an AWS::IAM::Role of this template", role.get("Type") == "AWS::IAM::Role"
        yield f"{name}: role is its own", role_name is not None and role_name not in roles_seen
        roles_seen[role_name] = name
        rp = role.get("Properties", {})
        trust = as_list(rp.get("AssumeRolePolicyDocument", {}).get("Statement", []))
        yield f"{name}: role trusts lambda.amazonaws.com only", trust == [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ]
        yield f"{name}: managed policy is the basic logging one only", rp.get("ManagedPolicyArns") == [BASIC_LOGGING]
        want = EXPECTED.get(method)
        yield f"{name}: method {method} is one of POST, GET, DELETE", want is not None
        if want is None:
            continue
        for values in itertools.product([False, True], repeat=len(conditions)):
            conds = dict(zip(conditions, values))
            with_key = conds.get("HasBucketKmsKey", False)
            label = f"{name} ({'customer managed key' if with_key else 'aws/s3 key'})"
            grants = role_grants(role, conds)
            actions = [a for _, acts, _, _ in grants for a in acts]
            yield f"{label}: only Allow statements with Action and Resource", all(
                eff == "Allow" and acts and ress and set(st) <= {"Effect", "Action", "Resource", "Sid"}
                for eff, acts, ress, st in grants
            )
            yield f"{label}: no wildcard action", all(isinstance(a, str) and "*" not in a for a in actions)
            yield f"{label}: no `*` resource", all(r != "*" for _, _, ress, _ in grants for r in ress)
            by_resource = {"s3": set(), "dynamodb": set(), "nonces": set(), "kms": set(), "other": set()}
            kinds = {str(BUCKET_OBJECTS): ("s3", "s3"), str(TABLE): ("dynamodb", "dynamodb"),
                     str(NONCES): ("nonces", "dynamodb"), str(KMS_KEY): ("kms", "kms")}
            for _, acts, ress, _ in grants:
                for a in acts:
                    for r in ress:
                        kind, service = kinds.get(str(r), ("other", None))
                        # An action is only counted where its own service's resource is.
                        if service is None or not str(a).startswith(service + ":"):
                            kind = "other"
                        by_resource[kind].add(a)
            yield f"{label}: exactly {sorted(want['s3'])} on the bucket's objects", by_resource["s3"] == want["s3"]
            yield f"{label}: exactly {sorted(DYNAMODB)} on the device table", by_resource["dynamodb"] == DYNAMODB
            yield f"{label}: exactly {sorted(NONCES_ACTIONS)} on the nonce table", by_resource["nonces"] == NONCES_ACTIONS
            kms_want = want["kms"] if with_key else set()
            yield f"{label}: exactly {sorted(kms_want)} on the bucket's key", by_resource["kms"] == kms_want
            yield f"{label}: nothing else", not by_resource["other"]
    yield "the three routes are POST, GET and DELETE", sorted(methods) == ["DELETE", "GET", "POST"]


def role_of(t, method):
    for r in t["Resources"].values():
        if r.get("Type") != "AWS::Serverless::Function":
            continue
        ev = next(iter(r["Properties"]["Events"].values()))
        if ev["Properties"]["Method"] == method:
            return r, t["Resources"][r["Properties"]["Role"]["Fn::GetAtt"][0]]
    raise KeyError(method)


def statements(role):
    return role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]


MUTATIONS = {
    "Python runtime": lambda t: t["Globals"]["Function"].update(Runtime="python3.13"),
    "x86_64": lambda t: t["Globals"]["Function"].update(Architectures=["x86_64"]),
    "128 MB": lambda t: role_of(t, "GET")[0]["Properties"].update(MemorySize=128),
    "flat default layout": lambda t: t["Parameters"]["BackupKeyLayout"].update(Default="flat"),
    "a third layout value": lambda t: t["Parameters"]["BackupKeyLayout"]["AllowedValues"].append("both"),
    "payload format 1.0": lambda t: next(iter(role_of(t, "POST")[0]["Properties"]["Events"].values()))[
        "Properties"
    ].update(PayloadFormatVersion="1.0"),
    "GET and DELETE share a role": lambda t: role_of(t, "DELETE")[0]["Properties"].update(
        Role=role_of(t, "GET")[0]["Properties"]["Role"]
    ),
    "GET may also list the bucket": lambda t: statements(role_of(t, "GET")[1])[0]["Action"].append("s3:ListBucket"),
    "DELETE may also put": lambda t: statements(role_of(t, "DELETE")[1])[0]["Action"].append("s3:PutObject"),
    "POST lacks GetObject": lambda t: statements(role_of(t, "POST")[1])[0]["Action"].remove("s3:GetObject"),
    "s3:* on GET": lambda t: statements(role_of(t, "GET")[1])[0].update(Action=["s3:*"]),
    "`*` resource on DELETE's table grant": lambda t: statements(role_of(t, "DELETE")[1])[1].update(Resource="*"),
    "DynamoDB actions on the bucket": lambda t: statements(role_of(t, "POST")[1])[1].update(Resource=BUCKET_OBJECTS),
    "POST lacks UpdateItem": lambda t: statements(role_of(t, "POST")[1])[1]["Action"].remove("dynamodb:UpdateItem"),
    "DELETE gets kms:Decrypt": lambda t: statements(role_of(t, "DELETE")[1]).append(
        {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": KMS_KEY}
    ),
    "GET's KMS grant unconditional": lambda t: statements(role_of(t, "GET")[1]).__setitem__(
        3, statements(role_of(t, "GET")[1])[3]["Fn::If"][1]
    ),
    "POST's KMS grant is Decrypt": lambda t: statements(role_of(t, "POST")[1])[3]["Fn::If"][1].update(
        Action=["kms:Decrypt"]
    ),
    "an S3 grant in the else branch of GET's KMS Fn::If": lambda t: statements(role_of(t, "GET")[1])[3]["Fn::If"].__setitem__(
        2, {"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": BUCKET_OBJECTS}
    ),
    "no DYNAMODB_NONCES_TABLE_NAME": lambda t: t["Globals"]["Function"]["Environment"]["Variables"].pop(
        "DYNAMODB_NONCES_TABLE_NAME"
    ),
    "the nonce table provisioned": lambda t: t["Resources"]["NoncesTable"]["Properties"].update(
        BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
    ),
    "the nonce table without TTL": lambda t: t["Resources"]["NoncesTable"]["Properties"].pop("TimeToLiveSpecification"),
    "TTL on another attribute": lambda t: t["Resources"]["NoncesTable"]["Properties"]["TimeToLiveSpecification"].update(
        AttributeName="ttl"
    ),
    "GET lacks the nonce grant": lambda t: statements(role_of(t, "GET")[1]).pop(2),
    "DELETE may also read the nonce table": lambda t: statements(role_of(t, "DELETE")[1])[2]["Action"].append(
        "dynamodb:GetItem"
    ),
    "the nonce grant on every table": lambda t: statements(role_of(t, "POST")[1])[2].update(
        Resource={"Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/*"}
    ),
    "PutItem on the device table": lambda t: statements(role_of(t, "POST")[1])[1]["Action"].append("dynamodb:PutItem"),
    "a second table": lambda t: t["Resources"].update(Extra=copy.deepcopy(t["Resources"]["NoncesTable"])),
    "a fourth function": lambda t: t["Resources"].update(Extra=copy.deepcopy(role_of(t, "GET")[0])),
    "no BACKUP_KEY_LAYOUT": lambda t: t["Globals"]["Function"]["Environment"]["Variables"].pop("BACKUP_KEY_LAYOUT"),
    "AdministratorAccess on POST": lambda t: role_of(t, "POST")[1]["Properties"]["ManagedPolicyArns"].append(
        "arn:aws:iam::aws:policy/AdministratorAccess"
    ),
}


def self_test(template):
    """Each mutation of the real template must make at least one check fail."""
    passed = failed = 0
    for name, mutate in MUTATIONS.items():
        t = copy.deepcopy(template)
        mutate(t)
        caught = not all(ok for _, ok in checks(t))
        print(f"{'PASS' if caught else 'FAIL'} self-test: {name} is caught")
        passed += caught
        failed += not caught
    return passed, failed


def main():
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "backup-api.yaml"
    template, matches = decode(str(path))
    if template is None:
        for m in matches:
            print(f"parse error: {m}")
        print("0 passed, 1 failed")
        return 1
    # cfn-lint's decoder gives dict/str subclasses that carry line marks; plain types
    # make the comparisons above (and deepcopy) behave like on any parsed YAML.
    import json

    template = json.loads(json.dumps(template))
    passed = failed = 0
    for name, ok in checks(template):
        print(f"{'PASS' if ok else 'FAIL'} {name}")
        passed += ok
        failed += not ok
    p2, f2 = self_test(template)
    passed += p2
    failed += f2
    print(f"api template: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

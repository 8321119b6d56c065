#!/usr/bin/env python3
"""The device table of the backup API (docs/SPEC.md §7) on a DynamoDB endpoint: create it,
register a device, read a device's item; and the API's nonce table, which makes each
signed request good once. For the local test server (moto) and for registering a test
device by hand; it writes exactly what the API reads: key `uuid` (string), attribute
`public_key` (standard base64 of the 65-byte uncompressed P-256 point, as `ffce api
keygen` prints it). The nonce table has the string key `id` and TTL on the number
attribute `expires_at`, as deploy/backup-api.yaml creates it.

Usage:
    scripts/device_table.py [--endpoint URL] create TABLE
    scripts/device_table.py [--endpoint URL] create-nonces TABLE
    scripts/device_table.py [--endpoint URL] register TABLE UUID PUBLIC_KEY_B64
    scripts/device_table.py [--endpoint URL] get TABLE UUID

The endpoint: --endpoint, else AWS_ENDPOINT_URL, else FFCE_TEST_S3_ENDPOINT (moto serves
S3 and DynamoDB on one port), else AWS's own. Credentials and region come from the usual
AWS variables; for a local endpoint without them, dummy ones (test/test, us-east-1) are
used. Prints one JSON value: the table name, the registered item, or the item read
(`null` when the device has none). Exits 1 with the error on failure.
"""

import argparse
import json
import os
import sys

import boto3


def client(endpoint):
    kwargs = {}
    if endpoint:
        kwargs["endpoint_url"] = endpoint
        local = endpoint.startswith("http://127.") or endpoint.startswith("http://localhost")
        if local and not os.environ.get("AWS_ACCESS_KEY_ID"):
            kwargs.update(aws_access_key_id="test", aws_secret_access_key="test")
    # boto3 reads AWS_DEFAULT_REGION only; the Rust SDK (the API) reads AWS_REGION.
    kwargs["region_name"] = (os.environ.get("AWS_REGION")
                             or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")
    return boto3.client("dynamodb", **kwargs)


def plain(item):
    """A DynamoDB item with string attributes as a plain JSON object."""
    if item is None:
        return None
    return {name: next(iter(value.values())) for name, value in item.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", default=os.environ.get("AWS_ENDPOINT_URL")
                        or os.environ.get("FFCE_TEST_S3_ENDPOINT"))
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create", help="create the table (key uuid, string)")
    create.add_argument("table")
    nonces = sub.add_parser("create-nonces", help="create the nonce table (key id, TTL on expires_at)")
    nonces.add_argument("table")
    register = sub.add_parser("register", help="put a device with its public key")
    register.add_argument("table")
    register.add_argument("uuid")
    register.add_argument("public_key")
    get = sub.add_parser("get", help="print a device's item (null when absent)")
    get.add_argument("table")
    get.add_argument("uuid")
    args = parser.parse_args()

    dynamodb = client(args.endpoint)
    try:
        if args.command == "create":
            dynamodb.create_table(
                TableName=args.table,
                KeySchema=[{"AttributeName": "uuid", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "uuid", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
            dynamodb.get_waiter("table_exists").wait(TableName=args.table)
            result = args.table
        elif args.command == "create-nonces":
            dynamodb.create_table(
                TableName=args.table,
                KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
            dynamodb.get_waiter("table_exists").wait(TableName=args.table)
            dynamodb.update_time_to_live(
                TableName=args.table,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
            )
            result = args.table
        elif args.command == "register":
            item = {"uuid": {"S": args.uuid}, "public_key": {"S": args.public_key}}
            dynamodb.put_item(TableName=args.table, Item=item)
            result = plain(item)
        else:
            answer = dynamodb.get_item(
                TableName=args.table, Key={"uuid": {"S": args.uuid}}, ConsistentRead=True
            )
            result = plain(answer.get("Item"))
    except Exception as e:  # noqa: BLE001 - one line for the caller, whatever failed
        sys.exit(f"device_table {args.command}: {e}")
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

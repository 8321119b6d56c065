#!/usr/bin/env bash
# The whole test suite, on a fresh machine or a developer's: builds the pinned Python
# virtualenv (moto, boto3, cryptography), starts moto's S3 server on loopback, checks the
# fixtures against their independent generator, runs every Rust test (unit, integration
# against the real server, the device API against `ffce-backup-api`, doc tests), runs the
# README's device path end to end (scripts/device-path.sh) and every other sh block of the
# README (scripts/readme-blocks.sh), and stops the server again.
#
# The S3 tests never skip: if the server cannot start, this script fails.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=$(scripts/python-env.sh)
export FFCE_TEST_PYTHON="$venv/bin/python"

echo "== fixtures: regenerate with Python cryptography and compare" >&2
"$FFCE_TEST_PYTHON" fixtures/generate.py --check
"$FFCE_TEST_PYTHON" fixtures/exports.py --check

echo "== deploy templates: cfn-lint, the provisioning and the device API checks" >&2
"$venv/bin/cfn-lint" deploy/s3-device-backups.yaml deploy/backup-api.yaml
"$FFCE_TEST_PYTHON" deploy/check_template.py
"$FFCE_TEST_PYTHON" deploy/check_api_template.py

echo "== S3 test server (moto) on loopback" >&2
server_env=$(scripts/s3-server.sh start)
export "${server_env?}"
trap 'scripts/s3-server.sh stop >/dev/null 2>&1 || true' EXIT
echo "   $FFCE_TEST_S3_ENDPOINT" >&2

echo "== fault-injecting proxy self-test (boto3 through the proxy)" >&2
"$FFCE_TEST_PYTHON" scripts/fault_proxy_selftest.py

# Every binary first: the device API tests (ffce-cli/tests/device_api.rs) run
# `ffce-backup-api --listen` from the target folder, beside `ffce`; moto above serves
# their DynamoDB device tables on the same endpoint as S3.
echo "== cargo build --workspace --bins" >&2
cargo build --workspace --bins --locked

echo "== cargo test --workspace" >&2
cargo test --workspace --locked "$@"

# ffce-core's optional ring backend must pass the same suite (Wycheproof included).
echo "== cargo test -p ffce-core --features ring" >&2
cargo test -p ffce-core --features ring --locked "$@"

# The README's "device path, end to end", command by command, on its own moto and API
# servers: the walkthrough cannot rot unnoticed. The binaries are built above.
echo "== scripts/device-path.sh (the README's device path)" >&2
FFCE_VENV="$venv" FFCE_DEVICE_PATH_NO_BUILD=1 scripts/device-path.sh >/dev/null

# Every other ```sh block of the README, each on its own moto server; a block that cannot
# run here is marked so in the README (scripts/readme-blocks.sh says how).
echo "== scripts/readme-blocks.sh (every sh block of the README)" >&2
FFCE_VENV="$venv" FFCE_README_NO_BUILD=1 scripts/readme-blocks.sh

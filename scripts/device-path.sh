#!/usr/bin/env bash
# The device path, end to end, on loopback with no AWS account: a test device posts its
# sealed backup through the device backup API (`ffce-backup-api --listen`), a support
# engineer reads it straight from the bucket with `ffce get`, the device reads it back
# through the API, posts it again unchanged (304: nothing written), deletes it, and finds
# it gone (exit 3).
#
# It starts its own moto server (S3 and DynamoDB on one loopback port) and its own API
# server on 127.0.0.1, and stops both on exit. Each command is printed before it runs, as
# the README's "The device path, end to end" shows them; any unexpected output or exit
# code stops the script with an error.
#
# The keys are test keys: the master secret is 32 bytes of 0x11 (the fixtures' key), the
# device key pair is made fresh by `ffce api keygen`. Never a real device's.
#
# Environment: FFCE_VENV, FFCE_PYTHON (passed to scripts/python-env.sh);
# FFCE_DEVICE_PATH_NO_BUILD=1 skips the cargo build (scripts/test.sh has built already).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

# The failing step's command goes with the message: scripts/test.sh hides the steps.
last_step=
die() {
    printf '\ndevice-path: FAILED: %s\n' "$*" >&2
    [[ -z "$last_step" ]] || printf 'device-path: in the step: $ %s\n' "$last_step" >&2
    exit 1
}

if [[ -z "${FFCE_DEVICE_PATH_NO_BUILD:-}" ]]; then
    cargo build --quiet --locked -p ffce-cli -p ffce-lambda
fi
[[ -x target/debug/ffce && -x target/debug/ffce-backup-api ]] ||
    die "target/debug/ffce or target/debug/ffce-backup-api is missing (cargo build -p ffce-cli -p ffce-lambda)"
venv=$(scripts/python-env.sh)
export FFCE_VENV="$venv"
python="$venv/bin/python"

work=$(mktemp -d)
api_pid=
cleanup() {
    if [[ -n "$api_pid" ]]; then
        kill "$api_pid" 2>/dev/null || true
        wait "$api_pid" 2>/dev/null || true
    fi
    FFCE_S3_STATE_DIR="$work/moto" "$repo/scripts/s3-server.sh" stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

# The commands below run as a newcomer types them: `ffce` on the PATH, in a fresh folder,
# with the AWS settings of the local server in the environment. Nothing from the caller's
# own AWS configuration may leak in.
export PATH="$repo/target/debug:$venv/bin:$PATH"
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL_S3 \
    AWS_ENDPOINT_URL_DYNAMODB AWS_DEFAULT_REGION AWS_LAMBDA_RUNTIME_API \
    FFCE_BUCKET FFCE_DIR FFCE_MASTER_KEY FFCE_KEY FFCE_API_URL FFCE_DEVICE_KEY \
    S3_BACKUP_BUCKET_NAME DYNAMODB_DEVICES_TABLE_NAME DYNAMODB_NONCES_TABLE_NAME BACKUP_KEY_LAYOUT
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 \
    AWS_EC2_METADATA_DISABLED=true \
    AWS_CONFIG_FILE=/nonexistent/ffce-device-path/config \
    AWS_SHARED_CREDENTIALS_FILE=/nonexistent/ffce-device-path/credentials \
    NO_COLOR=1

mkdir "$work/moto" "$work/device"
server_env=$(FFCE_S3_STATE_DIR="$work/moto" scripts/s3-server.sh start)
export "${server_env?}"
endpoint=$FFCE_TEST_S3_ENDPOINT
cd "$work/device"

# step CMD...: print the command as typed (the endpoint as $AWS_ENDPOINT_URL, the clone as
# $repo, the device and the etag as $DEVICE and $ETAG), run it,
# keep its stdout in $out (also printed) and its exit code in $code.
out=
code=0
step() {
    local shown="$*"
    shown=${shown//"$endpoint"/\$AWS_ENDPOINT_URL}
    shown=${shown//"$repo"/\$repo}
    shown=${shown//"$device"/\$DEVICE}
    [[ -z "$etag" ]] || shown=${shown//"$etag"/\$ETAG}
    last_step=$shown
    printf '\n$ %s\n' "$shown"
    set +e
    out=$("$@" 2>"$work/stderr.txt")
    code=$?
    set -e
    [[ -z "$out" ]] || printf '%s\n' "$out"
    [[ ! -s "$work/stderr.txt" ]] || cat "$work/stderr.txt" >&2
    [[ "$code" == 0 ]] || printf '[exit %s]\n' "$code"
}
# shell_step 'LINE': the same for a line with pipes or redirections, run by bash as typed
# (with $repo and $DEVICE set as the README sets them).
shell_step() {
    last_step=$1
    printf '\n$ %s\n' "$1"
    set +e
    out=$(repo=$repo DEVICE=$device bash -c "set -o pipefail; $1" 2>"$work/stderr.txt")
    code=$?
    set -e
    [[ -z "$out" ]] || printf '%s\n' "$out"
    [[ ! -s "$work/stderr.txt" ]] || cat "$work/stderr.txt" >&2
    [[ "$code" == 0 ]] || printf '[exit %s]\n' "$code"
}
expect_code() { [[ "$code" == "$1" ]] || die "exit code $code, expected $1"; }
expect_out() { [[ "$out" == *"$1"* ]] || die "the output does not say: $1"; }
expect_err() { grep -qF -- "$1" "$work/stderr.txt" || die "stderr does not say: $1"; }

device=3f2504e0-4f89-41d3-9a0c-0305e82c3301
etag=
bucket=device-backups
table=devices
nonces=nonces
export AWS_ENDPOINT_URL=$endpoint
printf 'moto (S3 and DynamoDB): AWS_ENDPOINT_URL=%s\n' "$endpoint"

# The cloud side: a bucket as provisioned, the device table, the nonce table (each signed
# request is good once), the API on loopback.
step ffce bucket create --bucket "$bucket"
expect_code 0
step python "$repo/scripts/device_table.py" create "$table"
expect_code 0
expect_out "\"$table\""
step python "$repo/scripts/device_table.py" create-nonces "$nonces"
expect_code 0
expect_out "\"$nonces\""

api_port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
last_step="S3_BACKUP_BUCKET_NAME=$bucket DYNAMODB_DEVICES_TABLE_NAME=$table DYNAMODB_NONCES_TABLE_NAME=$nonces ffce-backup-api --listen 127.0.0.1:$api_port >api.log 2>&1 &"
printf '\n$ %s\n' "$last_step"
S3_BACKUP_BUCKET_NAME=$bucket DYNAMODB_DEVICES_TABLE_NAME=$table DYNAMODB_NONCES_TABLE_NAME=$nonces \
    ffce-backup-api --listen "127.0.0.1:$api_port" >api.log 2>&1 &
api_pid=$!
ready=
for _ in $(seq 100); do
    kill -0 "$api_pid" 2>/dev/null || die "ffce-backup-api exited: $(cat api.log)"
    if "$python" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' \
        "$api_port" 2>/dev/null; then
        ready=1
        break
    fi
    sleep 0.1
done
[[ -n "$ready" ]] || die "ffce-backup-api did not listen on 127.0.0.1:$api_port within 10 s"
export FFCE_API_URL="http://127.0.0.1:$api_port" FFCE_DEVICE_KEY=device.pem
printf '$ export FFCE_API_URL=%s FFCE_DEVICE_KEY=device.pem\n' "$FFCE_API_URL"

# The device: a key pair, registered in the table by its public key.
shell_step 'ffce api keygen -o device.pem | tee device.pub'
expect_code 0
public_key=$out
[[ "$public_key" =~ ^B[A-Za-z0-9+/]{86}=$ ]] ||
    die "keygen did not print a base64 65-byte public key: $public_key"
printf '\n$ DEVICE=%s\n' "$device"
shell_step "python \$repo/scripts/device_table.py register $table \$DEVICE \$(cat device.pub)"
expect_code 0
expect_out "\"public_key\": \"$public_key\""

# The device's backup: a Dexie export, sealed with its master key and posted.
step cp "$repo/fixtures/plaintexts/dexie-config.json" backup.json
expect_code 0
shell_step '(umask 077; printf %064d 0 | tr 0 1 >master.key)    # a test master secret: 32 bytes of 0x11'
expect_code 0
step ffce api post --encrypt --master-key-file master.key "$device" backup.json
expect_code 0
etag=$(sha256sum backup.json | cut -d' ' -f1)
expect_out "etag      $etag"
printf '\n$ ETAG=$(sha256sum backup.json | cut -d" " -f1)\n'

# The support engineer's view: the object in the bucket, decrypted, is the same JSON.
step ffce get --bucket "$bucket" --decrypt --master-key-file master.key "$device" -o restored.json
expect_code 0
cmp backup.json restored.json || die "ffce get --decrypt: restored.json differs from backup.json"
step ffce get --bucket "$bucket" "$device" -o bucket.ffce
expect_code 0

# The device reads it back through the API: the very blob in the bucket.
step ffce api get "$device" -o download.ffce
expect_code 0
expect_out "$etag"
cmp bucket.ffce download.ffce || die "ffce api get: download.ffce differs from the object in the bucket"
step ffce decrypt --master-key-file master.key download.ffce -o download.json
expect_code 0
cmp backup.json download.json || die "download.ffce does not decrypt to backup.json"

# Unchanged since the last backup: the API answers 304 and stores nothing.
step ffce versions --bucket "$bucket" "$device"
expect_code 0
versions_before=$out
step ffce api post --encrypt --master-key-file master.key --if-none-match "$etag" "$device" backup.json
expect_code 0
expect_out "nothing was written"
step ffce versions --bucket "$bucket" "$device"
expect_code 0
[[ "$out" == "$versions_before" ]] || die "the 304 post wrote a new version"

# Deleted: the API has no backup for the device any more.
step ffce api delete "$device"
expect_code 0
step ffce api get "$device" -o gone.ffce
expect_code 3
expect_err "404"
[[ ! -e gone.ffce ]] || die "ffce api get left gone.ffce after a 404"

# The API ran with replay protection on (it says at start-up when it is off).
if grep -q "replay protection is off" "$work/device/api.log"; then
    die "ffce-backup-api ran without its nonce table: $(cat "$work/device/api.log")"
fi

printf '\ndevice-path: ok (every step as expected)\n'

# The set-up the bench scripts share. Sourced, never run on its own:
#
#   . "$(dirname "$0")/lib.sh" NAME
#
# It moves to the repository root and defines:
#   log MESSAGE...          progress on stderr, as "NAME: MESSAGE"
#   bench_python            sets venv, py and aws from scripts/python-env.sh's venv
#                           (awscli, boto3, cryptography, moto, as pinned in
#                           scripts/requirements-test.txt); builds it the first time
#   bench_target            sets target: cargo's target directory
#   bench_moto_start STATE  starts a fresh moto on a free loopback port with its state in
#                           STATE (the test server of scripts/test.sh is not touched);
#                           sets endpoint
#   bench_moto_stop STATE   stops it; safe when it never started (for cleanup traps)
#   bench_isolate_aws       dummy credentials and nothing from the caller's AWS set-up,
#                           for ffce, aws and rclone alike

bench_name=${1:?usage: . benches/lib.sh NAME}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=../scripts/lib.sh
. scripts/lib.sh

log() { printf '%s: %s\n' "$bench_name" "$*" >&2; }

bench_python() {
  venv=$(scripts/python-env.sh)
  py="$venv/bin/python"
  aws="$venv/bin/aws"
  [[ -x $aws ]] || { log "no aws in $venv (scripts/requirements-test.txt pins awscli)"; exit 1; }
}

bench_target() {
  target=$(cargo_target_dir)
}

bench_moto_start() {
  moto_start "${1:?}"
  endpoint=$FFCE_TEST_S3_ENDPOINT
}

bench_moto_stop() {
  moto_stop "${1:?}"
}

bench_isolate_aws() {
  unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL \
    AWS_ENDPOINT_URL_S3 AWS_ENDPOINT_URL_DYNAMODB AWS_CA_BUNDLE \
    FFCE_BUCKET FFCE_DIR FFCE_MASTER_KEY FFCE_KEY S3_BACKUP_BUCKET_NAME
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 \
    AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true \
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
}

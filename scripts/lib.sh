# Shell helpers shared by scripts/ and benches/; source it, from the repository root:
#
#   . scripts/lib.sh
#   cargo_target_dir           prints cargo's target directory (CARGO_TARGET_DIR or
#                              the configured one, not always ./target)
#   moto_start STATE           starts a fresh moto (scripts/s3-server.sh) on a free
#                              loopback port with its state in STATE, apart from the
#                              test server of scripts/test.sh; exports
#                              FFCE_TEST_S3_ENDPOINT
#   moto_stop STATE            stops it; safe when it never started (for cleanup traps)

cargo_target_dir() {
  cargo metadata --no-deps --format-version 1 \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])'
}

moto_start() {
  local state=${1:?moto_start STATE} server_env
  mkdir -p "$state"
  server_env=$(FFCE_S3_STATE_DIR="$state" scripts/s3-server.sh start)
  export "${server_env?}"
}

moto_stop() {
  FFCE_S3_STATE_DIR="${1:?moto_stop STATE}" scripts/s3-server.sh stop >/dev/null 2>&1 || true
}

#!/usr/bin/env bash
# Run moto's S3-compatible server (moto_server, from PyPI) on loopback for
# ffce's integration tests.
#
# Usage:
#   scripts/s3-server.sh start    # ensure venv, start server, wait until it
#                                 # answers HTTP, print FFCE_TEST_S3_ENDPOINT=...
#   scripts/s3-server.sh stop     # stop it (whole process group); ok if not running
#   scripts/s3-server.sh status   # exit 0 and print endpoint if running, else exit 1
#
# Files (under <repo>/target, or $FFCE_S3_STATE_DIR):
#   s3-server.env   FFCE_TEST_S3_ENDPOINT=http://127.0.0.1:PORT
#                   FFCE_S3_SERVER_PID=PID          (shell-sourceable)
#   s3-server.log   moto_server stdout/stderr (truncated at each start)
#
# Environment:
#   FFCE_S3_PORT            fixed port (default: a free loopback port)
#   FFCE_S3_START_TIMEOUT   seconds to wait for HTTP (default 30)
#   FFCE_VENV, FFCE_PYTHON  passed through to scripts/python-env.sh
#
# `start` is idempotent: if a healthy server from a previous `start` is
# running it just prints its endpoint. Any failure to start exits non-zero
# with the log tail, so CI never silently skips the S3 tests.
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd -- "$SCRIPT_DIR/.." && pwd)
STATE_DIR="${FFCE_S3_STATE_DIR:-$REPO_ROOT/target}"
ENV_FILE="$STATE_DIR/s3-server.env"
LOG_FILE="$STATE_DIR/s3-server.log"
LOCK_FILE="$STATE_DIR/s3-server.lock"
HOST=127.0.0.1
START_TIMEOUT="${FFCE_S3_START_TIMEOUT:-30}"

log() { printf 's3-server: %s\n' "$*" >&2; }
die() { printf 's3-server: ERROR: %s\n' "$*" >&2; exit 1; }

usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2
    exit 2
}

log_tail() {
    if [[ -s "$LOG_FILE" ]]; then
        printf -- '----- last 40 lines of %s -----\n' "$LOG_FILE" >&2
        tail -n 40 -- "$LOG_FILE" >&2
        printf -- '----- end of log -----\n' >&2
    else
        printf '(log %s is empty or missing)\n' "$LOG_FILE" >&2
    fi
}

# Python used for small helpers (port picking, HTTP probe): the venv's if
# present, else whatever python3 is on PATH (both only need the stdlib).
helper_python() {
    local venv="${FFCE_VENV:-$REPO_ROOT/target/py-venv}"
    if [[ -x "$venv/bin/python" ]]; then printf '%s\n' "$venv/bin/python"; else printf '%s\n' "${FFCE_PYTHON:-python3}"; fi
}

# http_answers URL -> 0 if anything answers HTTP there (any status code).
http_answers() {
    "$(helper_python)" - "$1" <<'EOF' >/dev/null 2>&1
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1], timeout=2).read()
except urllib.error.HTTPError:
    pass  # an HTTP error status is still an HTTP answer
except Exception:
    sys.exit(1)
EOF
}

free_port() {
    "$(helper_python)" - "$HOST" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind((sys.argv[1], 0))
print(s.getsockname()[1])
s.close()
EOF
}

port_in_use() {
    "$(helper_python)" - "$HOST" "$1" <<'EOF' >/dev/null 2>&1
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.settimeout(1)
sys.exit(0 if s.connect_ex((sys.argv[1], int(sys.argv[2]))) == 0 else 1)
EOF
}

# Alive = exists and is not a zombie (an orphaned server killed by `stop` is
# reaped by init, which may lag behind).
pid_alive() {
    [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null || return 1
    local stat
    if [[ -r "/proc/$1/stat" ]] && stat=$(<"/proc/$1/stat") 2>/dev/null; then
        stat=${stat##*) }
        [[ "${stat:0:1}" != Z ]]
    fi
}

# True if PID is a live moto_server (guards against pid reuse).
pid_is_moto() {
    pid_alive "$1" || return 1
    if [[ -r "/proc/$1/cmdline" ]]; then
        tr '\0' ' ' <"/proc/$1/cmdline" | grep -q 'moto_server'
    else
        ps -o args= -p "$1" 2>/dev/null | grep -q 'moto_server'
    fi
}

# Read ENV_FILE into ENDPOINT / SERVER_PID (empty if missing/malformed).
read_env_file() {
    ENDPOINT=""; SERVER_PID=""
    [[ -f "$ENV_FILE" ]] || return 1
    local line
    while IFS= read -r line || [[ -n "$line" ]]; do
        case "$line" in
            FFCE_TEST_S3_ENDPOINT=*) ENDPOINT=${line#*=} ;;
            FFCE_S3_SERVER_PID=*) SERVER_PID=${line#*=} ;;
        esac
    done <"$ENV_FILE"
    [[ "$SERVER_PID" =~ ^[0-9]+$ && -n "$ENDPOINT" ]]
}

# Kill a process group (and the leader itself), TERM then KILL.
kill_server() {
    local pid=$1 i
    kill -TERM -- "-$pid" 2>/dev/null || true
    kill -TERM -- "$pid" 2>/dev/null || true
    kill -CONT -- "-$pid" 2>/dev/null || true   # in case it was stopped
    for ((i = 0; i < 50; i++)); do
        pid_alive "$pid" || break
        sleep 0.1
    done
    if pid_alive "$pid"; then
        log "pid $pid ignored SIGTERM for 5 s; sending SIGKILL"
        kill -KILL -- "-$pid" 2>/dev/null || true
        kill -KILL -- "$pid" 2>/dev/null || true
        sleep 0.2
    fi
    # Any stragglers left in the group (children that changed parent).
    kill -KILL -- "-$pid" 2>/dev/null || true
    # Reap it if it is our own child (only when start fails mid-way).
    wait "$pid" 2>/dev/null || true
}

is_running() {
    read_env_file && pid_is_moto "$SERVER_PID" && http_answers "$ENDPOINT/"
}

lock() {
    mkdir -p -- "$STATE_DIR"
    if command -v flock >/dev/null 2>&1; then
        exec 8>"$LOCK_FILE"
        flock -w 120 8 || die "timed out waiting for lock $LOCK_FILE"
    fi
}

# Launch moto_server on PORT; on success sets SERVER_PID and returns 0;
# returns 1 if the process died (e.g. port taken); dies on timeout.
launch() {
    local venv=$1 port=$2 endpoint="http://$HOST:$2"
    : >"$LOG_FILE"
    printf '# %s: starting %s -H %s -p %s\n' "$(date -u +%FT%TZ)" "$venv/bin/moto_server" "$HOST" "$port" >>"$LOG_FILE"
    # Own session/process group (setsid) so `stop` can kill it with all
    # children; no stdin, output to the log; survives this script's exit.
    # (In a non-interactive script the background child is never a group
    # leader, so setsid execs in place and $! is moto_server's pid.)
    # fd 8 (our flock) is closed so the server does not hold the lock.
    local launcher=()
    command -v setsid >/dev/null 2>&1 && launcher=(setsid)
    "${launcher[@]}" "$venv/bin/moto_server" -H "$HOST" -p "$port" \
        </dev/null >>"$LOG_FILE" 2>&1 8>&- 9>&- &
    SERVER_PID=$!

    local deadline=$((SECONDS + START_TIMEOUT))
    while :; do
        if ! pid_alive "$SERVER_PID"; then
            wait "$SERVER_PID" 2>/dev/null || true
            return 1
        fi
        if http_answers "$endpoint/"; then
            return 0
        fi
        if ((SECONDS >= deadline)); then
            log "moto_server (pid $SERVER_PID) did not answer HTTP on $endpoint within ${START_TIMEOUT} s"
            kill_server "$SERVER_PID"
            log_tail
            die "S3 test server failed to start"
        fi
        sleep 0.2
    done
}

cmd_start() {
    [[ "$START_TIMEOUT" =~ ^[0-9]+$ ]] || die "FFCE_S3_START_TIMEOUT must be an integer number of seconds"
    if [[ -n "${FFCE_S3_PORT:-}" ]]; then
        if ! [[ "$FFCE_S3_PORT" =~ ^[1-9][0-9]{0,4}$ ]] || ((FFCE_S3_PORT > 65535)); then
            die "FFCE_S3_PORT='$FFCE_S3_PORT' is not a valid port number (1-65535)"
        fi
    fi
    lock

    if read_env_file; then
        if pid_is_moto "$SERVER_PID" && http_answers "$ENDPOINT/"; then
            if [[ -n "${FFCE_S3_PORT:-}" && "$ENDPOINT" != "http://$HOST:$FFCE_S3_PORT" ]]; then
                die "already running at $ENDPOINT (pid $SERVER_PID) but FFCE_S3_PORT=$FFCE_S3_PORT was requested; run '$0 stop' first"
            fi
            log "already running (pid $SERVER_PID)"
            printf 'FFCE_TEST_S3_ENDPOINT=%s\n' "$ENDPOINT"
            return 0
        fi
        if pid_is_moto "$SERVER_PID"; then
            log "pid $SERVER_PID is a moto_server that does not answer on $ENDPOINT; stopping it"
            kill_server "$SERVER_PID"
        else
            log "removing stale $ENV_FILE (pid $SERVER_PID not running)"
        fi
        rm -f -- "$ENV_FILE"
    fi

    local venv
    venv=$("$SCRIPT_DIR/python-env.sh") || die "could not prepare the Python venv (scripts/python-env.sh failed)"
    [[ -x "$venv/bin/moto_server" ]] || die "moto_server not found in $venv/bin"

    local port attempt max_attempts=1
    [[ -z "${FFCE_S3_PORT:-}" ]] && max_attempts=3   # retry if a picked port gets taken
    for ((attempt = 1; attempt <= max_attempts; attempt++)); do
        if [[ -n "${FFCE_S3_PORT:-}" ]]; then
            port=$FFCE_S3_PORT
            if port_in_use "$port"; then
                die "FFCE_S3_PORT=$port: something is already listening on $HOST:$port"
            fi
        else
            port=$(free_port) || die "could not find a free port on $HOST"
        fi
        log "starting moto_server on $HOST:$port (log: $LOG_FILE)"
        if launch "$venv" "$port"; then
            local endpoint="http://$HOST:$port"
            printf 'FFCE_TEST_S3_ENDPOINT=%s\nFFCE_S3_SERVER_PID=%s\n' "$endpoint" "$SERVER_PID" >"$ENV_FILE.tmp"
            mv -f -- "$ENV_FILE.tmp" "$ENV_FILE"
            log "ready at $endpoint (pid $SERVER_PID)"
            printf 'FFCE_TEST_S3_ENDPOINT=%s\n' "$endpoint"
            return 0
        fi
        log "moto_server exited during startup (attempt $attempt/$max_attempts)"
    done
    log_tail
    die "S3 test server failed to start"
}

cmd_stop() {
    lock
    if ! read_env_file; then
        if [[ -f "$ENV_FILE" ]]; then
            log "malformed $ENV_FILE; removing it"
            rm -f -- "$ENV_FILE"
        fi
        log "not running (no $ENV_FILE)"
        return 0
    fi
    if pid_is_moto "$SERVER_PID"; then
        log "stopping moto_server pid $SERVER_PID ($ENDPOINT)"
        kill_server "$SERVER_PID"
        if pid_alive "$SERVER_PID"; then
            die "pid $SERVER_PID is still alive after SIGKILL"
        fi
        log "stopped"
    elif pid_alive "$SERVER_PID"; then
        log "pid $SERVER_PID is alive but is not moto_server (pid reused?); not killing it"
    else
        log "not running (stale pid $SERVER_PID)"
    fi
    rm -f -- "$ENV_FILE"
}

cmd_status() {
    if is_running; then
        log "running (pid $SERVER_PID) at $ENDPOINT"
        printf 'FFCE_TEST_S3_ENDPOINT=%s\n' "$ENDPOINT"
        return 0
    fi
    if [[ -n "${SERVER_PID:-}" ]] && pid_is_moto "$SERVER_PID"; then
        log "pid $SERVER_PID is alive but not answering HTTP on $ENDPOINT"
    else
        log "not running"
    fi
    return 1
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    -h | --help | help) usage ;;
    *) usage ;;
esac

#!/usr/bin/env bash
# Create (idempotently) the Python virtualenv used by ffce's integration tests
# and install the pinned requirements from scripts/requirements-test.txt.
#
# Usage: scripts/python-env.sh            # prints the venv path on stdout
#        VENV=$(scripts/python-env.sh)    # typical use from other scripts
#
# Environment:
#   FFCE_VENV     venv location (default: <repo>/target/py-venv)
#   FFCE_PYTHON   interpreter used to create the venv (default: python3)
#   FFCE_PY_FORCE_REINSTALL=1   ignore the stamp and re-run pip
#
# pip is skipped when the stamp file inside the venv holds the sha256 of the
# requirements file (plus the interpreter version) from the last successful
# install. Only the venv path goes to stdout; all progress goes to stderr.
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd -- "$SCRIPT_DIR/.." && pwd)
REQ_FILE="$SCRIPT_DIR/requirements-test.txt"
VENV="${FFCE_VENV:-$REPO_ROOT/target/py-venv}"
PYTHON="${FFCE_PYTHON:-python3}"
STAMP_NAME=".ffce-requirements.sha256"

log() { printf 'python-env: %s\n' "$*" >&2; }
die() { printf 'python-env: ERROR: %s\n' "$*" >&2; exit 1; }

[[ -f "$REQ_FILE" ]] || die "requirements file not found: $REQ_FILE"
command -v "$PYTHON" >/dev/null 2>&1 || die "'$PYTHON' not found on PATH (set FFCE_PYTHON)"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' \
    || die "$PYTHON is $("$PYTHON" -V 2>&1); moto 5.x needs Python >= 3.9"

# Make the path absolute so the printed path is usable from any cwd.
case "$VENV" in /*) ;; *) VENV="$PWD/$VENV" ;; esac
mkdir -p -- "$(dirname -- "$VENV")"

# Serialise concurrent invocations (parallel test runners, two CI steps).
if command -v flock >/dev/null 2>&1; then
    exec 9>"$VENV.lock"
    flock -w 900 9 || die "timed out waiting for lock $VENV.lock"
fi

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum -- "$1" | cut -d' ' -f1
    else
        "$PYTHON" -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1"
    fi
}

venv_python_ok() {
    [[ -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1
}

create_venv() {
    log "creating virtualenv at $VENV ($("$PYTHON" -V 2>&1))"
    if "$PYTHON" -m venv "$VENV" >&2; then
        return 0
    fi
    # Debian's system python3 may lack ensurepip (package python3-venv).
    # Fall back to virtualenv from PyPI, installed into a throwaway dir.
    log "'$PYTHON -m venv' failed; falling back to virtualenv from PyPI"
    rm -rf -- "$VENV"
    local tmp
    tmp=$(mktemp -d)
    if ! "$PYTHON" -m pip install --quiet --target "$tmp" virtualenv >&2; then
        rm -rf -- "$tmp"
        die "cannot create a venv: '$PYTHON -m venv' failed and virtualenv could not be installed (on Debian: apt-get install python3-venv)"
    fi
    PYTHONPATH="$tmp" "$PYTHON" -m virtualenv --quiet "$VENV" >&2 \
        || { rm -rf -- "$tmp"; die "virtualenv failed to create $VENV"; }
    rm -rf -- "$tmp"
}

if ! venv_python_ok; then
    if [[ -e "$VENV" ]]; then
        if [[ -f "$VENV/pyvenv.cfg" ]]; then
            log "existing venv at $VENV is broken; recreating it"
            rm -rf -- "$VENV"
        elif [[ -d "$VENV" && -z "$(ls -A -- "$VENV")" ]]; then
            rmdir -- "$VENV"
        else
            die "$VENV exists but is not a virtualenv; refusing to overwrite it"
        fi
    fi
    create_venv
    venv_python_ok || die "virtualenv at $VENV has no working python"
fi

PY_ID=$("$VENV/bin/python" -c 'import sys, platform; print(platform.python_implementation(), ".".join(map(str, sys.version_info[:3])))')
WANT_STAMP="$(sha256_of "$REQ_FILE")  $PY_ID"
STAMP_FILE="$VENV/$STAMP_NAME"
HAVE_STAMP=""
[[ -f "$STAMP_FILE" ]] && HAVE_STAMP=$(<"$STAMP_FILE")

if [[ "$HAVE_STAMP" == "$WANT_STAMP" && "${FFCE_PY_FORCE_REINSTALL:-0}" != 1 && -x "$VENV/bin/moto_server" ]]; then
    log "requirements up to date in $VENV (stamp matches); skipping pip"
else
    log "installing $(basename -- "$REQ_FILE") into $VENV (this takes ~1 min on a cold cache)"
    start=$SECONDS
    rm -f -- "$STAMP_FILE"
    # --no-input/--disable-pip-version-check: never prompt, never phone home
    # for pip upgrades. All pip output goes to stderr.
    "$VENV/bin/python" -m pip install --no-input --disable-pip-version-check --progress-bar off \
        --requirement "$REQ_FILE" >&2 \
        || die "pip install -r $REQ_FILE failed (see output above)"
    "$VENV/bin/python" -m pip check >&2 \
        || die "pip check reports broken requirements in $VENV"
    [[ -x "$VENV/bin/moto_server" ]] || die "moto_server missing from $VENV/bin after install"
    printf '%s\n' "$WANT_STAMP" >"$STAMP_FILE.tmp"
    mv -f -- "$STAMP_FILE.tmp" "$STAMP_FILE"
    log "installed in $((SECONDS - start)) s"
fi

printf '%s\n' "$VENV"

#!/usr/bin/env bash
# Create (or reuse) a virtual environment with datajoint 2.3.5 for the
# resolver's differential tests, and print its python executable path.
#
# Usage: .ci/setup-datajoint.sh [VENV_DIR]
#   VENV_DIR defaults to $HOME/.cache/tightlip/dj-venv.
# Typical use:  export TIGHTLIP_DJ_PYTHON="$(.ci/setup-datajoint.sh)"
# Progress and errors go to stderr; stdout carries only the path.
set -euo pipefail

venv="${1:-${HOME:-/root}/.cache/tightlip/dj-venv}"
python="$venv/bin/python"
version="2.3.5"

installed() {
    [ -x "$python" ] && "$python" - "$version" <<'PY' >/dev/null 2>&1
import sys
from importlib.metadata import version
sys.exit(0 if version("datajoint") == sys.argv[1] else 1)
PY
}

if ! installed; then
    base="${PYTHON:-python3}"
    if ! command -v "$base" >/dev/null 2>&1; then
        echo "setup-datajoint: $base not found; install Python 3.10 or newer" >&2
        exit 1
    fi
    echo "setup-datajoint: creating $venv with datajoint==$version" >&2
    "$base" -m venv "$venv" >&2
    "$python" -m pip install --quiet "datajoint==$version" >&2
    if ! installed; then
        echo "setup-datajoint: datajoint==$version is not importable from $python" >&2
        exit 1
    fi
fi
echo "$python"

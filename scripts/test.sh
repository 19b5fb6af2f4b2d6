#!/usr/bin/env bash
# Runs every test of tightlip: formatting, lints, the Rust test suite
# (including the differential tests against the real datajoint package)
# and the pre-commit framework check.
#
# Python tools go into virtual environments under target/, so nothing is
# installed system-wide. Set TIGHTLIP_SKIP_PYTHON=1 to run only the Rust
# suite without them; the oracle tests then skip and print why.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo fmt --check
cargo clippy --all-targets --quiet -- -D warnings

if [[ "${TIGHTLIP_SKIP_PYTHON:-0}" != 1 && -f .ci/setup-datajoint.sh ]]; then
    TIGHTLIP_DJ_PYTHON="$(bash .ci/setup-datajoint.sh)"
    export TIGHTLIP_DJ_PYTHON
fi

mkdir -p target
cargo test --release -- --include-ignored 2>&1 | tee target/test-output.log

if [[ "${TIGHTLIP_SKIP_PYTHON:-0}" != 1 && -f .ci/pre-commit-check.sh ]]; then
    bash .ci/pre-commit-check.sh
fi

# cargo prints one result line per test binary and ends with the doc tests,
# which number zero; this sums them into one closing line.
awk '/^test result:/ { passed += $4; failed += $6 }
     END { printf "tests: %d passed, %d failed\n", passed, failed }' target/test-output.log |
    tee target/test-summary.txt

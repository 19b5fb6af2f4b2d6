#!/usr/bin/env bash
# Proves that the hooks in .pre-commit-hooks.yaml work under the real
# pre-commit framework. It installs pre-commit from PyPI into a virtualenv
# and runs `pre-commit try-repo` on this checkout in a temporary
# repository. It checks that a staged key is blocked, a clean change
# passes, the pre-push hook blocks a pushed key and passes a clean range.
#
# Environment:
#   PRE_COMMIT_VERSION  pre-commit version to install (default 4.7.0)
#   CARGO_TARGET_DIR    contains the virtualenv and is reused by the
#                       `cargo install` that pre-commit runs for
#                       `language: rust`, so repeated runs are faster
# Exits non-zero when any check fails.
set -euo pipefail

checkout="$(cd "$(dirname "$0")/.." && pwd)"
version="${PRE_COMMIT_VERSION:-4.7.0}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

export PRE_COMMIT_HOME="$work/cache"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$checkout/target}"
export GIT_CONFIG_NOSYSTEM=1

# The virtualenv lives under the target directory, like the other Python
# tools of the test suite, and is reused by later runs.
venv="$CARGO_TARGET_DIR/pre-commit-venv-$version"
if [[ ! -x "$venv/bin/pre-commit" ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "pre-commit==$version"
fi
pre_commit="$venv/bin/pre-commit"
"$pre_commit" --version

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

repo="$work/repo"
git init -q -b main "$repo"
cd "$repo"
git config user.name "Check Author"
git config user.email "check@example.org"
git config commit.gpgsign false

echo "hello" > readme.md
git add readme.md
git commit -q -m "initial"

# The key is assembled here so this script does not itself contain one.
key="AKIA""QYLPMN5HHHFUZQ7T"

# A staged key must be blocked.
printf 'aws_access_key_id = "%s"\n' "$key" > settings.py
git add settings.py
if "$pre_commit" try-repo "$checkout" tightlip --verbose > "$work/blocked.log" 2>&1; then
    cat "$work/blocked.log"
    fail "pre-commit passed a staged AWS key"
fi
grep -q "settings.py:1" "$work/blocked.log" || {
    cat "$work/blocked.log"
    fail "the blocking message does not name settings.py:1"
}
if grep -q "$key" "$work/blocked.log"; then
    fail "the blocking message printed the key in clear"
fi
echo "ok: staged key blocked"

# A clean change must pass.
git restore --staged settings.py
rm settings.py
echo "more text" >> readme.md
git add readme.md
"$pre_commit" try-repo "$checkout" tightlip > "$work/clean.log" 2>&1 || {
    cat "$work/clean.log"
    fail "pre-commit blocked a clean change"
}
git commit -q -m "clean change"
echo "ok: clean change passed"

# The pre-push hook must block a commit that adds a key. pre-commit passes
# the range as PRE_COMMIT_FROM_REF and PRE_COMMIT_TO_REF.
base="$(git rev-parse HEAD)"
printf 'token = "%s"\n' "$key" > deploy.cfg
git add deploy.cfg
git commit -q --no-verify -m "add deploy config"
if "$pre_commit" try-repo "$checkout" tightlip-pre-push --hook-stage pre-push \
    --from-ref "$base" --to-ref HEAD > "$work/push.log" 2>&1; then
    cat "$work/push.log"
    fail "the pre-push hook passed a pushed key"
fi
grep -q "deploy.cfg:1" "$work/push.log" || {
    cat "$work/push.log"
    fail "the pre-push message does not name deploy.cfg:1"
}
echo "ok: pushed key blocked"

# A range without keys must pass.
if ! "$pre_commit" try-repo "$checkout" tightlip-pre-push --hook-stage pre-push \
    --from-ref "$base~1" --to-ref "$base" > "$work/push-clean.log" 2>&1; then
    cat "$work/push-clean.log"
    fail "the pre-push hook blocked a clean range"
fi
echo "ok: clean push passed"

#!/usr/bin/env bash
# Measures the hook commands on an existing repository, next to the git
# command that does the least comparable work, as the floor:
#   1. `tightlip staged` with one small staged file against
#      `git diff --cached --quiet`;
#   2. `tightlip pre-push` of 20 new commits against `git log -p` of the
#      same range.
# The repository is copied first (`git clone --local`), so it is not
# changed. Prints hyperfine's Markdown tables.
#
# Usage: bench/hooks-repo.sh REPOSITORY [TIGHTLIP_BINARY]
set -euo pipefail

source_repo="$(realpath "${1:?usage: bench/hooks-repo.sh REPOSITORY [TIGHTLIP_BINARY]}")"
checkout="$(cd "$(dirname "$0")/.." && pwd)"
if [[ $# -ge 2 ]]; then
    tightlip="$(realpath "$2")"
else
    cargo build --release --quiet --manifest-path "$checkout/Cargo.toml"
    tightlip="${CARGO_TARGET_DIR:-$checkout/target}/release/tightlip"
fi
command -v hyperfine >/dev/null || {
    echo "hyperfine not found; install it (apt-get install -y hyperfine)" >&2
    exit 2
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.org
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.org

repo="$work/repo"
git clone -q --local "$source_repo" "$repo"
files=$(git -C "$repo" ls-files | wc -l)
echo "repository: $source_repo ($files tracked files)"

# 1. One small staged file.
printf 'threshold = 0.25\n' >"$repo/bench_staged.py"
git -C "$repo" add bench_staged.py
hyperfine -N --warmup 5 --runs 50 --style none --ignore-failure \
    --export-markdown "$work/staged.md" \
    "git -C $repo diff --cached --quiet" \
    "$tightlip staged $repo" >/dev/null
cat "$work/staged.md"
git -C "$repo" reset -q

# 2. Twenty new commits on a branch, pushed to a remote that has the base.
base=$(git -C "$repo" rev-parse HEAD)
git -C "$repo" update-ref refs/remotes/origin/main "$base"
git -C "$repo" checkout -q -b bench-push
for i in $(seq 1 20); do
    printf 'step = %d\n' "$i" >"$repo/bench_push_$i.py"
    git -C "$repo" add "bench_push_$i.py"
    git -C "$repo" commit -q -m "bench $i"
done
tip=$(git -C "$repo" rev-parse HEAD)
printf 'refs/heads/bench-push %s refs/heads/bench-push %s\n' "$tip" \
    0000000000000000000000000000000000000000 >"$work/push-stdin"
# hyperfine 1.15 has no --input, so both commands run through its shell,
# whose start-up time hyperfine measures and subtracts.
hyperfine --warmup 5 --runs 50 --style none --ignore-failure \
    --export-markdown "$work/push.md" \
    "git -C $repo log -p $base..$tip >/dev/null" \
    "cd $repo && $tightlip pre-push origin $repo <$work/push-stdin" >/dev/null
cat "$work/push.md"

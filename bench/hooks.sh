#!/usr/bin/env bash
# Measures the hook commands end to end with hyperfine, next to the git
# command that does the least comparable work, as the floor:
#   1. `tightlip staged` with one small staged file, in a repository of
#      200 files and in one of 40,000 files, against `git diff --cached --quiet`;
#   2. `tightlip pre-push` of 20 new commits, against `git rev-list` of the
#      same range and `git log -p` of it.
# Usage: bench/hooks.sh [TIGHTLIP_BINARY]   (default: a fresh release build)
# Prints one Markdown table per benchmark.
set -euo pipefail

checkout="$(cd "$(dirname "$0")/.." && pwd)"
if [[ $# -ge 1 ]]; then
    tightlip="$(realpath "$1")"
else
    cargo build --release --quiet --manifest-path "$checkout/Cargo.toml"
    tightlip="${CARGO_TARGET_DIR:-$checkout/target}/release/tightlip"
fi
command -v hyperfine > /dev/null || {
    echo "hyperfine not found; install it (apt-get install -y hyperfine)" >&2
    exit 2
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
results="$work/results"
mkdir -p "$results"
export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.org
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.org

# Creates a committed repository at $1 with $2 directories of 200 files.
make_repo() {
    local repo="$1" dirs="$2"
    git init -q -b main "$repo"
    for ((d = 0; d < dirs; d++)); do
        mkdir -p "$repo/src/d$d"
        for ((f = 0; f < 200; f++)); do
            printf 'value_%d_%d = %d\n' "$d" "$f" "$f" > "$repo/src/d$d/f$f.py"
        done
    done
    git -C "$repo" add -A
    git -C "$repo" commit -q -m "initial"
    git -C "$repo" gc -q
}

run() {
    local name="$1"
    shift
    echo "== $name"
    hyperfine --ignore-failure --warmup 5 --runs 50 --export-markdown "$results/$name.md" "$@"
}

# 1. One small staged file.
for size in 1 200; do
    repo="$work/staged-$size"
    make_repo "$repo" "$size"
    printf 'timeout = 30\n' > "$repo/src/d0/new.py"
    git -C "$repo" add src/d0/new.py
    cd "$repo"
    run "staged-$((size * 200))-files" -N \
        "$tightlip staged" \
        "git diff --cached --quiet"
done

# 2. A push of 20 new commits to a remote that has the base commit.
repo="$work/push"
make_repo "$repo" 1
git init -q --bare "$work/remote.git"
git -C "$repo" remote add origin "$work/remote.git"
git -C "$repo" push -q --no-verify origin main
base="$(git -C "$repo" rev-parse HEAD)"
for ((i = 0; i < 20; i++)); do
    printf 'change = %d\n' "$i" >> "$repo/src/d0/f$i.py"
    git -C "$repo" commit -q -a -m "change $i"
done
head="$(git -C "$repo" rev-parse HEAD)"
printf 'refs/heads/main %s refs/heads/main %s\n' "$head" "$base" > "$work/push-input"
cd "$repo"
run "pre-push-20-commits" \
    "$tightlip pre-push origin $work/remote.git < $work/push-input" \
    "git rev-list $head --not --remotes=origin" \
    "git log -p $base..$head > /dev/null"

cat "$results"/*.md

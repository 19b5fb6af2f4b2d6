#!/usr/bin/env bash
# Times `tightlip scan` on a working tree next to the floor of reading every
# file once: `cat` of every file git would commit (tracked plus untracked,
# not ignored), measured in the same run with hyperfine. Prints hyperfine's
# table (mean of RUNS runs, with the ratio), the throughput over the bytes
# read, and tightlip's peak RSS.
#
# Usage: bench/scan.sh WORKTREE [RUNS]
#   WORKTREE  a checked-out git working tree
#   RUNS      runs per command, default 20
# Environment:
#   TIGHTLIP  binary to time (default: target/release/tightlip, built here)
set -euo pipefail

tree=${1:?usage: bench/scan.sh WORKTREE [RUNS]}
runs=${2:-20}
tree=$(cd "$tree" && pwd)
here=$(cd "$(dirname "$0")/.." && pwd)

if [[ -z "${TIGHTLIP:-}" ]]; then
    (cd "$here" && cargo build --release --quiet)
    TIGHTLIP="${CARGO_TARGET_DIR:-$here/target}/release/tightlip"
fi
TIGHTLIP=$(realpath "$TIGHTLIP")
command -v hyperfine >/dev/null || {
    echo "hyperfine not found; install it (apt-get install -y hyperfine)" >&2
    exit 2
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
list="$work/files"
git -C "$tree" ls-files -z --cached --others --exclude-standard >"$list"
files=$(tr -cd '\0' <"$list" | wc -c)
# A listed file may be missing from the tree (deleted but still tracked).
bytes=$(cd "$tree" && { xargs -0 cat <"$list" 2>/dev/null || true; } | wc -c)

echo "tree: $tree ($files files, $(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB)"
cd "$tree"
hyperfine --warmup 3 --runs "$runs" --style none --ignore-failure \
    --export-json "$work/times.json" --export-markdown "$work/times.md" \
    "xargs -0 cat <$list >/dev/null 2>&1; true" \
    "$TIGHTLIP scan . --format json >/dev/null" >/dev/null
cat "$work/times.md"
python3 - "$work/times.json" "$bytes" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
size = int(sys.argv[2])
floor = results[0]["mean"]
for name, result in zip(["cat of every file", "tightlip scan"], results):
    mean = result["mean"]
    print(f"{name}: {mean * 1000:.1f} ms, {size / 1e6 / mean:.0f} MB/s, "
          f"{mean / floor:.2f}x the floor")
PY
/usr/bin/time -f 'tightlip scan peak RSS: %M KB' "$TIGHTLIP" scan . --format json 2>&1 >/dev/null |
    tail -n 1

#!/usr/bin/env bash
# Times `tightlip scan` on a working tree next to the floor of reading every
# file once: `cat` of every file git would commit (tracked plus untracked,
# not ignored), measured in the same run. Prints the median wall time of
# RUNS runs of each, throughput over the bytes read, peak RSS and the ratio.
#
# Usage: bench/scan.sh WORKTREE [RUNS]
#   WORKTREE  a checked-out git working tree
#   RUNS      runs per command, default 5
# Environment:
#   TIGHTLIP  binary to time (default: target/release/tightlip, built here)
set -euo pipefail

tree=${1:?usage: bench/scan.sh WORKTREE [RUNS]}
runs=${2:-5}
tree=$(cd "$tree" && pwd)
here=$(cd "$(dirname "$0")/.." && pwd)

if [[ -z "${TIGHTLIP:-}" ]]; then
    (cd "$here" && cargo build --release --quiet)
    TIGHTLIP="${CARGO_TARGET_DIR:-$here/target}/release/tightlip"
fi

list=$(mktemp)
trap 'rm -f "$list"' EXIT
git -C "$tree" ls-files -z --cached --others --exclude-standard >"$list"
files=$(tr -cd '\0' <"$list" | wc -c)
bytes=$(cd "$tree" && { xargs -0 cat <"$list" 2>/dev/null || true; } | wc -c)

# Runs "$@" RUNS times in the tree; prints "median_seconds max_rss_kb".
measure() {
    local times=() rss=0 log
    log=$(mktemp)
    for _ in $(seq "$runs"); do
        (cd "$tree" && /usr/bin/time -f '%e %M' -o "$log" "$@" >/dev/null 2>/dev/null) || true
        read -r seconds kb < <(tail -n 1 "$log")
        times+=("$seconds")
        if ((kb > rss)); then rss=$kb; fi
    done
    rm -f "$log"
    printf '%s\n' "${times[@]}" | sort -g |
        awk -v rss="$rss" '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; print m, rss }'
}

read -r cat_s cat_kb < <(measure sh -c "xargs -0 cat <'$list' >/dev/null")
read -r scan_s scan_kb < <(measure "$TIGHTLIP" scan . --format json)

mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
echo "tree: $tree ($files files, $mb MB)"
printf '%-28s %8s %10s %10s %8s\n' command "wall s" "MB/s" "RSS MB" "ratio"
row() {
    awk -v n="$1" -v s="$2" -v kb="$3" -v b="$bytes" -v f="$cat_s" \
        'BEGIN { printf "%-28s %8.3f %10.0f %10.0f %7.2fx\n", n, s, (s > 0 ? b / 1e6 / s : 0), kb / 1024, (f > 0 ? s / f : 0) }'
}
row "cat of every file" "$cat_s" "$cat_kb"
row "tightlip scan" "$scan_s" "$scan_kb"

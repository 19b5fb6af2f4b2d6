#!/usr/bin/env bash
# Times `tightlip history` on a repository next to two floors measured in
# the same run: git decoding every object (`git cat-file --batch
# --batch-all-objects`) and gitoxide walking every pack's delta tree
# (`gix verify`). Prints the median wall time of RUNS runs of each, the
# throughput over the repository's raw (inflated) object bytes, the peak
# RSS of the slowest run, and the ratios to the floors.
#
# Usage: bench/history.sh REPO [RUNS]
#   REPO   a git repository (bare or not)
#   RUNS   runs per command, default 5
# Environment:
#   TIGHTLIP  binary to time (default: target/release/tightlip, built here)
#   GIX       gitoxide CLI (default: `gix` on PATH; installed with cargo
#             when missing, a build of several minutes)
set -euo pipefail

repo=${1:?usage: bench/history.sh REPO [RUNS]}
runs=${2:-5}
repo=$(cd "$repo" && pwd)
here=$(cd "$(dirname "$0")/.." && pwd)

if [[ -z "${TIGHTLIP:-}" ]]; then
    (cd "$here" && cargo build --release --quiet)
    TIGHTLIP="${CARGO_TARGET_DIR:-$here/target}/release/tightlip"
fi
GIX=${GIX:-$(command -v gix || true)}
if [[ -z "$GIX" ]]; then
    echo "gix not found; installing gitoxide with cargo (slow, once)" >&2
    cargo install gitoxide --locked --no-default-features --features fast,sha1,pretty-cli,prodash-render-line >&2
    GIX=$(command -v gix || echo "$HOME/.cargo/bin/gix")
fi
if [[ ! -x /usr/bin/time ]]; then
    echo "/usr/bin/time is required for peak RSS (apt-get install time)" >&2
    exit 2
fi

raw_bytes=$(git -C "$repo" cat-file --batch-all-objects --batch-check='%(objectsize)' |
    awk '{ s += $1 } END { printf "%d", s }')
objects=$(git -C "$repo" cat-file --batch-all-objects --batch-check='%(objectname)' | wc -l)
pack_bytes=$(du -cb "$repo"/objects/pack/*.pack 2>/dev/null | tail -1 | cut -f1 ||
    du -cb "$repo"/.git/objects/pack/*.pack | tail -1 | cut -f1)

# Runs "$@" RUNS times; prints "median_seconds max_rss_kb".
measure() {
    local times=() rss=0 log
    log=$(mktemp)
    for _ in $(seq "$runs"); do
        /usr/bin/time -f '%e %M' -o "$log" "$@" >/dev/null 2>/dev/null || {
            # tightlip exits 1 when it finds something; only time output matters.
            true
        }
        read -r seconds kb <"$log"
        times+=("$seconds")
        (( kb > rss )) && rss=$kb
    done
    rm -f "$log"
    local median
    median=$(printf '%s\n' "${times[@]}" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
    echo "$median $rss"
}

echo "repository: $repo"
echo "objects: $objects, raw object bytes: $raw_bytes, pack bytes: $pack_bytes"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo) RAM, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "runs per command: $runs (median wall time, peak RSS over the runs)"
echo

read -r git_s git_rss < <(measure git -C "$repo" cat-file --batch --batch-all-objects)
read -r gix_s gix_rss < <(measure "$GIX" --repository "$repo" verify)
read -r tl_s tl_rss < <(measure "$TIGHTLIP" history "$repo" --format json)

row() {
    awk -v name="$1" -v s="$2" -v kb="$3" -v raw="$raw_bytes" -v gix="$gix_s" -v git="$git_s" 'BEGIN {
        printf "%-42s %8.2f s %9.0f MB/s %7.0f MB  %5.2fx gix  %5.2fx git\n",
            name, s, raw / 1e6 / s, kb / 1024, s / gix, s / git
    }'
}
printf '%-42s %10s %14s %10s %11s %11s\n' command median throughput "peak RSS" "vs gix" "vs git"
row "git cat-file --batch --batch-all-objects" "$git_s" "$git_rss"
row "gix verify" "$gix_s" "$gix_rss"
row "tightlip history" "$tl_s" "$tl_rss"

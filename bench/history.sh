#!/usr/bin/env bash
# Times `tightlip history` on a repository next to two floors measured in
# the same run: git decoding every object (`git cat-file --batch
# --batch-all-objects`) and gitoxide walking every pack's delta tree
# (`gix verify`). For RUNS runs of each it prints the median wall time and
# the median CPU time (user + system, which load from other processes on
# the machine disturbs less). It also prints the throughput over the
# repository's raw (inflated) object bytes, the peak RSS over the runs, and
# the ratios of wall time to the floors. A fourth row times the history engine alone
# (the `history_engine` example: decoding, diffing and attribution with
# no rules run).
#
# Usage: bench/history.sh REPO [RUNS]
#   REPO   a git repository (bare or not)
#   RUNS   runs per command, default 5
# Environment:
#   TIGHTLIP  binary to time (default: target/release/tightlip, built here)
#   ENGINE    engine-only binary (default: the history_engine example)
#   GIX       gitoxide CLI (default: `gix` on PATH; installed with cargo
#             when missing, a build of several minutes)
set -euo pipefail

repo=${1:?usage: bench/history.sh REPO [RUNS]}
runs=${2:-5}
repo=$(cd "$repo" && pwd)
here=$(cd "$(dirname "$0")/.." && pwd)

target="${CARGO_TARGET_DIR:-$here/target}/release"
if [[ -z "${TIGHTLIP:-}" ]]; then
    (cd "$here" && cargo build --release --quiet)
    TIGHTLIP="$target/tightlip"
fi
if [[ -z "${ENGINE:-}" ]]; then
    (cd "$here" && cargo build --release --quiet --example history_engine)
    ENGINE="$target/examples/history_engine"
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
git_dir=$(cd "$repo" && cd "$(git rev-parse --git-common-dir)" && pwd)
pack_bytes=$(cat "$git_dir"/objects/pack/*.pack 2>/dev/null | wc -c)

# Runs "$@" RUNS times; prints "median_wall_s median_cpu_s max_rss_kb".
measure() {
    local walls=() cpus=() rss=0 log
    log=$(mktemp)
    for _ in $(seq "$runs"); do
        # tightlip exits 1 when it finds something, and time(1) then puts
        # a status line before its own, so only the last line counts.
        /usr/bin/time -f '%e %U %S %M' -o "$log" "$@" >/dev/null 2>/dev/null || true
        read -r wall user sys kb < <(tail -n 1 "$log")
        walls+=("$wall")
        cpus+=("$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')")
        (( kb > rss )) && rss=$kb
    done
    rm -f "$log"
    echo "$(median "${walls[@]}") $(median "${cpus[@]}") $rss"
}

median() {
    printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

echo "repository: $repo"
echo "objects: $objects, raw object bytes: $raw_bytes, pack bytes: $pack_bytes"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo) RAM, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "runs per command: $runs (median wall and CPU time, peak RSS over the runs)"
echo

read -r git_s git_cpu git_rss < <(measure git -C "$repo" cat-file --batch --batch-all-objects)
read -r gix_s gix_cpu gix_rss < <(measure "$GIX" --repository "$repo" verify)
read -r engine_s engine_cpu engine_rss < <(measure "$ENGINE" "$repo")
read -r tl_s tl_cpu tl_rss < <(measure "$TIGHTLIP" history "$repo" --format json)

row() {
    awk -v name="$1" -v s="$2" -v cpu="$3" -v kb="$4" -v raw="$raw_bytes" -v gix="$gix_s" -v git="$git_s" 'BEGIN {
        printf "%-42s %7.2f s %7.2f s %7.0f MB/s %6.0f MB %6.2fx %6.2fx\n",
            name, s, cpu, raw / 1e6 / s, kb / 1024, s / gix, s / git
    }'
}
printf '%-42s %9s %9s %12s %9s %7s %7s\n' command wall CPU throughput "peak RSS" "/gix" "/git"
row "git cat-file --batch --batch-all-objects" "$git_s" "$git_cpu" "$git_rss"
row "gix verify" "$gix_s" "$gix_cpu" "$gix_rss"
row "tightlip history engine, no rules" "$engine_s" "$engine_cpu" "$engine_rss"
row "tightlip history" "$tl_s" "$tl_cpu" "$tl_rss"

#!/bin/sh
# Runs every libFuzzer target in DIR for SECONDS each, seeded from
# tests/fuzz/corpus/<target>/ with tests/fuzz/<target>.dict when present.
# New inputs go to a scratch corpus, not the tree; a crash fails the run and
# leaves the input in tests/fuzz/artifacts/.
# Usage: scripts/fuzz.sh DIR SECONDS
set -eu
dir=$1
secs=$2
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$root/tests/fuzz/artifacts"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
found=0
for bin in "$dir"/fuzz_*; do
    [ -x "$bin" ] || continue
    found=1
    name=$(basename "$bin")
    seeds="$root/tests/fuzz/corpus/$name"
    mkdir -p "$scratch/$name"
    set -- -max_total_time="$secs" -print_final_stats=0 -rss_limit_mb=2048 \
        -artifact_prefix="$root/tests/fuzz/artifacts/$name-"
    [ -f "$root/tests/fuzz/$name.dict" ] && set -- "$@" -dict="$root/tests/fuzz/$name.dict"
    printf 'fuzz %s (%ss)\n' "$name" "$secs"
    if [ -d "$seeds" ]; then
        "$bin" "$@" "$scratch/$name" "$seeds" >"$scratch/$name.log" 2>&1 || {
            tail -n 40 "$scratch/$name.log"; exit 1; }
    else
        "$bin" "$@" "$scratch/$name" >"$scratch/$name.log" 2>&1 || {
            tail -n 40 "$scratch/$name.log"; exit 1; }
    fi
    grep -E '^(#[0-9]+.*DONE|Done )' "$scratch/$name.log" | tail -n 1 || true
done
[ "$found" = 1 ] || { echo "fuzz: no targets in $dir"; exit 1; }

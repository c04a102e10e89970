#!/bin/sh
# Cost against runs, months and nodes on synthetic networks (bench/gen.c), for bench/README.md.
# Usage: bench/scale.sh [BUILD_DIR [REPEATS]]   (from the repository root; `make bench-scale`)
#
# Each point is `reesim run GEN.yaml -n RUNS -j 1 -q --runs-csv none`, repeated REPEATS times
# (default 3); the cost is the CPU time of the process (user + system from /usr/bin/time), which
# other processes on a shared machine disturb far less than the wall time. Printed per point:
# min and median CPU seconds, ns per node-step (CPU / (runs x months x entities), entities =
# nodes + links + gates) and peak RSS; per axis the slope between consecutive points,
# d(CPU) / d(node-steps) in ns, which removes the fixed costs (start-up, loading, writing the
# tables). With SCALE_CALLGRIND=1 each point is instead one run under valgrind's callgrind on a
# smaller grid, and the cost is the instruction count (exact, insensitive to load).
set -eu
build=${1:-build}
reps=${2:-3}
bin=$build/reesim
gen=$build/reesim-gen
[ -x "$bin" ] && [ -x "$gen" ] || { echo "scale.sh: build $bin and $gen first (make build)" >&2; exit 66; }
work=${TMPDIR:-/tmp}/reesim-scale.$$
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT INT TERM
cg=${SCALE_CALLGRIND:-0}

# point NODES MONTHS RUNS: prints "min median nsps rss entities"
point() {
    y=$work/g$1_$2.yaml
    [ -f "$y" ] || "$gen" -n "$1" -m "$2" -o "$y"
    ent=$("$bin" validate "$y" | sed -n 's/.* \([0-9]*\) nodes, \([0-9]*\) links, \([0-9]*\) gates.*/\1 \2 \3/p' |
        awk '{ print $1 + $2 + $3 }')
    : > "$work/t"
    i=0
    while [ $i -lt "$reps" ]; do
        if [ "$cg" = 1 ]; then
            valgrind --tool=callgrind --callgrind-out-file="$work/cg" "$bin" run "$y" -n "$3" -j 1 -q \
                --runs-csv none -o "$work/out" 2>/dev/null
            awk '/^totals:/ { print $2, 0 }' "$work/cg" >> "$work/t"
            break
        fi
        /usr/bin/time -f "%U %S %M" -o "$work/time" "$bin" run "$y" -n "$3" -j 1 -q --runs-csv none -o "$work/out"
        awk '{ printf "%.3f %d\n", $1 + $2, $3 }' "$work/time" >> "$work/t"
        i=$((i + 1))
    done
    sort -n "$work/t" | awk -v ns="$(($3 * $2 * ent))" -v ent="$ent" -v cg="$cg" '
        { v[NR] = $1; if ($2 > rss) rss = $2 }
        END { med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
              printf "%s %s %.2f %d %d\n", v[1], med, (cg ? 1 : 1e9) * v[1] / ns, rss, ent }'
}

# axis NAME then lines "NODES MONTHS RUNS"
axis() {
    name=$1
    shift
    prev_ns=0 prev_c=0
    unit=$([ "$cg" = 1 ] && echo "Ir" || echo "cpu_s")
    per=$([ "$cg" = 1 ] && echo "Ir" || echo "ns")
    while [ $# -ge 3 ]; do
        r=$(point "$1" "$2" "$3")
        min=$(echo "$r" | cut -d' ' -f1) med=$(echo "$r" | cut -d' ' -f2)
        nsps=$(echo "$r" | cut -d' ' -f3) rss=$(echo "$r" | cut -d' ' -f4) ent=$(echo "$r" | cut -d' ' -f5)
        steps=$(($3 * $2 * ent))
        slope=$(awk -v c="$min" -v pc="$prev_c" -v s="$steps" -v ps="$prev_ns" -v cg="$cg" \
            'BEGIN { if (ps == 0 || s == ps) print "-"; else printf "%.2f", (c - pc) * (cg ? 1 : 1e9) / (s - ps) }')
        echo "scale axis=$name nodes=$1 months=$2 runs=$3 entities=$ent node_steps=$steps ${unit}_min=$min ${unit}_median=$med ${per}_per_node_step=$nsps slope_${per}_per_node_step=$slope rss_kb=$rss"
        prev_ns=$steps prev_c=$min
        shift 3
    done
}

echo "# scale: $(uname -m), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ), repeats=$reps callgrind=$cg" >&2
if [ "$cg" = 1 ]; then
    # About 10 minutes under valgrind on 2 cores (the 1,000-node point writes a large variance.csv).
    axis runs 100 12 64 100 12 128 100 12 256
    axis months 100 12 16 100 120 16 100 1200 16
    axis nodes 10 12 16 100 12 16 1000 12 16
else
    axis runs 100 120 64 100 120 256 100 120 1024
    axis months 100 12 64 100 120 64 100 1200 64
    axis nodes 10 120 64 100 120 64 1000 120 64 2000 120 64
fi

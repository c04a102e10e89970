#!/bin/sh
# Speed against the first version, on this machine: for bench/HISTORY.md ("against the first
# version and numpy"). Usage: bench/v1.sh [BUILD_DIR [REPEATS]]   (from the repository root)
#
# Issue 12 measured a numpy implementation of reesim's semantics against reesim's first
# version (commit 64c660e, the last before the issue's work) on its own machine: chain.yaml at
# 20,000 runs, one core each, numpy 2.6 s against 4.1 s. That implementation is not in this
# repository and numpy is not a dependency, so the ratio to numpy cannot be measured here. What
# can be: the first version against this build, the same commands, the same machine. This
# script builds 64c660e from the repository's history in a temporary worktree and runs both,
# interleaved (old, new, old, new, ...), REPEATS times (default 5), each with `-j 1` and every
# output file it writes by default, as the issue's commands did: `reesim run SCEN -n N -j 1 -q`.
# Each binary runs its own version of the scenario file (the scenarios were retuned since).
# Printed per scenario: min and median CPU seconds (user + system; disturbed far less than the
# wall time by other processes on a shared machine) and wall seconds, and the speed-up by min
# and by median CPU. For chain it also prints the ratio to numpy the issue's figures imply,
# 2.6 / 4.1 x speed-up: an inference across two machines, not a measurement; say so when
# quoting it.
set -eu
build=${1:-build}
reps=${2:-5}
bin=$build/reesim
[ -x "$bin" ] || { echo "v1.sh: build $bin first (make build)" >&2; exit 66; }
git cat-file -e 64c660e^{commit} 2>/dev/null ||
    { echo "v1.sh: commit 64c660e is not in this clone's history" >&2; exit 66; }
work=${TMPDIR:-/tmp}/reesim-v1.$$
cleanup() {
    git worktree remove --force "$work/src" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM
mkdir -p "$work"
git worktree add --detach "$work/src" 64c660e >/dev/null 2>&1
cmake -S "$work/src" -B "$work/b" -DCMAKE_BUILD_TYPE=Release >/dev/null
make -C "$work/b" -j"$(nproc)" reesim >/dev/null 2>&1
old=$work/b/reesim
new=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
here=$(pwd)

# one TAG BIN DIR SCEN RUNS: appends "TAG cpu wall" to $work/t.SCEN
one() {
    (cd "$3" && /usr/bin/time -f "%U %S %e" -o "$work/time" "$2" run "$4" -n "$5" -j 1 -q \
        -o "$work/out" >/dev/null 2>&1) || { echo "v1.sh: $1 failed on $4" >&2; exit 1; }
    awk -v tag="$1" '{ printf "%s %.3f %.3f\n", tag, $1 + $2, $3 }' "$work/time" >> "$work/t.$(basename "$4" .yaml)"
}

set -- bench/scenarios/chain.yaml:20000 scenarios/historical-2025.yaml:20000 \
    scenarios/examples/gate.yaml:100000 scenarios/examples/link.yaml:100000
for p in "$@"; do : > "$work/t.$(basename "${p%%:*}" .yaml)"; done
i=0
while [ $i -lt "$reps" ]; do
    for p in "$@"; do
        one old "$old" "$work/src" "${p%%:*}" "${p##*:}"
        one new "$new" "$here" "${p%%:*}" "${p##*:}"
    done
    i=$((i + 1))
done

# med FILE: the median of a sorted column of numbers
med() { awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }' "$1"; }

echo "v1 scenario runs old_cpu_min old_cpu_med new_cpu_min new_cpu_med old_wall_med new_wall_med speedup_min speedup_med"
for p in "$@"; do
    s=$(basename "${p%%:*}" .yaml)
    for tag in old new; do
        awk -v t=$tag '$1 == t { print $2 }' "$work/t.$s" | sort -g > "$work/c.$tag"
        awk -v t=$tag '$1 == t { print $3 }' "$work/t.$s" | sort -g > "$work/w.$tag"
    done
    om=$(head -1 "$work/c.old"); od=$(med "$work/c.old")
    nm=$(head -1 "$work/c.new"); nd=$(med "$work/c.new")
    echo "v1 $s ${p##*:} $om $od $nm $nd $(med "$work/w.old") $(med "$work/w.new") $om $od $nm $nd" |
        awk '{ printf "%s %s %s %s %s %s %s %s %s %.2fx %.2fx\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 / $12, $11 / $13 }'
    if [ "$s" = chain ]; then
        awk -v a="$om" -v b="$nm" -v c="$od" -v d="$nd" 'BEGIN {
            printf "v1 chain implied_vs_numpy_min %.2fx implied_vs_numpy_med %.2fx (issue 12: numpy 2.6 s, first version 4.1 s, on its machine)\n",
                2.6 / 4.1 * a / b, 2.6 / 4.1 * c / d }'
    fi
done

#!/bin/sh
# Invariant 2: the same scenario, seed and runs give byte-identical CSV for 1 and 2 threads, and
# --only-run K replays run K exactly as it was inside the full Monte Carlo.
# Usage: threads.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
scn="$src/tests/golden/golden.yaml"
# 300 runs: several blocks of 64, a partial last block, more blocks than one wave of 2 threads.
"$bin" run "$scn" -n 300 -j 1 -q -o "$work/j1" --check-balance
"$bin" run "$scn" -n 300 -j 2 -q -o "$work/j2" --check-balance
for f in timeseries.csv summary.csv runs.csv; do
    check "$f identical for -j1 and -j2" cmp -s "$work/j1/$f" "$work/j2/$f"
done
"$bin" run "$scn" -n 300 -j 2 -q -o "$work/k" --only-run 137
grep "^golden,137," "$work/j1/runs.csv" > "$work/full137.csv"
tail -n +2 "$work/k/runs.csv" > "$work/only137.csv"
check "--only-run 137 reproduces run 137" cmp -s "$work/full137.csv" "$work/only137.csv"
check "run 137 has rows" test -s "$work/only137.csv"
"$bin" run "$scn" -n 300 -s 99 -j 2 -q -o "$work/s99"
check "another seed gives other results" sh -c "! cmp -s '$work/j1/runs.csv' '$work/s99/runs.csv'"
# The tables are formatted on several threads in chunks of 2,048 rows (output.c): a scenario with
# more rows than two chunks (historical-2025: 9,282) gives the same bytes on 1 and 3 threads.
hist="$src/scenarios/historical-2025.yaml"
"$bin" run "$hist" -n 70 -j 1 -q -o "$work/h1" --runs-csv gz
"$bin" run "$hist" -n 70 -j 3 -q -o "$work/h3" --runs-csv gz
check "historical-2025 timeseries.csv spans several chunks" \
    test "$(wc -l < "$work/h1/timeseries.csv")" -gt 4097
for f in timeseries.csv summary.csv variance.csv runs.csv.gz; do
    check "historical-2025 $f identical for -j1 and -j3" cmp -s "$work/h1/$f" "$work/h3/$f"
done
# The merge's parts have owning threads (engine/sim/exec.c): when OpenMP gives fewer threads than
# -j asks (OMP_THREAD_LIMIT), nobody owns the missing threads' parts, so the executor must drop
# the owners rather than wait for them forever (a hang is killed after 60-70 s: a failure).
OMP_THREAD_LIMIT=1 timeout -k 10 60 "$bin" run "$hist" -n 200 -j 2 -q -o "$work/lim" --runs-csv none
check "OMP_THREAD_LIMIT=1 under -j 2: completes" test $? -eq 0
"$bin" run "$hist" -n 200 -j 2 -q -o "$work/nolim" --runs-csv none
for f in timeseries.csv summary.csv variance.csv; do
    check "  $f identical to -j 2 with its threads" cmp -s "$work/lim/$f" "$work/nolim/$f"
done
finish

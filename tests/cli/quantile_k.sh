#!/bin/sh
# --quantile-k below the block size (64 runs) works and stays thread-independent: with k = 32 the
# total keeps at most 64 points per statistic, so 300 runs are sketched, not exact. (Block
# accumulators of k = 64 used to be refused by a smaller total: "out of memory merging".)
# Usage: quantile_k.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
scn="$src/tests/golden/golden.yaml"
check "--quantile-k 32 runs (-j1)" "$bin" run "$scn" -n 300 -j 1 -q -o "$work/j1" --quantile-k 32
check "--quantile-k 32 runs (-j2)" "$bin" run "$scn" -n 300 -j 2 -q -o "$work/j2" --quantile-k 32
for f in timeseries.csv summary.csv; do
    check "$f identical for -j1 and -j2 at k = 32" cmp -s "$work/j1/$f" "$work/j2/$f"
done
"$bin" run "$scn" -n 300 -j 1 -q -o "$work/exact"
check "k = 32 sketches (quantiles differ from exact)" \
    sh -c "! cmp -s '$work/j1/timeseries.csv' '$work/exact/timeseries.csv'"
finish

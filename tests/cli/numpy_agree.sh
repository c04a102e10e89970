#!/bin/sh
# An independent implementation agrees: bench/numpy/reesim_np.py (numpy, written from the
# documented semantics, its own random numbers) and reesim give the same distributions, cell by
# cell, on the link, gate and chain scenarios (bench/numpy/agree.py: z-tests on the means, rank
# bands on the quantiles, Kolmogorov-Smirnov on each indicator's runs, at 4.5 sd). The seeds
# are fixed, so the outcome is too. A 5% change of one capacity on the numpy side must be seen,
# so the check is not one that passes whatever the engine does.
# Needs Debian's python3-numpy and python3-yaml (scripts/deps.sh test installs them).
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
py=/usr/bin/python3
np="$src/bench/numpy/reesim_np.py"
runs=4000
# agree NAME SCEN [NUMPY OPTIONS...]: runs both at $runs runs; exit status of agree.py
agree() {
    name=$1 scn=$2
    shift 2
    [ -d "$work/$name.ree" ] ||
        "$bin" run "$scn" -n $runs -j 2 -q -o "$work/$name.ree" || return 2
    "$py" "$np" "$scn" -n $runs -o "$work/$name.np$#" --runs-csv --bands "$@" > /dev/null || return 2
    "$py" "$src/bench/numpy/agree.py" "$work/$name.ree" "$work/$name.np$#" > "$work/$name.np$#.txt"
}
for s in link:scenarios/examples/link.yaml gate:scenarios/examples/gate.yaml \
    chain:bench/scenarios/chain.yaml; do
    name=${s%%:*}
    agree "$name" "$src/${s#*:}"
    rc=$?
    grep -i "cells" "$work/$name.np0.txt" | head -2
    check "$name: reesim and the numpy implementation agree (agree.py exit $rc)" test $rc -eq 0
done
agree chain "$src/bench/scenarios/chain.yaml" --scale cn_magnet.capacity=1.05
rc=$?
grep -i "cells" "$work/chain.np2.txt" | head -2
check "chain: a 5% capacity change on the numpy side is seen (agree.py exit $rc)" test $rc -eq 1
finish

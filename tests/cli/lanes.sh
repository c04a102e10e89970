#!/bin/sh
# Runs in lockstep give the bytes of runs one at a time (engine/sim/lrun.h): `reesim run` with
# lane groups of 8 built for x86-64-v4 (the default on a CPU with AVX-512), for the x86-64
# baseline (REESIM_LANES=1 REESIM_LANES_ISA=base: by default a CPU without AVX-512 runs one run at
# a time, faster there) and without lanes (REESIM_LANES=0), every CSV compared byte
# for byte. 300 runs: 37 whole groups and one of 4, on two threads. The scenarios: a regime
# chain per run, the whole 2025 record with gates, the lane tests' scenario whose runs differ in
# link ranks under a gate and the one whose runs differ in which links draw a random delay
# (drawn for the lanes together); and `reesim compare` of two scenarios.
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"

for s in scenarios/policy-uncertainty-2026-2028 scenarios/historical-2025 \
    tests/lanes/engine-gate-ranks tests/lanes/engine-regime-delays; do
    n=$(basename "$s")
    REESIM_LANES=0 "$bin" run "$src/$s.yaml" -n 300 -j 2 -q -o "$work/$n.one" >/dev/null
    REESIM_LANES=1 REESIM_LANES_ISA=base "$bin" run "$src/$s.yaml" -n 300 -j 2 -q \
        -o "$work/$n.base" >/dev/null
    "$bin" run "$src/$s.yaml" -n 300 -j 2 -q -o "$work/$n.lanes" >/dev/null
    for f in "$work/$n.one"/*.csv; do
        c=$(basename "$f")
        check "$n: $c in lockstep (baseline build) is byte-identical" cmp -s "$f" "$work/$n.base/$c"
        check "$n: $c in lockstep (this CPU's build) is byte-identical" cmp -s "$f" "$work/$n.lanes/$c"
    done
done

# reesim compare in lockstep: each scenario's runs in lanes of its own, paired run by run.
a=$src/scenarios/licensing-april-2025.yaml b=$src/scenarios/geneva-london-2025.yaml
REESIM_LANES=0 "$bin" compare "$a" "$b" -n 300 -j 2 -q -o "$work/cmp.one" >/dev/null
"$bin" compare "$a" "$b" -n 300 -j 2 -q -o "$work/cmp.lanes" >/dev/null
for f in "$work/cmp.one"/*.csv; do
    c=$(basename "$f")
    check "compare: $c in lockstep is byte-identical" cmp -s "$f" "$work/cmp.lanes/$c"
done
finish

#!/bin/sh
# Every shipped scenario (scenarios/*.yaml, scenarios/examples/*.yaml) validates and runs with
# the mass-balance check (200 runs each, to keep the test short), with no negative or residual
# (below 1e-9) shortfall or loss in any run.
# Usage: shipped_scenarios.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
validates() { "$bin" validate "$1" > /dev/null; }
n=0
for f in "$src"/scenarios/*.yaml "$src"/scenarios/examples/*.yaml; do
    [ -f "$f" ] || continue
    scn=$(basename "$f" .yaml)
    case $f in */examples/*) scn="examples-$scn" ;; esac
    n=$((n + 1))
    check "$scn validates" validates "$f"
    check "$scn runs with --check-balance" \
        "$bin" run "$f" -n 200 -q --check-balance -o "$work/$scn"
    check "$scn wrote summary.csv" test -s "$work/$scn/summary.csv"
    # Shortfalls and losses are sums of non-negative terms: never below 0, and exactly 0 in a run
    # with no short month (no rounding residue such as -2.6e-13 t or 5.7e-14 t).
    check "$scn: no negative shortfall or loss in any run" awk -F, \
        'NR > 1 && $4 ~ /shortfall|lost_units|depth_duration/ && $6 < 0 { exit 1 }' "$work/$scn/runs.csv"
    check "$scn: no residue below 1e-9 in any run" awk -F, \
        'NR > 1 && $4 ~ /shortfall|lost_units|depth_duration/ && $6 > 0 && $6 < 1e-9 { exit 1 }' \
        "$work/$scn/runs.csv"
done
check "found the shipped scenarios" test "$n" -ge 10
finish

#!/bin/sh
# Every shipped scenario (scenarios/*.yaml, scenarios/examples/*.yaml) validates and runs with
# the mass-balance check (200 runs each, to keep the test short).
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
done
check "found the shipped scenarios" test "$n" -ge 10
finish

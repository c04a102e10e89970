#!/bin/sh
# The benchmark tools work: reesim-gen writes valid scenarios of the asked size at every size the
# scaling measurements use, and reesim-phases reports every phase (bench/README.md).
# Usage: bench_tools.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
dir=$(dirname "$bin")
gen=$dir/reesim-gen phases=$dir/reesim-phases
for nm in "5 12" "10 12" "12 120" "100 60"; do
    set -- $nm
    "$gen" -n "$1" -m "$2" -o "$work/g$1.yaml"
    out=$("$bin" validate "$work/g$1.yaml")
    check "gen -n $1 -m $2 validates" test $? = 0
    c=$(( $1 / 5 ))
    check "  with $1 nodes, $((4 * c + $1 - 5 * c)) links, $2 months" \
        sh -c "echo '$out' | grep -q '3 materials, $1 nodes, $((4 * c + $1 - 5 * c)) links, 1 gates, .* $2 months'"
done
"$gen" -n 12 -m 24 --report all > "$work/all.yaml"
check "gen --report all: no report section" sh -c "! grep -q '^report:' '$work/all.yaml'"
"$bin" run "$work/all.yaml" -n 64 -q -o "$work/run" --runs-csv none
check "  and the scenario runs" test -s "$work/run/summary.csv"
"$gen" -n 4 > /dev/null 2>&1
check "gen: fewer than 5 nodes is a usage error (64)" test $? = 64
"$gen" -n 10 -m 12 -o /nonexistent/dir/x.yaml 2> "$work/err"
check "gen: an unwritable file: 73, named" sh -c "test $? = 73 && grep -q \"cannot write '/nonexistent/dir/x.yaml'\" '$work/err'"
"$phases" -n 100 -o "$work/ph" "$work/g10.yaml" > "$work/phases.txt"
check "phases: exit 0" test $? = 0
for p in load reset steps statistics runs.csv runs.gz tables; do
    check "  reports $p" grep -q "^phase scenario=gen_n10_m12 name=$p s=" "$work/phases.txt"
done
check "  counts draws" grep -q "draws_per_run=[1-9]" "$work/phases.txt"
check "  wrote the output set" sh -c "test -s '$work/ph/runs.csv' && gzip -t '$work/ph/runs.csv.gz'"
"$phases" -n 64 -o "$work/ph" "$work/g10.yaml" > /dev/null
check "  replaces its own output folder" test $? = 0
finish

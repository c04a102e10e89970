#!/bin/sh
# --only-run K without -o writes out/<name>-run-K, beside the full run's out/<name> (README,
# "Outputs"): run, --only-run, run again all succeed. Before, it wrote out/<name>/run-K inside
# the full run's folder, which then held a folder reesim does not write, so the next plain run
# refused it (exit 73, "not a reesim output folder (it holds 'run-3')").
# K must be a run of the Monte Carlo: below -n, or below the scenario's `runs` without -n (exit 64).
# Usage: only_run.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
sed -e '/^observations:/,$d' "$src/tests/golden/golden.yaml" >"$work/s.yaml"
cd "$work" || exit 1
status() { "$@" >"$work/stdout" 2>"$work/stderr"; echo $?; }

check "a full run into out/golden" test "$(status "$bin" run s.yaml -n 5 -j 1 -q)" = 0
check "--only-run 3 without -o" test "$(status "$bin" run s.yaml -n 5 -j 1 -q --only-run 3)" = 0
check "  writes out/golden-run-3" test -s out/golden-run-3/runs.csv
check "  and nothing inside out/golden" test ! -e out/golden/run-3
check "the next full run replaces out/golden" test "$(status "$bin" run s.yaml -n 5 -j 1 -q)" = 0
check "  with nothing on stderr" test ! -s "$work/stderr"
check "--only-run 3 again replaces out/golden-run-3" \
    test "$(status "$bin" run s.yaml -n 5 -j 1 -q --only-run 3)" = 0

# K is checked against the runs of the Monte Carlo it replays: -n, else the scenario's `runs`
# (golden.yaml: 150). Before, only -n was checked, so --only-run 150 ran a run of no Monte Carlo.
check "--only-run 149 of the scenario's 150 runs" \
    test "$(status "$bin" run s.yaml -j 1 -q --only-run 149 -o k149)" = 0
check "--only-run 150 of the scenario's 150 runs: 64" \
    test "$(status "$bin" run s.yaml -j 1 -q --only-run 150 -o k150)" = 64
check "  saying why" grep -q "only-run 150 is outside the 150 runs (the scenario's 'runs'; 0 to 149)" "$work/stderr"
check "  and writing nothing" test ! -e k150
check "--only-run 5 with -n 5: 64" test "$(status "$bin" run s.yaml -n 5 -j 1 -q --only-run 5 -o k5)" = 64
check "  saying why" grep -q "only-run 5 is outside the 5 runs (-n; 0 to 4)" "$work/stderr"
check "--only-run 200 with -n 300 (beyond the scenario's runs)" \
    test "$(status "$bin" run s.yaml -n 300 -j 1 -q --only-run 200 -o k200)" = 0
finish

#!/bin/sh
# --only-run K without -o writes out/<name>-run-K, beside the full run's out/<name> (README,
# "Outputs"): run, --only-run, run again all succeed. Before, it wrote out/<name>/run-K inside
# the full run's folder, which then held a folder reesim does not write, so the next plain run
# refused it (exit 73, "not a reesim output folder (it holds 'run-3')").
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
finish

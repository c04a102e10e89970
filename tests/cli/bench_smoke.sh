#!/bin/sh
# reesim-bench runs and prints its documented lines (bench/README.md, "What it prints"): a smoke
# test of the program's output, never of its figures (timings are not tested: a slow, shared
# machine must pass). Usage: bench_smoke.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
bench=$(dirname "$bin")/reesim-bench
if [ ! -x "$bench" ]; then
    echo "skip: $bench not built"
    exit 0
fi
scen="$src/scenarios/examples/source.yaml"
"$bench" -t 0.05 -j 2 -n 2 --no-memory "$scen" > "$work/out" 2> "$work/err"
check "runs" test $? -eq 0
cat "$work/out"
check "bench-info line" grep -q "^bench-info cores=[0-9]* threads=2 .* repeats=2$" "$work/out"
check "one-thread line" grep -q "^bench scenario=[^ ]* threads=1 runs=[0-9]* seconds=" "$work/out"
check "two-thread line" grep -q "^bench scenario=[^ ]* threads=2 runs=[0-9]* seconds=" "$work/out"
# Two rounds: the minimum is at most the median (of two: their mean), CPU likewise.
check "min and median of the rounds" awk '/^bench scenario=/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    n++; ok += v["repeats"] == 2 && v["seconds"] > 0 && v["seconds"] <= v["seconds_median"] &&
         v["cpu_s"] <= v["cpu_s_median"] } END { exit !(n == 2 && ok == 2) }' "$work/out"
check "speed-up line" awk '/^bench-speedup / { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    ok = v["threads"] == 2 && v["by_min"] > 0 && v["by_median"] > 0 && v["repeats"] == 2 } END { exit !ok }' "$work/out"
# bench-control: two one-thread processes at once; scaling = 2 x alone / slowest, a positive
# number whatever the machine's load.
check "control line" awk '/^bench-control / { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    ok = v["processes"] == 2 && v["runs"] > 0 && v["alone_s"] > 0 && v["slowest_s"] > 0 &&
         v["scaling"] > 0 && v["repeats"] == 2 && v["alone_s"] <= v["alone_s_median"] &&
         v["slowest_s"] <= v["slowest_s_median"] && v["scaling_median"] > 0 } END { exit !ok }' "$work/out"
"$bench" -t 0.05 -j 2 -n 1 --no-memory --no-control "$scen" > "$work/out2" 2> /dev/null
check "--no-control: no control line" sh -c "! grep -q '^bench-control' '$work/out2'"
check "--no-control: still the thread lines" test "$(grep -c '^bench scenario=' "$work/out2")" -eq 2
"$bench" -t 0.05 -j 1 -n 1 --no-memory "$scen" > "$work/out3" 2> /dev/null
check "one thread: no control line" sh -c "! grep -q '^bench-control' '$work/out3'"
check "one thread: no speed-up line" sh -c "! grep -q '^bench-speedup' '$work/out3'"
"$bench" -n 101 "$scen" > /dev/null 2>&1
check "--repeat 101 is a usage error" test $? -eq 64
"$bench" --threads 0 "$scen" > /dev/null 2>&1
check "--threads 0 is a usage error" test $? -eq 64
finish

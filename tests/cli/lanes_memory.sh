#!/bin/sh
# Lockstep keeps memory bounded like runs one at a time: a large network's runs go one at a time
# (engine/sim/lrun.h, REE_LRUN_BUDGET). A synthetic network (bench/gen.c: 1000 nodes, one export
# gate over 200 links, 1200 months) on one thread, peak RSS of `reesim run` as it chooses against
# REESIM_LANES=0. Before the budget, lockstep took 242 MB against 50 MB here (4.8x; 5000 nodes on
# two threads, 4.7 GB against 0.85 GB): eight runs' gate queues, pipelines and series in lanes,
# and eight run workspaces. From the review of the lockstep change. Needs GNU time and reesim-gen.
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
gen=$(dirname "$bin")/reesim-gen
if [ ! -x /usr/bin/time ] || [ ! -x "$gen" ] || [ -n "$REESIM_SANITIZED" ]; then
    echo "skip: needs /usr/bin/time and $gen, not under sanitizers"
    exit 0
fi
"$gen" -n 1000 -m 1200 -o "$work/long.yaml"
rss() { # peak RSS in KB of reesim run; $1: REESIM_LANES, or "" for the default choice
    if [ -n "$1" ]; then export REESIM_LANES=$1; else unset REESIM_LANES; fi
    /usr/bin/time -f %M -o "$work/rss.$2" "$bin" run "$work/long.yaml" -n 16 -j 1 -q \
        -o "$work/out.$2" --series-quantiles off --variance off >/dev/null 2>&1
    unset REESIM_LANES
    cat "$work/rss.$2"
}
one=$(rss 0 one)
dflt=$(rss "" default)
echo "peak RSS: one at a time $one KB, as reesim chooses $dflt KB"
check "reesim run takes at most 1.25 times the memory of runs one at a time" \
    [ "$dflt" -le $((one * 5 / 4)) ]
check "and the same bytes" diff -r -x meta.json "$work/out.one" "$work/out.default"
finish

#!/bin/sh
# An output folder is replaced whole by a command's results (docs/reliability.md), so one that
# holds what the command reads would lose it: a scenario inside a result folder (a run's
# scenario.resolved.yaml, calibrate's calibrated.resolved.yaml), or the sweep discover reads.
# Every command refuses such an -o with exit 64 before anything is written, however the folder
# is spelled, and keeps the input; the check walks up by file descriptors, so a working folder
# deeper than PATH_MAX is no way round it.
# Usage: out_holds_input.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
cd "$work" || exit 1
"$bin" run "$src/scenarios/examples/gate.yaml" -n 16 -q -o R
check "a run folder to read from" test -s R/scenario.resolved.yaml
ln -s R RL
refused() { # WHAT COMMAND...: exit 64, said, and R keeps its scenario and results
    what=$1
    shift
    "$@" -n 16 -q > /dev/null 2> err
    code=$?
    check "$what: exit 64" test "$code" -eq 64
    check "$what: says what it would delete" grep -q "which this command reads: replacing the folder would delete it" err
    check "$what: the scenario is kept" test -s R/scenario.resolved.yaml
    check "$what: the results are kept" test -s R/summary.csv
}
scn=R/scenario.resolved.yaml
refused "run into the folder it reads" "$bin" run "$scn" -o R
refused "run, -o spelled R/." "$bin" run "$scn" -o R/.
refused "run, -o a link to it" "$bin" run "$scn" -o RL
refused "run, the scenario read through the link" "$bin" run RL/scenario.resolved.yaml -o R
refused "compare" "$bin" compare "$src/scenarios/examples/gate.yaml" "$scn" -o R
refused "sweep" "$bin" sweep "$scn" --set cn_magnets.capacity=400,700 -o R
refused "sensitivity" "$bin" sensitivity "$scn" --method morris --set cn_magnets.capacity=400..700 -o R
refused "search" "$bin" search "$scn" --lever cn_magnets.capacity=400..700 \
    --goal 'P(us_magnet_users/months_short <= 1) >= 0.5' -o R
refused "calibrate" "$bin" calibrate "$scn" --iterations 1 -o R
ln -s "$work/R/scenario.resolved.yaml" elsewhere.yaml
refused "run of a link elsewhere to a scenario inside -o" "$bin" run elsewhere.yaml -o R
check "another folder is fine" "$bin" run "$scn" -n 16 -q -o R2
check "-o not there yet, beside the input: fine" "$bin" run "$scn" -n 16 -q -o R3
# discover from a working folder deeper than PATH_MAX (4096 bytes): the sweep is still kept.
# bash, whose cd goes one component at a time (dash's builds the whole path, which fails there).
if command -v bash > /dev/null; then
    bash -c '
        bin=$1 toy=$2
        cd "$3" || exit 1
        for i in $(seq 24); do d=$(printf "d%0200d" "$i"); mkdir "$d" && cd "$d" || exit 1; done
        [ "$(pwd | wc -c)" -gt 4096 ] || exit 2
        "$bin" sweep "$toy" -k 3 -n 20 -q -o sw || exit 3
        "$bin" discover sw --where "us_cars/shortfall_share > 0.4" -q -o sw 2> /dev/null
        [ $? -eq 64 ] || exit 4
        [ -s sw/sweep.csv ] || exit 5' sh "$bin" "$src/tests/explore/toy-explore.yaml" "$work"
    check "discover -o its own sweep from a folder deeper than PATH_MAX: 64, sweep kept" test $? -eq 0
    rm -rf "$work"/d0*
fi
finish

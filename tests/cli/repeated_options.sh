#!/bin/sh
# An option that takes one value, given twice, is a usage error naming it (exit 64, nothing
# written): `run S -n 10 -n 20` used to run 20 runs, the first value silently dropped. The options
# documented as repeatable (--set of sweep, sensitivity and search) still repeat, and a flag
# given twice is the flag once.
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
scn="$src/tests/golden/golden.yaml"
status() { "$@" >"$work/stdout" 2>"$work/stderr"; echo $?; }
# refused CMD OPT ARGS...: `reesim CMD ARGS` exits 64, names --OPT and writes nothing.
refused() {
    cmd=$1 opt=$2
    shift 2
    rm -rf "$work/o"
    check "$cmd --$opt twice is 64" test "$(status "$bin" "$cmd" "$@")" = 64
    check "$cmd --$opt twice named" grep -q -- "option --$opt.* given more than once" "$work/stderr"
    check "$cmd --$opt twice wrote nothing" test ! -e "$work/o"
}
refused run runs "$scn" -n 10 -n 20 -o "$work/o"
refused run runs "$scn" --runs=10 -n20 -o "$work/o"
refused run seed "$scn" -s 1 --seed 2 -o "$work/o"
refused run threads "$scn" -j 1 -j 2 -o "$work/o"
refused run out "$scn" -o "$work/o" -o "$work/o2"
refused run only-run "$scn" --only-run 1 --only-run 2 -o "$work/o"
refused run quantile-k "$scn" --quantile-k 64 --quantile-k 128 -o "$work/o"
refused run runs-csv "$scn" --runs-csv gz --runs-csv csv -o "$work/o"
refused run variance "$scn" --variance on --variance off -o "$work/o"
refused run series-quantiles "$scn" --series-quantiles on --series-quantiles off -o "$work/o"
refused run quantile-budget "$scn" --quantile-budget 1 --quantile-budget 2 -o "$work/o"
refused compare runs "$scn" "$scn" -n 10 -n 20 -o "$work/o"
refused calibrate until "$scn" --until 2025-01 --until 2025-02 -o "$work/o"
refused calibrate iterations "$scn" --iterations 5 --iterations 6 -o "$work/o"
refused sweep design "$scn" --design grid --design lhs -o "$work/o"
refused sweep levels "$scn" -k 2 --levels 3 -o "$work/o"
refused sensitivity samples "$scn" -n 4 --samples 6 -o "$work/o"
refused sensitivity runs "$scn" -r 4 -r 6 -o "$work/o"
refused sensitivity method "$scn" --method morris --method sobol -o "$work/o"
refused sensitivity levels "$scn" --levels 4 --levels 6 -o "$work/o"
refused sensitivity boot "$scn" --boot 0 --boot 10 -o "$work/o"
refused search lever "$scn" --lever a=1..2 --lever b=1..2 --goal 'P(a/b <= 0) >= 0.5' -o "$work/o"
refused search goal "$scn" --lever a=1..2 --goal 'P(a/b <= 0) >= 0.5' --goal 'P(a/b <= 1) >= 0.5' \
    -o "$work/o"
refused search tol "$scn" --tol 1 --tol 2 -o "$work/o"
refused discover where "$work" --where 'a/b > 1' --where 'a/b > 2' -o "$work/o"
refused discover alpha "$work" --alpha 0.1 --alpha 0.2 -o "$work/o"
# Repeatable by design: a second --set is taken, not refused (what follows fails for its own
# reasons, later).
for cmd in sweep sensitivity search; do
    "$bin" $cmd "$scn" --set a=1 --set b=2 -o "$work/o" >/dev/null 2>"$work/stderr"
    check "$cmd: --set repeats" sh -c "! grep -q 'more than once' '$work/stderr'"
done
# ... but not twice for one parameter (the same path, or two spellings of it): which value was
# meant? A usage error naming both, nothing written; the last one used to be kept silently.
toy=$src/tests/explore/toy-explore.yaml
# twice NAME CMD ARGS...: 64, both --set named, nothing written.
twice() {
    what=$1
    shift
    rm -rf "$work/o"
    check "$what: 64" test "$(status "$bin" "$@" -n 20 -o "$work/o")" = 64
    check "$what: both named" grep -q -- "--set $a and --set $b set the same parameter" "$work/stderr"
    check "$what: nothing written" test ! -e "$work/o"
}
a=gates.cn_export.approval=0.1..0.5 b=gates.cn_export.approval=0.2
twice "sweep, one path twice" sweep "$toy" --set "$a" --set "$b"
a=nodes.us_cars.demand=200,300 b=us_cars.demand=250
twice "sweep, two spellings" sweep "$toy" --set "$a" --set "$b"
a=us_cars.demand=200..300 b=nodes.us_cars.demand=250..260
twice "sensitivity, two spellings" sensitivity "$toy" --set "$a" --set "$b"
a=nodes.us_cars.demand=200 b=us_cars.demand=250
twice "search, --set twice" search "$toy" --lever gates.cn_export.approval=0.1..0.9 \
    --goal 'P(us_cars/months_short <= 1) >= 0.5' --set "$a" --set "$b"
check "a --set still replaces an explore: input" \
    test "$(status "$bin" sweep "$toy" --set gates.cn_export.approval=0.2 -k 2 -n 20 -o "$work/rep")" = 0
# A flag given twice is the flag.
check "run -q -q runs" test "$(status "$bin" run "$scn" -q -q -n 64 -o "$work/q")" = 0
"$bin" run "$scn" -q -n 64 -o "$work/q1" >/dev/null 2>&1
check "run -q -q writes what -q writes" cmp -s "$work/q/runs.csv" "$work/q1/runs.csv"
# plot has its own option loop: -o and --format once, --series and --chart repeat.
refused plot out "$work/q" -o "$work/o" -o "$work/o2"
refused plot format "$work/q" --format svg --format png -o "$work/o"
check "plot --series twice is not a usage error" \
    test "$(status "$bin" plot "$work/q" --series '*/stock*' --series '*/shortfall' -o "$work/p")" != 64
check "plot --chart twice is not a usage error" \
    test "$(status "$bin" plot "$work/q" --chart fan --chart fan -o "$work/p2")" != 64
finish

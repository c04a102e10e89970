#!/bin/sh
# reesim sweep (docs/exploration.md): grid and Latin hypercube designs over explore: and --set,
# common random numbers (a case equal to the scenario reproduces `reesim run`), thread-count
# invariance, bad --set options. Usage: sweep.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
toy=$src/tests/explore/toy-explore.yaml
cols='NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }'
check "grid sweep succeeds" "$bin" sweep "$toy" -k 2 -n 60 -q -o "$work/g2"
check "header: case, one column per input, then the statistics" test "$(head -1 "$work/g2/sweep.csv")" = \
    "case,gates.cn_export.approval,gates.cn_export.review_days,nodes.us_cars.demand,entity,indicator,unit,mean,sd,p05,p50,p95"
# 2 levels x 3 listed values x 2 levels = 12 cases, the last input varying fastest.
check "12 cases" awk -F, "$cols { n[\$1] = 1 } END { k = 0; for (i in n) k++; exit k != 12 }" \
    "$work/g2/sweep.csv"
check "grid order" awk -F, "$cols \$c[\"entity\"] == \"us_cars\" && \$c[\"indicator\"] == \"shortfall\" {
        v = v \$2 \"/\" \$3 \"/\" \$4 \" \" } END { print v;
        exit v != \"0.1/20/200 0.1/20/400 0.1/45/200 0.1/45/400 0.1/90/200 0.1/90/400 0.9/20/200 0.9/20/400 0.9/45/200 0.9/45/400 0.9/90/200 0.9/90/400 \" }" \
    "$work/g2/sweep.csv"
check "shortfall falls with approval (same review, demand)" awk -F, \
    "$cols \$c[\"entity\"] == \"us_cars\" && \$c[\"indicator\"] == \"shortfall\" { m[\$1] = \$c[\"mean\"] }
     END { for (i = 0; i < 6; i++) if (!(m[i + 6] < m[i])) exit 1 }" "$work/g2/sweep.csv"
# Thread-count invariance.
"$bin" sweep "$toy" -k 2 -n 60 -j 1 -q -o "$work/g1"
"$bin" sweep "$toy" -k 2 -n 60 -j 2 -q -o "$work/g2b"
check "byte-identical for -j1 and -j2" cmp "$work/g1/sweep.csv" "$work/g2b/sweep.csv"
# Common random numbers: the case at the scenario's own values is `reesim run` exactly.
"$bin" sweep "$toy" --set gates.cn_export.approval=0.35 --set gates.cn_export.review_days=30 \
    --set nodes.us_cars.demand=300 -n 80 -q -o "$work/one"
"$bin" run "$toy" -n 80 -q -o "$work/run"
a=$(awk -F, "$cols { print \$c[\"entity\"] \",\" \$c[\"indicator\"] \",\" \$c[\"mean\"] \",\" \$c[\"p95\"] }" "$work/one/sweep.csv")
b=$(awk -F, "$cols { print \$c[\"entity\"] \",\" \$c[\"indicator\"] \",\" \$c[\"mean\"] \",\" \$c[\"p95\"] }" "$work/run/summary.csv")
check "one case = reesim run (same seed and runs)" test "$a" = "$b"
# --no-explore: only the --set inputs vary (5 cases, one input column).
check "--no-explore" "$bin" sweep "$toy" --no-explore --set nodes.us_cars.demand=250,275,300,325,350 \
    -n 20 -q -o "$work/noexp"
check "--no-explore: 5 cases over demand alone" awk -F, "NR == 1 { ok = \$2 == \"nodes.us_cars.demand\" && \$3 == \"entity\"; next }
    { n[\$1] = 1 } END { k = 0; for (i in n) k++; exit !(ok && k == 5) }" "$work/noexp/sweep.csv"
# Latin hypercube: k cases, each input's strata covered once, deterministic from the seed.
check "lhs sweep" "$bin" sweep "$toy" --design lhs -k 8 -n 40 -q -o "$work/lhs"
check "8 lhs cases, one approval per eighth of [0.1, 0.9]" awk -F, \
    "$cols \$c[\"entity\"] == \"us_cars\" && \$c[\"indicator\"] == \"shortfall\" {
        s = int((\$2 - 0.1) / 0.1); if (s in seen) exit 1; seen[s] = 1; n++ } END { exit n != 8 }" \
    "$work/lhs/sweep.csv"
"$bin" sweep "$toy" --design lhs -k 8 -n 40 -q -o "$work/lhs2"
check "lhs deterministic" cmp "$work/lhs/sweep.csv" "$work/lhs2/sweep.csv"
"$bin" sweep "$toy" --design lhs -k 8 -n 40 -s 99 -q -o "$work/lhs3"
check "lhs moves with the seed" sh -c "! cmp -s '$work/lhs/sweep.csv' '$work/lhs3/sweep.csv'"
# A range's ends are exactly its min and max (0.2 + 0.8 * 3 / 3 rounds to 1.0000000000000002,
# which approval's bound of 1 refused), and an input is written with the digits that read back
# as the value the case used, so a printed row can be run again.
check "grid up to a bound: its top is the bound" "$bin" sweep "$toy" --no-explore \
    --set gates.cn_export.approval=0.2..1 -k 4 -n 20 -q -o "$work/top"
check "the top case is 1" awk -F, 'NR > 1 && $1 == 3 { ok = $2 == "1" } END { exit !ok }' "$work/top/sweep.csv"
"$bin" sweep "$toy" --no-explore --set gates.cn_export.approval=0.1..0.5 -k 4 -n 20 -q -o "$work/exact"
v=$(awk -F, 'NR > 1 && !($1 in s) { s[$1] = 1; printf "%s%s", sep, $2; sep = "," }' "$work/exact/sweep.csv")
check "inputs in the digits that read back: $v" test "$v" = "0.1,0.23333333333333334,0.3666666666666667,0.5"
"$bin" sweep "$toy" --no-explore --set "gates.cn_export.approval=$v" -n 20 -q -o "$work/again"
check "the printed inputs run again give the same rows" cmp "$work/exact/sweep.csv" "$work/again/sweep.csv"
# The file size limit (ulimit -f, 512-byte blocks): exit 153, the file named as `reesim run`
# names it (docs/reliability.md), nothing written.
code=$( (ulimit -f 1; "$bin" sweep "$toy" -k 3 -n 20 -q -o "$work/fsz" 2>"$work/efsz"; echo $?) )
check "ulimit -f: exit 153" test "$code" = 153
check "ulimit -f: the file named" grep -q "file size limit (signal 25): cannot write '$work/fsz/sweep.csv': File too large; no output written" "$work/efsz"
check "ulimit -f: nothing written" test ! -e "$work/fsz"
# Bad options: usage errors (64), nothing written.
"$bin" sweep "$toy" --set gates.cn_export.aproval=0.1 -q -o "$work/bad1" 2> "$work/e1"
check "unknown path: 64" test $? -eq 64
check "message names the path" grep -q "no parameter 'aproval'" "$work/e1"
"$bin" sweep "$toy" --set gates.cn_export.approval=0.1,x -q -o "$work/bad2" 2> "$work/e2"
check "not a number: 64" test $? -eq 64
"$bin" sweep "$toy" --set gates.cn_export.approval=0.5..0.5 -q -o "$work/bad3" 2> "$work/e3"
check "empty range: 64" test $? -eq 64
"$bin" sweep "$toy" --set "gates.cn_export.approval=$(awk 'BEGIN { for (i = 0; i <= 1000; i++) printf "%s%g", i ? "," : "", i / 1000 }')" \
    -q -o "$work/bad5" 2> "$work/e5"
check "1,001 values (an explore: list holds 1 to 1000): 64, said" sh -c "test $? -eq 64 && grep -q 'expected 1 to 1000 values, found 1001' '$work/e5'"
"$bin" sweep "$toy" --set gates.cn_export.approval=1.5 -q -o "$work/bad4" 2> "$work/e4"
check "out of bounds: 64" test $? -eq 64
check "bounds named" grep -q "outside its bounds" "$work/e4"
check "no output from bad runs" test ! -e "$work/bad1" -a ! -e "$work/bad2" -a ! -e "$work/bad3" -a ! -e "$work/bad4"
"$bin" sweep "$src/tests/calibrate/toy-truth.yaml" -q -o "$work/bad5" 2> "$work/e5"
check "nothing to explore: 64" test $? -eq 64
# Interrupted: exit 143, nothing written (40 cases of 4000 runs take far longer than a second).
"$bin" sweep "$src/scenarios/licensing-april-2025.yaml" --no-explore --set 'timeline[1].set.cn_export.approval=0.05..0.6' \
    -k 40 -n 4000 -q -o "$work/int" 2> "$work/int.err" &
pid=$!
sleep 1
kill -TERM $pid
wait $pid
check "SIGTERM: 143" test $? -eq 143
check "interrupted: no output" test ! -e "$work/int"
check "interrupted: said" grep -q "interrupted" "$work/int.err"
finish

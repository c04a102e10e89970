#!/bin/sh
# reesim search (docs/exploration.md): bisection on common random numbers for the smallest
# approval (rising probability) and the largest review time (falling probability) meeting a
# goal; the answer meets it and the bracket does not; thread-count invariance; bad goals.
# Usage: search.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
toy=$src/tests/explore/toy-explore.yaml
cols='NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }'
check "search approval" "$bin" search "$toy" --lever gates.cn_export.approval=0..1 \
    --goal 'P(us_cars/shortfall_share <= 0.3) >= 0.9' -n 150 -j 2 -o "$work/a" > "$work/a.txt"
check "answer printed" grep -q "smallest value meeting the goal" "$work/a.txt"
check "summary: found, smallest, prob >= 0.9, Wilson interval around it" awk -F, \
    "$cols { ok = \$c[\"found\"] == 1 && \$c[\"direction\"] == \"smallest\" && \$c[\"prob\"] >= 0.9 &&
             \$c[\"lo\"] <= \$c[\"prob\"] && \$c[\"prob\"] <= \$c[\"hi\"] && \$c[\"runs\"] == 150 &&
             \$c[\"bracket\"] < \$c[\"answer\"] && \$c[\"answer\"] - \$c[\"bracket\"] <= 1 / 256 + 1e-12 }
     END { exit !ok }" "$work/a/search_summary.csv"
ans=$(awk -F, "$cols { print \$c[\"answer\"] }" "$work/a/search_summary.csv")
br=$(awk -F, "$cols { print \$c[\"bracket\"] }" "$work/a/search_summary.csv")
check "every evaluation below the answer fails, every one at or above meets" awk -F, -v a="$ans" \
    "$cols { if ((\$c[\"lever\"] >= a) != (\$c[\"met\"] == 1)) exit 1 }" "$work/a/search.csv"
check "the bracket was evaluated and fails" awk -F, -v b="$br" \
    "$cols \$c[\"lever\"] == b { n++; if (\$c[\"met\"] != 0) exit 1 } END { exit n != 1 }" "$work/a/search.csv"
"$bin" search "$toy" --lever gates.cn_export.approval=0..1 \
    --goal 'P(us_cars/shortfall_share <= 0.3) >= 0.9' -n 150 -j 1 -q -o "$work/a1"
check "byte-identical for -j1 and -j2" cmp "$work/a/search.csv" "$work/a1/search.csv"
check "search review time" "$bin" search "$toy" --lever gates.cn_export.review_days=1..120 \
    --goal 'P(us_cars/shortfall_share<=0.5)>=0.9' -n 150 -q -o "$work/r"
check "largest review time, inside the range" awk -F, \
    "$cols { exit !(\$c[\"direction\"] == \"largest\" && \$c[\"answer\"] > 1 && \$c[\"answer\"] < 120 &&
             \$c[\"bracket\"] > \$c[\"answer\"]) }" "$work/r/search_summary.csv"
check "rerun into the same folder" "$bin" search "$toy" --lever gates.cn_export.review_days=1..120 \
    --goal 'P(us_cars/shortfall_share<=0.5)>=0.9' -n 150 -q -o "$work/r"
check "unreachable goal: not found, exit 0" "$bin" search "$toy" \
    --lever gates.cn_export.approval=0..1 --goal 'P(us_cars/months_short <= 0) >= 0.99' -n 50 -q -o "$work/n"
check "not found recorded" awk -F, "$cols { exit \$c[\"found\"] != 0 }" "$work/n/search_summary.csv"
# An initial stock as the lever, another parameter held fixed with --set.
check "stock lever with --set" "$bin" search "$toy" --lever nodes.us_cars.stock.ndfeb=0..3000 \
    --set gates.cn_export.approval=0.9 --goal 'P(us_cars/months_short <= 2) >= 0.9' -n 100 -q -o "$work/st"
check "smallest stock found inside the range" awk -F, \
    "$cols { exit !(\$c[\"found\"] == 1 && \$c[\"direction\"] == \"smallest\" && \$c[\"answer\"] > 0 && \$c[\"answer\"] < 3000) }" \
    "$work/st/search_summary.csv"
"$bin" search "$toy" --lever nodes.us_cars.stock.ndfeb=0..3000 --goal 'P(us_cars/months_short <= 2) >= 0.9' \
    -n 100 -q -o "$work/st0"
check "the fixed approval matters (0.35 as scenario: not met)" awk -F, "$cols { exit \$c[\"found\"] != 0 }" \
    "$work/st0/search_summary.csv"
"$bin" search "$toy" --lever nodes.us_cars.stock.ndfeb=0..3000 --set gates.cn_export.approval=0.5,0.9 \
    --goal 'P(us_cars/months_short <= 2) >= 0.9' -q -o "$work/bad" 2> /dev/null
check "--set with two values: 64" test $? -eq 64
"$bin" search "$toy" --lever nodes.us_cars.stock.ndfeb=0..3000 --set us_cars.stock.ndfeb=5 \
    --goal 'P(us_cars/months_short <= 2) >= 0.9' -q -o "$work/bad" 2> /dev/null
check "--set of the lever: 64" test $? -eq 64
for g in 'P(us_cars/shortfall <= x) >= 0.9' 'us_cars/shortfall <= 1' 'P(us_cars/shortfall <= 1) >= 1.5' \
         'P(us_cars/nothing <= 1) >= 0.9' 'P(shortfall <= 1) >= 0.9'; do
    "$bin" search "$toy" --lever gates.cn_export.approval=0..1 --goal "$g" -q -o "$work/bad" 2> /dev/null
    check "bad goal '$g': 64" test $? -eq 64
done
"$bin" search "$toy" --lever gates.cn_export.approval=0.5..0.1 --goal 'P(us_cars/shortfall <= 1) >= 0.9' \
    -q -o "$work/bad" 2> "$work/e-lever"
check "empty lever range: 64" test $? -eq 64
"$bin" search "$toy" --lever gates.cn_export.approval=0.1..0.9 --goal 'P(us_cars/shortfall <= 1) >= 0.9' \
    --tol 1e-300 -q -o "$work/bad" 2> "$work/e-tol"
check "--tol finer than the written digits: 64, said" sh -c "test $? -eq 64 && grep -q 'finer than the 10 significant digits' '$work/e-tol'"
"$bin" search "$toy" --lever gates.cn_export.approval=0.795339602..0.795339604 \
    --goal 'P(us_cars/shortfall <= 1) >= 0.9' -q -o "$work/bad" 2> "$work/e-narrow"
check "a lever range narrower than the written digits (default --tol): 64, said" sh -c "test $? -eq 64 && grep -q 'the range is narrower than the 10 significant digits' '$work/e-narrow'"
"$bin" search "$toy" --lever gates.cn_export.approval=0.1..0.9 \
    --goal 'P(us_cars/shortfall_share <= 0.3) >= 0.9' --tol 9e-9 -n 100 -q -o "$work/tol-limit" 2> /dev/null
check "--tol at the limit (1e-8 x 0.9, as printed) is accepted" test $? -eq 0
"$bin" search "$toy" --lever nodes.us_cars.stock.ndfeb=999999990..1e9 \
    --goal 'P(us_cars/months_short <= 2) >= 0.9' -n 20 -o "$work/both-ends" > "$work/both.out" 2> /dev/null
check "met at both ends: the printed answer is LO (999999990), not 1e+09" grep -q "goal: 9.9999999e+08$" "$work/both.out"
check "found, and its bracket's ends differ in the written digits" awk -F, 'NR == 2 && $3 == 1 && $5 != $10 { ok = 1 } END { exit !ok }' "$work/tol-limit/search_summary.csv"
check "the message names --lever, the option given" grep -q "search: --lever gates.cn_export.approval: expected LO..HI" "$work/e-lever"
check "nothing written" test ! -e "$work/bad"
finish

#!/bin/sh
# `reesim compare`: paired comparison with common random numbers. Two licensing cases made from
# the golden scenario (a tight one and a harsher one), written into WORKDIR: compare.csv columns,
# paired CIs narrower than unpaired for the shortfall indicators, byte-identical results for -j1
# and -j2, a case against itself gives differences of exactly 0, cases with different networks
# compare on what they share and list the rest as skipped, nine scenarios each get a whole resolved
# scenario, exit codes as `reesim run`.
# Usage: compare.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
cp "$src/tests/golden/golden.yaml" "$src/tests/golden/observed.csv" "$work/"
g="$work/golden.yaml"
# Tight: London framework approvals 10-30% instead of 40-80%.
sed -e 's/^name: golden/name: tight/' -e 's/min: 0.4, max: 0.8}/min: 0.1, max: 0.3}/' "$g" \
    >"$work/tight.yaml"
# Harsh: 5% approvals in April, 5-20% after London, 5% in the tight regime.
sed -e 's/^name: golden/name: harsh/' -e 's/approval: 0.1}/approval: 0.05}/' \
    -e 's/min: 0.4, max: 0.8}/min: 0.05, max: 0.2}/' -e 's/approval: 0.2}/approval: 0.05}/' \
    "$g" >"$work/harsh.yaml"
# No recycler: a different network.
sed -e 's/^name: golden/name: norecycle/' -e '/id: us_recycler/,/feed: ndfeb/d' \
    -e '/from: us_recycler/d' "$g" >"$work/norecycle.yaml"
status() { "$@" >"$work/stdout" 2>"$work/stderr"; echo $?; }

check "tight and harsh are valid" "$bin" validate "$work/tight.yaml" "$work/harsh.yaml" \
    "$work/norecycle.yaml"
# 300 runs: several blocks of 64 and a partial one, more blocks than one wave of 2 threads.
check "compare exits 0" test "$(status "$bin" compare "$work/tight.yaml" "$work/harsh.yaml" \
    -n 300 -j 1 -o "$work/j1" --check-balance)" = 0
cp "$work/stdout" "$work/table.txt"
check "compare.csv columns" test "$(head -1 "$work/j1/compare.csv")" = \
    "base,scenario,entity,indicator,unit,base_mean,scenario_mean,diff_mean,diff_ci95_low,diff_ci95_high,prob_worse,paired_ci_width,unpaired_ci_width"
check "compare_timeseries.csv columns" test "$(head -1 "$work/j1/compare_timeseries.csv")" = \
    "base,scenario,step,date,entity,metric,unit,base_mean,scenario_mean,diff_mean,diff_ci95_low,diff_ci95_high"
check "resolved scenarios written" test -s "$work/j1/base.resolved.yaml" -a \
    -s "$work/j1/scenario1.resolved.yaml"
check "no temporary files left" sh -c "! ls -a '$work/j1' | grep -q tmp"
check "one row per sector indicator" test "$(grep -c '^tight,harsh,us_cars,' "$work/j1/compare.csv")" = 14
check "12 months of us_cars/shortfall" \
    test "$(grep -c '^tight,harsh,[0-9]*,2025-[0-9]*,us_cars,shortfall,' "$work/j1/compare_timeseries.csv")" = 12

# The harsher case is worse for cars, with a CI clear of 0; paired CIs narrower than unpaired.
csv="$work/j1/compare.csv"
row() { grep "^tight,harsh,us_cars,$1," "$csv"; }
for ind in shortfall lost_units months_short depth_duration max_shortfall; do
    check "$ind: harsh is worse, CI above 0" sh -c "echo '$(row $ind)' | awk -F, '\$8 > 0 && \$9 > 0 && \$9 < \$8 && \$8 < \$10 { ok = 1 } END { exit !ok }'"
    check "$ind: paired CI narrower than unpaired" sh -c "echo '$(row $ind)' | awk -F, '\$12 > 0 && \$12 < \$13 { ok = 1 } END { exit !ok }'"
done
check "onset_lag shorter in the harsh case" sh -c "echo '$(row onset_lag)' | awk -F, '\$8 < 0 && \$11 > 0 { ok = 1 } END { exit !ok }'"
check "every mean difference inside its CI" awk -F, 'NR > 1 && $12 != "" && !($9 <= $8 && $8 <= $10) { bad = 1 } END { exit bad }' "$csv"
check "prob_worse in [0, 1] or empty" awk -F, 'NR > 1 && $11 != "" && ($11 < 0 || $11 > 1) { bad = 1 } END { exit bad }' "$csv"
check "no direction, no prob_worse (gate applications)" sh -c "grep '^tight,harsh,cn_export,applied,' '$csv' | awk -F, '\$11 == \"\" { ok = 1 } END { exit !ok }'"
check "the table names the largest differences" grep -q "us_cars .*lost_units" "$work/table.txt"
check "the table reports the CI narrowing" grep -q "times narrower than unpaired" "$work/table.txt"

"$bin" compare "$work/tight.yaml" "$work/harsh.yaml" -n 300 -j 2 -q -o "$work/j2" >"$work/q.txt"
for f in compare.csv compare_timeseries.csv; do
    check "$f identical for -j1 and -j2" cmp -s "$work/j1/$f" "$work/j2/$f"
done
check "-q prints nothing" test ! -s "$work/q.txt"

# A case against itself: every difference is exactly 0, and both means are the same numbers.
"$bin" compare "$work/tight.yaml" "$work/tight.yaml" -n 130 -j 2 -q -o "$work/self"
check "self: differences and CIs exactly 0" awk -F, 'NR > 1 && ($8 != "0" || $9 != "0" || $10 != "0" || $12 != "0") { bad = 1 } END { exit bad }' "$work/self/compare.csv"
check "self: base mean = scenario mean" awk -F, 'NR > 1 && $6 != $7 { bad = 1 } END { exit bad }' "$work/self/compare.csv"
check "self: never worse" awk -F, 'NR > 1 && $11 != "" && $11 != "0" { bad = 1 } END { exit bad }' "$work/self/compare.csv"
check "self: series differences exactly 0" awk -F, 'NR > 1 && ($10 != "0" || $11 != "0" || $12 != "0") { bad = 1 } END { exit bad }' "$work/self/compare_timeseries.csv"

# Different networks: shared quantities compared, the recycler's listed as skipped.
check "different networks compare" test "$(status "$bin" compare "$work/tight.yaml" \
    "$work/norecycle.yaml" -n 70 -q -o "$work/net")" = 0
check "skipped recycler indicators named" grep -q "^skipped: us_recycler indicators recovered (only in the base tight, not in norecycle)" "$work/stderr"
check "skipped recycler link series named" grep -q "^skipped: us_recycler->us_importers series shipped, in_transit (only in" "$work/stderr"
check "skipped quantities absent from compare.csv" sh -c "! grep -q us_recycler '$work/net/compare.csv'"
check "shared quantities present" grep -q "^tight,norecycle,us_cars,lost_units," "$work/net/compare.csv"

# Several scenarios against one base; default output folder.
(cd "$work" && "$bin" compare tight.yaml harsh.yaml tight.yaml -n 64 -q)
check "default folder out/compare-<base>-vs-<others>" test -s "$work/out/compare-tight-vs-harsh-tight/compare.csv"
check "rows for both scenarios" test "$(cut -d, -f2 "$work/out/compare-tight-vs-harsh-tight/compare.csv" | sort -u | tr '\n' ' ')" = "harsh scenario tight "

# Nine scenarios: a resolved scenario for each, every one whole (the base and the first five
# were written empty, and glibc stored into freed memory, while the set's list of files was one
# array that moved when it grew past 8) and valid to run again.
set -- "$work/tight.yaml"
for i in 1 2 3 4 5 6 7 8; do
    sed "s/^name: tight/name: case$i/" "$work/tight.yaml" >"$work/case$i.yaml"
    set -- "$@" "$work/case$i.yaml"
done
check "nine scenarios compare" test "$(status "$bin" compare "$@" -n 16 -j 2 -q -o "$work/nine")" = 0
set -- "$work/nine/base.resolved.yaml"
for i in 1 2 3 4 5 6 7 8; do set -- "$@" "$work/nine/scenario$i.resolved.yaml"; done
for f in "$@"; do check "nine: $(basename "$f") not empty" test -s "$f"; done
check "nine: every resolved scenario valid" "$bin" validate "$@"
check "nine: a resolved scenario runs again" "$bin" run "$work/nine/scenario8.resolved.yaml" -n 8 -q \
    -o "$work/nine-again"
check "nine: and names its case" grep -q '^name: "case8"' "$work/nine/scenario8.resolved.yaml"

# Exit codes as `reesim run`.
check "help exits 0" test "$(status "$bin" compare --help)" = 0
check "help on stdout" grep -q "^Usage: reesim compare BASE.yaml OTHER.yaml" "$work/stdout"
check "one scenario is a usage error" test "$(status "$bin" compare "$work/tight.yaml")" = 64
check "bad -n is a usage error" test "$(status "$bin" compare "$work/tight.yaml" "$work/harsh.yaml" -n 0)" = 64
check "missing scenario is 66" test "$(status "$bin" compare "$work/tight.yaml" "$work/nope.yaml")" = 66
printf 'reesim: 1\nname: [\n' >"$work/bad.yaml"
check "invalid scenario is 65" test "$(status "$bin" compare "$work/bad.yaml" "$work/tight.yaml")" = 65
: >"$work/file"
check "output under a file is 73" test "$(status "$bin" compare "$work/tight.yaml" "$work/harsh.yaml" -n 10 -o "$work/file/x")" = 73
finish

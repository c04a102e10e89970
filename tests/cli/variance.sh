#!/bin/sh
# Variance budget (docs/uncertainty.md): in tests/variance/toy.yaml the source's capacity alone
# drives the car sector's shortfall and kg_per_unit has no effect on it; variance.csv must show
# shares ~1 and ~0 (within 4 noise-floor sd), identical bytes for any thread count.
# Usage: variance.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
check "toy runs" "$bin" run "$src/tests/variance/toy.yaml" -n 1000 -j 2 -q -o "$work/a"
v="$work/a/variance.csv"
check "variance.csv header" test "$(head -1 "$v")" = \
    "scenario,entity,indicator,unit,parameter,share,noise_sd,runs"
cols='NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }'
row='$c["entity"] == "us_cars" && $c["indicator"] == "shortfall"'
check "capacity explains the shortfall (share > 0.97)" \
    awk -F, "$cols $row && \$c[\"parameter\"] == \"nodes.cn_magnets.capacity\" {
             printf \"  capacity share %s\n\", \$c[\"share\"]; ok = \$c[\"share\"] > 0.97 }
             END { exit !ok }" "$v"
check "kg_per_unit does not (|share| < 4 noise sd)" \
    awk -F, "$cols $row && \$c[\"parameter\"] == \"nodes.us_cars.kg_per_unit\" {
             s = \$c[\"share\"]; s = s < 0 ? -s : s; printf \"  kg_per_unit share %s, noise %s\n\",
             \$c[\"share\"], \$c[\"noise_sd\"]; ok = s < 4 * \$c[\"noise_sd\"] && \$c[\"runs\"] == 1000 }
             END { exit !ok }" "$v"
check "lost_units: both matter, shares sum to at most 1" \
    awk -F, "$cols \$c[\"entity\"] == \"us_cars\" && \$c[\"indicator\"] == \"lost_units\" {
             s += \$c[\"share\"]; n += \$c[\"share\"] > 0.02 } END { exit !(n == 2 && s < 1.02) }" "$v"
"$bin" run "$src/tests/variance/toy.yaml" -n 1000 -j 1 -q -o "$work/b"
check "same bytes with one thread" cmp "$v" "$work/b/variance.csv"
"$bin" run "$src/tests/variance/toy.yaml" -n 1000 -o "$work/c" > "$work/c.txt"
check "printed budget names the capacity" grep -q "us_cars shortfall: nodes.cn_magnets.capacity" "$work/c.txt"
# --variance off: variance.csv has only its header, everything else is the same bytes.
"$bin" run "$src/tests/variance/toy.yaml" -n 1000 -j 1 -q --variance off -o "$work/d"
check "--variance off: header only" test "$(wc -l < "$work/d/variance.csv")" -eq 1
check "--variance off: summary unchanged" cmp "$work/b/summary.csv" "$work/d/summary.csv"
"$bin" run "$src/tests/variance/toy.yaml" -n 64 -q --variance maybe -o "$work/e" 2>/dev/null
check "--variance maybe is a usage error" test $? -eq 64
"$bin" run "$src/tests/variance/toy.yaml" -n 64 -q --variance maybe -o "$work/e" 2> "$work/e.err"
check "and names every mode" grep -q "on, regions, off or auto" "$work/e.err"
# auto: a network whose budget of every headline would pass REE_VB_AUTO_MAX_CELLS (1,000
# generated nodes: about 7 million cells) keeps the region totals' only, and says so.
# --variance regions on a smaller network: the region rows of --variance on, byte for byte (each
# cell's sums are its own), and no other row.
gen=$(dirname "$bin")/reesim-gen
if [ -x "$gen" ]; then
    "$gen" -n 1000 -m 12 -o "$work/big.yaml"
    "$bin" run "$work/big.yaml" -n 64 -o "$work/f" > /dev/null 2> "$work/f.err"
    check "auto: a large network keeps the region totals' budget" \
        awk -F, "$cols { n++; bad += \$c[\"entity\"] != \"US\" } END { exit !(n > 0 && !bad) }" \
        "$work/f/variance.csv"
    check "auto: and says so" grep -q "variance budget of the region totals only" "$work/f.err"
    # auto's limit is per node-step (REE_VB_AUTO_CELLS_PER_NODE_STEP), not only absolute: 200
    # generated nodes have 300,120 cells for every headline, under 2^21, but over 12 months that
    # is 69 per entity and month (a run's budget would cost more than its simulation's linear
    # share), so auto keeps the region totals' only; over 60 months (14) it keeps them all.
    "$gen" -n 200 -m 12 -o "$work/m12.yaml"
    "$gen" -n 200 -m 60 -o "$work/m60.yaml"
    "$bin" run "$work/m12.yaml" -n 64 -o "$work/m12" > /dev/null 2> "$work/m12.err"
    "$bin" run "$work/m60.yaml" -n 64 -o "$work/m60" > /dev/null 2> "$work/m60.err"
    check "auto: 200 nodes over 12 months: the region totals' budget" \
        awk -F, "$cols { n++; bad += \$c[\"entity\"] != \"US\" } END { exit !(n > 0 && !bad) }" \
        "$work/m12/variance.csv"
    check "auto: and names the limit" grep -q "automatic limit of 277248" "$work/m12.err"
    check "auto: 200 nodes over 60 months: every headline's budget" \
        awk -F, "$cols { bad += \$c[\"entity\"] != \"US\" } END { exit !bad }" \
        "$work/m60/variance.csv"
    check "auto: and no note" test ! -s "$work/m60.err"
    # ... but a small budget is kept whatever the horizon (REE_VB_AUTO_MIN_CELLS, 2^16 cells): 30
    # nodes over one month have 153 cells per entity and month, 8,400 in all.
    "$gen" -n 30 -m 1 -o "$work/s1.yaml"
    "$bin" run "$work/s1.yaml" -n 64 -o "$work/s1" > /dev/null 2> "$work/s1.err"
    check "auto: a small budget over one month keeps every headline" \
        awk -F, "$cols { bad += \$c[\"entity\"] != \"US\" } END { exit !bad }" \
        "$work/s1/variance.csv"
    "$gen" -n 100 -m 12 -o "$work/mid.yaml"
    "$bin" run "$work/mid.yaml" -n 200 -j 2 -q --variance on -o "$work/g"
    "$bin" run "$work/mid.yaml" -n 200 -j 1 -q --variance regions -o "$work/h"
    awk -F, 'NR == 1 || $2 == "US"' "$work/g/variance.csv" > "$work/g.us"
    check "regions: some region rows" test "$(wc -l < "$work/g.us")" -gt 1
    check "regions: the region rows of on, and only them" cmp "$work/g.us" "$work/h/variance.csv"
    check "regions: fewer rows than on" test "$(wc -l < "$work/h/variance.csv")" -lt \
        "$(wc -l < "$work/g/variance.csv")"
    check "regions: summary unchanged" cmp "$work/g/summary.csv" "$work/h/summary.csv"
fi
finish

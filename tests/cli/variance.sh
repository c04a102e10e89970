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
finish

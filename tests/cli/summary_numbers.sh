#!/bin/sh
# The tables `reesim run` and `reesim compare` print: numbers grouped by thousands and rounded
# (engine/io/numfmt.c), never %g exponents; the CSV files keep full precision.
# Usage: summary_numbers.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
cp "$src/tests/golden/golden.yaml" "$src/tests/golden/observed.csv" "$work/"
"$bin" run "$work/golden.yaml" -n 200 -j 1 -o "$work/out" >"$work/table.txt" 2>/dev/null
check "run exits 0" test -s "$work/out/summary.csv"
# us_cars lost_units p95 is above 1,000 units in 200 runs of the golden scenario.
p95=$(awk '$1 == "us_cars" && $2 == "lost_units" { print $5 }' "$work/table.txt")
check "lost_units p95 is grouped ($p95)" sh -c "echo '$p95' | grep -Eq '^[0-9]{1,3}(,[0-9]{3})+$'"
check "no exponents in the table" sh -c "! grep -Eq '[0-9]e[+-][0-9]' '$work/table.txt'"
check "summary.csv rows have the header's field count" awk -F, 'NR == 1 { n = NF } NF != n { bad = 1 } END { exit bad }' "$work/out/summary.csv"
sed -e 's/^name: golden/name: harsh/' -e 's/approval: 0.1}/approval: 0.05}/' \
    -e 's/min: 0.4, max: 0.8}/min: 0.05, max: 0.2}/' "$work/golden.yaml" >"$work/harsh.yaml"
"$bin" compare "$work/golden.yaml" "$work/harsh.yaml" -n 100 -j 1 -o "$work/cmp" \
    >"$work/cmp.txt" 2>/dev/null
diff=$(awk '$1 == "us_cars" && $2 == "lost_units" { print $5 }' "$work/cmp.txt")
check "compare difference is signed and grouped ($diff)" sh -c "echo '$diff' | grep -Eq '^[+-][0-9]{1,3}(,[0-9]{3})+$'"
check "no exponents in the compare table" sh -c "! grep -Eq '[0-9]e[+-][0-9]' '$work/cmp.txt'"
finish

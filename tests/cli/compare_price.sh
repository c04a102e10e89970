#!/bin/sh
# `reesim compare` reads an indicator's direction from its model's table: the price_index model's
# max_index and mean_index (higher is worse) get a prob_worse. Regression: the direction table
# compare.c once kept named the model "price", so these cells stayed empty.
# Usage: compare_price.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
ex="$src/scenarios/examples/price.yaml"
# Harsher: 5% approvals from April instead of 10%, 30% after London instead of 60%.
sed -e 's/^name: example-price/name: price-harsh/' -e 's/approval: 0.1}/approval: 0.05}/' \
    -e 's/approval: 0.6}/approval: 0.3}/' "$ex" >"$work/harsh.yaml"
check "the harsher case differs" sh -c "! cmp -s '$ex' '$work/harsh.yaml'"
check "compare exits 0" "$bin" compare "$ex" "$work/harsh.yaml" -n 100 -j 1 -q -o "$work/out"
csv="$work/out/compare.csv"
for ind in max_index mean_index; do
    check "$ind has a prob_worse in [0, 1]" sh -c "grep '^example-price,price-harsh,ndfeb_price,$ind,' '$csv' | awk -F, '\$11 != \"\" && \$11 >= 0 && \$11 <= 1 { ok = 1 } END { exit !ok }'"
done
check "the harsher case raises the index" sh -c "grep '^example-price,price-harsh,ndfeb_price,mean_index,' '$csv' | awk -F, '\$8 > 0 && \$11 > 0.5 { ok = 1 } END { exit !ok }'"
finish

#!/bin/sh
# Golden outputs: tests/golden/golden.yaml run with its own seed and runs must reproduce the
# stored CSV byte for byte. After an intended change of results, regenerate them with
# tests/update-golden.sh and review the diff before committing.
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
"$bin" run "$src/tests/golden/golden.yaml" -q -o "$work/out" --check-balance
check "golden run succeeds" test -f "$work/out/summary.csv"
for f in timeseries.csv summary.csv runs.csv fit.csv fit_summary.csv variance.csv; do
    check "$f matches tests/golden/expected/$f" cmp "$src/tests/golden/expected/$f" "$work/out/$f"
done
finish

#!/bin/sh
# The results the docs quote are what the scenarios give now: scripts/scenario-table.sh
# (docs/scenarios.md, "Results") and scripts/fit-table.sh (docs/calibration.md, "Final fit") are
# run with this build; every table row they print must be in the doc, the fit's summary sentence
# too, and each figure the fit's text and caveats quote must be in its prose, so a change to a
# model or a scenario that moves one fails here until the doc is regenerated on purpose.
# Usage: doc_tables.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
build=$(dirname "$bin")
rows_in() { # TABLE DOC: every markdown table row of TABLE is a line of DOC
    grep '^|' "$1" > "$work/rows"
    test -s "$work/rows" && grep -qvxF -f "$2" "$work/rows" && {
        grep -vxF -f "$2" "$work/rows" | head -5 >&2
        return 1
    }
    test -s "$work/rows"
}
TMPDIR=$work sh "$src/scripts/scenario-table.sh" "$build" > "$work/scenarios.md" 2> "$work/s.err"
check "scenario-table.sh runs" test $? -eq 0
check "docs/scenarios.md has every row of its table" rows_in "$work/scenarios.md" "$src/docs/scenarios.md"
TMPDIR=$work sh "$src/scripts/fit-table.sh" "$build" > "$work/fit.md" 2> "$work/f.err"
check "fit-table.sh runs" test $? -eq 0
check "docs/calibration.md has every row of its fit table" rows_in "$work/fit.md" "$src/docs/calibration.md"
for l in 1 2 3; do
    check "docs/calibration.md has line $l of the fit's summary" grep -qxF "$(sed -n ${l}p "$work/fit.md")" "$src/docs/calibration.md"
done
# The figures the text and the caveats quote: each in the doc's prose (outside its tables).
grep -v '^|' "$src/docs/calibration.md" > "$work/prose"
grep '^figure ' "$work/fit.md" > "$work/figures"
check "fit-table.sh printed the quoted figures" test "$(wc -l < "$work/figures")" -ge 7
while IFS= read -r f; do
    v=${f##*: }
    v=${v% t}
    # The whole number: not inside a longer one (674 in 1,674, 14% in 114%).
    re="(^|[^0-9,.])$(printf '%s' "$v" | sed 's/[.]/[.]/g')([^0-9,]|\$)"
    check "docs/calibration.md quotes ${f#figure }" grep -qE -- "$re" "$work/prose"
done < "$work/figures"
finish

#!/bin/sh
# The results tables the docs quote are what the scenarios give now: scripts/scenario-table.sh
# (docs/scenarios.md, "Results") and scripts/fit-table.sh (docs/calibration.md, "Final fit") are
# run with this build, and every table row they print must be in the doc, so a change to a model
# or a scenario that moves a figure fails here until the tables are regenerated on purpose.
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
check "docs/calibration.md has its summary sentence" grep -qF "$(sed -n 2p "$work/fit.md")" "$src/docs/calibration.md"
finish

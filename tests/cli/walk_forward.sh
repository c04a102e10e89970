#!/bin/sh
# scripts/walk-forward.sh in a small mode (two cut-offs, 40 runs, 3 simplex iterations): it
# calibrates, forecasts and writes the markdown table docs/calibration.md includes, with one row
# per series and horizon 1-6 and the model's and both naive forecasts' columns.
# Usage: walk_forward.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
check "script runs" sh "$src/scripts/walk-forward.sh" -b "$bin" -n 40 -i 3 -c "2024-12 2025-03" \
    -w "$work/wf" -t "$work/table.md"
t="$work/table.md"
check "one fit and one forecast per cut-off" \
    test -s "$work/wf/cal-2024-12/calibration.csv" -a -s "$work/wf/run-2025-03/fit.csv"
check "header names the model and both naive forecasts" \
    grep -q '^| series | h | points | model coverage | model IS | model MedAE | last value coverage | last value IS | last value MedAE | last year coverage | last year IS | last year MedAE |$' "$t"
check "12 rows: two series x horizons 1-6, 12 columns each" \
    awk -F'|' '/^\| (total|US-bound) \| [1-6] \|/ { n++; if (NF != 14) bad++ } END { exit !(n == 12 && !bad) }' "$t"
check "horizon 1 of the total is scored on both cut-offs" \
    awk -F'|' '$2 == " total " && $3 == " 1 " { exit !($4 == " 2 ") }' "$t"
check "coverage is a percentage, scores are numbers" \
    awk -F'|' '$2 == " total " && $3 == " 1 " { exit !($5 ~ /^ [0-9]+% $/ && $6 ~ /^ [0-9,]+ $/) }' "$t"
finish

#!/bin/sh
# reesim calibrate (docs/calibration.md): recovers a known parameter, writes its output set, is
# deterministic, and its result runs. Observations are generated from toy-truth.yaml (a gate
# approving 35%), then toy-fit.yaml (approval 0.7, approval free in [0.05, 0.95]) is fitted.
# Usage: calibrate.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
cp "$src/tests/calibrate/toy-truth.yaml" "$src/tests/calibrate/toy-fit.yaml" "$work/"
check "truth runs" "$bin" run "$work/toy-truth.yaml" -n 200 -q -o "$work/truth"
{ echo date,value
  awk -F, '$4 == "cn_magnets->us_cars" && $5 == "shipped" && $2 >= 1 { print $3 "," $11 }' \
      "$work/truth/timeseries.csv"; } > "$work/obs.csv"
check "11 observed months" test "$(wc -l < "$work/obs.csv")" -eq 12
check "calibrate succeeds" "$bin" calibrate "$work/toy-fit.yaml" -n 100 -q -o "$work/cal"
for f in calibration.csv calibration_summary.csv calibrated.resolved.yaml meta.json; do
    check "$f written" test -s "$work/cal/$f"
done
cols='NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }'
# --help names each file's columns as the file's header row has them.
"$bin" calibrate --help > "$work/help.txt"
for f in calibration calibration_summary; do
    h=$(head -1 "$work/cal/$f.csv")
    check "--help gives $f.csv's header ($h)" sh -c "tr '\n' ' ' < '$work/help.txt' | sed 's/, */,/g; s/ *(/(/g' |
        grep -q -- '$f.csv($h[):]'"
done
check "approval recovered within 0.05 of 0.35" \
    awk -F, "$cols { v = \$c[\"fitted\"]; printf \"  fitted %s\n\", v; ok = v > 0.30 && v < 0.40 }
             END { exit !ok }" "$work/cal/calibration.csv"
check "score improved, 1 parameter, 7 points up to 2025-08" \
    awk -F, "$cols { ok = \$c[\"after\"] < \$c[\"before\"] && \$c[\"parameters\"] == 1 &&
             \$c[\"points\"] == 7 && \$c[\"until\"] == \"2025-08\" } END { exit !ok }" \
    "$work/cal/calibration_summary.csv"
# The file size limit (ulimit -f, 512-byte blocks): exit 153, the file named, nothing written.
code=$( (ulimit -f 1; "$bin" calibrate "$work/toy-fit.yaml" -n 50 --iterations 5 -q -o "$work/fsz" 2>"$work/efsz"; echo $?) )
check "ulimit -f: exit 153" test "$code" = 153
check "ulimit -f: the file named" grep -q "file size limit (signal 25): cannot write '$work/fsz/[a-z_.]*': File too large; no output written" "$work/efsz"
check "ulimit -f: nothing written" test ! -e "$work/fsz"
# Deterministic (common random numbers) and thread-count invariant.
"$bin" calibrate "$work/toy-fit.yaml" -n 100 -j 1 -q -o "$work/cal1"
check "same fit with one thread" cmp "$work/cal/calibration.csv" "$work/cal1/calibration.csv"
# --until moves the cut-off; printed table names the parameter.
"$bin" calibrate "$work/toy-fit.yaml" -n 100 --until 2025-05 -o "$work/cal2" > "$work/cal2.txt"
check "--until 2025-05: 4 points" awk -F, "$cols { exit \$c[\"points\"] != 4 }" \
    "$work/cal2/calibration_summary.csv"
check "table printed" grep -q "gates.cn_export.approval" "$work/cal2.txt"
# The fitted scenario runs and scores as calibrate said (same seed and runs, points to 2025-08).
check "fitted scenario runs" "$bin" run "$work/cal/calibrated.resolved.yaml" -n 100 -q -o "$work/fit"
after=$(awk -F, "$cols { print \$c[\"after\"] }" "$work/cal/calibration_summary.csv")
check "run of the fitted scenario reproduces the fitted score" \
    awk -F, -v a="$after" "$cols \$c[\"date\"] <= \"2025-08\" { s += \$c[\"crps\"]; n++ }
             END { d = s / n - a; exit !(n == 7 && d < 1e-6 * a && d > -1e-6 * a) }" \
    "$work/fit/fit.csv"
# SIGINT stops a long fit cleanly: exit 130, no output folder.
"$bin" calibrate "$src/scenarios/historical-2025.yaml" -n 400 -j 1 -q -o "$work/sig" 2>/dev/null &
pid=$!
sleep 1
kill -INT $pid
wait $pid
check "interrupted calibrate: exit 130" test $? -eq 130
check "interrupted calibrate: no output" test ! -e "$work/sig"
# Usage errors and a scenario without a calibrate section.
"$bin" calibrate "$work/toy-fit.yaml" --until 2025-13 -q -o "$work/x" 2>/dev/null
check "bad --until: exit 64" test $? -eq 64
for u in '2025- 5' '2025-+5' ' 2025-05'; do
    "$bin" calibrate "$work/toy-fit.yaml" --until "$u" -q -o "$work/x" 2>/dev/null
    check "--until '$u' (a blank or a sign in the month): exit 64" test $? -eq 64 -a ! -e "$work/x"
done
"$bin" calibrate "$work/toy-truth.yaml" -q -o "$work/x" 2> "$work/none.err"
check "no calibrate section: exit 64, said" test $? -eq 64 -a ! -e "$work/x"
check "message names the section" grep -q "calibrate:" "$work/none.err"
check "no calibrate section: located at line 1" \
    grep -qF "$work/toy-truth.yaml:1:1: error: calibrate: " "$work/none.err"
# A calibrate: section but no observations: exit 64, located at the section's key.
grep -v '^observations:\|^  - {label:' "$work/toy-fit.yaml" > "$work/no-obs.yaml"
line=$(grep -n '^calibrate:' "$work/no-obs.yaml" | cut -d: -f1)
"$bin" calibrate "$work/no-obs.yaml" -q -o "$work/x" 2> "$work/no-obs.err"
check "no observations: exit 64, nothing written" test $? -eq 64 -a ! -e "$work/x"
check "no observations: located at the calibrate: key" \
    grep -qF "$work/no-obs.yaml:$line:1: error: observations: " "$work/no-obs.err"
# Not quiet: the error alone, no table of a fit that did not run.
"$bin" calibrate "$work/no-obs.yaml" -o "$work/x" > "$work/no-obs.out" 2> /dev/null
check "no observations, not quiet: exit 64, nothing on stdout" test $? -eq 64 -a ! -s "$work/no-obs.out"
finish

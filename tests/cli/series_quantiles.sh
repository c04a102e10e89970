#!/bin/sh
# --series-quantiles on|off|auto and --quantile-budget MB: off leaves p05..p95 of timeseries.csv
# empty and changes no other byte (mean and sd as the full run's, summary.csv and runs.csv the
# same), for -j1 and -j2 alike; meta.json records the choice; auto keeps the quantiles while the
# series' sketches fit the budget (so small networks are unchanged), drops them above it with a
# note, and keeps them for a scenario with observations (fit.csv needs them); off with
# observations is a usage error; reesim plot draws the mean alone for such a run.
# Usage: series_quantiles.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
scn="$src/scenarios/examples/gate.yaml" # no observations
"$bin" run "$scn" -n 300 -j 2 -q -o "$work/full"
"$bin" run "$scn" -n 300 -j 1 -q -o "$work/off1" --series-quantiles off
"$bin" run "$scn" -n 300 -j 2 -q -o "$work/off2" --series-quantiles off
# Fields 9-13 are p05..p95 (no field of this scenario holds a comma).
quant() { tail -n +2 "$1" | cut -d, -f9-13 | sort -u; }
check "default: quantiles in timeseries.csv" test "$(quant "$work/full/timeseries.csv" | grep -c '[0-9]')" -gt 0
check "  meta.json: series_quantiles true" grep -q '"series_quantiles":[[:space:]]*true' "$work/full/meta.json"
check "off: every p05..p95 field empty" test "$(quant "$work/off1/timeseries.csv")" = ",,,,"
check "  header unchanged" test "$(head -1 "$work/off1/timeseries.csv")" = "$(head -1 "$work/full/timeseries.csv")"
cut -d, -f1-8 "$work/full/timeseries.csv" > "$work/full.ms"
cut -d, -f1-8 "$work/off1/timeseries.csv" > "$work/off.ms"
check "  mean and sd as the full run's, every row" cmp -s "$work/full.ms" "$work/off.ms"
check "  summary.csv unchanged" cmp -s "$work/full/summary.csv" "$work/off1/summary.csv"
check "  runs.csv unchanged" cmp -s "$work/full/runs.csv" "$work/off1/runs.csv"
check "  -j1 and -j2 byte-identical" cmp -s "$work/off1/timeseries.csv" "$work/off2/timeseries.csv"
check "  meta.json: series_quantiles false" grep -q '"series_quantiles":[[:space:]]*false' "$work/off1/meta.json"
# auto below the budget is the default; at a budget of 0 MB it drops them, with a note.
"$bin" run "$scn" -n 300 -j 2 -o "$work/auto0" --quantile-budget 0 > /dev/null 2> "$work/auto0.err"
check "auto, budget 0: as off" cmp -s "$work/auto0/timeseries.csv" "$work/off2/timeseries.csv"
check "  and says so" grep -q "no quantiles in timeseries.csv for this network" "$work/auto0.err"
"$bin" run "$scn" -n 300 -j 2 -q -o "$work/on0" --quantile-budget 0 --series-quantiles on
check "on, budget 0: as the default" cmp -s "$work/on0/timeseries.csv" "$work/full/timeseries.csv"
# A generated network of 100 nodes, every series (814 series x 60 months, ~420 MB of sketches at
# k = 512): auto drops the quantiles at the default budget of 256 MB, and a larger budget keeps them.
gen=$(dirname "$bin")/reesim-gen
if [ -x "$gen" ]; then
    "$gen" -n 100 -m 60 --report all -o "$work/big.yaml"
    "$bin" run "$work/big.yaml" -n 64 -j 2 --runs-csv none -o "$work/big" > /dev/null 2> "$work/big.err"
    check "auto: a large network runs without series quantiles" test "$(quant "$work/big/timeseries.csv")" = ",,,,"
    check "  and says so" grep -q "no quantiles in timeseries.csv" "$work/big.err"
    check "  meta.json records it" grep -q '"series_quantiles":[[:space:]]*false' "$work/big/meta.json"
    check "  summary.csv keeps its quantiles" test "$(tail -n +2 "$work/big/summary.csv" | cut -d, -f8 | grep -c '[0-9]')" -gt 0
    "$bin" run "$work/big.yaml" -n 64 -j 2 -q --runs-csv none --quantile-budget 1000 -o "$work/bigq"
    check "  --quantile-budget 1000 keeps them" grep -q '"series_quantiles":[[:space:]]*true' "$work/bigq/meta.json"
    cut -d, -f1-8 "$work/big/timeseries.csv" > "$work/big.ms"
    cut -d, -f1-8 "$work/bigq/timeseries.csv" > "$work/bigq.ms"
    check "  with the same mean and sd" cmp -s "$work/big.ms" "$work/bigq.ms"
fi
# Observations: fit.csv scores the series by their quantiles.
obs="$src/tests/golden/golden.yaml"
"$bin" run "$obs" -n 100 -q -o "$work/obs" --quantile-budget 0
check "observations: auto keeps them whatever the budget" grep -q '"series_quantiles":[[:space:]]*true' "$work/obs/meta.json"
"$bin" run "$obs" -n 100 -q -o "$work/obsoff" --series-quantiles off 2> "$work/obsoff.err"
check "  off is a usage error (exit 64)" test $? -eq 64
check "  saying why" grep -q "fit.csv needs the series' quantiles" "$work/obsoff.err"
"$bin" run "$scn" -n 10 -q -o "$work/bad" --series-quantiles some 2> "$work/bad.err"
check "a bad mode: exit 64" test $? -eq 64
check "  naming the choices" grep -q "series-quantiles must be on, off or auto, not 'some'" "$work/bad.err"
"$bin" run "$scn" -n 10 -q -o "$work/bad" --quantile-budget -5 2> /dev/null
check "a negative budget: exit 64" test $? -eq 64
# reesim plot: the fan chart of such a run draws the mean alone.
if command -v gnuplot > /dev/null 2>&1; then
    "$bin" plot "$work/off1" -q --chart fan --series us_magnet_users/shortfall -o "$work/fan.svg" 2> "$work/plot.err"
    check "plot of a run without quantiles exits 0" test $? -eq 0
    check "  the chart says so" grep -q "no quantiles kept" "$work/fan.svg"
    check "  gnuplot had nothing to skip" test ! -s "$work/plot.err"
fi
finish

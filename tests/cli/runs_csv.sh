#!/bin/sh
# --runs-csv csv|gz|none: runs.csv.gz holds exactly the text of runs.csv, byte-identical for -j1
# and -j2; none writes no per-run file and changes nothing else; the default is plain runs.csv up
# to 100,000 runs and runs.csv.gz above.
# Usage: runs_csv.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
scn="$src/tests/golden/golden.yaml"
"$bin" run "$scn" -n 300 -j 1 -q -o "$work/csv"
check "default at 300 runs: runs.csv" test -s "$work/csv/runs.csv"
check "  and no runs.csv.gz" test ! -e "$work/csv/runs.csv.gz"
"$bin" run "$scn" -n 300 -j 1 -q -o "$work/gz1" --runs-csv gz
"$bin" run "$scn" -n 300 -j 2 -q -o "$work/gz2" --runs-csv gz
check "gz: runs.csv.gz written" test -s "$work/gz1/runs.csv.gz"
check "  and no runs.csv" test ! -e "$work/gz1/runs.csv"
check "  it is gzip" sh -c "gzip -t '$work/gz1/runs.csv.gz'"
gzip -dc "$work/gz1/runs.csv.gz" > "$work/gz1.txt"
check "  holding exactly runs.csv" cmp -s "$work/gz1.txt" "$work/csv/runs.csv"
check "  smaller than runs.csv" test "$(wc -c < "$work/gz1/runs.csv.gz")" -lt "$(wc -c < "$work/csv/runs.csv")"
check "  byte-identical for -j1 and -j2" cmp -s "$work/gz1/runs.csv.gz" "$work/gz2/runs.csv.gz"
check "  other files unchanged" cmp -s "$work/gz1/summary.csv" "$work/csv/summary.csv"
check "  meta.json records the zlib version (the gzip bytes depend on it)" grep -q '"zlib":' "$work/gz1/meta.json"
"$bin" run "$scn" -n 300 -j 2 -q -o "$work/gz1" --runs-csv csv
check "csv over a gz folder: runs.csv, the .gz gone" sh -c "test -s '$work/gz1/runs.csv' && test ! -e '$work/gz1/runs.csv.gz'"
"$bin" run "$scn" -n 300 -j 2 -q -o "$work/none" --runs-csv none
check "none: no per-run file" sh -c "test ! -e '$work/none/runs.csv' && test ! -e '$work/none/runs.csv.gz'"
check "  summary.csv unchanged" cmp -s "$work/none/summary.csv" "$work/csv/summary.csv"
check "  timeseries.csv unchanged" cmp -s "$work/none/timeseries.csv" "$work/csv/timeseries.csv"
"$bin" run "$scn" -n 300 -q -o "$work/bad" --runs-csv zip 2> "$work/bad.err"
rc=$?
check "a bad format: exit 64" test "$rc" = 64
check "  naming the choices" grep -q "runs-csv must be csv, gz or none, not 'zip'" "$work/bad.err"
# Above 100,000 runs the default is gzip (a small scenario keeps this quick).
"$bin" run "$src/scenarios/examples/source.yaml" -n 100001 -q -o "$work/big"
check "default above 100000 runs: runs.csv.gz" sh -c "test -s '$work/big/runs.csv.gz' && test ! -e '$work/big/runs.csv'"
check "  with 100001 runs in it" test "$(gzip -dc "$work/big/runs.csv.gz" | cut -d, -f2 | sort -u | wc -l)" -ge 100001
"$bin" run "$src/scenarios/examples/source.yaml" -n 100000 -q -o "$work/edge" --runs-csv none
check "none at 100000 runs: no per-run file" sh -c "test ! -e '$work/edge/runs.csv' && test ! -e '$work/edge/runs.csv.gz'"
finish

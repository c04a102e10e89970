#!/bin/sh
# The observations CSV (`date,value`) read strictly: every problem a located error FILE:LINE,
# exit 65, nothing silently cut, skipped or scored twice; and what is valid is read whole (a
# UTF-8 byte-order mark, a line of any length, a scenario path of any length), so fit.csv and
# fit_summary.csv never hold inf.
# Usage: observations_csv.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
rm -rf "$work" && mkdir -p "$work" || exit 1
cd "$work" || exit 1

# scen NAME: scenario NAME.yaml (6 months from 2025-01) observing link l from NAME.csv.
scen() {
    cat > "$1.yaml" <<YAML
reesim: 1
name: base
horizon: {start: 2025-01, steps: 6}
runs: 10
seed: 1
materials:
  - {id: m, name: mat, unit: t}
nodes:
  - id: src
    model: source
    region: US
    params: {output: {m: 1}, capacity: 100}
  - id: sec
    model: sector
    region: US
    params: {material: m, demand: 90, cover_weeks: 4, kg_per_unit: 1}
links:
  - {id: l, from: src, to: sec, material: m, lead_time: 1}
observations:
  - {label: lab, entity: l, metric: shipped, file: $1.csv}
YAML
}

# bad NAME MESSAGE: `validate NAME.yaml` exits 65 with MESSAGE (fixed string) on stderr, on one
# line, with no control byte.
bad() {
    scen "$1"
    timeout 10 "$bin" validate "$1.yaml" > out 2> err
    code=$?
    check "$1: exit 65" test "$code" -eq 65
    check "$1: message" grep -qF -- "$2" err
    check "$1: no control byte in the message" sh -c '! LC_ALL=C grep -q "[[:cntrl:]]" err'
}

printf 'date,value\n2025-02,8\0000\n' > nul.csv
bad nul "nul.yaml:20:52: error: observations[0].file: ./nul.csv:2: NUL byte in the file"
printf 'date,value\n2025-02,0x50\n' > hex.csv
bad hex "./hex.csv:2: expected a number, found '0x50'"
printf 'date,value\n2025-02, 80\n' > space.csv
bad space "./space.csv:2: expected a number, found ' 80'"
printf 'date,value\n2025-02,nan\n' > nan.csv
bad nan "./nan.csv:2: expected a number, found 'nan'"
printf 'date,value\n2025-02,-inf\n' > inf.csv
bad inf "./inf.csv:2: expected a number, found '-inf'"
printf 'date,value\n2025-02,1e999\n' > over.csv
bad over "./over.csv:2: number '1e999' is out of range"
printf 'date,value\n2025-01,1\n2025-02,1e308\n' > huge.csv
bad huge "./huge.csv:3: 1e+308 is out of range: an observed value is 0 or between 1e-100 and 1e+100 in magnitude"
printf 'date,value\n2025-02,-1e-300\n' > tiny.csv
bad tiny "./tiny.csv:2: -1e-300 is out of range"
printf 'date,value\n2025-02,8\r0\n' > cr.csv
bad cr "./cr.csv:2: expected a number, found '8\x0d0'"
printf 'date,value\n2025-02,80\n2025-03,70\n2025-02,90\n' > dup.csv
bad dup "./dup.csv:4: date 2025-02 is given twice (first at line 2)"
printf 'date,value\n1999-02,80\n1999-02,90\n' > dupout.csv
bad dupout "./dupout.csv:3: date 1999-02 is given twice (first at line 2)"
printf 'date,value\n2025-13,80\n' > month.csv
bad month "./month.csv:2: month '2025-13' has no month 13 (months are 01 to 12)"
: > empty.csv
bad empty "./empty.csv:1: empty file, expected the header 'date,value'"
# A long junk line is one error, quoted at most 63 bytes, not read as several rows.
{ printf 'date,value\n2025-02,'; head -c 5000 /dev/zero | tr '\0' '7'; printf 'x\n'; } > long.csv
bad long "./long.csv:2: expected a number, found '77777"
check "long: message bounded" test "$(wc -c < err)" -lt 600

# ---- valid files are read whole -------------------------------------------------------------
# fitrun NAME: `run NAME.yaml` exits 0; prints its fit.csv rows (date,observed) on stdout.
fitrun() {
    scen "$1"
    timeout 60 "$bin" run "$1.yaml" -q -n 10 -j 1 -o "out-$1" > /dev/null 2> "err-$1"
    check "$1: run exit 0" test $? -eq 0
}
printf 'date,value\n2025-02,80\n2025-03,85\n' > plain.csv
fitrun plain
printf '\357\273\277date,value\r\n2025-02,80\r\n2025-03,85\r\n' > bom.csv
fitrun bom
check "bom: the same fit.csv as without the byte-order mark" cmp -s out-plain/fit.csv out-bom/fit.csv
# A 300-digit value on one line: one row, the same value.
{ printf 'date,value\n2025-02,80.'; head -c 300 /dev/zero | tr '\0' '0'; printf '\n2025-03,85\n'; } > longok.csv
fitrun longok
check "longok: the same fit.csv as 80" cmp -s out-plain/fit.csv out-longok/fit.csv
# Every month of the horizon and rows outside it: all six months scored, once each.
printf 'date,value\n2024-12,1\n2025-01,80\n2025-02,80\n2025-03,80\n2025-04,80\n2025-05,80\n2025-06,80\n2025-07,1\n' > full.csv
fitrun full
check "full: six points in fit.csv" test "$(tail -n +2 out-full/fit.csv | wc -l)" -eq 6
# Values at the bounds: no inf anywhere in the fit outputs.
printf 'date,value\n2025-01,1e100\n2025-02,-1e100\n2025-03,1e-100\n2025-04,0\n2025-05,-1e-100\n' > edge.csv
fitrun edge
check "edge: no inf or nan in fit.csv and fit_summary.csv" \
    sh -c '! grep -qiE "inf|nan" out-edge/fit.csv out-edge/fit_summary.csv'

# ---- a scenario path longer than the former 1024/2048-byte buffers ---------------------------
deep=.
for i in 1 2 3 4 5 6 7 8 9 10 11; do
    deep="$deep/$(printf 'd%.0s' $(seq 1 200))$i"
done
mkdir -p "$deep" || exit 1
scen plain
cp plain.yaml plain.csv "$deep/"
timeout 10 "$bin" validate "$deep/plain.yaml" > /dev/null 2> err
check "long scenario path ($(printf %s "$deep/plain.csv" | wc -c) bytes): observations read" test $? -eq 0
rm plain.csv
# The file beside the scenario is read, not one at a path cut short.
timeout 10 "$bin" run "$deep/plain.yaml" -q -n 10 -j 1 -o out-deep > /dev/null 2> err
check "long scenario path: run exit 0" test $? -eq 0
check "long scenario path: the same fit.csv" cmp -s out-plain/fit.csv out-deep/fit.csv
finish

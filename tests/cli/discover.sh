#!/bin/sh
# reesim discover (docs/exploration.md): PRIM on a synthetic sweep.csv whose bad cases fill a
# known box (approval above 0.6 and review time below 30 days), then on a real sweep; bad
# conditions and folders; malformed sweep.csv files (located errors, exit 65).
# Usage: discover.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work/syn"
cols='NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }'
# 20 x 20 grid, two indicators per case; us_defense/months_short is 5 inside the box, else 1.
awk 'BEGIN { print "case,gates.cn_export.approval,gates.cn_export.review_days,entity,indicator,unit,mean,sd,p05,p50,p95"
  n = 0
  for (i = 0; i < 20; i++) for (j = 0; j < 20; j++) {
    a = (i + 0.5) / 20; b = 5 * j + 2.5; v = (a > 0.6 && b < 30) ? 5 : 1
    printf "%d,%g,%g,us_defense,months_short,months,%g,0,%g,%g,%g\n", n, a, b, v, v, v, v
    printf "%d,%g,%g,us_cars,shortfall,t,%g,0,0,0,0\n", n, a, b, 100 * a
    n++ } }' > "$work/syn/sweep.csv"
check "discover succeeds" "$bin" discover "$work/syn" --where 'us_defense/months_short > 3' \
    -o "$work/syn-d" > "$work/out.txt"
check "box printed" grep -q "gates.cn_export.approval" "$work/out.txt"
check "box: approval from 0.625, review up to 27.5, every bad case and only them" awk -F, \
    "$cols \$c[\"input\"] == \"gates.cn_export.approval\" { a = \$c[\"lo\"] == 0.625 && \$c[\"hi\"] == 0.975 && \$c[\"restricted\"] == 1 }
     \$c[\"input\"] == \"gates.cn_export.review_days\" { b = \$c[\"lo\"] == 2.5 && \$c[\"hi\"] == 27.5 && \$c[\"restricted\"] == 1 }
     { d = \$c[\"coverage\"] == 1 && \$c[\"density\"] == 1 && \$c[\"cases\"] == 48 } END { exit !(a && b && d) }" \
    "$work/syn-d/discover_box.csv"
check "trajectory: coverage never rises, density reaches 1" awk -F, \
    "$cols { if (\$c[\"step\"] != s) { if (\$c[\"coverage\"] > cov + 1e-12) exit 1; cov = \$c[\"coverage\"]; s = \$c[\"step\"] }
             if (NR == 2) cov = \$c[\"coverage\"]; last = \$c[\"density\"] } END { exit last != 1 }" \
    "$work/syn-d/discover.csv"
check "stat and op: p95 >= 5 is the same box" "$bin" discover "$work/syn" \
    --where 'us_defense/months_short p95 >= 5' -q -o "$work/syn-d2"
check "same box" cmp "$work/syn-d/discover_box.csv" "$work/syn-d2/discover_box.csv"
check "cars: shortfall above 80 is approval only" "$bin" discover "$work/syn" \
    --where 'us_cars/shortfall > 80' -q -o "$work/syn-c"
check "review unrestricted" awk -F, "$cols \$c[\"input\"] == \"gates.cn_export.review_days\" { exit \$c[\"restricted\"] != 0 }" \
    "$work/syn-c/discover_box.csv"
# A real sweep.
"$bin" sweep "$src/tests/explore/toy-explore.yaml" -k 3 -n 40 -q -o "$work/sw"
check "discover on a real sweep (default folder)" "$bin" discover "$work/sw" \
    --where 'us_cars/shortfall_share > 0.5' -q
check "default folder SWEEP_DIR-discover" test -s "$work/sw-discover/discover_box.csv"
rm -rf "$work/sw-discover"
"$bin" discover "$work/sw//" --where 'us_cars/shortfall_share > 0.5' -q
check "SWEEP_DIR given with trailing slashes: the default folder is still beside it" test -s "$work/sw-discover/discover_box.csv"
check "... and nothing inside the sweep" test ! -e "$work/sw/-discover"
check "rerun into the same folder" "$bin" discover "$work/sw" --where 'us_cars/shortfall_share > 0.4' -q
check "meta.json names the condition" grep -q '"where":.*shortfall_share > 0.4' "$work/sw-discover/meta.json"
# -o naming the sweep folder, another spelling of it, or a folder holding it: refused before
# anything is written (replacing it would delete the sweep being read), and the sweep is kept.
ln -s "$work/sw" "$work/sw-link"
for o in "$work/sw" "$work/sw/." "$work/sw-link" "$work"; do
    "$bin" discover "$work/sw" --where 'us_cars/shortfall_share > 0.4' -q -o "$o" 2> "$work/e"
    check "-o $o holds the sweep: 64, said" sh -c "test $? -eq 64 && grep -q 'replacing the folder would delete it' '$work/e'"
done
"$bin" discover "$work/sw-link" --where 'us_cars/shortfall_share > 0.4' -q -o "$work/sw" 2> /dev/null
check "sweep read through a link, -o the folder itself: 64" test $? -eq 64
check "the sweep is still there" test -s "$work/sw/sweep.csv"
# Errors.
for w in 'us_cars shortfall > 1' 'us_cars/shortfall mode > 1' 'us_cars/shortfall > x' 'us_cars/shortfall 3'; do
    "$bin" discover "$work/syn" --where "$w" -q -o "$work/bad" 2> /dev/null
    check "bad condition '$w': 64" test $? -eq 64
done
"$bin" discover "$work/syn" --where 'us_cars/nothing > 1' -q -o "$work/bad" 2> /dev/null
check "unknown indicator: 64" test $? -eq 64
"$bin" discover "$work/syn" --where 'us_cars/shortfall > 1000' -q -o "$work/bad" 2> "$work/e"
check "no case meets it: 64 and said" sh -c "test $? -eq 64 && grep -q 'no case' '$work/e'"
"$bin" discover "$work/none" --where 'us_cars/shortfall > 1' -q -o "$work/bad" 2> /dev/null
check "no sweep.csv: 66" test $? -eq 66
mkdir -p "$work/broken" && printf 'case,entity\n0,x\n' > "$work/broken/sweep.csv"
"$bin" discover "$work/broken" --where 'x/y > 1' -q -o "$work/bad" 2> "$work/e2"
check "not a sweep: 65, file named" sh -c "test $? -eq 65 && grep -q 'sweep.csv' '$work/e2'"
check "nothing written" test ! -e "$work/bad"
# A malformed sweep.csv from someone else: every value is read as `reesim sweep` writes it, and
# anything else is a located error, exit 65, nothing written. Each case edits one line of the
# synthetic sweep (line 2 is case 0's us_defense row, line 3 its us_cars row).
malformed() { # NAME SED-SCRIPT EXPECTED-MESSAGE
    rm -rf "$work/mal" "$work/mal-d" && mkdir -p "$work/mal"
    sed "$2" "$work/syn/sweep.csv" > "$work/mal/sweep.csv"
    "$bin" discover "$work/mal" --where 'us_defense/months_short > 3' -q -o "$work/mal-d" \
        2> "$work/mal.err"
    code=$?
    check "$1: exit 65" test "$code" -eq 65
    check "$1: located message" grep -q "$3" "$work/mal.err"
    check "$1: nothing written" test ! -e "$work/mal-d"
}
malformed "nan outcome" '2s/,months,1,/,months,nan,/' "sweep.csv:2: column 'mean': expected a number, found 'nan'"
malformed "inf outcome" '2s/,months,1,/,months,inf,/' "sweep.csv:2: column 'mean': expected a number, found 'inf'"
malformed "empty outcome" '2s/,months,1,/,months,,/' "sweep.csv:2: column 'mean': expected a number, found an empty field"
malformed "inf in another statistic" '2s/,1$/,-inf/' "sweep.csv:2: column 'p95': expected a number, found '-inf'"
malformed "bad value on a row the condition does not read" '3s/,0$/,0x10/' \
    "sweep.csv:3: column 'p95': expected a number, found '0x10'"
malformed "case given twice" '4s/^1,/0,/; 5s/^1,/0,/' \
    "sweep.csv:4: case 0 has a second row for us_defense/months_short (the first at line 2)"
malformed "a row repeated" '2p' "sweep.csv:3: case 0 has a second row for us_defense/months_short (the first at line 2)"
malformed "case 1.5" '4s/^1,/1.5,/' "sweep.csv:4: column 'case': expected a whole number, found '1.5'"
malformed "case 0x3" '4s/^1,/0x3,/' "sweep.csv:4: column 'case': expected a whole number, found '0x3'"
malformed "case with a space" '4s/^1,/ 1,/' "sweep.csv:4: column 'case': expected a whole number, found ' 1'"
malformed "negative case" '4s/^1,/-1,/' "sweep.csv:4: column 'case': expected a whole number from 0, found -1"
malformed "empty case" '4s/^1,/,/' "sweep.csv:4: column 'case': expected a whole number, found an empty field"
malformed "hex input" '2s/^0,0.025,/0,0x1,/' "sweep.csv:2: column 'gates.cn_export.approval': expected a number, found '0x1'"
malformed "blank input" '2s/^0,0.025,/0,,/' \
    "sweep.csv:2: column 'gates.cn_export.approval': expected a number, found an empty field"
malformed "nan input" '2s/^0,0.025,/0,nan,/' "sweep.csv:2: column 'gates.cn_export.approval': expected a number, found 'nan'"
malformed "input out of range" '2s/^0,0.025,/0,1e999,/' \
    "sweep.csv:2: column 'gates.cn_export.approval': number '1e999' is out of range"
malformed "a case's rows disagree on an input" '3s/^0,0.025,/0,0.5,/' \
    "sweep.csv:2: column 'gates.cn_export.approval': case 0 has '0.025' here but '0.5' at line 3"
malformed "a column after p95" '1s/$/,extra/; 2,$s/$/,1/' \
    "sweep.csv:1: expected the header of a sweep: 'case', the inputs, then 'entity,indicator,unit,mean,sd,p05,p50,p95'"
malformed "statistics out of order" '1s/mean,sd/sd,mean/' "sweep.csv:1: expected the header of a sweep"
finish

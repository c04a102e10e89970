#!/bin/sh
# reesim plot on a result folder from someone else: no text of a CSV file ever runs as gnuplot
# code or as a shell command. Entity, scenario, metric, unit and indicator names carry
# backquoted `touch PWNED...` commands, quotes of both kinds, backslashes, line breaks inside
# quoted fields, @macros, system(...), enhanced-text codes, invalid UTF-8, markup and a very
# long name; every chart kind (fan, compare, diff) is drawn from them (exit 0, well-formed
# SVG) and no marker file appears. Then hostile CSV structure gives a located error (exit 65,
# or 66 for a file that is not a regular file), never a crash or a hang, and text echoed in
# a message has its control bytes escaped; so does a number reesim would not write (nan, inf,
# hex, a space, an empty mean), while the empty fields reesim does write still draw. Needs
# gnuplot.
# Usage: plot_hostile.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
rm -rf "$work" && mkdir -p "$work/h" || exit 1
cd "$work" || exit 1

if ! command -v gnuplot >/dev/null 2>&1; then
    echo "reesim plot needs gnuplot: apt-get install gnuplot-nox (or: sh scripts/deps.sh test)"
    fail=$((fail + 1))
fi

no_marker() { [ -z "$(find "$work" -name 'PWNED*')" ]; }
no_tmp() { [ -z "$(find "$1" -name '.*.tmp.*')" ]; }
# Well-formed XML when python3 is there (a stray byte in a label would break the SVG).
xml_ok() {
    command -v python3 >/dev/null 2>&1 || return 0
    python3 -c 'import sys, xml.etree.ElementTree as E; [E.parse(f) for f in sys.argv[1:]]' "$@"
}

# Hostile names, as RFC 4180 quoted fields (quotes doubled). Each tries another way out.
long=$(head -c 20000 /dev/zero | tr '\0' 'L')
e1='"us_`touch PWNED1`"'                                  # backquotes: shell in "..." strings
e2='"x"" . system(""touch PWNED2"") . ""y"'                # break out of a "..." string
e3="\"x' . system('touch PWNED3') . 'y\""                  # break out of a '...' string
e4='"back\\"", `touch PWNED4` \\"'                         # backslashes before quotes
e5='"line one
`touch PWNED5`
set output ""PWNED5b""
system(""touch PWNED5c"")"'                                # line breaks inside a field
e6='"@cmd `touch PWNED6` ^{super}_{sub} &amp; <svg> é ☃"' # macros, enhanced text, markup
e7="\"$(printf 'bad\377utf8\r\033[31mred')\""              # invalid UTF-8, CR, ESC
e8="\"$long\""                                             # a 20 kB name
scn='"scn`touch PWNED7`"'
unit='"t`touch PWNED8`'"'"'"'
date1='"2025-01`touch PWNED9`"'

mkdir -p h/run h/cmp
{
    echo 'scenario,step,date,entity,metric,unit,mean,sd,p05,p25,p50,p75,p95'
    for e in "$e1" "$e2" "$e3" "$e4" "$e5" "$e6" "$e7" "$e8"; do
        for s in 0 1 2 3; do
            d="2025-0$((s + 1))"
            echo "$scn,$s,$d,$e,shortfall,$unit,$s.5,1,0,$s,$s.25,$((s + 1)),$((s + 2))"
        done
        echo "$scn,0,2025-01,us_x,$e,$unit,1,1,0,1,1,2,3"
    done
} > h/run/timeseries.csv
{
    echo 'base,scenario,step,date,entity,metric,unit,base_mean,scenario_mean,diff_mean,diff_ci95_low,diff_ci95_high'
    for e in "$e1" "$e3" "$e5" "$e7" "$e8"; do
        for s in 0 1 2; do
            echo "$e2,$e6,$s,2025-0$((s + 1)),$e,shortfall,$unit,$s,$((s * 2)),$s,0,$((s + 1))"
            echo "$e2,$e4,$s,2025-0$((s + 1)),$e,shortfall,$unit,$s,$((s * 3)),$((s * 2)),1,$((s * 3))"
        done
    done
} > h/cmp/compare_timeseries.csv
{
    echo 'base,scenario,entity,indicator,unit,base_mean,scenario_mean,diff_mean,diff_ci95_low,diff_ci95_high,prob_worse'
    for e in "$e1" "$e2" "$e3" "$e4" "$e5" "$e6" "$e7" "$e8"; do
        echo "$e3,$e5,$e,shortfall,$unit,1,2.5,1.5,1,2,0.9"
        echo "$e3,$e5,us_x,$e,$unit,1,0.5,-0.5,-1,0,0.1"
        echo "$e1,$e6,$e,$e2,$e7,1,3.5,2.5,2,3,0.8"
    done
} > h/cmp/compare.csv

cd "$work/h" || exit 1
for fmt in svg png; do
    timeout 120 "$bin" plot run --series '*' --format $fmt -q -o "$work/h/fan-$fmt" 2> "$work/fan.err"
    check "hostile timeseries.csv: fan charts ($fmt) exit 0" test $? -eq 0
    check "... 16 fan charts drawn ($fmt)" test "$(ls "$work/h/fan-$fmt" | wc -l)" -eq 16
    timeout 120 "$bin" plot cmp --series '*' --format $fmt -q -o "$work/h/cmp-$fmt" 2> "$work/cmp.err"
    check "hostile compare files: compare and diff charts ($fmt) exit 0" test $? -eq 0
    check "... compare and diff charts drawn ($fmt)" \
        test "$(ls "$work/h/cmp-$fmt" | grep -c '^compare-')" -eq 5 -a \
        "$(ls "$work/h/cmp-$fmt" | grep -c '^diff-')" -eq 2
    check "no command from a CSV ran ($fmt)" no_marker
    check "no temporary file left ($fmt)" no_tmp "$work/h"
done
# A date is a month YYYY-MM or a located error: a hostile one is refused, never drawn.
mkdir -p "$work/h/date"
printf 'scenario,step,date,entity,metric,unit,mean,sd,p05,p25,p50,p75,p95\ng,0,%s,us_cars,shortfall,t,1,0,0,1,1,2,3\n' \
    "$date1" > "$work/h/date/timeseries.csv"
timeout 60 "$bin" plot "$work/h/date" -q 2> "$work/date.err"
check "a hostile date: exit 65" test $? -eq 65
check "... located" grep -q "timeseries.csv:2: column 'date': expected a month YYYY-MM" "$work/date.err"
check "... nothing ran" no_marker
check "every SVG is well-formed XML" xml_ok "$work"/h/fan-svg/*.svg "$work"/h/cmp-svg/*.svg
check "hostile text is drawn as text" grep -lq 'touch PWNED1' "$work"/h/fan-svg/*.svg
for f in "$work"/h/cmp-svg/diff-*.svg; do
    check "bar chart $(basename "$f" | cut -c1-40) has its labels" \
        test "$(grep -c '<text>' "$f")" -gt 20
done
check "enhanced-text codes drawn as they are" grep -lq '\^{super}_{sub}' "$work"/h/cmp-svg/*.svg
check "a quote is drawn as itself" grep -lq "system('touch PWNED3')" "$work"/h/cmp-svg/*.svg
check "a 20 kB name is cut short" sh -c "! grep -lq 'L\{500\}' '$work'/h/fan-svg/*.svg '$work'/h/cmp-svg/*.svg"
check "... and marked cut" grep -lq 'LLLL\.\.\.' "$work"/h/cmp-svg/*.svg
# --series matches the whole ENTITY/METRIC of a long name: cut to a fixed 512-byte buffer (as
# before), '*/shortfall' missed an entity of 600 bytes, and a pattern of its first 511 bytes
# matched it.
a600=$(head -c 600 /dev/zero | tr '\0' 'A')
a511=$(head -c 511 /dev/zero | tr '\0' 'A')
mkdir -p "$work/h/longname"
printf 'scenario,step,date,entity,metric,unit,mean,sd,p05,p25,p50,p75,p95\ng,0,2025-01,%s,shortfall,t,1,0,0,1,1,2,3\ng,1,2025-02,%s,shortfall,t,2,0,0,1,2,3,4\n' \
    "$a600" "$a600" > "$work/h/longname/timeseries.csv"
timeout 60 "$bin" plot "$work/h/longname" --series '*/shortfall' -q -o "$work/h/longname-a" 2> /dev/null
check "600-byte entity: '*/shortfall' selects it" test $? -eq 0
check "... its chart is drawn" test "$(ls "$work/h/longname-a" 2> /dev/null | wc -l)" -eq 1
timeout 60 "$bin" plot "$work/h/longname" --series "$a511" -q -o "$work/h/longname-b" 2> "$work/longname.err"
check "600-byte entity: a pattern of its first 511 bytes matches nothing (exit 64)" test $? -eq 64
check "... and draws nothing" test ! -e "$work/h/longname-b"
timeout 60 "$bin" plot "$work/h/longname" --series "$a600/shortfall" -q -o "$work/h/longname-c" 2> /dev/null
check "600-byte entity: its whole name selects it" test $? -eq 0

# A single-quote and a backquote in the output path itself: no path is written into a script.
mkdir -p "$work/h/o'\`touch PWNED10\`"
timeout 60 "$bin" plot run --series 'us_`*' -q -o "$work/h/o'\`touch PWNED10\`/one.svg" 2> /dev/null > /dev/null
check "an output path with quotes and backquotes: exit 0" test $? -eq 0
check "... the chart is written there" test -s "$work/h/o'\`touch PWNED10\`/one.svg"
check "... and runs nothing" no_marker

# ---- hostile CSV structure: located errors, no crash, no hang ----------------------------------
cd "$work" || exit 1
hdr='scenario,step,date,entity,metric,unit,mean,sd,p05,p25,p50,p75,p95'
row='g,0,2025-01,us_cars,shortfall,t,1,0,0,0,1,2,3'
bad() { # NAME EXPECTED-EXIT EXPECTED-MESSAGE (timeseries.csv already in $work/bad)
    timeout 60 "$bin" plot "$work/bad" -q -o "$work/bad-out" > /dev/null 2> "$work/bad.err"
    code=$?
    check "$1: exit $2" test "$code" -eq "$2"
    check "$1: message" grep -q "$3" "$work/bad.err"
    check "$1: no control byte echoed" sh -c "! LC_ALL=C grep -q '$(printf '[\001-\010\013-\037]')' '$work/bad.err'"
    check "$1: short message" test "$(wc -c < "$work/bad.err")" -lt 600
    check "$1: nothing written" test ! -e "$work/bad-out"
}
newbad() { rm -rf "$work/bad" "$work/bad-out" && mkdir -p "$work/bad"; }
newbad; printf '%s\n%s\ng,1,2025-02,us_cars,shortfall,t,1,0,0,0,"12\033[2J\r\nkt",2,3\n' "$hdr" "$row" > bad/timeseries.csv
bad "number with control bytes" 65 "timeseries.csv:3: column 'p50': expected a number, found '12\\\\x1b\[2J\\\\x0d\\\\x0akt'"
newbad; { echo "$hdr"; echo "$row"; printf 'g,1,2025-02,us_cars,shortfall,t,1,0,0,0,'; head -c 2000000 /dev/zero | tr '\0' '7'; echo 'x,2,3'; } > bad/timeseries.csv
bad "2 MB non-numeric field" 65 "timeseries.csv:3: column 'p50': expected a number, found '7777.*\.\.\.'"
newbad; { echo "$hdr"; printf 'g,0,2025-01,"'; head -c 3000000 /dev/zero | tr '\0' 'n'; echo '",shortfall,t,1,0,0,0,1,2,3,4'; } > bad/timeseries.csv
bad "2 MB field, one field too many" 65 "timeseries.csv:2: expected 13 fields as in the header, found 14"
newbad; { printf 'c0'; i=1; while [ $i -lt 5000 ]; do printf ',c%d' $i; i=$((i + 1)); done; echo; } > bad/timeseries.csv
bad "5000 columns" 65 "timeseries.csv:1: 5000 columns in the header, at most 1024"
newbad; printf '%s\n' "$row" "$row" > bad/timeseries.csv
bad "no header (a data row first)" 65 "timeseries.csv:1: column '0' appears twice in the header"
newbad; echo 'g,0,2025-01,us_cars,shortfall,t,1.5,0.5,0.1,0.25,1,2,3' > bad/timeseries.csv
bad "no header (one data row)" 65 "timeseries.csv:1: missing column 'scenario'"
newbad; printf '\357\273\277%s\n%s\n%s\n' "$hdr" "$row" 'g,1,2025-02,us_cars,shortfall,t,1,0' > bad/timeseries.csv
bad "BOM, then a short row" 65 "timeseries.csv:3: expected 13 fields as in the header, found 8"
newbad; printf '%s\n%s\n\000\000\n' "$hdr" "$row" > bad/timeseries.csv
bad "NUL bytes" 65 "timeseries.csv:3: NUL byte"
newbad; printf '%s\n%s\ng,1,2025-02,"us\033[31m""x"\033q,shortfall,t,1,0,0,0,1,2,3\n' "$hdr" "$row" > bad/timeseries.csv
bad "escape after a closing quote" 65 "timeseries.csv:3: expected ',' or end of line after a closing quote, found '\\\\x1b'"
printf 'a,"b\033[31m",c,"b\033[31m"\n1,2,3,4\n' > bad/timeseries.csv
bad "duplicate column with an escape" 65 "timeseries.csv:1: column 'b\\\\x1b\[31m' appears twice"

# Numbers other than those reesim writes (ree_csv_num: a plain decimal number; an empty field
# only where a value may not exist, the quantiles of a run without series quantiles and the CI
# of a one-run comparison): nan, inf, hex, spaces, overflow, and an empty mean, which gnuplot
# used to stop on ("all points y value undefined", exit 70).
ts_cell() { # COLUMN-NUMBER VALUE: row 3 of a valid file with that field replaced
    newbad
    { echo "$hdr"; echo "$row"; echo 'g,1,2025-02,us_cars,shortfall,t,1.5,0.5,0.1,0.25,1,2,3' |
        awk -F, -v OFS=, -v c="$1" -v v="$2" '{ $c = v; print }'; } > bad/timeseries.csv
}
ts_cell 7 nan; bad "mean nan" 65 "timeseries.csv:3: column 'mean': expected a number, found 'nan'"
ts_cell 7 inf; bad "mean inf" 65 "timeseries.csv:3: column 'mean': expected a number, found 'inf'"
ts_cell 7 -inf; bad "mean -inf" 65 "timeseries.csv:3: column 'mean': expected a number, found '-inf'"
ts_cell 7 0x10; bad "mean 0x10" 65 "timeseries.csv:3: column 'mean': expected a number, found '0x10'"
ts_cell 7 ' 5'; bad "mean with a space" 65 "timeseries.csv:3: column 'mean': expected a number, found ' 5'"
ts_cell 7 1e400; bad "mean 1e400" 65 "timeseries.csv:3: column 'mean': number '1e400' is out of range"
ts_cell 7 ''; bad "empty mean" 65 "timeseries.csv:3: column 'mean': expected a number, found an empty field"
newbad; printf '%s\ng,0,2025-01,us_cars,shortfall,t,,0,,,,,\ng,1,2025-02,us_cars,shortfall,t,,0,,,,,\n' "$hdr" \
    > bad/timeseries.csv
bad "every mean empty" 65 "timeseries.csv:2: column 'mean': expected a number, found an empty field"
ts_cell 11 NaN; bad "p50 NaN" 65 "timeseries.csv:3: column 'p50': expected a number, found 'NaN'"
ts_cell 9 0x1p3; bad "p05 hex float" 65 "timeseries.csv:3: column 'p05': expected a number, found '0x1p3'"
ts_cell 13 infinity; bad "p95 infinity" 65 "timeseries.csv:3: column 'p95': expected a number, found 'infinity'"
ts_cell 11 ''; bad "one quantile empty" 65 "timeseries.csv:3: columns p05 to p95: expected all five quantiles or none"
ts_cell 2 0x1; bad "step 0x1" 65 "timeseries.csv:3: column 'step': expected a whole number, found '0x1'"
ts_cell 2 ' 1'; bad "step with a space" 65 "timeseries.csv:3: column 'step': expected a whole number, found ' 1'"
ts_cell 2 1.0; bad "step 1.0" 65 "timeseries.csv:3: column 'step': expected a whole number, found '1.0'"
newbad; printf 'base,scenario,step,date,entity,metric,unit,base_mean,scenario_mean,diff_mean,diff_ci95_low,diff_ci95_high\nb,s,0,2025-01,us_cars,shortfall,t,1,2,1,,\nb,s,1,2025-02,us_cars,shortfall,t,nan,2,1,,\n' \
    > bad/compare_timeseries.csv
bad "compare mean nan" 65 "compare_timeseries.csv:3: column 'base_mean': expected a number, found 'nan'"
newbad; printf 'base,scenario,entity,indicator,unit,base_mean,scenario_mean,diff_mean,diff_ci95_low,diff_ci95_high,prob_worse\nb,s,us_cars,shortfall,t,1,2,,,,\n' \
    > bad/compare.csv
bad "difference empty" 65 "compare.csv:2: column 'diff_mean': expected a number, found an empty field"
# ... while what reesim writes still draws: a run without series quantiles (empty p05..p95) and
# a one-run comparison (empty CI and prob_worse).
mkdir -p "$work/ok"
printf '%s\ng,0,2025-01,us_cars,shortfall,t,1.5,0,,,,,\ng,1,2025-02,us_cars,shortfall,t,2.5,0.5,,,,,\n' "$hdr" \
    > "$work/ok/timeseries.csv"
printf 'base,scenario,entity,indicator,unit,base_mean,scenario_mean,diff_mean,diff_ci95_low,diff_ci95_high,prob_worse\nb,s,us_cars,shortfall,t,1,2.5,1.5,,,\nb,s,us_cars,months_short,months,0,4.9406564584e-324,4.9406564584e-324,,,0\n' \
    > "$work/ok/compare.csv"
timeout 60 "$bin" plot "$work/ok" -q -o "$work/ok-out" 2> "$work/ok.err"
check "empty quantiles and CI as reesim writes them: exit 0" test $? -eq 0
check "... fan and bar charts drawn" test -s "$work/ok-out/fan-us_cars-shortfall.svg" -a -s "$work/ok-out/diff-s-t.svg"

# ---- inputs that are not regular files: exit 66 at once, never a hang ------------------------
newbad; mkdir bad/timeseries.csv
bad "timeseries.csv is a directory" 66 "timeseries.csv: cannot open: is a directory, not a regular file"
newbad; mkfifo bad/timeseries.csv
bad "timeseries.csv is a FIFO" 66 "timeseries.csv: cannot open: is a FIFO (named pipe), not a regular file"
newbad; ln -s /dev/zero bad/timeseries.csv
bad "timeseries.csv is /dev/zero" 66 "timeseries.csv: cannot open: is a character device, not a regular file"
finish

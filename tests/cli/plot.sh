#!/bin/sh
# reesim plot: every chart type renders as a valid PNG and SVG from a run (fan charts) and from
# compare outputs (overlays and difference bars, from a hand-written sample with RFC 4180
# quoting); --series and -o FILE select; malformed CSV gives a located error and no crash; a
# missing gnuplot gives the install hint and exit 69. Needs gnuplot (scripts/deps.sh test).
# Usage: plot.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"

if ! command -v gnuplot >/dev/null 2>&1; then
    echo "reesim plot needs gnuplot: apt-get install gnuplot-nox (or: sh scripts/deps.sh test)"
    fail=$((fail + 1))
fi

is_png() { [ "$(od -An -tx1 -N4 "$1" | tr -d ' \n')" = 89504e47 ]; }
is_svg() { grep -q '<svg' "$1" && tail -c 200 "$1" | grep -q '</svg>'; }
all_png() { n=0; for f in "$1"/*.png; do is_png "$f" || return 1; n=$((n + 1)); done; [ "$n" -ge "$2" ]; }
all_svg() { n=0; for f in "$1"/*.svg; do is_svg "$f" || return 1; n=$((n + 1)); done; [ "$n" -ge "$2" ]; }
no_tmp() { [ -z "$(find "$1" -name '.*.tmp.*')" ]; }
small() { [ -z "$(find "$1" -type f -size +200k)" ]; }

# ---- fan charts from a run --------------------------------------------------------------------
"$bin" run "$src/tests/golden/golden.yaml" -n 200 -q -o "$work/run"
"$bin" plot "$work/run" > "$work/svg.out" 2> "$work/svg.err"
check "plot a run (SVG) exits 0" test $? -eq 0
check "SVG fan charts are SVG" all_svg "$work/run/plots" 10
for c in fan-us_cars-shortfall fan-us_importers-stock.ndfeb fan-us_stockpile-level \
         fan-cn_export-approved fan-cn_export-backlog; do
    check "SVG $c" is_svg "$work/run/plots/$c.svg"
done
check "files listed on stdout" grep -q 'plots/fan-us_cars-shortfall.svg$' "$work/svg.out"
check "no temporary files left" no_tmp "$work/run/plots"
"$bin" plot "$work/run" --format png -q -o "$work/png"
check "plot a run (PNG) exits 0" test $? -eq 0
check "PNG fan charts are PNG" all_png "$work/png" 10
check "PNG fan chart us_cars shortfall" is_png "$work/png/fan-us_cars-shortfall.png"
check "charts under 200 KB" small "$work/png"

# ---- --series and -o FILE ---------------------------------------------------------------------
"$bin" plot "$work/run" --series 'us_cars/demand' -o "$work/one/cars.png" -q
check "--series with -o FILE.png writes that PNG" is_png "$work/one/cars.png"
check "-o FILE writes nothing else" test "$(ls "$work/one" | wc -l)" -eq 1
"$bin" plot "$work/run" --series 'us_*/shortfall' --series 'cn_export/approval_rate' -q -o "$work/sel"
check "--series globs select 3 charts" test "$(ls "$work/sel" | wc -l)" -eq 3
"$bin" plot "$work/run" -o "$work/x.svg" -q 2> "$work/many.err"
check "-o FILE with many charts is a usage error" test $? -eq 64
check "... saying how many" grep -q 'charts\? \|are selected' "$work/many.err"
"$bin" plot "$work/run" --series 'nobody/*' -q 2> "$work/nomatch.err"
check "--series matching nothing exits 64" test $? -eq 64
check "... and names the pattern" grep -q "nobody/\*" "$work/nomatch.err"
"$bin" plot "$work/run" --format jpeg 2> /dev/null
check "--format jpeg exits 64" test $? -eq 64
"$bin" plot "$work/run" --format svg -o "$work/y.png" 2> /dev/null
check "--format contradicting -o exits 64" test $? -eq 64

# ---- comparison charts from a hand-written compare output -------------------------------------
# Two scenarios against one base; an entity name with a comma and a quote (RFC 4180 quoting),
# CRLF line ends on one row, a NaN (empty) CI bound.
mkdir -p "$work/cmp"
{
    echo 'base,scenario,step,date,entity,metric,unit,base_mean,scenario_mean,diff_mean,diff_ci95_low,diff_ci95_high'
    for s in 0 1 2 3 4 5 6 7 8 9 10 11 12 13; do
        m=$((s % 12 + 1)); y=$((2025 + s / 12)); d=$(printf '%d-%02d' $y $m)
        echo "licensing,embargo,$s,$d,us_cars,shortfall,t,$((s * 2)).5,$((s * 9)).25,$((s * 7 - 2)).75,$((s * 6 - 3)).1,$((s * 8)).4"
        echo "licensing,truce,$s,$d,us_cars,shortfall,t,$((s * 2)).5,$s.125,-$s.375,-$((s + 1)).5,0.25"
        printf 'licensing,embargo,%s,%s,"us_""fleet"", west",stock.ndfeb,t,%s,%s,%s,,%s\r\n' \
            $s $d $((400 - s * 10)) $((380 - s * 20)) -$((20 + s * 10)) -$((10 + s * 10))
        echo "licensing,embargo,$s,$d,cn_export,backlog,t,$((s * 100)),$((s * 150)),$((s * 50)),$((s * 40)),$((s * 60))"
    done
} > "$work/cmp/compare_timeseries.csv"
cat > "$work/cmp/compare.csv" <<'EOF'
base,scenario,entity,indicator,unit,base_mean,scenario_mean,diff_mean,diff_ci95_low,diff_ci95_high,prob_worse
licensing,embargo,us_cars,shortfall,t,120.5,1893.25,1772.75,1650.5,1895,1
licensing,embargo,us_cars,lost_units,units,80333,1262166,1181833,1100333,1263333,1
licensing,embargo,us_defense,shortfall,t,0,3.5,3.5,2.1,4.9,0.41
licensing,embargo,us_defense,months_short,months,0.2,2.85,2.65,2.4,2.9,0.62
licensing,embargo,"us_""fleet"", west",max_shortfall_share,1,0.02,0.35,0.33,0.3,0.36,0.97
licensing,embargo,cn_export,approved,t,64000,12000,-52000,-53500,-50500,0
licensing,embargo,cn_mine,production,t,72000,72000,0,0,0,0
licensing,truce,us_cars,shortfall,t,120.5,60.25,-60.25,-70.5,-50,0
licensing,truce,us_cars,months_short,months,1.5,0.75,-0.75,-1,-0.5,0.02
EOF
"$bin" plot "$work/cmp" --format png -q -o "$work/cmp_png"
check "plot a comparison (PNG) exits 0" test $? -eq 0
for c in compare-us_cars-shortfall compare-cn_export-backlog \
         'compare-us__fleet___west-stock.ndfeb' diff-embargo-t diff-embargo-months \
         diff-embargo-units diff-embargo-fraction diff-truce-t diff-truce-months; do
    check "PNG $c" is_png "$work/cmp_png/$c.png"
done
"$bin" plot "$work/cmp" -q
check "plot a comparison (SVG) exits 0" test $? -eq 0
check "SVG comparison and bar charts" all_svg "$work/cmp/plots" 9
check "quoted entity name drawn unchanged" grep -q 'us_&quot;fleet&quot;, west\|us_"fleet", west' \
    "$work/cmp/plots/diff-embargo-fraction.svg"
check "no temporary files left (compare)" no_tmp "$work/cmp/plots"

# A one-run comparison (`compare -n 1`) writes no CI: the bars are drawn without error bars and
# say so, and gnuplot has nothing to warn about (it printed "Skipping data file with no valid
# points" on stderr, once per chart).
mkdir -p "$work/cmp1"
awk -F, -v OFS=, 'NR > 1 && !/fleet/ { $9 = ""; $10 = "" } { print }' "$work/cmp/compare.csv" \
    | grep -v fleet > "$work/cmp1/compare.csv"
"$bin" plot "$work/cmp1" -q 2> "$work/cmp1.err"
check "one-run comparison: exit 0" test $? -eq 0
check "... nothing on stderr" test ! -s "$work/cmp1.err"
check "... the subtitle says there is no CI" grep -q 'one run: no CI' "$work/cmp1/plots/diff-embargo-t.svg"

# A real comparison of two shipped licensing cases, when `reesim compare` is built in.
if "$bin" compare --help >/dev/null 2>&1; then
    "$bin" compare "$src/scenarios/licensing-april-2025.yaml" \
        "$src/scenarios/geneva-london-2025.yaml" -n 40 -q -o "$work/real" 2> /dev/null
    "$bin" plot "$work/real" --format png -q --series 'us_cars/*' --series 'cn_export/backlog'
    check "plot a reesim compare output" all_png "$work/real/plots" 3
fi

# ---- malformed input: located errors, no crash ------------------------------------------------
bad() { # NAME CONTENT EXPECTED-EXIT EXPECTED-MESSAGE
    rm -rf "$work/bad" && mkdir -p "$work/bad"
    printf '%b' "$2" > "$work/bad/timeseries.csv"
    "$bin" plot "$work/bad" -q 2> "$work/bad.err"
    code=$?
    check "$1: exit $3" test "$code" -eq "$3"
    check "$1: message" grep -q "$4" "$work/bad.err"
}
hdr='scenario,step,date,entity,metric,unit,mean,sd,p05,p25,p50,p75,p95\n'
row='g,0,2025-01,us_cars,shortfall,t,1,0,0,0,1,2,3\n'
bad "unterminated quote" "$hdr$row"'g,1,2025-02,"us_cars,shortfall,t,1,0,0,0,1,2,3\n' 65 \
    'timeseries.csv:3: quoted field is never closed'
bad "short row" "$hdr${row}g,1,2025-02,us_cars,shortfall\n" 65 \
    'timeseries.csv:3: expected 13 fields as in the header, found 5'
bad "text after a closing quote" "$hdr$row"'g,1,2025-02,"us_cars"x,shortfall,t,1,0,0,0,1,2,3\n' \
    65 'timeseries.csv:3: expected .,. or end of line after a closing quote'
bad "stray quote" "$hdr$row"'g,1,2025-02,us"cars,shortfall,t,1,0,0,0,1,2,3\n' 65 \
    'timeseries.csv:3: quote inside an unquoted field'
bad "bad number" "$hdr${row}g,1,2025-02,us_cars,shortfall,t,1,0,0,0,12kt,2,3\n" 65 \
    "timeseries.csv:3: column 'p50': expected a number, found '12kt'"
bad "missing column" 'scenario,step,date,entity,metric,unit,mean\n' 65 \
    "timeseries.csv:1: missing column 'p05'"
bad "duplicate step" "$hdr$row$row" 65 'timeseries.csv:3: step 0 appears twice'
# A date is a tick label: a month as reesim writes one, else a located 65 (it was drawn as given).
bad "month 13" "$hdr${row}g,1,2026-13,us_cars,shortfall,t,1,0,0,0,1,2,3\n" 65 \
    "timeseries.csv:3: column 'date': expected a month YYYY-MM (01 to 12, from 1900), found '2026-13'"
bad "not a month" "$hdr${row}g,1,Feb 2025,us_cars,shortfall,t,1,0,0,0,1,2,3\n" 65 \
    "timeseries.csv:3: column 'date': expected a month YYYY-MM"
bad "NUL byte" "$hdr\0$row" 65 'timeseries.csv:2: NUL byte'
bad "empty file" "" 65 'timeseries.csv:1: empty file'
mkdir -p "$work/empty"
"$bin" plot "$work/empty" 2> "$work/empty.err"
check "folder without results exits 66" test $? -eq 66
check "... and says what it looked for" grep -q 'holds no timeseries.csv' "$work/empty.err"
mkdir -p "$work/badcmp"
sed '3s/,2025-01,/,2025-00,/' "$work/cmp/compare_timeseries.csv" > "$work/badcmp/compare_timeseries.csv"
"$bin" plot "$work/badcmp" -q 2> "$work/badcmp.err"
check "compare_timeseries.csv month 00: exit 65" test $? -eq 65
check "... located" grep -q "compare_timeseries.csv:3: column 'date': expected a month" "$work/badcmp.err"
# --chart asking for a kind whose file the folder lacks: a missing input (66), not malformed (65).
"$bin" plot "$work/cmp" --chart fan -q 2> "$work/nofan.err"
check "--chart fan on a comparison folder exits 66" test $? -eq 66
check "... naming the file it lacks" grep -q 'it holds no timeseries.csv (--chart fan)' "$work/nofan.err"

# ---- symlinked chart folders: refused (73), nothing written through them -----------------------
# A result folder from someone else may hold a `plots` symlink pointing anywhere; -o may name one.
empty_dir() { [ -z "$(ls -A "$1")" ]; }
mkdir -p "$work/hostile" "$work/victim" "$work/victim2"
cp "$work/run/timeseries.csv" "$work/run/summary.csv" "$work/hostile/"
ln -s "$work/victim" "$work/hostile/plots"
"$bin" plot "$work/hostile" --series us_cars/shortfall -q 2> "$work/link.err"
check "a symlinked plots folder is refused: exit 73" test $? -eq 73
check "... saying it is a symbolic link" grep -q "hostile/plots': it is a symbolic link" "$work/link.err"
check "... nothing written where it points" empty_dir "$work/victim"
ln -s "$work/victim2" "$work/linkdir"
for o in "$work/linkdir" "$work/linkdir/"; do
    "$bin" plot "$work/run" -o "$o" --series us_cars/shortfall -q 2> "$work/link.err"
    check "-o $(basename "$o")$(case $o in */) echo /;; esac) (a symlink) is refused: exit 73" test $? -eq 73
done
check "... nothing written where it points" empty_dir "$work/victim2"

# ---- a full disk: exit 74 naming the chart, no partial chart -----------------------------------
# gnuplot exits 0 after a failed write: a chart cut short was kept, and a disk with no byte free
# gave 70 "gnuplot wrote no image". A 300 KiB tmpfs in a private mount namespace (unshare -rm),
# filled to leave 16 KiB (less than a chart) and then nothing.
mkdir -p "$work/mnt"
if unshare -rm sh -c "mount -t tmpfs -o size=300k tmpfs '$work/mnt'" 2>/dev/null; then
    cat > "$work/full.sh" <<'SH'
bin=$1 work=$2 m=$2/mnt
mount -t tmpfs -o size=300k tmpfs "$m" || exit 99
cp "$work/run/timeseries.csv" "$work/run/summary.csv" "$m/"
for left in 16 0; do
    rm -rf "$m/plots" "$m/fill"
    avail=$(df -k "$m" | awk 'NR == 2 { print $4 }')
    dd if=/dev/zero of="$m/fill" bs=1k count=$((avail - left)) 2>/dev/null
    "$bin" plot "$m" --series us_cars/shortfall -q 2> "$work/full$left.err"
    echo "$left $? $(find "$m/plots" -type f | wc -l) $(find "$m" -name '.*.tmp.*' | wc -l)"
done
SH
    unshare -rm sh "$work/full.sh" "$bin" "$work" > "$work/full.out"
    for left in 16 0; do
        check "full disk, $left KiB free: exit 74, no chart, no temporary" \
            grep -qx "$left 74 0 0" "$work/full.out"
        check "... naming the chart and the reason" grep -q \
            "cannot write '.*/plots/fan-us_cars-shortfall.svg': No space left on device" \
            "$work/full$left.err"
    done
else
    echo "skip: cannot mount a tmpfs in a private namespace (unshare -rm)"
fi

# ---- gnuplot missing --------------------------------------------------------------------------
env PATH=/nonexistent "$bin" plot "$work/run" -q -o "$work/nognuplot" 2> "$work/nognuplot.err"
check "without gnuplot: exit 69" test $? -eq 69
check "without gnuplot: install hint" grep -q 'reesim plot needs gnuplot: apt-get install gnuplot-nox' \
    "$work/nognuplot.err"
check "without gnuplot: no partial file" sh -c "[ -z \"\$(ls -A '$work/nognuplot' 2>/dev/null)\" ]"

# An SVG may end in any amount of white space after </svg> (only the last 64 bytes were kept
# and trimmed: 59 newlines made it 'incomplete', exit 70); gnuplot gets no descriptor of reesim's
# but its stdin, stdout and stderr (the image's temporary file and the pipe's write end leaked).
mkdir -p "$work/fakews"
printf '%s\n' '#!/bin/sh' 'cat > /dev/null' 'ls -l /proc/self/fd > "$FDS"' "printf '<svg>x</svg>'" \
    "i=0; while [ \$i -lt 100 ]; do echo; i=\$((i + 1)); done" > "$work/fakews/gnuplot"
chmod +x "$work/fakews/gnuplot"
FDS="$work/fds" PATH="$work/fakews:$PATH" "$bin" plot "$work/run" --series us_cars/demand -q \
    -o "$work/ws.svg" 2> "$work/ws.err"
check "an SVG ending in 100 newlines is complete: exit 0" test $? -eq 0 -a -s "$work/ws.svg"
# gnuplot's descriptors but ls's own (on /proc), 0, 1, 2 and those reesim inherited from here
ls /proc/$$/fd > "$work/shellfds"
grep -- '->' "$work/fds" | grep -v ' -> /proc/' | awk '{print $9}' | grep -vx '[012]' |
    grep -vxF -f "$work/shellfds" > "$work/leaked"
check "gnuplot holds no descriptor of reesim's but its stdin, stdout and stderr" \
    test ! -s "$work/leaked"

# Memory does not grow with the chart: a stand-in gnuplot writes a 100 MB SVG, and plot copies it
# under an 80 MB address-space limit (the image was held in memory about three times over: 71).
# ASan reserves far more address space than that, so the sanitized build skips it.
if [ -z "${REESIM_SANITIZED:-}" ]; then
    mkdir -p "$work/fakegp"
    printf '%s\n' '#!/bin/sh' 'cat > /dev/null' "head -c 100000000 /dev/zero | tr '\\0' ' '" \
        "printf '</svg>\\n'" > "$work/fakegp/gnuplot"
    chmod +x "$work/fakegp/gnuplot"
    (ulimit -v 80000 && PATH="$work/fakegp:$PATH" "$bin" plot "$work/run" --series us_cars/demand -q \
        -o "$work/big.svg") 2> "$work/big.err"
    check "a 100 MB chart under an 80 MB address-space limit: exit 0" test $? -eq 0
    check "  written whole" test "$(wc -c < "$work/big.svg")" -eq 100000007
    rm -f "$work/big.svg"
else
    echo "skip: the address-space limit (ASan reserves more)"
fi
finish

#!/bin/sh
# reesim plot on a sweep folder (docs/exploration.md): response charts of the headline
# indicators, one line per value of a second input on a grid, points for a hypercube; --series
# and --chart select; hostile input names reach gnuplot only as quoted text. Needs gnuplot.
# Usage: plot_sweep.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
if ! command -v gnuplot >/dev/null 2>&1; then
    echo "reesim plot needs gnuplot: apt-get install gnuplot-nox (or: sh scripts/deps.sh test)"
    fail=$((fail + 1))
fi
is_png() { [ "$(od -An -tx1 -N4 "$1" | tr -d ' \n')" = 89504e47 ]; }
is_svg() { grep -q '<svg' "$1" && tail -c 200 "$1" | grep -q '</svg>'; }
toy=$src/tests/explore/toy-explore.yaml
"$bin" sweep "$toy" --set nodes.us_cars.demand=300 -k 4 -n 30 -q -o "$work/grid"
check "plot a grid sweep" "$bin" plot "$work/grid" -q
check "shortfall chart is SVG" is_svg "$work/grid/plots/sweep-us_cars-shortfall.svg"
check "headline indicators only by default (3 charts)" \
    test "$(ls "$work/grid/plots" | wc -l)" -eq 3
check "x axis: the first varying input" grep -q 'gates.cn_export.approval' \
    "$work/grid/plots/sweep-us_cars-shortfall.svg"
check "one line per review time" sh -c 'grep -q "review_days = 20" "$1" && grep -q "review_days = 45" "$1" && grep -q "review_days = 90" "$1"' \
    _ "$work/grid/plots/sweep-us_cars-shortfall.svg"
check "PNG to one file" "$bin" plot "$work/grid" --series 'us_cars/months_short' -q -o "$work/one.png"
check "PNG valid" is_png "$work/one.png"
"$bin" sweep "$toy" --design lhs -k 12 -n 30 -q -o "$work/lhs"
check "plot a hypercube, --chart sweep" "$bin" plot "$work/lhs" --chart sweep -q \
    --series 'us_cars/shortfall' -o "$work/lhs.svg"
check "points, other inputs varying" grep -q 'other inputs vary too' "$work/lhs.svg"
# A hand-written sweep.csv whose input name holds quotes, a backquote and a newline-free
# gnuplot command: it must appear as text, never run.
mkdir -p "$work/hostile"
{ printf '%s\n' 'case,"a'"'"'`touch '"$work"'/pwned`",entity,indicator,unit,mean,sd,p05,p50,p95'
  for i in 0 1 2; do printf '%d,%d,us_cars,shortfall,t,%d,0,%d,%d,%d\n' $i $i $((10 * i)) $i $i $((20 * i)); done
} > "$work/hostile/sweep.csv"
check "hostile names plot" "$bin" plot "$work/hostile" -q -o "$work/hostile.svg"
check "nothing ran" test ! -e "$work/pwned"
# A sweep.csv whose rows for one case disagree on an input: `discover` refuses it (65), and plot
# reads sweep.csv with the same code (it drew the file, exit 0).
mkdir -p "$work/disagree"
{ echo 'case,x,entity,indicator,unit,mean,sd,p05,p50,p95'
  for i in 0 1 2; do
      echo "$i,$i,us_cars,shortfall,t,$((10 * i)),0,$i,$i,$((20 * i))"
      echo "$i,$((i + (i == 1))),us_cars,months_short,months,$i,0,0,$i,$i"
  done
} > "$work/disagree/sweep.csv"
"$bin" plot "$work/disagree" -q 2> "$work/disagree.err"
check "rows of a case with different inputs: exit 65" test $? -eq 65
check "... located, as discover says it" grep -q \
    "sweep.csv:4: column 'x': case 1 has '1' here but '2' at line 5 (every row of a case has the same inputs)" \
    "$work/disagree.err"
"$bin" discover "$work/disagree" --where 'us_cars/shortfall > 5' -q -o "$work/disagree-d" 2> "$work/disagree-d.err"
sed 's/^reesim plot: //' "$work/disagree.err" > "$work/disagree.plot"
sed 's/^reesim discover: //' "$work/disagree-d.err" > "$work/disagree.disc"
check "... the message discover gives" cmp -s "$work/disagree.plot" "$work/disagree.disc"
check "--chart kinds include sweep" sh -c "'$bin' plot '$work/grid' --chart bogus -q 2>&1 | grep -q 'fan, compare, diff or sweep'"
finish

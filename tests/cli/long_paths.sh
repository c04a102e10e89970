#!/bin/sh
# No path is silently cut short (docs/reliability.md, "Long paths"): an -o (or input folder) of
# 1,000-4,000 bytes works as given, and one longer than a path may be (4095 bytes) is a usage
# error naming it, exit 64, with nothing written. Before, -o was cut at 1023 bytes, so
# `-o A/sub` (A of 1023 bytes) replaced A's set.
# Usage: long_paths.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
g="$src/tests/golden/golden.yaml"
toy="$src/tests/explore/toy-explore.yaml"
status() { "$@" >"$work/stdout" 2>"$work/stderr"; echo $?; }

# A folder whose path is exactly 1023 bytes, under folders of 200 bytes each.
a=$work/T
while [ ${#a} -lt 773 ]; do a=$a/$(printf 'x%.0s' $(seq 200)); done
pad=$((1023 - ${#a} - 1))
a=$a/$(printf 'y%.0s' $(seq $pad))
mkdir -p "$(dirname "$a")"
check "the folder path is 1023 bytes" test ${#a} -eq 1023
check "run into it" test "$(status "$bin" run "$g" -n 10 -j 1 -q -o "$a")" = 0
check "run into A/sub (1027 bytes)" test "$(status "$bin" run "$g" -n 3 -j 1 -q -o "$a/sub")" = 0
check "  writes A/sub" test -s "$a/sub/meta.json"
check "  and A keeps its own 10 runs" grep -q '"runs":.*10,' "$a/meta.json"
rm -rf "$a/sub"
check "compare into A + x" test "$(status "$bin" compare "$g" "$g" -n 3 -j 1 -q -o "${a}x")" = 0
check "  writes Ax" test -s "${a}x/compare.csv"
check "  and A keeps its own set" grep -q '"runs":.*10,' "$a/meta.json"

# Longer than any path may be: refused before anything is written, naming the option.
long=$work/$(printf 'z%.0s' $(seq 5000))
too_long() { # EXPECTED-WHAT COMMAND...
    what=$1
    shift
    [ "$(status "$@")" = 64 ] && grep -q "$what is too long: a path may have at most 4095 bytes" \
        "$work/stderr" && [ -z "$(find "$work" -maxdepth 1 -name '.z*' -o -maxdepth 1 -name 'zz*')" ]
}
check "run -o of 5000 bytes: 64" too_long "reesim run: -o" "$bin" run "$g" -n 3 -q -o "$long"
check "compare -o: 64" too_long "reesim compare: -o" "$bin" compare "$g" "$g" -n 3 -q -o "$long"
check "sweep -o: 64" too_long "reesim sweep: -o" "$bin" sweep "$toy" -k 2 -n 3 -q -o "$long"
check "sensitivity -o: 64" too_long "reesim sensitivity: -o" \
    "$bin" sensitivity "$toy" --method morris -n 2 -r 4 -q -o "$long"
check "search -o: 64" too_long "reesim search: -o" "$bin" search "$toy" \
    --lever gates.cn_export.approval=0..1 --goal 'P(us_cars/shortfall_share <= 0.3) >= 0.9' \
    -n 3 -q -o "$long"
cp "$src/tests/calibrate/toy-fit.yaml" "$work/"
printf 'date,value\n2025-02,100\n2025-03,100\n' >"$work/obs.csv"
check "calibrate -o: 64" too_long "reesim calibrate: -o" \
    "$bin" calibrate "$work/toy-fit.yaml" -n 3 -q -o "$long"
check "discover SWEEP_DIR: 64" too_long "reesim discover: SWEEP_DIR" \
    "$bin" discover "$long" --where 'us_cars/shortfall_share > 0.4'
check "plot OUTDIR: 64" too_long "reesim plot: OUTDIR" "$bin" plot "$long"
check "plot -o: 64" too_long "reesim plot: -o" "$bin" plot "$a" -o "$long"
check "plot -o FILE.svg: 64" too_long "reesim plot: -o" "$bin" plot "$a" --series cn_mine/capacity -o "$long.svg"
# The default folder of a comparison of many scenarios, out/compare-A-vs-B-..., likewise.
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
mkdir -p "$work/many" && cd "$work/many" || exit 1
sed -e 's/^name: .*/name: '"$(printf 'n%.0s' $(seq 64))"'/' -e '/^observations:/,$d' "$g" \
    >"$work/many/s.yaml"
set --
for i in $(seq 70); do set -- "$@" s.yaml; done
check "compare's default folder too long: 64" \
    test "$(status "$bin" compare "$@" -n 2 -q)" = 64
check "  naming it and -o" grep -q "default output folder for these 70 scenarios is too long.*give -o" "$work/stderr"
check "  nothing written" test ! -e out
finish

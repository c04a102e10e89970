#!/bin/sh
# The command-line contract: help and version on stdout with status 0, usage errors with 64 and
# a message on stderr, `models` documents every model, nothing but results on stdout, and an
# output folder that cannot be created gives 73 and leaves nothing behind.
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
scn="$src/tests/golden/golden.yaml"
status() { "$@" >"$work/stdout" 2>"$work/stderr"; echo $?; }
check "--help exits 0" test "$(status "$bin" --help)" = 0
check "--help prints usage on stdout" grep -q "^Usage: reesim COMMAND" "$work/stdout"
check "--version exits 0" test "$(status "$bin" --version)" = 0
check "--version names reesim" grep -q "^reesim [0-9]" "$work/stdout"
check "no command is a usage error" test "$(status "$bin")" = 64
check "unknown command is a usage error" test "$(status "$bin" frobnicate)" = 64
check "unknown command named on stderr" grep -q "unknown command 'frobnicate'" "$work/stderr"
check "run --help exits 0" test "$(status "$bin" run --help)" = 0
check "run --help lists --only-run" grep -q -- "--only-run" "$work/stdout"
check "run without scenario is 64" test "$(status "$bin" run)" = 64
check "run with unknown option is 64" test "$(status "$bin" run "$scn" --bogus)" = 64
check "run -n 0 is 64" test "$(status "$bin" run "$scn" -n 0)" = 64
check "run -n abc is 64" test "$(status "$bin" run "$scn" -n abc)" = 64
# A number option is its whole text: white space before it is refused as after it, by every
# command's parser (ree_cli_long, ree_cli_double).
spaced() {
    what=$1
    shift
    check "$what is 64" test "$(status "$bin" "$@")" = 64
    check "$what: the value named" grep -q "found '" "$work/stderr"
}
toy=$src/tests/explore/toy-explore.yaml
spaced "run -n ' 64'" run "$scn" -n ' 64' -o "$work/sp"
spaced "run -n '64 '" run "$scn" -n '64 ' -o "$work/sp"
spaced "run -s ' 7'" run "$scn" -s ' 7' -o "$work/sp"
spaced "sweep -k ' 3'" sweep "$toy" -k ' 3' -n 20 -o "$work/sp"
spaced "sensitivity -r ' 20'" sensitivity "$toy" -r ' 20' -o "$work/sp"
spaced "sweep --set P=' 0.2'" sweep "$toy" --set 'gates.cn_export.approval= 0.2' -n 20 -o "$work/sp"
spaced "sweep --set P='0.2, 0.3'" sweep "$toy" --set 'gates.cn_export.approval=0.2, 0.3' -n 20 -o "$work/sp"
spaced "sweep --set P='0.2.. 0.3'" sweep "$toy" --set 'gates.cn_export.approval=0.2.. 0.3' -n 20 -o "$work/sp"
spaced "search --tol ' 0.1'" search "$toy" --lever gates.cn_export.approval=0.1..0.9 --tol ' 0.1' \
    --goal 'P(us_cars/months_short <= 1) >= 0.5' -n 20 -o "$work/sp"
spaced "discover --alpha ' 0.1'" discover "$work" --where 'us_cars/months_short > 1' --alpha ' 0.1' -o "$work/sp"
check "nothing written" test ! -e "$work/sp"
# The exit codes of reesim --help are README's (69: gnuplot missing was left out).
readme=$(sed -n '/^take several. Exit status:/,/^SIGXFSZ/p' "$src/README.md" | tr '\n' ' ')
codes=$(echo "$readme" | grep -o '[ (]\(0\|6[4-9]\|7[0-4]\|1[2-5][0-9]\) ' | tr -d ' (' | sort -u | tr '\n' ' ')
check "README lists exit codes ($codes)" test -n "$codes"
status "$bin" --help > /dev/null
for code in $codes; do
    check "reesim --help lists exit $code" grep -q "\\(^\\|[ (]\\)$code " "$work/stdout"
done
check "run -j without value is 64" test "$(status "$bin" run "$scn" -j)" = 64
check "missing scenario file is 66" test "$(status "$bin" run "$work/nope.yaml")" = 66
check "validate good scenario is 0" test "$(status "$bin" validate "$scn")" = 0
check "validate says ok on stdout" grep -q "golden.yaml: ok" "$work/stdout"
check "models exits 0" test "$(status "$bin" models)" = 0
for m in source processor inventory stockpile sector recycler gate link; do
    check "models lists $m" grep -q "^$m (" "$work/stdout"
done
check "models gate shows review_days with unit and default" \
    sh -c "'$bin' models gate | grep -q 'review_days .*\[days\].*default 63'"
check "models unknown name is 64" test "$(status "$bin" models nosuch)" = 64
# stdout holds results only: with --quiet a run prints nothing at all.
check "quiet run exits 0" test "$(status "$bin" run "$scn" -n 64 -q -o "$work/q")" = 0
check "quiet run prints nothing on stdout" test ! -s "$work/stdout"
check "quiet run prints nothing on stderr when not a terminal" test ! -s "$work/stderr"
for f in timeseries.csv summary.csv runs.csv fit.csv scenario.resolved.yaml meta.json; do
    check "run wrote $f" test -s "$work/q/$f"
done
check "no temporary files left" sh -c "! ls -a '$work/q' | grep -q tmp"
check "resolved scenario validates" test "$(status "$bin" validate "$work/q/scenario.resolved.yaml")" = 0
"$bin" run "$work/q/scenario.resolved.yaml" -n 64 -q -o "$work/q2"
check "resolved scenario reproduces the run" cmp -s "$work/q/runs.csv" "$work/q2/runs.csv"
check "resolved scenario marks defaults" grep -q "default" "$work/q/scenario.resolved.yaml"
# Every shipped example and scenario resolves to a scenario that runs to the same results (gate
# rules, firm populations, summed observations and calibration sections included).
for f in "$src"/scenarios/examples/*.yaml "$src"/scenarios/historical-2025.yaml; do
    b=$(basename "$f" .yaml)
    "$bin" run "$f" -n 64 -q -o "$work/r-$b" 2>/dev/null
    "$bin" run "$work/r-$b/scenario.resolved.yaml" -n 64 -q -o "$work/r2-$b" 2>"$work/r2-$b.err"
    check "$b: resolved scenario reproduces every result file" \
        diff -r -x meta.json -x scenario.resolved.yaml "$work/r-$b" "$work/r2-$b"
done
# Numbers that need more than 10 significant digits are written so that they read back exactly
# (they were rounded to 10, and the rerun differed).
sed 's/capacity: 700 /capacity: 700.1234567890123 /; s/demand: 595 /demand: 595.00000000001234 /' \
    "$src/scenarios/examples/gate.yaml" > "$work/prec.yaml"
"$bin" run "$work/prec.yaml" -n 64 -q -o "$work/p1" 2>/dev/null
"$bin" run "$work/p1/scenario.resolved.yaml" -n 64 -q -o "$work/p2" 2>/dev/null
check "17 digits written back exactly" grep -q "capacity: 700.1234567890123  #" "$work/p1/scenario.resolved.yaml"
check "17-digit scenario: resolved reproduces every result file" \
    diff -r -x meta.json -x scenario.resolved.yaml "$work/p1" "$work/p2"
# report.series patterns with controls (DEL, and NEL, which YAML would fold into a space if
# written raw) are written as escapes and read back as the same patterns.
sed '/^report:/,/"cn_to_\*\/shipped"\]/d' "$src/scenarios/examples/gate.yaml" > "$work/ctl.yaml"
printf '%s\n' 'report:' '  series: ["cn_export/*", "us_*/shortfal[l\x7f]", "us_*/stoc[k\u0085].*"]' >> "$work/ctl.yaml"
"$bin" run "$work/ctl.yaml" -n 16 -q -o "$work/c1" 2>/dev/null
"$bin" run "$work/c1/scenario.resolved.yaml" -n 16 -q -o "$work/c2" 2>/dev/null
check "patterns with DEL and NEL: resolved reproduces every result file" \
    diff -r -x meta.json -x scenario.resolved.yaml "$work/c1" "$work/c2"
check "... and writes them as escapes" grep -qF '"us_*/stoc[k\u0085].*"' "$work/c1/scenario.resolved.yaml"
# U+FFFE and U+FFFF, which YAML does not allow raw, in a description: written as escapes.
awk '/^description:/ { print "description: \"ff\\uFFFEx\\uFFFFy\""; skip = 1; next }
     skip && /^  / { next } { skip = 0; print }' "$src/scenarios/examples/gate.yaml" > "$work/nonchar.yaml"
"$bin" run "$work/nonchar.yaml" -n 16 -q -o "$work/n1" 2>/dev/null
check "a description with U+FFFE and U+FFFF: resolved scenario validates" \
    "$bin" validate "$work/n1/scenario.resolved.yaml"
check "meta.json records the seed" grep -q '"seed":.*"20250404"' "$work/q/meta.json"
# An empty -o is a usage error of every command that takes -o, before anything is read or
# written (before: 73, "empty output directory name", after loading the scenario; `plot -o ''`
# wrote its charts into /, the empty name joined to each chart's file name).
toy="$src/tests/explore/toy-explore.yaml"
for c in run compare sweep sensitivity search calibrate discover plot; do
    case $c in
    run) set -- "$scn" -n 4 ;;
    compare) set -- "$scn" "$scn" -n 4 ;;
    sweep | sensitivity) set -- "$toy" -n 2 ;;
    search) set -- "$toy" --lever gates.cn_export.approval=0..1 \
        --goal 'P(us_cars/shortfall_share <= 0.3) >= 0.9' -n 2 ;;
    calibrate) set -- "$src/tests/calibrate/toy-fit.yaml" -n 2 ;;
    discover) set -- "$work/q" --where 'us_cars/shortfall_share > 0.4' ;;
    plot) set -- "$work/q" ;;
    esac
    check "$c -o '' is 64" test "$(status "$bin" $c "$@" -q -o '')" = 64
    check "$c -o '': said" grep -q "^reesim $c: option --out (-o) needs a non-empty value" \
        "$work/stderr"
done
# An output folder that cannot be created: a file stands in the way.
: > "$work/blocker"
check "uncreatable output is 73" test "$(status "$bin" run "$scn" -n 64 -q -o "$work/blocker/out")" = 73
finish

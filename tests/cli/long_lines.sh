#!/bin/sh
# Diagnostics on a 1 MB line: one error prints a window of about 120 characters around the
# caret with "..." where the line was cut, not the whole line and a 1 MB caret line. Errors
# near the start, in the middle and at the end of the line; the caret stays under the culprit.
# Usage: long_lines.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work" || exit 1

pad=$(awk 'BEGIN { for (i = 0; i < 200000; i++) printf "abc, "; }') # 1 MB
# scenario NAME LINE: the golden scenario with its line 9 (sources: [...]) replaced by LINE.
scenario() {
    printf '%s\n' "$2" > "$work/line"
    awk 'NR == FNR { l = $0; next } FNR == 9 { print l; next } { print }' "$work/line" \
        "$src/tests/golden/golden.yaml" > "$work/$1.yaml"
}
scenario start "bogus: [${pad}abc]"
scenario middle "sources: [${pad}{x: 1}, ${pad}abc]"
scenario end "sources: [${pad}{x: 1}]"

# check_case NAME LOCATION CHAR: exit 65, small stderr, located, caret under CHAR.
check_case() {
    "$bin" validate "$work/$1.yaml" > /dev/null 2> "$work/$1.err"
    check "$1: exit 65" test $? -eq 65
    check "$1: stderr under 1 kB (was 1-3 MB)" test "$(wc -c < "$work/$1.err")" -lt 1000
    check "$1: located" grep -q "$1.yaml:$2: error" "$work/$1.err"
    under=$(awk 'NR == 2 { l = $0 } NR == 3 { print substr(l, index($0, "^"), 1) }' "$work/$1.err")
    check "$1: caret under '$3'" test "$under" = "$3"
    check "$1: source line at most 126 bytes" test "$(sed -n 2p "$work/$1.err" | wc -c)" -le 127
}
check_case start 9:1 b
check_case middle 9:1000011 '{'
check_case end 9:1000011 '{'
check "middle: cut on both sides" grep -q '^\.\.\..*\.\.\.$' "$work/middle.err"
check "end: cut on the left only" grep -q '^\.\.\..*}]$' "$work/end.err"
check "start: cut on the right only" grep -q '^bogus: \[abc.*\.\.\.$' "$work/start.err"
finish

#!/bin/sh
# A usage error quotes the command line, and a --set reason (ree_plan_slot: "no node with id
# '...'") quotes an id taken from it: control characters in them are escaped as in located
# diagnostics (ree_snippet: \xHH for C0 and DEL, \u00HH for U+0080 to U+009F), so an ESC or CSI
# sequence in an argument never reaches the terminal raw.
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
scn="$src/tests/golden/golden.yaml"
esc=$(printf '\033')
csi=$(printf '\302\233')
bad="x${esc}[2J${csi}31m"
status() { "$@" >"$work/stdout" 2>"$work/stderr"; echo $?; }
raw() { LC_ALL=C grep -q -e "$esc" -e "$csi" "$work/stderr"; }
# escaped: stderr holds no raw control, and shows them escaped.
escaped() { ! raw && grep -q 'x\\x1b\[2J\\u009b31m' "$work/stderr"; }
goal='P(us_cars/months_short <= 0) >= 0.5'
for cmd in sweep sensitivity; do
    check "$cmd --set bad id is 64" \
        test "$(status "$bin" $cmd "$scn" --set "nodes.$bad.capacity=1" -o "$work/o")" = 64
    check "$cmd --set bad id: reason escaped" escaped
done
check "search --set bad id is 64" test "$(status "$bin" search "$scn" --set "nodes.$bad.capacity=1" \
    --lever nodes.cn_mine.capacity=1..2 --goal "$goal" -o "$work/o")" = 64
check "search --set bad id: reason escaped" escaped
check "search --lever bad id is 64" \
    test "$(status "$bin" search "$scn" --lever "nodes.$bad.capacity=1..2" --goal "$goal")" = 64
check "search --lever bad id: reason escaped" escaped
check "sweep --set bad value is 64" \
    test "$(status "$bin" sweep "$scn" --set "nodes.cn_mine.capacity=$bad" -o "$work/o")" = 64
check "sweep --set bad value escaped" escaped
check "run -n bad is 64" test "$(status "$bin" run "$scn" -n "$bad")" = 64
check "run -n bad escaped" escaped
check "run unknown option is 64" test "$(status "$bin" run "$scn" "--$bad")" = 64
check "run unknown option escaped" escaped
check "nothing written" test ! -e "$work/o"
finish

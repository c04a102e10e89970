#!/bin/sh
# Several reesim runs writing the same folder at once (docs/reliability.md, "Limits of the
# guarantee"): each commits a complete set and the last swap wins, so every one exits 0, prints
# nothing on stderr (no false "left from an earlier run" note), and the folder ends with one
# complete set and no temporary folder beside it. Before, a run could find the temporary folder
# it had just made removed by another's clean-up (exit 73, "cannot open directory"), and a
# clean-up that met a folder vanishing under it named it as left over.
# Usage: concurrent.sh REESIM SOURCE_DIR WORKDIR [ROUNDS]
bin=$1 src=$2 work=$3 rounds=${4:-15}
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
sed -e '/^observations:/,$d' "$src/tests/golden/golden.yaml" >"$work/s.yaml"
"$bin" run "$work/s.yaml" -n 3 -j 1 -q -o "$work/ref" || echo "reference run failed"
want=$(cd "$work/ref" && ls -A | tr '\n' ' ')
bad_rc=0 noise=0 broken=0
for r in $(seq "$rounds"); do
    rm -rf "$work/cc"
    for i in 1 2 3 4 5; do
        ("$bin" run "$work/s.yaml" -n 3 -j 1 -q -o "$work/cc" 2>"$work/err.$i" >/dev/null
         echo $? >"$work/rc.$i") &
    done
    wait
    for i in 1 2 3 4 5; do
        [ "$(cat "$work/rc.$i")" = 0 ] || { bad_rc=$((bad_rc + 1)); cat "$work/err.$i"; }
        [ -s "$work/err.$i" ] && { noise=$((noise + 1)); cat "$work/err.$i"; }
    done
    [ "$(cd "$work/cc" 2>/dev/null && ls -A | tr '\n' ' ')" = "$want" ] || broken=$((broken + 1))
    [ -z "$(find "$work" -maxdepth 1 -name '.cc.tmp.*')" ] || broken=$((broken + 1))
done
echo "$rounds rounds of 5 runs: $bad_rc failed, $noise with messages, $broken rounds left a bad folder"
check "every run exits 0" test "$bad_rc" = 0
check "no run prints anything on stderr" test "$noise" = 0
check "the folder holds one complete set, no temporary folder is left" test "$broken" = 0
finish

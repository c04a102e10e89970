#!/bin/sh
# A run that replaces an output folder keeps the folder's permission bits (docs/reliability.md,
# "Output sets" step 3): a private (0700) folder stays private, 0750 stays 0750, for run and
# compare alike; a new folder gets 0777 & ~umask. Before, every commit set 0777 & ~umask, so
# `mkdir -m 700 priv; reesim run ... -o priv` left priv world-readable (0755).
# Usage: permissions.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
sed -e '/^observations:/,$d' "$src/tests/golden/golden.yaml" >"$work/s.yaml"
mode() { stat -c %a "$1"; }
run() { "$bin" run "$work/s.yaml" -n 3 -j 1 -q -o "$1"; }

umask 022
run "$work/new"
check "a new folder: 0777 & ~umask 022 = 755" test "$(mode "$work/new")" = 755
(umask 077 && run "$work/new77")
check "a new folder: 0777 & ~umask 077 = 700" test "$(mode "$work/new77")" = 700

mkdir -m 700 "$work/priv"
run "$work/priv"
check "an empty private folder stays 700" test "$(mode "$work/priv")" = 700
run "$work/priv"
check "  and after a second run" test "$(mode "$work/priv")" = 700
check "  which wrote a set" test -s "$work/priv/meta.json"

chmod 750 "$work/new"
run "$work/new"
check "chmod 750 on a result folder survives the next run" test "$(mode "$work/new")" = 750
chmod 2750 "$work/new"
run "$work/new"
check "  as does a setgid bit (2750)" test "$(mode "$work/new")" = 2750

# A folder someone else owns and made world-writable (a shared place): its mode is not copied,
# or the new results would be writable by all.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
    run "$work/foreign"
    chown nobody "$work/foreign" && chmod 777 "$work/foreign"
    run "$work/foreign"
    check "a foreign-owned 777 folder is replaced with 0777 & ~umask 022 = 755" \
        test "$(mode "$work/foreign")" = 755
else
    echo "skip: a foreign-owned folder needs root (chown)"
fi

# A drop box (write and search, no read: 1733) another user writes into: the parent of -o cannot
# be listed, and nothing the output set does needs it to be (it was refused with 73 'cannot open
# directory' while the set opened its parent O_RDONLY). The program and the scenario are copied to
# a folder nobody can reach (the work folder may sit under a 0700 clone); reesim links its engine
# statically.
if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null 2>&1 && id nobody >/dev/null 2>&1 &&
    pub=$(mktemp -d /tmp/reesim-perm.XXXXXX); then
    chmod 755 "$pub" && cp "$bin" "$pub/reesim" && cp "$work/s.yaml" "$pub/s.yaml" &&
        chmod 755 "$pub/reesim" && chmod 644 "$pub/s.yaml" && mkdir -m 1733 "$pub/drop" &&
        chmod 1733 "$pub/drop"
    drop() { runuser -u nobody -- "$pub/reesim" run "$pub/s.yaml" -n 3 -j 1 -q -o "$pub/drop/$1"; }
    drop out 2> "$work/drop.err"
    check "a drop-box parent (1733), another user: run writes its set" \
        test $? -eq 0 -a -s "$pub/drop/out/summary.csv"
    drop out 2>> "$work/drop.err"
    check "  and replaces it" test $? -eq 0 -a -s "$pub/drop/out/summary.csv"
    # plot's chart folder may be a drop box too (its descriptor is only used for *at calls).
    if command -v gnuplot >/dev/null 2>&1; then
        runuser -u nobody -- "$pub/reesim" plot "$pub/drop/out" -q -o "$pub/drop" 2> "$work/dropplot.err"
        check "plot -o a drop box (1733), another user: exit 0, charts written" \
            test $? -eq 0 -a -n "$(ls "$pub/drop" | grep '[.]svg$')"
    fi
    chmod 311 "$pub/drop"
    drop out2 2> "$work/drop311.err"
    check "a parent nobody may not write (0311): 73, 'cannot write to directory'" \
        test $? -eq 73 -a -n "$(grep 'cannot write to directory' "$work/drop311.err")"
    rm -rf "$pub"
else
    echo "skip: the drop-box checks need root, runuser and a user nobody"
fi

mkdir -m 711 "$work/cmp"
"$bin" compare "$work/s.yaml" "$work/s.yaml" -n 3 -j 1 -q -o "$work/cmp"
check "compare keeps 711 too" test "$(mode "$work/cmp")" = 711
finish

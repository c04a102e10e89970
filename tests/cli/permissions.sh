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

mkdir -m 711 "$work/cmp"
"$bin" compare "$work/s.yaml" "$work/s.yaml" -n 3 -j 1 -q -o "$work/cmp"
check "compare keeps 711 too" test "$(mode "$work/cmp")" = 711
finish

#!/bin/sh
# The library and the program are separate: libreesim has no option parsing, signal handling or
# process spawning and no reference to stdout/stderr; `cmake --install` installs the library, the
# public header and a pkg-config file, and the example program builds against the installed
# library with pkg-config alone and runs the golden scenario.
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
build=$(dirname "$bin")
lib="$build/libreesim.a"
nm "$lib" 2>/dev/null | awk '$1 == "U" { print $2 }' | sort -u >"$work/undefined"
for sym in getopt getopt_long sigaction signal popen fork execv execvp posix_spawn system stdout stderr isatty; do
    check "library does not use $sym" sh -c "! grep -qx '$sym' '$work/undefined'"
done
check "library reads its own symbols" grep -q . "$work/undefined"

prefix="$work/prefix"
check "cmake --install to a prefix" sh -c "cmake --install '$build' --prefix '$prefix' >'$work/install.log' 2>&1"
check "public header installed" test -f "$prefix/include/reesim/reesim.h"
check "no private header installed" sh -c "! find '$prefix/include' -name 'plan.h' -o -name 'mc.h' | grep -q ."
pc=$(find "$prefix" -name reesim.pc | head -n 1)
check "pkg-config file installed" test -n "$pc"
export PKG_CONFIG_PATH="$(dirname "$pc")"
check "pkg-config knows reesim" pkg-config --exists reesim
libdir=$(pkg-config --variable=libdir reesim)
# Against a library built with the sanitizers (make check-asan) the program needs them too.
san=""
[ -n "${REESIM_SANITIZED:-}" ] && san="-fsanitize=address,undefined"
check "example builds against the installed library" sh -c \
    "cc -std=c11 -Wall -Wextra -Werror $san '$src/examples/simulate.c' \$(pkg-config --cflags --libs reesim) -o '$work/simulate' 2>'$work/cc.log'"
check "example runs the golden scenario" sh -c \
    "LD_LIBRARY_PATH='$libdir' '$work/simulate' '$src/tests/golden/golden.yaml' 200 >'$work/out' 2>'$work/err'"
check "example prints sector shortfalls" grep -q "shortfall.*median" "$work/out"
check "example reports a bad scenario with its location" sh -c \
    "LD_LIBRARY_PATH='$libdir' '$work/simulate' '$src/tests/bad/nan.yaml' >/dev/null 2>'$work/bad'; test \$? = 65 && grep -q 'nan.yaml:[0-9]*:[0-9]*: error' '$work/bad'"
finish

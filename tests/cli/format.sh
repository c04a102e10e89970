#!/bin/sh
# Formatting: every C file matches the committed .clang-format (clang-format 14).
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
if ! command -v clang-format >/dev/null 2>&1; then
    echo "clang-format not installed: run 'make test' (it installs it) or apt-get install clang-format"
    exit 1
fi
cd "$src" || exit 1
for f in $(find engine models include cli examples tests bench -name '*.[ch]' 2>/dev/null | sort); do
    check "$f is formatted" sh -c "clang-format --dry-run --Werror '$f' 2>/dev/null"
done
finish

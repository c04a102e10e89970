#!/bin/sh
# Regenerate the golden diagnostics tests/bad/*.err from the current binary.
#
#   sh tests/update-golden-diagnostics.sh REESIM_BINARY [SOURCE_DIR]
#
# This is the explicit update path for tests/cli/bad_scenarios.sh: it overwrites every
# tests/bad/NAME.err with the stderr of `reesim validate NAME.yaml`, run from inside tests/bad
# exactly as the test runs it. It does not judge the messages.
#
# A HUMAN MUST REVIEW THE RESULTING DIFF (git diff tests/bad) BEFORE COMMITTING IT. Each message
# must still be located (file:line:col), name the key path, say what was expected and what was
# found, and show the source line with a caret. A message that got worse, lost its location or
# started describing a different problem is a regression in the engine, not a new golden file.
# A case whose exit status is no longer 65 is reported here and its .err is still written;
# the test will fail on it until the status is right again.

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: sh $0 REESIM_BINARY [SOURCE_DIR]" >&2
    exit 64
fi

case $1 in
/*) bin=$1 ;;
*) bin=$(pwd)/$1 ;;
esac
if [ $# -eq 2 ]; then
    src=$2
else
    src=$(cd "$(dirname "$0")/.." && pwd)
fi
bad="$src/tests/bad"
if [ ! -x "$bin" ] || [ ! -d "$bad" ]; then
    echo "update-golden-diagnostics: need an executable reesim and $bad" >&2
    exit 1
fi

cd "$bad" || exit 1
n=0
odd=0
for yaml in *.yaml; do
    [ -e "$yaml" ] || continue
    name=$(basename "$yaml" .yaml)
    "$bin" validate "$yaml" >/dev/null 2>"$name.err.new"
    st=$?
    mv "$name.err.new" "$name.err" || exit 1
    n=$((n + 1))
    if [ $st -ne 65 ]; then
        echo "warning: $name.yaml: validate exited $st, expected 65" >&2
        odd=$((odd + 1))
    fi
done
# .err files whose scenario is gone.
for err in *.err; do
    [ -e "$err" ] || continue
    [ -e "$(basename "$err" .err).yaml" ] || echo "warning: $err has no scenario" >&2
done
echo "wrote $n golden files in $bad; review them with: git diff -- tests/bad"
[ $odd -eq 0 ]

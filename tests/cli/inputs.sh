#!/bin/sh
# Inputs that are not regular files: a scenario or an observations file that is a FIFO, a
# directory or a device is refused at once with a message naming it (scenario: exit 66, "cannot
# open input"; observations: a located scenario error, exit 65, as for a missing file), never a
# hang (each command runs under `timeout 10`: exit 124 would mean it blocked).
# Usage: inputs.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
case $src in /*) ;; *) src=$(pwd)/$src ;; esac
rm -rf "$work" && mkdir -p "$work" || exit 1
cd "$work" || exit 1

# expect NAME STATUS MESSAGE COMMAND...: exit STATUS within 10 s, MESSAGE on stderr.
expect() {
    what=$1 want=$2 msg=$3
    shift 3
    timeout 10 "$@" > "$work/out" 2> "$work/err" < /dev/null
    code=$?
    check "$what: exit $want (not a hang)" test "$code" -eq "$want"
    check "$what: message" grep -q -- "$msg" "$work/err"
    check "$what: nothing on stdout" test ! -s "$work/out"
}

# ---- the scenario itself ----------------------------------------------------------------------
mkfifo sfifo.yaml
mkdir sdir.yaml
for cmd in validate run; do
    extra=
    [ $cmd = run ] && extra="-q -o $work/out-$cmd"
    expect "$cmd FIFO scenario" 66 "cannot open sfifo.yaml: is a FIFO (named pipe), not a regular file" \
        "$bin" $cmd sfifo.yaml $extra
    expect "$cmd directory scenario" 66 "cannot open sdir.yaml: is a directory, not a regular file" \
        "$bin" $cmd sdir.yaml $extra
    expect "$cmd /dev/null scenario" 66 "cannot open /dev/null: is a character device" \
        "$bin" $cmd /dev/null $extra
    expect "$cmd /dev/zero scenario" 66 "cannot open /dev/zero: is a character device" \
        "$bin" $cmd /dev/zero $extra
    check "$cmd left no output" test ! -e "$work/out-$cmd"
done

# ---- an observations file ---------------------------------------------------------------------
base="$src/tests/bad/observation-missing-file.yaml"
obs() { # NAME FILE: a copy of the scenario whose observations file is FILE
    sed "s|file: observed/us_cars_shortfall.csv}|file: $2}|" "$base" > "$1.yaml"
}
mkfifo obs.fifo
mkdir obs.dir
obs fifo obs.fifo
obs dir obs.dir
obs null /dev/null
obs zero /dev/zero
expect "observations FIFO" 65 \
    "fifo.yaml:50:76: error: observations\[0\].file: cannot open ./obs.fifo: is a FIFO (named pipe), not a regular file" \
    "$bin" validate fifo.yaml
expect "observations directory" 65 \
    "dir.yaml:50:76: error: observations\[0\].file: cannot open ./obs.dir: is a directory, not a regular file" \
    "$bin" validate dir.yaml
expect "observations /dev/null" 65 \
    "null.yaml:50:76: error: observations\[0\].file: cannot open /dev/null: is a character device, not a regular file" \
    "$bin" validate null.yaml
expect "observations /dev/zero" 65 \
    "zero.yaml:50:76: error: observations\[0\].file: cannot open /dev/zero: is a character device, not a regular file" \
    "$bin" validate zero.yaml
expect "run with a FIFO observations file" 65 "cannot open ./obs.fifo: is a FIFO" \
    "$bin" run fifo.yaml -q -o "$work/out-obs"
check "... left no output" test ! -e "$work/out-obs"
# A regular file through a symlink is still fine.
printf 'date,value\n2025-03,12.5\n' > real.csv
ln -s real.csv link.csv
obs link link.csv
timeout 10 "$bin" validate link.yaml > /dev/null 2> "$work/err"
check "observations through a symlink to a regular file: exit 0" test $? -eq 0
finish

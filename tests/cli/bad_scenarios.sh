#!/bin/sh
# Broken scenarios: every tests/bad/NAME.yaml must be rejected, cleanly and with its golden
# diagnostics.
#
#   sh tests/cli/bad_scenarios.sh REESIM_BINARY SOURCE_DIR WORKDIR
#
# For each case, from inside tests/bad (so file names in messages are relative and stable):
#   - `reesim validate NAME.yaml` exits 65, prints nothing on stdout, and its stderr equals
#     tests/bad/NAME.err byte for byte;
#   - `reesim run NAME.yaml -o WORKDIR/out-NAME -q` exits 65 with the same stderr and leaves
#     nothing behind: no WORKDIR/out-NAME, complete or partial;
#   - neither command dies on a signal (exit status >= 128).
# A scenario path that does not exist is checked separately: exit 66 for both commands.
# Prints one line per check and ends with "N passed, M failed"; exits 1 on any failure.
# To regenerate the .err files after a deliberate change of wording, run
# tests/update-golden-diagnostics.sh and review the diff.

if [ $# -ne 3 ]; then
    echo "usage: sh $0 REESIM_BINARY SOURCE_DIR WORKDIR" >&2
    exit 64
fi

abspath() {
    case $1 in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s/%s\n' "$(pwd)" "$1" ;;
    esac
}

bin=$(abspath "$1")
src=$(abspath "$2")
work=$(abspath "$3")
bad="$src/tests/bad"

if [ ! -x "$bin" ]; then
    echo "bad_scenarios: no executable at $bin" >&2
    exit 1
fi
if [ ! -d "$bad" ]; then
    echo "bad_scenarios: no directory $bad" >&2
    exit 1
fi
rm -rf "$work" || exit 1
mkdir -p "$work" || exit 1

passed=0
failed=0

# done_case CASE OK: count the case once, however many of its checks failed.
done_case() {
    if [ "$2" -eq 1 ]; then
        passed=$((passed + 1))
        printf 'PASS %s\n' "$1"
    else
        failed=$((failed + 1))
    fi
}

# fail CASE WHY [FILE-TO-SHOW]: report one failed check of a case.
fail() {
    printf 'FAIL %s: %s\n' "$1" "$2"
    if [ -n "$3" ] && [ -s "$3" ]; then
        sed 's/^/    | /' "$3"
    fi
}

# Expected exit status of each case. Every broken scenario is invalid (65), including one
# that names an observation file that does not exist: the loader reports that as a located
# scenario error among the others rather than as an unreadable input (66).
expected_status() {
    case $1 in
    *) echo 65 ;;
    esac
}

# check_exit CASE WHAT STATUS EXPECTED OUTFILE: 0 if the status is as expected.
check_exit() {
    if [ "$3" -ge 128 ]; then
        fail "$1" "$2 crashed (exit status $3)" "$5"
        return 1
    fi
    if [ "$3" -ne "$4" ]; then
        fail "$1" "$2 exited $3, expected $4" "$5"
        return 1
    fi
    return 0
}

# check_clean CASE DIR: 0 if run left nothing at DIR (nor a DIR.* sibling such as a temporary).
check_clean() {
    leftovers=$(cd "$work" && ls -d "$(basename "$2")" "$(basename "$2")".* 2>/dev/null)
    if [ -n "$leftovers" ]; then
        fail "$1" "run left output behind: $leftovers"
        return 1
    fi
    return 0
}

ncase=0
for yaml in "$bad"/*.yaml; do
    [ -e "$yaml" ] || continue
    ncase=$((ncase + 1))
    name=$(basename "$yaml" .yaml)
    golden="$bad/$name.err"
    want=$(expected_status "$name")
    vout="$work/$name.validate.out"
    verr="$work/$name.validate.err"
    rerr="$work/$name.run.err"
    outdir="$work/out-$name"
    ok=1

    (cd "$bad" && "$bin" validate "$name.yaml") >"$vout" 2>"$verr"
    vst=$?
    check_exit "$name" validate "$vst" "$want" "$verr" || ok=0
    if [ $ok -eq 1 ] && [ -s "$vout" ]; then
        fail "$name" "validate wrote to stdout" "$vout"
        ok=0
    fi
    if [ $ok -eq 1 ]; then
        if [ ! -f "$golden" ]; then
            fail "$name" "no golden file tests/bad/$name.err (run tests/update-golden-diagnostics.sh)" "$verr"
            ok=0
        elif ! cmp -s "$golden" "$verr"; then
            diff -u "$golden" "$verr" >"$work/$name.diff" 2>&1
            fail "$name" "validate stderr differs from tests/bad/$name.err" "$work/$name.diff"
            ok=0
        fi
    fi

    (cd "$bad" && "$bin" run "$name.yaml" -o "$outdir" -q) >/dev/null 2>"$rerr"
    rst=$?
    if check_exit "$name" run "$rst" "$want" "$rerr"; then
        if [ -f "$golden" ] && ! cmp -s "$golden" "$rerr"; then
            diff -u "$golden" "$rerr" >"$work/$name.run.diff" 2>&1
            fail "$name" "run stderr differs from tests/bad/$name.err" "$work/$name.run.diff"
            ok=0
        fi
    else
        ok=0
    fi
    check_clean "$name" "$outdir" || ok=0

    done_case "$name" $ok
done

if [ $ncase -lt 30 ]; then
    fail corpus "only $ncase broken scenarios in tests/bad, expected at least 30"
    done_case corpus 0
fi

# A scenario path that does not exist: cannot open input (66), nothing written.
name=no-such-file
(cd "$bad" && "$bin" validate "$name.yaml") >/dev/null 2>"$work/$name.validate.err"
vst=$?
(cd "$bad" && "$bin" run "$name.yaml" -o "$work/out-$name" -q) >/dev/null 2>"$work/$name.run.err"
rst=$?
ok=1
check_exit "$name" validate "$vst" 66 "$work/$name.validate.err" || ok=0
check_exit "$name" run "$rst" 66 "$work/$name.run.err" || ok=0
if ! grep -q "no-such-file.yaml" "$work/$name.validate.err"; then
    fail "$name" "validate's message does not name the file" "$work/$name.validate.err"
    ok=0
fi
check_clean "$name" "$work/out-$name" || ok=0
done_case "$name" $ok

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]

# Shared helpers for the command-line tests (sourced by tests/cli/*.sh; excluded from ctest).
# Usage in a test: . "$(dirname "$0")/lib.sh"; then check NAME COMMAND...; finish.
pass=0
fail=0
check() {
    name=$1
    shift
    if "$@"; then
        pass=$((pass + 1))
        echo "ok   $name"
    else
        fail=$((fail + 1))
        echo "FAIL $name"
    fi
}
finish() {
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}

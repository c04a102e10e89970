#!/bin/sh
# Run the libFuzzer targets of a fuzz build (`make fuzz`) for SECONDS each, then print each one's
# final coverage and exec count. Usage: tests/fuzz/run.sh BUILD_DIR SECONDS [TARGET...]
#
# Seeds of fuzz_loader and fuzz_sim: tests/fuzz/corpus (inputs that once failed),
# tests/bad/*.yaml, scenarios/**/*.yaml and tests/golden/*.yaml, copied into BUILD_DIR/fuzz-seeds,
# with the dictionary tests/fuzz/scenario.dict; of fuzz_csv: tests/fuzz/corpus-csv and the golden
# CSV files, into BUILD_DIR/fuzz-seeds-csv, with tests/fuzz/csv.dict. New inputs go to the working
# corpus BUILD_DIR/fuzz-corpus/TARGET, kept between runs. A crash, leak, timeout or failed check
# leaves BUILD_DIR/fuzz-TARGET-crash-* (or leak-, timeout-) and fails the script with the log's
# tail; minimise it with `BUILD_DIR/tests/TARGET -minimize_crash=1 -runs=10000 FILE` and commit
# it in tests/fuzz/corpus/ (fuzz_csv: tests/fuzz/corpus-csv/) so ctest replays it in the normal
# build.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 BUILD_DIR SECONDS [TARGET...]" >&2; exit 64; }
build=$(cd "$1" && pwd)
secs=$2
shift 2
[ $# -gt 0 ] || set -- fuzz_loader fuzz_sim fuzz_csv
src=$(cd "$(dirname "$0")/../.." && pwd)

# seeds DIR FILE...: copy the files (READMEs aside) into DIR, named by their path
seeds() {
    dir=$1
    shift
    rm -rf "$dir"
    mkdir -p "$dir"
    for f in "$@"; do
        [ -f "$f" ] || continue
        case $f in */README*) continue ;; esac
        cp "$f" "$dir/$(echo "${f#"$src"/}" | tr / _)"
    done
}
seeds "$build/fuzz-seeds" "$src"/tests/fuzz/corpus/* "$src"/tests/bad/*.yaml \
    "$src"/tests/golden/*.yaml $(find "$src/scenarios" -name '*.yaml')
seeds "$build/fuzz-seeds-csv" "$src"/tests/fuzz/corpus-csv/* "$src"/tests/golden/expected/*.csv \
    "$src"/tests/golden/*.csv

# UBSan findings are fatal (built with -fno-sanitize-recover=all); leaks are reported (LeakSanitizer).
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS UBSAN_OPTIONS
status=0
summary=""
for t in "$@"; do
    work=$build/fuzz-corpus/$t
    log=$build/fuzz-$t.log
    mkdir -p "$work"
    echo "fuzz: $t for ${secs}s (log $log)"
    rc=0
    case $t in
    fuzz_csv) seeds=$build/fuzz-seeds-csv dict=$src/tests/fuzz/csv.dict ;;
    *) seeds=$build/fuzz-seeds dict=$src/tests/fuzz/scenario.dict ;;
    esac
    "$build/tests/$t" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -dict="$dict" -artifact_prefix="$build/fuzz-$t-" \
        -print_final_stats=1 "$work" "$seeds" >"$log" 2>&1 || rc=$?
    grep -m1 'inline 8-bit counters' "$log" || true
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    line="$t: ${last:-no progress line} | execs ${execs:-?}"
    echo "$line"
    summary="$summary$line
"
    if [ "$rc" != 0 ]; then
        echo "fuzz: $t FAILED (exit $rc); the end of its log:" >&2
        tail -n 60 "$log" >&2
        status=1
    fi
done
printf '\nfuzz summary (%ss per target):\n%s' "$secs" "$summary"
exit $status

#!/bin/sh
# bench/numpy/compare.sh: reesim against the numpy reference (reesim_np.py), one core each,
# end to end, interleaved, R repeats; prints min and median wall and CPU seconds of each and
# the ratios. A benchmark, never a test: not part of `make test` or CI (bench/numpy/README.md).
#
#   sh bench/numpy/compare.sh [-r R] [-n RUNS] [-b REESIM] [--no-runs-csv] [--pin CPU] SCEN...
#
# reesim:  REESIM run SCEN -n RUNS -j 1 -q -o DIR          (writes runs.csv, as the issue's command)
# numpy:   /usr/bin/python3 reesim_np.py SCEN -n RUNS -o DIR --runs-csv
# --no-runs-csv: neither writes the per-run file (reesim --runs-csv none). --pin CPU: both run
# under `taskset -c CPU`. Threads: OMP_NUM_THREADS=1, OPENBLAS_NUM_THREADS=1, MKL_NUM_THREADS=1.
# Defaults: R = 5, RUNS = 20000, REESIM = build/reesim. Outputs go to a temporary folder that is
# removed at the end. Run it on an idle machine for figures worth quoting.
set -eu

R=5
N=20000
REESIM=build/reesim
RUNS_CSV=1
PIN=
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3

usage() {
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 64
}

while [ $# -gt 0 ]; do
    case $1 in
    -r) R=$2; shift 2 ;;
    -n) N=$2; shift 2 ;;
    -b) REESIM=$2; shift 2 ;;
    --no-runs-csv) RUNS_CSV=0; shift ;;
    --pin) PIN=$2; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "compare.sh: unknown option $1" >&2; usage ;;
    *) break ;;
    esac
done
[ $# -ge 1 ] || usage
[ -x "$REESIM" ] || { echo "compare.sh: $REESIM is not an executable (build it: cmake --build build --target reesim)" >&2; exit 66; }
"$PY" -c 'import numpy, yaml' 2>/dev/null || { echo "compare.sh: $PY lacks numpy or yaml (Debian: python3-numpy python3-yaml)" >&2; exit 69; }

export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/reesim-np-compare.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
WRAP=
[ -n "$PIN" ] && WRAP="taskset -c $PIN"

if [ "$RUNS_CSV" = 1 ]; then REE_RC=""; NP_RC="--runs-csv"; else REE_RC="--runs-csv none"; NP_RC=""; fi

# stats FILE: "min median" of the numbers in FILE (one a line)
stats() {
    sort -g "$1" | awk '{v[NR] = $1} END {
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%.3f %.3f", v[1], m }'
}

printf '# compare.sh: runs=%s repeats=%s reesim=%s runs_csv=%s pin=%s host=%s cores=%s\n' \
    "$N" "$R" "$REESIM" "$RUNS_CSV" "${PIN:-none}" "$(uname -n)" "$(nproc --all)"
printf '%-24s %-7s %10s %10s %10s %10s\n' scenario impl wall_min wall_med cpu_min cpu_med
for scen in "$@"; do
    name=$(basename "$scen" .yaml)
    : >"$TMP/ree.wall"; : >"$TMP/ree.cpu"; : >"$TMP/np.wall"; : >"$TMP/np.cpu"
    i=0
    while [ $i -lt "$R" ]; do
        # interleaved: reesim, then numpy, R times
        # shellcheck disable=SC2086
        /usr/bin/time -f '%e %U %S' -o "$TMP/t" $WRAP "$REESIM" run "$scen" -n "$N" -j 1 -q \
            $REE_RC -o "$TMP/ree" >/dev/null
        tail -n 1 "$TMP/t" | awk '{print $1}' >>"$TMP/ree.wall"
        tail -n 1 "$TMP/t" | awk '{print $2 + $3}' >>"$TMP/ree.cpu"
        # shellcheck disable=SC2086
        /usr/bin/time -f '%e %U %S' -o "$TMP/t" $WRAP "$PY" "$HERE/reesim_np.py" "$scen" \
            -n "$N" $NP_RC -o "$TMP/np" >/dev/null
        tail -n 1 "$TMP/t" | awk '{print $1}' >>"$TMP/np.wall"
        tail -n 1 "$TMP/t" | awk '{print $2 + $3}' >>"$TMP/np.cpu"
        rm -rf "$TMP/np" "$TMP/ree"
        i=$((i + 1))
    done
    rw=$(stats "$TMP/ree.wall"); rc=$(stats "$TMP/ree.cpu")
    nw=$(stats "$TMP/np.wall"); nc=$(stats "$TMP/np.cpu")
    printf '%-24s %-7s %10s %10s %10s %10s\n' "$name" reesim "${rw% *}" "${rw#* }" "${rc% *}" "${rc#* }"
    printf '%-24s %-7s %10s %10s %10s %10s\n' "$name" numpy "${nw% *}" "${nw#* }" "${nc% *}" "${nc#* }"
    echo "$rw $nw $rc $nc" | awk -v s="$name" '{
        r = ($2 > 0) ? $4 / $2 : 0; m = ($1 > 0) ? $3 / $1 : 0
        c = ($6 > 0) ? $8 / $6 : 0
        printf "%-24s ratio numpy/reesim: wall median %.2fx, wall min %.2fx, cpu median %.2fx\n", s, r, m, c }'
done

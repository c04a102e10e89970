#!/bin/bash
# bench/libm-cpu.sh BIN RUNS SCENARIO...: does reesim's output depend on the CPU it runs on?
#
# glibc picks its exp, log and pow (and others) by CPU at load time (ifunc): builds using FMA
# instructions where the CPU has them, others where it does not, and the two round differently
# on a small share of arguments. This runs each scenario twice on this machine, as it is and with
# glibc told to ignore AVX2 and FMA (GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA, so it takes the
# builds a CPU without FMA would get), same seed, runs and -j2, and compares every output CSV cell
# by cell: how many cells differ, the largest absolute difference, the largest relative
# difference among values above 1e-9 in magnitude (below that they are rounding residues of
# cancellations), and how many runs of runs.csv differ. Measures, never fails (exit 0 unless a
# run cannot be made). Figures: bench/HISTORY.md, stop 21; README "Reproducibility".
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 BIN RUNS SCENARIO..." >&2
    exit 64
fi
B=$1
N=$2
shift 2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for s in "$@"; do
    rm -rf "$T/a" "$T/b"
    "$B" run "$s" -n "$N" -j 2 -q -o "$T/a" >/dev/null
    GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA "$B" run "$s" -n "$N" -j 2 -q -o "$T/b" >/dev/null
    /usr/bin/python3 - "$s" "$T" <<'PY'
import os, sys
s, t = sys.argv[1], sys.argv[2]
cells, wabs, wrel, files, runs = 0, 0.0, 0.0, [], set()
for f in sorted(os.listdir(t + "/a")):
    if not f.endswith(".csv"):
        continue
    a = open(f"{t}/a/{f}").read().splitlines()
    b = open(f"{t}/b/{f}").read().splitlines()
    nd = sum(x != y for x, y in zip(a, b)) + abs(len(a) - len(b))
    if nd:
        files.append(f"{f} {nd}")
    for x, y in zip(a, b):
        if x == y:
            continue
        if f == "runs.csv":
            runs.add(x.split(",")[1])
        for u, v in zip(x.split(","), y.split(",")):
            if u == v:
                continue
            cells += 1
            try:
                fu, fv = float(u), float(v)
            except ValueError:
                wrel = float("inf")
                continue
            wabs = max(wabs, abs(fu - fv))
            big = max(abs(fu), abs(fv))
            if big > 1e-9:
                wrel = max(wrel, abs(fu - fv) / big)
print(f"{os.path.basename(s)}: {cells} cells differ ({', '.join(files) or 'none'}); "
      f"runs differing {len(runs)}; max |diff| {wabs:.2g}; "
      f"max relative diff where |value| > 1e-9: {wrel:.2g}")
PY
done

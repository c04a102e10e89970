#!/bin/sh
# Walk-forward validation of scenarios/historical-2025.yaml (docs/calibration.md).
#
# For every cut-off month T: `reesim calibrate --until T` fits the scenario's free parameters
# (its `calibrate:` section) to the customs record up to T, `reesim run` runs the fitted
# scenario, and its forecasts of the months T+1..T+6 are scored against the record in
# data/customs/ (through June 2025): p05-p95 coverage, interval score (alpha = 0.1) and median
# absolute error of the median, by horizon and series, beside two naive forecasts: the last
# value known at T, and the same month a year before (where the record has it). A naive forecast's
# p05-p95 band is the forecast times the 5% and 95% quantiles of that method's own past ratios
# actual/forecast at the same horizon, from months up to T (a point, width 0, when fewer than
# two past ratios exist).
#
# Usage: scripts/walk-forward.sh [-b BINARY] [-n RUNS] [-i ITERATIONS] [-c "CUTOFFS"]
#                                [-w WORKDIR] [-t TABLE.md] [-s SCENARIO] [-u]
#   defaults: build/reesim, 200 runs, 100 iterations, cut-offs 2024-09 .. 2025-03, a temporary
#   work folder, the table on stdout; -u also replaces the table in docs/calibration.md (between
#   its walk-forward markers).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/build/reesim runs=200 iters=100 work= table= update=0
scenario=$root/scenarios/historical-2025.yaml
cutoffs="2024-09 2024-10 2024-11 2024-12 2025-01 2025-02 2025-03"
while getopts b:n:i:c:w:t:s:u opt; do
    case $opt in
    b) bin=$OPTARG ;;
    n) runs=$OPTARG ;;
    i) iters=$OPTARG ;;
    c) cutoffs=$OPTARG ;;
    w) work=$OPTARG ;;
    t) table=$OPTARG ;;
    s) scenario=$OPTARG ;;
    u) update=1 ;;
    *) sed -n '2,21p' "$0" >&2; exit 64 ;;
    esac
done
if [ -z "$work" ]; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
for t in $cutoffs; do
    "$bin" calibrate "$scenario" --until "$t" -n "$runs" --iterations "$iters" -q -o "$work/cal-$t"
    "$bin" run "$work/cal-$t/calibrated.resolved.yaml" -n "$runs" -q -o "$work/run-$t"
done
out=${table:-$work/table.md}
python3 - "$work" "$root/data/customs" "$runs" "$iters" "$cutoffs" > "$out" <<'PY'
import csv, statistics, sys
work, customs, runs, iters, cutoffs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5].split()
ALPHA, H = 0.1, 6
series = {"china_magnet_exports_total": "total", "china_magnet_exports_to_us": "US-bound"}

def mon(d):
    y, m = d.split("-")
    return int(y) * 12 + int(m) - 1

record = {}
for label in series:
    with open(f"{customs}/{label}.csv") as f:
        record[label] = {mon(r["date"]): float(r["value"]) for r in csv.DictReader(f)}

def interval_score(lo, hi, y):
    return (hi - lo) + (2 / ALPHA) * max(lo - y, 0) + (2 / ALPHA) * max(y - hi, 0)

def quantile(xs, q):
    xs = sorted(xs)
    i = (len(xs) - 1) * q
    lo = int(i)
    return xs[lo] + (xs[min(lo + 1, len(xs) - 1)] - xs[lo]) * (i - lo)

def naive(label, method, origin, target):
    """Point forecast of `target` made at `origin` by `method`, or None."""
    rec = record[label]
    if method == "last":  # the latest value known at the origin
        known = [t for t in rec if t <= origin]
        return rec[max(known)] if known else None
    return rec.get(target - 12) if target - 12 <= origin else None

def naive_band(label, method, origin, h, f):
    rec = record[label]
    ratios = [rec[t] / naive(label, method, t - h, t) for t in rec
              if t <= origin and naive(label, method, t - h, t)]
    if len(ratios) < 2:
        return f, f
    return f * quantile(ratios, 0.05), f * quantile(ratios, 0.95)

rows = {}  # (series, h, method) -> list of (covered, IS, abs error)
for cut in cutoffs:
    T = mon(cut)
    with open(f"{work}/run-{cut}/fit.csv") as f:
        for r in csv.DictReader(f):
            label, t = r["label"], mon(r["date"])
            h = t - T
            if label not in series or not 1 <= h <= H:
                continue
            y = float(r["observed"])
            lo, med, hi = float(r["p05"]), float(r["p50"]), float(r["p95"])
            rows.setdefault((label, h, "model"), []).append(
                (lo <= y <= hi, interval_score(lo, hi, y), abs(med - y)))
            for m in ("last", "lastyear"):
                fc = naive(label, m, T, t)
                if fc is None:
                    continue
                nlo, nhi = naive_band(label, m, T, h, fc)
                rows.setdefault((label, h, m), []).append(
                    (nlo <= y <= nhi, interval_score(nlo, nhi, y), abs(fc - y)))

def cell(label, h, m):
    v = rows.get((label, h, m))
    if not v:
        return ["-", "-", "-"]
    cov = 100 * sum(c for c, _, _ in v) / len(v)
    return [f"{cov:.0f}%", f"{statistics.mean(i for _, i, _ in v):,.0f}",
            f"{statistics.median(e for _, _, e in v):,.0f}"]

print(f"Cut-offs {cutoffs[0]} to {cutoffs[-1]} ({len(cutoffs)}), {runs} runs per evaluation and per "
      f"forecast, at most {iters} simplex iterations; scored against data/customs through "
      f"{max(max(r) for r in record.values()) // 12}-{max(max(r) for r in record.values()) % 12 + 1:02d}. "
      "Coverage: share of points inside p05-p95; IS: mean interval score (t); MedAE: median "
      "absolute error of the median or point forecast (t).")
print()
print("| series | h | points | model coverage | model IS | model MedAE | last value coverage | "
      "last value IS | last value MedAE | last year coverage | last year IS | last year MedAE |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for label, name in series.items():
    for h in range(1, H + 1):
        n = len(rows.get((label, h, "model"), []))
        print("| " + " | ".join([name, str(h), str(n)] + cell(label, h, "model") +
                                cell(label, h, "last") + cell(label, h, "lastyear")) + " |")
PY
if [ "$update" = 1 ]; then
    doc=$root/docs/calibration.md
    awk -v tf="$out" '/<!-- walk-forward:begin -->/ { print; while ((getline l < tf) > 0) print l; skip = 1; next }
                      /<!-- walk-forward:end -->/ { skip = 0 } !skip' "$doc" > "$doc.tmp" && mv "$doc.tmp" "$doc"
fi
[ -n "$table" ] || cat "$out"

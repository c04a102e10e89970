#!/usr/bin/python3
"""agree.py: do reesim's outputs and reesim_np.py's agree within Monte Carlo noise?

Usage: agree.py REESIM_DIR NUMPY_DIR [--z 4.5] [--show 12]

Runs nothing: it reads two output folders written at the same scenario and run count (reesim:
`reesim run SCEN -n N -j 1 -o REESIM_DIR`; numpy: `reesim_np.py SCEN -n N -o NUMPY_DIR --bands
--runs-csv`) and checks every cell both write:

mean      every timeseries.csv and summary.csv cell: a z-test on the two means,
          |m_a - m_b| <= Z sqrt(sd_a^2/n_a + sd_b^2/n_b) + ATOL, with ATOL = 1e-7 max(1, |m_a|,
          |m_b|), which lets cells that are constant (sd 0) in both agree to rounding and no more.
series quantiles (p05..p95 of timeseries.csv), when NUMPY_DIR has bands.csv: reesim's quantile
          must lie between the numpy runs' order statistics at ranks n (q -/+ h) with
          h = Z sqrt(2 q (1 - q) / n) + 0.01 (two independent samples' quantiles differ in rank
          by sd sqrt(2 q (1-q) / n); reesim's sketch adds up to ~0.5% of rank at k = 512,
          docs/statistics.md, and 0.01 allows twice that). Being a rank test it needs no density
          and handles point masses and gaps (p95 of an outage flag). Without bands.csv the
          quantiles are not checked (said so).
indicator quantiles (p05..p95, min/max not checked), when REESIM_DIR has runs.csv: numpy's
          exact quantile v must have a rank interval [#(x < v), #(x <= v)] / n among reesim's
          per-run values within Z sqrt(2 q (1 - q) / n) + 1/n of q. And when NUMPY_DIR has
          runs.csv, reesim's (sketched) quantile against numpy's runs, with the 0.01 sketch
          allowance added.
ks        each indicator's per-run values (both runs.csv present): two-sample Kolmogorov-Smirnov,
          D <= sqrt(-ln(a/2) / 2) sqrt((n + m) / (n m)) at a = 6.8e-6 (the two-sided tail of
          4.5 sd), conservative for discrete values.

Prints the share of checks and of cells that agree, per kind, and the worst cells (the largest
ratio of the discrepancy to what is allowed). Exit 0 when every check agrees, 1 otherwise.
"""
import argparse
import csv
import json
import math
import os
import sys

import numpy as np

QS = ["p05", "p25", "p50", "p75", "p95"]
QV = [0.05, 0.25, 0.50, 0.75, 0.95]
SKETCH_RANK = 0.01


def read_csv(path, key):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {key(r): r for r in rows}


def num(s):
    return float(s) if s not in ("", None) else math.nan


def runs_of(d):
    with open(os.path.join(d, "meta.json")) as f:
        return int(json.load(f)["runs"])


def read_runs(d):
    p = os.path.join(d, "runs.csv")
    if not os.path.exists(p):
        return None
    out = {}
    with open(p, newline="") as f:
        for r in csv.DictReader(f):
            out.setdefault((r["entity"], r["indicator"]), []).append(float(r["value"]))
    return {k: np.sort(np.array(v)) for k, v in out.items()}


def rank_distance(sorted_x, v, q):
    """Distance from q to the rank interval [#(x < v), #(x <= v)] / n of v."""
    n = len(sorted_x)
    lo = np.searchsorted(sorted_x, v, "left") / n
    hi = np.searchsorted(sorted_x, v, "right") / n
    return 0.0 if lo <= q <= hi else min(abs(q - lo), abs(q - hi))


class Checks:
    def __init__(self):
        self.rows = []  # (kind, cell, ratio, detail)

    def add(self, kind, cell, ratio, detail):
        self.rows.append((kind, cell, ratio, detail))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("reesim")
    ap.add_argument("numpy")
    ap.add_argument("--z", type=float, default=4.5)
    ap.add_argument("--show", type=int, default=3, help="worst cells shown per kind")
    a = ap.parse_args()
    Z = a.z
    na, nb = runs_of(a.reesim), runs_of(a.numpy)
    C = Checks()
    problems = []

    def mean_check(kind, cell, ra, rb, n_a, n_b):
        ma, mb = num(ra["mean"]), num(rb["mean"])
        sa, sb = num(ra["sd"]), num(rb["sd"])
        se = math.sqrt(sa * sa / n_a + sb * sb / n_b)
        atol = 1e-7 * max(1.0, abs(ma), abs(mb))
        allow = Z * se + atol
        C.add(kind, cell, abs(ma - mb) / allow, "reesim %.6g numpy %.6g (sd %.3g, %.3g)"
              % (ma, mb, sa, sb))

    # series
    ka = lambda r: (r["entity"], r["metric"], int(r["step"]))
    ta = read_csv(os.path.join(a.reesim, "timeseries.csv"), ka)
    tb = read_csv(os.path.join(a.numpy, "timeseries.csv"), ka)
    for k in sorted(set(ta) ^ set(tb)):
        problems.append("series cell %s/%s step %d in only one folder" % k)
    bands = None
    bp = os.path.join(a.numpy, "bands.csv")
    if os.path.exists(bp):
        bands = {}
        with open(bp, newline="") as f:
            for r in csv.DictReader(f):
                bands[(r["entity"], r["metric"], int(r["step"]), r["q"])] = (float(r["lo"]),
                                                                            float(r["hi"]))
    else:
        problems.append("no bands.csv in %s: series quantiles not checked" % a.numpy)
    for k in ta:
        if k not in tb:
            continue
        cell = "%s/%s@%d" % k
        mean_check("series mean", cell, ta[k], tb[k], na, nb)
        if bands is None or ta[k]["p05"] == "":
            continue
        for q in QS:
            v = num(ta[k][q])
            lo, hi = bands[k + (q,)]
            atol = 1e-7 * max(1.0, abs(lo), abs(hi))
            # 1 at the band's edges (widened by atol), above 1 outside the band
            ratio = abs(v - (lo + hi) / 2) / ((hi - lo) / 2 + atol)
            C.add("series quantile", cell + " " + q, ratio,
                  "reesim %.6g, numpy band [%.6g, %.6g], numpy %s %.6g"
                  % (v, lo, hi, q, num(tb[k][q])))

    # indicators
    kb = lambda r: (r["entity"], r["indicator"])
    sa = read_csv(os.path.join(a.reesim, "summary.csv"), kb)
    sb = read_csv(os.path.join(a.numpy, "summary.csv"), kb)
    for k in sorted(set(sa) ^ set(sb)):
        problems.append("indicator %s/%s in only one folder" % k)
    runs_a, runs_b = read_runs(a.reesim), read_runs(a.numpy)
    if runs_a is None:
        problems.append("no runs.csv in %s: numpy's indicator quantiles not checked" % a.reesim)
    if runs_b is None:
        problems.append("no runs.csv in %s: reesim's indicator quantiles not checked" % a.numpy)
    for k in sa:
        if k not in sb:
            continue
        cell = "%s/%s" % k
        mean_check("indicator mean", cell, sa[k], sb[k], na, nb)
        for q, qv in zip(QS, QV):
            tol = Z * math.sqrt(2 * qv * (1 - qv) / min(na, nb))
            if runs_a is not None:
                d = rank_distance(runs_a[k], num(sb[k][q]), qv)
                C.add("indicator quantile", cell + " " + q + " (numpy in reesim runs)",
                      d / (tol + 1.0 / na), "numpy %.6g, rank distance %.4g" % (num(sb[k][q]), d))
            if runs_b is not None:
                d = rank_distance(runs_b[k], num(sa[k][q]), qv)
                C.add("indicator quantile", cell + " " + q + " (reesim in numpy runs)",
                      d / (tol + 1.0 / nb + SKETCH_RANK),
                      "reesim %.6g, rank distance %.4g" % (num(sa[k][q]), d))
        if runs_a is not None and runs_b is not None:
            x, y = runs_a[k], runs_b[k]
            allv = np.concatenate([x, y])
            D = np.max(np.abs(np.searchsorted(x, allv, "right") / len(x)
                              - np.searchsorted(y, allv, "right") / len(y)))
            alpha = 6.8e-6
            crit = math.sqrt(-math.log(alpha / 2) / 2) * math.sqrt((len(x) + len(y))
                                                                   / (len(x) * len(y)))
            C.add("indicator ks", cell, D / crit, "D %.4g, critical %.4g" % (D, crit))

    print("reesim: %s (%d runs); numpy: %s (%d runs); z = %g" % (a.reesim, na, a.numpy, nb, Z))
    for p in problems:
        print("note: " + p)
    kinds = []
    for r in C.rows:
        if r[0] not in kinds:
            kinds.append(r[0])
    ok_all = True
    for kd in kinds:
        rs = [r for r in C.rows if r[0] == kd]
        good = sum(r[2] <= 1 for r in rs)
        ok_all &= good == len(rs)
        print("%-20s %6d / %6d agree (%.2f%%)" % (kd, good, len(rs), 100.0 * good / len(rs)))
    cells = {}
    for r in C.rows:
        c = r[1].split(" ")[0]
        cells[c] = cells.get(c, True) and r[2] <= 1
    good = sum(cells.values())
    print("%-20s %6d / %6d agree (%.2f%%)" % ("cells (all checks)", good, len(cells),
                                             100.0 * good / len(cells)))
    print("worst per kind (ratio of the discrepancy to its allowance; > 1 disagrees):")
    for kd in kinds:
        rs = sorted((r for r in C.rows if r[0] == kd), key=lambda r: -r[2])
        for _, cell, ratio, det in rs[:a.show]:
            print("  %8.3g  %-18s %s: %s" % (ratio, kd, cell, det))
    bad_keys = any(p.startswith(("series cell", "indicator ")) for p in problems)
    print("AGREE" if ok_all and not bad_keys else "DISAGREE")
    return 0 if ok_all and not bad_keys else 1


if __name__ == "__main__":
    sys.exit(main())

#!/bin/sh
# Every CSV reads unchanged with pandas (Debian's python3-pandas): documented columns, numeric
# types, ISO dates, no missing values where none are expected.
bin=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
"$bin" run "$src/tests/golden/golden.yaml" -n 200 -q -o "$work/out" || exit 1
"$bin" run "$src/tests/golden/golden.yaml" -n 200 -q -o "$work/gz" --runs-csv gz || exit 1
/usr/bin/python3 - "$work/out" "$work/gz" <<'PY'
import sys
import pandas as pd
out = sys.argv[1]
gz = sys.argv[2]
ok = fail = 0
def check(name, cond):
    global ok, fail
    print(("ok   " if cond else "FAIL ") + name)
    ok, fail = (ok + 1, fail) if cond else (ok, fail + 1)
stats = ["mean", "sd", "p05", "p25", "p50", "p75", "p95"]
ts = pd.read_csv(f"{out}/timeseries.csv")
check("timeseries columns", list(ts.columns) == ["scenario", "step", "date", "entity", "metric", "unit"] + stats)
check("timeseries step is integer", ts["step"].dtype.kind == "i")
check("timeseries statistics are float", all(ts[c].dtype.kind == "f" for c in stats))
check("timeseries has no missing statistic", not ts[stats].isna().any().any())
check("timeseries dates parse as YYYY-MM", pd.to_datetime(ts["date"], format="%Y-%m").notna().all())
check("entities with '->' survive", (ts["entity"] == "cn_magnets->us_importers").any())
check("quantiles ordered", ((ts.p05 <= ts.p25 + 1e-9) & (ts.p25 <= ts.p50 + 1e-9) & (ts.p50 <= ts.p75 + 1e-9) & (ts.p75 <= ts.p95 + 1e-9)).all())
sm = pd.read_csv(f"{out}/summary.csv")
check("summary columns", list(sm.columns) == ["scenario", "entity", "indicator", "unit", "runs"] + stats + ["min", "max"])
check("summary runs column is 200", (sm["runs"] == 200).all())
rn = pd.read_csv(f"{out}/runs.csv")
check("runs columns", list(rn.columns) == ["scenario", "run", "entity", "indicator", "unit", "value"])
check("runs has one row per run and indicator", len(rn) == 200 * len(sm))
check("runs value is float", rn["value"].dtype.kind == "f")
rz = pd.read_csv(f"{gz}/runs.csv.gz")
check("runs.csv.gz reads directly, the same table as runs.csv", rz.equals(rn))
fit = pd.read_csv(f"{out}/fit.csv")
check("fit columns", list(fit.columns) == ["scenario", "label", "date", "entity", "metric", "observed", "mean", "p05", "p50", "p95", "within_p05_p95", "crps", "interval_score"])
check("fit within is 0/1", set(fit["within_p05_p95"].unique()) <= {0, 1})
check("fit scores are numbers, CRPS >= 0, IS >= p95 - p05", bool((fit["crps"] >= 0).all() and (fit["interval_score"] >= fit["p95"] - fit["p05"] - 1e-9).all()))
fs = pd.read_csv(f"{out}/fit_summary.csv")
check("fit_summary columns", list(fs.columns) == ["scenario", "label", "points", "inside_p05_p95", "mape_p50", "crps", "interval_score"])
check("fit_summary all row is the mean over points", abs(fs[fs.label == "all"].crps.iloc[0] - fit.crps.mean()) < 1e-6 * (1 + fit.crps.mean()))
print(f"{ok} passed, {fail} failed")
sys.exit(1 if fail else 0)
PY

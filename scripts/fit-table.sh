#!/bin/sh
# Print the "Final fit" section of docs/calibration.md (its summary sentence and table, as
# markdown) and, as `figure NAME: VALUE` lines, the figures its text and caveats quote, from one
# run of the historical scenario:
#
#   scripts/fit-table.sh [BUILD_DIR] > fit.md
#
# Runs `BUILD_DIR/reesim run scenarios/historical-2025.yaml -n 2000 -j 2 --check-balance -q`
# at the scenario's seed (BUILD_DIR defaults to build/ in the repository) into a temporary
# folder, then reads its fit.csv, fit_summary.csv and timeseries.csv. Rows: every observed month
# (customs data through June 2025: the calibration window), its p05, p50 and p95 over the runs,
# whether the observation is inside p05-p95, and the absolute percentage error of the median.
# The out-of-sample lines only quote the model's medians for months after the window; nothing
# after June 2025 is read from data/customs/ (there is none) or fitted.
# RUNS (environment, default 2000) changes the number of runs, for a quick check only.

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
reesim=$build/reesim
runs=${RUNS:-2000}
if [ ! -x "$reesim" ]; then
    echo "fit-table: no reesim in $build (build it first, or give BUILD_DIR)" >&2
    exit 2
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fit-table.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
if ! "$reesim" run "$root/scenarios/historical-2025.yaml" -n "$runs" -j 2 --check-balance -q \
    -o "$tmp/out" >&2; then
    echo "fit-table: reesim run failed" >&2
    exit 1
fi

seed=$(sed -n 's/.*"seed":[^0-9]*\([0-9][0-9]*\).*/\1/p' "$tmp/out/meta.json")
if [ -z "$seed" ]; then
    echo "fit-table: no seed in $tmp/out/meta.json" >&2
    exit 1
fi
awk -F, -v runs="$runs" -v seed="$seed" '
function comma(x,   s, neg) { # a whole number with thousands grouped
    x = sprintf("%.0f", x)
    neg = x ~ /^-/
    if (neg) x = substr(x, 2)
    s = ""
    while (length(x) > 3) { s = "," substr(x, length(x) - 2) s; x = substr(x, 1, length(x) - 3) }
    return (neg ? "-" : "") x s
}
function col(name) { return $(c[FILENAME, name]) }
FNR == 1 { for (i = 1; i <= NF; i++) c[FILENAME, $i] = i; next }
FILENAME ~ /fit_summary.csv$/ {
    if (col("label") == "all") mape = col("mape_p50")
    next
}
FILENAME ~ /fit.csv$/ {
    lab = col("label") ~ /to_us$/ ? "to US" : "total"
    obs = col("observed") + 0; p50 = col("p50") + 0 # numbers, not text, in every awk
    n++
    inside += col("within_p05_p95") == 1
    row[n] = sprintf("| %s | %s | %s | %s | %s | %s | %s | %.0f%% |", lab, col("date"), comma(obs),
        comma(col("p05")), comma(p50), comma(col("p95")), col("within_p05_p95") == 1 ? "yes" : "no",
        100 * (p50 > obs ? p50 - obs : obs - p50) / obs)
    med[lab, col("date")] = p50; ob[lab, col("date")] = obs
    next
}
FILENAME ~ /timeseries.csv$/ {
    k = col("entity") "/" col("metric")
    if (k == "cn_export/shipped" || k == "china_magnet_exports_to_us/shipped")
        ts[k, col("date")] = col("p50") + 0
    next
}
END {
    usmay = med["to US", "2025-05"]; usmay24 = ob["to US", "2024-05"]
    above = med["total", "2025-06"] > med["total", "2025-05"] && med["to US", "2025-06"] > usmay
    printf "`reesim run scenarios/historical-2025.yaml -n %d --check-balance` (seed %s): %d of %d\n", runs, seed, inside, n
    printf "points inside the p05-p95 band; MAPE of the median %.1f%%; US-bound May 2025 median %s t (%.0f%% of\n", mape, comma(usmay), 100 * usmay / usmay24
    printf "May 2024'"'"'s %s t: %.0f%%); June medians %s May (total %s t vs %s t; US %s t vs %s t).\n\n", comma(usmay24), 100 * (usmay / usmay24 - 1), above ? "above" : "not both above", comma(med["total", "2025-06"]), comma(med["total", "2025-05"]), comma(med["to US", "2025-06"]), comma(usmay)
    print "| series | month | observed t | p05 | p50 | p95 | inside | APE of p50 |"
    print "|---|---|---|---|---|---|---|---|"
    for (i = 1; i <= n; i++) print row[i]
    # The figures the text and the caveats quote, one per line (tests/cli/doc_tables.sh finds
    # each in docs/calibration.md).
    print ""
    printf "figure US-bound July 2025 median (out of sample): %s t\n", comma(ts["china_magnet_exports_to_us/shipped", "2025-07"])
    printf "figure January 2025 total median: %s t\n", comma(med["total", "2025-01"])
    printf "figure January 2025 under-prediction: %.0f%%\n", 100 * (1 - med["total", "2025-01"] / ob["total", "2025-01"])
    printf "figure May 2025 total under-prediction: %.0f%%\n", 100 * (1 - med["total", "2025-05"] / ob["total", "2025-05"])
    printf "figure total exports median, September 2025: %s t\n", comma(ts["cn_export/shipped", "2025-09"])
    printf "figure total exports median, October 2025: %s t\n", comma(ts["cn_export/shipped", "2025-10"])
    printf "figure total exports median, November 2025: %s t\n", comma(ts["cn_export/shipped", "2025-11"])
}' "$tmp/out/fit_summary.csv" "$tmp/out/fit.csv" "$tmp/out/timeseries.csv"

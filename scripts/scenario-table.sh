#!/bin/sh
# Print the results table of docs/scenarios.md (section "Results") as markdown.
#
#   scripts/scenario-table.sh [BUILD_DIR] > table.md
#
# Runs every scenarios/*.yaml with `BUILD_DIR/reesim run FILE -n 1000 -j 2 --check-balance -q`
# at the file's own seed (BUILD_DIR defaults to build/ in the repository) into a temporary
# folder, then reads each run's runs.csv and scenario.resolved.yaml. One row per scenario, in the
# order of the docs (scenarios not listed below follow in file-name order). Columns:
#
#   horizon                  horizon.start .. last month
#   vehicles not built       lost_units of the US cars sectors (end_use cars), summed per run:
#                            median (p95)
#   P(car output lost)       share of runs with that sum > 0
#   cars months short        months_short of the cars sector, median
#   defense months short     months_short of the US defense sectors (end_use defense: the users
#                            buying directly, `us_defense`, and the SmCo users `us_defense_smco`), median
#   defense shortfall t      shortfall of the defense sectors, summed per run, median
#   US sectors shortfall t   shortfall summed over every sector node of region US, per run:
#                            median (p95)
#   stockpile exhausted      share of runs in which a US stockpile node has exhausted = 1;
#                            "-" when the scenario has none
#
# Quantiles are Hyndman & Fan type 7 over the runs (R's default, as summary.csv gives them).
# With several cars or defense sectors the months short of a run is the largest of theirs (a
# sum of months has no meaning); the shipped scenarios have two cars sectors (us_cars, through
# importers, and us_cars_direct, buying directly) and one defense sector.
# RUNS (environment, default 1000) changes the number of runs, for a quick check only.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
reesim=$build/reesim
runs=${RUNS:-1000}
if [ ! -x "$reesim" ]; then
    echo "scenario-table: no reesim in $build (build it first, or give BUILD_DIR)" >&2
    exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/scenario-table.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

order="baseline-2024 historical-2025 licensing-april-2025 geneva-london-2025
october-controls-2025 busan-suspension-2025 embargo-12-months stockpile-release-defense
non-china-ramp-up non-china-ramp-up-slipping policy-uncertainty-2026-2028"

names=""
for n in $order; do
    [ -f "$root/scenarios/$n.yaml" ] && names="$names $n"
done
# Not in the table: replay-2010-quota (its own one-material network of 2009-2013, no US cars or
# defense sectors; checked in its own section of docs/scenarios.md by tests/cli/replay_2010.sh).
skip="replay-2010-quota"
for f in "$root"/scenarios/*.yaml; do
    [ -f "$f" ] || continue
    n=$(basename "$f" .yaml)
    case " $names $skip " in
    *" $n "*) ;;
    *) names="$names $n" ;;
    esac
done
if [ -z "$names" ]; then
    echo "scenario-table: no scenario in $root/scenarios" >&2
    exit 1
fi

echo '| scenario | horizon | vehicles not built, median (p95) | P(car output lost) | cars months short, median | defense months short, median | defense shortfall t, median | US sectors shortfall t, median (p95) | stockpile exhausted |'
echo '|---|---|---|---|---|---|---|---|---|'

for n in $names; do
    out=$tmp/$n
    echo "scenario-table: $n" >&2
    if ! "$reesim" run "$root/scenarios/$n.yaml" -n "$runs" -j 2 --check-balance -q -o "$out" >&2; then
        echo "scenario-table: reesim run failed for $n" >&2
        exit 1
    fi
    awk -v name="$n" '
    # Pass 1: scenario.resolved.yaml, the nodes (id, model, region, end_use) and the horizon.
    FNR == 1 { file++ }
    file == 1 && /^horizon:/ {
        s = $0; sub(/.*start: */, "", s); sub(/[,}].*/, "", s); hstart = s
        s = $0; sub(/.*steps: */, "", s); sub(/[,}].*/, "", s); hsteps = s + 0
    }
    file == 1 && /^[a-z_]+:/ { innodes = ($0 ~ /^nodes:/) }
    file == 1 && innodes && /^  - id: / { id = $3; ids[++nn] = id }
    file == 1 && innodes && /^    (model|region|end_use): / {
        v = $2; gsub(/"/, "", v); attr[id, substr($1, 1, length($1) - 1)] = v
    }
    file == 1 { next }
    # Pass 2: runs.csv (scenario,run,entity,indicator,unit,value); fields read from the end so
    # that a quoted scenario name with a comma cannot shift them.
    FNR == 1 {
        FS = ","
        for (i = 1; i <= nn; i++) {
            e = ids[i]
            if (attr[e, "region"] != "US") continue
            if (attr[e, "model"] == "sector") {
                us[e] = 1
                if (attr[e, "end_use"] == "cars") { cars[e] = 1; ncars++ }
                if (attr[e, "end_use"] == "defense") { def[e] = 1; ndef++ }
            }
            if (attr[e, "model"] == "stockpile") { pile[e] = 1; npile++ }
        }
        if (ncars > 1 || ndef > 1)
            print "scenario-table: " name ": several cars or defense sectors, months short is their largest" > "/dev/stderr"
        next
    }
    {
        r = $(NF - 4); e = $(NF - 3); ind = $(NF - 2); v = $NF + 0
        if (!(r in seen)) { seen[r] = 1; nr++; run[nr] = r }
        if ((e in cars) && ind == "lost_units") lost[r] += v
        if ((e in cars) && ind == "months_short" && v > cms[r]) cms[r] = v
        if ((e in def) && ind == "months_short" && v > dms[r]) dms[r] = v
        if ((e in def) && ind == "shortfall") dsf[r] += v
        if ((e in us) && ind == "shortfall") usf[r] += v
        if ((e in pile) && ind == "exhausted" && v >= 1) ex[r] = 1
    }
    # Quantile type 7 of the nr per-run values in the array a (indexed by run id).
    function quant(a, q,    i, m, x, j, k, t, idx, lo, h) {
        for (i = 1; i <= nr; i++) x[i] = a[run[i]] + 0
        # Shell sort (gap sequence n/2, n/4, ...).
        for (m = int(nr / 2); m > 0; m = int(m / 2))
            for (i = m + 1; i <= nr; i++) {
                t = x[i]
                for (j = i; j > m && x[j - m] > t; j -= m) x[j] = x[j - m]
                x[j] = t
            }
        if (q <= 0) return x[1]
        if (q >= 1) return x[nr]
        idx = 1 + (nr - 1) * q; lo = int(idx); h = idx - lo
        if (h == 0 || x[lo + 1] == x[lo]) return x[lo]
        return (1 - h) * x[lo] + h * x[lo + 1]
    }
    function share(a,    i, k) {
        k = 0
        for (i = 1; i <= nr; i++) if (a[run[i]] > 0) k++
        return sprintf("%.0f%%", 100 * k / nr)
    }
    # A whole number with thousands separators.
    function num(x,    s, o) {
        s = sprintf("%.0f", x); if (s == "-0") s = "0"
        o = ""
        while (length(s) > 3) { o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) }
        return s o
    }
    # Months: whole, or one decimal for a median that falls between two runs.
    function months(x) { return x == int(x) ? num(x) : sprintf("%.1f", x) }
    END {
        if (nr == 0) { print "scenario-table: " name ": empty runs.csv" > "/dev/stderr"; exit 1 }
        if (ncars == 0 || ndef == 0) {
            print "scenario-table: " name ": no US cars or defense sector" > "/dev/stderr"; exit 1
        }
        y = substr(hstart, 1, 4) + 0; mo = substr(hstart, 6, 2) + 0 + hsteps - 1
        y += int((mo - 1) / 12); mo = (mo - 1) % 12 + 1
        horizon = sprintf("%s..%04d-%02d", hstart, y, mo)
        printf "| %s | %s | %s (%s) | %s | %s | %s | %s | %s (%s) | %s |\n", name, horizon,
            num(quant(lost, 0.5)), num(quant(lost, 0.95)), share(lost),
            months(quant(cms, 0.5)), months(quant(dms, 0.5)), num(quant(dsf, 0.5)),
            num(quant(usf, 0.5)), num(quant(usf, 0.95)), npile ? share(ex) : "-"
    }' "$out/scenario.resolved.yaml" "$out/runs.csv"
done

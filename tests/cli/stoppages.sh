#!/bin/sh
# Who stops, and when (issue 10): US car stoppages in the shipped scenarios, from the car
# sectors' firm populations (models/sector.c, firm_classes; docs/scenarios.md).
#  - historical-2025: P(any US car stoppage by the end of June 2025) > 0.5, and the median of
#    2025's vehicles not built between 1,000 and 100,000;
#  - embargo-12-months: the median first car stoppage within 2 months of the embargo (2025-04).
# A car sector is a node with `end_use: cars`; a run's figure sums (losses) or takes the earliest
# (first stop) over them. Per-period figures come from the same scenario with its horizon cut at
# the period's end: runs share their random streams, so run k is the same path in each cut and
# 2025's losses of run k are its losses to 2025-12 less its losses to 2024-12.
# Usage: stoppages.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
n=200

# Steps from the scenario's horizon start to the end of month YYYY-MM, inclusive.
steps_to() {
    start=$(sed -n 's/^horizon: {start: \([0-9-]*\),.*/\1/p' "$1")
    y=${start%-*} m=${start#*-} ey=${2%-*} em=${2#*-}
    echo $(((ey - y) * 12 + ${em#0} - ${m#0} + 1))
}
# The scenario cut at the end of YYYY-MM, written into $work without its observations (their
# files are relative to the original; the cut needs none), run into $work/NAME-YYYY-MM.
cut_run() {
    f=$src/scenarios/$1.yaml
    t=$work/$1-$2.yaml
    sed "s/^horizon: {start: \([0-9-]*\), steps: [0-9]*}/horizon: {start: \1, steps: $(steps_to "$f" "$2")}/" \
        "$f" > "$t"
    # No observations in the cuts, nor the calibration section (its cut-off and timeline paths
    # belong to the full horizon; it is the file's last section).
    grep -v 'file: ' "$t" | sed '/^calibrate:/,$d' > "$t.tmp" && mv "$t.tmp" "$t"
    "$bin" run "$t" -n $n -q --check-balance -o "$work/$1-$2" 2> "$work/$1-$2.err"
}
# Car sector ids of a scenario, one per line.
cars() { awk '/^  - id: / { id = $3 } /^    end_use: cars/ { print id }' "$src/scenarios/$1.yaml"; }
# Per run: the sum (sum) or minimum (min) of indicator IND over the car sectors, "run value".
per_run() {
    awk -F, -v ind="$2" -v how="$3" -v ids="$(cars "$4" | tr '\n' ' ')" '
        BEGIN { k = split(ids, a, " "); for (i = 1; i <= k; i++) car[a[i]] = 1 }
        NR > 1 && ($3 in car) && $4 == ind {
            if (how == "sum") v[$2] += $6
            else if (!($2 in v) || $6 < v[$2]) v[$2] = $6
        }
        END { for (r in v) print r, v[r] }' "$1"
}
median() { sort -g | awk '{ a[NR] = $1 } END { print NR ? (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) : "" }'; }

check "at least one car sector in historical-2025" test -n "$(cars historical-2025)"
for end in 2024-12 2025-06 2025-12; do
    check "historical-2025 cut at $end runs" cut_run historical-2025 $end
done
h=$work/historical-2025
# Any stoppage by June 2025: the earliest first_stop_month lies inside the cut horizon.
T=$(steps_to "$src/scenarios/historical-2025.yaml" 2025-06)
p=$(per_run "$h-2025-06/runs.csv" first_stop_month min historical-2025 |
    awk -v T="$T" -v n=$n '$2 < T { k++ } END { printf "%.3f", k / n }')
echo "  P(US car stoppage by 2025-06) = $p"
check "historical-2025: P(US car stoppage by end of June 2025) > 0.5" \
    awk -v p="$p" 'BEGIN { exit !(p > 0.5) }'
per_run "$h-2024-12/runs.csv" lost_units sum historical-2025 | sort > "$work/lost2024"
per_run "$h-2025-12/runs.csv" lost_units sum historical-2025 | sort > "$work/lost2025"
check "a loss figure for every run" test "$(wc -l < "$work/lost2025")" -eq $n
med=$(join "$work/lost2024" "$work/lost2025" | awk '{ print $3 - $2 }' | median)
echo "  median vehicles not built in 2025 = $med"
check "historical-2025: median 2025 vehicles not built in 1,000..100,000" \
    awk -v m="$med" 'BEGIN { exit !(m >= 1000 && m <= 100000) }'

check "embargo-12-months runs" \
    "$bin" run "$src/scenarios/embargo-12-months.yaml" -n $n -q --check-balance -o "$work/embargo"
e=$(($(steps_to "$src/scenarios/embargo-12-months.yaml" 2025-04) - 1)) # step of 2025-04
first=$(per_run "$work/embargo/runs.csv" first_stop_month min embargo-12-months | awk '{ print $2 }' |
    median)
echo "  embargo from step $e, median first car stoppage at step $first"
check "embargo-12-months: median first car stoppage within 2 months of the embargo" \
    awk -v f="$first" -v e="$e" 'BEGIN { exit !(f != "" && f >= e && f <= e + 2) }'
finish

#!/bin/sh
# Stoppages by region: a view of the sectors' firm stoppages (models/sector.c, firm_classes)
# grouped by the sectors' `region`, from the output folder of `reesim run` (issue 10, region
# realism; docs/indicators.md has the per-sector indicators it reads).
#
#   scripts/region-stoppages.sh OUT_DIR [FROM [TO]] > table.md
#
# OUT_DIR holds runs.csv, timeseries.csv and scenario.resolved.yaml. FROM and TO (YYYY-MM,
# default the whole horizon) bound the monthly table. Prints two markdown tables:
#
#  1. per region (every sector node of that region, pooled sectors counting as one class):
#     sectors       the region's sector nodes
#     P(any stop)   share of runs in which some firm class of the region stopped at least once
#                   (first_stop_month below the horizon in one of its sectors)
#     first stop    median over runs of the region's earliest first_stop_month, as a date ("-"
#                   when the median run has none)
#     max stopped   median over runs of the largest max_firms_stopped of its sectors [share]
#  2. per month from FROM to TO: each region's mean share of firms stopped, the need-weighted
#     average over its sectors of the mean (over runs) firms_stopped, weights the mean need.
#
# Quantiles: the median is the middle value of the sorted runs (mean of the two middle ones for
# an even count). Exit 66 (EX_NOINPUT) when a file is missing, 64 on bad usage.
set -eu

if [ $# -lt 1 ] || [ $# -gt 3 ]; then
    echo "usage: $0 OUT_DIR [FROM [TO]]" >&2
    exit 64
fi
dir=$1 from=${2:-0000-00} to=${3:-9999-99}
for f in runs.csv timeseries.csv scenario.resolved.yaml; do
    if [ ! -r "$dir/$f" ]; then
        echo "$0: $dir/$f: cannot read" >&2
        exit 66
    fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# Sector nodes and their regions: "id region", from the resolved scenario.
awk '/^nodes:/ { on = 1; next } /^[a-z]/ { on = 0 }
     on && /^  - id: / { id = $3; model = ""; region = "" }
     on && /^    model: / { model = $2 } on && /^    region: / { region = $2 }
     on && /^    params:/ && model == "sector" { gsub(/"/, "", region); print id, region }' \
    "$dir/scenario.resolved.yaml" > "$tmp/sectors"
if [ ! -s "$tmp/sectors" ]; then
    echo "$0: no sector node in $dir/scenario.resolved.yaml" >&2
    exit 65
fi
start=$(sed -n 's/^horizon: {start: \([0-9-]*\),.*/\1/p' "$dir/scenario.resolved.yaml")
steps=$(sed -n 's/^horizon: {start: [0-9-]*, steps: \([0-9]*\)}.*/\1/p' "$dir/scenario.resolved.yaml")

# Per run and region: earliest first stop and largest max share stopped. "region run first max".
awk -F, -v sect="$tmp/sectors" '
    BEGIN { while ((getline l < sect) > 0) { split(l, a, " "); reg[a[1]] = a[2] } }
    NR > 1 && ($3 in reg) && $4 == "first_stop_month" {
        k = reg[$3] SUBSEP $2; if (!(k in f) || $6 < f[k]) f[k] = $6 }
    NR > 1 && ($3 in reg) && $4 == "max_firms_stopped" {
        k = reg[$3] SUBSEP $2; if (!(k in m) || $6 > m[k]) m[k] = $6 }
    END { for (k in f) { split(k, a, SUBSEP); print a[1], a[2], f[k], m[k] } }' \
    "$dir/runs.csv" | sort -k1,1 -k3,3g > "$tmp/per_run"

echo "| region | sectors | P(any stop) | first stop, median | max share of firms stopped, median |"
echo "|---|---|---|---|---|"
for r in $(awk '{ print $2 }' "$tmp/sectors" | sort -u); do
    ids=$(awk -v r="$r" '$2 == r { printf "%s%s", n++ ? ", " : "", $1 }' "$tmp/sectors")
    awk -v r="$r" '$1 == r' "$tmp/per_run" > "$tmp/r"
    awk -v r="$r" -v ids="$ids" -v T="$steps" -v start="$start" -v rf="$tmp/r" '
        function med(x, n) { return n % 2 ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2 }
        BEGIN {
            n = 0
            while ((getline l < rf) > 0) { split(l, a, " "); n++; f[n] = a[3]; m[n] = a[4];
                                             if (a[3] < T) any++ }
            # f is sorted (sort -g above); sort m by insertion.
            for (i = 2; i <= n; i++) { v = m[i]; for (j = i - 1; j >= 1 && m[j] > v; j--)
                                           m[j + 1] = m[j]; m[j + 1] = v }
            fs = n ? med(f, n) : T
            if (fs >= T) d = "-"
            else { y = substr(start, 1, 4) + 0; mo = substr(start, 6, 2) + 0 + int(fs)
                   y += int((mo - 1) / 12); mo = (mo - 1) % 12 + 1; d = sprintf("%04d-%02d", y, mo) }
            printf "| %s | %s | %.0f%% | %s | %.2f |\n", r, ids, n ? 100 * any / n : 0, d,
                   n ? med(m, n) : 0
        }'
done

echo
regions=$(awk '{ print $2 }' "$tmp/sectors" | sort -u | tr '\n' ' ')
printf "| month |"
for r in $regions; do printf " %s |" "$r"; done
echo
printf "|---|"
for r in $regions; do printf -- "---|"; done
echo
awk -F, -v sect="$tmp/sectors" -v regions="$regions" -v from="$from" -v to="$to" '
    BEGIN { while ((getline l < sect) > 0) { split(l, a, " "); reg[a[1]] = a[2] }
            nr = split(regions, R, " ") }
    NR > 1 && ($4 in reg) && $3 >= from && $3 <= to && ($5 == "need" || $5 == "firms_stopped") {
        if (!($3 in seen)) { seen[$3] = 1; dates[++nd] = $3 }
        v[$3, $4, $5] = $7 }
    END {
        for (i = 1; i <= nd; i++) {
            d = dates[i]; printf "| %s |", d
            for (k = 1; k <= nr; k++) {
                w = s = 0
                for (id in reg) if (reg[id] == R[k]) { w += v[d, id, "need"];
                                                       s += v[d, id, "need"] * v[d, id, "firms_stopped"] }
                printf " %.3f |", (w > 0 ? s / w : 0)
            }
            printf "\n"
        }
    }' "$dir/timeseries.csv"

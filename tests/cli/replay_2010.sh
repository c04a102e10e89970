#!/bin/sh
# The 2010-2011 quota crisis replay (issue 11; docs/scenarios.md): replay-2010-quota checked
# against Sprecher et al. 2017 (facts.md) within stated tolerances, on the medians (p50) of
# timeseries.csv and the buyers' time_to_recover in summary.csv:
#  - substitution: its largest 12-month rise 6-14% of demand ("up to ~10% a year");
#  - non-Chinese supply: production up 3-5% of the 4,000 t/month market per year from
#    January 2011 (the first short months: before them buyers take nothing from the fallback) to
#    July 2012 (an input ramp: this checks it is sold);
#  - recovery: time_to_recover 18-30 months ("about two years");
#  - a real shortage: the largest monthly shortfall share above 20%.
# Usage: replay_2010.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
check "replay-2010-quota runs with the balance check" \
    "$bin" run "$src/scenarios/replay-2010-quota.yaml" -n 200 -q --check-balance -o "$work/r"
ts=$work/r/timeseries.csv sum=$work/r/summary.csv
col='NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }'
# p50 of ENTITY METRIC by month, "date value" lines.
series() { awk -F, -v e="$1" -v m="$2" "$col \$c[\"entity\"] == e && \$c[\"metric\"] == m { print \$c[\"date\"], \$c[\"p50\"] }" "$ts"; }
rise=$(series buyers substitution | awk '{ v[NR] = $2 } END { for (i = 13; i <= NR; i++) if (v[i] - v[i - 12] > m) m = v[i] - v[i - 12]; printf "%.4f", m }')
echo "  largest 12-month rise of substitution: $rise of demand"
check "substitution up to ~10% of demand a year (6-14%)" awk -v r="$rise" 'BEGIN { exit !(r >= 0.06 && r <= 0.14) }'
grow=$(series non_cn_reo production | awk '$1 == "2011-01" { a = $2 } $1 == "2012-07" { b = $2 } END { printf "%.4f", (b - a) / 1.5 / 4000 }')
echo "  non-Chinese production growth: $grow of the market a year"
check "non-Chinese supply +3-5% of the market a year" awk -v g="$grow" 'BEGIN { exit !(g >= 0.03 && g <= 0.05) }'
rec=$(awk -F, "$col \$c[\"entity\"] == \"buyers\" && \$c[\"indicator\"] == \"time_to_recover\" { print \$c[\"p50\"] }" "$sum")
echo "  median time to recover: $rec months"
check "recovery in about two years (18-30 months)" awk -v r="$rec" 'BEGIN { exit !(r != "" && r >= 18 && r <= 30) }'
peak=$(series buyers shortfall_share | awk '$2 > m { m = $2 } END { printf "%.3f", m }')
echo "  largest monthly shortfall share: $peak"
check "a real shortage (peak shortfall share > 20%)" awk -v p="$peak" 'BEGIN { exit !(p > 0.2) }'
finish

#!/bin/sh
# Calibration of historical-2025 against Chinese customs (issue 4; docs/calibration.md): every
# observed month (2024 and January-June 2025, total and US-bound magnet exports) inside the
# simulated p05-p95 band, MAPE of the median under 25%, and the shape of 2025: US-bound exports
# in May 2025 at most 20% of May 2024, and a June rebound over May.
# Usage: calibration.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
out="$work/historical"
check "historical-2025 runs with the balance check" \
    "$bin" run "$src/scenarios/historical-2025.yaml" -n 1000 --check-balance -q -o "$out"
fit="$out/fit.csv"
check "fit.csv written" test -s "$fit"
# The fit table, for the log.
awk -F, 'NR > 1 { printf "  %-27s %s obs %8.1f p05 %8.1f p50 %8.1f p95 %8.1f in %s\n",
    $2, $3, $6, $8, $9, $10, $11 }' "$fit"
# Columns by name, so that a new column does not break the test.
cols='NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }'
check "24 observed points (15 total, 9 US)" \
    awk -F, "$cols { n++ } END { exit n != 24 }" "$fit"
check "every observed point inside the p05-p95 band" \
    awk -F, "$cols \$c[\"within_p05_p95\"] != 1 { bad++ } END { exit bad > 0 }" "$fit"
check "MAPE of the median under 25%" \
    awk -F, "$cols { o = \$c[\"observed\"]; d = (\$c[\"p50\"] - o) / o; s += d < 0 ? -d : d; n++ }
             END { printf \"  MAPE %.1f%%\n\", 100 * s / n; exit !(n > 0 && s / n < 0.25) }" "$fit"
# US-bound May 2025 median at most 0.2 x the observed May 2024 (692 t): at least -80% y/y.
check "US-bound May 2025 p50 <= 0.2 x observed May 2024" \
    awk -F, "$cols \$c[\"label\"] ~ /to_us/ && \$c[\"date\"] == \"2024-05\" { obs = \$c[\"observed\"] }
             \$c[\"label\"] ~ /to_us/ && \$c[\"date\"] == \"2025-05\" { sim = \$c[\"p50\"] }
             END { printf \"  May 2025 p50 %.1f t, May 2024 observed %.1f t\n\", sim, obs;
                   exit !(obs > 0 && sim != \"\" && sim <= 0.2 * obs) }" "$fit"
for s in total to_us; do
    check "$s: June 2025 p50 above May 2025 p50" \
        awk -F, "$cols \$c[\"label\"] ~ /$s\$/ && \$c[\"date\"] == \"2025-05\" { may = \$c[\"p50\"] }
                 \$c[\"label\"] ~ /$s\$/ && \$c[\"date\"] == \"2025-06\" { jun = \$c[\"p50\"] }
                 END { exit !(may != \"\" && jun != \"\" && jun > may) }" "$fit"
done
finish

#!/bin/sh
# Region realism (issue 10; docs/scenarios.md): non-US buyers are sectors with stocks and firm
# populations (eu_buyers, jp_buyers, in_buyers), and defense users buy no Chinese magnets
# (DFARS, 10 U.S.C. 4872).
#  - historical-2025: in most runs (P > 0.5) some non-US firms stop in May-June 2025 (as
#    European suppliers' and Suzuki's lines did, facts-detailed s.6), and none stop in 2024;
#  - scripts/region-stoppages.sh shows it by region;
#  - every shipped scenario: no link from a Chinese node to a defense node (end_use: defense) in
#    the resolved scenario, and a defense user of SmCo fed by an allied maker whose samarium
#    passes China's gate.
# A run "stops in May-June" when the firm-months stopped summed over the non-US firm populations
# grow between the scenario cut at 2025-04 and at 2025-06 (same random streams in both cuts, as
# in stoppages.sh).
# Usage: regions.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
n=200
f=$src/scenarios/historical-2025.yaml
steps_to() {
    start=$(sed -n 's/^horizon: {start: \([0-9-]*\),.*/\1/p' "$f")
    y=${start%-*} m=${start#*-} ey=${1%-*} em=${1#*-}
    echo $(((ey - y) * 12 + ${em#0} - ${m#0} + 1))
}
cut_run() {
    t=$work/h-$1.yaml
    sed "s/^horizon: {start: \([0-9-]*\), steps: [0-9]*}/horizon: {start: \1, steps: $(steps_to "$1")}/" \
        "$f" | grep -v 'file: ' | sed '/^calibrate:/,$d' > "$t"
    "$bin" run "$t" -n $n -q --check-balance -o "$work/h-$1" 2> "$work/h-$1.err"
}
# Per run, the firm-months stopped summed over the non-US populations: "run value".
stopped() {
    awk -F, 'NR > 1 && ($3 == "eu_buyers" || $3 == "jp_buyers" || $3 == "in_buyers") &&
             $4 == "firm_months_stopped" { v[$2] += $6 } END { for (r in v) print r, v[r] }' "$1" |
        sort
}
for end in 2024-12 2025-04 2025-06; do
    check "historical-2025 cut at $end runs" cut_run $end
done
stopped "$work/h-2025-04/runs.csv" > "$work/apr"
stopped "$work/h-2025-06/runs.csv" > "$work/jun"
check "a figure for every run" test "$(wc -l < "$work/jun")" -eq $n
p=$(join "$work/apr" "$work/jun" | awk -v n=$n '$3 > $2 + 1e-9 { k++ } END { printf "%.3f", k / n }')
echo "  P(non-US firms stopped in May-June 2025) = $p"
check "historical-2025: non-US stoppages in May-June 2025 in most runs" \
    awk -v p="$p" 'BEGIN { exit !(p > 0.5) }'
q=$(stopped "$work/h-2024-12/runs.csv" | awk -v n=$n '$2 > 0 { k++ } END { printf "%.3f", k / n }')
echo "  P(non-US firms stopped by the end of 2024) = $q"
check "historical-2025: non-US stoppages before the licensing rare (P < 0.1)" \
    awk -v q="$q" 'BEGIN { exit !(q < 0.1) }'

# The regional view (scripts/region-stoppages.sh) of the cut at 2025-06: the EU's first stop in
# the median run in May or June 2025, its mean share of firms stopped below 1% in June 2024 and
# above 5% in June 2025; a missing folder is EX_NOINPUT (66).
view=$src/scripts/region-stoppages.sh
check "region view runs" sh -c "sh '$view' '$work/h-2025-06' 2024-06 2025-06 > '$work/view.md'"
cat "$work/view.md"
check "region view: EU first stop in May-June 2025 in the median run" \
    grep -Eq '^\| EU \| eu_buyers \| [0-9]+% \| 2025-0[56] \|' "$work/view.md"
check "region view: EU share stopped below 1% in June 2024, above 5% in June 2025" \
    awk -F'|' 'NR == 1 { next } $2 ~ /^ month/ { for (i = 2; i <= NF; i++) if ($i == " EU ") c = i }
               c && $2 == " 2024-06 " { a = $c + 0 } c && $2 == " 2025-06 " { b = $c + 0 }
               END { exit !(c && a < 0.01 && b > 0.05) }' "$work/view.md"
sh "$view" "$work/none" > /dev/null 2>&1
check "region view: a missing folder exits 66" test $? -eq 66

# Defense: no Chinese magnet link, SmCo through an allied maker, in every shipped scenario of the
# shared network (replay-2010-quota has its own one-material network of 2009-2013, no defense).
n=0
for s in "$src"/scenarios/*.yaml; do
    b=$(basename "$s" .yaml)
    case $b in replay-2010-quota) continue ;; esac
    n=$((n + 1))
    "$bin" run "$s" -n 2 -q -o "$work/$b" 2> "$work/$b.err" || { check "$b runs" false; continue; }
    r=$work/$b/scenario.resolved.yaml
    # Node ids by region and end use, from the resolved scenario.
    awk '/^  - id: / { id = $3 } /^    region: "?CN"?$/ { print id }' "$r" > "$work/$b.cn"
    awk '/^  - id: / { id = $3 } /^    end_use: "?defense"?$/ { print id }' "$r" > "$work/$b.def"
    # Links as "from to material gate" lines (the resolved form has one key a line).
    awk '/^links:/ { on = 1; next } /^[a-z]/ { on = 0 }
         on && /^  - / { if (f != "") print f, t, m, g; f = t = m = ""; g = "-" }
         on && /^    from: / { f = $2 } on && /^    to: / { t = $2 }
         on && /^    material: / { m = $2 } on && /^    gate: / { g = $2 }
         END { if (f != "") print f, t, m, g }' "$r" | tr -d '"' > "$work/$b.links"
    check "$b: defense users exist" test -s "$work/$b.def"
    check "$b: no link from a Chinese node to a defense user" \
        awk -v cn="$work/$b.cn" -v def="$work/$b.def" '
            BEGIN { while ((getline l < cn) > 0) c[l] = 1; while ((getline l < def) > 0) d[l] = 1 }
            ($1 in c) && ($2 in d) { print "  " $1 " -> " $2; bad++ }
            END { exit bad > 0 }' "$work/$b.links"
    check "$b: SmCo for defense from an allied maker with gated Chinese samarium" \
        grep -qx 'cn_sm allied_smco sm cn_export' "$work/$b.links"
done
check "the 11 scenarios of the shared network checked" test "$n" -eq 11
finish

#!/bin/sh
# Print every figure of the worked example in docs/exploration.md ("Worked example: the April
# 2025 regime kept in place"), from fresh runs.
#
#   scripts/exploration-figures.sh [BUILD_DIR] > figures.txt
#
# Runs exactly the commands the page quotes, each with `-j 2 -q` and its output in a temporary
# folder (removed on exit), with BUILD_DIR/reesim (BUILD_DIR defaults to build/ in the
# repository), at the scenarios' own seed:
#
#   sensitivity licensing-april-2025 --method morris -n 20 -r 200     (180 x 200 runs)
#   sensitivity licensing-april-2025 --method sobol -n 64 -r 100      (640 x 100 runs)
#   sweep licensing-april-2025 --design lhs -k 200 -n 100             (200 x 100 runs)
#   discover on it: 'us_cars/months_short > 3', 'us_defense/months_short > 6' (a condition no
#       case meets is printed as such; check the case means printed beside them)
#   sweep licensing-april-2025 --no-explore, approval 0.05..0.6 (5) x review 30, 63, 120 days,
#       -n 500                                                        (15 x 500 runs)
#   sweep stockpile-release-defense -n 200 (its explore: 6 sizes x 2 release caps)
#   search stockpile-release-defense, size 0..2000 t, P(us_defense/months_short <= 1) >= 0.95,
#       -n 1000, at the scenario's release cap (40 t/month) and at 80 t/month; and
#       P(us_defense/months_short <= 0) >= 0.95 at 80 t/month (0..2000 t) and at 200 t/month
#       (0..1000 t)
#
# and prints, as plain text: the commit, seed and runs of each command; Morris mu* and sigma and
# Sobol S1 and ST (95% bootstrap intervals, noise share) of the shortfall and months short of
# us_cars and us_defense, inputs ranked; the grid of mean vehicles not built (lost_units of the
# two cars sectors, us_cars and us_cars_direct, summed) as a markdown table; the PRIM boxes as
# `reesim discover` prints them; the stockpile sweep's defense outcome per case; each search's
# answer, probability, Wilson interval and every evaluation. Progress goes to stderr.
#
# Cost, measured at c98ecd0 on the shared, loaded 2-core machine: 170,000 runs, 160 s of CPU
# (141 s user, 19 s system; the Sobol run about a third of it), 184 s wall. The last line
# prints the times of each run (POSIX `times`, children of this shell).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
reesim=$build/reesim
if [ ! -x "$reesim" ]; then
    echo "exploration-figures: no reesim in $build (build it first, or give BUILD_DIR)" >&2
    exit 2
fi
lic=$root/scenarios/licensing-april-2025.yaml
pile=$root/scenarios/stockpile-release-defense.yaml
for f in "$lic" "$pile"; do
    if [ ! -f "$f" ]; then
        echo "exploration-figures: no $f" >&2
        exit 2
    fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/exploration-figures.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
start=$(date +%s)

# rs NAME ARGS...: `reesim ARGS... [-q] -o TMP/NAME`, its messages in TMP/NAME.log; on failure the
# log goes to stderr and the script stops with exit 1.
rs() {
    name=$1
    shift
    echo "exploration-figures: reesim $*" >&2
    t0=$(date +%s)
    # discover prints its box only without -q; the other commands' tables are not needed.
    case $1 in discover) q= ;; *) q=-q ;; esac
    if ! "$reesim" "$@" $q -o "$tmp/$name" > "$tmp/$name.log" 2>&1; then
        echo "exploration-figures: FAILED: reesim $*" >&2
        cat "$tmp/$name.log" >&2
        exit 1
    fi
    echo "exploration-figures:   $(($(date +%s) - t0)) s wall" >&2
}

# The sizes the page quotes: Morris trajectories and runs, Sobol N and runs, the grid's runs.
mn=20 mr=200 sn=64 sr=100 gn=500
rs morris sensitivity "$lic" --method morris -n $mn -r $mr -j 2
rs sobol sensitivity "$lic" --method sobol -n $sn -r $sr -j 2
rs lhs sweep "$lic" --design lhs -k 200 -n 100 -j 2
# A condition no case meets is a result (printed as such), not a failure; any other error is.
disc() { # NAME CONDITION
    echo "exploration-figures: reesim discover lhs --where '$2'" >&2
    if ! "$reesim" discover "$tmp/lhs" --where "$2" -o "$tmp/$1" > "$tmp/$1.log" 2>&1; then
        if grep -q 'no case of .* meets' "$tmp/$1.log"; then
            echo "exploration-figures: no case meets '$2' (reported)" >&2
        else
            echo "exploration-figures: FAILED: reesim discover --where '$2'" >&2
            cat "$tmp/$1.log" >&2
            exit 1
        fi
    fi
}
disc disc-cars 'us_cars/months_short > 3'
disc disc-def 'us_defense/months_short > 6'
rs grid sweep "$lic" --no-explore --set 'timeline[1].set.cn_export.approval=0.05,0.15,0.25,0.4,0.6' \
    --set 'timeline[1].set.cn_export.review_days=30,63,120' -n $gn -j 2
rs pile sweep "$pile" -n 200 -j 2
goal1='P(us_defense/months_short <= 1) >= 0.95'
goal0='P(us_defense/months_short <= 0) >= 0.95'
rs s40 search "$pile" --lever nodes.us_nds.stock.ndfeb=0..2000 --goal "$goal1" -n 1000 -j 2
rs s80 search "$pile" --lever nodes.us_nds.stock.ndfeb=0..2000 --set nodes.us_nds.max_release=80 \
    --goal "$goal1" -n 1000 -j 2
rs s80z search "$pile" --lever nodes.us_nds.stock.ndfeb=0..2000 --set nodes.us_nds.max_release=80 \
    --goal "$goal0" -n 1000 -j 2
rs s200z search "$pile" --lever nodes.us_nds.stock.ndfeb=0..1000 --set nodes.us_nds.max_release=200 \
    --goal "$goal0" -n 1000 -j 2

seed=$(awk '/^seed:/ { print $2; exit }' "$lic")
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null | head -1)
echo "commit $commit${dirty:+ (with uncommitted changes)}, seed $seed, -j 2"
echo

# Runs of each command: evaluations (or cases) x runs each.
nin=$(awk -F, 'NR > 1 && !($5 in s) { s[$5] = 1; k++ } END { print k }' "$tmp/morris/sensitivity.csv")
cases() { awk -F, 'NR > 1 && !($1 in s) { s[$1] = 1; k++ } END { print k + 0 }' "$1"; }
evals() { awk -F, 'NR > 1 { k++ } END { print k + 0 }' "$1"; }
mruns=$((mn * (nin + 1) * mr)) sruns=$((sn * (nin + 2) * sr))
lr=$(($(cases "$tmp/lhs/sweep.csv") * 100)) gr=$(($(cases "$tmp/grid/sweep.csv") * gn))
pr=$(($(cases "$tmp/pile/sweep.csv") * 200))
qr=0
for s in s40 s80 s80z s200z; do qr=$((qr + $(evals "$tmp/$s/search.csv") * 1000)); done
echo "runs: morris $mruns ($mn trajectories x $((nin + 1)) x $mr), sobol $sruns (N $sn x $((nin + 2)) x $sr)," \
    "lhs $lr, grid $gr, stockpile sweep $pr, searches $qr; total $((mruns + sruns + lr + gr + pr + qr))"
echo

# Sensitivity: for each indicator quoted, the inputs ranked by mu* (Morris) or ST (Sobol).
sens() { # FILE METHOD
    awk -F, -v m="$2" '
    function f(x) { return x == "" ? "-" : sprintf("%.4g", x) }
    NR == 1 { next }
    $2 != "us_cars" && $2 != "us_defense" { next }
    $3 != "shortfall" && $3 != "months_short" { next }
    {
        key = $2 "/" $3 " (" $4 ")"
        if (!(key in nk)) { nk[key] = 1; keys[++nkeys] = key; noise[key] = $11 }
        if (!((key, $5) in ni)) { ni[key, $5] = 1; inp[key, ++nin[key]] = $5 }
        val[key, $5, $6] = $7; lo[key, $5, $6] = $8; hi[key, $5, $6] = $9
    }
    END {
        a = m == "morris" ? "mu_star" : "ST"; b = m == "morris" ? "sigma" : "S1"
        for (q = 1; q <= nkeys; q++) {
            key = keys[q]
            printf "%s %s, noise share %s\n", m, key, f(noise[key])
            n = nin[key]
            for (i = 1; i <= n; i++) o[i] = inp[key, i]
            for (i = 2; i <= n; i++)
                for (j = i; j > 1 && val[key, o[j], a] + 0 > val[key, o[j - 1], a] + 0; j--) {
                    t = o[j]; o[j] = o[j - 1]; o[j - 1] = t
                }
            for (i = 1; i <= n; i++) {
                x = o[i]
                printf "  %-40s %s %s [%s, %s]  %s %s [%s, %s]\n", x,
                    a == "mu_star" ? "mu*" : a, f(val[key, x, a]), f(lo[key, x, a]), f(hi[key, x, a]),
                    b, f(val[key, x, b]), f(lo[key, x, b]), f(hi[key, x, b])
            }
        }
    }' "$1"
}
sens "$tmp/morris/sensitivity.csv" morris
echo
sens "$tmp/sobol/sensitivity.csv" sobol
echo

# The case means of months short in the hypercube (to judge the discover thresholds), then
# the PRIM boxes as discover prints them (the folder name left out).
for e in us_cars us_defense; do
    awk -F, -v e="$e" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        $c["entity"] == e && $c["indicator"] == "months_short" { print $c["mean"] }' "$tmp/lhs/sweep.csv" |
        sort -g | awk -v e="$e" '{ x[NR] = $1 } END {
            printf "lhs: %s/months_short, case means over %d cases: min %g, p25 %g, median %g, p75 %g, max %g\n",
                e, NR, x[1], x[int(NR / 4 + 0.5)], x[int(NR / 2 + 0.5)], x[int(3 * NR / 4 + 0.5)], x[NR] }'
done
for d in disc-cars disc-def; do
    echo "discover on the lhs sweep:"
    sed -e 's/; results in .*//' -e "s|$tmp/||g" "$tmp/$d.log" | uniq
    echo
done

# The grid: mean vehicles not built (lost_units of us_cars and us_cars_direct, summed).
echo "grid: mean vehicles not built (us_cars + us_cars_direct lost_units), $gn runs per case"
awk -F, '
function num(x,    s, o) {
    s = sprintf("%.0f", x); if (s == "-0") s = "0"; o = ""
    while (length(s) > 3) { o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) }
    return s o
}
NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
($c["entity"] == "us_cars" || $c["entity"] == "us_cars_direct") && $c["indicator"] == "lost_units" {
    a = $2; r = $3
    if (!(a in sa)) { sa[a] = 1; as[++na] = a }
    if (!(r in sr)) { sr[r] = 1; rv[++nr] = r }
    v[a, r] += $c["mean"]
}
END {
    h = "| approval \\ review |"; l = "|---|"
    for (j = 1; j <= nr; j++) { h = h " " rv[j] " days |"; l = l "---|" }
    print h; print l
    for (i = 1; i <= na; i++) {
        s = "| " as[i] " |"
        for (j = 1; j <= nr; j++) s = s " " num(v[as[i], rv[j]]) " |"
        print s
    }
}' "$tmp/grid/sweep.csv"
echo

# The stockpile sweep: us_defense per case.
echo "stockpile sweep (200 runs per case): us_defense months short (mean, p50, p95), shortfall t (mean)"
awk -F, '
NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
$c["entity"] == "us_defense" && $c["indicator"] == "months_short" { ms[$1] = sprintf("%.3g %g %g", $c["mean"], $c["p50"], $c["p95"]); k[$1] = $2 " t, " $3 " t/month" }
$c["entity"] == "us_defense" && $c["indicator"] == "shortfall" { sf[$1] = sprintf("%.4g", $c["mean"]) }
END { for (i = 0; i in k; i++) printf "  %-22s months short %s  shortfall %s\n", k[i], ms[i], sf[i] }
' "$tmp/pile/sweep.csv"
echo

# The searches.
for s in s40 s80 s80z s200z; do
    case $s in
    s40) what="$goal1, release cap 40 (scenario), 0..2000 t" ;;
    s80) what="$goal1, release cap 80, 0..2000 t" ;;
    s80z) what="$goal0, release cap 80, 0..2000 t" ;;
    s200z) what="$goal0, release cap 200, 0..1000 t" ;;
    esac
    echo "search $what:"
    awk -F, '
    NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    { printf "  found %s, answer %s, P %s, Wilson [%s, %s], bracket %s, %s evaluations of %s runs\n",
        $c["found"], $c["answer"], $c["prob"], $c["lo"], $c["hi"], $c["bracket"], $c["evaluations"], $c["runs"] }
    ' "$tmp/$s/search_summary.csv"
    awk -F, '
    NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    { s = s sprintf(" %s:%s%s", $c["lever"], $c["prob"], $c["met"] == 1 ? "+" : "-") }
    END { print "  evaluations (lever:P, + met):" s }
    ' "$tmp/$s/search.csv"
done
echo

wall=$(($(date +%s) - start))
times > "$tmp/times" # in this shell: $(times) would time a subshell
cpu=$(tail -1 "$tmp/times")
echo "time: $wall s wall; CPU of the reesim commands (user system): $cpu"

#!/bin/sh
# Non-finite values (docs/reliability.md): a value beyond a parameter's bound is a located
# validation error (65), and a valid scenario whose values still compound past the range of a
# double stops with exit 70 and a message naming the run, entity, metric, step and month, never
# writing inf or nan into the results, with or without --check-balance.
# Usage: nonfinite.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
cd "$work" || exit 1

# capacity 1e308: on main this ran with exit 0 and wrote inf (production doubles past DBL_MAX).
cat > huge.yaml <<'YAML'
reesim: 1
name: huge
horizon: {start: 2025-01, steps: 6}
materials:
  - {id: ndfeb, name: magnets}
nodes:
  - {id: mine, model: source, params: {output: {ndfeb: 1}, capacity: 1e308}}
  - {id: cars, model: sector, params: {material: ndfeb, demand: 100, kg_per_unit: 2}}
links:
  - {from: mine, to: cars, material: ndfeb}
YAML
"$bin" validate huge.yaml >/dev/null 2>huge.err
check "capacity 1e308 is invalid (65)" test $? = 65
check "capacity 1e308 is located and names the bound" \
    grep -q "^huge.yaml:7:.*: error: nodes.mine.params.capacity: 1e+308 is out of range: expected 0 to 1e+09 t/month" huge.err
"$bin" run huge.yaml -n 10 -q -o out-huge --check-balance 2>/dev/null
check "run of capacity 1e308 exits 65" test $? = 65

# A chain of N inventories, each covering 520 weeks over 120-month lead times: every value is
# legal, but orders grow ~240-fold per stage, pass 1e100 about 38 stages upstream and 1.8e308
# about 126 stages upstream (on main, 130 stages ran with exit 0 and wrote inf; so did 124 with
# demand noise, where every value is finite but the sd over runs overflows).
chain() { # N NOISE
    printf 'reesim: 1\nname: chain\nhorizon: {start: 2025-01, steps: 200}\n'
    printf 'materials:\n  - {id: ndfeb, name: magnets}\nnodes:\n'
    printf '  - {id: mine, model: source, params: {output: {ndfeb: 1}, capacity: 1e9}}\n'
    i=0
    while [ $i -lt "$1" ]; do
        printf '  - {id: inv%d, model: inventory, params: {material: ndfeb, cover_weeks: 520, smoothing: 1}}\n' $i
        i=$((i + 1))
    done
    printf '  - {id: cars, model: sector, params: {material: ndfeb, demand: 1e9, cover_weeks: 520, kg_per_unit: 2, noise: %s}}\n' "$2"
    printf 'links:\n  - {from: mine, to: inv0, material: ndfeb, lead_time: 120}\n'
    i=0
    while [ $i -lt $(($1 - 1)) ]; do
        printf '  - {from: inv%d, to: inv%d, material: ndfeb, lead_time: 120}\n' $i $((i + 1))
        i=$((i + 1))
    done
    printf '  - {from: inv%d, to: cars, material: ndfeb, lead_time: 120}\n' $(($1 - 1))
}
chain 130 0 > chain.yaml
chain 124 0.5 > chain-noise.yaml
chain 30 0.5 > chain-short.yaml
"$bin" validate chain.yaml chain-noise.yaml chain-short.yaml >/dev/null 2>&1
check "the chains are valid" test $? = 0
for opt in "" --check-balance; do
    for c in chain chain-noise; do
        "$bin" run $c.yaml -n 20 -q -o "out-$c$opt" $opt 2>$c.err
        check "$c $opt exits 70" test $? = 70
        check "$c $opt names run, entity, metric, step and month" \
            grep -q "^reesim: $c.yaml: run 0: overflowing value [0-9.e+]* of 'inv[0-9]*' metric 'target' at step [0-9]* (20[0-9][0-9]-[0-9][0-9]) (above 1e100)" $c.err
        check "$c $opt writes no results" \
            sh -c "! ls 'out-$c$opt'/*.csv >/dev/null 2>&1"
    done
done
"$bin" run chain-short.yaml -n 50 -q -o out-short --check-balance 2>short.err
check "a 30-stage chain (values to ~1e83) runs clean" test $? = 0
check "its results hold large values" grep -q "e+8[0-9]," out-short/timeseries.csv
check "and no inf or nan" sh -c "! grep -qi 'inf\|nan' out-short/*.csv"
finish

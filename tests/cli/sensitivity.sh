#!/bin/sh
# reesim sensitivity (docs/exploration.md): Morris and Sobol on the toy explore scenario. An
# input that cannot move an indicator (kg per vehicle, for the shortfall in tonnes) gets exactly
# zero indices thanks to common random numbers; the approval drives months short; the result
# does not depend on the thread count. Usage: sensitivity.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work"
toy=$src/tests/explore/toy-explore.yaml
cols='NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }'
check "morris" "$bin" sensitivity "$toy" -n 8 -r 40 --boot 100 -q \
    --set nodes.us_cars.kg_per_unit=1..2 -o "$work/m"
check "header" test "$(head -1 "$work/m/sensitivity.csv")" = \
    "method,entity,indicator,unit,input,index,estimate,lo,hi,variance,noise_share"
# 3 headline indicators x 4 inputs x (mu_star, mu, sigma).
check "36 rows" test "$(wc -l < "$work/m/sensitivity.csv")" -eq 37
check "no effect of kg_per_unit on the shortfall: mu* = 0 exactly" awk -F, \
    "$cols \$c[\"indicator\"] == \"shortfall\" && \$c[\"input\"] == \"nodes.us_cars.kg_per_unit\" &&
     \$c[\"index\"] == \"mu_star\" { n++; if (\$c[\"estimate\"] != 0) exit 1 } END { exit n != 1 }" \
    "$work/m/sensitivity.csv"
check "kg_per_unit does move lost units" awk -F, \
    "$cols \$c[\"indicator\"] == \"lost_units\" && \$c[\"input\"] == \"nodes.us_cars.kg_per_unit\" &&
     \$c[\"index\"] == \"mu_star\" { exit !(\$c[\"estimate\"] > 0) }" "$work/m/sensitivity.csv"
check "approval has the largest mu* for months short" awk -F, \
    "$cols \$c[\"indicator\"] == \"months_short\" && \$c[\"index\"] == \"mu_star\" {
        if (\$c[\"estimate\"] > best) { best = \$c[\"estimate\"]; who = \$c[\"input\"] } }
     END { exit who != \"gates.cn_export.approval\" }" "$work/m/sensitivity.csv"
check "noise share small and intervals around the estimate" awk -F, \
    "$cols \$c[\"index\"] == \"mu_star\" { if (!(\$c[\"noise_share\"] >= 0 && \$c[\"noise_share\"] < 0.05)) exit 1;
        if (!(\$c[\"lo\"] <= \$c[\"estimate\"] && \$c[\"estimate\"] <= \$c[\"hi\"])) exit 1 }" \
    "$work/m/sensitivity.csv"
# variance and noise_share are over every evaluation's run-mean (docs/exploration.md), not the
# trajectories' starts alone: here the two starts give the same shortfall, so that variance was
# 0 and the noise share empty.
check "morris, two trajectories" "$bin" sensitivity "$toy" --no-explore --set gates.cn_export.approval=0.1..0.5 \
    -n 2 -r 20 -q -o "$work/m2"
check "variance over every evaluation: above 0, a noise share" awk -F, \
    "$cols \$c[\"indicator\"] == \"shortfall\" { n++; if (!(\$c[\"variance\"] > 0 && \$c[\"noise_share\"] != \"\")) exit 1 }
     END { exit n != 3 }" "$work/m2/sensitivity.csv"
# The file size limit (ulimit -f, 512-byte blocks): exit 153, the file named, nothing written.
code=$( (ulimit -f 1; "$bin" sensitivity "$toy" -n 2 -r 20 -q -o "$work/fsz" 2>"$work/efsz"; echo $?) )
check "ulimit -f: exit 153" test "$code" = 153
check "ulimit -f: the file named" grep -q "file size limit (signal 25): cannot write '$work/fsz/sensitivity.csv': File too large; no output written" "$work/efsz"
check "ulimit -f: nothing written" test ! -e "$work/fsz"
check "sobol" "$bin" sensitivity "$toy" --method sobol -n 16 -r 40 --boot 100 -q -j 2 -o "$work/s2"
"$bin" sensitivity "$toy" --method sobol -n 16 -r 40 --boot 100 -q -j 1 -o "$work/s1"
check "sobol byte-identical for -j1 and -j2" cmp "$work/s1/sensitivity.csv" "$work/s2/sensitivity.csv"
check "sobol: S1 and ST per input and indicator" test \
    "$(awk -F, "$cols { n[\$c[\"index\"]]++ } END { print n[\"S1\"] \" \" n[\"ST\"] }" "$work/s1/sensitivity.csv")" = "9 9"
"$bin" sensitivity "$toy" --method fast -q -o "$work/bad" 2> /dev/null
check "unknown method: 64" test $? -eq 64
"$bin" sensitivity "$toy" --levels 3 -q -o "$work/bad" 2> /dev/null
check "odd levels: 64" test $? -eq 64
check "nothing written" test ! -e "$work/bad"
finish

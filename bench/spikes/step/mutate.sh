#!/bin/sh
# Mutation test of the bit check: each build changes the lane replay in one place (replay_l.c,
# MUT_*); `verify` must then report differences for the lanes, except where the mutation cannot
# change a bit on the scenario (README.md says which and why).
set -e
cd "$(dirname "$0")"
CHAIN=../../scenarios/chain.yaml
MIXED=../../../scenarios/baseline-2024.yaml # lanes disagreeing on a pair's priority groups
for m in MUT_BOOK:$CHAIN MUT_UNMASKED:$CHAIN MUT_RESIL:$CHAIN MUT_FRAC:$CHAIN MUT_SPLIT:$CHAIN \
         MUT_LANE_LAYOUT:$MIXED; do
    mut=${m%%:*}
    scen=${m#*:}
    OBJ=/tmp/step-build/obj-$mut OUT=/tmp/step-build/step_$mut CC="${CC:-cc} -D$mut" \
        ./build.sh >/dev/null 2>&1
    echo "== $mut on $scen"
    /tmp/step-build/step_$mut verify "$scen" 64 2>/dev/null | grep verify || true
done

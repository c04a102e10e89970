#!/bin/sh
# Builds the step spike against a library built from this commit, with the library's flags
# (CMake Release: -O3 -DNDEBUG; the project adds -ffp-contract=off -fno-fast-math):
#   cmake -S . -B /tmp/step-build/lib -DCMAKE_BUILD_TYPE=Release
#   cmake --build /tmp/step-build/lib -j1 --target reesim_core
#   LIB=/tmp/step-build/lib/libreesim.a bench/spikes/step/build.sh
# The scalar replay is built for the baseline (x86-64, as the library); the lane replay with
# -mavx512f -mavx512dq. Contraction stays off everywhere: no FMA is formed.
set -e
cd "$(dirname "$0")"
CC=${CC:-cc}
OPT=${OPT:--O3}
M=$(cd ../../.. && pwd)
LIB=${LIB:-/tmp/step-build/lib/libreesim.a}
OBJ=${OBJ:-/tmp/step-build/obj}
OUT=${OUT:-/tmp/step-build/step_bench}
CFLAGS="$OPT -DNDEBUG -ffp-contract=off -fno-fast-math -std=c11 -D_POSIX_C_SOURCE=200809L \
 -Wall -Wextra -Wno-unused-function -I. -I$M/include -I$M/engine -I$M/engine/sim \
 -I$M/engine/stats -I$M/engine/scenario -I$M/engine/io"
AVX="-mavx512f -mavx512dq -mavx512vl"
mkdir -p "$OBJ"
$CC $CFLAGS -c capture.c -o "$OBJ/capture.o"
$CC $CFLAGS -c main.c -o "$OBJ/main.o"
$CC $CFLAGS -c replay_s.c -o "$OBJ/rs.o"
$CC $CFLAGS -DFEED_ONLY -DRS_NAME=replay_scalar_feed -c replay_s.c -o "$OBJ/rs_feed.o"
$CC $CFLAGS -DPHASES -DRS_NAME=replay_scalar_ph -c replay_s.c -o "$OBJ/rs_ph.o"
# the same scalar code with AVX-512 allowed (what the compiler makes of it alone)
$CC $CFLAGS $AVX -DRS_NAME=replay_scalar_avx -c replay_s.c -o "$OBJ/rs_avx.o"
$CC $CFLAGS $AVX -c replay_l.c -o "$OBJ/rl.o"
$CC $CFLAGS $AVX -DFEED_ONLY -DRL_NAME=replay_lanes_feed -c replay_l.c -o "$OBJ/rl_feed.o"
$CC $CFLAGS $AVX -DPHASES -DRL_NAME=replay_lanes_ph -c replay_l.c -o "$OBJ/rl_ph.o"
$CC $CFLAGS $AVX -DALLOC_PER_LANE -DRL_NAME=replay_lanes_pl -c replay_l.c -o "$OBJ/rl_pl.o"
$CC -o "$OUT" "$OBJ"/*.o "$LIB" -fopenmp -lgsl -lgslcblas -lyaml -lcjson -lmd -lz -lm -lpthread
echo "built $OUT"

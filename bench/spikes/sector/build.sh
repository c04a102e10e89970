#!/bin/sh
# Builds the spike against the library in ./build, from the repository root:
#   cmake -S . -B bench/spikes/sector/build -DCMAKE_BUILD_TYPE=Release
#   cmake --build bench/spikes/sector/build -j2 --target reesim_core
#   bench/spikes/sector/build.sh Same flags as the library's objects
# (CMake's Release: -O3 -DNDEBUG; the project adds -ffp-contract=off -fno-fast-math).
set -e
cd "$(dirname "$0")"
CC=${CC:-cc}
OPT=${OPT:--O3}
M=$(cd ../../.. && pwd)
CFLAGS="$OPT -DNDEBUG -ffp-contract=off -fno-fast-math -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wno-unused-function \
 -I. -I$M/include -I$M/engine -I$M/engine/sim -I$M/engine/stats -I$M/models -I$M/engine/scenario -I$M/engine/io"
# sector_copy.c includes models/sector.c by name
CFLAGS="$CFLAGS -I$M/models"
LIB=${LIB:-build/libreesim.a}
OBJ=${OBJ:-obj}
OUT=${OUT:-sector_bench}
mkdir -p $OBJ
# scalar copies of models/sector.c
sc() { $CC $CFLAGS -Dree_model_sector=$1 $2 -c sector_copy.c -o $OBJ/$1.o; }
sc sc_all ""
sc sc_draw "-DBD_DRAW=1"
sc sc_pinv "-DBD_PINV=1"
sc sc_exp "-DBD_EXP=1"
sc sc_pow "-DBD_POW=1"
sc sc_none "-DBD_DRAW=1 -DBD_PINV=1 -DBD_EXP=1 -DBD_POW=1"
# lockstep builds
lk() { $CC $CFLAGS -DLS_NAME=$1 -DLS_LABEL=\"$1\" $2 -c lockstep.c -o $OBJ/$1.o; }
lk lk_2a ""
lk lk_2a_none "-DBD_DRAW=1 -DBD_EXP=1 -DBD_POW=1"
lk lk_2b "-DVAR_PINV_VEC=1"
lk lk_2b_draw "-DVAR_PINV_VEC=1 -DBD_DRAW=1"
lk lk_2b_log "-DVAR_PINV_VEC=1 -DBD_LOG=1"
lk lk_2b_exp "-DVAR_PINV_VEC=1 -DBD_EXP=1"
lk lk_2b_pow "-DVAR_PINV_VEC=1 -DBD_POW=1"
lk lk_2b_none "-DVAR_PINV_VEC=1 -DBD_DRAW=1 -DBD_LOG=1 -DBD_EXP=1 -DBD_POW=1"
lk lk_2c "-DVAR_PINV_VEC=1 -DVAR_POW_SHARED=1"
lk lk_2d "-DVAR_PINV_VEC=1 -DVAR_MVEC=1"
lk lk_2e "-DVAR_PINV_VEC=1 -DVAR_POW_SHARED=1 -DVAR_VDRAW=1"
lk lk_2e_draw "-DVAR_PINV_VEC=1 -DVAR_POW_SHARED=1 -DVAR_VDRAW=1 -DBD_DRAW=1"
lk lk_2e_log "-DVAR_PINV_VEC=1 -DVAR_POW_SHARED=1 -DVAR_VDRAW=1 -DBD_LOG=1"
lk lk_2e_exp "-DVAR_PINV_VEC=1 -DVAR_POW_SHARED=1 -DVAR_VDRAW=1 -DBD_EXP=1"
lk lk_2e_pow "-DVAR_PINV_VEC=1 -DVAR_POW_SHARED=1 -DVAR_VDRAW=1 -DBD_POW=1"
lk lk_2f "-DVAR_PINV_VEC=1 -DVAR_MVEC=1 -DVAR_VDRAW=1"
$CC $CFLAGS -c main.c -o $OBJ/main.o
$CC -o $OUT $OBJ/*.o $LIB -fopenmp -lgsl -lgslcblas -lyaml -lcjson -lmd -lz -lmvec -lm -lpthread

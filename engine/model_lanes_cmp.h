/*
 * Comparisons of lane vectors that compile to vector compares (a stopgap next to model_lanes.h,
 * issue 12; its comparisons belong there). GCC 12 turns a comparison of two ree_vd into eight
 * scalar compares and branches wherever the target has no 64-byte vectors (baseline x86-64 and
 * x86-64-v3), which left the sector's lane hooks no faster than eight scalar calls, while the
 * same comparison on pieces of the target's vector width compiles to one compare per piece.
 *
 * REE_VCMP(a, op, b) is the lane mask of `a op b` (op one of < > <= >= == !=, C's comparison in
 * each lane: all bits set where true, false on NaN except for !=), as ree_vl. Below AVX-512 it
 * compares by pieces (16 bytes, 32 with AVX) and evaluates a and b once per piece: pass values
 * without side effects.
 */
#ifndef REESIM_MODEL_LANES_CMP_H
#define REESIM_MODEL_LANES_CMP_H

#include "model_lanes.h"

#ifdef __AVX512F__
#define REE_VCMP(a, op, b) ((a)op(b))
#else
#ifdef __AVX__
#define REE_VPIECE 4 /* doubles in a piece */
#else
#define REE_VPIECE 2
#endif
typedef double ree_vd_piece __attribute__((vector_size(REE_VPIECE * sizeof(double))));
typedef int64_t ree_vl_piece __attribute__((vector_size(REE_VPIECE * sizeof(int64_t))));
typedef union ree_vd_pieces {
    ree_vd v;
    ree_vd_piece p[REE_LANES / REE_VPIECE];
} ree_vd_pieces;
typedef union ree_vl_pieces {
    ree_vl v;
    ree_vl_piece p[REE_LANES / REE_VPIECE];
} ree_vl_pieces;
#define REE_VCMP_P_(a, op, b, i)                                                                   \
    (((ree_vd_pieces){.v = (a)}).p[i] op((ree_vd_pieces){.v = (b)}).p[i])
#if REE_VPIECE == 4
#define REE_VCMP(a, op, b)                                                                         \
    (((ree_vl_pieces){.p = {REE_VCMP_P_(a, op, b, 0), REE_VCMP_P_(a, op, b, 1)}}).v)
#else
#define REE_VCMP(a, op, b)                                                                         \
    (((ree_vl_pieces){.p = {REE_VCMP_P_(a, op, b, 0), REE_VCMP_P_(a, op, b, 1),                    \
                            REE_VCMP_P_(a, op, b, 2), REE_VCMP_P_(a, op, b, 3)}})                  \
         .v)
#endif
#endif

#endif

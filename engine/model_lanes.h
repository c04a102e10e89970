/*
 * Lane hooks (issue 12, the lockstep layout; bench/HISTORY.md stops 21-22): a model may give,
 * next to its scalar hooks (model.h), hooks that step REE_LANES runs at once, every per-run value
 * an array over the lanes. The scalar hooks stay the reference: a model's lane hooks must give,
 * in every lane, the same bits as its scalar hooks on that lane's run (the same operations in the
 * same order on each lane, no FMA contraction, the same draws from the lane's own stream), which
 * tests/unit/test_model_lanes.c checks on every shipped scenario.
 *
 * Layouts (a "lane vector" is REE_LANES doubles, lane l at index l, 64-byte aligned):
 *  - parameters: the model's own parameter struct transposed by 8-byte words
 *    (ree_lanes_transpose): word w of lane l's struct at word w * REE_LANES + l. A double field
 *    is then a lane vector, read with REE_LP; a field the runs share (a REE_PT_MATERIAL,
 *    MATSET, TAGSET or MATMAP parameter without REE_PF_TIMELINE: never sampled nor changed per
 *    run) is read from lane 0's copy with REE_LP0; one that timelines or regimes may set (the
 *    gate's `deny_end_use`) differs per lane: its 8-byte words with REE_LPW;
 *  - io arrays: one lane vector per material ([material][lane]), per link for gates, per metric
 *    for metrics; `history` is [step][material][lane];
 *  - state: the model's own lane struct (REE_LANES-wide fields), zeroed before reset, 64-byte
 *    aligned, never moved within a run (a model may keep pointers into it, as the gate does);
 *    the engine never reads it (finish() reports what a run's state says). Its bytes from
 *    `kept_from` on (if set) are a cache that a lockstep workspace zeroes once and keeps from one
 *    group of runs to the next (one workspace is used by one thread at a time);
 *  - indicators: finish() writes indicator i of lane l to ind[i * REE_LANES + l].
 *
 * Lanes past the last run of a group hold a copy of a real run and are discarded: a hook must
 * not care which lanes count. Vector types are GCC's vector extension (GCC and clang), used only
 * through pointers and macros: a vector passed or returned by value outside an inline expansion
 * changes the ABI with the instruction set (-Wpsabi).
 */
#ifndef REESIM_MODEL_LANES_H
#define REESIM_MODEL_LANES_H

#include <stddef.h>
#include <stdint.h>
#include <gsl/gsl_rng.h>

#include "model.h"

#define REE_LANES 8

typedef double ree_vd __attribute__((vector_size(REE_LANES * sizeof(double))));
typedef int64_t ree_vl __attribute__((vector_size(REE_LANES * sizeof(int64_t))));

/* A lane vector with every lane x. */
#define REE_VSPLAT(x) ((ree_vd){(x), (x), (x), (x), (x), (x), (x), (x)})
/* Lane by lane, m ? a : b, for a mask m from a vector comparison (all bits set where true): the
 * scalar `c ? a : b` with both sides computed. */
#define REE_VSEL(m, a, b) ((ree_vd)(((m) & (ree_vl)(a)) | (~(m) & (ree_vl)(b))))
/* REE_VSEL for 64-bit integer lanes (ree_vl): m ? a : b. */
#define REE_VSELL(m, a, b) (((m) & (a)) | (~(m) & (b)))
/* Nonzero when some lane of mask m is set / every lane is set. */
#define REE_VANY(m) (((m)[0] | (m)[1] | (m)[2] | (m)[3] | (m)[4] | (m)[5] | (m)[6] | (m)[7]) != 0)
#define REE_VALL(m) (((m)[0] & (m)[1] & (m)[2] & (m)[3] & (m)[4] & (m)[5] & (m)[6] & (m)[7]) != 0)

/* Parameter `field` (a double) of struct `type` in a transposed block `par`, as a lane vector. */
#define REE_LP(par, type, field)                                                                   \
    (*(const ree_vd *)((const char *)(par) + offsetof(type, field) * REE_LANES))
/* A field of type `ftype` that every lane shares (not REE_PT_NUM or DATE), read from lane 0. */
#define REE_LP0(par, type, field, ftype)                                                           \
    (*(const ftype *)((const char *)(par) + (offsetof(type, field) & ~(size_t)7) * REE_LANES +     \
                      (offsetof(type, field) & 7u)))

/* Instruction sets. GCC turns a comparison of two 8-double vectors into 8 scalar comparisons
 * unless the target has 512-bit vectors, so lane code built for the x86-64 baseline is slow. The
 * build therefore compiles the models, the resilience accumulator and the lockstep step a second
 * time for x86-64-v4 (AVX-512; CMake option REESIM_LANES_V4, on where the compiler can), every
 * external name suffixed _v4, and ree_lanes_of gives that build's lane hooks on a CPU with
 * AVX-512 (F, BW, CD, DQ and VL), unless REESIM_LANES_ISA=base. The bits are the same: the same
 * IEEE operations in the same order, no contraction into FMA (-ffp-contract=off), the same
 * library calls. ree_lanes_of(m) is NULL when m has no lane hooks; ree_lanes_v4 says which
 * build is in use. */
const struct ree_model_lanes *ree_lanes_of(const ree_model *m);
int ree_lanes_v4(void);

/* The 8-byte field `field` of struct `type` in every lane, as REE_LANES 64-bit words (a tag or
 * material mask that timelines may set per run). */
#define REE_LPW(par, type, field)                                                                  \
    (*(const ree_vl *)((const char *)(par) + offsetof(type, field) * REE_LANES))

/* Transpose REE_LANES parameter structs of `bytes` bytes (a multiple of 8) into `dst`
 * (bytes * REE_LANES, 8-byte aligned): word w of src[l] to word w * REE_LANES + l. */
void ree_lanes_transpose(void *dst, const void *const src[REE_LANES], size_t bytes);

/* What a node's lane hooks see and write in one step: ree_node_io (model.h) with every array a
 * lane vector per material (history per step and material); the same contract per lane. */
typedef struct ree_node_io_lanes {
    int step;
    int nmat;
    const ree_vd *stock, *position, *requested, *received;
    const ree_vd *history; /* [s * nmat + m] for steps s < step */
    const ree_vd *scarcity, *lead;
    const ree_vd *asked; /* offer() only; NULL elsewhere */
    ree_vd *produced, *consumed, *lost, *order, *offer;
    ree_vd *metrics; /* one lane vector per metric, in table order */
    ree_vd *price;
    gsl_rng *const *rng; /* REE_LANES streams: lane l's is rng[l] */
} ree_node_io_lanes;

/* What a gate's lane hooks see and write: ree_gate_io with a lane vector per link (per metric
 * for metrics). material and end_use are the runs' shared values; rule[i] is the transposed
 * effective parameters of link i's rule (NULL: none), the array NULL when the gate has none. */
typedef struct ree_gate_io_lanes {
    int step;
    int nlink;
    const int *material;
    const uint64_t *end_use;
    const ree_vd *applied, *shipped;
    ree_vd *licensed, *on_order, *metrics;
    gsl_rng *const *rng;
    const void *const *rule;
    ree_vd *granted; /* may be NULL */
} ree_gate_io_lanes;

/* A model's lane hooks: set exactly where the scalar ones are (tests/unit/test_model_lanes.c
 * checks), with the same meaning per lane. */
typedef struct ree_model_lanes {
    size_t state_bytes; /* the lane state; state_size(ctx) when set */
    size_t (*state_size)(const ree_model_ctx *ctx);
    /* 0, or the offset in the state of a cache not zeroed before reset (see above): the hooks
     * must give the same bits whatever it holds, zeros or what earlier groups of any runs left. */
    size_t kept_from;
    void (*reset)(const void *par, void *state, const ree_model_ctx *ctx);
    void (*produce)(const void *par, void *state, const ree_node_io_lanes *io);
    void (*order)(const void *par, void *state, const ree_node_io_lanes *io);
    void (*offer)(const void *par, void *state, const ree_node_io_lanes *io);
    void (*consume)(const void *par, void *state, const ree_node_io_lanes *io);
    void (*account)(const void *par, void *state, const ree_node_io_lanes *io);
    void (*gate_decide)(const void *par, void *state, ree_gate_io_lanes *io);
    void (*gate_ship)(const void *par, void *state, ree_gate_io_lanes *io);
    void (*finish)(const void *par, const void *state, const ree_model_ctx *ctx, double *ind);
} ree_model_lanes;

#endif

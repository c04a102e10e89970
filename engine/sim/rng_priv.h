/*
 * The state of a ree_rng_philox generator, private to the stream code: rng.c (the scalar
 * generator) and rng_lanes.c (the lane draw, which computes the fresh blocks of eight streams at
 * once) both read and write it. Nothing else may: models and the engine go through rng.h.
 */
#ifndef REESIM_RNG_PRIV_H
#define REESIM_RNG_PRIV_H

#include <Random123/philox.h>

/* 32-bit outputs per 4x64 block: four words, low half first. */
#define HALVES_PER_BLOCK 8u

/* Position of the block number in the counter {run, kind, block, 0}. */
#define CTR_BLOCK 2

typedef struct philox_state {
    philox4x64_key_t key; /* {seed, entity} */
    philox4x64_ctr_t ctr; /* {run, kind, next block, 0} */
    philox4x64_ctr_t out; /* current output block */
    unsigned idx;         /* next 32-bit half of `out` to hand out; 8 = block used up */
} philox_state;

#endif

/*
 * Lane draws (engine/model_lanes.h): ree_rng_uniform_pos_gsl, ree_rng_uniform_pos and
 * gsl_ran_binomial in every lane of a lockstep group at once (rng_lanes.c).
 */
#ifndef REESIM_RNG_LANES_H
#define REESIM_RNG_LANES_H

#include <gsl/gsl_rng.h>

#include "model_lanes.h"
#include "rng.h"

/* In every lane l whose mask word is nonzero: u[l] = ree_rng_uniform_pos_gsl(r[l]), bit for bit,
 * leaving r[l] exactly where that call would. Lanes whose mask word is 0: neither u[l] nor r[l]
 * is touched (r[l] is not read and may be NULL). The r[l] of the set lanes must be distinct
 * generators (each lane its own stream): the lanes are not drawn one after another. Any
 * generator type works; a ree_rng_philox one at the end of its block (the first draw after
 * ree_rng_select*, or after eight 32-bit outputs) has its next block computed together with the
 * other lanes' in one 8-lane Philox4x64-10 evaluation (AVX-512 in the x86-64-v4 build, one lane
 * at a time in the baseline one). */
void ree_rng_uniform_pos_gsl_lanes(gsl_rng *const r[REE_LANES], const ree_vl *mask, ree_vd *u);

/* The same for ree_rng_uniform_pos, the engine's own draw (regime transitions, random link
 * delays): u[l] = ree_rng_uniform_pos(r[l]) in the set lanes, bit for bit and leaving r[l] where
 * that call would; fresh blocks computed together as above. Every set lane's r[l] must be a
 * ree_rng_philox generator, as for ree_rng_uniform_pos. */
void ree_rng_uniform_pos_lanes(gsl_rng *const r[REE_LANES], const ree_vl *mask, ree_vd *u);

/* In every lane l whose mask word is nonzero: k[l] = gsl_ran_binomial(r[l], (*p)[l], n[l]), bit
 * for bit, leaving r[l] exactly where that call would (the same preconditions on r as above).
 * GSL's inversion (BINV, where n min(p, 1 - p) < 14) runs on the lanes together, the same
 * operations in the same order per lane; its other method (BTPE, which calls glibc's log) and a
 * retry after roundoff (u within a few ulps of 1) go through gsl_ran_binomial lane by lane. */
void ree_ran_binomial_lanes(gsl_rng *const r[REE_LANES], const ree_vl *mask, const ree_vd *p,
                            const unsigned int n[REE_LANES], unsigned int k[REE_LANES]);

#endif

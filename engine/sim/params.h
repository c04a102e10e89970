/*
 * Parameter values: from a plan's specifications to a model's parameter struct.
 */
#ifndef REESIM_PARAMS_H
#define REESIM_PARAMS_H

#include <gsl/gsl_rng.h>
#include "plan.h"

/* Write one parameter value into the struct `params` of entity `e`'s model. When `rng` is NULL
 * a distribution contributes its central value (its mean, clipped to its support); otherwise one
 * sample, drawn from `rng` as positioned by the caller. Integral parameters are rounded. */
void ree_param_write(const ree_param_def *def, const ree_pspec *spec, void *params, gsl_rng *rng);

/* Fill the whole struct of entity `e` with central values (rng NULL) or with samples, selecting
 * for each parameter the stream (seed, run, phash, REE_STREAM_PARAMS) on `rng`. */
void ree_params_fill(const ree_plan *p, int e, void *params, gsl_rng *rng, unsigned long long seed,
                     long long run);

#endif

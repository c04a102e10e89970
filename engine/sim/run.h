/*
 * One Monte Carlo run, stepped one month at a time (init / step / done), so tests can drive a
 * run tick by tick. A ree_run is a workspace: allocated once per thread from a plan, reset for
 * each run, never allocating after ree_run_alloc.
 */
#ifndef REESIM_RUN_H
#define REESIM_RUN_H

#include "plan.h"

typedef struct ree_run ree_run;

/* Workspace for runs of plan `p` (which must outlive it). NULL when out of memory. */
ree_run *ree_run_alloc(const ree_plan *p);
void ree_run_free(ree_run *r);

/* Same, for runs clipped to the first `nsteps` steps of the plan's horizon (1..plan nsteps): the
 * run stops there, models and indicators see a horizon of `nsteps` months, and series are laid
 * out with `nsteps` columns. For tests and the simulation's fuzz target. NULL when out of memory
 * or `nsteps` is out of range. */
ree_run *ree_run_alloc_horizon(const ree_plan *p, int nsteps);

/* Turn the mass-balance check on or off (off by default). */
void ree_run_set_check(ree_run *r, int on);

/* Start run number `run` (0-based) of seed `seed`: sample every uncertain parameter from its
 * keyed stream, apply timeline events dated at or before the start, reset every model. */
void ree_run_reset(ree_run *r, unsigned long long seed, long long run);

/* Advance one step. Returns REE_OK, or REE_EBALANCE with a message (ree_run_error) naming the
 * node, material, step and residual when the check is on and fails, or REE_ENONFINITE when a
 * stock or residual is not finite (check on), or when any value recorded for the step or any
 * node's stock or order is not finite or exceeds REE_RUN_VALUE_MAX (1e100) in magnitude
 * (always), with a message naming the entity, metric, step and month. The step is taken
 * either way.
 * Calling it after the last step returns REE_EINTERNAL. */
ree_status ree_run_step(ree_run *r);

/* Run every remaining step, then compute the indicators. Returns as ree_run_step, stopping at the
 * first failing step; REE_ENONFINITE also when an indicator is out of that range. */
ree_status ree_run_finish(ree_run *r);

/* Steps taken so far in this run. */
int ree_run_steps_done(const ree_run *r);

/* Series values: entry [s * nsteps + t] for series s and step t (steps not yet taken are 0);
 * nsteps is the run's horizon (the plan's, or the one given to ree_run_alloc_horizon). */
const double *ree_run_series(const ree_run *r);

/* Indicators of the finished run, in plan order. */
const double *ree_run_indicators(const ree_run *r);

/* Stock of material m at node n now, in t. */
double ree_run_stock(const ree_run *r, int node, int material);

/* Message of the last failure ("" when none). */
const char *ree_run_error(const ree_run *r);

#endif

/*
 * Runs in lockstep (issue 12): REE_LANES runs of one plan stepped together, every per-run value
 * of the step an array over the lanes (engine/model_lanes.h), the models' lane hooks called once
 * for all lanes. Each lane gives the bits ree_run gives for its run (run.h): the same parameters,
 * draws, step and checks, lane by lane; tests/unit/test_lrun.c compares them on every shipped
 * scenario. What is the run's and not the step's (parameter sampling, timeline events, regimes,
 * link parameters, streams, region accumulators, indicators and messages) stays in one ree_run
 * per lane, which the caller reads the results from (ree_lrun_run).
 */
#ifndef REESIM_LRUN_H
#define REESIM_LRUN_H

#include "model_lanes.h"
#include "run.h"

typedef struct ree_lrun ree_lrun;

/* A lockstep workspace for runs of plan `p`, or NULL when out of memory or when a model with
 * lane hooks has a parameter struct that does not transpose by words (the caller then steps
 * runs one at a time with ree_run). A model without lane hooks runs its scalar hooks lane by
 * lane, on each lane's ree_run. NULL too where the lane code's x86-64-v4 build is not in use
 * (ree_lanes_v4: a CPU without AVX-512), where lockstep is slower than one run at a time, and
 * where the workspace would take more than REE_LRUN_BUDGET bytes (about sixteen times one run's
 * step state: eight runs' lane arrays and their eight run workspaces; a large network's runs go
 * one at a time, so that lockstep adds at most that to a worker: the executor keeps one or two
 * workers per thread, exec.h), unless REESIM_LANES=1; and whenever REESIM_LANES=0 (to compare the two paths). */
#define REE_LRUN_BUDGET (64.0 * 1024 * 1024)
ree_lrun *ree_lrun_alloc(const ree_plan *p);
/* Same, for runs clipped to the first `nsteps` steps (ree_run_alloc_horizon), whatever
 * REESIM_LANES says: for tests and the simulation's fuzz target. */
ree_lrun *ree_lrun_alloc_horizon(const ree_plan *p, int nsteps);
void ree_lrun_free(ree_lrun *g);

void ree_lrun_set_check(ree_lrun *g, int on);

/* Start runs first .. first + count - 1 (1 <= count <= REE_LANES) of seed `seed` in lanes
 * 0 .. count - 1; the lanes past them repeat the last run and are not reported. */
void ree_lrun_reset(ree_lrun *g, unsigned long long seed, long long first, int count);

/* Every step and the indicators of every lane. Returns REE_OK, or the status of the first lane
 * (in run order) that failed, as ree_run_finish would for its run; *lane (may be NULL) is then
 * that lane. */
ree_status ree_lrun_finish(ree_lrun *g, int *lane);

/* The status of lane `lane`'s run after ree_lrun_finish (what ree_run_finish gave for it). */
ree_status ree_lrun_status(const ree_lrun *g, int lane);

/* The run of lane `lane` after ree_lrun_finish: ree_run_indicators and ree_run_error on it
 * give what a ree_run would give for that run (its series: ree_lrun_series). */
const ree_run *ree_lrun_run(const ree_lrun *g, int lane);

/* After ree_lrun_finish: lane `lane`'s series in ree_run_series's layout (copied out of the
 * lanes on this call), and every lane's at once as the lanes hold them, series value i of lane
 * l at [i * REE_LANES + l] (what ree_block_add_lanes takes). */
const double *ree_lrun_series(ree_lrun *g, int lane);
const double *ree_lrun_series_lanes(const ree_lrun *g);

#endif

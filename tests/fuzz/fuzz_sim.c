/*
 * Fuzz target for the simulation: any bytes that load as a scenario must run, and every value
 * they produce must be finite. Each input that loads runs twice (runs 0 and 1 of its seed) for at
 * most FUZZ_MONTHS months of its horizon (ree_run_alloc_horizon), with the mass-balance check on.
 * The target aborts (a crash to libFuzzer, a failed test to ctest) when
 *  - loading ends in anything but a plan or a validation error with at least one diagnostic
 *    (REE_EINVALID), e.g. REE_ENOMEM;
 *  - a run step returns anything but REE_OK (a balance violation, an internal error);
 *  - any series value of a step taken, or any indicator, is NaN or infinite;
 *  - the same runs stepped in lockstep (engine/sim/lrun.h) give other bits, another status or
 *    another message.
 * To keep each input fast it skips inputs over FUZZ_MAX_BYTES and plans of more than
 * FUZZ_MAX_ENTITIES entities. Built as a libFuzzer target with -DREESIM_FUZZ=ON (`make fuzz`),
 * otherwise linked with tests/fuzz/replay.c (ctest: fuzz_sim_replay).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "plan.h"
#include "lrun.h"
#include "run.h"

#define FUZZ_MONTHS       24
#define FUZZ_RUNS         2
#define FUZZ_MAX_BYTES    65536
#define FUZZ_MAX_ENTITIES 200

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_sim: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    abort();
}

/* Every value run `run` wrote: series up to the steps taken, then the indicators. */
static void check_finite(const ree_plan *p, const ree_run *r, int nsteps, long long run)
{
    const double *v = ree_run_series(r);
    char msg[512];
    for (int s = 0; s < p->nseries; s++)
        for (int t = 0; t < nsteps; t++) {
            double x = v[(size_t)s * (size_t)nsteps + (size_t)t];
            if (!isfinite(x)) {
                snprintf(msg, sizeof msg, "run %lld, series %s.%s, step %d: %g", run,
                         p->series[s].entity_name ? p->series[s].entity_name : "-",
                         p->series[s].metric ? p->series[s].metric : "-", t, x);
                fail("non-finite series value", msg);
            }
        }
    const double *ind = ree_run_indicators(r);
    for (int i = 0; i < p->nindicator; i++)
        if (!isfinite(ind[i])) {
            snprintf(msg, sizeof msg, "run %lld, indicator %s.%s: %g", run,
                     p->indicators[i].entity_name ? p->indicators[i].entity_name : "-",
                     p->indicators[i].name ? p->indicators[i].name : "-", ind[i]);
            fail("non-finite indicator", msg);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_BYTES)
        return 0;
    ree_diag *d = ree_diag_alloc(0);
    if (!d)
        return 0;
    ree_status st = REE_OK;
    ree_plan *p = ree_plan_load_buffer("fuzz.yaml", (const char *)data, size, d, &st);
    if (!p) {
        if (st != REE_EINVALID || ree_diag_count(d) == 0)
            fail("loading failed without a validation error", ree_status_message((ree_status)st));
        ree_diag_free(d);
        return 0;
    }
    if (st != REE_OK)
        fail("a plan with a failure status", ree_status_message((ree_status)st));
    if (p->nentity <= FUZZ_MAX_ENTITIES) {
        int nsteps = p->nsteps < FUZZ_MONTHS ? p->nsteps : FUZZ_MONTHS;
        ree_run *r = ree_run_alloc_horizon(p, nsteps);
        ree_lrun *g = ree_lrun_alloc_horizon(p, nsteps);
        if (!r || !g)
            fail("ree_run_alloc_horizon", "out of memory");
        ree_run_set_check(r, 1);
        ree_lrun_set_check(g, 1);
        ree_lrun_reset(g, p->seed, 0, FUZZ_RUNS);
        if (ree_lrun_finish(g, NULL) != REE_OK)
            fail("in lockstep", "a run failed");
        size_t ns = (size_t)p->nseries * (size_t)nsteps;
        for (long long run = 0; run < FUZZ_RUNS; run++) {
            ree_run_reset(r, p->seed, run);
            st = ree_run_finish(r);
            if (st != REE_OK)
                fail(ree_status_message((ree_status)st), ree_run_error(r));
            check_finite(p, r, nsteps, run);
            if (memcmp(ree_run_series(r), ree_lrun_series(g, (int)run), ns * sizeof(double)) ||
                memcmp(ree_run_indicators(r), ree_run_indicators(ree_lrun_run(g, (int)run)),
                       (size_t)p->nindicator * sizeof(double)))
                fail("in lockstep", "other values than one run at a time");
        }
        ree_lrun_free(g);
        ree_run_free(r);
    }
    ree_plan_free(p);
    ree_diag_free(d);
    return 0;
}

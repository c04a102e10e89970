/* The public interface's accessors and the simulate/results facade over the Monte Carlo driver
 * (see reesim/reesim.h). */
#include <stdlib.h>
#include <string.h>
#include "mc.h"
#include "plan.h"

struct ree_results {
    const ree_plan *p;
    ree_mc_result mc;
};

const char *ree_plan_name(const ree_plan *p)
{
    return p->name;
}

int ree_plan_steps(const ree_plan *p)
{
    return p->nsteps;
}

long long ree_plan_runs(const ree_plan *p)
{
    return p->runs;
}

unsigned long long ree_plan_seed(const ree_plan *p)
{
    return p->seed;
}

int ree_plan_series_count(const ree_plan *p)
{
    return p->nseries;
}

void ree_plan_series_name(const ree_plan *p, int i, const char **entity, const char **metric,
                          const char **unit)
{
    const ree_series *s = i >= 0 && i < p->nseries ? &p->series[i] : NULL;
    *entity = s ? s->entity_name : NULL;
    *metric = s ? s->metric : NULL;
    *unit = s ? s->unit : NULL;
}

int ree_plan_series_find(const ree_plan *p, const char *entity, const char *metric)
{
    for (int i = 0; i < p->nseries; i++)
        if (!strcmp(p->series[i].entity_name, entity) && !strcmp(p->series[i].metric, metric))
            return i;
    return -1;
}

int ree_plan_indicator_count(const ree_plan *p)
{
    return p->nindicator;
}

void ree_plan_indicator_name(const ree_plan *p, int i, const char **entity, const char **name,
                             const char **unit)
{
    const ree_indicator *k = i >= 0 && i < p->nindicator ? &p->indicators[i] : NULL;
    *entity = k ? k->entity_name : NULL;
    *name = k ? k->name : NULL;
    *unit = k ? k->unit : NULL;
}

int ree_plan_indicator_find(const ree_plan *p, const char *entity, const char *name)
{
    for (int i = 0; i < p->nindicator; i++)
        if (!strcmp(p->indicators[i].entity_name, entity) && !strcmp(p->indicators[i].name, name))
            return i;
    return -1;
}

ree_sim_opts ree_sim_opts_default(const ree_plan *p)
{
    return (ree_sim_opts){.nruns = p->runs, .seed = p->seed, .threads = 1};
}

ree_results *ree_simulate(const ree_plan *p, const ree_sim_opts *o, ree_status *status, char *err,
                          size_t errlen)
{
    if (o->nruns < 1 || o->threads < 1) {
        snprintf(err, errlen, "need at least one run and one thread (got %lld runs, %d threads)",
                 o->nruns, o->threads);
        *status = REE_EUSAGE;
        return NULL;
    }
    ree_results *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        *status = REE_ENOMEM;
        return NULL;
    }
    r->p = p;
    ree_mc_opts mo = {.nruns = o->nruns,
                      .seed = o->seed,
                      .threads = o->threads,
                      .check = o->check_balance,
                      .cancel = o->cancel,
                      .progress = o->progress,
                      .progress_arg = o->progress_arg};
    *status = (ree_status)ree_mc_run(p, &mo, NULL, &r->mc, err, errlen);
    if (*status != REE_OK) {
        free(r);
        return NULL;
    }
    return r;
}

void ree_results_free(ree_results *r)
{
    if (!r)
        return;
    ree_mc_result_free(&r->mc);
    free(r);
}

static void summary_of(const ree_acc *a, size_t cell, ree_summary *out)
{
    ree_cell_stats c;
    ree_acc_cell(a, cell, &c);
    *out = (ree_summary){.n = c.n,
                         .mean = c.mean,
                         .sd = c.sd,
                         .min = c.min,
                         .max = c.max,
                         .p05 = c.p05,
                         .p25 = c.p25,
                         .p50 = c.p50,
                         .p75 = c.p75,
                         .p95 = c.p95};
}

ree_status ree_results_series(const ree_results *r, int series, int step, ree_summary *out)
{
    if (series < 0 || series >= r->p->nseries || step < 0 || step >= r->p->nsteps)
        return REE_EUSAGE;
    summary_of(r->mc.series, (size_t)series * (size_t)r->p->nsteps + (size_t)step, out);
    return REE_OK;
}

ree_status ree_results_indicator(const ree_results *r, int i, ree_summary *out)
{
    if (i < 0 || i >= r->p->nindicator)
        return REE_EUSAGE;
    summary_of(r->mc.indicators, (size_t)i, out);
    return REE_OK;
}

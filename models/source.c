/*
 * source: a mine or concentrate producer. It makes its output mix from nothing, at a capacity that
 * may ramp up, subject to random outages and to a cap on the stock it will hold.
 *
 * Per step t (months since the horizon start), in the produce() hook:
 *   ramp       = clamp((t - ramp_start) / ramp_months, 0, 1)                          [1]
 *                (ramp_months = 0: 1 once t >= ramp_start)
 *   cap_t      = max(0, capacity + ramp_add * ramp)                                   [t/month]
 *   outage     : a two-state Markov chain. One uniform u in (0,1) is drawn from io->rng
 *                every step, whatever the state, unless the chance of a change is 0 or 1
 *                (which u cannot change; the stream is keyed per step, so this moves no
 *                other draw and scenarios stay on common random numbers).
 *                up -> down when u < outage_prob;
 *                down -> up when u < 1 / outage_months (mean outage length outage_months).
 *                The chain starts up; the transition is applied before producing.
 *   room       = max(0, max_stock - sum of stock[m] over output materials)            [t]
 *   production = min(down ? 0 : cap_t * utilisation, room)                            [t]
 *   produced[m] = production * output[m]                                              [t]
 * Nothing is consumed or lost. order() and consume() are not used: a source has no inputs.
 *
 * Parameters (see the table below): output mix (shares summing to 1), capacity [t/month],
 * utilisation [1], ramp_add [t/month], ramp_start [date], ramp_months [months], outage_prob
 * [1/month], outage_months [months], max_stock [t].
 *
 * Where the numbers come from:
 *  - capacity has no default (it is required). For scale: Mountain Pass produced a record 51,000 t
 *    REO of concentrate in 2025, about 4,250 t/month (USGS MCS 2026, shared/data/facts-detailed.md
 *    s.2a); China's 2024 mining quota was 270,000 t, 22,500 t/month (MIIT via Reuters, s.1a).
 *  - ramp_months 12: the Lynas Malaysia heavy rare-earth circuit went from start to first Dy oxide
 *    in about 11 months (australianmining.com.au, facts-detailed.md s.7); greenfield plants take
 *    3-8 years (IEA, s.7), which scenarios express through ramp_start.
 *  - outage_prob 0 and outage_months 2 are assumptions (no outage statistics in shared/data): a
 *    scenario that wants outages sets outage_prob explicitly.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>

#include "model_lanes.h"
#include "rng.h"
#include "rng_lanes.h"

typedef struct source_params {
    const double *output; /* 1, share of each material in the output */
    double capacity;      /* t/month */
    double utilisation;   /* 1 */
    double ramp_add;      /* t/month */
    double ramp_start;    /* steps after the horizon start */
    double ramp_months;   /* months */
    double outage_prob;   /* 1/month */
    double outage_months; /* months */
    double max_stock;     /* t */
} source_params;

typedef struct source_state {
    int down;                /* 1 while in an outage */
    double total_production; /* t */
    double outage_steps;     /* months */
    uint64_t out_mask;       /* bit m set when output[m] > 0 (output is fixed for a run) */
} source_state;

#define SHARE_TOL 1e-9 /* tolerance on the output shares summing to 1 */

static const ree_param_def source_param_defs[] = {
    {.key = "output",
     .type = REE_PT_MATMAP,
     .offset = offsetof(source_params, output),
     .required = 1,
     .max = 1,
     .flags = REE_PF_OUT,
     .unit = "1",
     .doc = "share of each material in the output (sums to 1)"},
    {.key = "capacity",
     .type = REE_PT_NUM,
     .offset = offsetof(source_params, capacity),
     .required = 1,
     .max = REE_MAX_TONNES,
     .unit = "t/month",
     .doc = "nameplate capacity before any ramp-up"},
    {.key = "utilisation",
     .type = REE_PT_NUM,
     .offset = offsetof(source_params, utilisation),
     .def = 1,
     .max = 1,
     .flags = REE_PF_TIMELINE,
     .unit = "1",
     .doc = "share of capacity used"},
    {.key = "ramp_add",
     .type = REE_PT_NUM,
     .offset = offsetof(source_params, ramp_add),
     .max = REE_MAX_TONNES,
     .flags = REE_PF_TIMELINE,
     .unit = "t/month",
     .doc = "capacity added by a ramp-up"},
    {.key = "ramp_start",
     .type = REE_PT_DATE,
     .offset = offsetof(source_params, ramp_start),
     .min = -INFINITY,
     .max = INFINITY,
     .unit = "date",
     .doc = "month the ramp-up starts"},
    {.key = "ramp_months",
     .type = REE_PT_NUM,
     .offset = offsetof(source_params, ramp_months),
     .def = 12,
     .max = REE_MAX_MONTHS,
     .unit = "months",
     .doc = "length of the linear ramp-up (0: a step)"},
    {.key = "outage_prob",
     .type = REE_PT_NUM,
     .offset = offsetof(source_params, outage_prob),
     .max = 1,
     .flags = REE_PF_TIMELINE,
     .unit = "1/month",
     .doc = "probability an outage starts in a month"},
    {.key = "outage_months",
     .type = REE_PT_NUM,
     .offset = offsetof(source_params, outage_months),
     .def = 2,
     .min = 1,
     .max = REE_MAX_MONTHS,
     .unit = "months",
     .doc = "mean outage duration"},
    {.key = "max_stock",
     .type = REE_PT_NUM,
     .offset = offsetof(source_params, max_stock),
     .def = INFINITY,
     .max = REE_MAX_TONNES,
     .flags = REE_PF_NULL_INF,
     .unit = "t",
     .doc = "production stops once the output stock reaches this"},
};

static const ree_metric_def source_metric_defs[] = {
    {"capacity", "t/month", "capacity this month, ramp included", REE_DIR_HIGHER_BETTER, 0},
    {"production", "t", "output produced", REE_DIR_HIGHER_BETTER, 0},
    {"outage", "1", "1 during an outage", REE_DIR_HIGHER_WORSE, 0},
};

static const ree_metric_def source_indicator_defs[] = {
    {"production", "t", "total output over the horizon", REE_DIR_HIGHER_BETTER, 0},
    {"outage_months", "months", "months spent in an outage", REE_DIR_HIGHER_WORSE, 0},
};

static double clamp(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

static double ramped_capacity(const source_params *p, int step)
{
    double f;
    if (p->ramp_months > 0)
        f = clamp(((double)step - p->ramp_start) / p->ramp_months, 0, 1);
    else
        f = (double)step >= p->ramp_start ? 1 : 0;
    double cap = p->capacity + p->ramp_add * f;
    return cap > 0 ? cap : 0;
}

static int source_check(const void *params, const ree_model_ctx *ctx, const char **key, char *why,
                        size_t whylen)
{
    const source_params *p = params;
    double sum = 0;
    for (int m = 0; m < ctx->nmat; m++) {
        if (!(p->output[m] >= 0 && p->output[m] <= 1)) {
            *key = "output";
            snprintf(why, whylen, "share of %s must be in [0, 1], found %g",
                     ctx->material_ids ? ctx->material_ids[m] : "?", p->output[m]);
            return -1;
        }
        sum += p->output[m];
    }
    if (fabs(sum - 1) > SHARE_TOL) {
        *key = "output";
        snprintf(why, whylen, "shares must sum to 1, found %.12g", sum);
        return -1;
    }
    return 0;
}

static void source_reset(const void *params, void *state, const ree_model_ctx *ctx)
{
    const source_params *p = params;
    source_state *s = state;
    s->down = 0;
    s->total_production = 0;
    s->outage_steps = 0;
    s->out_mask = 0;
    for (int m = 0; m < ctx->nmat && m < REE_MAX_MATERIALS; m++)
        if (p->output[m] > 0)
            s->out_mask |= UINT64_C(1) << m;
}

static void source_produce(const void *params, void *state, const ree_node_io *io)
{
    const source_params *p = params;
    source_state *s = state;

    /* The chance to change state; at 0 or 1 (outage_prob 0, the default, or outage_months 1)
     * u in (0,1) decides nothing, so it is not drawn: the stream is keyed per step and this is
     * the model's only draw, so no other draw moves. */
    double q = s->down ? 1.0 / p->outage_months : p->outage_prob;
    int change = q > 0 && q < 1 ? ree_rng_uniform_pos_gsl(io->rng) < q : q >= 1;
    if (change)
        s->down = !s->down;

    double cap = ramped_capacity(p, io->step);
    double held = 0; /* stock of the output materials, in material order */
    uint64_t out = io->nmat >= REE_MAX_MATERIALS ? s->out_mask
                   : io->nmat > 0                ? s->out_mask & ((UINT64_C(1) << io->nmat) - 1)
                                                 : 0;
    for (; out; out &= out - 1)
        held += io->stock[__builtin_ctzll(out)];
    double room = p->max_stock - held;
    if (!(room > 0))
        room = 0;
    double production = s->down ? 0 : cap * p->utilisation;
    if (production > room)
        production = room;

    for (int m = 0; m < io->nmat; m++)
        io->produced[m] = production * p->output[m];

    s->total_production += production;
    if (s->down)
        s->outage_steps += 1;
    io->metrics[0] = cap;
    io->metrics[1] = production;
    io->metrics[2] = s->down ? 1 : 0;
}

static void source_finish(const void *params, const void *state, const ree_model_ctx *ctx,
                          double *indicators)
{
    (void)params;
    (void)ctx;
    const source_state *s = state;
    indicators[0] = s->total_production;
    indicators[1] = s->outage_steps;
}

/* The hooks on lanes (model_lanes.h): the same operations per lane. */
typedef struct source_state_lanes {
    ree_vd down; /* 1 while in an outage, else 0: the outage metric as it is */
    ree_vd total_production, outage_steps;
    uint64_t out_mask; /* output is a MATMAP, the same in every lane */
} source_state_lanes;

static void source_reset_lanes(const void *params, void *state, const ree_model_ctx *ctx)
{
    const double *output = REE_LP0(params, source_params, output, const double *);
    source_state_lanes *s = state;
    for (int m = 0; m < ctx->nmat && m < REE_MAX_MATERIALS; m++)
        if (output[m] > 0)
            s->out_mask |= UINT64_C(1) << m;
}

static void source_produce_lanes(const void *params, void *state, const ree_node_io_lanes *io)
{
    const double *output = REE_LP0(params, source_params, output, const double *);
    ree_vd capacity = REE_LP(params, source_params, capacity);
    ree_vd util = REE_LP(params, source_params, utilisation);
    ree_vd ramp_add = REE_LP(params, source_params, ramp_add);
    ree_vd ramp_start = REE_LP(params, source_params, ramp_start);
    ree_vd ramp_months = REE_LP(params, source_params, ramp_months);
    ree_vd outage_prob = REE_LP(params, source_params, outage_prob);
    ree_vd outage_months = REE_LP(params, source_params, outage_months);
    ree_vd max_stock = REE_LP(params, source_params, max_stock);
    source_state_lanes *s = state;
    ree_vd zero = REE_VSPLAT(0.0), one = REE_VSPLAT(1.0);

    /* The chain: a lane draws only where its q is strictly between 0 and 1, as the scalar hook
     * does, so each stream ends where the scalar run's does; u is not read in the other lanes. */
    ree_vl down = s->down != zero;
    ree_vd q = REE_VSEL(down, one / outage_months, outage_prob);
    ree_vl draw = (q > zero) & (q < one);
    ree_vd u = one;
    if (REE_VANY(draw))
        ree_rng_uniform_pos_gsl_lanes(io->rng, &draw, &u);
    ree_vl change = (draw & (u < q)) | (~draw & (q >= one));
    s->down = REE_VSEL(change, one - s->down, s->down);
    down = s->down != zero;

    /* ramped_capacity() with both branches computed: x (inf or NaN where ramp_months is 0) is
     * not selected there. */
    ree_vd t = REE_VSPLAT((double)io->step);
    ree_vd x = (t - ramp_start) / ramp_months;
    ree_vd f = REE_VSEL(x < zero, zero, REE_VSEL(x > one, one, x));
    f = REE_VSEL(ramp_months > zero, f, REE_VSEL(t >= ramp_start, one, zero));
    ree_vd cap = capacity + ramp_add * f;
    cap = REE_VSEL(cap > zero, cap, zero);

    ree_vd held = zero;
    uint64_t out = io->nmat >= REE_MAX_MATERIALS ? s->out_mask
                   : io->nmat > 0                ? s->out_mask & ((UINT64_C(1) << io->nmat) - 1)
                                                 : 0;
    for (; out; out &= out - 1)
        held += io->stock[__builtin_ctzll(out)];
    ree_vd room = max_stock - held;
    room = REE_VSEL(room > zero, room, zero);
    ree_vd production = REE_VSEL(down, zero, cap * util);
    production = REE_VSEL(production > room, room, production);

    for (int m = 0; m < io->nmat; m++)
        io->produced[m] = production * REE_VSPLAT(output[m]);

    s->total_production += production;
    s->outage_steps = REE_VSEL(down, s->outage_steps + one, s->outage_steps);
    io->metrics[0] = cap;
    io->metrics[1] = production;
    io->metrics[2] = s->down;
}

static void source_finish_lanes(const void *params, const void *state, const ree_model_ctx *ctx,
                                double *ind)
{
    (void)params;
    (void)ctx;
    const source_state_lanes *s = state;
    for (int l = 0; l < REE_LANES; l++) {
        ind[0 * REE_LANES + l] = s->total_production[l];
        ind[1 * REE_LANES + l] = s->outage_steps[l];
    }
}

static const ree_model_lanes source_lanes = {
    .state_bytes = sizeof(source_state_lanes),
    .reset = source_reset_lanes,
    .produce = source_produce_lanes,
    .finish = source_finish_lanes,
};

const ree_model ree_model_source = {
    .name = "source",
    .summary = "mine or concentrate producer: ramping capacity, random outages",
    .kind = REE_MODEL_NODE,
    .flags = 0,
    .params = source_param_defs,
    .nparams = sizeof source_param_defs / sizeof source_param_defs[0],
    .params_size = sizeof(source_params),
    .metrics = source_metric_defs,
    .nmetrics = sizeof source_metric_defs / sizeof source_metric_defs[0],
    .indicators = source_indicator_defs,
    .nindicators = sizeof source_indicator_defs / sizeof source_indicator_defs[0],
    .state_bytes = sizeof(source_state),
    .check = source_check,
    .reset = source_reset,
    .produce = source_produce,
    .finish = source_finish,
    .lanes = &source_lanes,
};

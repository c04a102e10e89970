/*
 * stockpile: a strategic stockpile of one material (e.g. the National Defense Stockpile). It
 * releases stock when the material is scarce and the release policy is on, and refills towards a
 * target otherwise. The engine ships; the model only bounds what may ship (offer) and orders.
 *
 * Per step t (m = material, sc = io->scarcity[m], last step's shortage ratio, 0..1):
 *   releasing = release > 0.5 && ((sc >= trigger && sc > 0)
 *                                  || (releasing last step && requested[m] > 0))
 *             i.e. a release starts when scarcity reaches the trigger and goes on while its
 *             customers keep asking (they ask a rank-1 stockpile only when their first-choice
 *             supply falls short), so a release that hides the shortage does not switch itself
 *             off the next month.
 *   order() : order[m] = releasing || sc > 0 ? 0 : min(refill_rate, max(0, target - position[m]))
 *             (no refill while the material is scarce)
 *             and the level bookkeeping below (io->stock is the same in order() and offer()).
 *   offer() : offer[m] = releasing ? clamp(stock[m] - floor, 0, max_release) : 0;
 *             offer of every other material = 0.
 *   level   = stock[m] at order time                                                  [t]
 *   exhausted (this step) = the stockpile has held more than floor + 1e-9 at some step up to
 *             now, and level <= floor + 1e-9: it had releasable material and has none left.
 *             A stockpile that starts at or below its floor is not "exhausted" until it has
 *             first been filled above it.
 * The model does not see its shipments directly: what it shipped last step shows in io->stock.
 *
 * Metrics: level [t], releasing [1], exhausted [1].
 * Indicators: min_level [t] (least level over the run; 0 for an empty horizon), exhausted [1]
 * (ever exhausted), exhausted_month [months] (first step exhausted; nsteps if never).
 *
 * Where the numbers come from: the National Defense Stockpile's FY2024/25 plans include NdPr
 * oxide, NdFeB magnet block and SmCo alloy; the 2025 budget law gives $2bn to the NDS through
 * 2027 (USGS MCS 2025; FT 2025-10-12; shared/data/facts-detailed.md s.2d). No tonnages of
 * magnet-material holdings are public, so sizes (initial stock, target, refill_rate,
 * max_release) are scenario assumptions. Defaults: release on, trigger 0 (any scarcity), no
 * release cap, floor 0, no refill.
 */
#include <math.h>
#include <stddef.h>

#include "model_lanes.h"

#define LEVEL_EPS 1e-9 /* t: tolerance on "at the floor" */

typedef struct stockpile_params {
    int material;       /* material index */
    double release;     /* 1, policy switch: > 0.5 means releases allowed */
    double trigger;     /* 1, least scarcity that triggers releases */
    double max_release; /* t/month */
    double floor;       /* t, never released */
    double target;      /* t, refill target */
    double refill_rate; /* t/month */
} stockpile_params;

typedef struct stockpile_state {
    double level; /* t */
    int releasing;
    int exhausted;    /* this step */
    int filled;       /* has been above floor + LEVEL_EPS */
    double min_level; /* t, INFINITY before the first step */
    int ever_exhausted;
    int first_exhausted; /* step, -1 if never */
} stockpile_state;

static const ree_param_def stockpile_param_defs[] = {
    {.key = "material",
     .type = REE_PT_MATERIAL,
     .offset = offsetof(stockpile_params, material),
     .required = 1,
     .max = 0,
     .flags = REE_PF_OUT,
     .unit = "",
     .doc = "the material stockpiled"},
    {.key = "release",
     .type = REE_PT_NUM,
     .offset = offsetof(stockpile_params, release),
     .def = 1,
     .max = 1,
     .flags = REE_PF_TIMELINE,
     .unit = "1",
     .doc = "release policy switch (1 on, 0 off)"},
    {.key = "trigger",
     .type = REE_PT_NUM,
     .offset = offsetof(stockpile_params, trigger),
     .max = 1,
     .unit = "1",
     .doc = "least scarcity of the material that triggers releases"},
    {.key = "max_release",
     .type = REE_PT_NUM,
     .offset = offsetof(stockpile_params, max_release),
     .def = INFINITY,
     .max = REE_MAX_TONNES,
     .flags = REE_PF_NULL_INF | REE_PF_TIMELINE,
     .unit = "t/month",
     .doc = "most released in a month"},
    {.key = "floor",
     .type = REE_PT_NUM,
     .offset = offsetof(stockpile_params, floor),
     .max = REE_MAX_TONNES,
     .unit = "t",
     .doc = "stock never released"},
    {.key = "target",
     .type = REE_PT_NUM,
     .offset = offsetof(stockpile_params, target),
     .max = REE_MAX_TONNES,
     .unit = "t",
     .doc = "refill target"},
    {.key = "refill_rate",
     .type = REE_PT_NUM,
     .offset = offsetof(stockpile_params, refill_rate),
     .max = REE_MAX_TONNES,
     .flags = REE_PF_TIMELINE,
     .unit = "t/month",
     .doc = "most ordered for refill in a month"},
};

static const ree_metric_def stockpile_metric_defs[] = {
    {"level", "t", "stock held", REE_DIR_HIGHER_BETTER, REE_MD_HEADLINE},
    {"releasing", "1", "1 when releases are allowed this month", REE_DIR_NEUTRAL, 0},
    {"exhausted", "1", "1 when a once-filled stockpile is down to its floor", REE_DIR_HIGHER_WORSE,
     0},
};

static const ree_metric_def stockpile_indicator_defs[] = {
    {"min_level", "t", "least stock held over the run", REE_DIR_HIGHER_BETTER, 0},
    {"exhausted", "1", "1 if ever exhausted", REE_DIR_HIGHER_WORSE, REE_MD_HEADLINE},
    {"exhausted_month", "months", "first month exhausted (horizon length if never)",
     REE_DIR_HIGHER_BETTER, 0},
};

static int is_releasing(const stockpile_params *p, const stockpile_state *s, const ree_node_io *io)
{
    double sc = io->scarcity[p->material];
    int triggered = sc >= p->trigger && sc > 0;
    int still_asked = s->releasing && io->requested[p->material] > 0;
    return p->release > 0.5 && (triggered || still_asked);
}

static void write_metrics(const stockpile_state *s, double *metrics)
{
    metrics[0] = s->level;
    metrics[1] = s->releasing;
    metrics[2] = s->exhausted;
}

static void stockpile_reset(const void *params, void *state, const ree_model_ctx *ctx)
{
    (void)params;
    (void)ctx;
    stockpile_state *s = state;
    *s = (stockpile_state){0};
    s->min_level = INFINITY;
    s->first_exhausted = -1;
}

static void stockpile_order(const void *params, void *state, const ree_node_io *io)
{
    const stockpile_params *p = params;
    stockpile_state *s = state;
    int m = p->material;

    s->releasing = is_releasing(p, s, io);
    if (s->releasing || io->scarcity[m] > 0) {
        io->order[m] = 0;
    } else {
        double gap = p->target - io->position[m];
        if (!(gap > 0))
            gap = 0;
        io->order[m] = gap < p->refill_rate ? gap : p->refill_rate;
    }

    s->level = io->stock[m] > 0 ? io->stock[m] : 0;
    if (s->level < s->min_level)
        s->min_level = s->level;
    if (s->level > p->floor + LEVEL_EPS)
        s->filled = 1;
    s->exhausted = s->filled && s->level <= p->floor + LEVEL_EPS;
    if (s->exhausted && !s->ever_exhausted) {
        s->ever_exhausted = 1;
        s->first_exhausted = io->step;
    }
    write_metrics(s, io->metrics);
}

static void stockpile_offer(const void *params, void *state, const ree_node_io *io)
{
    const stockpile_params *p = params;
    const stockpile_state *s = state;
    int m = p->material;
    for (int i = 0; i < io->nmat; i++)
        io->offer[i] = 0;
    if (s->releasing) { /* decided in order(), earlier in the same step */
        double q = io->stock[m] - p->floor;
        if (!(q > 0))
            q = 0;
        io->offer[m] = q < p->max_release ? q : p->max_release;
    }
    write_metrics(s, io->metrics);
}

static void stockpile_finish(const void *params, const void *state, const ree_model_ctx *ctx,
                             double *indicators)
{
    (void)params;
    const stockpile_state *s = state;
    indicators[0] = isinf(s->min_level) ? 0 : s->min_level;
    indicators[1] = s->ever_exhausted;
    indicators[2] = s->ever_exhausted ? s->first_exhausted : ctx->nsteps;
}

/* The hooks on lanes (model_lanes.h): the same operations per lane. The flags are 0 or 1 as
 * doubles, the values the scalar hooks write as metrics and indicators. */
typedef struct stockpile_state_lanes {
    ree_vd level, releasing, exhausted, filled, min_level, ever_exhausted, first_exhausted;
} stockpile_state_lanes;

static void write_metrics_lanes(const stockpile_state_lanes *s, ree_vd *metrics)
{
    metrics[0] = s->level;
    metrics[1] = s->releasing;
    metrics[2] = s->exhausted;
}

static void stockpile_reset_lanes(const void *params, void *state, const ree_model_ctx *ctx)
{
    (void)params;
    (void)ctx;
    stockpile_state_lanes *s = state;
    s->min_level = REE_VSPLAT(INFINITY);
    s->first_exhausted = REE_VSPLAT(-1.0);
}

static void stockpile_order_lanes(const void *params, void *state, const ree_node_io_lanes *io)
{
    int m = REE_LP0(params, stockpile_params, material, int);
    ree_vd release = REE_LP(params, stockpile_params, release);
    ree_vd trigger = REE_LP(params, stockpile_params, trigger);
    ree_vd target = REE_LP(params, stockpile_params, target);
    ree_vd refill = REE_LP(params, stockpile_params, refill_rate);
    ree_vd floor_eps = REE_LP(params, stockpile_params, floor) + REE_VSPLAT(LEVEL_EPS);
    stockpile_state_lanes *s = state;
    ree_vd zero = REE_VSPLAT(0.0), one = REE_VSPLAT(1.0);

    ree_vd sc = io->scarcity[m];
    ree_vl triggered = (sc >= trigger) & (sc > zero);
    ree_vl still_asked = (s->releasing != zero) & (io->requested[m] > zero);
    ree_vl rel = (release > REE_VSPLAT(0.5)) & (triggered | still_asked);
    s->releasing = REE_VSEL(rel, one, zero);
    ree_vd gap = target - io->position[m];
    gap = REE_VSEL(gap > zero, gap, zero);
    io->order[m] = REE_VSEL(rel | (sc > zero), zero, REE_VSEL(gap < refill, gap, refill));

    s->level = REE_VSEL(io->stock[m] > zero, io->stock[m], zero);
    s->min_level = REE_VSEL(s->level < s->min_level, s->level, s->min_level);
    s->filled = REE_VSEL(s->level > floor_eps, one, s->filled);
    ree_vl exhausted = (s->filled != zero) & (s->level <= floor_eps);
    s->exhausted = REE_VSEL(exhausted, one, zero);
    ree_vl first = exhausted & (s->ever_exhausted == zero);
    s->ever_exhausted = REE_VSEL(first, one, s->ever_exhausted);
    s->first_exhausted = REE_VSEL(first, REE_VSPLAT((double)io->step), s->first_exhausted);
    write_metrics_lanes(s, io->metrics);
}

static void stockpile_offer_lanes(const void *params, void *state, const ree_node_io_lanes *io)
{
    int m = REE_LP0(params, stockpile_params, material, int);
    ree_vd max_release = REE_LP(params, stockpile_params, max_release);
    const stockpile_state_lanes *s = state;
    ree_vd zero = REE_VSPLAT(0.0);
    for (int i = 0; i < io->nmat; i++)
        io->offer[i] = zero;
    ree_vd q = io->stock[m] - REE_LP(params, stockpile_params, floor);
    q = REE_VSEL(q > zero, q, zero);
    io->offer[m] = REE_VSEL(s->releasing != zero, REE_VSEL(q < max_release, q, max_release), zero);
    write_metrics_lanes(s, io->metrics);
}

static void stockpile_finish_lanes(const void *params, const void *state, const ree_model_ctx *ctx,
                                   double *ind)
{
    (void)params;
    const stockpile_state_lanes *s = state;
    for (int l = 0; l < REE_LANES; l++) {
        ind[0 * REE_LANES + l] = isinf(s->min_level[l]) ? 0 : s->min_level[l];
        ind[1 * REE_LANES + l] = s->ever_exhausted[l];
        ind[2 * REE_LANES + l] = s->ever_exhausted[l] != 0 ? s->first_exhausted[l] : ctx->nsteps;
    }
}

static const ree_model_lanes stockpile_lanes = {
    .state_bytes = sizeof(stockpile_state_lanes),
    .reset = stockpile_reset_lanes,
    .order = stockpile_order_lanes,
    .offer = stockpile_offer_lanes,
    .finish = stockpile_finish_lanes,
};

const ree_model ree_model_stockpile = {
    .name = "stockpile",
    .summary = "strategic stockpile: releases under scarcity, refills towards a target",
    .kind = REE_MODEL_NODE,
    .flags = 0,
    .params = stockpile_param_defs,
    .nparams = sizeof stockpile_param_defs / sizeof stockpile_param_defs[0],
    .params_size = sizeof(stockpile_params),
    .metrics = stockpile_metric_defs,
    .nmetrics = sizeof stockpile_metric_defs / sizeof stockpile_metric_defs[0],
    .indicators = stockpile_indicator_defs,
    .nindicators = sizeof stockpile_indicator_defs / sizeof stockpile_indicator_defs[0],
    .state_bytes = sizeof(stockpile_state),
    .reset = stockpile_reset,
    .order = stockpile_order,
    .offer = stockpile_offer,
    .finish = stockpile_finish,
    .lanes = &stockpile_lanes,
};

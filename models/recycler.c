/*
 * recycler: recovers a material from end-of-life products. It collects a share of what the
 * demand sectors used `lag_months` earlier (the engine's consumption history) and recovers a
 * yield of it, within a capacity.
 *
 * Per step t, in the produce() hook:
 *   k   = max(1, lag_months)  (production runs before consumption within a step, so the
 *         latest final use a recycler can see is last step's; lag_months 0 and 1 both mean
 *         "the month after use")
 *   eol = history[(t - k) * nmat + feed] when t - k >= 0, else eol0                    [t]
 *   collected = collect * eol                                                          [t]
 *   recovered = min(capacity, yield * collected)                                       [t]
 *   produced[material] = recovered
 * Nothing is consumed or lost from stock: the feed was never in this node's stock, and neither
 * the yield loss nor collected material beyond capacity is booked.
 *
 * Metrics: collected [t], recovered [t]. Indicator: recovered [t, total].
 *
 * Where the numbers come from:
 *  - collect 0.01: recycling rates of rare earths are commonly put at about 1% (indicative,
 *    shared/data/facts.md "Recycling"; "less than 1%", UNEP origin, facts-detailed.md s.7).
 *    End-of-life flows stay small relative to demand through the 2020s (Rademaker et al. 2013).
 *  - yield 0.9 is an assumption: shared/data gives no recovery yield for magnet-to-magnet
 *    recycling (recycled NdFeB performs close to virgin: +3.5% volume for the same torque, Lee &
 *    Abbasian 2025, facts-detailed.md s.7).
 *  - lag_months 0 and eol0 0 are neutral defaults: product lifetimes (often 10-15 years for cars)
 *    are scenario assumptions; set eol0 to the pre-horizon end-of-life flow.
 */
#include <math.h>
#include <stddef.h>

#include "model_lanes.h"

typedef struct recycler_params {
    int material;      /* material index, recovered */
    int feed;          /* material index, end-of-life material collected */
    double collect;    /* 1 */
    double lag_months; /* months, integral */
    double eol0;       /* t/month */
    double yield;      /* 1 */
    double capacity;   /* t/month */
} recycler_params;

typedef struct recycler_state {
    double total_recovered; /* t */
} recycler_state;

static const ree_param_def recycler_param_defs[] = {
    {.key = "material",
     .type = REE_PT_MATERIAL,
     .offset = offsetof(recycler_params, material),
     .required = 1,
     .max = 0,
     .flags = REE_PF_OUT,
     .unit = "",
     .doc = "the material recovered"},
    {.key = "feed",
     .type = REE_PT_MATERIAL,
     .offset = offsetof(recycler_params, feed),
     .required = 1,
     .max = 0,
     .unit = "",
     .doc = "the end-of-life material collected (from sector consumption)"},
    {.key = "collect",
     .type = REE_PT_NUM,
     .offset = offsetof(recycler_params, collect),
     .def = 0.01,
     .max = 1,
     .flags = REE_PF_TIMELINE,
     .unit = "1",
     .doc = "share of end-of-life material collected"},
    {.key = "lag_months",
     .type = REE_PT_NUM,
     .offset = offsetof(recycler_params, lag_months),
     .max = 600,
     .flags = REE_PF_INT,
     .unit = "months",
     .doc = "months between final use and collection (at least 1 in effect)"},
    {.key = "eol0",
     .type = REE_PT_NUM,
     .offset = offsetof(recycler_params, eol0),
     .max = REE_MAX_TONNES,
     .unit = "t/month",
     .doc = "end-of-life flow before the horizon"},
    {.key = "yield",
     .type = REE_PT_NUM,
     .offset = offsetof(recycler_params, yield),
     .def = 0.9,
     .max = 1,
     .unit = "1",
     .doc = "share of collected material recovered"},
    {.key = "capacity",
     .type = REE_PT_NUM,
     .offset = offsetof(recycler_params, capacity),
     .def = INFINITY,
     .max = REE_MAX_TONNES,
     .flags = REE_PF_NULL_INF | REE_PF_TIMELINE,
     .unit = "t/month",
     .doc = "most recovered in a month"},
};

static const ree_metric_def recycler_metric_defs[] = {
    {"collected", "t", "end-of-life material collected", REE_DIR_HIGHER_BETTER, 0},
    {"recovered", "t", "material recovered into stock", REE_DIR_HIGHER_BETTER, 0},
};

static const ree_metric_def recycler_indicator_defs[] = {
    {"recovered", "t", "total material recovered", REE_DIR_HIGHER_BETTER, 0},
};

static void recycler_reset(const void *params, void *state, const ree_model_ctx *ctx)
{
    (void)params;
    (void)ctx;
    recycler_state *s = state;
    s->total_recovered = 0;
}

static void recycler_produce(const void *params, void *state, const ree_node_io *io)
{
    const recycler_params *p = params;
    recycler_state *s = state;

    int lag = (int)p->lag_months;
    if (lag < 1)
        lag = 1;
    int src = io->step - lag;
    double eol = src >= 0 ? io->history[(size_t)src * (size_t)io->nmat + (size_t)p->feed] : p->eol0;
    if (!(eol > 0))
        eol = 0;

    double collected = p->collect * eol;
    double recovered = p->yield * collected;
    if (recovered > p->capacity)
        recovered = p->capacity;
    io->produced[p->material] = recovered;

    s->total_recovered += recovered;
    io->metrics[0] = collected;
    io->metrics[1] = recovered;
}

static void recycler_finish(const void *params, const void *state, const ree_model_ctx *ctx,
                            double *indicators)
{
    (void)params;
    (void)ctx;
    const recycler_state *s = state;
    indicators[0] = s->total_recovered;
}

/* The hooks on lanes (model_lanes.h): the same operations per lane. */
typedef struct recycler_state_lanes {
    ree_vd total_recovered;
} recycler_state_lanes;

static void recycler_reset_lanes(const void *params, void *state, const ree_model_ctx *ctx)
{
    (void)params;
    (void)ctx;
    recycler_state_lanes *s = state;
    s->total_recovered = REE_VSPLAT(0.0);
}

static void recycler_produce_lanes(const void *params, void *state, const ree_node_io_lanes *io)
{
    int mat = REE_LP0(params, recycler_params, material, int);
    int feed = REE_LP0(params, recycler_params, feed, int);
    ree_vd lag_months = REE_LP(params, recycler_params, lag_months);
    ree_vd eol0 = REE_LP(params, recycler_params, eol0);
    ree_vd collect = REE_LP(params, recycler_params, collect);
    ree_vd yield = REE_LP(params, recycler_params, yield);
    ree_vd capacity = REE_LP(params, recycler_params, capacity);
    recycler_state_lanes *s = state;
    ree_vd zero = REE_VSPLAT(0.0);

    /* Per lane: the lag may differ between runs, so each lane reads its own step of history. */
    ree_vd eol;
    for (int l = 0; l < REE_LANES; l++) {
        int lag = (int)lag_months[l];
        if (lag < 1)
            lag = 1;
        int src = io->step - lag;
        eol[l] = src >= 0 ? io->history[(size_t)src * (size_t)io->nmat + (size_t)feed][l] : eol0[l];
    }
    eol = REE_VSEL(eol > zero, eol, zero);

    ree_vd collected = collect * eol;
    ree_vd recovered = yield * collected;
    recovered = REE_VSEL(recovered > capacity, capacity, recovered);
    io->produced[mat] = recovered;

    s->total_recovered += recovered;
    io->metrics[0] = collected;
    io->metrics[1] = recovered;
}

static void recycler_finish_lanes(const void *params, const void *state, const ree_model_ctx *ctx,
                                  double *ind)
{
    (void)params;
    (void)ctx;
    const recycler_state_lanes *s = state;
    for (int l = 0; l < REE_LANES; l++)
        ind[l] = s->total_recovered[l];
}

static const ree_model_lanes recycler_lanes = {
    .state_bytes = sizeof(recycler_state_lanes),
    .reset = recycler_reset_lanes,
    .produce = recycler_produce_lanes,
    .finish = recycler_finish_lanes,
};

const ree_model ree_model_recycler = {
    .name = "recycler",
    .summary = "recovers material from end-of-life sector use, after a lag",
    .kind = REE_MODEL_NODE,
    .flags = 0,
    .params = recycler_param_defs,
    .nparams = sizeof recycler_param_defs / sizeof recycler_param_defs[0],
    .params_size = sizeof(recycler_params),
    .metrics = recycler_metric_defs,
    .nmetrics = sizeof recycler_metric_defs / sizeof recycler_metric_defs[0],
    .indicators = recycler_indicator_defs,
    .nindicators = sizeof recycler_indicator_defs / sizeof recycler_indicator_defs[0],
    .state_bytes = sizeof(recycler_state),
    .reset = recycler_reset,
    .produce = recycler_produce,
    .finish = recycler_finish,
    .lanes = &recycler_lanes,
};

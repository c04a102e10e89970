/*
 * inventory: an importer, distributor or manufacturer's stock of one material. It forecasts the
 * demand on it and orders by an (s, S) policy; it makes, uses and loses nothing.
 *
 * Per step t, in the order() hook (m = material, wpm = REE_WEEKS_PER_MONTH):
 *   F_t = smoothing * requested[m] + (1 - smoothing) * F_{t-1},  F_{-1} = demand0     [t/month]
 *         (io->requested is what customers asked of this node last step; at the first step
 *         there is no last step, so F_0 = demand0)
 *   S   = F_t * (1 + L + cover_weeks / wpm)                       order-up-to level   [t]
 *   s   = min(S, F_t * (1 + L + reorder_weeks / wpm))             reorder point       [t]
 *   where L = io->lead[m], the lead time of the node's supply [months]: the position must cover
 *   this month's shipments (1), the demand until an order placed now arrives (L), and the safety
 *   stock (cover_weeks), which is what stays on hand in a steady state.
 *   order[m] = position <= s ? max(0, S - position) : 0
 *   With reorder_weeks = null (+inf) the policy is base-stock: order[m] = max(0, S - position)
 *   every month.
 * The engine's default offer (all stock) applies.
 *
 * Metrics: forecast F_t [t/month], target S [t], cover_weeks = stock / F_t * wpm [weeks] (0 when
 * F_t <= 1e-12 t/month, where cover is undefined; "F_t > 0" below means F_t > 1e-12).
 * Indicators: stockout_months = steps with stock < 1e-9 at order time while F_t > 0;
 * min_cover_weeks = the least cover_weeks over steps with F_t > 0 (0 if there is none).
 *
 * Where the numbers come from:
 *  - cover_weeks 8 (safety stock) is an assumption for importers and distributors, who hold more
 *    than the 3-6 weeks reported for auto tier-1 suppliers (CLEPA 2025-06-04, ICRA 2025-06-10,
 *    shared/data/facts-detailed.md s.6); some OEMs held months (Mahindra, same section).
 *  - smoothing 0.3 is a conventional exponential-smoothing constant (an assumption; no figure in
 *    shared/data). demand0 0: scenarios should set it to the expected flow (e.g. ~620 t/month of
 *    China -> US magnets in 2024, facts-detailed.md s.2b) to avoid a start-up transient.
 */
#include <math.h>
#include <stddef.h>

#include "model.h"

#define STOCKOUT_EPS 1e-9  /* t: stock below this counts as none */
#define FORECAST_EPS 1e-12 /* t/month: a forecast at or below this counts as no demand */

typedef struct inventory_params {
    int material;         /* material index */
    double cover_weeks;   /* weeks */
    double reorder_weeks; /* weeks; +inf: base-stock */
    double smoothing;     /* 1 */
    double demand0;       /* t/month */
} inventory_params;

typedef struct inventory_state {
    double forecast;       /* t/month */
    double stockout_steps; /* months */
    double min_cover;      /* weeks, INFINITY until a step with F > 0 */
} inventory_state;

static const ree_param_def inventory_param_defs[] = {
    {.key = "material",
     .type = REE_PT_MATERIAL,
     .offset = offsetof(inventory_params, material),
     .required = 1,
     .max = 0,
     .flags = REE_PF_IN | REE_PF_OUT,
     .unit = "",
     .doc = "the material held"},
    {.key = "cover_weeks",
     .type = REE_PT_NUM,
     .offset = offsetof(inventory_params, cover_weeks),
     .def = 8,
     .max = REE_MAX_WEEKS,
     .flags = REE_PF_TIMELINE,
     .unit = "weeks",
     .doc = "order-up-to level S, in weeks of forecast demand"},
    {.key = "reorder_weeks",
     .type = REE_PT_NUM,
     .offset = offsetof(inventory_params, reorder_weeks),
     .def = INFINITY,
     .max = REE_MAX_WEEKS,
     .flags = REE_PF_NULL_INF | REE_PF_TIMELINE,
     .unit = "weeks",
     .doc = "reorder point s in weeks of forecast demand (null: order every month)"},
    {.key = "smoothing",
     .type = REE_PT_NUM,
     .offset = offsetof(inventory_params, smoothing),
     .def = 0.3,
     .max = 1,
     .unit = "1",
     .doc = "weight of last month's requests in the demand forecast"},
    {.key = "demand0",
     .type = REE_PT_NUM,
     .offset = offsetof(inventory_params, demand0),
     .max = REE_MAX_TONNES,
     .unit = "t/month",
     .doc = "initial demand forecast"},
};

static const ree_metric_def inventory_metric_defs[] = {
    {"forecast", "t/month", "smoothed demand forecast", REE_DIR_NEUTRAL, 0},
    {"target", "t", "order-up-to level S", REE_DIR_NEUTRAL, 0},
    {"cover_weeks", "weeks", "stock in weeks of forecast demand (0 when the forecast is 0)",
     REE_DIR_HIGHER_BETTER, 0},
};

static const ree_metric_def inventory_indicator_defs[] = {
    {"stockout_months", "months", "months with no stock while demand was forecast",
     REE_DIR_HIGHER_WORSE, 0},
    {"min_cover_weeks", "weeks", "least cover over months with a forecast (0 if none)",
     REE_DIR_HIGHER_BETTER, 0},
};

static void inventory_reset(const void *params, void *state, const ree_model_ctx *ctx)
{
    (void)ctx;
    const inventory_params *p = params;
    inventory_state *s = state;
    s->forecast = p->demand0;
    s->stockout_steps = 0;
    s->min_cover = INFINITY;
}

static void inventory_order(const void *params, void *state, ree_node_io *io)
{
    const inventory_params *p = params;
    inventory_state *s = state;
    int m = p->material;

    double req = io->requested[m] > 0 ? io->requested[m] : 0;
    if (io->step > 0) /* nothing was requested before the first step: keep demand0 */
        s->forecast = p->smoothing * req + (1 - p->smoothing) * s->forecast;
    double f = s->forecast;

    double lead = io->lead ? io->lead[m] : 0;
    double target = f * (1 + lead + p->cover_weeks / REE_WEEKS_PER_MONTH);
    double pos = io->position[m];
    double q;
    if (isinf(p->reorder_weeks)) {
        q = target - pos;
    } else {
        double rp = f * (1 + lead + p->reorder_weeks / REE_WEEKS_PER_MONTH);
        if (rp > target)
            rp = target;
        q = pos <= rp ? target - pos : 0;
    }
    io->order[m] = q > 0 ? q : 0;

    double stock = io->stock[m] > 0 ? io->stock[m] : 0;
    double cover = 0;
    if (f > FORECAST_EPS) {
        cover = stock / f * REE_WEEKS_PER_MONTH;
        if (cover < s->min_cover)
            s->min_cover = cover;
        if (io->stock[m] < STOCKOUT_EPS)
            s->stockout_steps += 1;
    }
    io->metrics[0] = f;
    io->metrics[1] = target;
    io->metrics[2] = cover;
}

static void inventory_finish(const void *params, const void *state, const ree_model_ctx *ctx,
                             double *indicators)
{
    (void)params;
    (void)ctx;
    const inventory_state *s = state;
    indicators[0] = s->stockout_steps;
    indicators[1] = isinf(s->min_cover) ? 0 : s->min_cover;
}

const ree_model ree_model_inventory = {
    .name = "inventory",
    .summary = "importer, distributor or OEM stock: smoothed forecast, (s, S) ordering",
    .kind = REE_MODEL_NODE,
    .flags = 0,
    .params = inventory_param_defs,
    .nparams = sizeof inventory_param_defs / sizeof inventory_param_defs[0],
    .params_size = sizeof(inventory_params),
    .metrics = inventory_metric_defs,
    .nmetrics = sizeof inventory_metric_defs / sizeof inventory_metric_defs[0],
    .indicators = inventory_indicator_defs,
    .nindicators = sizeof inventory_indicator_defs / sizeof inventory_indicator_defs[0],
    .state_bytes = sizeof(inventory_state),
    .reset = inventory_reset,
    .order = inventory_order,
    .finish = inventory_finish,
};

/*
 * price_index: a scarcity price index for one material, 1 in normal times. It rises with the
 * shortage ratio of the material (unmet over needed demand across all sectors) and decays back
 * when supply recovers. It holds no stock and ships nothing; the engine hands its value to every
 * node's hooks (io->price) in the following step, so models may respond to it.
 *
 * Per step t, in the account() hook, after consumption (s_t = io->scarcity[material], 0..1):
 *   P_t = min(cap, 1 + (P_{t-1} - 1) * (1 - 1/decay_months) + elasticity * s_t),  P_{-1} = 1
 * so a shortage of s each month drives the index towards 1 + elasticity * s * decay_months, and
 * without shortage the excess over 1 halves in about 0.69 * decay_months months.
 *
 * Metrics: index [1]. Indicators: max_index [1], mean_index [1] (over the horizon).
 *
 * Where the numbers come from (shared/data/facts-detailed.md s.6 and facts.md):
 *  - elasticity 3: ex-China Dy/Tb prices rose 3-4x within a month of MOFCOM No. 18 (Argus,
 *    2025-05-06) while US-bound magnet flows fell by ~60-90%: 1 + 3 * 0.8 = 3.4x (derived).
 *  - decay_months 6: Chinese NdPr oxide rose 443k -> 632k yuan/t from June to August 2025 and
 *    fell back to ~555k by November (SMM weekly reviews), about half the excess in 3-4 months:
 *    decay ~6 months (derived, indicative).
 *  - cap 30: Dy oxide rose 26-fold in 31 months in the 2010-2011 quota crisis (US$91 -> 2,377/kg,
 *    mining.com, facts.md).
 * Caveat (Adamas, facts-detailed s.6): the ex-China prices are thin intermediary markets; the
 * index is a scarcity signal, not a transaction price.
 */
#include <math.h>
#include <stddef.h>

#include "model_lanes.h"

/* Bounds: the index is a multiple of the normal price; the 2010-11 peaks were ~10-20x, so a cap
 * of 1e4 and a monthly rise of 1000 per unit of shortage leave ample headroom and keep the index
 * and its sums finite. */
#define PRICE_CAP_MAX        1e4
#define PRICE_ELASTICITY_MAX 1000.0

typedef struct price_params {
    int material;
    double elasticity;   /* 1 per unit of shortage ratio per month */
    double decay_months; /* months */
    double cap;          /* 1 */
} price_params;

typedef struct price_state {
    double index; /* 1 */
    double max, sum;
    int steps;
} price_state;

static const ree_param_def price_param_defs[] = {
    {.key = "material",
     .type = REE_PT_MATERIAL,
     .offset = offsetof(price_params, material),
     .required = 1,
     .max = 0,
     .unit = "",
     .doc = "the material priced"},
    {.key = "elasticity",
     .type = REE_PT_NUM,
     .offset = offsetof(price_params, elasticity),
     .def = 3,
     .max = PRICE_ELASTICITY_MAX,
     .flags = REE_PF_TIMELINE,
     .unit = "1/month",
     .doc = "rise of the index per month per unit of shortage ratio"},
    {.key = "decay_months",
     .type = REE_PT_NUM,
     .offset = offsetof(price_params, decay_months),
     .def = 6,
     .min = 1,
     .max = REE_MAX_MONTHS,
     .flags = REE_PF_TIMELINE,
     .unit = "months",
     .doc = "time constant of the index's return to 1"},
    {.key = "cap",
     .type = REE_PT_NUM,
     .offset = offsetof(price_params, cap),
     .def = 30,
     .min = 1,
     .max = PRICE_CAP_MAX,
     .unit = "1",
     .doc = "highest value of the index"},
};

static const ree_metric_def price_metrics[] = {
    {"index", "1", "scarcity price index (1 = no shortage)", REE_DIR_HIGHER_WORSE, 0},
};

static const ree_metric_def price_indicators[] = {
    {"max_index", "1", "highest index over the horizon", REE_DIR_HIGHER_WORSE, 0},
    {"mean_index", "1", "mean index over the horizon", REE_DIR_HIGHER_WORSE, 0},
};

static void price_reset(const void *params, void *state, const ree_model_ctx *ctx)
{
    (void)params;
    (void)ctx;
    price_state *s = state;
    s->index = 1;
    s->max = 1;
}

static void price_account(const void *params, void *state, const ree_node_io *io)
{
    const price_params *p = params;
    price_state *s = state;
    double sc = io->scarcity[p->material];
    double v = 1 + (s->index - 1) * (1 - 1 / p->decay_months) + p->elasticity * (sc > 0 ? sc : 0);
    s->index = v > p->cap ? p->cap : v;
    if (s->index > s->max)
        s->max = s->index;
    s->sum += s->index;
    s->steps++;
    io->price[p->material] = s->index;
    io->metrics[0] = s->index;
}

static void price_finish(const void *params, const void *state, const ree_model_ctx *ctx,
                         double *indicators)
{
    (void)params;
    (void)ctx;
    const price_state *s = state;
    indicators[0] = s->max;
    indicators[1] = s->steps ? s->sum / s->steps : 1;
}

/* The hooks on lanes (model_lanes.h): the same operations per lane. */
typedef struct price_state_lanes {
    ree_vd index, max, sum;
    int steps; /* the lanes step together */
} price_state_lanes;

static void price_reset_lanes(const void *params, void *state, const ree_model_ctx *ctx)
{
    (void)params;
    (void)ctx;
    price_state_lanes *s = state;
    s->index = REE_VSPLAT(1.0);
    s->max = REE_VSPLAT(1.0);
}

static void price_account_lanes(const void *params, void *state, const ree_node_io_lanes *io)
{
    int mat = REE_LP0(params, price_params, material, int);
    ree_vd decay = REE_LP(params, price_params, decay_months);
    ree_vd elast = REE_LP(params, price_params, elasticity);
    ree_vd cap = REE_LP(params, price_params, cap);
    price_state_lanes *s = state;
    ree_vd sc = io->scarcity[mat], zero = REE_VSPLAT(0.0), one = REE_VSPLAT(1.0);
    ree_vd v = one + (s->index - one) * (one - one / decay) + elast * REE_VSEL(sc > zero, sc, zero);
    s->index = REE_VSEL(v > cap, cap, v);
    s->max = REE_VSEL(s->index > s->max, s->index, s->max);
    s->sum += s->index;
    s->steps++;
    io->price[mat] = s->index;
    io->metrics[0] = s->index;
}

static void price_finish_lanes(const void *params, const void *state, const ree_model_ctx *ctx,
                               double *ind)
{
    (void)params;
    (void)ctx;
    const price_state_lanes *s = state;
    for (int l = 0; l < REE_LANES; l++) {
        ind[0 * REE_LANES + l] = s->max[l];
        ind[1 * REE_LANES + l] = s->steps ? s->sum[l] / s->steps : 1;
    }
}

static const ree_model_lanes price_lanes = {
    .state_bytes = sizeof(price_state_lanes),
    .reset = price_reset_lanes,
    .account = price_account_lanes,
    .finish = price_finish_lanes,
};

static const ree_price_contract price_contract = {.material = offsetof(price_params, material)};

const ree_model ree_model_price = {
    .name = "price_index",
    .summary = "scarcity price index of a material: rises with shortage, decays back",
    .kind = REE_MODEL_NODE,
    .flags = REE_MF_PRICE,
    .price = &price_contract,
    .params = price_param_defs,
    .nparams = sizeof price_param_defs / sizeof price_param_defs[0],
    .params_size = sizeof(price_params),
    .metrics = price_metrics,
    .nmetrics = 1,
    .indicators = price_indicators,
    .nindicators = 2,
    .state_bytes = sizeof(price_state),
    .reset = price_reset,
    .account = price_account,
    .finish = price_finish,
    .lanes = &price_lanes,
};

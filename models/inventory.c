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
 * With one class (firm_classes 1, the default) the engine's default offer (all stock) applies.
 *
 * Importer populations (firm_classes K > 1): the node is K equal importers (share 1/K each of
 * the forecast and of what customers ask) whose cover is lognormal across firms with mean
 * cover_weeks and sd cover_sd, as the sector's firm classes (models/firms.h: class i gets the
 * (i + 0.5) / K quantile c_i; same split of stock and pipeline, rescaled to the node's). Each
 * class serves its own customers from its own stock, so buyers do not share one pooled stock:
 *   order(): first deduct last step's shipments: shipped = S_prev + received - stock (S_prev
 *            the class stocks' sum at last offer(); the node makes and uses nothing), taken from
 *            the classes in proportion to their offers; then the class split (firms.h); then
 *            per class, with F_i = F_t / K,
 *              S_i = F_i (1 + L + c_i / wpm),  s_i = min(S_i, F_i (1 + L + reorder_weeks / wpm))
 *              order_i = position_i <= s_i ? max(0, S_i - position_i) : 0 (base-stock: always),
 *            position_i = stock_i + pipeline_i; order[m] = sum_i order_i
 *   offer(): with A = io->asked[m] (this step's rank-0 requests on the node's links),
 *            offer_i = min(stock_i, A / K), offer[m] = sum_i offer_i
 * A class that has run out ships nothing to its customers while the others still hold stock.
 * With K = 1 the rules are the pooled ones above, exactly.
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
 *  - firm_classes 1 (pooled), cover_sd 0: the shipped scenarios state their own (assumption:
 *    no published spread of importers' cover).
 *  - smoothing 0.3 is a conventional exponential-smoothing constant (an assumption; no figure in
 *    shared/data). demand0 0: scenarios should set it to the expected flow (e.g. ~620 t/month of
 *    China -> US magnets in 2024, facts-detailed.md s.2b) to avoid a start-up transient.
 */
#include <math.h>
#include <stddef.h>

#include "firms.h"
#include "model_lanes.h"

#define STOCKOUT_EPS 1e-9  /* t: stock below this counts as none */
#define FORECAST_EPS 1e-12 /* t/month: a forecast at or below this counts as no demand */

typedef struct inventory_params {
    int material;         /* material index */
    double cover_weeks;   /* weeks */
    double reorder_weeks; /* weeks; +inf: base-stock */
    double smoothing;     /* 1 */
    double demand0;       /* t/month */
    double firm_classes;  /* 1, integral, 1..REE_FIRMS_MAX */
    double cover_sd;      /* weeks, sd of cover across importers */
} inventory_params;

typedef struct inventory_state {
    double forecast;               /* t/month */
    double stockout_steps;         /* months */
    double min_cover;              /* weeks, INFINITY until a step with F > 0 */
    ree_firms f;                   /* the importer classes (k = 1: the pool) */
    double offered[REE_FIRMS_MAX]; /* t, each class's offer at the last offer() */
    double offered_from;           /* t, the class stocks' sum at the last offer() */
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
    {.key = "firm_classes",
     .type = REE_PT_NUM,
     .offset = offsetof(inventory_params, firm_classes),
     .def = 1,
     .min = 1,
     .max = REE_FIRMS_MAX,
     .flags = REE_PF_INT,
     .unit = "1",
     .doc = "classes of importers with their own stock and customers (cover quantiles); 1 = "
            "pooled"},
    {.key = "cover_sd",
     .type = REE_PT_NUM,
     .offset = offsetof(inventory_params, cover_sd),
     .max = REE_MAX_WEEKS,
     .unit = "weeks",
     .doc = "sd of the lognormal cover across importers (mean cover_weeks)"},
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
    ree_firms_reset(&s->f, p->firm_classes, p->cover_weeks, p->cover_sd);
    s->offered_from = 0;
}

/* The order of a stock (or class) with forecast f, supply lead L [months] and cover [weeks] at
 * inventory position pos: order-up-to target = f (1 + L + cover / wpm), placed when pos is at
 * or below the reorder point f (1 + L + reorder_weeks / wpm) (capped at the target), or always
 * with no reorder point (base stock); never negative. */
static double order_for(const inventory_params *p, double f, double lead, double cover, double pos)
{
    double target = f * (1 + lead + cover / REE_WEEKS_PER_MONTH);
    double q;
    if (isinf(p->reorder_weeks)) {
        q = target - pos;
    } else {
        double rp = f * (1 + lead + p->reorder_weeks / REE_WEEKS_PER_MONTH);
        if (rp > target)
            rp = target;
        q = pos <= rp ? target - pos : 0;
    }
    return q > 0 ? q : 0;
}

/* Importer classes: deduct last step's shipments, split, and order per class (header). */
static double class_orders(const inventory_params *p, inventory_state *s, const ree_node_io *io,
                           double f, double lead)
{
    ree_firms *c = &s->f;
    int m = p->material;
    double rec = io->received ? io->received[m] : 0;
    if (c->started) {
        double shipped = s->offered_from + rec - io->stock[m], off = 0;
        for (int i = 0; i < c->k; i++)
            off += s->offered[i];
        for (int i = 0; i < c->k && shipped > 0 && off > 0; i++) {
            c->cstock[i] -= shipped * (s->offered[i] / off);
            if (c->cstock[i] < 0)
                c->cstock[i] = 0;
        }
    }
    ree_firms_split(c, io->stock[m], io->position[m], rec);
    double total = 0, fi = f / c->k;
    for (int i = 0; i < c->k; i++) {
        c->corder[i] = order_for(p, fi, lead, c->cover[i], c->cstock[i] + c->cpipe[i]);
        total += c->corder[i];
    }
    return total;
}

static void inventory_order(const void *params, void *state, const ree_node_io *io)
{
    const inventory_params *p = params;
    inventory_state *s = state;
    int m = p->material;

    double req = io->requested[m] > 0 ? io->requested[m] : 0;
    if (io->step > 0) /* nothing was requested before the first step: keep demand0 */
        s->forecast = p->smoothing * req + (1 - p->smoothing) * s->forecast;
    double f = s->forecast;

    double lead = io->lead ? io->lead[m] : 0;
    io->order[m] = order_for(p, f, lead, p->cover_weeks, io->position[m]);
    if (s->f.k > 1)
        io->order[m] = class_orders(p, s, io, f, lead);

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
    io->metrics[1] = f * (1 + lead + p->cover_weeks / REE_WEEKS_PER_MONTH); /* the target */
    io->metrics[2] = cover;
}

static void inventory_offer(const void *params, void *state, const ree_node_io *io)
{
    const inventory_params *p = params;
    inventory_state *s = state;
    if (s->f.k == 1)
        return; /* the engine's default: all stock */
    int m = p->material;
    ree_firms *c = &s->f;
    ree_firms_rescale(c->cstock, c->k, io->stock[m] > 0 ? io->stock[m] : 0);
    double share = io->asked ? io->asked[m] / c->k : INFINITY, total = 0;
    s->offered_from = 0;
    for (int i = 0; i < c->k; i++) {
        s->offered[i] = c->cstock[i] < share ? c->cstock[i] : share;
        total += s->offered[i];
        s->offered_from += c->cstock[i];
    }
    io->offer[m] = total;
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

/* The hooks on lanes (model_lanes.h): the same operations per lane. The importer classes are
 * firms.h's population on lanes, shared with the sector: per-lane arrays over the most classes
 * of any lane, where a lane with fewer (k) computes the classes past its k too but never counts
 * them in a sum; a lane with k = 1 computes the class orders and offers whenever another lane has
 * classes, then keeps its pooled ones (the scalar hooks never read its classes). */
typedef struct inventory_state_lanes {
    ree_vd forecast, stockout_steps, min_cover;
    ree_firms_lanes f; /* the importer classes on lanes (firms.h) */
    ree_vd offered[REE_FIRMS_MAX], offered_from;
} inventory_state_lanes;

static void inventory_reset_lanes(const void *params, void *state, const ree_model_ctx *ctx)
{
    (void)ctx;
    inventory_state_lanes *s = state;
    ree_vd classes = REE_LP(params, inventory_params, firm_classes);
    ree_vd cover = REE_LP(params, inventory_params, cover_weeks);
    ree_vd sd = REE_LP(params, inventory_params, cover_sd);
    s->forecast = REE_LP(params, inventory_params, demand0);
    s->min_cover = REE_VSPLAT(INFINITY);
    ree_firms_reset_lanes(&s->f, &classes, &cover, &sd);
}

/* order_for() on lanes, into *q. */
static inline void order_for_lanes(ree_vd *q, const void *params, const ree_vd *f,
                                   const ree_vd *lead, const ree_vd *cover, const ree_vd *pos)
{
    ree_vd rw = REE_LP(params, inventory_params, reorder_weeks);
    ree_vd zero = REE_VSPLAT(0.0), one = REE_VSPLAT(1.0), wpm = REE_VSPLAT(REE_WEEKS_PER_MONTH);
    ree_vd inf = REE_VSPLAT(INFINITY);
    ree_vd target = *f * (one + *lead + *cover / wpm);
    ree_vd rp = *f * (one + *lead + rw / wpm);
    rp = REE_VSEL(rp > target, target, rp);
    ree_vd v = REE_VSEL(*pos <= rp, target - *pos, zero);
    v = REE_VSEL((rw == inf) | (rw == -inf), target - *pos, v);
    *q = REE_VSEL(v > zero, v, zero);
}

/* v[0] + ... + v[k-1] from +0, per lane. */
static inline void sum_classes(ree_vd *sum, const ree_vd *v, const ree_firms_lanes *c)
{
    ree_vd t = REE_VSPLAT(0.0);
    for (int i = 0; i < c->kmax; i++)
        t = REE_VSEL(REE_FIRMS_LIVE(c, i), t + v[i], t);
    *sum = t;
}

/* class_orders() on lanes, into *total. */
static void class_orders_lanes(ree_vd *total, const void *params, inventory_state_lanes *s,
                               const ree_node_io_lanes *io, const ree_vd *f, const ree_vd *lead)
{
    int m = REE_LP0(params, inventory_params, material, int);
    ree_firms_lanes *c = &s->f;
    ree_vd zero = REE_VSPLAT(0.0);
    ree_vd rec = io->received ? io->received[m] : zero;
    if (c->started) {
        ree_vd shipped = s->offered_from + rec - io->stock[m], off;
        sum_classes(&off, s->offered, c);
        ree_vl take = (shipped > zero) & (off > zero);
        for (int i = 0; i < c->kmax; i++) {
            ree_vd x = c->cstock[i] - shipped * (s->offered[i] / off);
            x = REE_VSEL(x < zero, zero, x);
            c->cstock[i] = REE_VSEL(take, x, c->cstock[i]);
        }
    }
    ree_firms_split_lanes(c, &io->stock[m], &io->position[m], &rec);
    ree_vd t = zero, fi = *f / c->kd;
    for (int i = 0; i < c->kmax; i++) {
        ree_vd pos = c->cstock[i] + c->cpipe[i];
        order_for_lanes(&c->corder[i], params, &fi, lead, &c->cover[i], &pos);
        t = REE_VSEL(REE_FIRMS_LIVE(c, i), t + c->corder[i], t);
    }
    *total = t;
}

static void inventory_order_lanes(const void *params, void *state, const ree_node_io_lanes *io)
{
    int m = REE_LP0(params, inventory_params, material, int);
    ree_vd sm = REE_LP(params, inventory_params, smoothing);
    ree_vd cw = REE_LP(params, inventory_params, cover_weeks);
    inventory_state_lanes *s = state;
    ree_vd zero = REE_VSPLAT(0.0), one = REE_VSPLAT(1.0), wpm = REE_VSPLAT(REE_WEEKS_PER_MONTH);

    ree_vd req = REE_VSEL(io->requested[m] > zero, io->requested[m], zero);
    if (io->step > 0)
        s->forecast = sm * req + (one - sm) * s->forecast;
    ree_vd f = s->forecast;

    ree_vd lead = io->lead ? io->lead[m] : zero;
    order_for_lanes(&io->order[m], params, &f, &lead, &cw, &io->position[m]);
    if (s->f.kmax > 1) {
        ree_vd qc;
        class_orders_lanes(&qc, params, s, io, &f, &lead);
        io->order[m] = REE_VSEL(s->f.kd > one, qc, io->order[m]);
    }

    ree_vd stock = REE_VSEL(io->stock[m] > zero, io->stock[m], zero);
    ree_vl fpos = f > REE_VSPLAT(FORECAST_EPS);
    ree_vd cover = stock / f * wpm;
    s->min_cover = REE_VSEL(fpos & (cover < s->min_cover), cover, s->min_cover);
    ree_vl out = fpos & (io->stock[m] < REE_VSPLAT(STOCKOUT_EPS));
    s->stockout_steps = REE_VSEL(out, s->stockout_steps + one, s->stockout_steps);
    io->metrics[0] = f;
    io->metrics[1] = f * (one + lead + cw / wpm);
    io->metrics[2] = REE_VSEL(fpos, cover, zero);
}

static void inventory_offer_lanes(const void *params, void *state, const ree_node_io_lanes *io)
{
    inventory_state_lanes *s = state;
    ree_firms_lanes *c = &s->f;
    if (c->kmax == 1)
        return; /* the engine's default in every lane */
    int m = REE_LP0(params, inventory_params, material, int);
    ree_vd zero = REE_VSPLAT(0.0), one = REE_VSPLAT(1.0);
    ree_vd stock = REE_VSEL(io->stock[m] > zero, io->stock[m], zero);
    ree_firms_rescale_lanes(c, c->cstock, &stock);
    ree_vd share = io->asked ? io->asked[m] / c->kd : REE_VSPLAT(INFINITY), total = zero;
    s->offered_from = zero;
    for (int i = 0; i < c->kmax; i++) {
        ree_vl in = REE_FIRMS_LIVE(c, i);
        s->offered[i] = REE_VSEL(c->cstock[i] < share, c->cstock[i], share);
        total = REE_VSEL(in, total + s->offered[i], total);
        s->offered_from = REE_VSEL(in, s->offered_from + c->cstock[i], s->offered_from);
    }
    io->offer[m] = REE_VSEL(c->kd > one, total, io->offer[m]);
}

static void inventory_finish_lanes(const void *params, const void *state, const ree_model_ctx *ctx,
                                   double *ind)
{
    (void)params;
    (void)ctx;
    const inventory_state_lanes *s = state;
    for (int l = 0; l < REE_LANES; l++) {
        ind[0 * REE_LANES + l] = s->stockout_steps[l];
        ind[1 * REE_LANES + l] = isinf(s->min_cover[l]) ? 0 : s->min_cover[l];
    }
}

static const ree_model_lanes inventory_lanes = {
    .state_bytes = sizeof(inventory_state_lanes),
    .reset = inventory_reset_lanes,
    .order = inventory_order_lanes,
    .offer = inventory_offer_lanes,
    .finish = inventory_finish_lanes,
};

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
    .offer = inventory_offer,
    .finish = inventory_finish,
    .lanes = &inventory_lanes,
};

/*
 * processor: a separation plant, refinery, metal maker or magnet maker. It turns inputs into one
 * output by a fixed recipe, within a capacity that may ramp up, subject to random outages, a cap
 * on the stock it holds, and a processing delay.
 *
 * Per step t, in the produce() hook:
 *   cap_t, outage : exactly as in the source model (ramp from ramp_start over ramp_months; one
 *                   uniform from io->rng a step drives the up/down Markov chain, not drawn
 *                   when the chance of a change is 0 or 1).
 *   avail    = down ? 0 : cap_t * utilisation                                         [t]
 *   by_input = min over m with inputs[m] > 0 of stock[m] / inputs[m]                  [t]
 *   room     = max(0, max_stock - stock[out] - wip)   (wip: all batches not yet out)  [t]
 *   started  = min(avail, by_input, room)                                             [t]
 *   consumed[m] = min(stock[m], started * inputs[m])      (inputs are used at the start)
 *   produced[out] = the batch started `delay` steps ago (delay 0: the batch started now)
 *   input_limited = 1 when by_input < avail and by_input <= room (inputs are what binds)
 * In the order() hook, for every input m:
 *   order[m] = max(0, (1 + L + input_cover) * cap_t * utilisation * inputs[m] - position[m])
 * with L = io->lead[m] the lead time of the input's supply [months], i.e. this month's inputs
 * at the planned rate, the inputs used until an order arrives, plus input_cover months of
 * stock. Outages do not change orders (planned rate).
 * Work in progress lives in a ring of REE_PROC_RING batches indexed by step, so delay <= 24.
 *
 * Price response (off by default: price_util_elasticity 0 leaves the rules above exact). With
 * P_t = io->price[output] (the price index of the output written at the end of last step, 1
 * without one) and a first-order lag Pl_t = Pl_{t-1} + (P_t - Pl_{t-1}) * min(1, 1 /
 * price_lag_months), Pl_{-1} = 1, updated in produce(), the utilisation used in produce() and
 * order() is
 *   u_t = min(1, utilisation * max(1, Pl_t)^price_util_elasticity)
 * so a plant running below capacity raises output when scarcity lifts the price (a price index of
 * 2 sustained for price_lag_months with elasticity 0.25 raises utilisation by 2^0.25 = 19%), up
 * to its capacity; it never cuts output below `utilisation`.
 *
 * Parameters: inputs (t of each input per t of output), output material, capacity [t/month],
 * utilisation [1], ramp_add [t/month], ramp_start [date], ramp_months [months], outage_prob
 * [1/month], outage_months [months], max_stock [t], input_cover [months], delay [months],
 * price_util_elasticity [1], price_lag_months [months].
 *
 * Where the numbers come from:
 *  - recipes: NdFeB is about 29-32% Nd by weight (facts.md "Magnet content"); only 60-75% of RE
 *    oxide input ends up in the finished magnet (discoveryalert, facts-detailed.md s.3). Recipes
 *    are scenario data, with no default.
 *  - capacity: e.g. MP Independence ~1,000 t/yr NdFeB (83 t/month), Lynas NdPr 10,500 t/yr
 *    (875 t/month) (facts-detailed.md s.2c). Required, no default.
 *  - ramp_months 12 and the outage defaults: as in the source model (Lynas HREE circuit ~11
 *    months, facts-detailed.md s.7; outage figures are assumptions).
 *  - input_cover 1 month and delay 0 are assumptions: no plant-level input stock or throughput
 *    time is given in shared/data.
 *  - price_util_elasticity 0 (off) and price_lag_months 0. In 2010-2011 non-Chinese primary
 *    output ramped at ~4% of the market per year while prices rose 10-26 fold (Sprecher et al.
 *    2017, facts.md): a small supply response, mostly from plants with spare capacity; scenarios
 *    state their own value (an assumption, documented there).
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>

#include "model_lanes.h"
#include "remath.h"
#include "remath_lanes.h"
#include "rng.h"
#include "rng_lanes.h"

#define REE_PROC_RING  25 /* work-in-progress slots: delay 0..24 */
#define INPUT_BIND_TOL 1e-12
/* t of an input per t of output: the leanest step of the chain (ore at ~1% oxide grade to
 * concentrate) takes ~100 t/t; 1000 leaves a tenfold headroom and keeps input orders finite. */
#define REE_MAX_INPUT_RATIO 1000.0

typedef struct processor_params {
    const double *inputs;         /* t of input per t of output */
    int output;                   /* material index */
    double capacity;              /* t/month */
    double utilisation;           /* 1 */
    double ramp_add;              /* t/month */
    double ramp_start;            /* steps after the horizon start */
    double ramp_months;           /* months */
    double outage_prob;           /* 1/month */
    double outage_months;         /* months */
    double max_stock;             /* t */
    double input_cover;           /* months */
    double delay;                 /* months, integral */
    double price_util_elasticity; /* 1 per unit of ln(lagged price index) */
    double price_lag_months;      /* months */
} processor_params;

typedef struct processor_state {
    int down;
    double wip[REE_PROC_RING];  /* t, batch started at step s in slot s % REE_PROC_RING */
    uint32_t busy;              /* bit i set when wip[i] may be nonzero (neither +0 nor -0) */
    double cap;                 /* t/month, this step's ramped capacity */
    double production;          /* t, output completed this step */
    double input_limited;       /* 1 */
    double wip_total;           /* t */
    double total_production;    /* t */
    double input_limited_steps; /* months */
    double plag;                /* 1, lagged price index of the output */
    uint64_t in_mask;           /* bit m set when inputs[m] > 0 (inputs is fixed for a run) */
    int delay;                  /* steps, delay_steps() (delay is fixed for a run) */
    double rate;                /* t/month, cap * price utilisation set by produce() at rate_step */
    int rate_step;              /* step of `rate` (-1: none yet) */
} processor_state;

static const ree_param_def processor_param_defs[] = {
    {.key = "inputs",
     .type = REE_PT_MATMAP,
     .offset = offsetof(processor_params, inputs),
     .required = 1,
     .max = REE_MAX_INPUT_RATIO,
     .flags = REE_PF_IN,
     .unit = "t/t",
     .doc = "t of each input per t of output"},
    {.key = "output",
     .type = REE_PT_MATERIAL,
     .offset = offsetof(processor_params, output),
     .required = 1,
     .max = 0,
     .flags = REE_PF_OUT,
     .unit = "",
     .doc = "the material made"},
    {.key = "capacity",
     .type = REE_PT_NUM,
     .offset = offsetof(processor_params, capacity),
     .required = 1,
     .max = REE_MAX_TONNES,
     .unit = "t/month",
     .doc = "nameplate output capacity before any ramp-up"},
    {.key = "utilisation",
     .type = REE_PT_NUM,
     .offset = offsetof(processor_params, utilisation),
     .def = 1,
     .max = 1,
     .flags = REE_PF_TIMELINE,
     .unit = "1",
     .doc = "share of capacity used"},
    {.key = "ramp_add",
     .type = REE_PT_NUM,
     .offset = offsetof(processor_params, ramp_add),
     .max = REE_MAX_TONNES,
     .flags = REE_PF_TIMELINE,
     .unit = "t/month",
     .doc = "capacity added by a ramp-up"},
    {.key = "ramp_start",
     .type = REE_PT_DATE,
     .offset = offsetof(processor_params, ramp_start),
     .min = -INFINITY,
     .max = INFINITY,
     .unit = "date",
     .doc = "month the ramp-up starts"},
    {.key = "ramp_months",
     .type = REE_PT_NUM,
     .offset = offsetof(processor_params, ramp_months),
     .def = 12,
     .max = REE_MAX_MONTHS,
     .unit = "months",
     .doc = "length of the linear ramp-up (0: a step)"},
    {.key = "outage_prob",
     .type = REE_PT_NUM,
     .offset = offsetof(processor_params, outage_prob),
     .max = 1,
     .flags = REE_PF_TIMELINE,
     .unit = "1/month",
     .doc = "probability an outage starts in a month"},
    {.key = "outage_months",
     .type = REE_PT_NUM,
     .offset = offsetof(processor_params, outage_months),
     .def = 2,
     .min = 1,
     .max = REE_MAX_MONTHS,
     .unit = "months",
     .doc = "mean outage duration"},
    {.key = "max_stock",
     .type = REE_PT_NUM,
     .offset = offsetof(processor_params, max_stock),
     .def = INFINITY,
     .max = REE_MAX_TONNES,
     .flags = REE_PF_NULL_INF | REE_PF_TIMELINE,
     .unit = "t",
     .doc = "no new batches once output stock plus work in progress reach this"},
    {.key = "input_cover",
     .type = REE_PT_NUM,
     .offset = offsetof(processor_params, input_cover),
     .def = 1,
     .max = REE_MAX_MONTHS,
     .unit = "months",
     .doc = "input stock target, in months of planned use"},
    {.key = "delay",
     .type = REE_PT_NUM,
     .offset = offsetof(processor_params, delay),
     .max = REE_PROC_RING - 1,
     .flags = REE_PF_INT,
     .unit = "months",
     .doc = "processing time: output appears this many steps after the start"},
    {.key = "price_util_elasticity",
     .type = REE_PT_NUM,
     .offset = offsetof(processor_params, price_util_elasticity),
     .max = 10,
     .unit = "1",
     .doc = "utilisation x (lagged price index)^this, up to 1"},
    {.key = "price_lag_months",
     .type = REE_PT_NUM,
     .offset = offsetof(processor_params, price_lag_months),
     .max = REE_MAX_MONTHS,
     .unit = "months",
     .doc = "time constant of the lag of the price index seen"},
};

static const ree_metric_def processor_metric_defs[] = {
    {"capacity", "t/month", "capacity this month, ramp included", REE_DIR_HIGHER_BETTER, 0},
    {"production", "t", "output completed this month", REE_DIR_HIGHER_BETTER, 0},
    {"input_limited", "1", "1 when input stock is what limits the batch started",
     REE_DIR_HIGHER_WORSE, 0},
    {"outage", "1", "1 during an outage", REE_DIR_HIGHER_WORSE, 0},
    {"wip", "t", "work in progress after this month's start", REE_DIR_NEUTRAL, 0},
};

static const ree_metric_def processor_indicator_defs[] = {
    {"production", "t", "total output completed over the horizon", REE_DIR_HIGHER_BETTER, 0},
    {"input_limited_months", "months", "months in which inputs limited production",
     REE_DIR_HIGHER_WORSE, 0},
};

static double clamp(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

static double ramped_capacity(const processor_params *p, int step)
{
    double f;
    if (p->ramp_months > 0)
        f = clamp(((double)step - p->ramp_start) / p->ramp_months, 0, 1);
    else
        f = (double)step >= p->ramp_start ? 1 : 0;
    double cap = p->capacity + p->ramp_add * f;
    return cap > 0 ? cap : 0;
}

/* Utilisation after the price response: utilisation * max(1, plag)^elasticity, at most 1. */
static double price_utilisation(const processor_params *p, double plag)
{
    if (!(p->price_util_elasticity > 0) || !(plag > 1))
        return p->utilisation;
    double u = p->utilisation * ree_pow(plag, p->price_util_elasticity);
    return u < 1 ? u : 1;
}

static int delay_steps(const processor_params *p)
{
    double d = clamp(p->delay, 0, REE_PROC_RING - 1);
    return (int)d;
}

static int processor_check(const void *params, const ree_model_ctx *ctx, const char **key,
                           char *why, size_t whylen)
{
    const processor_params *p = params;
    int any = 0;
    for (int m = 0; m < ctx->nmat; m++) {
        if (!(p->inputs[m] >= 0 && isfinite(p->inputs[m]))) {
            *key = "inputs";
            snprintf(why, whylen, "quantity of %s must be finite and >= 0, found %g",
                     ctx->material_ids ? ctx->material_ids[m] : "?", p->inputs[m]);
            return -1;
        }
        if (p->inputs[m] > 0)
            any = 1;
    }
    if (!any) {
        *key = "inputs";
        snprintf(why, whylen, "at least one input must be > 0");
        return -1;
    }
    if (p->output >= 0 && p->output < ctx->nmat && p->inputs[p->output] > 0) {
        *key = "output";
        snprintf(why, whylen, "the output %s cannot also be an input",
                 ctx->material_ids ? ctx->material_ids[p->output] : "?");
        return -1;
    }
    return 0;
}

static void processor_reset(const void *params, void *state, const ree_model_ctx *ctx)
{
    const processor_params *p = params;
    processor_state *s = state;
    *s = (processor_state){0};
    s->plag = 1;
    s->rate_step = -1;
    s->delay = delay_steps(p);
    for (int m = 0; m < ctx->nmat && m < REE_MAX_MATERIALS; m++)
        if (p->inputs[m] > 0)
            s->in_mask |= UINT64_C(1) << m;
}

/* The inputs among the io's nmat materials, in material order by __builtin_ctzll. */
static uint64_t input_mask(const processor_state *s, int nmat)
{
    return nmat >= REE_MAX_MATERIALS ? s->in_mask
           : nmat > 0                ? s->in_mask & ((UINT64_C(1) << nmat) - 1)
                                     : 0;
}

static void write_metrics(const processor_state *s, double *metrics)
{
    metrics[0] = s->cap;
    metrics[1] = s->production;
    metrics[2] = s->input_limited;
    metrics[3] = s->down ? 1 : 0;
    metrics[4] = s->wip_total;
}

static void processor_produce(const void *params, void *state, const ree_node_io *io)
{
    const processor_params *p = params;
    processor_state *s = state;
    int out = p->output;

    /* The chance to change state; at 0 or 1 (outage_prob 0, the default, or outage_months 1)
     * u in (0,1) decides nothing, so it is not drawn: the stream is keyed per step and this is
     * the model's only draw, so no other draw moves. */
    double q = s->down ? 1.0 / p->outage_months : p->outage_prob;
    int change = q > 0 && q < 1 ? ree_rng_uniform_pos_gsl(io->rng) < q : q >= 1;
    if (change)
        s->down = !s->down;

    double price = io->price ? io->price[out] : 1;
    s->plag += (price - s->plag) * (p->price_lag_months > 1 ? 1 / p->price_lag_months : 1);
    s->cap = ramped_capacity(p, io->step);
    s->rate = s->cap * price_utilisation(p, s->plag);
    s->rate_step = io->step;
    double avail = s->down ? 0 : s->rate;
    double by_input = INFINITY;
    uint64_t in = input_mask(s, io->nmat);
    for (uint64_t b = in; b; b &= b - 1) {
        int m = __builtin_ctzll(b);
        double st = io->stock[m] > 0 ? io->stock[m] : 0;
        double n = st / p->inputs[m];
        if (n < by_input)
            by_input = n;
    }
    if (!isfinite(by_input)) /* no input at all (rejected by check): nothing can start */
        by_input = 0;
    double room = p->max_stock - io->stock[out] - s->wip_total;
    if (!(room > 0))
        room = 0;

    double started = avail;
    if (by_input < started)
        started = by_input;
    if (room < started)
        started = room;
    s->input_limited = (by_input < avail - INPUT_BIND_TOL && by_input <= room) ? 1 : 0;

    for (uint64_t b = in; b; b &= b - 1) {
        int m = __builtin_ctzll(b);
        double c = started * p->inputs[m];
        double st = io->stock[m] > 0 ? io->stock[m] : 0;
        io->consumed[m] = c < st ? c : st;
    }

    int d = s->delay;
    double done;
    if (d == 0) {
        done = started;
    } else {
        /* (step - d) mod REE_PROC_RING from step's slot: one division, not two (0 < d < ring) */
        int slot_in = io->step % REE_PROC_RING;
        int slot_out = slot_in - d;
        if (slot_out < 0)
            slot_out += REE_PROC_RING;
        done = s->wip[slot_out];
        s->wip[slot_out] = 0;
        s->busy &= ~(UINT32_C(1) << slot_out);
        s->wip[slot_in] = started;
        if (started != 0)
            s->busy |= UINT32_C(1) << slot_in;
        else
            s->busy &= ~(UINT32_C(1) << slot_in);
    }
    io->produced[out] = done;

    /* The sum over all slots in slot order, with the empty ones (+0 or -0) skipped: adding them
     * to w (+0 or more, or NaN) leaves it as it is. Only the busy slots are visited. */
    double w = 0;
    for (uint32_t b = s->busy; b; b &= b - 1)
        w += s->wip[__builtin_ctz(b)];
    s->wip_total = w;
    s->production = done;
    s->total_production += done;
    s->input_limited_steps += s->input_limited;
    write_metrics(s, io->metrics);
}

static void processor_order(const void *params, void *state, const ree_node_io *io)
{
    const processor_params *p = params;
    processor_state *s = state;
    /* The planned rate is produce()'s of this step when it ran: the engine changes parameters
     * only before produce() (timeline, regimes) and order() reads the plag produce() left, so
     * the product is the same one. A hand-driven order() alone computes it. */
    double rate = s->rate_step == io->step
                      ? s->rate
                      : ramped_capacity(p, io->step) * price_utilisation(p, s->plag);
    for (uint64_t b = input_mask(s, io->nmat); b; b &= b - 1) {
        int m = __builtin_ctzll(b);
        double lead = io->lead ? io->lead[m] : 0;
        double want = (1 + lead + p->input_cover) * rate * p->inputs[m] - io->position[m];
        io->order[m] = want > 0 ? want : 0;
    }
    write_metrics(s, io->metrics);
}

static void processor_finish(const void *params, const void *state, const ree_model_ctx *ctx,
                             double *indicators)
{
    (void)params;
    (void)ctx;
    const processor_state *s = state;
    indicators[0] = s->total_production;
    indicators[1] = s->input_limited_steps;
}

/* The hooks on lanes (model_lanes.h): the same operations per lane. */
typedef struct processor_state_lanes {
    ree_vd wip[REE_PROC_RING]; /* t, [slot][lane] as in the scalar state */
    ree_vd down;               /* 1 during an outage, else 0 */
    ree_vd cap, production, input_limited, wip_total, total_production, input_limited_steps;
    ree_vd plag, rate;
    ree_vd delay;     /* steps, delay_steps() as an exact double (0 in lanes without a ring) */
    uint32_t busy;    /* bit i set when wip[i] may be nonzero in some lane */
    uint64_t in_mask; /* inputs is a matmap, shared by the lanes */
    int same_delay;   /* the delay when every lane has the same one, else -1 */
    int rate_step;    /* the lanes step together */
} processor_state_lanes;

/* The matmap pointer's type as one name, for REE_LP0. */
typedef const double *processor_inputs;

static void ramped_capacity_lanes(const void *par, int step, ree_vd *cap)
{
    ree_vd zero = REE_VSPLAT(0.0), one = REE_VSPLAT(1.0), t = REE_VSPLAT((double)step);
    ree_vd start = REE_LP(par, processor_params, ramp_start);
    ree_vd months = REE_LP(par, processor_params, ramp_months);
    ree_vd x = (t - start) / months; /* inf or NaN where months is 0: not selected */
    ree_vd f = REE_VSEL(x < zero, zero, REE_VSEL(x > one, one, x));
    f = REE_VSEL(months > zero, f, REE_VSEL(t >= start, one, zero));
    ree_vd c =
        REE_LP(par, processor_params, capacity) + REE_LP(par, processor_params, ramp_add) * f;
    *cap = REE_VSEL(c > zero, c, zero);
}

static void price_utilisation_lanes(const void *par, const ree_vd *plag, ree_vd *u)
{
    ree_vd util = REE_LP(par, processor_params, utilisation);
    ree_vd el = REE_LP(par, processor_params, price_util_elasticity);
    ree_vd one = REE_VSPLAT(1.0);
    ree_vl resp = (el > REE_VSPLAT(0.0)) & (*plag > one);
    *u = util;
    if (!REE_VANY(resp))
        return;
    /* the power (remath_lanes.h: ree_pow's bits in every lane) only where the scalar code takes
     * it, the other lanes on 2^0 */
    ree_vd x = REE_VSEL(resp, *plag, REE_VSPLAT(2.0)), y = REE_VSEL(resp, el, REE_VSPLAT(0.0)), pw;
    ree_pow_lanes(&x, &y, &pw);
    ree_vd v = util * pw;
    *u = REE_VSEL(resp, REE_VSEL(v < one, v, one), util);
}

static uint64_t input_mask_lanes(const processor_state_lanes *s, int nmat)
{
    return nmat >= REE_MAX_MATERIALS ? s->in_mask
           : nmat > 0                ? s->in_mask & ((UINT64_C(1) << nmat) - 1)
                                     : 0;
}

static void write_metrics_lanes(const processor_state_lanes *s, ree_vd *metrics)
{
    metrics[0] = s->cap;
    metrics[1] = s->production;
    metrics[2] = s->input_limited;
    metrics[3] = s->down;
    metrics[4] = s->wip_total;
}

static void processor_reset_lanes(const void *par, void *state, const ree_model_ctx *ctx)
{
    processor_state_lanes *s = state;
    processor_inputs inputs = REE_LP0(par, processor_params, inputs, processor_inputs);
    ree_vd d = REE_LP(par, processor_params, delay);
    s->plag = REE_VSPLAT(1.0);
    s->rate_step = -1;
    for (int l = 0; l < REE_LANES; l++)
        s->delay[l] = (int)clamp(d[l], 0, REE_PROC_RING - 1);
    s->same_delay = (int)s->delay[0];
    for (int l = 1; l < REE_LANES; l++)
        if (s->delay[l] != s->delay[0])
            s->same_delay = -1;
    for (int m = 0; m < ctx->nmat && m < REE_MAX_MATERIALS; m++)
        if (inputs[m] > 0)
            s->in_mask |= UINT64_C(1) << m;
}

static void processor_produce_lanes(const void *par, void *state, const ree_node_io_lanes *io)
{
    processor_state_lanes *s = state;
    int out = REE_LP0(par, processor_params, output, int);
    processor_inputs inputs = REE_LP0(par, processor_params, inputs, processor_inputs);
    ree_vd zero = REE_VSPLAT(0.0), one = REE_VSPLAT(1.0);

    /* One uniform per lane whose chance of a change is strictly between 0 and 1. */
    ree_vd q = REE_VSEL(s->down != zero, one / REE_LP(par, processor_params, outage_months),
                        REE_LP(par, processor_params, outage_prob));
    ree_vl draw = (q > zero) & (q < one);
    ree_vd u = one; /* compared only in the lanes that draw */
    if (REE_VANY(draw))
        ree_rng_uniform_pos_gsl_lanes(io->rng, &draw, &u);
    ree_vl change = (draw & (u < q)) | (~draw & (q >= one));
    s->down = REE_VSEL(change, one - s->down, s->down);

    ree_vd price = io->price ? io->price[out] : one;
    ree_vd lag = REE_LP(par, processor_params, price_lag_months);
    s->plag += (price - s->plag) * REE_VSEL(lag > one, one / lag, one);
    ramped_capacity_lanes(par, io->step, &s->cap);
    ree_vd pu;
    price_utilisation_lanes(par, &s->plag, &pu);
    s->rate = s->cap * pu;
    s->rate_step = io->step;
    ree_vd avail = REE_VSEL(s->down != zero, zero, s->rate);
    ree_vd by_input = REE_VSPLAT(INFINITY);
    uint64_t in = input_mask_lanes(s, io->nmat);
    for (uint64_t b = in; b; b &= b - 1) {
        int m = __builtin_ctzll(b);
        ree_vd st = REE_VSEL(io->stock[m] > zero, io->stock[m], zero);
        ree_vd n = st / REE_VSPLAT(inputs[m]);
        by_input = REE_VSEL(n < by_input, n, by_input);
    }
    /* x - x is 0 exactly where x is finite: elsewhere nothing can start */
    by_input = REE_VSEL(by_input - by_input == zero, by_input, zero);
    ree_vd room = REE_LP(par, processor_params, max_stock) - io->stock[out] - s->wip_total;
    room = REE_VSEL(room > zero, room, zero);

    ree_vd started = avail;
    started = REE_VSEL(by_input < started, by_input, started);
    started = REE_VSEL(room < started, room, started);
    s->input_limited =
        REE_VSEL((by_input < avail - REE_VSPLAT(INPUT_BIND_TOL)) & (by_input <= room), one, zero);

    for (uint64_t b = in; b; b &= b - 1) {
        int m = __builtin_ctzll(b);
        ree_vd c = started * REE_VSPLAT(inputs[m]);
        ree_vd st = REE_VSEL(io->stock[m] > zero, io->stock[m], zero);
        io->consumed[m] = REE_VSEL(c < st, c, st);
    }

    /* Lanes without delay take the batch started now and keep their ring empty. With one delay
     * d > 0 in every lane (the usual case) the batch out is one slot of all lanes; otherwise each
     * lane takes the batch of its own slot. Either way this step's batch goes into the step's. */
    ree_vd done = started;
    int slot_in = io->step % REE_PROC_RING;
    if (s->same_delay > 0) {
        int slot_out = slot_in - s->same_delay;
        if (slot_out < 0)
            slot_out += REE_PROC_RING;
        done = s->wip[slot_out];
        s->wip[slot_out] = zero;
        s->busy &= ~(UINT32_C(1) << slot_out);
        s->wip[slot_in] = started;
        if (REE_VANY(started != zero))
            s->busy |= UINT32_C(1) << slot_in;
        else
            s->busy &= ~(UINT32_C(1) << slot_in);
    } else if (s->same_delay < 0) {
        ree_vl ring = s->delay > zero;
        uint32_t emptied = UINT32_C(1) << slot_in;
        for (int l = 0; l < REE_LANES; l++) {
            if (!ring[l])
                continue;
            int slot_out = slot_in - (int)s->delay[l];
            if (slot_out < 0)
                slot_out += REE_PROC_RING;
            done[l] = s->wip[slot_out][l];
            s->wip[slot_out][l] = 0;
            emptied |= UINT32_C(1) << slot_out;
        }
        s->wip[slot_in] = REE_VSEL(ring, started, zero);
        for (uint32_t b = emptied; b; b &= b - 1) {
            int i = __builtin_ctz(b);
            if (REE_VANY(s->wip[i] != zero))
                s->busy |= UINT32_C(1) << i;
            else
                s->busy &= ~(UINT32_C(1) << i);
        }
    }
    io->produced[out] = done;

    /* The busy slots in slot order, as the scalar sum: a slot empty in one lane (+0 or -0) but
     * busy in another adds nothing to that lane's w (+0 or more, or NaN). */
    ree_vd w = zero;
    for (uint32_t b = s->busy; b; b &= b - 1)
        w += s->wip[__builtin_ctz(b)];
    s->wip_total = w;
    s->production = done;
    s->total_production += done;
    s->input_limited_steps += s->input_limited;
    write_metrics_lanes(s, io->metrics);
}

static void processor_order_lanes(const void *par, void *state, const ree_node_io_lanes *io)
{
    processor_state_lanes *s = state;
    processor_inputs inputs = REE_LP0(par, processor_params, inputs, processor_inputs);
    ree_vd zero = REE_VSPLAT(0.0), one = REE_VSPLAT(1.0);
    ree_vd rate = s->rate;
    if (s->rate_step != io->step) { /* as the scalar hook: order() without produce() */
        ree_vd pu;
        ramped_capacity_lanes(par, io->step, &rate);
        price_utilisation_lanes(par, &s->plag, &pu);
        rate = rate * pu;
    }
    ree_vd cover = REE_LP(par, processor_params, input_cover);
    for (uint64_t b = input_mask_lanes(s, io->nmat); b; b &= b - 1) {
        int m = __builtin_ctzll(b);
        ree_vd lead = io->lead ? io->lead[m] : zero;
        ree_vd want = (one + lead + cover) * rate * REE_VSPLAT(inputs[m]) - io->position[m];
        io->order[m] = REE_VSEL(want > zero, want, zero);
    }
    write_metrics_lanes(s, io->metrics);
}

static void processor_finish_lanes(const void *par, const void *state, const ree_model_ctx *ctx,
                                   double *ind)
{
    (void)par;
    (void)ctx;
    const processor_state_lanes *s = state;
    for (int l = 0; l < REE_LANES; l++) {
        ind[0 * REE_LANES + l] = s->total_production[l];
        ind[1 * REE_LANES + l] = s->input_limited_steps[l];
    }
}

static const ree_model_lanes processor_lanes = {
    .state_bytes = sizeof(processor_state_lanes),
    .reset = processor_reset_lanes,
    .produce = processor_produce_lanes,
    .order = processor_order_lanes,
    .finish = processor_finish_lanes,
};

const ree_model ree_model_processor = {
    .name = "processor",
    .summary = "separation, refining, metal or magnet making: recipe, capacity, delay, outages",
    .kind = REE_MODEL_NODE,
    .flags = 0,
    .params = processor_param_defs,
    .nparams = sizeof processor_param_defs / sizeof processor_param_defs[0],
    .params_size = sizeof(processor_params),
    .metrics = processor_metric_defs,
    .nmetrics = sizeof processor_metric_defs / sizeof processor_metric_defs[0],
    .indicators = processor_indicator_defs,
    .nindicators = sizeof processor_indicator_defs / sizeof processor_indicator_defs[0],
    .state_bytes = sizeof(processor_state),
    .check = processor_check,
    .reset = processor_reset,
    .produce = processor_produce,
    .order = processor_order,
    .finish = processor_finish,
    .lanes = &processor_lanes,
};

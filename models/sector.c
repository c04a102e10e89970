/*
 * sector: a demand sector (US cars, defense, electronics, energy, ...; China's own use, the rest
 * of the world) using one material, as one pooled stock or as a population of firm classes each
 * with its own stock. It orders to cover next month's need plus a safety stock, uses what it
 * has, and books shortfall, stoppages, substitution, demand destruction and the units of output
 * lost. Its consumption is final use
 * (REE_MF_SECTOR): the engine adds it to the history recyclers read.
 *
 * Per step t (m = material, wpm = REE_WEEKS_PER_MONTH), in the order() hook:
 *   z        = Phi^-1(u), the standard normal quantile (AS 241, as GSL's; models/exactmath.h),
 *              u = gsl_rng_uniform_pos(io->rng): one uniform every
 *              step, except with `noise` 0 (factor 1; the stream is keyed per step, so
 *              skipping it moves no other draw and scenarios stay on common random numbers)
 *   demand_t = demand * G_t * exp(noise * z - noise^2 / 2)                 (mean-1 noise) [t]
 *   G_t      = G0 * (1 + growth)^((t - t0) / 12)                    (growth path, G_0 = 1) [1]
 *              with G0 = 1, t0 = 0 at the start of a run, so G_t = (1 + growth)^(t / 12) while
 *              growth stays as it was; growth may be changed by timeline events and regimes:
 *              at the first step t1 whose growth differs from the last step's, G0 becomes the
 *              old path's value at t1, G0 * (1 + old growth)^((t1 - t0) / 12), and t0 = t1, so
 *              demand is continuous at the change (the level reached carries on) and compounds
 *              at the new rate from t1.
 *   sub      : if last step's shortfall_share > sub_trigger,
 *                  sub += (sub_max - sub) * min(1, 1 / sub_months)
 *              else sub -= sub * min(1, 1 / sub_revert_months)                 (sub_0 = 0)   [1]
 *   dd       = min(dd_max, dd_elasticity * scarcity[m])     (scarcity: last step's, 0..1)    [1]
 *   need     = demand_t * (1 - sub) * (1 - dd)                                                [t]
 *   order[m] = max(0, need * (1 + L + cover_weeks / wpm) - position[m])
 *   with L = io->lead[m] the lead time of the sector's supply [months]: this month's need, the
 *   need until an order placed now arrives, and the safety stock.
 * and in the consume() hook:
 *   used = min(stock[m], need); shortfall = need - used; consumed[m] = used
 *   shortfall_share = shortfall / need (0 when need = 0)
 *   lost_units = shortfall * 1000 / kg_per_unit
 * The time constants are clamped at one month (min(1, 1/...)) so any positive value is stable.
 *
 * Prices (off by default: every price_* parameter at its default leaves the rules above exact).
 * With P_t = io->price[m] (the price index written at the end of last step, 1 without one) and
 * a first-order lag Pl_t = Pl_{t-1} + (P_t - Pl_{t-1}) * min(1, 1 / price_lag_months),
 * Pl_{-1} = 1 (price_lag_months 0: Pl_t = P_t):
 *   sub_p    = min(sub_max, price_sub_elasticity * max(0, ln Pl_t))   the price-led target
 *   sub      : if last step's shortfall_share > sub_trigger: towards sub_max as above;
 *              else if sub < sub_p: sub += (sub_p - sub) * min(1, 1 / sub_months);
 *              else sub -= (sub - sub_p) * min(1, 1 / sub_revert_months)
 *   dd       = min(dd_max, dd_elasticity * scarcity[m] + price_dd_elasticity * max(0, ln Pl_t))
 * so a price of e (2.72x) sustained for price_lag_months moves a share price_sub_elasticity of
 * demand to substitutes (at the pace of sub_months) and destroys price_dd_elasticity of it.
 *
 * Firm populations (firm_classes K > 1): the sector is K equal classes of firms (share 1/K
 * each, of the sector's need) whose stock cover is lognormal across firms with mean
 * cover_weeks and sd cover_sd. Class i (0-based) gets the (i + 0.5) / K quantile:
 *   sl2 = ln(1 + cover_sd^2 / cover_weeks^2), c_i = exp(ln cover_weeks - sl2/2 + sqrt(sl2) z_i),
 *   z_i = Phi^-1((i + 0.5) / K)                                  (cover_sd 0: c_i = cover_weeks)
 * (The class machinery is models/firms.c, shared with the inventory's importer populations.)
 * Each class holds its own stock s_i and pipeline p_i (ordered and on the way), a split of the
 * node's: sum s_i = stock[m] and sum p_i = position[m] - stock[m] at every order() (the split is
 * rescaled to the engine's totals, so the node's mass balance is the engine's). In order():
 *   first step: s_i = stock * w_i / sum w, w_i = 1 + c_i / wpm; p_i = (position - stock) / K
 *   later:      X = max(0, Q_t - Q_{t-1} + received[m])  (what entered the pipeline since last
 *               order, Q = position - stock), given to the classes in proportion to their last
 *               orders (1/K each when none); then the arrivals received[m] are taken from the
 *               pipelines in proportion to p_i and added to s_i
 *   order_i  = max(0, need / K * (1 + L + c_i / wpm) - s_i - p_i),  order[m] = sum_i order_i
 * and in consume():
 *   used_i = min(s_i, need / K); stop_i = 1 - used_i / (need / K)  (0 when need = 0)
 *   used = sum used_i, shortfall = sum_i (need / K - used_i)
 * Bottleneck losses: a firm short of magnets cannot finish a unit that needs them (a vehicle
 * needs dozens of magnet parts; Ford idled Chicago Assembly ~1 week in May 2025 when one
 * supplier ran out: facts-detailed.md s.6), so a class stops production for the uncovered share
 * stop_i of the month and loses stop_i x its units per month, need / K * 1000 / kg_per_unit
 * (kg_per_unit: magnet content of one unit of output):
 *   lost_units = sum_i stop_i * need / K * 1000 / kg_per_unit
 * With K = 1 the class is the pool: the rules above are the pooled ones, exactly. A class is
 * stopped in a month when stop_i * days_per_month >= stop_days (days_per_month = 30.4375):
 *   firms_stopped = (number of stopped classes) / K                           [1]
 * Stopping is per class, so a thin-cover class stops while the others still have stock: the
 * split changes when losses start and how large they are, not the conversion (per class the
 * stopped firm-months and the tonnage give the same units).
 *
 * Metrics: demand demand_t [t], need [t], consumed [t], shortfall [t], shortfall_share [1],
 * substitution sub [1], destroyed = demand_t * (1 - sub) * dd [t], lost_units [units],
 * firms_stopped [1].
 * Indicators (per run; docs/indicators.md has them all with their formulas). A month is short
 * when used < service_level * need. With T = nsteps, S = shock_start (steps after the horizon
 * start, rounded up to a whole step), N = recover_months:
 *   shortfall           = sum_t shortfall_t                      [t] (the depth-duration area)
 *   shortfall_share     = shortfall / sum_t need_t (0 if no need)                          [1]
 *   months_short        = number of short months (months below the service level)     [months]
 *   max_shortfall_share = max_t shortfall_share_t                                          [1]
 *   lost_units          = sum_t lost_units_t                                           [units]
 *   first_short_month   = first short step (T if none)                                [months]
 *   max_shortfall       = max_t shortfall_t                                                [t]
 *   depth_duration      = sum_t shortfall_share_t: months of complete outage equivalent
 *                         (Bruneau's resilience triangle on the share of need met)    [months]
 *   onset_lag           = f - S, f the first short step at or after S (T if none)     [months]
 *   time_to_recover     = r - f, r the first step after f opening N consecutive months
 *                         that are not short; 0 if there is no f; T - f if there is no r
 *                         within the horizon                                          [months]
 *   first_stop_month    = first step with firms_stopped > 0 (T if none)               [months]
 *   time_to_first_stop  = g - S, g the first step at or after S with firms_stopped > 0 (T if
 *                         none)                                                       [months]
 *   firm_months_stopped = sum_t sum_i stop_i / K over the stopped class-months: months of
 *                         stoppage per firm                                           [months]
 *   max_firms_stopped   = max_t firms_stopped_t                                            [1]
 * They are computed by engine/stats/resilience.c (shared with the engine's region totals).
 * Resilience indicators after Sprecher et al. 2017 (ES&T 51(7), 3860-3870: onset, depth,
 * duration of a supply disruption) and the service-level view of supply-chain risk tools.
 * priority is not used by the hooks: the engine reads it to allocate scarce shipments.
 *
 * Where the numbers come from:
 *  - cover_weeks 4: auto tier-1 suppliers held 3-6 weeks of magnets (CLEPA 2025-06-04 ~3-4 weeks,
 *    ICRA 2025-06-10 4-6 weeks; shared/data/facts-detailed.md s.6).
 *  - kg_per_unit (required): ~2 kg NdFeB per EV traction motor (MP Materials/GM, 1,000 t for
 *    500,000 motors, facts-detailed.md s.3); 0.5-0.85 t/MW for direct-drive wind (Heim & Vander
 *    Wal 2023, s.3).
 *  - substitution: short-run substitution in autos ~0 for 6-24 months (Bajaj, May 2025,
 *    facts-detailed.md s.7); in 2010-11 it reached 10% of demand per year (Sprecher et al. 2017,
 *    facts.md). Defaults sub_max 0 (off), sub_months 12, sub_revert_months 36 and sub_trigger
 *    0.05 are assumptions consistent with those figures; demand destruction (dd_*) is off by
 *    default (Japan cut demand >15% in 2010-12 by substitution in polishing, facts-detailed.md
 *    s.7, a use outside magnets).
 *  - firm_classes 1 (one pooled stock, as before populations existed), cover_sd 0; the shipped
 *    scenarios state their own. stop_days 1: a stop shorter than a day (a shift) is not counted
 *    as a stoppage (assumption: plants report idled days, e.g. Ford's ~1 week in May 2025).
 *  - price_*: off by default. Sprecher et al. 2017 (2010-2011: substitution reached 10% of
 *    demand per year while Dy oxide rose 26-fold in 31 months; facts.md) suggest
 *    price_sub_elasticity ~0.07 (a 10x price sustained a year moves 0.07 * ln 10 = 16% towards
 *    substitutes, 63% of it within sub_months 12: ~10% in the first year) and a lag of about a
 *    year (price_lag_months 12); Japan cut demand >15% within two years (facts-detailed.md
 *    s.7), price_dd_elasticity ~0.05 (derived, indicative).
 *  - service_level 0.95 is an assumption (a month counts as short below 95% of need);
 *    recover_months 3 (a quarter back at service before a sector counts as recovered) is an
 *    assumption in the spirit of the quarterly reporting of the firms concerned; shock_start
 *    defaults to the horizon start (the scenario's shock is assumed to open the horizon).
 */
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "exactmath.h"
#include "exactmath_lanes.h"
#include "firms.h"
#include "model_lanes.h"
#include "model_lanes_cmp.h"
#include "remath_lanes.h"
#include "resilience.h"
#include "rng.h"
#include "rng_lanes.h"

typedef struct sector_params {
    int material;                /* material index */
    double demand;               /* t/month at t = 0 */
    double growth;               /* 1/year */
    double noise;                /* 1, sd of log demand */
    double cover_weeks;          /* weeks */
    double priority;             /* 1, integral; read by the engine */
    double kg_per_unit;          /* kg/unit */
    double service_level;        /* 1 */
    double sub_max;              /* 1 */
    double sub_months;           /* months */
    double sub_trigger;          /* 1 */
    double sub_revert_months;    /* months */
    double dd_max;               /* 1 */
    double dd_elasticity;        /* 1 per unit of scarcity */
    double shock_start;          /* steps after the horizon start (DATE) */
    double recover_months;       /* months, integral */
    double firm_classes;         /* 1, integral, 1..SECTOR_MAX_CLASSES */
    double cover_sd;             /* weeks, sd of cover across firms */
    double stop_days;            /* days */
    double price_sub_elasticity; /* 1 per unit of ln(price index) */
    double price_dd_elasticity;  /* 1 per unit of ln(price index) */
    double price_lag_months;     /* months */
} sector_params;

/* Most firm classes a sector holds (models/firms.h). */
#define SECTOR_MAX_CLASSES REE_FIRMS_MAX
/* A stoppage shorter than this share of a day is rounding, not a stop (only when stop_days 0). */
#define STOP_EPS 1e-9

typedef struct sector_state {
    double demand_t;      /* t */
    double need;          /* t */
    double sub;           /* 1 */
    double destroyed;     /* t */
    double used;          /* t */
    double shortfall;     /* t */
    double share;         /* 1, this step's (or last step's, in order()) shortfall share */
    double lost_units;    /* units */
    double stopped;       /* 1, share of firms stopped this month */
    double plag;          /* 1, lagged price index */
    double g0;            /* 1, the growth path's factor G0 at step t0 */
    double g_rate;        /* 1/year, the growth the path from t0 compounds at */
    ree_logx gbase;       /* 1 + g_rate with its log, for the path's powers */
    int t0;               /* step the current growth path starts from */
    ree_firms f;          /* the firm classes (k = 1: the pool) */
    int first_stop;       /* first stopped step, -1 if none */
    int first_stop_after; /* first stopped step at or after shock_start, -1 */
    double firm_months;   /* months, stopped class-months / K */
    double max_stopped;   /* 1 */
    ree_resil resil;      /* the indicators' accumulator (engine/stats/resilience.h) */
} sector_state;

static const ree_param_def sector_param_defs[] = {
    {.key = "material",
     .type = REE_PT_MATERIAL,
     .offset = offsetof(sector_params, material),
     .required = 1,
     .max = 0,
     .flags = REE_PF_IN,
     .unit = "",
     .doc = "the material used"},
    {.key = "demand",
     .type = REE_PT_NUM,
     .offset = offsetof(sector_params, demand),
     .required = 1,
     .max = REE_MAX_TONNES,
     .flags = REE_PF_TIMELINE,
     .unit = "t/month",
     .doc = "demand at the horizon start, before growth and noise"},
    {.key = "growth",
     .type = REE_PT_NUM,
     .offset = offsetof(sector_params, growth),
     .min = -0.5,
     .max = 2,
     .flags = REE_PF_TIMELINE,
     .unit = "1/year",
     .doc = "annual demand growth rate (a change compounds from the level reached)"},
    {.key = "noise",
     .type = REE_PT_NUM,
     .offset = offsetof(sector_params, noise),
     .max = 1,
     .unit = "1",
     .doc = "sd of the monthly multiplicative lognormal demand noise (mean 1)"},
    {.key = "cover_weeks",
     .type = REE_PT_NUM,
     .offset = offsetof(sector_params, cover_weeks),
     .def = 4,
     .max = REE_MAX_WEEKS,
     .unit = "weeks",
     .doc = "safety stock, in weeks of need"},
    {.key = "priority",
     .type = REE_PT_NUM,
     .offset = offsetof(sector_params, priority),
     .max = 10,
     .flags = REE_PF_INT,
     .unit = "1",
     .doc = "allocation priority when supply is short (higher first)"},
    {.key = "kg_per_unit",
     .type = REE_PT_NUM,
     .offset = offsetof(sector_params, kg_per_unit),
     .required = 1,
     .min = 1e-6,
     .max = INFINITY,
     .unit = "kg/unit",
     .doc = "material per unit of output (e.g. 2 kg per EV motor)"},
    {.key = "service_level",
     .type = REE_PT_NUM,
     .offset = offsetof(sector_params, service_level),
     .def = 0.95,
     .max = 1,
     .unit = "1",
     .doc = "share of need below which a month counts as short"},
    {.key = "sub_max",
     .type = REE_PT_NUM,
     .offset = offsetof(sector_params, sub_max),
     .max = 1,
     .unit = "1",
     .doc = "most of demand that substitution can take over"},
    {.key = "sub_months",
     .type = REE_PT_NUM,
     .offset = offsetof(sector_params, sub_months),
     .def = 12,
     .min = DBL_MIN,
     .max = REE_MAX_MONTHS,
     .unit = "months",
     .doc = "time constant of substitution under shortage"},
    {.key = "sub_trigger",
     .type = REE_PT_NUM,
     .offset = offsetof(sector_params, sub_trigger),
     .def = 0.05,
     .max = 1,
     .unit = "1",
     .doc = "shortfall share of need that counts as a shortage"},
    {.key = "sub_revert_months",
     .type = REE_PT_NUM,
     .offset = offsetof(sector_params, sub_revert_months),
     .def = 36,
     .min = DBL_MIN,
     .max = REE_MAX_MONTHS,
     .unit = "months",
     .doc = "time constant of reverting substitution"},
    {.key = "dd_max",
     .type = REE_PT_NUM,
     .offset = offsetof(sector_params, dd_max),
     .max = 1,
     .unit = "1",
     .doc = "most of demand that scarcity can destroy"},
    {.key = "dd_elasticity",
     .type = REE_PT_NUM,
     .offset = offsetof(sector_params, dd_elasticity),
     .max = INFINITY,
     .unit = "1",
     .doc = "share of demand destroyed per unit of scarcity"},
    {.key = "shock_start",
     .type = REE_PT_DATE,
     .offset = offsetof(sector_params, shock_start),
     .min = -INFINITY,
     .max = INFINITY,
     .unit = "date",
     .doc = "month of the shock onset_lag counts from (default: the horizon start)"},
    {.key = "recover_months",
     .type = REE_PT_NUM,
     .offset = offsetof(sector_params, recover_months),
     .def = 3,
     .min = 1,
     .max = REE_MAX_MONTHS,
     .flags = REE_PF_INT,
     .unit = "months",
     .doc = "consecutive months at service level that count as recovered"},
    {.key = "firm_classes",
     .type = REE_PT_NUM,
     .offset = offsetof(sector_params, firm_classes),
     .def = 1,
     .min = 1,
     .max = SECTOR_MAX_CLASSES,
     .flags = REE_PF_INT,
     .unit = "1",
     .doc =
         "classes of firms with their own stock (quantiles of the cover distribution); 1 = pooled"},
    {.key = "cover_sd",
     .type = REE_PT_NUM,
     .offset = offsetof(sector_params, cover_sd),
     .max = REE_MAX_WEEKS,
     .unit = "weeks",
     .doc = "sd of the lognormal cover across firms (mean cover_weeks)"},
    {.key = "stop_days",
     .type = REE_PT_NUM,
     .offset = offsetof(sector_params, stop_days),
     .def = 1,
     .max = REE_DAYS_PER_MONTH,
     .unit = "days",
     .doc = "shortest stop in a month that counts a class as stopped"},
    {.key = "price_sub_elasticity",
     .type = REE_PT_NUM,
     .offset = offsetof(sector_params, price_sub_elasticity),
     .max = 10,
     .unit = "1",
     .doc = "substitution target per unit of ln(lagged price index), up to sub_max"},
    {.key = "price_dd_elasticity",
     .type = REE_PT_NUM,
     .offset = offsetof(sector_params, price_dd_elasticity),
     .max = 10,
     .unit = "1",
     .doc = "demand destroyed per unit of ln(lagged price index), up to dd_max"},
    {.key = "price_lag_months",
     .type = REE_PT_NUM,
     .offset = offsetof(sector_params, price_lag_months),
     .max = REE_MAX_MONTHS,
     .unit = "months",
     .doc = "time constant of the lag of the price index seen"},
};

/* Metric indices: the engine reads need, consumed, shortfall and lost_units (sector_contract). */
enum {
    M_DEMAND,
    M_NEED,
    M_CONSUMED,
    M_SHORTFALL,
    M_SHORTFALL_SHARE,
    M_SUBSTITUTION,
    M_DESTROYED,
    M_LOST_UNITS,
    M_FIRMS_STOPPED,
    M_COUNT
};

static const ree_metric_def sector_metric_defs[M_COUNT] = {
    [M_DEMAND] = {"demand", "t", "demand this month, with growth and noise", REE_DIR_NEUTRAL, 0},
    [M_NEED] = {"need", "t", "demand left after substitution and destruction", REE_DIR_NEUTRAL, 0},
    [M_CONSUMED] = {"consumed", "t", "material used", REE_DIR_NEUTRAL, 0},
    [M_SHORTFALL] = {"shortfall", "t", "need not met", REE_DIR_HIGHER_WORSE, REE_MD_HEADLINE},
    [M_SHORTFALL_SHARE] = {"shortfall_share", "1", "shortfall / need (0 when need is 0)",
                           REE_DIR_HIGHER_WORSE, 0},
    [M_SUBSTITUTION] = {"substitution", "1", "share of demand substituted", REE_DIR_NEUTRAL, 0},
    [M_DESTROYED] = {"destroyed", "t", "demand destroyed by scarcity", REE_DIR_HIGHER_WORSE, 0},
    [M_LOST_UNITS] = {"lost_units", "units", "units of output lost to the shortfall",
                      REE_DIR_HIGHER_WORSE, 0},
    [M_FIRMS_STOPPED] = {"firms_stopped", "1",
                         "share of firms stopped at least stop_days this month",
                         REE_DIR_HIGHER_WORSE, 0},
};

static const ree_metric_def sector_indicator_defs[] = {
    {"shortfall", "t", "total shortfall", REE_DIR_HIGHER_WORSE, REE_MD_HEADLINE},
    {"shortfall_share", "1", "total shortfall / total need (0 if no need)", REE_DIR_HIGHER_WORSE,
     0},
    {"months_short", "months", "months below the service level", REE_DIR_HIGHER_WORSE,
     REE_MD_HEADLINE},
    {"max_shortfall_share", "1", "largest monthly shortfall share", REE_DIR_HIGHER_WORSE, 0},
    {"lost_units", "units", "total units of output lost", REE_DIR_HIGHER_WORSE, REE_MD_HEADLINE},
    {"first_short_month", "months", "first month below the service level (horizon if never)",
     REE_DIR_HIGHER_BETTER, 0},
    {"max_shortfall", "t", "largest monthly shortfall", REE_DIR_HIGHER_WORSE, 0},
    {"depth_duration", "months", "sum of monthly shortfall shares (months of full outage)",
     REE_DIR_HIGHER_WORSE, 0},
    {"onset_lag", "months", "months from shock_start to the first short month (horizon if none)",
     REE_DIR_HIGHER_BETTER, 0},
    {"time_to_recover", "months",
     "months from the onset to recover_months in a row at service level (0 if no onset)",
     REE_DIR_HIGHER_WORSE, 0},
    {"first_stop_month", "months", "first month with a class of firms stopped (horizon if never)",
     REE_DIR_HIGHER_BETTER, 0},
    {"time_to_first_stop", "months",
     "months from shock_start to the first month with firms stopped (horizon if none)",
     REE_DIR_HIGHER_BETTER, 0},
    {"firm_months_stopped", "months", "months of stoppage per firm (stopped class-months / K)",
     REE_DIR_HIGHER_WORSE, 0},
    {"max_firms_stopped", "1", "largest monthly share of firms stopped", REE_DIR_HIGHER_WORSE, 0},
};

static const ree_sector_contract sector_contract = {
    .need = M_NEED,
    .consumed = M_CONSUMED,
    .shortfall = M_SHORTFALL,
    .lost_units = M_LOST_UNITS,
    .material = offsetof(sector_params, material),
    .service_level = offsetof(sector_params, service_level),
    .kg_per_unit = offsetof(sector_params, kg_per_unit),
    .priority = offsetof(sector_params, priority),
};

static double rate(double months)
{
    return months > 1 ? 1 / months : 1;
}

/* The growth factor `months` after the start of a path at level g0 and base 1 + growth [1/year]
 * (with its log, taken once per path: ree_pow_logx is ree_pow bit for bit). A base of 1 gives 1
 * exactly, so no growth costs no power; g0 * x is x exactly for g0 = 1. */
static double growth_path(double g0, const ree_logx *base, int months)
{
    return g0 * ree_pow_logx(base, months / 12.0);
}

static void write_metrics(const sector_state *s, double *metrics)
{
    metrics[M_DEMAND] = s->demand_t;
    metrics[M_NEED] = s->need;
    metrics[M_CONSUMED] = s->used;
    metrics[M_SHORTFALL] = s->shortfall;
    metrics[M_SHORTFALL_SHARE] = s->share;
    metrics[M_SUBSTITUTION] = s->sub;
    metrics[M_DESTROYED] = s->destroyed;
    metrics[M_LOST_UNITS] = s->lost_units;
    metrics[M_FIRMS_STOPPED] = s->stopped;
}

static void sector_reset(const void *params, void *state, const ree_model_ctx *ctx)
{
    const sector_params *p = params;
    (void)ctx;
    sector_state *s = state;
    *s = (sector_state){0};
    ree_resil_reset(&s->resil, p->service_level, ceil(p->shock_start), p->recover_months);
    s->plag = 1;
    s->g0 = 1;
    s->g_rate = p->growth;
    ree_logx_set(&s->gbase, 1 + p->growth);
    s->t0 = 0;
    s->first_stop = s->first_stop_after = -1;
    ree_firms_reset(&s->f, p->firm_classes, p->cover_weeks, p->cover_sd);
}

static void sector_order(const void *params, void *state, const ree_node_io *io)
{
    const sector_params *p = params;
    sector_state *s = state;
    int m = p->material;

    /* noise 0: the factor is exp(+-0) = 1 whatever z is, so u is not drawn (the stream is
     * keyed per step and this is the model's only draw, so no other draw moves). */
    double factor = 1;
    if (p->noise != 0) {
        double z = ree_ugaussian_pinv(ree_rng_uniform_pos_gsl(io->rng));
        factor = ree_exp(p->noise * z - p->noise * p->noise / 2);
    }
    /* A changed growth (timeline, regime) starts a new path from the level reached. Without a
     * change g0 stays 1 and t0 0, so grown is ree_pow(base, step / 12.0) bit for bit. */
    if (p->growth != s->g_rate) {
        s->g0 = growth_path(s->g0, &s->gbase, io->step - s->t0);
        s->g_rate = p->growth;
        ree_logx_set(&s->gbase, 1 + p->growth);
        s->t0 = io->step;
    }
    double grown = growth_path(s->g0, &s->gbase, io->step - s->t0);
    s->demand_t = p->demand * grown * factor;

    double price = io->price ? io->price[m] : 1;
    s->plag += (price - s->plag) * rate(p->price_lag_months);
    double lnp = s->plag > 1 ? ree_log(s->plag) : 0;
    double sub_p = p->price_sub_elasticity * lnp;
    if (sub_p > p->sub_max)
        sub_p = p->sub_max;
    if (s->share > p->sub_trigger)
        s->sub += (p->sub_max - s->sub) * rate(p->sub_months);
    else if (s->sub < sub_p)
        s->sub += (sub_p - s->sub) * rate(p->sub_months);
    else
        s->sub -= (s->sub - sub_p) * rate(p->sub_revert_months);

    double sc = io->scarcity[m];
    double dd = p->dd_elasticity * (sc > 0 ? sc : 0) + p->price_dd_elasticity * lnp;
    if (dd > p->dd_max)
        dd = p->dd_max;
    double kept = s->demand_t * (1 - s->sub);
    s->destroyed = kept * dd;
    s->need = kept * (1 - dd);

    double lead = io->lead ? io->lead[m] : 0;
    if (s->f.k == 1) {
        double q = s->need * (1 + lead + p->cover_weeks / REE_WEEKS_PER_MONTH) - io->position[m];
        io->order[m] = q > 0 ? q : 0;
    } else {
        ree_firms *f = &s->f;
        ree_firms_split(f, io->stock[m], io->position[m], io->received ? io->received[m] : 0);
        double total = 0, n = s->need / f->k;
        for (int i = 0; i < f->k; i++) {
            double q =
                n * (1 + lead + f->cover[i] / REE_WEEKS_PER_MONTH) - f->cstock[i] - f->cpipe[i];
            f->corder[i] = q > 0 ? q : 0;
            total += f->corder[i];
        }
        io->order[m] = total;
    }

    /* consume() has not run yet this step: show no use rather than last month's. */
    s->used = 0;
    s->shortfall = 0;
    s->lost_units = 0;
    s->stopped = 0;
    write_metrics(s, io->metrics);
}

/* Book class i's stop share of this month (stop in 0..1) into the month's totals. */
static void class_stop(const sector_params *p, sector_state *s, double stop, double *months)
{
    int stopped = stop > STOP_EPS && stop * REE_DAYS_PER_MONTH >= p->stop_days;
    if (!stopped)
        return;
    s->stopped += 1.0 / s->f.k;
    *months += stop / s->f.k;
}

static void sector_consume(const void *params, void *state, const ree_node_io *io)
{
    const sector_params *p = params;
    sector_state *s = state;
    int m = p->material;

    double stock = io->stock[m] > 0 ? io->stock[m] : 0;
    double months = 0;
    s->stopped = 0;
    if (s->f.k == 1) {
        s->used = stock < s->need ? stock : s->need;
        s->shortfall = s->need - s->used;
        s->lost_units = s->shortfall * 1000 / p->kg_per_unit;
        class_stop(p, s, s->need > 0 ? s->shortfall / s->need : 0, &months);
    } else {
        ree_firms *f = &s->f;
        double n = s->need / f->k, used = 0, lost = 0, shortfall = 0;
        ree_firms_rescale(f->cstock, f->k, stock);
        for (int i = 0; i < f->k; i++) {
            double u = f->cstock[i] < n ? f->cstock[i] : n;
            f->cstock[i] -= u;
            used += u;
            /* A class that gets its whole share (u == n, n finite) adds n - u = +0 to the
             * shortfall, stop = 1 - n / n = 0 (or 0 for n = 0) and 0 * n * 1000 / kg = +0 to the
             * losses, and is not stopped: the sums (from +0, never -0) stay as they are. */
            if (u == n && n < INFINITY)
                continue;
            shortfall += n - u;
            double stop = n > 0 ? 1 - u / n : 0;
            lost += stop * n * 1000 / p->kg_per_unit;
            class_stop(p, s, stop, &months);
        }
        /* Class sums, not need - used: no rounding residue shows as a shortfall. */
        s->used = used < stock ? used : stock;
        s->shortfall = shortfall;
        s->lost_units = lost;
    }
    io->consumed[m] = s->used;
    s->share = s->need > 0 ? s->shortfall / s->need : 0;

    if (s->stopped > 0) {
        if (s->first_stop < 0)
            s->first_stop = io->step;
        if (s->first_stop_after < 0 && io->step >= ceil(p->shock_start))
            s->first_stop_after = io->step;
    }
    s->firm_months += months;
    if (s->stopped > s->max_stopped)
        s->max_stopped = s->stopped;

    ree_resil_step(&s->resil, io->step, s->need, s->used, s->shortfall, s->lost_units);
    write_metrics(s, io->metrics);
}

static void sector_finish(const void *params, const void *state, const ree_model_ctx *ctx,
                          double *indicators)
{
    const sector_params *p = params;
    const sector_state *s = state;
    ree_resil_result res;
    ree_resil_finish(&s->resil, ctx->nsteps, &res);
    indicators[0] = res.shortfall;
    indicators[1] = res.shortfall_share;
    indicators[2] = res.months_short;
    indicators[3] = res.max_shortfall_share;
    indicators[4] = res.lost_units;
    indicators[5] = res.first_short_month;
    indicators[6] = res.max_shortfall;
    indicators[7] = res.depth_duration;
    indicators[8] = res.onset_lag;
    indicators[9] = res.time_to_recover;
    indicators[10] = s->first_stop >= 0 ? s->first_stop : ctx->nsteps;
    indicators[11] =
        s->first_stop_after >= 0 ? s->first_stop_after - ceil(p->shock_start) : ctx->nsteps;
    indicators[12] = s->firm_months;
    indicators[13] = s->max_stopped;
}

/* The hooks on lanes (model_lanes.h): the same operations per lane, branches as selects. Draws
 * are per lane; the quantile, exp, log and the growth path's power are their lane versions
 * (exactmath_lanes.h, remath_lanes.h: the scalar bits in every lane), but a new growth path is
 * started lane by lane (rare). A lane with k = 1 takes the pooled rules while the others take
 * their classes. */
typedef struct sector_state_lanes {
    ree_vd demand_t, need, sub, destroyed, used, shortfall, share, lost_units, stopped, plag;
    ree_vd g0, g_rate, t0;               /* t0: a step, as an exact double */
    ree_vd first_stop, first_stop_after; /* steps, -1 if none */
    ree_vd firm_months, max_stopped;
    ree_logx_lanes gbase;
    ree_resil_lanes resil;
    ree_firms_lanes f;
    int npow; /* entries of pcache: the horizon's steps */
    /* The one-path power's cache, per step (sector_order_lanes), kept across groups of runs
     * (kept_from): the bits of ree_pow_logx's arguments (base x, hi, lo; y) and its result. */
    struct sector_pow {
        uint64_t key[4], full; /* full: 0 in an entry never filled */
        double pw;
    } pcache[];
} sector_state_lanes;

static size_t sector_state_size_lanes(const ree_model_ctx *ctx)
{
    size_t n = ctx->nsteps > 0 ? (size_t)ctx->nsteps : 0;
    return offsetof(sector_state_lanes, pcache) + n * sizeof(struct sector_pow);
}

/* ree_pow_logx(b, y), from step's cache entry when that holds the bits of these very arguments
 * (then the same call's bits), else computed and stored there. */
static double pow_cached(sector_state_lanes *s, int step, const ree_logx *b, double y)
{
    if (step < 0 || step >= s->npow)
        return ree_pow_logx(b, y);
    uint64_t k[4];
    memcpy(&k[0], &b->x, sizeof k[0]);
    memcpy(&k[1], &b->hi, sizeof k[1]);
    memcpy(&k[2], &b->lo, sizeof k[2]);
    memcpy(&k[3], &y, sizeof k[3]);
    struct sector_pow *c = &s->pcache[step];
    if (c->full && c->key[0] == k[0] && c->key[1] == k[1] && c->key[2] == k[2] && c->key[3] == k[3])
        return c->pw;
    double pw = ree_pow_logx(b, y);
    memcpy(c->key, k, sizeof k);
    c->pw = pw;
    c->full = 1;
    return pw;
}

/* rate() of a lane vector of months. */
#define RATE_LANES(months)                                                                         \
    REE_VSEL(REE_VCMP(months, >, REE_VSPLAT(1.0)), REE_VSPLAT(1.0) / (months), REE_VSPLAT(1.0))

#define SP(field) REE_LP(params, sector_params, field)

static void write_metrics_lanes(const sector_state_lanes *s, ree_vd *metrics)
{
    metrics[M_DEMAND] = s->demand_t;
    metrics[M_NEED] = s->need;
    metrics[M_CONSUMED] = s->used;
    metrics[M_SHORTFALL] = s->shortfall;
    metrics[M_SHORTFALL_SHARE] = s->share;
    metrics[M_SUBSTITUTION] = s->sub;
    metrics[M_DESTROYED] = s->destroyed;
    metrics[M_LOST_UNITS] = s->lost_units;
    metrics[M_FIRMS_STOPPED] = s->stopped;
}

static void sector_reset_lanes(const void *params, void *state, const ree_model_ctx *ctx)
{
    sector_state_lanes *s = state;
    s->npow = ctx->nsteps > 0 ? ctx->nsteps : 0;
    ree_vd sl = SP(service_level), rm = SP(recover_months), shock = SP(shock_start);
    ree_vd growth = SP(growth), classes = SP(firm_classes), cover = SP(cover_weeks),
           cover_sd = SP(cover_sd);
    for (int l = 0; l < REE_LANES; l++)
        shock[l] = ceil(shock[l]);
    ree_vd base = 1 + growth;
    ree_logx_set_lanes(&s->gbase, &base);
    ree_resil_reset_lanes(&s->resil, &sl, &shock, &rm);
    s->plag = REE_VSPLAT(1.0);
    s->g0 = REE_VSPLAT(1.0);
    s->g_rate = growth;
    s->first_stop = s->first_stop_after = REE_VSPLAT(-1.0);
    ree_firms_reset_lanes(&s->f, &classes, &cover, &cover_sd);
}

static void sector_order_lanes(const void *params, void *state, const ree_node_io_lanes *io)
{
    sector_state_lanes *s = state;
    int m = REE_LP0(params, sector_params, material, int);
    const ree_vd zero = REE_VSPLAT(0.0), one = REE_VSPLAT(1.0);

    /* noise 0: no draw in that lane (sector_order) */
    ree_vd noise = SP(noise), factor = one;
    ree_vl draw = REE_VCMP(noise, !=, zero);
    if (REE_VANY(draw)) {
        ree_vd u = REE_VSPLAT(0.5), z, e; /* the quantile of 1/2 is 0 */
        ree_rng_uniform_pos_gsl_lanes(io->rng, &draw, &u);
        ree_ugaussian_pinv_lanes(&u, &z);
        z = REE_VSEL(draw, z, zero);
        ree_vd arg = noise * z - noise * noise / 2.0;
        ree_exp_lanes(&arg, &e);
        factor = REE_VSEL(draw, e, one);
    }
    ree_vd growth = SP(growth);
    ree_vl changed = REE_VCMP(growth, !=, s->g_rate);
    if (REE_VANY(changed))
        for (int l = 0; l < REE_LANES; l++)
            if (changed[l]) {
                ree_logx b = ree_logx_lane(&s->gbase, l);
                s->g0[l] = growth_path(s->g0[l], &b, io->step - (int)s->t0[l]);
                s->g_rate[l] = growth[l];
                ree_logx_set(&b, 1 + growth[l]);
                ree_logx_put_lane(&s->gbase, l, &b);
                s->t0[l] = io->step;
            }
    /* Lanes on one path (the same growth since the same step, as without sampled growth) share
     * one power: the same call on the same arguments, which every group of runs repeats, so it
     * is cached per step across groups, keyed by the bits of its arguments (pow_cached). */
    ree_vd y = (REE_VSPLAT((double)io->step) - s->t0) / 12.0, pw = one;
    if (REE_VALL(REE_VCMP(s->g_rate, ==, REE_VSPLAT(s->g_rate[0])) &
                 REE_VCMP(s->t0, ==, REE_VSPLAT(s->t0[0])))) {
        ree_logx b = ree_logx_lane(&s->gbase, 0);
        double p1 = pow_cached(s, io->step, &b, y[0]); /* once: REE_VSPLAT repeats its argument */
        pw = REE_VSPLAT(p1);
    } else
        ree_pow_logx_lanes(&s->gbase, &y, &pw);
    s->demand_t = SP(demand) * (s->g0 * pw) * factor;

    ree_vd price = io->price ? io->price[m] : one;
    s->plag += (price - s->plag) * RATE_LANES(SP(price_lag_months));
    ree_vd lnp = zero;
    ree_vl up = REE_VCMP(s->plag, >, one);
    if (REE_VANY(up)) {
        ree_vd x = REE_VSEL(up, s->plag, one);
        ree_log_lanes(&x, &lnp);
        lnp = REE_VSEL(up, lnp, zero);
    }
    ree_vd sub_max = SP(sub_max), sub_months = SP(sub_months);
    ree_vd sub_p = SP(price_sub_elasticity) * lnp;
    sub_p = REE_VSEL(REE_VCMP(sub_p, >, sub_max), sub_max, sub_p);
    ree_vl trig = REE_VCMP(s->share, >, SP(sub_trigger));
    ree_vl rise = ~trig & REE_VCMP(s->sub, <, sub_p);
    ree_vd to_max = s->sub + (sub_max - s->sub) * RATE_LANES(sub_months);
    ree_vd to_p = s->sub + (sub_p - s->sub) * RATE_LANES(sub_months);
    ree_vd back = s->sub - (s->sub - sub_p) * RATE_LANES(SP(sub_revert_months));
    s->sub = REE_VSEL(trig, to_max, REE_VSEL(rise, to_p, back));

    ree_vd sc = io->scarcity[m], dd_max = SP(dd_max);
    ree_vd dd = SP(dd_elasticity) * REE_VSEL(REE_VCMP(sc, >, zero), sc, zero) +
                SP(price_dd_elasticity) * lnp;
    dd = REE_VSEL(REE_VCMP(dd, >, dd_max), dd_max, dd);
    ree_vd kept = s->demand_t * (one - s->sub);
    s->destroyed = kept * dd;
    s->need = kept * (one - dd);

    ree_vd lead = io->lead ? io->lead[m] : zero;
    ree_vd q = s->need * (one + lead + SP(cover_weeks) / REE_WEEKS_PER_MONTH) - io->position[m];
    ree_vd order = REE_VSEL(REE_VCMP(q, >, zero), q, zero);
    if (s->f.kmax > 1) {
        ree_firms_lanes *f = &s->f;
        ree_vd rec = io->received ? io->received[m] : zero;
        ree_firms_split_lanes(f, &io->stock[m], &io->position[m], &rec);
        ree_vd total = zero, n = s->need / f->kd;
        for (int i = 0; i < f->kmax; i++) {
            ree_vd qi =
                n * (one + lead + f->cover[i] / REE_WEEKS_PER_MONTH) - f->cstock[i] - f->cpipe[i];
            f->corder[i] = REE_VSEL(REE_VCMP(qi, >, zero), qi, zero);
            total = REE_VSEL(REE_FIRMS_LIVE(f, i), total + f->corder[i], total);
        }
        order = REE_VSEL(REE_VCMP(f->kd, ==, one), order, total);
    }
    io->order[m] = order;

    s->used = zero;
    s->shortfall = zero;
    s->lost_units = zero;
    s->stopped = zero;
    write_metrics_lanes(s, io->metrics);
}

static void sector_consume_lanes(const void *params, void *state, const ree_node_io_lanes *io)
{
    sector_state_lanes *s = state;
    int m = REE_LP0(params, sector_params, material, int);
    const ree_vd zero = REE_VSPLAT(0.0), one = REE_VSPLAT(1.0);
    ree_vd kg = SP(kg_per_unit), stop_days = SP(stop_days), k = s->f.kd;

    ree_vd stock = REE_VSEL(REE_VCMP(io->stock[m], >, zero), io->stock[m], zero);
    ree_vd need = s->need, months = zero, stopped = zero, firm = one / k;
    /* class_stop(): a stop that counts adds 1 / k of the firms (firm) and stop / k months */
#define CLASS_STOP(mask, stop)                                                                     \
    do {                                                                                           \
        ree_vl counts_ = (mask)&REE_VCMP(stop, >, REE_VSPLAT(STOP_EPS)) &                          \
                         REE_VCMP((stop)*REE_DAYS_PER_MONTH, >=, stop_days);                       \
        stopped = REE_VSEL(counts_, stopped + firm, stopped);                                      \
        months = REE_VSEL(counts_, months + (stop) / k, months);                                   \
    } while (0)

    ree_vd used = REE_VSEL(REE_VCMP(stock, <, need), stock, need);
    ree_vd shortfall = need - used;
    ree_vd lost = shortfall * 1000 / kg;
    ree_vl pooled = REE_VCMP(k, ==, one);
    ree_vd stop = REE_VSEL(REE_VCMP(need, >, zero), shortfall / need, zero);
    CLASS_STOP(pooled, stop);
    if (s->f.kmax > 1) {
        ree_firms_lanes *f = &s->f;
        ree_vd n = need / k, cused = zero, clost = zero, cshort = zero;
        ree_firms_rescale_lanes(f, f->cstock, &stock);
        for (int i = 0; i < f->kmax; i++) {
            ree_vl live = ~pooled & REE_FIRMS_LIVE(f, i);
            ree_vd u = REE_VSEL(REE_VCMP(f->cstock[i], <, n), f->cstock[i], n);
            f->cstock[i] -= u;
            cused = REE_VSEL(live, cused + u, cused);
            /* a class served in full adds nothing (sector_consume) */
            ree_vl part = live & ~(REE_VCMP(u, ==, n) & REE_VCMP(n, <, REE_VSPLAT(INFINITY)));
            if (!REE_VANY(part))
                continue;
            cshort = REE_VSEL(part, cshort + (n - u), cshort);
            ree_vd cstop = REE_VSEL(REE_VCMP(n, >, zero), one - u / n, zero);
            clost = REE_VSEL(part, clost + cstop * n * 1000 / kg, clost);
            CLASS_STOP(part, cstop);
        }
        used = REE_VSEL(pooled, used, REE_VSEL(REE_VCMP(cused, <, stock), cused, stock));
        shortfall = REE_VSEL(pooled, shortfall, cshort);
        lost = REE_VSEL(pooled, lost, clost);
    }
#undef CLASS_STOP
    s->used = used;
    s->shortfall = shortfall;
    s->lost_units = lost;
    s->stopped = stopped;
    io->consumed[m] = used;
    s->share = REE_VSEL(REE_VCMP(need, >, zero), shortfall / need, zero);

    ree_vl any = REE_VCMP(stopped, >, zero);
    if (REE_VANY(any)) {
        ree_vd t = REE_VSPLAT((double)io->step), shock = SP(shock_start);
        for (int l = 0; l < REE_LANES; l++)
            shock[l] = ceil(shock[l]);
        s->first_stop = REE_VSEL(any & REE_VCMP(s->first_stop, <, zero), t, s->first_stop);
        s->first_stop_after =
            REE_VSEL(any & REE_VCMP(s->first_stop_after, <, zero) & REE_VCMP(t, >=, shock), t,
                     s->first_stop_after);
    }
    s->firm_months += months;
    s->max_stopped = REE_VSEL(REE_VCMP(stopped, >, s->max_stopped), stopped, s->max_stopped);

    ree_resil_step_lanes(&s->resil, io->step, &s->need, &s->used, &s->shortfall, &s->lost_units);
    write_metrics_lanes(s, io->metrics);
}

static void sector_finish_lanes(const void *params, const void *state, const ree_model_ctx *ctx,
                                double *ind)
{
    const sector_state_lanes *s = state;
    ree_resil_result res[REE_LANES];
    ree_resil_finish_lanes(&s->resil, ctx->nsteps, res);
    ree_vd shock = SP(shock_start);
    for (int l = 0; l < REE_LANES; l++) {
        const ree_resil_result *r = &res[l];
        const double v[] = {r->shortfall,
                            r->shortfall_share,
                            r->months_short,
                            r->max_shortfall_share,
                            r->lost_units,
                            r->first_short_month,
                            r->max_shortfall,
                            r->depth_duration,
                            r->onset_lag,
                            r->time_to_recover,
                            s->first_stop[l] >= 0 ? s->first_stop[l] : ctx->nsteps,
                            s->first_stop_after[l] >= 0 ? s->first_stop_after[l] - ceil(shock[l])
                                                        : ctx->nsteps,
                            s->firm_months[l],
                            s->max_stopped[l]};
        for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
            ind[i * REE_LANES + (size_t)l] = v[i];
    }
}

static const ree_model_lanes sector_lanes = {
    .state_size = sector_state_size_lanes,
    .kept_from = offsetof(sector_state_lanes, pcache),
    .reset = sector_reset_lanes,
    .order = sector_order_lanes,
    .consume = sector_consume_lanes,
    .finish = sector_finish_lanes,
};

const ree_model ree_model_sector = {
    .name = "sector",
    .summary = "demand sector: pooled or firm classes with own stocks, stoppages, substitution",
    .kind = REE_MODEL_NODE,
    .flags = REE_MF_SECTOR,
    .params = sector_param_defs,
    .nparams = sizeof sector_param_defs / sizeof sector_param_defs[0],
    .params_size = sizeof(sector_params),
    .metrics = sector_metric_defs,
    .nmetrics = sizeof sector_metric_defs / sizeof sector_metric_defs[0],
    .indicators = sector_indicator_defs,
    .nindicators = sizeof sector_indicator_defs / sizeof sector_indicator_defs[0],
    .sector = &sector_contract,
    .state_bytes = sizeof(sector_state),
    .reset = sector_reset,
    .order = sector_order,
    .consume = sector_consume,
    .finish = sector_finish,
    .lanes = &sector_lanes,
};

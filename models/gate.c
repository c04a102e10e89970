/*
 * gate: an export licence gate, such as China's licensing of rare earths and magnets under
 * MOFCOM/GAC Announcement No. 18 of 4 April 2025 (licences for Sm, Gd, Tb, Dy, Lu, Sc, Y and
 * magnets containing them). Every order placed across a link through the gate is a licence
 * application. Applications wait a review time, are approved (wholly or in part) or denied,
 * may then wait for a monthly quota, and become licences that allow shipping for a limited
 * time. Only licensed tonnage may ship.
 *
 * Quantities are tonnes [t] of the link's material; time is in steps of one month.
 *
 * State, per link l (sized from ctx->nlink and ctx->nsteps):
 *   pend[s][l]  t pending review whose decision is due at step s (s = nsteps: past the horizon,
 *               never decided), with the tonnage-weighted entry step (for waits);
 *   wait[a][l]  t approved at step a, waiting for quota, with its tonnage-weighted entry step;
 *   lic[g][l]   t of open licences granted at step g.
 *
 * gate_decide(step t), in this order:
 *  (1) if active = 0 (no licensing): everything pending or waiting for quota is granted now
 *      (quota and end-use rules do not apply), and in (3) new applications are granted at once.
 *  (2) expiry: a licence granted at g may be used in steps g .. g + V - 1 (V = validity_months);
 *      at step t every unused licence with g <= t - V expires.
 *  (3) entry: q = applied[l]. Materials not in `covers` (and everything while inactive) are
 *      granted at once. Otherwise the cohort gets a review time
 *          m = review_days / REE_DAYS_PER_MONTH * f,  f = exp(sigma z - sigma^2 / 2),
 *          sigma^2 = ln(1 + review_cv^2),  z = Phi^-1(u),  u one uniform from io->rng,
 *      so f is lognormal with mean 1 and coefficient of variation review_cv (f = 1 when
 *      review_cv = 0). One uniform is drawn for every covered link every active step, q = 0
 *      included, before any other draw of the step, so review times stay aligned across
 *      scenarios (common random numbers). The cohort is due q (1 - frac(m)) at t + floor(m) and
 *      q frac(m) at t + floor(m) + 1, so its expected wait is exactly m; m = 0 is decided in (4)
 *      of the same step. Decisions due at or past the horizon stay pending.
 *  (4) decision of everything due at t on link l, q t as one batch:
 *        end-use denied (deny_end_use & end_use[l] != 0): all q denied;
 *        else n = max(1, round(q / application_t)) applications, k ~ Binomial(n, approval)
 *             (gsl_ran_binomial on io->rng; no draw when approval is 0 or 1),
 *             approved = q k/n partial, denied = q - approved.
 *      Small flows are therefore all-or-nothing and noisy; large flows average out.
 *  (5) quota Q [t/month] over all links: approval months are served oldest first (what waits
 *      from earlier months, then this month's approvals). Within one month, if its waiting
 *      total W exceeds the quota left R, every link gets the same share R / W (no order-of-
 *      iteration effect) and the rest keeps waiting.
 *  (6) grants become licences; licensed[l] = open licences; on_order[l] = pending + waiting +
 *      licensed.
 * gate_ship(step t): shipped[l] (clamped to the open licences) uses the licences that expire
 *   first (the oldest grants); on_order[l] is updated.
 *
 * Balances (tested): with backlog = pending + waiting and licences = open licences,
 *   backlog_t  = backlog_{t-1}  + applications_t - approved_t - denied_t
 *   licences_t = licences_{t-1} + approved_t - shipped_t - expired_t   (after shipping)
 * where "approved" is tonnage granted (released into licences); pass-through (uncovered
 * materials, inactive gate) counts as applied and approved in the same step with wait 0.
 *
 * Where the numbers come from (shared/data/facts.md, facts-detailed.md s.4 and s.6,
 * timeline_2025.csv):
 *  - review_days 63: the statutory review is up to 45 working days (MOFCOM Announcement No. 18;
 *    mining.com "upwards of 45 business days"); 45 working days = 9 weeks = 63 calendar days.
 *    Bajaj (autocarpro, 2025-05-29) was told licences take 40-45 days.
 *  - review_cv 0.3: an assumption (no spread is reported); it makes the middle 90% of reviews
 *    run from about 0.6 to 1.6 times the mean.
 *  - approval 1 and partial 1 are neutral defaults: scenarios set the historical pace, e.g.
 *    approval 0.25 for May 2025 (CLEPA 2025-06-04: about 25% of requests granted, Reuters);
 *    about 0.13 of decided-or-pending for September 2025 (EU Chamber: 141 applications, 19
 *    approved, 121 pending, 1 rejected, torre.news 2025-09-17), i.e. slow decisions rather
 *    than refusals, which review_days expresses.
 *  - application_t 5: an assumption (no statistics of application sizes); US-bound magnet
 *    exports of 46 t in May 2025 (customs, timeline_2025.csv) would then be about 9 approved
 *    applications.
 *  - validity_months 6: China gave 6-month licences to US automakers and suppliers after the
 *    London talks of June 2025 (WSJ 2025-06-11, facts-detailed.md s.4). The general licences
 *    from December 2025 are 1-year (Reuters 2025-12-02): validity_months 12 with a short review.
 *  - quota: none by default; deny_end_use: none by default (Announcement No. 61 of October 2025
 *    denies military end users in principle: deny_end_use [defense]).
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gate_priv.h"
#include "gate_rule.h"
#include "models.h"

/* Bounds: 100 years of review (the longest horizon), and a review-time coefficient of variation
 * of 10 (its lognormal factor then has a median of 0.1; above ~1e154, cv^2 overflows). */
#define REVIEW_CV_MAX 10.0

static const ree_param_def gate_param_defs[] = {
    {.key = "active",
     .type = REE_PT_NUM,
     .offset = offsetof(gate_params, active),
     .def = 1,
     .max = 1,
     .flags = REE_PF_INT | REE_PF_TIMELINE,
     .unit = "1",
     .doc = "1: licences required; 0: everything licensed at once, pending released"},
    {.key = "covers",
     .type = REE_PT_MATSET,
     .offset = offsetof(gate_params, covers),
     .required = 1,
     .max = 0,
     .unit = "",
     .doc = "materials under licence; others pass freely"},
    {.key = "review_days",
     .type = REE_PT_NUM,
     .offset = offsetof(gate_params, review_days),
     .def = 63,
     .max = REVIEW_DAYS_MAX,
     .flags = REE_PF_TIMELINE,
     .unit = "days",
     .doc = "mean review time (45 working days = 63 days)"},
    {.key = "review_cv",
     .type = REE_PT_NUM,
     .offset = offsetof(gate_params, review_cv),
     .def = 0.3,
     .max = REVIEW_CV_MAX,
     .flags = REE_PF_TIMELINE,
     .unit = "1",
     .doc = "coefficient of variation of a cohort's review time (lognormal)"},
    {.key = "approval",
     .type = REE_PT_NUM,
     .offset = offsetof(gate_params, approval),
     .def = 1,
     .max = 1,
     .flags = REE_PF_TIMELINE,
     .unit = "1",
     .doc = "probability an application is approved"},
    {.key = "partial",
     .type = REE_PT_NUM,
     .offset = offsetof(gate_params, partial),
     .def = 1,
     .max = 1,
     .flags = REE_PF_TIMELINE,
     .unit = "1",
     .doc = "share of an approved application's tonnage granted"},
    {.key = "application_t",
     .type = REE_PT_NUM,
     .offset = offsetof(gate_params, application_t),
     .def = 5,
     .min = 0.001,
     .max = REE_MAX_TONNES,
     .flags = REE_PF_TIMELINE,
     .unit = "t",
     .doc = "typical tonnage of one application (sets the binomial noise)"},
    {.key = "quota",
     .type = REE_PT_NUM,
     .offset = offsetof(gate_params, quota),
     .def = INFINITY,
     .max = REE_MAX_TONNES,
     .flags = REE_PF_NULL_INF | REE_PF_TIMELINE,
     .unit = "t/month",
     .doc = "most tonnage released per month, all links"},
    {.key = "deny_end_use",
     .type = REE_PT_TAGSET,
     .offset = offsetof(gate_params, deny_end_use),
     .max = 0,
     .flags = REE_PF_TIMELINE,
     .unit = "",
     .doc = "end uses whose applications are denied"},
    {.key = "validity_months",
     .type = REE_PT_NUM,
     .offset = offsetof(gate_params, validity_months),
     .def = 6,
     .min = 1,
     .max = REE_MAX_MONTHS,
     .flags = REE_PF_INT | REE_PF_TIMELINE,
     .unit = "months",
     .doc = "steps a licence may be used, grant step included"},
    {.key = "filing_rules",
     .type = REE_PT_NUM,
     .offset = offsetof(gate_params, filing_rules),
     .max = 1,
     .flags = REE_PF_INT,
     .unit = "1",
     .doc = "1: approval, partial, deny and licence terms in force at filing judge an application"},
};

static const ree_metric_def gate_metric_defs[] = {
    {"applications", "t", "new applications (pass-through included)", REE_DIR_NEUTRAL, 0},
    {"approved", "t", "granted this step (released into licences)", REE_DIR_HIGHER_BETTER,
     REE_MD_HEADLINE},
    {"denied", "t", "denied at decision", REE_DIR_HIGHER_WORSE, 0},
    {"expired", "t", "unused licences expired", REE_DIR_HIGHER_WORSE, 0},
    {"backlog", "t", "pending review or waiting for quota, after decisions", REE_DIR_HIGHER_WORSE,
     REE_MD_HEADLINE},
    {"licensed", "t", "open licences after decisions, before shipping", REE_DIR_HIGHER_BETTER, 0},
    {"approval_rate", "1", "approved / (approved + denied) of this step's decisions; 0 if none",
     REE_DIR_HIGHER_BETTER, 0},
    {"mean_wait", "months", "tonnage-weighted wait of this step's grants; 0 if none",
     REE_DIR_HIGHER_WORSE, 0},
};

static const ree_metric_def gate_indicator_defs[] = {
    {"applied", "t", "applications over the run", REE_DIR_NEUTRAL, 0},
    {"approved", "t", "tonnage granted over the run", REE_DIR_HIGHER_BETTER, 0},
    {"denied", "t", "tonnage denied over the run", REE_DIR_HIGHER_WORSE, 0},
    {"expired", "t", "licences expired unused over the run", REE_DIR_HIGHER_WORSE, 0},
    {"approval_share", "1", "approved / (approved + denied) of all decisions; 0 if none",
     REE_DIR_HIGHER_BETTER, 0},
    {"mean_wait", "months", "tonnage-weighted wait of all grants; 0 if none", REE_DIR_HIGHER_WORSE,
     0},
    {"max_backlog", "t", "largest backlog after decisions", REE_DIR_HIGHER_WORSE, 0},
};

static size_t gate_state_size(const ree_model_ctx *ctx)
{
    size_t nl = ctx->nlink > 0 ? (size_t)ctx->nlink : 0;
    size_t ns = ctx->nsteps > 0 ? (size_t)ctx->nsteps : 0;
    size_t n = 5 * (ns + 1) * nl + 3 * ns * nl + 7 * nl;
    return offsetof(gate_state, data) + n * sizeof(double);
}

static gate_arrays gate_layout(gate_state *s)
{
    size_t nl = (size_t)s->nlink, ns = (size_t)s->nsteps;
    gate_arrays a;
    double *d = s->data;
    a.pend = d;
    d += (ns + 1) * nl;
    a.pend_w = d;
    d += (ns + 1) * nl;
    a.pend_ok = d;
    d += (ns + 1) * nl;
    a.pend_lt = d;
    d += (ns + 1) * nl;
    a.pend_lm = d;
    d += (ns + 1) * nl;
    a.wait = d;
    d += ns * nl;
    a.wait_w = d;
    d += ns * nl;
    a.lic = d;
    d += ns * nl;
    a.pend_tot = d;
    d += nl;
    a.wait_tot = d;
    d += nl;
    a.lic_tot = d;
    d += nl;
    a.lo_left = d;
    d += nl;
    a.lo_until = d;
    d += nl;
    a.u = d;
    d += nl;
    a.rest = d;
    return a;
}

static int gate_check(const void *params, const ree_model_ctx *ctx, const char **key, char *why,
                      size_t whylen)
{
    const gate_params *p = params;
    uint64_t all = ctx->nmat >= 64 ? UINT64_MAX : (((uint64_t)1 << ctx->nmat) - 1);
    if ((p->covers & all) == 0) {
        *key = "covers";
        snprintf(why, whylen, "a gate must cover at least one material (found none)");
        return -1;
    }
    return 0;
}

static void gate_reset(const void *params, void *state, const ree_model_ctx *ctx)
{
    (void)params;
    gate_state *s = state; /* zeroed by the engine: every array starts empty */
    s->nlink = ctx->nlink > 0 ? ctx->nlink : 0;
    s->nsteps = ctx->nsteps > 0 ? ctx->nsteps : 0;
    s->lic_lo = 0;
    s->wait_lo = 0;
    s->pend_hi = -1;
    s->cv_key = 0; /* no review_cv seen yet */
    s->arr = gate_layout(s);
}

static void gate_ship(const void *params, void *state, ree_gate_io *io)
{
    (void)params;
    gate_state *s = state;
    const gate_arrays *a = &s->arr;
    int t = io->step;
    size_t nl = (size_t)s->nlink;
    if (t < 0 || t >= s->nsteps || io->nlink != s->nlink)
        return;

    for (size_t l = 0; l < nl; l++) {
        double need = nonneg(io->shipped[l]);
        double open = 0; /* recomputed, not decremented: no drift, exact 0 when used up */
        for (int g = s->lic_lo; g <= t; g++) { /* one pass: use the oldest, add what is left */
            double *c = &a->lic[(size_t)g * nl + l];
            if (need > 0) {
                double use = *c < need ? *c : need;
                *c -= use;
                need -= use;
            }
            open += *c;
        }
        a->lic_tot[l] = open;
        io->on_order[l] = a->pend_tot[l] + a->wait_tot[l] + open;
    }
    while (s->lic_lo <= t) { /* drop fully used rows from the front */
        const double *row = a->lic + (size_t)s->lic_lo * nl;
        size_t l = 0;
        while (l < nl && !(row[l] > 0))
            l++;
        if (l < nl)
            break;
        s->lic_lo++;
    }
}

static void gate_finish(const void *params, const void *state, const ree_model_ctx *ctx,
                        double *indicators)
{
    (void)params;
    (void)ctx;
    const gate_state *s = state;
    double decided = s->sum_decided_ok + s->sum_denied;
    indicators[0] = s->sum_applied;
    indicators[1] = s->sum_granted;
    indicators[2] = s->sum_denied;
    indicators[3] = s->sum_expired;
    indicators[4] = decided > 0 ? s->sum_decided_ok / decided : 0;
    indicators[5] = s->sum_granted > 0 ? s->sum_wait_granted / s->sum_granted : 0;
    indicators[6] = s->max_backlog;
}

/* The hooks on lanes (model_lanes.h): the same operations per lane. */
static size_t gate_state_size_lanes(const ree_model_ctx *ctx)
{
    size_t nl = ctx->nlink > 0 ? (size_t)ctx->nlink : 0;
    size_t ns = ctx->nsteps > 0 ? (size_t)ctx->nsteps : 0;
    size_t n = 5 * (ns + 1) * nl + 3 * ns * nl + 8 * nl;
    return offsetof(gate_state_lanes, data) + n * sizeof(ree_vd);
}

static void gate_reset_lanes(const void *params, void *state, const ree_model_ctx *ctx)
{
    (void)params;
    gate_state_lanes *s = state;
    s->nlink = ctx->nlink > 0 ? ctx->nlink : 0;
    s->nsteps = ctx->nsteps > 0 ? ctx->nsteps : 0;
    s->pend_hi = REE_VSPLAT(-1.0);
    size_t nl = (size_t)s->nlink, ns = (size_t)s->nsteps;
    gate_arrays_lanes *a = &s->arr;
    ree_vd *d = s->data;
    ree_vd **rows[] = {&a->pend, &a->pend_w, &a->pend_ok, &a->pend_lt, &a->pend_lm};
    for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++, d += (ns + 1) * nl)
        *rows[k] = d;
    ree_vd **steps[] = {&a->wait, &a->wait_w, &a->lic};
    for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++, d += ns * nl)
        *steps[k] = d;
    ree_vd **links[] = {&a->pend_tot, &a->wait_tot, &a->lic_tot, &a->lo_left,
                        &a->lo_until, &a->u,        &a->rest,    &a->pool};
    for (size_t k = 0; k < sizeof links / sizeof links[0]; k++, d += nl)
        *links[k] = d;
}

static void gate_ship_lanes(const void *params, void *state, ree_gate_io_lanes *io)
{
    (void)params;
    gate_state_lanes *s = state;
    const gate_arrays_lanes *a = &s->arr;
    int t = io->step;
    size_t nl = (size_t)s->nlink;
    if (t < 0 || t >= s->nsteps || io->nlink != s->nlink)
        return;
    int lo = t + 1, hi = 0; /* the lowest and highest first open row of the lanes */
    for (int k = 0; k < REE_LANES; k++) {
        if (s->lic_lo[k] < lo)
            lo = (int)s->lic_lo[k];
        if (s->lic_lo[k] > hi)
            hi = (int)s->lic_lo[k];
    }

    /* From row hi on every lane is in its rows, and once no lane needs more only `open` adds up:
     * the masks are computed only where they can differ. */
    for (size_t l = 0; l < nl; l++) {
        ree_vd need = GATE_NONNEG(io->shipped[l]);
        ree_vd open = GATE_V0;
        int needy = REE_VANY(need > GATE_V0);
        for (int g = lo; g <= t; g++) {
            ree_vl in = g < hi ? REE_VSPLAT((double)g) >= s->lic_lo : ~GATE_NONE;
            ree_vd *c = &a->lic[(size_t)g * nl + l];
            if (needy) {
                ree_vl use_m = in & (need > GATE_V0);
                ree_vd use = REE_VSEL(*c < need, *c, need);
                *c = REE_VSEL(use_m, *c - use, *c);
                need = REE_VSEL(use_m, need - use, need);
                needy = REE_VANY(need > GATE_V0);
            }
            open = g < hi ? REE_VSEL(in, open + *c, open) : open + *c;
        }
        a->lic_tot[l] = open;
        io->on_order[l] = a->pend_tot[l] + a->wait_tot[l] + open;
    }
    /* A lane still dropping rows has lic_lo == g; one that found an open row keeps it. */
    for (int g = lo; g <= t; g++) {
        ree_vl at = s->lic_lo == REE_VSPLAT((double)g);
        if (!REE_VANY(at))
            continue;
        ree_vl open = GATE_NONE;
        for (size_t l = 0; l < nl; l++)
            open |= a->lic[(size_t)g * nl + l] > GATE_V0;
        s->lic_lo = REE_VSEL(at & ~open, REE_VSPLAT((double)(g + 1)), s->lic_lo);
    }
}

static void gate_finish_lanes(const void *params, const void *state, const ree_model_ctx *ctx,
                              double *ind)
{
    (void)params;
    (void)ctx;
    const gate_state_lanes *s = state;
    ree_vd decided = s->sum_decided_ok + s->sum_denied;
    ree_vd share = REE_VSEL(decided > GATE_V0, s->sum_decided_ok / decided, GATE_V0);
    ree_vd wait = REE_VSEL(s->sum_granted > GATE_V0, s->sum_wait_granted / s->sum_granted, GATE_V0);
    for (int l = 0; l < REE_LANES; l++) {
        ind[0 * REE_LANES + l] = s->sum_applied[l];
        ind[1 * REE_LANES + l] = s->sum_granted[l];
        ind[2 * REE_LANES + l] = s->sum_denied[l];
        ind[3 * REE_LANES + l] = s->sum_expired[l];
        ind[4 * REE_LANES + l] = share[l];
        ind[5 * REE_LANES + l] = wait[l];
        ind[6 * REE_LANES + l] = s->max_backlog[l];
    }
}

static const ree_model_lanes gate_lanes = {
    .state_size = gate_state_size_lanes,
    .reset = gate_reset_lanes,
    .gate_decide = ree_gate_decide_lanes,
    .gate_ship = gate_ship_lanes,
    .finish = gate_finish_lanes,
};

const ree_model ree_model_gate = {
    .name = "gate",
    .summary = "export licence gate: review, approval, quota, end-use denial, licence expiry",
    .kind = REE_MODEL_GATE,
    .flags = 0,
    .params = gate_param_defs,
    .nparams = sizeof gate_param_defs / sizeof gate_param_defs[0],
    .params_size = sizeof(gate_params),
    .metrics = gate_metric_defs,
    .nmetrics = sizeof gate_metric_defs / sizeof gate_metric_defs[0],
    .indicators = gate_indicator_defs,
    .nindicators = sizeof gate_indicator_defs / sizeof gate_indicator_defs[0],
    .state_bytes = 0,
    .state_size = gate_state_size,
    .rules = &ree_model_gate_rule,
    .check = gate_check,
    .reset = gate_reset,
    .gate_decide = ree_gate_decide,
    .gate_ship = gate_ship,
    .finish = gate_finish,
    .lanes = &gate_lanes,
};

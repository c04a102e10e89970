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

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "exactmath.h"
#include "gate_rule.h"
#include "models.h"
#include "rng.h"

typedef struct gate_params {
    double active;          /* 1: licensing on; 0: everything licensed at once */
    uint64_t covers;        /* materials under licence */
    double review_days;     /* days, mean review time */
    double review_cv;       /* 1, coefficient of variation of a cohort's review time */
    double approval;        /* 1, probability an application is approved */
    double partial;         /* 1, share of an approved application's tonnage granted */
    double application_t;   /* t, typical tonnage of one application */
    double quota;           /* t/month, most tonnage released per month (INFINITY: none) */
    uint64_t deny_end_use;  /* end-use tags whose applications are denied */
    double validity_months; /* months a licence may be used (integral) */
    double filing_rules;    /* 1: an application is judged by the rules in force when filed */
} gate_params;

/* Bound on the number of applications of one batch: gsl_ran_binomial takes an unsigned int, and
 * beyond a billion applications the binomial share k/n is within 2e-5 of its mean anyway. */
#define MAX_APPLICATIONS 1e9
/* Bounds: 100 years of review (the longest horizon), and a review-time coefficient of variation
 * of 10 (its lognormal factor then has a median of 0.1; above ~1e154, cv^2 overflows). */
#define REVIEW_CV_MAX 10.0

typedef struct gate_arrays {
    double *pend, *pend_w;                 /* (nsteps + 1) x nlink: t, and t * entry step */
    double *pend_ok;                       /* (nsteps + 1) x nlink: t approved at filing */
    double *pend_lt, *pend_lm;             /* (nsteps + 1) x nlink: licence terms at filing */
    double *lo_left, *lo_until;            /* nlink: standing licence: t left, first invalid step */
    double *u, *rest;                      /* nlink scratch: review uniforms, t to review */
    double *wait, *wait_w;                 /* nsteps x nlink: t, and t * entry step */
    double *lic;                           /* nsteps x nlink: t */
    double *pend_tot, *wait_tot, *lic_tot; /* nlink: t, running totals per link */
} gate_arrays;

typedef struct gate_state {
    int nlink, nsteps;
    int lic_lo;  /* licence rows below this are empty */
    int wait_lo; /* waiting rows below this are empty */
    int pend_hi; /* pending rows above this are empty (-1: none) */
    double sum_applied, sum_granted, sum_denied, sum_expired; /* t, over the run */
    double sum_decided_ok;   /* t approved at decision (before quota), over the run */
    double sum_wait_granted; /* t * months, wait of every granted tonne */
    double max_backlog;      /* t */
    /* review_months() of the last review_cv > 0 seen (review_cv is timeline-settable): cv_key,
     * and s2 = log1p(cv_key^2) with its square root. cv_key 0 (the zeroed state) is no entry. */
    double cv_key, cv_s2, cv_sd;
    /* Where the arrays lie in data[]: set at reset from nlink and nsteps (gate_layout), not at
     * every call; the engine never moves a state during a run. */
    gate_arrays arr;
    double data[]; /* the arrays of `arr` */
} gate_state;

/* Per-step flows of gate_decide, in t (wait_sum in t * months). */
typedef struct gate_flows {
    double applied, granted, denied, expired, decided_ok, wait_sum;
    double *per_link; /* t granted per link this step (io->granted), may be NULL */
} gate_flows;

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

enum {
    M_APPLICATIONS,
    M_APPROVED,
    M_DENIED,
    M_EXPIRED,
    M_BACKLOG,
    M_LICENSED,
    M_APPROVAL_RATE,
    M_MEAN_WAIT,
    M_COUNT
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

static double nonneg(double x)
{
    return x > 0 ? x : 0; /* also maps NaN to 0 */
}

static int covered(const gate_params *p, int material)
{
    return material >= 0 && material < 64 && ((p->covers >> material) & 1u);
}

static int validity(const gate_params *p)
{
    double v = p->validity_months;
    if (!(v >= 1))
        return 1;
    if (v > 1e9)
        return 1000000000;
    return (int)v;
}

/* The terms that judge link l's applications now: the gate's, with the set fields of the rule
 * its destination matches laid over. */
typedef struct terms {
    double approval, partial, review_days, licence_t, licence_months;
    int deny;
} terms;

static const gate_rule_params *rule_of(const ree_gate_io *io, int l)
{
    return io->rule ? (const gate_rule_params *)io->rule[l] : NULL;
}

static double over(double rule, double gate)
{
    return isnan(rule) ? gate : rule;
}

static inline terms terms_of(const gate_params *p, const ree_gate_io *io, int l)
{
    const gate_rule_params *r = rule_of(io, l);
    uint64_t use = io->end_use ? io->end_use[l] : 0;
    terms tm = {p->approval, p->partial, p->review_days, 0, 1, (use & p->deny_end_use) != 0};
    if (!r)
        return tm;
    tm.approval = over(r->approval, p->approval);
    tm.partial = over(r->partial, p->partial);
    tm.review_days = over(r->review_days, p->review_days);
    tm.licence_t = nonneg(r->licence_t);
    tm.licence_months = r->licence_months >= 1 ? ree_floor_pos(r->licence_months) : 1;
    tm.deny |= r->deny >= 0.5;
    return tm;
}

/* Review time of a cohort in months from its uniform u in (0,1). s2 and its root depend on
 * review_cv only: kept in the state until review_cv changes. */
static double review_months(const gate_params *p, gate_state *s, double days, double u)
{
    double base = nonneg(days) / REE_DAYS_PER_MONTH;
    if (!(p->review_cv > 0))
        return base;
    if (p->review_cv != s->cv_key) {
        s->cv_key = p->review_cv;
        s->cv_s2 = log1p(p->review_cv * p->review_cv);
        s->cv_sd = sqrt(s->cv_s2);
    }
    return base * exp(s->cv_sd * gsl_cdf_ugaussian_Pinv(u) - 0.5 * s->cv_s2);
}

/* Share of a batch of q t approved by the binomial rule at approval probability `ap`. */
static double approved_share(const gate_params *p, double ap, double q, gsl_rng *r)
{
    if (!(ap > 0))
        return 0;
    if (ap >= 1)
        return 1;
    double n = p->application_t > 0 ? ree_round_pos(q / p->application_t) : MAX_APPLICATIONS;
    if (!(n >= 1))
        n = 1;
    if (n > MAX_APPLICATIONS)
        n = MAX_APPLICATIONS;
    unsigned int k = gsl_ran_binomial(r, ap, (unsigned int)n);
    return (double)k / n;
}

/* Tonnage of q t approved under terms tm (q k/n partial, 0 when denied), at most q. */
static double judge(const gate_params *p, const terms *tm, double q, gsl_rng *r)
{
    if (tm->deny)
        return 0;
    double ok = q * approved_share(p, tm->approval, q, r) * tm->partial;
    return ok > q ? q : ok > 0 ? ok : 0;
}

/* Grant q t on link l at step t, entered on average at step `entry`. */
static void grant(gate_state *s, const gate_arrays *a, gate_flows *f, int t, int l, double q,
                  double entry)
{
    if (!(q > 0))
        return;
    a->lic[(size_t)t * (size_t)s->nlink + (size_t)l] += q;
    a->lic_tot[l] += q;
    f->granted += q;
    if (f->per_link)
        f->per_link[l] += q;
    double w = (double)t - entry;
    f->wait_sum += q * (w > 0 ? w : 0);
}

/* Judgement at filing of a cohort (filing_rules 1): share approved and licence terms. */
typedef struct filed {
    double ok_share, licence_t, licence_months;
} filed;

/* Add q t entered at step t to the pending row of decision step `due` (nsteps: never). */
static inline void add_pending(gate_state *s, const gate_arrays *a, int l, int due, double q, int t,
                               const filed *fl)
{
    if (!(q > 0))
        return;
    size_t i = (size_t)due * (size_t)s->nlink + (size_t)l;
    a->pend[i] += q;
    a->pend_w[i] += q * t;
    if (fl) {
        a->pend_ok[i] += q * fl->ok_share;
        if (fl->licence_t > a->pend_lt[i])
            a->pend_lt[i] = fl->licence_t;
        if (fl->licence_months > a->pend_lm[i])
            a->pend_lm[i] = fl->licence_months;
    }
    a->pend_tot[l] += q;
    if (due > s->pend_hi)
        s->pend_hi = due;
}

/* Enter a covered cohort of q t on link l at step t with review m months. */
static void enter_cohort(gate_state *s, const gate_arrays *a, int l, double q, double m, int t,
                         const filed *jf)
{
    int ns = s->nsteps;
    if (!(m >= 0))
        m = 0;
    if (!((double)t + m < (double)ns)) { /* due at or past the horizon (or m infinite) */
        add_pending(s, a, l, ns, q, t, jf);
        return;
    }
    double fl = ree_floor_pos(m);
    double fr = m - fl;
    int d0 = t + (int)fl;
    int d1 = d0 + 1 < ns ? d0 + 1 : ns;
    add_pending(s, a, l, d0, q * (1 - fr), t, jf);
    add_pending(s, a, l, d1, q * fr, t, jf);
}

/* Step (1): an inactive gate grants everything pending or waiting. */
static void release_all(gate_state *s, const gate_arrays *a, gate_flows *f, int t)
{
    size_t nl = (size_t)s->nlink;
    for (int d = t; d <= s->pend_hi; d++) {
        for (size_t l = 0; l < nl; l++) {
            size_t i = (size_t)d * nl + l;
            double q = a->pend[i];
            if (q > 0) {
                grant(s, a, f, t, (int)l, q, a->pend_w[i] / q);
                f->decided_ok += q;
            }
            a->pend[i] = a->pend_w[i] = a->pend_ok[i] = a->pend_lt[i] = a->pend_lm[i] = 0;
        }
    }
    s->pend_hi = -1;
    for (size_t l = 0; l < nl; l++)
        a->pend_tot[l] = 0;
    for (int m = s->wait_lo; m < t; m++) {
        for (size_t l = 0; l < nl; l++) {
            size_t i = (size_t)m * nl + l;
            double q = a->wait[i];
            if (q > 0)
                grant(s, a, f, t, (int)l, q, a->wait_w[i] / q);
            a->wait[i] = a->wait_w[i] = 0;
        }
    }
    s->wait_lo = t;
    for (size_t l = 0; l < nl; l++)
        a->wait_tot[l] = 0;
}

/* Step (2): expire licences granted at or before t - V. */
static void expire(gate_state *s, const gate_arrays *a, gate_flows *f, int t, int v)
{
    size_t nl = (size_t)s->nlink;
    int last = t - v; /* last grant step that expires now */
    for (int g = s->lic_lo; g <= last; g++) {
        for (size_t l = 0; l < nl; l++) {
            size_t i = (size_t)g * nl + l;
            if (a->lic[i] > 0) {
                f->expired += a->lic[i];
                a->lic_tot[l] = nonneg(a->lic_tot[l] - a->lic[i]);
            }
            a->lic[i] = 0;
        }
    }
    if (last + 1 > s->lic_lo)
        s->lic_lo = last + 1;
}

/* Step (4): decide what is due at t on every link; approvals join this month's waiting row. A
 * decision that approves anything under terms with licence_t > 0 opens a standing licence. */
static void decide(const gate_params *p, gate_state *s, const gate_arrays *a, gate_flows *f,
                   const ree_gate_io *io, int t)
{
    size_t nl = (size_t)s->nlink;
    int at_filing = p->filing_rules >= 0.5;
    for (size_t l = 0; l < nl; l++) {
        size_t i = (size_t)t * nl + l;
        double q = a->pend[i];
        double qw = a->pend_w[i];
        double ok, lt, lm;
        if (at_filing) {
            ok = a->pend_ok[i] < q ? a->pend_ok[i] : q;
            lt = a->pend_lt[i];
            lm = a->pend_lm[i];
        }
        a->pend[i] = a->pend_w[i] = a->pend_ok[i] = a->pend_lt[i] = a->pend_lm[i] = 0;
        if (!(q > 0))
            continue;
        if (!at_filing) {
            terms tm = terms_of(p, io, (int)l);
            ok = judge(p, &tm, q, io->rng);
            lt = tm.licence_t;
            lm = tm.licence_months;
        }
        a->pend_tot[l] = nonneg(a->pend_tot[l] - q);
        f->denied += q - ok;
        f->decided_ok += ok;
        if (ok > 0) {
            a->wait[i] += ok;
            a->wait_w[i] += ok * (qw / q);
            a->wait_tot[l] += ok;
            if (lt > 0) { /* the approved application is the licence's first use */
                a->lo_left[l] = nonneg(lt - ok);
                a->lo_until[l] = t + (lm >= 1 ? lm : 1);
            }
        }
    }
}

/* The quota pool of link l: its rule when the rule sets its own quota, else the gate (NULL). */
static const void *pool_of(const ree_gate_io *io, int l, double *quota, const gate_params *p)
{
    const gate_rule_params *r = rule_of(io, l);
    if (r && !isnan(r->quota)) {
        *quota = r->quota;
        return r;
    }
    *quota = p->quota;
    return NULL;
}

/* Step (5) for one pool: release its links' waiting approvals under its quota Q, oldest month
 * first, proportionally across the pool's links within a month. Returns the first month that
 * still waits (t + 1 when none). */
static int quota_pool(const gate_params *p, gate_state *s, const gate_arrays *a, gate_flows *f,
                      const ree_gate_io *io, const void *pool, double quota, int t)
{
    size_t nl = (size_t)s->nlink;
    double left = nonneg(quota); /* INFINITY: no quota */
    double unused;
    for (int m = s->wait_lo; m <= t; m++) {
        double *row = a->wait + (size_t)m * nl;
        double *roww = a->wait_w + (size_t)m * nl;
        double total = 0;
        for (size_t l = 0; l < nl; l++)
            if (pool_of(io, (int)l, &unused, p) == pool)
                total += row[l];
        if (!(total > 0))
            continue;
        double share = total <= left ? 1 : left / total;
        left = total <= left ? left - total : 0;
        for (size_t l = 0; l < nl; l++) {
            if (!(row[l] > 0) || pool_of(io, (int)l, &unused, p) != pool)
                continue;
            double g = share >= 1 ? row[l] : row[l] * share;
            grant(s, a, f, t, (int)l, g, roww[l] / row[l]);
            a->wait_tot[l] = nonneg(a->wait_tot[l] - g);
            if (share >= 1) {
                row[l] = roww[l] = 0;
            } else {
                row[l] -= g;
                roww[l] *= 1 - share;
            }
        }
        if (share < 1) /* quota used up: this and every later month keep waiting */
            return m;
    }
    return t + 1;
}

/* Step (5): every pool in the order of its first link; the gate's pool holds the links whose
 * rule sets no quota of its own. */
static void apply_quota(const gate_params *p, gate_state *s, const gate_arrays *a, gate_flows *f,
                        const ree_gate_io *io, int t)
{
    if (!io->rule) { /* no rules: every link is in the gate's pool */
        s->wait_lo = quota_pool(p, s, a, f, io, NULL, p->quota, t);
        return;
    }
    int first_waiting = t + 1;
    for (int l = 0; l < s->nlink; l++) {
        double q, unused;
        const void *pool = pool_of(io, l, &q, p);
        int seen = 0;
        for (int j = 0; j < l && !seen; j++)
            seen = pool_of(io, j, &unused, p) == pool;
        if (seen)
            continue;
        int w = quota_pool(p, s, a, f, io, pool, q, t);
        if (w < first_waiting)
            first_waiting = w;
    }
    s->wait_lo = first_waiting;
}

static void gate_decide(const void *params, void *state, ree_gate_io *io)
{
    const gate_params *p = params;
    gate_state *s = state;
    const gate_arrays *a = &s->arr;
    gate_flows f = {0, 0, 0, 0, 0, 0, io->granted};
    int t = io->step;
    int nl = s->nlink;
    if (io->granted)
        for (int l = 0; l < io->nlink; l++)
            io->granted[l] = 0;

    if (t < 0 || t >= s->nsteps || io->nlink != nl) { /* outside the contract: report nothing */
        for (int l = 0; l < io->nlink; l++)
            io->licensed[l] = io->on_order[l] = 0;
        for (int k = 0; k < M_COUNT; k++)
            io->metrics[k] = 0;
        return;
    }
    int active = p->active >= 0.5;

    if (!active) /* (1) */
        release_all(s, a, &f, t);

    expire(s, a, &f, t, validity(p)); /* (2) */

    for (int l = 0; l < nl; l++) { /* (3) */
        double q = nonneg(io->applied[l]);
        f.applied += q;
        if (!active || !covered(p, io->material[l])) {
            grant(s, a, &f, t, l, q, t);
            f.decided_ok += q;
            continue;
        }
        a->u[l] = ree_rng_uniform_pos_gsl(io->rng); /* drawn even for q = 0: aligned streams */
        if (q > 0 && t < a->lo_until[l] && a->lo_left[l] > 0) { /* a standing licence covers it */
            double c = q < a->lo_left[l] ? q : a->lo_left[l];
            grant(s, a, &f, t, l, c, t);
            f.decided_ok += c;
            a->lo_left[l] -= c;
            q -= c;
        }
        a->rest[l] = q;
    }
    for (int l = 0; active && l < nl; l++) { /* (3) entry, after every uniform is drawn */
        double q = a->rest[l];
        if (!(q > 0) || !covered(p, io->material[l]))
            continue;
        terms tm = terms_of(p, io, l);
        filed fl = {0, tm.licence_t, tm.licence_months};
        filed *flp = NULL;
        if (p->filing_rules >= 0.5) {
            fl.ok_share = judge(p, &tm, q, io->rng) / q;
            flp = &fl;
        }
        enter_cohort(s, a, l, q, review_months(p, s, tm.review_days, a->u[l]), t, flp);
    }

    if (active) {
        decide(p, s, a, &f, io, t);      /* (4) */
        apply_quota(p, s, a, &f, io, t); /* (5) */
    }

    double backlog = 0, open = 0; /* (6) */
    for (int l = 0; l < nl; l++) {
        double pend = a->pend_tot[l], wait = a->wait_tot[l], lic = a->lic_tot[l];
        io->licensed[l] = lic;
        io->on_order[l] = pend + wait + lic;
        backlog += pend + wait;
        open += lic;
    }

    double decided = f.decided_ok + f.denied;
    io->metrics[M_APPLICATIONS] = f.applied;
    io->metrics[M_APPROVED] = f.granted;
    io->metrics[M_DENIED] = f.denied;
    io->metrics[M_EXPIRED] = f.expired;
    io->metrics[M_BACKLOG] = backlog;
    io->metrics[M_LICENSED] = open;
    io->metrics[M_APPROVAL_RATE] = decided > 0 ? f.decided_ok / decided : 0;
    io->metrics[M_MEAN_WAIT] = f.granted > 0 ? f.wait_sum / f.granted : 0;

    s->sum_applied += f.applied;
    s->sum_granted += f.granted;
    s->sum_denied += f.denied;
    s->sum_expired += f.expired;
    s->sum_decided_ok += f.decided_ok;
    s->sum_wait_granted += f.wait_sum;
    if (backlog > s->max_backlog)
        s->max_backlog = backlog;
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
    .gate_decide = gate_decide,
    .gate_ship = gate_ship,
    .finish = gate_finish,
};

/*
 * The licence decision of the gate model (models/gate.c holds the model: its opening comment states
 * the equations, units and sources): each step's expiry, entry of applications, review,
 * judgement, quota and grants, steps (1) to (6) there.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_randist.h>

#include "exactmath.h"
#include "exactmath_lanes.h"
#include "gate_priv.h"
#include "gate_rule.h"
#include "models.h"
#include "rng.h"
#include "rng_lanes.h"

/* Bound on the number of applications of one batch: gsl_ran_binomial takes an unsigned int, and
 * beyond a billion applications the binomial share k/n is within 2e-5 of its mean anyway. */
#define MAX_APPLICATIONS 1e9

/* Per-step flows of gate_decide, in t (wait_sum in t * months). */
typedef struct gate_flows {
    double applied, granted, denied, expired, decided_ok, wait_sum;
    double *per_link; /* t granted per link this step (io->granted), may be NULL */
} gate_flows;

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
        s->cv_s2 = ree_log1p(p->review_cv * p->review_cv);
        s->cv_sd = sqrt(s->cv_s2);
    }
    return base * ree_exp(s->cv_sd * ree_ugaussian_pinv(u) - 0.5 * s->cv_s2);
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

void ree_gate_decide(const void *params, void *state, ree_gate_io *io)
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

/* The hooks on lanes (model_lanes.h): the same operations per lane. A scalar branch is a mask,
 * both sides computed; draws and the placement of a cohort in its pending rows go lane by lane. */

/* A 64-bit parameter of every lane (a tag mask that timelines and regimes may set per run). */
#define LP_BITS(par, field)                                                                        \
    (*(const ree_vl *)((const char *)(par) + offsetof(gate_params, field) * REE_LANES))

typedef struct gate_flows_lanes {
    ree_vd applied, granted, denied, expired, decided_ok, wait_sum;
    ree_vd *per_link;
} gate_flows_lanes;

typedef struct terms_lanes {
    ree_vd approval, partial, review_days, licence_t, licence_months;
    ree_vl deny;
} terms_lanes;

/* x truncated toward zero in the lanes of m, where |x| < 2^63; 0 elsewhere (no conversion of a
 * value out of range). */
static void vtrunc(ree_vd *out, const ree_vl *m, const ree_vd *x)
{
    ree_vd in = REE_VSEL(*m, *x, GATE_V0);
    *out = __builtin_convertvector(__builtin_convertvector(in, ree_vl), ree_vd);
}

/* ree_floor_pos(x) for x >= 0 (either zero, huge and infinite included): truncation in
 * (0, 2^52), x itself elsewhere. */
static void vfloor_nonneg(ree_vd *out, const ree_vd *x)
{
    ree_vl m = (*x > GATE_V0) & (*x < REE_VSPLAT(0x1p52));
    ree_vd t;
    vtrunc(&t, &m, x);
    *out = REE_VSEL(m, t, *x);
}

static double vmin_lane(const ree_vd *v, const ree_vl *m, double none)
{
    double x = none;
    for (int k = 0; k < REE_LANES; k++)
        if ((*m)[k] && (*v)[k] < x)
            x = (*v)[k];
    return x;
}

static double vmax_lane(const ree_vd *v, const ree_vl *m, double none)
{
    double x = none;
    for (int k = 0; k < REE_LANES; k++)
        if ((*m)[k] && (*v)[k] > x)
            x = (*v)[k];
    return x;
}

static void terms_of_lanes(const void *par, const ree_gate_io_lanes *io, int l, terms_lanes *tm)
{
    const void *r = io->rule ? io->rule[l] : NULL;
    int64_t use = io->end_use ? (int64_t)io->end_use[l] : 0;
    tm->approval = REE_LP(par, gate_params, approval);
    tm->partial = REE_LP(par, gate_params, partial);
    tm->review_days = REE_LP(par, gate_params, review_days);
    tm->licence_t = GATE_V0;
    tm->licence_months = GATE_V1;
    tm->deny = (LP_BITS(par, deny_end_use) & use) != 0;
    if (!r)
        return;
    ree_vd ap = REE_LP(r, gate_rule_params, approval);
    ree_vd pa = REE_LP(r, gate_rule_params, partial);
    ree_vd rd = REE_LP(r, gate_rule_params, review_days);
    ree_vd lt = REE_LP(r, gate_rule_params, licence_t);
    ree_vd lm = REE_LP(r, gate_rule_params, licence_months);
    tm->approval = REE_VSEL(ap != ap, tm->approval, ap);
    tm->partial = REE_VSEL(pa != pa, tm->partial, pa);
    tm->review_days = REE_VSEL(rd != rd, tm->review_days, rd);
    tm->licence_t = GATE_NONNEG(lt);
    ree_vd lm_floor;
    vfloor_nonneg(&lm_floor, &lm);
    tm->licence_months = REE_VSEL(lm >= GATE_V1, lm_floor, GATE_V1);
    tm->deny |= REE_LP(r, gate_rule_params, deny) >= REE_VSPLAT(0.5);
}

/* judge() in the lanes of m: the binomial draws lane by lane, where the scalar code draws. */
static void judge_lanes(const void *par, const terms_lanes *tm, const ree_vd *q, const ree_vl *m,
                        gsl_rng *const *rng, ree_vd *ok)
{
    ree_vd ap = tm->approval, at = REE_LP(par, gate_params, application_t), kn = GATE_V0;
    ree_vl draw = *m & ~tm->deny & (ap > GATE_V0) & ~(ap >= GATE_V1);
    if (REE_VANY(draw)) {
        ree_vd n = GATE_V1;
        unsigned int ni[REE_LANES] = {0}, ki[REE_LANES] = {0};
        for (int k = 0; k < REE_LANES; k++) {
            if (!draw[k])
                continue;
            n[k] = at[k] > 0 ? ree_round_pos((*q)[k] / at[k]) : MAX_APPLICATIONS;
            if (!(n[k] >= 1))
                n[k] = 1;
            if (n[k] > MAX_APPLICATIONS)
                n[k] = MAX_APPLICATIONS;
            ni[k] = (unsigned int)n[k];
        }
        ree_ran_binomial_lanes(rng, &draw, &ap, ni, ki);
        for (int k = 0; k < REE_LANES; k++)
            if (draw[k])
                kn[k] = (double)ki[k] / n[k];
    }
    ree_vd share = REE_VSEL(ap > GATE_V0, REE_VSEL(ap >= GATE_V1, GATE_V1, kn), GATE_V0);
    ree_vd o = *q * share * tm->partial;
    o = REE_VSEL(o > *q, *q, REE_VSEL(o > GATE_V0, o, GATE_V0));
    *ok = REE_VSEL(tm->deny, GATE_V0, o);
}

/* grant() in the lanes of m. */
static void grant_lanes(gate_state_lanes *s, gate_flows_lanes *f, int t, int l, const ree_vl *m,
                        const ree_vd *q, const ree_vd *entry)
{
    ree_vl g = *m & (*q > GATE_V0);
    if (!REE_VANY(g))
        return;
    const gate_arrays_lanes *a = &s->arr;
    ree_vd *c = &a->lic[(size_t)t * (size_t)s->nlink + (size_t)l];
    *c = REE_VSEL(g, *c + *q, *c);
    a->lic_tot[l] = REE_VSEL(g, a->lic_tot[l] + *q, a->lic_tot[l]);
    f->granted = REE_VSEL(g, f->granted + *q, f->granted);
    if (f->per_link)
        f->per_link[l] = REE_VSEL(g, f->per_link[l] + *q, f->per_link[l]);
    ree_vd w = REE_VSPLAT((double)t) - *entry;
    f->wait_sum = REE_VSEL(g, f->wait_sum + *q * GATE_NONNEG(w), f->wait_sum);
}

/* release_all() in the lanes of m (inactive). */
static void release_all_lanes(gate_state_lanes *s, gate_flows_lanes *f, int t, const ree_vl *m)
{
    const gate_arrays_lanes *a = &s->arr;
    size_t nl = (size_t)s->nlink;
    int hi = (int)vmax_lane(&s->pend_hi, m, -1);
    for (int d = t; d <= hi; d++) {
        ree_vl in = *m & (REE_VSPLAT((double)d) <= s->pend_hi);
        for (size_t l = 0; l < nl; l++) {
            size_t i = (size_t)d * nl + l;
            ree_vd q = a->pend[i], entry = a->pend_w[i] / q;
            ree_vl g = in & (q > GATE_V0);
            grant_lanes(s, f, t, (int)l, &g, &q, &entry);
            f->decided_ok = REE_VSEL(g, f->decided_ok + q, f->decided_ok);
            a->pend[i] = REE_VSEL(in, GATE_V0, a->pend[i]);
            a->pend_w[i] = REE_VSEL(in, GATE_V0, a->pend_w[i]);
            a->pend_ok[i] = REE_VSEL(in, GATE_V0, a->pend_ok[i]);
            a->pend_lt[i] = REE_VSEL(in, GATE_V0, a->pend_lt[i]);
            a->pend_lm[i] = REE_VSEL(in, GATE_V0, a->pend_lm[i]);
        }
    }
    s->pend_hi = REE_VSEL(*m, REE_VSPLAT(-1.0), s->pend_hi);
    for (size_t l = 0; l < nl; l++)
        a->pend_tot[l] = REE_VSEL(*m, GATE_V0, a->pend_tot[l]);
    for (int w = (int)vmin_lane(&s->wait_lo, m, t); w < t; w++) {
        ree_vl in = *m & (REE_VSPLAT((double)w) >= s->wait_lo);
        for (size_t l = 0; l < nl; l++) {
            size_t i = (size_t)w * nl + l;
            ree_vd q = a->wait[i], entry = a->wait_w[i] / q;
            grant_lanes(s, f, t, (int)l, &in, &q, &entry);
            a->wait[i] = REE_VSEL(in, GATE_V0, a->wait[i]);
            a->wait_w[i] = REE_VSEL(in, GATE_V0, a->wait_w[i]);
        }
    }
    s->wait_lo = REE_VSEL(*m, REE_VSPLAT((double)t), s->wait_lo);
    for (size_t l = 0; l < nl; l++)
        a->wait_tot[l] = REE_VSEL(*m, GATE_V0, a->wait_tot[l]);
}

/* expire() on every lane, each with its validity v (an exact integer). */
static void expire_lanes(gate_state_lanes *s, gate_flows_lanes *f, int t, const ree_vd *v)
{
    const gate_arrays_lanes *a = &s->arr;
    size_t nl = (size_t)s->nlink;
    ree_vd last = REE_VSPLAT((double)t) - *v;
    ree_vl all = ~GATE_NONE;
    int lo = (int)vmin_lane(&s->lic_lo, &all, t), hi = (int)vmax_lane(&last, &all, -1);
    for (int g = lo; g <= hi; g++) {
        ree_vd gv = REE_VSPLAT((double)g);
        ree_vl in = (gv >= s->lic_lo) & (gv <= last);
        if (!REE_VANY(in))
            continue;
        for (size_t l = 0; l < nl; l++) {
            size_t i = (size_t)g * nl + l;
            ree_vl x = in & (a->lic[i] > GATE_V0);
            f->expired = REE_VSEL(x, f->expired + a->lic[i], f->expired);
            ree_vd left = a->lic_tot[l] - a->lic[i];
            a->lic_tot[l] = REE_VSEL(x, GATE_NONNEG(left), a->lic_tot[l]);
            a->lic[i] = REE_VSEL(in, GATE_V0, a->lic[i]);
        }
    }
    ree_vd next = last + GATE_V1;
    s->lic_lo = REE_VSEL(next > s->lic_lo, next, s->lic_lo);
}

/* enter_cohort() in the lanes of m, each cohort under its lane's terms: the due rows differ by
 * lane, so the pending rows are written lane by lane; the totals and bounds as vectors. */
static void enter_cohort_lanes(gate_state_lanes *s, int l, const ree_vl *m, const ree_vd *q,
                               const ree_vd *months, int t, const ree_vl *filing,
                               const ree_vd *ok_share, const terms_lanes *tm)
{
    const gate_arrays_lanes *a = &s->arr;
    size_t nl = (size_t)s->nlink;
    ree_vd ns = REE_VSPLAT((double)s->nsteps), tv = REE_VSPLAT((double)t);
    ree_vd mo = REE_VSEL(*months >= GATE_V0, *months, GATE_V0);
    ree_vl far = ~(tv + mo < ns); /* due at or past the horizon (or m infinite) */
    ree_vd fl;
    vfloor_nonneg(&fl, &mo);
    ree_vd fr = mo - fl;
    ree_vd d0 = tv + fl, d1 = d0 + GATE_V1;
    d1 = REE_VSEL(d1 < ns, d1, ns);
    ree_vd q0 = REE_VSEL(far, *q, *q * (GATE_V1 - fr)), q1 = REE_VSEL(far, GATE_V0, *q * fr);
    d0 = REE_VSEL(far, ns, d0);
    const ree_vd *due[2] = {&d0, &d1}, *part[2] = {&q0, &q1};
    for (int h = 0; h < 2; h++) {
        ree_vl add = *m & (*part[h] > GATE_V0);
        for (int k = 0; k < REE_LANES; k++) {
            if (!add[k])
                continue;
            double qk = (*part[h])[k];
            size_t i = (size_t)(*due[h])[k] * nl + (size_t)l;
            a->pend[i][k] += qk;
            a->pend_w[i][k] += qk * t;
            if ((*filing)[k]) {
                a->pend_ok[i][k] += qk * (*ok_share)[k];
                if (tm->licence_t[k] > a->pend_lt[i][k])
                    a->pend_lt[i][k] = tm->licence_t[k];
                if (tm->licence_months[k] > a->pend_lm[i][k])
                    a->pend_lm[i][k] = tm->licence_months[k];
            }
        }
        a->pend_tot[l] = REE_VSEL(add, a->pend_tot[l] + *part[h], a->pend_tot[l]);
        s->pend_hi = REE_VSEL(add & (*due[h] > s->pend_hi), *due[h], s->pend_hi);
    }
}

/* review_months() per lane of m; the cv cache per lane. */
static void review_months_lanes(const void *par, gate_state_lanes *s, const ree_vd *days,
                                const ree_vd *u, const ree_vl *m, ree_vd *months)
{
    ree_vd cv = REE_LP(par, gate_params, review_cv);
    ree_vd base = GATE_NONNEG(*days) / REE_VSPLAT(REE_DAYS_PER_MONTH);
    ree_vl spread = *m & (cv > GATE_V0);
    ree_vl renew = spread & (cv != s->cv_key);
    for (int k = 0; k < REE_LANES; k++)
        if (renew[k]) {
            s->cv_key[k] = cv[k];
            s->cv_s2[k] = ree_log1p(cv[k] * cv[k]);
            s->cv_sd[k] = sqrt(s->cv_s2[k]);
        }
    if (!REE_VANY(spread)) {
        *months = base;
        return;
    }
    /* the quantile and exp on lane vectors (exactmath_lanes.h, remath_lanes.h: the scalar bits
     * in every lane); the lanes without a spread take them of p = 1/2 and discard them */
    ree_vd p = REE_VSEL(spread, *u, REE_VSPLAT(0.5)), z, e;
    ree_ugaussian_pinv_lanes(&p, &z);
    z = REE_VSEL(spread, z, GATE_V0);
    ree_vd x = s->cv_sd * z - REE_VSPLAT(0.5) * s->cv_s2;
    ree_exp_lanes(&x, &e);
    *months = REE_VSEL(spread, base * e, base);
}

/* decide() in the lanes of m (active). */
static void decide_lanes(const void *par, gate_state_lanes *s, gate_flows_lanes *f,
                         const ree_gate_io_lanes *io, int t, const ree_vl *m)
{
    const gate_arrays_lanes *a = &s->arr;
    size_t nl = (size_t)s->nlink;
    ree_vl at_filing = REE_LP(par, gate_params, filing_rules) >= REE_VSPLAT(0.5);
    ree_vd tv = REE_VSPLAT((double)t);
    for (size_t l = 0; l < nl; l++) {
        size_t i = (size_t)t * nl + l;
        ree_vd q = a->pend[i], qw = a->pend_w[i];
        ree_vd ok = REE_VSEL(a->pend_ok[i] < q, a->pend_ok[i], q);
        ree_vd lt = a->pend_lt[i], lm = a->pend_lm[i];
        a->pend[i] = REE_VSEL(*m, GATE_V0, a->pend[i]);
        a->pend_w[i] = REE_VSEL(*m, GATE_V0, a->pend_w[i]);
        a->pend_ok[i] = REE_VSEL(*m, GATE_V0, a->pend_ok[i]);
        a->pend_lt[i] = REE_VSEL(*m, GATE_V0, a->pend_lt[i]);
        a->pend_lm[i] = REE_VSEL(*m, GATE_V0, a->pend_lm[i]);
        ree_vl d = *m & (q > GATE_V0);
        if (!REE_VANY(d))
            continue;
        ree_vl now = d & ~at_filing;
        if (REE_VANY(now)) {
            terms_lanes tm;
            ree_vd okn;
            terms_of_lanes(par, io, (int)l, &tm);
            judge_lanes(par, &tm, &q, &now, io->rng, &okn);
            ok = REE_VSEL(now, okn, ok);
            lt = REE_VSEL(now, tm.licence_t, lt);
            lm = REE_VSEL(now, tm.licence_months, lm);
        }
        ree_vd left = a->pend_tot[l] - q;
        a->pend_tot[l] = REE_VSEL(d, GATE_NONNEG(left), a->pend_tot[l]);
        f->denied = REE_VSEL(d, f->denied + (q - ok), f->denied);
        f->decided_ok = REE_VSEL(d, f->decided_ok + ok, f->decided_ok);
        ree_vl o = d & (ok > GATE_V0);
        a->wait[i] = REE_VSEL(o, a->wait[i] + ok, a->wait[i]);
        a->wait_w[i] = REE_VSEL(o, a->wait_w[i] + ok * (qw / q), a->wait_w[i]);
        a->wait_tot[l] = REE_VSEL(o, a->wait_tot[l] + ok, a->wait_tot[l]);
        ree_vl sl = o & (lt > GATE_V0);
        ree_vd lo_left = lt - ok;
        a->lo_left[l] = REE_VSEL(sl, GATE_NONNEG(lo_left), a->lo_left[l]);
        a->lo_until[l] = REE_VSEL(sl, tv + REE_VSEL(lm >= GATE_V1, lm, GATE_V1), a->lo_until[l]);
    }
}

/* quota_pool() in the lanes of m for the pool `id` (per lane) of quota `quota`; `first` gets
 * the first month that still waits (t + 1 when none). */
static void quota_pool_lanes(gate_state_lanes *s, gate_flows_lanes *f, const ree_vl *m,
                             const ree_vd *id, const ree_vd *quota, int t, ree_vd *first)
{
    const gate_arrays_lanes *a = &s->arr;
    size_t nl = (size_t)s->nlink;
    ree_vd left = GATE_NONNEG(*quota);
    ree_vl going = *m;
    *first = REE_VSPLAT((double)(t + 1));
    for (int w = (int)vmin_lane(&s->wait_lo, m, t + 1); w <= t && REE_VANY(going); w++) {
        ree_vd *row = a->wait + (size_t)w * nl;
        ree_vd *roww = a->wait_w + (size_t)w * nl;
        ree_vl in = going & (REE_VSPLAT((double)w) >= s->wait_lo);
        ree_vd total = GATE_V0;
        for (size_t l = 0; l < nl; l++)
            total = REE_VSEL(in & (a->pool[l] == *id), total + row[l], total);
        in &= total > GATE_V0;
        if (!REE_VANY(in))
            continue;
        ree_vl fits = total <= left;
        ree_vd share = REE_VSEL(fits, GATE_V1, left / total);
        left = REE_VSEL(in, REE_VSEL(fits, left - total, GATE_V0), left);
        ree_vl whole = share >= GATE_V1;
        for (size_t l = 0; l < nl; l++) {
            ree_vl g = in & (row[l] > GATE_V0) & (a->pool[l] == *id);
            if (!REE_VANY(g))
                continue;
            ree_vd q = REE_VSEL(whole, row[l], row[l] * share), entry = roww[l] / row[l];
            grant_lanes(s, f, t, (int)l, &g, &q, &entry);
            ree_vd wt = a->wait_tot[l] - q;
            a->wait_tot[l] = REE_VSEL(g, GATE_NONNEG(wt), a->wait_tot[l]);
            row[l] = REE_VSEL(g, REE_VSEL(whole, GATE_V0, row[l] - q), row[l]);
            roww[l] = REE_VSEL(g, REE_VSEL(whole, GATE_V0, roww[l] * (GATE_V1 - share)), roww[l]);
        }
        /* quota used up: this and every later month keep waiting */
        ree_vl stop = in & (share < GATE_V1);
        *first = REE_VSEL(stop, REE_VSPLAT((double)w), *first);
        going &= ~stop;
    }
}

/* apply_quota() in the lanes of m: a pool is the gate's (-1) or a rule's with its own quota, named
 * by the first link holding that rule; the pools of each lane in the order of their first link. */
static void apply_quota_lanes(const void *par, gate_state_lanes *s, gate_flows_lanes *f,
                              const ree_gate_io_lanes *io, int t, const ree_vl *m)
{
    const gate_arrays_lanes *a = &s->arr;
    int nl = s->nlink;
    ree_vd gate_quota = REE_LP(par, gate_params, quota);
    for (int l = 0; l < nl; l++) {
        const void *r = io->rule ? io->rule[l] : NULL;
        a->pool[l] = REE_VSPLAT(-1.0);
        if (!r)
            continue;
        int j = 0;
        while (io->rule[j] != r)
            j++;
        ree_vd rq = REE_LP(r, gate_rule_params, quota);
        a->pool[l] = REE_VSEL(rq != rq, a->pool[l], REE_VSPLAT((double)j));
    }
    ree_vd first_waiting = REE_VSPLAT((double)(t + 1));
    for (int l = 0; l < nl; l++) {
        ree_vl lead = *m;
        for (int j = 0; j < l && REE_VANY(lead); j++)
            lead &= a->pool[j] != a->pool[l];
        if (!REE_VANY(lead))
            continue;
        ree_vd q = gate_quota, w;
        if (io->rule && io->rule[l])
            q = REE_VSEL(a->pool[l] >= GATE_V0, REE_LP(io->rule[l], gate_rule_params, quota), q);
        quota_pool_lanes(s, f, &lead, &a->pool[l], &q, t, &w);
        first_waiting = REE_VSEL(lead & (w < first_waiting), w, first_waiting);
    }
    s->wait_lo = REE_VSEL(*m, first_waiting, s->wait_lo);
}

void ree_gate_decide_lanes(const void *params, void *state, ree_gate_io_lanes *io)
{
    const void *par = params;
    gate_state_lanes *s = state;
    const gate_arrays_lanes *a = &s->arr;
    gate_flows_lanes f = {GATE_V0, GATE_V0, GATE_V0, GATE_V0, GATE_V0, GATE_V0, io->granted};
    int t = io->step;
    int nl = s->nlink;
    if (io->granted)
        for (int l = 0; l < io->nlink; l++)
            io->granted[l] = GATE_V0;

    if (t < 0 || t >= s->nsteps || io->nlink != nl) { /* outside the contract: report nothing */
        for (int l = 0; l < io->nlink; l++)
            io->licensed[l] = io->on_order[l] = GATE_V0;
        for (int k = 0; k < M_COUNT; k++)
            io->metrics[k] = GATE_V0;
        return;
    }
    ree_vl active = REE_LP(par, gate_params, active) >= REE_VSPLAT(0.5);
    ree_vl inactive = ~active;
    ree_vd tv = REE_VSPLAT((double)t);

    if (REE_VANY(inactive)) /* (1) */
        release_all_lanes(s, &f, t, &inactive);

    ree_vd v = REE_LP(par, gate_params, validity_months), vt; /* (2), validity() per lane */
    ree_vl v_in = (v >= GATE_V1) & ~(v > REE_VSPLAT(1e9));
    vtrunc(&vt, &v_in, &v);
    v = REE_VSEL(v >= GATE_V1, REE_VSEL(v > REE_VSPLAT(1e9), REE_VSPLAT(1e9), vt), GATE_V1);
    expire_lanes(s, &f, t, &v);

    uint64_t covers = REE_LP0(par, gate_params, covers, uint64_t);
    for (int l = 0; l < nl; l++) { /* (3) */
        int mat = io->material[l];
        int cov = mat >= 0 && mat < 64 && ((covers >> mat) & 1u);
        ree_vd q = GATE_NONNEG(io->applied[l]);
        f.applied += q;
        ree_vl pass = cov ? inactive : ~GATE_NONE;
        if (REE_VANY(pass)) {
            grant_lanes(s, &f, t, l, &pass, &q, &tv);
            f.decided_ok = REE_VSEL(pass, f.decided_ok + q, f.decided_ok);
        }
        if (!cov)
            continue;
        /* drawn even for q = 0: aligned streams */
        ree_rng_uniform_pos_gsl_lanes(io->rng, &active, &a->u[l]);
        ree_vl st = a->lo_left[l] > GATE_V0; /* most links hold no standing licence */
        if (REE_VANY(st))
            st &= active & (q > GATE_V0) & (tv < a->lo_until[l]);
        if (REE_VANY(st)) { /* a standing licence covers it */
            ree_vd c = REE_VSEL(q < a->lo_left[l], q, a->lo_left[l]);
            grant_lanes(s, &f, t, l, &st, &c, &tv);
            f.decided_ok = REE_VSEL(st, f.decided_ok + c, f.decided_ok);
            a->lo_left[l] = REE_VSEL(st, a->lo_left[l] - c, a->lo_left[l]);
            q = REE_VSEL(st, q - c, q);
        }
        a->rest[l] = q;
    }
    ree_vl filing = REE_LP(par, gate_params, filing_rules) >= REE_VSPLAT(0.5);
    for (int l = 0; l < nl; l++) { /* (3) entry, after every uniform is drawn */
        int mat = io->material[l];
        ree_vd q = a->rest[l];
        ree_vl in = active & (q > GATE_V0);
        if (!(mat >= 0 && mat < 64 && ((covers >> mat) & 1u)) || !REE_VANY(in))
            continue;
        terms_lanes tm;
        terms_of_lanes(par, io, l, &tm);
        ree_vd ok_share = GATE_V0, months;
        ree_vl judged = in & filing;
        if (REE_VANY(judged)) {
            ree_vd ok;
            judge_lanes(par, &tm, &q, &judged, io->rng, &ok);
            ok_share = ok / q;
        }
        review_months_lanes(par, s, &tm.review_days, &a->u[l], &in, &months);
        enter_cohort_lanes(s, l, &in, &q, &months, t, &filing, &ok_share, &tm);
    }

    if (REE_VANY(active)) {
        decide_lanes(par, s, &f, io, t, &active);      /* (4) */
        apply_quota_lanes(par, s, &f, io, t, &active); /* (5) */
    }

    ree_vd backlog = GATE_V0, open = GATE_V0; /* (6) */
    for (int l = 0; l < nl; l++) {
        ree_vd pend = a->pend_tot[l], wait = a->wait_tot[l], lic = a->lic_tot[l];
        io->licensed[l] = lic;
        io->on_order[l] = pend + wait + lic;
        backlog += pend + wait;
        open += lic;
    }

    ree_vd decided = f.decided_ok + f.denied;
    io->metrics[M_APPLICATIONS] = f.applied;
    io->metrics[M_APPROVED] = f.granted;
    io->metrics[M_DENIED] = f.denied;
    io->metrics[M_EXPIRED] = f.expired;
    io->metrics[M_BACKLOG] = backlog;
    io->metrics[M_LICENSED] = open;
    io->metrics[M_APPROVAL_RATE] = REE_VSEL(decided > GATE_V0, f.decided_ok / decided, GATE_V0);
    io->metrics[M_MEAN_WAIT] = REE_VSEL(f.granted > GATE_V0, f.wait_sum / f.granted, GATE_V0);

    s->sum_applied += f.applied;
    s->sum_granted += f.granted;
    s->sum_denied += f.denied;
    s->sum_expired += f.expired;
    s->sum_decided_ok += f.decided_ok;
    s->sum_wait_granted += f.wait_sum;
    s->max_backlog = REE_VSEL(backlog > s->max_backlog, backlog, s->max_backlog);
}

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
#include "gate_priv.h"
#include "gate_rule.h"
#include "models.h"
#include "rng.h"

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

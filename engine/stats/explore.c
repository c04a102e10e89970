/* Designs, cases on common random numbers and the bisection search (see explore.h). */
#include "explore.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* v, a point of [min, max] computed as min + a part of (max - min), kept inside it: rounding
 * alone can leave it (0.2 + 0.8 * 3 / 3 is 1.0000000000000002, which a parameter bounded by 1
 * refuses; 0.3 + (0.9 - 0.3) is 0.9000000000000001). */
static double inside(double v, double min, double max)
{
    return v < min ? min : v > max ? max : v;
}

double ree_explore_scale(double lo, double hi, double u)
{
    return u >= 1 ? hi : inside(lo + (hi - lo) * u, lo, hi);
}

double ree_explore_at(const ree_explore_input *in, double u)
{
    u = u < 0 ? 0 : u > 1 ? 1 : u;
    if (!in->values)
        return ree_explore_scale(in->min, in->max, u);
    int i = (int)floor(u * in->nvalues);
    return in->values[i >= in->nvalues ? in->nvalues - 1 : i];
}

ree_status ree_design_grid(const ree_explore_input *in, int k, int levels, double **x,
                           long long *ncase)
{
    *x = NULL;
    *ncase = 0;
    if (k < 1 || levels < 2)
        return REE_EUSAGE;
    long long n = 1;
    for (int i = 0; i < k; i++) {
        n *= in[i].values ? in[i].nvalues : levels;
        if (n > REE_DESIGN_MAX_CASES)
            return REE_EUSAGE;
    }
    double *v = malloc((size_t)n * (size_t)k * sizeof *v);
    if (!v)
        return REE_ENOMEM;
    for (long long c = 0; c < n; c++) {
        long long r = c;
        for (int i = k - 1; i >= 0; i--) {
            int nl = in[i].values ? in[i].nvalues : levels;
            int l = (int)(r % nl);
            r /= nl;
            const ree_explore_input *e = &in[i];
            v[c * k + i] = e->values ? e->values[l]
                           : l == nl - 1
                               ? e->max /* the ends exact: min at l = 0, max here */
                               : inside(e->min + (e->max - e->min) * l / (nl - 1), e->min, e->max);
        }
    }
    *x = v;
    *ncase = n;
    return REE_OK;
}

ree_status ree_design_lhs(const ree_explore_input *in, int k, int n, unsigned long long seed,
                          double **x)
{
    *x = NULL;
    if (k < 1 || n < 1 || n > REE_DESIGN_MAX_CASES)
        return REE_EUSAGE;
    double *v = malloc((size_t)n * (size_t)k * sizeof *v);
    int *perm = malloc((size_t)n * sizeof *perm);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!v || !perm || !rng) {
        free(v);
        free(perm);
        gsl_rng_free(rng);
        return REE_ENOMEM;
    }
    gsl_rng_set(rng, (unsigned long)seed);
    for (int i = 0; i < k; i++) {
        for (int c = 0; c < n; c++)
            perm[c] = c;
        gsl_ran_shuffle(rng, perm, (size_t)n, sizeof *perm);
        for (int c = 0; c < n; c++)
            v[(size_t)c * (size_t)k + (size_t)i] =
                ree_explore_at(&in[i], (perm[c] + gsl_rng_uniform(rng)) / n);
    }
    free(perm);
    gsl_rng_free(rng);
    *x = v;
    return REE_OK;
}

ree_status ree_explore_case(ree_plan *p, const ree_param_slot *slots, int k, const double *x,
                            const ree_mc_opts *mo, ree_mc_result *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    int bad = 0;
    for (int i = 0; i < k && !bad; i++) {
        double v = slots[i].def->flags & REE_PF_INT ? nearbyint(x[i]) : x[i];
        char why[400];
        if ((bad = ree_slot_set(p, &slots[i], v, why, sizeof why)) != 0)
            snprintf(err, errlen, "%s", why);
    }
    /* The case is collective on several MPI ranks (ree_mc_run): a value that one rank alone
     * could not set (out of memory) stops every rank, not that one alone, with its status. */
    int who = ree_ranks_failed(bad);
    if (!who)
        return ree_mc_run(p, mo, NULL, out, err, errlen);
    int code = bad;
    ree_ranks_bcast_from(who - 1, &code, sizeof code);
    if (!bad)
        snprintf(err, errlen, "%s on MPI rank %d, setting the case's inputs",
                 code == REE_ENOMEM ? "out of memory" : "an invalid value", who - 1);
    return (ree_status)code;
}

double ree_explore_share(const ree_acc *a, size_t cell, const char *op, double x)
{
    size_t np = ree_acc_points(a, cell);
    if (np == 0)
        return NAN;
    double *v = malloc(np * sizeof *v), *w = malloc(np * sizeof *w);
    if (!v || !w) {
        free(v);
        free(w);
        return NAN;
    }
    np = ree_acc_weighted_points(a, cell, v, w);
    double yes = 0, all = 0;
    for (size_t i = 0; i < np; i++) {
        int ok = !strcmp(op, "<=")   ? v[i] <= x
                 : !strcmp(op, "<")  ? v[i] < x
                 : !strcmp(op, ">=") ? v[i] >= x
                                     : v[i] > x;
        all += w[i];
        if (ok)
            yes += w[i];
    }
    free(v);
    free(w);
    return yes / all;
}

void ree_wilson(double s, double n, double z, double *lo, double *hi)
{
    if (n <= 0) {
        *lo = 0;
        *hi = 1;
        return;
    }
    double ph = s / n, z2 = z * z, den = 1 + z2 / n;
    double c = (ph + z2 / (2 * n)) / den;
    double h = z * sqrt(ph * (1 - ph) / n + z2 / (4 * n * n)) / den;
    *lo = s <= 0 ? 0 : fmax(0, c - h);
    *hi = s >= n ? 1 : fmin(1, c + h);
}

ree_status ree_search_bisect(double lo, double hi, double target, double tol, int integral,
                             int prefer_low, ree_search_fn f, void *arg, ree_search_result *out)
{
    memset(out, 0, sizeof *out);
    out->answer = out->bracket = NAN;
    if (integral) {
        lo = ceil(lo);
        hi = floor(hi);
    }
    double plo, phi;
    long long nlo, nhi;
    ree_status st;
    if ((st = f(arg, lo, &plo, &nlo)) != REE_OK || (st = f(arg, hi, &phi, &nhi)) != REE_OK)
        return st;
    out->evaluations = 2;
    int mlo = plo >= target, mhi = phi >= target;
    if (!mlo && !mhi) {
        int best_lo = plo >= phi;
        out->prob = best_lo ? plo : phi;
        out->n = best_lo ? nlo : nhi;
        return REE_OK;
    }
    out->found = 1;
    if (mlo && mhi) {
        out->smallest = prefer_low;
        out->answer = prefer_low ? lo : hi;
        out->prob = prefer_low ? plo : phi;
        out->n = prefer_low ? nlo : nhi;
        return REE_OK;
    }
    /* good: the end that meets the goal; bad: the one that fails it. */
    out->smallest = mhi;
    double good = mhi ? hi : lo, bad = mhi ? lo : hi, pgood = mhi ? phi : plo;
    long long ngood = mhi ? nhi : nlo;
    for (int it = 0; it < 60; it++) {
        if (integral ? fabs(good - bad) <= 1 : fabs(good - bad) <= tol)
            break;
        double mid = integral ? floor((good + bad) / 2) : (good + bad) / 2;
        if (integral && (mid == good || mid == bad))
            mid = good > bad ? bad + 1 : bad - 1;
        double pm;
        long long nm;
        if ((st = f(arg, mid, &pm, &nm)) != REE_OK)
            return st;
        out->evaluations++;
        if (pm >= target) {
            good = mid;
            pgood = pm;
            ngood = nm;
        } else {
            bad = mid;
        }
    }
    out->answer = good;
    out->bracket = bad;
    out->prob = pgood;
    out->n = ngood;
    return REE_OK;
}

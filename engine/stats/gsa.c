/* Morris elementary effects and Sobol indices on a callback (see gsa.h). */
#include "gsa.h"

#include <gsl/gsl_qrng.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "exec.h"
#include "explore.h"

#define CI_LEVEL 0.95

void ree_gsa_result_free(ree_gsa_result *r)
{
    if (!r)
        return;
    free(r->a);
    free(r->b);
    free(r->mu);
    free(r->mean);
    free(r->var);
    memset(r, 0, sizeof *r);
}

static ree_status check_opts(const ree_gsa_opts *o, int min_n)
{
    if (o->k < 1 || o->k > REE_GSA_MAX_INPUTS || o->m < 1 || o->n < min_n || o->nboot < 0 ||
        (!o->f && !o->fb) || !o->lo || !o->hi)
        return REE_EUSAGE;
    for (int i = 0; i < o->k; i++)
        if (!(o->lo[i] < o->hi[i]))
            return REE_EUSAGE;
    return REE_OK;
}

/* Whether this rank (`mine`) or another lacks memory for the method's work arrays: the
 * evaluations are collective on MPI ranks, so every rank stops before the first. */
static int lack_memory(const ree_gsa_opts *o, int mine)
{
    char none[1];
    return ree_ranks_lack_memory(mine, "method", "allocating the method's work arrays",
                                 o->err ? o->err : none, o->err ? o->errlen : sizeof none) != 0;
}

static ree_status alloc_result(const ree_gsa_opts *o, ree_gsa_result *r, int with_mu)
{
    memset(r, 0, sizeof *r);
    size_t c = (size_t)o->k * (size_t)o->m;
    r->k = o->k;
    r->m = o->m;
    r->a = calloc(c, sizeof *r->a);
    r->b = calloc(c, sizeof *r->b);
    r->mu = with_mu ? calloc(c, sizeof *r->mu) : NULL;
    r->mean = calloc((size_t)o->m, sizeof *r->mean);
    r->var = calloc((size_t)o->m, sizeof *r->var);
    if (!r->a || !r->b || (with_mu && !r->mu) || !r->mean || !r->var) {
        ree_gsa_result_free(r);
        return REE_ENOMEM;
    }
    return REE_OK;
}

/* u in the unit cube to the boxes, each coordinate as an explored input's (ends exact). */
static void to_box(const ree_gsa_opts *o, const double *u, double *x)
{
    for (int i = 0; i < o->k; i++)
        x[i] = ree_explore_scale(o->lo[i], o->hi[i], u[i]);
}

/* Outputs of `count` points (x[q * k] -> y[q * m]): the batch hook when there is one, else f
 * point by point; the first failure in point order. */
static ree_status eval_points(const ree_gsa_opts *o, int count, const double *x, double *y)
{
    if (o->fb)
        return o->fb(o->arg, count, x, y);
    for (int q = 0; q < count; q++) {
        ree_status st = o->f(o->arg, x + (size_t)q * (size_t)o->k, y + (size_t)q * (size_t)o->m);
        if (st != REE_OK)
            return st;
    }
    return REE_OK;
}

/* Percentile interval of the nboot values in `s` (sorted in place) into ci->lo, ci->hi. */
static void interval(double *s, int nboot, ree_gsa_ci *ci)
{
    int n = 0;
    for (int b = 0; b < nboot; b++)
        if (isfinite(s[b]))
            s[n++] = s[b];
    if (n == 0) {
        ci->lo = ci->hi = NAN;
        return;
    }
    gsl_sort(s, 1, (size_t)n);
    ci->lo = gsl_stats_quantile_from_sorted_data(s, 1, (size_t)n, (1 - CI_LEVEL) / 2);
    ci->hi = gsl_stats_quantile_from_sorted_data(s, 1, (size_t)n, 1 - (1 - CI_LEVEL) / 2);
}

/* Welford's mean and variance of every output over every evaluation: `count` more of them,
 * outputs at y[q * m], after r->evaluations; r->var holds the sum of squared deviations until
 * finish_stats. */
static void add_stats(ree_gsa_result *r, int count, const double *y)
{
    for (int q = 0; q < count; q++)
        for (int j = 0; j < r->m; j++) {
            double v = y[(size_t)q * (size_t)r->m + (size_t)j], d = v - r->mean[j];
            r->mean[j] += d / (double)(r->evaluations + q + 1);
            r->var[j] += d * (v - r->mean[j]);
        }
}

static void finish_stats(ree_gsa_result *r)
{
    for (int j = 0; j < r->m; j++)
        r->var[j] = r->evaluations > 1 ? r->var[j] / (double)(r->evaluations - 1) : 0;
}

/* Morris statistics of every cell from the trajectories idx[0..r) (with repeats). */
static void morris_stats(const double *ee, const int *idx, int r, int k, int m, double *mustar,
                         double *mu, double *sigma)
{
    for (int j = 0; j < m; j++)
        for (int i = 0; i < k; i++) {
            double sa = 0, mean = 0, m2 = 0;
            for (int t = 0; t < r; t++) {
                double e = ee[((size_t)idx[t] * (size_t)k + (size_t)i) * (size_t)m + (size_t)j];
                double d = e - mean;
                sa += fabs(e);
                mean += d / (t + 1);
                m2 += d * (e - mean);
            }
            size_t c = (size_t)j * (size_t)k + (size_t)i;
            mustar[c] = sa / r;
            if (mu)
                mu[c] = mean;
            sigma[c] = r > 1 ? sqrt(m2 / (r - 1)) : 0;
        }
}

static ree_status bootstrap(const ree_gsa_opts *o, int rows, gsl_rng *rng, ree_gsa_result *r,
                            void (*stats)(const void *ctx, const int *idx, double *a, double *b),
                            const void *ctx)
{
    size_t c = (size_t)o->k * (size_t)o->m;
    if (o->nboot == 0) {
        for (size_t i = 0; i < c; i++)
            r->a[i].lo = r->a[i].hi = r->b[i].lo = r->b[i].hi = NAN;
        return REE_OK;
    }
    int *idx = malloc((size_t)rows * sizeof *idx);
    double *ba = malloc(c * (size_t)o->nboot * sizeof *ba);
    double *bb = malloc(c * (size_t)o->nboot * sizeof *bb);
    double *ta = malloc(c * sizeof *ta), *tb = malloc(c * sizeof *tb);
    ree_status st = REE_ENOMEM;
    if (idx && ba && bb && ta && tb) {
        for (int b = 0; b < o->nboot; b++) {
            for (int t = 0; t < rows; t++)
                idx[t] = (int)gsl_rng_uniform_int(rng, (unsigned long)rows);
            stats(ctx, idx, ta, tb);
            for (size_t i = 0; i < c; i++) {
                ba[i * (size_t)o->nboot + (size_t)b] = ta[i];
                bb[i * (size_t)o->nboot + (size_t)b] = tb[i];
            }
        }
        for (size_t i = 0; i < c; i++) {
            interval(ba + i * (size_t)o->nboot, o->nboot, &r->a[i]);
            interval(bb + i * (size_t)o->nboot, o->nboot, &r->b[i]);
        }
        st = REE_OK;
    }
    free(idx);
    free(ba);
    free(bb);
    free(ta);
    free(tb);
    return st;
}

typedef struct morris_ctx {
    const double *ee;
    int r, k, m;
} morris_ctx;

static void morris_boot(const void *ctx, const int *idx, double *a, double *b)
{
    const morris_ctx *mc = ctx;
    morris_stats(mc->ee, idx, mc->r, mc->k, mc->m, a, NULL, b);
}

ree_status ree_gsa_morris(const ree_gsa_opts *o, ree_gsa_result *out)
{
    memset(out, 0, sizeof *out);
    int p = o->levels ? o->levels : 4;
    ree_status st = check_opts(o, 2);
    if (st != REE_OK || p < 2 || p % 2)
        return REE_EUSAGE;
    int k = o->k, m = o->m, r = o->n;
    double delta = p / (2.0 * (p - 1));
    double *ee = malloc((size_t)r * (size_t)k * (size_t)m * sizeof *ee);
    /* a trajectory's k + 1 points, their outputs, and the step each move took */
    double *xs = malloc((size_t)(k + 1) * (size_t)k * sizeof *xs);
    double *ys = malloc((size_t)(k + 1) * (size_t)m * sizeof *ys);
    double *u = malloc((size_t)k * sizeof *u), *dd = malloc((size_t)k * sizeof *dd);
    double *mustar = malloc((size_t)k * (size_t)m * sizeof *mustar);
    double *sigma = malloc((size_t)k * (size_t)m * sizeof *sigma);
    int *perm = malloc((size_t)k * sizeof *perm), *idx = malloc((size_t)r * sizeof *idx);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (lack_memory(o, !ee || !xs || !ys || !u || !dd || !mustar || !sigma || !perm || !idx ||
                           !rng || alloc_result(o, out, 1) != REE_OK)) {
        st = REE_ENOMEM;
        goto done;
    }
    gsl_rng_set(rng, (unsigned long)o->seed);
    long long total = (long long)r * (k + 1);
    for (int t = 0; t < r && st == REE_OK; t++) {
        for (int i = 0; i < k; i++) {
            u[i] = (double)gsl_rng_uniform_int(rng, (unsigned long)p) / (p - 1);
            perm[i] = i;
        }
        gsl_ran_shuffle(rng, perm, (size_t)k, sizeof *perm);
        to_box(o, u, xs);
        for (int s = 0; s < k; s++) { /* move input perm[s]: point s + 1 */
            int i = perm[s];
            double d = u[i] + delta <= 1 + 1e-12 ? delta : -delta;
            u[i] = fmin(1, fmax(0, u[i] + d));
            dd[s] = d;
            to_box(o, u, xs + (size_t)(s + 1) * (size_t)k);
        }
        if ((st = eval_points(o, k + 1, xs, ys)) != REE_OK)
            break;
        add_stats(out, k + 1, ys);
        out->evaluations += k + 1;
        for (int s = 0; s < k; s++) {
            const double *yp = ys + (size_t)s * (size_t)m, *y1 = yp + m;
            for (int j = 0; j < m; j++)
                ee[((size_t)t * (size_t)k + (size_t)perm[s]) * (size_t)m + (size_t)j] =
                    (y1[j] - yp[j]) / dd[s];
        }
        if (o->progress)
            o->progress(o->arg, out->evaluations, total);
    }
    if (st != REE_OK)
        goto done;
    finish_stats(out);
    for (int t = 0; t < r; t++)
        idx[t] = t;
    morris_stats(ee, idx, r, k, m, mustar, out->mu, sigma);
    for (size_t c = 0; c < (size_t)k * (size_t)m; c++) {
        out->a[c].est = mustar[c];
        out->b[c].est = sigma[c];
    }
    morris_ctx mc = {ee, r, k, m};
    st = bootstrap(o, r, rng, out, morris_boot, &mc);
done:
    if (st != REE_OK)
        ree_gsa_result_free(out);
    free(ee);
    free(xs);
    free(ys);
    free(u);
    free(dd);
    free(mustar);
    free(sigma);
    free(perm);
    free(idx);
    gsl_rng_free(rng);
    return st;
}

typedef struct sobol_ctx {
    const double *ya, *yb, *yab; /* N x m, N x m, k x N x m */
    int n, k, m;
} sobol_ctx;

/* S1 (Saltelli 2010) and ST (Jansen) of every cell from the rows idx[0..n) (NULL: all). */
static void sobol_stats(const void *ctx, const int *idx, double *s1, double *st)
{
    const sobol_ctx *sc = ctx;
    size_t n = (size_t)sc->n, m = (size_t)sc->m;
    for (size_t j = 0; j < m; j++) {
        double mean = 0, m2 = 0;
        for (size_t t = 0; t < 2 * n; t++) {
            size_t row = idx ? (size_t)idx[t % n] : t % n;
            double v = (t < n ? sc->ya : sc->yb)[row * m + j], d = v - mean;
            mean += d / (double)(t + 1);
            m2 += d * (v - mean);
        }
        double var = m2 / (double)(2 * n - 1);
        for (size_t i = 0; i < (size_t)sc->k; i++) {
            double a = 0, b = 0;
            for (size_t t = 0; t < n; t++) {
                size_t row = idx ? (size_t)idx[t] : t;
                double fa = sc->ya[row * m + j], fb = sc->yb[row * m + j];
                double fab = sc->yab[(i * n + row) * m + j];
                a += (fb - mean) * (fab - fa);
                b += (fa - fab) * (fa - fab);
            }
            size_t c = j * (size_t)sc->k + i;
            s1[c] = var > 0 ? a / (double)n / var : NAN;
            st[c] = var > 0 ? b / (2.0 * (double)n) / var : NAN;
        }
    }
}

ree_status ree_gsa_sobol(const ree_gsa_opts *o, ree_gsa_result *out)
{
    memset(out, 0, sizeof *out);
    ree_status st = check_opts(o, 2);
    if (st != REE_OK)
        return st;
    int k = o->k, m = o->m, n = o->n;
    size_t nm = (size_t)n * (size_t)m;
    double *ya = malloc(nm * sizeof *ya), *yb = malloc(nm * sizeof *yb);
    double *yab = malloc((size_t)k * nm * sizeof *yab);
    double *pt = malloc(2 * (size_t)k * sizeof *pt), *u = malloc((size_t)k * sizeof *u);
    /* a row's k + 2 points (A, B, A_B^1 .. A_B^k) and their outputs */
    double *xs = malloc((size_t)(k + 2) * (size_t)k * sizeof *xs);
    double *ys = malloc((size_t)(k + 2) * (size_t)m * sizeof *ys);
    double *s1 = malloc((size_t)k * (size_t)m * sizeof *s1);
    double *stt = malloc((size_t)k * (size_t)m * sizeof *stt);
    gsl_qrng *q = gsl_qrng_alloc(gsl_qrng_sobol, 2 * (unsigned)k);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (lack_memory(o, !ya || !yb || !yab || !pt || !u || !xs || !ys || !s1 || !stt || !q || !rng ||
                           alloc_result(o, out, 0) != REE_OK)) {
        st = REE_ENOMEM;
        goto done;
    }
    gsl_rng_set(rng, (unsigned long)o->seed);
    long long total = (long long)n * (k + 2);
    size_t ms = (size_t)m * sizeof *ys;
    for (int t = 0; t < n && st == REE_OK; t++) {
        if (gsl_qrng_get(q, pt)) {
            st = REE_EINTERNAL;
            break;
        }
        to_box(o, pt, xs);
        to_box(o, pt + k, xs + k);
        for (int i = 0; i < k; i++) {
            memcpy(u, pt, (size_t)k * sizeof *u);
            u[i] = pt[k + i];
            to_box(o, u, xs + (size_t)(2 + i) * (size_t)k);
        }
        if ((st = eval_points(o, k + 2, xs, ys)) != REE_OK)
            break;
        memcpy(ya + (size_t)t * (size_t)m, ys, ms);
        memcpy(yb + (size_t)t * (size_t)m, ys + m, ms);
        for (int i = 0; i < k; i++)
            memcpy(yab + ((size_t)i * (size_t)n + (size_t)t) * (size_t)m,
                   ys + (size_t)(2 + i) * (size_t)m, ms);
        add_stats(out, k + 2, ys);
        out->evaluations += k + 2;
        if (o->progress)
            o->progress(o->arg, out->evaluations, total);
    }
    if (st != REE_OK)
        goto done;
    finish_stats(out);
    sobol_ctx sc = {ya, yb, yab, n, k, m};
    sobol_stats(&sc, NULL, s1, stt);
    for (size_t c = 0; c < (size_t)k * (size_t)m; c++) {
        out->a[c].est = s1[c];
        out->b[c].est = stt[c];
    }
    st = bootstrap(o, n, rng, out, sobol_stats, &sc);
done:
    if (st != REE_OK)
        ree_gsa_result_free(out);
    free(ya);
    free(yb);
    free(yab);
    free(pt);
    free(u);
    free(xs);
    free(ys);
    free(s1);
    free(stt);
    gsl_qrng_free(q);
    gsl_rng_free(rng);
    return st;
}

/* Proper scores: CRPS and interval score (see score.h). */
#include "score.h"

#include <math.h>
#include <stdlib.h>

typedef struct wpt {
    double x, w;
} wpt;

static int by_x(const void *a, const void *b)
{
    double x = ((const wpt *)a)->x, y = ((const wpt *)b)->x;
    return (x > y) - (x < y);
}

/* Insertion sort for short arrays, else qsort: ties in x may land in any order, which does not
 * change the integral. */
static void sort_pairs(double *x, double *w, size_t n, wpt *tmp)
{
    for (size_t i = 0; i < n; i++)
        tmp[i] = (wpt){x[i], w[i]};
    qsort(tmp, n, sizeof *tmp, by_x);
    for (size_t i = 0; i < n; i++) {
        x[i] = tmp[i].x;
        w[i] = tmp[i].w;
    }
}

/* The integral of (F(t) - H(t - y))^2 over the breakpoints x[0..n) (sorted) and y. */
static double crps_sorted(const double *x, const double *w, size_t n, double y)
{
    double W = 0;
    for (size_t i = 0; i < n; i++)
        W += w[i];
    double t = x[0] < y ? x[0] : y, F = 0, sum = 0;
    size_t k = 0;
    int passed = 0; /* t is at or beyond y */
    while (k < n || !passed) {
        double nx = k < n ? x[k] : INFINITY;
        int y_next = !passed && y <= nx;
        double next = y_next ? y : nx;
        double d = F - (passed ? 1.0 : 0.0);
        sum += (next - t) * d * d;
        t = next;
        if (y_next) {
            passed = 1;
        } else {
            F += w[k] / W;
            k++;
        }
    }
    return sum;
}

double ree_crps_weighted(double *x, double *w, size_t n, double y)
{
    if (n == 0 || !isfinite(y))
        return NAN;
    wpt *tmp = malloc(n * sizeof *tmp);
    if (!tmp)
        return NAN;
    sort_pairs(x, w, n, tmp);
    free(tmp);
    return crps_sorted(x, w, n, y);
}

int ree_acc_crps(const ree_acc *a, size_t cell, double y, double *out)
{
    size_t n = ree_acc_points(a, cell);
    if (n == 0 || !isfinite(y)) {
        *out = NAN;
        return 0;
    }
    double *x = malloc(2 * n * sizeof *x);
    wpt *tmp = malloc(n * sizeof *tmp);
    if (!x || !tmp) {
        free(x);
        free(tmp);
        return -1;
    }
    double *w = x + n;
    n = ree_acc_weighted_points(a, cell, x, w);
    sort_pairs(x, w, n, tmp);
    *out = crps_sorted(x, w, n, y);
    free(tmp);
    free(x);
    return 0;
}

double ree_interval_score(double lo, double hi, double alpha, double y)
{
    double s = hi - lo;
    if (y < lo)
        s += 2.0 / alpha * (lo - y);
    if (y > hi)
        s += 2.0 / alpha * (y - hi);
    return s;
}

int ree_fit_point_score(const ree_plan *p, const ree_acc *series, int obs, int k,
                        ree_fit_point *out)
{
    const ree_observation *o = &p->observations[obs];
    size_t cell = (size_t)o->series * (size_t)p->nsteps + (size_t)o->step[k];
    out->obs = obs;
    out->k = k;
    out->step = o->step[k];
    out->observed = o->value[k];
    ree_acc_cell(series, cell, &out->s);
    if (ree_acc_crps(series, cell, o->value[k], &out->crps))
        return -1;
    out->is = ree_interval_score(out->s.p05, out->s.p95, REE_IS_ALPHA, o->value[k]);
    out->within = o->value[k] >= out->s.p05 && o->value[k] <= out->s.p95;
    return 0;
}

int ree_fit_evaluate(const ree_plan *p, const ree_acc *series, int obs, int last_step,
                     ree_fit_summary *out)
{
    double ape = 0, in = 0, crps = 0, is = 0;
    int nape = 0, n = 0;
    for (int i = obs < 0 ? 0 : obs; i < (obs < 0 ? p->nobs : obs + 1); i++)
        for (int k = 0; k < p->observations[i].npoint; k++) {
            int step = p->observations[i].step[k];
            if (step > last_step || step >= p->nsteps)
                continue;
            ree_fit_point fp;
            if (ree_fit_point_score(p, series, i, k, &fp))
                return -1;
            if (fp.observed != 0) {
                ape += fabs(fp.s.p50 - fp.observed) / fabs(fp.observed);
                nape++;
            }
            in += fp.within;
            crps += fp.crps;
            is += fp.is;
            n++;
        }
    out->npoints = n;
    out->inside = n ? in / n : NAN;
    out->mape = nape ? 100 * ape / nape : NAN;
    out->crps = n ? crps / n : NAN;
    out->is = n ? is / n : NAN;
    return 0;
}

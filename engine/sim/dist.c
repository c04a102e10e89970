/*
 * Probability distributions for uncertain parameters, sampled by inverse transform (dist.h).
 *
 * Each kind supplies its untruncated CDF F, survival function Q = 1 - F and their inverses:
 * closed forms for uniform and triangular, engine/sim/respecial.h's for normal, lognormal, beta
 * and PERT (the same bits on every x86-64 CPU, where GSL's gsl_cdf_* take the C library's exp and
 * log, which glibc picks by CPU).
 * Truncation maps u into [F(lo), F(hi)]; past the median the same map is done on the survival
 * side, Q(x) = Q(hi) + (1 - u) (F(hi) - F(lo)), x = Q^{-1}(.), because F loses every digit far
 * in the upper tail (F(10 sd) rounds to 1, while Q(10 sd) = 7.6e-24 is exact enough).
 */
#include "dist.h"
#include "rng.h"
#include "exactmath.h"
#include "remath.h"
#include "respecial.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Vose's PERT shape: weight of the mode. */
#define PERT_LAMBDA 4.0

static const char *const kind_names[] = {
    [REE_DIST_CONST] = "const",
    [REE_DIST_UNIFORM] = "uniform",
    [REE_DIST_TRIANGULAR] = "triangular",
    [REE_DIST_NORMAL] = "normal",
    [REE_DIST_LOGNORMAL] = "lognormal",
    [REE_DIST_BETA] = "beta",
    [REE_DIST_PERT] = "pert",
};

#define KIND_COUNT (sizeof kind_names / sizeof kind_names[0])

const char *ree_dist_name(ree_dist_kind k)
{
    if ((unsigned)k >= KIND_COUNT)
        return NULL;
    return kind_names[k];
}

int ree_dist_parse_kind(const char *name, ree_dist_kind *k)
{
    if (name == NULL)
        return -1;
    for (size_t i = 0; i < KIND_COUNT; i++) {
        if (strcmp(name, kind_names[i]) == 0) {
            *k = (ree_dist_kind)i;
            return 0;
        }
    }
    return -1;
}

/* Shape of a beta-based kind: parameters and the interval it is scaled onto. */
typedef struct beta_shape {
    double alpha, beta;
    double min, max;
} beta_shape;

static beta_shape shape_of(const ree_dist *d)
{
    beta_shape s;
    if (d->kind == REE_DIST_PERT) {
        double w = d->b - d->a;
        s.alpha = 1.0 + PERT_LAMBDA * (d->c - d->a) / w;
        s.beta = 1.0 + PERT_LAMBDA * (d->b - d->c) / w;
        s.min = d->a;
        s.max = d->b;
    } else {
        s.alpha = d->a;
        s.beta = d->b;
        s.min = isinf(d->lo) ? 0.0 : d->lo;
        s.max = isinf(d->hi) ? 1.0 : d->hi;
    }
    return s;
}

/* Lognormal mu and sigma from the mean and sd of the variable itself. */
static void lognormal_params(const ree_dist *d, double *mu, double *sigma)
{
    double cv = d->b / d->a;
    double s2 = ree_log1p(cv * cv);
    *sigma = sqrt(s2);
    *mu = ree_log(d->a) - s2 / 2.0;
}

/* Truncation bounds actually applied: for beta, lo/hi are its support, not a truncation. */
static void trunc_bounds(const ree_dist *d, double *lo, double *hi)
{
    if (d->kind == REE_DIST_BETA) {
        *lo = -INFINITY;
        *hi = INFINITY;
    } else {
        *lo = d->lo;
        *hi = d->hi;
    }
}

static double clamp01(double p)
{
    return p < 0.0 ? 0.0 : (p > 1.0 ? 1.0 : p);
}

/* Triangular F (upper = 0) or Q (upper = 1), closed form. Degenerate sides (mode at an end)
 * are never reached with a zero denominator: x <= a and x >= b return first. */
static double tri_cdf(const ree_dist *d, double x, int upper)
{
    double a = d->a, b = d->b, c = d->c;
    double p;
    if (x <= a) {
        p = 0.0;
    } else if (x >= b) {
        p = 1.0;
    } else if (x <= c) {
        double t = x - a;
        p = t * t / ((b - a) * (c - a));
    } else {
        double t = b - x;
        double q = t * t / ((b - a) * (b - c));
        return upper ? q : 1.0 - q;
    }
    return upper ? 1.0 - p : p;
}

/* Triangular F^{-1}(p) or Q^{-1}(p). Each branch works from the nearer end, so p near 0 or near
 * 1 keeps its digits: 1 - p is exact for p >= 1/2. */
static double tri_inv(const ree_dist *d, double p, int upper)
{
    double a = d->a, b = d->b, c = d->c;
    double w = b - a;
    if (!upper) {
        if (p <= (c - a) / w)
            return a + sqrt(p * w * (c - a));
        return b - sqrt((1.0 - p) * w * (b - c));
    }
    if (p <= (b - c) / w)
        return b - sqrt(p * w * (b - c));
    return a + sqrt((1.0 - p) * w * (c - a));
}

/* Untruncated F(x) (upper = 0) or Q(x) (upper = 1) of a continuous kind. */
static double cdf(const ree_dist *d, double x, int upper)
{
    switch (d->kind) {
    case REE_DIST_UNIFORM: {
        double p = clamp01(upper ? (d->b - x) / (d->b - d->a) : (x - d->a) / (d->b - d->a));
        return p;
    }
    case REE_DIST_TRIANGULAR:
        return tri_cdf(d, x, upper);
    case REE_DIST_NORMAL:
        if (isinf(x))
            return (x > 0) == (upper != 0) ? 0.0 : 1.0;
        return upper ? ree_ugaussian_Q((x - d->a) / d->b) : ree_ugaussian_P((x - d->a) / d->b);
    case REE_DIST_LOGNORMAL: {
        if (x <= 0.0)
            return upper ? 1.0 : 0.0;
        if (isinf(x))
            return upper ? 0.0 : 1.0;
        double mu, sigma;
        lognormal_params(d, &mu, &sigma);
        double z = (ree_log(x) - mu) / sigma;
        return upper ? ree_ugaussian_Q(z) : ree_ugaussian_P(z);
    }
    case REE_DIST_BETA:
    case REE_DIST_PERT: {
        beta_shape s = shape_of(d);
        if (x <= s.min)
            return upper ? 1.0 : 0.0;
        if (x >= s.max)
            return upper ? 0.0 : 1.0;
        double t = (x - s.min) / (s.max - s.min);
        return upper ? ree_beta_Q(t, s.alpha, s.beta) : ree_beta_P(t, s.alpha, s.beta);
    }
    case REE_DIST_CONST:
    default:
        return NAN;
    }
}

/* Untruncated F^{-1}(p) (upper = 0) or Q^{-1}(p) (upper = 1) of a continuous kind. */
static double inv(const ree_dist *d, double p, int upper)
{
    switch (d->kind) {
    case REE_DIST_UNIFORM:
        return upper ? d->b - p * (d->b - d->a) : d->a + p * (d->b - d->a);
    case REE_DIST_TRIANGULAR:
        return tri_inv(d, p, upper);
    case REE_DIST_NORMAL:
        return d->a + d->b * (upper ? -ree_ugaussian_pinv(p) : ree_ugaussian_pinv(p));
    case REE_DIST_LOGNORMAL: {
        double mu, sigma;
        lognormal_params(d, &mu, &sigma);
        if (p == 0.0) /* P^-1(0) = 0 and Q^-1(0) = +inf, as GSL's */
            return upper ? INFINITY : 0.0;
        if (p == 1.0)
            return upper ? 0.0 : INFINITY;
        return ree_exp(mu + sigma * (upper ? -ree_ugaussian_pinv(p) : ree_ugaussian_pinv(p)));
    }
    case REE_DIST_BETA:
    case REE_DIST_PERT: {
        beta_shape s = shape_of(d);
        double t = upper ? ree_beta_Qinv(p, s.alpha, s.beta) : ree_beta_Pinv(p, s.alpha, s.beta);
        return s.min + (s.max - s.min) * t;
    }
    case REE_DIST_CONST:
    default:
        return NAN;
    }
}

/* The truncation as seen by the inverse transform: F(lo), Q(hi) and the mass m of [lo, hi].
 * m is taken on the tail side, Q(lo) - Q(hi) when lo is above the median, F(hi) - F(lo)
 * otherwise, so it keeps its digits for an interval far in either tail. */
typedef struct trunc_map {
    double flo;  /* F(lo) */
    double qhi;  /* Q(hi) */
    double mass; /* F(hi) - F(lo) */
} trunc_map;

static trunc_map trunc_map_of(const ree_dist *d)
{
    double lo, hi;
    trunc_bounds(d, &lo, &hi);
    trunc_map m;
    m.flo = cdf(d, lo, 0);
    m.qhi = cdf(d, hi, 1);
    m.mass = m.flo > 0.5 ? cdf(d, lo, 1) - m.qhi : cdf(d, hi, 0) - m.flo;
    return m;
}

void ree_dist_support(const ree_dist *d, double *lo, double *hi)
{
    double nlo, nhi; /* natural support */
    switch (d->kind) {
    case REE_DIST_CONST:
        nlo = nhi = d->a;
        break;
    case REE_DIST_UNIFORM:
    case REE_DIST_TRIANGULAR:
    case REE_DIST_PERT:
        nlo = d->a;
        nhi = d->b;
        break;
    case REE_DIST_LOGNORMAL:
        nlo = 0.0;
        nhi = INFINITY;
        break;
    case REE_DIST_BETA: {
        beta_shape s = shape_of(d);
        nlo = s.min;
        nhi = s.max;
        break;
    }
    case REE_DIST_NORMAL:
    default:
        nlo = -INFINITY;
        nhi = INFINITY;
        break;
    }
    double tlo, thi;
    trunc_bounds(d, &tlo, &thi);
    *lo = fmax(nlo, tlo);
    *hi = fmin(nhi, thi);
}

double ree_dist_quantile(const ree_dist *d, double u)
{
    if (d->kind == REE_DIST_CONST)
        return d->a;
    /* p = F(lo) + u m; above the median the same point is reached from the other end,
     * Q(x) = Q(hi) + (1 - u) m. Only positive terms are added (1 - u is exact for the u that
     * ree_rng_uniform_pos returns), so a tail keeps its digits on either side. */
    trunc_map m = trunc_map_of(d);
    double p = m.flo + u * m.mass;
    double x = p <= 0.5 ? inv(d, p, 0) : inv(d, m.qhi + (1.0 - u) * m.mass, 1);
    /* Rounding in p or in the inverse may step just outside the support: clamp back. */
    double lo, hi;
    ree_dist_support(d, &lo, &hi);
    if (x < lo)
        x = lo;
    if (x > hi)
        x = hi;
    return x;
}

double ree_dist_sample(const ree_dist *d, gsl_rng *r)
{
    return ree_dist_quantile(d, ree_rng_uniform_pos(r));
}

double ree_dist_mean(const ree_dist *d)
{
    switch (d->kind) {
    case REE_DIST_CONST:
    case REE_DIST_NORMAL:
    case REE_DIST_LOGNORMAL:
        return d->a;
    case REE_DIST_UNIFORM:
        return d->a + (d->b - d->a) / 2.0;
    case REE_DIST_TRIANGULAR:
        return (d->a + d->b + d->c) / 3.0;
    case REE_DIST_PERT:
        return (d->a + PERT_LAMBDA * d->c + d->b) / (PERT_LAMBDA + 2.0);
    case REE_DIST_BETA: {
        beta_shape s = shape_of(d);
        return s.min + (s.max - s.min) * s.alpha / (s.alpha + s.beta);
    }
    default:
        return NAN;
    }
}

/* Write a reason into why (if any room) and fail. */
static int fail(char *why, size_t whylen, const char *fmt, ...)
{
    if (why != NULL && whylen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Names of the fields a, b, c for each kind, as written in scenarios; NULL when unused. */
typedef struct field_names {
    const char *a, *b, *c;
} field_names;

static field_names fields_of(ree_dist_kind k)
{
    switch (k) {
    case REE_DIST_CONST:
        return (field_names){"value", NULL, NULL};
    case REE_DIST_UNIFORM:
        return (field_names){"min", "max", NULL};
    case REE_DIST_TRIANGULAR:
    case REE_DIST_PERT:
        return (field_names){"min", "max", "mode"};
    case REE_DIST_NORMAL:
    case REE_DIST_LOGNORMAL:
        return (field_names){"mean", "sd", NULL};
    case REE_DIST_BETA:
    default:
        return (field_names){"alpha", "beta", NULL};
    }
}

/* Rules on a, b, c for each kind (fields already known to be finite). */
static int check_shape(const ree_dist *d, const char *name, char *why, size_t whylen)
{
    double a = d->a, b = d->b, c = d->c;
    switch (d->kind) {
    case REE_DIST_CONST:
        return 0;
    case REE_DIST_UNIFORM:
        if (!(a < b))
            return fail(why, whylen, "uniform needs min < max, found min %.15g, max %.15g", a, b);
        if (!isfinite(b - a))
            return fail(why, whylen, "uniform max - min overflows, found min %.15g, max %.15g", a,
                        b);
        return 0;
    case REE_DIST_TRIANGULAR:
    case REE_DIST_PERT:
        if (!(a <= c && c <= b))
            return fail(why, whylen,
                        "%s needs min <= mode <= max, found min %.15g, mode %.15g, max %.15g", name,
                        a, c, b);
        if (!(a < b))
            return fail(why, whylen, "%s needs min < max, found min %.15g, max %.15g", name, a, b);
        if (!isfinite(b - a))
            return fail(why, whylen, "%s max - min overflows, found min %.15g, max %.15g", name, a,
                        b);
        return 0;
    case REE_DIST_NORMAL:
        if (!(b > 0))
            return fail(why, whylen, "normal needs sd > 0, found sd %.15g", b);
        return 0;
    case REE_DIST_LOGNORMAL: {
        if (!(a > 0))
            return fail(why, whylen, "lognormal needs mean > 0, found mean %.15g", a);
        if (!(b > 0))
            return fail(why, whylen, "lognormal needs sd > 0, found sd %.15g", b);
        double mu, sigma;
        lognormal_params(d, &mu, &sigma);
        if (!(isfinite(mu) && isfinite(sigma) && sigma > 0))
            return fail(why, whylen,
                        "lognormal sd/mean ratio out of range, found mean %.15g, sd %.15g", a, b);
        return 0;
    }
    case REE_DIST_BETA: {
        if (!(a > 0 && b > 0))
            return fail(why, whylen,
                        "beta needs alpha > 0 and beta > 0, found alpha %.15g, "
                        "beta %.15g",
                        a, b);
        if (!(a >= REE_DIST_BETA_SHAPE_MIN && b >= REE_DIST_BETA_SHAPE_MIN))
            return fail(why, whylen,
                        "beta needs alpha and beta at least %g, found alpha %.15g, beta %.15g",
                        REE_DIST_BETA_SHAPE_MIN, a, b);
        if (!(a <= REE_DIST_BETA_SHAPE_MAX && b <= REE_DIST_BETA_SHAPE_MAX))
            return fail(why, whylen,
                        "beta needs alpha and beta at most %g, found alpha %.15g, beta %.15g",
                        REE_DIST_BETA_SHAPE_MAX, a, b);
        if (isnan(d->lo) || isnan(d->hi))
            return fail(why, whylen,
                        "beta min and max must be numbers, found min %.15g, "
                        "max %.15g",
                        d->lo, d->hi);
        int lo_set = !isinf(d->lo), hi_set = !isinf(d->hi);
        if (lo_set != hi_set || (!lo_set && !(d->lo < 0 && d->hi > 0)))
            return fail(why, whylen,
                        "beta needs both min and max or neither (default [0, 1]), "
                        "found min %.15g, max %.15g",
                        d->lo, d->hi);
        if (lo_set && !(d->lo < d->hi))
            return fail(why, whylen, "beta needs min < max, found min %.15g, max %.15g", d->lo,
                        d->hi);
        if (lo_set && !isfinite(d->hi - d->lo))
            return fail(why, whylen, "beta max - min overflows, found min %.15g, max %.15g", d->lo,
                        d->hi);
        return 0;
    }
    default:
        return fail(why, whylen, "unknown distribution kind %d", (int)d->kind);
    }
}

/* Truncation rules: bounds ordered and carrying positive probability mass. */
static int check_trunc(const ree_dist *d, const char *name, char *why, size_t whylen)
{
    if (d->kind == REE_DIST_BETA)
        return 0; /* lo/hi are beta's support, checked with its shape */
    if (isnan(d->lo) || isnan(d->hi))
        return fail(why, whylen, "%s truncation bounds must be numbers, found [%.15g, %.15g]", name,
                    d->lo, d->hi);
    if (!(d->lo <= d->hi))
        return fail(why, whylen, "%s truncation needs lo <= hi, found [%.15g, %.15g]", name, d->lo,
                    d->hi);
    double mass;
    if (d->kind == REE_DIST_CONST) {
        mass = (d->lo <= d->a && d->a <= d->hi) ? 1.0 : 0.0;
    } else {
        mass = trunc_map_of(d).mass;
    }
    if (!(mass > 0))
        return fail(why, whylen, "%s truncation [%.15g, %.15g] has no probability mass", name,
                    d->lo, d->hi);
    return 0;
}

int ree_dist_check(const ree_dist *d, char *why, size_t whylen)
{
    const char *name = ree_dist_name(d->kind);
    if (name == NULL)
        return fail(why, whylen, "unknown distribution kind %d", (int)d->kind);
    field_names f = fields_of(d->kind);
    const char *fn[3] = {f.a, f.b, f.c};
    const double fv[3] = {d->a, d->b, d->c};
    for (int i = 0; i < 3; i++) {
        if (fn[i] != NULL && !isfinite(fv[i]))
            return fail(why, whylen, "%s %s must be a finite number, found %.15g", name, fn[i],
                        fv[i]);
    }
    if (check_shape(d, name, why, whylen) != 0)
        return -1;
    return check_trunc(d, name, why, whylen);
}

/*
 * The normal distribution function and the regularised incomplete beta function with its inverse,
 * the same bits on every x86-64 CPU. Methods, accuracy and sources in respecial.h.
 */
#include "respecial.h"

#include <float.h>
#include <math.h>

#include "exactmath.h"
#include "remath.h"

/* ---- Normal: Cody's approximations ---- */

#define ONE_OVER_SQRT_2PI 0.39894228040143267793994605993
#define SQRT32            (4.0 * 1.41421356237309504880) /* sqrt(32), as GSL forms it */
#define GAUSS_EPS         (DBL_EPSILON / 2)              /* below: P = Q = 1/2 */
#define GAUSS_XUPPER      8.572                          /* above: P rounds to 1 */
#define GAUSS_XLOWER      -37.519                        /* below: P underflows to 0 */

/* A rational function of Cody's, numerator and denominator in the nested form
 * ((lead z + num[0]) z + num[1]) z + ... + num[n] over ((z + den[0]) z + ...) z + den[n],
 * both through one loop as Cody's ANORM evaluates them. */
typedef struct cody_rat {
    double lead;
    const double *num, *den;
    int n;
} cody_rat;

static void cody_eval(const cody_rat *c, double z, double *pn, double *pd)
{
    double xnum = c->lead * z, xden = z;
    for (int i = 0; i < c->n; i++) {
        xnum = (xnum + c->num[i]) * z;
        xden = (xden + c->den[i]) * z;
    }
    *pn = xnum + c->num[c->n];
    *pd = xden + c->den[c->n];
}

/* P(x) - 1/2 for |x| < 0.66291. */
static double gauss_small(double x)
{
    static const double num[] = {2.2352520354606839287, 161.02823106855587881,
                                 1067.6894854603709582, 18154.981253343561249};
    static const double den[] = {47.20258190468824187, 976.09855173777669322, 10260.932208618978205,
                                 45507.789335026729956};
    static const cody_rat c = {0.065682337918207449113, num, den, 3};
    double pn, pd;
    cody_eval(&c, x * x, &pn, &pd);
    return x * pn / pd;
}

/* exp(-x^2 / 2) r, with x^2 split at y = x rounded down to a sixteenth: exp(-y^2/2) is taken
 * from an argument without rounding error, exp(-(x - y)(x + y) / 2) from a small one. */
static double times_density(double x, double r)
{
    double y = floor(x * 16.0) / 16.0;
    double del = (x - y) * (x + y);
    del *= 0.5;
    return ree_exp(-0.5 * y * y) * ree_exp(-1.0 * del) * r;
}

/* The smaller tail, min(P, Q), for 0.66291 <= |x| < sqrt(32). */
static double gauss_medium(double x)
{
    static const double num[] = {0.39894151208813466764, 8.8831497943883759412,
                                 93.506656132177855979,  597.27027639480026226,
                                 2494.5375852903726711,  6848.1904505362823326,
                                 11602.651437647350124,  9842.7148383839780218};
    static const double den[] = {
        22.266688044328115691, 235.38790178262499861, 1519.377599407554805,  6485.558298266760755,
        18615.571640885098091, 34900.952721145977266, 38912.003286093271411, 19685.429676859990727};
    static const cody_rat c = {1.0765576773720192317e-8, num, den, 7};
    double pn, pd;
    cody_eval(&c, fabs(x), &pn, &pd);
    return times_density(x, pn / pd);
}

/* The smaller tail for sqrt(32) <= |x| up to the limits. */
static double gauss_large(double x)
{
    static const double num[] = {0.21589853405795699, 0.1274011611602473639, 0.022235277870649807,
                                 0.001421619193227893466, 2.9112874951168792e-5};
    static const double den[] = {1.28426009614491121, 0.468238212480865118, 0.0659881378689285515,
                                 0.00378239633202758244, 7.29751555083966205e-5};
    static const cody_rat c = {0.02307344176494017303, num, den, 4};
    double z = 1.0 / (x * x), pn, pd;
    cody_eval(&c, z, &pn, &pd);
    double t = z * pn / pd;
    return times_density(x, (ONE_OVER_SQRT_2PI - t) / fabs(x));
}

double ree_ugaussian_P(double x)
{
    double ax = fabs(x);
    if (ax < GAUSS_EPS)
        return 0.5;
    if (ax < 0.66291)
        return 0.5 + gauss_small(x);
    if (ax < SQRT32) {
        double r = gauss_medium(x);
        return x > 0.0 ? 1.0 - r : r;
    }
    if (x > GAUSS_XUPPER)
        return 1.0;
    if (x < GAUSS_XLOWER)
        return 0.0;
    double r = gauss_large(x);
    return x > 0.0 ? 1.0 - r : r;
}

double ree_ugaussian_Q(double x)
{
    double ax = fabs(x);
    if (ax < GAUSS_EPS)
        return 0.5;
    if (ax < 0.66291) {
        double r = gauss_small(x);
        return x < 0.0 ? fabs(r) + 0.5 : 0.5 - r;
    }
    if (ax < SQRT32) {
        double r = gauss_medium(x);
        return x < 0.0 ? 1.0 - r : r;
    }
    if (x > -GAUSS_XLOWER)
        return 0.0;
    if (x < -GAUSS_XUPPER)
        return 1.0;
    double r = gauss_large(x);
    return x < 0.0 ? 1.0 - r : r;
}

/* ---- ln Gamma and ln B ---- */

#define LN_SQRT_2PI  0.91893853320467274178032973640562 /* ln sqrt(2 pi) */
#define STIRLING_MIN 10.0 /* Stirling's series from here; the recurrence below */

/* lgamma(x) - ((x - 1/2) ln x - x + ln sqrt(2 pi)) for x >= 10: Stirling's series, B_2k /
 * (2k (2k - 1) x^(2k - 1)) for k = 1..7 (the first term left out is below 3e-17 at x = 10). */
static double stirling_delta(double x)
{
    static const double c[] = {1.0 / 12,   -1.0 / 360,      1.0 / 1260, -1.0 / 1680,
                               1.0 / 1188, -691.0 / 360360, 1.0 / 156};
    double z = 1.0 / x, z2 = z * z, s = c[6];
    for (int i = 5; i >= 0; i--)
        s = s * z2 + c[i];
    return s * z;
}

double ree_lgamma(double x)
{
    if (!(x > 0) || isinf(x))
        return x == INFINITY ? INFINITY : NAN;
    /* Gamma(x) = Gamma(x + n) / (x (x + 1) ... (x + n - 1)) up to x + n >= 10. */
    double y = x, prod = 1.0;
    while (y < STIRLING_MIN) {
        prod *= y;
        y += 1.0;
    }
    double g = (y - 0.5) * ree_log(y) - y + LN_SQRT_2PI + stirling_delta(y);
    return prod == 1.0 ? g : g - ree_log(prod);
}

double ree_lnbeta(double a, double b)
{
    if (!(a > 0 && b > 0) || isinf(a) || isinf(b))
        return NAN;
    double p = a < b ? a : b, q = a < b ? b : a, s = p + q, r = p / s;
    if (p >= STIRLING_MIN) /* both large: their logarithms' differences as log1p */
        return -0.5 * ree_log(q) + LN_SQRT_2PI +
               (stirling_delta(p) + stirling_delta(q) - stirling_delta(s)) +
               (p - 0.5) * ree_log(r) + q * ree_log1p(-r);
    if (q >= STIRLING_MIN) /* lgamma(q) - lgamma(p + q) as one difference */
        return ree_lgamma(p) + (stirling_delta(q) - stirling_delta(s)) + p - p * ree_log(s) +
               (q - 0.5) * ree_log1p(-r);
    return ree_lgamma(p) + ree_lgamma(q) - ree_lgamma(s);
}

/* ---- The incomplete beta function ---- */

#define CF_MAX_TERMS  20000   /* shapes up to 10^4 need a few hundred */
#define CF_TINY       1e-300  /* Lentz: a zero denominator is replaced by this */
#define CF_TOL        0x1p-52 /* stop when a factor is 1 or one of its neighbours */
#define INV_MAX_STEPS 2000    /* Newton and bisection steps of the inverse: ample (bisection */
                              /* alone narrows to one double within about 1100) */
#define INV_TOL 0x1p-50       /* a step this small relative to the distance to 0 or 1 ends it */

/* The continued fraction K of respecial.h for I_x(a, b), by the modified Lentz method. */
static double beta_cf(double x, double a, double b)
{
    double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0);
    if (fabs(d) < CF_TINY)
        d = CF_TINY;
    d = 1.0 / d;
    double k = d;
    for (int m = 1; m <= CF_MAX_TERMS; m++) {
        double m2 = 2.0 * m;
        for (int half = 0; half < 2; half++) {
            double t = half == 0 ? m * (b - m) * x / ((a + m2 - 1.0) * (a + m2))
                                 : -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
            d = 1.0 + t * d;
            if (fabs(d) < CF_TINY)
                d = CF_TINY;
            c = 1.0 + t / c;
            if (fabs(c) < CF_TINY)
                c = CF_TINY;
            d = 1.0 / d;
            double f = d * c;
            k *= f;
            if (half == 1 && fabs(f - 1.0) <= CF_TOL)
                return k;
        }
    }
    return k;
}

/* P, Q and the density at x in (0, 1), given lnB = ln B(a, b); which of P and Q was computed
 * directly (the other is 1 minus it), and `noise`, a bound on the absolute error of that other
 * one: the direct value times its relative error, 4 DBL_EPSILON (16 + |exponent| + a + b)
 * (respecial.h: measured errors stay below 3 times that without the 4). */
typedef struct beta_at {
    double P, Q, pdf, noise;
    int direct_p;
} beta_at;

static beta_at beta_eval(double x, double a, double b, double lnB)
{
    beta_at r;
    double y = 1.0 - x; /* exact for x >= 1/2 */
    double ln1mx = x <= 0.5 ? ree_log1p(-x) : ree_log(y);
    double e = a * ree_log(x) + b * ln1mx - lnB;
    double front = ree_exp(e); /* x^a (1 - x)^b / B(a, b) */
    r.pdf = front / (x * y);
    r.direct_p = x < (a + 1.0) / (a + b + 2.0);
    double *direct = r.direct_p ? &r.P : &r.Q, *other = r.direct_p ? &r.Q : &r.P;
    *direct = r.direct_p ? front * beta_cf(x, a, b) / a : front * beta_cf(y, b, a) / b;
    if (*direct > 1.0)
        *direct = 1.0;
    *other = 1.0 - *direct;
    r.noise = *direct * 4 * DBL_EPSILON * (16.0 + fabs(e) + a + b);
    return r;
}

static int shape_ok(double a, double b)
{
    return a > 0 && b > 0 && !isinf(a) && !isinf(b);
}

/* P (upper = 0) or Q (upper = 1) at x, with the domain checks. */
static double beta_side(double x, double a, double b, int upper)
{
    if (!shape_ok(a, b) || isnan(x))
        return NAN;
    if (x <= 0)
        return upper ? 1.0 : 0.0;
    if (x >= 1)
        return upper ? 0.0 : 1.0;
    beta_at v = beta_eval(x, a, b, ree_lnbeta(a, b));
    return upper ? v.Q : v.P;
}

double ree_beta_P(double x, double a, double b)
{
    return beta_side(x, a, b, 0);
}

double ree_beta_Q(double x, double a, double b)
{
    return beta_side(x, a, b, 1);
}

/* A point strictly inside (lo, hi), 0 <= lo < hi <= 1, when there is one (else lo or hi): the
 * geometric mean where the bracket spans more than a factor 8 above 0 (or, mirrored, below 1),
 * else the midpoint. */
static double split(double lo, double hi)
{
    double m;
    if (lo > 0 && hi / lo > 8)
        m = sqrt(lo) * sqrt(hi); /* not sqrt(lo * hi), which underflows below 1e-154 */
    else if (lo == 0 && hi < 0.5)
        m = hi * 0x1p-8; /* towards 0 by steps of 2^-8 */
    else if (hi < 1 && (1 - lo) / (1 - hi) > 8)
        m = 1 - sqrt(1 - lo) * sqrt(1 - hi);
    else if (hi == 1 && lo > 0.5)
        m = 1 - (1 - lo) * 0x1p-8;
    else
        m = lo + (hi - lo) / 2;
    return m > lo && m < hi ? m : lo + (hi - lo) / 2;
}

/* x in [0, 1] with P(x) = p (upper = 0) or Q(x) = p (upper = 1), 0 < p < 1. */
static double beta_inv(double p, double a, double b, int upper)
{
    double lnB = ree_lnbeta(a, b);
    /* The start: in the tail of p, the leading term of the series, P(x) ~ x^a / (a B(a, b))
     * (mirrored for Q); elsewhere the normal approximation. */
    double mean = a / (a + b), sd = sqrt(a * b / ((a + b) * (a + b) * (a + b + 1.0)));
    double z = ree_ugaussian_pinv(p);
    double x = mean + (upper ? -z : z) * sd;
    if (!(x > 0 && x < 1)) {
        double side = upper ? b : a;
        double t = ree_exp((ree_log(p) + ree_log(side) + lnB) / side);
        x = upper ? 1.0 - t : t;
        if (!(x > 0 && x < 1))
            x = mean;
    }
    /* g(x) = P(x) - p, or p - Q(x): increasing in x, negative at lo, positive at hi. */
    double lo = 0.0, hi = 1.0, glo = -p, ghi = upper ? p : 1.0 - p;
    for (int i = 0; i < INV_MAX_STEPS; i++) {
        beta_at v = beta_eval(x, a, b, lnB);
        double side = upper ? v.Q : v.P;
        /* p below the noise of the side inverted, computed as 1 minus the other, and that side
         * within the noise of p: the sign of their difference says nothing (with a shape below
         * about 1e-16, P near 2^-53 is all noise). Taken as below p, so that the search goes on
         * towards the end that holds that side's mass (1 for P, 0 for Q), by bisection. Where
         * p is above the noise, Newton's steps go on as everywhere else. */
        if (v.direct_p == upper && p <= v.noise && fabs(side - p) <= v.noise) {
            if (upper) {
                hi = x;
                ghi = 0.0;
            } else {
                lo = x;
                glo = -0.0;
            }
            x = split(lo, hi);
            if (!(x > lo && x < hi))
                return upper ? hi : lo;
            continue;
        }
        double g = upper ? p - v.Q : v.P - p;
        if (g == 0)
            return x;
        if (g < 0) {
            lo = x;
            glo = g;
        } else {
            hi = x;
            ghi = g;
        }
        /* Newton's step; once it is this small the error left is of the order of its square. A
         * density that is 0 or not finite (a shape below 1 at a subnormal x), or a step that
         * leaves the bracket, bisects instead. */
        double step = g / v.pdf, room = x <= 0.5 ? x : 1.0 - x; /* to the nearer end */
        if (isfinite(v.pdf) && fabs(step) <= INV_TOL * room) {
            double end = x - step;
            return end < lo ? lo : end > hi ? hi : end;
        }
        double next = x - step;
        if (!isfinite(v.pdf) || !isfinite(step) || !(next > lo && next < hi))
            next = split(lo, hi);
        if (!(next > lo && next < hi)) /* lo and hi adjacent doubles: the nearer root */
            return -glo <= ghi ? lo : hi;
        x = next;
    }
    return x;
}

/* The inverse of P (upper = 0) or Q (upper = 1), with the domain checks. Above 1/2 it inverts the
 * other side, where 1 - p is exact and the other keeps its digits. */
static double beta_side_inv(double p, double a, double b, int upper)
{
    if (!shape_ok(a, b) || !(p >= 0 && p <= 1))
        return NAN;
    if (p == 0)
        return upper ? 1.0 : 0.0;
    if (p == 1)
        return upper ? 0.0 : 1.0;
    return p <= 0.5 ? beta_inv(p, a, b, upper) : beta_inv(1.0 - p, a, b, !upper);
}

double ree_beta_Pinv(double p, double a, double b)
{
    return beta_side_inv(p, a, b, 0);
}

double ree_beta_Qinv(double q, double a, double b)
{
    return beta_side_inv(q, a, b, 1);
}

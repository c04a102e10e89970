/*
 * ree_exp, ree_log, ree_log1p, ree_pow: the same bits on every CPU. Methods, accuracy and special values in
 * remath.h. Only IEEE-754 operations in a fixed order (the build sets -ffp-contract=off; the
 * exact products below rely on it).
 */
#include "remath.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* ln 2 = LN2_HI + LN2_LO: LN2_HI is ln 2 rounded to 32 significant bits (21 trailing zero bits),
 * so k * LN2_HI is exact for |k| < 2^21; LN2_LO is the rest, rounded to nearest. */
#define LN2_HI  0x1.62e42fee00000p-1
#define LN2_LO  0x1.a39ef35793c76p-33
#define INV_LN2 0x1.71547652b82fep+0 /* 1 / ln 2 */
#define SQRT2   0x1.6a09e667f3bcdp+0

/* 2^k for a normal result, -1022 <= k <= 1023, from its bits. */
static double two_to(int k)
{
    uint64_t b = (uint64_t)(k + 1023) << 52;
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

/* a * b = *hi + *lo exactly (Dekker's product with Veltkamp's splitting, no FMA), for
 * |a|, |b| below 2^995 and a product that neither overflows nor underflows. */
static void two_prod(double a, double b, double *hi, double *lo)
{
    const double split = 134217729.0; /* 2^27 + 1 */
    double t = split * a, ah = t - (t - a), al = a - ah;
    t = split * b;
    double bh = t - (t - b), bl = b - bh;
    *hi = a * b;
    *lo = ((ah * bh - *hi) + ah * bl + al * bh) + al * bl;
}

/* exp(x + xl) for a small correction xl (|xl| below 2^-40 |x| or so; 0 for exp itself). */
static double exp_corr(double x, double xl)
{
    if (x != x)
        return x + x; /* NaN */
    if (x > 710)      /* above ln(DBL_MAX) = 709.78...: +inf (also x = +inf) */
        return INFINITY;
    if (x < -746) /* below ln(2^-1075) = -745.13...: 0 (also x = -inf) */
        return 0;
    double kd = floor(x * INV_LN2 + 0.5); /* exact; |kd| <= 1077 */
    int k = (int)kd;
    /* x - kd LN2_HI is exact (kd LN2_HI is, and it is within a factor 2 of x when k != 0). */
    double hi = x - kd * LN2_HI, lo = kd * LN2_LO - xl;
    double r = hi - lo; /* |r| <= 0.3466 */
    /* p = exp(r) - 1 - r = r^2 (1/2! + r/3! + ... + r^11/13!) */
    double q = 1.0 / 6227020800.0; /* 1/13! */
    q = q * r + 1.0 / 479001600.0; /* 1/12! */
    q = q * r + 1.0 / 39916800.0;
    q = q * r + 1.0 / 3628800.0;
    q = q * r + 1.0 / 362880.0;
    q = q * r + 1.0 / 40320.0;
    q = q * r + 1.0 / 5040.0;
    q = q * r + 1.0 / 720.0;
    q = q * r + 1.0 / 120.0;
    q = q * r + 1.0 / 24.0;
    q = q * r + 1.0 / 6.0;
    q = q * r + 1.0 / 2.0;
    double p = r * r * q;
    /* 1 + r + p with r = hi - lo: the small terms first. */
    double y = 1.0 + (hi + (p - lo));
    if (k >= -1021 && k <= 1023)
        return y * two_to(k);
    if (k > 1023) /* k = 1024: y 2^1023 is finite, the doubling may overflow to +inf */
        return y * two_to(1023) * 2.0;
    return y * two_to(k + 1000) * two_to(-1000); /* subnormal or 0 */
}

double ree_exp(double x)
{
    return exp_corr(x, 0.0);
}

/* log x as *hi + *lo, to about 2^-57 relative, for finite x > 0. */
static void log_dd(double x, double *hi, double *lo)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    int k = 0;
    if (b < UINT64_C(0x0010000000000000)) { /* subnormal: scale into the normal range */
        x *= 0x1p54;
        memcpy(&b, &x, sizeof b);
        k = -54;
    }
    k += (int)(b >> 52) - 1023;
    b = (b & UINT64_C(0x000fffffffffffff)) | UINT64_C(0x3ff0000000000000);
    double m;
    memcpy(&m, &b, sizeof m); /* x = 2^k m, m in [1, 2) */
    if (m > SQRT2) {
        m *= 0.5;
        k++;
    }
    double f = m - 1.0; /* exact: m in [sqrt(2)/2, sqrt(2)] */
    double s = f / (2.0 + f), z = s * s;
    /* R(z) = sum_{n=1}^{11} 2 z^n / (2n + 1) */
    double R = 2.0 / 23.0;
    R = R * z + 2.0 / 21.0;
    R = R * z + 2.0 / 19.0;
    R = R * z + 2.0 / 17.0;
    R = R * z + 2.0 / 15.0;
    R = R * z + 2.0 / 13.0;
    R = R * z + 2.0 / 11.0;
    R = R * z + 2.0 / 9.0;
    R = R * z + 2.0 / 7.0;
    R = R * z + 2.0 / 5.0;
    R = R * z + 2.0 / 3.0;
    R *= z;
    /* log(1 + f) = 2s + s R = f - (h - s (h + R)) with h = f^2 / 2, since 2s = f - s f and
     * s f = h (1 - s); so log x = (k ln2_hi + f) - h + (s (h + R) + k ln2_lo). The first sum
     * is exact below 1 in magnitude (both are multiples of 2^-53), where k ln 2 and log(1 + f)
     * cancel; h is exact as a pair; the last term is small (below 0.02). */
    double kd = (double)k, a = kd * LN2_HI + f;
    double ea = k == 0 ? 0.0 : (kd * LN2_HI - a) + f; /* |kd LN2_HI| >= |f| when k != 0 */
    double h, eh;
    two_prod(f, f, &h, &eh);
    h *= 0.5;
    eh *= 0.5;
    double t = s * (h + R) + kd * LN2_LO;
    double sum = a - h;                                    /* two-sum: a - h = sum + e */
    double bv = sum - a, e = (a - (sum - bv)) + (-h - bv); /* exact */
    double l = ((e + ea) - eh) + t;
    *hi = sum + l;
    *lo = l - (*hi - sum);
}

double ree_log(double x)
{
    if (x != x)
        return x + x; /* NaN */
    if (x < 0)
        return (x - x) / 0.0; /* invalid: the CPU's default NaN, as the C library's log gives */
    if (x == 0)
        return -INFINITY;
    if (x == INFINITY)
        return x;
    double hi, lo;
    log_dd(x, &hi, &lo);
    return hi;
}

double ree_log1p(double x)
{
    if (x != x)
        return x + x; /* NaN */
    if (x < -1)
        return (x - x) / 0.0; /* invalid: the CPU's default NaN */
    if (x == -1)
        return -INFINITY;
    if (x == INFINITY)
        return x;
    /* u = 1 + x rounded, c = x - (u - 1) its rounding error (exact, Sterbenz and Knuth's
     * two-sum), log(1 + x) = log(u + c) = log u + c / u to first order (|c / u| <= 2^-53). */
    double u = 1.0 + x;
    if (u == 1.0)
        return x; /* |x| < 2^-53: log(1 + x) = x - x^2 / 2 rounds to x */
    double bv = u - 1.0, c = (1.0 - (u - bv)) + (x - bv);
    double hi, lo;
    log_dd(u, &hi, &lo);
    return hi + (lo + c / u);
}

/* x^y for finite x > 0, y: exp(y log x) with y log x carried as a pair. */
static double pow_pos(double x, double y)
{
    double lh, ll;
    log_dd(x, &lh, &ll);
    double ph = y * lh;
    if (!(fabs(ph) < 1000) || fabs(y) > 0x1p900)
        return ree_exp(ph); /* overflows or underflows: the pair changes nothing */
    double pl;
    two_prod(y, lh, &ph, &pl);
    return exp_corr(ph, pl + y * ll);
}

double ree_pow(double x, double y)
{
    if (y == 0 || x == 1)
        return 1.0;
    if (y == 1)
        return x;
    if (!isfinite(x) || !isfinite(y) || x == 0)
        return pow(x, y); /* special values, exact on every CPU (C11 F.10.4.4) */
    if (x < 0) {
        if (floor(y) != y)
            return pow(x, y); /* NaN */
        double r = pow_pos(-x, y);
        /* odd integral y: negative; |y| >= 2^53 is even */
        return fabs(y) < 0x1p53 && fmod(y, 2.0) != 0 ? -r : r;
    }
    return pow_pos(x, y);
}

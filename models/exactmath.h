/*
 * Library functions the models call every step, computed here bit for bit as the library does,
 * but cheaper.
 *
 * floor() and round() of positive values below 2^52 without a libm call, bit for bit libm's. The
 * gate takes them per link and step (review months, applications of a batch, licence months), and
 * the build targets baseline x86-64, where neither is a single instruction.
 *
 * For 0 < x < 2^52 truncation toward zero is the floor, the conversions to int64_t and back are
 * exact, and x - trunc(x) is exact (Sterbenz: trunc(x) <= x < 2 trunc(x) once x >= 1), so the
 * comparison with 0.5 decides round()'s halves away from zero exactly. Every other value (+0 and
 * -0, whose sign the conversion would lose, negative, huge, infinite, NaN) goes to libm.
 */
#ifndef REESIM_EXACTMATH_H
#define REESIM_EXACTMATH_H

#include <math.h>
#include <stdint.h>

#include "remath.h"

static inline double ree_floor_pos(double x)
{
    return x > 0 && x < 0x1p52 ? (double)(int64_t)x : floor(x);
}

static inline double ree_round_pos(double x)
{
    if (!(x > 0 && x < 0x1p52))
        return round(x);
    double t = (double)(int64_t)x;
    return x - t >= 0.5 ? t + 1 : t;
}

/* Rational function of degree 7 over 7, num(x) / den(x), by Horner's rule from the highest
 * coefficient (c[0..7] the numerator's, c[8..15] the denominator's; c[8] is 1). */
static inline double ree_rat77(const double c[16], double x)
{
    double u = c[7], v = c[15];
    for (int i = 6; i >= 0; i--) {
        u = x * u + c[i];
        v = x * v + c[8 + i];
    }
    return u / v;
}

/* AS 241's coefficients (below) for ree_rat77: the central region |p - 1/2| <= 0.425, then
 * r <= 5 and r > 5. */
static const double REE_PINV_CENTRAL[16] = {
    3.387132872796366608,  133.14166789178437745, 1971.5909503065514427,
    13731.693765509461125, 45921.953931549871457, 67265.770927008700853,
    33430.575583588128105, 2509.0809287301226727, 1.0,
    42.313330701600911252, 687.1870074920579083,  5394.1960214247511077,
    21213.794301586595867, 39307.89580009271061,  28729.085735721942674,
    5226.495278852854561};
static const double REE_PINV_MIDDLE[16] = {
    1.42343711074968357734,   4.6303378461565452959,    5.7694972214606914055,
    3.64784832476320460504,   1.27045825245236838258,   0.24178072517745061177,
    0.0227238449892691845833, 7.7454501427834140764e-4, 1.0,
    2.05319162663775882187,   1.6763848301838038494,    0.68976733498510000455,
    0.14810397642748007459,   0.0151986665636164571966, 5.475938084995344946e-4,
    1.05075007164441684324e-9};
static const double REE_PINV_TAIL[16] = {
    6.6579046435011037772,     5.4637849111641143699,     1.7848265399172913358,
    0.29656057182850489123,    0.026532189526576123093,   0.0012426609473880784386,
    2.71155556874348757815e-5, 2.01033439929228813265e-7, 1.0,
    0.59983220655588793769,    0.13692988092273580531,    0.0148753612908506148525,
    7.868691311456132591e-4,   1.8463183175100546818e-5,  1.4215117583164458887e-7,
    2.04426310338993978564e-15};

/*
 * The standard normal quantile, Phi^-1(p), by Wichura's algorithm AS 241 (PPND16: Applied
 * Statistics 37 (1988) 477-484, relative accuracy about 1e-16), as GSL's gsl_cdf_ugaussian_Pinv
 * implements it, with the same evaluation order: bit for bit GSL's in the central region
 * (|p - 1/2| <= 0.425) and outside (0, 1); in the tails it takes reesim's log (engine/sim/
 * remath.h), the same on every CPU, where GSL takes the C library's, which glibc picks by CPU,
 * so there the two may differ in the last bits (108 of 1.3 million tail values, by at most
 * 4 ulp; tests/unit/test_exactmath.c compares the two on every branch, their edges and
 * millions of values). GSL's version rebuilds its coefficient arrays on the stack at each call; the sector's
 * demand noise and the gate's review times take one per entity and step, where that was about a
 * twentieth of a run. p = 0 gives -inf, p = 1 +inf; p outside [0, 1] or NaN gives NaN.
 * Bit for bit needs the same arithmetic as GSL's build: here no contraction into fused
 * multiply-adds (-ffp-contract=off, CMakeLists.txt) on a GSL built without them, as Debian's
 * x86-64 packages are (baseline x86-64 has no FMA). Where a GSL fuses them (a build for a target
 * with FMA in GNU C mode, e.g. arm64), the last bit may differ from that GSL's, as results
 * already may across architectures.
 *
 * Three regions: |p - 1/2| <= 0.425, q = p - 1/2: q R1(0.180625 - q^2); otherwise, with
 * r = sqrt(-log(min(p, 1 - p))), R2(r - 1.6) for r <= 5 and R3(r - 5) beyond, negated for
 * p < 1/2. The coefficients are AS 241's.
 */
static inline double ree_ugaussian_pinv(double p)
{
    if (p == 1.0)
        return INFINITY;
    if (p == 0.0)
        return -INFINITY;
    double q = p - 0.5;
    if (fabs(q) <= 0.425)
        return q * ree_rat77(REE_PINV_CENTRAL, 0.180625 - q * q);
    double r = sqrt(-ree_log(p < 0.5 ? p : 1.0 - p));
    double x = r <= 5.0 ? ree_rat77(REE_PINV_MIDDLE, r - 1.6) : ree_rat77(REE_PINV_TAIL, r - 5.0);
    return p < 0.5 ? -x : x;
}

#endif

/*
 * ree_exp, ree_log, ree_pow and ree_pow_logx on lane vectors (engine/model_lanes.h), for the
 * models' lane hooks: in every lane the bits of the scalar function (engine/sim/remath.c) on that
 * lane's argument.
 *
 * Method: remath.h's, unchanged. Each lane goes through the same IEEE-754 operations in the same
 * order as the scalar code (the build forbids contraction into FMA: -ffp-contract=off), so a
 * lane's result cannot differ from the scalar one:
 *   exp(x + xl): n = nearest integer to 128 x / ln 2 by the 1.5 2^52 shift, n = 128 k + j,
 *     r = (x - n ln2_hi/128) - (n ln2_lo/128 - xl), exp(r) - 1 = r + r^2 (1/2 + r/6 + r^2/24 +
 *     r^3/120), 2^(j/128) = hi + lo from ree_exp2_table (a per-lane load, a gather under
 *     AVX-512), y = hi + (lo + hi (exp(r) - 1)), times 2^k built from its bits (two factors
 *     where k is outside [-1021, 1023]). Tang, ACM TOMS 15 (1989).
 *   log(x): x = 2^k m, m in [sqrt(2)/2, sqrt(2)), f = m - 1, s = f / (2 + f), log(1 + f) = 2s +
 *     s R(s^2), R(z) = sum_{n=1}^{11} 2 z^n / (2n + 1), summed as the pair of remath.c's log_pair
 *     (Knuth's two-sum, Dekker's product), with the quotient's rounding error where pow needs it.
 *   pow(x, y) = exp(y log x) with log x and y log x as pairs (ree_logx).
 * Branches become lane masks; where the scalar code takes a branch whose result is a constant or
 * an argument (exp above 710 or below -746, pow's y = 0, x = 1, y = 1) the lane selects it. The
 * arguments the scalar code hands to the C library or treats apart (log of 0, negative, infinite
 * or NaN x; pow with x <= 0, infinite or NaN x or y) are rare in the models and go lane by lane
 * to the scalar function, the other lanes computing on a harmless stand-in (1.0). Subnormal log
 * arguments stay in the vector path (the scaling by 2^54 is a select).
 *
 * Vectors are passed by pointer (model_lanes.h: by value outside an inline expansion the ABI
 * changes with the instruction set). Comparisons of doubles go through REE_VCMP
 * (model_lanes_cmp.h). tests/unit/test_remath_lanes.c compares every lane with the scalar
 * function, bit for bit, in the baseline and the x86-64-v4 builds.
 */
#ifndef REESIM_REMATH_LANES_H
#define REESIM_REMATH_LANES_H

#include <math.h>
#include <stdint.h>
#ifdef __AVX512F__
#include <immintrin.h>
#endif

#include "model_lanes.h"
#include "model_lanes_cmp.h"
#include "remath.h"

/* log x as the pair pow takes, on lanes: x with hi + lo = log x (0 where x is not finite and
 * positive), as ree_logx per lane. */
typedef struct ree_logx_lanes {
    ree_vd x, hi, lo;
} ree_logx_lanes;

/* Lane l of lx as a ree_logx, and a ree_logx into lane l. */
static inline ree_logx ree_logx_lane(const ree_logx_lanes *lx, int l)
{
    return (ree_logx){.x = lx->x[l], .hi = lx->hi[l], .lo = lx->lo[l]};
}

static inline void ree_logx_put_lane(ree_logx_lanes *lx, int l, const ree_logx *v)
{
    lx->x[l] = v->x;
    lx->hi[l] = v->hi;
    lx->lo[l] = v->lo;
}

/* Bits of a double as an integer and back. */
#define REE_VBITS(v) ((ree_vl)(v))
#define REE_VFROM(b) ((ree_vd)(b))

/* a * b = *hi + *lo exactly (remath.c's two_prod, lane by lane). */
static inline void ree_two_prod_lanes(const ree_vd *a, const ree_vd *b, ree_vd *hi, ree_vd *lo)
{
    const double split = 134217729.0; /* 2^27 + 1 */
    ree_vd t = split * *a, ah = t - (t - *a), al = *a - ah;
    t = split * *b;
    ree_vd bh = t - (t - *b), bl = *b - bh;
    ree_vd h = *a * *b;
    *lo = ((ah * bh - h) + ah * bl + al * bh) + al * bl;
    *hi = h;
}

/* Lane l of the table's column c (0: hi, 1: lo) at row j[l]. */
static inline void ree_exp2_table_lanes(const ree_vl *j, ree_vd *hi, ree_vd *lo)
{
#ifdef __AVX512F__
    __m512i ix = (__m512i)(*j + *j);
    *hi = (ree_vd)_mm512_i64gather_pd(ix, &ree_exp2_table[0][0], 8);
    *lo = (ree_vd)_mm512_i64gather_pd(ix, &ree_exp2_table[0][1], 8);
#else
    for (int l = 0; l < REE_LANES; l++) {
        (*hi)[l] = ree_exp2_table[(*j)[l]][0];
        (*lo)[l] = ree_exp2_table[(*j)[l]][1];
    }
#endif
}

/* exp(x + xl) per lane: remath.c's exp_corr (xl a small correction, 0 for exp itself). */
static inline void ree_exp_corr_lanes(const ree_vd *xp, const ree_vd *xlp, ree_vd *out)
{
    const ree_vd zero = REE_VSPLAT(0.0);
    ree_vd x0 = *xp;
    ree_vl big = REE_VCMP(x0, >, REE_VSPLAT(710.0)), small = REE_VCMP(x0, <, REE_VSPLAT(-746.0));
    ree_vl nan = REE_VCMP(x0, !=, x0), odd = big | small | nan;
    /* the lanes above: 0 in the reduction (no conversion of a huge n), their result selected */
    ree_vd x = REE_VSEL(odd, zero, x0), xl = REE_VSEL(odd, zero, *xlp);
    ree_vd nd = (x * (128 * REE_INV_LN2) + 0x1.8p52) - 0x1.8p52;
    ree_vl n = __builtin_convertvector(nd, ree_vl), j = n & 127, k = (n - j) >> 7;
    ree_vd hi = x - nd * (REE_LN2_HI / 128), lo = nd * (REE_LN2_LO / 128) - xl;
    ree_vd r = hi - lo;
    ree_vd p = r * r * (0.5 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120))));
    ree_vd q = hi + (p - lo);
    ree_vd th, tl;
    ree_exp2_table_lanes(&j, &th, &tl);
    ree_vd y = th + (tl + th * q);
    ree_vl inr = (k >= -1021) & (k <= 1023);
    ree_vd res = y * REE_VFROM((REE_VSELL(inr, k, 0) + 1023) << 52);
    if (REE_VANY(~inr)) {
        /* k = 1024: y 2^1023 2 (may overflow to +inf); k < -1021: y 2^(k + 1000) 2^-1000 */
        ree_vl up = k > 1023;
        ree_vd f1 = REE_VFROM((REE_VSELL(up, 1023, REE_VSELL(inr, 0, k + 1000)) + 1023) << 52);
        ree_vd f2 = REE_VSEL(up, REE_VSPLAT(2.0), REE_VSPLAT(0x1p-1000));
        res = REE_VSEL(inr, res, y * f1 * f2);
    }
    res = REE_VSEL(small, zero, res);
    res = REE_VSEL(big, REE_VSPLAT(INFINITY), res);
    *out = REE_VSEL(nan, x0 + x0, res);
}

static inline void ree_exp_lanes(const ree_vd *x, ree_vd *out)
{
    const ree_vd zero = REE_VSPLAT(0.0);
    ree_exp_corr_lanes(x, &zero, out);
}

/* remath.c's log_reduce and log_pair per lane, for finite x > 0 in every lane (quotient: carry
 * the error of s = f / (2 + f), as log1p and pow do). */
static inline void ree_log_pair_lanes(const ree_vd *xp, int quotient, ree_vd *hip, ree_vd *lop)
{
    ree_vd x = *xp;
    ree_vl sub = REE_VBITS(x) < INT64_C(0x0010000000000000); /* subnormal: into the normal range */
    x = REE_VSEL(sub, x * 0x1p54, x);
    ree_vl b = REE_VBITS(x);
    ree_vl k = (sub & -54) + ((b >> 52) - 1023);
    ree_vd m = REE_VFROM((b & INT64_C(0x000fffffffffffff)) | INT64_C(0x3ff0000000000000));
    ree_vl half = REE_VCMP(m, >, REE_VSPLAT(REE_SQRT2));
    m = REE_VSEL(half, m * 0.5, m);
    k -= half; /* +1 where set */
    ree_vd f = m - 1.0;
    ree_vd s = f / (2.0 + f);
    ree_vd z = s * s;
    ree_vd R = REE_VSPLAT(2.0 / 23.0);
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
    R = R * z;

    ree_vd kd = __builtin_convertvector(k, ree_vd), a = kd * REE_LN2_HI + f;
    ree_vd ea = REE_VSEL(k == 0, REE_VSPLAT(0.0), (kd * REE_LN2_HI - a) + f);
    ree_vd h, eh;
    ree_two_prod_lanes(&f, &f, &h, &eh);
    h *= 0.5;
    eh *= 0.5;
    ree_vd s_lo = REE_VSPLAT(0.0);
    if (quotient) {
        ree_vd d = 2.0 + f, ed = f - (d - 2.0), p, pe;
        ree_two_prod_lanes(&s, &d, &p, &pe);
        s_lo = (((f - p) - pe) - s * ed) / d;
    }
    ree_vd t = (s * (h + R) + s_lo * (h + 3.0 * R)) + kd * REE_LN2_LO;
    ree_vd mh = -h, sum = a + mh, bv = sum - a;
    ree_vd e = (a - (sum - bv)) + (mh - bv); /* two_sum(a, -h) */
    ree_vd l = ((e + ea) - eh) + t;
    ree_vd hi = sum + l;
    *hip = hi;
    *lop = l - (hi - sum);
}

/* Lanes of x where the scalar log takes its main path: finite and positive. */
#define REE_VPOSFIN(x) (REE_VCMP(x, >, REE_VSPLAT(0.0)) & REE_VCMP(x, <, REE_VSPLAT(INFINITY)))

static inline void ree_log_lanes(const ree_vd *xp, ree_vd *out)
{
    ree_vl ok = REE_VPOSFIN(*xp);
    ree_vd x = REE_VSEL(ok, *xp, REE_VSPLAT(1.0)), hi, lo;
    ree_log_pair_lanes(&x, 0, &hi, &lo);
    if (!REE_VALL(ok))
        for (int l = 0; l < REE_LANES; l++)
            if (!ok[l])
                hi[l] = ree_log((*xp)[l]); /* NaN, negative, 0, +inf */
    *out = hi;
}

/* ree_logx_set per lane. */
static inline void ree_logx_set_lanes(ree_logx_lanes *lx, const ree_vd *xp)
{
    ree_vl ok = REE_VPOSFIN(*xp);
    ree_vd x = REE_VSEL(ok, *xp, REE_VSPLAT(1.0)), hi, lo;
    ree_log_pair_lanes(&x, 1, &hi, &lo);
    lx->x = *xp;
    lx->hi = REE_VSEL(ok, hi, REE_VSPLAT(0.0));
    lx->lo = REE_VSEL(ok, lo, REE_VSPLAT(0.0));
}

/* ree_pow_logx per lane: x^y for the x that set lx. */
static inline void ree_pow_logx_lanes(const ree_logx_lanes *lx, const ree_vd *yp, ree_vd *out)
{
    const ree_vd one = REE_VSPLAT(1.0);
    ree_vd x = lx->x, y = *yp;
    ree_vl unit = REE_VCMP(y, ==, REE_VSPLAT(0.0)) | REE_VCMP(x, ==, one);
    ree_vl ident = ~unit & REE_VCMP(y, ==, one);
    ree_vl fin = REE_VPOSFIN(x) & REE_VCMP(y, >, REE_VSPLAT(-INFINITY)) &
                 REE_VCMP(y, <, REE_VSPLAT(INFINITY));
    ree_vl other = ~unit & ~ident & ~fin; /* to ree_pow, lane by lane */
    /* |y log x| >= 1000 (or NaN): ree_exp(y hi), the pair changes nothing */
    ree_vd ph0 = y * lx->hi;
    ree_vl near = REE_VCMP(ph0, <, REE_VSPLAT(1000.0)) & REE_VCMP(ph0, >, REE_VSPLAT(-1000.0));
    ree_vd ys = REE_VSEL(near, y, REE_VSPLAT(0.0)), ph, pl;
    ree_two_prod_lanes(&ys, &lx->hi, &ph, &pl);
    ree_vd corr = REE_VSEL(near, pl + y * lx->lo, REE_VSPLAT(0.0)), res;
    ree_exp_corr_lanes(&ph0, &corr, &res);
    res = REE_VSEL(ident, x, res);
    res = REE_VSEL(unit, one, res);
    if (REE_VANY(other))
        for (int l = 0; l < REE_LANES; l++)
            if (other[l]) {
                ree_logx one_l = ree_logx_lane(lx, l);
                res[l] = ree_pow_logx(&one_l, y[l]);
            }
    *out = res;
}

/* ree_pow per lane. */
static inline void ree_pow_lanes(const ree_vd *xp, const ree_vd *yp, ree_vd *out)
{
    ree_vd x0 = *xp, y0 = *yp;
    ree_vl ok = REE_VPOSFIN(x0) & REE_VCMP(y0, >, REE_VSPLAT(-INFINITY)) &
                REE_VCMP(y0, <, REE_VSPLAT(INFINITY));
    /* x > 0 finite, y finite: ree_pow_logx after ree_logx_set(x); the others to ree_pow */
    ree_vd x = REE_VSEL(ok, x0, REE_VSPLAT(1.0)), y = REE_VSEL(ok, y0, REE_VSPLAT(0.0)), res;
    ree_logx_lanes lx;
    ree_logx_set_lanes(&lx, &x);
    ree_pow_logx_lanes(&lx, &y, &res);
    if (!REE_VALL(ok))
        for (int l = 0; l < REE_LANES; l++)
            if (!ok[l])
                res[l] = ree_pow(x0[l], y0[l]);
    *out = res;
}

#endif

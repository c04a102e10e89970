/*
 * The standard normal quantile ree_ugaussian_pinv (exactmath.h) on lane vectors
 * (engine/model_lanes.h), for the models' lane hooks: in every lane the bits of the scalar
 * function on that lane's p.
 *
 * Method: exactmath.h's, Wichura's AS 241 (Applied Statistics 37 (1988) 477-484) in GSL's order,
 * each lane through the same IEEE-754 operations in the same order (no contraction into FMA:
 * -ffp-contract=off):
 *   central region, |q| <= 0.425 with q = p - 1/2: q R1(0.180625 - q^2);
 *   middle, r = sqrt(-log(min(p, 1 - p))) <= 5 (p between about 1.4e-11 and 0.075, or the same
 *     below 1): R2(r - 1.6), negated for p < 1/2, with the lanes' log (remath_lanes.h) and the
 *     correctly rounded square root (one instruction under AVX-512, sqrt() per lane otherwise:
 *     the same bits);
 * R1, R2 degree 7 over 7 by Horner's rule from the highest coefficient (ree_rat77). The middle
 * region is computed only when a lane needs it. Every other p (r > 5, p = 0 or 1, outside
 * [0, 1], NaN: together below 3e-11 of uniform draws) goes lane by lane to the scalar function.
 * tests/unit/test_remath_lanes.c compares every lane with the scalar function, bit for bit,
 * in the baseline and the x86-64-v4 builds.
 */
#ifndef REESIM_EXACTMATH_LANES_H
#define REESIM_EXACTMATH_LANES_H

#include <math.h>

#include "exactmath.h"
#include "remath_lanes.h"

/* ree_rat77(c, x) per lane. */
static inline void ree_rat77_lanes(const double c[16], const ree_vd *x, ree_vd *out)
{
    ree_vd u = REE_VSPLAT(c[7]), v = REE_VSPLAT(c[15]);
    for (int i = 6; i >= 0; i--) {
        u = *x * u + c[i];
        v = *x * v + c[8 + i];
    }
    *out = u / v;
}

/* sqrt per lane, correctly rounded. */
static inline void ree_sqrt_lanes(const ree_vd *x, ree_vd *out)
{
#ifdef __AVX512F__
    *out = (ree_vd)_mm512_sqrt_pd((__m512d)*x);
#else
    for (int l = 0; l < REE_LANES; l++)
        (*out)[l] = sqrt((*x)[l]);
#endif
}

static inline void ree_ugaussian_pinv_lanes(const ree_vd *pp, ree_vd *out)
{
    const ree_vd half = REE_VSPLAT(0.5);
    ree_vd p = *pp, q = p - 0.5, w = 0.180625 - q * q, x;
    ree_vl central = REE_VCMP(q, <=, REE_VSPLAT(0.425)) & REE_VCMP(q, >=, REE_VSPLAT(-0.425));
    ree_rat77_lanes(REE_PINV_CENTRAL, &w, &x);
    x = q * x;
    if (REE_VALL(central)) {
        *out = x;
        return;
    }
    /* p in (0, 1) outside the central region: r from the lanes' log, the others on p = 1/2 */
    ree_vl low = REE_VCMP(p, <, half);
    ree_vl open = ~central & REE_VCMP(p, >, REE_VSPLAT(0.0)) & REE_VCMP(p, <, REE_VSPLAT(1.0));
    ree_vd pm = REE_VSEL(open, REE_VSEL(low, p, 1.0 - p), half), lg, r, xm;
    ree_log_lanes(&pm, &lg);
    lg = -lg;
    ree_sqrt_lanes(&lg, &r);
    ree_vl mid = open & REE_VCMP(r, <=, REE_VSPLAT(5.0));
    ree_vd rm = r - 1.6;
    ree_rat77_lanes(REE_PINV_MIDDLE, &rm, &xm);
    xm = REE_VSEL(low, -xm, xm);
    x = REE_VSEL(mid, xm, x);
    ree_vl rest = ~central & ~mid;
    if (REE_VANY(rest))
        for (int l = 0; l < REE_LANES; l++)
            if (rest[l])
                x[l] = ree_ugaussian_pinv(p[l]);
    *out = x;
}

#endif

/* The kernels of tests/unit/test_remath_lanes.c (remath_lanes_kern.h): each lane function applied
 * to an array, REE_LANES values at a time. Compiled as is for the x86-64 baseline and, through
 * remath_lanes_kern_v4.c, with -march=x86-64-v4 (REE_KERN_V4: the set named kern_v4). */
#include <string.h>

#include "exactmath_lanes.h"
#include "remath_lanes.h"
#include "remath_lanes_kern.h"

#ifdef REE_KERN_V4
#define KERN(name) name##_v4
#else
#define KERN(name) name
#endif

static void load(ree_vd *v, const double *x)
{
    memcpy(v, x, sizeof *v);
}

static void store(double *x, const ree_vd *v)
{
    memcpy(x, v, sizeof *v);
}

static void KERN(k_exp)(const double *x, double *out, size_t n)
{
    for (size_t i = 0; i < n; i += REE_LANES) {
        ree_vd a, r;
        load(&a, x + i);
        ree_exp_lanes(&a, &r);
        store(out + i, &r);
    }
}

static void KERN(k_log)(const double *x, double *out, size_t n)
{
    for (size_t i = 0; i < n; i += REE_LANES) {
        ree_vd a, r;
        load(&a, x + i);
        ree_log_lanes(&a, &r);
        store(out + i, &r);
    }
}

static void KERN(k_logx_set)(const double *x, double *hi, double *lo, size_t n)
{
    for (size_t i = 0; i < n; i += REE_LANES) {
        ree_vd a;
        ree_logx_lanes lx;
        load(&a, x + i);
        ree_logx_set_lanes(&lx, &a);
        store(hi + i, &lx.hi);
        store(lo + i, &lx.lo);
    }
}

static void KERN(k_pow_logx)(const double *x, const double *y, double *out, size_t n)
{
    for (size_t i = 0; i < n; i += REE_LANES) {
        ree_vd a, b, r;
        ree_logx_lanes lx;
        load(&a, x + i);
        load(&b, y + i);
        ree_logx_set_lanes(&lx, &a);
        ree_pow_logx_lanes(&lx, &b, &r);
        store(out + i, &r);
    }
}

static void KERN(k_pow)(const double *x, const double *y, double *out, size_t n)
{
    for (size_t i = 0; i < n; i += REE_LANES) {
        ree_vd a, b, r;
        load(&a, x + i);
        load(&b, y + i);
        ree_pow_lanes(&a, &b, &r);
        store(out + i, &r);
    }
}

static void KERN(k_pinv)(const double *p, double *out, size_t n)
{
    for (size_t i = 0; i < n; i += REE_LANES) {
        ree_vd a, r;
        load(&a, p + i);
        ree_ugaussian_pinv_lanes(&a, &r);
        store(out + i, &r);
    }
}

#ifdef REE_KERN_V4
const kern_set kern_v4 = {"x86-64-v4",   k_exp_v4, k_log_v4, k_logx_set_v4,
                          k_pow_logx_v4, k_pow_v4, k_pinv_v4};
#else
const kern_set kern_base = {"baseline", k_exp, k_log, k_logx_set, k_pow_logx, k_pow, k_pinv};
#endif

/* The kernels of tests/unit/test_remath_lanes.c: the lane functions of engine/sim/remath_lanes.h
 * and models/exactmath_lanes.h over arrays (n a multiple of REE_LANES), built once for the x86-64
 * baseline (remath_lanes_kern.c) and once for x86-64-v4 (remath_lanes_kern_v4.c, names _v4). */
#ifndef REESIM_TEST_REMATH_LANES_KERN_H
#define REESIM_TEST_REMATH_LANES_KERN_H

#include <stddef.h>

typedef struct kern_set {
    const char *isa;
    void (*exp)(const double *x, double *out, size_t n);
    void (*log)(const double *x, double *out, size_t n);
    void (*logx_set)(const double *x, double *hi, double *lo, size_t n);
    void (*pow_logx)(const double *x, const double *y, double *out, size_t n);
    void (*pow)(const double *x, const double *y, double *out, size_t n);
    void (*pinv)(const double *p, double *out, size_t n);
} kern_set;

extern const kern_set kern_base;
#ifdef REESIM_TEST_V4
extern const kern_set kern_v4;
#endif

#endif

/*
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

#endif

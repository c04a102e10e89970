/* Tests for the lane versions of reesim's elementary and special functions (engine/sim/
 * remath_lanes.h: exp, log, ree_logx_set, pow_logx, pow; models/exactmath_lanes.h: the normal
 * quantile): every lane of every result has the bits of the scalar function on that lane's
 * arguments, compared bit for bit (NaN payloads and the sign of zero included), on
 * - random doubles over the whole range (all 64 bits random: NaN, infinities, subnormals, huge),
 *   and random values in the ranges the methods reduce to and the models call them on;
 * - special values (0, -0, the smallest subnormal and normal, DBL_MAX, infinities, NaN) and the
 *   edges of each method's branches (exp's overflow and underflow thresholds and the two-factor
 *   scaling; log's sqrt(2) split; pow's y = 0, 1, x = 1, |y log x| = 1000; the quantile's
 *   central region |p - 1/2| = 0.425 and r = 5), placed at every lane among ordinary values, so
 *   that both the vector path and the lane-by-lane fallback are taken in one vector;
 * in the baseline build of the lane functions and, on a CPU with AVX-512, in their x86-64-v4
 * build (tests/unit/remath_lanes_kern.c, compiled twice). */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exactmath.h"
#include "remath.h"
#include "remath_lanes_kern.h"

#define N (1 << 20) /* values per test and set, a multiple of 8 */

/* splitmix64: the test's own random bits, the same on every machine. */
static uint64_t mix(uint64_t *st)
{
    uint64_t z = (*st += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static double bits_to(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

static uint64_t to_bits(double d)
{
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return b;
}

/* A uniform double in [0, 1) with all 53 bits random. */
static double unit(uint64_t *st)
{
    return (double)(mix(st) >> 11) * 0x1p-53;
}

static const double SPECIAL[] = {
    0.0,
    -0.0,
    0x1p-1074,
    -0x1p-1074,
    0x1p-1022,
    -0x1p-1022,
    0x1.fffffffffffffp-1023,
    DBL_MAX,
    -DBL_MAX,
    INFINITY,
    -INFINITY,
    NAN,
    -NAN,
    1.0,
    -1.0,
    0.5,
    2.0,
    0x1.6a09e667f3bcdp+0,
    0x1.6a09e667f3bcep+0,
    0x1.6a09e667f3bccp-1,
    709.78,
    709.7827128933840,
    709.79,
    710.0,
    0x1.63p9,
    -708.3,
    -708.39641853226408,
    -709.0,
    -744.0,
    -745.13,
    -745.2,
    -746.0,
    -746.0000001,
    1000.0,
    -1000.0,
    1e300,
    -1e300,
    1e-300,
    3.0,
    -3.0,
    0.425,
    0.075,
    0.925,
    0.07500000000000001,
    0.07499999999999999,
    0.925000000000001,
    0.924999999999999,
    1.3887943864964021e-11,
    1.388794386496402e-11,
    1.4e-11,
    1e-20,
    1 - 0x1p-53,
    0x1p-53,
    0.999999999999,
};
#define NSPECIAL (sizeof SPECIAL / sizeof SPECIAL[0])

/* Fill x[0..N) from `draw`, and put the special values (and their neighbours, where asked) at
 * every lane position among them. */
static void fill(double *x, double (*draw)(uint64_t *), uint64_t seed, int neighbours)
{
    uint64_t st = seed;
    for (size_t i = 0; i < N; i++)
        x[i] = draw(&st);
    size_t i = 0;
    for (size_t s = 0; s < NSPECIAL; s++)
        for (int d = neighbours ? -2 : 0; d <= (neighbours ? 2 : 0); d++) {
            double v = SPECIAL[s];
            if (d != 0 && isfinite(v))
                v = bits_to(to_bits(v) + (uint64_t)(int64_t)d);
            /* one copy at lane i % 8 among random values, one in a vector of its own */
            x[(i * 8 + i % 8) % (N / 2)] = v;
            x[N / 2 + i] = v;
            i++;
        }
}

static double any_bits(uint64_t *st)
{
    return bits_to(mix(st));
}

static double exp_range(uint64_t *st)
{
    uint64_t b = mix(st);
    switch (b & 3) {
    case 0:
        return (unit(st) - 0.5) * 1500; /* past both thresholds */
    case 1:
        return (unit(st) - 0.5) * 4; /* the models' noise terms */
    case 2:
        return 705 + unit(st) * 6 - (b & 4 ? 1452 : 0); /* 705..711 and -747..-741 */
    default:
        return bits_to(b);
    }
}

static double log_range(uint64_t *st)
{
    uint64_t b = mix(st);
    switch (b & 3) {
    case 0:
        return 0.5 + unit(st) * 1.5; /* the reduction's range and around sqrt(2) */
    case 1:
        return ldexp(unit(st) + 0.5, (int)(mix(st) % 2100) - 1080); /* every binade, subnormals */
    case 2:
        return 1 + (unit(st) - 0.5) * 1e-6; /* near 1 */
    default:
        return bits_to(b);
    }
}

static double pow_x(uint64_t *st)
{
    uint64_t b = mix(st);
    switch (b & 7) {
    case 0:
    case 1:
        return 1 + unit(st) * 0.2; /* growth bases, price lags */
    case 2:
        return ldexp(unit(st) + 0.5, (int)(mix(st) % 200) - 100);
    case 3:
        return -ldexp(unit(st) + 0.5, (int)(mix(st) % 20) - 10); /* negative */
    case 4:
        return log_range(st);
    default:
        return bits_to(b) != bits_to(b) ? 2.0 : fabs(bits_to(b)) > 1e10 ? 3.0 : fabs(bits_to(b));
    }
}

static double pow_y(uint64_t *st)
{
    uint64_t b = mix(st);
    switch (b & 7) {
    case 0:
    case 1:
        return (double)(mix(st) % 1200) / 12.0; /* months / 12 */
    case 2:
        return unit(st) * 2; /* elasticities */
    case 3:
        return (double)((int64_t)(mix(st) % 41) - 20); /* integers, negative x's signs */
    case 4:
        return (unit(st) - 0.5) * 4000; /* |y log x| past 1000 */
    case 5:
        return (unit(st) - 0.5) * 200;
    default:
        return bits_to(b);
    }
}

static double pinv_range(uint64_t *st)
{
    uint64_t b = mix(st);
    switch (b & 7) {
    case 0:
    case 1:
    case 2:
        return unit(st); /* the draws */
    case 3:
        return ldexp(unit(st) + 0.5, -(int)(mix(st) % 60)); /* the lower tail */
    case 4:
        return 1 - ldexp(unit(st) + 0.5, -(int)(mix(st) % 54) - 1); /* the upper tail */
    case 5:
        return 0.075 + (unit(st) - 0.5) * 1e-6; /* the central region's edges */
    case 6:
        return 0.925 + (unit(st) - 0.5) * 1e-6;
    default:
        return bits_to(b);
    }
}

static double *xs, *ys, *got, *got2, *want, *want2;

static void check_bits(const char *isa, const char *fn, size_t i, double g, double w, double x,
                       double y)
{
    if (to_bits(g) != to_bits(w))
        fail_msg("%s %s: lane %zu of vector %zu, x = %a, y = %a: %a (%#018llx), scalar %a "
                 "(%#018llx)",
                 isa, fn, i % 8, i / 8, x, y, g, (unsigned long long)to_bits(g), w,
                 (unsigned long long)to_bits(w));
}

static const kern_set *sets[2];
static int nsets;

static void test_exp(void **state)
{
    (void)state;
    for (int seed = 1; seed <= 2; seed++) {
        fill(xs, seed == 1 ? exp_range : any_bits, 100u + (uint64_t)seed, 1);
        for (size_t i = 0; i < N; i++)
            want[i] = ree_exp(xs[i]);
        for (int k = 0; k < nsets; k++) {
            sets[k]->exp(xs, got, N);
            for (size_t i = 0; i < N; i++)
                check_bits(sets[k]->isa, "exp", i, got[i], want[i], xs[i], 0);
        }
    }
}

static void test_log(void **state)
{
    (void)state;
    for (int seed = 1; seed <= 2; seed++) {
        fill(xs, seed == 1 ? log_range : any_bits, 200u + (uint64_t)seed, 1);
        for (size_t i = 0; i < N; i++)
            want[i] = ree_log(xs[i]);
        for (int k = 0; k < nsets; k++) {
            sets[k]->log(xs, got, N);
            for (size_t i = 0; i < N; i++)
                check_bits(sets[k]->isa, "log", i, got[i], want[i], xs[i], 0);
        }
    }
}

static void test_logx_set(void **state)
{
    (void)state;
    for (int seed = 1; seed <= 2; seed++) {
        fill(xs, seed == 1 ? log_range : any_bits, 300u + (uint64_t)seed, 1);
        for (size_t i = 0; i < N; i++) {
            ree_logx l;
            ree_logx_set(&l, xs[i]);
            want[i] = l.hi;
            want2[i] = l.lo;
        }
        for (int k = 0; k < nsets; k++) {
            sets[k]->logx_set(xs, got, got2, N);
            for (size_t i = 0; i < N; i++) {
                check_bits(sets[k]->isa, "logx_set hi", i, got[i], want[i], xs[i], 0);
                check_bits(sets[k]->isa, "logx_set lo", i, got2[i], want2[i], xs[i], 0);
            }
        }
    }
}

/* x and y: the special values against each other (every pair), then random pairs. */
static void fill_pairs(uint64_t seed)
{
    fill(xs, pow_x, seed, 0);
    fill(ys, pow_y, seed + 7, 0);
    size_t i = N / 2;
    for (size_t a = 0; a < NSPECIAL; a++)
        for (size_t b = 0; b < NSPECIAL; b++, i++) {
            xs[i] = SPECIAL[a];
            ys[i] = SPECIAL[b];
        }
}

static void test_pow_logx(void **state)
{
    (void)state;
    fill_pairs(400);
    for (size_t i = 0; i < N; i++) {
        ree_logx l;
        ree_logx_set(&l, xs[i]);
        want[i] = ree_pow_logx(&l, ys[i]);
    }
    for (int k = 0; k < nsets; k++) {
        sets[k]->pow_logx(xs, ys, got, N);
        for (size_t i = 0; i < N; i++)
            check_bits(sets[k]->isa, "pow_logx", i, got[i], want[i], xs[i], ys[i]);
    }
}

static void test_pow(void **state)
{
    (void)state;
    fill_pairs(500);
    for (size_t i = 0; i < N; i++)
        want[i] = ree_pow(xs[i], ys[i]);
    for (int k = 0; k < nsets; k++) {
        sets[k]->pow(xs, ys, got, N);
        for (size_t i = 0; i < N; i++)
            check_bits(sets[k]->isa, "pow", i, got[i], want[i], xs[i], ys[i]);
    }
}

static void test_pinv(void **state)
{
    (void)state;
    for (int seed = 1; seed <= 2; seed++) {
        fill(xs, seed == 1 ? pinv_range : any_bits, 600u + (uint64_t)seed, 1);
        if (seed == 1) /* a stretch of central values only: the vectors that skip the log */
            for (size_t i = N / 4; i < N / 4 + 4096; i++)
                xs[i] = 0.1 + 0.8 * (double)(i % 977) / 977;
        for (size_t i = 0; i < N; i++)
            want[i] = ree_ugaussian_pinv(xs[i]);
        for (int k = 0; k < nsets; k++) {
            sets[k]->pinv(xs, got, N);
            for (size_t i = 0; i < N; i++)
                check_bits(sets[k]->isa, "pinv", i, got[i], want[i], xs[i], 0);
        }
    }
}

int main(void)
{
    sets[nsets++] = &kern_base;
#ifdef REESIM_TEST_V4
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl"))
        sets[nsets++] = &kern_v4;
    else
        print_message("no AVX-512 on this CPU: the x86-64-v4 build is not tested\n");
#else
    print_message("the x86-64-v4 build is off (REESIM_LANES_V4): not tested\n");
#endif
    xs = malloc(N * sizeof *xs);
    ys = malloc(N * sizeof *ys);
    got = malloc(N * sizeof *got);
    got2 = malloc(N * sizeof *got2);
    want = malloc(N * sizeof *want);
    want2 = malloc(N * sizeof *want2);
    if (!xs || !ys || !got || !got2 || !want || !want2)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exp),      cmocka_unit_test(test_log),
        cmocka_unit_test(test_logx_set), cmocka_unit_test(test_pow_logx),
        cmocka_unit_test(test_pow),      cmocka_unit_test(test_pinv),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(xs);
    free(ys);
    free(got);
    free(got2);
    free(want);
    free(want2);
    return rc;
}

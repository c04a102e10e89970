/* Tests for models/exactmath.h: ree_floor_pos and ree_round_pos equal libm's floor and round bit
 * for bit, at the edges (halves, the doubles next to integers and halves, 0, -0, 2^52 and beyond,
 * negative, infinite, NaN) and over a million values spread over every binade below 2^53;
 * ree_ugaussian_pinv equals GSL's gsl_cdf_ugaussian_Pinv (bit for bit in the central region and
 * outside (0, 1), within 8 ulp in the tails, where it takes reesim's log) at the edges of its
 * three regions and of [0, 1], outside it, on the values the models give it (uniforms in (0, 1)
 * as the generators make them, class midpoints) and on values spread over every binade of
 * (0, 1). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_rng.h>

#include "exactmath.h"

static void same(double x)
{
    double f = ree_floor_pos(x), lf = floor(x), r = ree_round_pos(x), lr = round(x);
    if (memcmp(&f, &lf, sizeof f) != 0 || memcmp(&r, &lr, sizeof r) != 0)
        fail_msg("x = %a: floor %a (libm %a), round %a (libm %a)", x, f, lf, r, lr);
}

static void test_edges(void **unused)
{
    (void)unused;
    const double xs[] = {0.0,
                         -0.0,
                         0x1p-1074,
                         0x1p-1022,
                         0.49999999999999994,
                         0.5,
                         0.5000000000000001,
                         0.9999999999999999,
                         1,
                         1.0000000000000002,
                         1.4999999999999998,
                         1.5,
                         2.5,
                         3.5,
                         1e9 + 0.5,
                         0x1p52 - 1.5,
                         0x1p52 - 0.5,
                         0x1p52 - 1,
                         0x1p52,
                         0x1p52 + 1,
                         0x1p53 + 2,
                         1e300,
                         -0.5,
                         -1.5,
                         -2.7,
                         INFINITY,
                         -INFINITY,
                         NAN};
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        same(xs[i]);
        same(nextafter(xs[i], INFINITY));
        same(nextafter(xs[i], -INFINITY));
    }
    for (int k = 0; k < 4096; k++) { /* every integer and half up to 2048, and their neighbours */
        double x = k / 2.0;
        same(x);
        same(nextafter(x, 0));
        same(nextafter(x, INFINITY));
    }
}

static void test_spread(void **unused)
{
    (void)unused;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 12);
    for (int i = 0; i < 1000000; i++) {
        int e = (int)gsl_rng_uniform_int(r, 110) - 55; /* 2^-55 .. 2^54 */
        same(ldexp(1 + gsl_rng_uniform(r), e));
    }
    gsl_rng_free(r);
}

/* Bit for bit GSL's where no log is taken (the central region, and p outside (0, 1) or NaN);
 * in the tails the quantile takes reesim's log (engine/sim/remath.h, the same bits on every CPU)
 * where GSL takes the C library's, so there it is within 8 ulp of GSL's (4 at most seen). */
static void same_pinv(double p)
{
    double a = ree_ugaussian_pinv(p), b = gsl_cdf_ugaussian_Pinv(p);
    if (!(p > 0 && p < 1) || fabs(p - 0.5) <= 0.425) {
        if (memcmp(&a, &b, sizeof a) != 0) /* NaNs too: the same sign and payload */
            fail_msg("p = %a: %a (GSL %a)", p, a, b);
        return;
    }
    double ulp = nextafter(fabs(b), INFINITY) - fabs(b);
    if (!(fabs(a - b) <= 8 * ulp))
        fail_msg("p = %a: %a (GSL %a), %.1f ulp apart", p, a, b, fabs(a - b) / ulp);
}

/* Each value and its 64 neighbours on either side. */
static void same_pinv_near(double p)
{
    double lo = p, hi = p;
    same_pinv(p);
    for (int i = 0; i < 64; i++) {
        lo = nextafter(lo, -INFINITY);
        hi = nextafter(hi, INFINITY);
        same_pinv(lo);
        same_pinv(hi);
    }
}

static void test_pinv_edges(void **unused)
{
    (void)unused;
    const double r5 = exp(-25.0); /* sqrt(-log(p)) = 5: the middle region's end */
    const double ps[] = {0.0,         -0.0,   0x1p-1074, 0x1p-1022,  1e-300,      1e-20,
                         r5,          1 - r5, 0.075,     0.925,      0.5 - 0.425, 0.5 + 0.425,
                         0.5,         0.25,   0.75,      1e-3,       1 - 1e-3,    0x1p-53,
                         1 - 0x1p-53, 1.0,    0x1p-26,   1 - 0x1p-26};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
        same_pinv_near(ps[i]);
    const double bad[] = {-1e-300, -0.5, -1, 1.5, 2, 1e300, INFINITY, -INFINITY, NAN};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        same_pinv(bad[i]);
    for (int k = 1; k <= 1000; k++) /* class midpoints (i + 0.5) / k, as models/firms.c takes */
        for (int i = 0; i < k; i += 1 + k / 50)
            same_pinv((i + 0.5) / k);
}

static void test_pinv_spread(void **unused)
{
    (void)unused;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 13);
    for (int i = 0; i < 1000000; i++) {
        double u = gsl_rng_uniform_pos(r); /* as the models draw */
        same_pinv(u);
        same_pinv(1 - u);
        int e = -(int)gsl_rng_uniform_int(r, 1075); /* every binade of (0, 1) */
        same_pinv(ldexp(0.5 + 0.5 * gsl_rng_uniform(r), e));
    }
    gsl_rng_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_spread),
        cmocka_unit_test(test_pinv_edges),
        cmocka_unit_test(test_pinv_spread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

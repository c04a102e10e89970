/* Tests for models/exactmath.h: ree_floor_pos and ree_round_pos equal libm's floor and round bit
 * for bit, at the edges (halves, the doubles next to integers and halves, 0, -0, 2^52 and beyond,
 * negative, infinite, NaN) and over a million values spread over every binade below 2^53. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_spread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Tests for engine/stats/score.c: CRPS of weighted samples and of sketches, interval score. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "score.h"
#include "stats.h"

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

static double uniform(uint64_t *s)
{
    return ((double)(xorshift(s) >> 11) + 0.5) * 0x1.0p-53;
}

/* E|X - y| - E|X - X'| / 2 over every pair, weights included: the definition, O(n^2). */
static double crps_brute(const double *x, const double *w, size_t n, double y)
{
    double W = 0, e1 = 0, e2 = 0;
    for (size_t i = 0; i < n; i++)
        W += w[i];
    for (size_t i = 0; i < n; i++) {
        e1 += w[i] * fabs(x[i] - y);
        for (size_t j = 0; j < n; j++)
            e2 += w[i] * w[j] * fabs(x[i] - x[j]);
    }
    return e1 / W - 0.5 * e2 / (W * W);
}

static void test_crps_matches_brute_force(void **state)
{
    (void)state;
    uint64_t s = 0x9e3779b97f4a7c15u;
    for (int trial = 0; trial < 50; trial++) {
        size_t n = 1 + (size_t)(uniform(&s) * 60);
        double x[64] = {0}, w[64] = {0}, xc[64], wc[64];
        for (size_t i = 0; i < n; i++) {
            /* shortfall-like values with ties, weights powers of two as in the sketch */
            x[i] = trial % 3 == 0 ? floor(uniform(&s) * 8) * 0.25 : 120 + 850 * uniform(&s);
            w[i] = ldexp(1.0, (int)(uniform(&s) * 4));
            xc[i] = x[i];
            wc[i] = w[i];
        }
        double y = trial % 5 == 0 ? x[0] : 100 + 900 * uniform(&s) - (trial % 3 == 0 ? 300 : 0);
        double want = crps_brute(x, w, n, y);
        double got = ree_crps_weighted(xc, wc, n, y);
        assert_true(fabs(got - want) <= 1e-9 * (1 + fabs(want)));
    }
}

static void test_crps_point_mass(void **state)
{
    (void)state;
    double x[1] = {2.385}, w[1] = {1};
    /* A point forecast: CRPS is the absolute error. */
    assert_true(fabs(ree_crps_weighted(x, w, 1, 3.0) - 0.615) < 1e-12);
    x[0] = 2.385;
    assert_true(ree_crps_weighted(x, w, 1, 2.385) == 0.0);
    assert_true(isnan(ree_crps_weighted(x, w, 0, 1.0)));
}

/* Normal N(mu, sigma): CRPS = sigma [z (2 Phi(z) - 1) + 2 phi(z) - 1/sqrt(pi)], z = (y-mu)/sigma
 * (Gneiting & Raftery 2007, eq. 21). 20000 points at the normal's (i - 1/2)/n quantiles. */
static void test_crps_normal_closed_form(void **state)
{
    (void)state;
    const size_t n = 20000;
    double mu = 4811, sigma = 350;
    double *x = malloc(n * sizeof *x), *w = malloc(n * sizeof *w);
    assert_non_null(x);
    assert_non_null(w);
    double ys[] = {4811, 5150, 3900, 6000};
    for (size_t k = 0; k < sizeof ys / sizeof ys[0]; k++) {
        for (size_t i = 0; i < n; i++) {
            x[i] = mu + sigma * gsl_cdf_ugaussian_Pinv(((double)i + 0.5) / (double)n);
            w[i] = 1;
        }
        double z = (ys[k] - mu) / sigma;
        double want = sigma * (z * (2 * gsl_cdf_ugaussian_P(z) - 1) + 2 * gsl_ran_ugaussian_pdf(z) -
                               1 / sqrt(3.14159265358979323846));
        double got = ree_crps_weighted(x, w, n, ys[k]);
        assert_true(fabs(got - want) < 1e-3 * sigma);
    }
    free(x);
    free(w);
}

/* The sketch route: exact while small (equal to the brute force over the values), and within a
 * small relative error once compacted. */
static void test_acc_crps(void **state)
{
    (void)state;
    enum { N = 20000 };
    ree_acc *a = ree_acc_alloc(1, 512); /* the run default */
    ree_acc *big = ree_acc_alloc(1, 16384);
    assert_non_null(a);
    assert_non_null(big);
    static double v[N], w[N];
    uint64_t s = 42;
    for (int i = 0; i < N; i++) {
        v[i] = 692 * exp(0.4 * gsl_cdf_ugaussian_Pinv(uniform(&s)));
        w[i] = 1;
        assert_int_equal(ree_acc_add(a, &v[i]), 0);
        assert_int_equal(ree_acc_add(big, &v[i]), 0);
    }
    double exact = ree_crps_weighted(v, w, N, 600), got, got_big;
    assert_int_equal(ree_acc_crps(big, 0, 600, &got_big), 0);
    assert_true(fabs(got_big - exact) < 1e-9 * exact); /* N <= 2k: every value kept */
    assert_int_equal(ree_acc_crps(a, 0, 600, &got), 0);
    assert_true(ree_acc_points(a, 0) <= 1024);
    assert_true(fabs(got - exact) < 0.01 * exact);
    ree_acc *empty = ree_acc_alloc(1, 64);
    assert_int_equal(ree_acc_crps(empty, 0, 1, &got), 0);
    assert_true(isnan(got));
    ree_acc_free(a);
    ree_acc_free(big);
    ree_acc_free(empty);
}

static void test_interval_score(void **state)
{
    (void)state;
    /* Inside: the width. Below / above: width plus 2/alpha times the miss. */
    assert_true(fabs(ree_interval_score(2850, 3500, 0.1, 3000) - 650) < 1e-9);
    assert_true(fabs(ree_interval_score(2850, 3500, 0.1, 2800) - (650 + 20 * 50)) < 1e-9);
    assert_true(fabs(ree_interval_score(2850, 3500, 0.1, 3600) - (650 + 20 * 100)) < 1e-9);
    assert_true(fabs(ree_interval_score(10, 10, 0.1, 10)) < 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crps_matches_brute_force), cmocka_unit_test(test_crps_point_mass),
        cmocka_unit_test(test_crps_normal_closed_form),  cmocka_unit_test(test_acc_crps),
        cmocka_unit_test(test_interval_score),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

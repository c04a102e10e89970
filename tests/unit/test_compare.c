/* Tests for engine/stats/compare.c: paired statistics against a hand-computed case, block merges,
 * exact zero differences, prob_worse by direction. Directions themselves are declared in the
 * models' tables and checked by test_registry.c. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "compare.h"

static void assert_near_at(double a, double b, double tol, const char *file, int line)
{
    if (!(fabs(a - b) <= tol)) {
        print_error("%.17g != %.17g (tolerance %g)\n", a, b, tol);
        _fail(file, line);
    }
}
#define assert_near(a, b, tol) assert_near_at((a), (b), (tol), __FILE__, __LINE__)

/* Five runs of a sector's shortfall [t] in a base and a harsher case:
 *   a = 10.2 11.5  9.8 12.1 10.9      mean 10.9,  var (n-1) 3.5 / 4   = 0.875
 *   b = 12.0 11.1 11.1 14.6 12.4      mean 12.24, var       8.252 / 4 = 2.063
 *   d =  1.8 -0.4  1.3  2.5  1.5      mean 1.34,  var       4.612 / 4 = 1.153
 * sd(d) = sqrt(1.153) = 1.07378; t_{0.975,4} = 2.776445 (any t table);
 * half width = 2.776445 * 1.07378 / sqrt(5) = 1.33327, CI [0.00673, 2.67327];
 * unpaired width = 2 * 2.776445 * sqrt((0.875 + 2.063) / 5) = 4.25657;
 * 4 of 5 differences are > 0, 1 is < 0. */
static const double A[5] = {10.2, 11.5, 9.8, 12.1, 10.9};
static const double B[5] = {12.0, 11.1, 11.1, 14.6, 12.4};

static void test_hand_computed(void **unused)
{
    (void)unused;
    ree_pair_acc acc = {0};
    for (int i = 0; i < 5; i++)
        ree_pair_add(&acc, A[i], B[i]);
    ree_pair_stats s;
    ree_pair_summarize(&acc, &s);
    assert_near(s.n, 5, 0);
    assert_near(s.base_mean, 10.9, 1e-12);
    assert_near(s.scenario_mean, 12.24, 1e-12);
    assert_near(s.diff_mean, 1.34, 1e-12);
    assert_near(s.diff_sd, sqrt(1.153), 1e-12);
    assert_near(s.diff_sd, 1.07378, 1e-5);
    double t = 2.7764451051977987;
    assert_near(s.ci_low, 1.34 - t * sqrt(1.153 / 5), 1e-12);
    assert_near(s.ci_high, 1.34 + t * sqrt(1.153 / 5), 1e-12);
    assert_near(s.ci_low, 0.00673, 1e-5);
    assert_near(s.ci_high, 2.67327, 1e-5);
    assert_near(s.paired_width, 2 * 1.33327, 1e-5);
    assert_near(s.unpaired_width, 4.25657, 1e-5);
    assert_near(s.prob_up, 0.8, 0);
    assert_near(s.prob_down, 0.2, 0);
    assert_near(ree_pair_prob_worse(&s, REE_DIR_HIGHER_WORSE), 0.8, 0);
    assert_near(ree_pair_prob_worse(&s, REE_DIR_HIGHER_BETTER), 0.2, 0);
    assert_true(isnan(ree_pair_prob_worse(&s, REE_DIR_NEUTRAL)));
}

/* Blocks merged in order give the sequential result (to rounding), and an empty block is a
 * no-op either side. */
static void test_merge(void **unused)
{
    (void)unused;
    ree_pair_acc all = {0}, b1 = {0}, b2 = {0}, empty = {0}, total = {0};
    for (int i = 0; i < 5; i++) {
        ree_pair_add(&all, A[i], B[i]);
        ree_pair_add(i < 2 ? &b1 : &b2, A[i], B[i]);
    }
    ree_pair_merge(&total, &empty);
    ree_pair_merge(&total, &b1);
    ree_pair_merge(&total, &empty);
    ree_pair_merge(&total, &b2);
    assert_near(total.n, 5, 0);
    assert_near(total.mean_a, all.mean_a, 1e-12);
    assert_near(total.mean_b, all.mean_b, 1e-12);
    assert_near(total.mean_d, all.mean_d, 1e-12);
    assert_near(total.m2_a, all.m2_a, 1e-12);
    assert_near(total.m2_b, all.m2_b, 1e-12);
    assert_near(total.m2_d, all.m2_d, 1e-12);
    assert_near(total.n_up, 4, 0);
    assert_near(total.n_down, 1, 0);
}

/* A case against itself: every difference exactly 0, CI [0, 0], never worse, while the
 * unpaired width is that of two independent samples. */
static void test_identical(void **unused)
{
    (void)unused;
    ree_pair_acc b1 = {0}, b2 = {0}, total = {0};
    for (int i = 0; i < 5; i++)
        ree_pair_add(i < 3 ? &b1 : &b2, A[i], A[i]);
    ree_pair_merge(&total, &b1);
    ree_pair_merge(&total, &b2);
    ree_pair_stats s;
    ree_pair_summarize(&total, &s);
    assert_true(s.diff_mean == 0 && s.ci_low == 0 && s.ci_high == 0 && s.paired_width == 0);
    assert_true(s.base_mean == s.scenario_mean);
    assert_true(s.prob_up == 0 && s.prob_down == 0);
    assert_near(s.unpaired_width, 2 * 2.7764451051977987 * sqrt(2 * 0.875 / 5), 1e-9);
}

/* Fewer than two runs: means, but no spread and no interval. */
static void test_small(void **unused)
{
    (void)unused;
    ree_pair_acc acc = {0};
    ree_pair_stats s;
    ree_pair_summarize(&acc, &s);
    assert_true(s.n == 0 && isnan(s.diff_mean) && isnan(s.prob_up));
    ree_pair_add(&acc, 3.25, 2.5);
    ree_pair_summarize(&acc, &s);
    assert_near(s.diff_mean, -0.75, 0);
    assert_near(s.prob_down, 1, 0);
    assert_true(isnan(s.diff_sd) && isnan(s.ci_low) && isnan(s.ci_high));
    assert_true(isnan(s.paired_width) && isnan(s.unpaired_width));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_computed),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_identical),
        cmocka_unit_test(test_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

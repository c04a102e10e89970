/* Tests for engine/stats/explore.c: designs, the Wilson interval and the bisection search on
 * monotone toy responses (no simulator). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <gsl/gsl_cdf.h>

#include "explore.h"
#include "plan.h"

static const char scenario[] =
    "reesim: 1\n"
    "name: explore-toy\n"
    "horizon: {start: 2025-01, steps: 6}\n"
    "materials:\n"
    "  - {id: ndfeb, name: magnets}\n"
    "nodes:\n"
    "  - id: cn_magnets\n"
    "    model: source\n"
    "    region: CN\n"
    "    params: {output: {ndfeb: 1}, capacity: 1000}\n"
    "  - id: us_cars\n"
    "    model: sector\n"
    "    region: US\n"
    "    stock: {ndfeb: 120}\n"
    "    params: {material: ndfeb, demand: 310, kg_per_unit: 1.5}\n"
    "gates:\n"
    "  - {id: cn_export, covers: [ndfeb], review_days: 63, approval: 0.35}\n"
    "links:\n"
    "  - {from: cn_magnets, to: us_cars, material: ndfeb, gate: cn_export}\n"
    "explore:\n"
    "  - {path: gates.cn_export.approval, min: 0.05, max: 0.6}\n"
    "  - {path: us_cars.stock.ndfeb, values: [500, 0, 1250.5]}\n";

/* The loader keeps explore: as written: paths, ranges, lists with their extremes. */
static void test_loaded(void **state)
{
    (void)state;
    ree_diag *d = ree_diag_alloc(0);
    ree_status st;
    ree_plan *p = ree_plan_load_buffer("explore.yaml", scenario, sizeof scenario - 1, d, &st);
    ree_diag_print(d, stderr);
    ree_diag_free(d);
    assert_non_null(p);
    assert_int_equal(p->nexplore, 2);
    assert_string_equal(p->explore[0].path, "gates.cn_export.approval");
    assert_true(p->explore[0].min == 0.05 && p->explore[0].max == 0.6 && !p->explore[0].values);
    assert_string_equal(p->explore[1].path, "us_cars.stock.ndfeb");
    assert_int_equal(p->explore[1].nvalues, 3);
    assert_true(p->explore[1].values[2] == 1250.5);
    assert_true(p->explore[1].min == 0 && p->explore[1].max == 1250.5);
    ree_plan_free(p);
}

static void test_grid(void **state)
{
    (void)state;
    double vals[3] = {20, 45, 90};
    ree_explore_input in[2] = {{NULL, 0.1, 0.9, NULL, 0}, {NULL, 20, 90, vals, 3}};
    double *x;
    long long n;
    assert_int_equal(ree_design_grid(in, 2, 3, &x, &n), REE_OK);
    assert_int_equal(n, 9);
    /* The last input varies fastest. */
    assert_true(x[0] == 0.1 && x[1] == 20 && x[2] == 0.1 && x[3] == 45 && x[5] == 90);
    assert_true(fabs(x[6] - 0.5) < 1e-12 && x[7] == 20 && x[16] == 0.9 && x[17] == 90);
    free(x);
    assert_int_equal(ree_design_grid(in, 2, 1, &x, &n), REE_EUSAGE);
    ree_explore_input big[5] = {{NULL, 0, 1, NULL, 0},
                                {NULL, 0, 1, NULL, 0},
                                {NULL, 0, 1, NULL, 0},
                                {NULL, 0, 1, NULL, 0},
                                {NULL, 0, 1, NULL, 0}};
    assert_int_equal(ree_design_grid(big, 5, 11, &x, &n), REE_EUSAGE); /* 161,051 cases */
}

static void test_lhs(void **state)
{
    (void)state;
    ree_explore_input in[2] = {{NULL, 200, 400, NULL, 0}, {NULL, -1, 1, NULL, 0}};
    double *x, *y;
    assert_int_equal(ree_design_lhs(in, 2, 50, 123, &x), REE_OK);
    assert_int_equal(ree_design_lhs(in, 2, 50, 123, &y), REE_OK);
    for (int i = 0; i < 2; i++) {
        int seen[50] = {0};
        for (int c = 0; c < 50; c++) {
            double u = (x[c * 2 + i] - in[i].min) / (in[i].max - in[i].min);
            int s = (int)(u * 50);
            assert_true(s >= 0 && s < 50);
            assert_int_equal(seen[s], 0); /* one point per stratum */
            seen[s] = 1;
            assert_true(x[c * 2 + i] == y[c * 2 + i]);
        }
    }
    free(x);
    free(y);
}

static void test_at(void **state)
{
    (void)state;
    double v[4] = {0, 500, 1000, 2000};
    ree_explore_input l = {NULL, 0, 2000, v, 4}, r = {NULL, 10, 20, NULL, 0};
    assert_true(ree_explore_at(&l, 0) == 0 && ree_explore_at(&l, 0.26) == 500);
    assert_true(ree_explore_at(&l, 0.99) == 2000 && ree_explore_at(&l, 1) == 2000);
    assert_true(ree_explore_at(&r, 0.25) == 12.5);
}

/* A range's ends are exactly its min and max, and rounding never takes a point outside it:
 * 0.2 + 0.8 * 3 / 3 is 1.0000000000000002, which a parameter bounded by 1 refused. */
static void test_range_ends(void **state)
{
    (void)state;
    ree_explore_input a = {NULL, 0.2, 1, NULL, 0}, b = {NULL, 0.1, 0.5, NULL, 0};
    double *x;
    long long n;
    assert_int_equal(ree_design_grid(&a, 1, 4, &x, &n), REE_OK);
    assert_true(x[0] == 0.2 && x[3] == 1);
    free(x);
    assert_int_equal(ree_design_grid(&b, 1, 4, &x, &n), REE_OK);
    assert_true(x[0] == 0.1 && x[3] == 0.5);
    free(x);
    assert_true(ree_explore_at(&a, 1) == 1 && ree_explore_at(&a, 0) == 0.2);
    ree_explore_input c = {NULL, 0.3, 0.9, NULL, 0}; /* 0.3 + (0.9 - 0.3) is 0.9000000000000001 */
    assert_true(ree_explore_at(&c, 1) == 0.9);
    /* Many ranges and level counts: ends exact, every point inside. */
    for (int t = 1; t < 400; t++) {
        ree_explore_input r = {NULL, t * 0.01 - 1.3, t * 0.037 + 0.1 * (t % 7), NULL, 0};
        int levels = 2 + t % 13;
        assert_int_equal(ree_design_grid(&r, 1, levels, &x, &n), REE_OK);
        assert_true(x[0] == r.min && x[levels - 1] == r.max);
        for (int l = 0; l < levels; l++)
            assert_true(x[l] >= r.min && x[l] <= r.max);
        free(x);
        for (int q = 0; q <= 64; q++) {
            double v = ree_explore_at(&r, q / 64.0);
            assert_true(v >= r.min && v <= r.max);
        }
        assert_true(ree_explore_at(&r, 1) == r.max && ree_explore_at(&r, 0) == r.min);
    }
}

static void test_wilson(void **state)
{
    (void)state;
    double lo, hi;
    /* 95 of 100 at z = 1.96: [0.8883, 0.9785] (Wilson 1927; e.g. Newcombe 1998's table). */
    ree_wilson(95, 100, 1.96, &lo, &hi);
    assert_true(fabs(lo - 0.8883) < 1e-4 && fabs(hi - 0.9785) < 1e-4);
    ree_wilson(0, 20, 1.96, &lo, &hi);
    assert_true(lo == 0 && fabs(hi - 0.1611) < 1e-4);
}

/* Probability of the goal rising with the lever: Phi((lever - 3.7) / 0.5); met at 0.95 from
 * 3.7 + 1.6449 * 0.5 = 4.52243. */
static ree_status rising(void *arg, double lever, double *prob, long long *n)
{
    int *calls = arg;
    (*calls)++;
    *prob = gsl_cdf_ugaussian_P((lever - 3.7) / 0.5);
    *n = 1000;
    return REE_OK;
}

static ree_status falling(void *arg, double lever, double *prob, long long *n)
{
    (void)arg;
    *prob = 1 - lever / 100; /* >= 0.9 up to 10 */
    *n = 500;
    return REE_OK;
}

static ree_status stops(void *arg, double lever, double *prob, long long *n)
{
    (void)arg;
    (void)lever;
    *prob = 0.5;
    *n = 1;
    return REE_EINTERRUPTED;
}

static void test_bisect(void **state)
{
    (void)state;
    int calls = 0;
    ree_search_result r;
    assert_int_equal(ree_search_bisect(0, 10, 0.95, 1e-4, 0, 1, rising, &calls, &r), REE_OK);
    assert_true(r.found && r.smallest);
    assert_true(r.answer >= 4.52243 && r.answer - 4.52243 < 1e-4);
    assert_true(r.bracket < 4.52243 && r.answer - r.bracket <= 1e-4);
    assert_true(r.prob >= 0.95 && r.n == 1000);
    assert_int_equal(r.evaluations, calls);
    /* Integral lever: the smallest whole value, 5. */
    assert_int_equal(ree_search_bisect(0, 10, 0.95, 0, 1, 1, rising, &calls, &r), REE_OK);
    assert_true(r.answer == 5 && r.bracket == 4);
    /* Falling: the largest value meeting 0.9 is 10. */
    assert_int_equal(ree_search_bisect(0, 60, 0.9, 1e-6, 0, 1, falling, NULL, &r), REE_OK);
    assert_true(r.found && !r.smallest && fabs(r.answer - 10) < 1e-6 && r.answer <= 10);
    /* Never met: found = 0, the best end reported. */
    assert_int_equal(ree_search_bisect(0, 3, 0.95, 1e-3, 0, 1, rising, &calls, &r), REE_OK);
    assert_true(!r.found && isnan(r.answer) && r.prob < 0.95 && r.evaluations == 2);
    /* Met at both ends: the preferred end. */
    assert_int_equal(ree_search_bisect(6, 9, 0.95, 1e-3, 0, 1, rising, &calls, &r), REE_OK);
    assert_true(r.found && r.answer == 6);
    assert_int_equal(ree_search_bisect(6, 9, 0.95, 1e-3, 0, 0, rising, &calls, &r), REE_OK);
    assert_true(r.found && r.answer == 9);
    assert_int_equal(ree_search_bisect(0, 1, 0.95, 1e-3, 0, 1, stops, NULL, &r), REE_EINTERRUPTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grid),   cmocka_unit_test(test_lhs),
        cmocka_unit_test(test_at),     cmocka_unit_test(test_range_ends),
        cmocka_unit_test(test_wilson), cmocka_unit_test(test_bisect),
        cmocka_unit_test(test_loaded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Tests for engine/stats/prim.c: PRIM on synthetic data sets with a known box. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "prim.h"

static double uniform(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0;
}

/* 3000 cases uniform on [0,1] x [200,400] x [-1,1]; bad inside x0 > 0.6 and x1 < 260 (a box of
 * 12% of the cases), plus 2% label noise everywhere. */
static void make(double *x, unsigned char *y, size_t n, double noise)
{
    uint64_t s = 20250404;
    for (size_t c = 0; c < n; c++) {
        x[c * 3] = uniform(&s);
        x[c * 3 + 1] = 200 + 200 * uniform(&s);
        x[c * 3 + 2] = -1 + 2 * uniform(&s);
        y[c] = x[c * 3] > 0.6 && x[c * 3 + 1] < 260;
        if (uniform(&s) < noise)
            y[c] = !y[c];
    }
}

static void test_known_box(void **state)
{
    (void)state;
    enum { N = 3000 };
    double *x = malloc(N * 3 * sizeof *x);
    unsigned char *y = malloc(N);
    make(x, y, N, 0);
    ree_prim_opts o = {0.05, 0.02, 0};
    ree_prim_result r;
    assert_int_equal(ree_prim(x, y, N, 3, &o, &r), REE_OK);
    /* Trajectory: starts with every case, coverage never rises, support falls. */
    assert_true(r.steps[0].support == 1 && r.steps[0].coverage == 1);
    for (int s = 1; s < r.nstep; s++) {
        assert_true(r.steps[s].coverage <= r.steps[s - 1].coverage);
        assert_true(r.steps[s].support < r.steps[s - 1].support);
    }
    /* Without noise the box is found exactly: density 1, coverage near 1. */
    assert_true(r.box.density == 1);
    assert_true(r.box.coverage > 0.9);
    assert_true(fabs(r.box.lo[0] - 0.6) < 0.03 && r.box.hi[0] == r.max[0]);
    assert_true(r.box.lo[1] == r.min[1] && fabs(r.box.hi[1] - 260) < 6);
    assert_true(r.box.lo[2] < -0.9 && r.box.hi[2] > 0.9); /* x2 left (nearly) alone */
    ree_prim_result_free(&r);
    free(x);
    free(y);
}

static void test_noisy_box(void **state)
{
    (void)state;
    enum { N = 3000 };
    double *x = malloc(N * 3 * sizeof *x);
    unsigned char *y = malloc(N);
    make(x, y, N, 0.02);
    ree_prim_opts o = {0.05, 0.02, 0.7};
    ree_prim_result r;
    assert_int_equal(ree_prim(x, y, N, 3, &o, &r), REE_OK);
    assert_true(r.box.coverage >= 0.7 && r.box.density > 0.8);
    assert_true(fabs(r.box.lo[0] - 0.6) < 0.06 && fabs(r.box.hi[1] - 260) < 12);
    assert_true(r.box.lo[2] < -0.7 && r.box.hi[2] > 0.7);
    ree_prim_result_free(&r);
    free(x);
    free(y);
}

static void test_grid_ties(void **state)
{
    (void)state;
    /* A 5 x 5 grid of repeated values (ties everywhere), bad where both inputs are at most 1. */
    double x[50];
    unsigned char y[25];
    for (int c = 0; c < 25; c++) {
        x[c * 2] = c / 5;
        x[c * 2 + 1] = c % 5;
        y[c] = c / 5 <= 1 && c % 5 <= 1;
    }
    ree_prim_opts o = {0.05, 0.0, 0};
    ree_prim_result r;
    assert_int_equal(ree_prim(x, y, 25, 2, &o, &r), REE_OK);
    assert_true(r.box.density == 1 && r.box.coverage == 1);
    assert_true(r.box.lo[0] == 0 && r.box.hi[0] == 1 && r.box.lo[1] == 0 && r.box.hi[1] == 1);
    ree_prim_result_free(&r);
}

static void test_errors(void **state)
{
    (void)state;
    double x[4] = {1, 2, 3, 4};
    unsigned char y[4] = {0, 0, 0, 0};
    ree_prim_opts o = {0.05, 0.05, 0};
    ree_prim_result r;
    assert_int_equal(ree_prim(x, y, 4, 1, &o, &r), REE_EUSAGE); /* no bad case */
    y[2] = 1;
    o.alpha = 0.6;
    assert_int_equal(ree_prim(x, y, 4, 1, &o, &r), REE_EUSAGE);
    ree_prim_result_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_box),
        cmocka_unit_test(test_noisy_box),
        cmocka_unit_test(test_grid_ties),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

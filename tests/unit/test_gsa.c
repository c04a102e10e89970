/* Tests for engine/stats/gsa.c: Sobol and Morris estimators on analytic models whose indices are
 * known (Ishigami, Sobol's G-function, a linear model), through the evaluation callback. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gsa.h"

#define PI 3.14159265358979323846

/* Ishigami: y = sin x1 + a sin^2 x2 + b x3^4 sin x1 on [-pi, pi]^3, a = 7, b = 0.1. Second
 * output: the same times 2.5 plus 4 (indices unchanged). */
static ree_status ishigami(void *arg, const double *x, double *y)
{
    (void)arg;
    double s = sin(x[0]) + 7 * sin(x[1]) * sin(x[1]) + 0.1 * pow(x[2], 4) * sin(x[0]);
    y[0] = s;
    y[1] = 2.5 * s + 4;
    return REE_OK;
}

static const double g_a[] = {0, 1, 4.5, 9, 99, 99};

/* Sobol's G-function on [0,1]^6: prod (|4 x_i - 2| + a_i) / (1 + a_i). */
static ree_status gfun(void *arg, const double *x, double *y)
{
    (void)arg;
    double p = 1;
    for (int i = 0; i < 6; i++)
        p *= (fabs(4 * x[i] - 2) + g_a[i]) / (1 + g_a[i]);
    y[0] = p;
    return REE_OK;
}

static const double lin_c[] = {3.5, -1.25, 0};

/* A linear model on boxes of different widths: every elementary effect is c_i (hi_i - lo_i). */
static ree_status linear(void *arg, const double *x, double *y)
{
    int *calls = arg;
    (*calls)++;
    y[0] = 10 + lin_c[0] * x[0] + lin_c[1] * x[1] + lin_c[2] * x[2];
    return REE_OK;
}

static ree_status failing(void *arg, const double *x, double *y)
{
    int *calls = arg;
    (void)x;
    y[0] = 0;
    return ++*calls == 5 ? REE_EINTERRUPTED : REE_OK;
}

static void test_sobol_ishigami(void **state)
{
    (void)state;
    double lo[3] = {-PI, -PI, -PI}, hi[3] = {PI, PI, PI};
    ree_gsa_opts o = {
        .k = 3, .lo = lo, .hi = hi, .m = 2, .n = 8192, .nboot = 200, .seed = 42, .f = ishigami};
    ree_gsa_result r;
    assert_int_equal(ree_gsa_sobol(&o, &r), REE_OK);
    assert_int_equal(r.evaluations, 8192 * 5);
    const double s1[3] = {0.3139, 0.4424, 0}, st[3] = {0.5576, 0.4424, 0.2437};
    /* Tolerance 0.02 on every index (QMC error at N = 8192 is about 0.005); the 95% interval
     * covers the truth. */
    for (int j = 0; j < 2; j++)
        for (int i = 0; i < 3; i++) {
            const ree_gsa_ci *a = &r.a[j * 3 + i], *b = &r.b[j * 3 + i];
            assert_true(fabs(a->est - s1[i]) < 0.02);
            assert_true(fabs(b->est - st[i]) < 0.02);
            assert_true(a->lo <= a->est && a->est <= a->hi);
            assert_true(b->lo <= b->est && b->est <= b->hi);
            assert_true(a->lo - 0.005 <= s1[i] && s1[i] <= a->hi + 0.005);
            assert_true(b->lo - 0.005 <= st[i] && st[i] <= b->hi + 0.005);
            assert_true(a->hi - a->lo < 0.1);
        }
    /* The second output is an affine image: same indices. */
    for (int i = 0; i < 3; i++)
        assert_true(fabs(r.a[i].est - r.a[3 + i].est) < 1e-6);
    /* Variance of Ishigami: a^2/8 + b pi^4/5 + b^2 pi^8/18 + 1/2 = 13.8446. */
    assert_true(fabs(r.var[0] - 13.8446) < 0.3);
    ree_gsa_result_free(&r);
}

static void test_sobol_gfunction(void **state)
{
    (void)state;
    double lo[6] = {0}, hi[6] = {1, 1, 1, 1, 1, 1};
    double vi[6], v = 1;
    for (int i = 0; i < 6; i++) {
        vi[i] = 1.0 / (3 * (1 + g_a[i]) * (1 + g_a[i]));
        v *= 1 + vi[i];
    }
    v -= 1;
    ree_gsa_opts o = {
        .k = 6, .lo = lo, .hi = hi, .m = 1, .n = 8192, .nboot = 100, .seed = 7, .f = gfun};
    ree_gsa_result r;
    assert_int_equal(ree_gsa_sobol(&o, &r), REE_OK);
    for (int i = 0; i < 6; i++) {
        double tot = vi[i];
        for (int j = 0; j < 6; j++)
            if (j != i)
                tot *= 1 + vi[j];
        assert_true(fabs(r.a[i].est - vi[i] / v) < 0.02);
        assert_true(fabs(r.b[i].est - tot / v) < 0.02);
    }
    ree_gsa_result_free(&r);
}

static void test_morris_linear(void **state)
{
    (void)state;
    double lo[3] = {0.1, 200, -5}, hi[3] = {0.9, 800, 5};
    int calls = 0;
    ree_gsa_opts o = {.k = 3,
                      .lo = lo,
                      .hi = hi,
                      .m = 1,
                      .n = 20,
                      .levels = 4,
                      .nboot = 50,
                      .seed = 11,
                      .f = linear,
                      .arg = &calls};
    ree_gsa_result r;
    assert_int_equal(ree_gsa_morris(&o, &r), REE_OK);
    assert_int_equal(calls, 20 * 4);
    assert_int_equal(r.evaluations, 80);
    for (int i = 0; i < 3; i++) {
        double e = lin_c[i] * (hi[i] - lo[i]);
        assert_true(fabs(r.a[i].est - fabs(e)) < 1e-9 * (1 + fabs(e)));
        assert_true(fabs(r.mu[i] - e) < 1e-9 * (1 + fabs(e)));
        assert_true(r.b[i].est < 1e-9 * (1 + fabs(e)));
    }
    ree_gsa_result_free(&r);
}

static void test_morris_gfunction_ranking(void **state)
{
    (void)state;
    double lo[6] = {0}, hi[6] = {1, 1, 1, 1, 1, 1};
    ree_gsa_opts o = {.k = 6,
                      .lo = lo,
                      .hi = hi,
                      .m = 1,
                      .n = 200,
                      .levels = 4,
                      .nboot = 100,
                      .seed = 3,
                      .f = gfun};
    ree_gsa_result r1, r2;
    assert_int_equal(ree_gsa_morris(&o, &r1), REE_OK);
    /* mu* falls with a_i: 0 < 1 < 4.5 < 9 < 99 (inputs 4 and 5 tie, both negligible). */
    for (int i = 0; i < 4; i++)
        assert_true(r1.a[i].est > r1.a[i + 1].est);
    assert_true(r1.a[4].est < 0.05 * r1.a[0].est && r1.a[5].est < 0.05 * r1.a[0].est);
    /* The design and the bootstrap are deterministic from the seed. */
    assert_int_equal(ree_gsa_morris(&o, &r2), REE_OK);
    for (int i = 0; i < 6; i++) {
        assert_true(r1.a[i].est == r2.a[i].est && r1.a[i].lo == r2.a[i].lo);
        assert_true(r1.b[i].hi == r2.b[i].hi);
    }
    ree_gsa_result_free(&r1);
    ree_gsa_result_free(&r2);
}

/* The batch hook: Ishigami's points taken in reverse order within a batch (an evaluator may run
 * them in any order); batch sizes recorded. */
typedef struct batch_log {
    int calls, sizes[4];
} batch_log;

static ree_status ishigami_batch(void *arg, int count, const double *x, double *y)
{
    batch_log *b = arg;
    if (b->calls < 4)
        b->sizes[b->calls] = count;
    b->calls++;
    for (int q = count; q-- > 0;)
        ishigami(NULL, x + 3 * q, y + 2 * q);
    return REE_OK;
}

static int same_ci(const ree_gsa_ci *a, const ree_gsa_ci *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof *a))
            return 0;
    return 1;
}

/* A batch hook gives the same bits as f point by point, for both designs; it is handed a
 * trajectory's k + 1 points (Morris) or a row's k + 2 (Sobol). */
static void test_batch_same_bits(void **state)
{
    (void)state;
    double lo[3] = {-PI, -PI, -PI}, hi[3] = {PI, PI, PI};
    for (int sobol = 0; sobol < 2; sobol++) {
        ree_gsa_opts o = {
            .k = 3, .lo = lo, .hi = hi, .m = 2, .n = 64, .nboot = 50, .seed = 11, .f = ishigami};
        ree_gsa_result a, b;
        assert_int_equal(sobol ? ree_gsa_sobol(&o, &a) : ree_gsa_morris(&o, &a), REE_OK);
        batch_log log = {0};
        o.f = NULL;
        o.fb = ishigami_batch;
        o.arg = &log;
        assert_int_equal(sobol ? ree_gsa_sobol(&o, &b) : ree_gsa_morris(&o, &b), REE_OK);
        assert_int_equal(log.calls, 64);
        assert_int_equal(log.sizes[0], sobol ? 5 : 4);
        assert_int_equal(a.evaluations, b.evaluations);
        assert_true(same_ci(a.a, b.a, 6) && same_ci(a.b, b.b, 6));
        if (!sobol)
            assert_memory_equal(a.mu, b.mu, 6 * sizeof *a.mu);
        ree_gsa_result_free(&a);
        ree_gsa_result_free(&b);
    }
}

/* Every evaluation's inputs and outputs, with the boxes to check them against. */
typedef struct all_log {
    const double *lo, *hi;
    int n, outside;
    double y[1024][2];
} all_log;

static ree_status logged(void *arg, const double *x, double *y)
{
    all_log *l = arg;
    for (int i = 0; i < 3; i++)
        l->outside += !(x[i] >= l->lo[i] && x[i] <= l->hi[i]);
    ishigami(NULL, x, y);
    if (l->n < 1024)
        memcpy(l->y[l->n], y, sizeof l->y[0]);
    l->n++;
    return REE_OK;
}

/* `mean` and `var` are those of every evaluation's output (docs/exploration.md: noise_share is
 * over the variance of the run-means across evaluations), not of the trajectories' starts or of
 * the rows of A alone; and no input leaves its box, its top included (0.3 + (0.9 - 0.3) is
 * 0.9000000000000001). */
static void test_stats_over_every_evaluation(void **state)
{
    (void)state;
    double lo[3] = {0.3, -PI, 0.6}, hi[3] = {0.9, PI, 1.7};
    for (int sobol = 0; sobol < 2; sobol++) {
        all_log l = {.lo = lo, .hi = hi};
        ree_gsa_opts o = {.k = 3,
                          .lo = lo,
                          .hi = hi,
                          .m = 2,
                          .n = 40,
                          .nboot = 0,
                          .seed = 5,
                          .f = logged,
                          .arg = &l};
        ree_gsa_result r;
        assert_int_equal(sobol ? ree_gsa_sobol(&o, &r) : ree_gsa_morris(&o, &r), REE_OK);
        assert_int_equal(l.n, r.evaluations);
        assert_int_equal(l.outside, 0);
        for (int j = 0; j < 2; j++) {
            double mean = 0, ss = 0;
            for (int q = 0; q < l.n; q++)
                mean += l.y[q][j] / l.n;
            for (int q = 0; q < l.n; q++)
                ss += (l.y[q][j] - mean) * (l.y[q][j] - mean);
            assert_true(fabs(r.mean[j] - mean) < 1e-9 * (1 + fabs(mean)));
            assert_true(fabs(r.var[j] - ss / (l.n - 1)) < 1e-9 * (1 + ss));
        }
        ree_gsa_result_free(&r);
    }
}

static void test_errors(void **state)
{
    (void)state;
    double lo[1] = {0}, hi[1] = {1}, bad_hi[1] = {0};
    int calls = 0;
    ree_gsa_opts o = {.k = 1, .lo = lo, .hi = hi, .m = 1, .n = 10, .f = failing, .arg = &calls};
    ree_gsa_result r;
    assert_int_equal(ree_gsa_sobol(&o, &r), REE_EINTERRUPTED);
    assert_null(r.a);
    calls = 0;
    assert_int_equal(ree_gsa_morris(&o, &r), REE_EINTERRUPTED);
    o.hi = bad_hi;
    assert_int_equal(ree_gsa_sobol(&o, &r), REE_EUSAGE);
    o.hi = hi;
    o.levels = 3;
    assert_int_equal(ree_gsa_morris(&o, &r), REE_EUSAGE);
    ree_gsa_result_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sobol_ishigami),
        cmocka_unit_test(test_sobol_gfunction),
        cmocka_unit_test(test_morris_linear),
        cmocka_unit_test(test_morris_gfunction_ranking),
        cmocka_unit_test(test_batch_same_bits),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_stats_over_every_evaluation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Accuracy of the statistics as the Monte Carlo driver uses them: values added in blocks of 64
 * runs (ree_block), blocks merged in order into an accumulator of the default size
 * (REE_ACC_DEFAULT_K), checked against exact quantiles (sort) of the same values.
 *
 * For each kind of distribution -- uniform, heavy-tailed lognormal (sigma 2), a point mass at zero
 * (90%) mixed with a continuous part, a discrete distribution (Poisson(3)) and a 5%-likely 0/1 flag
 * (p95 falls in the gap) -- and for p05, p25, p50, p75, p95, the *rank error* of the sketch's
 * answer v is the distance from q to the interval [#(x < v)/n, #(x <= v)/n] (0 when q's rank is
 * covered by v, so ties and gaps are judged fairly). The data are fixed (seeded generator), so
 * every check here is deterministic. Set REE_PRINT_ACCURACY=1 to print the measured errors (the
 * figures in docs/statistics.md come from that output).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stats.h"

enum { N = 100000, BLOCK = 64 };

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
    return ((double)(xorshift(s) >> 11) + 0.5) * 0x1.0p-53; /* in (0, 1) */
}

static double normal(uint64_t *s)
{
    return sqrt(-2.0 * log(uniform(s))) * cos(6.283185307179586 * uniform(s));
}

static double poisson3(uint64_t *s)
{
    double l = exp(-3.0), p = 1.0;
    int k = 0;
    do {
        k++;
        p *= uniform(s);
    } while (p > l);
    return (double)(k - 1);
}

enum kind { UNIFORM, LOGNORMAL, ZERO_MASS, POISSON, FLAG, NKIND };
static const char *const kind_name[NKIND] = {"uniform", "lognormal(0,2)", "90% zero + exp",
                                             "Poisson(3)", "0/1 flag, 5% ones"};

static double draw(enum kind k, uint64_t *s)
{
    switch (k) {
    case UNIFORM:
        return uniform(s);
    case LOGNORMAL:
        return exp(2.0 * normal(s));
    case ZERO_MASS:
        return uniform(s) < 0.9 ? 0.0 : -log(uniform(s)) * 40.0;
    case POISSON:
        return poisson3(s);
    default:
        return uniform(s) < 0.05 ? 1.0 : 0.0;
    }
}

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* R's quantile(x, q, type = 7) on sorted x. */
static double r_type7(const double *x, size_t n, double q)
{
    double index = 1.0 + (double)(n - 1) * q;
    double lo = floor(index), hi = ceil(index);
    double qs = x[(size_t)lo - 1];
    if (index > lo && x[(size_t)hi - 1] != qs) {
        double h = index - lo;
        qs = (1.0 - h) * qs + h * x[(size_t)hi - 1];
    }
    return qs;
}

/* Count of sorted x below v (strict) or at most v. */
static size_t count_below(const double *x, size_t n, double v, int or_equal)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x[mid] < v || (or_equal && x[mid] == v))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static double rank_error(const double *sorted, size_t n, double q, double v)
{
    double lo = (double)count_below(sorted, n, v, 0) / (double)n;
    double hi = (double)count_below(sorted, n, v, 1) / (double)n;
    return q < lo ? lo - q : (q > hi ? q - hi : 0.0);
}

/* Add x[0..n) in blocks of 64 to a fresh accumulator of size k. */
static ree_acc *sketch_blocks(const double *x, size_t n, size_t k)
{
    ree_acc *a = ree_acc_alloc(1, k);
    ree_block *b = ree_block_alloc(1);
    assert_non_null(a);
    assert_non_null(b);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(ree_block_add(b, &x[i]), 0);
        if ((i + 1) % BLOCK == 0 || i + 1 == n) {
            assert_int_equal(ree_acc_merge_block(a, b), 0);
            ree_block_reset(b);
        }
    }
    ree_block_free(b);
    return a;
}

/* Worst rank error over p05..p95 for one kind (and, printed on request, the value error in
 * standard deviations). */
static double measure(enum kind kind, size_t k, int print)
{
    double *x = malloc(N * sizeof *x);
    assert_non_null(x);
    uint64_t seed = 0x5DEECE66Du + (uint64_t)kind * 7919u;
    for (size_t i = 0; i < N; i++)
        x[i] = draw(kind, &seed);
    ree_acc *a = sketch_blocks(x, N, k);
    ree_cell_stats s;
    ree_acc_cell(a, 0, &s);
    qsort(x, N, sizeof *x, cmp_double);
    const double qs[5] = {0.05, 0.25, 0.5, 0.75, 0.95};
    const double got[5] = {s.p05, s.p25, s.p50, s.p75, s.p95};
    double worst = 0.0;
    for (int i = 0; i < 5; i++) {
        double e = rank_error(x, N, qs[i], got[i]);
        if (e > worst)
            worst = e;
        if (print)
            printf("accuracy k=%zu n=%d kind=\"%s\" q=%.2f sketch=%.6g exact=%.6g rank_err=%.2e "
                   "value_err_sd=%.3f\n",
                   k, N, kind_name[kind], qs[i], got[i], r_type7(x, N, qs[i]), e,
                   fabs(got[i] - r_type7(x, N, qs[i])) / s.sd);
    }
    /* Extremes and count are exact; the mean to rounding. */
    assert_true(s.n == (double)N);
    assert_true(s.min == x[0] && s.max == x[N - 1]);
    ree_acc_free(a);
    free(x);
    return worst;
}

/* The bound of docs/statistics.md, H/(2 floor(k/(H+1))), with H = 10 levels above the first for
 * n = 10^5 at k = 512 (log2(n/k) + 2 = 9.6), taken as 12 for margin: 0.154. The measured error
 * is far smaller; each kind also has a ceiling at about twice what was measured (see
 * docs/statistics.md), so a regression of the sketch shows. */
static void test_rank_error_by_kind(void **state)
{
    (void)state;
    const double guaranteed = 12.0 / (2.0 * (double)(REE_ACC_DEFAULT_K / 13));
    const double ceiling[NKIND] = {1e-2, 1e-2, 1e-2, 1e-3, 1e-3};
    int print = getenv("REE_PRINT_ACCURACY") != NULL;
    for (int k = 0; k < NKIND; k++) {
        double worst = measure((enum kind)k, REE_ACC_DEFAULT_K, print);
        assert_true(worst <= guaranteed);
        assert_true(worst <= ceiling[k]);
    }
    if (print)
        for (int k = 0; k < NKIND; k++)
            printf("accuracy k=1024 worst_rank_err kind=\"%s\" %.2e\n", kind_name[k],
                   measure((enum kind)k, 1024, 0));
}

/* While a cell holds at most 2k values, blocks give R's type 7 bit for bit. */
static void test_blocks_exact_while_small(void **state)
{
    (void)state;
    static const size_t sizes[] = {1, 2, 63, 64, 65, 200, 1000, 2 * REE_ACC_DEFAULT_K};
    double *x = malloc(2 * REE_ACC_DEFAULT_K * sizeof *x);
    assert_non_null(x);
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++)
        for (int kind = 0; kind < NKIND; kind++) {
            size_t n = sizes[t];
            uint64_t seed = 1234567u + n;
            for (size_t i = 0; i < n; i++)
                x[i] = draw((enum kind)kind, &seed);
            ree_acc *a = sketch_blocks(x, n, REE_ACC_DEFAULT_K);
            qsort(x, n, sizeof *x, cmp_double);
            for (int qi = 0; qi <= 100; qi++) {
                double q = qi / 100.0;
                assert_true(ree_acc_quantile(a, 0, q) == r_type7(x, n, q));
            }
            ree_acc_free(a);
        }
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rank_error_by_kind),
        cmocka_unit_test(test_blocks_exact_while_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Tests for engine/stats/stats*.c: moments, exact and sketched quantiles, merge, determinism, memory. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sort.h"
#include "stats.h"

/* Ten realistic monthly shortfalls (kt). Sorted: 0.15 0.72 1.2 1.95 2.385 2.8 3.3 3.75 4.1 5.06. */
static const double ten[10] = {2.385, 0.72, 4.1, 1.95, 3.3, 0.15, 2.8, 5.06, 1.2, 3.75};

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
    return (double)(xorshift(s) >> 11) * 0x1.0p-53;
}

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* R's quantile(x, q, type = 7), transcribed from R's source line by line (x sorted). */
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

static int near(double x, double want, double tol)
{
    return fabs(x - want) <= tol;
}

static void add_one(ree_acc *a, double x)
{
    assert_int_equal(ree_acc_add(a, &x), 0);
}

static void test_ten_values_by_hand(void **state)
{
    (void)state;
    ree_acc *a = ree_acc_alloc(1, 0);
    assert_non_null(a);
    for (int i = 0; i < 10; i++)
        add_one(a, ten[i]);
    ree_cell_stats s;
    ree_acc_cell(a, 0, &s);
    assert_true(s.n == 10.0);
    /* Sum 25.415, mean 2.5415; two-pass variance 22.0855025 / 9 = 2.45394472222. */
    assert_true(near(s.mean, 2.5415, 1e-12));
    assert_true(near(s.sd, 1.5665071727324524, 1e-12));
    assert_true(s.min == 0.15);
    assert_true(s.max == 5.06);
    /* Type 7, index = 1 + 9q:
     * p05: 1.45 -> 0.55*0.15 + 0.45*0.72 = 0.4065
     * p25: 3.25 -> 0.75*1.2 + 0.25*1.95 = 1.3875
     * p50: 5.5  -> 0.5*2.385 + 0.5*2.8 = 2.5925
     * p75: 7.75 -> 0.25*3.3 + 0.75*3.75 = 3.6375
     * p95: 9.55 -> 0.45*4.1 + 0.55*5.06 = 4.628 */
    assert_true(near(s.p05, 0.4065, 1e-12));
    assert_true(near(s.p25, 1.3875, 1e-12));
    assert_true(near(s.p50, 2.5925, 1e-12));
    assert_true(near(s.p75, 3.6375, 1e-12));
    assert_true(near(s.p95, 4.628, 1e-12));
    /* The ends are the exact extremes. */
    assert_true(ree_acc_quantile(a, 0, 0.0) == 0.15);
    assert_true(ree_acc_quantile(a, 0, 1.0) == 5.06);
    assert_true(isnan(ree_acc_quantile(a, 0, 1.5)));
    assert_true(isnan(ree_acc_quantile(a, 0, -0.1)));
    ree_acc_free(a);
}

/* With unit weights (n <= 2k) every quantile equals R's type 7 bit for bit. */
static void test_matches_r_type7_exactly(void **state)
{
    (void)state;
    static const size_t sizes[] = {1, 2, 3, 10, 17, 64, 100, 2048};
    uint64_t seed = 0x9E3779B97F4A7C15u;
    double *x = malloc(2048 * sizeof *x);
    assert_non_null(x);
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        size_t n = sizes[t];
        ree_acc *a = ree_acc_alloc(1, 1024);
        assert_non_null(a);
        for (size_t i = 0; i < n; i++) {
            /* Rounded to 0.01 so that ties occur, as with integer-valued outputs. */
            x[i] = round(uniform(&seed) * 300.0) / 100.0 + 12.5;
            add_one(a, x[i]);
        }
        qsort(x, n, sizeof *x, cmp_double);
        for (int qi = 0; qi <= 200; qi++) {
            double q = qi / 200.0;
            assert_true(ree_acc_quantile(a, 0, q) == r_type7(x, n, q));
        }
        ree_cell_stats s;
        ree_acc_cell(a, 0, &s);
        assert_true(s.p05 == r_type7(x, n, 0.05));
        assert_true(s.p25 == r_type7(x, n, 0.25));
        assert_true(s.p50 == r_type7(x, n, 0.5));
        assert_true(s.p75 == r_type7(x, n, 0.75));
        assert_true(s.p95 == r_type7(x, n, 0.95));
        ree_acc_free(a);
    }
    free(x);
}

static void test_empty_cell_is_nan(void **state)
{
    (void)state;
    ree_acc *a = ree_acc_alloc(3, 64);
    assert_non_null(a);
    assert_int_equal(ree_acc_ncell(a), 3);
    ree_cell_stats s;
    ree_acc_cell(a, 1, &s);
    assert_true(s.n == 0.0);
    assert_true(isnan(s.mean) && isnan(s.sd) && isnan(s.min) && isnan(s.max));
    assert_true(isnan(s.p05) && isnan(s.p50) && isnan(s.p95));
    assert_true(isnan(ree_acc_quantile(a, 1, 0.5)));
    assert_int_equal(ree_acc_points(a, 1), 0);

    /* One value: sd 0, every quantile that value. After reset: empty again. */
    double v[3] = {7.25, -3.5, 0.0};
    assert_int_equal(ree_acc_add(a, v), 0);
    ree_acc_cell(a, 0, &s);
    assert_true(s.n == 1.0 && s.mean == 7.25 && s.sd == 0.0 && s.p05 == 7.25 && s.p95 == 7.25);
    ree_acc_reset(a);
    ree_acc_cell(a, 0, &s);
    assert_true(s.n == 0.0 && isnan(s.p50));
    ree_acc_free(a);
    ree_acc_free(NULL);
}

/* Blocks of runs merged in order equal one accumulator fed every run, while exact. */
static void test_merge_equals_single_when_exact(void **state)
{
    (void)state;
    enum { NCELL = 2, NRUN = 1500, BLOCK = 64 };
    ree_acc *all = ree_acc_alloc(NCELL, 1024);
    ree_acc *total = ree_acc_alloc(NCELL, 1024);
    ree_acc *block = ree_acc_alloc(NCELL, 1024);
    assert_non_null(all);
    assert_non_null(total);
    assert_non_null(block);
    uint64_t seed = 20250404;
    for (int r = 0; r < NRUN; r++) {
        double v[NCELL] = {310.0 * (0.8 + 0.4 * uniform(&seed)), -log(uniform(&seed) + 1e-300)};
        assert_int_equal(ree_acc_add(all, v), 0);
        assert_int_equal(ree_acc_add(block, v), 0);
        if ((r + 1) % BLOCK == 0 || r + 1 == NRUN) {
            assert_int_equal(ree_acc_merge(total, block), 0);
            ree_acc_reset(block);
        }
    }
    for (size_t c = 0; c < NCELL; c++) {
        ree_cell_stats s1, s2;
        ree_acc_cell(all, c, &s1);
        ree_acc_cell(total, c, &s2);
        assert_true(s1.n == s2.n);
        assert_true(s1.min == s2.min && s1.max == s2.max);
        /* Same multiset of points: quantiles bit-identical. */
        assert_true(s1.p05 == s2.p05 && s1.p25 == s2.p25 && s1.p50 == s2.p50);
        assert_true(s1.p75 == s2.p75 && s1.p95 == s2.p95);
        /* Welford vs Chan merge: same value to rounding. */
        assert_true(near(s1.mean, s2.mean, 1e-12 * fabs(s1.mean)));
        assert_true(near(s1.sd, s2.sd, 1e-10 * s1.sd));
    }
    /* Mismatched shapes and self-merge are refused. */
    ree_acc *other = ree_acc_alloc(NCELL + 1, 1024);
    assert_non_null(other);
    assert_int_equal(ree_acc_merge(total, other), -1);
    assert_int_equal(ree_acc_merge(total, total), -1);
    ree_acc_free(other);
    ree_acc_free(all);
    ree_acc_free(total);
    ree_acc_free(block);
}

static void run_blocks(ree_acc *total, ree_acc *block, uint64_t seed, int nrun, int blocksize)
{
    for (int r = 0; r < nrun; r++) {
        double v[2] = {uniform(&seed) * 1000.0, uniform(&seed) - 0.5};
        assert_int_equal(ree_acc_add(block, v), 0);
        if ((r + 1) % blocksize == 0 || r + 1 == nrun) {
            assert_int_equal(ree_acc_merge(total, block), 0);
            ree_acc_reset(block);
        }
    }
}

/* Same sequence of adds and merges, sketching included: bit-identical results. */
static void test_determinism(void **state)
{
    (void)state;
    ree_cell_stats s[2][2];
    for (int rep = 0; rep < 2; rep++) {
        ree_acc *total = ree_acc_alloc(2, 32);
        ree_acc *block = ree_acc_alloc(2, 32);
        assert_non_null(total);
        assert_non_null(block);
        run_blocks(total, block, 77, 20000, 500);
        ree_acc_cell(total, 0, &s[rep][0]);
        ree_acc_cell(total, 1, &s[rep][1]);
        ree_acc_free(total);
        ree_acc_free(block);
    }
    assert_memory_equal(&s[0][0], &s[1][0], sizeof s[0][0]);
    assert_memory_equal(&s[0][1], &s[1][1], sizeof s[0][1]);
    assert_true(s[0][0].n == 20000.0);
}

/* 10^6 distinct values (i/n shuffled) with k = 1024: the rank error of every percentile stays
 * within the guaranteed bound of docs/statistics.md (H/(2 floor(k/(H+1))); H is 12 here, taken
 * as 14 for margin, giving 0.103) and within the much smaller error observed for such data. */
static void test_sketch_error_uniform(void **state)
{
    (void)state;
    enum { N = 1000000 };
    double *x = malloc(N * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < N; i++)
        x[i] = (double)i / N;
    uint64_t seed = 12345;
    for (size_t i = N - 1; i > 0; i--) {
        size_t j = (size_t)(xorshift(&seed) % (i + 1));
        double t = x[i];
        x[i] = x[j];
        x[j] = t;
    }
    ree_acc *a = ree_acc_alloc(1, 1024);
    assert_non_null(a);
    for (size_t i = 0; i < N; i++)
        add_one(a, x[i]);
    assert_true(ree_acc_points(a, 0) <= 2048);
    double worst = 0.0;
    for (int qi = 1; qi < 100; qi++) {
        double q = qi / 100.0;
        /* The exact value at q is (n-1)q/n: its rank in units of n is the value itself. */
        double err = fabs(ree_acc_quantile(a, 0, q) - (N - 1) * q / N);
        if (err > worst)
            worst = err;
    }
    double guaranteed = 14.0 / (2.0 * (1024 / 15));
    assert_true(worst <= guaranteed);
    assert_true(worst <= 0.005); /* observed: see docs/statistics.md */
    ree_cell_stats s;
    ree_acc_cell(a, 0, &s);
    assert_true(s.min == 0.0 && s.max == (double)(N - 1) / N);
    assert_true(near(s.mean, 0.4999995, 1e-9));
    ree_acc_free(a);
    free(x);
}

/* The sketch never holds more than 2k points, through adds and merges. */
static void test_memory_bound(void **state)
{
    (void)state;
    ree_acc *a = ree_acc_alloc(1, 8); /* raised to the minimum k = 32 */
    ree_acc *b = ree_acc_alloc(1, 8);
    assert_non_null(a);
    assert_non_null(b);
    uint64_t seed = 99;
    double nb = 0.0;
    for (int i = 0; i < 100000; i++) {
        add_one(a, uniform(&seed));
        assert_true(ree_acc_points(a, 0) <= 64);
        if (i % 3 == 0) {
            add_one(b, uniform(&seed) + 1.0);
            nb += 1.0;
            assert_true(ree_acc_points(b, 0) <= 64);
        }
        if (i % 1000 == 999) {
            assert_int_equal(ree_acc_merge(a, b), 0);
            assert_true(ree_acc_points(a, 0) <= 64);
            ree_acc_reset(b);
        }
    }
    ree_cell_stats s;
    ree_acc_cell(a, 0, &s);
    assert_true(s.n == 100000.0 + nb);
    assert_true(s.p05 >= s.min && s.p05 <= s.p25 && s.p25 <= s.p50);
    assert_true(s.p50 <= s.p75 && s.p75 <= s.p95 && s.p95 <= s.max);
    ree_acc_free(a);
    ree_acc_free(b);
}

/* A block (ree_block, what the driver uses) merged in order gives bit-identical statistics to the
 * same runs added to an ree_acc block accumulator and merged: moments in run order, the same
 * sketch. Sketched (k = 32 and 512), with point masses, -0.0, ties, constant and sorted blocks. */
static void test_block_equals_acc_block(void **state)
{
    (void)state;
    enum { NCELL = 6, NRUN = 30000 };
    static const size_t ks[] = {32, 512};
    for (size_t t = 0; t < 4; t++) {
        ree_sort_set_avx(t < 2 ? -1 : 0); /* the AVX loops where they run, then the plain ones */
        ree_acc *ta = ree_acc_alloc(NCELL, ks[t % 2]);
        ree_acc *tb = ree_acc_alloc(NCELL, ks[t % 2]);
        ree_acc *acc = ree_acc_alloc(NCELL, 32); /* 2k = 64: a block stays exact */
        ree_block *blk = ree_block_alloc(NCELL);
        assert_non_null(ta);
        assert_non_null(tb);
        assert_non_null(acc);
        assert_non_null(blk);
        uint64_t seed = 4242;
        for (int r = 0; r < NRUN; r++) {
            double u = uniform(&seed);
            double v[NCELL] = {
                uniform(&seed) * 100.0,                              /* continuous */
                u < 0.9 ? 0.0 : -log(uniform(&seed)),                /* point mass at zero */
                u < 0.5 ? -0.0 : 0.0,                                /* signed zeros */
                round(uniform(&seed) * 4.0),                         /* ties */
                (double)(r / 640),                                   /* constant within blocks */
                (double)(r % 64) + (uniform(&seed) < 0.01 ? 0.5 : 0) /* mostly sorted */
            };
            assert_int_equal(ree_acc_add(acc, v), 0);
            assert_int_equal(ree_block_add(blk, v), 0);
            if ((r + 1) % 64 == 0 || r + 1 == NRUN) {
                assert_int_equal(ree_acc_merge(ta, acc), 0);
                assert_int_equal(ree_acc_merge_block(tb, blk), 0);
                ree_acc_reset(acc);
                ree_block_reset(blk);
            }
        }
        for (size_t c = 0; c < NCELL; c++) {
            ree_cell_stats sa, sb;
            ree_acc_cell(ta, c, &sa);
            ree_acc_cell(tb, c, &sb);
            assert_memory_equal(&sa, &sb, sizeof sa);
            assert_int_equal(ree_acc_points(ta, c), ree_acc_points(tb, c));
            assert_true(ree_acc_points(tb, c) <= 2 * ks[t % 2]);
            for (int qi = 0; qi <= 50; qi++) {
                double q = qi / 50.0, qa = ree_acc_quantile(ta, c, q);
                double qb = ree_acc_quantile(tb, c, q);
                assert_memory_equal(&qa, &qb, sizeof qa);
            }
        }
        /* A full block refuses more runs; a shape mismatch is refused. */
        for (int i = 0; i < REE_BLOCK_MAX; i++)
            assert_int_equal(ree_block_add(blk, (double[NCELL]){0}), 0);
        assert_int_equal(ree_block_runs(blk), REE_BLOCK_MAX);
        assert_int_equal(ree_block_add(blk, (double[NCELL]){0}), -1);
        ree_acc *other = ree_acc_alloc(NCELL + 1, 64);
        assert_non_null(other);
        assert_int_equal(ree_acc_merge_block(other, blk), -1);
        ree_acc_free(other);
        ree_acc_free(ta);
        ree_acc_free(tb);
        ree_acc_free(acc);
        ree_block_free(blk);
    }
    ree_block_free(NULL);
    assert_null(ree_block_alloc(SIZE_MAX / 16)); /* size overflow refused, not wrapped */
    ree_sort_set_avx(-1);
}

/* A block built with the AVX-512 code (the 8 x 8 transposes of the staged runs into the columns)
 * is the same bytes as with the AVX and the plain code: moments and
 * columns, for cell counts around multiples of 8 and full and partial blocks (a partial stage is
 * moved by the plain loop), on values of every kind. A column of zeros of both signs is not reordered by
 * sealing, so its packed column must be the runs in order: a transpose that mixed runs up would
 * show there. */
static void test_block_avx512_same_bytes(void **state)
{
    (void)state;
    static const size_t ncells[] = {1, 7, 8, 9, 16, 23, 70};
    static const int nruns[] = {1, 5, 8, 9, 16, 37, 64};
    static const double odd[] = {0.0, -0.0, NAN, INFINITY, -INFINITY, 1.5, -2.25, 0x1p-1074};
    uint64_t seed = 99;
    for (size_t a = 0; a < sizeof ncells / sizeof *ncells; a++)
        for (size_t r = 0; r < sizeof nruns / sizeof *nruns; r++) {
            size_t nc = ncells[a];
            int n = nruns[r];
            double *v = malloc((size_t)n * nc * sizeof *v);
            assert_non_null(v);
            for (int run = 0; run < n; run++)
                for (size_t c = 0; c < nc; c++) {
                    double u = uniform(&seed), *x = &v[(size_t)run * nc + c];
                    switch (c % 6) {
                    case 0:
                        *x = u * 100.0 - 50.0;
                        break;
                    case 1:
                        *x = u < 0.5 ? -0.0 : 0.0;
                        break;
                    case 2:
                        *x = odd[(size_t)(u * 8.0)];
                        break;
                    case 3:
                        *x = round(u * 4.0);
                        break;
                    case 4:
                        *x = 7.0;
                        break;
                    default:
                        *x = (u - 0.5) * 0x1p900;
                        break;
                    }
                }
            unsigned char *bytes[3];
            size_t len[3];
            for (int t = 0; t < 3; t++) {
                ree_sort_set_avx(1 - t); /* AVX, plain, AVX-512 (where they run) */
                ree_block *b = ree_block_alloc(nc);
                assert_non_null(b);
                for (int run = 0; run < n; run++)
                    assert_int_equal(ree_block_add(b, v + (size_t)run * nc), 0);
                len[t] = ree_block_pack(b, NULL, 0);
                bytes[t] = malloc(len[t]);
                assert_non_null(bytes[t]);
                assert_int_equal(ree_block_pack(b, bytes[t], len[t]), len[t]);
                ree_block_free(b);
            }
            for (int t = 1; t < 3; t++) {
                assert_int_equal(len[0], len[t]);
                assert_memory_equal(bytes[0], bytes[t], len[0]);
            }
            /* Layout (ree_block_pack_cells): 3 words, 4 x nc moments, then nc columns of n. */
            const unsigned char *cols = bytes[0] + 3 * sizeof(uint64_t) + 4 * nc * sizeof(double);
            for (size_t c = 1; c < nc; c += 6)
                for (int run = 0; run < n; run++)
                    assert_memory_equal(cols + (c * (size_t)n + (size_t)run) * sizeof(double),
                                        &v[(size_t)run * nc + c], sizeof(double));
            for (int t = 0; t < 3; t++)
                free(bytes[t]);
            free(v);
        }
    ree_sort_set_avx(-1);
}

/* The sketch pool (stats.c: cells past POOL_FROM points take a slot of one mapping) changes where
 * points live, never what they are: accumulators fed and merged alike, with the pool and without,
 * pack to the same bytes. Cells of every kind: continuous, zeros of both signs, few values, a point
 * mass that breaks late (materialised straight into a slot), one that never does, huge values. */
static void test_acc_pool_same_bytes(void **state)
{
    (void)state;
    enum { NC = 37, RUNS = 2600, MORE = 700 };
    unsigned char *bytes[2];
    size_t len[2];
    for (int t = 0; t < 2; t++) {
        ree_acc_set_pool(t == 0 ? 2 : 0); /* 2: a pool at this size too */
        ree_acc *a = ree_acc_alloc(NC, 64), *b = ree_acc_alloc(NC, 64);
        assert_non_null(a);
        assert_non_null(b);
        uint64_t seed = 7;
        double v[NC];
        for (int run = 0; run < RUNS + MORE; run++) {
            for (size_t c = 0; c < NC; c++) {
                double u = uniform(&seed);
                switch (c % 6) {
                case 0:
                    v[c] = u * 100.0 - 50.0;
                    break;
                case 1:
                    v[c] = u < 0.5 ? -0.0 : 0.0;
                    break;
                case 2:
                    v[c] = round(u * 4.0);
                    break;
                case 3:
                    v[c] = run < 1500 ? 7.0 : u; /* a point mass until run 1500 */
                    break;
                case 4:
                    v[c] = 7.0;
                    break;
                default:
                    v[c] = (u - 0.5) * 0x1p900;
                    break;
                }
            }
            assert_int_equal(ree_acc_add(run < RUNS ? a : b, v), 0);
        }
        assert_int_equal(ree_acc_merge(a, b), 0);
        /* a slot only for the cells that left the heap: not the six point masses (c % 6 == 4),
         * whose slots' pages are then never touched; none without a pool (also under ASan) */
        size_t slots = ree_acc_pool_slots(a);
        assert_true(slots == 0 || (t == 0 && slots == NC - 6));
        len[t] = ree_acc_pack(a, NULL, 0);
        bytes[t] = malloc(len[t]);
        assert_non_null(bytes[t]);
        assert_int_equal(ree_acc_pack(a, bytes[t], len[t]), len[t]);
        ree_acc_free(a);
        ree_acc_free(b);
    }
    const char *pool = getenv("REESIM_TEST_POOL");
    ree_acc_set_pool(pool ? atoi(pool) : 1); /* as main() set it */
    assert_int_equal(len[0], len[1]);
    assert_memory_equal(bytes[0], bytes[1], len[0]);
    free(bytes[0]);
    free(bytes[1]);
}

/* A total of size k accepts blocks of 64 even when k < 64 (k = 32: the driver's --quantile-k 32).
 */
static void test_small_k_takes_blocks(void **state)
{
    (void)state;
    ree_acc *a = ree_acc_alloc(1, 32);
    ree_block *b = ree_block_alloc(1);
    assert_non_null(a);
    assert_non_null(b);
    uint64_t seed = 5;
    for (int blk = 0; blk < 100; blk++) {
        for (int i = 0; i < 64; i++) {
            double x = uniform(&seed);
            assert_int_equal(ree_block_add(b, &x), 0);
        }
        assert_int_equal(ree_acc_merge_block(a, b), 0);
        assert_true(ree_acc_points(a, 0) <= 64);
        ree_block_reset(b);
    }
    ree_cell_stats s;
    ree_acc_cell(a, 0, &s);
    assert_true(s.n == 6400.0 && s.p50 > 0.4 && s.p50 < 0.6);
    assert_true(ree_acc_bytes(a) > 0);
    ree_acc_free(a);
    ree_block_free(b);
}

/* The weights of a cell's points, sorted: the level structure, which depends only on the counts. */
static size_t level_weights(const ree_acc *a, size_t cell, double *w)
{
    size_t n = ree_acc_points(a, cell);
    double *x = malloc((n ? n : 1) * sizeof *x);
    assert_non_null(x);
    assert_int_equal(ree_acc_weighted_points(a, cell, x, w), n);
    free(x);
    qsort(w, n, sizeof *w, cmp_double);
    return n;
}

/* Point masses: a cell whose values are all the same double holds no points, yet moves through
 * the same levels as any cell (its counts follow the ordinary rules), and a cell that stops
 * being constant -- before or after compaction, through adds, block merges, sketch merges or a
 * pack/unpack -- answers bit for bit as the other paths do. */
static void test_point_mass_cells(void **state)
{
    (void)state;
    enum { NCELL = 6, NRUN = 9000 };
    static const size_t ks[] = {32, 512};
    for (size_t t = 0; t < 2; t++) {
        ree_acc *byadd = ree_acc_alloc(NCELL, ks[t]), *bymerge = ree_acc_alloc(NCELL, ks[t]);
        ree_acc *byblock = ree_acc_alloc(NCELL, ks[t]), *acc = ree_acc_alloc(NCELL, 32);
        ree_block *blk = ree_block_alloc(NCELL);
        assert_true(byadd && bymerge && byblock && acc && blk);
        uint64_t seed = 77;
        for (int r = 0; r < NRUN; r++) {
            double u = uniform(&seed), d = uniform(&seed);
            double v[NCELL] = {
                0.0,                    /* a point mass for ever */
                r < 5000 ? 0.0 : u,     /* constant well past 2k, then continuous */
                r < 100 ? 0.0 : u,      /* constant while exact */
                r == 3000 ? -0.0 : 0.0, /* one signed zero: not the same double */
                r < 2000 ? 7.5 : (u < 0.5 ? 0.0 : 7.5),
                r < 5000 ? d : u, /* shadow of cell 1 with distinct values */
            };
            assert_int_equal(ree_acc_add(byadd, v), 0);
            assert_int_equal(ree_acc_add(acc, v), 0);
            assert_int_equal(ree_block_add(blk, v), 0);
            if ((r + 1) % 64 == 0 || r + 1 == NRUN) {
                assert_int_equal(ree_acc_merge(bymerge, acc), 0);
                if (r / 64 == 60) { /* ship one block through its bytes */
                    size_t need = ree_block_pack(blk, NULL, 0);
                    unsigned char *buf = malloc(need);
                    assert_non_null(buf);
                    assert_int_equal(ree_block_pack(blk, buf, need), need);
                    ree_block_reset(blk);
                    assert_int_equal(ree_block_unpack(blk, buf, need), need);
                    free(buf);
                }
                assert_int_equal(ree_acc_merge_block(byblock, blk), 0);
                ree_acc_reset(acc);
                ree_block_reset(blk);
            }
        }
        /* The totals through an acc's bytes, too. */
        size_t need = ree_acc_pack(byblock, NULL, 0);
        unsigned char *buf = malloc(need);
        ree_acc *unpacked = ree_acc_alloc(NCELL, ks[t]);
        assert_true(buf && unpacked);
        assert_int_equal(ree_acc_pack(byblock, buf, need), need);
        assert_int_equal(ree_acc_unpack(unpacked, buf, need), need);
        free(buf);
        double *w1 = malloc(2 * ks[t] * sizeof *w1), *w2 = malloc(2 * ks[t] * sizeof *w2);
        assert_true(w1 && w2);
        for (size_t c = 0; c < NCELL; c++) {
            ree_cell_stats sm, sb, su;
            ree_acc_cell(bymerge, c, &sm);
            ree_acc_cell(byblock, c, &sb);
            ree_acc_cell(unpacked, c, &su);
            assert_memory_equal(&sm, &sb, sizeof sm);
            assert_memory_equal(&sm, &su, sizeof sm);
            assert_true(sm.n == NRUN);
            for (int qi = 0; qi <= 40; qi++) {
                double q = qi / 40.0, qm = ree_acc_quantile(bymerge, c, q);
                double qb = ree_acc_quantile(byblock, c, q);
                assert_memory_equal(&qm, &qb, sizeof qm);
            }
            /* Weight is kept on every path. */
            ree_acc *all[3] = {byadd, bymerge, byblock};
            for (int i = 0; i < 3; i++) {
                size_t n = level_weights(all[i], c, w1);
                double sum = 0.0;
                for (size_t j = 0; j < n; j++)
                    sum += w1[j];
                assert_true(sum == NRUN);
            }
        }
        /* Compaction depends only on the counts: the constant-then-continuous cell and its
         * shadow have the same points' weights on every path. */
        ree_acc *all[3] = {byadd, bymerge, byblock};
        for (int i = 0; i < 3; i++) {
            size_t n1 = level_weights(all[i], 1, w1), n5 = level_weights(all[i], 5, w2);
            assert_int_equal(n1, n5);
            assert_memory_equal(w1, w2, n1 * sizeof *w1);
            double zero = 0.0, q0 = ree_acc_quantile(all[i], 0, 0.5);
            assert_memory_equal(&q0, &zero, sizeof zero); /* +0.0, not -0.0 */
        }
        double negzero = -0.0, lo = ree_acc_quantile(byblock, 3, 0.0);
        assert_true(lo == 0.0); /* min of {0.0 ..., -0.0}: both compare equal */
        (void)negzero;
        free(w1);
        free(w2);
        ree_acc_free(byadd);
        ree_acc_free(bymerge);
        ree_acc_free(byblock);
        ree_acc_free(unpacked);
        ree_acc_free(acc);
        ree_block_free(blk);
    }
}

/* Memory: cells that only ever saw one value (all-zero shortfalls, constant capacities) keep no
 * sketch points, whatever the number of runs. */
static void test_point_mass_memory(void **state)
{
    (void)state;
    enum { NCELL = 1000 };
    ree_acc *a = ree_acc_alloc(NCELL, 512);
    ree_block *blk = ree_block_alloc(NCELL);
    double *v = calloc(NCELL, sizeof *v);
    assert_true(a && blk && v);
    for (int i = 0; i < NCELL; i++)
        v[i] = i % 2 ? 0.0 : 250.0; /* zeros and a constant capacity */
    for (int r = 0; r < 4096; r++) {
        assert_int_equal(ree_block_add(blk, v), 0);
        if ((r + 1) % 64 == 0) {
            assert_int_equal(ree_acc_merge_block(a, blk), 0);
            ree_block_reset(blk);
        }
    }
    assert_true(ree_acc_points(a, 0) > 1000); /* about 2k points logically... */
    size_t bytes = ree_acc_bytes(a);          /* ...but none stored */
    assert_true(bytes < NCELL * 512 + 64 * 1024);
    ree_cell_stats s;
    ree_acc_cell(a, 0, &s);
    assert_true(s.p05 == 250.0 && s.p95 == 250.0 && s.sd == 0.0 && s.n == 4096.0);
    ree_acc_free(a);
    ree_block_free(blk);
    free(v);
}

int main(void)
{
    /* REESIM_TEST_POOL=2 (tests/CMakeLists.txt, the *_pool runs): every accumulator maps its
     * sketch pool, whatever its size (the plain runs keep small ones on the heap) */
    const char *pool = getenv("REESIM_TEST_POOL");
    if (pool)
        ree_acc_set_pool(atoi(pool));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ten_values_by_hand),
        cmocka_unit_test(test_matches_r_type7_exactly),
        cmocka_unit_test(test_empty_cell_is_nan),
        cmocka_unit_test(test_merge_equals_single_when_exact),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_sketch_error_uniform),
        cmocka_unit_test(test_memory_bound),
        cmocka_unit_test(test_block_equals_acc_block),
        cmocka_unit_test(test_block_avx512_same_bytes),
        cmocka_unit_test(test_acc_pool_same_bytes),
        cmocka_unit_test(test_small_k_takes_blocks),
        cmocka_unit_test(test_point_mass_cells),
        cmocka_unit_test(test_point_mass_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

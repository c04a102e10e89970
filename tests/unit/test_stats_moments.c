/* Tests for moments-only accumulators and blocks (ree_acc_alloc_moments, ree_block_alloc_moments,
 * stats.h): for the same adds and merges (whole, by blocks, by ranges of cells, through packed
 * bytes) their n, mean, sd, min and max are the same bits as a full accumulator's; they give no
 * quantiles; their bytes fit only their own kind. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stats.h"

#define NCELL 5

/* Cell 0: random; 1: zeros; 2: zero in most runs, else large; 3: a constant; 4: few values. */
static void run_values(uint64_t *s, double *v)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    double u = (double)(*s >> 11) * 0x1.0p-53;
    v[0] = u * 100.0 - 20.0;
    v[1] = 0.0;
    v[2] = u < 0.9 ? 0.0 : 1e6 * u;
    v[3] = 3.25;
    v[4] = floor(u * 4.0) - 1.5;
}

/* n, mean, sd, min and max of every cell: the same bits in `full` and `light`. */
static void assert_same_moments(const ree_acc *full, const ree_acc *light)
{
    for (size_t c = 0; c < NCELL; c++) {
        ree_cell_stats s, t;
        ree_acc_cell(full, c, &s);
        ree_acc_cell(light, c, &t);
        double a[5] = {s.n, s.mean, s.sd, s.min, s.max}, b[5] = {t.n, t.mean, t.sd, t.min, t.max};
        assert_memory_equal(a, b, sizeof a);
        assert_true(s.n > 0);
        assert_true(isnan(t.p05) && isnan(t.p25) && isnan(t.p50) && isnan(t.p75) && isnan(t.p95));
        double q0 = ree_acc_quantile(light, c, 0.0), q1 = ree_acc_quantile(light, c, 1.0);
        assert_memory_equal(&q0, &s.min, sizeof q0);
        assert_memory_equal(&q1, &s.max, sizeof q1);
        assert_true(isnan(ree_acc_quantile(light, c, 0.5)));
        assert_int_equal(ree_acc_points(light, c), 0);
    }
}

/* Blocks of `nb` runs each (the last one shorter), merged in block order by ranges of cells
 * {0,2} {2,5}: the full accumulator from full blocks, the light one from light blocks. */
static void merge_blocks(ree_acc *full, ree_acc *light, int nblock, uint64_t seed)
{
    ree_block *bf = ree_block_alloc(NCELL), *bl = ree_block_alloc_moments(NCELL);
    assert_non_null(bf);
    assert_non_null(bl);
    double *tmp = malloc(ree_acc_tmp_points(full) * sizeof *tmp);
    double *tmpl = malloc(ree_acc_tmp_points(light) * sizeof *tmpl);
    assert_non_null(tmp);
    assert_non_null(tmpl);
    for (int b = 0; b < nblock; b++) {
        ree_block_reset(bf);
        ree_block_reset(bl);
        int runs = b == nblock - 1 ? 17 : REE_BLOCK_MAX;
        for (int r = 0; r < runs; r++) {
            double v[NCELL];
            run_values(&seed, v);
            assert_int_equal(ree_block_add(bf, v), 0);
            assert_int_equal(ree_block_add(bl, v), 0);
        }
        assert_int_equal(ree_block_add(bl, (double[NCELL]){0}), runs == REE_BLOCK_MAX ? -1 : 0);
        if (runs < REE_BLOCK_MAX) { /* the extra run went into bl only: put it in bf too */
            assert_int_equal(ree_block_add(bf, (double[NCELL]){0}), 0);
        }
        ree_block_seal(bf);
        ree_block_seal(bl);
        assert_int_equal(ree_block_runs(bl), ree_block_runs(bf));
        /* A full accumulator refuses a light block; a light one takes either kind. */
        assert_int_equal(ree_acc_merge_block_cells(full, bl, 0, NCELL, tmp), -1);
        assert_int_equal(ree_acc_merge_block_cells(full, bf, 0, 2, tmp), 0);
        assert_int_equal(ree_acc_merge_block_cells(full, bf, 2, NCELL, tmp), 0);
        assert_int_equal(ree_acc_merge_block_cells(light, bl, 2, NCELL, tmpl), 0);
        assert_int_equal(ree_acc_merge_block_cells(light, bl, 0, 2, tmpl), 0);
    }
    free(tmp);
    free(tmpl);
    ree_block_free(bf);
    ree_block_free(bl);
}

/* Adds, block merges by ranges and whole merges from full and light accumulators: the same
 * moments, and far less memory. */
static void test_same_bits_as_full(void **state)
{
    (void)state;
    ree_acc *full = ree_acc_alloc(NCELL, 32), *light = ree_acc_alloc_moments(NCELL);
    assert_non_null(full);
    assert_non_null(light);
    assert_int_equal(ree_acc_has_quantiles(full), 1);
    assert_int_equal(ree_acc_has_quantiles(light), 0);
    uint64_t seed = 42;
    for (int r = 0; r < 150; r++) {
        double v[NCELL];
        run_values(&seed, v);
        assert_int_equal(ree_acc_add(full, v), 0);
        assert_int_equal(ree_acc_add(light, v), 0);
    }
    assert_same_moments(full, light);
    merge_blocks(full, light, 40, 7); /* past 2k = 64 points: the full sketch compacts */
    assert_same_moments(full, light);

    /* Whole merges: a full part into both, a light part into the light one (and its full twin
     * into the full one); a full accumulator refuses a light one. */
    ree_acc *pf = ree_acc_alloc(NCELL, 32), *pl = ree_acc_alloc_moments(NCELL);
    assert_non_null(pf);
    assert_non_null(pl);
    seed = 9;
    for (int r = 0; r < 500; r++) {
        double v[NCELL];
        run_values(&seed, v);
        assert_int_equal(ree_acc_add(pf, v), 0);
        assert_int_equal(ree_acc_add(pl, v), 0);
    }
    assert_int_equal(ree_acc_merge(full, pl), -1);
    assert_int_equal(ree_acc_merge(full, pf), 0);
    assert_int_equal(ree_acc_merge(light, pf), 0);
    assert_same_moments(full, light);
    assert_int_equal(ree_acc_merge(full, pf), 0);
    assert_int_equal(ree_acc_merge(light, pl), 0);
    assert_same_moments(full, light);
    assert_int_equal(ree_acc_merge(light, light), -1);

    assert_true(ree_acc_bytes(light) < 64 * NCELL + 128);
    assert_true(ree_acc_bytes(light) < ree_acc_bytes(full));
    ree_acc_reset(light);
    ree_cell_stats s;
    ree_acc_cell(light, 0, &s);
    assert_true(s.n == 0 && isnan(s.mean) && isnan(ree_acc_quantile(light, 0, 0.0)));
    ree_acc_free(pf);
    ree_acc_free(pl);
    ree_acc_free(full);
    ree_acc_free(light);
}

/* Ranges of cells of light totals and blocks travel as bytes (as between MPI ranks) and merge
 * as the originals would; the bytes of one kind do not unpack into the other. */
static void test_pack_ranges(void **state)
{
    (void)state;
    ree_acc *full = ree_acc_alloc(NCELL, 32), *light = ree_acc_alloc_moments(NCELL);
    assert_non_null(full);
    assert_non_null(light);
    merge_blocks(full, light, 5, 3);

    /* Totals by ranges {0,3} {3,5}, unpacked into an accumulator that held something else. */
    ree_acc *copy = ree_acc_alloc_moments(NCELL), *fcopy = ree_acc_alloc(NCELL, 32);
    assert_non_null(copy);
    assert_non_null(fcopy);
    assert_int_equal(ree_acc_add(copy, (double[NCELL]){1, 2, 3, 4, 5}), 0);
    size_t cuts[3] = {0, 3, NCELL};
    for (int part = 0; part < 2; part++) {
        size_t lo = cuts[part], hi = cuts[part + 1];
        size_t need = ree_acc_pack_cells(light, lo, hi, NULL, 0);
        assert_int_equal(need, 3 * sizeof(uint64_t) + (hi - lo) * 40);
        unsigned char *buf = malloc(need);
        assert_non_null(buf);
        assert_int_equal(ree_acc_pack_cells(light, lo, hi, buf, need), need);
        assert_int_equal(ree_acc_unpack_cells(copy, lo, hi, buf, need - 1), 0); /* short */
        assert_int_equal(ree_acc_unpack_cells(fcopy, lo, hi, buf, need), 0);    /* other kind */
        assert_int_equal(ree_acc_unpack_cells(copy, 0, NCELL, buf, need), 0);   /* other range */
        assert_int_equal(ree_acc_unpack_cells(copy, lo, hi, buf, need), need);
        free(buf);
    }
    assert_same_moments(full, copy);
    /* A full accumulator's bytes do not unpack into a light one. */
    size_t fneed = ree_acc_pack(full, NULL, 0);
    unsigned char *fbuf = malloc(fneed);
    assert_non_null(fbuf);
    assert_int_equal(ree_acc_pack(full, fbuf, fneed), fneed);
    assert_int_equal(ree_acc_unpack(copy, fbuf, fneed), 0);
    free(fbuf);

    /* A light block by ranges: 32 bytes a cell, no values; merged after unpacking, the same
     * totals as merging the block itself. */
    ree_block *bl = ree_block_alloc_moments(NCELL), *bl2 = ree_block_alloc_moments(NCELL);
    ree_block *bf = ree_block_alloc(NCELL);
    assert_non_null(bl);
    assert_non_null(bl2);
    assert_non_null(bf);
    uint64_t seed = 77;
    for (int r = 0; r < 40; r++) {
        double v[NCELL];
        run_values(&seed, v);
        assert_int_equal(ree_block_add(bl, v), 0);
        assert_int_equal(ree_block_add(bf, v), 0);
    }
    ree_acc *a1 = ree_acc_alloc_moments(NCELL), *a2 = ree_acc_alloc_moments(NCELL);
    ree_acc *af = ree_acc_alloc(NCELL, 32);
    assert_non_null(a1);
    assert_non_null(a2);
    assert_non_null(af);
    double tmp[1];
    for (int part = 0; part < 2; part++) {
        size_t lo = cuts[part], hi = cuts[part + 1];
        size_t need = ree_block_pack_cells(bl, lo, hi, NULL, 0);
        assert_int_equal(need, 3 * sizeof(uint64_t) + (hi - lo) * 4 * sizeof(double));
        unsigned char *buf = malloc(need);
        assert_non_null(buf);
        assert_int_equal(ree_block_pack_cells(bl, lo, hi, buf, need), need);
        assert_int_equal(ree_block_unpack_cells(bf, lo, hi, buf, need), 0); /* other kind */
        assert_int_equal(ree_block_unpack_cells(bl2, lo, hi, buf, need), need);
        assert_int_equal(ree_acc_merge_block_cells(a2, bl2, lo, hi, tmp), 0);
        free(buf);
    }
    assert_int_equal(ree_acc_merge_block(a1, bl), 0);
    assert_int_equal(ree_acc_merge_block(af, bf), 0);
    assert_same_moments(af, a1);
    assert_same_moments(af, a2);
    ree_block_free(bl);
    ree_block_free(bl2);
    ree_block_free(bf);
    ree_acc_free(a1);
    ree_acc_free(a2);
    ree_acc_free(af);
    ree_acc_free(copy);
    ree_acc_free(fcopy);
    ree_acc_free(full);
    ree_acc_free(light);
}

int main(void)
{
    /* REESIM_TEST_POOL=2 (tests/CMakeLists.txt, the *_pool runs): every accumulator maps its
     * sketch pool, whatever its size (the plain runs keep small ones on the heap) */
    const char *pool = getenv("REESIM_TEST_POOL");
    if (pool)
        ree_acc_set_pool(atoi(pool));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_bits_as_full),
        cmocka_unit_test(test_pack_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Tests for the cell-range functions of stats.h (ree_acc_merge_block_cells, ree_*_pack_cells,
 * ree_*_unpack_cells): merging a block range by range, in any order of ranges, through the bytes
 * of each range, and gathering the totals range by range gives the same bits as whole merges
 * (the executor cuts merges so, on threads and on MPI ranks); bad ranges and unsealed blocks are
 * refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stats.h"

enum { NCELL = 7, NRUN = 5000, K = 64 };

static double uniform(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (double)(*s >> 11) * 0x1.0p-53;
}

/* Run r's values: point masses, a mass that breaks late, continuous and discrete cells. */
static void values(int r, uint64_t *seed, double *v)
{
    double u = uniform(seed);
    v[0] = 0.0;
    v[1] = r < 3000 ? 0.0 : u;
    v[2] = u * 100.0 - 20.0;
    v[3] = u < 0.05 ? 1.0 : 0.0;
    v[4] = r == 1000 ? -0.0 : 0.0;
    v[5] = (double)(int)(u * 4.0);
    v[6] = u * u * 1e6;
}

static void assert_same(const ree_acc *x, const ree_acc *y)
{
    for (size_t c = 0; c < NCELL; c++) {
        ree_cell_stats s, t;
        ree_acc_cell(x, c, &s);
        ree_acc_cell(y, c, &t);
        assert_memory_equal(&s, &t, sizeof s);
        for (int q = 0; q <= 50; q++) {
            double a = ree_acc_quantile(x, c, q / 50.0), b = ree_acc_quantile(y, c, q / 50.0);
            assert_memory_equal(&a, &b, sizeof a);
        }
    }
}

/* Ranges cut at `cuts` (cuts[0] = 0 ... cuts[n] = NCELL), merged in the order `order`, each
 * through its bytes when `ship`; the totals then gathered range by range into a fresh
 * accumulator when `gather`. */
static void check_cut(const size_t *cuts, int n, const int *order, int ship, int gather)
{
    ree_acc *whole = ree_acc_alloc(NCELL, K), *parts = ree_acc_alloc(NCELL, K);
    ree_block *blk = ree_block_alloc(NCELL), *recv = ree_block_alloc(NCELL);
    double *tmp = malloc(ree_acc_tmp_points(parts) * sizeof *tmp);
    assert_true(whole && parts && blk && recv && tmp);
    uint64_t seed = 99;
    double v[NCELL];
    for (int r = 0; r < NRUN; r++) {
        values(r, &seed, v);
        assert_int_equal(ree_block_add(blk, v), 0);
        if ((r + 1) % 64 != 0 && r + 1 != NRUN)
            continue;
        ree_block_seal(blk);
        for (int i = 0; i < n; i++) {
            int p = order[i];
            size_t lo = cuts[p], hi = cuts[p + 1];
            const ree_block *from = blk;
            if (ship) {
                size_t need = ree_block_pack_cells(blk, lo, hi, NULL, 0);
                unsigned char *buf = malloc(need);
                assert_non_null(buf);
                assert_int_equal(ree_block_pack_cells(blk, lo, hi, buf, need), need);
                assert_int_equal(ree_block_unpack_cells(recv, lo, hi, buf, need), need);
                if (hi > lo) /* another range's bytes are refused */
                    assert_int_equal(ree_block_unpack_cells(recv, lo, hi - 1, buf, need), 0);
                free(buf);
                from = recv;
            }
            assert_int_equal(ree_acc_merge_block_cells(parts, from, lo, hi, tmp), 0);
        }
        assert_int_equal(ree_acc_merge_block(whole, blk), 0);
        ree_block_reset(blk);
    }
    if (gather) {
        ree_acc *total = ree_acc_alloc(NCELL, K);
        assert_non_null(total);
        for (int p = 0; p < n; p++) {
            size_t need = ree_acc_pack_cells(parts, cuts[p], cuts[p + 1], NULL, 0);
            unsigned char *buf = malloc(need);
            assert_non_null(buf);
            assert_int_equal(ree_acc_pack_cells(parts, cuts[p], cuts[p + 1], buf, need), need);
            assert_int_equal(ree_acc_unpack_cells(total, cuts[p], cuts[p + 1], buf, need), need);
            if (p + 1 < n) /* not the next range's */
                assert_int_equal(ree_acc_unpack_cells(total, cuts[p + 1], cuts[p + 2], buf, need),
                                 0);
            free(buf);
        }
        assert_same(whole, total);
        ree_acc_free(total);
    }
    assert_same(whole, parts);
    free(tmp);
    ree_acc_free(whole);
    ree_acc_free(parts);
    ree_block_free(blk);
    ree_block_free(recv);
}

static void test_ranges_equal_whole(void **state)
{
    (void)state;
    static const size_t one[] = {0, NCELL}, three[] = {0, 2, 2, 5, NCELL}; /* an empty range */
    static const size_t each[] = {0, 1, 2, 3, 4, 5, 6, 7};
    static const int o1[] = {0}, o4[] = {3, 1, 0, 2}, o7[] = {6, 5, 4, 3, 2, 1, 0};
    static const int in7[] = {0, 1, 2, 3, 4, 5, 6};
    for (int ship = 0; ship < 2; ship++) {
        check_cut(one, 1, o1, ship, 1);
        check_cut(three, 4, o4, ship, 1);
        check_cut(each, 7, o7, ship, 1);
        check_cut(each, 7, in7, ship, 0);
    }
}

static void test_refused(void **state)
{
    (void)state;
    ree_acc *a = ree_acc_alloc(NCELL, K), *other = ree_acc_alloc(NCELL + 1, K);
    ree_block *b = ree_block_alloc(NCELL);
    double *tmp = malloc(ree_acc_tmp_points(a) * sizeof *tmp);
    assert_true(a && other && b && tmp);
    double v[NCELL] = {1, 2, 3, 4, 5, 6, 7};
    assert_int_equal(ree_block_add(b, v), 0);
    assert_int_equal(ree_acc_merge_block_cells(a, b, 0, NCELL, tmp), -1); /* not sealed */
    ree_block_seal(b);
    assert_int_equal(ree_acc_merge_block_cells(a, b, 3, 2, tmp), -1);         /* lo > hi */
    assert_int_equal(ree_acc_merge_block_cells(a, b, 0, NCELL + 1, tmp), -1); /* past the end */
    assert_int_equal(ree_acc_merge_block_cells(other, b, 0, 1, tmp), -1);     /* other shape */
    ree_cell_stats s;
    ree_acc_cell(a, 0, &s);
    assert_true(s.n == 0); /* nothing was merged */
    assert_int_equal(ree_acc_merge_block_cells(a, b, 2, 4, tmp), 0);
    ree_acc_cell(a, 2, &s);
    assert_true(s.n == 1 && s.mean == 3.0);
    ree_acc_cell(a, 4, &s);
    assert_true(s.n == 0); /* outside the range */
    /* Truncated and foreign bytes. */
    size_t need = ree_block_pack_cells(b, 1, 5, NULL, 0);
    unsigned char *buf = malloc(need);
    assert_non_null(buf);
    assert_int_equal(ree_block_pack_cells(b, 1, 5, buf, need), need);
    assert_int_equal(ree_block_unpack_cells(b, 1, 5, buf, need - 1), 0);
    assert_int_equal(ree_block_unpack_cells(b, 1, 5, buf, 4), 0);
    assert_int_equal(ree_block_unpack_cells(b, 1, NCELL + 3, buf, need), 0);
    free(buf);
    need = ree_acc_pack_cells(a, 2, 4, NULL, 0);
    buf = malloc(need);
    assert_non_null(buf);
    assert_int_equal(ree_acc_pack_cells(a, 2, 4, buf, need), need);
    assert_int_equal(ree_acc_unpack_cells(other, 2, 4, buf, need - 8), 0);
    assert_int_equal(ree_acc_unpack_cells(other, 2, 5, buf, need), 0);
    free(buf);
    free(tmp);
    ree_acc_free(a);
    ree_acc_free(other);
    ree_block_free(b);
}

int main(void)
{
    /* REESIM_TEST_POOL=2 (tests/CMakeLists.txt, the *_pool runs): every accumulator maps its
     * sketch pool, whatever its size (the plain runs keep small ones on the heap) */
    const char *pool = getenv("REESIM_TEST_POOL");
    if (pool)
        ree_acc_set_pool(atoi(pool));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranges_equal_whole),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

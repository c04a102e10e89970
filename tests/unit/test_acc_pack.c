/* Tests for ree_acc_pack / ree_acc_unpack (stats.h): an unpacked accumulator answers every query
 * and every merge with the same bits as the packed one (MPI ranks ship block statistics so); the
 * bytes are refused when they do not fit the accumulator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stats.h"

#define NCELL 3

static double value(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (double)(*s >> 11) * 0x1.0p-53 * 100.0 - 20.0;
}

static void fill(ree_acc *a, int n, uint64_t seed)
{
    double v[NCELL];
    for (int r = 0; r < n; r++) {
        for (int c = 0; c < NCELL; c++)
            v[c] = value(&seed);
        assert_int_equal(ree_acc_add(a, v), 0);
    }
}

/* Every query of every cell gives the same bits. */
static void assert_same(const ree_acc *x, const ree_acc *y)
{
    for (size_t c = 0; c < NCELL; c++) {
        ree_cell_stats s, t;
        ree_acc_cell(x, c, &s);
        ree_acc_cell(y, c, &t);
        assert_memory_equal(&s, &t, sizeof s);
        for (int q = 0; q <= 100; q++) {
            double a = ree_acc_quantile(x, c, q / 100.0), b = ree_acc_quantile(y, c, q / 100.0);
            assert_memory_equal(&a, &b, sizeof a);
        }
    }
}

static ree_acc *roundtrip(const ree_acc *a, size_t k)
{
    size_t need = ree_acc_pack(a, NULL, 0);
    unsigned char *buf = malloc(need);
    assert_non_null(buf);
    assert_int_equal(ree_acc_pack(a, buf, need), need);
    ree_acc *b = ree_acc_alloc(NCELL, k);
    assert_non_null(b);
    fill(b, 7, 99); /* whatever b held before is replaced */
    assert_int_equal(ree_acc_unpack(b, buf, need), need);
    free(buf);
    return b;
}

/* A compacted sketch (many levels) and an exact block travel unchanged. */
static void test_roundtrip_same_bits(void **state)
{
    (void)state;
    ree_acc *big = ree_acc_alloc(NCELL, 32), *block = ree_acc_alloc(NCELL, 64);
    assert_non_null(big);
    assert_non_null(block);
    fill(big, 5000, 1);
    fill(block, 64, 2);
    ree_acc *big2 = roundtrip(big, 32), *block2 = roundtrip(block, 64);
    assert_same(big, big2);
    assert_same(block, block2);
    /* Merging either copy into equal totals gives equal totals, and adding after unpacking too. */
    ree_acc *t1 = ree_acc_alloc(NCELL, 64), *t2 = ree_acc_alloc(NCELL, 64);
    assert_non_null(t1);
    assert_non_null(t2);
    fill(t1, 300, 3);
    fill(t2, 300, 3);
    assert_int_equal(ree_acc_merge(t1, block), 0);
    assert_int_equal(ree_acc_merge(t2, block2), 0);
    assert_int_equal(ree_acc_merge(t1, big), 0);
    assert_int_equal(ree_acc_merge(t2, big2), 0);
    fill(big, 100, 4);
    fill(big2, 100, 4);
    assert_same(t1, t2);
    assert_same(big, big2);
    ree_acc_free(big);
    ree_acc_free(big2);
    ree_acc_free(block);
    ree_acc_free(block2);
    ree_acc_free(t1);
    ree_acc_free(t2);
}

static void test_unpack_refuses_misfits(void **state)
{
    (void)state;
    ree_acc *a = ree_acc_alloc(NCELL, 64), *other = ree_acc_alloc(NCELL + 1, 64),
            *otherk = ree_acc_alloc(NCELL, 128);
    assert_non_null(a);
    assert_non_null(other);
    assert_non_null(otherk);
    fill(a, 50, 5);
    size_t need = ree_acc_pack(a, NULL, 0);
    unsigned char *buf = malloc(need);
    assert_non_null(buf);
    assert_int_equal(ree_acc_pack(a, buf, need - 1), need); /* too small: nothing written */
    assert_int_equal(ree_acc_pack(a, buf, need), need);
    assert_int_equal(ree_acc_unpack(other, buf, need), 0);  /* another number of cells */
    assert_int_equal(ree_acc_unpack(otherk, buf, need), 0); /* another k */
    ree_acc *b = ree_acc_alloc(NCELL, 64);
    assert_non_null(b);
    assert_int_equal(ree_acc_unpack(b, buf, need - 8), 0); /* truncated */
    assert_int_equal(ree_acc_unpack(b, buf, 4), 0);
    free(buf);
    ree_acc_free(a);
    ree_acc_free(b);
    ree_acc_free(other);
    ree_acc_free(otherk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_same_bits),
        cmocka_unit_test(test_unpack_refuses_misfits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Tests for ree_block_add_lanes (stats.h): runs added as runs in lockstep hold them (each cell's
 * values of up to REE_BLOCK_LANES runs side by side) give a block in the same state, bit for bit,
 * as the same runs added one at a time with ree_block_add, whatever mix of the two adds a block
 * takes; both for a full block and a moments-only one. The state is compared through
 * ree_block_pack, which writes all of it (moments, extremes, sorted columns). */
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

#define NCELL 37

/* Cell c of run r: kinds that matter to the block, by cell: a continuous value, a point mass at
 * zero with both signs of zero now and then, a constant, a NaN in one run, a discrete value. */
static double value(int c, int r, uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    double u = (double)(*s >> 11) * 0x1.0p-53;
    switch (c % 5) {
    case 0:
        return u * 100.0 - 20.0;
    case 1:
        return u < 0.8 ? (u < 0.1 ? -0.0 : 0.0) : u;
    case 2:
        return 7.25;
    case 3:
        return c == 3 && r == 11 ? NAN : u;
    default:
        return (double)(int)(u * 4);
    }
}

static unsigned char *packed(ree_block *b, size_t *len)
{
    *len = ree_block_pack(b, NULL, 0);
    unsigned char *buf = malloc(*len);
    assert_non_null(buf);
    assert_int_equal(ree_block_pack(b, buf, *len), *len);
    return buf;
}

/* Runs 0 .. nruns-1 into a block one at a time, and into another in the pattern `adds` (0: one
 * run with ree_block_add; k > 0: k runs with ree_block_add_lanes), then the same packed bytes. */
static void check_cells(int light, size_t ncell, int nruns, const int *adds, int nadds)
{
    double *v = malloc(sizeof(double) * ncell * (size_t)nruns);
    double *lanes = malloc(sizeof(double) * ncell * REE_BLOCK_LANES);
    assert_true(v && lanes);
    uint64_t seed = 0x9e3779b97f4a7c15u;
    for (int r = 0; r < nruns; r++)
        for (size_t c = 0; c < ncell; c++)
            v[(size_t)r * ncell + c] = value((int)c, r, &seed);
    ree_block *one = light ? ree_block_alloc_moments(ncell) : ree_block_alloc(ncell);
    ree_block *mix = light ? ree_block_alloc_moments(ncell) : ree_block_alloc(ncell);
    assert_true(one && mix);
    for (int r = 0; r < nruns; r++)
        assert_int_equal(ree_block_add(one, v + (size_t)r * ncell), 0);
    int r = 0;
    for (int i = 0; i < nadds && r < nruns; i++) {
        if (adds[i] == 0) {
            assert_int_equal(ree_block_add(mix, v + (size_t)r * ncell), 0);
            r++;
            continue;
        }
        int k = adds[i] < nruns - r ? adds[i] : nruns - r;
        for (int l = 0; l < REE_BLOCK_LANES; l++) /* lanes past k: another run's values */
            for (size_t c = 0; c < ncell; c++)
                lanes[c * REE_BLOCK_LANES + (size_t)l] =
                    v[(size_t)(r + (l < k ? l : 0)) * ncell + c];
        assert_int_equal(ree_block_add_lanes(mix, lanes, k), 0);
        r += k;
    }
    assert_int_equal(r, nruns);
    assert_int_equal(ree_block_runs(mix), nruns);
    size_t la, lb;
    unsigned char *a = packed(one, &la), *b = packed(mix, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    free(a), free(b), free(v), free(lanes);
    ree_block_free(one), ree_block_free(mix);
}

static void check(int light, int nruns, const int *adds, int nadds)
{
    check_cells(light, NCELL, nruns, adds, nadds);
}

static void test_same_state(void **state)
{
    (void)state;
    const int lanes8[] = {8, 8, 8, 8, 8, 8, 8, 8};
    const int mixed[] = {0, 0, 0, 8, 5, 0, 8, 8, 1, 0, 7, 8, 8, 8};
    const int ragged[] = {3, 8, 2};
    for (int light = 0; light < 2; light++) {
        check(light, 64, lanes8, 8);
        check(light, 64, mixed, 14);
        check(light, 13, ragged, 3);
        check(light, 1, ragged, 1);
    }
}

/* More cells than ree_block_add_lanes transposes at a time (256), and a last chunk that is not
 * a whole number of 8-cell tiles, with the AVX-512 transpose, the AVX moments only and the
 * plain loops (where the processor has them). */
static void test_many_cells(void **state)
{
    (void)state;
    const int lanes8[] = {8, 8, 8, 8, 8, 8, 8, 8};
    const int mixed[] = {0, 0, 0, 8, 5, 0, 8, 8, 1, 0, 7, 8, 8, 8};
    for (int set = -1; set <= 1; set++) {
        ree_sort_set_avx(set);
        for (int light = 0; light < 2; light++) {
            check_cells(light, 603, 64, lanes8, 8);
            check_cells(light, 603, 64, mixed, 14);
            check_cells(light, 256, 24, lanes8, 3);
        }
    }
    ree_sort_set_avx(-1);
}

static void test_refused(void **state)
{
    (void)state;
    double lanes[NCELL * REE_BLOCK_LANES] = {0};
    ree_block *b = ree_block_alloc(NCELL);
    assert_non_null(b);
    assert_int_equal(ree_block_add_lanes(b, lanes, 0), -1);
    assert_int_equal(ree_block_add_lanes(b, lanes, REE_BLOCK_LANES + 1), -1);
    for (int i = 0; i < 8; i++)
        assert_int_equal(ree_block_add_lanes(b, lanes, 8), 0);
    assert_int_equal(ree_block_add_lanes(b, lanes, 1), -1); /* full */
    ree_block_reset(b);
    assert_int_equal(ree_block_add_lanes(b, lanes, 8), 0);
    ree_block_seal(b);
    assert_int_equal(ree_block_add_lanes(b, lanes, 8), -1); /* sealed */
    ree_block_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_state),
        cmocka_unit_test(test_many_cells),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

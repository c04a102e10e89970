/* Tests for models/firms.c: the rescaling of class values to a node's total, bit for bit against
 * v[i] * (total / sum), including the shortcut that leaves them alone when the ratio is exactly 1,
 * and the split's rescale of stocks and pipelines. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "firms.h"

/* v rescaled to total must be v[i] * (total / sum) for every i, sum added in index order; an
 * equal split when the sum is not positive. */
static void check_rescale(const double *v0, int k, double total)
{
    double v[REE_FIRMS_MAX], sum = 0;
    memcpy(v, v0, sizeof(double) * (size_t)k);
    for (int i = 0; i < k; i++)
        sum += v0[i];
    ree_firms_rescale(v, k, total);
    for (int i = 0; i < k; i++) {
        double want = sum > 0 ? v0[i] * (total / sum) : total / k;
        assert_memory_equal(&v[i], &want, sizeof want);
    }
}

static void test_rescale(void **unused)
{
    (void)unused;
    /* 0.1 + 0.2 + 0.3 is 0.6000000000000001: to 0.6 the ratio is one ulp below 1, and it moves
     * 0.3 (the case a shortcut taken near 1 rather than at 1 would get wrong). */
    const double a[3] = {0.1, 0.2, 0.3};
    assert_true(0.6 / (a[0] + a[1] + a[2]) != 1);
    assert_true(a[2] * (0.6 / (a[0] + a[1] + a[2])) != a[2]);
    check_rescale(a, 3, 0.6);
    check_rescale(a, 3, a[0] + a[1] + a[2]); /* ratio exactly 1: unchanged */
    check_rescale(a, 3, 1.2);
    check_rescale(a, 3, 0);
    const double b[4] = {121.03, 188.97, 0, 1e-300};
    check_rescale(b, 4, 310);
    check_rescale(b, 4, 310.00000000000006);
    check_rescale(b, 4, b[0] + b[1] + b[2] + b[3]);
    const double z[2] = {0, 0};
    check_rescale(z, 2, 5); /* nothing to scale: an equal split */
}

/* The split rescales the stocks to the node's stock and the pipelines to position - stock: the
 * class sums are those totals up to rounding, and after orders and arrivals every class is the
 * value of the split done by hand with the scaling always applied, bit for bit. */
static void test_split_totals(void **unused)
{
    (void)unused;
    ree_firms f;
    ree_firms_reset(&f, 8, 4, 3);
    ree_firms_split(&f, 310, 500, 0);
    double ss = 0, ps = 0;
    for (int i = 0; i < f.k; i++) {
        ss += f.cstock[i];
        ps += f.cpipe[i];
    }
    assert_true(fabs(ss - 310) < 1e-9 && fabs(ps - 190) < 1e-9);
    for (int i = 0; i < f.k; i++)
        f.corder[i] = 10 + i;
    ree_firms g = f;
    ree_firms_split(&f, 330.5, 560.25, 20.5);
    double q = 560.25 - 330.5, x = q - g.qprev + 20.5, ord = 0, pipe = 0, s2 = 0, p2 = 0;
    for (int i = 0; i < g.k; i++)
        ord += g.corder[i];
    for (int i = 0; i < g.k; i++) {
        g.cpipe[i] += x * (g.corder[i] / ord);
        pipe += g.cpipe[i];
    }
    for (int i = 0; i < g.k; i++) {
        double r = 20.5 * (g.cpipe[i] / pipe);
        g.cpipe[i] -= r;
        if (g.cpipe[i] < 0)
            g.cpipe[i] = 0;
        g.cstock[i] += r;
        s2 += g.cstock[i];
        p2 += g.cpipe[i];
    }
    for (int i = 0; i < g.k; i++) {
        double ws = g.cstock[i] * (330.5 / s2), wp = g.cpipe[i] * (q / p2);
        assert_memory_equal(&f.cstock[i], &ws, sizeof ws);
        assert_memory_equal(&f.cpipe[i], &wp, sizeof wp);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rescale),
        cmocka_unit_test(test_split_totals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

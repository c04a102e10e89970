/* Tests for models/price.c: the scarcity price index, traced by hand. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model.h"
#include "models.h"

#define M (&ree_model_price)

static void near(double a, double b, double tol)
{
    if (!(fabs(a - b) <= tol)) {
        print_error("%.17g != %.17g (tolerance %g)\n", a, b, tol);
        fail();
    }
}

static void set(void *params, const char *key, double v)
{
    int k = ree_model_param_index(M, key);
    assert_true(k >= 0);
    memcpy((char *)params + M->params[k].offset, &v, sizeof v);
}

/* Parameters at their defaults, material 1. */
static void *params_new(void)
{
    void *p = calloc(1, M->params_size);
    for (size_t i = 0; i < M->nparams; i++)
        if (M->params[i].type == REE_PT_NUM)
            set(p, M->params[i].key, M->params[i].def);
    int mat = 1;
    memcpy((char *)p + M->params[ree_model_param_index(M, "material")].offset, &mat, sizeof mat);
    return p;
}

static void test_rise_and_decay(void **unused)
{
    (void)unused;
    void *p = params_new(); /* elasticity 3, decay 6 months, cap 30 */
    void *s = calloc(1, M->state_bytes);
    ree_model_ctx ctx = {12, 2, 0, NULL};
    M->reset(p, s, &ctx);
    double scarcity[2] = {0.9, 0.8}, price[2] = {1, 1}, metrics[1];
    ree_node_io io;
    memset(&io, 0, sizeof io);
    io.nmat = 2;
    io.scarcity = scarcity;
    io.price = price;
    io.metrics = metrics;
    /* Month 0: shortage ratio 0.8 of material 1: P = 1 + 0 + 3 * 0.8 = 3.4 (the 3-4x of Argus). */
    M->account(p, s, &io);
    near(price[1], 3.4, 1e-12);
    near(metrics[0], 3.4, 1e-12);
    near(price[0], 1, 0); /* other materials untouched */
    /* Month 1: shortage 0.5: P = 1 + 2.4 * (5/6) + 1.5 = 4.5. */
    scarcity[1] = 0.5;
    M->account(p, s, &io);
    near(price[1], 4.5, 1e-12);
    /* Months 2-3: no shortage: the excess 3.5 decays by 5/6 a month: 3.9167, then 3.4306. */
    scarcity[1] = 0;
    M->account(p, s, &io);
    near(price[1], 1 + 3.5 * 5.0 / 6.0, 1e-12);
    M->account(p, s, &io);
    near(price[1], 1 + 3.5 * 25.0 / 36.0, 1e-12);
    double ind[2];
    M->finish(p, s, &ctx, ind);
    near(ind[0], 4.5, 1e-12);
    near(ind[1], (3.4 + 4.5 + (1 + 3.5 * 5.0 / 6.0) + (1 + 3.5 * 25.0 / 36.0)) / 4, 1e-12);
    free(s);
    free(p);
}

static void test_cap(void **unused)
{
    (void)unused;
    void *p = params_new();
    set(p, "cap", 5);
    set(p, "elasticity", 10);
    void *s = calloc(1, M->state_bytes);
    ree_model_ctx ctx = {12, 2, 0, NULL};
    M->reset(p, s, &ctx);
    double scarcity[2] = {0, 1}, price[2] = {1, 1}, metrics[1];
    ree_node_io io;
    memset(&io, 0, sizeof io);
    io.nmat = 2;
    io.scarcity = scarcity;
    io.price = price;
    io.metrics = metrics;
    M->account(p, s, &io); /* 1 + 10 = 11, capped at 5 */
    near(price[1], 5, 0);
    free(s);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rise_and_decay),
        cmocka_unit_test(test_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

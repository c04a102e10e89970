/* Tests for models/inventory.c: exponential forecast, base-stock and (s, S) ordering, cover,
 * stock-outs. */
#include "model_fixture.h"
#include "models.h"

#define M (&ree_model_inventory)

/* A US magnet importer: forecast starts at ~620 t/month, the 2024 China -> US flow
 * (facts-detailed.md s.2b). Material 2 = NdFeB magnets. wpm = 4.348214285714286. */
#define WPM REE_WEEKS_PER_MONTH

static void *importer(void)
{
    void *p = params_new(M);
    set_mat(M, p, "material", 2);
    set_num(M, p, "demand0", 620);
    return p;
}

static void test_base_stock(void **unused)
{
    (void)unused;
    void *p = importer(); /* cover 8 weeks, reorder null (base-stock), smoothing 0.3 */
    void *s = state_new(M, p);
    fixture f = {0};
    /* Month 1 (month 0 keeps demand0): F = 0.3 * 700 + 0.7 * 620 = 644 t/month; no lead time given
     * (L = 0): S = 644 * (1 + 8 / wpm) = 1,828.85 t; position 900: order 928.85 t. Stock 322 t =
     * half a month = 322 / 644 * wpm = 2.174 weeks. */
    f.requested[2] = 700;
    f.position[2] = 900;
    f.stock[2] = 322;
    fx_step(&f, 1, NULL);
    M->order(p, s, &f.io);
    assert_near(f.metrics[0], 644, 1e-9);
    assert_near(f.metrics[1], 644 * (1 + 8 / WPM), 1e-9);
    assert_near(f.metrics[1], 1828.85, 0.01);
    assert_near(f.order[2], 644 * (1 + 8 / WPM) - 900, 1e-9);
    assert_near(f.metrics[2], 0.5 * WPM, 1e-9);
    assert_near(f.order[0] + f.order[1], 0, 0);
    /* Next month, nothing requested: F = 0.7 * 644 = 450.8; S = 1,280.2 < position 1,300: 0. */
    f.requested[2] = 0;
    f.position[2] = 1300;
    fx_step(&f, 2, NULL);
    M->order(p, s, &f.io);
    assert_near(f.metrics[0], 450.8, 1e-9);
    assert_near(f.order[2], 0, 0);
    double ind[2];
    M->finish(p, s, &test_ctx, ind);
    assert_near(ind[0], 0, 0);
    assert_near(ind[1], 0.5 * WPM, 1e-9); /* the smaller cover: 2.17 weeks, not 322 / 450.8 */
    free(s);
    free(p);
}

static void test_first_step_keeps_demand0(void **unused)
{
    (void)unused;
    void *p = importer();
    void *s = state_new(M, p);
    fixture f = {0};
    /* Nothing was requested before the first month: the forecast stays at demand0 = 620. */
    fx_step(&f, 0, NULL);
    M->order(p, s, &f.io);
    assert_near(f.metrics[0], 620, 0);
    free(s);
    free(p);
}

static void test_reorder_point(void **unused)
{
    (void)unused;
    void *p = importer();
    set_num(M, p, "reorder_weeks", 4);
    set_num(M, p, "smoothing", 0); /* F stays 620 */
    void *s = state_new(M, p);
    fixture f = {0};
    /* S = 620 * (1 + 8 / wpm) = 1,760.70 t; s = 620 * (1 + 4 / wpm) = 1,190.35 t. */
    f.stock[2] = 300;
    f.position[2] = 1200; /* above s: no order */
    fx_step(&f, 0, NULL);
    M->order(p, s, &f.io);
    assert_near(f.order[2], 0, 0);
    f.position[2] = 1190; /* at or below s: up to S */
    fx_step(&f, 1, NULL);
    M->order(p, s, &f.io);
    assert_near(f.order[2], 620 * (1 + 8 / WPM) - 1190, 1e-9);
    /* A reorder point above S is capped at S. */
    set_num(M, p, "reorder_weeks", 12);
    f.position[2] = 1760;
    fx_step(&f, 2, NULL);
    M->order(p, s, &f.io);
    assert_near(f.order[2], 620 * (1 + 8 / WPM) - 1760, 1e-9);
    free(s);
    free(p);
}

static void test_stockout_and_zero_forecast(void **unused)
{
    (void)unused;
    void *p = importer();
    set_num(M, p, "demand0", 0);
    set_num(M, p, "reorder_weeks", 2);
    void *s = state_new(M, p);
    fixture f = {0};
    /* F = 0: S = s = 0, no order, cover 0 by convention, no stock-out counted. */
    fx_step(&f, 0, NULL);
    M->order(p, s, &f.io);
    assert_near(f.order[2], 0, 0);
    assert_metrics_finite(M, &f);
    assert_near(f.metrics[2], 0, 0);
    double ind[2];
    M->finish(p, s, &test_ctx, ind);
    assert_near(ind[0], 0, 0);
    assert_near(ind[1], 0, 0); /* no month with a forecast */
    /* Requests arrive, stock is empty: F = 0.3 * 100 = 30, a stock-out month. */
    f.requested[2] = 100;
    fx_step(&f, 1, NULL);
    M->order(p, s, &f.io);
    assert_near(f.metrics[0], 30, 1e-12);
    assert_near(f.order[2], 30 * (1 + 8 / WPM), 1e-9);
    M->finish(p, s, &test_ctx, ind);
    assert_near(ind[0], 1, 0);
    assert_near(ind[1], 0, 0);
    free(s);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_stock),
        cmocka_unit_test(test_reorder_point),
        cmocka_unit_test(test_stockout_and_zero_forecast),
        cmocka_unit_test(test_first_step_keeps_demand0),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

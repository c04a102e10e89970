/* Tests for models/recycler.c: end-of-life lag, pre-horizon flow, collection, yield, capacity. */
#include "model_fixture.h"
#include "models.h"

#define M (&ree_model_recycler)

/* Recovers NdPr oxide (material 0) from end-of-life magnets (material 2) that US sectors used,
 * ~620 t/month (the 2024 China -> US magnet flow, facts-detailed.md s.2b); 1% collected
 * (facts.md "Recycling"), 90% yield. */
#define NSTEP_HIST 12
static double history[NSTEP_HIST * NMAT];

static void *plant(void)
{
    void *p = params_new(M);
    set_mat(M, p, "material", 0);
    set_mat(M, p, "feed", 2);
    set_num(M, p, "eol0", 300);
    return p;
}

static void run(void *p, void *s, fixture *f, int t)
{
    fx_step(f, t, NULL);
    f->io.history = history;
    M->produce(p, s, &f->io);
    assert_booked_within_stock(f);
    assert_metrics_finite(M, f);
}

static void test_lag(void **unused)
{
    (void)unused;
    for (int t = 0; t < NSTEP_HIST; t++) {
        history[t * NMAT + 2] = 600 + 10 * t; /* magnets used at step t */
        history[t * NMAT + 0] = 1e6;          /* other materials are not read */
    }
    void *p = plant();
    set_num(M, p, "lag_months", 3);
    void *s = state_new(M, p);
    fixture f = {0};
    /* Step 1: 1 - 3 < 0, so eol0 = 300: collected 3 t, recovered 2.7 t. */
    run(p, s, &f, 1);
    assert_near(f.metrics[0], 3, 1e-12);
    assert_near(f.produced[0], 2.7, 1e-12);
    assert_near(f.produced[1] + f.produced[2], 0, 0);
    /* Step 5 reads step 2's use, 620 t: collected 6.2 t, recovered 5.58 t. */
    run(p, s, &f, 5);
    assert_near(f.metrics[0], 6.2, 1e-12);
    assert_near(f.metrics[1], 5.58, 1e-12);
    assert_near(f.produced[0], 5.58, 1e-12);
    double ind[1];
    M->finish(p, s, &test_ctx, ind);
    assert_near(ind[0], 2.7 + 5.58, 1e-12);
    free(s);
    free(p);
}

static void test_lag_zero_and_capacity(void **unused)
{
    (void)unused;
    for (int t = 0; t < NSTEP_HIST; t++)
        history[t * NMAT + 2] = 600 + 10 * t;
    void *p = plant(); /* lag 0: last month's use, the latest the history holds */
    void *s = state_new(M, p);
    fixture f = {0};
    run(p, s, &f, 0); /* nothing used yet: eol0 */
    assert_near(f.metrics[0], 3, 1e-12);
    run(p, s, &f, 4); /* step 3's 630 t: 6.3 t collected, 5.67 t recovered */
    assert_near(f.produced[0], 5.67, 1e-12);
    set_num(M, p, "capacity", 2);
    run(p, s, &f, 4);
    assert_near(f.metrics[0], 6.3, 1e-12);
    assert_near(f.produced[0], 2, 0);
    set_num(M, p, "collect", 0);
    run(p, s, &f, 4);
    assert_near(f.produced[0], 0, 0);
    free(s);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lag),
        cmocka_unit_test(test_lag_zero_and_capacity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

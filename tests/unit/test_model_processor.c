/* Tests for models/processor.c: recipe, input limits, delay ring, stock cap with work in progress,
 * orders, outages. */
#include "model_fixture.h"
#include "models.h"
#include "remath.h"

#define M (&ree_model_processor)

/* A magnet plant at 250 t/month of NdFeB (between eVAC's 2,000 t/yr target and MP 10X's
 * 10,000 t/yr, facts-detailed.md s.2c), using 0.32 t NdPr oxide and 0.01 t Dy/Tb oxide per t of
 * magnet (the recipe of the brief's example). Materials: 0 NdPr oxide, 1 Dy/Tb oxide, 2 magnet. */
static const double recipe[NMAT] = {0.32, 0.01, 0};

static void *plant(void)
{
    void *p = params_new(M);
    set_map(M, p, "inputs", recipe);
    set_mat(M, p, "output", 2);
    set_num(M, p, "capacity", 250);
    return p;
}

static void run(void *p, void *s, fixture *f, int step, gsl_rng *r)
{
    fx_step(f, step, r);
    M->produce(p, s, &f->io);
    assert_booked_within_stock(f);
    assert_metrics_finite(M, f);
}

static void test_ample_inputs(void **unused)
{
    (void)unused;
    void *p = plant();
    void *s = state_new(M, p);
    gsl_rng *r = rng_new(5);
    fixture f = {0};
    f.stock[0] = 500;
    f.stock[1] = 20;
    run(p, s, &f, 0, r);
    /* 250 t of magnet from 250 * 0.32 = 80 t NdPr oxide and 250 * 0.01 = 2.5 t Dy/Tb oxide. */
    assert_near(f.produced[2], 250, 1e-9);
    assert_near(f.consumed[0], 80, 1e-9);
    assert_near(f.consumed[1], 2.5, 1e-9);
    assert_near(f.consumed[2], 0, 0);
    assert_near(f.metrics[0], 250, 1e-9); /* capacity */
    assert_near(f.metrics[1], 250, 1e-9); /* production */
    assert_near(f.metrics[2], 0, 0);      /* input_limited */
    assert_near(f.metrics[3], 0, 0);      /* outage */
    assert_near(f.metrics[4], 0, 0);      /* wip */
    free(s);
    free(p);
    gsl_rng_free(r);
}

static void test_input_limited(void **unused)
{
    (void)unused;
    void *p = plant();
    void *s = state_new(M, p);
    gsl_rng *r = rng_new(5);
    fixture f = {0};
    /* 64 t NdPr oxide makes 64 / 0.32 = 200 t; Dy/Tb would allow 2,000 t. */
    f.stock[0] = 64;
    f.stock[1] = 20;
    run(p, s, &f, 0, r);
    assert_near(f.produced[2], 200, 1e-9);
    assert_near(f.consumed[0], 64, 1e-9);
    assert_near(f.consumed[1], 2, 1e-9);
    assert_near(f.metrics[2], 1, 0);
    /* Awkward stocks: the booking never exceeds the stock even by rounding. */
    f.stock[0] = 0.7;
    f.stock[1] = 0.1;
    run(p, s, &f, 1, r);
    assert_true(f.consumed[0] <= 0.7 && f.consumed[1] <= 0.1);
    /* No stock at all: nothing starts, inputs bind. */
    f.stock[0] = 0;
    run(p, s, &f, 2, r);
    assert_near(f.produced[2], 0, 0);
    assert_near(f.consumed[1], 0, 0);
    assert_near(f.metrics[2], 1, 0);
    double ind[2];
    M->finish(p, s, &test_ctx, ind);
    assert_near(ind[1], 3, 0);
    free(s);
    free(p);
    gsl_rng_free(r);
}

static void test_delay_and_max_stock(void **unused)
{
    (void)unused;
    void *p = plant();
    set_num(M, p, "delay", 2);
    set_num(M, p, "max_stock", 600);
    void *s = state_new(M, p);
    gsl_rng *r = rng_new(5);
    fixture f = {0};
    f.stock[0] = 1000;
    f.stock[1] = 100;
    /* Step 0: room 600 -> start 250, nothing out; wip 250. */
    run(p, s, &f, 0, r);
    assert_near(f.produced[2], 0, 0);
    assert_near(f.consumed[0], 80, 1e-9);
    assert_near(f.metrics[4], 250, 1e-9);
    /* Step 1: room 600 - 250 = 350 -> start 250; wip 500. */
    run(p, s, &f, 1, r);
    assert_near(f.produced[2], 0, 0);
    assert_near(f.metrics[4], 500, 1e-9);
    /* Step 2: room 600 - 0 - 500 = 100 -> start 100 (32 t NdPr oxide); step 0's 250 t come out;
     * wip 250 + 100 = 350. */
    run(p, s, &f, 2, r);
    assert_near(f.produced[2], 250, 1e-9);
    assert_near(f.consumed[0], 32, 1e-9);
    assert_near(f.metrics[4], 350, 1e-9);
    assert_near(f.metrics[2], 0, 0); /* stock room, not inputs, binds */
    /* Step 3: the engine put step 2's 250 t in stock: room 600 - 250 - 350 = 0. Step 1's 250 t
     * come out. */
    f.stock[2] = 250;
    run(p, s, &f, 3, r);
    assert_near(f.produced[2], 250, 1e-9);
    assert_near(f.consumed[0], 0, 0);
    assert_near(f.metrics[4], 100, 1e-9);
    double ind[2];
    M->finish(p, s, &test_ctx, ind);
    assert_near(ind[0], 500, 1e-9);
    free(s);
    free(p);
    gsl_rng_free(r);
}

static void test_max_delay_ring(void **unused)
{
    (void)unused;
    void *p = plant();
    set_num(M, p, "delay", 24);
    void *s = state_new(M, p);
    gsl_rng *r = rng_new(5);
    fixture f = {0};
    f.stock[0] = 1e6;
    f.stock[1] = 1e6;
    /* One batch of 250 t a month; the first comes out at step 24 and one a month after. */
    for (int t = 0; t < 30; t++) {
        run(p, s, &f, t, r);
        assert_near(f.produced[2], t < 24 ? 0 : 250, 1e-9);
        assert_near(f.metrics[4], (t < 24 ? t + 1 : 24) * 250.0, 1e-6);
    }
    free(s);
    free(p);
    gsl_rng_free(r);
}

static void test_order(void **unused)
{
    (void)unused;
    void *p = plant();
    set_num(M, p, "utilisation", 0.8);
    void *s = state_new(M, p);
    gsl_rng *r = rng_new(5);
    fixture f = {0};
    /* Planned rate 250 * 0.8 = 200 t/month; input_cover 1: (1 + 1) * 200 * 0.32 = 128 t NdPr
     * oxide, less a position of 50 t -> 78 t; Dy/Tb: 2 * 200 * 0.01 = 4 t < 10 t held -> 0. */
    f.position[0] = 50;
    f.position[1] = 10;
    fx_step(&f, 0, r);
    M->order(p, s, &f.io);
    assert_near(f.order[0], 78, 1e-9);
    assert_near(f.order[1], 0, 0);
    assert_near(f.order[2], 0, 0);
    free(s);
    free(p);
    gsl_rng_free(r);
}

/* The outage draw (one uniform a step) is made only when the chance of a change is strictly
 * between 0 and 1: with outage_prob 0 (the default) the stream is left untouched. */
static void test_outage_draws(void **unused)
{
    (void)unused;
    for (int k = 0; k < 2; k++) {
        void *p = plant();
        set_num(M, p, "outage_prob", k ? 0.5 : 0);
        void *s = state_new(M, p);
        gsl_rng *r = rng_new(8), *ref = rng_new(8);
        fixture f = {0};
        f.stock[0] = 1000;
        f.stock[1] = 100;
        for (int t = 0; t < 6; t++) {
            run(p, s, &f, t, r);
            if (k)
                gsl_rng_uniform_pos(ref);
            else
                assert_near(f.metrics[3], 0, 0);
        }
        assert_true(gsl_rng_get(r) == gsl_rng_get(ref));
        free(s);
        free(p);
        gsl_rng_free(r);
        gsl_rng_free(ref);
    }
}

static void test_outage_and_ramp(void **unused)
{
    (void)unused;
    void *p = plant();
    set_num(M, p, "outage_prob", 1);
    set_num(M, p, "outage_months", 1);
    set_num(M, p, "ramp_add", 250);
    set_num(M, p, "ramp_months", 0); /* doubles to 500 t/month at step 0 */
    void *s = state_new(M, p);
    gsl_rng *r = rng_new(5);
    fixture f = {0};
    f.stock[0] = 1000;
    f.stock[1] = 100;
    run(p, s, &f, 0, r); /* down: nothing started or consumed, inputs do not "bind" */
    assert_near(f.metrics[0], 500, 1e-9);
    assert_near(f.metrics[3], 1, 0);
    assert_near(f.produced[2], 0, 0);
    assert_near(f.consumed[0], 0, 0);
    assert_near(f.metrics[2], 0, 0);
    run(p, s, &f, 1, r); /* up again */
    assert_near(f.produced[2], 500, 1e-9);
    assert_near(f.consumed[0], 160, 1e-9);
    free(s);
    free(p);
    gsl_rng_free(r);
}

static void test_check(void **unused)
{
    (void)unused;
    void *p = plant();
    const char *key = NULL;
    char why[128];
    assert_int_equal(M->check(p, &test_ctx, &key, why, sizeof why), 0);
    const double none[NMAT] = {0, 0, 0};
    set_map(M, p, "inputs", none);
    assert_int_equal(M->check(p, &test_ctx, &key, why, sizeof why), -1);
    assert_string_equal(key, "inputs");
    const double self[NMAT] = {0.32, 0, 0.1};
    set_map(M, p, "inputs", self);
    assert_int_equal(M->check(p, &test_ctx, &key, why, sizeof why), -1);
    assert_string_equal(key, "output");
    free(p);
}

/* One step with the output's price index at `price` (NULL: no index): produce, then order. */
static void run_priced(void *p, void *s, fixture *f, int step, gsl_rng *r, double *price)
{
    fx_step(f, step, r);
    f->io.price = price;
    M->produce(p, s, &f->io);
    assert_booked_within_stock(f);
    M->order(p, s, &f->io);
    assert_metrics_finite(M, f);
}

/* Price response (hand-traced). capacity 250, utilisation 0.5, price_util_elasticity 0.5,
 * price_lag_months 2, ample inputs, the magnet's price index 3:
 *   step 0: Pl = 1 + (3 - 1) / 2 = 2,   u = 0.5 * 2^0.5   = 0.707107, output 176.777 t; the
 *           NdPr oxide order (position 0, no lead, input_cover 1): 2 * 176.777 * 0.32 = 113.137 t
 *   step 1: Pl = 2 + (3 - 2) / 2 = 2.5, u = 0.5 * 2.5^0.5 = 0.790569, output 197.642 t
 * With no lag and an index of 5, 0.5 * 5^0.5 = 1.118 is capped at 1: 250 t. Elasticity 0 (the
 * default) ignores the price: 125 t and an order of 2 * 125 * 0.32 = 80 t; so does a plant
 * without a price index (io->price NULL). */
static void test_price_response(void **unused)
{
    (void)unused;
    /* case: 0 lag 2 and index 3; 1 no lag, index 5; 2 elasticity 0; 3 no index */
    const double want[4][2] = {{176.776695, 197.642354}, {250, 250}, {125, 125}, {125, 125}};
    const double want_order[4] = {113.137085, 160, 80, 80};
    for (int c = 0; c < 4; c++) {
        void *p = plant();
        set_num(M, p, "utilisation", 0.5);
        if (c != 2)
            set_num(M, p, "price_util_elasticity", 0.5);
        if (c != 1)
            set_num(M, p, "price_lag_months", 2);
        void *s = state_new(M, p);
        gsl_rng *r = rng_new(5);
        fixture f = {0};
        double price[NMAT] = {1, 1, c == 1 ? 5 : 3};
        for (int t = 0; t < 2; t++) {
            f.stock[0] = 500;
            f.stock[1] = 20;
            f.stock[2] = 0;
            f.position[0] = f.position[1] = f.position[2] = 0;
            run_priced(p, s, &f, t, r, c == 3 ? NULL : price);
            assert_near(f.produced[2], want[c][t], 1e-5);
            if (t == 0)
                assert_near(f.order[0], want_order[c], 1e-5);
        }
        free(s);
        free(p);
        gsl_rng_free(r);
    }
}

/* order() takes the planned rate (ramped capacity x price utilisation) that produce() set at the
 * same step, and computes it when produce() has not run at that step. A capacity that ramps every
 * step, a lagged price response and an outage every other step (outage_prob and outage_months 1 flip
 * the state each step; orders ignore outages): each order must equal the rules' value bit for bit, also when
 * order() runs alone at a step after one with produce(). */
static void test_order_rate_of_the_step(void **unused)
{
    (void)unused;
    void *p = plant();
    set_num(M, p, "utilisation", 0.5);
    set_num(M, p, "ramp_add", 120);
    set_num(M, p, "ramp_start", 0);
    set_num(M, p, "ramp_months", 6);
    set_num(M, p, "price_util_elasticity", 0.5);
    set_num(M, p, "price_lag_months", 2);
    set_num(M, p, "outage_prob", 1);
    set_num(M, p, "outage_months", 1);
    void *s = state_new(M, p);
    gsl_rng *r = rng_new(5);
    fixture f = {0};
    double price[NMAT] = {1, 1, 3}, plag = 1;
    for (int t = 0; t < 10; t++) {
        int alone = t % 3 == 2; /* order() without produce() at this step */
        f.stock[0] = 500;
        f.stock[1] = 20;
        f.stock[2] = 0;
        f.position[0] = 40;
        fx_step(&f, t, r);
        f.io.price = price;
        if (!alone) {
            M->produce(p, s, &f.io);
            plag += (3 - plag) * (1 / 2.0);
        }
        M->order(p, s, &f.io);
        double ramp = (double)t / 6 < 1 ? (double)t / 6 : 1;
        double cap = 250 + 120 * ramp, u = 0.5 * ree_pow(plag, 0.5);
        double want = (1 + 0 + 1.0) * (cap * (u < 1 ? u : 1)) * 0.32 - 40;
        assert_memory_equal(&f.order[0], &want, sizeof want);
        if (!alone)
            assert_near(f.metrics[3], t % 3 == 0 ? 1 : 0, 0); /* down at 0, 3, 6, 9 */
    }
    free(s);
    free(p);
    gsl_rng_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ample_inputs),
        cmocka_unit_test(test_input_limited),
        cmocka_unit_test(test_delay_and_max_stock),
        cmocka_unit_test(test_max_delay_ring),
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_outage_and_ramp),
        cmocka_unit_test(test_outage_draws),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_price_response),
        cmocka_unit_test(test_order_rate_of_the_step),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

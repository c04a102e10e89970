/* Tests for models/source.c: ramp, utilisation, output split, stock cap, Markov outages, one draw
 * per step. */
#include "model_fixture.h"
#include "models.h"

#define M (&ree_model_source)

/* Mountain Pass scale: 51,000 t/yr concentrate ~ 4,250 t/month (facts-detailed.md s.2a). The
 * output is split 70/30 between materials 0 and 1 for the test. */
static const double mix[NMAT] = {0.7, 0.3, 0};

static void *mine(void)
{
    void *p = params_new(M);
    set_map(M, p, "output", mix);
    set_num(M, p, "capacity", 4250);
    return p;
}

static double cap_at(void *p, int step)
{
    fixture f = {0};
    gsl_rng *r = rng_new(1);
    void *s = state_new(M, p);
    fx_step(&f, step, r);
    M->produce(p, s, &f.io);
    double c = f.metrics[0];
    free(s);
    gsl_rng_free(r);
    return c;
}

static void test_defaults_and_split(void **unused)
{
    (void)unused;
    void *p = mine();
    set_num(M, p, "utilisation", 0.8);
    void *s = state_new(M, p);
    gsl_rng *r = rng_new(7);
    fixture f = {0};
    fx_step(&f, 0, r);
    M->produce(p, s, &f.io);
    /* 4,250 * 0.8 = 3,400 t: 2,380 t of material 0 and 1,020 t of material 1. */
    assert_near(f.metrics[0], 4250, 1e-9);
    assert_near(f.metrics[1], 3400, 1e-9);
    assert_near(f.metrics[2], 0, 0);
    assert_near(f.produced[0], 2380, 1e-9);
    assert_near(f.produced[1], 1020, 1e-9);
    assert_near(f.produced[2], 0, 0);
    assert_booked_within_stock(&f);
    double ind[2];
    M->finish(p, s, &test_ctx, ind);
    assert_near(ind[0], 3400, 1e-9);
    assert_near(ind[1], 0, 0);
    free(s);
    free(p);
    gsl_rng_free(r);
}

static void test_ramp(void **unused)
{
    (void)unused;
    void *p = mine();
    /* +1,000 t/month over 12 months from step 6. */
    set_num(M, p, "ramp_add", 1000);
    set_num(M, p, "ramp_start", 6);
    assert_near(cap_at(p, 0), 4250, 1e-9);
    assert_near(cap_at(p, 6), 4250, 1e-9);
    assert_near(cap_at(p, 9), 4500, 1e-9);  /* 3/12 of the way */
    assert_near(cap_at(p, 12), 4750, 1e-9); /* half way */
    assert_near(cap_at(p, 18), 5250, 1e-9);
    assert_near(cap_at(p, 35), 5250, 1e-9);
    /* ramp_months 0: a step at ramp_start. */
    set_num(M, p, "ramp_months", 0);
    assert_near(cap_at(p, 5), 4250, 1e-9);
    assert_near(cap_at(p, 6), 5250, 1e-9);
    /* A ramp that began 6 months before the horizon: half done at step 0. */
    set_num(M, p, "ramp_months", 12);
    set_num(M, p, "ramp_start", -6);
    assert_near(cap_at(p, 0), 4750, 1e-9);
    free(p);
}

static void test_max_stock(void **unused)
{
    (void)unused;
    void *p = mine();
    set_num(M, p, "max_stock", 5000);
    void *s = state_new(M, p);
    gsl_rng *r = rng_new(7);
    fixture f = {0};
    /* 2,000 + 1,000 t of the output materials held; material 2 is not output and not counted.
     * Room = 5,000 - 3,000 = 2,000 t < 4,250 t capacity. */
    f.stock[0] = 2000;
    f.stock[1] = 1000;
    f.stock[2] = 9999;
    fx_step(&f, 0, r);
    M->produce(p, s, &f.io);
    assert_near(f.metrics[1], 2000, 1e-9);
    assert_near(f.produced[0], 1400, 1e-9);
    assert_near(f.produced[1], 600, 1e-9);
    /* Full: nothing. Over-full: still nothing, never negative. */
    f.stock[0] = 4000;
    fx_step(&f, 1, r);
    M->produce(p, s, &f.io);
    assert_near(f.metrics[1], 0, 0);
    assert_near(f.produced[0], 0, 0);
    assert_booked_within_stock(&f);
    free(s);
    free(p);
    gsl_rng_free(r);
}

static void test_outage_deterministic(void **unused)
{
    (void)unused;
    void *p = mine();
    /* outage_prob 1: up -> down surely; outage_months 1: down -> up surely. So the chain
     * alternates down, up, down, up from the start (it starts up). */
    set_num(M, p, "outage_prob", 1);
    set_num(M, p, "outage_months", 1);
    void *s = state_new(M, p);
    gsl_rng *r = rng_new(11);
    fixture f = {0};
    for (int t = 0; t < 4; t++) {
        fx_step(&f, t, r);
        M->produce(p, s, &f.io);
        int down = (t % 2) == 0;
        assert_near(f.metrics[2], down, 0);
        assert_near(f.metrics[1], down ? 0 : 4250, 1e-9);
        assert_near(f.produced[0], down ? 0 : 2975, 1e-9);
        assert_metrics_finite(M, &f);
    }
    double ind[2];
    M->finish(p, s, &test_ctx, ind);
    assert_near(ind[0], 8500, 1e-9); /* two months up */
    assert_near(ind[1], 2, 0);
    free(s);
    free(p);
    gsl_rng_free(r);
}

static void test_outage_stationary_share(void **unused)
{
    (void)unused;
    void *p = mine();
    /* p = 0.1, q = 1/2: stationary share down = p / (p + q) = 1/6 = 0.1667. Fixed seed, so this
     * is deterministic; 200,000 steps give a standard error of about 0.002. */
    set_num(M, p, "outage_prob", 0.1);
    set_num(M, p, "outage_months", 2);
    void *s = state_new(M, p);
    gsl_rng *r = rng_new(2025);
    fixture f = {0};
    int n = 200000;
    for (int t = 0; t < n; t++) {
        fx_step(&f, t, r);
        M->produce(p, s, &f.io);
    }
    double ind[2];
    M->finish(p, s, &test_ctx, ind);
    assert_near(ind[1] / n, 1.0 / 6, 0.01);
    free(s);
    free(p);
    gsl_rng_free(r);
}

/* `n` steps of produce() from a fresh state on a generator seeded `seed` (outage flags checked
 * against `down` unless NULL); the uniforms drawn must be `draws`: the generator is then where a
 * reference generator of the same seed is after `draws` of them. */
static void run_counting(void *p, int n, unsigned long seed, int draws, const double *down)
{
    void *s = state_new(M, p);
    gsl_rng *r = rng_new(seed), *ref = rng_new(seed);
    fixture f = {0};
    for (int t = 0; t < n; t++) {
        fx_step(&f, t, r);
        M->produce(p, s, &f.io);
        if (down)
            assert_near(f.metrics[2], down[t], 0);
    }
    for (int i = 0; i < draws; i++)
        gsl_rng_uniform_pos(ref);
    assert_true(gsl_rng_get(r) == gsl_rng_get(ref));
    free(s);
    gsl_rng_free(r);
    gsl_rng_free(ref);
}

/* One uniform a step drives the outage chain, drawn only when the chance of a change is
 * strictly between 0 and 1: the engine keys each step's stream afresh (engine/sim/run.c,
 * ree_run_streams), so a draw left out moves no other. */
static void test_draws_only_when_uncertain(void **unused)
{
    (void)unused;
    void *p = mine(); /* outage_prob 0: never down, and nothing drawn */
    static const double up[5] = {0, 0, 0, 0, 0}, alt[5] = {1, 0, 1, 0, 1};
    run_counting(p, 5, 99, 0, up);
    set_num(M, p, "outage_prob", 1); /* certain both ways: alternates, nothing drawn */
    set_num(M, p, "outage_months", 1);
    run_counting(p, 5, 99, 0, alt);
    set_num(M, p, "outage_prob", 0.3); /* uncertain both ways: one a step */
    set_num(M, p, "outage_months", 2);
    run_counting(p, 5, 99, 5, NULL);
    free(p);
}

static void test_zero_capacity(void **unused)
{
    (void)unused;
    void *p = mine();
    set_num(M, p, "capacity", 0);
    set_num(M, p, "utilisation", 0);
    void *s = state_new(M, p);
    gsl_rng *r = rng_new(3);
    fixture f = {0};
    fx_step(&f, 0, r);
    M->produce(p, s, &f.io);
    assert_near(f.metrics[1], 0, 0);
    assert_metrics_finite(M, &f);
    assert_booked_within_stock(&f);
    free(s);
    free(p);
    gsl_rng_free(r);
}

static void test_check(void **unused)
{
    (void)unused;
    void *p = mine();
    const char *key = NULL;
    char why[128];
    assert_int_equal(M->check(p, &test_ctx, &key, why, sizeof why), 0);
    const double short_mix[NMAT] = {0.7, 0.299, 0};
    set_map(M, p, "output", short_mix);
    assert_int_equal(M->check(p, &test_ctx, &key, why, sizeof why), -1);
    assert_string_equal(key, "output");
    const double neg_mix[NMAT] = {1.2, -0.2, 0};
    set_map(M, p, "output", neg_mix);
    assert_int_equal(M->check(p, &test_ctx, &key, why, sizeof why), -1);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_split),
        cmocka_unit_test(test_ramp),
        cmocka_unit_test(test_max_stock),
        cmocka_unit_test(test_outage_deterministic),
        cmocka_unit_test(test_outage_stationary_share),
        cmocka_unit_test(test_draws_only_when_uncertain),
        cmocka_unit_test(test_zero_capacity),
        cmocka_unit_test(test_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

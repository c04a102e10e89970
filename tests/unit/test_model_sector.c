/* Tests for models/sector.c: demand growth and noise, orders, shortfall, substitution, demand
 * destruction, and the resilience indicators on hand-made trajectories (a shock, a recovery,
 * no shock). */
#include "firms.h"
#include "model_fixture.h"
#include "models.h"

#define M    (&ree_model_sector)
#define NIND 14
#define WPM  REE_WEEKS_PER_MONTH

/* US automotive: ~40% of 8-9 kt/yr of magnet imports ~ 300 t/month (facts-detailed.md s.3,
 * an unverified split); 2 kg NdFeB per EV traction motor (MP/GM, s.3). Material 2 = magnets. */
static void *autos(void)
{
    void *p = params_new(M);
    set_mat(M, p, "material", 2);
    set_num(M, p, "demand", 300);
    set_num(M, p, "kg_per_unit", 2);
    return p;
}

static void test_order_consume(void **unused)
{
    (void)unused;
    void *p = autos(); /* cover 4 weeks, no noise, growth, substitution or destruction */
    void *s = state_new(M, p);
    gsl_rng *r = rng_new(17);
    fixture f = {0};
    /* need 300; order 300 * (1 + 4 / wpm) - 200 = 300 * 1.91992 - 200 = 375.98 t. */
    f.position[2] = 200;
    f.stock[2] = 240;
    fx_step(&f, 0, r);
    M->order(p, s, &f.io);
    assert_near(f.metrics[0], 300, 1e-9);
    assert_near(f.metrics[1], 300, 1e-9);
    assert_near(f.order[2], 300 * (1 + 4 / WPM) - 200, 1e-9);
    assert_near(f.order[2], 375.98, 0.01);
    /* 240 t on hand: used 240, short 60 t = 20%, 60,000 kg / 2 kg = 30,000 motors lost. */
    M->consume(p, s, &f.io);
    assert_near(f.consumed[2], 240, 0);
    assert_near(f.metrics[2], 240, 0);
    assert_near(f.metrics[3], 60, 1e-9);
    assert_near(f.metrics[4], 0.2, 1e-12);
    assert_near(f.metrics[7], 30000, 1e-6);
    assert_booked_within_stock(&f);
    /* Plenty next month: used = need, no shortfall. */
    f.stock[2] = 1000;
    fx_step(&f, 1, r);
    M->order(p, s, &f.io);
    M->consume(p, s, &f.io);
    assert_near(f.consumed[2], 300, 1e-9);
    assert_near(f.metrics[3], 0, 0);
    assert_booked_within_stock(&f);
    double ind[NIND];
    M->finish(p, s, &test_ctx, ind);
    assert_near(ind[0], 60, 1e-9);
    assert_near(ind[1], 60.0 / 600, 1e-12);
    assert_near(ind[2], 1, 0); /* 240 < 0.95 * 300 = 285 */
    assert_near(ind[3], 0.2, 1e-12);
    assert_near(ind[4], 30000, 1e-6);
    assert_near(ind[5], 0, 0);
    free(s);
    free(p);
    gsl_rng_free(r);
}

static void test_growth(void **unused)
{
    (void)unused;
    void *p = autos();
    set_num(M, p, "growth", 0.1);
    void *s = state_new(M, p);
    gsl_rng *r = rng_new(17);
    fixture f = {0};
    fx_step(&f, 12, r); /* one year on: 330 t */
    M->order(p, s, &f.io);
    assert_near(f.metrics[0], 330, 1e-9);
    fx_step(&f, 6, r); /* half a year: 300 * sqrt(1.1) = 314.64 t */
    M->order(p, s, &f.io);
    assert_near(f.metrics[0], 300 * sqrt(1.1), 1e-9);
    free(s);
    free(p);
    gsl_rng_free(r);
}

static void test_substitution_and_destruction(void **unused)
{
    (void)unused;
    void *p = autos();
    set_num(M, p, "sub_max", 0.3);
    set_num(M, p, "dd_max", 0.1);
    set_num(M, p, "dd_elasticity", 0.5);
    void *s = state_new(M, p);
    gsl_rng *r = rng_new(17);
    fixture f = {0};
    /* Step 0: stock 150 of 300: 50% short. */
    f.stock[2] = 150;
    fx_step(&f, 0, r);
    M->order(p, s, &f.io);
    M->consume(p, s, &f.io);
    assert_near(f.metrics[4], 0.5, 1e-12);
    /* Step 1: 0.5 > trigger 0.05, so sub = 0 + (0.3 - 0) / 12 = 0.025. Scarcity 0.4:
     * dd = min(0.1, 0.5 * 0.4) = 0.1. need = 300 * 0.975 * 0.9 = 263.25 t; destroyed =
     * 300 * 0.975 * 0.1 = 29.25 t. */
    f.scarcity[2] = 0.4;
    f.stock[2] = 1000;
    fx_step(&f, 1, r);
    M->order(p, s, &f.io);
    assert_near(f.metrics[5], 0.025, 1e-12);
    assert_near(f.metrics[1], 263.25, 1e-9);
    assert_near(f.metrics[6], 29.25, 1e-9);
    M->consume(p, s, &f.io);
    assert_near(f.metrics[3], 0, 0);
    /* Step 2: no shortage last month: sub = 0.025 - 0.025 / 36 = 0.0243056. */
    f.scarcity[2] = 0;
    fx_step(&f, 2, r);
    M->order(p, s, &f.io);
    assert_near(f.metrics[5], 0.025 * (1 - 1.0 / 36), 1e-12);
    assert_near(f.metrics[1], 300 * (1 - 0.025 * (1 - 1.0 / 36)), 1e-9);
    /* Time constants below a month are clamped to one month: sub jumps straight to sub_max. */
    set_num(M, p, "sub_months", 0.25);
    M->consume(p, s, &f.io);
    f.stock[2] = 0;
    fx_step(&f, 3, r);
    M->order(p, s, &f.io);
    M->consume(p, s, &f.io); /* fully short */
    fx_step(&f, 4, r);
    M->order(p, s, &f.io);
    assert_near(f.metrics[5], 0.3, 1e-12);
    free(s);
    free(p);
    gsl_rng_free(r);
}

static void test_noise(void **unused)
{
    (void)unused;
    void *p = autos();
    set_num(M, p, "noise", 0.2);
    void *s = state_new(M, p);
    gsl_rng *r = rng_new(4242), *ref = rng_new(4242);
    fixture f = {0};
    /* Mean-one lognormal factor: the average demand over 100,000 months is 300 within about
     * 3 * 300 * 0.2 / sqrt(1e5) = 0.6 t. One uniform per step: the stream stays in step with a
     * reference generator drawing one uniform_pos per month. */
    double sum = 0;
    int n = 100000;
    for (int t = 0; t < n; t++) {
        fx_step(&f, 0, r);
        M->order(p, s, &f.io);
        sum += f.metrics[0];
        assert_true(f.metrics[0] > 0 && isfinite(f.metrics[0]));
        (void)gsl_rng_uniform_pos(ref);
    }
    assert_near(sum / n, 300, 1.0);
    assert_true(gsl_rng_get(r) == gsl_rng_get(ref));
    free(s);
    free(p);
    gsl_rng_free(r);
    gsl_rng_free(ref);
}

/* noise 0 (the default): the factor is exactly 1 and no uniform is drawn. */
static void test_no_noise_no_draw(void **unused)
{
    (void)unused;
    void *p = autos();
    void *s = state_new(M, p);
    gsl_rng *r = rng_new(4243), *ref = rng_new(4243);
    fixture f = {0};
    for (int t = 0; t < 12; t++) {
        fx_step(&f, 0, r);
        M->order(p, s, &f.io);
        assert_true(f.metrics[0] == 300);
    }
    assert_true(gsl_rng_get(r) == gsl_rng_get(ref));
    free(s);
    free(p);
    gsl_rng_free(r);
    gsl_rng_free(ref);
}

static void test_zero_demand(void **unused)
{
    (void)unused;
    void *p = autos();
    set_num(M, p, "demand", 0);
    set_num(M, p, "sub_max", 1);
    set_num(M, p, "dd_max", 1);
    set_num(M, p, "dd_elasticity", 10);
    void *s = state_new(M, p);
    gsl_rng *r = rng_new(17);
    fixture f = {0};
    f.scarcity[2] = 1;
    fx_step(&f, 0, r);
    M->order(p, s, &f.io);
    M->consume(p, s, &f.io);
    assert_metrics_finite(M, &f);
    assert_near(f.order[2], 0, 0);
    assert_near(f.metrics[4], 0, 0);
    assert_booked_within_stock(&f);
    double ind[NIND];
    M->finish(p, s, &test_ctx, ind);
    for (int i = 0; i < NIND; i++)
        assert_true(isfinite(ind[i]));
    assert_near(ind[1], 0, 0);
    assert_near(ind[2], 0, 0);
    assert_near(ind[5], 36, 0); /* never short: the horizon length */
    free(s);
    free(p);
    gsl_rng_free(r);
}

/* Indicator positions in the model's table (checked by test_indicator_table). */
enum {
    I_SHORTFALL,
    I_SHARE,
    I_MONTHS_SHORT,
    I_MAX_SHARE,
    I_LOST,
    I_FIRST_SHORT,
    I_MAX_SHORTFALL,
    I_DEPTH,
    I_ONSET,
    I_RECOVER
};

static void test_indicator_table(void **unused)
{
    (void)unused;
    static const char *const names[NIND] = {
        "shortfall",           "shortfall_share",   "months_short",     "max_shortfall_share",
        "lost_units",          "first_short_month", "max_shortfall",    "depth_duration",
        "onset_lag",           "time_to_recover",   "first_stop_month", "time_to_first_stop",
        "firm_months_stopped", "max_firms_stopped"};
    assert_int_equal(M->nindicators, NIND);
    for (int i = 0; i < NIND; i++)
        assert_string_equal(M->indicators[i].name, names[i]);
}

/* Drive the autos sector (need 300 t every month, service level 0.95: short below 285 t) through
 * `n` months with stock[t] on hand in month t, then compute the indicators. */
static void trajectory(void *p, const double *stock, int n, double *ind)
{
    void *s = state_new(M, p);
    gsl_rng *r = rng_new(17);
    fixture f = {0};
    for (int t = 0; t < n; t++) {
        f.stock[2] = stock[t];
        fx_step(&f, t, r);
        M->order(p, s, &f.io);
        M->consume(p, s, &f.io);
        assert_booked_within_stock(&f);
    }
    M->finish(p, s, &test_ctx, ind);
    free(s);
    gsl_rng_free(r);
}

/* A shock in month 2 (shock_start month 1), a false recovery in month 4 (290 t >= 285 t: at
 * service, though 10 t short), short again in month 5, then three months at service from 6. */
static void test_shock_and_recovery(void **unused)
{
    (void)unused;
    void *p = autos();
    set_num(M, p, "shock_start", 1);
    const double stock[9] = {1000, 1000, 150, 0, 290, 200, 1000, 1000, 1000};
    double ind[NIND];
    trajectory(p, stock, 9, ind);
    /* Shortfalls 150, 300, 10, 100 t = 560 t of 9 * 300 = 2700 t needed. */
    assert_near(ind[I_SHORTFALL], 560, 1e-9);
    assert_near(ind[I_SHARE], 560.0 / 2700, 1e-12);
    assert_near(ind[I_MONTHS_SHORT], 3, 0); /* months 2, 3, 5 */
    assert_near(ind[I_MAX_SHARE], 1, 0);
    assert_near(ind[I_LOST], 560 * 1000 / 2.0, 1e-6); /* 280,000 motors */
    assert_near(ind[I_FIRST_SHORT], 2, 0);
    assert_near(ind[I_MAX_SHORTFALL], 300, 0);
    /* 0.5 + 1 + 10/300 + 100/300 = 1.8667 months of complete outage. */
    assert_near(ind[I_DEPTH], 0.5 + 1 + 10.0 / 300 + 100.0 / 300, 1e-12);
    assert_near(ind[I_ONSET], 1, 0);   /* month 2 - shock month 1 */
    assert_near(ind[I_RECOVER], 4, 0); /* at service for 3 months from month 6: 6 - 2 */
    free(p);
}

/* Short before the shock month counts for first_short_month, not for the onset; a recovery that
 * has not lasted recover_months by the horizon end is censored at the horizon (36 months). */
static void test_shock_month_and_censoring(void **unused)
{
    (void)unused;
    void *p = autos();
    set_num(M, p, "shock_start", 5);
    double stock[36];
    for (int t = 0; t < 36; t++)
        stock[t] = 1000;
    stock[1] = 100;  /* before the shock */
    stock[7] = 0;    /* onset: 2 months after the shock */
    stock[8] = 280;  /* 280 < 285: still short */
    stock[12] = 100; /* after recovery (months 9-11): a second episode, not timed */
    double ind[NIND];
    trajectory(p, stock, 36, ind);
    assert_near(ind[I_FIRST_SHORT], 1, 0);
    assert_near(ind[I_ONSET], 2, 0);
    assert_near(ind[I_RECOVER], 2, 0); /* 9 - 7 */
    assert_near(ind[I_MONTHS_SHORT], 4, 0);
    assert_near(ind[I_MAX_SHORTFALL], 300, 0);
    /* Never recovered: short from month 33, at service in 34 and 35 only (2 < 3 months). */
    for (int t = 0; t < 36; t++)
        stock[t] = 1000;
    stock[33] = 0;
    set_num(M, p, "shock_start", 0);
    trajectory(p, stock, 36, ind);
    assert_near(ind[I_ONSET], 33, 0);
    assert_near(ind[I_RECOVER], 36 - 33, 0);
    /* With recover_months 2 the same months count as a recovery in month 34. */
    set_num(M, p, "recover_months", 2);
    trajectory(p, stock, 36, ind);
    assert_near(ind[I_RECOVER], 1, 0);
    /* A shock dated after the horizon: no onset. */
    set_num(M, p, "shock_start", 40);
    trajectory(p, stock, 36, ind);
    assert_near(ind[I_ONSET], 36, 0);
    assert_near(ind[I_RECOVER], 0, 0);
    free(p);
}

/* No shock: everything at service. Indicators of quantity are 0, the onset is the horizon. */
static void test_no_shock(void **unused)
{
    (void)unused;
    void *p = autos();
    double stock[36];
    for (int t = 0; t < 36; t++)
        stock[t] = 290; /* above the service level: short 10 t, but not a short month */
    double ind[NIND];
    trajectory(p, stock, 36, ind);
    assert_near(ind[I_MONTHS_SHORT], 0, 0);
    assert_near(ind[I_FIRST_SHORT], 36, 0);
    assert_near(ind[I_ONSET], 36, 0);
    assert_near(ind[I_RECOVER], 0, 0);
    assert_near(ind[I_MAX_SHORTFALL], 10, 1e-9);
    assert_near(ind[I_DEPTH], 36 * 10.0 / 300, 1e-12);
    for (int t = 0; t < 36; t++)
        stock[t] = 1000;
    trajectory(p, stock, 36, ind);
    for (int i = 0; i < NIND; i++)
        assert_near(ind[i], i == I_FIRST_SHORT || i == I_ONSET || (i >= 10 && i <= 11) ? 36 : 0, 0);
    free(p);
}

/* Two firm classes (K = 2) with cover lognormal, mean 4 weeks and sd 4 weeks: sl2 = ln 2, class
 * covers at the 25% and 75% quantiles c = exp(ln 4 - ln2/2 -/+ sqrt(ln 2) * 0.674490) = 1.6131
 * and 4.9593 weeks. Step 0: 310 t on hand, split by 1 + c / wpm = 1.37098 and 2.14054: 121.03
 * and 188.97 t. Each class needs 150 t: the thin class stops 1 - 121.03 / 150 = 19.3% of the
 * month (5.88 days) although the pooled 310 t would have covered the 300 t. */
static void test_firm_classes(void **unused)
{
    (void)unused;
    void *p = autos();
    set_num(M, p, "firm_classes", 2);
    set_num(M, p, "cover_sd", 4);
    void *s = state_new(M, p);
    gsl_rng *r = rng_new(17);
    fixture f = {0};
    double sl2 = log(2), z = 0.6744897501960817;
    double c0 = exp(log(4) - sl2 / 2 - sqrt(sl2) * z), c1 = exp(log(4) - sl2 / 2 + sqrt(sl2) * z);
    assert_near(c0, 1.6131, 1e-4);
    assert_near(c1, 4.9593, 1e-4);
    double w0 = 1 + c0 / WPM, w1 = 1 + c1 / WPM;
    double s0 = 310 * w0 / (w0 + w1), s1 = 310 * w1 / (w0 + w1);
    assert_near(s0, 121.03, 0.01);
    f.stock[2] = f.position[2] = 310;
    fx_step(&f, 0, r);
    M->order(p, s, &f.io);
    /* Orders 150 * w_i - s_i: 84.62 + 132.11 = 216.73 t (lead 0: no io->lead). */
    double o0 = 150 * w0 - s0, o1 = 150 * w1 - s1;
    assert_near(f.order[2], o0 + o1, 1e-9);
    assert_near(f.order[2], 216.73, 0.01);
    M->consume(p, s, &f.io);
    assert_near(f.consumed[2], s0 + 150, 1e-9);
    assert_near(f.metrics[3], 150 - s0, 1e-9); /* 28.97 t short */
    /* Lost: 0.19312 of the thin class's 150 t / 2 kg = 75,000 units a month: 14,484 units. */
    assert_near(f.metrics[7], (1 - s0 / 150) * 150 * 1000 / 2, 1e-6);
    assert_near(f.metrics[7], 14484.3, 0.1);
    assert_near(f.metrics[8], 0.5, 0); /* one class of two stopped */
    assert_booked_within_stock(&f);
    /* Step 1: 38.97 t left (all the thick class's); 200 t arrive, given to the classes in
     * proportion to their orders: 78.08 and 160.88 t. Thin class stops 47.9% of the month. */
    f.stock[2] = 310 - f.consumed[2] + 200;
    f.position[2] = f.stock[2];
    f.received[2] = 200;
    fx_step(&f, 1, r);
    M->order(p, s, &f.io);
    double t0 = 200 * o0 / (o0 + o1), t1 = s1 - 150 + 200 * o1 / (o0 + o1);
    assert_near(t0, 78.08, 0.01);
    assert_near(f.order[2], (150 * w0 - t0) + (150 * w1 - t1), 1e-9);
    M->consume(p, s, &f.io);
    assert_near(f.consumed[2], t0 + 150, 1e-9);
    assert_near(f.metrics[8], 0.5, 0);
    assert_booked_within_stock(&f);
    /* Step 2: plenty. */
    f.stock[2] = 1000;
    f.position[2] = 1000;
    f.received[2] = 1000 - (t1 - 150);
    fx_step(&f, 2, r);
    M->order(p, s, &f.io);
    M->consume(p, s, &f.io);
    assert_near(f.metrics[3], 0, 1e-9);
    assert_near(f.metrics[8], 0, 0);
    double ind[NIND];
    M->finish(p, s, &test_ctx, ind);
    assert_near(ind[10], 0, 0);                                         /* first_stop_month */
    assert_near(ind[11], 0, 0);                                         /* time_to_first_stop */
    assert_near(ind[12], ((1 - s0 / 150) + (1 - t0 / 150)) / 2, 1e-12); /* 0.336 months */
    assert_near(ind[13], 0.5, 0);
    free(s);
    free(p);
    gsl_rng_free(r);
}

/* stop_days: the thin class's 5.88 days count at stop_days 5, not at 6; the lost units do not
 * depend on it. shock_start one month after the stop: time_to_first_stop sees none. */
static void test_stop_days(void **unused)
{
    (void)unused;
    for (int k = 0; k < 2; k++) {
        void *p = autos();
        set_num(M, p, "firm_classes", 2);
        set_num(M, p, "cover_sd", 4);
        set_num(M, p, "stop_days", k ? 6 : 5);
        set_num(M, p, "shock_start", 1);
        void *s = state_new(M, p);
        gsl_rng *r = rng_new(17);
        fixture f = {0};
        f.stock[2] = f.position[2] = 310;
        fx_step(&f, 0, r);
        M->order(p, s, &f.io);
        M->consume(p, s, &f.io);
        assert_near(f.metrics[8], k ? 0 : 0.5, 0);
        assert_near(f.metrics[7], 14484.3, 0.1);
        double ind[NIND];
        M->finish(p, s, &test_ctx, ind);
        assert_near(ind[10], k ? 36 : 0, 0);
        assert_near(ind[11], 36, 0);
        assert_near(ind[12], k ? 0 : 0.19312 / 2, 1e-5);
        free(s);
        free(p);
        gsl_rng_free(r);
    }
}

/* consume() skips the classes that get their whole share (u = n): their terms add +0 to the
 * shortfall and the losses and stop nothing. The consumed, shortfall, lost-unit and stopped
 * figures must equal, bit for bit, the full class loop's over the same class stocks (the split of
 * the first order(), replayed here with firms.c), from no class served to every class served,
 * and with no need at all. */
static void test_served_classes_exact(void **unused)
{
    (void)unused;
    const double stocks[] = {0, 180, 250, 290, 330, 400, 1000, 310, 0};
    const double demands[] = {300, 300, 300, 300, 300, 300, 300, 0, 0};
    for (size_t c = 0; c < sizeof stocks / sizeof stocks[0]; c++) {
        void *p = autos();
        set_num(M, p, "demand", demands[c]);
        set_num(M, p, "firm_classes", 4);
        set_num(M, p, "cover_sd", 4);
        void *s = state_new(M, p);
        gsl_rng *r = rng_new(23);
        fixture f = {0};
        f.stock[2] = f.position[2] = stocks[c];
        fx_step(&f, 0, r);
        M->order(p, s, &f.io);
        M->consume(p, s, &f.io);

        ree_firms g;
        ree_firms_reset(&g, 4, 4, 4);
        ree_firms_split(&g, stocks[c], stocks[c], 0);
        ree_firms_rescale(g.cstock, g.k, stocks[c]);
        double n = demands[c] / g.k, used = 0, shortfall = 0, lost = 0, stopped = 0;
        int served = 0;
        for (int i = 0; i < g.k; i++) {
            double u = g.cstock[i] < n ? g.cstock[i] : n;
            used += u;
            shortfall += n - u;
            double stop = n > 0 ? 1 - u / n : 0;
            lost += stop * n * 1000 / 2;
            if (stop > 1e-9 && stop * REE_DAYS_PER_MONTH >= 1)
                stopped += 1.0 / g.k;
            served += u == n;
        }
        used = used < stocks[c] ? used : stocks[c];
        if (c == 0)
            assert_int_equal(served, 0);
        if (c == 2)
            assert_true(served > 0 && served < g.k);
        if (c == 6)
            assert_int_equal(served, g.k);
        assert_memory_equal(&f.consumed[2], &used, sizeof used);
        assert_memory_equal(&f.metrics[2], &used, sizeof used);
        assert_memory_equal(&f.metrics[3], &shortfall, sizeof shortfall);
        assert_memory_equal(&f.metrics[7], &lost, sizeof lost);
        assert_memory_equal(&f.metrics[8], &stopped, sizeof stopped);
        free(s);
        free(p);
        gsl_rng_free(r);
    }
}

/* One class (the default) with cover_sd is the pooled sector: cover_sd is then unused. Pooled,
 * 310 t cover the 300 t: nothing stops. */
static void test_one_class_is_pooled(void **unused)
{
    (void)unused;
    void *p = autos();
    set_num(M, p, "cover_sd", 4);
    void *s = state_new(M, p);
    gsl_rng *r = rng_new(17);
    fixture f = {0};
    f.stock[2] = f.position[2] = 310;
    fx_step(&f, 0, r);
    M->order(p, s, &f.io);
    assert_near(f.order[2], 300 * (1 + 4 / WPM) - 310, 1e-9);
    M->consume(p, s, &f.io);
    assert_near(f.metrics[3], 0, 0);
    assert_near(f.metrics[8], 0, 0);
    free(s);
    free(p);
    gsl_rng_free(r);
}

/* Prices: index e (ln = 1). price_sub_elasticity 0.1, sub_months 4: target 0.1, sub 0.1 / 4 =
 * 0.025 the first month; price_dd_elasticity 0.2: dd 0.2. need = 300 * 0.975 * 0.8 = 234 t.
 * With price_lag_months 2 the index seen is 1 + (e - 1) / 2 = 1.8591 (ln 0.62011): target 0.062,
 * sub 0.0155, dd 0.124. The price falls back to 1: sub reverts towards 0 at sub_revert_months. */
static void test_prices(void **unused)
{
    (void)unused;
    for (int lag = 0; lag < 2; lag++) {
        void *p = autos();
        set_num(M, p, "sub_max", 0.5);
        set_num(M, p, "sub_months", 4);
        set_num(M, p, "dd_max", 1);
        set_num(M, p, "price_sub_elasticity", 0.1);
        set_num(M, p, "price_dd_elasticity", 0.2);
        set_num(M, p, "price_lag_months", lag ? 2 : 0);
        void *s = state_new(M, p);
        gsl_rng *r = rng_new(17);
        fixture f = {0};
        double price[NMAT] = {1, 1, exp(1)};
        f.stock[2] = f.position[2] = 1000;
        fx_step(&f, 0, r);
        f.io.price = price;
        M->order(p, s, &f.io);
        double l = lag ? log(1 + (exp(1) - 1) / 2) : 1;
        assert_near(l, lag ? 0.62011 : 1, 1e-5);
        double sub = 0.1 * l / 4, dd = 0.2 * l;
        assert_near(f.metrics[5], sub, 1e-12);
        assert_near(f.metrics[1], 300 * (1 - sub) * (1 - dd), 1e-9);
        assert_near(f.metrics[6], 300 * (1 - sub) * dd, 1e-9);
        if (!lag)
            assert_near(f.metrics[1], 234, 1e-9);
        M->consume(p, s, &f.io);
        price[2] = 1;
        fx_step(&f, 1, r);
        f.io.price = price;
        M->order(p, s, &f.io);
        double l1 = lag ? log(1 + (exp(1) - 1) / 4) : 0; /* lag: 1.8591 -> 1.4296 */
        double sub1 = 0.1 * l1 > sub ? sub + (0.1 * l1 - sub) / 4 : sub - (sub - 0.1 * l1) / 36;
        assert_near(f.metrics[5], sub1, 1e-12);
        free(s);
        free(p);
        gsl_rng_free(r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_firm_classes),
        cmocka_unit_test(test_stop_days),
        cmocka_unit_test(test_one_class_is_pooled),
        cmocka_unit_test(test_served_classes_exact),
        cmocka_unit_test(test_prices),
        cmocka_unit_test(test_order_consume),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_substitution_and_destruction),
        cmocka_unit_test(test_noise),
        cmocka_unit_test(test_no_noise_no_draw),
        cmocka_unit_test(test_zero_demand),
        cmocka_unit_test(test_indicator_table),
        cmocka_unit_test(test_shock_and_recovery),
        cmocka_unit_test(test_shock_month_and_censoring),
        cmocka_unit_test(test_no_shock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Non-finite values at run time (docs/reliability.md, "Non-finite values"). Parameter bounds
 * keep every single value far from overflow, but a valid scenario can still compound them: a
 * chain of inventories, each covering 520 weeks of forecast over 120-month lead times, multiplies
 * the sector's order by about 240 at every stage, so 1e9 t/month of demand passes 1e100 (the
 * most a value may reach, REE_RUN_VALUE_MAX) about 38 stages upstream and 1.8e308 about 126
 * stages upstream. These tests drive such plans step by step and check that the run stops at
 * the first step with a value out of range, with a message naming the entity, metric, step and
 * month, and that the mass-balance check fails on a NaN stock instead of passing it.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "diag.h"
#include "plan.h"
#include "reesim/reesim.h"
#include "run.h"
#include "run_priv.h"

static char yaml[65536];

/* A mine, `n` inventories in a chain and a sector; with `only_cars`, the report keeps only the
 * sector's shortfall, so the inventories' metrics are not series. */
static size_t chain(int n, int only_cars)
{
    size_t k = 0;
#define PUT(...) k += (size_t)snprintf(yaml + k, sizeof yaml - k, __VA_ARGS__)
    PUT("reesim: 1\nname: cover-chain\nhorizon: {start: 2025-01, steps: 200}\n"
        "materials:\n  - {id: ndfeb, name: magnets}\nnodes:\n"
        "  - {id: mine, model: source, params: {output: {ndfeb: 1}, capacity: 1e9}}\n");
    for (int i = 0; i < n; i++)
        PUT("  - {id: inv%d, model: inventory, params: {material: ndfeb, cover_weeks: 520, "
            "smoothing: 1}}\n",
            i);
    PUT("  - {id: cars, model: sector, params: {material: ndfeb, demand: 1e9, cover_weeks: 520, "
        "kg_per_unit: 2}}\nlinks:\n  - {from: mine, to: inv0, material: ndfeb, lead_time: 120}\n");
    for (int i = 0; i + 1 < n; i++)
        PUT("  - {from: inv%d, to: inv%d, material: ndfeb, lead_time: 120}\n", i, i + 1);
    PUT("  - {from: inv%d, to: cars, material: ndfeb, lead_time: 120}\n", n - 1);
    if (only_cars)
        PUT("report:\n  series: [\"cars/shortfall\"]\n");
#undef PUT
    assert_true(k < sizeof yaml);
    return k;
}

static ree_plan *load_chain(int n, int only_cars, ree_diag *d)
{
    size_t len = chain(n, only_cars);
    ree_status st = REE_OK;
    ree_plan *p = ree_plan_load_buffer("chain.yaml", yaml, len, d, &st);
    assert_non_null(p); /* every value is within its bounds: the scenario is valid */
    assert_int_equal(st, REE_OK);
    return p;
}

/* Step until the first failure; returns its status and the step it happened in. */
static int step_until_failure(ree_run *r, int nsteps, int *failed_at)
{
    for (int t = 0; t < nsteps; t++) {
        int st = ree_run_step(r);
        if (st != REE_OK) {
            *failed_at = t;
            return st;
        }
    }
    *failed_at = -1;
    return REE_OK;
}

static void test_status(void **unused)
{
    (void)unused;
    assert_string_equal(ree_status_message(REE_ENONFINITE), "non-finite value");
    assert_int_equal(ree_status_exit_code(REE_ENONFINITE), 70);
}

/* The guard stops the run at the first step with a value beyond REE_RUN_VALUE_MAX (about 38
 * stages up the chain), and every value recorded before it is in range. */
static void test_series_guard(void **unused)
{
    (void)unused;
    ree_diag *d = ree_diag_alloc(20);
    ree_plan *p = load_chain(60, 0, d);
    ree_run *r = ree_run_alloc(p);
    assert_non_null(r);
    ree_run_reset(r, p->seed, 0);
    int at;
    assert_int_equal(step_until_failure(r, p->nsteps, &at), REE_ENONFINITE);
    assert_true(at > 20 && at < p->nsteps);
    assert_int_equal(ree_run_steps_done(r), at + 1);
    const double *v = ree_run_series(r);
    int bad_now = 0;
    for (int s = 0; s < p->nseries; s++) {
        for (int t = 0; t < at; t++)
            assert_true(fabs(v[(size_t)s * (size_t)p->nsteps + (size_t)t]) <= REE_RUN_VALUE_MAX);
        bad_now += !(fabs(v[(size_t)s * (size_t)p->nsteps + (size_t)at]) <= REE_RUN_VALUE_MAX);
    }
    assert_true(bad_now > 0);
    char msg[256], where[64], date[16];
    snprintf(msg, sizeof msg, "%s", ree_run_error(r));
    ree_plan_date(p, at, date, sizeof date);
    snprintf(where, sizeof where, "at step %d (%s)", at, date);
    assert_non_null(strstr(msg, "overflowing value"));
    assert_non_null(strstr(msg, "of 'inv"));
    assert_non_null(strstr(msg, "metric '"));
    assert_non_null(strstr(msg, where));
    /* The same through ree_run_finish, which reports the step's status, not REE_OK, and with
     * the balance check on (the stocks are still in balance: the guard fires, not the check). */
    ree_run_set_check(r, 1);
    ree_run_reset(r, p->seed, 0);
    assert_int_equal(ree_run_finish(r), REE_ENONFINITE);
    assert_string_equal(ree_run_error(r), msg);
    ree_run_free(r);
    ree_plan_free(p);
    ree_diag_free(d);
}

/* With every report filtered out but the sector's shortfall, the inventories' orders are still
 * checked: they are the engine's state, not only series. */
static void test_orders_guarded(void **unused)
{
    (void)unused;
    ree_diag *d = ree_diag_alloc(20);
    ree_plan *p = load_chain(60, 1, d);
    ree_run *r = ree_run_alloc(p);
    assert_non_null(r);
    ree_run_reset(r, p->seed, 0);
    int at;
    assert_int_equal(step_until_failure(r, p->nsteps, &at), REE_ENONFINITE);
    assert_non_null(strstr(ree_run_error(r), "order of 'ndfeb'"));
    ree_run_free(r);
    ree_plan_free(p);
    ree_diag_free(d);
}

/* A NaN or infinite stock must fail the balance check: |NaN| > tol is false, so the check is
 * written !(|res| <= tol). No valid scenario reaches a NaN stock before the guard stops it, so
 * the stock is set through the run's private layout (run_priv.h). Without the check, the guard
 * names the stock's series. */
static void test_balance_nan(void **unused)
{
    (void)unused;
    ree_diag *d = ree_diag_alloc(20);
    ree_plan *p = load_chain(3, 0, d);
    ree_run *r = ree_run_alloc(p);
    assert_non_null(r);
    int mine = 0;
    assert_string_equal(p->entities[p->nodes[mine].entity].id, "mine");
    const double bad[] = {NAN, INFINITY, -INFINITY};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        for (int check = 1; check >= 0; check--) {
            ree_run_set_check(r, check);
            ree_run_reset(r, p->seed, 0);
            assert_int_equal(ree_run_step(r), REE_OK);
            r->stock[mine * r->nmat] = bad[k]; /* step 1 starts from it */
            assert_int_equal(ree_run_step(r), REE_ENONFINITE);
            const char *msg = ree_run_error(r);
            if (check)
                assert_non_null(
                    strstr(msg, "mass balance violated at node 'mine', material 'ndfeb', step 1 "
                                "(2025-02): non-finite value"));
            else
                assert_non_null(strstr(msg, "non-finite value"));
            if (!check)
                assert_non_null(strstr(msg, "of 'mine' metric 'stock.ndfeb' at step 1 (2025-02)"));
        }
    }
    ree_run_free(r);
    ree_plan_free(p);
    ree_diag_free(d);
}

/* A shorter chain reaches 1e83 t but stays in range over the whole horizon: the guard does not
 * fire on large legal values, with or without the balance check. */
static void test_finite_chain_runs(void **unused)
{
    (void)unused;
    ree_diag *d = ree_diag_alloc(20);
    ree_plan *p = load_chain(30, 0, d);
    ree_run *r = ree_run_alloc(p);
    assert_non_null(r);
    for (int check = 0; check <= 1; check++) {
        ree_run_set_check(r, check);
        ree_run_reset(r, p->seed, 0);
        assert_int_equal(ree_run_finish(r), REE_OK);
        assert_string_equal(ree_run_error(r), "");
        double top = 0;
        const double *v = ree_run_series(r);
        for (size_t i = 0; i < (size_t)p->nseries * (size_t)p->nsteps; i++)
            top = fabs(v[i]) > top ? fabs(v[i]) : top;
        assert_true(top > 1e60 && top <= REE_RUN_VALUE_MAX);
        for (int i = 0; i < p->nindicator; i++)
            assert_true(isfinite(ree_run_indicators(r)[i]));
    }
    ree_run_free(r);
    ree_plan_free(p);
    ree_diag_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status),
        cmocka_unit_test(test_series_guard),
        cmocka_unit_test(test_orders_guarded),
        cmocka_unit_test(test_balance_nan),
        cmocka_unit_test(test_finite_chain_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

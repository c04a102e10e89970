/* Tests for engine/stats/resilience.c (the indicators shared by the sector model and the engine's
 * region totals) on hand-made trajectories: a shock, a recovery, no shock; and the region totals
 * the engine computes from them (plan indicators of kind REE_IND_REGION). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plan.h"
#include "resilience.h"
#include "run.h"

#define EPS 1e-12

static void feed(ree_resil *a, const double *need, const double *used, int n)
{
    for (int t = 0; t < n; t++)
        ree_resil_step(a, t, need[t], used[t], need[t] - used[t], (need[t] - used[t]) * 1000 / 2);
}

/* The worked example of docs/indicators.md: need 300, service level 0.95, shock month 1. */
static void test_shock_and_recovery(void **unused)
{
    (void)unused;
    const double need[9] = {300, 300, 300, 300, 300, 300, 300, 300, 300};
    const double used[9] = {300, 300, 150, 0, 290, 200, 300, 300, 300};
    ree_resil a;
    ree_resil_reset(&a, 0.95, 1, 3);
    feed(&a, need, used, 9);
    ree_resil_result r;
    ree_resil_finish(&a, 9, &r);
    assert_true(fabs(r.shortfall - 560) < EPS);
    assert_true(fabs(r.shortfall_share - 560.0 / 2700) < EPS);
    assert_true(r.months_short == 3); /* months 2, 3, 5; month 4 is 10 t short, at service */
    assert_true(r.max_shortfall == 300);
    assert_true(r.max_shortfall_share == 1);
    assert_true(fabs(r.depth_duration - (0.5 + 1 + 10.0 / 300 + 100.0 / 300)) < EPS);
    assert_true(fabs(r.lost_units - 560 * 500.0) < 1e-6);
    assert_true(r.first_short_month == 2);
    assert_true(r.onset_lag == 1);       /* 2 - 1 */
    assert_true(r.time_to_recover == 4); /* months 6-8 at service: 6 - 2 */
}

/* A shock that never recovers within the horizon: time_to_recover is censored at T - f; a
 * short month before the shock counts for the totals and first_short_month, not the onset. */
static void test_censored(void **unused)
{
    (void)unused;
    const double need[6] = {100, 100, 100, 100, 100, 100};
    const double used[6] = {50, 100, 100, 40, 100, 100};
    ree_resil a;
    ree_resil_reset(&a, 0.95, 2, 3);
    feed(&a, need, used, 6);
    ree_resil_result r;
    ree_resil_finish(&a, 6, &r);
    assert_true(r.months_short == 2);
    assert_true(r.first_short_month == 0);
    assert_true(r.onset_lag == 1);       /* f = 3, S = 2 */
    assert_true(r.time_to_recover == 3); /* only two good months after f: censored, 6 - 3 */
    assert_true(fabs(r.shortfall - 110) < EPS);
}

/* No shock: every indicator at its "nothing happened" value; no need is never short. */
static void test_no_shock(void **unused)
{
    (void)unused;
    const double need[4] = {10, 0, 10, 10};
    const double used[4] = {10, 0, 9.6, 10}; /* 4% short in month 2: at service */
    ree_resil a;
    ree_resil_reset(&a, 0.95, 0, 3);
    feed(&a, need, used, 4);
    ree_resil_result r;
    ree_resil_finish(&a, 4, &r);
    assert_true(r.months_short == 0);
    assert_true(r.first_short_month == 4);
    assert_true(r.onset_lag == 4);
    assert_true(r.time_to_recover == 0);
    assert_true(fabs(r.shortfall - 0.4) < EPS);
    assert_true(fabs(r.max_shortfall_share - 0.04) < EPS);
    ree_resil_reset(&a, 0.95, 0, 3); /* an empty horizon */
    ree_resil_finish(&a, 0, &r);
    assert_true(r.shortfall == 0 && r.shortfall_share == 0 && r.onset_lag == 0);
}

/* The region indicator table and its values are in step. */
static void test_region_table(void **unused)
{
    (void)unused;
    ree_resil_result r = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    static const char *const names[] = {
        "shortfall",     "shortfall_share", "months_short", "max_shortfall_share", "lost_units",
        "max_shortfall", "depth_duration",  "onset_lag",    "time_to_recover"};
    static const double want[] = {1, 2, 3, 4, 5, 7, 8, 9, 10};
    assert_int_equal(ree_resil_region_count, sizeof names / sizeof names[0]);
    for (size_t k = 0; k < ree_resil_region_count; k++) {
        assert_string_equal(ree_resil_region_defs[k].name, names[k]);
        assert_true(ree_resil_region_value(&r, k) == want[k]);
    }
}

static int find(const ree_plan *p, const char *entity, const char *name)
{
    for (int i = 0; i < p->nindicator; i++)
        if (!strcmp(p->indicators[i].entity_name, entity) && !strcmp(p->indicators[i].name, name))
            return i;
    return -1;
}

/* Two sectors in region US behind one importer (a shortage), one in EU (no total). The US
 * sectors count lost output in different units (2 and 1 kg of material per unit); SAME_UNIT
 * (below) gives them the same. */
static const char scenario[] =
    "reesim: 1\n"
    "name: regions\n"
    "horizon: {start: 2025-01, steps: 8}\n"
    "runs: 1\n"
    "seed: 7\n"
    "materials: [{id: m, name: magnets}]\n"
    "nodes:\n"
    "  - {id: mine, model: source, region: CN, params: {output: {m: 1}, capacity: 200}}\n"
    "  - {id: us_a, model: sector, region: US, stock: {m: 300},\n"
    "     params: {material: m, demand: 150, kg_per_unit: 2}}\n"
    "  - {id: us_b, model: sector, region: US,\n"
    "     params: {material: m, demand: 100, kg_per_unit: 1, priority: 5}}\n"
    "  - {id: eu_a, model: sector, region: EU, params: {material: m, demand: 10, kg_per_unit: 1}}\n"
    "links:\n"
    "  - {from: mine, to: us_a, material: m}\n"
    "  - {from: mine, to: us_b, material: m}\n"
    "  - {from: mine, to: eu_a, material: m}\n";

static ree_plan *load(const char *text, ree_diag *d)
{
    ree_status st = REE_OK;
    return ree_plan_load_buffer("regions.yaml", text, strlen(text), d, &st);
}

static void test_engine_region_totals(void **unused)
{
    (void)unused;
    ree_diag *d = ree_diag_alloc(20);
    ree_plan *p = load(scenario, d);
    assert_non_null(p);
    assert_int_equal(find(p, "EU", "shortfall"), -1);
    int i0 = find(p, "US", "shortfall");
    assert_true(i0 >= 0);
    assert_int_equal(p->indicators[i0].kind, REE_IND_REGION);
    /* Last, in a row; no lost_units, as the sectors' units of output differ. */
    assert_int_equal(p->nindicator - i0, (int)ree_resil_region_count - 1);
    assert_int_equal(find(p, "US", "lost_units"), -1);
    ree_run *r = ree_run_alloc(p);
    assert_non_null(r);
    ree_run_set_check(r, 1);
    ree_run_reset(r, p->seed, 0);
    assert_int_equal(ree_run_finish(r), REE_OK);
    const double *v = ree_run_indicators(r);
    int a = find(p, "us_a", "shortfall"), b = find(p, "us_b", "shortfall");
    double total = v[a] + v[b];
    assert_true(total > 0); /* 250 t/month needed, 200 made */
    assert_true(fabs(v[i0] - total) < 1e-9 * total);
    /* Shares and maxima come from the summed trajectory, not from the sectors' values. */
    int ms = find(p, "US", "max_shortfall_share");
    assert_true(v[ms] <= fmax(v[find(p, "us_a", "max_shortfall_share")],
                              v[find(p, "us_b", "max_shortfall_share")]) +
                             EPS);
    assert_true(v[find(p, "US", "max_shortfall")] <=
                v[find(p, "us_a", "max_shortfall")] + v[find(p, "us_b", "max_shortfall")] + EPS);
    /* Same run again: same values (the accumulators are reset). */
    double first[16];
    size_t nr = (size_t)(p->nindicator - i0);
    memcpy(first, v + i0, sizeof(double) * nr);
    ree_run_reset(r, p->seed, 0);
    assert_int_equal(ree_run_finish(r), REE_OK);
    assert_memory_equal(first, ree_run_indicators(r) + i0, sizeof(double) * nr);
    ree_run_free(r);
    ree_plan_free(p);
    ree_diag_free(d);
}

/* Sectors that count output in the same unit (same constant kg_per_unit): the region's
 * lost_units is their sum, and the indicators after it are still in their places. */
static void test_region_lost_units_same_unit(void **unused)
{
    (void)unused;
    char text[sizeof scenario];
    strcpy(text, scenario);
    char *b = strstr(text, "demand: 100, kg_per_unit: 1,");
    assert_non_null(b);
    memcpy(strstr(b, "kg_per_unit: 1") + strlen("kg_per_unit: "), "2", 1);
    ree_diag *d = ree_diag_alloc(20);
    ree_plan *p = load(text, d);
    assert_non_null(p);
    int i0 = find(p, "US", "shortfall"), lu = find(p, "US", "lost_units");
    assert_true(i0 >= 0 && lu >= 0);
    assert_int_equal(p->nindicator - i0, (int)ree_resil_region_count);
    assert_int_equal(lu - i0, REE_RESIL_REGION_LOST_UNITS);
    ree_run *r = ree_run_alloc(p);
    assert_non_null(r);
    ree_run_reset(r, p->seed, 0);
    assert_int_equal(ree_run_finish(r), REE_OK);
    const double *v = ree_run_indicators(r);
    int la = find(p, "us_a", "lost_units"), lb = find(p, "us_b", "lost_units");
    assert_true(v[la] + v[lb] > 0);
    assert_true(fabs(v[lu] - (v[la] + v[lb])) < 1e-9 * (v[la] + v[lb]));
    int a = find(p, "us_a", "shortfall"), c = find(p, "us_b", "shortfall");
    assert_true(fabs(v[i0] - (v[a] + v[c])) < 1e-9 * (v[a] + v[c]));
    int ms = find(p, "US", "max_shortfall");
    assert_true(v[ms] > 0 && v[ms] <= v[find(p, "us_a", "max_shortfall")] +
                                          v[find(p, "us_b", "max_shortfall")] + EPS);
    ree_run_free(r);
    ree_plan_free(p);
    ree_diag_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shock_and_recovery),
        cmocka_unit_test(test_censored),
        cmocka_unit_test(test_no_shock),
        cmocka_unit_test(test_region_table),
        cmocka_unit_test(test_engine_region_totals),
        cmocka_unit_test(test_region_lost_units_same_unit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

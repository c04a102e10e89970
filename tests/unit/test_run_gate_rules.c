/*
 * Step-level tests of a gate's destination rules and of gated fallback links (engine/sim/
 * run_step.c, models/gate.c, docs/models.md "Gate rules"): plans built from YAML buffers and
 * stepped with ree_run_step, mass balance checked every step. Review times are 0 and approvals 1
 * unless a rule says otherwise, so licences are granted and shipped in the step they are applied
 * for, and every expected number follows from the step order of docs/engine.md.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "diag.h"
#include "model.h"
#include "plan.h"
#include "run.h"

#define TOL 1e-9

typedef struct sim {
    ree_plan *p;
    ree_run *r;
} sim;

static sim start(const char *yaml)
{
    sim s;
    ree_diag *d = ree_diag_alloc(0);
    assert_non_null(d);
    ree_status st = REE_STATUS_COUNT;
    s.p = ree_plan_load_buffer("rules.yaml", yaml, strlen(yaml), d, &st);
    if (!s.p)
        ree_diag_print(d, stderr);
    ree_diag_free(d);
    assert_non_null(s.p);
    s.r = ree_run_alloc(s.p);
    assert_non_null(s.r);
    ree_run_set_check(s.r, 1);
    ree_run_reset(s.r, s.p->seed, 0);
    return s;
}

static void stop(sim *s)
{
    ree_run_free(s->r);
    ree_plan_free(s->p);
}

static double value(const sim *s, const char *entity, const char *metric, int t)
{
    for (int i = 0; i < s->p->nseries; i++)
        if (!strcmp(s->p->series[i].entity_name, entity) && !strcmp(s->p->series[i].metric, metric))
            return ree_run_series(s->r)[(size_t)i * (size_t)s->p->nsteps + (size_t)t];
    fail_msg("no series %s/%s", entity, metric);
    return 0;
}

static void close_to(double got, double want, const char *what, int t)
{
    if (!(fabs(got - want) <= TOL * (fabs(want) > 1 ? fabs(want) : 1)))
        fail_msg("%s at step %d: got %.17g, expected %.17g", what, t, got, want);
}

#define HEAD                                                                                       \
    "reesim: 1\nname: rules\nhorizon: {start: 2025-01, steps: 6}\nruns: 1\nseed: 3\n"              \
    "materials: [{id: ndfeb}]\n"                                                                   \
    "nodes:\n"                                                                                     \
    "  - {id: cn, model: source, region: CN, params: {output: {ndfeb: 1}, capacity: 10000}}\n"     \
    "  - id: eu_cars\n    model: sector\n    region: EU\n    end_use: cars\n"                      \
    "    params: {material: ndfeb, demand: 100, cover_weeks: 0, kg_per_unit: 2}\n"                 \
    "  - id: us_cars\n    model: sector\n    region: US\n    end_use: cars\n"                      \
    "    params: {material: ndfeb, demand: 100, cover_weeks: 0, kg_per_unit: 2}\n"                 \
    "links:\n"                                                                                     \
    "  - {from: cn, to: eu_cars, material: ndfeb, gate: cn_export, lead_time: 1}\n"                \
    "  - {from: cn, to: us_cars, material: ndfeb, gate: cn_export, lead_time: 1}\n"

/* An embargo on the US by region: the US car maker has the same end-use tag as the EU one (so
 * deny_end_use could not single it out), and the rule {regions: [US], deny: 1} denies all it
 * applies for: approved.US and shipped.US are 0 every step, while everything the EU applies for
 * is approved and shipped (review 0, approval 1, capacity far above demand). */
static void test_region_embargo(void **unused)
{
    (void)unused;
    sim s = start(HEAD "gates:\n  - id: cn_export\n    covers: [ndfeb]\n    review_days: 0\n"
                       "    rules: [{id: us, regions: [US], deny: 1}]\n");
    double eu_total = 0;
    for (int t = 0; t < 6; t++) {
        assert_int_equal(ree_run_step(s.r), REE_OK);
        close_to(value(&s, "cn_export", "approved.US", t), 0, "approved.US", t);
        close_to(value(&s, "cn_export", "shipped.US", t), 0, "shipped.US", t);
        double eu = value(&s, "cn_export", "approved.EU", t);
        eu_total += eu;
        close_to(value(&s, "cn_export", "shipped.EU", t), eu, "shipped.EU", t);
        close_to(value(&s, "cn_export", "denied", t),
                 value(&s, "cn_export", "applications", t) - eu, "denied", t);
        close_to(value(&s, "cn_export", "shipped", t), eu, "shipped", t);
    }
    assert_true(eu_total > 0);
    assert_true(value(&s, "us_cars", "shortfall", 5) > 0);
    stop(&s);
}

/* An announcement with a later effective date: announced 2025-02, effective 2025-04 (step 3).
 * Until step 2 the US ships like the EU; from step 3 nothing is approved for it. */
static void test_effective_date(void **unused)
{
    (void)unused;
    sim s = start(HEAD "gates:\n  - id: cn_export\n    covers: [ndfeb]\n    review_days: 0\n"
                       "    rules: [{id: us, regions: [US]}]\n"
                       "timeline:\n  - {date: 2025-02, effective: 2025-04, "
                       "set: {gates.cn_export/us.deny: 1}}\n");
    for (int t = 0; t < 6; t++) {
        assert_int_equal(ree_run_step(s.r), REE_OK);
        double us = value(&s, "cn_export", "shipped.US", t);
        if (t < 3)
            close_to(us, value(&s, "cn_export", "shipped.EU", t), "shipped.US", t);
        else
            close_to(us, 0, "shipped.US", t);
    }
    stop(&s);
}

/* A buyer ranks an ungated local plant (rank 0, 50 t/month) above the gated Chinese maker
 * (rank 1). Step 0: the buyer orders 200 (need 100 x (1 + lead 1)), the plant ships 50, and
 * the gate has no application yet (a rank-1 gated link applies for what reached its rank the
 * step before): at step 1 it applies for the 150 t the plant could not deliver. A step after one
 * where the plant shipped less than 50 (it met the whole order) brings no application. With
 * review 0 and approval 1 every application is licensed and shipped in its step. */
static void test_gated_fallback(void **unused)
{
    (void)unused;
    sim s = start(
        "reesim: 1\nname: fallback\nhorizon: {start: 2025-01, steps: 6}\nruns: 1\nseed: 3\n"
        "materials: [{id: ndfeb}]\n"
        "nodes:\n"
        "  - {id: cn, model: source, region: CN, params: {output: {ndfeb: 1}, capacity: 10000}}\n"
        "  - {id: us_plant, model: source, region: US, params: {output: {ndfeb: 1}, capacity: "
        "50}}\n"
        "  - id: buyer\n    model: sector\n    region: US\n"
        "    params: {material: ndfeb, demand: 100, cover_weeks: 0, kg_per_unit: 2}\n"
        "gates: [{id: cn_export, covers: [ndfeb], review_days: 0}]\n"
        "links:\n"
        "  - {from: us_plant, to: buyer, material: ndfeb, lead_time: 1}\n"
        "  - {from: cn, to: buyer, material: ndfeb, gate: cn_export, lead_time: 1, rank: 1}\n");
    double prev_plant = 0;
    for (int t = 0; t < 6; t++) {
        assert_int_equal(ree_run_step(s.r), REE_OK);
        double applied = value(&s, "cn_export", "applications", t);
        double plant = value(&s, "us_plant->buyer", "shipped", t);
        if (t == 0) {
            close_to(plant, 50, "plant shipped", t); /* order 200 = need x (1 + lead 1) */
            close_to(applied, 0, "applications", t);
        } else if (prev_plant < 50) { /* the plant met all of last step's order */
            close_to(applied, 0, "applications", t);
        }
        if (t == 1)
            close_to(applied, 150, "applications", t); /* what the plant could not deliver */
        close_to(value(&s, "cn->buyer", "shipped", t), applied, "cn shipped", t);
        prev_plant = plant;
    }
    stop(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_region_embargo),
        cmocka_unit_test(test_effective_date),
        cmocka_unit_test(test_gated_fallback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Tests for engine/scenario/override.c: overrides by path (ree_plan_override, ree_plan_slot). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "override.h"
#include "plan.h"

static const char scenario[] =
    "reesim: 1\n"
    "name: override-toy\n"
    "horizon: {start: 2025-01, steps: 12}\n"
    "materials:\n"
    "  - {id: ndfeb, name: magnets}\n"
    "nodes:\n"
    "  - id: cn_magnets\n"
    "    model: source\n"
    "    region: CN\n"
    "    params: {output: {ndfeb: 1}, capacity: {dist: uniform, min: 900, max: 1100}}\n"
    "  - id: us_cars\n"
    "    model: sector\n"
    "    region: US\n"
    "    stock: {ndfeb: 120}\n"
    "    params: {material: ndfeb, demand: 310, kg_per_unit: 1.5}\n"
    "gates:\n"
    "  - {id: cn_export, covers: [ndfeb], review_days: 63, approval: 0.35}\n"
    "links:\n"
    "  - {from: cn_magnets, to: us_cars, material: ndfeb, gate: cn_export}\n"
    "timeline:\n"
    "  - {date: 2025-04, set: {gates.cn_export.approval: 0.1}, note: licensing}\n"
    "  - {date: 2025-06, set: {cn_export.approval: {dist: uniform, min: 0.4, max: 0.8}}}\n";

static ree_plan *load(void)
{
    ree_diag *d = ree_diag_alloc(0);
    ree_status st;
    ree_plan *p = ree_plan_load_buffer("override.yaml", scenario, sizeof scenario - 1, d, &st);
    ree_diag_print(d, stderr);
    ree_diag_free(d);
    assert_non_null(p);
    return p;
}

static const ree_pspec *base(const ree_plan *p, const char *id, const char *key)
{
    int e = ree_plan_entity(p, id);
    assert_true(e >= 0);
    int k = ree_model_param_index(p->entities[e].model, key);
    assert_true(k >= 0);
    return &p->entities[e].pspecs[k];
}

static void test_override_paths(void **state)
{
    (void)state;
    ree_plan *p = load();
    const char *paths[] = {"gates.cn_export.approval", "cn_magnets.capacity",
                           "timeline[0].set.gates.cn_export.approval",
                           "timeline[1].set.cn_export.approval"};
    const double values[] = {0.42, 1012.5, 0.185, 0.6};
    char err[256] = "";
    assert_int_equal(ree_plan_override(p, paths, values, 4, err, sizeof err), REE_OK);
    assert_true(base(p, "cn_export", "approval")->dist.a == 0.42);
    /* A distribution becomes a constant. */
    assert_int_equal(base(p, "cn_magnets", "capacity")->dist.kind, REE_DIST_CONST);
    assert_true(base(p, "cn_magnets", "capacity")->dist.a == 1012.5);
    assert_true(p->events[0].changes[0].value.dist.a == 0.185);
    assert_int_equal(p->events[1].changes[0].value.dist.kind, REE_DIST_CONST);
    assert_true(p->events[1].changes[0].value.dist.a == 0.6);
    ree_plan_free(p);
}

/* Every failure is reported with its path and leaves the plan exactly as it was. */
static void test_override_errors_all_or_nothing(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        double value;
        const char *says;
    } bad[] = {
        {"gates.cn_export.aproval", 0.3, "no parameter 'aproval'"},
        {"gates.cn_magnets.capacity", 1000, "no gates with id 'cn_magnets'"},
        {"timeline[2].set.cn_export.approval", 0.3, "the timeline has 2 events"},
        {"timeline[0].set.cn_export.review_days", 30, "does not set"},
        {"timeline[x].set.cn_export.approval", 0.3, "expected timeline[I]"},
        {"regimes.truce.set.cn_export.approval", 0.3, "no regime 'truce'"},
        {"us_cars.material", 1, "not a number"},
        {"gates.cn_export.approval", 1.4, "outside its bounds [0, 1]"},
        {"gates.cn_export.approval", NAN, "finite"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ree_plan *p = load();
        const char *paths[] = {"cn_magnets.capacity", bad[i].path};
        const double values[] = {1012.5, bad[i].value};
        char err[400] = "";
        assert_int_equal(ree_plan_override(p, paths, values, 2, err, sizeof err), REE_EINVALID);
        if (!strstr(err, bad[i].says) || strncmp(err, bad[i].path, strlen(bad[i].path)))
            fail_msg("%s: message '%s' lacks '%s'", bad[i].path, err, bad[i].says);
        assert_int_equal(base(p, "cn_magnets", "capacity")->dist.kind, REE_DIST_UNIFORM);
        assert_true(base(p, "cn_export", "approval")->dist.a == 0.35);
        ree_plan_free(p);
    }
}

/* The central value a fit starts from: a constant, or a distribution's mean. */
static void test_slot_value(void **state)
{
    (void)state;
    ree_plan *p = load();
    ree_param_slot s;
    char why[256];
    assert_int_equal(ree_plan_slot(p, "nodes.cn_magnets.capacity", &s, why, sizeof why), 0);
    assert_true(fabs(ree_slot_value(&s) - 1000) < 1e-9);
    assert_int_equal(ree_plan_slot(p, "timeline[0].set.cn_export.approval", &s, why, sizeof why),
                     0);
    assert_true(ree_slot_value(&s) == 0.1);
    ree_plan_free(p);
}

static void test_stock_paths(void **state)
{
    (void)state;
    ree_plan *p = load();
    int e = ree_plan_entity(p, "us_cars");
    char err[400];
    const char *paths[2] = {"nodes.us_cars.stock.ndfeb", "gates.cn_export.approval"};
    double v[2] = {250.5, 0.2};
    assert_int_equal(ree_plan_override(p, paths, v, 2, err, sizeof err), REE_OK);
    assert_true(p->nodes[e].stock0[0] == 250.5);
    ree_param_slot s1, s2;
    assert_int_equal(ree_plan_slot(p, "us_cars.stock.ndfeb", &s1, err, sizeof err), 0);
    assert_true(ree_slot_value(&s1) == 250.5 && s1.spec == NULL && s1.entity == e);
    assert_int_equal(ree_plan_slot(p, "nodes.us_cars.stock.ndfeb", &s2, err, sizeof err), 0);
    assert_true(ree_slot_same(&s1, &s2));
    assert_int_equal(ree_plan_slot(p, "nodes.us_cars.demand", &s2, err, sizeof err), 0);
    assert_false(ree_slot_same(&s1, &s2));
    /* All or nothing: a bad second value restores the stock. */
    const char *bad[2] = {"nodes.us_cars.stock.ndfeb", "gates.cn_export.approval"};
    double bv[2] = {10, 1.5};
    assert_int_equal(ree_plan_override(p, bad, bv, 2, err, sizeof err), REE_EINVALID);
    assert_true(p->nodes[e].stock0[0] == 250.5);
    assert_int_equal(ree_plan_slot(p, "nodes.us_carz.stock.ndfeb", &s2, err, sizeof err), -1);
    assert_non_null(strstr(err, "no node with id 'us_carz'"));
    assert_int_equal(ree_plan_slot(p, "nodes.us_cars.stock.dytb", &s2, err, sizeof err), -1);
    assert_non_null(strstr(err, "no material 'dytb'"));
    assert_int_equal(ree_plan_slot(p, "cn_export.stock.ndfeb", &s2, err, sizeof err), -1);
    assert_non_null(strstr(err, "no node with id 'cn_export'"));
    assert_int_equal(ree_slot_check(&s1, -5, err, sizeof err), -1);
    assert_non_null(strstr(err, "outside its bounds"));
    ree_plan_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_override_paths),
        cmocka_unit_test(test_override_errors_all_or_nothing),
        cmocka_unit_test(test_slot_value),
        cmocka_unit_test(test_stock_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

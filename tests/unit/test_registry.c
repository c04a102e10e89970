/* Tests of the model registry (models/registry.c): every model's tables declare what the engine
 * and the commands read from them. Metrics and indicators carry a unit, a doc and a direction;
 * names are unique; sector and link models expose their typed contracts (engine/model.h), and
 * each contract field points at a metric or parameter of the right unit and type; every sector
 * model and the region totals have headline indicators. The checker is itself tested on broken
 * models, so a table that breaks a rule makes this test fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "model.h"
#include "resilience.h"

#define WHY 256

static int reject(char *why, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, WHY, fmt, ap);
    va_end(ap);
    return -1;
}

/* One metric or indicator table: unit, doc, a declared direction, known flags, unique names.
 * Sets *headlines to the number of headline entries. */
static int check_defs(const char *model, const char *what, const ree_metric_def *d, size_t n,
                      int *headlines, char *why)
{
    *headlines = 0;
    if (n > 0 && !d)
        return reject(why, "%s: %s table missing", model, what);
    for (size_t i = 0; i < n; i++) {
        if (!d[i].name || !d[i].name[0])
            return reject(why, "%s: %s %zu has no name", model, what, i);
        if (!d[i].unit || !d[i].unit[0])
            return reject(why, "%s: %s %s has no unit", model, what, d[i].name);
        if (!d[i].doc || !d[i].doc[0])
            return reject(why, "%s: %s %s has no doc", model, what, d[i].name);
        if (d[i].dir != REE_DIR_HIGHER_WORSE && d[i].dir != REE_DIR_HIGHER_BETTER &&
            d[i].dir != REE_DIR_NEUTRAL)
            return reject(why, "%s: %s %s has no valid direction (%d)", model, what, d[i].name,
                          (int)d[i].dir);
        if (d[i].flags & ~REE_MD_HEADLINE)
            return reject(why, "%s: %s %s has unknown flags", model, what, d[i].name);
        *headlines += (d[i].flags & REE_MD_HEADLINE) != 0;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(d[i].name, d[j].name))
                return reject(why, "%s: %s %s appears twice", model, what, d[i].name);
    }
    return 0;
}

/* The parameter at `offset` has type `type` and unit `unit`. */
static int check_param(const ree_model *m, const char *field, size_t offset, ree_ptype type,
                       const char *unit, char *why)
{
    int k = ree_model_param_at(m, offset);
    if (k < 0)
        return reject(why, "%s: contract field %s names no parameter", m->name, field);
    if (m->params[k].type != type)
        return reject(why, "%s: contract field %s is parameter %s of the wrong type", m->name,
                      field, m->params[k].key);
    if (unit && strcmp(m->params[k].unit, unit))
        return reject(why, "%s: contract field %s is parameter %s in %s, not %s", m->name, field,
                      m->params[k].key, m->params[k].unit, unit);
    return 0;
}

static int check_metric(const ree_model *m, const char *field, size_t k, const char *unit,
                        char *why)
{
    if (k >= m->nmetrics)
        return reject(why, "%s: contract field %s is past the metric table", m->name, field);
    if (strcmp(m->metrics[k].unit, unit))
        return reject(why, "%s: contract field %s is metric %s in %s, not %s", m->name, field,
                      m->metrics[k].name, m->metrics[k].unit, unit);
    return 0;
}

static int check_sector(const ree_model *m, char *why)
{
    const ree_sector_contract *c = m->sector;
    if (!!(m->flags & REE_MF_SECTOR) != !!c)
        return reject(why, "%s: REE_MF_SECTOR and the sector contract disagree", m->name);
    if (!c)
        return 0;
    if (m->kind != REE_MODEL_NODE)
        return reject(why, "%s: a sector is a node model", m->name);
    size_t idx[4] = {c->need, c->consumed, c->shortfall, c->lost_units};
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < i; j++)
            if (idx[i] == idx[j])
                return reject(why, "%s: two sector contract metrics are the same", m->name);
    if (check_metric(m, "need", c->need, "t", why) ||
        check_metric(m, "consumed", c->consumed, "t", why) ||
        check_metric(m, "shortfall", c->shortfall, "t", why) ||
        check_metric(m, "lost_units", c->lost_units, "units", why) ||
        check_param(m, "material", c->material, REE_PT_MATERIAL, NULL, why) ||
        check_param(m, "service_level", c->service_level, REE_PT_NUM, "1", why) ||
        check_param(m, "kg_per_unit", c->kg_per_unit, REE_PT_NUM, "kg/unit", why) ||
        check_param(m, "priority", c->priority, REE_PT_NUM, "1", why))
        return -1;
    return 0;
}

static int check_price(const ree_model *m, char *why)
{
    const ree_price_contract *c = m->price;
    if (!!(m->flags & REE_MF_PRICE) != !!c)
        return reject(why, "%s: REE_MF_PRICE and the price contract disagree", m->name);
    if (!c)
        return 0;
    return check_param(m, "material", c->material, REE_PT_MATERIAL, NULL, why);
}

static int check_link(const ree_model *m, char *why)
{
    const ree_link_contract *c = m->link;
    if ((m->kind == REE_MODEL_LINK) != !!c)
        return reject(why, "%s: a link model and only a link model has the link contract", m->name);
    if (!c)
        return 0;
    const size_t off[6] = {c->lead_time, c->delay_prob, c->delay_months,
                           c->share,     c->rank,       c->priority};
    const char *const name[6] = {"lead_time", "delay_prob", "delay_months",
                                 "share",     "rank",       "priority"};
    for (int i = 0; i < 6; i++) {
        if (check_param(m, name[i], off[i], REE_PT_NUM, NULL, why))
            return -1;
        for (int j = 0; j < i; j++)
            if (off[i] == off[j])
                return reject(why, "%s: link contract fields %s and %s are the same parameter",
                              m->name, name[j], name[i]);
    }
    return 0;
}

static int check_model(const ree_model *m, char *why)
{
    if (!m->name || !m->name[0] || !m->summary || !m->summary[0])
        return reject(why, "a model without a name or summary");
    for (size_t i = 0; i < m->nparams; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(m->params[i].key, m->params[j].key))
                return reject(why, "%s: parameter %s appears twice", m->name, m->params[i].key);
    int hm, hi;
    if (check_defs(m->name, "metric", m->metrics, m->nmetrics, &hm, why) ||
        check_defs(m->name, "indicator", m->indicators, m->nindicators, &hi, why) ||
        check_sector(m, why) || check_price(m, why) || check_link(m, why))
        return -1;
    if (m->sector && hi == 0)
        return reject(why, "%s: a sector model without a headline indicator", m->name);
    return 0;
}

static void test_every_model(void **unused)
{
    (void)unused;
    size_t n;
    const ree_model *const *models = ree_models(&n);
    assert_true(n >= 9);
    int sectors = 0, links = 0;
    for (size_t i = 0; i < n; i++) {
        char why[WHY] = "";
        if (check_model(models[i], why))
            fail_msg("%s", why);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(models[i]->name, models[j]->name);
        assert_ptr_equal(ree_model_find(models[i]->name), models[i]);
        sectors += models[i]->sector != NULL;
        links += models[i]->link != NULL;
    }
    assert_int_equal(sectors, 1);
    assert_int_equal(links, 1);
}

/* The region totals (engine/stats/resilience.c) follow the same rules and have headlines. */
static void test_region_table(void **unused)
{
    (void)unused;
    char why[WHY] = "";
    int h;
    if (check_defs("region", "indicator", ree_resil_region_defs, ree_resil_region_count, &h, why))
        fail_msg("%s", why);
    assert_true(h > 0);
}

/* The checker rejects what it should: a test that cannot fail proves nothing. */
static const ree_param_def bad_params[] = {
    {"material", REE_PT_MATERIAL, 0, 1, 0, 0, 0, 0, "", "the material"},
    {"level", REE_PT_NUM, 8, 0, 0.95, 0, 1, 0, "1", "service level"},
    {"kg", REE_PT_NUM, 16, 1, 0, 0, 1, 0, "kg/unit", "kg per unit"},
};
static const ree_metric_def bad_metrics[] = {
    {"need", "t", "need", REE_DIR_NEUTRAL, 0},
    {"consumed", "t", "used", REE_DIR_NEUTRAL, 0},
    {"shortfall", "t", "short", REE_DIR_HIGHER_WORSE, REE_MD_HEADLINE},
    {"lost", "units", "lost", REE_DIR_HIGHER_WORSE, 0},
};

static void test_checker_rejects(void **unused)
{
    (void)unused;
    char why[WHY];
    ree_metric_def nodir[1] = {{"x", "t", "doc", 0, 0}};
    ree_metric_def nounit[1] = {{"x", "", "doc", REE_DIR_NEUTRAL, 0}};
    ree_metric_def twice[2] = {{"x", "t", "doc", REE_DIR_NEUTRAL, 0},
                               {"x", "t", "doc", REE_DIR_NEUTRAL, 0}};
    ree_metric_def headline[1] = {{"x", "t", "doc", REE_DIR_HIGHER_WORSE, REE_MD_HEADLINE}};
    int h;
    assert_int_equal(check_defs("m", "metric", nodir, 1, &h, why), -1);
    assert_non_null(strstr(why, "direction"));
    assert_int_equal(check_defs("m", "metric", nounit, 1, &h, why), -1);
    assert_non_null(strstr(why, "unit"));
    assert_int_equal(check_defs("m", "metric", twice, 2, &h, why), -1);
    assert_int_equal(check_defs("m", "metric", headline, 1, &h, why), 0);
    assert_int_equal(h, 1);

    ree_sector_contract c = {.need = 0,
                             .consumed = 1,
                             .shortfall = 2,
                             .lost_units = 3,
                             .material = 0,
                             .service_level = 8,
                             .kg_per_unit = 16,
                             .priority = 8};
    ree_model m = {.name = "fake",
                   .summary = "a fake sector",
                   .kind = REE_MODEL_NODE,
                   .flags = REE_MF_SECTOR,
                   .params = bad_params,
                   .nparams = 3,
                   .metrics = bad_metrics,
                   .nmetrics = 4,
                   .indicators = headline,
                   .nindicators = 1,
                   .sector = &c};
    assert_int_equal(check_model(&m, why), 0);
    c.lost_units = 4; /* past the table */
    assert_int_equal(check_model(&m, why), -1);
    c.lost_units = 1; /* "consumed" twice */
    assert_int_equal(check_model(&m, why), -1);
    c.lost_units = 0; /* the need metric, in t, not units */
    assert_int_equal(check_model(&m, why), -1);
    c.lost_units = 3;
    c.kg_per_unit = 8; /* a parameter in "1", not kg/unit */
    assert_int_equal(check_model(&m, why), -1);
    assert_non_null(strstr(why, "kg_per_unit"));
    c.kg_per_unit = 16;
    c.material = 24; /* no parameter there */
    assert_int_equal(check_model(&m, why), -1);
    c.material = 0;
    m.nindicators = 0; /* no headline indicator */
    assert_int_equal(check_model(&m, why), -1);
    m.nindicators = 1;
    m.sector = NULL; /* flag without contract */
    assert_int_equal(check_model(&m, why), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_model),
        cmocka_unit_test(test_region_table),
        cmocka_unit_test(test_checker_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

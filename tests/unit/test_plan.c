/*
 * Happy paths of the plan loader (engine/plan_*.c): a valid scenario resolved into the flat
 * plan of engine/scenario/plan.h. Materials, nodes, links and gates become indices in file order; an
 * omitted parameter gets its model's default (the tables of docs/models.md); links get ids;
 * timeline events keep date order and are placed in steps of the horizon; regimes become rows
 * of transition probabilities; report globs select series. Errors are tested elsewhere
 * (tests/bad, the fuzz target); here every scenario loads.
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

static const char scenario[] =
    "reesim: 1\n"
    "name: plan-test\n"
    "horizon: {start: 2025-03, steps: 12}\n"
    "runs: 250\n"
    "seed: 77\n"
    "materials:\n"
    "  - {id: oxide, name: NdPr oxide}\n"
    "  - {id: magnet}\n"
    "  - {id: dytb, unit: t}\n"
    "nodes:\n"
    "  - id: mine\n"
    "    model: source\n"
    "    params: {output: {oxide: 1}, capacity: 40, ramp_start: 2025-06}\n"
    "  - {id: heavy, model: source, params: {output: {dytb: 1}, capacity: 2}}\n"
    "  - id: plant\n"
    "    model: processor\n"
    "    region: CN\n"
    "    stock: {oxide: 20, dytb: 0.5}\n"
    "    params: {inputs: {oxide: 0.5, dytb: 0.02}, output: magnet, capacity: 100}\n"
    "  - {id: ally, model: source, params: {output: {magnet: 1}, capacity: 30}}\n"
    "  - id: cars\n"
    "    model: sector\n"
    "    region: US\n"
    "    end_use: civil\n"
    "    params: {material: magnet, demand: 100, kg_per_unit: 2, priority: 3}\n"
    "links:\n"
    "  - {from: mine, to: plant, material: oxide}\n"
    "  - {from: heavy, to: plant, material: dytb, lead_time: 2.5}\n"
    "  - {id: cn_cars, from: plant, to: cars, material: magnet, gate: lic, share: 0.85}\n"
    "  - {from: ally, to: cars, material: magnet, share: 0.15, priority: 1}\n"
    "gates:\n"
    "  - {id: lic, covers: [magnet]}\n"
    "timeline:\n"
    "  - {date: 2025-01, set: {lic.approval: 0.5}}\n"
    "  - {date: 2025-05, set: {lic.approval: 0.25, mine.utilisation: 0.8}}\n"
    "  - {date: 2025-05, set: {lic.quota: 100}}\n"
    "  - {date: 2026-06, set: {lic.approval: 1}}\n"
    "regimes:\n"
    "  start: 2025-04\n"
    "  initial: calm\n"
    "  states:\n"
    "    - {id: calm, to: {tense: 0.1}}\n"
    "    - {id: tense, set: {lic.review_days: 120}, to: {calm: 0.3, shut: 0.2}}\n"
    "    - {id: shut, set: {lic.approval: 0}, to: {tense: 0.5}}\n"
    "%s";

/* Load the scenario with `extra` appended and the regimes starting in `start` (YYYY-MM; NULL for
 * 2025-04); the diagnostics (warnings only) go to *printed. */
static ree_plan *load_start(const char *extra, const char *start, char *printed, size_t len)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, scenario, extra);
    if (start) {
        char *at = strstr(buf, "  start: 2025-04\n");
        assert_non_null(at);
        assert_int_equal(strlen(start), 7);
        memcpy(at + 9, start, 7);
    }
    ree_diag *d = ree_diag_alloc(0);
    assert_non_null(d);
    ree_status st = REE_STATUS_COUNT;
    ree_plan *p = ree_plan_load_buffer("plan.yaml", buf, strlen(buf), d, &st);
    FILE *f = tmpfile();
    assert_non_null(f);
    ree_diag_print(d, f);
    rewind(f);
    size_t n = fread(printed, 1, len - 1, f);
    printed[n] = 0;
    fclose(f);
    if (!p)
        fprintf(stderr, "%s", printed);
    assert_int_equal(ree_diag_count(d), 0);
    ree_diag_free(d);
    assert_non_null(p);
    assert_int_equal(st, REE_OK);
    return p;
}

static ree_plan *load(const char *extra, char *printed, size_t len)
{
    return load_start(extra, NULL, printed, len);
}

/* The specification of parameter `key` of entity `id`. */
static const ree_pspec *spec(const ree_plan *p, const char *id, const char *key)
{
    int e = ree_plan_entity(p, id);
    assert_true(e >= 0);
    int k = ree_model_param_index(p->entities[e].model, key);
    assert_true(k >= 0);
    return &p->entities[e].pspecs[k];
}

/* A constant parameter: its value, and whether the scenario gave it. */
static void assert_const(const ree_plan *p, const char *id, const char *key, double want, int given)
{
    const ree_pspec *s = spec(p, id, key);
    if (s->dist.kind != REE_DIST_CONST || s->given != given ||
        !(s->dist.a == want || fabs(s->dist.a - want) <= 1e-12 * fabs(want)))
        fail_msg("%s.%s: kind %d, given %d, value %.17g; expected a constant %.17g, given %d", id,
                 key, (int)s->dist.kind, s->given, s->dist.a, want, given);
}

static void test_indices_in_file_order(void **unused)
{
    (void)unused;
    char msg[2048];
    ree_plan *p = load("", msg, sizeof msg);
    assert_string_equal(p->name, "plan-test");
    assert_int_equal(p->start, 2025 * 12 + 2); /* March 2025, months since year 0 */
    assert_int_equal(p->nsteps, 12);
    assert_int_equal(p->runs, 250);
    assert_int_equal(p->seed, 77);

    assert_int_equal(p->nmat, 3);
    assert_string_equal(p->mat_id[0], "oxide");
    assert_string_equal(p->mat_id[1], "magnet");
    assert_string_equal(p->mat_id[2], "dytb");
    assert_string_equal(p->mat_name[0], "NdPr oxide");
    assert_string_equal(p->mat_name[1], "magnet"); /* the id when no name is given */
    assert_string_equal(p->mat_unit[2], "t");

    /* Entities: the 5 nodes, then the 4 links, then the gate. */
    assert_int_equal(p->nnode, 5);
    assert_int_equal(p->nlink, 4);
    assert_int_equal(p->ngate, 1);
    assert_int_equal(p->nentity, 10);
    static const char *const ids[] = {"mine",       "heavy",       "plant",        "ally",
                                      "cars",       "mine->plant", "heavy->plant", "cn_cars",
                                      "ally->cars", "lic"};
    static const char *const sections[] = {"nodes", "nodes", "nodes", "nodes", "nodes",
                                           "links", "links", "links", "links", "gates"};
    for (int e = 0; e < 10; e++) {
        assert_string_equal(p->entities[e].id, ids[e]);
        assert_string_equal(p->entities[e].section, sections[e]);
        assert_int_equal(ree_plan_entity(p, ids[e]), e);
    }
    assert_int_equal(ree_plan_entity(p, "nowhere"), -1);
    assert_string_equal(p->entities[2].model->name, "processor");
    assert_string_equal(p->entities[4].model->name, "sector");
    assert_string_equal(p->entities[7].model->name, "link");
    assert_string_equal(p->entities[9].model->name, "gate");
    for (int n = 0; n < 5; n++)
        assert_int_equal(p->nodes[n].entity, n);

    /* Links: (from, to, material, gate) as node, material and gate indices. */
    static const int lk[4][4] = {{0, 2, 0, -1}, {1, 2, 2, -1}, {2, 4, 1, 0}, {3, 4, 1, -1}};
    for (int l = 0; l < 4; l++) {
        assert_int_equal(p->links[l].entity, 5 + l);
        assert_int_equal(p->links[l].from, lk[l][0]);
        assert_int_equal(p->links[l].to, lk[l][1]);
        assert_int_equal(p->links[l].material, lk[l][2]);
        assert_int_equal(p->links[l].gate, lk[l][3]);
    }
    assert_int_equal(p->links[2].gate_slot, 0);
    assert_int_equal(p->gates[0].entity, 9);
    assert_int_equal(p->gates[0].nlink, 1);
    assert_int_equal(p->gates[0].links[0], 2);

    /* Link lists per node, in file order. */
    assert_int_equal(p->nodes[2].nin, 2);
    assert_int_equal(p->nodes[2].in_links[0], 0);
    assert_int_equal(p->nodes[2].in_links[1], 1);
    assert_int_equal(p->nodes[2].nout, 1);
    assert_int_equal(p->nodes[2].out_links[0], 2);
    assert_int_equal(p->nodes[4].nin, 2);
    assert_int_equal(p->nodes[4].in_links[0], 2);
    assert_int_equal(p->nodes[4].in_links[1], 3);
    assert_int_equal(p->nodes[4].nout, 0);
    assert_int_equal(p->nodes[0].nin, 0);

    /* Materials each node holds: its links, its stock and its material parameters. */
    assert_int_equal(p->nodes[0].materials, 1u);           /* mine: oxide */
    assert_int_equal(p->nodes[1].materials, 4u);           /* heavy: dytb */
    assert_int_equal(p->nodes[2].materials, 1u | 2u | 4u); /* plant: all three */
    assert_int_equal(p->nodes[4].materials, 2u);           /* cars: magnet */
    assert_true(p->nodes[2].stock0[0] == 20 && p->nodes[2].stock0[1] == 0 &&
                p->nodes[2].stock0[2] == 0.5);
    assert_true(p->nodes[4].stock0[1] == 0);

    /* Regions and end-use tags. */
    assert_string_equal(p->nodes[2].region, "CN");
    assert_string_equal(p->nodes[0].region, "");
    assert_int_equal(p->ntag, 1);
    assert_string_equal(p->tags[0], "civil");
    assert_int_equal(p->nodes[4].end_use, 0);
    assert_int_equal(p->nodes[2].end_use, -1);

    /* Material parameters resolve to indices and sets. */
    assert_int_equal(spec(p, "cars", "material")->ival, 1);
    assert_int_equal(spec(p, "plant", "output")->ival, 1);
    const double *in = spec(p, "plant", "inputs")->vec;
    assert_true(in[0] == 0.5 && in[1] == 0 && in[2] == 0.02);
    assert_int_equal(spec(p, "lic", "covers")->mask, 2u);

    /* Indicators: every model indicator in entity order (sources 2 each, processor 2, sector
     * 14, links none, gate 7: 3 * 2 + 2 + 14 + 7 = 29); no region total (US has one sector). */
    assert_int_equal(p->nindicator, 29);
    assert_int_equal(p->indicators[0].entity, 0);
    assert_string_equal(p->indicators[0].name, "production");
    assert_int_equal(p->indicators[4].entity, 2);
    assert_string_equal(p->indicators[5].name, "input_limited_months");
    assert_int_equal(p->indicators[6].entity, 3);
    assert_int_equal(p->indicators[8].entity, 4);
    assert_string_equal(p->indicators[8].name, "shortfall");
    assert_int_equal(p->indicators[22].entity, 9);
    assert_string_equal(p->indicators[22].name, "applied");
    ree_plan_free(p);
}

static void test_defaults_resolved(void **unused)
{
    (void)unused;
    char msg[2048];
    ree_plan *p = load("", msg, sizeof msg);
    /* link (docs/models.md): lead_time 1, delay_prob 0, delay_months 1, share 1, rank 0. */
    assert_const(p, "mine->plant", "lead_time", 1, 0);
    assert_const(p, "heavy->plant", "lead_time", 2.5, 1);
    assert_const(p, "mine->plant", "delay_prob", 0, 0);
    assert_const(p, "mine->plant", "delay_months", 1, 0);
    assert_const(p, "mine->plant", "share", 1, 0);
    assert_const(p, "mine->plant", "rank", 0, 0);
    /* Shares as given (they sum to 1 at cars: 0.85 + 0.15). */
    assert_const(p, "cn_cars", "share", 0.85, 1);
    assert_const(p, "ally->cars", "share", 0.15, 1);
    /* priority: a link's own when given, else its destination's (cars: 3), else 0 (the
     * processor has no priority parameter). */
    assert_const(p, "ally->cars", "priority", 1, 1);
    assert_const(p, "cn_cars", "priority", 3, 0);
    assert_const(p, "mine->plant", "priority", 0, 0);
    /* source: utilisation 1, ramp_add 0, ramp_months 12, outage_prob 0, outage_months 2,
     * max_stock none (+inf); ramp_start 2025-06 is step 3 of a horizon from 2025-03. */
    assert_const(p, "mine", "utilisation", 1, 0);
    assert_const(p, "mine", "ramp_add", 0, 0);
    assert_const(p, "mine", "ramp_months", 12, 0);
    assert_const(p, "mine", "outage_prob", 0, 0);
    assert_const(p, "mine", "outage_months", 2, 0);
    assert_const(p, "mine", "max_stock", INFINITY, 0);
    assert_const(p, "mine", "ramp_start", 3, 1);
    assert_const(p, "heavy", "ramp_start", 0, 0);
    assert_const(p, "mine", "capacity", 40, 1);
    /* processor: input_cover 1, delay 0. */
    assert_const(p, "plant", "input_cover", 1, 0);
    assert_const(p, "plant", "delay", 0, 0);
    /* sector: growth 0, noise 0, cover_weeks 4, service_level 0.95, sub_max 0, sub_months 12,
     * sub_trigger 0.05, sub_revert_months 36, dd_max 0, dd_elasticity 0. */
    assert_const(p, "cars", "growth", 0, 0);
    assert_const(p, "cars", "noise", 0, 0);
    assert_const(p, "cars", "cover_weeks", 4, 0);
    assert_const(p, "cars", "service_level", 0.95, 0);
    assert_const(p, "cars", "sub_max", 0, 0);
    assert_const(p, "cars", "sub_months", 12, 0);
    assert_const(p, "cars", "sub_trigger", 0.05, 0);
    assert_const(p, "cars", "sub_revert_months", 36, 0);
    assert_const(p, "cars", "dd_max", 0, 0);
    assert_const(p, "cars", "dd_elasticity", 0, 0);
    assert_const(p, "cars", "priority", 3, 1);
    /* gate: active 1, review_days 63, review_cv 0.3, approval 1, partial 1, application_t 5,
     * quota none (+inf), deny_end_use none, validity_months 6. */
    assert_const(p, "lic", "active", 1, 0);
    assert_const(p, "lic", "review_days", 63, 0);
    assert_const(p, "lic", "review_cv", 0.3, 0);
    assert_const(p, "lic", "approval", 1, 0);
    assert_const(p, "lic", "partial", 1, 0);
    assert_const(p, "lic", "application_t", 5, 0);
    assert_const(p, "lic", "quota", INFINITY, 0);
    assert_const(p, "lic", "validity_months", 6, 0);
    assert_int_equal(spec(p, "lic", "deny_end_use")->mask, 0);
    assert_int_equal(spec(p, "lic", "deny_end_use")->given, 0);
    ree_plan_free(p);
}

static void test_timeline_in_steps(void **unused)
{
    (void)unused;
    char msg[2048];
    ree_plan *p = load("", msg, sizeof msg);
    int lic = ree_plan_entity(p, "lic"), mine = ree_plan_entity(p, "mine");
    int approval = ree_model_param_index(p->entities[lic].model, "approval");
    int quota = ree_model_param_index(p->entities[lic].model, "quota");
    int util = ree_model_param_index(p->entities[mine].model, "utilisation");
    /* 2025-01, before the 2025-03 start: applied at step 0. Both 2025-05 events at step 2, in
     * file order. 2026-06 is past the last step (2026-02): dropped, with a warning. */
    assert_int_equal(p->nevent, 3);
    assert_int_equal(p->events[0].step, 0);
    assert_int_equal(p->events[0].nchange, 1);
    assert_int_equal(p->events[0].changes[0].entity, lic);
    assert_int_equal(p->events[0].changes[0].param, approval);
    assert_true(p->events[0].changes[0].value.dist.a == 0.5);
    assert_int_equal(p->events[1].step, 2);
    assert_int_equal(p->events[1].nchange, 2);
    assert_int_equal(p->events[1].changes[0].param, approval);
    assert_true(p->events[1].changes[0].value.dist.a == 0.25);
    assert_int_equal(p->events[1].changes[1].entity, mine);
    assert_int_equal(p->events[1].changes[1].param, util);
    assert_true(p->events[1].changes[1].value.dist.a == 0.8);
    assert_int_equal(p->events[2].step, 2);
    assert_int_equal(p->events[2].changes[0].param, quota);
    assert_true(p->events[2].changes[0].value.dist.a == 100);
    assert_non_null(strstr(msg, "event after the horizon is ignored"));
    ree_plan_free(p);
}

static void test_regime_rows(void **unused)
{
    (void)unused;
    char msg[2048];
    ree_plan *p = load("", msg, sizeof msg);
    assert_int_equal(p->nregime, 3);
    assert_string_equal(p->regimes[0].id, "calm");
    assert_string_equal(p->regimes[1].id, "tense");
    assert_string_equal(p->regimes[2].id, "shut");
    assert_int_equal(p->regime_start, 1); /* 2025-04 is one month after the start */
    assert_int_equal(p->regime_initial, 0);
    /* Rows: the given exits, staying = 1 minus their sum. */
    static const double to[3][3] = {{0.9, 0.1, 0}, {0.3, 0.5, 0.2}, {0, 0.5, 0.5}};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            if (fabs(p->regimes[i].to[j] - to[i][j]) > 1e-15)
                fail_msg("regime %d -> %d: %.17g, expected %g", i, j, p->regimes[i].to[j],
                         to[i][j]);
    int lic = ree_plan_entity(p, "lic");
    assert_int_equal(p->regimes[0].nchange, 0);
    assert_int_equal(p->regimes[1].nchange, 1);
    assert_int_equal(p->regimes[1].changes[0].entity, lic);
    assert_int_equal(p->regimes[1].changes[0].param,
                     ree_model_param_index(p->entities[lic].model, "review_days"));
    assert_true(p->regimes[1].changes[0].value.dist.a == 120);
    assert_int_equal(p->regimes[2].nchange, 1);
    assert_true(p->regimes[2].changes[0].value.dist.a == 0);
    assert_null(strstr(msg, "regimes.start"));
    ree_plan_free(p);
}

/* A regimes start outside the horizon (2025-03 to 2026-02) loads, with a located warning: before
 * it, the chain starts at step 0 (docs/engine.md); after it, never. */
static void test_regime_start_outside(void **unused)
{
    (void)unused;
    char msg[2048];
    ree_plan *p = load_start("", "2024-11", msg, sizeof msg);
    assert_int_equal(p->regime_start, 0);
    assert_non_null(strstr(msg,
                           "plan.yaml:39:10: warning: regimes.start: start before the horizon: "
                           "the regimes start at its first month, 2025-03"));
    ree_plan_free(p);
    p = load_start("", "2026-03", msg, sizeof msg);
    assert_true(p->regime_start >= p->nsteps);
    assert_non_null(strstr(msg, "plan.yaml:39:10: warning: regimes.start: start after the horizon "
                                "(its last month is 2026-02): the regimes never start"));
    ree_plan_free(p);
    p = load_start("", "2026-02", msg, sizeof msg); /* the last month: no warning */
    assert_int_equal(p->regime_start, 11);
    assert_null(strstr(msg, "regimes.start"));
    ree_plan_free(p);
}

static int find_series(const ree_plan *p, const char *entity, const char *metric)
{
    for (int i = 0; i < p->nseries; i++)
        if (!strcmp(p->series[i].entity_name, entity) && !strcmp(p->series[i].metric, metric))
            return i;
    return -1;
}

/* Without `report`, every series, in this order: per node its metrics then its stocks (by
 * material), per link shipped and in_transit, per gate its metrics then shipped, the regimes,
 * the shortage ratio of each material. Sources 3 metrics + 1 stock (x3), processor 5 + 3,
 * sector 9 + 1, links 2 x 4, gate 8 + 1, 3 regimes, 3 materials: 12 + 8 + 10 + 8 + 9 + 3 + 3
 * = 53. */
static void test_series_all(void **unused)
{
    (void)unused;
    char msg[2048];
    ree_plan *p = load("", msg, sizeof msg);
    assert_int_equal(p->nseries, 53);
    assert_int_equal(find_series(p, "mine", "capacity"), 0);
    assert_int_equal(find_series(p, "mine", "stock.oxide"), 3);
    assert_int_equal(p->series[3].kind, REE_S_STOCK);
    assert_int_equal(p->series[3].entity, 0);
    assert_int_equal(p->series[3].index, 0);
    assert_int_equal(find_series(p, "plant", "stock.oxide"), 13);
    assert_int_equal(find_series(p, "plant", "stock.magnet"), 14);
    assert_int_equal(find_series(p, "plant", "stock.dytb"), 15);
    assert_int_equal(find_series(p, "mine->plant", "shipped"), 30);
    assert_int_equal(p->series[30].kind, REE_S_SHIPPED);
    assert_int_equal(p->series[30].entity, 0);
    assert_int_equal(find_series(p, "cn_cars", "in_transit"), 35);
    assert_int_equal(find_series(p, "lic", "applications"), 38);
    assert_int_equal(find_series(p, "lic", "shipped"), 46);
    assert_int_equal(p->series[46].kind, REE_S_GATE_SHIPPED);
    assert_int_equal(find_series(p, "regime", "calm"), 47);
    assert_int_equal(p->series[49].kind, REE_S_REGIME);
    assert_int_equal(p->series[49].index, 2);
    assert_int_equal(find_series(p, "dytb", "shortage_ratio"), 52);
    assert_int_equal(p->series[52].kind, REE_S_SCARCITY);
    assert_int_equal(p->series[52].index, 2);
    assert_string_equal(p->series[52].unit, "1");
    assert_string_equal(p->series[3].unit, "t");
    ree_plan_free(p);
}

/* `report.series` globs keep only the matching series, in the same order, each once: the
 * patterns "cars/ANY" (9 metrics + its stock), "ANY/stock.magnet" (plant, ally; cars again),
 * lic/backlog and "regime/ANY" (3), with ANY the wildcard: 10 + 2 + 1 + 3 = 16. */
static void test_series_report_globs(void **unused)
{
    (void)unused;
    char msg[2048];
    ree_plan *p = load("report:\n  series: [\"cars/*\", \"*/stock.magnet\", lic/backlog, "
                       "\"regime/*\"]\n",
                       msg, sizeof msg);
    assert_int_equal(p->nseries, 16);
    static const char *const want[16][2] = {{"plant", "stock.magnet"},   {"ally", "stock.magnet"},
                                            {"cars", "demand"},          {"cars", "need"},
                                            {"cars", "consumed"},        {"cars", "shortfall"},
                                            {"cars", "shortfall_share"}, {"cars", "substitution"},
                                            {"cars", "destroyed"},       {"cars", "lost_units"},
                                            {"cars", "firms_stopped"},   {"cars", "stock.magnet"},
                                            {"lic", "backlog"},          {"regime", "calm"},
                                            {"regime", "tense"},         {"regime", "shut"}};
    for (int i = 0; i < 16; i++) {
        assert_string_equal(p->series[i].entity_name, want[i][0]);
        assert_string_equal(p->series[i].metric, want[i][1]);
    }
    /* Indicators do not depend on the report filter. */
    assert_int_equal(p->nindicator, 29);
    ree_plan_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_indices_in_file_order), cmocka_unit_test(test_defaults_resolved),
        cmocka_unit_test(test_timeline_in_steps),     cmocka_unit_test(test_regime_rows),
        cmocka_unit_test(test_regime_start_outside),  cmocka_unit_test(test_series_all),
        cmocka_unit_test(test_series_report_globs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

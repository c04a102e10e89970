/*
 * Step-level tests of the engine core (engine/sim/run.c, engine/sim/run_step.c): small plans built from
 * YAML buffers, stepped month by month with ree_run_step, with the stocks, flows and gate queues
 * checked after every step against values traced by hand through the step order of
 * docs/engine.md:
 *   1 arrivals, 2 policy (timeline, regime), 3 production, 4 orders (on the position: stock +
 *   in transit + on order at gates), 5 gates, 6 shipping, 7 consumption, 8 accounting.
 * A series is read through the plan's series table (ENTITY/METRIC); stocks are the ones after
 * consumption, as recorded at the end of the step. Parameters are constants unless a test is
 * about sampling, so every expected number below is derived in the comment next to it.
 *
 * Conventions of the traces: "pos" is a node's inventory position at order time, "T" a sector's
 * order-up-to level need * (1 + L + cover_weeks / wpm) with L its rank-0 supply lead time
 * (models/sector.c), wpm = 365.25 / 12 / 7 weeks per month.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <gsl/gsl_cdf.h>

#include "diag.h"
#include "model.h"
#include "plan.h"
#include "run.h"
#include "run_priv.h" /* test_balance_leak: a shipment in transit, white box */

#define WPM     REE_WEEKS_PER_MONTH
#define MAXSTEP 8

/* ---- fixture ---------------------------------------------------------------------------- */

typedef struct sim {
    ree_plan *p;
    ree_run *r;
} sim;

static ree_plan *load(const char *yaml)
{
    ree_diag *d = ree_diag_alloc(0);
    assert_non_null(d);
    ree_status st = REE_STATUS_COUNT;
    ree_plan *p = ree_plan_load_buffer("step.yaml", yaml, strlen(yaml), d, &st);
    if (!p)
        ree_diag_print(d, stderr);
    ree_diag_free(d);
    assert_non_null(p);
    assert_int_equal(st, REE_OK);
    return p;
}

/* Plan, workspace with the mass-balance check on, run 0 of the plan's seed reset. */
static sim start(const char *yaml)
{
    sim s;
    s.p = load(yaml);
    s.r = ree_run_alloc(s.p);
    assert_non_null(s.r);
    ree_run_set_check(s.r, 1);
    ree_run_reset(s.r, s.p->seed, 0);
    assert_int_equal(ree_run_steps_done(s.r), 0);
    return s;
}

static void stop(sim *s)
{
    ree_run_free(s->r);
    ree_plan_free(s->p);
}

/* Index of series ENTITY/METRIC in the plan; fails the test when there is none. */
static int series_index(const ree_plan *p, const char *entity, const char *metric)
{
    for (int i = 0; i < p->nseries; i++)
        if (!strcmp(p->series[i].entity_name, entity) && !strcmp(p->series[i].metric, metric))
            return i;
    fail_msg("no series %s/%s", entity, metric);
    return -1;
}

static double value(const sim *s, const char *entity, const char *metric, int t)
{
    int i = series_index(s->p, entity, metric);
    return ree_run_series(s->r)[(size_t)i * (size_t)s->p->nsteps + (size_t)t];
}

static int material(const ree_plan *p, const char *id)
{
    for (int m = 0; m < p->nmat; m++)
        if (!strcmp(p->mat_id[m], id))
            return m;
    fail_msg("no material %s", id);
    return -1;
}

static void expect_at(double got, double want, const char *entity, const char *metric, int t)
{
    double tol = 1e-9 * (fabs(want) > 1 ? fabs(want) : 1);
    if (!(fabs(got - want) <= tol))
        fail_msg("%s/%s at step %d: got %.17g, expected %.17g", entity, metric, t, got, want);
}

/* One series' expected values, step by step. */
typedef struct row {
    const char *entity;
    const char *metric;
    double v[MAXSTEP];
} row;

/* Check every row at step t; for stock rows also the live stock (ree_run_stock) and, for the
 * next step, that nothing is recorded yet. */
static void check_rows(const sim *s, const row *rows, size_t n, int t)
{
    for (size_t i = 0; i < n; i++) {
        const row *w = &rows[i];
        expect_at(value(s, w->entity, w->metric, t), w->v[t], w->entity, w->metric, t);
        if (t + 1 < s->p->nsteps)
            expect_at(value(s, w->entity, w->metric, t + 1), 0, w->entity, w->metric, t + 1);
        if (!strncmp(w->metric, "stock.", 6)) {
            int node = ree_plan_entity(s->p, w->entity);
            assert_true(node >= 0 && node < s->p->nnode);
            expect_at(ree_run_stock(s->r, node, material(s->p, w->metric + 6)), w->v[t], w->entity,
                      "live stock", t);
        }
    }
}

/* Step the whole horizon, checking every row after every step. */
static void step_and_check(sim *s, const row *rows, size_t n)
{
    for (int t = 0; t < s->p->nsteps; t++) {
        assert_int_equal(ree_run_steps_done(s->r), t);
        int st = ree_run_step(s->r);
        if (st != REE_OK)
            fail_msg("step %d: status %d: %s", t, st, ree_run_error(s->r));
        assert_int_equal(ree_run_steps_done(s->r), t + 1);
        check_rows(s, rows, n, t);
    }
}

#define NROWS(a) (sizeof(a) / sizeof((a)[0]))

/* A hand-rounded figure of a trace (two decimals). */
#define assert_near_double(a, b) assert_true(fabs((a) - (b)) <= 0.005)

/* ---- (1) two nodes: source -> sector ------------------------------------------------------ */

static char *two_node(int steps, double capacity, double stock0, double demand, double cover,
                      double lead)
{
    static char buf[1024];
    snprintf(buf, sizeof buf,
             "reesim: 1\n"
             "name: two-node\n"
             "horizon: {start: 2025-01, steps: %d}\n"
             "seed: 42\n"
             "materials:\n"
             "  - {id: ndfeb}\n"
             "nodes:\n"
             "  - id: src\n"
             "    model: source\n"
             "    params: {output: {ndfeb: 1}, capacity: %.17g}\n"
             "  - id: users\n"
             "    model: sector\n"
             "    stock: {ndfeb: %.17g}\n"
             "    params: {material: ndfeb, demand: %.17g, cover_weeks: %.17g, kg_per_unit: 2}\n"
             "links:\n"
             "  - {from: src, to: users, material: ndfeb, lead_time: %.17g}\n",
             steps, capacity, stock0, demand, cover, lead);
    return buf;
}

/* Capacity 500 > demand 300, lead time 1, no safety stock: T = 300 * (1 + 1) = 600.
 *  t=0: 3 src makes 500 -> 500. 4 pos 600 -> order 600 - 600 = 0. 6 nothing ships.
 *       7 users use 300 of 600 -> 300.
 *  t=1: 3 src 1000. 4 pos 300 -> order 300. 6 ship 300: src 700, in transit 300 (due t=2).
 *       7 users use 300 -> 0.
 *  t=2: 1 300 arrive: users 300, in transit 0. 3 src 1200. 4 pos 300 -> order 300.
 *       6 ship 300: src 900, in transit 300. 7 users 300 -> 0.
 *  t=3, 4: as t=2; src gains 500 - 300 = 200 a month: 1100, 1300. */
static void test_two_node_lead1(void **unused)
{
    (void)unused;
    sim s = start(two_node(5, 500, 600, 300, 0, 1));
    static const row rows[] = {
        {"src", "production", {500, 500, 500, 500, 500}},
        {"src", "capacity", {500, 500, 500, 500, 500}},
        {"src", "stock.ndfeb", {500, 700, 900, 1100, 1300}},
        {"users", "demand", {300, 300, 300, 300, 300}},
        {"users", "need", {300, 300, 300, 300, 300}},
        {"users", "consumed", {300, 300, 300, 300, 300}},
        {"users", "shortfall", {0, 0, 0, 0, 0}},
        {"users", "stock.ndfeb", {300, 0, 0, 0, 0}},
        {"src->users", "shipped", {0, 300, 300, 300, 300}},
        {"src->users", "in_transit", {0, 300, 300, 300, 300}},
        {"ndfeb", "shortage_ratio", {0, 0, 0, 0, 0}},
    };
    step_and_check(&s, rows, NROWS(rows));
    stop(&s);
}

/* Lead time 2: T = 300 * (1 + 2) = 900; a shipment of t arrives at t + 2.
 *  t=0: 3 src 500. 4 pos 600 -> order 300. 6 ship 300: src 200, in transit 300 (due 2).
 *       7 users 600 - 300 = 300.
 *  t=1: 1 nothing arrives. 3 src 700. 4 pos 300 + 300 = 600 -> order 300. 6 src 400, in
 *       transit 600. 7 users 0.
 *  t=2: 1 300 (of t=0) arrive: users 300, in transit 300. 3 src 900. 4 pos 600 -> 300.
 *       6 src 600, in transit 600. 7 users 0.
 *  t=3, 4: src 800, 1000. */
static void test_two_node_lead2(void **unused)
{
    (void)unused;
    sim s = start(two_node(5, 500, 600, 300, 0, 2));
    static const row rows[] = {
        {"src", "stock.ndfeb", {200, 400, 600, 800, 1000}},
        {"users", "consumed", {300, 300, 300, 300, 300}},
        {"users", "shortfall", {0, 0, 0, 0, 0}},
        {"users", "stock.ndfeb", {300, 0, 0, 0, 0}},
        {"src->users", "shipped", {300, 300, 300, 300, 300}},
        {"src->users", "in_transit", {300, 600, 600, 600, 600}},
    };
    step_and_check(&s, rows, NROWS(rows));
    stop(&s);
}

/* Lead time 1.5: T = 300 * 2.5 = 750; q shipped at t arrives q/2 at t + 1 and q/2 at t + 2.
 *  t=0: 3 src 500. 4 pos 600 -> order 150. 6 src 350; 75 due at 1, 75 at 2. 7 users 300.
 *  t=1: 1 75 arrive: users 375, in transit 75. 3 src 850. 4 pos 375 + 75 = 450 -> 300.
 *       6 src 550; 150 due at 2, 150 at 3; in transit 375. 7 users 75.
 *  t=2: 1 75 + 150 = 225 arrive: users 300, in transit 150. 3 src 1050. 4 pos 450 -> 300.
 *       6 src 750, in transit 450. 7 users 0.
 *  t=3: 1 150 + 150 = 300 arrive: users 300, in transit 150. 4 pos 450 -> 300. 6 src 950,
 *       in transit 450. 7 users 0. */
static void test_two_node_fractional_lead(void **unused)
{
    (void)unused;
    sim s = start(two_node(4, 500, 600, 300, 0, 1.5));
    static const row rows[] = {
        {"src", "stock.ndfeb", {350, 550, 750, 950}},
        {"users", "consumed", {300, 300, 300, 300}},
        {"users", "stock.ndfeb", {300, 75, 0, 0}},
        {"src->users", "shipped", {150, 300, 300, 300}},
        {"src->users", "in_transit", {150, 375, 450, 450}},
    };
    step_and_check(&s, rows, NROWS(rows));
    stop(&s);
}

/* Safety stock: cover_weeks 4, lead 1, ample capacity 1000. T = 300 * (2 + 4 / wpm)
 * = 600 + 275.975... ; the safety stock 300 * 4 / wpm is what is left after consumption.
 *  t=0: 3 src 1000. 4 pos 300 -> order T - 300. 6 src 1000 - (T - 300). 7 users 300 -> 0.
 *  t=1: 1 T - 300 arrive. 3 src + 1000. 4 pos T - 300 -> order 300. 6 ship 300.
 *       7 users T - 300 - 300 = 300 * 4 / wpm.
 *  t=2: 1 300 arrive: T - 300. 4 order 300. 7 users 300 * 4 / wpm. */
static void test_two_node_safety_stock(void **unused)
{
    (void)unused;
    const double T = 300 * (2 + 4 / WPM), safety = 300 * 4 / WPM;
    sim s = start(two_node(4, 1000, 300, 300, 4, 1));
    const row rows[] = {
        {"src",
         "stock.ndfeb",
         {1000 - (T - 300), 2000 - (T - 300) - 300, 3000 - (T - 300) - 600,
          4000 - (T - 300) - 900}},
        {"users", "stock.ndfeb", {0, safety, safety, safety}},
        {"users", "consumed", {300, 300, 300, 300}},
        {"src->users", "shipped", {T - 300, 300, 300, 300}},
    };
    assert_true(fabs(safety - 275.975) < 1e-3); /* 300 * 4 / 4.348214 */
    step_and_check(&s, rows, NROWS(rows));
    stop(&s);
}

/* Shortfall: capacity 250 < demand 300, lead 2, cover 4 weeks, 400 t on hand. The order
 * T - pos = 300 * (3 + 4 / wpm) - pos >= 675.98 always exceeds the 250 t offered, so src ships
 * all it makes and keeps nothing.
 *  t=0: 3 src 250. 6 ship 250 (due 2): src 0, in transit 250. 7 users use 300 of 400 -> 100.
 *  t=1: 1 nothing. 6 ship 250 (due 3), in transit 500. 7 users use 100 of need 300: short
 *       200 (2/3), 200 t * 1000 / 2 kg = 100,000 units lost; stock 0.
 *  t=2..4: 1 250 arrive; 6 ship 250 (in transit stays 500). 7 use 250, short 50 (1/6),
 *       25,000 units. The shortage ratio of ndfeb is the one sector's share. */
static void test_two_node_shortfall(void **unused)
{
    (void)unused;
    sim s = start(two_node(5, 250, 400, 300, 4, 2));
    static const row rows[] = {
        {"src", "production", {250, 250, 250, 250, 250}},
        {"src", "stock.ndfeb", {0, 0, 0, 0, 0}},
        {"users", "need", {300, 300, 300, 300, 300}},
        {"users", "consumed", {300, 100, 250, 250, 250}},
        {"users", "shortfall", {0, 200, 50, 50, 50}},
        {"users", "shortfall_share", {0, 2.0 / 3, 1.0 / 6, 1.0 / 6, 1.0 / 6}},
        {"users", "lost_units", {0, 100000, 25000, 25000, 25000}},
        {"users", "substitution", {0, 0, 0, 0, 0}}, /* sub_max defaults to 0 */
        {"users", "stock.ndfeb", {100, 0, 0, 0, 0}},
        {"src->users", "shipped", {250, 250, 250, 250, 250}},
        {"src->users", "in_transit", {250, 500, 500, 500, 500}},
        {"ndfeb", "shortage_ratio", {0, 2.0 / 3, 1.0 / 6, 1.0 / 6, 1.0 / 6}},
    };
    step_and_check(&s, rows, NROWS(rows));
    /* The indicators of the finished run: total shortfall 200 + 3 * 50 = 350 t of need
     * 5 * 300 = 1500; short months (used < 0.95 * need) are t = 1..4, the first at 1. */
    assert_int_equal(ree_run_finish(s.r), REE_OK);
    int users = ree_plan_entity(s.p, "users");
    for (int i = 0; i < s.p->nindicator; i++) {
        const ree_indicator *ind = &s.p->indicators[i];
        if (ind->entity != users)
            continue;
        double v = ree_run_indicators(s.r)[i];
        if (!strcmp(ind->name, "shortfall"))
            expect_at(v, 350, "users", "shortfall (run)", 5);
        else if (!strcmp(ind->name, "shortfall_share"))
            expect_at(v, 350.0 / 1500, "users", "shortfall_share (run)", 5);
        else if (!strcmp(ind->name, "months_short"))
            expect_at(v, 4, "users", "months_short (run)", 5);
        else if (!strcmp(ind->name, "first_short_month"))
            expect_at(v, 1, "users", "first_short_month (run)", 5);
    }
    stop(&s);
}

/* Two firm classes (models/sector.c, firm_classes 2, cover lognormal mean 4 weeks, sd 4): class
 * covers c = 1.6131 and 4.9593 weeks, w_i = 1 + c_i / wpm = 1.37098 and 2.14054. The source
 * makes 200 t/month; users need 300 (150 per class); lead 1 (L = 1).
 *  t=0: 3 src 200. 4 users pos 400, split by w: s = 156.17, 243.83; orders
 *       150 * (1 + 1 + c_i / wpm) - s_i = 199.48 + 227.25 = 426.73. 6 ship 200 (all src has).
 *       7 both classes use 150: s = 6.17, 93.83, users 100.
 *  t=1: 1 200 arrive (users 300). 4 what entered the pipeline, 200, goes to the classes in
 *       proportion to their orders (93.49, 106.51) and arrives: s = 99.66, 200.34. 7 the thin
 *       class uses 99.66 and stops 1 - 99.66 / 150 = 33.6% of the month; the thick one uses 150.
 *       Used 249.66 of the node's 300 t: short 50.34 t although the pooled stock would cover the
 *       need. One class of two stopped. The engine's balance check holds at every step. */
static void test_firm_classes_stop(void **unused)
{
    (void)unused;
    sim s = start("reesim: 1\n"
                  "name: classes\n"
                  "horizon: {start: 2025-01, steps: 2}\n"
                  "seed: 42\n"
                  "materials:\n"
                  "  - {id: ndfeb}\n"
                  "nodes:\n"
                  "  - id: src\n"
                  "    model: source\n"
                  "    params: {output: {ndfeb: 1}, capacity: 200}\n"
                  "  - id: users\n"
                  "    model: sector\n"
                  "    stock: {ndfeb: 400}\n"
                  "    params: {material: ndfeb, demand: 300, cover_weeks: 4, kg_per_unit: 2,\n"
                  "             firm_classes: 2, cover_sd: 4}\n"
                  "links:\n"
                  "  - {from: src, to: users, material: ndfeb, lead_time: 1}\n");
    double sl2 = log(2), z = 0.6744897501960817;
    double c0 = exp(log(4) - sl2 / 2 - sqrt(sl2) * z), c1 = exp(log(4) - sl2 / 2 + sqrt(sl2) * z);
    double w0 = 1 + c0 / WPM, w1 = 1 + c1 / WPM;
    double s0 = 400 * w0 / (w0 + w1), s1 = 400 * w1 / (w0 + w1);
    double o0 = 150 * (1 + w0) - s0, o1 = 150 * (1 + w1) - s1;
    double t0 = s0 - 150 + 200 * o0 / (o0 + o1); /* the thin class at t=1 */
    assert_near_double(s0, 156.17);
    assert_near_double(o0 + o1, 426.73);
    assert_near_double(t0, 99.66);
    double stop1 = 1 - t0 / 150;
    const row rows[] = {
        {"users", "need", {300, 300}},         {"users", "consumed", {300, t0 + 150}},
        {"users", "shortfall", {0, 150 - t0}}, {"users", "lost_units", {0, stop1 * 150 * 1000 / 2}},
        {"users", "firms_stopped", {0, 0.5}},  {"users", "stock.ndfeb", {100, 300 - t0 - 150}},
        {"src->users", "shipped", {200, 200}},
    };
    step_and_check(&s, rows, NROWS(rows));
    assert_int_equal(ree_run_finish(s.r), REE_OK);
    int users = ree_plan_entity(s.p, "users");
    for (int i = 0; i < s.p->nindicator; i++) {
        const ree_indicator *ind = &s.p->indicators[i];
        double v = ree_run_indicators(s.r)[i];
        if (ind->entity != users)
            continue;
        if (!strcmp(ind->name, "first_stop_month"))
            expect_at(v, 1, "users", "first_stop_month (run)", 2);
        else if (!strcmp(ind->name, "firm_months_stopped"))
            expect_at(v, stop1 / 2, "users", "firm_months_stopped (run)", 2);
        else if (!strcmp(ind->name, "max_firms_stopped"))
            expect_at(v, 0.5, "users", "max_firms_stopped (run)", 2);
    }
    stop(&s);
}

/* An observation of several entities is a series of its own, LABEL/METRIC, the per-run sum of
 * theirs: here the source's two links (demand 300 and 100, capacity 500, lead 1, no safety
 * stock: T = need * 2). t=0: both hold 2 months of need, order nothing. t=1: they order 300 and
 * 100; src (1000) ships both: the sum is 400. */
static void test_observation_sum(void **unused)
{
    (void)unused;
    char csv[] = "/tmp/reesim-obs-XXXXXX";
    int fd = mkstemp(csv);
    assert_true(fd >= 0);
    const char line[] = "date,value\n2025-02,400\n";
    assert_int_equal(write(fd, line, sizeof line - 1), (long)(sizeof line - 1));
    close(fd);
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "reesim: 1\n"
             "name: obs-sum\n"
             "horizon: {start: 2025-01, steps: 3}\n"
             "seed: 42\n"
             "materials:\n"
             "  - {id: ndfeb}\n"
             "nodes:\n"
             "  - id: src\n"
             "    model: source\n"
             "    params: {output: {ndfeb: 1}, capacity: 500}\n"
             "  - id: a\n"
             "    model: sector\n"
             "    stock: {ndfeb: 600}\n"
             "    params: {material: ndfeb, demand: 300, cover_weeks: 0, kg_per_unit: 2}\n"
             "  - id: b\n"
             "    model: sector\n"
             "    stock: {ndfeb: 200}\n"
             "    params: {material: ndfeb, demand: 100, cover_weeks: 0, kg_per_unit: 2}\n"
             "links:\n"
             "  - {from: src, to: a, material: ndfeb}\n"
             "  - {from: src, to: b, material: ndfeb}\n"
             "observations:\n"
             "  - {label: to_ab, entity: [src->a, src->b], metric: shipped, file: %s}\n",
             csv);
    sim s = start(yaml);
    unlink(csv);
    int k = series_index(s.p, "to_ab", "shipped");
    assert_int_equal(s.p->series[k].kind, REE_S_SUM);
    assert_int_equal(s.p->series[k].nsum, 2);
    assert_int_equal(s.p->observations[0].series, k);
    static const row rows[] = {
        {"src->a", "shipped", {0, 300, 300}},
        {"src->b", "shipped", {0, 100, 100}},
        {"to_ab", "shipped", {0, 400, 400}},
    };
    step_and_check(&s, rows, NROWS(rows));
    stop(&s);
}

/* ---- (2) three nodes: source -> processor -> sector --------------------------------------- */

/* A mine making 40 t/month of oxide feeds a magnet plant (0.5 t oxide per t of magnet: at most
 * 40 / 0.5 = 80 t of magnets a month, below its capacity of 100), which feeds users needing
 * 100 t/month. Lead 1 on both links; no safety stock at the users (T = 100 * 2 = 200).
 * The plant orders (1 + L + input_cover) * 100 * 0.5 - pos = (1 + 1 + 1) * 50 - pos = 150 - pos
 * of oxide, always more than the mine's 40 t: the mine ships everything it makes.
 *  t=0: 3 mine 40; plant: by_input = 20 / 0.5 = 40 < 100, starts 40 using 20 oxide -> oxide
 *       0, magnets 40, input-limited. 4 users pos 200 -> order 0. 6 mine ships 40 (due 1).
 *       7 users use 100 of 200 -> 100.
 *  t=1: 1 40 oxide arrive. 3 plant starts 80 (40 / 0.5), using 40: magnets 120. 4 users pos
 *       100 -> order 100. 6 plant ships 100: magnets 20. 7 users 100 -> 0.
 *  t=2: 1 users get 100. 3 plant magnets 20 + 80 = 100. 4 users pos 100 -> 100. 6 ships 100:
 *       plant 0. 7 users 0.
 *  t=3: 1 users 100. 3 plant 80. 4 users pos 100 -> order 100. 6 plant ships all its 80.
 *       7 users 0.
 *  t=4: 1 users 80. 3 plant 80. 4 pos 80 -> order 120. 6 ships 80. 7 users use 80: short 20. */
static const char chain_yaml[] = "reesim: 1\n"
                                 "name: chain\n"
                                 "horizon: {start: 2025-01, steps: 5}\n"
                                 "seed: 3\n"
                                 "materials:\n"
                                 "  - {id: oxide}\n"
                                 "  - {id: magnet}\n"
                                 "nodes:\n"
                                 "  - id: mine\n"
                                 "    model: source\n"
                                 "    params: {output: {oxide: 1}, capacity: 40}\n"
                                 "  - id: plant\n"
                                 "    model: processor\n"
                                 "    stock: {oxide: 20}\n"
                                 "    params:\n"
                                 "      inputs: {oxide: 0.5}\n"
                                 "      output: magnet\n"
                                 "      capacity: 100\n"
                                 "  - id: users\n"
                                 "    model: sector\n"
                                 "    stock: {magnet: 200}\n"
                                 "    params: {material: magnet, demand: 100, cover_weeks: 0, "
                                 "kg_per_unit: 2}\n"
                                 "links:\n"
                                 "  - {from: mine, to: plant, material: oxide}\n"
                                 "  - {from: plant, to: users, material: magnet}\n";

static void test_chain_processor(void **unused)
{
    (void)unused;
    sim s = start(chain_yaml);
    static const row rows[] = {
        {"mine", "production", {40, 40, 40, 40, 40}},
        {"mine", "stock.oxide", {0, 0, 0, 0, 0}},
        {"plant", "stock.oxide", {0, 0, 0, 0, 0}},
        {"plant", "production", {40, 80, 80, 80, 80}},
        {"plant", "input_limited", {1, 1, 1, 1, 1}},
        {"plant", "capacity", {100, 100, 100, 100, 100}},
        {"plant", "wip", {0, 0, 0, 0, 0}}, /* delay 0: nothing in progress after a step */
        {"plant", "stock.magnet", {40, 20, 0, 0, 0}},
        {"users", "stock.magnet", {100, 0, 0, 0, 0}},
        {"users", "consumed", {100, 100, 100, 100, 80}},
        {"users", "shortfall", {0, 0, 0, 0, 20}},
        {"mine->plant", "shipped", {40, 40, 40, 40, 40}},
        {"mine->plant", "in_transit", {40, 40, 40, 40, 40}},
        {"plant->users", "shipped", {0, 100, 100, 80, 80}},
    };
    step_and_check(&s, rows, NROWS(rows));
    stop(&s);
}

/* A processor's max_stock changed by timeline events: the plant (no outbound link, so its
 * magnets stay) starts no batch once its stock reaches max_stock. 30 t at first: 30 made at
 * t=0, none at t=1; raised to 60 from 2025-03: 30 more at t=2, none at t=3; no limit (null) from
 * 2025-05: capacity, 100, at t=4 (its oxide, 100 t at first and 40 a month after, is never
 * short: 0.5 t a tonne). */
static void test_processor_max_stock_timeline(void **unused)
{
    (void)unused;
    sim s =
        start("reesim: 1\n"
              "name: cap\n"
              "horizon: {start: 2025-01, steps: 5}\n"
              "seed: 3\n"
              "materials: [{id: oxide}, {id: magnet}]\n"
              "nodes:\n"
              "  - id: mine\n"
              "    model: source\n"
              "    params: {output: {oxide: 1}, capacity: 40}\n"
              "  - id: plant\n"
              "    model: processor\n"
              "    stock: {oxide: 100}\n"
              "    params: {inputs: {oxide: 0.5}, output: magnet, capacity: 100, max_stock: 30}\n"
              "links:\n"
              "  - {from: mine, to: plant, material: oxide}\n"
              "timeline:\n"
              "  - {date: 2025-03, set: {plant.max_stock: 60}}\n"
              "  - {date: 2025-05, set: {plant.max_stock: null}}\n");
    static const row rows[] = {
        {"plant", "production", {30, 0, 30, 0, 100}},
        {"plant", "stock.magnet", {30, 30, 60, 60, 160}},
    };
    step_and_check(&s, rows, NROWS(rows));
    stop(&s);
}

/* The plan of the growth tests: a generous source and 300 t/month of users (lead 1) growing at
 * GROWTH a year, over STEPS months from 2025-01; the test appends its timeline or regimes. */
#define GROWTH_PLAN(STEPS, GROWTH)                                                                 \
    "reesim: 1\n"                                                                                  \
    "name: growth\n"                                                                               \
    "horizon: {start: 2025-01, steps: " STEPS "}\n"                                                \
    "seed: 5\n"                                                                                    \
    "materials: [{id: ndfeb}]\n"                                                                   \
    "nodes:\n"                                                                                     \
    "  - {id: src, model: source, params: {output: {ndfeb: 1}, capacity: 1000}}\n"                 \
    "  - id: users\n"                                                                              \
    "    model: sector\n"                                                                          \
    "    stock: {ndfeb: 400}\n"                                                                    \
    "    params: {material: ndfeb, demand: 300, growth: " GROWTH ", kg_per_unit: 2}\n"             \
    "links:\n"                                                                                     \
    "  - {from: src, to: users, material: ndfeb, lead_time: 1}\n"

/* A sector's growth changed by timeline events: demand carries on from the level reached and
 * compounds at the new rate from the step of the change (models/sector.c, the growth path).
 * 300 t/month growing 17.4% a year; from 2025-04 (t=3) 5% a year; from 2025-06 (t=5) no growth:
 *   t=0..3  300 * 1.174^(t/12)                  (t=3: the old path's level, no jump)
 *   t=3..5  300 * 1.174^(3/12) * 1.05^((t-3)/12)
 *   t=5..6  300 * 1.174^(3/12) * 1.05^(2/12)    (flat)
 * Steps 0-2 are the unchanged path bit for bit. The users' own consumption is not looked at
 * (the source is generous); demand is the metric before supply. */
static void test_sector_growth_timeline(void **unused)
{
    (void)unused;
    sim s = start(GROWTH_PLAN("7", "0.174") "timeline:\n"
                                            "  - {date: 2025-04, set: {users.growth: 0.05}}\n"
                                            "  - {date: 2025-06, set: {users.growth: 0}}\n");
    double l3 = pow(1.174, 3 / 12.0), l5 = l3 * pow(1.05, 2 / 12.0);
    double want[7];
    for (int t = 0; t < 7; t++)
        want[t] = t <= 3 ? 300 * pow(1.174, t / 12.0)
                         : 300 * (t <= 5 ? l3 * pow(1.05, (t - 3) / 12.0) : l5);
    for (int t = 0; t < 7; t++) {
        int st = ree_run_step(s.r);
        if (st != REE_OK)
            fail_msg("step %d: status %d: %s", t, st, ree_run_error(s.r));
        double got = value(&s, "users", "demand", t);
        expect_at(got, want[t], "users", "demand", t);
        if (t < 3 && got != want[t])
            fail_msg("users/demand at step %d: %.17g, not the unchanged path's %.17g", t, got,
                     want[t]);
    }
    /* Continuity and the new rates, read off the trace itself. */
    expect_at(value(&s, "users", "demand", 3) / value(&s, "users", "demand", 2),
              pow(1.174, 1 / 12.0), "users", "demand ratio 3/2", 3);
    expect_at(value(&s, "users", "demand", 5) / value(&s, "users", "demand", 4),
              pow(1.05, 1 / 12.0), "users", "demand ratio 5/4", 5);
    expect_at(value(&s, "users", "demand", 6), value(&s, "users", "demand", 5), "users", "demand",
              6);
    stop(&s);
}

/* Growth set at the horizon's first month (step 0) is the path's rate from the start, bit for
 * bit the same as that growth in the base parameters; set back to the base's 17.4% at 2025-04
 * (an earlier rate again), demand carries on from the level reached: 300 (1.1)^(t/12) up to
 * t = 3, then 300 (1.1)^(3/12) (1.174)^((t - 3)/12). */
static void test_sector_growth_start_and_back(void **unused)
{
    (void)unused;
    sim s = start(GROWTH_PLAN("7", "0.174") "timeline:\n"
                                            "  - {date: 2025-01, set: {users.growth: 0.10}}\n"
                                            "  - {date: 2025-04, set: {users.growth: 0.174}}\n");
    double l3 = pow(1 + 0.10, 3 / 12.0);
    for (int t = 0; t < 7; t++) {
        int st = ree_run_step(s.r);
        if (st != REE_OK)
            fail_msg("step %d: status %d: %s", t, st, ree_run_error(s.r));
        double got = value(&s, "users", "demand", t);
        double want =
            t <= 3 ? 300 * pow(1 + 0.10, t / 12.0) : 300 * (l3 * pow(1.174, (t - 3) / 12.0));
        expect_at(got, want, "users", "demand", t);
        if (t <= 3 && got != want)
            fail_msg("users/demand at step %d: %.17g, not growth 0.10's path %.17g", t, got, want);
    }
    stop(&s);
}

/* A regime that flips every month between 100% growth ("up") and none (the base's 0): each
 * month's demand is last month's times 2^(1/12) when the regime was up last month and times 1
 * otherwise (a change shows from the month after it, as a timeline change does), never a jump;
 * so demand at t is 300 * 2^(u/12), u the months "up" before t. */
static void test_sector_growth_regime(void **unused)
{
    (void)unused;
    sim s = start(GROWTH_PLAN("9", "0") "regimes:\n"
                                        "  start: 2025-01\n"
                                        "  initial: up\n"
                                        "  states:\n"
                                        "    - {id: up, set: {users.growth: 1}, to: {flat: 1}}\n"
                                        "    - {id: flat, to: {up: 1}}\n");
    int ups = 0, flips = 0;
    for (int t = 0; t < 9; t++) {
        int st = ree_run_step(s.r);
        if (st != REE_OK)
            fail_msg("step %d: status %d: %s", t, st, ree_run_error(s.r));
        double got = value(&s, "users", "demand", t);
        expect_at(got, 300 * pow(2, ups / 12.0), "users", "demand", t);
        if (t > 0) {
            double ratio = got / value(&s, "users", "demand", t - 1);
            int was_up = value(&s, "regime", "up", t - 1) == 1;
            expect_at(ratio, was_up ? pow(2, 1 / 12.0) : 1, "users", "demand ratio", t);
            flips += was_up != (value(&s, "regime", "up", t) == 1);
        }
        ups += value(&s, "regime", "up", t) == 1;
    }
    assert_true(flips >= 6); /* the regime did flip, so the rebasing was exercised */
    stop(&s);
}

/* A recycler collecting half of what the users used two months earlier (the engine's sector
 * consumption history), recovering 80% of it (yield), on the lead-1 two-node plan where the users
 * use 300 t every month. Before the horizon the end-of-life flow is eol0 = 100 t/month.
 *  t=0, 1: eol0: collected 0.5 * 100 = 50, recovered 0.8 * 50 = 40.
 *  t=2..4: the use of t-2, 300 t: collected 150, recovered 120.
 * It ships nothing (no link), so its stock is the running total: 40, 80, 200, 320, 440. */
static void test_recycler_yield(void **unused)
{
    (void)unused;
    sim s = start("reesim: 1\n"
                  "name: recycler\n"
                  "horizon: {start: 2025-01, steps: 5}\n"
                  "materials: [{id: ndfeb}]\n"
                  "nodes:\n"
                  "  - {id: src, model: source, params: {output: {ndfeb: 1}, capacity: 500}}\n"
                  "  - id: users\n"
                  "    model: sector\n"
                  "    stock: {ndfeb: 600}\n"
                  "    params: {material: ndfeb, demand: 300, cover_weeks: 0, kg_per_unit: 2}\n"
                  "  - id: rec\n"
                  "    model: recycler\n"
                  "    params: {material: ndfeb, feed: ndfeb, collect: 0.5, yield: 0.8,\n"
                  "             lag_months: 2, eol0: 100}\n"
                  "links:\n"
                  "  - {from: src, to: users, material: ndfeb}\n");
    static const row rows[] = {
        {"rec", "collected", {50, 50, 150, 150, 150}},
        {"rec", "recovered", {40, 40, 120, 120, 120}},
        {"rec", "stock.ndfeb", {40, 80, 200, 320, 440}},
        {"users", "consumed", {300, 300, 300, 300, 300}},
    };
    step_and_check(&s, rows, NROWS(rows));
    stop(&s);
}

/* ---- (3) a gated link --------------------------------------------------------------------- */

/* A Chinese maker with ample output (1000 t/month) ships to users needing 100 t/month (300 t on
 * hand, no safety stock, lead 1: T = 200) through gate `lic`. An order across the gate is an
 * application; it counts in the users' position while pending, so it is not placed twice. */
static char *gated(const char *gate_params, const char *timeline)
{
    static char buf[1536];
    snprintf(buf, sizeof buf,
             "reesim: 1\n"
             "name: gated\n"
             "horizon: {start: 2025-01, steps: 6}\n"
             "seed: 5\n"
             "materials:\n"
             "  - {id: ndfeb}\n"
             "nodes:\n"
             "  - id: cn\n"
             "    model: source\n"
             "    params: {output: {ndfeb: 1}, capacity: 1000}\n"
             "  - id: users\n"
             "    model: sector\n"
             "    stock: {ndfeb: 300}\n"
             "    params: {material: ndfeb, demand: 100, cover_weeks: 0, kg_per_unit: 2}\n"
             "links:\n"
             "  - {from: cn, to: users, material: ndfeb, gate: lic, lead_time: 1}\n"
             "gates:\n"
             "  - {id: lic, covers: [ndfeb], review_cv: 0, %s}\n"
             "%s",
             gate_params, timeline);
    return buf;
}

/* Review 30.4375 days = exactly 1 month, approval 1.
 *  t=0, 1: pos 300, 200 >= T: no order; users 200, 100.
 *  t=2: 4 pos 100 -> order 100. 5 applied 100, due at 3; backlog 100, licensed 0.
 *       6 nothing licensed, nothing ships. 7 users 0.
 *  t=3: 4 pos 0 + 100 on order -> order 100 (due 4). 5 the 100 of t=2 are decided and
 *       approved (waited 1 month): licensed 100; backlog 100 (t=3's). 6 ship 100 (due 4).
 *       7 users have nothing: short 100.
 *  t=4: 1 100 arrive. 4 pos 100 + 100 on order = T -> no order. 5 t=3's 100 approved:
 *       licensed 100, backlog 0. 6 ship 100. 7 users use 100 -> 0.
 *  t=5: 1 100 arrive. 4 pos 100 -> order 100: its decision (t=6) is past the horizon, it stays
 *       in the backlog. 5 nothing due: licensed 0. 7 users 100 -> 0. */
static void test_gate_approval_one(void **unused)
{
    (void)unused;
    sim s = start(gated("review_days: 30.4375, approval: 1", ""));
    static const row rows[] = {
        {"lic", "applications", {0, 0, 100, 100, 0, 100}},
        {"lic", "approved", {0, 0, 0, 100, 100, 0}},
        {"lic", "denied", {0, 0, 0, 0, 0, 0}},
        {"lic", "backlog", {0, 0, 100, 100, 0, 100}},
        {"lic", "licensed", {0, 0, 0, 100, 100, 0}},
        {"lic", "approval_rate", {0, 0, 0, 1, 1, 0}},
        {"lic", "mean_wait", {0, 0, 0, 1, 1, 0}},
        {"lic", "shipped", {0, 0, 0, 100, 100, 0}},
        {"cn->users", "shipped", {0, 0, 0, 100, 100, 0}},
        {"cn->users", "in_transit", {0, 0, 0, 100, 100, 0}},
        {"cn", "stock.ndfeb", {1000, 2000, 3000, 3900, 4800, 5800}},
        {"users", "stock.ndfeb", {200, 100, 0, 0, 0, 0}},
        {"users", "shortfall", {0, 0, 0, 100, 0, 0}},
    };
    step_and_check(&s, rows, NROWS(rows));
    stop(&s);
}

/* Review exactly 2 months (60.875 days): the application of t=2 is decided at 4, that of t=3
 * at 5.
 *  t=2: order 100 (due 4); backlog 100. t=3: pos 0 + 100 -> order 100 (due 5); backlog 200;
 *       users short 100. t=4: pos 200 = T -> no order; 100 licensed and shipped; backlog 100;
 *       still short 100. t=5: 100 arrive; pos 100 + 100 on order -> no order; 100 licensed and
 *       shipped; backlog 0; users use 100. */
static void test_gate_review_two_months(void **unused)
{
    (void)unused;
    sim s = start(gated("review_days: 60.875, approval: 1", ""));
    static const row rows[] = {
        {"lic", "applications", {0, 0, 100, 100, 0, 0}},
        {"lic", "approved", {0, 0, 0, 0, 100, 100}},
        {"lic", "backlog", {0, 0, 100, 200, 100, 0}},
        {"lic", "licensed", {0, 0, 0, 0, 100, 100}},
        {"lic", "mean_wait", {0, 0, 0, 0, 2, 2}},
        {"lic", "shipped", {0, 0, 0, 0, 100, 100}},
        {"users", "stock.ndfeb", {200, 100, 0, 0, 0, 0}},
        {"users", "shortfall", {0, 0, 0, 100, 100, 0}},
    };
    step_and_check(&s, rows, NROWS(rows));
    stop(&s);
}

/* Approval 0 (no binomial draw): every decided application is denied and the pending one keeps
 * the position up, so the users reapply 100 t every month and are short 100 t from t=3. */
static void test_gate_approval_zero(void **unused)
{
    (void)unused;
    sim s = start(gated("review_days: 30.4375, approval: 0", ""));
    static const row rows[] = {
        {"lic", "applications", {0, 0, 100, 100, 100, 100}},
        {"lic", "approved", {0, 0, 0, 0, 0, 0}},
        {"lic", "denied", {0, 0, 0, 100, 100, 100}},
        {"lic", "backlog", {0, 0, 100, 100, 100, 100}},
        {"lic", "licensed", {0, 0, 0, 0, 0, 0}},
        {"lic", "shipped", {0, 0, 0, 0, 0, 0}},
        {"users", "stock.ndfeb", {200, 100, 0, 0, 0, 0}},
        {"users", "shortfall", {0, 0, 0, 100, 100, 100}},
    };
    step_and_check(&s, rows, NROWS(rows));
    stop(&s);
}

/* Approval 0, then 1 from 2025-05 (t=4) by a timeline event, applied in the policy phase before
 * the gate decides: t=3 denies the 100 of t=2; t=4 approves the 100 of t=3 (licensed, shipped,
 * users still short 100 this month); t=5 100 arrive, the users' position (100 + 100 pending)
 * needs no order, and the 100 of t=4 are approved. */
static void test_gate_timeline_approval(void **unused)
{
    (void)unused;
    sim s = start(gated("review_days: 30.4375, approval: 0",
                        "timeline:\n  - {date: 2025-05, set: {lic.approval: 1}}\n"));
    static const row rows[] = {
        {"lic", "applications", {0, 0, 100, 100, 100, 0}},
        {"lic", "approved", {0, 0, 0, 0, 100, 100}},
        {"lic", "denied", {0, 0, 0, 100, 0, 0}},
        {"lic", "backlog", {0, 0, 100, 100, 100, 0}},
        {"lic", "licensed", {0, 0, 0, 0, 100, 100}},
        {"lic", "shipped", {0, 0, 0, 0, 100, 100}},
        {"users", "stock.ndfeb", {200, 100, 0, 0, 0, 0}},
        {"users", "shortfall", {0, 0, 0, 100, 100, 0}},
    };
    step_and_check(&s, rows, NROWS(rows));
    stop(&s);
}

/* Approval 1 and a quota of 60 t/month: approvals wait for the quota, oldest month first.
 *  t=2: 100 applied (due 3), backlog 100.
 *  t=3: 4 pos 0 + 100 -> order 100 (due 4). 5 t=2's 100 approved; quota releases 60 (waited 1),
 *       40 wait: licensed 60, backlog 100 + 40 = 140. 6 ship 60. 7 users short 100.
 *  t=4: 1 60 arrive. 4 pos 60 + 140 on order = T -> no order. 5 t=3's 100 approved; the quota
 *       serves t=2's 40 first (waited 2), then 20 of t=3's 100 (waited 1): licensed 60,
 *       mean wait (40 * 2 + 20 * 1) / 60 = 5/3, backlog 80. 6 ship 60. 7 use 60, short 40.
 *  t=5: 1 60 arrive. 4 pos 60 + 80 -> order 60 (decision past the horizon). 5 60 of the 80
 *       waiting (entered at t=3, waited 2): licensed 60; backlog 60 + 20 = 80. 7 short 40. */
static void test_gate_quota(void **unused)
{
    (void)unused;
    sim s = start(gated("review_days: 30.4375, approval: 1, quota: 60", ""));
    static const row rows[] = {
        {"lic", "applications", {0, 0, 100, 100, 0, 60}},
        {"lic", "approved", {0, 0, 0, 60, 60, 60}},
        {"lic", "denied", {0, 0, 0, 0, 0, 0}},
        {"lic", "backlog", {0, 0, 100, 140, 80, 80}},
        {"lic", "licensed", {0, 0, 0, 60, 60, 60}},
        {"lic", "mean_wait", {0, 0, 0, 1, 5.0 / 3, 2}},
        {"lic", "shipped", {0, 0, 0, 60, 60, 60}},
        {"users", "consumed", {100, 100, 100, 0, 60, 60}},
        {"users", "shortfall", {0, 0, 0, 100, 40, 40}},
        {"users", "stock.ndfeb", {200, 100, 0, 0, 0, 0}},
    };
    step_and_check(&s, rows, NROWS(rows));
    stop(&s);
}

/* ---- policy regimes over a timeline ------------------------------------------------------- */

/* A lone source of 100 t/month. The regime chain starts at 2025-02 (t=1) in `high` (no
 * overrides) and alternates with certainty (to: 1) with `low` (utilisation 0.3); a timeline
 * event sets the base utilisation to 0.6 at 2025-04 (t=3), which `high` leaves in force.
 *  production: t=0 no regime yet: 100; t=1 high: 100; t=2 low: 30; t=3 high, base 0.6: 60;
 *  t=4 low: 30; t=5 high: 60. Stock: 100, 200, 230, 290, 320, 380. */
static void test_regimes_and_timeline(void **unused)
{
    (void)unused;
    sim s = start("reesim: 1\n"
                  "name: regimes\n"
                  "horizon: {start: 2025-01, steps: 6}\n"
                  "materials: [{id: ndfeb}]\n"
                  "nodes:\n"
                  "  - {id: src, model: source, params: {output: {ndfeb: 1}, capacity: 100}}\n"
                  "timeline:\n"
                  "  - {date: 2025-04, set: {src.utilisation: 0.6}}\n"
                  "regimes:\n"
                  "  start: 2025-02\n"
                  "  initial: high\n"
                  "  states:\n"
                  "    - {id: high, to: {low: 1}}\n"
                  "    - {id: low, set: {src.utilisation: 0.3}, to: {high: 1}}\n");
    static const row rows[] = {
        {"src", "production", {100, 100, 30, 60, 30, 60}},
        {"src", "stock.ndfeb", {100, 200, 230, 290, 320, 380}},
        {"regime", "high", {0, 1, 0, 1, 0, 1}},
        {"regime", "low", {0, 0, 1, 0, 1, 0}},
    };
    step_and_check(&s, rows, NROWS(rows));
    stop(&s);
}

/* ---- (7) stockpile and inventory ---------------------------------------------------------- */

/* A source of 50 t/month is the users' first choice (rank 0); a stockpile of 300 t (floor 100,
 * at most 30 t/month, trigger: last month's shortage ratio >= 0.3) is their second (rank 1).
 * Users need 100 t/month, hold 100 t, lead 1, no safety stock: T = 200.
 *  t=0: 4 pile: scarcity 0, not releasing (offers 0). users pos 100 -> order 100. 6 rank 0:
 *       src ships its 50; the unmet 50 go to rank 1: the pile offers nothing. 7 users 0.
 *  t=1: 1 50 arrive. 4 pos 50 -> order 150. 6 src 50; pile nothing. 7 use 50: short 50,
 *       shortage ratio 0.5.
 *  t=2: 4 0.5 >= 0.3: the pile releases (offer min(300 - 100, 30) = 30). 6 src 50, the unmet
 *       100 asked of the pile: it ships 30 -> 270. 7 use 50: short 50 (ratio 0.5).
 *  t=3: 1 50 + 30 = 80 arrive. 4 pos 80 -> order 120; pile releasing. 6 src 50, pile 30 of
 *       the unmet 70 -> 240. 7 use 80: short 20, ratio 0.2.
 *  t=4: 4 0.2 < 0.3, but the pile released last month and was asked for 70 t: it goes on
 *       (models/stockpile.c). 6 pile 30 -> 210. 7 use 80: short 20.
 *  t=5: as t=4: pile 180. */
static void test_stockpile_release(void **unused)
{
    (void)unused;
    sim s = start("reesim: 1\n"
                  "name: stockpile\n"
                  "horizon: {start: 2025-01, steps: 6}\n"
                  "materials: [{id: ndfeb}]\n"
                  "nodes:\n"
                  "  - {id: src, model: source, params: {output: {ndfeb: 1}, capacity: 50}}\n"
                  "  - id: pile\n"
                  "    model: stockpile\n"
                  "    stock: {ndfeb: 300}\n"
                  "    params: {material: ndfeb, trigger: 0.3, floor: 100, max_release: 30}\n"
                  "  - id: users\n"
                  "    model: sector\n"
                  "    stock: {ndfeb: 100}\n"
                  "    params: {material: ndfeb, demand: 100, cover_weeks: 0, kg_per_unit: 2}\n"
                  "links:\n"
                  "  - {from: src, to: users, material: ndfeb}\n"
                  "  - {from: pile, to: users, material: ndfeb, rank: 1}\n");
    static const row rows[] = {
        {"pile", "level", {300, 300, 300, 270, 240, 210}},
        {"pile", "releasing", {0, 0, 1, 1, 1, 1}},
        {"pile", "exhausted", {0, 0, 0, 0, 0, 0}},
        {"pile", "stock.ndfeb", {300, 300, 270, 240, 210, 180}},
        {"src->users", "shipped", {50, 50, 50, 50, 50, 50}},
        {"pile->users", "shipped", {0, 0, 30, 30, 30, 30}},
        {"users", "consumed", {100, 50, 50, 80, 80, 80}},
        {"users", "shortfall", {0, 50, 50, 20, 20, 20}},
        {"users", "stock.ndfeb", {0, 0, 0, 0, 0, 0}},
        {"ndfeb", "shortage_ratio", {0, 0.5, 0.5, 0.2, 0.2, 0.2}},
    };
    step_and_check(&s, rows, NROWS(rows));
    stop(&s);
}

/* An importer population (models/inventory.c, firm_classes 2): 200 t on hand, forecast 100
 * t/month (smoothing 0), cover lognormal with mean one month (wpm weeks) and sd wpm / 2, no
 * supply. Class i holds stock in proportion to w_i = 1 + c_i / wpm, c_i the (i + 0.5) / 2
 * quantile: s0 = 200 w0 / (w0 + w1) < 100 < s1. Users need 100 with nothing on hand, L 1, T 200.
 *  t=0: 4 users order 200. 6 asked 200: each class offers min(s_i, 100): s0 + 100 ship (a pool
 *       would ship 200). 7 users nothing on hand: short 100.
 *  t=1: 1 users +(s0 + 100). 4 importer: shipped = 200 - (100 - s0) = s0 + 100, taken as
 *       offered: class 0 -> 0, class 1 -> 100 - s0. Users pos s0 + 100 -> order 100 - s0.
 *       6 asked 100 - s0: class 0 offers 0, class 1 min(100 - s0, (100 - s0) / 2): ships
 *       (100 - s0) / 2 (a pool would ship 100 - s0). 7 users use 100 -> s0. */
static void test_importer_population(void **unused)
{
    (void)unused;
    sim s = start("reesim: 1\n"
                  "name: importers\n"
                  "horizon: {start: 2025-01, steps: 2}\n"
                  "materials: [{id: ndfeb}]\n"
                  "nodes:\n"
                  "  - {id: src, model: source, params: {output: {ndfeb: 1}, capacity: 0}}\n"
                  "  - id: imp\n"
                  "    model: inventory\n"
                  "    stock: {ndfeb: 200}\n"
                  "    params: {material: ndfeb, demand0: 100, smoothing: 0, cover_weeks: "
                  "4.348214285714286,\n"
                  "             cover_sd: 2.174107142857143, firm_classes: 2}\n"
                  "  - id: users\n"
                  "    model: sector\n"
                  "    params: {material: ndfeb, demand: 100, cover_weeks: 0, kg_per_unit: 2}\n"
                  "links:\n"
                  "  - {from: src, to: imp, material: ndfeb}\n"
                  "  - {from: imp, to: users, material: ndfeb}\n");
    double sl2 = log1p(0.25), w[2];
    for (int i = 0; i < 2; i++)
        w[i] = 1 + exp(-sl2 / 2 + sqrt(sl2) * gsl_cdf_ugaussian_Pinv((i + 0.5) / 2));
    double s0 = 200 * w[0] / (w[0] + w[1]);
    assert_true(s0 > 50 && s0 < 100);
    const row rows[] = {
        {"imp->users", "shipped", {s0 + 100, (100 - s0) / 2}},
        {"imp", "stock.ndfeb", {100 - s0, (100 - s0) / 2}},
        {"users", "consumed", {0, 100}},
        {"users", "stock.ndfeb", {0, s0}},
    };
    step_and_check(&s, rows, NROWS(rows));
    stop(&s);
}

/* A timeline event changes a link's rank (models/link.c): buyers rank a new plant (30 t/month,
 * stock at most 30, lead 2) second until 2025-03, then first beside the old supplier (1,000
 * t/month, lead 1). Buyer: need 100, 200 t on hand, no safety stock; L the share-weighted lead
 * of its rank-0 links.
 *  t=0: 3 cn 1000, us 30. 4 L 1, T 200, pos 200 -> order 0. 7 use 100 -> 100.
 *  t=1: 3 cn full. 4 pos 100 -> 100. 6 rank 0: cn ships 100 -> 900; the rank-1 plant is asked
 *       for the unmet 0. 7 use 100 -> 0.
 *  t=2: 2 us->buyer rank 0: both links at rank 0, shares 1 and 1 normalised to 0.5 each, L =
 *       0.5 * 1 + 0.5 * 2 = 1.5, T 250. 1 cn's 100 arrive. 3 cn makes 100 -> 1000. 4 pos 100
 *       -> order 150. 6 cn asked 75, ships 75 -> 925; us asked 75, ships its 30 -> 0. 7 use 100.
 *  t=3: 1 cn's 75 arrive (the plant's 30 are due at t=4). 3 cn 75 -> 1000, us 30. 4 pos 75 +
 *       30 in transit = 105 -> 145. 6 cn 72.5 -> 927.5; us 30 -> 0. 7 use 75, short 25.
 *  t=4: 1 72.5 + 30 = 102.5 arrive. 3 cn 72.5 -> 1000, us 30. 4 pos 102.5 + 30 = 132.5 ->
 *       117.5. 6 cn 58.75 -> 941.25; us 30. 7 use 100 -> 2.5. */
static void test_timeline_link_rank(void **unused)
{
    (void)unused;
    sim s = start(
        "reesim: 1\n"
        "name: rank-change\n"
        "horizon: {start: 2025-01, steps: 5}\n"
        "materials: [{id: ndfeb}]\n"
        "nodes:\n"
        "  - {id: cn, model: source, params: {output: {ndfeb: 1}, capacity: 1000, max_stock: "
        "1000}}\n"
        "  - {id: us, model: source, params: {output: {ndfeb: 1}, capacity: 30, max_stock: 30}}\n"
        "  - id: buyer\n"
        "    model: sector\n"
        "    stock: {ndfeb: 200}\n"
        "    params: {material: ndfeb, demand: 100, cover_weeks: 0, kg_per_unit: 2}\n"
        "links:\n"
        "  - {from: cn, to: buyer, material: ndfeb, lead_time: 1}\n"
        "  - {from: us, to: buyer, material: ndfeb, lead_time: 2, rank: 1}\n"
        "timeline:\n"
        "  - {date: 2025-03, set: {links.us->buyer.rank: 0}, note: the plant runs}\n");
    static const row rows[] = {
        {"cn->buyer", "shipped", {0, 100, 75, 72.5, 58.75}},
        {"us->buyer", "shipped", {0, 0, 30, 30, 30}},
        {"cn", "stock.ndfeb", {1000, 900, 925, 927.5, 941.25}},
        {"us", "stock.ndfeb", {30, 30, 0, 0, 0}},
        {"buyer", "consumed", {100, 100, 100, 75, 100}},
        {"buyer", "shortfall", {0, 0, 0, 25, 0}},
        {"buyer", "stock.ndfeb", {100, 0, 0, 0, 2.5}},
    };
    step_and_check(&s, rows, NROWS(rows));
    stop(&s);
}

/* An importer between a source (200 t/month) and users (120 t/month, 120 t on hand, no safety
 * stock, T = 240). The importer forecasts F_t = 0.5 * requested last month + 0.5 * F_{t-1}
 * (F_0 = demand0 = 100) and orders up to S = F_t * (1 + L) = 2 F_t (cover 0, lead 1).
 *  t=0: 3 src 200. 4 imp F 100, S 200, pos 200 -> 0; cover 200 / 100 * wpm. users pos 120
 *       -> order 120. 6 imp ships 120 -> 80. 7 users 120 -> 0.
 *  t=1: 1 users +120. 3 src 400. 4 imp F = 0.5 * 120 + 0.5 * 100 = 110, S 220, pos 80 ->
 *       order 140; users pos 120 -> 120. 6 src ships 140 -> 260; imp ships its 80 -> 0.
 *       7 users 120 -> 0.
 *  t=2: 1 imp +140, users +80. 3 src 460. 4 imp F = 0.5 * 120 + 0.5 * 110 = 115, S 230,
 *       pos 140 -> 90; users pos 80 -> 160. 6 src 90 -> 370; imp 140 -> 0. 7 users use 80,
 *       short 40.
 *  t=3: 1 imp +90, users +140. 3 src 570. 4 imp F = 0.5 * 160 + 0.5 * 115 = 137.5, S 275,
 *       pos 90 -> 185; users pos 140 -> 100. 6 src 185 -> 385; imp 90 -> 0. 7 users 140 - 120
 *       = 20. */
static void test_inventory_importer(void **unused)
{
    (void)unused;
    sim s = start("reesim: 1\n"
                  "name: importer\n"
                  "horizon: {start: 2025-01, steps: 4}\n"
                  "materials: [{id: ndfeb}]\n"
                  "nodes:\n"
                  "  - {id: src, model: source, params: {output: {ndfeb: 1}, capacity: 200}}\n"
                  "  - id: imp\n"
                  "    model: inventory\n"
                  "    stock: {ndfeb: 200}\n"
                  "    params: {material: ndfeb, demand0: 100, smoothing: 0.5, cover_weeks: 0}\n"
                  "  - id: users\n"
                  "    model: sector\n"
                  "    stock: {ndfeb: 120}\n"
                  "    params: {material: ndfeb, demand: 120, cover_weeks: 0, kg_per_unit: 2}\n"
                  "links:\n"
                  "  - {from: src, to: imp, material: ndfeb}\n"
                  "  - {from: imp, to: users, material: ndfeb}\n");
    const row rows[] = {
        {"imp", "forecast", {100, 110, 115, 137.5}},
        {"imp", "target", {200, 220, 230, 275}},
        {"imp", "cover_weeks", {2 * WPM, 80 / 110.0 * WPM, 140 / 115.0 * WPM, 90 / 137.5 * WPM}},
        {"imp", "stock.ndfeb", {80, 0, 0, 0}},
        {"src", "stock.ndfeb", {200, 260, 370, 385}},
        {"src->imp", "shipped", {0, 140, 90, 185}},
        {"imp->users", "shipped", {120, 80, 140, 90}},
        {"users", "stock.ndfeb", {0, 0, 0, 20}},
        {"users", "consumed", {120, 120, 80, 120}},
        {"users", "shortfall", {0, 0, 40, 0}},
    };
    step_and_check(&s, rows, NROWS(rows));
    stop(&s);
}

/* ---- (4) mass balance, (5) the end of a run, (6) determinism ------------------------------ */

/* Everything random at once: sampled capacity, outages, demand noise, lognormal review times
 * and binomial approvals, customs delays, an importer and a stockpile. */
static const char stochastic_yaml[] =
    "reesim: 1\n"
    "name: stochastic\n"
    "horizon: {start: 2025-01, steps: 24}\n"
    "seed: 2024\n"
    "materials: [{id: ndfeb}]\n"
    "nodes:\n"
    "  - id: cn\n"
    "    model: source\n"
    "    stock: {ndfeb: 150}\n"
    "    params: {output: {ndfeb: 1}, capacity: {dist: uniform, min: 400, max: 600},\n"
    "             outage_prob: 0.2, outage_months: 2}\n"
    "  - id: imp\n"
    "    model: inventory\n"
    "    stock: {ndfeb: 700}\n"
    "    params: {material: ndfeb, demand0: 450}\n"
    "  - id: pile\n"
    "    model: stockpile\n"
    "    stock: {ndfeb: 200}\n"
    "    params: {material: ndfeb, floor: 20, max_release: 40}\n"
    "  - id: cars\n"
    "    model: sector\n"
    "    stock: {ndfeb: 500}\n"
    "    params: {material: ndfeb, demand: 400, noise: 0.2, kg_per_unit: 2}\n"
    "  - id: wind\n"
    "    model: sector\n"
    "    stock: {ndfeb: 60}\n"
    "    params: {material: ndfeb, demand: 50, kg_per_unit: 500, priority: 2}\n"
    "links:\n"
    "  - {from: cn, to: imp, material: ndfeb, gate: lic, lead_time: 1.3, delay_prob: 0.2}\n"
    "  - {from: imp, to: cars, material: ndfeb}\n"
    "  - {from: imp, to: wind, material: ndfeb}\n"
    "  - {from: pile, to: cars, material: ndfeb, rank: 1}\n"
    "gates:\n"
    "  - {id: lic, covers: [ndfeb], approval: 0.7, review_days: 40, quota: 300}\n"
    "timeline:\n"
    "  - {date: 2025-06, set: {lic.approval: 0.2}}\n";

/* The engine's balance check is on in every test above; here a whole random run is checked
 * both ways: ree_run_finish returns REE_OK with the check on, and the network balance is
 * recomputed from the series: stocks + in transit = initial stock (150 + 700 + 200 + 500 + 60
 * = 1610 t) + what cn made - what the two sectors used, at every step. */
static void test_mass_balance(void **unused)
{
    (void)unused;
    ree_plan *p = load(stochastic_yaml);
    ree_run *r = ree_run_alloc(p);
    assert_non_null(r);
    ree_run_set_check(r, 1);
    sim s = {p, r};
    static const char *const nodes[] = {"cn", "imp", "pile", "cars", "wind"};
    static const char *const links[] = {"cn->imp", "imp->cars", "imp->wind", "pile->cars"};
    for (long long run = 0; run < 8; run++) {
        ree_run_reset(r, p->seed, run);
        int st = ree_run_finish(r);
        if (st != REE_OK)
            fail_msg("run %lld: %s", run, ree_run_error(r));
        double made = 0, used = 0;
        for (int t = 0; t < p->nsteps; t++) {
            made += value(&s, "cn", "production", t);
            used += value(&s, "cars", "consumed", t) + value(&s, "wind", "consumed", t);
            double held = 0;
            for (size_t i = 0; i < 5; i++)
                held += value(&s, nodes[i], "stock.ndfeb", t);
            for (size_t i = 0; i < 4; i++)
                held += value(&s, links[i], "in_transit", t);
            expect_at(held, 1610 + made - used, "network", "stock + in transit", t);
        }
        assert_true(made > 0 && used > 0);
    }
    ree_run_free(r);
    ree_plan_free(p);
}

/* The network check still catches a leak once its scale counts all that moved (stop 24): a
 * tonne taken out of a shipment in transit, which no node's own balance sees, fails the next
 * step's check with the network message, after steps whose flows add up to far more than the
 * network holds. */
static void test_balance_leak(void **unused)
{
    (void)unused;
    ree_plan *p = load(stochastic_yaml);
    ree_run *r = ree_run_alloc(p);
    assert_non_null(r);
    ree_run_set_check(r, 1);
    ree_run_reset(r, p->seed, 0);
    for (int t = 0; t < 6; t++)
        assert_int_equal(ree_run_step(r), REE_OK);
    size_t w = (size_t)r->nsteps + 2, slot = 0;
    int found = 0;
    for (int l = 0; l < p->nlink && !found; l++)
        for (size_t k = (size_t)r->t + 1; k < w && !found; k++)
            if (r->pipe[(size_t)l * w + k] > 2) {
                slot = (size_t)l * w + k;
                found = 1;
            }
    assert_true(found);
    r->pipe[slot] -= 1.0;
    assert_int_equal(ree_run_step(r), REE_EBALANCE);
    assert_non_null(strstr(ree_run_error(r), "mass balance violated across the network"));
    ree_run_free(r);
    ree_plan_free(p);
}

/* ree_run_reset leaves an earlier run's series in place (ree_run_series zeroes them when
 * asked): after a full run, a reset and one step, the steps not yet taken still read 0, and
 * the steps taken read what the first run recorded. Fails if the stale columns leak. */
static void test_series_stale_after_reset(void **unused)
{
    (void)unused;
    sim s = start(two_node(3, 500, 600, 300, 0, 1));
    assert_int_equal(ree_run_finish(s.r), REE_OK);
    size_t T = 3, n = (size_t)s.p->nseries * T;
    double *copy = malloc(n * sizeof *copy);
    assert_non_null(copy);
    memcpy(copy, ree_run_series(s.r), n * sizeof *copy);
    int nonzero = 0;
    for (size_t i = 0; i < n; i++)
        nonzero += copy[i] != 0;
    assert_true(nonzero > 0); /* else the test shows nothing */
    ree_run_reset(s.r, s.p->seed, 0);
    const double *v = ree_run_series(s.r);
    for (size_t i = 0; i < n; i++)
        assert_true(v[i] == 0);
    assert_int_equal(ree_run_step(s.r), REE_OK);
    v = ree_run_series(s.r);
    for (int k = 0; k < s.p->nseries; k++) {
        assert_memory_equal(&v[(size_t)k * T], &copy[(size_t)k * T], sizeof *v);
        for (size_t t = 1; t < T; t++)
            assert_true(v[(size_t)k * T + t] == 0);
    }
    assert_int_equal(ree_run_finish(s.r), REE_OK);
    assert_memory_equal(copy, ree_run_series(s.r), n * sizeof *copy);
    free(copy);
    stop(&s);
}

/* After the last step ree_run_step refuses with REE_EINTERNAL and changes nothing; a reset
 * starts the same run again from its first step. */
static void test_step_after_last(void **unused)
{
    (void)unused;
    sim s = start(two_node(3, 500, 600, 300, 0, 1));
    for (int t = 0; t < 3; t++)
        assert_int_equal(ree_run_step(s.r), REE_OK);
    size_t n = (size_t)s.p->nseries * 3;
    double *copy = malloc(n * sizeof *copy);
    assert_non_null(copy);
    memcpy(copy, ree_run_series(s.r), n * sizeof *copy);
    double src = ree_run_stock(s.r, 0, 0);
    expect_at(src, 900, "src", "stock.ndfeb", 2); /* 500 + 200 * 2, as in the lead-1 trace */
    assert_int_equal(ree_run_step(s.r), REE_EINTERNAL);
    assert_int_equal(ree_run_step(s.r), REE_EINTERNAL);
    assert_int_equal(ree_run_steps_done(s.r), 3);
    assert_memory_equal(copy, ree_run_series(s.r), n * sizeof *copy);
    expect_at(ree_run_stock(s.r, 0, 0), src, "src", "stock.ndfeb", 3);
    assert_int_equal(ree_run_finish(s.r), REE_OK); /* nothing left to step */

    ree_run_reset(s.r, s.p->seed, 0);
    assert_int_equal(ree_run_steps_done(s.r), 0);
    expect_at(ree_run_stock(s.r, 0, 0), 0, "src", "stock.ndfeb (reset)", 0);
    expect_at(ree_run_stock(s.r, 1, 0), 600, "users", "stock.ndfeb (reset)", 0);
    for (int t = 0; t < 3; t++)
        assert_int_equal(ree_run_step(s.r), REE_OK);
    assert_memory_equal(copy, ree_run_series(s.r), n * sizeof *copy);
    free(copy);
    stop(&s);
}

static double *run_series(ree_run *r, const ree_plan *p, unsigned long long seed, long long run)
{
    size_t n = (size_t)p->nseries * (size_t)p->nsteps;
    double *out = malloc(n * sizeof *out);
    assert_non_null(out);
    ree_run_reset(r, seed, run);
    assert_int_equal(ree_run_finish(r), REE_OK);
    memcpy(out, ree_run_series(r), n * sizeof *out);
    return out;
}

/* Same (seed, run): identical series, also after other runs in the same workspace and in a
 * second workspace. Another run differs where a distribution is: the source's capacity is
 * drawn once per run from uniform(400, 600) and stays constant within it, while the users'
 * demand (a constant) is 300 in every run. A plan without distributions gives the same series
 * in every run. */
static void test_determinism(void **unused)
{
    (void)unused;
    const char *yaml = "reesim: 1\n"
                       "name: sampled\n"
                       "horizon: {start: 2025-01, steps: 6}\n"
                       "seed: 11\n"
                       "materials: [{id: ndfeb}]\n"
                       "nodes:\n"
                       "  - id: src\n"
                       "    model: source\n"
                       "    params: {output: {ndfeb: 1},\n"
                       "             capacity: {dist: uniform, min: 400, max: 600}}\n"
                       "  - id: users\n"
                       "    model: sector\n"
                       "    stock: {ndfeb: 600}\n"
                       "    params: {material: ndfeb, demand: 300, kg_per_unit: 2}\n"
                       "links:\n"
                       "  - {from: src, to: users, material: ndfeb}\n";
    ree_plan *p = load(yaml);
    ree_run *r = ree_run_alloc(p), *r2 = ree_run_alloc(p);
    assert_non_null(r);
    assert_non_null(r2);
    size_t n = (size_t)p->nseries * (size_t)p->nsteps;
    double *a = run_series(r, p, 11, 0);
    double *b = run_series(r, p, 11, 1);
    double *a2 = run_series(r, p, 11, 0);
    double *a3 = run_series(r2, p, 11, 0);
    double *c = run_series(r, p, 12, 0);
    assert_memory_equal(a, a2, n * sizeof *a);
    assert_memory_equal(a, a3, n * sizeof *a);
    int cap = series_index(p, "src", "capacity"), dem = series_index(p, "users", "demand");
    double ca = a[(size_t)cap * 6], cb = b[(size_t)cap * 6], cc = c[(size_t)cap * 6];
    for (int t = 0; t < 6; t++) {
        assert_true(a[(size_t)cap * 6 + t] == ca && b[(size_t)cap * 6 + t] == cb);
        expect_at(a[(size_t)dem * 6 + t], 300, "users", "demand (run 0)", t);
        expect_at(b[(size_t)dem * 6 + t], 300, "users", "demand (run 1)", t);
    }
    assert_true(ca >= 400 && ca <= 600 && cb >= 400 && cb <= 600 && cc >= 400 && cc <= 600);
    assert_true(ca != cb); /* a continuous draw: equal only with probability 0 */
    assert_true(ca != cc); /* another seed, another stream */
    free(a);
    free(b);
    free(a2);
    free(a3);
    free(c);
    ree_run_free(r);
    ree_run_free(r2);
    ree_plan_free(p);

    /* No distribution: runs 0 and 7 are the same (the per-step draws of the source and the
     * sector do not matter without outages and noise). */
    p = load(two_node(5, 250, 400, 300, 4, 2));
    r = ree_run_alloc(p);
    assert_non_null(r);
    n = (size_t)p->nseries * (size_t)p->nsteps;
    a = run_series(r, p, 1, 0);
    b = run_series(r, p, 99, 7);
    assert_memory_equal(a, b, n * sizeof *a);
    free(a);
    free(b);
    ree_run_free(r);
    ree_plan_free(p);
}

/* A workspace is reusable whatever the last run did: a run stopped after any number of steps,
 * with the mass-balance check on or off and switched in the middle of a run, leaves nothing in
 * the next run, whose series equal a fresh workspace's bit for bit. The stochastic plan ships on
 * a fractional lead with random customs delays, so a stopped run leaves parts in the later
 * pipeline slots (which a reset clears from the last step taken on) and unused licences; a
 * checked step after unchecked ones must still balance (production and losses are kept only in
 * checked steps). */
static void test_reuse_after_partial(void **unused)
{
    (void)unused;
    ree_plan *p = load(stochastic_yaml);
    ree_run *fresh = ree_run_alloc(p), *used = ree_run_alloc(p);
    assert_non_null(fresh);
    assert_non_null(used);
    size_t n = (size_t)p->nseries * (size_t)p->nsteps;
    for (long long run = 0; run < 6; run++) {
        double *want = run_series(fresh, p, p->seed, run);
        for (int k = 0; k <= p->nsteps; k += 1 + (int)run) { /* a run stopped after k steps */
            ree_run_set_check(used, k % 2);
            ree_run_reset(used, p->seed, run + 100);
            for (int t = 0; t < k; t++) {
                if (t == k / 2)
                    ree_run_set_check(used, 1); /* on in the middle: it must still balance */
                if (ree_run_step(used) != REE_OK)
                    fail_msg("run %lld, step %d: %s", run + 100, t, ree_run_error(used));
            }
            ree_run_set_check(used, (k / 2) % 2);
            double *got = run_series(used, p, p->seed, run);
            if (memcmp(want, got, n * sizeof *want) != 0)
                fail_msg("run %lld after a run stopped at step %d differs from a fresh one", run,
                         k);
            free(got);
        }
        free(want);
    }
    ree_run_free(fresh);
    ree_run_free(used);
    ree_plan_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_node_lead1),
        cmocka_unit_test(test_two_node_lead2),
        cmocka_unit_test(test_two_node_fractional_lead),
        cmocka_unit_test(test_two_node_safety_stock),
        cmocka_unit_test(test_two_node_shortfall),
        cmocka_unit_test(test_firm_classes_stop),
        cmocka_unit_test(test_observation_sum),
        cmocka_unit_test(test_chain_processor),
        cmocka_unit_test(test_processor_max_stock_timeline),
        cmocka_unit_test(test_sector_growth_timeline),
        cmocka_unit_test(test_sector_growth_start_and_back),
        cmocka_unit_test(test_sector_growth_regime),
        cmocka_unit_test(test_recycler_yield),
        cmocka_unit_test(test_gate_approval_one),
        cmocka_unit_test(test_gate_review_two_months),
        cmocka_unit_test(test_gate_approval_zero),
        cmocka_unit_test(test_gate_timeline_approval),
        cmocka_unit_test(test_gate_quota),
        cmocka_unit_test(test_regimes_and_timeline),
        cmocka_unit_test(test_stockpile_release),
        cmocka_unit_test(test_inventory_importer),
        cmocka_unit_test(test_timeline_link_rank),
        cmocka_unit_test(test_importer_population),
        cmocka_unit_test(test_mass_balance),
        cmocka_unit_test(test_balance_leak),
        cmocka_unit_test(test_step_after_last),
        cmocka_unit_test(test_series_stale_after_reset),
        cmocka_unit_test(test_reuse_after_partial),
        cmocka_unit_test(test_determinism),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

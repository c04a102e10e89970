/*
 * Runs in lockstep against runs one at a time (engine/sim/lrun.h): on every shipped scenario,
 * and those of tests/lanes/, each lane's series, indicators, status and message must be the
 * bits ree_run gives for its run, with the mass-balance check off and on, for whole groups and
 * a last group of fewer runs than lanes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../lanes/capture.h"
#include "diag.h"
#include "lrun.h"
#include "plan.h"

#define NRUN (2 * REE_LANES + 3) /* two whole groups and three runs */

static int nfailed; /* runs that failed, over the last check_plan */

static ree_plan *load(const char *path)
{
    ree_diag *d = ree_diag_alloc(0);
    assert_non_null(d);
    ree_status st = REE_STATUS_COUNT;
    ree_plan *p = ree_plan_load(path, d, &st);
    if (!p)
        ree_diag_print(d, stderr);
    ree_diag_free(d);
    assert_non_null(p);
    return p;
}

/* Compare runs 0 .. nrun-1 of plan p, in groups of `per` runs; returns the number of values
 * compared. */
static size_t check_runs(const char *name, const ree_plan *p, int check, int per, int nrun)
{
    ree_run *r = ree_run_alloc(p);
    ree_lrun *g = ree_lrun_alloc_horizon(p, p->nsteps); /* whatever the CPU */
    assert_non_null(r);
    assert_non_null(g);
    ree_run_set_check(r, check);
    ree_lrun_set_check(g, check);
    size_t ns = (size_t)p->nseries * (size_t)p->nsteps, ni = (size_t)p->nindicator, n = 0;
    nfailed = 0;
    for (int first = 0; first < nrun; first += per) {
        int count = nrun - first < per ? nrun - first : per, bad = -1;
        ree_lrun_reset(g, p->seed, first, count);
        ree_status gst = ree_lrun_finish(g, &bad);
        ree_status first_st = REE_OK;
        int first_lane = -1;
        for (int l = 0; l < count; l++) {
            ree_run_reset(r, p->seed, first + l);
            ree_status st = ree_run_finish(r);
            const ree_run *q = ree_lrun_run(g, l);
            if (st != REE_OK && first_lane < 0)
                first_st = st, first_lane = l;
            nfailed += st != REE_OK;
            if (strcmp(ree_run_error(r), ree_run_error(q)))
                fail_msg("%s (check %d): run %d: message \"%s\", in lockstep \"%s\"", name, check,
                         first + l, ree_run_error(r), ree_run_error(q));
            if (st != REE_OK)
                continue; /* a failed run's values are not reported */
            const double *a = ree_run_series(r), *b = ree_lrun_series(g, l);
            for (size_t i = 0; i < ns; i++, n++)
                if (memcmp(a + i, b + i, sizeof(double)))
                    fail_msg("%s (check %d): run %d: series %s/%s step %zu is %a, in lockstep %a",
                             name, check, first + l, p->series[i / (size_t)p->nsteps].entity_name,
                             p->series[i / (size_t)p->nsteps].metric, i % (size_t)p->nsteps, a[i],
                             b[i]);
            a = ree_run_indicators(r), b = ree_run_indicators(q);
            for (size_t i = 0; i < ni; i++, n++)
                if (memcmp(a + i, b + i, sizeof(double)))
                    fail_msg("%s (check %d): run %d: indicator %s/%s is %a, in lockstep %a", name,
                             check, first + l, p->indicators[i].entity_name, p->indicators[i].name,
                             a[i], b[i]);
        }
        assert_int_equal(gst, first_st);
        if (first_lane >= 0)
            assert_int_equal(bad, first_lane);
    }
    ree_lrun_free(g);
    ree_run_free(r);
    return n;
}

static size_t check_plan(const char *name, const ree_plan *p, int check)
{
    return check_runs(name, p, check, REE_LANES, NRUN);
}

/* The same plan with the source, inventory (an offer hook), sector, price index and gate models
 * replaced by copies without lane hooks (processors, stockpiles and recyclers keep theirs): the
 * engine runs those models' scalar hooks lane by lane (lrun_step.c, scalar_node_call and
 * gate_call), beside lane hooks, and must still give the bits of one run at a time. */
static size_t without_lanes(const char *name, ree_plan *p)
{
    size_t nm;
    const ree_model *const *all = ree_models(&nm);
    ree_model *copy = calloc(nm, sizeof *copy);
    const ree_model **orig = calloc((size_t)p->nentity, sizeof *orig);
    assert_true(copy && orig);
    for (size_t i = 0; i < nm; i++) {
        copy[i] = *all[i];
        const char *id = all[i]->name;
        if (!strcmp(id, "source") || !strcmp(id, "inventory") || !strcmp(id, "sector") ||
            !strcmp(id, "price_index") || !strcmp(id, "gate"))
            copy[i].lanes = NULL;
    }
    for (int e = 0; e < p->nentity; e++) {
        orig[e] = p->entities[e].model;
        for (size_t i = 0; i < nm; i++)
            if (all[i] == orig[e])
                ((ree_entity *)&p->entities[e])->model = &copy[i];
    }
    size_t n = check_plan(name, p, 1);
    for (int e = 0; e < p->nentity; e++) /* the plan frees through its entities' models */
        ((ree_entity *)&p->entities[e])->model = orig[e];
    free(copy), free(orig);
    return n;
}

static void check_one(const char *path, void *n)
{
    ree_plan *p = load(path);
    *(size_t *)n += check_plan(path, p, 0) + check_plan(path, p, 1) + without_lanes(path, p);
    ree_plan_free(p);
}

static void test_every_scenario(void **state)
{
    (void)state;
    size_t n = 0, nscen = lanes_each_scenario(REESIM_SOURCE_DIR, check_one, &n);
    printf("lockstep: %zu values compared over %zu scenarios\n", n, nscen);
    assert_true(nscen >= 12);
}

/* Runs that fail at different steps, or not at all, within a group: a chain of inventories
 * whose cover (drawn per run) compounds the orders until they overflow (test_run_nonfinite.c).
 * Each lane must stop reporting at its own first failure, with its run's message. */
static void test_lanes_failing(void **state)
{
    (void)state;
    static char yaml[65536];
    size_t k = 0;
#define PUT(...) k += (size_t)snprintf(yaml + k, sizeof yaml - k, __VA_ARGS__)
    PUT("reesim: 1\nname: cover-chain\nhorizon: {start: 2025-01, steps: 200}\n"
        "materials:\n  - {id: ndfeb, name: magnets}\nnodes:\n"
        "  - {id: mine, model: source, params: {output: {ndfeb: 1}, capacity: 1e9}}\n");
    int n = 38; /* with covers of 300-520 weeks, about half the runs overflow */
    for (int i = 0; i < n; i++)
        PUT("  - {id: inv%d, model: inventory, params: {material: ndfeb, cover_weeks: "
            "{dist: uniform, min: 300, max: 520}, smoothing: 1}}\n",
            i);
    PUT("  - {id: cars, model: sector, params: {material: ndfeb, demand: 1e9, cover_weeks: 520, "
        "kg_per_unit: 2}}\nlinks:\n  - {from: mine, to: inv0, material: ndfeb, lead_time: 120}\n");
    for (int i = 0; i + 1 < n; i++)
        PUT("  - {from: inv%d, to: inv%d, material: ndfeb, lead_time: 120}\n", i, i + 1);
    PUT("  - {from: inv%d, to: cars, material: ndfeb, lead_time: 120}\n", n - 1);
#undef PUT
    assert_true(k < sizeof yaml);
    ree_diag *d = ree_diag_alloc(0);
    ree_status st = REE_STATUS_COUNT;
    ree_plan *p = ree_plan_load_buffer("cover-chain.yaml", yaml, k, d, &st);
    if (!p)
        ree_diag_print(d, stderr);
    ree_diag_free(d);
    assert_non_null(p);
    for (int check = 0; check < 2; check++) {
        check_plan("cover-chain", p, check);
        printf("cover-chain (check %d): %d of %d runs failed\n", check, nfailed, NRUN);
        assert_true(nfailed > 0 && nfailed < NRUN);
    }
    ree_plan_free(p);
}

/* The sector's cache of its one-path growth power (sector_order_lanes), which a workspace keeps
 * from one group of runs to the next: groups of one run (its eight lanes on one path), growth
 * sampled per run, changed by a timeline event and by regimes at different steps per run, so
 * that one step's entry is asked for other bases and other exponents by later groups (a stale
 * value shows as another demand). */
static void test_sector_pow_cache(void **state)
{
    (void)state;
    static const char yaml[] =
        "reesim: 1\nname: sector-pow-cache\nhorizon: {start: 2025-01, steps: 40}\nseed: 7\n"
        "materials:\n  - {id: m, name: test material}\nnodes:\n"
        "  - {id: src, model: source, params: {output: {m: 1}, capacity: 1e6}}\n"
        "  - {id: cars, model: sector, params: {material: m, demand: 100, noise: 0, kg_per_unit: "
        "2, "
        "growth: {dist: uniform, min: -0.2, max: 0.5}}}\n"
        "  - {id: wind, model: sector, params: {material: m, demand: 50, noise: 0, kg_per_unit: 2, "
        "growth: 0.1}}\n"
        "links:\n  - {from: src, to: cars, material: m, lead_time: 1}\n"
        "  - {from: src, to: wind, material: m, lead_time: 1}\n"
        "timeline:\n  - {date: 2025-07, set: {cars.growth: 0.3}, note: test input}\n"
        "regimes:\n  start: 2025-01\n  initial: calm\n  states:\n"
        "    - {id: calm, set: {wind.growth: 0.05}, to: {boom: 0.2}}\n"
        "    - {id: boom, set: {wind.growth: 0.8}, to: {calm: 0.3}}\n";
    ree_diag *d = ree_diag_alloc(0);
    ree_status st = REE_STATUS_COUNT;
    ree_plan *p = ree_plan_load_buffer("sector-pow-cache.yaml", yaml, sizeof yaml - 1, d, &st);
    if (!p)
        ree_diag_print(d, stderr);
    ree_diag_free(d);
    assert_non_null(p);
    size_t n = check_runs("sector-pow-cache", p, 0, 1, 24) +
               check_runs("sector-pow-cache", p, 0, REE_LANES, 3 * REE_LANES);
    assert_true(n > 0);
    ree_plan_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sector_pow_cache),
        cmocka_unit_test(test_lanes_failing),
        cmocka_unit_test(test_every_scenario),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

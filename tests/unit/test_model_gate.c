/*
 * Tests for models/gate.c (the export licence gate) and models/link.c (link parameters).
 *
 * The gate is driven hook by hook, as the engine does: gate_decide then gate_ship each step,
 * with parameters filled from the model's own table (defaults, then overrides by key) and a
 * Philox stream from engine/sim/rng.c as io->rng.
 *
 * Materials: 0 = ndfeb (sintered NdFeB magnets, covered by Announcement No. 18 when they contain
 * Dy/Tb), 1 = dytb_oxide (covered), 2 = ndpr_oxide (Nd and Pr are not on the April 2025 list).
 * End-use tags: 0 = cars, 1 = electronics, 2 = defense.
 *
 * Review of 63 days (45 working days): m = 63 / 30.4375 = 2.0698152 months, so a cohort entered
 * at t is due 93.018152% at t + 2 and 6.981848% at t + 3.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>

#include "model.h"
#include "rng.h"
#include "models.h"

enum { NDFEB, DYTB, NDPR };
#define TAG_CARS    ((uint64_t)1 << 0)
#define TAG_DEFENSE ((uint64_t)1 << 2)
#define MAXL        4
#define TOL         1e-9

#define M63    (63.0 / REE_DAYS_PER_MONTH) /* 2.0698152 months */
#define FRAC63 (M63 - 2.0)                 /* 0.0698152: share due one step later */

/* cmocka 1.1's assert_float_equal compares in single precision (and casts only the first term
 * of an expression): compare doubles here, reporting the caller's line. */
#define assert_close(a, b, tol) close_or_fail((a), (b), (tol), __FILE__, __LINE__)

static void close_or_fail(double a, double b, double tol, const char *file, int line)
{
    if (!(fabs(a - b) <= tol))
        fail_msg("%s:%d: %.12g != %.12g (tolerance %g)", file, line, a, b, tol);
}

typedef struct harness {
    double params[32]; /* the model's params struct (doubles and uint64 masks, 8-byte aligned) */
    void *state;
    ree_model_ctx ctx;
    int material[MAXL];
    uint64_t end_use[MAXL];
    double applied[MAXL], shipped[MAXL], licensed[MAXL], on_order[MAXL];
    double metrics[16];
    ree_gate_io io;
    gsl_rng *rng;
} harness;

static const ree_param_def *param_def(const ree_model *m, const char *key)
{
    int i = ree_model_param_index(m, key);
    assert_true(i >= 0);
    return &m->params[i];
}

static void set_num(harness *h, const char *key, double v)
{
    const ree_param_def *d = param_def(&ree_model_gate, key);
    assert_int_equal(d->type, REE_PT_NUM);
    memcpy((char *)h->params + d->offset, &v, sizeof v);
}

static void set_mask(harness *h, const char *key, uint64_t v)
{
    const ree_param_def *d = param_def(&ree_model_gate, key);
    assert_true(d->type == REE_PT_MATSET || d->type == REE_PT_TAGSET);
    memcpy((char *)h->params + d->offset, &v, sizeof v);
}

/* Fresh state for a run (the engine zeroes the memory, then calls reset). */
static void h_reset(harness *h)
{
    memset(h->state, 0, ree_model_gate.state_size(&h->ctx));
    ree_model_gate.reset(h->params, h->state, &h->ctx);
}

/* A gate with `nlink` ndfeb links to car makers, default parameters, covers {ndfeb, dytb}. */
static harness *h_new(int nlink, int nsteps)
{
    harness *h = calloc(1, sizeof *h);
    assert_non_null(h);
    assert_true(ree_model_gate.params_size <= sizeof h->params);
    for (size_t i = 0; i < ree_model_gate.nparams; i++) {
        const ree_param_def *d = &ree_model_gate.params[i];
        if (d->type == REE_PT_NUM)
            memcpy((char *)h->params + d->offset, &d->def, sizeof d->def);
    }
    set_mask(h, "covers", (1u << NDFEB) | (1u << DYTB));
    set_mask(h, "deny_end_use", 0);
    h->ctx.nsteps = nsteps;
    h->ctx.nmat = 3;
    h->ctx.nlink = nlink;
    h->state = malloc(ree_model_gate.state_size(&h->ctx));
    assert_non_null(h->state);
    for (int l = 0; l < nlink; l++) {
        h->material[l] = NDFEB;
        h->end_use[l] = TAG_CARS;
    }
    h->rng = gsl_rng_alloc(ree_rng_philox);
    assert_non_null(h->rng);
    ree_stream_key k = {
        .seed = 20250404u, .run = 0, .entity = ree_hash_id("cn_export"), .kind = REE_STREAM_GATE};
    ree_rng_select(h->rng, &k);
    h->io.nlink = nlink;
    h->io.material = h->material;
    h->io.end_use = h->end_use;
    h->io.applied = h->applied;
    h->io.shipped = h->shipped;
    h->io.licensed = h->licensed;
    h->io.on_order = h->on_order;
    h->io.metrics = h->metrics;
    h->io.rng = h->rng;
    h_reset(h);
    return h;
}

static void h_free(harness *h)
{
    gsl_rng_free(h->rng);
    free(h->state);
    free(h);
}

static void h_decide(harness *h, int t)
{
    h->io.step = t;
    ree_model_gate.gate_decide(h->params, h->state, &h->io);
}

static void h_ship(harness *h, int t)
{
    h->io.step = t;
    ree_model_gate.gate_ship(h->params, h->state, &h->io);
}

/* A step with no shipments: decide, then ship nothing. */
static void h_step(harness *h, int t)
{
    h_decide(h, t);
    for (int l = 0; l < h->io.nlink; l++)
        h->shipped[l] = 0;
    h_ship(h, t);
}

static double metric(const harness *h, const char *name)
{
    for (size_t i = 0; i < ree_model_gate.nmetrics; i++)
        if (strcmp(ree_model_gate.metrics[i].name, name) == 0)
            return h->metrics[i];
    fail_msg("no metric %s", name);
    return 0;
}

static double indicator(const harness *h, const char *name)
{
    double ind[16];
    assert_true(ree_model_gate.nindicators <= 16);
    ree_model_gate.finish(h->params, h->state, &h->ctx, ind);
    for (size_t i = 0; i < ree_model_gate.nindicators; i++)
        if (strcmp(ree_model_gate.indicators[i].name, name) == 0)
            return ind[i];
    fail_msg("no indicator %s", name);
    return 0;
}

/* ---- parameter tables ------------------------------------------------------------------- */

static void check_table(const ree_model *m)
{
    assert_non_null(m->params);
    for (size_t i = 0; i < m->nparams; i++) {
        const ree_param_def *d = &m->params[i];
        assert_non_null(d->key);
        assert_non_null(d->unit);
        assert_non_null(d->doc);
        size_t width = (d->type == REE_PT_MATSET || d->type == REE_PT_TAGSET) ? sizeof(uint64_t)
                                                                              : sizeof(double);
        assert_true(d->offset + width <= m->params_size);
        for (size_t j = 0; j < i; j++) {
            assert_string_not_equal(d->key, m->params[j].key);
            assert_true(d->offset != m->params[j].offset); /* distinct fields */
        }
        if (d->type != REE_PT_NUM || d->required)
            continue;
        assert_true(d->min <= d->max);
        /* Defaults inside bounds; a null-means-no-limit default (+inf) lies above a finite max. */
        if (d->flags & REE_PF_INHERIT) { /* unset by default: the owner's value applies */
            assert_true(isnan(d->def));
            continue;
        }
        assert_true(d->def >= d->min &&
                    (d->def <= d->max || ((d->flags & REE_PF_NULL_INF) && isinf(d->def))));
        assert_true(isfinite(d->max) || d->max == INFINITY); /* no NaN bound */
        if (d->flags & REE_PF_INT)
            assert_true(d->def == floor(d->def));
        if (d->flags & REE_PF_NULL_INF)
            assert_true(isinf(d->def) && d->def > 0);
    }
}

static void test_tables(void **state)
{
    (void)state;
    check_table(&ree_model_link);
    check_table(&ree_model_gate);
    check_table(&ree_model_gate_rule);
    assert_ptr_equal(ree_model_gate.rules, &ree_model_gate_rule);
    assert_int_equal(ree_model_gate_rule.kind, REE_MODEL_RULE);
    assert_int_equal(ree_model_gate_rule.nmetrics, 0);
    assert_int_equal(ree_model_link.kind, REE_MODEL_LINK);
    assert_string_equal(ree_model_link.name, "link");
    assert_int_equal(ree_model_link.nmetrics, 0);
    assert_null(ree_model_link.reset);
    assert_int_equal(ree_model_gate.kind, REE_MODEL_GATE);
    assert_string_equal(ree_model_gate.name, "gate");
    assert_int_equal(ree_model_gate.nmetrics, 8);
    assert_int_equal(ree_model_gate.nindicators, 7);
    assert_true(param_def(&ree_model_gate, "covers")->required);
    assert_true(param_def(&ree_model_gate, "quota")->flags & REE_PF_NULL_INF);
    assert_true(ree_model_param_index(&ree_model_link, "lead_time") >= 0);
    assert_true(ree_model_param_index(&ree_model_link, "priority") >= 0);
}

/* check() rejects a gate that covers nothing (it would license everything at once). */
static void test_check(void **state)
{
    (void)state;
    harness *h = h_new(1, 12);
    const char *key = NULL;
    char why[128];
    assert_int_equal(ree_model_gate.check(h->params, &h->ctx, &key, why, sizeof why), 0);
    set_mask(h, "covers", 0);
    assert_int_equal(ree_model_gate.check(h->params, &h->ctx, &key, why, sizeof why), -1);
    assert_string_equal(key, "covers");
    h_free(h);
}

/* ---- the hand-traced queue ------------------------------------------------------------- */

/* 100 t of magnets applied each month for 4 months (steps 0-3), review 63 days with no spread,
 * approval 1, partial 0.5 (half of each approved application's tonnage granted), no quota.
 * Due per step: bucket[t+2] += 93.018152, bucket[t+3] += 6.981848 per cohort.
 *
 *  step  applied  decided (cohorts)            approved  denied    backlog    licensed  wait
 *   0    100      -                             0         0        100         0         0
 *   1    100      -                             0         0        200         0         0
 *   2    100      93.018152 (c0)               46.509076 46.509076 206.981848  46.509076 2
 *   3    100      6.981848 (c0) + 93.018 (c1)  50        50        206.981848  96.509076 2.069815
 *   4      0      6.98 (c1) + 93.02 (c2)       50        50        106.981848 146.509076 2.069815
 *   5      0      6.98 (c2) + 93.02 (c3)       50        50          6.981848 196.509076 2.069815
 *   6      0      6.981848 (c3)                3.490924  3.490924    0        200         3
 * Mean wait at step 3: (6.981848 * 3 + 93.018152 * 2) / 100 = 2.069815 = m: the split makes the
 * expected wait of a cohort exactly its review time. Over the run: 400 applied, 200 approved,
 * 200 denied, mean wait = m, approval share 0.5, max backlog 206.981848. */
static void test_queue_trace(void **state)
{
    (void)state;
    harness *h = h_new(1, 12);
    set_num(h, "review_cv", 0);
    set_num(h, "partial", 0.5);
    set_num(h, "validity_months", 12);
    h_reset(h);

    const double a0 = 100 * (1 - FRAC63), a1 = 100 * FRAC63; /* 93.018152, 6.981848 */
    const double want_approved[7] = {0, 0, a0 / 2, 50, 50, 50, a1 / 2};
    const double want_backlog[7] = {100, 200, 300 - a0, 300 - a0, 200 - a0, 100 - a0, 0};
    const double want_wait[7] = {0, 0, 2, M63, M63, M63, 3};
    double open = 0;
    for (int t = 0; t < 7; t++) {
        h->applied[0] = t < 4 ? 100 : 0;
        h_step(h, t);
        open += want_approved[t];
        assert_close(metric(h, "applications"), h->applied[0], TOL);
        assert_close(metric(h, "approved"), want_approved[t], TOL);
        assert_close(metric(h, "denied"), want_approved[t], TOL); /* partial 0.5 */
        assert_close(metric(h, "backlog"), want_backlog[t], TOL);
        assert_close(metric(h, "licensed"), open, TOL);
        assert_close(metric(h, "mean_wait"), want_wait[t], TOL);
        assert_close(metric(h, "approval_rate"), t >= 2 ? 0.5 : 0.0, TOL);
        assert_close(metric(h, "expired"), 0, TOL);
        assert_close(h->licensed[0], open, TOL);
        assert_close(h->on_order[0], want_backlog[t] + open, TOL);
    }
    assert_close(indicator(h, "applied"), 400, TOL);
    assert_close(indicator(h, "approved"), 200, TOL);
    assert_close(indicator(h, "denied"), 200, TOL);
    assert_close(indicator(h, "approval_share"), 0.5, TOL);
    assert_close(indicator(h, "mean_wait"), M63, TOL);
    assert_close(indicator(h, "max_backlog"), 300 - a0, TOL);
    h_free(h);
}

/* Review 0: decided in the step of application. */
static void test_review_zero(void **state)
{
    (void)state;
    harness *h = h_new(1, 6);
    set_num(h, "review_days", 0);
    h_reset(h);
    h->applied[0] = 353; /* US-bound magnets, June 2025 */
    h_step(h, 0);
    assert_close(metric(h, "approved"), 353, TOL);
    assert_close(metric(h, "backlog"), 0, TOL);
    assert_close(metric(h, "mean_wait"), 0, TOL);
    assert_close(h->licensed[0], 353, TOL);
    h_free(h);
}

/* ---- quota ----------------------------------------------------------------------------- */

/* Quota 60 t/month over two links, review 0, approval 1, partial 1.
 *  step 0: A 150, B 50 approved (month 0, 200 t). 200 > 60: both get 60/200 = 0.3:
 *          A 45, B 15 granted; waiting A 105, B 35. backlog 140.
 *  step 1: B applies 100 (month 1). Month 0 first: 140 > 60, share 60/140: A 45, B 15 granted;
 *          month 0 keeps A 60, B 20; month 1 (B 100) waits whole. backlog 180.
 *  step 2: month 0: 80 > 60, share 0.75: A 45, B 15; keeps A 15, B 5. backlog 120.
 *  step 3: month 0: 20 <= 60, all granted (A 15, B 5; wait 3); 40 left for month 1: B 40
 *          (wait 2), 60 waits. mean wait (20 * 3 + 40 * 2) / 60 = 2.333333. backlog 60.
 *  step 4: month 1: B 60 granted (wait 3). backlog 0.
 * Licences per link at the end: A 150, B 150. */
static void test_quota_fifo(void **state)
{
    (void)state;
    harness *h = h_new(2, 12);
    set_num(h, "review_days", 0);
    set_num(h, "quota", 60);
    set_num(h, "validity_months", 12);
    h_reset(h);

    const double app_a[5] = {150, 0, 0, 0, 0}, app_b[5] = {50, 100, 0, 0, 0};
    const double lic_a[5] = {45, 90, 135, 150, 150}, lic_b[5] = {15, 30, 45, 90, 150};
    const double backlog[5] = {140, 180, 120, 60, 0};
    const double wait[5] = {0, 1, 2, 140.0 / 60.0, 3};
    for (int t = 0; t < 5; t++) {
        h->applied[0] = app_a[t];
        h->applied[1] = app_b[t];
        h_step(h, t);
        assert_close(metric(h, "approved"), 60, TOL);
        assert_close(metric(h, "backlog"), backlog[t], TOL);
        assert_close(metric(h, "mean_wait"), wait[t], TOL);
        assert_close(h->licensed[0], lic_a[t], TOL);
        assert_close(h->licensed[1], lic_b[t], TOL);
        /* approvals were decided in full: waiting for quota is not a denial */
        assert_close(metric(h, "denied"), 0, TOL);
    }
    /* Lifting the quota (timeline: quota null) releases everything waiting at once. */
    h_reset(h);
    h->applied[0] = 500;
    h->applied[1] = 0;
    h_step(h, 0);
    assert_close(metric(h, "approved"), 60, TOL);
    set_num(h, "quota", INFINITY);
    h->applied[0] = 0;
    h_step(h, 1);
    assert_close(metric(h, "approved"), 440, TOL);
    assert_close(metric(h, "backlog"), 0, TOL);
    /* Quota 0: everything approved waits. */
    h_reset(h);
    set_num(h, "quota", 0);
    h->applied[0] = 100;
    h_step(h, 0);
    assert_close(metric(h, "approved"), 0, TOL);
    assert_close(metric(h, "backlog"), 100, TOL);
    assert_close(h->on_order[0], 100, TOL);
    assert_close(h->licensed[0], 0, TOL);
    h_free(h);
}

/* ---- end-use denial -------------------------------------------------------------------- */

/* Two links of Dy/Tb oxide, 80 t each, review 0: link 0 to a car maker, link 1 to a defense
 * prime. deny_end_use [defense]: link 1 is denied whole at decision, link 0 approved whole.
 * approval_rate 80 / 160 = 0.5. With the 63-day review the denial comes at decision (t + 2),
 * not at application. */
static void test_end_use_denial(void **state)
{
    (void)state;
    harness *h = h_new(2, 12);
    h->material[0] = h->material[1] = DYTB;
    h->end_use[1] = TAG_DEFENSE;
    set_num(h, "review_days", 0);
    set_mask(h, "deny_end_use", TAG_DEFENSE);
    h_reset(h);
    h->applied[0] = h->applied[1] = 80;
    h_step(h, 0);
    assert_close(h->licensed[0], 80, TOL);
    assert_close(h->licensed[1], 0, TOL);
    assert_close(h->on_order[1], 0, TOL);
    assert_close(metric(h, "denied"), 80, TOL);
    assert_close(metric(h, "approval_rate"), 0.5, TOL);

    set_num(h, "review_days", 63);
    set_num(h, "review_cv", 0);
    h_reset(h);
    h->applied[0] = 0;
    h->applied[1] = 100;
    h_step(h, 0);
    assert_close(metric(h, "denied"), 0, TOL);
    assert_close(h->on_order[1], 100, TOL); /* pending until decided */
    h->applied[1] = 0;
    h_step(h, 1);
    h_step(h, 2);
    assert_close(metric(h, "denied"), 100 * (1 - FRAC63), TOL);
    h_step(h, 3);
    assert_close(metric(h, "denied"), 100 * FRAC63, TOL);
    assert_close(h->on_order[1], 0, TOL);
    assert_close(indicator(h, "approval_share"), 0, TOL);
    h_free(h);
}

/* ---- licences: expiry, oldest first, shipping -------------------------------------------- */

/* validity 2: a licence granted at g may ship at g and g + 1, and expires at g + 2.
 *  step 0: 100 granted, ship 30 -> open 70.
 *  step 1: 40 granted (open 70 from step 0 + 40), ship 90: uses the 70 of step 0 first, then
 *          20 of step 1 -> open 20 (granted at 1).
 *  step 2: nothing of step 0 is left to expire: expired 0; ship 0.
 *  step 3: the 20 of step 1 expire. open 0.
 * Licence balance each step: open_t = open_{t-1} + approved - shipped - expired. */
static void test_expiry_oldest_first(void **state)
{
    (void)state;
    harness *h = h_new(1, 12);
    set_num(h, "review_days", 0);
    set_num(h, "validity_months", 2);
    h_reset(h);

    h->applied[0] = 100;
    h_decide(h, 0);
    h->shipped[0] = 30;
    h_ship(h, 0);
    assert_close(h->on_order[0], 70, TOL);

    h->applied[0] = 40;
    h_decide(h, 1);
    assert_close(metric(h, "expired"), 0, TOL);
    assert_close(h->licensed[0], 110, TOL);
    h->shipped[0] = 90;
    h_ship(h, 1);
    assert_close(h->on_order[0], 20, TOL);

    h->applied[0] = 0;
    h_step(h, 2);
    assert_close(metric(h, "expired"), 0, TOL); /* step 0's grant was used up first */
    assert_close(h->licensed[0], 20, TOL);
    h_step(h, 3);
    assert_close(metric(h, "expired"), 20, TOL);
    assert_close(h->licensed[0], 0, TOL);
    assert_close(indicator(h, "expired"), 20, TOL);

    /* Shipping more than licensed is clamped; an unused grant expires after validity. */
    h_reset(h);
    h->applied[0] = 50;
    h_decide(h, 0);
    h->shipped[0] = 80;
    h_ship(h, 0);
    assert_close(h->on_order[0], 0, TOL);
    h->applied[0] = 25;
    h_step(h, 1);
    h->applied[0] = 0;
    h_step(h, 2);
    assert_close(metric(h, "expired"), 0, TOL);
    h_step(h, 3);
    assert_close(metric(h, "expired"), 25, TOL);

    /* validity 1: usable only in the step of the grant. */
    set_num(h, "validity_months", 1);
    h_reset(h);
    h->applied[0] = 10;
    h_step(h, 0);
    h->applied[0] = 0;
    h_step(h, 1);
    assert_close(metric(h, "expired"), 10, TOL);
    h_free(h);
}

/* ---- inactive gate and uncovered materials ----------------------------------------------- */

/* active 0: every application is licensed at once; switching the gate off releases all that is
 * pending or waiting for quota.
 *  steps 0, 1: active, 63-day review, 100 t each -> backlog 200 (nothing due before step 2).
 *  step 2: active 0: release c0 (wait 2) and c1 (wait 1), and the new 100 at once (wait 0):
 *          approved 300, mean wait (200 + 100 + 0) / 300 = 1, backlog 0. */
static void test_inactive(void **state)
{
    (void)state;
    harness *h = h_new(1, 12);
    set_num(h, "review_cv", 0);
    h_reset(h);
    h->applied[0] = 100;
    h_step(h, 0);
    h_step(h, 1);
    assert_close(metric(h, "backlog"), 200, TOL);
    set_num(h, "active", 0);
    h_step(h, 2);
    assert_close(metric(h, "approved"), 300, TOL);
    assert_close(metric(h, "backlog"), 0, TOL);
    assert_close(metric(h, "mean_wait"), 1, TOL);
    assert_close(metric(h, "approval_rate"), 1, TOL);
    assert_close(h->licensed[0], 300, TOL);
    /* inactive with approval 0, defense end use and quota 0: still everything passes */
    set_num(h, "approval", 0);
    set_num(h, "quota", 0);
    set_mask(h, "deny_end_use", TAG_DEFENSE);
    h->end_use[0] = TAG_DEFENSE;
    h_step(h, 3);
    assert_close(metric(h, "approved"), 100, TOL);
    assert_close(metric(h, "denied"), 0, TOL);

    /* Waiting for quota is released too (wait counted from application). */
    h->end_use[0] = TAG_CARS;
    set_num(h, "active", 1);
    set_num(h, "approval", 1);
    set_num(h, "review_days", 0);
    h_reset(h);
    h->applied[0] = 100;
    h_step(h, 0);
    assert_close(metric(h, "backlog"), 100, TOL);
    set_num(h, "active", 0);
    h->applied[0] = 0;
    h_step(h, 1);
    assert_close(metric(h, "approved"), 100, TOL);
    assert_close(metric(h, "mean_wait"), 1, TOL);
    /* Back on: the quota of 0 holds new approvals again. */
    set_num(h, "active", 1);
    h->applied[0] = 40;
    h_step(h, 2);
    assert_close(metric(h, "approved"), 0, TOL);
    assert_close(metric(h, "backlog"), 40, TOL);
    h_free(h);
}

/* NdPr oxide is not covered: licensed at once (counted as applied and approved, wait 0) while
 * the magnets on the other link wait for review. */
static void test_uncovered(void **state)
{
    (void)state;
    harness *h = h_new(2, 12);
    h->material[1] = NDPR;
    set_num(h, "approval", 0); /* would deny everything covered */
    h_reset(h);
    h->applied[0] = 620; /* ~US-bound magnets per month, 2024 */
    h->applied[1] = 250;
    h_step(h, 0);
    assert_close(h->licensed[0], 0, TOL);
    assert_close(h->on_order[0], 620, TOL);
    assert_close(h->licensed[1], 250, TOL);
    assert_close(metric(h, "applications"), 870, TOL);
    assert_close(metric(h, "approved"), 250, TOL);
    assert_close(metric(h, "backlog"), 620, TOL);
    h_free(h);
}

/* Decisions due at or past the horizon stay pending. nsteps 3, 63-day review: an application
 * at step 1 is due at 3 and 4, both past the last step (2). */
static void test_beyond_horizon(void **state)
{
    (void)state;
    harness *h = h_new(1, 3);
    set_num(h, "review_cv", 0);
    h_reset(h);
    h_step(h, 0);
    h->applied[0] = 100;
    h_step(h, 1);
    h->applied[0] = 0;
    h_step(h, 2);
    assert_close(metric(h, "backlog"), 100, TOL);
    assert_close(indicator(h, "approved"), 0, TOL);
    assert_close(indicator(h, "max_backlog"), 100, TOL);
    assert_close(indicator(h, "mean_wait"), 0, TOL); /* no grants: 0, not NaN */
    assert_close(indicator(h, "approval_share"), 0, TOL);
    h_free(h);
}

/* ---- randomness -------------------------------------------------------------------------- */

/* Binomial approval, approval 0.25 (CLEPA, early June 2025), review 0, partial 1.
 * n large: 50,000 t in applications of 5 t is n = 10,000; approved = 5 k t with
 *   k ~ Bin(10000, 0.25): mean 12,500 t, sd 5 sqrt(10000 * 0.25 * 0.75) = 216.5 t.
 * n = 1: 3 t is round(0.6) -> 1 application: all or nothing. Over 4,000 independent runs the
 *   share approved is 0.25 +- 0.0068 (1 sd). */
static void test_binomial(void **state)
{
    (void)state;
    harness *h = h_new(1, 2);
    set_num(h, "review_days", 0);
    set_num(h, "approval", 0.25);
    h_reset(h);
    h->applied[0] = 50000;
    h_step(h, 0);
    double ok = metric(h, "approved");
    assert_true(fabs(ok - 12500) < 5 * 216.5);
    assert_close(fmod(ok, 5), 0, 1e-6); /* whole applications */
    assert_close(ok + metric(h, "denied"), 50000, TOL);

    int yes = 0, trials = 4000;
    for (int i = 0; i < trials; i++) {
        h_reset(h);
        h->applied[0] = 3;
        h_step(h, 0);
        double a = metric(h, "approved");
        assert_true(a == 0 || fabs(a - 3) < TOL);
        yes += a > 0;
    }
    assert_true(fabs((double)yes / trials - 0.25) < 0.03);

    /* approval 0 (an embargo in all but name): everything decided is denied, no draw */
    set_num(h, "approval", 0);
    h_reset(h);
    h->applied[0] = 620;
    h_step(h, 0);
    assert_close(metric(h, "approved"), 0, TOL);
    assert_close(metric(h, "denied"), 620, TOL);
    assert_close(metric(h, "approval_rate"), 0, TOL);

    /* partial 0.6 of an approved application: granted 3 * 0.6 = 1.8 t, denied 1.2 t */
    set_num(h, "partial", 0.6);
    set_num(h, "approval", 1);
    h_reset(h);
    h->applied[0] = 3;
    h_step(h, 0);
    assert_close(metric(h, "approved"), 1.8, TOL);
    assert_close(metric(h, "denied"), 1.2, TOL);
    assert_close(metric(h, "approval_rate"), 0.6, TOL);
    h_free(h);
}

/* Review spread: 10 t applied every month for 1,000 months, approval 1. With review_cv 0 every
 * grant waits m = 2.0698 on average, exactly. With review_cv 0.3 each cohort's review is m times
 * a lognormal factor of mean 1: the run's mean wait is m +- about 0.3 m / sqrt(1000) = 0.02. */
static void test_review_spread(void **state)
{
    (void)state;
    const int n = 1000;
    harness *h = h_new(1, n + 10);
    set_num(h, "validity_months", 1);
    double cv[2] = {0, 0.3};
    for (int k = 0; k < 2; k++) {
        set_num(h, "review_cv", cv[k]);
        h_reset(h);
        for (int t = 0; t < n + 10; t++) {
            h->applied[0] = t < n ? 10 : 0;
            h_step(h, t);
        }
        double w = indicator(h, "mean_wait");
        if (k == 0)
            assert_close(w, M63, 1e-9);
        else
            assert_true(fabs(w - M63) < 0.1);
        assert_true(indicator(h, "approved") > 0.99 * 10 * n);
    }
    h_free(h);
}

/* review_cv changed between steps, as a timeline event does (0.3, 0.6, 0, 0.3, 1.5; each
 * value's log1p(cv^2) is computed once and kept while the value holds): the backlog of every
 * step is pinned to the values of the gate that computed it for every cohort (at 2e9f622). */
static void test_review_cv_changes(void **state)
{
    (void)state;
    static const double want[20] = {0x1.9p+5,
                                    0x1.fe0f1d2bafebep+5,
                                    0x1.9ab585e6fe6e2p+6,
                                    0x1.cf86af899b7dap+6,
                                    0x1.ce032044ab99cp+6,
                                    0x1.f55dc8d517285p+5,
                                    0x1.624036904f8aap+6,
                                    0x1.2efc18c084552p+6,
                                    0x1.6ba0fba61c074p+6,
                                    0x1.9p+6,
                                    0x1.9df689b98f81ep+6,
                                    0x1.9df689b98f81ep+6,
                                    0x1.9df689b98f81ep+6,
                                    0x1.9df689b98f81ep+6,
                                    0x1.18adeb293fa13p+7,
                                    0x1.dfba4c4e96a7cp+6,
                                    0x1.abcfcf5631cd9p+6,
                                    0x1.34a867c4197b2p+6,
                                    0x1.7d045a053bd82p+6,
                                    0x1.051848fb2f71bp+6};
    harness *h = h_new(2, 24);
    for (int t = 0; t < 20; t++) {
        if (t % 4 == 0) {
            static const double cv[5] = {0.3, 0.6, 0, 0.3, 1.5};
            set_num(h, "review_cv", cv[t / 4]);
        }
        h->applied[0] = 10 + t;
        h->applied[1] = 40 - t;
        h_step(h, t);
        assert_true(metric(h, "backlog") == want[t]);
    }
    h_free(h);
}

/* ---- balance over a random run ---------------------------------------------------------- */

/* 200 steps, 3 links (magnets to cars, Dy/Tb oxide to defense, NdPr oxide uncovered), random
 * applications up to 400 t, shipments a random share of what is licensed, and every 10 steps a
 * random "timeline event" changing active, review, approval, partial, quota, application size,
 * end-use rule and validity. Every step:
 *   backlog_t           = backlog_{t-1} + applications_t - approved_t - denied_t
 *   licensed_t (before shipping) = licensed_{t-1} - shipped_{t-1} + approved_t - expired_t
 *   sum on_order after shipping = backlog_t + licensed_t - shipped_t
 * and at the end the indicators equal the sums of the metrics. */
static void test_balance_random(void **state)
{
    (void)state;
    const int nsteps = 200;
    harness *h = h_new(3, nsteps);
    h->material[1] = DYTB;
    h->end_use[1] = TAG_DEFENSE;
    h->material[2] = NDPR;
    h_reset(h);
    gsl_rng *drv = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(drv, 2025);

    double backlog = 0, lic = 0, shipped_prev = 0;
    double sum_app = 0, sum_ok = 0, sum_den = 0, sum_exp = 0, max_backlog = 0;
    for (int t = 0; t < nsteps; t++) {
        if (t % 10 == 0) {
            set_num(h, "active", gsl_rng_uniform(drv) < 0.15 ? 0 : 1);
            set_num(h, "review_days", 120 * gsl_rng_uniform(drv));
            set_num(h, "approval", gsl_rng_uniform(drv));
            set_num(h, "partial", 0.5 + 0.5 * gsl_rng_uniform(drv));
            set_num(h, "quota", gsl_rng_uniform(drv) < 0.5 ? INFINITY : 300 * gsl_rng_uniform(drv));
            set_num(h, "application_t", 1 + 49 * gsl_rng_uniform(drv));
            set_mask(h, "deny_end_use", gsl_rng_uniform(drv) < 0.3 ? TAG_DEFENSE : 0);
            set_num(h, "validity_months", (double)(1 + gsl_rng_uniform_int(drv, 8)));
        }
        for (int l = 0; l < 3; l++)
            h->applied[l] = 400 * gsl_rng_uniform(drv);
        h_decide(h, t);
        double app = metric(h, "applications"), ok = metric(h, "approved");
        double den = metric(h, "denied"), exp_ = metric(h, "expired");
        double scale = 1 + backlog + app + lic;
        for (size_t k = 0; k < ree_model_gate.nmetrics; k++) {
            assert_true(isfinite(h->metrics[k]));
            assert_true(h->metrics[k] >= 0);
        }
        assert_true(metric(h, "approval_rate") <= 1);
        assert_close(metric(h, "backlog"), backlog + app - ok - den, 1e-9 * scale);
        assert_close(metric(h, "licensed"), lic - shipped_prev + ok - exp_, 1e-9 * scale);
        backlog = metric(h, "backlog");
        lic = metric(h, "licensed");

        double shipped = 0, sum_lic = 0;
        for (int l = 0; l < 3; l++) {
            assert_true(h->licensed[l] >= 0);
            sum_lic += h->licensed[l];
            h->shipped[l] = h->licensed[l] * gsl_rng_uniform(drv);
            shipped += h->shipped[l];
        }
        assert_close(sum_lic, lic, 1e-9 * scale);
        h_ship(h, t);
        double on_order = 0;
        for (int l = 0; l < 3; l++)
            on_order += h->on_order[l];
        assert_close(on_order, backlog + lic - shipped, 1e-9 * scale);
        shipped_prev = shipped;

        sum_app += app;
        sum_ok += ok;
        sum_den += den;
        sum_exp += exp_;
        if (backlog > max_backlog)
            max_backlog = backlog;
    }
    double scale = 1 + sum_app;
    assert_close(indicator(h, "applied"), sum_app, 1e-9 * scale);
    assert_close(indicator(h, "approved"), sum_ok, 1e-9 * scale);
    assert_close(indicator(h, "denied"), sum_den, 1e-9 * scale);
    assert_close(indicator(h, "expired"), sum_exp, 1e-9 * scale);
    assert_close(indicator(h, "max_backlog"), max_backlog, 1e-9 * scale);
    assert_close(sum_app, sum_ok + sum_den + backlog, 1e-9 * scale);
    double share = indicator(h, "approval_share"), wait = indicator(h, "mean_wait");
    assert_true(share > 0 && share < 1);
    assert_true(wait > 0 && isfinite(wait));
    gsl_rng_free(drv);
    h_free(h);
}

/* ---- destination rules and standing licences (docs/models.md, "Gate rules") ------------ */

/* A rule's parameter struct: every field unset (NaN) except deny 0, licence_t 0 and
 * licence_months 6 (the table's defaults), then overrides by key. */
static void rule_defaults(double *rp)
{
    for (size_t i = 0; i < ree_model_gate_rule.nparams; i++) {
        const ree_param_def *d = &ree_model_gate_rule.params[i];
        memcpy((char *)rp + d->offset, &d->def, sizeof d->def);
    }
}

static void rule_set(double *rp, const char *key, double v)
{
    const ree_param_def *d = param_def(&ree_model_gate_rule, key);
    memcpy((char *)rp + d->offset, &v, sizeof v);
}

/* Two links, both car makers: link 0 in the EU (no rule), link 1 in the US (rule: approval 0,
 * i.e. an embargo on US buyers without any end-use tag; review 0 for both so decisions are
 * immediate). 100 t applied on each: link 0 gets 100 licensed, link 1 is denied 100 although
 * its tag (cars) is not in deny_end_use. Then the rule's review_days 63 while the gate's stays
 * 0: link 1's cohort is due 93.018152% at step 2, 6.981848% at step 3. Then deny 1 with approval
 * unset: denied again (deny overrides). The per-link granted output says who got what. */
static void test_rule_destination(void **state)
{
    (void)state;
    harness *h = h_new(2, 12);
    double rp[8], granted[MAXL] = {0};
    assert_true(ree_model_gate_rule.params_size <= sizeof rp);
    rule_defaults(rp);
    rule_set(rp, "approval", 0);
    const void *rules[MAXL] = {NULL, rp};
    h->io.rule = rules;
    h->io.granted = granted;
    set_num(h, "review_days", 0);
    set_num(h, "review_cv", 0);
    h_reset(h);
    h->applied[0] = h->applied[1] = 100;
    h_step(h, 0);
    assert_close(h->licensed[0], 100, TOL);
    assert_close(h->licensed[1], 0, TOL);
    assert_close(granted[0], 100, TOL);
    assert_close(granted[1], 0, TOL);
    assert_close(metric(h, "denied"), 100, TOL);

    rule_defaults(rp);
    rule_set(rp, "review_days", 63);
    h_reset(h);
    h_step(h, 0);
    assert_close(h->licensed[0], 100, TOL);
    assert_close(h->on_order[1], 100, TOL); /* pending review */
    h->applied[0] = h->applied[1] = 0;
    h_step(h, 1);
    assert_close(granted[1], 0, TOL);
    h_step(h, 2);
    assert_close(granted[1], 100 * (1 - FRAC63), TOL);
    h_step(h, 3);
    assert_close(granted[1], 100 * FRAC63, TOL);

    rule_defaults(rp);
    rule_set(rp, "deny", 1);
    h_reset(h);
    h->applied[0] = h->applied[1] = 100;
    h_step(h, 0);
    assert_close(granted[1], 0, TOL);
    assert_close(metric(h, "denied"), 100, TOL);
    h_free(h);
}

/* A rule with its own quota of 30 t/month: link 1 (the rule's) is released 30 a month while
 * link 0 (the gate's pool, quota 50) gets 50 a month; review 0, 100 t applied on each at step 0.
 *  step 0: link 0 50, link 1 30; step 1: 50 and 30; step 2: 0 and 30; step 3: 0 and 10.
 * The backlog balance holds every step: backlog_t = backlog_{t-1} + applied - approved - denied. */
static void test_rule_quota_pool(void **state)
{
    (void)state;
    harness *h = h_new(2, 12);
    double rp[8], granted[MAXL] = {0};
    rule_defaults(rp);
    rule_set(rp, "quota", 30);
    const void *rules[MAXL] = {NULL, rp};
    h->io.rule = rules;
    h->io.granted = granted;
    set_num(h, "review_days", 0);
    set_num(h, "quota", 50);
    set_num(h, "validity_months", 12);
    h_reset(h);
    const double want0[4] = {50, 50, 0, 0}, want1[4] = {30, 30, 30, 10};
    double backlog = 0;
    for (int t = 0; t < 4; t++) {
        h->applied[0] = h->applied[1] = t == 0 ? 100 : 0;
        h_step(h, t);
        assert_close(granted[0], want0[t], TOL);
        assert_close(granted[1], want1[t], TOL);
        backlog += h->applied[0] + h->applied[1] - metric(h, "approved") - metric(h, "denied");
        assert_close(metric(h, "backlog"), backlog, TOL);
    }
    assert_close(backlog, 0, TOL);
    h_free(h);
}

/* Standing licence: rule licence_t 250, licence_months 3, review 63 days, no spread. 100 t
 * applied every month on link 0 from step 0.
 *  steps 0, 1: reviewed (cohorts due at 2-3 and 3-4).
 *  step 2: 93.018152 of c0 approved -> a licence of 250 - 93.018152 = 156.981848 t valid through
 *          step 4 (until 5); this step's 100 t are applied before the decision: reviewed.
 *  step 3: 100 covered by the licence at once (approved, wait 0): 56.981848 left; decided
 *          6.981848 (c0) + 93.018152 (c1): a new licence replaces it: 250 - 100 = 150 left,
 *          valid through step 5.
 *  step 4: 100 covered at once: 50 left; decided c1's 6.981848 and c2's 93.018152 -> renewal:
 *          150 left until 7. Backlog: 100, 200, 300 - a0, 200 - a0, 100 - a0.
 * What the licence covers never enters the backlog; applications = approved + backlog growth. */
static void test_standing_licence(void **state)
{
    (void)state;
    harness *h = h_new(1, 12);
    double rp[8], granted[MAXL] = {0};
    rule_defaults(rp);
    rule_set(rp, "licence_t", 250);
    rule_set(rp, "licence_months", 3);
    const void *rules[MAXL] = {rp};
    h->io.rule = rules;
    h->io.granted = granted;
    set_num(h, "review_cv", 0);
    set_num(h, "validity_months", 12);
    h_reset(h);
    const double a0 = 100 * (1 - FRAC63), a1 = 100 * FRAC63;
    const double want[5] = {0, 0, a0, 100 + a1 + a0, 100 + a1 + a0};
    const double backlog_want[5] = {100, 200, 300 - a0, 200 - a0, 100 - a0};
    for (int t = 0; t < 5; t++) {
        h->applied[0] = 100;
        h_step(h, t);
        assert_close(granted[0], want[t], TOL);
        assert_close(metric(h, "backlog"), backlog_want[t], TOL);
    }
    /* Without the rule's licence terms every month waits its review: step 3 grants a1 + a0. */
    rule_set(rp, "licence_t", 0);
    h_reset(h);
    for (int t = 0; t < 4; t++) {
        h->applied[0] = 100;
        h_step(h, t);
    }
    assert_close(granted[0], a1 + a0, TOL);
    h_free(h);
}

/* filing_rules 1: an application is judged by the terms in force when it was filed. 100 t filed
 * at step 0 under approval 1 (review 63 days), then the rule's approval drops to 0 at step 1:
 * the step-0 cohort is still granted in full (93.018152 at 2, 6.981848 at 3), while 100 t filed
 * at step 1 are denied at their decision. With filing_rules 0 the same step-0 cohort is denied. */
static void test_filing_rules(void **state)
{
    (void)state;
    for (int at_filing = 0; at_filing <= 1; at_filing++) {
        harness *h = h_new(1, 12);
        double rp[8], granted[MAXL] = {0};
        rule_defaults(rp);
        const void *rules[MAXL] = {rp};
        h->io.rule = rules;
        h->io.granted = granted;
        set_num(h, "review_cv", 0);
        set_num(h, "filing_rules", at_filing);
        h_reset(h);
        double got = 0, denied = 0;
        for (int t = 0; t < 5; t++) {
            h->applied[0] = t <= 1 ? 100 : 0;
            if (t == 1)
                rule_set(rp, "approval", 0);
            h_step(h, t);
            got += granted[0];
            denied += metric(h, "denied");
        }
        assert_close(got, at_filing ? 100 : 0, TOL);
        assert_close(denied, at_filing ? 100 : 200, TOL);
        h_free(h);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_queue_trace),
        cmocka_unit_test(test_review_zero),
        cmocka_unit_test(test_quota_fifo),
        cmocka_unit_test(test_end_use_denial),
        cmocka_unit_test(test_expiry_oldest_first),
        cmocka_unit_test(test_inactive),
        cmocka_unit_test(test_uncovered),
        cmocka_unit_test(test_beyond_horizon),
        cmocka_unit_test(test_binomial),
        cmocka_unit_test(test_review_spread),
        cmocka_unit_test(test_review_cv_changes),
        cmocka_unit_test(test_balance_random),
        cmocka_unit_test(test_rule_destination),
        cmocka_unit_test(test_rule_quota_pool),
        cmocka_unit_test(test_standing_licence),
        cmocka_unit_test(test_filing_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

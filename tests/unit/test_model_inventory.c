/* Tests for models/inventory.c: exponential forecast, base-stock and (s, S) ordering, cover,
 * stock-outs. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_rng.h>

#include "model.h"

/* Hand-built parameters, state and io for driving a model's hooks directly. Parameters are set
 * through the model's own table (offsets and defaults), as the engine does. */
#define NMAT    3
#define NMETRIC 16

typedef struct fixture {
    double stock[NMAT], position[NMAT], requested[NMAT], received[NMAT], scarcity[NMAT];
    double produced[NMAT], consumed[NMAT], lost[NMAT], order[NMAT], offer[NMAT];
    double metrics[NMETRIC];
    ree_node_io io;
} fixture;

static const char *const mat_ids[NMAT] = {"ndpr_oxide", "dytb_oxide", "ndfeb_magnet"};

static const ree_model_ctx test_ctx = {
    .nsteps = 36, .nmat = NMAT, .nlink = 0, .material_ids = mat_ids};

static inline const ree_param_def *param_def(const ree_model *m, const char *key)
{
    for (size_t i = 0; i < m->nparams; i++)
        if (strcmp(m->params[i].key, key) == 0)
            return &m->params[i];
    fail_msg("no parameter %s", key);
    return NULL;
}

/* A zeroed parameter block with every NUM/DATE default applied. */
static inline void *params_new(const ree_model *m)
{
    unsigned char *p = calloc(1, m->params_size);
    assert_non_null(p);
    for (size_t i = 0; i < m->nparams; i++)
        if (m->params[i].type == REE_PT_NUM || m->params[i].type == REE_PT_DATE)
            memcpy(p + m->params[i].offset, &m->params[i].def, sizeof(double));
    return p;
}

static inline void set_num(const ree_model *m, void *p, const char *key, double v)
{
    const ree_param_def *d = param_def(m, key);
    assert_true(d->type == REE_PT_NUM || d->type == REE_PT_DATE);
    memcpy((unsigned char *)p + d->offset, &v, sizeof v);
}

static inline void set_mat(const ree_model *m, void *p, const char *key, int v)
{
    const ree_param_def *d = param_def(m, key);
    assert_int_equal(d->type, REE_PT_MATERIAL);
    memcpy((unsigned char *)p + d->offset, &v, sizeof v);
}

static inline void set_map(const ree_model *m, void *p, const char *key, const double *v)
{
    const ree_param_def *d = param_def(m, key);
    assert_int_equal(d->type, REE_PT_MATMAP);
    memcpy((unsigned char *)p + d->offset, &v, sizeof v);
}

static inline void *state_new(const ree_model *m, const void *params)
{
    size_t n = m->state_size ? m->state_size(&test_ctx) : m->state_bytes;
    void *s = calloc(1, n ? n : 1);
    assert_non_null(s);
    m->reset(params, s, &test_ctx);
    return s;
}

/* Clear the out arrays for a new hook call at `step`; stocks and positions stay as set. */
static inline void fx_step(fixture *f, int step, gsl_rng *r)
{
    memset(f->produced, 0, sizeof f->produced);
    memset(f->consumed, 0, sizeof f->consumed);
    memset(f->lost, 0, sizeof f->lost);
    memset(f->order, 0, sizeof f->order);
    memset(f->metrics, 0, sizeof f->metrics);
    for (int m = 0; m < NMAT; m++)
        f->offer[m] = f->stock[m];
    f->io = (ree_node_io){.step = step,
                          .nmat = NMAT,
                          .stock = f->stock,
                          .position = f->position,
                          .requested = f->requested,
                          .received = f->received,
                          .history = NULL,
                          .scarcity = f->scarcity,
                          .produced = f->produced,
                          .consumed = f->consumed,
                          .lost = f->lost,
                          .order = f->order,
                          .offer = f->offer,
                          .metrics = f->metrics,
                          .rng = r};
}

/* Booked flows never exceed what the node has: consumed + lost <= stock + produced. */
static inline void assert_booked_within_stock(const fixture *f)
{
    for (int m = 0; m < NMAT; m++) {
        assert_true(f->produced[m] >= 0 && f->consumed[m] >= 0 && f->lost[m] >= 0);
        assert_true(f->consumed[m] + f->lost[m] <= f->stock[m] + f->produced[m]);
    }
}

static inline void assert_metrics_finite(const ree_model *m, const fixture *f)
{
    for (size_t i = 0; i < m->nmetrics; i++)
        assert_true(isfinite(f->metrics[i]));
}

static inline gsl_rng *rng_new(unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(r);
    gsl_rng_set(r, seed);
    return r;
}

/* cmocka 1.1 compares floats only: a double comparison with an absolute tolerance. */
static inline void assert_near_at(double a, double b, double tol, const char *file, int line)
{
    if (!(fabs(a - b) <= tol)) {
        print_error("%.17g != %.17g (tolerance %g)\n", a, b, tol);
        _fail(file, line);
    }
}
#define assert_near(a, b, tol) assert_near_at((a), (b), (tol), __FILE__, __LINE__)

extern const ree_model ree_model_inventory;
#define M (&ree_model_inventory)

/* A US magnet importer: forecast starts at ~620 t/month, the 2024 China -> US flow
 * (facts-detailed.md s.2b). Material 2 = NdFeB magnets. wpm = 4.348214285714286. */
#define WPM REE_WEEKS_PER_MONTH

static void *importer(void)
{
    void *p = params_new(M);
    set_mat(M, p, "material", 2);
    set_num(M, p, "demand0", 620);
    return p;
}

static void test_base_stock(void **unused)
{
    (void)unused;
    void *p = importer(); /* cover 8 weeks, reorder null (base-stock), smoothing 0.3 */
    void *s = state_new(M, p);
    fixture f = {0};
    /* Month 1 (month 0 keeps demand0): F = 0.3 * 700 + 0.7 * 620 = 644 t/month; no lead time given
     * (L = 0): S = 644 * (1 + 8 / wpm) = 1,828.85 t; position 900: order 928.85 t. Stock 322 t =
     * half a month = 322 / 644 * wpm = 2.174 weeks. */
    f.requested[2] = 700;
    f.position[2] = 900;
    f.stock[2] = 322;
    fx_step(&f, 1, NULL);
    M->order(p, s, &f.io);
    assert_near(f.metrics[0], 644, 1e-9);
    assert_near(f.metrics[1], 644 * (1 + 8 / WPM), 1e-9);
    assert_near(f.metrics[1], 1828.85, 0.01);
    assert_near(f.order[2], 644 * (1 + 8 / WPM) - 900, 1e-9);
    assert_near(f.metrics[2], 0.5 * WPM, 1e-9);
    assert_near(f.order[0] + f.order[1], 0, 0);
    /* Next month, nothing requested: F = 0.7 * 644 = 450.8; S = 1,280.2 < position 1,300: 0. */
    f.requested[2] = 0;
    f.position[2] = 1300;
    fx_step(&f, 2, NULL);
    M->order(p, s, &f.io);
    assert_near(f.metrics[0], 450.8, 1e-9);
    assert_near(f.order[2], 0, 0);
    double ind[2];
    M->finish(p, s, &test_ctx, ind);
    assert_near(ind[0], 0, 0);
    assert_near(ind[1], 0.5 * WPM, 1e-9); /* the smaller cover: 2.17 weeks, not 322 / 450.8 */
    free(s);
    free(p);
}

static void test_first_step_keeps_demand0(void **unused)
{
    (void)unused;
    void *p = importer();
    void *s = state_new(M, p);
    fixture f = {0};
    /* Nothing was requested before the first month: the forecast stays at demand0 = 620. */
    fx_step(&f, 0, NULL);
    M->order(p, s, &f.io);
    assert_near(f.metrics[0], 620, 0);
    free(s);
    free(p);
}

static void test_reorder_point(void **unused)
{
    (void)unused;
    void *p = importer();
    set_num(M, p, "reorder_weeks", 4);
    set_num(M, p, "smoothing", 0); /* F stays 620 */
    void *s = state_new(M, p);
    fixture f = {0};
    /* S = 620 * (1 + 8 / wpm) = 1,760.70 t; s = 620 * (1 + 4 / wpm) = 1,190.35 t. */
    f.stock[2] = 300;
    f.position[2] = 1200; /* above s: no order */
    fx_step(&f, 0, NULL);
    M->order(p, s, &f.io);
    assert_near(f.order[2], 0, 0);
    f.position[2] = 1190; /* at or below s: up to S */
    fx_step(&f, 1, NULL);
    M->order(p, s, &f.io);
    assert_near(f.order[2], 620 * (1 + 8 / WPM) - 1190, 1e-9);
    /* A reorder point above S is capped at S. */
    set_num(M, p, "reorder_weeks", 12);
    f.position[2] = 1760;
    fx_step(&f, 2, NULL);
    M->order(p, s, &f.io);
    assert_near(f.order[2], 620 * (1 + 8 / WPM) - 1760, 1e-9);
    free(s);
    free(p);
}

static void test_stockout_and_zero_forecast(void **unused)
{
    (void)unused;
    void *p = importer();
    set_num(M, p, "demand0", 0);
    set_num(M, p, "reorder_weeks", 2);
    void *s = state_new(M, p);
    fixture f = {0};
    /* F = 0: S = s = 0, no order, cover 0 by convention, no stock-out counted. */
    fx_step(&f, 0, NULL);
    M->order(p, s, &f.io);
    assert_near(f.order[2], 0, 0);
    assert_metrics_finite(M, &f);
    assert_near(f.metrics[2], 0, 0);
    double ind[2];
    M->finish(p, s, &test_ctx, ind);
    assert_near(ind[0], 0, 0);
    assert_near(ind[1], 0, 0); /* no month with a forecast */
    /* Requests arrive, stock is empty: F = 0.3 * 100 = 30, a stock-out month. */
    f.requested[2] = 100;
    fx_step(&f, 1, NULL);
    M->order(p, s, &f.io);
    assert_near(f.metrics[0], 30, 1e-12);
    assert_near(f.order[2], 30 * (1 + 8 / WPM), 1e-9);
    M->finish(p, s, &test_ctx, ind);
    assert_near(ind[0], 1, 0);
    assert_near(ind[1], 0, 0);
    free(s);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_stock),
        cmocka_unit_test(test_reorder_point),
        cmocka_unit_test(test_stockout_and_zero_forecast),
        cmocka_unit_test(test_first_step_keeps_demand0),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

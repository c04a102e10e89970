/* Tests for models/recycler.c: end-of-life lag, pre-horizon flow, collection, yield, capacity. */
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

extern const ree_model ree_model_recycler;
#define M (&ree_model_recycler)

/* Recovers NdPr oxide (material 0) from end-of-life magnets (material 2) that US sectors used,
 * ~620 t/month (the 2024 China -> US magnet flow, facts-detailed.md s.2b); 1% collected
 * (facts.md "Recycling"), 90% yield. */
#define NSTEP_HIST 12
static double history[NSTEP_HIST * NMAT];

static void *plant(void)
{
    void *p = params_new(M);
    set_mat(M, p, "material", 0);
    set_mat(M, p, "feed", 2);
    set_num(M, p, "eol0", 300);
    return p;
}

static void run(void *p, void *s, fixture *f, int t)
{
    fx_step(f, t, NULL);
    f->io.history = history;
    M->produce(p, s, &f->io);
    assert_booked_within_stock(f);
    assert_metrics_finite(M, f);
}

static void test_lag(void **unused)
{
    (void)unused;
    for (int t = 0; t < NSTEP_HIST; t++) {
        history[t * NMAT + 2] = 600 + 10 * t; /* magnets used at step t */
        history[t * NMAT + 0] = 1e6;          /* other materials are not read */
    }
    void *p = plant();
    set_num(M, p, "lag_months", 3);
    void *s = state_new(M, p);
    fixture f = {0};
    /* Step 1: 1 - 3 < 0, so eol0 = 300: collected 3 t, recovered 2.7 t. */
    run(p, s, &f, 1);
    assert_near(f.metrics[0], 3, 1e-12);
    assert_near(f.produced[0], 2.7, 1e-12);
    assert_near(f.produced[1] + f.produced[2], 0, 0);
    /* Step 5 reads step 2's use, 620 t: collected 6.2 t, recovered 5.58 t. */
    run(p, s, &f, 5);
    assert_near(f.metrics[0], 6.2, 1e-12);
    assert_near(f.metrics[1], 5.58, 1e-12);
    assert_near(f.produced[0], 5.58, 1e-12);
    double ind[1];
    M->finish(p, s, &test_ctx, ind);
    assert_near(ind[0], 2.7 + 5.58, 1e-12);
    free(s);
    free(p);
}

static void test_lag_zero_and_capacity(void **unused)
{
    (void)unused;
    for (int t = 0; t < NSTEP_HIST; t++)
        history[t * NMAT + 2] = 600 + 10 * t;
    void *p = plant(); /* lag 0: last month's use, the latest the history holds */
    void *s = state_new(M, p);
    fixture f = {0};
    run(p, s, &f, 0); /* nothing used yet: eol0 */
    assert_near(f.metrics[0], 3, 1e-12);
    run(p, s, &f, 4); /* step 3's 630 t: 6.3 t collected, 5.67 t recovered */
    assert_near(f.produced[0], 5.67, 1e-12);
    set_num(M, p, "capacity", 2);
    run(p, s, &f, 4);
    assert_near(f.metrics[0], 6.3, 1e-12);
    assert_near(f.produced[0], 2, 0);
    set_num(M, p, "collect", 0);
    run(p, s, &f, 4);
    assert_near(f.produced[0], 0, 0);
    free(s);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lag),
        cmocka_unit_test(test_lag_zero_and_capacity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

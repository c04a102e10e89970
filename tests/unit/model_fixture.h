/*
 * Shared fixture of the model unit tests (tests/unit/test_model_*.c): parameter structs filled
 * from a model's own table, a hand-built io block over NMAT materials, and the checks every
 * model test makes (booked flows within stock, finite metrics, double comparisons).
 */
#ifndef REESIM_TEST_MODEL_FIXTURE_H
#define REESIM_TEST_MODEL_FIXTURE_H

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

#endif

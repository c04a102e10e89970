/*
 * Lane hooks against scalar hooks (engine/model_lanes.h): every model that has lane hooks must
 * give, in each lane, the same bits as its scalar hooks on that lane's run.
 *
 * How: every shipped scenario (scenarios/, scenarios/examples/, bench/scenarios/), and those of
 * tests/lanes/ (written to reach branches the shipped ones do not), is run by the
 * engine as it is (scalar), runs 0 .. NRUN-1, with each entity's model swapped for a copy whose
 * hooks call the original and record, per call, the effective parameters, the io arrays before
 * and after, and the entity's stream before and after (the recording is tests/lanes/capture.c,
 * which bench/lanes.c times the hooks on). Then, for each entity whose model has
 * lane hooks, groups of REE_LANES runs are replayed through the lane hooks: parameters
 * transposed from the recorded ones, io arrays interleaved from the recorded "before", each
 * lane's stream a copy of the recorded one; every array after the call, every stream after it
 * and every indicator must equal the scalar run's, bit for bit. The lane state evolves by the
 * lane hooks alone from the lane reset, so a state that drifts shows in a later output.
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
#include "model_lanes.h"
#include "plan.h"
#include "run_priv.h"

#include "../lanes/capture.h"

#define NGROUP 2 /* lane groups replayed per scenario */
#define NRUN   (NGROUP * REE_LANES)

static ree_run *G;
static const ree_model **G_orig;

static size_t node_width(int e)
{
    return (size_t)A_NODE * (size_t)G->nmat + G->p->entities[e].model->nmetrics;
}

static size_t gate_width(int e, int nlink)
{
    return (size_t)G_GATE * (size_t)nlink + G->p->entities[e].model->nmetrics;
}

/* A failure of the recording, as fail_msg reports it. */
__attribute__((format(printf, 1, 0))) static void capture_fail(const char *fmt, va_list ap)
{
    print_error("ERROR: ");
    vprint_error(fmt, ap);
    print_error("\n");
    fail();
}

static void *zalloc64(size_t bytes)
{
    size_t b = (bytes + 63) & ~(size_t)63;
    void *q = aligned_alloc(64, b ? b : 64);
    assert_non_null(q);
    memset(q, 0, b ? b : 64);
    return q;
}

/* Interleave lane l's n values of src into dst ([i][lane]). */
static void put_lane(ree_vd *dst, const double *src, size_t n, int l)
{
    for (size_t i = 0; i < n; i++)
        dst[i][l] = src[i];
}

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* Compare the lane arrays after a call with each run's recorded "after". */
static void check_arrays(const char *scen, int e, const lanes_rec *const *c, const ree_vd *got,
                         size_t width, size_t per, const char *const *names, int narray)
{
    for (int l = 0; l < REE_LANES; l++)
        for (size_t i = 0; i < width; i++)
            if (!same_bits(got[i][l], c[l]->post[i])) {
                const char *what = (int)(i / per) < narray ? names[i / per] : "metric";
                size_t at = (int)(i / per) < narray ? i % per : i - (size_t)narray * per;
                fail_msg("%s: %s, %s at step %d, lane %d: %s[%zu] is %a, the scalar hook gave %a",
                         scen, G->p->entities[e].id, lanes_phase_name[c[0]->ph], c[0]->step, l,
                         what, at, got[i][l], c[l]->post[i]);
            }
}

static void check_rngs(const char *scen, int e, const lanes_rec *const *c, gsl_rng *const *rng)
{
    for (int l = 0; l < REE_LANES; l++)
        if (memcmp(gsl_rng_state(rng[l]), gsl_rng_state(c[l]->rng_post), gsl_rng_size(rng[l])))
            fail_msg("%s: %s, %s at step %d, lane %d: the stream is not where the scalar hook "
                     "left it (a different number of draws)",
                     scen, G->p->entities[e].id, lanes_phase_name[c[0]->ph], c[0]->step, l);
}

/* Replay entity e of runs g * REE_LANES .. through its model's lane hooks. */
static void replay(const char *scen, lanes_runrec *runs, int g, int e, size_t *calls)
{
    const ree_model *m = G_orig[e];
    const ree_model_lanes *lm = ree_lanes_of(m);
    const ree_model_ctx *ctx = &G->ctx[e];
    lanes_runrec *rr = runs + (size_t)g * REE_LANES;
    size_t ps = m->params_size;
    assert_int_equal(ps % 8, 0);
    unsigned char *lpar = zalloc64(ps * REE_LANES);
    size_t ss = lm->state_size ? lm->state_size(ctx) : lm->state_bytes;
    unsigned char *lst = zalloc64(ss);
    const void *src[REE_LANES];

    if (lm->reset) {
        for (int l = 0; l < REE_LANES; l++)
            src[l] = rr[l].reset_par[e];
        ree_lanes_transpose(lpar, src, ps);
        lm->reset(lpar, lst, ctx);
    }
    size_t nm = (size_t)G->nmat, nhist = (size_t)G->nsteps * nm;
    ree_vd *hist = zalloc64(nhist * sizeof(ree_vd));
    for (int l = 0; l < REE_LANES; l++)
        put_lane(hist, rr[l].history, nhist, l);

    size_t pos[REE_LANES] = {0};
    for (;;) {
        const lanes_rec *c[REE_LANES];
        int done = 0;
        for (int l = 0; l < REE_LANES; l++) {
            while (pos[l] < rr[l].n && rr[l].v[pos[l]].e != e)
                pos[l]++;
            c[l] = pos[l] < rr[l].n ? &rr[l].v[pos[l]++] : NULL;
            done += c[l] == NULL;
        }
        if (done == REE_LANES)
            break;
        for (int l = 0; l < REE_LANES; l++)
            if (!c[l] || c[l]->ph != c[0]->ph || c[l]->step != c[0]->step)
                fail_msg("%s: %s: the runs of a group call its hooks in different orders", scen,
                         G->p->entities[e].id);
        for (int l = 0; l < REE_LANES; l++)
            src[l] = c[l]->par;
        ree_lanes_transpose(lpar, src, ps);
        gsl_rng *rng[REE_LANES];
        for (int l = 0; l < REE_LANES; l++) {
            rng[l] = gsl_rng_clone(c[l]->rng_pre);
            assert_non_null(rng[l]);
        }
        int ph = c[0]->ph;
        if (ph < PH_COUNT) {
            size_t width = node_width(e);
            ree_vd *a = zalloc64(width * sizeof(ree_vd));
            for (int l = 0; l < REE_LANES; l++)
                put_lane(a, c[l]->pre, width, l);
            ree_node_io_lanes io = lanes_node_io_lanes(a, nm, c[0], hist, rng);
            lanes_node_lfn hook = lanes_node_lhook(lm, ph);
            if (!hook)
                fail_msg("%s: model %s has a scalar %s hook and no lane one", scen, m->name,
                         lanes_phase_name[ph]);
            hook(lpar, lst, &io);
            check_arrays(scen, e, c, a, width, nm, lanes_node_array, A_NODE);
            free(a);
        } else {
            int gi = 0;
            while (G->p->gates[gi].entity != e)
                gi++;
            int nlink = G->p->gates[gi].nlink;
            size_t nl = (size_t)nlink, width = gate_width(e, nlink);
            ree_vd *a = zalloc64(width * sizeof(ree_vd));
            for (int l = 0; l < REE_LANES; l++)
                put_lane(a, c[l]->pre, width, l);
            const void **rules = NULL;
            unsigned char *rpar = NULL;
            if (c[0]->rules) {
                size_t rs = m->rules->params_size;
                assert_int_equal(rs % 8, 0);
                rules = calloc(nl, sizeof *rules);
                rpar = zalloc64(nl * rs * REE_LANES);
                assert_non_null(rules);
                lanes_rules_lanes(c, nl, rs, rpar, rules);
            }
            ree_gate_io_lanes io = lanes_gate_io_lanes(a, nl, c[0], &G->gio[gi], rng, rules);
            lanes_gate_lfn hook = lanes_gate_lhook(lm, ph);
            if (!hook)
                fail_msg("%s: model %s has a scalar %s hook and no lane one", scen, m->name,
                         lanes_phase_name[ph]);
            hook(lpar, lst, &io);
            check_arrays(scen, e, c, a, width, nl, lanes_gate_array, G_GATE);
            free(a), free(rules), free(rpar);
        }
        check_rngs(scen, e, c, rng);
        for (int l = 0; l < REE_LANES; l++)
            gsl_rng_free(rng[l]);
        ++*calls;
    }
    if (m->finish) {
        if (!lm->finish)
            fail_msg("%s: model %s has a scalar finish and no lane one", scen, m->name);
        size_t ni = m->nindicators;
        double *ind = calloc(ni * REE_LANES + 1, sizeof *ind);
        assert_non_null(ind);
        /* lpar: the parameters of the last call, those in force at the end of the run */
        lm->finish(lpar, lst, ctx, ind);
        int first = -1;
        for (int i = 0; i < G->p->nindicator && first < 0; i++)
            if (G->p->indicators[i].kind == REE_IND_MODEL && G->p->indicators[i].entity == e)
                first = i;
        assert_true(first >= 0 || ni == 0);
        for (size_t i = 0; i < ni; i++)
            for (int l = 0; l < REE_LANES; l++)
                if (!same_bits(ind[i * REE_LANES + (size_t)l], rr[l].ind[(size_t)first + i]))
                    fail_msg("%s: %s, finish, lane %d: indicator %s is %a, the scalar hook gave "
                             "%a",
                             scen, G->p->entities[e].id, l, m->indicators[i].name,
                             ind[i * REE_LANES + (size_t)l], rr[l].ind[(size_t)first + i]);
        free(ind);
    }
    free(hist), free(lst), free(lpar);
}

/* Run one scenario scalar with recording hooks, then replay its entities with lane hooks;
 * returns the number of lane calls checked. */
static size_t check_scenario(const char *path)
{
    ree_diag *d = ree_diag_alloc(0);
    assert_non_null(d);
    ree_status st = REE_STATUS_COUNT;
    ree_plan *p = ree_plan_load(path, d, &st);
    if (!p)
        ree_diag_print(d, stderr);
    ree_diag_free(d);
    assert_non_null(p);

    lanes_capture cap;
    int any = lanes_capture_wrap(&cap, p, capture_fail);
    int ne = p->nentity;
    G_orig = cap.orig;
    size_t calls = 0;
    if (any) {
        lanes_capture_record(&cap, path, NRUN);
        G = cap.run;
        lanes_runrec *runs = cap.runs;
        for (int g = 0; g < NGROUP; g++)
            for (int e = 0; e < ne; e++)
                if (ree_lanes_of(G_orig[e]))
                    replay(path, runs, g, e, &calls);
        G = NULL;
    }
    lanes_capture_free(&cap); /* gives the entities their own models back */
    ree_plan_free(p);
    G_orig = NULL;
    return calls;
}

static void check_one(const char *path, void *total)
{
    *(size_t *)total += check_scenario(path);
}

static void test_every_scenario(void **state)
{
    (void)state;
    size_t total = 0, nscen = lanes_each_scenario(REESIM_SOURCE_DIR, check_one, &total);
    printf("lane hooks: %zu lane calls checked over %zu scenarios\n", total, nscen);
    assert_true(nscen >= 12);
    assert_true(total > 0);
}

/* The transposition's layout (model_lanes.h): word w of lane l at w * REE_LANES + l, and a
 * shared field read from lane 0's copy. */
static void test_transpose(void **state)
{
    (void)state;
    typedef struct toy {
        int mat;
        double a, b;
    } toy;
    toy t[REE_LANES];
    const void *src[REE_LANES];
    for (int l = 0; l < REE_LANES; l++) {
        memset(&t[l], 0, sizeof t[l]);
        t[l].mat = 7;
        t[l].a = l + 0.5;
        t[l].b = -l;
        src[l] = &t[l];
    }
    unsigned char *blk = zalloc64(sizeof(toy) * REE_LANES);
    ree_lanes_transpose(blk, src, sizeof(toy));
    assert_int_equal(REE_LP0(blk, toy, mat, int), 7);
    ree_vd a = REE_LP(blk, toy, a), b = REE_LP(blk, toy, b);
    for (int l = 0; l < REE_LANES; l++) {
        assert_true(a[l] == l + 0.5);
        assert_true(b[l] == -l);
    }
    free(blk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transpose),
        cmocka_unit_test(test_every_scenario),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * reesim-lanes-bench: each model's scalar hooks against its lane hooks (engine/model_lanes.h),
 * timed on the recorded calls of real scenarios (bench/README.md, "Lane hooks").
 *
 * A scenario's runs 0 .. R-1 go through the engine as it is, with every entity whose model has
 * lane hooks recording its calls (tests/lanes/capture.c, the recording test_model_lanes replays).
 * Then, per model, every entity of it and every group of REE_LANES runs becomes a "unit" holding
 * everything its hooks need, in both layouts, built before anything is timed: per run and call
 * the scalar io arrays (the recorded "before"), the parameters and a stream; per call the lane io
 * arrays (interleaved), the transposed parameters and rules and REE_LANES streams; the parameters
 * at reset and at finish, the history, a state of each kind. Each layout has a pristine copy of
 * its io arrays. A timed pass over a unit then:
 *  - scalar: for each of its REE_LANES runs, zeroes the state, calls reset, the entity's scalar
 *    hooks in recorded order, finish;
 *  - lanes: zeroes the lane state (as the engine does: a model's cache past kept_from stays from
 *    one pass to the next), calls the lane reset, the lane hooks in recorded order, the
 *    lane finish.
 * What hooks overwrite (io arrays, streams) is restored from the pristine copies before each
 * timed pass, outside the timed region, in both variants alike. Units are timed in batches of at
 * most --batch-kb of io arrays and parameters per layout (a batch that the restore leaves in the
 * caches, as the engine's io block is), scalar then lanes, batch after batch, N rounds; a round's
 * figure is the sum over its batches. Once before timing, every unit is checked outside the timed
 * region: the scalar pass must give the recorded outputs, streams and indicators (the replay is
 * the engine's), and the lane pass the scalar pass's, bit for bit; a model that fails is reported
 * (lanes-error) and not timed.
 *
 * stdout: key=value lines; stderr: comments.
 */
#include <errno.h>
#include <glob.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diag.h"
#include "model_lanes.h"
#include "plan.h"
#include "run_priv.h"

#include "../tests/lanes/capture.h"

#define DEFAULT_RUNS     64
#define DEFAULT_REPEATS  15
#define DEFAULT_BATCH_KB 256
#define REPEAT_MAX       1000
#define MAX_MODELS       64
#define MAX_MODEL_FILTER 32

/* One entity, one group of REE_LANES runs, in both layouts. */
typedef struct unit {
    int e, gi; /* entity; its gate slot, -1 for a node */
    int g;     /* lane group */
    int ncall; /* step hook calls per run */
    size_t width, ps, nl;
    const lanes_rec **rec; /* [l * ncall + k] */
    const ree_model *m;
    const ree_model_ctx *ctx;

    /* scalar: run l's call k at [l * ncall + k] */
    unsigned char *spar;       /* ps each */
    double *swork, *spristine; /* width each */
    ree_node_io *snio;         /* nodes */
    ree_gate_io *sgio;         /* gates */
    const void **srule;        /* gates with rules: nl each */
    unsigned char *sreset;     /* ps per run */
    const unsigned char *sfin[REE_LANES];
    const double *shist[REE_LANES];
    lanes_node_fn *snh;
    lanes_gate_fn *sgh;
    void *sst;
    size_t ss;
    double *sind; /* [l * ni + i] */

    /* lanes: call k */
    unsigned char *lpar;       /* ps * REE_LANES each */
    ree_vd *lwork, *lpristine; /* width each */
    ree_node_io_lanes *lnio;
    ree_gate_io_lanes *lgio;
    unsigned char *lrpar; /* gates with rules: transposed rule params, nl * rs * REE_LANES each */
    const void **lrule;   /* nl each */
    unsigned char *lreset, *lfin;
    ree_vd *lhist;
    lanes_node_lfn *lnh;
    lanes_gate_lfn *lgh;
    gsl_rng **lrng; /* [k * REE_LANES + l], the same streams as rng */
    void *lst;
    size_t ls;
    double *lind; /* [i * REE_LANES + l] */

    gsl_rng **rng;       /* [l * ncall + k]: the working streams, shared by both layouts */
    size_t bytes;        /* io arrays and parameters of one layout */
    long long run_calls; /* REE_LANES x (reset + ncall + finish) */
} unit;

static void *xalloc(size_t bytes)
{
    size_t b = (bytes + 63) & ~(size_t)63;
    void *q = aligned_alloc(64, b ? b : 64);
    if (!q) {
        fprintf(stderr, "reesim-lanes-bench: out of memory\n");
        exit(71);
    }
    memset(q, 0, b ? b : 64);
    return q;
}

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* ---- building a unit (untimed) ---- */

static void unit_free(unit *u)
{
    if (u->rng)
        for (int i = 0; i < REE_LANES * u->ncall; i++)
            gsl_rng_free(u->rng[i]);
    free(u->rec), free(u->spar), free(u->swork), free(u->spristine), free(u->snio);
    free(u->sgio), free(u->srule), free(u->sreset), free(u->snh), free(u->sgh), free(u->sst);
    free(u->sind), free(u->lpar), free(u->lwork), free(u->lpristine), free(u->lnio);
    free(u->lgio), free(u->lrpar), free(u->lrule), free(u->lreset), free(u->lfin);
    free(u->lhist), free(u->lnh), free(u->lgh), free(u->lrng), free(u->lst), free(u->lind);
    free(u->rng);
    memset(u, 0, sizeof *u);
}

/* Unit of entity e, group g; returns 0, or -1 with `why` set (the runs of the group call the
 * entity's hooks in different orders, or a layout the bench cannot build). */
static int unit_build(unit *u, const lanes_capture *c, int e, int g, char *why, size_t whylen)
{
    memset(u, 0, sizeof *u);
    const ree_plan *p = c->p;
    const ree_run *run = c->run;
    const ree_model *m = c->orig[e];
    const ree_model_lanes *lm = ree_lanes_of(m);
    const lanes_runrec *rr = c->runs + (size_t)g * REE_LANES;
    u->e = e, u->g = g, u->m = m, u->gi = -1;
    u->ctx = &run->ctx[e];
    u->ps = m->params_size;
    if (u->ps % 8) {
        snprintf(why, whylen, "params_size %zu is not a multiple of 8", u->ps);
        return -1;
    }
    if (m->kind == REE_MODEL_GATE || m->gate_decide || m->gate_ship) {
        for (int i = 0; i < p->ngate; i++)
            if (p->gates[i].entity == e)
                u->gi = i;
        if (u->gi < 0) {
            snprintf(why, whylen, "no gate slot for a gate model");
            return -1;
        }
        u->nl = (size_t)p->gates[u->gi].nlink;
        u->width = lanes_gate_width(c, e, (int)u->nl);
    } else {
        u->width = lanes_node_width(c, e);
    }

    /* the entity's calls in each run of the group, which must match */
    int n = -1;
    for (int l = 0; l < REE_LANES; l++) {
        int k = 0;
        for (size_t i = 0; i < rr[l].n; i++)
            k += rr[l].v[i].e == e;
        if (n >= 0 && k != n) {
            snprintf(why, whylen, "the runs of group %d call the hooks a different number of times",
                     g);
            return -1;
        }
        n = k;
    }
    u->ncall = n;
    size_t nc = (size_t)n, L = REE_LANES, w = u->width, ps = u->ps;
    u->rec = calloc(L * nc + 1, sizeof *u->rec);
    if (!u->rec)
        exit(71);
    for (int l = 0; l < REE_LANES; l++) {
        size_t k = 0;
        for (size_t i = 0; i < rr[l].n; i++)
            if (rr[l].v[i].e == e)
                u->rec[l * nc + k++] = &rr[l].v[i];
    }
    for (size_t k = 0; k < nc; k++)
        for (size_t l = 1; l < L; l++)
            if (u->rec[l * nc + k]->ph != u->rec[k]->ph ||
                u->rec[l * nc + k]->step != u->rec[k]->step) {
                snprintf(why, whylen, "the runs of group %d call the hooks in different orders", g);
                return -1;
            }

    /* scalar layout */
    u->spar = xalloc(L * nc * (ps ? ps : 8));
    u->swork = xalloc(L * nc * w * sizeof(double));
    u->spristine = xalloc(L * nc * w * sizeof(double));
    u->rng = xalloc(L * nc * sizeof *u->rng);
    for (size_t i = 0; i < L * nc; i++) {
        const lanes_rec *r = u->rec[i];
        memcpy(u->spar + i * ps, r->par, ps);
        memcpy(u->spristine + i * w, r->pre, w * sizeof(double));
        u->rng[i] = gsl_rng_clone(r->rng_pre);
        if (!u->rng[i])
            exit(71);
    }
    u->sreset = xalloc(L * (ps ? ps : 8));
    for (size_t l = 0; l < L; l++) {
        if (rr[l].reset_par[e])
            memcpy(u->sreset + l * ps, rr[l].reset_par[e], ps);
        /* finish: the parameters of the last call, those in force at the end of the run (as
         * test_model_lanes gives the lane finish; checked against the record below) */
        u->sfin[l] = nc ? u->spar + (l * nc + nc - 1) * ps : u->sreset + l * ps;
        u->shist[l] = rr[l].history;
    }
    u->ss = m->state_size ? m->state_size(u->ctx) : m->state_bytes;
    u->sst = xalloc(u->ss);
    u->sind = xalloc((L * m->nindicators + 1) * sizeof(double));
    size_t nm = (size_t)run->nmat, nl = u->nl;

    /* lane layout */
    u->ls = lm->state_size ? lm->state_size(u->ctx) : lm->state_bytes;
    u->lst = xalloc(u->ls);
    u->lind = xalloc((L * m->nindicators + 1) * sizeof(double));
    u->lpar = xalloc(nc * ps * L + 8);
    u->lwork = xalloc(nc * w * sizeof(ree_vd));
    u->lpristine = xalloc(nc * w * sizeof(ree_vd));
    u->lrng = xalloc(L * nc * sizeof *u->lrng);
    const void *src[REE_LANES];
    for (size_t k = 0; k < nc; k++) {
        for (size_t l = 0; l < L; l++) {
            src[l] = u->spar + (l * nc + k) * ps;
            u->lrng[k * L + l] = u->rng[l * nc + k];
            for (size_t i = 0; i < w; i++)
                u->lpristine[k * w + i][l] = u->rec[l * nc + k]->pre[i];
        }
        ree_lanes_transpose(u->lpar + k * ps * L, src, ps);
    }
    u->lreset = xalloc(ps * L + 8);
    u->lfin = xalloc(ps * L + 8);
    for (size_t l = 0; l < L; l++)
        src[l] = u->sreset + l * ps;
    ree_lanes_transpose(u->lreset, src, ps);
    for (size_t l = 0; l < L; l++)
        src[l] = u->sfin[l];
    ree_lanes_transpose(u->lfin, src, ps);
    size_t nhist = (size_t)run->nsteps * nm;
    u->lhist = xalloc(nhist * sizeof(ree_vd));
    for (size_t l = 0; l < L; l++)
        for (size_t i = 0; i < nhist; i++)
            u->lhist[i][l] = rr[l].history[i];

    /* io blocks and hooks, per call */
    if (u->gi < 0) {
        u->snio = xalloc(L * nc * sizeof *u->snio);
        u->lnio = xalloc(nc * sizeof *u->lnio);
        u->snh = xalloc(nc * sizeof *u->snh);
        u->lnh = xalloc(nc * sizeof *u->lnh);
        for (size_t k = 0; k < nc; k++) {
            int ph = u->rec[k]->ph;
            u->snh[k] = lanes_node_hook(m, ph);
            u->lnh[k] = lanes_node_lhook(lm, ph);
            if (!u->lnh[k] || !u->snh[k]) {
                snprintf(why, whylen, "a scalar %s hook and no lane one", lanes_phase_name[ph]);
                return -1;
            }
            for (size_t l = 0; l < L; l++)
                u->snio[l * nc + k] =
                    lanes_node_io(u->swork + (l * nc + k) * w, nm, u->rec[l * nc + k],
                                  rr[l].history, u->rng[l * nc + k]);
            u->lnio[k] =
                lanes_node_io_lanes(u->lwork + k * w, nm, u->rec[k], u->lhist, u->lrng + k * L);
        }
    } else {
        const ree_gate_io *gio = &run->gio[u->gi];
        size_t rs = m->rules ? m->rules->params_size : 0;
        if (rs % 8) {
            snprintf(why, whylen, "rule params_size %zu is not a multiple of 8", rs);
            return -1;
        }
        u->sgio = xalloc(L * nc * sizeof *u->sgio);
        u->lgio = xalloc(nc * sizeof *u->lgio);
        u->sgh = xalloc(nc * sizeof *u->sgh);
        u->lgh = xalloc(nc * sizeof *u->lgh);
        u->srule = xalloc(L * nc * nl * sizeof *u->srule);
        u->lrule = xalloc(nc * nl * sizeof *u->lrule);
        u->lrpar = xalloc(nc * nl * rs * L + 8);
        for (size_t k = 0; k < nc; k++) {
            int ph = u->rec[k]->ph;
            u->sgh[k] = lanes_gate_hook(m, ph);
            u->lgh[k] = lanes_gate_lhook(lm, ph);
            if (!u->lgh[k] || !u->sgh[k]) {
                snprintf(why, whylen, "a scalar %s hook and no lane one", lanes_phase_name[ph]);
                return -1;
            }
            int has_rules = u->rec[k]->rules != NULL;
            const lanes_rec *rec[REE_LANES];
            for (size_t l = 0; l < L; l++) {
                const lanes_rec *r = rec[l] = u->rec[l * nc + k];
                if ((r->rules != NULL) != has_rules) {
                    snprintf(why, whylen, "the runs of group %d give rules differently", g);
                    return -1;
                }
                const void **sr = u->srule + (l * nc + k) * nl;
                if (has_rules)
                    lanes_rules(r, nl, rs, sr);
                u->sgio[l * nc + k] = lanes_gate_io(u->swork + (l * nc + k) * w, nl, r, gio,
                                                    u->rng[l * nc + k], has_rules ? sr : NULL);
            }
            const void **lr = u->lrule + k * nl;
            if (has_rules)
                lanes_rules_lanes(rec, nl, rs, u->lrpar + k * nl * rs * L, lr);
            u->lgio[k] = lanes_gate_io_lanes(u->lwork + k * w, nl, u->rec[k], gio, u->lrng + k * L,
                                             has_rules ? lr : NULL);
        }
    }
    u->bytes = L * nc * (w * sizeof(double) + ps);
    u->run_calls = (long long)L * (n + (m->reset != NULL) + (m->finish != NULL));
    return 0;
}

/* ---- the timed passes ---- */

static void restore_scalar(unit *u)
{
    size_t n = (size_t)REE_LANES * (size_t)u->ncall;
    memcpy(u->swork, u->spristine, n * u->width * sizeof(double));
    for (size_t i = 0; i < n; i++)
        gsl_rng_memcpy(u->rng[i], u->rec[i]->rng_pre);
}

static void restore_lanes(unit *u)
{
    size_t n = (size_t)REE_LANES * (size_t)u->ncall;
    memcpy(u->lwork, u->lpristine, (size_t)u->ncall * u->width * sizeof(ree_vd));
    for (size_t i = 0; i < n; i++)
        gsl_rng_memcpy(u->rng[i], u->rec[i]->rng_pre);
}

static void pass_scalar(unit *u)
{
    const ree_model *m = u->m;
    size_t nc = (size_t)u->ncall, ps = u->ps, ni = m->nindicators;
    for (size_t l = 0; l < REE_LANES; l++) {
        memset(u->sst, 0, u->ss);
        if (m->reset)
            m->reset(u->sreset + l * ps, u->sst, u->ctx);
        const unsigned char *par = u->spar + l * nc * ps;
        if (u->gi < 0) {
            const ree_node_io *io = u->snio + l * nc;
            for (size_t k = 0; k < nc; k++)
                u->snh[k](par + k * ps, u->sst, io + k);
        } else {
            ree_gate_io *io = u->sgio + l * nc;
            for (size_t k = 0; k < nc; k++)
                u->sgh[k](par + k * ps, u->sst, io + k);
        }
        if (m->finish)
            m->finish(u->sfin[l], u->sst, u->ctx, u->sind + l * ni);
    }
}

static void pass_lanes(unit *u)
{
    const ree_model_lanes *lm = ree_lanes_of(u->m);
    size_t nc = (size_t)u->ncall, lps = u->ps * REE_LANES;
    memset(u->lst, 0, lm->kept_from ? lm->kept_from : u->ls);
    if (lm->reset)
        lm->reset(u->lreset, u->lst, u->ctx);
    if (u->gi < 0)
        for (size_t k = 0; k < nc; k++)
            u->lnh[k](u->lpar + k * lps, u->lst, u->lnio + k);
    else
        for (size_t k = 0; k < nc; k++)
            u->lgh[k](u->lpar + k * lps, u->lst, u->lgio + k);
    if (u->m->finish)
        lm->finish(u->lfin, u->lst, u->ctx, u->lind);
}

/* ---- the check (untimed) ---- */

static int rng_same(const gsl_rng *a, const gsl_rng *b)
{
    return gsl_rng_size(a) == gsl_rng_size(b) &&
           !memcmp(gsl_rng_state(a), gsl_rng_state(b), gsl_rng_size(a));
}

/* Which array value i of a call's record is, for messages. */
static void value_name(const unit *u, const lanes_capture *c, size_t i, char *buf, size_t len)
{
    size_t per = u->gi < 0 ? (size_t)c->run->nmat : u->nl;
    size_t narray = u->gi < 0 ? A_NODE : G_GATE;
    const char *const *names = u->gi < 0 ? lanes_node_array : lanes_gate_array;
    if (per && i / per < narray)
        snprintf(buf, len, "%s[%zu]", names[i / per], i % per);
    else
        snprintf(buf, len, "metric[%zu]", i - narray * per);
}

/* The scalar pass against the record, the lane pass against the scalar pass; 0 or -1 with
 * `why`. */
static int unit_check(unit *u, const lanes_capture *c, char *why, size_t whylen)
{
    const ree_model *m = u->m;
    size_t nc = (size_t)u->ncall, w = u->width, ni = m->nindicators, L = REE_LANES;
    if (m->finish && !ree_lanes_of(m)->finish) {
        snprintf(why, whylen, "a scalar finish and no lane one");
        return -1;
    }
    int first = -1;
    for (int i = 0; i < c->p->nindicator && first < 0; i++)
        if (c->p->indicators[i].kind == REE_IND_MODEL && c->p->indicators[i].entity == u->e)
            first = i;
    const char *id = c->p->entities[u->e].id;
    char what[64];

    restore_scalar(u);
    pass_scalar(u);
    for (size_t l = 0; l < L; l++)
        for (size_t k = 0; k < nc; k++) {
            const lanes_rec *r = u->rec[l * nc + k];
            for (size_t i = 0; i < w; i++)
                if (!same_bits(u->swork[(l * nc + k) * w + i], r->post[i])) {
                    value_name(u, c, i, what, sizeof what);
                    snprintf(why, whylen,
                             "%s: the bench's scalar replay of %s at step %d, run %zu differs "
                             "from the engine's record (%s)",
                             id, lanes_phase_name[r->ph], r->step, u->g * L + l, what);
                    return -1;
                }
            if (!rng_same(u->rng[l * nc + k], r->rng_post)) {
                snprintf(why, whylen, "%s: the bench's scalar replay leaves a stream elsewhere",
                         id);
                return -1;
            }
        }
    if (m->finish && first >= 0) {
        const lanes_runrec *rr = c->runs + (size_t)u->g * L;
        for (size_t l = 0; l < L; l++)
            for (size_t i = 0; i < ni; i++)
                if (!same_bits(u->sind[l * ni + i], rr[l].ind[(size_t)first + i])) {
                    snprintf(why, whylen,
                             "%s: the bench's scalar finish differs from the engine's (indicator "
                             "%zu, run %zu)",
                             id, i, u->g * L + l);
                    return -1;
                }
    }

    restore_lanes(u);
    pass_lanes(u);
    for (size_t k = 0; k < nc; k++)
        for (size_t l = 0; l < L; l++) {
            const lanes_rec *r = u->rec[l * nc + k];
            for (size_t i = 0; i < w; i++)
                if (!same_bits(u->lwork[k * w + i][l], u->swork[(l * nc + k) * w + i])) {
                    value_name(u, c, i, what, sizeof what);
                    snprintf(why, whylen,
                             "%s: the lane %s at step %d, lane %zu: %s is %a, the scalar hook "
                             "gave %a",
                             id, lanes_phase_name[r->ph], r->step, l, what, u->lwork[k * w + i][l],
                             u->swork[(l * nc + k) * w + i]);
                    return -1;
                }
            if (!rng_same(u->lrng[k * L + l], r->rng_post)) {
                snprintf(why, whylen, "%s: the lane %s at step %d, lane %zu: stream elsewhere", id,
                         lanes_phase_name[r->ph], r->step, l);
                return -1;
            }
        }
    for (size_t i = 0; m->finish && i < ni; i++)
        for (size_t l = 0; l < L; l++)
            if (!same_bits(u->lind[i * L + l], u->sind[l * ni + i])) {
                snprintf(why, whylen, "%s: lane finish, lane %zu: indicator %zu is %a, scalar %a",
                         id, l, i, u->lind[i * L + l], u->sind[l * ni + i]);
                return -1;
            }
    return 0;
}

/* ---- measurement ---- */

typedef struct options {
    int runs, repeats;
    size_t batch_bytes;
    const char *models[MAX_MODEL_FILTER];
    int nmodels;
} options;

typedef struct total {
    const char *model;
    int scenarios;
    long long run_calls;
    double scalar_ns, lanes_ns; /* sums of the per-scenario medians */
} total;

static total totals[MAX_MODELS];
static int ntotal;

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void min_median(double *v, int n, double *mn, double *med)
{
    qsort(v, (size_t)n, sizeof *v, by_value);
    *mn = v[0];
    *med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int wanted(const options *o, const char *name)
{
    if (!o->nmodels)
        return 1;
    for (int i = 0; i < o->nmodels; i++)
        if (!strcmp(o->models[i], name))
            return 1;
    return 0;
}

/* Time one model of a scenario; returns 1 when a line was printed, -1 on a lanes-error. */
static int bench_model(const lanes_capture *c, const ree_model *m, const char *scen,
                       const options *o)
{
    int ne = c->p->nentity, ngroup = c->nrun / REE_LANES, nent = 0;
    for (int e = 0; e < ne; e++)
        nent += c->orig[e] == m;
    int nu = nent * ngroup, k = 0;
    unit *u = calloc((size_t)nu, sizeof *u);
    if (!u)
        exit(71);
    char why[512];
    int bad = 0;
    long long run_calls = 0;
    size_t bytes = 0;
    for (int e = 0; e < ne && !bad; e++)
        if (c->orig[e] == m)
            for (int g = 0; g < ngroup && !bad; g++, k++) {
                if (unit_build(&u[k], c, e, g, why, sizeof why) ||
                    unit_check(&u[k], c, why, sizeof why))
                    bad = 1;
                run_calls += u[k].run_calls;
                bytes += u[k].bytes;
            }
    if (bad) {
        printf("lanes-error scenario=%s model=%s message=\"%s\"\n", scen, m->name, why);
        fflush(stdout);
        for (int i = 0; i < nu; i++)
            unit_free(&u[i]);
        free(u);
        return -1;
    }

    /* batches: consecutive units up to batch_bytes of one layout */
    int *bstart = calloc((size_t)nu + 1, sizeof *bstart), nb = 0;
    if (!bstart)
        exit(71);
    for (int i = 0; i < nu;) {
        size_t b = 0;
        bstart[nb++] = i;
        do
            b += u[i++].bytes;
        while (i < nu && b + u[i].bytes <= o->batch_bytes);
    }
    bstart[nb] = nu;

    double *ts = calloc((size_t)o->repeats, sizeof *ts);
    double *tl = calloc((size_t)o->repeats, sizeof *tl);
    if (!ts || !tl)
        exit(71);
    for (int r = 0; r < o->repeats; r++)
        for (int b = 0; b < nb; b++) {
            for (int i = bstart[b]; i < bstart[b + 1]; i++)
                restore_scalar(&u[i]);
            double t0 = now_ns();
            for (int i = bstart[b]; i < bstart[b + 1]; i++)
                pass_scalar(&u[i]);
            double t1 = now_ns();
            for (int i = bstart[b]; i < bstart[b + 1]; i++)
                restore_lanes(&u[i]);
            double t2 = now_ns();
            for (int i = bstart[b]; i < bstart[b + 1]; i++)
                pass_lanes(&u[i]);
            double t3 = now_ns();
            ts[r] += t1 - t0;
            tl[r] += t3 - t2;
        }
    double smin, smed, lmin, lmed;
    min_median(ts, o->repeats, &smin, &smed);
    min_median(tl, o->repeats, &lmin, &lmed);
    double rc = (double)run_calls;
    printf("lanes scenario=%s model=%s entities=%d runs=%d calls_per_run=%.1f run_calls=%lld "
           "scalar_ns_min=%.2f scalar_ns_median=%.2f lanes_ns_min=%.2f lanes_ns_median=%.2f "
           "speedup=%.2f speedup_min=%.2f batches=%d kb_per_layout=%.0f repeats=%d\n",
           scen, m->name, nent, c->nrun, (double)run_calls / c->nrun / nent, run_calls, smin / rc,
           smed / rc, lmin / rc, lmed / rc, smed / lmed, smin / lmin, nb, (double)bytes / 1024,
           o->repeats);
    fflush(stdout);

    int t = 0;
    while (t < ntotal && strcmp(totals[t].model, m->name))
        t++;
    if (t < MAX_MODELS) {
        if (t == ntotal)
            totals[ntotal++].model = m->name;
        totals[t].scenarios++;
        totals[t].run_calls += run_calls;
        totals[t].scalar_ns += smed;
        totals[t].lanes_ns += lmed;
    }
    free(ts), free(tl), free(bstart);
    for (int i = 0; i < nu; i++)
        unit_free(&u[i]);
    free(u);
    return 1;
}

static jmp_buf capture_jmp;
static char capture_msg[512];

__attribute__((format(printf, 1, 0))) static void capture_fail(const char *fmt, va_list ap)
{
    vsnprintf(capture_msg, sizeof capture_msg, fmt, ap);
    longjmp(capture_jmp, 1);
}

/* Returns the number of lines printed, -1 when a model or the scenario failed. */
static int bench_scenario(const char *path, const options *o)
{
    ree_diag *d = ree_diag_alloc(0);
    if (!d)
        exit(71);
    ree_status st = REE_OK;
    ree_plan *p = ree_plan_load(path, d, &st);
    if (!p) {
        printf("lanes-error file=%s message=\"cannot load: %s (errors: %zu; see reesim "
               "validate)\"\n",
               path, ree_status_message(st ? st : REE_EINVALID), ree_diag_count(d));
        ree_diag_free(d);
        return -1;
    }
    ree_diag_free(d);
    static lanes_capture c; /* static: kept across the longjmp */
    if (setjmp(capture_jmp)) {
        /* a run failed: the plan's entities may point at the capture's models, so both leak */
        printf("lanes-error scenario=%s file=%s message=\"%s\"\n", p->name, path, capture_msg);
        fflush(stdout);
        return -1;
    }
    int any = lanes_capture_wrap(&c, p, capture_fail);
    int printed = 0, failed = 0;
    if (!any) {
        fprintf(stderr, "# %s: no entity whose model has lane hooks\n", p->name);
    } else {
        double t0 = now_ns();
        lanes_capture_record(&c, path, o->runs);
        fprintf(stderr, "# %s: %d runs recorded in %.2f s\n", p->name, o->runs,
                (now_ns() - t0) / 1e9);
        const ree_model *seen[MAX_MODELS];
        int nseen = 0;
        for (int e = 0; e < p->nentity; e++) {
            const ree_model *m = c.orig[e];
            int s = 0;
            while (s < nseen && seen[s] != m)
                s++;
            if (!ree_lanes_of(m) || s < nseen || nseen == MAX_MODELS || !wanted(o, m->name))
                continue;
            seen[nseen++] = m;
            int r = bench_model(&c, m, p->name, o);
            if (r < 0)
                failed = 1;
            else
                printed += r;
        }
    }
    lanes_capture_free(&c);
    ree_plan_free(p);
    return failed ? -1 : printed;
}

static double timer_overhead_ns(void)
{
    double best = INFINITY;
    for (int i = 0; i < 1000; i++) {
        double a = now_ns(), b = now_ns();
        if (b - a < best)
            best = b - a;
    }
    return best;
}

/* The build of the lane code the library chose for this CPU (engine/model_lanes.h,
 * "Instruction sets"): its x86-64-v4 one (AVX-512) or the baseline one (REESIM_LANES_ISA=base,
 * or a CPU or compiler without AVX-512). The lane hooks' speed depends on it. */
#define VECTOR_ISA (ree_lanes_v4() ? "x86-64-v4" : "baseline")

static const char usage[] =
    "Usage: reesim-lanes-bench [OPTIONS] [SCENARIO.yaml...]\n"
    "Time each model's scalar hooks against its lane hooks on the recorded calls of real runs.\n"
    "Without scenarios: scenarios/*.yaml, scenarios/examples/*.yaml and bench/scenarios/*.yaml\n"
    "under the root folder.\n"
    "\n"
    "  -R, --runs R       runs recorded per scenario, a multiple of 8 (default 64)\n"
    "  -n, --repeat N     timed rounds, scalar and lanes interleaved; min and median reported\n"
    "                     (default 15, at most 1000)\n"
    "  -m, --model NAME   only this model (repeatable; default every model with lane hooks)\n"
    "  -b, --batch-kb K   io arrays and parameters per layout timed at once (default 256)\n"
    "  -r, --root DIR     folder the default scenario list is relative to (default .)\n"
    "  -h, --help         this help\n";

static int parse_count(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    options o = {DEFAULT_RUNS, DEFAULT_REPEATS, (size_t)DEFAULT_BATCH_KB * 1024, {0}, 0};
    const char *root = ".";
    char **files = calloc((size_t)argc + 1, sizeof *files);
    int nfiles = 0;
    if (!files)
        return 71;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        long v;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            free(files);
            return 0;
        } else if ((!strcmp(a, "-R") || !strcmp(a, "--runs")) && val) {
            if (parse_count(val, REE_LANES, 1 << 20, &v) || v % REE_LANES) {
                fprintf(stderr,
                        "reesim-lanes-bench: --runs: expected a multiple of %d, found '%s'\n",
                        REE_LANES, val);
                free(files);
                return 64;
            }
            o.runs = (int)v;
            i++;
        } else if ((!strcmp(a, "-n") || !strcmp(a, "--repeat")) && val) {
            if (parse_count(val, 1, REPEAT_MAX, &v)) {
                fprintf(stderr, "reesim-lanes-bench: --repeat: expected 1 to %d, found '%s'\n",
                        REPEAT_MAX, val);
                free(files);
                return 64;
            }
            o.repeats = (int)v;
            i++;
        } else if ((!strcmp(a, "-b") || !strcmp(a, "--batch-kb")) && val) {
            if (parse_count(val, 1, 1 << 22, &v)) {
                fprintf(stderr, "reesim-lanes-bench: --batch-kb: expected 1 to %d, found '%s'\n",
                        1 << 22, val);
                free(files);
                return 64;
            }
            o.batch_bytes = (size_t)v * 1024;
            i++;
        } else if ((!strcmp(a, "-m") || !strcmp(a, "--model")) && val) {
            if (o.nmodels == MAX_MODEL_FILTER) {
                fprintf(stderr, "reesim-lanes-bench: at most %d --model\n", MAX_MODEL_FILTER);
                free(files);
                return 64;
            }
            o.models[o.nmodels++] = val;
            i++;
        } else if ((!strcmp(a, "-r") || !strcmp(a, "--root")) && val) {
            root = val;
            i++;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "reesim-lanes-bench: unknown or incomplete option '%s'\n%s", a, usage);
            free(files);
            return 64;
        } else {
            files[nfiles++] = argv[i];
        }
    }

    glob_t g;
    memset(&g, 0, sizeof g);
    if (nfiles == 0) {
        static const char *const patterns[] = {"scenarios/*.yaml", "scenarios/examples/*.yaml",
                                               "bench/scenarios/*.yaml"};
        for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
            char pat[4096];
            snprintf(pat, sizeof pat, "%s/%s", root, patterns[i]);
            glob(pat, i ? GLOB_APPEND : 0, NULL, &g);
        }
        if (g.gl_pathc == 0) {
            fprintf(stderr, "reesim-lanes-bench: no scenarios under '%s' (give files, or --root)\n",
                    root);
            free(files);
            globfree(&g);
            return 66;
        }
    }
    int n = nfiles ? nfiles : (int)g.gl_pathc;
    char **list = nfiles ? files : g.gl_pathv;

    printf("lanes-info lanes=%d isa=%s runs=%d repeats=%d batch_kb=%zu timer_ns=%.1f "
           "scenarios=%d\n",
           REE_LANES, VECTOR_ISA, o.runs, o.repeats, o.batch_bytes / 1024, timer_overhead_ns(), n);
    fflush(stdout);
    int printed = 0, failed = 0;
    for (int i = 0; i < n; i++) {
        int r = bench_scenario(list[i], &o);
        if (r < 0)
            failed = 1;
        else
            printed += r;
    }
    for (int t = 0; t < ntotal; t++)
        printf("lanes-total model=%s scenarios=%d run_calls=%lld scalar_ns_median=%.2f "
               "lanes_ns_median=%.2f speedup=%.2f\n",
               totals[t].model, totals[t].scenarios, totals[t].run_calls,
               totals[t].scalar_ns / (double)totals[t].run_calls,
               totals[t].lanes_ns / (double)totals[t].run_calls,
               totals[t].scalar_ns / totals[t].lanes_ns);
    globfree(&g);
    free(files);
    return failed ? 1 : printed > 0 ? 0 : 1;
}

/* Recording of scalar hook calls for replay through lane hooks (capture.h). */
#include "capture.h"

#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const lanes_phase_name[C_KINDS] = {"produce", "order",  "offer",    "consume",
                                               "account", "decide", "gate_ship"};
const char *const lanes_node_array[A_NODE] = {
    "stock",    "position", "requested", "received", "scarcity", "lead", "asked",
    "produced", "consumed", "lost",      "order",    "offer",    "price"};
const char *const lanes_gate_array[G_GATE] = {"applied", "shipped", "licensed", "on_order",
                                              "granted"};

static lanes_capture *G;    /* the capture under way */
static lanes_runrec *G_cur; /* the run being recorded */

__attribute__((format(printf, 1, 2))) static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    G->fail(fmt, ap);
    va_end(ap);
    abort(); /* fail must not return */
}

static void *alloc_or_fail(void *q)
{
    if (!q)
        fail("lanes capture: out of memory");
    return q;
}

static int entity_of(const void *par)
{
    for (int e = 0; e < G->p->nentity; e++)
        if (G->run->par[e] == par)
            return e;
    fail("lanes test: a hook called with parameters of no entity");
    return -1;
}

size_t lanes_node_width(const lanes_capture *c, int e)
{
    return (size_t)A_NODE * (size_t)c->run->nmat + c->orig[e]->nmetrics;
}

size_t lanes_gate_width(const lanes_capture *c, int e, int nlink)
{
    return (size_t)G_GATE * (size_t)nlink + c->orig[e]->nmetrics;
}

static void copy_or_zero(double *d, const double *s, size_t n)
{
    if (s)
        memcpy(d, s, n * sizeof *d);
    else
        memset(d, 0, n * sizeof *d);
}

static void snap_node(double *d, const ree_node_io *io, int e)
{
    const double *a[A_NODE] = {io->stock, io->position, io->requested, io->received, io->scarcity,
                               io->lead,  io->asked,    io->produced,  io->consumed, io->lost,
                               io->order, io->offer,    io->price};
    size_t nm = (size_t)G->run->nmat;
    for (int i = 0; i < A_NODE; i++)
        copy_or_zero(d + (size_t)i * nm, a[i], nm);
    memcpy(d + A_NODE * nm, io->metrics, G->orig[e]->nmetrics * sizeof *d);
}

static void snap_gate(double *d, const ree_gate_io *io, int e)
{
    const double *a[G_GATE] = {io->applied, io->shipped, io->licensed, io->on_order, io->granted};
    size_t nl = (size_t)io->nlink;
    for (int i = 0; i < G_GATE; i++)
        copy_or_zero(d + (size_t)i * nl, a[i], nl);
    memcpy(d + G_GATE * nl, io->metrics, G->orig[e]->nmetrics * sizeof *d);
}

static lanes_rec *rec_new(int e, int ph, int step, const void *par, const gsl_rng *rng,
                          size_t width)
{
    lanes_runrec *rr = G_cur;
    if (rr->n == rr->cap) {
        rr->cap = rr->cap ? 2 * rr->cap : 1024;
        rr->v = alloc_or_fail(realloc(rr->v, rr->cap * sizeof *rr->v));
    }
    lanes_rec *c = &rr->v[rr->n++];
    memset(c, 0, sizeof *c);
    c->e = e, c->ph = ph, c->step = step;
    size_t ps = G->orig[e]->params_size;
    c->par = alloc_or_fail(malloc(ps ? ps : 1));
    c->pre = alloc_or_fail(malloc(width * sizeof(double)));
    c->post = alloc_or_fail(malloc(width * sizeof(double)));
    memcpy(c->par, par, ps);
    c->rng_pre = alloc_or_fail(gsl_rng_clone(rng));
    return c;
}

static void node_call_rec(int ph, const void *par, void *st, const ree_node_io *io)
{
    int e = entity_of(par);
    lanes_rec *c = rec_new(e, ph, io->step, par, io->rng, lanes_node_width(G, e));
    c->has_asked = io->asked != NULL;
    snap_node(c->pre, io, e);
    lanes_node_hook(G->orig[e], ph)(par, st, io);
    snap_node(c->post, io, e);
    c->rng_post = alloc_or_fail(gsl_rng_clone(io->rng));
}

static void w_produce(const void *par, void *st, const ree_node_io *io)
{
    node_call_rec(PH_PRODUCE, par, st, io);
}
static void w_order(const void *par, void *st, const ree_node_io *io)
{
    node_call_rec(PH_ORDER, par, st, io);
}
static void w_offer(const void *par, void *st, const ree_node_io *io)
{
    node_call_rec(PH_OFFER, par, st, io);
}
static void w_consume(const void *par, void *st, const ree_node_io *io)
{
    node_call_rec(PH_CONSUME, par, st, io);
}
static void w_account(const void *par, void *st, const ree_node_io *io)
{
    node_call_rec(PH_ACCOUNT, par, st, io);
}

static void gate_call_rec(int ph, const void *par, void *st, ree_gate_io *io)
{
    int e = entity_of(par);
    const ree_model *m = G->orig[e];
    lanes_rec *c = rec_new(e, ph, io->step, par, io->rng, lanes_gate_width(G, e, io->nlink));
    c->has_granted = io->granted != NULL;
    if (io->rule) {
        size_t rs = m->rules->params_size;
        c->rules = alloc_or_fail(calloc((size_t)io->nlink, rs ? rs : 1));
        c->rule_given = alloc_or_fail(calloc((size_t)io->nlink, 1));
        c->rule_first = alloc_or_fail(calloc((size_t)io->nlink, sizeof(int)));
        for (int i = 0; i < io->nlink; i++) {
            c->rule_first[i] = i;
            for (int j = 0; j < i && c->rule_first[i] == i; j++)
                if (io->rule[j] == io->rule[i])
                    c->rule_first[i] = j;
        }
        for (int i = 0; i < io->nlink; i++)
            if (io->rule[i]) {
                memcpy(c->rules + (size_t)i * rs, io->rule[i], rs);
                c->rule_given[i] = 1;
            }
    }
    snap_gate(c->pre, io, e);
    lanes_gate_hook(m, ph)(par, st, io);
    snap_gate(c->post, io, e);
    c->rng_post = alloc_or_fail(gsl_rng_clone(io->rng));
}

static void w_decide(const void *par, void *st, ree_gate_io *io)
{
    gate_call_rec(C_DECIDE, par, st, io);
}
static void w_ship(const void *par, void *st, ree_gate_io *io)
{
    gate_call_rec(C_SHIP, par, st, io);
}

static void w_reset(const void *par, void *st, const ree_model_ctx *ctx)
{
    int e = entity_of(par);
    size_t ps = G->orig[e]->params_size;
    unsigned char *b = alloc_or_fail(malloc(ps ? ps : 1));
    memcpy(b, par, ps);
    free(G_cur->reset_par[e]);
    G_cur->reset_par[e] = b;
    G->orig[e]->reset(par, st, ctx);
}

static void w_finish(const void *par, const void *st, const ree_model_ctx *ctx, double *ind)
{
    G->orig[entity_of(par)]->finish(par, st, ctx, ind);
}

int lanes_capture_wrap(lanes_capture *c, ree_plan *p, void (*failf)(const char *fmt, va_list ap))
{
    memset(c, 0, sizeof *c);
    c->p = p;
    c->fail = failf;
    G = c;
    int ne = p->nentity, any = 0;
    c->orig = alloc_or_fail(calloc((size_t)ne, sizeof *c->orig));
    c->wrap = alloc_or_fail(calloc((size_t)ne, sizeof *c->wrap));
    for (int e = 0; e < ne; e++) {
        const ree_model *m = p->entities[e].model;
        c->orig[e] = m;
        if (!ree_lanes_of(m))
            continue;
        any++;
        ree_model *w = &c->wrap[e];
        *w = *m;
        w->reset = m->reset ? w_reset : NULL;
        w->produce = m->produce ? w_produce : NULL;
        w->order = m->order ? w_order : NULL;
        w->offer = m->offer ? w_offer : NULL;
        w->consume = m->consume ? w_consume : NULL;
        w->account = m->account ? w_account : NULL;
        w->gate_decide = m->gate_decide ? w_decide : NULL;
        w->gate_ship = m->gate_ship ? w_ship : NULL;
        w->finish = m->finish ? w_finish : NULL;
        ((ree_entity *)&p->entities[e])->model = w;
    }
    return any;
}

void lanes_capture_record(lanes_capture *c, const char *what, int nrun)
{
    G = c;
    ree_plan *p = c->p;
    int ne = p->nentity;
    c->run = alloc_or_fail(ree_run_alloc(p));
    c->nrun = nrun;
    c->runs = alloc_or_fail(calloc((size_t)nrun, sizeof *c->runs));
    size_t nhist = (size_t)c->run->nsteps * (size_t)c->run->nmat;
    for (int k = 0; k < nrun; k++) {
        G_cur = &c->runs[k];
        G_cur->reset_par = alloc_or_fail(calloc((size_t)ne, sizeof *G_cur->reset_par));
        ree_run_reset(c->run, p->seed, k);
        ree_status rs = ree_run_finish(c->run);
        if (rs != REE_OK)
            fail("%s: run %d: %s", what, k, ree_run_error(c->run));
        G_cur->history = alloc_or_fail(malloc(nhist * sizeof(double) + 1));
        G_cur->ind = alloc_or_fail(malloc((size_t)p->nindicator * sizeof(double) + 1));
        memcpy(G_cur->history, c->run->history, nhist * sizeof(double));
        memcpy(G_cur->ind, ree_run_indicators(c->run), (size_t)p->nindicator * sizeof(double));
    }
    G_cur = NULL;
}

static void runrec_free(lanes_runrec *rr, int nentity)
{
    for (size_t i = 0; i < rr->n; i++) {
        lanes_rec *c = &rr->v[i];
        free(c->par), free(c->rules), free(c->rule_given), free(c->rule_first);
        free(c->pre), free(c->post);
        gsl_rng_free(c->rng_pre), gsl_rng_free(c->rng_post);
    }
    free(rr->v);
    if (rr->reset_par)
        for (int e = 0; e < nentity; e++)
            free(rr->reset_par[e]);
    free(rr->reset_par), free(rr->history), free(rr->ind);
}

void lanes_capture_free(lanes_capture *c)
{
    int ne = c->p->nentity;
    if (c->runs)
        for (int k = 0; k < c->nrun; k++)
            runrec_free(&c->runs[k], ne);
    free(c->runs);
    if (c->run)
        ree_run_free(c->run);
    for (int e = 0; e < ne; e++) /* the plan frees through its entities' models */
        if (c->orig)
            ((ree_entity *)&c->p->entities[e])->model = c->orig[e];
    free(c->orig), free(c->wrap);
    if (G == c)
        G = NULL;
    memset(c, 0, sizeof *c);
}

size_t lanes_each_scenario(const char *root, void (*fn)(const char *path, void *ctx), void *ctx)
{
    const char *pat[] = {"scenarios/*.yaml", "scenarios/examples/*.yaml", "bench/scenarios/*.yaml",
                         "tests/lanes/*.yaml"};
    size_t n = 0;
    for (size_t i = 0; i < sizeof pat / sizeof pat[0]; i++) {
        char full[4096];
        glob_t gl;
        snprintf(full, sizeof full, "%s/%s", root, pat[i]);
        if (glob(full, 0, NULL, &gl) != 0)
            continue;
        for (size_t j = 0; j < gl.gl_pathc; j++, n++)
            fn(gl.gl_pathv[j], ctx);
        globfree(&gl);
    }
    return n;
}

lanes_node_fn lanes_node_hook(const ree_model *m, int ph)
{
    return ph == PH_PRODUCE   ? m->produce
           : ph == PH_ORDER   ? m->order
           : ph == PH_OFFER   ? m->offer
           : ph == PH_CONSUME ? m->consume
                              : m->account;
}

lanes_node_lfn lanes_node_lhook(const ree_model_lanes *lm, int ph)
{
    return ph == PH_PRODUCE   ? lm->produce
           : ph == PH_ORDER   ? lm->order
           : ph == PH_OFFER   ? lm->offer
           : ph == PH_CONSUME ? lm->consume
                              : lm->account;
}

lanes_gate_fn lanes_gate_hook(const ree_model *m, int ph)
{
    return ph == C_DECIDE ? m->gate_decide : m->gate_ship;
}

lanes_gate_lfn lanes_gate_lhook(const ree_model_lanes *lm, int ph)
{
    return ph == C_DECIDE ? lm->gate_decide : lm->gate_ship;
}

/* The node io's fields over arrays of type T (double or ree_vd) at `a`, record order. */
#define NODE_IO_FIELDS(a, nm, r)                                                                   \
    .step = (r)->step, .nmat = (int)(nm), .stock = (a) + A_STOCK * (nm),                           \
    .position = (a) + A_POS * (nm), .requested = (a) + A_REQ * (nm),                               \
    .received = (a) + A_RECV * (nm), .scarcity = (a) + A_SCAR * (nm), .lead = (a) + A_LEAD * (nm), \
    .asked = (r)->has_asked ? (a) + A_ASKED * (nm) : NULL, .produced = (a) + A_PROD * (nm),        \
    .consumed = (a) + A_CONS * (nm), .lost = (a) + A_LOST * (nm), .order = (a) + A_ORDER * (nm),   \
    .offer = (a) + A_OFFER * (nm), .metrics = (a) + A_NODE * (nm), .price = (a) + A_PRICE * (nm)

ree_node_io lanes_node_io(double *a, size_t nm, const lanes_rec *r, const double *history,
                          gsl_rng *rng)
{
    return (ree_node_io){NODE_IO_FIELDS(a, nm, r), .history = history, .rng = rng};
}

ree_node_io_lanes lanes_node_io_lanes(ree_vd *a, size_t nm, const lanes_rec *r,
                                      const ree_vd *history, gsl_rng *const *rng)
{
    return (ree_node_io_lanes){NODE_IO_FIELDS(a, nm, r), .history = history, .rng = rng};
}

/* The gate io's fields over arrays at `a`, record order. */
#define GATE_IO_FIELDS(a, nl, r, gio)                                                              \
    .step = (r)->step, .nlink = (int)(nl), .material = (gio)->material, .end_use = (gio)->end_use, \
    .applied = (a) + G_APPLIED * (nl), .shipped = (a) + G_SHIPPED * (nl),                          \
    .licensed = (a) + G_LICENSED * (nl), .on_order = (a) + G_ON_ORDER * (nl),                      \
    .metrics = (a) + G_GATE * (nl), .granted = (r)->has_granted ? (a) + G_GRANTED * (nl) : NULL

ree_gate_io lanes_gate_io(double *a, size_t nl, const lanes_rec *r, const ree_gate_io *gio,
                          gsl_rng *rng, const void *const *rule)
{
    return (ree_gate_io){GATE_IO_FIELDS(a, nl, r, gio), .rng = rng, .rule = rule};
}

ree_gate_io_lanes lanes_gate_io_lanes(ree_vd *a, size_t nl, const lanes_rec *r,
                                      const ree_gate_io *gio, gsl_rng *const *rng,
                                      const void *const *rule)
{
    return (ree_gate_io_lanes){GATE_IO_FIELDS(a, nl, r, gio), .rng = rng, .rule = rule};
}

void lanes_rules(const lanes_rec *r, size_t nl, size_t rs, const void **rule)
{
    for (size_t i = 0; i < nl; i++)
        rule[i] = r->rule_first[i] != (int)i ? rule[r->rule_first[i]] /* one rule */
                  : r->rule_given[i]         ? r->rules + i * rs
                                             : NULL;
}

void lanes_rules_lanes(const lanes_rec *const rec[REE_LANES], size_t nl, size_t rs,
                       unsigned char *rpar, const void **rule)
{
    const void *src[REE_LANES];
    for (size_t i = 0; i < nl; i++) {
        rule[i] = NULL;
        if (rec[0]->rule_first[i] != (int)i)
            rule[i] = rule[rec[0]->rule_first[i]];
        else if (rec[0]->rule_given[i]) {
            for (int l = 0; l < REE_LANES; l++)
                src[l] = rec[l]->rules + i * rs;
            ree_lanes_transpose(rpar + i * rs * REE_LANES, src, rs);
            rule[i] = rpar + i * rs * REE_LANES;
        }
    }
}
